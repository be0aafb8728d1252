"""EAL is not SEND: the evidence a SENCO weighs for a pupil learning English (CoP 6.24).

Never a diagnosis. For each pupil whose first language is not English, sendlib gathers
evidence items, each a small pure function with its thresholds as named constants and
their sources, says which way each points (``SEND``, ``LANGUAGE``, ``NEUTRAL`` or
``MISSING``), and combines them by the rules below into one of four outcomes, with what to
do next. EAL support always continues.

Combining rules (the documentation, docs/methods/eal.md, has them as a table):

1. ``INSUFFICIENT_EVIDENCE`` when a key item is missing: first-language development (a
   first-language assessment or the parents' report: at least one), or the pupil's
   proficiency in English with their time in English schools.
2. ``CONSIDER_SEND_ASSESSMENT`` when first-language evidence points to SEND (a concern in
   the assessment or from the parents, and neither says age-appropriate), EAL support has
   lasted long enough, more items point to SEND than to language, and the difficulty shows
   beyond the first language: progress slower than true peers or flagged by the progress
   tests, or two other items pointing to SEND (a low non-verbal CAT4 profile, low maths,
   English proficiency stuck). Low scores in English alone never reach this.
3. ``CONSISTENT_WITH_LANGUAGE_ACQUISITION`` when first-language evidence is age-appropriate
   (no concern), at least as many items point to language as to SEND, and fewer than two
   facts beyond the first language point to SEND (:data:`SAME_FACT` once each; a low
   non-verbal CAT4 profile and low maths with an age-appropriate first language point both
   ways: a review); a review date is set.
4. ``MIXED_REVIEW`` otherwise.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._frames import isin
from .codes import BROAD_AREAS, ENGLISH_PROFICIENCY, PROVISION_WORDS
from .loader import TrustData
from .progress import assess_progress

SEND, LANGUAGE, NEUTRAL, MISSING = "SEND", "LANGUAGE", "NEUTRAL", "MISSING"
OUTCOMES = ("CONSIDER_SEND_ASSESSMENT", "CONSISTENT_WITH_LANGUAGE_ACQUISITION", "MIXED_REVIEW", "INSUFFICIENT_EVIDENCE")

# Conversational English takes 1-2 years, academic English 5-7 or more (Cummins; Devon
# guidance); two-thirds of pupils starting Reception new to English take over six years to
# reach "competent" (Strand and Lindorff 2020); 80% of EAL pupils are competent or fluent
# after five or more years in English schools, 40% after one to four (DfE, spring 2018).
EARLY_EXPOSURE_YEARS = 2.0  # stage A or B within this many years: expected
ACQUIRING_YEARS = 6.0  # stages A-C within this many years: still acquiring, as most are
STUCK_EARLY_YEARS = 4.0  # stage A or B after this many years: unusual, look further
RECENT_ARRIVAL_YEARS = 1.0  # too soon to judge progress (LA guidance: allow time to settle)
# Proficiency in English moves on about a stage every 1-2 years (Strand and Lindorff 2020);
# no change over two years or more below "competent" is worth a look.
STAGE_STALL_YEARS = 2.0
# True peers: EAL pupils at the same stage with similar time in English schools (policy
# section 8), with no SEN provision and no first-language concern; the group widens step
# by step while it has fewer than this many pupils.
MIN_TRUE_PEERS = 5
TRUE_PEER_STEPS = (  # (stage distance, years either side)
    (0, 1.0),
    (0, 2.0),
    (1, 2.0),
    (0, np.inf),
)
MIN_CHANGE_SD = 15 * np.sqrt(1 - 0.90) * np.sqrt(2 / 3)  # SEM of a mean of 3 scores, twice: ~3.9
PEER_SLOWER_Z = -1.28  # progress among the slowest tenth of true peers points to SEND
PEER_LIKE_Z = -1.0  # within a standard deviation of true peers: like them
# Slow progress counts toward SEND only after sustained EAL support (LA guidance: Hampshire
# EMTAS, Devon): sendlib takes three terms, a school year.
MIN_EAL_SUPPORT_TERMS = 3
# GL Assessment CAT4: a verbal SAS 10 or more below another battery is a significant
# difference (language-bound verbal); stanine 3 or below is SAS 88 or below; CAT4 is not
# used as SEND evidence at stages A and B (standardised tests unreliable so early).
CAT4_VERBAL_GAP = 10
CAT4_LOW_SAS = 88
PERSISTENT_ABSENCE_PCT = 90.0  # DfE: missing 10% or more of sessions is persistent absence
REVIEW_AFTER_DAYS = 182  # review a language-acquisition outcome after two terms

KEY_REQUIREMENTS = {
    "first-language development (a first-language assessment or the parents' report)": (
        "first_language_assessment",
        "parent_report",
    ),
    "proficiency in English and time in English schools": ("proficiency_and_exposure",),
}
ITEM_COLUMNS = ["upn", "school", "item", "finding", "detail"]
OUTCOME_COLUMNS = [
    "upn",
    "school",
    "situation",
    "outcome",
    "points_to_send",
    "points_to_language",
    "missing",
    "next_steps",
    "explanation",
    "review_date",
]


# --- the items: pure functions of one pupil's facts, each declared once ---------------------------
@dataclass(frozen=True)
class Evidence:
    """One EAL pupil's facts, as the items read them."""

    stage: str | None  # proficiency in English, A-E
    years_here: float | None  # years since starting school in England
    stages: list  # (census date, stage) over the census history
    change: float  # change in attainment (latest window mean minus baseline), NaN if unknown
    peer_change: float  # typical change of true peers (median)
    peer_spread: float  # their spread (1.4826 MAD)
    n_peers: int  # true peers with a change
    peers_are: str  # who the true peers are, in words
    flags: dict | None  # subject -> flagged by progress test (a), (b) or (d)
    maths_z: float | None  # maths against true peers
    n_maths_peers: int
    record: dict | None  # the pupil's row of eal_evidence.csv

    def value(self, column: str):
        return _value(self.record, column)


