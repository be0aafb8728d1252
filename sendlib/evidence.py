"""A pupil's evidence pack for a request for an EHC needs assessment: what the local authority
asks a school for, from the export, in one page to print or send (HTML, and PDF with Chromium).

The pack (:func:`evidence_pack`) gathers, for one pupil: the facts; their needs over the
censuses; their support plans (assess, plan, do, review); their additional provision with its
cost and what each intervention has done across the trust; their progress by the Code's four
tests, with a chart for each subject against pupils who started at the same level; the EAL
evidence when English is an additional language; the meetings with their parents; the EHC
process so far (the local authority's milestones and the school's duties); and why sendlib
suggests considering an assessment, when it does. Any file but pupils.csv may be missing: its
part of the pack then says so in a sentence.

The pack holds personal data (names, dates of birth, needs): whoever makes or keeps one handles
it under the trust's data-protection policy. Everything in it is text, escaped when the page is
made (:func:`sendlib.render.evidence`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from . import render
from .codes import LANGUAGES, PROVISION_WORDS, need_words, year_group_label
from .exceptions import SendlibError
from .loader import TrustData
from .provision import pupil_cost_words, pupil_provision_rows

# what a deadline's status is, in words (sendlib.duties.STATUSES, and "recorded" for an event
# with no deadline)
STATUS_WORDS = {
    "met": "met on time",
    "late": "done late",
    "due": "due",
    "overdue": "overdue",
    "missed": "missed",
    "too_early": "asked too early",
    "recorded": "recorded",
}
WHO_WORDS = {"LA": "Local authority", "school": "School"}
TITLE = "Evidence for an EHC needs assessment: {}"
PERSONAL_DATA = (
    "This {} holds personal data about a child: keep it, share it and delete it under the trust's "
    "data-protection policy."
)  # "pack", "page"
# the sentence each part shows when there is nothing in it, by the file it comes from
MISSING_FILE = {
    "history": "No census history recorded (sen_history.csv).",
    "plans": "No support plans recorded (support_plans.csv).",
    "provision": "No provision map was supplied (provisions.csv).",
    "progress": "No assessments recorded (assessments.csv).",
    "meetings": "No parent meetings recorded (parent_meetings.csv).",
    "timeline": "No EHC events recorded (ehc_events.csv).",
}
NOTHING_FOR_PUPIL = {
    "history": "No census records of this pupil in sen_history.csv.",
    "plans": "No support plans recorded for this pupil.",
    "provision": "No additional provision recorded for this pupil.",
    "progress": "No scores recorded for this pupil.",
    "meetings": "No meetings with this pupil's parents recorded.",
    "timeline": "No request for an EHC needs assessment, and no EHC plan, is recorded for this pupil.",
}


@dataclasses.dataclass
class EvidencePack:
    """One pupil's evidence for an EHC needs assessment; every table is already text with
    plain-English headers. A part with nothing in it is an empty table, and ``notes`` says why
    in a sentence (by part: ``history``, ``plans``, ``provision``, ``progress``, ``eal``,
    ``meetings``, ``timeline``, ``candidate``)."""

    upn: str
    name: str
    school: str
    as_of: pd.Timestamp
    facts: dict[str, str]  # label -> value, in the order shown
    history: pd.DataFrame  # the censuses: school, year group, SEN provision, need
    plans: pd.DataFrame  # support plans: started, review due, review held, outcome
    provision: pd.DataFrame  # each intervention, its hours and cost, and what it has done across the trust
    provision_summary: list[str]  # the pupil's provision and its cost, in sentences
    progress: pd.DataFrame  # by subject: the verdict of the four tests and why
    bands: dict[str, pd.DataFrame]  # subject -> sendlib.progress.pupil_progress_band (the charts)
    eal: dict[str, object]  # English as an additional language: explanation, next_steps, situation (or {})
    eal_items: pd.DataFrame  # the EAL evidence items: which way each points, and why
    meetings: pd.DataFrame  # meetings with the parents
    timeline: pd.DataFrame  # the EHC process: the LA's milestones, the school's duties, events with no deadline
    school_part: list[str]  # the school's duties, with their statuses, in sentences
    la_part: list[str]  # the local authority's milestones and recorded events, in sentences
    request_starts: list[str]  # the deadlines a request for an assessment starts, in sentences
    ehc_events: pd.DataFrame  # the pupil's rows of ehc_events.csv (``event, date``: the chart)
    stages: pd.DataFrame  # the pupil's rows of sendlib.ehc.ehc_timeline, as they are (the chart)
    candidate_reasons: str  # why sendlib suggests considering an assessment ("" when it does not)
    notes: dict[str, str] = dataclasses.field(default_factory=dict)
    as_of_warning: str = ""

    @property
    def title(self) -> str:
        return TITLE.format(self.name)

    @property
    def footer(self) -> str:
        """The footer line: the date of the data, and that the pack holds personal data."""
        return f"Data as of {self.as_of:%d %B %Y}. {PERSONAL_DATA.format('pack')}"


def pupil_name(pupil: pd.Series, upn: str) -> str:
    """A pupil's forename and surname, or "pupil <UPN>" when the export has neither."""
    name = " ".join(v for v in (pupil.get("forename"), pupil.get("surname")) if isinstance(v, str) and v)
    return name or f"pupil {upn}"


