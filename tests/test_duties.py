import json
import re

import numpy as np
import pandas as pd
import pytest

import sendlib
from sendlib import DataError, load_trust
from sendlib import duties as duties_module
from sendlib._testing import write_folder
from sendlib.codes import upn_check_letter
from sendlib.duties import REGISTRY, Duty, duties_summary, duties_todo, graduated_approach, statutory_duties

AS_OF = pd.Timestamp("2026-06-15")
DAY = pd.Timedelta(days=1)


def upn(i: int) -> str:
    body = f"999300026{i:03d}"
    return upn_check_letter(body) + body


def trust_with(tmp_path, events, provision="E", year_group="4", meetings=(), plans=None, n_pupils=None):
    """A trust folder whose pupils are 0..n-1, all at ``provision``, with the events given."""
    n = n_pupils or (max([e[0] for e in events] + [m[0] for m in meetings] + [0]) + 1)
    pupils = pd.DataFrame(
        {
            "upn": [upn(i) for i in range(n)],
            "school": "Elm",
            "date_of_birth": "01/02/2016",
            "year_group": year_group,
            "sen_provision": provision,
            "primary_need": "ASD" if provision != "N" else "",
        }
    )
    files = {
        "pupils": pupils,
        "ehc_events": pd.DataFrame(
            [(upn(i), e, d.strftime("%d/%m/%Y")) for i, e, d in events], columns=["upn", "event", "date"]
        ),
    }
    if meetings:
        files["parent_meetings"] = pd.DataFrame(
            [(upn(i), d.date().isoformat()) for i, d in meetings], columns=["upn", "meeting_date"]
        )
    if plans is not None:
        files["support_plans"] = plans
    folder = write_folder(tmp_path / "t", files)
    (folder / "manifest.json").write_text(json.dumps({"exported_on": AS_OF.date().isoformat()}))
    return load_trust(folder)


def statuses(trust, duty):
    d = statutory_duties(trust)
    d = d[d["duty"] == duty]
    return dict(zip(d["upn"], d["status"]))


# --- each duty at and around its deadline ------------------------------------------------------
@pytest.mark.parametrize(
    "question, answer, duty, days",
    [
        ("info_requested", "info_sent", "info_for_needs_assessment", 42),
        ("draft_plan_received", "draft_views_sent", "draft_plan_views", 15),
    ],
)
def test_answer_within_days(tmp_path, question, answer, duty, days):
    start = AS_OF - pd.Timedelta(days=200)
    events = [
        (0, question, start),
        (0, answer, start + days * DAY),  # on the deadline: met
        (1, question, start),
        (1, answer, start + (days + 1) * DAY),  # a day late
        (2, question, AS_OF - days * DAY),  # deadline today: due
        (3, question, AS_OF - (days + 1) * DAY),  # deadline yesterday: overdue
        (4, question, start),
        (4, answer, start),
    ]  # same day: met
    if duty == "draft_plan_views":
        events += [(i, "plan_issued", start - 400 * DAY) for i in range(5)]
    provision = "E" if duty == "draft_plan_views" else "K"
    d = statutory_duties(trust_with(tmp_path, events, provision=provision))
    got = dict(zip(d.loc[d["duty"] == duty, "upn"], d.loc[d["duty"] == duty, "status"]))
    assert [got[upn(i)] for i in range(5)] == ["met", "late", "due", "overdue", "met"]
    late = d[(d["duty"] == duty) & (d["upn"] == upn(1))].iloc[0]
    assert late["days_late"] == 1 and late["due_date"] == start + days * DAY
    overdue = d[(d["duty"] == duty) & (d["upn"] == upn(3))].iloc[0]
    assert overdue["days_late"] == 1