@dataclass(frozen=True)
class Item:
    """An evidence item: how it is named, what to do when it is missing, what it reads and its rule."""

    name: str
    label: str  # in sentences: "... not yet recorded: {label}"
    collect: str  # the next step when it is missing ("" when there is nothing to collect)
    reads: Callable[[Evidence], tuple]  # the rule's arguments from a pupil's evidence
    judge: Callable[..., tuple[str, str]]  # (finding, detail): SEND, LANGUAGE, NEUTRAL or MISSING, in words

    def __call__(self, evidence: Evidence) -> tuple[str, str]:
        return self.judge(*self.reads(evidence))


ITEMS: dict[str, Item] = {}  # every item, in the order tables show them


def item(label: str, reads: Callable[[Evidence], tuple], collect: str = "", name: str = ""):
    """Declare an evidence item: ``@item(label, reads=...)`` on its rule. From then on it is
    judged for every EAL pupil, listed in the evidence table, counted by :func:`combine` and
    named by its label among the missing items. ``collect`` becomes a next step only for the
    items the next steps ask for: the key requirements (``KEY_REQUIREMENTS``) and the
    first-language evidence and progress against true peers."""

    def register(judge):
        ITEMS[name or judge.__name__] = Item(name or judge.__name__, label, collect, reads, judge)
        return judge

    return register


@item(
    "proficiency in English and time in English schools",
    reads=lambda e: (e.stage, e.years_here),
    collect="Record the proficiency stage (A-E) and the date the pupil started school in England",
)
def proficiency_and_exposure(stage, years_here):
    """Proficiency stage A-E against years in English schools."""
    if stage is None or years_here is None:
        return MISSING, "proficiency stage or the date the pupil started school in England is not recorded"
    where = f"stage {stage} ({ENGLISH_PROFICIENCY[stage].lower()}) after {years_here:.1f} years in English schools"
    if stage in "AB" and years_here < EARLY_EXPOSURE_YEARS:
        return (
            LANGUAGE,
            f"{where}: early in learning English, as expected so soon (conversational English takes 1-2 years)",
        )
    if stage in "AB" and years_here >= STUCK_EARLY_YEARS:
        return SEND, (
            f"{where}: most pupils are well beyond this after {STUCK_EARLY_YEARS:.0f} years "
            "(80% are competent or fluent after five); worth looking further"
        )
    if stage in "ABC" and years_here < ACQUIRING_YEARS:
        return LANGUAGE, (
            f"{where}: still acquiring academic English, which takes 5-7 years or more "
            "(two-thirds of pupils new to English take over six years to reach competent)"
        )
    if stage in "DE":
        return NEUTRAL, f"{where}: competent or fluent, so language explains less of any difficulty"
    return NEUTRAL, f"{where}"


@item("progress in English proficiency", reads=lambda e: (e.stages,))
def proficiency_progress(stages: list[tuple[pd.Timestamp, str]]):
    """Change in proficiency stage across census records."""
    stages = [(d, s) for d, s in stages if isinstance(s, str)]
    if len(stages) < 2:
        return MISSING, "fewer than two records of the proficiency stage (census history)"
    (first_date, first), (last_date, last) = stages[0], stages[-1]
    years = (last_date - first_date).days / 365.25
    gained = "ABCDE".index(last) - "ABCDE".index(first)
    where = f"stage {first} in {first_date:%B %Y}, {last} in {last_date:%B %Y}"
    if gained > 0:
        return (
            LANGUAGE,
            f"{where}: English is coming on ({gained} stage{'s' if gained > 1 else ''} in {years:.1f} years)",
        )
    if years >= STAGE_STALL_YEARS and last in "ABC":
        return SEND, f"{where}: no change in {years:.1f} years while still below competent"
    return NEUTRAL, f"{where}"


