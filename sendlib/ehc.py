"""EHC needs assessments end to end: pupils to consider for one, the 20-week timeline around
the school's own duties, the counts the DfE's SEN2 return makes, and a pupil's evidence pack.

The local authority's milestones are declared here, one :class:`sendlib.duties.Duty` each, in
``LA_MILESTONES``: the school cannot act on them, so they stay out of the school's to-do list
and duty summaries (``sendlib.duties.REGISTRY``), and a timeline shows them beside the school's
duties. The SEND Regulations 2014 set them:

- the LA decides whether to assess within 6 weeks of the request (r.5(1); CoP 9.14);
- the final EHC plan is issued within 20 weeks of the request (r.13(2); CoP 9.40), unless the
  LA decided not to assess and nothing was issued.

Who to consider for an assessment (CoP 6.63 and 9.14: a pupil who has not made expected
progress despite the school's relevant and purposeful action): a pupil on SEN support with at
least ``MIN_SUPPORT_CYCLES`` support plans reviewed (whole assess, plan, do, review cycles) whose
progress is less than expected in a subject by the Code's four tests while they attain well
below their peers in it, or whose recorded provision costs
more than the notional SEN threshold. A pupil whose request is already with the LA is on the
timeline instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ._words import listed
from .duties import DUTY_COLUMNS, Duty, Pupil, _first, ehc_histories, statutory_duties
from .duties import REGISTRY as SCHOOL_DUTIES
from .loader import TrustData
from .provision import NOTIONAL_SEN_THRESHOLD
from .reference import reference_table

DECISION_DAYS = 42  # decide whether to assess within 6 weeks of the request (Regs 2014 r.5(1); CoP 9.14)
FINAL_PLAN_DAYS = 140  # the final plan within 20 weeks of the request (Regs 2014 r.13(2); CoP 9.40)
MIN_SUPPORT_CYCLES = 2  # support plans reviewed (whole cycles) before a pupil is a candidate (CoP 6.63)
# who ehc_candidates lists, in words, for the pages that show the list (or a pupil not on it)
CANDIDATE_RULE = (
    f"on SEN support with at least {MIN_SUPPORT_CYCLES} support plans reviewed, and either less than expected "
    "progress by the Code's four tests in a subject where they attain at least one standard deviation below "
    f"their peers, or additional provision costing more than the £{NOTIONAL_SEN_THRESHOLD:,} a year notional "
    "SEN threshold"
)
RECORDED = "recorded"  # the status of an event with no deadline (mediation, an appeal ...)
RECORDED_EVENTS = ("plan_ceased", "mediation", "tribunal_appeal", "tribunal_outcome")
# a duty instance's columns (sendlib.duties.DUTY_COLUMNS) as the timeline names them
AS_STAGE = {"duty": "stage", "trigger_date": "started", "due_date": "due", "done_date": "done"}
STAGE_COLUMNS = [AS_STAGE.get(column, column) for column in DUTY_COLUMNS]
TIMELINE_COLUMNS = ["upn", "school", "stage", "label", "by", "started", "due", "done", "status", "days_late"]

LA_MILESTONES: dict[str, Duty] = {}


@dataclass(frozen=True)
class Request:
    """A request for an assessment and the LA's answers: its decision (None until made),
    whether it was a refusal, and the final plan issued after it (None until issued)."""

    asked: pd.Timestamp
    decided: pd.Timestamp | None
    refused: bool
    issued: pd.Timestamp | None

    @property
    def with_the_la(self) -> bool:
        """Waiting for the LA: no decision yet, or a decision to assess and no plan yet."""
        return self.decided is None or (not self.refused and self.issued is None)


def requests_of(pupil: Pupil) -> list[Request]:
    """A pupil's requests for an assessment with the LA's answers. A request made while an
    earlier one still waits for its decision is answered with it: one request, its clock from
    the first (as the LA answers them, with one decision)."""
    agreed, refused = pupil.dates("decision_to_assess"), pupil.dates("decision_not_to_assess")
    decided = sorted(agreed + refused)
    kept: list = []
    for asked in pupil.dates("assessment_requested"):
        if not kept or _first(decided, kept[-1], asked) is not None:
            kept.append(asked)
    requests = []
    for asked, nxt in zip(kept, kept[1:] + [None]):
        decision = _first(decided, asked, nxt)
        requests.append(
            Request(
                asked,
                decision,
                decision is not None and decision in refused and decision not in agreed,
                _first(pupil.dates("plan_issued"), asked, nxt),
            )
        )
    return requests


def _decision(pupil: Pupil, duty: Duty) -> list[tuple]:
    return [
        pupil.instance(duty.name, r.asked, r.asked + pd.Timedelta(days=duty.days), r.decided)
        for r in requests_of(pupil)
    ]


def _final_plan(pupil: Pupil, duty: Duty) -> list[tuple]:
    """Owed unless the LA decided not to assess (a plan issued after an appeal is on the
    timeline as an event, not timed from the request the LA refused)."""
    return [
        pupil.instance(duty.name, r.asked, r.asked + pd.Timedelta(days=duty.days), r.issued)
        for r in requests_of(pupil)
        if not r.refused
    ]


for _milestone in (
    Duty(
        "decision",
        "LA decision whether to assess (6 weeks)",
        "",
        "SEND Regulations 2014 r.5(1); CoP 9.14",
        _decision,
        days=DECISION_DAYS,
    ),
    Duty(
        "final_plan",
        "Final EHC plan issued (20 weeks)",
        "",
        "SEND Regulations 2014 r.13(2); CoP 9.40",
        _final_plan,
        event="plan_issued",
        days=FINAL_PLAN_DAYS,
    ),
):
    LA_MILESTONES[_milestone.name] = _milestone

RECORDED_LABELS = {
    "plan_ceased": "EHC plan ceased",
    "mediation": "Mediation",
    "tribunal_appeal": "Appeal to the SEND Tribunal",
    "tribunal_outcome": "Tribunal decision",
}


def ehc_timeline(trust: TrustData, as_of=None, duties: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every pupil's EHC process, one row per pupil and stage: the LA's milestones (the decision
    within 6 weeks, the final plan within 20 weeks of each request), the school's duties inside
    and after them (as :func:`sendlib.duties.statutory_duties` judges them), and the events with
    no deadline (mediation, appeals, a plan ceasing).

    Returns
    -------
    DataFrame
        ``upn, school, stage`` (a milestone of ``LA_MILESTONES``, a duty of
        ``sendlib.duties.REGISTRY`` or an event of ``RECORDED_EVENTS``), ``label`` (in words),
        ``by`` ("LA" or "school"), ``started`` (what started the clock), ``due``, ``done``,
        ``status`` (the duties' statuses, or "recorded" for an event with no deadline) and
        ``days_late``; ordered by pupil, then date.
    """
    as_of = trust.day(as_of)
    rows = []
    histories = ehc_histories(trust, as_of)
    for pupil in histories:
        for milestone in LA_MILESTONES.values():
            rows += milestone.rule(pupil, milestone)
    la = pd.DataFrame(rows, columns=STAGE_COLUMNS)
    la["label"] = la["stage"].map(lambda s: LA_MILESTONES[s].label)
    la["by"] = "LA"
    duties = statutory_duties(trust, as_of) if duties is None else duties
    school = duties[duties["duty"].ne("parent_meetings")].rename(columns=AS_STAGE)
    school = school.assign(label=school["stage"].map(lambda s: SCHOOL_DUTIES[s].label), by="school")
    recorded = [
        (pupil.upn, pupil.school, event, date, pd.NaT, date, RECORDED, 0)
        for pupil in histories
        for event in RECORDED_EVENTS
        for date in pupil.dates(event)
    ]
    events = pd.DataFrame(recorded, columns=STAGE_COLUMNS)
    events["label"] = events["stage"].map(RECORDED_LABELS)
    events["by"] = "LA"
    timeline = pd.concat([frame for frame in (la, school, events) if len(frame)] or [la], ignore_index=True)
    for column in ("started", "due", "done"):
        timeline[column] = pd.to_datetime(timeline[column]).astype("datetime64[ns]")
    timeline["days_late"] = timeline["days_late"].astype("int64")
    return timeline[TIMELINE_COLUMNS].sort_values(["school", "upn", "started"], kind="stable").reset_index(drop=True)