def test_annual_review_within_twelve_calendar_months(tmp_path):
    issued = pd.Timestamp("2024-03-31")
    events = [
        (0, "plan_issued", issued),
        (0, "review_meeting", pd.Timestamp("2025-03-31")),  # met, exactly
        (0, "review_meeting", pd.Timestamp("2026-04-01")),  # then a day late
        (1, "plan_issued", AS_OF - pd.DateOffset(months=12)),  # due today
        (2, "plan_issued", AS_OF - pd.DateOffset(months=12) - DAY),
    ]  # overdue
    d = statutory_duties(trust_with(tmp_path, events))
    reviews = d[d["duty"] == "annual_review"]
    first = reviews[reviews["upn"] == upn(0)]["status"].tolist()
    assert first == ["met", "late", "due"]  # and the next review, due 1 April 2027
    assert reviews[reviews["upn"] == upn(1)]["status"].tolist() == ["due"]
    assert reviews[reviews["upn"] == upn(2)]["status"].tolist() == ["overdue"]


def test_no_review_owed_once_the_plan_has_ended(tmp_path):
    events = [(0, "plan_issued", pd.Timestamp("2023-01-10"))]
    assert statuses(trust_with(tmp_path, events, provision="K"), "annual_review") == {}


@pytest.mark.parametrize(
    "event, duty", [("review_invites_sent", "review_notice"), ("review_papers_sent", "review_papers")]
)
def test_two_weeks_before_the_meeting(tmp_path, event, duty):
    issued = AS_OF - pd.Timedelta(days=500)
    meeting = AS_OF - pd.Timedelta(days=100)
    events = [(i, "plan_issued", issued) for i in range(3)] + [
        (0, "review_meeting", meeting),
        (0, event, meeting - 14 * DAY),  # exactly two weeks: met
        (1, "review_meeting", meeting),
        (1, event, meeting - 13 * DAY),  # 13 days' notice: late
        (2, "review_meeting", meeting),
    ]  # never sent, and the meeting has been held: missed (it can no longer be sent before it)
    d = statutory_duties(trust_with(tmp_path, events))
    held = d[(d["duty"] == duty) & (d["trigger_date"] == meeting)]
    assert held.set_index("upn")["status"].to_dict() == {upn(0): "met", upn(1): "late", upn(2): "missed"}
    # the next meeting owed (a year after this one): invitations are due two weeks before it
    upcoming = d[(d["duty"] == duty) & (d["trigger_date"] > AS_OF)]
    assert set(upcoming["status"]) == {"due"}
    assert (upcoming["due_date"] == meeting + pd.DateOffset(months=12) - 14 * DAY).all()


def test_review_report_within_two_weeks(tmp_path):
    issued = AS_OF - pd.Timedelta(days=500)
    m = AS_OF - pd.Timedelta(days=60)
    events = [(i, "plan_issued", issued) for i in range(4)] + [
        (0, "review_meeting", m),
        (0, "review_report_sent", m + 14 * DAY),
        (1, "review_meeting", m),
        (1, "review_report_sent", m + 15 * DAY),
        (2, "review_meeting", AS_OF - 14 * DAY),
        (3, "review_meeting", AS_OF - 15 * DAY),
    ]
    got = statuses(trust_with(tmp_path, events), "review_report")
    assert [got[upn(i)] for i in range(4)] == ["met", "late", "due", "overdue"]


def test_reassessment_no_sooner_than_six_months(tmp_path):
    issued = pd.Timestamp("2025-01-31")
    events = [
        (0, "plan_issued", issued),
        (0, "reassessment_requested", pd.Timestamp("2025-07-31")),
        (1, "plan_issued", issued),
        (1, "reassessment_requested", pd.Timestamp("2025-07-30")),
    ]
    got = statuses(trust_with(tmp_path, events), "reassessment_timing")
    assert got == {upn(0): "met", upn(1): "too_early"}


