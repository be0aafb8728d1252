"""The SENCO's pupil explorer: a pupil's progress against same-baseline peers, the four tests
with their reasons, EAL evidence, support plan and review, provision and its cost, parent
meetings and EHC deadlines; the school's list of pupils flagged, its to-do list and its
provision map with what works."""

from __future__ import annotations

import dataclasses
import functools
import html
import secrets
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as W
import pandas as pd

from ..access import LOCAL_USER, User, current_policy, pseudonym, pseudonymise, school_upns, scope_frame, scope_trust
from ..codes import PROVISION_WORDS, need_words, year_group_label
from ..duties import days_apart, duties_todo, graduated_approach, meetings_owed_words, statutory_duties
from ..duties import when_words as _when
from ..eal import eal_items_words, is_on_register, weigh_eal_evidence_and_items
from ..ehc import CANDIDATE_RULE, LAST_12_MONTHS, ehc_candidates, ehc_timeline
from ..evidence import evidence_pack, pack_html, pack_pdf
from ..exceptions import SendlibError
from ..loader import TrustData, load
from ..plotting import (
    PROGRESS_BAND_MARGINS,
    ehc_timeline_words,
    plot_ehc_timeline,
    plot_progress_band,
    progress_band_words,
)
from ..progress import assess_progress, pupil_progress_band
from ..provision import (
    MIN_PUPILS,
    NOTIONAL_SEN_THRESHOLD,
    VERDICT_WORDS,
    provision_costs,
    provision_impact,
    provision_map,
    provision_summary,
    provision_workbook,
    pupil_cost_words,
    pupil_provision_rows,
)
from ..render import XLSX, downloads, new_figure
from ..school_calendar import school_year_start
from ..summary import pupil_summary, summary_html
from ._blocks import (
    Filter,
    ListsView,
    PupilList,
    chart,
    count_words,
    data_date,
    error_block,
    guarded,
    html_block,
    print_button,
    problems_block,
    signed_in,
    table_html,
)


@dataclasses.dataclass(frozen=True)
class Prepared:
    """Everything the explorer shows, computed once for the whole trust (progress is judged
    against peers across the trust). Every frame is about pupils: :meth:`for_schools` cuts
    each one down to a user's schools, so a frame added here is scoped without a word more."""

    trust: TrustData
    schools: list[str]
    progress: pd.DataFrame | None
    eal: pd.DataFrame
    eal_items: pd.DataFrame
    duties: pd.DataFrame
    plans: pd.DataFrame
    todo: pd.DataFrame
    provision: pd.DataFrame | None  # the provision map (None without provisions.csv)
    costs: pd.DataFrame | None  # each pupil's provision cost against the threshold
    impact: tuple[dict, ...]  # what works, over the whole trust: one record per intervention, no pupil in it
    timeline: pd.DataFrame  # EHC needs assessments and plans: the LA's milestones and the school's duties
    candidates: pd.DataFrame  # pupils to consider for an EHC needs assessment
    peers: TrustData  # the pupils a progress band compares with (pseudonymised outside the user's schools)
    peer_key: Callable[[str], str]  # a pupil's key among the peers

    def for_schools(self, schools: list[str]) -> Prepared:
        """Named pupils of ``schools`` only; the peer bands see the rest of the trust pseudonymised."""
        if schools == self.schools:
            return self
        upns = school_upns(self.trust, schools)
        frames: dict[str, Any] = {
            f.name: scope_frame(getattr(self, f.name), upns)
            for f in dataclasses.fields(self)
            if isinstance(getattr(self, f.name), pd.DataFrame)
        }
        secret = secrets.token_bytes(32)  # these keys never leave the kernel
        return dataclasses.replace(
            self,
            **frames,
            trust=scope_trust(self.trust, schools),
            schools=schools,
            peers=pseudonymise(self.trust, secret),
            peer_key=lambda upn: pseudonym(upn, secret),
        )


def prepare(data_dir: str = "", policy=None) -> Prepared:
    """The explorer's trust-wide work: the same for every user (who may see what is decided in
    :func:`build`), so ``policy`` is not used."""
    trust = load(data_dir)
    progress = assess_progress(trust) if trust.assessments is not None else None
    duties = statutory_duties(trust)
    provided = trust.provisions is not None
    costs = provision_costs(trust) if provided else None
    eal, eal_items = weigh_eal_evidence_and_items(trust, progress=progress)
    return Prepared(
        trust=trust,
        schools=trust.schools,
        progress=progress,
        eal=eal,
        eal_items=eal_items,
        duties=duties,
        plans=graduated_approach(trust),
        todo=duties_todo(trust, duties=duties),
        provision=provision_map(trust) if provided else None,
        costs=costs,
        impact=tuple(provision_impact(trust).to_dict("records")) if provided and trust.assessments is not None else (),
        timeline=ehc_timeline(trust, duties=duties),
        candidates=ehc_candidates(trust, progress=progress, costs=costs),
        peers=trust,
        peer_key=str,
    )


ENTER_WAIT = 2.0  # seconds: typed text that comes this soon after its Enter is matched as entered