def pack_title(trust: TrustData, upn: str) -> str:
    """The title of a pupil's evidence pack: "Evidence for an EHC needs assessment: <name>"."""
    pupils = trust.pupils.set_index("upn")
    return TITLE.format(pupil_name(pupils.loc[upn], upn) if upn in pupils.index else f"pupil {upn}")


def _date(value, form: str = "%d %b %Y", missing: str = "") -> str:
    return missing if pd.isna(value) else f"{pd.Timestamp(value):{form}}"


def _text(value, missing: str = "") -> str:
    return missing if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _flag(value) -> bool | None:
    """A yes/no value of the export (Python's or NumPy's bool, or missing) as True, False or None."""
    return None if value is None or pd.isna(value) else bool(value)


def _provision_words(code) -> str:
    return PROVISION_WORDS[code].label if code in PROVISION_WORDS else _text(code, "not recorded")


def _first_upper(text: str) -> str:
    """The first letter in capitals, the rest as it is ("EAL" stays "EAL")."""
    return text[:1].upper() + text[1:]


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}{'s' * (n != 1)}"


def _facts(pupil: pd.Series, upn: str, name: str) -> dict[str, str]:
    if _flag(pupil.get("eal")) is True:
        language = LANGUAGES.get(_text(pupil.get("first_language")), "")
        eal = "Yes" + (f" (first language: {language})" if language else "")
    else:
        eal = "No" if _flag(pupil.get("eal")) is False else "Not recorded"
    return {
        "Name": name,
        "UPN": upn,
        "Date of birth": _date(pupil.get("date_of_birth"), "%d %B %Y", "not recorded"),
        "School": str(pupil["school"]),
        "Year group": year_group_label(pupil["year_group"]) or "not recorded",
        "SEN provision": _provision_words(pupil["sen_provision"]),
        "Primary need": need_words(pupil.get("primary_need")),
        "Secondary need": need_words(pupil.get("secondary_need")),
        "English as an additional language": eal,
    }


def _mine(frame: pd.DataFrame | None, upn: str) -> pd.DataFrame | None:
    return None if frame is None else frame[frame["upn"] == upn]


def _history(rows: pd.DataFrame) -> pd.DataFrame:
    rows = rows.sort_values("census_date")
    return pd.DataFrame(
        {
            "Census": rows["census_date"].map(lambda d: _date(d, "%B %Y")),
            "School": rows["school"].map(_text),
            "Year group": rows["year_group"].map(year_group_label),
            "SEN provision": rows["sen_provision"].map(_provision_words),
            "Primary need": rows["primary_need"].map(need_words),
        }
    )