@pytest.mark.parametrize(
    "year_group, deadline",
    [("N2", "2026-02-15"), ("2", "2026-02-15"), ("4", "2026-02-15"), ("6", "2026-02-15"), ("11", "2026-03-31")],
)
def test_phase_transfer_met_only_when_the_plan_is_amended_by_its_deadline(tmp_path, year_group, deadline):
    """Every transfer point the Code names (here each school's top year is the pupils' own): a
    review meeting is not enough; the amended plan on the deadline is met, a day later late."""
    due = pd.Timestamp(deadline)
    events = [(i, "plan_issued", pd.Timestamp("2025-03-01")) for i in range(4)]
    events += [
        (0, "plan_amended", due),  # on the deadline: met
        (1, "plan_amended", due + DAY),  # a day late
        (2, "review_meeting", due - 30 * DAY),  # a meeting, no amended plan: overdue
        (3, "plan_amended", pd.Timestamp("2025-06-01")),  # last school year's amendment does not count
    ]
    trust = trust_with(tmp_path, events, year_group=year_group)
    d = statutory_duties(trust, as_of="2026-04-20")
    transfer = d[d["duty"] == "phase_transfer_review"].set_index("upn")
    assert transfer["status"].to_dict() == {upn(0): "met", upn(1): "late", upn(2): "overdue", upn(3): "overdue"}
    assert (transfer["due_date"] == due).all()
    assert (transfer["trigger_date"] == pd.Timestamp("2025-09-01")).all()


def test_phase_transfer_only_where_pupils_move_on(tmp_path):
    """Year 2 moves on from an infant school (top year 2), not from a primary (top year 6);
    Year 6 and Year 11 always do, Year 9 never."""
    events = [(i, "plan_issued", pd.Timestamp("2025-03-01")) for i in range(4)]
    trust = trust_with(tmp_path, events, year_group=["2", "6", "9", "11"])
    d = statutory_duties(trust, as_of="2026-01-20")
    transfer = d[d["duty"] == "phase_transfer_review"]
    assert set(transfer["upn"]) == {upn(1), upn(3)}
    assert transfer.set_index("upn")["status"].to_dict() == {upn(1): "due", upn(3): "due"}


def test_pfa_focus_judged_on_reviews_from_year_9(tmp_path):
    """A review from Year 9 with the flag (Y) is met, with N missed; a blank is not recorded and
    not judged, nor are earlier reviews; an export without the column judges none."""
    pupils = pd.DataFrame(
        {
            "upn": [upn(i) for i in range(2)],
            "school": "Elm",
            "date_of_birth": "01/02/2012",
            "year_group": "10",
            "sen_provision": "E",
            "primary_need": "ASD",
        }
    )
    rows = [
        (upn(0), "plan_issued", "01/03/2023", ""),
        (upn(0), "review_meeting", "20/02/2024", "N"),  # Year 8 then: not judged
        (upn(0), "review_meeting", "10/02/2025", "Y"),  # Year 9: met
        (upn(0), "review_meeting", "01/02/2026", ""),  # Year 10, not recorded: not judged
        (upn(0), "review_meeting", "01/06/2026", "N"),  # Year 10 without: missed
        (upn(1), "plan_issued", "01/03/2024", ""),
        (upn(1), "review_meeting", "01/03/2025", "N"),  # Year 9 without: missed
    ]
    events = pd.DataFrame(rows, columns=["upn", "event", "date", "pfa_focus"])
    folder = write_folder(tmp_path / "t", {"pupils": pupils, "ehc_events": events})
    (folder / "manifest.json").write_text(json.dumps({"exported_on": AS_OF.date().isoformat()}))
    d = statutory_duties(load_trust(folder))
    pfa = d[d["duty"] == "pfa_review"]
    assert set(zip(pfa["upn"], pfa["trigger_date"].dt.strftime("%Y-%m-%d"), pfa["status"])) == {
        (upn(0), "2025-02-10", "met"),
        (upn(0), "2026-06-01", "missed"),
        (upn(1), "2025-03-01", "missed"),
    }
    folder = write_folder(tmp_path / "u", {"pupils": pupils, "ehc_events": events.drop(columns="pfa_focus")})
    (folder / "manifest.json").write_text(json.dumps({"exported_on": AS_OF.date().isoformat()}))
    assert "pfa_review" not in set(statutory_duties(load_trust(folder))["duty"])