def pupil_label(row) -> str:
    name = " ".join(str(v) for v in (row.get("forename"), row.get("surname")) if isinstance(v, str) and v)
    return f"{name or 'Unnamed pupil'} ({year_group_label(row['year_group'])}, {row['upn']})"


def build(
    prepared: Prepared, user: User = LOCAL_USER, school: str = "", pupil: str = "", log=lambda *args, **kwargs: None
) -> W.Widget:
    """Pick a school and a pupil: progress against same-baseline peers, the four tests with
    their reasons, EAL evidence, support plan and review, parent meetings, EHC deadlines;
    and the school's list of pupils flagged and its to-do list. Only ``user``'s schools."""
    policy = current_policy()
    log_key = functools.partial(pseudonym, secret=policy.secret()) if policy else str  # how the log names a pupil
    data = prepared.for_schools(user.allowed(prepared.schools))
    trust = data.trust
    schools = data.schools
    school = school if school in schools else schools[0]
    school_box = W.Dropdown(options=schools, value=school, description="School")
    # a pupil picked from the list opens as it is picked; not ensure_option, so that a name typed
    # without picking it and entered is matched (:func:`open_typed`) or told why not, not ignored
    pupil_box = W.Combobox(placeholder="Type a name or UPN", description="Pupil", layout=W.Layout(width="420px"))
    sort_box = W.Dropdown(
        options=[
            ("Most progress tests flagged", "tests"),
            ("Name", "name"),
            ("Year group", "year"),
            ("Subject", "subject"),
        ],
        description="Sort by",
        style={"description_width": "initial"},
        layout=W.Layout(width="22em"),
    )
    pupil_view = W.VBox()
    pupil_view.add_class("sendlib-pupil-view")
    labels: dict[str, str] = {}
    searched: dict[str, str] = {}  # each label's name and UPN, as typed text is matched against them

    def refresh_school(change=None):
        pupils = trust.pupils[trust.pupils["school"] == school_box.value].sort_values(["surname", "forename"])
        labels.clear()
        searched.clear()
        for row in pupils.to_dict("records"):
            label = pupil_label(row)
            labels[label] = row["upn"]
            searched[label] = " ".join(str(row.get(k) or "") for k in ("forename", "surname", "upn")).casefold()
        pupil_box.options = list(labels)
        pupil_box.value = ""
        pupil_view.children = [
            html_block('<p class="note">Type the first letters of a name or UPN and pick the pupil.</p>')
        ]
        if change is not None:
            log(school_box.value, "school shown")

    entered = [0.0]  # when Enter last came before the text it was pressed on (time.monotonic)

    def open_typed(widget, content, buffers=None):
        """Enter in the pupil box without a pupil picked: the one pupil whose name and UPN hold
        every word typed ("ivy walker", "Walker, Ivy"), or words saying how many match.

        While the kernel is busy (drawing the last pupil's charts), the browser holds back the
        typed text but not the Enter, which then comes first: the text, when it comes within
        ``ENTER_WAIT`` seconds, is matched as entered (:func:`refresh_pupil`)."""
        if content.get("event") != "submit":
            return
        typed = pupil_box.value.strip()
        if not typed or typed in labels:
            entered[0] = time.monotonic()  # the text may be on its way
            return
        match_typed(typed)

    def matching(typed: str) -> list[str]:
        """The labels of the school's pupils whose name and UPN hold every word of ``typed``
        (a UPN given whole: that pupil alone)."""
        exact = [label for label, upn in labels.items() if upn == typed.strip()]
        words = typed.replace(",", " ").casefold().split()
        return exact or [label for label, text in searched.items() if words and all(w in text for w in words)]

    def match_typed(typed: str) -> None:
        entered[0] = 0.0
        found = matching(typed)
        if len(found) == 1:
            pupil_box.value = found[0]  # opens the pupil
            return
        some = "; ".join(found[:10]) + ("; ..." if len(found) > 10 else "")
        pupil_view.children = [
            html_block(
                f"<p>{len(found)} pupils of {html.escape(school_box.value)} match "
                f"&ldquo;{html.escape(typed)}&rdquo;: pick one from the list ({html.escape(some)}).</p>"
                if found
                # what was typed is not repeated: it may be another school's pupil's UPN
                else f"<p>No pupil of {html.escape(school_box.value)} matches what was typed. Type the first "
                "letters of a forename, a surname or a UPN and pick the pupil from the list.</p>"
            )
        ]

    def refresh_pupil(*_):
        upn = labels.get(pupil_box.value)  # only this school's pupils have labels: nothing else can open
        if not upn and pupil_box.value.strip() and time.monotonic() - entered[0] < ENTER_WAIT:
            match_typed(pupil_box.value.strip())  # entered before it came (open_typed)
        if upn:
            log(school_box.value, "pupil opened", log_key(upn))
            try:
                built = functools.partial(log, school_box.value, "evidence pack built", log_key(upn))
                summarised = functools.partial(log, school_box.value, "pupil summary built", log_key(upn))
                charts: list = []
                pupil_view.children = [
                    *_pupil_panels(data, upn, later=charts),
                    _summary_button(data, upn, summarised),
                    _pack_button(data, upn, built),
                ]
                for draw in charts:  # the text is on its way to the browser: now the charts
                    draw()
            except SendlibError as error:
                pupil_view.children = [error_block(error)]

    school_box.observe(guarded(refresh_school, "the explorer's school", pupil_view), "value")
    pupil_box.observe(guarded(refresh_pupil, "the explorer's pupil", pupil_view), "value")
    pupil_box.on_msg(guarded(open_typed, "the explorer's pupil", pupil_view))  # Enter sends {"event": "submit"}
    refresh_school()
    refused = None
    if pupil:
        if matching(pupil):  # one pupil opens; several: how many, as when typed
            match_typed(pupil)
        else:  # another school's pupil, or nobody: the same words either way, and a line in the log
            refused = error_block(
                SendlibError(
                    f"No pupil of {school} matches the pupil in the address: you can open only your schools' pupils."
                ),
                "Not available to you.",
            )
            log(school, "refused", f"pupil {log_key(pupil)}")

    def open_pupil(upn: str) -> None:
        """A name chosen in a school list: the pupil's page, as if typed in the Pupil tab."""
        label = next((label for label, known in labels.items() if known == upn), None)
        if label is None:
            return
        tabs.selected_index = 0
        if pupil_box.value == label:
            guarded(refresh_pupil, "the explorer's pupil", pupil_view)()
        else:
            pupil_box.value = label

    tabs = W.Tab()
    made_for: dict[int, tuple] = {}  # what each school tab's lists were last made for

    def school_tab(index: int, make, where: str, css_class: str, subjects: bool = False, controls=()) -> W.VBox:
        """A tab of the school's lists, filtered: made when the tab is first opened, and again
        when it is open (or next opened) after the school or the order has changed. Nothing of
        it is made or sent for a visit that never opens it."""
        view = ListsView(open_pupil, css_class, where)
        preparing = html_block("<p class='note'>Preparing the lists…</p>")
        view.widget.children = [preparing]

        def refresh(*_):
            wanted = (school_box.value, sort_box.value if controls else "")
            if made_for.get(index) == wanted:
                return
            if tabs.selected_index != index:  # made when next opened; the old school's lists go now
                if made_for.pop(index, None) is not None:
                    view.widget.children = [preparing]
                return
            facts = _facts(data, school_box.value)
            header = [school_box.value, f"Data as of {trust.as_of:%d %B %Y}"]
            view.show(make(data, school_box.value), _filters(data, facts, subjects), facts, header, controls)
            made_for[index] = wanted

        for box in (school_box, tabs, *([sort_box] if controls else [])):
            box.observe(guarded(refresh, where, view.widget), "selected_index" if box is tabs else "value")
        return view.widget

    lists_view = school_tab(
        1,
        lambda data, school: _school_lists(data, school, sort_box.value),
        "the explorer's lists",
        "sendlib-school-view",
        subjects=True,
        controls=[sort_box],
    )
    provision_view = school_tab(2, _school_provision, "the provision map", "sendlib-provision-view")
    assessments_view = school_tab(3, _school_assessments, "the EHC assessments", "sendlib-assessments-view")
    tabs.children = [W.VBox([pupil_box, pupil_view]), lists_view, provision_view, assessments_view]
    for index, title in enumerate(("Pupil", "School lists", "Provision map", "EHC assessments")):
        tabs.set_title(index, title)
    header = html_block(
        "<h2>SENCO: pupil explorer</h2><p class='note'>Progress is judged against measurement "
        f"error and pupils who started at the same level.{signed_in(user)}</p>"
    )
    parts = [
        header,
        data_date(trust),
        *([refused] if refused is not None else []),
        W.HBox([school_box, print_button()]),
        tabs,
    ]
    problems = problems_block(trust)
    if problems is not None:
        parts.insert(1, problems)
    app = W.VBox(parts)
    app.add_class("sendlib-app")
    return app


