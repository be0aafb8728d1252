"""EHC needs assessments: the LA's milestones on each deadline boundary, the summary as SEN2
counts it, and the candidates for an assessment."""

import json

import pandas as pd
import pytest

import sendlib
from sendlib import load_trust
from sendlib._testing import write_folder
from sendlib.codes import upn_check_letter
from sendlib.ehc import CANDIDATE_COLUMNS, TIMELINE_COLUMNS, ehc_candidates, ehc_summary, ehc_timeline

DAY = pd.Timedelta(days=1)
REQUEST = pd.Timestamp("2025-09-01")


def upn(i: int) -> str:
    body = f"999300027{i:03d}"
    return upn_check_letter(body) + body


def trust_with(tmp_path, events, provision="K", as_of="2026-06-15", extra=None, n=None):
    """Pupils 0..n-1 at ``provision`` in Year 5 with the events given (``(pupil, event, date[, la, by])``)."""
    n = n or max(e[0] for e in events) + 1
    pupils = pd.DataFrame(
        {
            "upn": [upn(i) for i in range(n)],
            "school": "Elm",
            "date_of_birth": "01/02/2016",
            "year_group": "5",
            "sen_provision": provision,
            "primary_need": "ASD",
        }
    )
    rows = [(upn(e[0]), e[1], e[2].strftime("%d/%m/%Y"), *(e[3:] + ("", ""))[:2]) for e in events]
    files = {"pupils": pupils, "ehc_events": pd.DataFrame(rows, columns=["upn", "event", "date", "la", "requested_by"])}
    files.update(extra or {})
    folder = write_folder(tmp_path / "t", files)
    (folder / "manifest.json").write_text(json.dumps({"exported_on": as_of}))
    return load_trust(folder)


def stage_statuses(timeline, stage):
    rows = timeline[timeline["stage"] == stage]
    return dict(zip(rows["upn"], rows["status"]))


@pytest.mark.parametrize("decision", ["decision_to_assess", "decision_not_to_assess"])
def test_the_decision_within_six_weeks_of_the_request(tmp_path, decision):
    events = [
        (0, "assessment_requested", REQUEST),
        (0, decision, REQUEST + 42 * DAY),  # on the deadline: met
        (1, "assessment_requested", REQUEST),
        (1, decision, REQUEST + 43 * DAY),  # a day late
        (2, "assessment_requested", pd.Timestamp("2026-06-15") - 42 * DAY),  # deadline today: due
        (3, "assessment_requested", pd.Timestamp("2026-06-15") - 43 * DAY),  # deadline yesterday: overdue
    ]
    timeline = ehc_timeline(trust_with(tmp_path, events))
    assert list(timeline.columns) == TIMELINE_COLUMNS
    assert stage_statuses(timeline, "decision") == {upn(0): "met", upn(1): "late", upn(2): "due", upn(3): "overdue"}
    decided = timeline[timeline["stage"].eq("decision")].set_index("upn")
    assert decided.loc[upn(0), "due"] == REQUEST + 42 * DAY and (decided["by"] == "LA").all()