def test_parent_meetings_three_a_year(tmp_path):
    this_year = [(0, pd.Timestamp(d)) for d in ("2025-10-01", "2026-02-01", "2026-05-01")] + [
        (1, pd.Timestamp("2025-10-01"))
    ]
    trust = trust_with(tmp_path, [], provision="K", meetings=this_year, n_pupils=2)
    d = statutory_duties(trust)
    current = d[(d["duty"] == "parent_meetings") & (d["trigger_date"] == pd.Timestamp("2025-09-01"))]
    assert current.set_index("upn")["status"].to_dict() == {upn(0): "met", upn(1): "due"}
    last_year = d[(d["duty"] == "parent_meetings") & (d["trigger_date"] == pd.Timestamp("2024-09-01"))]
    assert set(last_year["status"]) == {"missed"}  # none held last year, which has ended
    plans = graduated_approach(trust).set_index("upn")
    assert plans.loc[upn(1), "meetings_this_year"] == 1 and plans.loc[upn(1), "meetings_owed"] == 2


# --- a planted trust: statuses agree with the rules -----------------------------------------------
def test_planted_trust_statuses_agree_with_the_rules(tmp_path):
    rng = np.random.default_rng(3)
    events, expected = [], {}
    rules = {
        "info_for_needs_assessment": ("info_requested", "info_sent", 42),
        "draft_plan_views": ("draft_plan_received", "draft_views_sent", 15),
        "review_report": ("review_meeting", "review_report_sent", 14),
    }
    for i in range(300):
        duty = list(rules)[i % 3]
        question, answer, days = rules[duty]
        kind = rng.choice(["met", "late", "due", "overdue"])
        events.append((i, "plan_issued", AS_OF - pd.Timedelta(days=700)))
        if duty == "review_report":  # keep the annual review chain out of the way
            events.append((i, "review_invites_sent", AS_OF - pd.Timedelta(days=400)))
        if kind in ("met", "late"):
            start = AS_OF - pd.Timedelta(days=int(rng.integers(days + 30, 300)))
            offset = int(rng.integers(0, days + 1)) if kind == "met" else int(rng.integers(days + 1, days + 20))
            events += [(i, question, start), (i, answer, start + offset * DAY)]
        else:
            back = int(rng.integers(0, days + 1)) if kind == "due" else int(rng.integers(days + 1, days + 60))
            events.append((i, question, AS_OF - back * DAY))
        expected[(upn(i), duty)] = kind
    d = statutory_duties(trust_with(tmp_path, events))
    got = {(r.upn, r.duty): r.status for r in d.itertuples() if (r.upn, r.duty) in expected}
    agree = np.mean([got.get(key) == status for key, status in expected.items()])
    assert agree == 1.0


# --- the graduated approach ------------------------------------------------------------------------
def test_graduated_approach_review_statuses(tmp_path):
    plans = pd.DataFrame(
        [
            (upn(0), "2026-04-20", "2026-06-01", ""),  # overdue
            (upn(1), "2026-04-20", "2026-06-25", ""),  # due within 14 days: due soon
            (upn(2), "2026-04-20", "2026-07-20", ""),  # on track
            (upn(4), "2026-01-10", "2026-03-30", "2026-03-28"),  # reviewed long ago, no new plan
            (upn(5), "2026-04-20", "", ""),  # no review date
            (upn(6), "2026-01-10", "2026-03-30", "2026-03-28"),  # reviewed, then a new plan
            (upn(6), "2026-04-01", "2026-06-29", ""),  # due on the 14th day: due soon
        ],
        columns=["upn", "plan_start", "review_due", "review_held"],
    )
    trust = trust_with(tmp_path, [], provision="K", plans=plans, n_pupils=7)
    table = graduated_approach(trust).set_index("upn")
    assert table["review_status"].to_dict() == {
        upn(0): "overdue",
        upn(1): "due_soon",
        upn(2): "on_track",
        upn(3): "no_plan",
        upn(4): "no_plan",
        upn(5): "no_review_date",
        upn(6): "due_soon",
    }
    assert table.loc[upn(0), "days_to_review"] == -14