@item(
    "progress against true peers",
    reads=lambda e: (e.change, e.peer_change, e.peer_spread, e.n_peers, e.peers_are),
    collect="Keep assessing termly so progress can be compared with true peers",
)
def progress_against_true_peers(change, peer_mean, peer_sd, n_peers, widened: str):
    """The pupil's change in attainment against that of true peers."""
    if change is None or not np.isfinite(change):
        return MISSING, "no progress yet to compare (fewer than two scores)"
    if n_peers < MIN_TRUE_PEERS:
        return MISSING, (
            f"only {n_peers} true peer{'s' if n_peers != 1 else ''} (EAL pupils at the same stage "
            f"with similar time here); at least {MIN_TRUE_PEERS} are needed"
        )
    # a floor on the spread: true peers' changes can agree more closely than one pupil's
    # scores can be measured (a change of two window means of a standardised test: ~3.9)
    spread = max(peer_sd, MIN_CHANGE_SD) if np.isfinite(peer_sd) else MIN_CHANGE_SD
    z = (change - peer_mean) / (spread * np.sqrt(1 + 1 / n_peers))
    where = f"scores changed by {change:+.1f} points; {n_peers} true peers ({widened}) typically by {peer_mean:+.1f}"
    if z < PEER_SLOWER_Z:
        return SEND, f"{where}: slower than nine in ten of them (z = {z:.1f})"
    if z >= PEER_LIKE_Z:
        return LANGUAGE, f"{where}: progressing like other pupils learning English at the same stage"
    return NEUTRAL, f"{where}: a little slower, within the usual spread (z = {z:.1f})"


@item("the four progress tests", reads=lambda e: (e.flags,))
def progress_tests(flags: dict[str, bool] | None):
    """The four tests of less than expected progress (subjects flagged by (a), (b) or (d))."""
    if not flags:
        return MISSING, "no scores to test"
    slow = [subject for subject, flagged in flags.items() if flagged]
    if slow:
        return SEND, f"slower than expected progress in {', '.join(slow)} (tests a, b or d)"
    return NEUTRAL, f"no slowing in {', '.join(flags)} beyond measurement error"


@item(
    "a first-language assessment",
    reads=lambda e: (e.value("l1_assessment"),),
    collect="Ask bilingual staff (or an interpreter) to assess the first language",
)
def first_language_assessment(value):
    if value == "concern":
        return SEND, "bilingual staff found concerns in the first language too"
    if value == "age_appropriate":
        return LANGUAGE, "first language assessed as age-appropriate: the difficulty is with English"
    return MISSING, "no first-language assessment by bilingual staff"


@item(
    "the parents' report of the home language",
    reads=lambda e: (e.value("parent_l1_report"),),
    collect="Ask the parents, with an interpreter if needed, how the home language is developing",
)
def parent_report(value):
    if value == "concern":
        return SEND, "parents report concerns about development in the home language"
    if value == "age_appropriate":
        return LANGUAGE, "parents report development in the home language as age-appropriate"
    return MISSING, "parents not yet asked about development in the home language"


@item(
    "documented EAL support",
    reads=lambda e: (e.value("eal_support_terms"),),
    collect="Record the EAL support given and for how long",
)
def eal_support(terms):
    if terms is None or not np.isfinite(terms):
        return MISSING, "EAL support not documented"
    if terms < MIN_EAL_SUPPORT_TERMS:
        return LANGUAGE, (
            f"{terms:.0f} term(s) of documented EAL support: slow progress counts toward SEND only "
            f"after {MIN_EAL_SUPPORT_TERMS}"
        )
    return NEUTRAL, f"{terms:.0f} terms of documented EAL support"


def sensory_check(value, sense: str):
    if value == "pass":
        return NEUTRAL, f"{sense} checked: no concern"
    if value == "concern":
        return NEUTRAL, f"{sense} check raised a concern: follow it up before drawing conclusions"
    return MISSING, f"no {sense} check recorded"


def _sensory_reads(sense: str) -> Callable[[Evidence], tuple]:
    return lambda e: (e.value(f"{sense}_check"), sense)


for _sense in ("hearing", "vision"):
    item(f"a {_sense} check", reads=_sensory_reads(_sense), name=f"{_sense}_check")(sensory_check)