BAND_SIZE, TIMELINE_SIZE = (6.2, 3.3), (9, 3.8)  # inches


def _pupil_panels(data: Prepared, upn: str, later: list | None = None) -> list:
    """A pupil's page; its charts drawn now, or (with ``later``) after the rest is on screen
    (:func:`sendlib.apps._blocks.chart`)."""
    trust = data.trust
    pupil = trust.pupils.set_index("upn").loc[upn]
    name = " ".join(v for v in (pupil.get("forename"), pupil.get("surname")) if isinstance(v, str))
    provision = PROVISION_WORDS[pupil["sen_provision"]].in_sentence
    need = f", primary need: {need_words(pupil['primary_need'])}" if isinstance(pupil["primary_need"], str) else ""
    eal = " English is an additional language." if pd.notna(pupil["eal"]) and bool(pupil["eal"]) else ""
    panels = [
        html_block(
            f"<h2>{html.escape(name or upn)}</h2><p>{year_group_label(pupil['year_group'])}, "
            f"{html.escape(pupil['school'])}: {provision}{html.escape(need)}.{eal}</p>"
        )
    ]
    if data.progress is not None:
        mine = data.progress[data.progress["upn"] == upn]
        rows = []
        for record in mine.itertuples(index=False):
            flags = ", ".join(label for column, label in TEST_LABELS.items() if _true(getattr(record, column)))
            rows.append(
                f"<tr><td>{html.escape(str(record.subject).capitalize())}</td><td>{_verdict(record.verdict)}"
                + (f"<br><span class='note'>tests flagged: {flags}</span>" if flags else "")
                + f"</td><td>{html.escape(record.reason)}</td></tr>"
            )
        absent = [
            f"{int(n)} in {str(subject).lower()}" for subject, n in zip(mine["subject"], mine["n_no_score"]) if n > 0
        ]
        unscored = (
            f"<p class='note'>Assessments with no score (absent, not taken or blank), not used: "
            f"{', '.join(absent)}.</p>"
            if absent
            else ""
        )
        panels.append(
            html_block(
                "<h3>Progress: the four tests</h3>"
                + (
                    "<table><tr><th>Subject</th><th>Verdict</th><th>Why</th></tr>" + "".join(rows) + "</table>"
                    if rows
                    else "<p>No scores recorded for this pupil in the assessments file: progress cannot be judged.</p>"
                )
                + unscored,
                "sendlib-progress",
            )
        )
        figures = []
        for subject in mine["subject"].astype(str):
            band = pupil_progress_band(data.peers, data.peer_key(upn), subject)
            if len(band):

                def draw(band=band, subject=subject):
                    fig, ax = new_figure(*BAND_SIZE, PROGRESS_BAND_MARGINS)  # drawn at every pupil: fixed margins
                    plot_progress_band(band, subject, ax=ax)
                    return fig, progress_band_words(subject, band)

                figures.append(chart(draw, BAND_SIZE, f"{subject.lower()}: progress against peers", later))
        if figures:
            panels.append(W.HBox(figures, layout=W.Layout(flex_flow="row wrap")))
    outcome = data.eal[data.eal["upn"] == upn]
    if len(outcome):
        record = outcome.iloc[0]
        items = eal_items_words(data.eal_items[data.eal_items["upn"] == upn])
        steps = "".join(f"<li>{html.escape(s)}</li>" for s in record["next_steps"])
        panels.append(
            html_block(
                f"<h3>{'EAL and the recorded need:' if is_on_register(pupil['sen_provision']) else 'EAL or SEND?'} "
                f"the evidence</h3><p>{html.escape(record['explanation'])}</p><p><b>Next steps</b></p><ul>{steps}</ul>"
                + table_html(items),
                "sendlib-eal",
            )
        )
    plan = data.plans[data.plans["upn"] == upn]
    if len(plan):
        p = plan.iloc[0]
        due = "no review date" if pd.isna(p["review_due"]) else f"review due {p['review_due']:%d %B %Y}"
        started = "no current plan" if pd.isna(p["plan_start"]) else f"plan started {p['plan_start']:%d %B %Y}"
        meetings = (
            trust.parent_meetings[trust.parent_meetings["upn"] == upn]
            if trust.parent_meetings is not None
            else pd.DataFrame(columns=["meeting_date"])
        )
        this_year = meetings[meetings["meeting_date"] >= school_year_start(trust.as_of)]
        held = ", ".join(f"{d:%d %B %Y}" for d in sorted(this_year["meeting_date"])) or "none yet"
        panels.append(
            html_block(
                f"<h3>Support plan and parent meetings</h3><p>{started}; {due} "
                f"(<b>{p['review_status'].replace('_', ' ')}</b>).</p><p>Parent meetings this school year: {held}; "
                f"{meetings_owed_words(p['meetings_owed'])}.</p>",
                "sendlib-plan",
            )
        )
    panels.append(_pupil_provision(data, upn))
    candidate = data.candidates[data.candidates["upn"] == upn]
    if len(candidate):
        panels.append(
            html_block(
                "<h3>Consider an EHC needs assessment</h3><p>"
                + html.escape(candidate["reasons"].iloc[0])
                + "</p><p class='note'>The Code of Practice (6.63, 9.14): where a pupil has not made expected "
                "progress despite relevant and purposeful action, the school or the parents should consider "
                "asking the local authority for an EHC needs assessment.</p>",
                "sendlib-candidate",
            )
        )
    stages = data.timeline[data.timeline["upn"] == upn]
    if len(stages):
        events = trust.require("ehc_events")[lambda e: e["upn"] == upn]

        def draw_timeline():
            fig, ax = new_figure(*TIMELINE_SIZE)
            plot_ehc_timeline(events, stages, trust.as_of, ax=ax)
            return fig, ehc_timeline_words(events, stages)

        open_stages = stages[stages["status"].isin(["due", "overdue"])]
        lines = "".join(
            f"<li>{html.escape(stage.label)} ({'the LA' if stage.by == 'LA' else 'the school'}): "
            f"{_when(stage.status, days_apart(stage.due, trust.as_of))}, deadline {stage.due:%d %B %Y}</li>"
            for stage in open_stages.itertuples()
        )
        recorded = stages[stages["status"].eq("recorded")]
        history = "".join(f"<li>{html.escape(r.label)}: {r.started:%d %B %Y}</li>" for r in recorded.itertuples())
        panels.append(
            html_block(
                "<h3>EHC needs assessment and plan: what is open</h3>"
                + (f"<ul>{lines}</ul>" if lines else "<p>Nothing open.</p>")
                + (f"<p>Also recorded:</p><ul>{history}</ul>" if history else ""),
                "sendlib-ehc",
            )
        )
        panels.append(chart(draw_timeline, TIMELINE_SIZE, "the EHC needs assessment", later))
    return panels


