import numpy as np
import pandas as pd
import pytest

import sendlib
from sendlib import SendlibError, load_trust
from sendlib._testing import planted_progress_trust, write_folder
from sendlib.progress import (
    assess_progress,
    mean_confidence_interval,
    progress_by_group,
    pupil_progress_band,
    reliable_change_index,
    review_interventions,
    sem,
)


# --- reference values ---------------------------------------------------------------------------
def test_jacobson_truax_worked_example():
    rci, s_diff = reliable_change_index(88, 78, sd=15, reliability=0.90)
    assert rci == pytest.approx(-1.49, abs=0.005)
    assert abs(rci) < 1.96  # not reliable at 95%
    assert 1.96 * s_diff == pytest.approx(13.15, abs=0.01)  # the change needed with r = .90, SD 15


def test_maassen_worked_example():
    rci, s_diff = reliable_change_index(104, 96, sd=13.8, sd2=15, reliability=0.95, practice_effect=4.3)
    assert s_diff == pytest.approx(4.558, abs=0.0005)
    assert rci == pytest.approx(-2.699, abs=0.0005)


def test_school_confidence_interval_worked_example():
    mean, low, high = mean_confidence_interval([0, 0.1, 0.2, 0.3, 0.4, 0.3, 0.2, 0.25, 0.3], sd=1.41628)
    assert (round(mean, 2), round(low, 2), round(high, 2)) == (0.23, -0.70, 1.15)


def test_sem():
    assert sem(15, 0.90) == pytest.approx(4.743, abs=0.001)


# --- a planted trust: honest about noise, catches pupils who fall behind ---------------------------
def _run(tmp_path, **kwargs):
    tables, truth = planted_progress_trust(**kwargs)
    trust = load_trust(write_folder(tmp_path / f"t{kwargs.get('seed', 0)}", tables))
    return assess_progress(trust).merge(truth, on="upn"), trust


def _flags(result, *names):
    out = np.zeros(len(result), dtype=bool)
    for name in names:
        out |= result[name].fillna(False).to_numpy(dtype=bool)
    return out


@pytest.mark.parametrize("n_scores, fall_share, seed", [(6, 0.2, 2027), (8, 0.3, 2028), (6, 0.1, 2029)])
def test_steady_pupils_are_rarely_flagged_and_fallers_are_caught(tmp_path, n_scores, fall_share, seed):
    result, _ = _run(tmp_path, n_pupils=2500, n_scores=n_scores, fall_share=fall_share, seed=seed)
    flagged = _flags(result, "slower_than_peers", "below_previous_rate", "gap_widening")
    steady = (result["pattern"] == "steady").to_numpy()
    assert flagged[steady].mean() <= 0.10
    assert flagged[~steady].mean() >= 0.80
    for pattern in ("falls_steadily", "falls_late"):
        assert flagged[(result["pattern"] == pattern).to_numpy()].mean() >= 0.70


def test_gap_not_closing_is_about_level(tmp_path):
    result, _ = _run(tmp_path, n_pupils=2500, n_scores=6, fall_share=0.2, seed=2030)
    peers = result.loc[result["sen_provision"] == "N", "true_score"].mean()
    steady = result["pattern"] == "steady"
    c = _flags(result, "gap_not_closing")
    assert c[(steady & (result["true_score"] <= peers - 15)).to_numpy()].mean() >= 0.70
    assert c[(steady & (result["true_score"] >= peers)).to_numpy()].mean() <= 0.05


def test_less_than_expected_progress_is_any_of_the_four(tmp_path):
    result, _ = _run(tmp_path, n_pupils=400, n_scores=6, seed=5)
    any_four = _flags(result, "slower_than_peers", "below_previous_rate", "gap_not_closing", "gap_widening")
    assert (result["less_than_expected_progress"].to_numpy() == any_four).all()