def test_the_final_plan_within_twenty_weeks_unless_the_la_refused_to_assess(tmp_path):
    events = [
        (0, "assessment_requested", REQUEST),
        (0, "decision_to_assess", REQUEST + 30 * DAY),
        (0, "plan_issued", REQUEST + 140 * DAY),  # on the deadline: met
        (1, "assessment_requested", REQUEST),
        (1, "decision_to_assess", REQUEST + 30 * DAY),
        (1, "plan_issued", REQUEST + 141 * DAY),  # a day late
        (2, "assessment_requested", REQUEST),
        (2, "decision_not_to_assess", REQUEST + 30 * DAY),  # refused: no plan owed
        (3, "assessment_requested", REQUEST),
        (3, "decision_to_assess", REQUEST + 30 * DAY),  # agreed, nothing issued yet: overdue now
        (4, "assessment_requested", REQUEST),
        (4, "decision_not_to_assess", REQUEST + 30 * DAY),
        (4, "tribunal_appeal", REQUEST + 90 * DAY),
        (4, "tribunal_outcome", REQUEST + 200 * DAY),
        (4, "plan_issued", REQUEST + 280 * DAY),  # issued after an appeal: an event, not timed from the refusal
        (5, "assessment_requested", REQUEST),  # the school asks, then the parents: one decision answers both
        (5, "assessment_requested", REQUEST + 20 * DAY),
        (5, "decision_to_assess", REQUEST + 41 * DAY),
        (5, "plan_issued", REQUEST + 141 * DAY),  # 20 weeks from the first request: a day late
        (6, "assessment_requested", REQUEST - 400 * DAY),  # refused, asked again a year later, agreed
        (6, "decision_not_to_assess", REQUEST - 370 * DAY),
        (6, "assessment_requested", REQUEST),
        (6, "decision_to_assess", REQUEST + 50 * DAY),
        (6, "plan_issued", REQUEST + 100 * DAY),
    ]
    timeline = ehc_timeline(trust_with(tmp_path, events))
    assert stage_statuses(timeline, "final_plan") == {
        upn(0): "met",
        upn(1): "late",
        upn(3): "overdue",
        upn(5): "late",
        upn(6): "met",
    }
    decisions = timeline[timeline["stage"] == "decision"]
    assert decisions.groupby("upn").size().to_dict() == {upn(i): 2 if i == 6 else 1 for i in range(7)}
    assert decisions[decisions["upn"] == upn(5)]["status"].tolist() == ["met"]  # 41 days from the first request
    assert decisions[decisions["upn"] == upn(6)]["status"].tolist() == ["met", "late"]
    recorded = timeline[timeline["status"].eq("recorded")]
    assert sorted(recorded["stage"]) == ["tribunal_appeal", "tribunal_outcome"]
    assert (recorded["started"] == recorded["done"]).all() and recorded["due"].isna().all()


def test_the_summary_counts_as_sen2_by_la_and_year(tmp_path):
    events = [
        (0, "assessment_requested", pd.Timestamp("2025-03-01"), "Leeds", "parent"),
        (0, "decision_to_assess", pd.Timestamp("2025-04-01")),
        (0, "plan_issued", pd.Timestamp("2025-07-01")),  # 122 days: within 20 weeks
        (1, "assessment_requested", pd.Timestamp("2025-11-01"), "Leeds", "school"),
        (1, "decision_to_assess", pd.Timestamp("2026-01-10")),  # 70 days: late, counted in 2026
        (1, "plan_issued", pd.Timestamp("2026-05-01")),  # 181 days: late
        (2, "assessment_requested", pd.Timestamp("2025-05-01"), "Bradford", "school"),
        (2, "decision_not_to_assess", pd.Timestamp("2025-06-01")),
        (2, "mediation", pd.Timestamp("2025-07-01")),
        (3, "plan_issued", pd.Timestamp("2025-02-01")),  # its request before the export began: counted, not timed
    ]
    summary = ehc_summary(trust_with(tmp_path, events)).set_index(["group", "period"])
    assert summary.loc[("Leeds", 2025), ["requests", "by_parent", "by_school", "decisions"]].tolist() == [2, 1, 1, 1]
    assert summary.loc[("Leeds", 2025), ["plans_issued", "plans_timed", "issued_within_20_weeks"]].tolist() == [1, 1, 1]
    assert summary.loc[("LA not recorded", 2025), ["plans_issued", "plans_timed"]].tolist() == [1, 0]
    assert summary.loc[("Leeds", 2026), ["decisions", "decided_within_6_weeks", "plans_issued"]].tolist() == [1, 0, 1]
    assert summary.loc[("Leeds", 2026), "pct_within_20_weeks"] == 0
    assert summary.loc[("Bradford", 2025), ["requests", "not_to_assess", "mediations", "plans_issued"]].tolist() == [
        1,
        1,
        1,
        0,
    ]
    assert summary.loc[("All", 2025), ["requests", "plans_issued", "plans_timed"]].tolist() == [3, 2, 1]
    assert summary.loc[("All", 2025), "pct_within_20_weeks"] == 100
    last_year = ehc_summary(trust_with(tmp_path / "b", events), period="12 months").set_index("group")
    assert last_year.loc["All", "requests"] == 1  # after 15 June 2025: the November request only
    assert last_year.loc["All", "england_pct_within_20_weeks"] == sendlib.ehc.national_timeliness().iloc[-1]