def _pupil_provision(data: Prepared, upn: str) -> W.HTML:
    if data.provision is None or data.costs is None:
        return html_block(
            "<h3>Provision</h3><p>No provision map was supplied (provisions.csv).</p>", "sendlib-provision"
        )
    mine = data.provision[data.provision["upn"] == upn]
    if mine.empty:
        return html_block("<h3>Provision</h3><p>No provision recorded for this pupil.</p>", "sendlib-provision")
    lines = pupil_cost_words(data.costs.set_index("upn").loc[upn], pupil_status(data, upn))
    summary = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    return html_block(
        "<h3>Provision</h3>" + summary + table_html(pupil_provision_rows(mine, data.impact or None)),
        "sendlib-provision",
    )


def _pack(data: Prepared, upn: str):
    """The pupil's evidence pack from what the explorer has worked out (the pack and the summary)."""
    return evidence_pack(
        data.trust,
        upn,
        progress=data.progress,
        duties=data.duties,
        provision=data.provision,
        costs=data.costs,
        impact=data.impact or None,
        eal=data.eal,
        eal_items=data.eal_items,
        timeline=data.timeline,
        candidates=data.candidates,
        peers=data.peers,
        peer_key=data.peer_key,
    )


def _pack_button(data: Prepared, upn: str, built: Callable[[], None]) -> W.VBox:
    """A button that builds the pupil's evidence pack for a request for an EHC needs assessment
    (HTML, and an A4 PDF when Chromium is installed) from what the explorer has worked out,
    offers both to download, and writes a line in the access log."""
    intro = (
        "<h3>Evidence for an EHC needs assessment</h3><p class='note'>Everything above, with the needs "
        "history, support plans, parent meetings and the EHC process so far, as one page to print or send "
        "to the local authority (HTML and A4 PDF). It holds personal data: keep and share it under the "
        "trust's data-protection policy.</p>"
    )
    return _page_button(
        intro,
        "Build the evidence pack",
        "sendlib-pack",
        f"evidence-pack-{upn}",
        lambda: pack_html(_pack(data, upn)),
        built,
    )