@item(
    "work that depends less on English (maths, CAT4 quantitative)",
    reads=lambda e: (e.maths_z, e.n_maths_peers, e.value("cat4_quantitative")),
    collect="Compare progress in maths or another less language-heavy subject",
)
def less_language_heavy_work(maths_z, n_peers, quantitative):
    """Maths against true peers, else CAT4 quantitative: where English matters less."""
    if maths_z is not None and np.isfinite(maths_z) and n_peers >= MIN_TRUE_PEERS:
        if maths_z >= -0.5:
            return LANGUAGE, f"maths in line with true peers (z = {maths_z:.1f}): does well where English matters less"
        if maths_z < PEER_SLOWER_Z:
            return SEND, f"maths well below true peers too (z = {maths_z:.1f}), where English matters less"
        return NEUTRAL, f"maths a little below true peers (z = {maths_z:.1f})"
    if quantitative is not None and np.isfinite(quantitative):
        if quantitative >= 90:
            return LANGUAGE, f"CAT4 quantitative {quantitative:.0f}: average or above where English matters less"
        if quantitative <= 80:
            return SEND, f"CAT4 quantitative {quantitative:.0f}: low even where English matters less"
        return NEUTRAL, f"CAT4 quantitative {quantitative:.0f}"
    return MISSING, "no maths scores against true peers and no CAT4 quantitative score"


@item(
    "a CAT4 profile",
    reads=lambda e: (e.stage, *(e.value(f"cat4_{b}") for b in ("verbal", "quantitative", "nonverbal", "spatial"))),
    collect="Consider a CAT4 (from stage C)",
)
def cat4_profile(stage, verbal, quantitative, nonverbal, spatial):
    scores = {"verbal": verbal, "quantitative": quantitative, "non-verbal": nonverbal, "spatial": spatial}
    if all(v is None or not np.isfinite(v) for v in scores.values()):
        return MISSING, "no CAT4 scores"
    if stage in ("A", "B"):
        return NEUTRAL, f"stage {stage}: CAT4 is not used as SEND evidence this early in learning English"
    shown = ", ".join(f"{k} {v:.0f}" for k, v in scores.items() if v is not None and np.isfinite(v))
    low_nonlanguage = all(v is not None and np.isfinite(v) and v <= CAT4_LOW_SAS for v in (nonverbal, spatial))
    if low_nonlanguage:
        return SEND, f"{shown}: non-verbal and spatial both low (stanine 3 or below), which language does not explain"
    others = [v for v in (quantitative, nonverbal, spatial) if v is not None and np.isfinite(v)]
    if verbal is not None and np.isfinite(verbal) and others and verbal <= np.mean(others) - CAT4_VERBAL_GAP:
        return LANGUAGE, f"{shown}: verbal well below the other batteries, the profile of a pupil learning English"
    return NEUTRAL, shown


@item(
    "whether schooling was interrupted",
    reads=lambda e: (e.value("interrupted_schooling"),),
    collect="Find out whether schooling was interrupted",
)
def interrupted_schooling(value):
    if value is True:
        return NEUTRAL, "schooling was interrupted: gaps in learning, not SEND, may explain slow progress"
    if value is False:
        return NEUTRAL, "no interrupted schooling"
    return MISSING, "not recorded whether schooling was interrupted"


@item("attendance", reads=lambda e: (e.value("attendance_pct"),), collect="Record attendance")
def attendance(pct):
    if pct is None or not np.isfinite(pct):
        return MISSING, "attendance not recorded"
    if pct < PERSISTENT_ABSENCE_PCT:
        return NEUTRAL, f"attendance {pct:.0f}%: persistent absence, missed teaching may explain slow progress"
    return NEUTRAL, f"attendance {pct:.0f}%"


@item("date the pupil started school in England", reads=lambda e: (e.years_here,))
def recent_arrival(years_here):
    if years_here is None:
        return MISSING, "date the pupil started school in England not recorded"
    if years_here < RECENT_ARRIVAL_YEARS:
        return NEUTRAL, f"arrived {years_here:.1f} years ago: too soon to judge progress"
    return NEUTRAL, f"in English schools for {years_here:.1f} years"


# --- combining ----------------------------------------------------------------------------------
def missing_key_requirements(findings: dict[str, str]) -> list[str]:
    """The key requirements not met: each needs at least one of its items not MISSING."""
    return [
        name
        for name, items in KEY_REQUIREMENTS.items()
        if all(findings.get(item, MISSING) == MISSING for item in items)
    ]


# Items beyond the first language that measure one fact, counted once when they weigh the
# first language against the rest: slow progress (against true peers; the progress tests) and
# English that does not come on (proficiency for the time here; its progress between censuses).
SAME_FACT = (("progress_against_true_peers", "progress_tests"), ("proficiency_and_exposure", "proficiency_progress"))


def _facts_to_send(findings: dict[str, str]) -> int:
    """How many facts beyond the first language point to SEND (:data:`SAME_FACT` once each)."""
    grouped = {item: group[0] for group in SAME_FACT for item in group}
    beyond = {
        grouped.get(item, item)
        for item, finding in findings.items()
        if finding == SEND and item not in ("first_language_assessment", "parent_report")
    }
    return len(beyond)