@pytest.mark.parametrize("as_of", ["2026-09-01", "2027-12-05"])
def test_graduated_approach_when_no_meeting_falls_in_the_school_year(as_of):
    """The first day of a school year, or an export from an earlier year opened later: no parent
    meeting this school year is an answer (three owed each), not a crash."""
    import sendlib

    trust = sendlib.load_sample()
    table = graduated_approach(trust, as_of=as_of)
    send = trust.pupils["sen_provision"].isin(["K", "E"]).sum()
    assert len(table) == send and table["last_meeting"].dtype == "datetime64[ns]"
    assert (table["meetings_this_year"] == 0).all() and (table["meetings_owed"] == 3).all()
    todo = duties_todo(trust, as_of=as_of)
    assert len(todo)


def test_summary_and_todo_on_the_sample():
    import sendlib

    trust = sendlib.load_sample()
    duties = statutory_duties(trust)
    assert set(duties["duty"]) == set(REGISTRY)
    summary = duties_summary(trust, duties=duties)
    whole = summary[summary["school"] == "All schools"].set_index("duty")
    assert whole.loc["annual_review", "instances"] == (duties["duty"] == "annual_review").sum()
    per_school = summary[summary["school"] != "All schools"].groupby("duty")["overdue_now"].sum()
    assert (per_school == whole["overdue_now"].reindex(per_school.index)).all()
    assert whole["met_on_time_pct"].between(0, 100).all()
    todo = duties_todo(trust, duties=duties)
    assert set(todo["status"]) == {"overdue", "due", "no deadline"}
    assert todo["by"].isna().eq(todo["status"].eq("no deadline")).all()  # never the export date as a deadline
    assert todo["what"].str.len().gt(10).all()
    due = todo[todo["status"] == "due"]
    meetings = due["what"].str.startswith("Meet the pupil's parents")  # owed within the year
    assert (due.loc[~meetings, "by"] <= trust.as_of + pd.Timedelta(days=30)).all() and meetings.any()


def test_todo_lists_a_request_with_a_week_left(tmp_path):
    events = [(0, "info_requested", AS_OF - 35 * DAY)]
    todo = duties_todo(trust_with(tmp_path, events, provision="K"))
    row = todo[todo["what"].str.contains("information")].iloc[0]
    assert row["status"] == "due" and row["days"] == 7 and row["by"] == AS_OF + 7 * DAY


# --- inconsistent histories are data problems -------------------------------------------------------
@pytest.mark.parametrize(
    "events, provision, problem",
    [
        (
            [
                (0, "plan_issued", "2025-01-10"),
                (0, "review_report_sent", "2026-01-05"),
                (0, "review_meeting", "2026-01-10"),
            ],
            "E",
            "review_report_sent on 05/01/2026 has no review_meeting",
        ),
        ([(0, "info_sent", "2026-01-05")], "K", "info_sent on 05/01/2026 has no info_requested"),
        ([(0, "plan_issued", "2025-01-10"), (0, "review_meeting", "2024-12-10")], "E", "before the first plan_issued"),
        ([(0, "plan_issued", "2025-01-10"), (0, "plan_issued", "2025-01-10")], "E", "a second row for the same"),
        ([(0, "info_requested", "2025-01-10")], "N", "no SEN provision (N)"),
        ([(0, "review_meeting", "2025-01-10")], "E", "has an EHC plan but no plan_issued"),
    ],
)
def test_inconsistent_event_histories(tmp_path, events, provision, problem):
    events = [(i, e, pd.Timestamp(d)) for i, e, d in events]
    with pytest.raises(DataError, match=re.escape(problem)) as info:
        trust_with(tmp_path, events, provision=provision)
    assert info.value.problems.iloc[0]["file"] == "ehc_events.csv"
    assert info.value.problems.iloc[0]["row"] >= 2


