"""Statutory duties and the graduated approach: deadlines, reviews and parent meetings.

Every deadline is a named constant with its source. Days are calendar days; a duty done
on its deadline day is met. Months are calendar months (12 months after 16 January 2025
is 16 January 2026).

Statuses of a duty instance:

``met``        done on or before the deadline
``late``       done after the deadline (for notice duties: sent with less notice than required)
``due``        not done, deadline today or ahead
``overdue``    not done, deadline passed, and it can still be done
``missed``     not done, deadline passed, and it can no longer be done: a later instance of
               the same duty for the same pupil has been done (a later request answered, a
               later review's report sent), the meeting it was owed before has been held, or
               (parent meetings) its school year has ended. Kept in the history and in on-time
               rates; never in "overdue now" or the to-do list.
``too_early``  a re-assessment requested sooner than the rules allow
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from .loader import TrustData
from .schema import EHC_ANSWERS
from .school_calendar import school_year, school_year_start, term_end, terms_started

# The trust SEND policy, section 3, which follows the SEND Regulations 2014 and the SEND
# Code of Practice 0-25 (2015):
INFO_FOR_NEEDS_ASSESSMENT_DAYS = (
    42  # answer an LA's request for information within 6 weeks (Regs 2014 r.8(2); CoP 9.52)
)
DRAFT_PLAN_VIEWS_DAYS = 15  # views on a draft EHC plan within 15 days (Regs 2014 r.13(1); CoP 9.77)
ANNUAL_REVIEW_MONTHS = 12  # review every EHC plan at least every 12 months (CFA 2014 s.44(1); CoP 9.166)
REVIEW_NOTICE_DAYS = 14  # at least two weeks' notice of the review meeting (Regs 2014 r.20(3); CoP 9.176)
REVIEW_PAPERS_DAYS = 14  # advice circulated at least two weeks before the meeting (Regs 2014 r.20(4); CoP 9.176)
REVIEW_REPORT_DAYS = 14  # report within two weeks of the meeting (Regs 2014 r.20(7); CoP 9.176)
REASSESSMENT_MIN_MONTHS = 6  # no re-assessment within 6 months of an initial assessment (Regs 2014 r.24(3))
PARENT_MEETINGS_PER_YEAR = 3  # meet parents at least three times each year (CoP 6.65)
# Phase transfer: the plan reviewed and amended by 15 February of the calendar year of a
# transfer between phases (early years to school, infant to junior, primary to middle or
# secondary, middle to secondary), by 31 March for Year 11 to post-16 (Regs 2014 r.18(1)).
PHASE_TRANSFER_DEADLINE = (2, 15)
POST_16_TRANSFER_DEADLINE = (3, 31)
ALWAYS_TRANSFER_YEARS = (-1, 6, 11)  # Nursery to Reception, Year 6 to 7, Year 11 to post-16
# the last year of an infant (Year 2), first (Year 4) or middle school (Year 8): a transfer when it
# is the oldest year group on the school's roll
LAST_YEARS_OF_A_PHASE = (2, 4, 8)
PFA_FROM_YEAR = 9  # reviews from Year 9 have a preparing-for-adulthood focus (CoP 8.9, 9.166)
REVIEW_DUE_SOON_DAYS = 14  # a support-plan review within two weeks is "due soon" (trust policy)
TODO_HORIZON_DAYS = 30  # the SENCO's to-do list looks this far ahead

STATUSES = ("met", "late", "due", "overdue", "missed", "too_early")
JUDGED = ("met", "late", "too_early", "overdue", "missed")  # deadline passed, or done
DUTY_COLUMNS = ["upn", "school", "duty", "trigger_date", "due_date", "done_date", "status", "days_late"]


def duty_status(due_date, done_date, as_of) -> str:
    """The status of one duty instance: met, late, due or overdue.

    >>> duty_status(pd.Timestamp("2025-03-01"), pd.Timestamp("2025-03-01"), pd.Timestamp("2025-06-01"))
    'met'
    >>> duty_status(pd.Timestamp("2025-03-01"), None, pd.Timestamp("2025-03-01"))
    'due'
    """
    if done_date is not None and not pd.isna(done_date):
        return "met" if done_date <= due_date else "late"
    return "due" if due_date >= as_of else "overdue"


def _instance(upn, school, duty, trigger, due, done, as_of, status=None):
    status = status or duty_status(due, done, as_of)
    if status == "late":
        days_late = (done - due).days
    elif status == "overdue":
        days_late = (as_of - due).days
    else:
        days_late = 0
    return (
        upn,
        school,
        duty,
        trigger,
        due,
        done if done is not None and not pd.isna(done) else pd.NaT,
        status,
        days_late,
    )


def _first(dates: list, after, before=None, inclusive=True):
    """The first date in sorted ``dates`` on/after ``after`` and before ``before``."""
    for date in dates:
        if (date >= after if inclusive else date > after) and (before is None or date < before):
            return date
    return None


@dataclass(frozen=True)
class Pupil:
    """What a pupil's EHC duties are worked out from: their events by kind, dates sorted."""

    upn: str
    school: str
    events: dict[str, list]
    on_plan: bool  # has an EHC plan now
    year_group: int
    as_of: pd.Timestamp
    school_top_year: int = 13  # the oldest year group on the school's roll: its pupils move on

    def dates(self, event: str) -> list:
        return self.events.get(event, [])

    def instance(self, duty: str, trigger, due, done, status=None) -> tuple:
        return _instance(self.upn, self.school, duty, trigger, due, done, self.as_of, status)