def _plans(rows: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    rows = rows.sort_values("plan_start")
    return pd.DataFrame(
        {
            "Plan started": rows["plan_start"].map(_date),
            "Review due": rows["review_due"].map(lambda d: _date(d, missing="no date set")),
            "Review held": [
                _date(held) if pd.notna(held) else ("not yet" if pd.isna(due) or due >= as_of else "not recorded")
                for held, due in zip(rows["review_held"], rows["review_due"])
            ],
            "Outcome": [
                _text(outcome, "not recorded" if pd.notna(held) else "not reviewed yet")
                for outcome, held in zip(rows["outcome"], rows["review_held"])
            ],
        }
    )


def _progress(rows: pd.DataFrame) -> pd.DataFrame:
    rows = rows.sort_values("subject", key=lambda s: s.astype("str"))
    return pd.DataFrame(
        {
            "Subject": rows["subject"].astype("str").str.capitalize(),
            "Verdict": rows["verdict"].map(lambda v: "progress as expected" if v == "as expected" else str(v)),
            "Why": rows["reason"].map(_text),
        }
    )


def _status(row) -> str:
    words = STATUS_WORDS.get(row.status, str(row.status).replace("_", " "))
    if row.status in ("late", "overdue") and row.days_late:
        words += f" ({row.days_late} day{'s' * (row.days_late != 1)} past the deadline)"
    return words


def _timeline(rows: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "What": rows["label"],
            "Whose": rows["by"].map(lambda b: WHO_WORDS.get(b, str(b))),
            "Clock started": rows["started"].map(_date),
            "Deadline": rows["due"].map(_date),
            "Done": rows["done"].map(_date),
            "Status": [_status(row) for row in rows.itertuples(index=False)],
        }
    )


def _source(stage: str) -> str:
    from .duties import REGISTRY
    from .ehc import LA_MILESTONES

    duty = REGISTRY.get(stage) or LA_MILESTONES.get(stage)
    return f" ({duty.source})" if duty is not None and duty.source else ""


def _line(row, refusals: set) -> str:
    """One stage of the EHC process in a sentence: what, its status, its dates and its source (and
    for the LA's decision, which way it went)."""
    if row.stage == "decision" and pd.notna(row.done):
        decided = "not to assess" if row.done in refusals else "to assess"
        return (
            f"{row.label}: {_status(row)}; asked on {_date(row.started, '%d %B %Y')}, decided {decided} on "
            f"{_date(row.done, '%d %B %Y')}, deadline {_date(row.due, '%d %B %Y')}{_source(row.stage)}."
        )
    if row.status == "recorded":
        return f"{row.label}: recorded on {_date(row.done, '%d %B %Y')}."
    if row.stage == "reassessment_timing":
        when = f"asked on {_date(row.done, '%d %B %Y')}, not before {_date(row.due, '%d %B %Y')}"
    else:
        when = f"deadline {_date(row.due, '%d %B %Y')}" + (
            f", done {_date(row.done, '%d %B %Y')}" if pd.notna(row.done) else ""
        )
    return f"{row.label}: {_status(row)}; {when}{_source(row.stage)}."


def timeline_frame() -> pd.DataFrame:
    """An empty frame of :func:`sendlib.ehc.ehc_timeline`'s columns."""
    from .ehc import TIMELINE_COLUMNS

    dates = ("started", "due", "done")
    return pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c in dates else "object") for c in TIMELINE_COLUMNS})


def _parts(rows: pd.DataFrame, events: pd.DataFrame) -> tuple[list[str], list[str]]:
    """The school's duties, and the local authority's milestones and events, in sentences."""
    refusals = set(events.loc[events["event"].eq("decision_not_to_assess"), "date"])
    school = [_line(row, refusals) for row in rows[rows["by"].eq("school")].itertuples(index=False)]
    la = [_line(row, refusals) for row in rows[rows["by"].ne("school")].itertuples(index=False)]
    return school, la