def _summary_button(data: Prepared, upn: str, built: Callable[[], None]) -> W.VBox:
    """A button that makes the pupil's one-page summary for a meeting with their parents
    (:mod:`sendlib.summary`; HTML and one A4 page of PDF) as the evidence pack is made: from the
    pack, and logged."""
    intro = (
        "<h3>One-page summary for a parent meeting</h3><p class='note'>The pupil's support plan, progress, "
        "support and what falls due next on one A4 page, with a box for what you agree at the meeting (HTML "
        "and PDF). It holds personal data: keep and share it under the trust's data-protection policy.</p>"
    )

    def page() -> str:
        return summary_html(pupil_summary(data.trust, upn, pack=_pack(data, upn), todo=data.todo, plans=data.plans))

    return _page_button(
        intro, "One-page summary for a parent meeting", "sendlib-meeting", f"pupil-summary-{upn}", page, built
    )


def _page_button(
    intro: str, label: str, css: str, name: str, make: Callable[[], str], built: Callable[[], None]
) -> W.VBox:
    """A button that makes a pupil's page (``make``: its HTML), prints it to A4 PDF when Chromium
    is installed, offers both to download as ``name``, and calls ``built`` (the access log's line)."""
    button = W.Button(description=label, icon="file-text", layout=W.Layout(width="320px"))
    button.add_class(f"{css}-button")
    result = W.VBox()
    box = W.VBox([html_block(intro), button, result])

    def build(*_):
        button.disabled = True
        result.children = [html_block("<p class='note'>Making the page (a few seconds)...</p>")]
        page = make()
        files = [("html", "text/html", page.encode("utf-8"))]
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "page.html"
            path.write_text(page, encoding="utf-8")
            pdf = pack_pdf(path)
            if pdf is not None:
                files.append(("pdf", "application/pdf", pdf.read_bytes()))
        built()
        missing = "" if len(files) == 2 else " (no PDF: Chromium is not installed on the server)"
        result.children = [
            html_block(f"<p class='sendlib-downloads'>{downloads(name, files)}{html.escape(missing)}</p>")
        ]
        button.disabled = False

    button.on_click(guarded(build, label[:1].lower() + label[1:], result))
    box.add_class(css)
    return box


def pupil_status(data: Prepared, upn: str) -> str:
    return data.trust.pupils.set_index("upn").at[upn, "sen_provision"]