def combine(findings: dict[str, str]) -> str:
    """The outcome for one pupil from the findings of their items (the rules in the module doc).

    >>> combine({"first_language_assessment": "MISSING", "parent_report": "MISSING",
    ...          "proficiency_and_exposure": "LANGUAGE"})
    'INSUFFICIENT_EVIDENCE'
    >>> combine({"first_language_assessment": "LANGUAGE", "parent_report": "LANGUAGE",
    ...          "proficiency_and_exposure": "LANGUAGE"})
    'CONSISTENT_WITH_LANGUAGE_ACQUISITION'
    """
    if missing_key_requirements(findings):
        return "INSUFFICIENT_EVIDENCE"
    first_language = [findings.get(i, MISSING) for i in ("first_language_assessment", "parent_report")]
    counts = Counter(findings.values())
    to_send, to_language = counts[SEND], counts[LANGUAGE]
    l1_send = SEND in first_language and LANGUAGE not in first_language
    l1_language = LANGUAGE in first_language and SEND not in first_language
    slow = SEND in (findings.get("progress_against_true_peers"), findings.get("progress_tests"))
    other_send = sum(
        f == SEND for item, f in findings.items() if item not in ("first_language_assessment", "parent_report")
    )
    enough_support = findings.get("eal_support", MISSING) != LANGUAGE
    if l1_send and enough_support and (slow or other_send >= 2) and to_send > to_language:
        return "CONSIDER_SEND_ASSESSMENT"
    if l1_language and to_language >= to_send and _facts_to_send(findings) < 2:  # two more facts: both ways
        return "CONSISTENT_WITH_LANGUAGE_ACQUISITION"
    return "MIXED_REVIEW"


def _next_steps(outcome, findings, checks, review_date, terms, on_register: bool, stage) -> list[str]:
    steps = [FLUENT_FIRST_STEP if stage == "E" else "Continue EAL support"]
    for sense, value in checks.items():
        if value == "concern":
            steps.append(f"Follow up the {sense} concern (medical causes first)")
        elif value != "pass":
            steps.append(f"Arrange a {sense} check")
    if outcome == "INSUFFICIENT_EVIDENCE":
        for items in KEY_REQUIREMENTS.values():
            if all(findings.get(i, MISSING) == MISSING for i in items):
                steps += [ITEMS[i].collect for i in items]
    elif outcome == "CONSIDER_SEND_ASSESSMENT" and on_register:
        steps.append(
            "Keep the SEN provision and the EAL support working together; share this evidence at the next review"
        )
    elif outcome == "CONSIDER_SEND_ASSESSMENT":
        steps.append(
            "Talk with the parents and consider assessing for SEN (assess, plan, do, review); "
            "keep tracking English as an additional language"
        )
    elif outcome == "CONSISTENT_WITH_LANGUAGE_ACQUISITION" and on_register:
        steps.append(
            "At the next SEN review, with the EAL lead, check that the recorded need is distinct from learning "
            "English (first-language evidence first)"
        )
    elif outcome == "CONSISTENT_WITH_LANGUAGE_ACQUISITION":
        steps.append(f"Review on {review_date:%d %B %Y}, or sooner if progress slows")
    else:
        steps.append("Review the evidence with the EAL lead and bilingual staff")
        if findings.get("eal_support") == LANGUAGE and terms is not None and np.isfinite(terms):
            steps.append(f"Give {MIN_EAL_SUPPORT_TERMS - terms:.0f} more term(s) of targeted EAL support, then review")
    if outcome != "INSUFFICIENT_EVIDENCE":
        for item in ("first_language_assessment", "parent_report", "progress_against_true_peers"):
            if findings.get(item) == MISSING:
                steps.append(ITEMS[item].collect)
    return steps


def _value(record, column):
    if record is None or column not in record or pd.isna(record[column]):
        return None
    value = record[column]
    return value.item() if hasattr(value, "item") else value


def _facts(trust: TrustData, as_of, progress: pd.DataFrame | None):
    pupils = trust.pupils[trust.pupils["eal"].fillna(False).astype(bool)].copy()
    years = (as_of - pupils["entered_english_schooling"]).dt.days / 365.25
    pupils["years_here"] = years.where(years >= 0)
    pupils["stage"] = pupils["english_proficiency"]
    if progress is None and trust.assessments is not None:
        progress = assess_progress(trust, as_of)
    change = maths_latest = None
    flags: dict[str, dict[str, bool]] = {}
    if progress is not None:
        mine = progress[isin(progress["upn"], set(pupils["upn"])) & (progress["n_scores"] >= 2)].copy()
        mine["change"] = mine["latest_score"] - mine["baseline_score"]
        change = mine.groupby("upn")["change"].mean()
        maths_latest = mine[mine["subject"].astype(str) == "maths"].set_index("upn")["latest_score"]
        mine["slow"] = mine["slower_progress"].fillna(False).astype(bool)
        for upn, subject, slow in zip(mine["upn"], mine["subject"].astype(str), mine["slow"]):
            flags.setdefault(upn, {})[subject] = slow
    pupils["change"] = pupils["upn"].map(change) if change is not None else np.nan
    pupils["maths_latest"] = pupils["upn"].map(maths_latest) if maths_latest is not None else np.nan
    history: dict[str, list] = {}
    if trust.sen_history is not None:
        censuses = trust.sen_history[isin(trust.sen_history["upn"], set(pupils["upn"]))].sort_values("census_date")
        for upn, date, stage in zip(censuses["upn"], censuses["census_date"], censuses["english_proficiency"]):
            history.setdefault(upn, []).append((date, stage))
    evidence = {}
    if trust.eal_evidence is not None:
        evidence = trust.eal_evidence.set_index("upn").to_dict("index")
    return pupils.reset_index(drop=True), flags, history, evidence