def what_happens_next() -> list[str]:
    """The deadlines a request for an EHC needs assessment starts, in sentences (from the declared
    milestones and duties, so that the words and the rules cannot disagree)."""
    from .duties import REGISTRY
    from .ehc import LA_MILESTONES

    decision, final = LA_MILESTONES["decision"], LA_MILESTONES["final_plan"]
    info, views = REGISTRY["info_for_needs_assessment"], REGISTRY["draft_plan_views"]
    return [
        f"{decision.label}: the local authority decides whether to assess ({decision.source}).",
        f"{info.label}: the school sends the information the local authority asks for ({info.source}).",
        f"{views.label}: the school sends its views on a draft plan ({views.source}).",
        f"{final.label}, counted from the request ({final.source}).",
    ]


def _candidate_note(pupil: pd.Series, trust: TrustData, as_of) -> str:
    """Why the pack has no reasons from :func:`sendlib.ehc.ehc_candidates`, in a sentence."""
    from .ehc import CANDIDATE_RULE, assessment_requests

    if pupil["sen_provision"] == "E":
        return "The pupil has an EHC plan."
    upn = str(pupil.name)  # (pupils indexed by UPN)
    requests = assessment_requests(trust, as_of, [upn]).get(upn, [])
    if requests and requests[-1].with_the_la:
        return (
            f"A request made on {requests[-1].asked:%d %B %Y} is with the local authority: see the EHC process below."
        )
    criteria = (
        f"Not among the pupils sendlib suggests considering for an assessment: pupils {CANDIDATE_RULE}. The school "
        "may still ask, and so may the parents."
    )
    if trust.support_plans is None:
        criteria = "Whether to consider an assessment cannot be judged without support plans (support_plans.csv)."
    refusals = [r.decided for r in requests if r.refused]
    if refusals:
        return (
            f"The local authority decided not to assess on {refusals[-1]:%d %B %Y}: a new request should say what "
            "has changed since, and what was tried. " + criteria
        )
    return criteria