def _school_provision(data: Prepared, school: str) -> list:
    if data.provision is None or data.costs is None:
        return [html_block("<h3>Provision map</h3><p>No provision map was supplied (provisions.csv).</p>")]
    table = data.provision[data.provision["school"] == school]
    summary = provision_summary(table).drop(columns=["school"])
    summary["hours_per_week_now"] = summary["hours_per_week_now"].round(1)
    summary["cost_last_12_months"] = summary["cost_last_12_months"].map(
        lambda c: "not known" if pd.isna(c) else f"£{c:,.0f}"
    )
    summary.columns = [
        "Area of need",
        "SEN provision",
        "Pupils",
        "Interventions",
        "Pupil hours a week now",
        "Cost, last 12 months",
    ]
    costs = data.costs[(data.costs["school"] == school) & data.costs["over_threshold"]]
    over = pd.DataFrame(
        {
            "upn": costs["upn"],
            "Pupil": _names(data, costs["upn"]),
            "SEN": costs["sen_provision"].map(lambda p: PROVISION_WORDS[p].label),
            "Hours a week now": costs["hours_per_week"].round(1),
            "Cost a year now": costs["cost_a_year"].map("£{:,.0f}".format),
            "Why": costs["reason"],
        }
    )
    impact = pd.DataFrame(list(data.impact))
    files = [("xlsx", XLSX, provision_workbook(data.trust, school, impact=impact))]
    name = f"sendlib-provision-map-{_slug(school)}"
    if len(impact):
        shown = pd.DataFrame(
            {
                "Intervention": impact["intervention"],
                "Pupils": impact["n_pupils"],
                "Measured": impact["n_measured"],
                "Effect, points (95% interval)": [
                    "" if pd.isna(e) else f"{e:+.1f} ({lo:+.1f} to {hi:+.1f})"
                    for e, lo, hi in zip(impact["effect"], impact["lower_95"], impact["upper_95"])
                ],
                "Verdict": impact["verdict"].map(VERDICT_WORDS),
                "Cost per pupil": impact["cost_per_pupil"].map(lambda c: "" if pd.isna(c) else f"£{c:,.0f}"),
            }
        )
        works = (
            "<h3>What works here (the whole trust)</h3><p class='note'>How pupils' level moved after each "
            "intervention started, against pupils with the same SEN provision, every intervention estimated "
            f"together: points on the test's scale; a verdict needs {MIN_PUPILS} pupils with scores before and "
            "after. Interventions aimed at speech, social skills or wellbeing may help without showing in "
            "test scores.</p>" + table_html(shown)
        )
    else:
        works = "<h3>What works here</h3><p>Not measured: this needs assessments.csv with scores.</p>"
    recent = table.loc[table["last_12_months"], "upn"].nunique()
    return [
        html_block(
            f"<h3>Provision map ({count_words(table, table, 'pupil', narrowed=False)})</h3>"
            + (
                f"<p class='note'>Every provision on record; {recent} of these pupils had provision "
                "running in the last 12 months (the committee page counts those).</p>" + table_html(summary)
                if len(summary)
                else "<p>No provision recorded.</p>"
            )
            + f"<p class='sendlib-downloads'>The map, each pupil's cost and what works, as a workbook: "
            f"{downloads(name, files)}</p>",
            "sendlib-provision-map",
        ),
        PupilList(
            f"Above the £{NOTIONAL_SEN_THRESHOLD:,} notional SEN threshold",
            over,
            f"sendlib-over-threshold-{_slug(school)}",
            "sendlib-over-threshold",
            note="Each pupil's provision now, costed for a year, against the threshold a school meets from its "
            "own budget.",
        ),
        html_block(works, "sendlib-what-works"),
    ]


def _slug(school: str) -> str:
    return school.lower().replace(" ", "-")


# The filters of the school lists: facts about each pupil, in words
YEAR, PROVISION, NEED, SUBJECT = "Year group", "SEN provision", "Primary need", "Subject"
NO_NEED = "Not recorded"


def _year_words(year_group) -> str:
    """ "Year 3", "Reception", "Nursery (N1)"."""
    label = year_group_label(year_group)
    return {"R": "Reception", "N1": "Nursery (N1)", "N2": "Nursery (N2)"}.get(label, label.replace("Y", "Year "))


def _need_phrase(need: str) -> str:
    return "with no primary need recorded" if need == NO_NEED else f"whose primary need is {need[:1].lower()}{need[1:]}"


def _facts(data: Prepared, school: str) -> pd.DataFrame:
    """What the filters ask of each of the school's pupils, in the words they offer (by UPN)."""
    pupils = data.trust.pupils[data.trust.pupils["school"] == school].set_index("upn")
    return pd.DataFrame(
        {
            YEAR: pupils["year_group"].map(_year_words),
            PROVISION: pupils["sen_provision"].map(lambda p: PROVISION_WORDS[p].label),
            NEED: pupils["primary_need"].map(lambda n: need_words(n) if isinstance(n, str) and n else NO_NEED),
            "year_group": pupils["year_group"],
        },
        index=pupils.index,
    )