def _true_peers(stage_index: np.ndarray, years: np.ndarray, has_change: np.ndarray, typical: np.ndarray, i: int):
    """Indices of pupil i's true peers, widening step by step; and what the group is.

    True peers are pupils learning English: EAL pupils with no SEN provision and no concern
    about their first language, so that pupils who may have SEND do not set the pace.
    """
    if stage_index[i] < 0 or not np.isfinite(years[i]):
        return np.array([], dtype=int), "none"
    distance = np.abs(stage_index - stage_index[i])
    gap = np.abs(years - years[i])
    candidates = (stage_index >= 0) & np.isfinite(years) & typical
    candidates[i] = False
    for step, (within, span) in enumerate(TRUE_PEER_STEPS):  # noqa: B007 - step is read after the loop
        peers = np.flatnonzero(candidates & (distance <= within) & (gap <= span))
        if has_change[peers].sum() >= MIN_TRUE_PEERS:
            break
    stage = "ABCDE"[stage_index[i]]
    stages = f"stage {stage}" if within == 0 else f"stages within one of {stage}"
    time_here = (
        "any time in English schools"
        if not np.isfinite(span)
        else f"within {span:g} year{'s' if span != 1 else ''} of the pupil's time here"
    )
    note = "" if step == 0 else "; widened as too few were alike"
    return peers, f"EAL pupils at {stages}, {time_here}{note}"


def eal_evidence_items(trust: TrustData, as_of=None, progress: pd.DataFrame | None = None) -> pd.DataFrame:
    """The evidence behind each EAL pupil's outcome, one row per pupil and item.

    Returns
    -------
    DataFrame
        ``upn, school, item, finding, detail``: ``item`` the name of an item in ``ITEMS``; ``finding``
        ``SEND``, ``LANGUAGE``, ``NEUTRAL`` or ``MISSING``; ``detail`` the data and the rule
        in words.
    """
    return _weigh(trust, as_of, progress)[0]


def weigh_eal_evidence(trust: TrustData, as_of=None, progress: pd.DataFrame | None = None) -> pd.DataFrame:
    """An outcome and next steps for every EAL pupil (never a diagnosis).

    Returns
    -------
    DataFrame
        ``upn, school, outcome`` (one of ``OUTCOMES``), ``points_to_send``,
        ``points_to_language`` (items pointing each way), ``missing`` (items not yet
        recorded, in words), ``next_steps`` (a list, EAL support always first),
        ``explanation`` (a paragraph a SENCO can read), ``review_date``.
    """
    return _weigh(trust, as_of, progress)[1]