def evidence_pack(
    trust: TrustData,
    upn: str,
    as_of=None,
    *,
    progress: pd.DataFrame | None = None,
    duties: pd.DataFrame | None = None,
    provision: pd.DataFrame | None = None,
    costs: pd.DataFrame | None = None,
    impact: pd.DataFrame | Iterable[dict] | None = None,
    eal: pd.DataFrame | None = None,
    eal_items: pd.DataFrame | None = None,
    timeline: pd.DataFrame | None = None,
    candidates: pd.DataFrame | None = None,
    peers: TrustData | None = None,
    peer_key: Callable[[str], str] = str,
) -> EvidencePack:
    """One pupil's evidence for a request for an EHC needs assessment.

    Parameters
    ----------
    trust : TrustData
        Only pupils.csv is needed; every other file adds its part of the pack, and a part
        whose file is missing says so in a sentence.
    upn : str
        The pupil.
    as_of : date, optional
        The day to judge from; default the trust's export date.
    progress, duties, provision, costs, impact, eal, eal_items, timeline, candidates : optional
        The trust's :func:`sendlib.assess_progress`, :func:`sendlib.statutory_duties`,
        :func:`sendlib.provision_map`, :func:`sendlib.provision_costs`,
        :func:`sendlib.provision_impact` (a frame or its records), :func:`sendlib.weigh_eal_evidence`,
        :func:`sendlib.eal_evidence_items`, :func:`sendlib.ehc.ehc_timeline` and
        :func:`sendlib.ehc.ehc_candidates`, when already worked out (for the same ``as_of``);
        else worked out here when the export has what they need.
    peers, peer_key : optional
        The trust the progress charts compare with, and the pupil's key in it (the explorer's
        pseudonymised view); default the trust itself and the UPN.

    Raises
    ------
    SendlibError
        When ``upn`` is not a pupil of the trust.
    """
    from .duties import statutory_duties
    from .ehc import ehc_candidates, ehc_timeline

    upn = str(upn or "").strip().upper()
    pupils = trust.pupils.set_index("upn")
    if not upn:
        raise SendlibError("Give the UPN of the pupil the evidence pack is for.")
    if upn not in pupils.index:
        raise SendlibError(f"No pupil with UPN {upn} in this trust's pupils.csv.")
    as_of = trust.day(as_of)
    pupil = pupils.loc[upn]
    name = pupil_name(pupil, upn)
    notes: dict[str, str] = {}

    def part(key: str, frame: pd.DataFrame | None) -> pd.DataFrame | None:
        """The pupil's rows of ``frame``, or None with the sentence that says why there are none."""
        if frame is None:
            notes[key] = MISSING_FILE[key]
            return None
        mine = frame[frame["upn"] == upn]
        if mine.empty:
            notes[key] = NOTHING_FOR_PUPIL[key]
            return None
        return mine

    history = part("history", trust.sen_history)
    plans = part("plans", trust.support_plans)
    meetings = part("meetings", trust.parent_meetings)

    # progress (the four tests) and the charts
    if progress is None and trust.assessments is not None:
        from .progress import assess_progress

        progress = assess_progress(trust, as_of)
    mine_progress = part("progress", progress)
    bands: dict[str, pd.DataFrame] = {}
    if mine_progress is not None and (peers or trust).assessments is not None:
        from .progress import pupil_progress_band

        for subject in sorted(mine_progress["subject"].astype("str").unique()):
            band = pupil_progress_band(peers or trust, peer_key(upn), subject, as_of)
            if len(band):
                bands[subject] = band

    # provision, its cost, and what each intervention has done across the trust
    if trust.provisions is not None and provision is None:
        from .provision import provision_map

        provision = provision_map(trust, as_of=as_of)
    mine_provision = part("provision", provision)
    cost = None
    if mine_provision is not None:
        if costs is None:
            from .provision import provision_costs

            costs = provision_costs(trust, as_of=as_of)
        found = costs[costs["upn"] == upn]
        cost = found.iloc[0] if len(found) else None
        if impact is None and trust.assessments is not None:
            from .provision import provision_impact

            impact = provision_impact(trust, as_of)

    # English as an additional language
    eal_words: dict[str, object] = {}
    eal_table = pd.DataFrame()
    if _flag(pupil.get("eal")) is True:
        from .eal import eal_items_words, weigh_eal_evidence_and_items

        if eal is None or eal_items is None:
            eal, eal_items = weigh_eal_evidence_and_items(trust, as_of, progress=progress)
        outcome = eal[eal["upn"] == upn]
        if len(outcome):
            record = outcome.iloc[0]
            eal_words = {
                "situation": _first_upper(str(record["situation"])),
                "explanation": record["explanation"],
                "next_steps": list(record["next_steps"]),
            }
            eal_table = eal_items_words(eal_items[eal_items["upn"] == upn])
        if trust.eal_evidence is None:
            notes["eal"] = (
                "No EAL evidence file was supplied (eal_evidence.csv): first-language assessments, the parents' "
                "report, hearing and vision checks and CAT4 scores are not recorded here."
            )
    elif _flag(pupil.get("eal")) is False:
        notes["eal"] = "English is the pupil's first language: no EAL evidence is needed."
    else:
        notes["eal"] = "The pupil's first language is not recorded (pupils.csv)."

    # the EHC process
    if trust.ehc_events is not None and timeline is None:
        timeline = ehc_timeline(trust, as_of, duties=statutory_duties(trust, as_of) if duties is None else duties)
    mine_timeline = part("timeline", timeline)
    events = (
        trust.ehc_events.loc[
            (trust.ehc_events["upn"] == upn) & (trust.ehc_events["date"] <= as_of), ["event", "date"]
        ].sort_values("date")
        if trust.ehc_events is not None
        else pd.DataFrame({"event": pd.Series(dtype="str"), "date": pd.Series(dtype="datetime64[ns]")})
    )
    school_part, la_part = _parts(mine_timeline, events) if mine_timeline is not None else ([], [])

    # why an assessment, when sendlib suggests one
    if candidates is None:
        candidates = ehc_candidates(trust, as_of, progress=progress, costs=costs)
    found = candidates[candidates["upn"] == upn]
    reasons = str(found["reasons"].iloc[0]) if len(found) else ""
    if not reasons:
        notes["candidate"] = _candidate_note(pupil, trust, as_of)

    return EvidencePack(
        upn=upn,
        name=name,
        school=str(pupil["school"]),
        as_of=as_of,
        facts=_facts(pupil, upn, name),
        history=_history(history) if history is not None else pd.DataFrame(),
        plans=_plans(plans, as_of) if plans is not None else pd.DataFrame(),
        provision=pupil_provision_rows(mine_provision, impact) if mine_provision is not None else pd.DataFrame(),
        provision_summary=[] if cost is None else pupil_cost_words(cost, pupil["sen_provision"]),
        progress=_progress(mine_progress) if mine_progress is not None else pd.DataFrame(),
        bands=bands,
        eal=eal_words,
        eal_items=eal_table,
        meetings=(
            pd.DataFrame({"Meeting held": meetings.sort_values("meeting_date")["meeting_date"].map(_date)})
            if meetings is not None
            else pd.DataFrame()
        ),
        timeline=_timeline(mine_timeline) if mine_timeline is not None else pd.DataFrame(),
        school_part=school_part,
        la_part=la_part,
        request_starts=what_happens_next(),
        ehc_events=events.reset_index(drop=True),
        stages=(mine_timeline if mine_timeline is not None else timeline_frame()).reset_index(drop=True),
        candidate_reasons=reasons,
        notes=notes,
        as_of_warning=(trust.as_of_warning or "") if as_of == trust.as_of else "",
    )