def _plans(rows):
    return pd.DataFrame(rows, columns=["upn", "plan_start", "review_due", "review_held", "outcome"])


def test_candidates_need_two_support_plans_reviewed_and_slow_progress_or_high_cost(tmp_path):
    """Pupil 0: two plans reviewed, progress falling behind peers: a candidate. Pupil 1: the same
    scores, two plans, one reviewed: not yet. Pupil 2: two plans reviewed, a request with the LA
    now: on the timeline instead. Pupils 3-14: peers progressing as expected."""
    n = 15
    plans = _plans(
        [(upn(i), "01/09/2024", "01/12/2024", "01/12/2024", "continue") for i in range(3)]
        + [(upn(i), "02/12/2024", "01/04/2025", "" if i == 1 else "02/04/2025", "") for i in range(3)]
    )
    scores = []
    terms = ["15/11/2023", "15/03/2024", "15/07/2024", "15/11/2024", "15/03/2025", "15/07/2025"]
    for i in range(n):
        for t, date in enumerate(terms):
            score = 100 - 4 * t if i < 3 else 100 + (i % 4)  # pupils 0-2 fall 20 points behind
            scores.append((upn(i), "maths", date, score, "standardised"))
    assessments = pd.DataFrame(scores, columns=["upn", "subject", "assessment_date", "score", "scale"])
    events = [(2, "assessment_requested", pd.Timestamp("2025-08-01"))]
    trust = trust_with(
        tmp_path, events, n=n, extra={"support_plans": plans, "assessments": assessments}, as_of="2025-09-01"
    )
    candidates = ehc_candidates(trust, as_of="2025-09-01")
    assert list(candidates.columns) == CANDIDATE_COLUMNS
    assert candidates["upn"].tolist() == [upn(0)]
    reasons = candidates["reasons"].iloc[0]
    assert "2 support plans since 01 Sep 2024 (2 reviewed)" in reasons and "maths" in reasons
    assert candidates["subjects_below"].iloc[0] == "maths"
    # the request is with the LA from 1 August 2025: before it, pupil 2 was a candidate too
    assert set(ehc_candidates(trust, as_of="2025-07-20")["upn"]) == {upn(0), upn(2)}


def test_no_candidates_without_support_plans(tmp_path):
    trust = trust_with(tmp_path, [(0, "assessment_requested", REQUEST)])
    assert ehc_candidates(trust).empty


def test_on_the_sample_candidates_are_pupils_on_sen_support_with_reasons():
    trust = sendlib.load_sample()
    candidates = ehc_candidates(trust)
    provision = trust.pupils.set_index("upn").loc[candidates["upn"], "sen_provision"]
    assert len(candidates) and (provision == "K").all()
    assert (candidates["reviewed_plans"] >= 2).all() and candidates["reasons"].str.len().gt(40).all()
    on_support = (trust.pupils["sen_provision"] == "K").sum()
    assert len(candidates) < 0.3 * on_support  # a list to act on, not the register
    timeline = ehc_timeline(trust)
    assert {"decision", "final_plan", "mediation", "tribunal_appeal"} <= set(timeline["stage"])
    assert set(timeline["status"]) <= {"met", "late", "due", "overdue", "missed", "too_early", "recorded"}