# --- method details ----------------------------------------------------------------------------------
def test_a_pupils_own_score_does_not_set_their_expectation(tmp_path):
    tables, _ = planted_progress_trust(n_pupils=600, n_scores=6, fall_share=0.0, seed=8)
    first = load_trust(write_folder(tmp_path / "a", tables))
    upn = tables["pupils"]["upn"].iloc[0]
    changed = tables["assessments"].copy()
    last = changed.index[changed["upn"] == upn][-1]
    changed.loc[last, "score"] = str(int(changed.loc[last, "score"]) - 30)
    second = load_trust(write_folder(tmp_path / "b", {**tables, "assessments": changed}))
    before = assess_progress(first).set_index("upn").loc[upn]
    after = assess_progress(second).set_index("upn").loc[upn]
    assert after["latest_score"] == pytest.approx(before["latest_score"] - 10)
    assert after["expected_score"] == pytest.approx(before["expected_score"], abs=0.1)
    assert bool(after["slower_than_peers"]) and not bool(before["slower_than_peers"])


def test_regression_to_the_mean_when_too_few_peers(tmp_path):
    pupils = pd.DataFrame(
        {
            "upn": [sendlib.upn_check_letter("999400001000") + "999400001000"],
            "school": "Oak",
            "date_of_birth": "01/03/2013",
            "year_group": "8",
            "sen_provision": "N",
        }
    )
    scores = pd.DataFrame(
        {
            "upn": pupils["upn"].iloc[0],
            "subject": "reading",
            "assessment_date": ["2025-11-10", "2026-03-10", "2026-06-10", "2026-11-10"],
            "score": ["70", "70", "70", "70"],
            "scale": "standardised",
        }
    )
    trust = load_trust(write_folder(tmp_path / "t", {"pupils": pupils, "assessments": scores}))
    row = assess_progress(trust, as_of="2026-11-20").iloc[0]
    assert row["expected_from"] == "regression to the mean (too few peers)"
    # a low starter who stays at 70 is expected to score a little higher next time
    assert 70 < row["expected_score"] < 75
    assert row["n_scores"] == 4 and pd.isna(row["below_previous_rate"])
    assert "Not enough scores yet to compare rates of progress" in row["reason"]


def test_one_score_no_score_and_absences_are_reported(tmp_path):
    tables, _ = planted_progress_trust(n_pupils=60, n_scores=6, seed=9)
    scores = tables["assessments"].copy()
    one, none = tables["pupils"]["upn"].iloc[:2]
    scores = scores[(scores["upn"] != one) | (scores.groupby("upn").cumcount() == 0)]
    scores.loc[scores["upn"] == none, "score"] = "A"
    trust = load_trust(write_folder(tmp_path / "t", {**tables, "assessments": scores}))
    result = assess_progress(trust).set_index("upn")
    assert result.loc[one, "n_scores"] == 1 and pd.isna(result.loc[one, "slower_than_peers"])
    assert "only one score so far" in result.loc[one, "reason"]
    assert result.loc[none, "n_scores"] == 0 and result.loc[none, "n_no_score"] == 6
    assert "no scores yet" in result.loc[none, "reason"]
    assert len(result) == 60


def test_reasons_carry_the_numbers(tmp_path):
    result, _ = _run(tmp_path, n_pupils=800, n_scores=6, fall_share=0.3, seed=10)
    row = result[result["slower_than_peers"].fillna(False)].iloc[0]
    assert f"now average {round(row['expected_score'])}" in row["reason"]
    base, last = round(row["baseline_score"]), round(row["latest_score"])
    assert f"fell from an average of {base} in its earlier scores to {last} in its latest" in row["reason"]
    assert "measurement error" in row["reason"]
    calm = result[~result["less_than_expected_progress"]].iloc[0]
    assert "in line with pupils who started at the same level" in calm["reason"]