def _filters(data: Prepared, facts: pd.DataFrame, subjects: bool = False) -> list[Filter]:
    """Year group, SEN provision and primary need (those of the school's pupils); the subject
    where the lists have one (``subjects``: the progress lists)."""
    years = facts.sort_values("year_group")[YEAR].drop_duplicates()
    needs = sorted(set(facts[NEED]) - {NO_NEED}) + ([NO_NEED] if NO_NEED in set(facts[NEED]) else [])
    filters = [
        Filter(YEAR, "All year groups", tuple(years), lambda v: f"in {v}"),
        Filter(
            PROVISION,
            "All SEN provision",
            tuple(w.label for w in PROVISION_WORDS.values()),
            lambda v: next(w.of_a_pupil for w in PROVISION_WORDS.values() if w.label == v),
        ),
        Filter(
            NEED,
            "All primary needs",
            tuple(needs),
            _need_phrase,
        ),
    ]
    if subjects and data.progress is not None:
        names = tuple(str(s).capitalize() for s in data.progress["subject"].dropna().unique())
        filters.append(Filter(SUBJECT, "All subjects", names, lambda v: f"for {v.lower()}", of_list=True))
    return filters


def _names(data: Prepared, upns: pd.Series) -> pd.Series:
    pupils = data.trust.pupils.set_index("upn")
    return upns.map(lambda u: f"{pupils.at[u, 'surname']}, {pupils.at[u, 'forename']}")


def _stage_words(stage, as_of, done_word: str) -> str:
    """An LA milestone in words: done (on time or late), or its deadline and the days left."""
    if stage is None:
        return "not owed (the LA decided not to assess)"
    if pd.notna(stage.done):
        return f"{done_word} {stage.done:%d %b %Y}" + (" (late)" if stage.status == "late" else "")
    return f"by {stage.due:%d %b %Y}: {_when(stage.status, days_apart(stage.due, as_of))}"


def _school_assessments(data: Prepared, school: str) -> list:
    """Pupils to consider for an EHC needs assessment, requests with the LA now, and Year 9+
    reviews held without a preparing-for-adulthood focus."""
    as_of = data.trust.as_of
    candidates = data.candidates[data.candidates["school"] == school]
    shown = pd.DataFrame(
        {
            "upn": candidates["upn"],
            "Pupil": _names(data, candidates["upn"]),
            "Year": candidates["year_group"].map(year_group_label),
            "Support plans (reviewed)": [
                f"{n} ({r})" for n, r in zip(candidates["support_plans"], candidates["reviewed_plans"])
            ],
            "Less than expected progress in": candidates["subjects_below"].replace("", "none (listed for cost)"),
            "Why": candidates["reasons"],
        }
    )
    blocks: list = [
        PupilList(
            "Consider for an EHC needs assessment",
            shown,
            f"sendlib-ehc-candidates-{_slug(school)}",
            "sendlib-candidates",
            note=f"Pupils {html.escape(CANDIDATE_RULE)}; pupils whose request is with the local authority now are "
            "listed below instead.",
        )
    ]
    timeline = data.timeline[data.timeline["school"] == school]
    la_stages = timeline[timeline["by"].eq("LA") & timeline["stage"].isin(["decision", "final_plan"])]
    waiting = la_stages.groupby(["upn", "started"]).filter(lambda rows: rows["status"].isin(["due", "overdue"]).any())
    rows = []
    for (upn, requested), stages in waiting.groupby(["upn", "started"], sort=False):
        by_stage = {stage.stage: stage for stage in stages.itertuples()}
        rows.append(
            {
                "upn": upn,
                "Pupil": _names(data, pd.Series([upn])).iloc[0],
                "Requested": f"{requested:%d %b %Y}",
                "LA decision (6 weeks)": _stage_words(by_stage.get("decision"), as_of, "decided"),
                "Final EHC plan (20 weeks)": _stage_words(by_stage.get("final_plan"), as_of, "issued"),
            }
        )
    columns = ["upn", "Pupil", "Requested", "LA decision (6 weeks)", "Final EHC plan (20 weeks)"]
    blocks.append(
        PupilList(
            "Requests with the local authority now",
            pd.DataFrame(rows, columns=columns),
            f"sendlib-ehc-requests-{_slug(school)}",
            "sendlib-requests",
        )
    )
    pfa = timeline[timeline["stage"].eq("pfa_review") & timeline["status"].eq("missed")]
    pfa = pfa[pfa["started"] > as_of - pd.DateOffset(months=12)]
    no_focus = pd.DataFrame(
        {
            "upn": pfa["upn"],
            "Pupil": _names(data, pfa["upn"]),
            "Review held": pfa["started"].dt.strftime("%d %b %Y"),
        }
    )
    blocks.append(
        PupilList(
            f"Year 9+ annual reviews without a preparing-for-adulthood focus, {LAST_12_MONTHS}",
            no_focus,
            f"sendlib-pfa-reviews-{_slug(school)}",
            "sendlib-pfa",
            note="From Year 9 every annual review should look at employment, independent living, friends and "
            "community, and health (Code of Practice 8.9); plan the next review with that focus.",
            unit="",
        )
    )
    return blocks