# --- the registry: a duty is one declaration plus its rule ----------------------------------------
def test_a_registered_duty_appears_in_the_table_the_summary_and_the_to_do_list(tmp_path, monkeypatch):
    def transition_plan(pupil, duty):  # a made-up duty: a plan meeting within 10 days of each plan issued
        return [
            pupil.instance(duty.name, issued, issued + pd.Timedelta(days=duty.days), None)
            for issued in pupil.dates("plan_issued")
        ]

    monkeypatch.setattr(duties_module, "REGISTRY", dict(REGISTRY))
    duties_module.register(
        Duty(
            "transition_meeting",
            "Transition meeting (10 days)",
            "Hold the transition meeting for the plan of {trigger}",
            "an example",
            transition_plan,
            days=10,
            statutory=False,
        )
    )
    trust = trust_with(tmp_path, [(0, "plan_issued", AS_OF - 30 * DAY)])
    table = statutory_duties(trust)
    mine = table[table["duty"] == "transition_meeting"]
    assert mine["status"].tolist() == ["overdue"] and mine["days_late"].tolist() == [20]
    assert table["duty"].iloc[-1] == "transition_meeting"  # in the order of declaration
    summary = duties_summary(trust)
    row = summary[(summary["school"] == "Elm") & (summary["duty"] == "transition_meeting")].iloc[0]
    assert row["label"] == "Transition meeting (10 days)" and row["overdue_now"] == 1
    todo = duties_todo(trust)
    assert f"Hold the transition meeting for the plan of {AS_OF - 30 * DAY:%d %b %Y}" in todo["what"].tolist()
    assert todo.loc[todo["what"].str.startswith("Hold the transition"), "basis"].tolist() == ["trust policy"]


def test_the_to_do_list_says_what_the_law_requires_and_what_the_trust_does():
    import sendlib

    todo = duties_todo(sendlib.load_sample())

    def basis(start: str) -> set:
        return set(todo.loc[todo["what"].str.startswith(start), "basis"])

    assert basis("Send ") == {"statutory"}  # reports, advice, invitations and views the regulations time
    assert basis("Meet the pupil's parents") == {"trust policy"}
    assert basis("Review the support plan") == {"trust policy"}  # the Code's guidance, the trust's dates


def test_every_declared_duty_has_its_words_and_its_source():
    for name, duty in REGISTRY.items():
        assert duty.name == name and duty.label and duty.source
        assert duty.action or name in ("reassessment_timing", "pfa_review")  # never open: met, missed or too early


# --- duties that expire: superseded, past and missed --------------------------------------------------
def test_a_later_instance_done_supersedes_an_old_one_never_done(tmp_path):
    """A review report owed since October 2019 is not overdue now for a pupil whose later
    reviews' reports were sent; it is kept as missed. Without a later one sent it stays owed."""
    events = [(i, "plan_issued", pd.Timestamp("2019-01-10")) for i in range(3)]
    for year in range(2019, 2026):
        meeting = pd.Timestamp(f"{year}-10-01")
        events += [(0, "review_meeting", meeting), (1, "review_meeting", meeting)]
        if year > 2019:
            events.append((0, "review_report_sent", meeting + 10 * DAY))  # every report but 2019's
    events += [  # pupil 2: asked twice, the first request never answered, the second answered
        (2, "info_requested", pd.Timestamp("2025-01-06")),
        (2, "info_requested", pd.Timestamp("2025-05-06")),
        (2, "info_sent", pd.Timestamp("2025-05-20")),
    ]
    trust = trust_with(tmp_path, events)
    d = statutory_duties(trust)
    reports = d[d["duty"] == "review_report"].set_index(["upn", "trigger_date"])
    first = reports.loc[(upn(0), pd.Timestamp("2019-10-01"))]
    assert first["status"] == "missed" and first["days_late"] == 0
    assert set(reports.loc[upn(0), "status"]) == {"met", "missed"}
    assert set(reports.loc[upn(1), "status"]) == {"overdue"}  # none ever sent: every one still owed
    info = d[(d["duty"] == "info_for_needs_assessment") & (d["upn"] == upn(2))]
    assert info["status"].tolist() == ["missed", "met"]
    todo = duties_todo(trust, duties=d)
    todo = todo[todo["what"].str.contains("report of the review|information")]
    assert upn(0) not in set(todo["upn"]) and upn(2) not in set(todo["upn"])
    owed = todo[todo["upn"] == upn(1)]  # one line for the pupil: the latest report owed
    assert len(owed) == 1 and "01 Oct 2025" in owed["what"].iloc[0]
    summary = duties_summary(trust, duties=d).set_index(["school", "duty"]).loc[("Elm", "review_report")]
    assert summary["overdue_now"] == 7 and summary["missed"] == 1 and summary["met"] == 6