SUMMARY_COLUMNS = [
    "group",
    "period",
    "requests",
    "by_parent",
    "by_school",
    "decisions",
    "decided_within_6_weeks",
    "not_to_assess",
    "plans_issued",
    "plans_timed",
    "issued_within_20_weeks",
    "pct_within_20_weeks",
    "england_pct_within_20_weeks",
    "mediations",
    "tribunal_appeals",
]
LAST_12_MONTHS = "last 12 months"
NOT_RECORDED = "LA not recorded"


def _request_rows(trust: TrustData, as_of) -> pd.DataFrame:
    """Each request, with its LA and who made it."""
    events = trust.ehc_events
    if events is None:
        return pd.DataFrame(columns=["upn", "date", "la", "requested_by"])
    requests = events[events["event"].eq("assessment_requested") & events["date"].le(as_of)]
    missing = pd.Series(pd.NA, index=requests.index, dtype="object")
    return pd.DataFrame(
        {
            "upn": requests["upn"],
            "date": requests["date"],
            "la": requests.get("la", missing).fillna(NOT_RECORDED),
            "requested_by": requests.get("requested_by", missing),
        }
    )


def ehc_summary(
    trust: TrustData, as_of=None, by: str = "la", period: str = "year", timeline: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Counts as the DfE's SEN2 return makes them, for each local authority (``by="la"``, the LA
    of the pupil's latest request on or before the day counted; "LA not recorded" without an
    ``la`` column) or school (``by="school"``, the pupil's school now) and for all of them
    ("All"): requests received (and who made them), decisions (within 6 weeks, not to assess),
    final plans issued (every ``plan_issued``; ``plans_timed``, those with their request on
    record, and of them ``issued_within_20_weeks``, whose share ``pct_within_20_weeks`` is),
    mediations and appeals, beside
    England's share of plans issued within 20 weeks (SEN2, exceptions included: an export does
    not say which delays were exceptions).

    ``period="year"`` counts by calendar year, as SEN2 does (a decision or a plan in the year it
    was made); ``period="12 months"`` counts the last 12 months to ``as_of`` (beside England's
    latest year). Exact counts: suppress small ones before a committee sees them.
    """
    if by not in ("la", "school") or period not in ("year", "12 months"):
        raise ValueError(f"by is 'la' or 'school' and period 'year' or '12 months', not {by!r} and {period!r}")
    as_of = trust.day(as_of)
    timeline = ehc_timeline(trust, as_of) if timeline is None else timeline
    requests = _request_rows(trust, as_of).sort_values("date", kind="stable")
    if by == "la":  # the LA of the pupil's latest request on or before the day (else their first)
        by_pupil = {upn: list(zip(rows["date"], rows["la"])) for upn, rows in requests.groupby("upn")}

        def key(upn, day):
            made = by_pupil.get(upn)
            if not made:
                return NOT_RECORDED
            return next((la for date, la in reversed(made) if date <= day), made[0][1])
    else:  # the pupil's school now
        school_of = trust.pupils.set_index("upn")["school"]

        def key(upn, day):
            return school_of.get(upn, "")

    la_rows = timeline[timeline["by"].eq("LA")]
    decided = la_rows[la_rows["stage"].eq("decision") & la_rows["done"].notna()]
    refusals: set = set()
    events = trust.ehc_events
    plans = pd.DataFrame(columns=["upn", "date"])
    if events is not None:
        events = events[events["date"].le(as_of)]
        refused = events[events["event"].eq("decision_not_to_assess")]
        refusals = set(zip(refused["upn"], refused["date"]))
        plans = events[events["event"].eq("plan_issued")]
    timed = la_rows[la_rows["stage"].eq("final_plan") & la_rows["done"].notna()]
    recorded = la_rows[la_rows["status"].eq(RECORDED)]
    # each count: its rows, the column of the day it counts on, and which of the rows count
    counted = {
        "requests": (requests, "date", None),
        "by_parent": (requests, "date", requests["requested_by"].eq("parent")),
        "by_school": (requests, "date", requests["requested_by"].eq("school")),
        "decisions": (decided, "done", None),
        "decided_within_6_weeks": (decided, "done", decided["status"].eq("met")),
        "not_to_assess": (
            decided,
            "done",
            pd.Series([pair in refusals for pair in zip(decided["upn"], decided["done"])], index=decided.index),
        ),
        "plans_issued": (plans, "date", None),
        "plans_timed": (timed, "done", None),
        "issued_within_20_weeks": (timed, "done", timed["status"].eq("met")),
        "mediations": (recorded, "done", recorded["stage"].eq("mediation")),
        "tribunal_appeals": (recorded, "done", recorded["stage"].eq("tribunal_appeal")),
    }
    window_start = as_of - pd.DateOffset(months=12)
    parts = []
    for name, (rows, when, mask) in counted.items():
        dates = pd.to_datetime(rows[when])
        frame = pd.DataFrame(
            {
                "group": [key(u, day) for u, day in zip(rows["upn"], dates)],
                "period": dates.dt.year.to_numpy() if period == "year" else LAST_12_MONTHS,
                name: 1 if mask is None else mask.fillna(False).astype(int).to_numpy(),
            },
            index=rows.index,
        )
        if period != "year":
            frame = frame[dates > window_start]
        parts.append(frame.groupby(["group", "period"])[name].sum())
    table = pd.concat(parts, axis=1).fillna(0).astype("int64")
    table = table[table.sum(axis=1) > 0]  # (a plan ceasing counts nowhere here)
    if table.empty:
        return pd.DataFrame(columns=SUMMARY_COLUMNS)
    every = table.groupby(level="period").sum()
    every.index = pd.MultiIndex.from_product([["All"], every.index], names=["group", "period"])
    table = pd.concat([table, every]).reset_index()
    table["pct_within_20_weeks"] = (100 * table["issued_within_20_weeks"] / table["plans_timed"]).where(
        table["plans_timed"] > 0
    )
    national = national_timeliness()
    table["england_pct_within_20_weeks"] = table["period"].map(national) if period == "year" else national.iloc[-1]
    table["_all"] = table["group"].eq("All")
    table = table.sort_values(["_all", "group", "period"]).drop(columns="_all")
    return table[SUMMARY_COLUMNS].reset_index(drop=True)


def national_timeliness() -> pd.Series:
    """England's share of new EHC plans issued within 20 weeks by calendar year (SEN2, exceptions
    included), from the reference data shipped with sendlib."""
    flows = reference_table("national_flows")
    return flows.set_index("calendar_year")["pct_issued_within_20_weeks_incl_exceptions"].dropna()


CANDIDATE_COLUMNS = [
    "upn",
    "school",
    "year_group",
    "primary_need",
    "support_plans",
    "reviewed_plans",
    "first_plan",
    "subjects_below",
    "cost_last_12_months",
    "cost_a_year",
    "over_threshold",
    "eal",
    "last_decision_not_to_assess",
    "reasons",
]


def ehc_candidates(
    trust: TrustData, as_of=None, progress: pd.DataFrame | None = None, costs: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Pupils to consider for an EHC needs assessment, each with the evidence in sentences.

    A pupil on SEN support (K) now, with at least ``MIN_SUPPORT_CYCLES`` support plans reviewed,
    whose progress is less than expected in at least one subject by the Code's four tests
    (:func:`sendlib.assess_progress`, ``less_than_expected_progress``) where they also attain
    at least ``GAP_SD`` (one) scale SD below their peers, or whose recorded
    provision costs more than the notional SEN threshold (:func:`sendlib.provision_costs`, when
    the export has provisions); not a pupil whose request is with the LA now (no decision yet,
    or a decision to assess and no plan yet).

    Parameters
    ----------
    progress, costs : DataFrame, optional
        :func:`sendlib.assess_progress` and :func:`sendlib.provision_costs` for the trust, when
        already worked out; else worked out here (when the export has what they need).

    Returns
    -------
    DataFrame
        ``CANDIDATE_COLUMNS``: ``support_plans`` started so far, ``reviewed_plans`` of them,
        ``first_plan`` the first one's start, ``subjects_below`` the subjects with less than
        expected progress (comma separated), ``cost_last_12_months``, ``cost_a_year``,
        ``over_threshold`` (missing without provisions), ``eal``,
        ``last_decision_not_to_assess`` (the latest refusal, if any), ``reasons`` in sentences;
        by school, then the most support plans first.
    """
    as_of = trust.day(as_of)
    if trust.support_plans is None:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    from .progress import GAP_SD, assess_progress
    from .provision import provision_costs

    pupils = trust.pupils[trust.pupils["sen_provision"].eq("K")].set_index("upn")
    plans = trust.support_plans[
        trust.support_plans["plan_start"].le(as_of) & trust.support_plans["upn"].isin(pupils.index)
    ]
    cycles = plans.groupby("upn").agg(
        support_plans=("plan_start", "size"),
        reviewed_plans=("review_held", lambda held: int(held.le(as_of).sum())),
        first_plan=("plan_start", "min"),
    )
    cycles = cycles[cycles["reviewed_plans"] >= MIN_SUPPORT_CYCLES]
    if progress is None and trust.assessments is not None:
        progress = assess_progress(trust, as_of)
    below: dict[str, list] = {}
    if progress is not None:
        # less than expected progress in a subject where the pupil also attains well below peers:
        # at least GAP_SD scale SDs (as test (c) measures a gap), not a strong pupil slowing down
        sd = progress["scale"].astype(str).map(trust.require("scales").set_index("scale")["sd"]).astype(float)
        flagged = progress[
            progress["less_than_expected_progress"].fillna(False).astype(bool) & progress["gap_latest"].le(-GAP_SD * sd)
        ]
        columns = ["upn", "subject", "verdict", "gap_latest", "scale"]
        for upn, subject, verdict, gap, scale in flagged[columns].itertuples(index=False):
            below.setdefault(upn, []).append(
                (str(subject), f"{verdict}; {-gap:.0f} points below peers on the {str(scale).replace('_', ' ')} scale")
            )
    if costs is None and trust.provisions is not None:
        costs = provision_costs(trust, as_of=as_of)
    has_costs = costs is not None
    cost = (costs if costs is not None else pd.DataFrame(columns=["upn", "over_threshold"])).set_index("upn")
    requests = assessment_requests(trust, as_of)
    rows = []
    for upn, cycle in cycles.iterrows():
        over = upn in cost.index and bool(cost.at[upn, "over_threshold"])
        if (upn in requests and requests[upn][-1].with_the_la) or not (upn in below or over):
            continue
        pupil = pupils.loc[upn]
        reasons = [
            f"On SEN support with {cycle['support_plans']} support plans since {cycle['first_plan']:%d %b %Y} "
            f"({cycle['reviewed_plans']} reviewed)."
        ]
        if upn in below:
            reasons.append(
                "Progress less than expected in "
                + listed([f"{subject} ({verdict})" for subject, verdict in below[upn]])
                + " by the Code's four tests."
            )
        if over:
            reasons.append(f"Additional provision: {cost.at[upn, 'reason']}.")
        if pd.notna(pupil["eal"]) and bool(pupil["eal"]):
            reasons.append(
                "English is an additional language: make sure the EAL evidence rules out language acquisition "
                "as the reason."
            )
        refused = next((r.decided for r in reversed(requests.get(upn, [])) if r.refused), None)
        if refused is not None:
            reasons.append(
                f"The LA decided not to assess on {refused:%d %b %Y}: say what has changed since, and what was tried."
            )
        rows.append(
            {
                "upn": upn,
                "school": pupil["school"],
                "year_group": pupil["year_group"],
                "primary_need": pupil["primary_need"],
                **cycle.to_dict(),
                "subjects_below": ", ".join(subject for subject, _ in below.get(upn, [])),
                "cost_last_12_months": cost.at[upn, "cost_last_12_months"] if over else float("nan"),
                "cost_a_year": cost.at[upn, "cost_a_year"] if over else float("nan"),
                "over_threshold": over if has_costs else pd.NA,
                "eal": pupil["eal"],
                "last_decision_not_to_assess": refused if refused is not None else pd.NaT,
                "reasons": " ".join(reasons),
            }
        )
    table = pd.DataFrame(rows, columns=CANDIDATE_COLUMNS)
    table["first_plan"] = pd.to_datetime(table["first_plan"]).astype("datetime64[ns]")
    table["last_decision_not_to_assess"] = pd.to_datetime(table["last_decision_not_to_assess"]).astype("datetime64[ns]")
    return table.sort_values(["school", "support_plans", "upn"], ascending=[True, False, True]).reset_index(drop=True)


def assessment_requests(trust: TrustData, as_of=None, upns=None) -> dict[str, list[Request]]:
    """Each pupil's (of ``upns``, if given) requests for an assessment with the LA's answers
    (:func:`requests_of`), for pupils with any."""
    histories = ehc_histories(trust, trust.day(as_of), upns)
    return {pupil.upn: found for pupil in histories if (found := requests_of(pupil))}