# --- the page ---------------------------------------------------------------------------------------
def pack_figures(pack: EvidencePack, dpi: int = 110) -> dict[str, list[tuple[bytes, str]]]:
    """The pack's charts as PNG images with their alt text: ``progress`` (one per subject, the
    pupil against pupils who started at the same level) and ``timeline`` (the EHC events and
    deadlines)."""
    from .plotting import ehc_timeline_words, plot_ehc_timeline, plot_progress_band, progress_band_words

    figures: dict[str, list[tuple[bytes, str]]] = {"progress": [], "timeline": []}
    for subject, band in pack.bands.items():
        fig, ax = render.new_figure(6.2, 3.6)
        plot_progress_band(band, subject, ax=ax)
        figures["progress"].append((render.figure_png(fig, dpi), progress_band_words(subject, band)))
    if len(pack.stages) or len(pack.ehc_events):
        fig, ax = render.new_figure(9, 3.8)
        plot_ehc_timeline(pack.ehc_events, pack.stages, pack.as_of, ax=ax)
        figures["timeline"].append((render.figure_png(fig, dpi), ehc_timeline_words(pack.ehc_events, pack.stages)))
    return figures


def pack_html(pack: EvidencePack) -> str:
    """The pack as a whole self-contained HTML page (figures inside it), printable on A4."""
    from . import __version__

    return render.report(
        [render.evidence(pack, pack_figures(pack))], pack.title, pack.footer, {"generator": f"sendlib {__version__}"}
    )


def pack_pdf(html_path: str | Path) -> Path | None:
    """Print a pack's HTML page to PDF beside it with Chromium: the PDF's path, or None when
    Chromium is not installed or could not print it."""
    from .reports import print_pdf

    return print_pdf(Path(html_path))


def show(data_dir: str = "", upn: str = "") -> None:
    """Display a pupil's evidence pack in a notebook (no UPN: the first pupil sendlib suggests
    considering for an assessment), or what went wrong, in a sentence."""
    from IPython.display import HTML, display

    from .ehc import ehc_candidates
    from .loader import load

    try:
        trust = load(data_dir)
        if not upn:
            candidates = ehc_candidates(trust)
            if candidates.empty:
                raise SendlibError("Give the UPN of a pupil (the upn parameter).")
            upn = candidates["upn"].iloc[0]
            display(HTML(str(render.block("<p class='note'>No UPN given: the first pupil to consider.</p>"))))
        pack = evidence_pack(trust, upn)
        display(HTML(str(render.evidence(pack, pack_figures(pack)))))
    except (SendlibError, OSError) as error:
        display(HTML(str(render.error(error))))