@dataclass(frozen=True)
class Duty:
    """One dated duty: its words, its source and its rule.

    ``rule(pupil, duty)`` gives the duty's instances for one :class:`Pupil` (tuples of
    ``DUTY_COLUMNS``); a rule of the whole trust (``per_pupil=False``) is called once as
    ``rule(trust, as_of, duty)``. Everything else (the order of tables, labels, the to-do
    list's sentence, the summary) is read from the declaration."""

    name: str
    label: str  # how tables and charts name it
    action: str  # the to-do list's instruction; {trigger} is the date that started the clock, {held} meetings held
    source: str  # the regulation or guidance it comes from
    rule: Callable[..., list[tuple]]
    event: str = ""  # the event that meets it
    days: int = 0
    statutory: bool = True  # False: the Code's guidance or the trust's own policy
    per_pupil: bool = True
    # who must meet it: a duty of the local authority's (a plan amended for a phase transfer)
    # is in the duty table and the to-do list (the school asks for it), never in the school's rates
    school_duty: bool = True


REGISTRY: dict[str, Duty] = {}


def register(duty: Duty) -> Duty:
    """Declare a duty: from now on it is worked out, labelled, summarised and listed to do."""
    REGISTRY[duty.name] = duty
    return duty


def _answered(pupil: Pupil, duty: Duty) -> list[tuple]:
    """An answer within ``duty.days`` of each question, paired with the first answer after it."""
    asked = pupil.dates(EHC_ANSWERS[duty.event])
    rows = []
    for i, start in enumerate(asked):
        nxt = asked[i + 1] if i + 1 < len(asked) else None
        done = _first(pupil.dates(duty.event), start, nxt)
        rows.append(pupil.instance(duty.name, start, start + pd.Timedelta(days=duty.days), done))
    return rows


def _review_triggers(pupil: Pupil) -> list:
    """Each plan issued and each review meeting: the chain a review is owed from."""
    return sorted(pupil.dates("plan_issued") + pupil.dates("review_meeting"))


def _annual_reviews(pupil: Pupil, duty: Duty) -> list[tuple]:
    issued, meetings = pupil.dates("plan_issued"), pupil.dates("review_meeting")
    rows = []
    for trigger in _review_triggers(pupil):
        done = _first(meetings, trigger, inclusive=False)
        if done is None and not pupil.on_plan:
            continue  # the plan has ended: no review is owed
        nxt_issue = _first(issued, trigger, inclusive=False)
        if nxt_issue is not None and (done is None or nxt_issue < done):
            continue  # a new plan replaced this one before a review was due
        due = trigger + pd.DateOffset(months=ANNUAL_REVIEW_MONTHS)
        rows.append(pupil.instance(duty.name, trigger, due, done))
    return rows