def test_the_school_year_and_twelve_month_rates(tmp_path):
    """Deadlines judged this school year (from 1 September 2025; AS_OF is 15 June 2026), in the
    last 12 months (from 16 June 2025), and before: each rate counts only its own."""
    dates = {
        0: ("2026-03-02", "2026-03-09"),  # this year: met
        1: ("2026-01-05", "2026-03-02"),  # this year: late (deadline 16 Feb)
        2: ("2025-07-01", "2025-07-08"),  # last 12 months, last school year: met
        3: ("2024-03-04", None),  # two years ago: overdue (no later request)
    }
    events = [(i, "info_requested", pd.Timestamp(asked)) for i, (asked, _) in dates.items()]
    events += [(i, "info_sent", pd.Timestamp(sent)) for i, (_, sent) in dates.items() if sent]
    trust = trust_with(tmp_path, events, provision="K")
    row = duties_summary(trust).set_index(["school", "duty"]).loc[("Elm", "info_for_needs_assessment")]
    assert (row["judged_this_year"], row["met_this_year"], row["met_on_time_this_year_pct"]) == (2, 1, 50.0)
    assert (row["judged_12_months"], row["met_12_months"], row["met_on_time_12_months_pct"]) == (3, 2, 200 / 3)
    assert (row["judged"], row["met"], row["met_on_time_pct"]) == (4, 2, 50.0)
    assert row["basis"] == "statutory" and row["overdue_now"] == 1


@pytest.mark.parametrize(
    "sent, this_year, last_12_months",
    [("2025-06-15", 0, 0), ("2025-06-16", 0, 1), ("2025-08-31", 0, 1), ("2025-09-01", 1, 1)],
)
def test_the_windows_begin_on_1_september_and_twelve_months_ago_to_the_day(tmp_path, sent, this_year, last_12_months):
    """AS_OF is 15 June 2026: the school year began on 1 September 2025, the 12 months on 16
    June 2025. A request answered on time is judged on the day the answer went."""
    events = [(0, "info_requested", pd.Timestamp(sent) - 5 * DAY), (0, "info_sent", pd.Timestamp(sent))]
    row = duties_summary(trust_with(tmp_path, events, provision="K")).set_index("duty").iloc[0]
    assert (row["judged_this_year"], row["judged_12_months"]) == (this_year, last_12_months)


def test_a_re_assessment_is_judged_when_requested_and_is_not_a_school_deadline(tmp_path):
    """Its 'deadline' is the earliest day allowed (the local authority may refuse a request
    within 6 months, r.24(3)): a request made in time is met on the day it was made; it is in
    the duty table, not in the school's on-time rates, as the plan amended for a phase
    transfer (the local authority's duty, r.18) is not."""
    events = [
        (0, "plan_issued", pd.Timestamp("2025-01-10")),
        (0, "reassessment_requested", pd.Timestamp("2025-09-15")),  # in time, this school year
    ]
    trust = trust_with(tmp_path, events)
    row = statutory_duties(trust).set_index("duty").loc["reassessment_timing"]
    assert row["status"] == "met" and row["done_date"] == pd.Timestamp("2025-09-15")
    summary = duties_summary(trust)
    assert "reassessment_timing" not in set(summary["duty"]) and "annual_review" in set(summary["duty"])
    sample = sendlib.load_sample()  # its pupils with plans in Year 6 and 11 move phase this year
    assert (statutory_duties(sample)["duty"] == "phase_transfer_review").sum() > 0
    assert "phase_transfer_review" not in set(duties_summary(sample)["duty"])