def weigh_eal_evidence_and_items(
    trust: TrustData, as_of=None, progress: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """:func:`weigh_eal_evidence` and :func:`eal_evidence_items` from one weighing (each alone
    weighs every EAL pupil's evidence: asking for both does the work once)."""
    items, outcomes = _weigh(trust, as_of, progress)
    return outcomes, items


def _weigh(trust, as_of, progress):
    as_of = trust.day(as_of)
    pupils, flags, history, evidence = _facts(trust, as_of, progress)
    item_rows, outcome_rows = [], []
    review_date = as_of + pd.Timedelta(days=REVIEW_AFTER_DAYS)
    stage_index = pupils["stage"].map({s: i for i, s in enumerate("ABCDE")}).fillna(-1).to_numpy(dtype=int)
    years = pupils["years_here"].to_numpy(dtype=float, na_value=np.nan)
    change = pupils["change"].to_numpy(dtype=float, na_value=np.nan)
    maths = pupils["maths_latest"].to_numpy(dtype=float, na_value=np.nan)
    concern = {upn for upn, e in evidence.items() if "concern" in (e.get("l1_assessment"), e.get("parent_l1_report"))}
    typical = (pupils["sen_provision"].eq("N") & ~isin(pupils["upn"], concern)).to_numpy(dtype=bool)
    for i, pupil in enumerate(pupils.to_dict("records")):
        upn = pupil["upn"]
        record = evidence.get(upn)
        stage = None if pd.isna(pupil["stage"]) else pupil["stage"]
        years_here = None if pd.isna(pupil["years_here"]) else float(pupil["years_here"])
        peers, widened = _true_peers(stage_index, years, np.isfinite(change), typical, i)
        peer_changes = change[peers][np.isfinite(change[peers])]
        # typical true peers: median and MAD, so that a few pupils with SEND among them do
        # not make slow progress look typical
        peer_typical = np.median(peer_changes) if len(peer_changes) else np.nan
        peer_spread = 1.4826 * np.median(np.abs(peer_changes - peer_typical)) if len(peer_changes) > 1 else np.nan
        peer_maths = maths[peers][np.isfinite(maths[peers])]
        maths_z = (
            (maths[i] - peer_maths.mean()) / peer_maths.std(ddof=1)
            if len(peer_maths) >= MIN_TRUE_PEERS and peer_maths.std(ddof=1) > 0
            else None
        )
        terms = _value(record, "eal_support_terms")
        evidence_of_pupil = Evidence(
            stage,
            years_here,
            history.get(upn, []),
            change[i],
            peer_typical,
            peer_spread,
            len(peer_changes),
            widened,
            flags.get(upn),
            maths_z,
            len(peer_maths),
            record,
        )
        results = {name: judged(evidence_of_pupil) for name, judged in ITEMS.items()}
        findings = {item: finding for item, (finding, _) in results.items()}
        for item, (finding, detail) in results.items():
            item_rows.append((upn, pupil["school"], item, finding, detail))
        outcome = combine(findings)
        on_register = is_on_register(pupil["sen_provision"])
        missing = [ITEMS[item].label for item, finding in findings.items() if finding == MISSING]
        to_send = [i for i, f in findings.items() if f == SEND]
        to_language = [i for i, f in findings.items() if f == LANGUAGE]
        outcome_rows.append(
            (
                upn,
                pupil["school"],
                SITUATIONS[pupil["sen_provision"] if on_register else "N"],
                outcome,
                len(to_send),
                len(to_language),
                missing,
                _next_steps(
                    outcome,
                    findings,
                    {sense: _value(record, f"{sense}_check") for sense in ("hearing", "vision")},
                    review_date,
                    terms,
                    on_register,
                    stage,
                ),
                _explanation(outcome, results, to_send, to_language, missing, pupil, stage),
                review_date if outcome in ("CONSISTENT_WITH_LANGUAGE_ACQUISITION", "MIXED_REVIEW") else pd.NaT,
            )
        )
    items = pd.DataFrame(item_rows, columns=ITEM_COLUMNS)
    outcomes = pd.DataFrame(outcome_rows, columns=OUTCOME_COLUMNS)
    outcomes["review_date"] = pd.to_datetime(outcomes["review_date"]).astype("datetime64[ns]")
    return items, outcomes


# Who the check is for. EAL pupils not on the SEN register: is it language or SEND? Pupils
# already at SEN support or with an EHC plan: is the recorded need distinct from language?
# (EAL pupils are over-identified with SLCN and under-identified with SpLD: Solihull guidance.)
SITUATIONS = {
    "N": "not on the SEN register: is it learning English or SEND?",
    "K": "on SEN support: is the recorded need distinct from learning English?",
    "E": "with an EHC plan: is the recorded need distinct from learning English?",
}
_OUTCOME_WORDS = {
    ("CONSIDER_SEND_ASSESSMENT", False): "The evidence points to a possible special educational need as well as to "
    "learning English: consider an SEN assessment.",
    ("CONSIDER_SEND_ASSESSMENT", True): "The evidence supports a need beyond learning English, as recorded.",
    ("CONSISTENT_WITH_LANGUAGE_ACQUISITION", False): "The evidence is consistent with a pupil still acquiring English.",
    ("CONSISTENT_WITH_LANGUAGE_ACQUISITION", True): "The evidence leans to learning English rather than to the "
    "recorded need: check at the next review that the need is distinct from language.",
    ("MIXED_REVIEW", False): "The evidence points both ways: review it together.",
    ("MIXED_REVIEW", True): "The evidence points both ways: review it with the EAL lead at the next SEN review.",
    ("INSUFFICIENT_EVIDENCE", False): "Not enough evidence yet to tell language acquisition from SEND.",
    ("INSUFFICIENT_EVIDENCE", True): "Not enough evidence yet to tell whether the recorded need is distinct from "
    "learning English.",
}
# ... nor, on the register, "learning English": the first language is the evidence that speaks
_NEED_NOT_SEEN_IN_L1 = (
    "First-language development is reported as age-appropriate, which a need in learning, speech or language "
    "would usually affect too: check at the next review that the recorded need is distinct from language."
)
FLUENT_FIRST_STEP = "Keep tracking English as an additional language (fluent: support as needed)"
# a pupil competent or fluent in English (stages D and E) is not "still acquiring English"
_NOT_ACQUIRING = "The evidence does not point to a special educational need: first-language development is "
_NOT_ACQUIRING += "age-appropriate, and no more of the evidence points to SEND than to language."


def is_on_register(provision) -> bool:
    """At SEN support (K) or with an EHC plan (E): the EAL question is then about the recorded need."""
    return provision in ("K", "E")


def _explanation(outcome, results, to_send, to_language, missing, pupil, stage) -> str:
    on_register = is_on_register(pupil["sen_provision"])
    words = _OUTCOME_WORDS[(outcome, on_register)]
    if outcome == "CONSISTENT_WITH_LANGUAGE_ACQUISITION" and stage not in ("A", "B", "C"):
        words = _NEED_NOT_SEEN_IN_L1 if on_register else _NOT_ACQUIRING
    parts = [words]
    if on_register:
        need = pupil.get("primary_need")
        need = f", primary need {need}" if isinstance(need, str) and need else ""
        parts.insert(0, f"On the SEN register ({PROVISION_WORDS[pupil['sen_provision']].label}{need}).")
    for item in ("proficiency_and_exposure", "progress_against_true_peers"):
        finding, detail = results[item]
        if finding == NEUTRAL or (finding == MISSING and item == "progress_against_true_peers"):
            parts.append(detail[0].upper() + detail[1:] + ".")
    if to_send:
        parts.append("Pointing to SEND: " + "; ".join(results[i][1] for i in to_send) + ".")
    if to_language:
        parts.append("Pointing to language acquisition: " + "; ".join(results[i][1] for i in to_language) + ".")
    if missing:
        parts.append("Not yet recorded: " + ", ".join(missing) + ".")
    return " ".join(parts)


def _needs_in(codes) -> Callable[[pd.DataFrame], pd.Series]:
    return lambda pupils: pupils["primary_need"].isin(codes)


def identification_by_language(trust: TrustData) -> pd.DataFrame:
    """Shares of EAL and other pupils at SEN support and EHC plan, by need, beside England.

    For each school and the trust ("All schools"): the percentage of EAL pupils and of
    pupils with English as a first language at K, at E, and (of all pupils) at K or E in
    each broad area of need and with SLCN and SpLD as primary need, beside the national
    percentage where the DfE publishes one (K and E rates: January census; need shares:
    the January 2022 census of state-funded schools applied to the national K and E rates).
    Over- and under-identification show as EAL rates far from the others'.

    Returns
    -------
    DataFrame
        ``school, measure, eal_pct, english_pct, national_pct, eal_pupils, english_pupils``.
        Counts are exact: suppress small ones before a committee sees them.
    """
    from .reference import national_need_shares, reference_table

    census = reference_table("census_national").set_index("january").iloc[-1]
    national = {"SEN support (K)": census["sen_support_pct"], "EHC plan (E)": census["ehc_plan_pct"]}
    shares = {p: national_need_shares(p).set_index("need_code")["share_pct"] for p in ("K", "E")}
    rates = {"K": census["sen_support_pct"], "E": census["ehc_plan_pct"]}

    def national_pct(codes):
        return sum(rates[p] * shares[p].reindex(list(codes)).fillna(0).sum() / 100 for p in ("K", "E"))

    measures = [
        ("SEN support (K)", lambda p: p["sen_provision"] == "K", national["SEN support (K)"]),
        ("EHC plan (E)", lambda p: p["sen_provision"] == "E", national["EHC plan (E)"]),
    ]
    for area, codes in BROAD_AREAS.items():
        measures.append((area, _needs_in(codes), national_pct(codes)))
    measures += [
        ("SLCN (primary need)", lambda p: p["primary_need"] == "SLCN", national_pct(["SLCN"])),
        ("SpLD (primary need)", lambda p: p["primary_need"] == "SPLD", national_pct(["SPLD"])),
    ]
    pupils = trust.pupils[trust.pupils["eal"].notna()]
    rows = []
    for school, group in [("All schools", pupils), *pupils.groupby("school")]:
        eal = group[group["eal"].astype(bool)]
        english = group[~group["eal"].astype(bool)]
        for name, test, nat in measures:
            rows.append(
                (
                    school,
                    name,
                    100 * test(eal).mean() if len(eal) else np.nan,
                    100 * test(english).mean() if len(english) else np.nan,
                    nat,
                    len(eal),
                    len(english),
                )
            )
    return pd.DataFrame(
        rows, columns=["school", "measure", "eal_pct", "english_pct", "national_pct", "eal_pupils", "english_pupils"]
    )


# which way an item of evidence points, in words
FINDING_WORDS = {
    SEND: "a special educational need",
    LANGUAGE: "learning English",
    NEUTRAL: "neither way",
    MISSING: "not recorded yet",
}


def eal_items_words(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows of :func:`eal_evidence_items` in words: each item's name, which way it points, and
    what was found."""
    return pd.DataFrame(
        {
            "Evidence": rows["item"].map(
                lambda i: ITEMS[i].label[:1].upper() + ITEMS[i].label[1:] if i in ITEMS else str(i)
            ),
            "Points to": rows["finding"].map(lambda f: FINDING_WORDS.get(f, str(f))),
            "Detail": rows["detail"].map(lambda d: "" if pd.isna(d) else str(d)),
        }
    )