def _before_each_review(pupil: Pupil, duty: Duty) -> list[tuple]:
    """``duty.event`` sent at least ``duty.days`` before each review meeting, and before the next one owed."""
    meetings = pupil.dates("review_meeting")
    triggers = _review_triggers(pupil)
    upcoming = []
    if pupil.on_plan and triggers and _first(meetings, triggers[-1], inclusive=False) is None:
        upcoming = [triggers[-1] + pd.DateOffset(months=ANNUAL_REVIEW_MONTHS)]
    rows = []
    for meeting, last in zip(meetings + upcoming, [pd.Timestamp.min] + meetings):
        sent = [d for d in pupil.dates(duty.event) if last < d <= meeting]
        done = sent[-1] if sent else None
        held = meeting in meetings  # nothing can be sent before a meeting that has been held
        status = "missed" if held and done is None else None
        rows.append(pupil.instance(duty.name, meeting, meeting - pd.Timedelta(days=duty.days), done, status))
    return rows


def _reassessment_timing(pupil: Pupil, duty: Duty) -> list[tuple]:
    issued = pupil.dates("plan_issued")
    rows = []
    for requested in pupil.dates("reassessment_requested"):
        plans = [d for d in issued if d <= requested]
        if not plans:
            continue
        earliest = plans[-1] + pd.DateOffset(months=REASSESSMENT_MIN_MONTHS)
        status = "met" if requested >= earliest else "too_early"
        rows.append(pupil.instance(duty.name, plans[-1], earliest, requested, status=status))
    return rows


def transfer_deadline(year_group: int, school_top_year: int, school_year_started) -> pd.Timestamp | None:
    """The day a plan must be amended by when the pupil moves phase at the end of this school
    year (None if they do not): Nursery, Year 6, Year 11, and Year 2, 4 or 8 where it is the
    school's oldest year group (an infant, first or middle school).

    >>> transfer_deadline(6, 6, pd.Timestamp("2026-09-01")), transfer_deadline(11, 13, pd.Timestamp("2026-09-01"))
    (Timestamp('2027-02-15 00:00:00'), Timestamp('2027-03-31 00:00:00'))
    >>> transfer_deadline(2, 2, pd.Timestamp("2026-09-01")), transfer_deadline(2, 6, pd.Timestamp("2026-09-01"))
    (Timestamp('2027-02-15 00:00:00'), None)
    """
    if year_group not in ALWAYS_TRANSFER_YEARS and not (
        year_group == school_top_year and year_group in LAST_YEARS_OF_A_PHASE
    ):
        return None
    month, day = POST_16_TRANSFER_DEADLINE if year_group >= 11 else PHASE_TRANSFER_DEADLINE
    return pd.Timestamp(school_year_started.year + 1, month, day)


def _phase_transfer(pupil: Pupil, duty: Duty) -> list[tuple]:
    """Pupils with a plan who move phase at the end of this school year: met when the plan is
    amended (``plan_amended``) by the deadline, not when a meeting is held."""
    start = school_year_start(pupil.as_of)
    due = transfer_deadline(pupil.year_group, pupil.school_top_year, start) if pupil.on_plan else None
    if due is None:
        return []
    return [pupil.instance(duty.name, start, due, _first(pupil.dates(duty.event), start))]


def _pfa_focus(pupil: Pupil, duty: Duty) -> list[tuple]:
    """Each review meeting held from Year 9 whose focus is recorded: met with a
    preparing-for-adulthood focus (Y), missed without one (N: a review held cannot gain one);
    a blank is not recorded, and not judged."""
    now = school_year(pupil.as_of)
    focused, without = set(pupil.dates("pfa_focus")), set(pupil.dates("pfa_without"))
    rows = []
    for meeting in pupil.dates("review_meeting"):
        if pupil.year_group - (now - school_year(meeting)) >= PFA_FROM_YEAR and meeting in focused | without:
            done = meeting if meeting in focused else None
            rows.append(pupil.instance(duty.name, meeting, meeting, done, None if done else "missed"))
    return rows


def _parent_meetings(trust: TrustData, as_of, duty: Duty) -> list[tuple]:
    """One instance per pupil at K or E for this academic year and the last complete one (whose
    shortfall is ``missed``: its meetings can no longer be held)."""
    if trust.parent_meetings is None:
        return []
    rows = []
    this_year = school_year_start(as_of)
    meetings = trust.parent_meetings[trust.parent_meetings["meeting_date"] <= as_of]
    pupils = trust.pupils.set_index("upn")
    for start in (this_year - pd.DateOffset(years=1), this_year):
        end = start + pd.DateOffset(years=1) - pd.Timedelta(days=1)
        on_send = _pupils_at_send(trust, start, end, as_of)
        held = meetings[meetings["meeting_date"].between(start, end)].sort_values("meeting_date")
        by_pupil = held.groupby("upn")["meeting_date"].apply(list)
        for upn in sorted(on_send):
            dates = by_pupil.get(upn, [])
            done = dates[PARENT_MEETINGS_PER_YEAR - 1] if len(dates) >= PARENT_MEETINGS_PER_YEAR else None
            status = "missed" if done is None and end < this_year else None
            rows.append(_instance(upn, pupils.at[upn, "school"], duty.name, start, end, done, as_of, status))
    return rows


