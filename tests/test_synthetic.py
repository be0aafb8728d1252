import datetime as dt
import json

import pandas as pd
import pytest

import sendlib
from sendlib import load_trust, upn_is_valid
from sendlib._names import NAMES
from sendlib._paths import SAMPLE_DIR
from sendlib._testing import write_folder
from sendlib.reference import reference_table
from sendlib.synthetic import FAKE_LA_NUMBER, SAMPLE_AS_OF, generate_trust, write_sample


def test_same_seed_same_trust_and_other_seed_other_trust(small_tables):
    again = generate_trust(seed=7, size=0.15)
    for name, frame in small_tables.items():
        pd.testing.assert_frame_equal(frame, again[name])
    other = generate_trust(seed=8, size=0.15)
    assert not other["pupils"]["upn"].equals(small_tables["pupils"]["upn"])


def test_committed_sample_is_what_the_generator_writes(tmp_path):
    write_sample(tmp_path)
    for path in SAMPLE_DIR.iterdir():
        assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name
    manifest = json.loads((SAMPLE_DIR / "manifest.json").read_text())
    assert manifest["exported_on"] == SAMPLE_AS_OF.isoformat()


def test_generated_trusts_load_clean(tmp_path, small_tables):
    trust = load_trust(write_folder(tmp_path / "t", small_tables))
    assert trust.problems.empty


@pytest.mark.parametrize(
    "seed, as_of", [(404, dt.date(2026, 11, 20)), (3, dt.date(2024, 10, 1)), (7, dt.date(2026, 3, 10))]
)
def test_other_seeds_and_dates_load_clean_with_the_whole_ehc_process(tmp_path, seed, as_of):
    """Every event history the generator writes passes the loader's order rules (a decision
    after its request, a ceased plan after its plan, a request only when no plan is in force)."""
    trust = load_trust(write_folder(tmp_path / "t", generate_trust(seed, as_of, size=0.6)))
    assert trust.problems.empty
    assert {"assessment_requested", "decision_to_assess", "plan_issued"} <= set(trust.ehc_events["event"])


@pytest.fixture(scope="module")
def sample():
    return sendlib.load_sample()


def test_sample_is_a_few_thousand_pupils_in_several_schools(sample):
    assert 2000 <= len(sample.pupils) <= 6000
    assert len(sample.schools) >= 5
    assert set(sample.pupils["year_group"]) >= set(range(0, 12))


def test_sen_rates_are_near_the_national_ones(sample):
    national = reference_table("census_national").set_index("january")
    share = sample.pupils["sen_provision"].value_counts(normalize=True) * 100
    latest = national.loc[national.index.max()]
    assert abs(share["K"] - latest["sen_support_pct"]) < 3
    assert abs(share["E"] - latest["ehc_plan_pct"]) < 2
    by_year = sample.sen_history.groupby("census_date")["sen_provision"].apply(lambda s: (s == "E").mean())
    assert by_year.iloc[-1] > by_year.iloc[0]  # EHC plans rise, as nationally
    assert sample.sen_history["census_date"].nunique() == 5


def test_need_mix_is_near_national(sample):
    support = sample.pupils[sample.pupils["sen_provision"] == "K"]["primary_need"].value_counts(normalize=True)
    for need in ("SLCN", "SEMH", "MLD", "SPLD"):
        assert support.get(need, 0) > 0.08
    assert support.index[0] in ("SLCN", "SEMH", "MLD")


def test_eal_and_proficiency(sample):
    pupils = sample.pupils
    assert 0.15 <= pupils["eal"].mean() <= 0.25
    assert pupils.loc[pupils["eal"].fillna(False), "english_proficiency"].notna().mean() > 0.95
    assert pupils.loc[~pupils["eal"].fillna(True), "english_proficiency"].isna().all()


def test_upns_and_names_are_generated(sample):
    upns = sample.pupils["upn"]
    assert upns.map(upn_is_valid).all() and upns.is_unique
    assert (upns.str[1:4] == FAKE_LA_NUMBER).all()
    forenames = {n for group in NAMES.values() for n in group[0] + group[1]}
    surnames = {n for group in NAMES.values() for n in group[2]}
    assert sample.pupils["forename"].isin(forenames).all()
    assert sample.pupils["surname"].isin(surnames).all()


def test_scores_are_termly_over_two_years_with_some_stalls(sample):
    scores = sample.assessments
    assert scores["assessment_date"].nunique() >= 6
    assert scores["assessment_date"].max() - scores["assessment_date"].min() >= pd.Timedelta(days=700)
    assert set(scores["subject"]) == {"reading", "maths"}
    scored = scores.dropna(subset=["score"])
    assert 97 <= scored["score"].mean() <= 101 and 13 <= scored["score"].std() <= 17
    first_last = scored.sort_values("assessment_date").groupby(["upn", "subject"])["score"].agg(["first", "last"])
    falls = (first_last["last"] - first_last["first"]) <= -15
    assert 0.03 < falls.mean() < 0.25
    assert set(scores["no_score"].dropna()) == {"absent", "not taken", "blank"}


def test_other_files_have_what_the_duties_need(sample):
    events = sample.ehc_events["event"].value_counts()
    assert set(events.index) >= {
        "assessment_requested",
        "decision_to_assess",
        "decision_not_to_assess",
        "plan_amended",
        "plan_ceased",
        "mediation",
        "tribunal_appeal",
        "tribunal_outcome",
        "info_requested",
        "info_sent",
        "plan_issued",
        "review_meeting",
        "review_report_sent",
        "draft_plan_received",
        "draft_views_sent",
    }
    plans = sample.support_plans
    overdue = plans["review_due"].lt(sample.as_of) & plans["review_held"].isna()
    assert overdue.sum() > 0 and plans["review_held"].notna().sum() > 0
    meetings = sample.parent_meetings
    assert meetings["upn"].isin(sample.pupils.loc[sample.pupils["sen_provision"] != "N", "upn"]).all()
    assert len(sample.eal_evidence) > 100
    assert (sample.eal_evidence["l1_assessment"] == "not_done").any()
    for frame in (sample.assessments, sample.ehc_events, sample.parent_meetings):
        date = frame.select_dtypes("datetime").max().max()
        assert date <= sample.as_of