def test_custom_scale_uses_its_reliability(tmp_path):
    tables, _ = planted_progress_trust(n_pupils=100, n_scores=6, seed=11)
    scores = tables["assessments"].assign(scale="PiRA")
    trust = load_trust(
        write_folder(
            tmp_path / "t",
            {**tables, "assessments": scores, "scales": "scale,mean,sd,reliability,min,max\nPiRA,100,15,0.96,40,160\n"},
        )
    )
    result = assess_progress(trust)
    assert set(result["scale"]) == {"pira"}
    assert result["sem"].iloc[0] == pytest.approx(15 * np.sqrt(0.04))


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"z_gap": 2, "colour": "red"}, "Unknown setting"),
        ({"gap_peers": "friends"}, "gap_peers"),
        ({"min_window_scores": 1}, "min_window_scores"),
    ],
)
def test_bad_settings(settings, message):
    with pytest.raises(SendlibError, match=message):
        assess_progress(sendlib.load_sample(), **settings)


# --- groups, interventions, the band ------------------------------------------------------------------
def test_progress_by_group_on_the_sample():
    trust = sendlib.load_sample()
    result = assess_progress(trust)
    groups = progress_by_group(trust, result)
    ehc = groups[(groups["group"] == "EHC plan") & (groups["subject"] == "reading")].iloc[0]
    values = result[(result["sen_provision"] == "E") & (result["subject"] == "reading") & (result["n_scores"] >= 2)]
    mean, low, high = mean_confidence_interval(values["progress_score"])
    assert ehc["n_pupils"] == len(values)
    assert (ehc["mean_progress"], ehc["ci_low"], ehc["ci_high"]) == pytest.approx((mean, low, high))
    assert ehc["reading"].startswith("EHC plan, reading: on average")
    assert set(groups["grouping"]) == {
        "SEN provision",
        "Broad area of need",
        "English as an additional language",
        "Free school meals",
    }
    school = progress_by_group(trust, result, school="Oakfield Primary")
    assert (school["school"] == "Oakfield Primary").all()
    assert school["n_pupils"].sum() < groups["n_pupils"].sum()


def test_review_interventions_sees_a_change(tmp_path):
    upn = sendlib.upn_check_letter("999400002000") + "999400002000"
    pupils = pd.DataFrame(
        {
            "upn": [upn],
            "school": "Oak",
            "date_of_birth": "01/03/2013",
            "year_group": "8",
            "sen_provision": "K",
            "primary_need": "SPLD",
        }
    )
    dates = pd.date_range("2024-09-15", periods=8, freq="91D")
    scores = [80, 80, 80, 80, 88, 96, 104, 112]  # flat for a year, then rising fast
    assessments = pd.DataFrame(
        {
            "upn": upn,
            "subject": "reading",
            "assessment_date": dates.strftime("%Y-%m-%d"),
            "score": [str(s) for s in scores],
            "scale": "standardised",
        }
    )
    plans = pd.DataFrame(
        {"upn": [upn, upn], "plan_start": ["2025-09-10", "2026-11-01"], "review_due": ["2025-12-10", "2027-02-01"]}
    )
    trust = load_trust(
        write_folder(tmp_path / "t", {"pupils": pupils, "assessments": assessments, "support_plans": plans})
    )
    review = review_interventions(trust, as_of="2026-11-20").set_index("plan_start")
    assert review.loc["2025-09-10", "verdict"] == "faster since the plan started"
    assert review.loc["2025-09-10", "rate_before"] == pytest.approx(0, abs=1e-9)
    assert review.loc["2026-11-01", "verdict"] == "not enough scores"


def test_pupil_progress_band():
    trust = sendlib.load_sample()
    result = assess_progress(trust)
    upn = result[(result["n_scores"] >= 6) & (result["subject"] == "reading")]["upn"].iloc[0]
    band = pupil_progress_band(trust, upn, "reading")
    assert len(band) >= 6 and band["score"].notna().sum() >= 6
    assert (band["peers_low"] <= band["peers_mean"]).all() and (band["peers_mean"] <= band["peers_high"]).all()
    assert band["n_peers"].min() >= 1 and band["cohort_mean"].between(80, 120).all()
    with pytest.raises(SendlibError, match="No pupil"):
        pupil_progress_band(trust, "X", "reading")