# The duties, in the order tables show them. The trust SEND policy, section 3, follows the
# SEND Regulations 2014 and the SEND Code of Practice 0-25 (2015).
register(
    Duty(
        "info_for_needs_assessment",
        "Answer the LA's request for information (6 weeks)",
        "Send the LA the information it asked for on {trigger}",
        "SEND Regulations 2014 r.8(2); CoP 9.52",
        _answered,
        event="info_sent",
        days=INFO_FOR_NEEDS_ASSESSMENT_DAYS,
    )
)
register(
    Duty(
        "draft_plan_views",
        "Views on a draft EHC plan (15 days)",
        "Send views on the draft EHC plan received on {trigger}",
        "SEND Code of Practice 9.83 (a school consulted on a draft plan should respond within 15 days)",
        _answered,
        event="draft_views_sent",
        days=DRAFT_PLAN_VIEWS_DAYS,
        statutory=False,  # the Code's guidance: r.13(1)'s 15 days are the parent's
    )
)
register(
    Duty(
        "annual_review",
        "Annual review of the EHC plan (12 months)",
        "Hold the annual review of the EHC plan (last review or plan {trigger})",
        "Children and Families Act 2014 s.44(1); CoP 9.166",
        _annual_reviews,
        event="review_meeting",
    )
)
register(
    Duty(
        "review_notice",
        "Review meeting invitations (2 weeks' notice)",
        "Send invitations to the annual review meeting (meeting due by {trigger} at the latest)",
        "SEND Regulations 2014 r.20(3); CoP 9.176",
        _before_each_review,
        event="review_invites_sent",
        days=REVIEW_NOTICE_DAYS,
    )
)
register(
    Duty(
        "review_papers",
        "Review papers sent (2 weeks before)",
        "Send the advice and papers for the annual review meeting (meeting due by {trigger} at the latest)",
        "SEND Regulations 2014 r.20(4); CoP 9.176",
        _before_each_review,
        event="review_papers_sent",
        days=REVIEW_PAPERS_DAYS,
    )
)
register(
    Duty(
        "review_report",
        "Review report sent (2 weeks after)",
        "Send the report of the review meeting held on {trigger}",
        "SEND Regulations 2014 r.20(7); CoP 9.176",
        _answered,
        event="review_report_sent",
        days=REVIEW_REPORT_DAYS,
    )
)
register(
    Duty(
        "reassessment_timing",
        "Re-assessment not within 6 months",
        "",
        "SEND Regulations 2014 r.24(3)",
        _reassessment_timing,
        event="reassessment_requested",
        school_duty=False,  # the local authority may refuse a request within 6 months: not a school deadline
    )
)
register(
    Duty(
        "phase_transfer_review",
        "Phase transfer: plan amended (15 Feb / 31 Mar)",
        "Review the EHC plan and ask the LA to amend it, naming the next school, before the phase transfer",
        "SEND Regulations 2014 r.18(1); CoP 9.179",
        _phase_transfer,
        event="plan_amended",
        school_duty=False,  # r.18: the local authority must review and amend the plan
    )
)
register(
    Duty(
        "pfa_review",
        "Year 9+ review with a preparing-for-adulthood focus",
        "",
        "SEND Code of Practice 8.9 and 9.166",
        _pfa_focus,
        event="review_meeting",
    )
)
register(
    Duty(
        "parent_meetings",
        "Parent meetings (3 a year)",
        "Meet the pupil's parents ({held} of 3 this year)",
        "SEND Code of Practice 6.65 (guidance) and the trust's policy",
        _parent_meetings,
        statutory=False,
        per_pupil=False,
    )
)