TEST_LABELS = {
    "slower_than_peers": "(a) slower than pupils from the same start",
    "below_previous_rate": "(b) slower than before",
    "gap_not_closing": "(c) attainment gap not closing",
    "gap_widening": "(d) gap widening",
}
PROGRESS_TESTS = ("slower_than_peers", "below_previous_rate", "gap_widening")  # (c) is listed apart
_VERDICT_CLASS = {
    "not enough scores yet": "unknown",
    "as expected": "ok",
    "attainment gap not closing": "gap",
}


def _true(flag) -> bool:
    return not pd.isna(flag) and bool(flag)


def _verdict(verdict: str) -> str:
    words = "progress as expected" if verdict == "as expected" else verdict
    return f'<span class="{_VERDICT_CLASS.get(verdict, "flag")}">{html.escape(words)}</span>'


ON_REGISTER = frozenset({PROVISION_WORDS["K"].label, PROVISION_WORDS["E"].label})
REGISTER_PARTS = (  # a flag means one thing on the register and another off it
    ("On the SEN register", "review their support plan and provision.", PROVISION, ON_REGISTER),
    (
        "Not on the SEN register",
        "high-quality teaching first; consider with the class teacher and parents whether they need SEN "
        "support (Code of Practice 6.15-6.19).",
        PROVISION,
        frozenset({PROVISION_WORDS["N"].label}),
    ),
)


def _school_lists(data: Prepared, school: str, sort: str) -> list[PupilList]:
    """The to-do list, then the progress lists (pupils flagged, and those without enough scores)."""
    lists = []
    if data.progress is not None:
        mine = data.progress[data.progress["school"] == school]
        mine = mine.assign(
            name=_names(data, mine["upn"]),
            year=mine["year_group"].map(year_group_label),
            tests=mine[list(PROGRESS_TESTS)].fillna(False).astype(int).sum(axis=1),
            letters=[
                ", ".join(TEST_LABELS[test][1] for test, flag in zip(PROGRESS_TESTS, flags) if flag)
                for flags in mine[list(PROGRESS_TESTS)].fillna(False).astype(bool).itertuples(index=False)
            ],
            subject=mine["subject"].astype(str).str.capitalize(),
            provision=mine["sen_provision"].map(lambda p: PROVISION_WORDS[p].label),
        )
        order = {
            "tests": (["tests", "name"], [False, True]),
            "name": (["name"], [True]),
            "year": (["year_group", "name"], [True, True]),
            "subject": (["subject", "name"], [True, True]),
        }[sort]
        mine = mine.sort_values(order[0], ascending=order[1])
        columns = {"upn": "upn", "name": "Pupil", "year": "Year", "provision": "SEN provision", "subject": SUBJECT}
        progress_lists = [
            (
                "Progress slower than expected: tests (a), (b) or (d)",
                "slower-progress",
                mine[mine["slower_progress"].fillna(False).astype(bool)],
                {"letters": "Tests flagged", "reason": "Why"},
            ),
            (
                "Attainment gap not closing: test (c)",
                "gap-not-closing",
                mine[mine["gap_not_closing"].fillna(False).astype(bool)],
                {"gap_latest": "Points from peers", "reason": "Why"},
            ),
            (
                "Not enough scores yet to judge (fewer than three, or all in one term)",
                "not-enough-scores",
                mine[~mine["enough_scores"].fillna(False).astype(bool)],
                {"n_scores": "Scores so far", "reason": "Why"},
            ),
        ]
        for index, (title, file, rows, extra) in enumerate(progress_lists):
            table = rows[[*columns, *extra]].rename(columns={**columns, **extra})
            if "Points from peers" in table:
                table["Points from peers"] = table["Points from peers"].round().astype("Int64")
            lists.append(
                PupilList(
                    title,
                    table,
                    f"sendlib-{file}-{_slug(school)}",
                    "sendlib-flagged",
                    parts=REGISTER_PARTS if index < 2 else (),
                )
            )
    todo = data.todo[data.todo["school"] == school]
    shown = pd.DataFrame(
        {
            "upn": todo["upn"],
            "Status": todo["status"],
            "By": todo["by"].dt.strftime("%d %b %Y").fillna(""),
            "When": [_when(status, days) for status, days in zip(todo["status"], todo["days"])],
            "Pupil": _names(data, todo["upn"]),
            "What": todo["what"],
            "Required by": todo["basis"].map({"statutory": "law", "trust policy": "trust policy"}),
        }
    )
    # the to-do list first: what a SENCO acts on this week, before the lists to look into
    todo_list = PupilList(
        "To do: overdue, owed without a date, due in the next 30 days, and parent meetings owed this term",
        shown,
        f"sendlib-to-do-{_slug(school)}",
        "sendlib-todo",
        empty="Nothing to do.",
        unit="",
        tally=(
            "Status",
            (
                ("overdue", "overdue"),
                ("no deadline", "owed with no date"),
                ("due", "due (in the next 30 days, or a parent meeting this term)"),
            ),
        ),
    )
    return [todo_list, *lists]
