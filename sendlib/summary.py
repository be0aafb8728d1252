"""A pupil's one-page summary for a meeting with their parents: printed on one A4 page.

Made from a pupil's evidence pack (:func:`sendlib.evidence.evidence_pack`) and the SENCO's
to-do list (:func:`sendlib.duties.duties_todo`), never worked out again: who the pupil is,
their SEN provision and need, English as an additional language, the current support plan,
progress in each subject in a line (and a small chart), the provision running now and its
cost, what falls due next (reviews, the parent meetings owed this year), and an empty box for
what is agreed at the meeting. A list too long for the page is cut, and says how many more the
evidence pack has.

The summary holds personal data: whoever makes or keeps one handles it under the trust's
data-protection policy. Everything in it is text, escaped when the page is made
(:func:`sendlib.render.pupil_summary`).
"""

from __future__ import annotations

import dataclasses
import re

import pandas as pd

from . import render
from .evidence import PERSONAL_DATA, EvidencePack, evidence_pack

TITLE = "Meeting with {}'s parents"
# the most lines of each list one A4 page holds (with the others full too); the rest are counted
MAX_SUBJECTS = 4
MAX_CHARTS = 2
MAX_PROVISION = 4
MAX_COMING = 5
MORE = "and {} more (see the evidence pack)"
# the sentence of a progress reason that backs each verdict (sendlib.progress._reasons): the
# line shown beside the verdict is always one of the reason's own sentences
BACKING = {
    "not enough scores yet": ("not enough scores yet to judge",),
    "as expected": ("in line with pupils who started",),
    "progress slower than expected": ("more than measurement error", "has widened"),
    "attainment gap not closing": ("Attainment gap:",),
    "slower progress and a gap not closing": ("more than measurement error", "Attainment gap:"),
}
PROVISION_SHOWN = ["Intervention", "Hours a week", "Staff"]


@dataclasses.dataclass
class SubjectLine:
    subject: str
    verdict: str  # the evidence pack's words ("progress as expected", "attainment gap not closing", ...)
    why: str  # the sentences of the reason that back the verdict
    flagged: bool  # less than expected progress, or a gap not closing