def _pupils_at_send(trust: TrustData, start, end, as_of) -> set[str]:
    """Pupils on roll now who were at K or E in the academic year from ``start`` to ``end``.

    For a past year the January census of that year says who was; for the current year,
    or where no census covers the year, the pupil's provision now.
    """
    current = set(trust.pupils.loc[trust.pupils["sen_provision"].isin(["K", "E"]), "upn"])
    history = trust.sen_history
    if history is None or start == school_year_start(as_of):
        return current
    census = history[history["census_date"].between(start, end)]
    if census.empty:
        return current
    return set(census.loc[census["sen_provision"].isin(["K", "E"]), "upn"]) & set(trust.pupils["upn"])


def ehc_histories(trust: TrustData, as_of, upns=None) -> list[Pupil]:
    """Each pupil on roll (of ``upns``, if given) with EHC events up to ``as_of``: their events
    by kind, dates sorted."""
    events = trust.ehc_events
    if events is None:
        return []
    events = (
        events[(events["date"] <= as_of) & (events["upn"].isin(upns) if upns is not None else True)]
        .drop_duplicates(["upn", "event", "date"])
        .sort_values("date")
    )
    grouped: dict[str, dict[str, list]] = {}
    for upn, event, date in events[["upn", "event", "date"]].itertuples(index=False):
        grouped.setdefault(upn, {}).setdefault(event, []).append(date)
    if "pfa_focus" in events:  # the reviews recorded with a PfA focus (Y) and without one (N)
        reviews = events[events["event"].eq("review_meeting") & events["pfa_focus"].notna()]
        for upn, date, focus in reviews[["upn", "date", "pfa_focus"]].itertuples(index=False):
            grouped[upn].setdefault("pfa_focus" if focus else "pfa_without", []).append(date)
    pupils = trust.pupils.set_index("upn")
    top_year = trust.pupils.groupby("school")["year_group"].max()
    return [
        Pupil(
            upn,
            row["school"],
            grouped[upn],
            row["sen_provision"] == "E",
            row["year_group"],
            as_of,
            int(top_year[row["school"]]),
        )
        for upn, row in pupils.loc[pupils.index.intersection(list(grouped))].iterrows()
    ]


def statutory_duties(trust: TrustData, as_of=None) -> pd.DataFrame:
    """Every instance of every dated duty, with its deadline and status.

    Parameters
    ----------
    trust : TrustData
        Uses ``ehc_events`` and ``parent_meetings`` (either may be absent) and ``pupils``.
    as_of : date, optional
        The day to judge from; default the trust's export date.

    Returns
    -------
    DataFrame
        ``upn, school, duty, trigger_date, due_date, done_date, status, days_late``:
        ``duty`` the name of a duty in ``REGISTRY``; ``trigger_date`` the event that starts the clock (for
        notice and papers, the meeting itself; for the next review owed, its latest date);
        ``due_date`` the deadline (for notice and papers, the last day to send; for
        re-assessment, the earliest allowed request; for parent meetings, the end of the
        academic year); ``done_date`` when it was done (missing if not); ``status`` one of
        ``STATUSES``; ``days_late`` calendar days past the deadline (0 unless late or overdue).
    """
    as_of = trust.day(as_of)
    per_pupil = [duty for duty in REGISTRY.values() if duty.per_pupil]
    rows = []
    for pupil in ehc_histories(trust, as_of):
        for duty in per_pupil:
            rows += duty.rule(pupil, duty)
    for duty in REGISTRY.values():
        if not duty.per_pupil:
            rows += duty.rule(trust, as_of, duty)
    duties = pd.DataFrame(rows, columns=DUTY_COLUMNS)
    for column in ("trigger_date", "due_date", "done_date"):
        duties[column] = pd.to_datetime(duties[column]).astype("datetime64[ns]")
    duties["days_late"] = duties["days_late"].astype("int64")
    duties = _supersede(duties)
    order = {duty: i for i, duty in enumerate(REGISTRY)}
    return duties.sort_values(
        ["school", "upn", "duty", "trigger_date"], key=lambda s: s.map(order) if s.name == "duty" else s
    ).reset_index(drop=True)


def _supersede(duties: pd.DataFrame) -> pd.DataFrame:
    """Overdue instances with a later instance of the same duty for the same pupil done (met or
    late) become ``missed``: the pupil's duty has moved on (a review report from 2019 is not
    owed now when this year's was sent)."""
    done = duties["status"].isin(["met", "late"])
    last_done = duties["trigger_date"].where(done).groupby([duties["upn"], duties["duty"]]).transform("max")
    superseded = duties["status"].eq("overdue") & (duties["trigger_date"] < last_done)
    return duties.assign(
        status=duties["status"].mask(superseded, "missed"), days_late=duties["days_late"].mask(superseded, 0)
    )