def test_the_to_do_list_puts_the_most_recent_overdue_first_then_the_soonest_due(tmp_path):
    events = [
        (0, "info_requested", AS_OF - 100 * DAY),  # 58 days overdue
        (1, "info_requested", AS_OF - 50 * DAY),  # 8 days overdue
        (2, "info_requested", AS_OF - 30 * DAY),  # 12 days left
        (3, "info_requested", AS_OF - 40 * DAY),  # 2 days left
    ]
    todo = duties_todo(trust_with(tmp_path, events, provision="K"))
    order = {status: i for i, status in enumerate(duties_module.TODO_STATUSES)}
    assert todo["status"].map(order).is_monotonic_increasing  # overdue, no deadline (no plans here), due
    assert set(todo["status"]) == set(order)
    todo = todo[todo["what"].str.contains("information")]
    assert todo["upn"].tolist() == [upn(1), upn(0), upn(3), upn(2)]
    assert todo["days"].tolist() == [8, 58, 2, 12]


def test_parent_meetings_owed_this_term_are_on_the_to_do_list(tmp_path):
    """Due on 31 August, yet owed once a term: a pupil with none this year is listed in June."""
    meetings = [(0, pd.Timestamp(d)) for d in ("2025-10-01", "2026-02-01", "2026-05-01")] + [
        (1, pd.Timestamp("2025-10-01"))
    ]
    todo = duties_todo(trust_with(tmp_path, [], provision="K", meetings=meetings, n_pupils=3))
    listed = todo[todo["what"].str.startswith("Meet the pupil's parents")].set_index("upn")
    assert set(listed.index) == {upn(1), upn(2)}  # pupil 0 has had three
    assert listed.loc[upn(2), "what"] == "Meet the pupil's parents (0 of 3 this year)"
    assert listed.loc[upn(2), "by"] == pd.Timestamp("2026-08-31")
    # in the autumn, the meeting the term calls for is owed by the end of the term, not 31 August
    autumn = duties_todo(
        trust_with(tmp_path / "autumn", [], provision="K", meetings=meetings, n_pupils=3), "2025-11-20"
    )
    listed = autumn[autumn["what"].str.startswith("Meet the pupil's parents")].set_index("upn")
    assert list(listed.index) == [upn(2)]  # pupil 1's October meeting is this term's
    assert listed.loc[upn(2), "by"] == pd.Timestamp("2025-12-31") and listed.loc[upn(2), "days"] == 41


def test_an_overdue_request_is_not_hidden_by_a_newer_one_due(tmp_path):
    events = [(0, "info_requested", AS_OF - 60 * DAY), (0, "info_requested", AS_OF - 10 * DAY)]
    todo = duties_todo(trust_with(tmp_path, events, provision="K"))
    line = todo[todo["what"].str.contains("information")]
    assert len(line) == 1 and line["status"].iloc[0] == "overdue" and line["days"].iloc[0] == 18


def test_on_the_sample_nothing_overdue_is_superseded_or_from_a_past_school_year():
    import sendlib

    trust = sendlib.load_sample()
    d = statutory_duties(trust)
    done = d[d["status"].isin(["met", "late"])].groupby(["upn", "duty"])["trigger_date"].max()
    overdue = d[d["status"] == "overdue"]
    later_done = overdue.set_index(["upn", "duty"]).index.map(lambda key: done.get(key, pd.NaT))
    assert not (overdue["trigger_date"].to_numpy() < later_done.to_numpy()).any()
    meetings = d[d["duty"] == "parent_meetings"]
    past = meetings["due_date"] < pd.Timestamp("2026-09-01")  # the sample's school year began then
    assert trust.as_of >= pd.Timestamp("2026-09-01") and past.any()
    assert set(meetings.loc[past, "status"]) <= {"met", "missed"}
    assert d["status"].eq("missed").any() and set(d["status"]) <= set(duties_module.STATUSES)