@dataclasses.dataclass
class PupilSummary:
    """One pupil's page for a meeting with their parents: every part already text."""

    pack: EvidencePack
    about: str  # year group and school
    provision: str  # SEN provision and primary need
    eal: str  # "" when English is the pupil's first language
    plan: list[str]  # the current support plan: started, review due, the last review's outcome
    progress: list[SubjectLine]
    provision_now: pd.DataFrame  # the interventions running now: what, hours, staff, cost
    provision_cost: list[str]  # the pupil's provision and its cost, in sentences (from the pack)
    coming: list[tuple[str, str, str]]  # what falls due: (by, how soon, what)
    meetings: str  # the parent meetings this school year, and how many are still owed
    more: dict[str, int] = dataclasses.field(default_factory=dict)  # part -> lines left off the page

    @property
    def title(self) -> str:
        return TITLE.format(self.pack.name)

    @property
    def footer(self) -> str:
        """The footer line: the date of the data, and that the page holds personal data."""
        return f"Data as of {self.pack.as_of:%d %B %Y}. {PERSONAL_DATA.format('page')}"

    def more_words(self, part: str) -> str:
        """ "and N more (see the evidence pack)", or "" when nothing of ``part`` was left off."""
        return MORE.format(self.more[part]) if self.more.get(part) else ""


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=\.)\s+(?=[A-Z(])", text.strip()) if s]


def subject_line(subject: str, verdict: str, reason: str) -> SubjectLine:
    """One subject's progress in a line: the verdict, and the sentences of its reason that back
    it (the whole reason when none is recognised). The subject's name is not repeated."""
    key = "as expected" if verdict == "progress as expected" else verdict
    sentences = [re.sub(rf"^{re.escape(subject)}:\s*", "", s, flags=re.I) for s in _sentences(reason)]
    backing = [next((s for s in sentences if words in s), "") for words in BACKING.get(key, ())]
    chosen = list(dict.fromkeys(s for s in backing if s)) or sentences
    why = " ".join(chosen)
    counted = re.fullmatch(r"not enough scores yet to judge progress \((.*)\)\.", why, flags=re.I)
    if key == "not enough scores yet" and counted:  # the verdict's words once, then why
        why = counted.group(1) + "."
    return SubjectLine(subject, verdict, why[:1].upper() + why[1:], key not in ("as expected", "not enough scores yet"))


def _cut(items: list, most: int, part: str, more: dict[str, int]) -> list:
    if len(items) > most:
        more[part] = len(items) - most
    return items[:most]


def _plan(plans: pd.DataFrame) -> list[str]:
    """The current support plan (the latest started) and the last review held, in sentences."""
    if plans.empty:
        return []
    current = plans.iloc[-1]
    lines = [
        f"Current plan started {current['Plan started']}; review due {current['Review due']}"
        + (f", held {current['Review held']}" if current["Review held"][:1].isdigit() else "")
        + f": {current['Outcome']}."
    ]
    held = plans[plans["Review held"].str.match(r"\d")]
    if len(held) and held.index[-1] != plans.index[-1]:
        last = held.iloc[-1]
        lines.append(
            f"Last review held {last['Review held']} (plan started {last['Plan started']}): {last['Outcome']}."
        )
    if len(plans) > 1:
        lines.append(f"{len(plans)} support plans on record: all of them are in the evidence pack.")
    return lines


def pupil_summary(
    trust,
    upn: str,
    as_of=None,
    *,
    pack: EvidencePack | None = None,
    todo: pd.DataFrame | None = None,
    plans: pd.DataFrame | None = None,
    **frames,
) -> PupilSummary:
    """One pupil's page for a meeting with their parents.

    Parameters
    ----------
    trust : TrustData
    upn : str
    as_of : date, optional
        The day to judge from; default the trust's export date.
    pack : EvidencePack, optional
        The pupil's evidence pack, when already made; else made here with ``frames`` (the
        keyword arguments of :func:`sendlib.evidence.evidence_pack`).
    todo, plans : DataFrame, optional
        :func:`sendlib.duties.duties_todo` and :func:`sendlib.duties.graduated_approach` of the
        trust (or of the user's schools), when already worked out.

    Raises
    ------
    SendlibError
        When ``upn`` is not a pupil of the trust.
    """
    from .duties import duties_todo, graduated_approach, meetings_owed_words, statutory_duties, when_words

    as_of = trust.day(as_of)
    if pack is None:
        if frames.get("duties") is None:
            frames["duties"] = statutory_duties(trust, as_of)
        pack = evidence_pack(trust, upn, as_of, **frames)
    upn = pack.upn
    if todo is None:
        duties = frames.get("duties")
        todo = duties_todo(trust, as_of, duties=statutory_duties(trust, as_of) if duties is None else duties)
    if plans is None:
        plans = graduated_approach(trust, as_of)
    more: dict[str, int] = {}
    facts = pack.facts
    need = facts["Primary need"]
    provision = facts["SEN provision"] + (f"; primary need: {need}" if need != "not recorded" else "")
    eal = ""
    if facts["English as an additional language"].startswith("Yes"):
        eal = "English is an additional language" + facts["English as an additional language"][3:] + "."
        if pack.eal:
            eal += f" {pack.eal['situation']}."
    progress = [subject_line(row["Subject"], row["Verdict"], row["Why"]) for row in pack.progress.to_dict("records")]
    running = pack.provision[pack.provision["Until"].eq("running")] if len(pack.provision) else pack.provision
    cost = next((c for c in running.columns if c.startswith("Cost")), "")
    provision_now = running[[*PROVISION_SHOWN, cost]].rename(columns={cost: "Cost so far"}) if len(running) else running
    if len(provision_now) > MAX_PROVISION:
        more["provision"] = len(provision_now) - MAX_PROVISION
    mine = todo[todo["upn"] == upn]
    coming = [
        ("" if pd.isna(row.by) else f"{row.by:%d %b %Y}", when_words(row.status, row.days), row.what)
        for row in mine.itertuples(index=False)
    ]
    plan = plans[plans["upn"] == upn]
    if len(plan):
        p = plan.iloc[0]
        held = int(p["meetings_this_year"])
        meetings = (
            f"Parent meetings this school year: {held} held"
            + (f", the last on {p['last_meeting']:%d %B %Y}" if pd.notna(p["last_meeting"]) and held else "")
            + f"; {meetings_owed_words(p['meetings_owed'])}."
        )
    else:
        meetings = "Parent meetings: the pupil is not on the SEN register, so none are owed."
    return PupilSummary(
        pack=pack,
        about=f"{facts['Year group']}, {facts['School']}",
        provision=provision,
        eal=eal,
        plan=_plan(pack.plans),
        progress=_cut(progress, MAX_SUBJECTS, "progress", more),
        provision_now=provision_now.head(MAX_PROVISION),
        provision_cost=pack.provision_summary,
        coming=_cut(coming, MAX_COMING, "coming", more),
        meetings=meetings,
        more=more,
    )


def summary_figures(summary: PupilSummary, dpi: int = 130) -> list[tuple[bytes, str]]:
    """The progress charts that fit on the page (the first ``MAX_CHARTS`` subjects with two
    scores or more), small, as PNG images with their alt text."""
    from .plotting import plot_progress_band, progress_band_words

    figures = []
    scored = {s: b for s, b in summary.pack.bands.items() if b["score"].notna().sum() >= 2}  # a line, not a dot
    for subject, band in list(scored.items())[:MAX_CHARTS]:
        fig, ax = render.new_figure(3.6, 1.9)
        plot_progress_band(band, subject, ax=ax)
        ax.set_title(subject.capitalize(), fontsize=9)
        ax.tick_params(labelsize=7)
        ax.yaxis.label.set_size(7)
        legend = ax.get_legend()
        if legend is not None:
            legend.remove()
        figures.append((render.figure_png(fig, dpi), progress_band_words(subject, band)))
    return figures


def summary_html(summary: PupilSummary, footer: str = "", meta: dict[str, str] | None = None) -> str:
    """The summary as a whole self-contained HTML page (charts inside it), one A4 page."""
    from . import __version__

    return render.report(
        [render.pupil_summary(summary, summary_figures(summary))],
        summary.title,
        footer or summary.footer,
        meta or {"generator": f"sendlib {__version__}"},
    )