GRADUATED_COLUMNS = [
    "upn",
    "school",
    "year_group",
    "sen_provision",
    "plan_start",
    "review_due",
    "review_held",
    "review_status",
    "days_to_review",
    "meetings_this_year",
    "meetings_owed",
    "last_meeting",
]
REVIEW_STATUSES = ("on_track", "due_soon", "overdue", "no_review_date", "no_plan")


def graduated_approach(trust: TrustData, as_of=None) -> pd.DataFrame:
    """Assess, plan, do, review: each pupil at K or E, their current plan and parent meetings.

    The current plan is the latest with ``plan_start`` on or before ``as_of``. Its review is
    ``overdue`` when ``review_due`` has passed without ``review_held``; ``due_soon`` when
    it falls within ``REVIEW_DUE_SOON_DAYS``; ``on_track`` otherwise, or when the review
    was held no more than ``REVIEW_DUE_SOON_DAYS`` ago; ``no_review_date`` when the plan
    has none; ``no_plan`` when the pupil has no plan, or the last one was reviewed more
    than two weeks ago and no new plan has started.

    Returns
    -------
    DataFrame
        ``upn, school, year_group, sen_provision, plan_start, review_due, review_held,
        review_status, days_to_review`` (days from ``as_of`` to ``review_due``, negative
        when past), ``meetings_this_year`` (parent meetings since 1 September),
        ``meetings_owed`` (toward ``PARENT_MEETINGS_PER_YEAR``), ``last_meeting``.
    """
    as_of = trust.day(as_of)
    send = trust.pupils[trust.pupils["sen_provision"].isin(["K", "E"])][
        ["upn", "school", "year_group", "sen_provision"]
    ]
    if trust.support_plans is not None:
        plans = trust.support_plans[trust.support_plans["plan_start"] <= as_of].sort_values("plan_start")
        current = plans.groupby("upn").tail(1)[["upn", "plan_start", "review_due", "review_held"]]
        current["review_held"] = current["review_held"].where(current["review_held"] <= as_of)
    else:
        current = pd.DataFrame(columns=["upn", "plan_start", "review_due", "review_held"])
    table = send.merge(current, on="upn", how="left")
    for column in ("plan_start", "review_due", "review_held"):
        table[column] = pd.to_datetime(table[column]).astype("datetime64[ns]")
    soon = pd.Timedelta(days=REVIEW_DUE_SOON_DAYS)
    status = pd.Series("on_track", index=table.index)
    status[table["review_due"].isna()] = "no_review_date"
    open_review = table["review_held"].isna()
    status[open_review & (table["review_due"] - as_of <= soon)] = "due_soon"
    status[open_review & (table["review_due"] < as_of)] = "overdue"
    status[table["review_held"].notna() & (as_of - table["review_held"] > soon)] = "no_plan"
    status[table["plan_start"].isna()] = "no_plan"
    table["review_status"] = status
    table["days_to_review"] = (table["review_due"] - as_of).dt.days.astype("Int64")
    start = school_year_start(as_of)
    if trust.parent_meetings is not None:
        held = trust.parent_meetings[trust.parent_meetings["meeting_date"].between(start, as_of)]
        counts = held.groupby("upn")["meeting_date"].agg(["count", "max"])
    else:
        counts = pd.DataFrame(columns=["count", "max"])
    counts = counts.reindex(table["upn"])  # (Series.map with an empty frame of dates fails in pandas 3)
    table["meetings_this_year"] = counts["count"].fillna(0).to_numpy(dtype="int64")
    table["meetings_owed"] = (PARENT_MEETINGS_PER_YEAR - table["meetings_this_year"]).clip(lower=0)
    table["last_meeting"] = pd.to_datetime(counts["max"].to_numpy()).astype("datetime64[ns]")
    return table[GRADUATED_COLUMNS].sort_values(["school", "upn"]).reset_index(drop=True)


def meetings_owed_words(owed) -> str:
    """How many of the year's parent meetings are still to hold, in words.

    >>> meetings_owed_words(3), meetings_owed_words(2), meetings_owed_words(0)
    ('all 3 a year still to hold', '2 of the 3 a year still to hold', 'none still to hold')
    """
    owed = int(owed)
    if owed >= PARENT_MEETINGS_PER_YEAR:
        return f"all {PARENT_MEETINGS_PER_YEAR} a year still to hold"
    return f"{owed} of the {PARENT_MEETINGS_PER_YEAR} a year still to hold" if owed else "none still to hold"


SUMMARY_COLUMNS = [
    "school",
    "duty",
    "label",
    "basis",
    "instances",
    *STATUSES,
    "judged",
    "met_on_time_pct",
    "judged_this_year",
    "met_this_year",
    "met_on_time_this_year_pct",
    "judged_12_months",
    "met_12_months",
    "met_on_time_12_months_pct",
    "overdue_now",
    "due_next_30_days",
]


def duties_summary(trust: TrustData, as_of=None, duties: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per school and for the whole trust: how many instances of the schools' own duties
    (not the local authority's: ``Duty.school_duty``) were met on time.

    Returns
    -------
    DataFrame
        ``school`` ("All schools" for the trust), ``duty``, ``label``, ``basis``
        ("statutory" or "trust policy"), ``instances``, counts by status; ``judged``, the
        instances whose deadline has passed or which are done (every status but ``due``),
        and ``met_on_time_pct``, met as a percentage of them, over all the history; the same
        for the instances judged this school year (``judged_this_year``, ``met_this_year``,
        ``met_on_time_this_year_pct``) and in the last 12 months (``judged_12_months``,
        ``met_12_months``, ``met_on_time_12_months_pct``), an instance being judged on the
        day it was done or, if it was not, on its deadline; ``overdue_now`` and
        ``due_next_30_days`` (not done, deadline within ``TODO_HORIZON_DAYS``). Counts are
        exact: suppress small ones before showing them to a committee.
    """
    as_of = trust.day(as_of)
    duties = statutory_duties(trust, as_of) if duties is None else duties
    duties = duties[duties["duty"].isin([name for name, duty in REGISTRY.items() if duty.school_duty])]
    both = pd.concat([duties, duties.assign(school="All schools")])
    flags = {status: both["status"].eq(status) for status in STATUSES}
    judged = both["status"].isin(JUDGED)
    judged_on = both["done_date"].fillna(both["due_date"])  # the day it was done, else its deadline
    windows = {  # column suffix: the instances judged in that window
        "": judged,
        "_this_year": judged & judged_on.between(school_year_start(as_of), as_of),
        "_12_months": judged & judged_on.between(as_of - pd.DateOffset(months=12) + pd.Timedelta(days=1), as_of),
    }
    for suffix, within in windows.items():
        flags[f"judged{suffix}"] = within
        flags[f"met{suffix}"] = within & flags["met"]  # (every met instance is judged)
    flags["due_next_30_days"] = flags["due"] & (both["due_date"] <= as_of + pd.Timedelta(days=TODO_HORIZON_DAYS))
    flags["instances"] = pd.Series(True, index=both.index)
    summary = (
        pd.DataFrame(flags).astype("int64").groupby([both["school"], both["duty"]], sort=False).sum().reset_index()
    )
    for suffix in windows:
        judged_n = summary[f"judged{suffix}"]
        summary[f"met_on_time{suffix}_pct"] = (100.0 * summary[f"met{suffix}"] / judged_n).where(judged_n > 0)
    summary["overdue_now"] = summary["overdue"]
    summary["label"] = summary["duty"].map(lambda duty: REGISTRY[duty].label)
    summary["basis"] = summary["duty"].map(lambda duty: "statutory" if REGISTRY[duty].statutory else "trust policy")
    summary = summary[SUMMARY_COLUMNS]
    order = {duty: i for i, duty in enumerate(REGISTRY)}
    summary["_order"] = summary["duty"].map(order)
    summary["_trust"] = summary["school"].eq("All schools")
    return summary.sort_values(["_trust", "school", "_order"]).drop(columns=["_order", "_trust"]).reset_index(drop=True)


TODO_COLUMNS = ["school", "upn", "what", "by", "status", "days", "basis"]
TODO_STATUSES = ("overdue", "no deadline", "due")  # the to-do list's order
GRADUATED_BASIS = "trust policy"  # support plans' reviews: the Code's guidance (6.44-6.56), the trust's dates


def duties_todo(
    trust: TrustData, as_of=None, horizon_days: int = TODO_HORIZON_DAYS, duties: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The SENCO's to-do list: what is overdue now and what falls due in the next 30 days.

    Duty instances not done (overdue, or due within ``horizon_days``; never ``missed``), one
    line per pupil and duty (its latest open instance), and support-plan reviews that are
    overdue or due soon; parent meetings are listed when fewer have been held this year than
    the year so far calls for (one a term), due by the end of this term.

    Returns
    -------
    DataFrame
        ``school, upn, what`` (an instruction in words), ``by`` (the deadline), ``status``
        (``overdue``, ``due``, or ``no deadline``: a pupil at K or E with no support plan, or
        a plan with no review date, which is owed now but has no date to be late from),
        ``days`` (days overdue, or days left), ``basis`` ("statutory": the law sets the
        deadline; "trust policy": the Code's guidance as the trust's policy sets it, as for
        support plans and parent meetings): what is overdue first, the most recent
        deadline first (the oldest a SENCO may already have in hand), then what has no
        deadline, then what is due, the soonest first.
    """
    as_of = trust.day(as_of)
    duties = statutory_duties(trust, as_of) if duties is None else duties
    horizon = as_of + pd.Timedelta(days=horizon_days)
    # parent meetings fall due on 31 August: owed within the year, listed by the rule below
    open_duties = duties[
        duties["status"].eq("overdue")
        | (duties["status"].eq("due") & ((duties["due_date"] <= horizon) | duties["duty"].eq("parent_meetings")))
    ]
    # one line per pupil and duty: the latest overdue instance, else the latest due
    open_duties = (
        open_duties.assign(_overdue=open_duties["status"].eq("overdue"))
        .sort_values(["_overdue", "trigger_date"])
        .groupby(["upn", "duty"], sort=False)
        .tail(1)
    )
    plans = graduated_approach(trust, as_of)
    held = plans.set_index("upn")["meetings_this_year"]
    rows = []
    terms_so_far = terms_started(as_of)
    for duty in open_duties.itertuples(index=False):
        due = duty.due_date
        if duty.duty == "parent_meetings":
            # (only this year's can be open: last year's are missed) listed once a term is owed,
            # by the end of this term: the meeting this term calls for, not the year's deadline
            count = int(held.get(duty.upn, 0))
            if count >= terms_so_far:
                continue
            due = min(due, term_end(as_of))
        else:
            count = 0
        what = REGISTRY[duty.duty].action.format(trigger=f"{duty.trigger_date:%d %b %Y}", held=count)
        basis = "statutory" if REGISTRY[duty.duty].statutory else "trust policy"
        rows.append((duty.school, duty.upn, what, due, duty.status, days_apart(due, as_of), basis))
    for plan in plans.itertuples(index=False):
        if plan.review_status in ("overdue", "due_soon"):
            rows.append(
                (
                    plan.school,
                    plan.upn,
                    f"Review the support plan started {plan.plan_start:%d %b %Y}",
                    plan.review_due,
                    "overdue" if plan.review_status == "overdue" else "due",
                    days_apart(plan.review_due, as_of),
                    GRADUATED_BASIS,
                )
            )
        elif plan.review_status in ("no_plan", "no_review_date"):
            what = (
                "Write a support plan with a review date (assess, plan, do, review)"
                if plan.review_status == "no_plan"
                else "Set a review date for the support plan"
            )
            rows.append((plan.school, plan.upn, what, pd.NaT, "no deadline", 0, GRADUATED_BASIS))  # owed, undated
    todo = pd.DataFrame(rows, columns=TODO_COLUMNS)
    todo["by"] = pd.to_datetime(todo["by"]).astype("datetime64[ns]")
    todo["_urgency"] = todo["status"].map({status: i for i, status in enumerate(TODO_STATUSES)})
    # overdue: the fewest days overdue first; due: the fewest days left first
    return todo.sort_values(["_urgency", "days", "school", "upn"]).drop(columns="_urgency").reset_index(drop=True)


def days_apart(due, as_of) -> int:
    """Whole days between a deadline and a day, either way round."""
    return abs((as_of - due).days)


def when_words(status: str, days: int) -> str:
    """A to-do line's urgency in words (:func:`duties_todo`'s ``status`` and ``days``)."""
    if status == "no deadline":
        return "owed now (no date)"
    if days == 0:  # (overdue is at least a day past the deadline)
        return "due today"
    return f"{days} day{'s' * (days != 1)} {'overdue' if status == 'overdue' else 'left'}"
