import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import sendlib
from sendlib.forecast import (
    FORECAST_COLUMNS,
    ForecastError,
    NeedForecaster,
    TrendForecaster,
    backtest,
    check_series,
    ehc_plan_benchmark,
)
from sendlib.reference import areas, ehc_plans


# --- the trend forecasters on published figures --------------------------------------------------
def test_national_ehc_plans_one_year_ahead():
    scores = backtest(TrendForecaster("auto"), ehc_plans("England"), origins=range(2018, 2024), horizons=(1,))
    auto = scores.set_index("model").loc["auto"]
    assert auto["n"] == 6
    assert auto["mape"] <= 1.5
    assert auto["coverage_95"] >= 0.85
    naive = scores.set_index("model").loc["naive"]
    assert naive["mape"] == pytest.approx(9.4, abs=0.1)  # docs/methods/forecasting.md: naive 9.4%


@pytest.mark.parametrize("method, mape", [("growth", 0.7), ("loglinear", 1.6)])
def test_methods_match_the_published_backtest(method, mape):
    scores = backtest(TrendForecaster(method), ehc_plans("England"), origins=range(2018, 2024), horizons=(1,))
    assert scores.iloc[0]["mape"] == pytest.approx(mape, abs=0.1)


def test_poisson_alone_would_not_cover_but_these_intervals_do():
    series = ehc_plans("England")
    covered = 0
    for origin in range(2018, 2024):
        forecast = TrendForecaster("auto").fit(series[series["year"] <= origin]).predict(1).iloc[0]
        actual = series.set_index("year").loc[origin + 1, "count"]
        last = series.set_index("year").loc[origin, "count"]
        assert abs(actual - last) > 1.96 * np.sqrt(last)  # Poisson intervals around naive miss
        covered += forecast["lower_95"] <= actual <= forecast["upper_95"]
    assert covered >= 5


@pytest.fixture(scope="module")
def local_authority_scores():
    table = areas()
    rows = []
    for code in table.loc[table["level"] == "Local authority", "code"]:
        series = ehc_plans(code)
        if len(series) >= 8:
            scores = backtest(TrendForecaster("auto"), series, origins=range(2016, 2024), horizons=(1,))
            rows.append(scores.set_index("model")["mape"])
    return pd.DataFrame(rows)


def test_every_local_authority_auto_beats_naive_and_matches_loglinear(local_authority_scores):
    median = local_authority_scores.median()
    assert len(local_authority_scores) > 140
    assert median["auto"] < 0.75 * median["naive"]  # by a wide margin
    assert median["auto"] <= median["loglinear"]


@pytest.mark.parametrize("area", ["Cumbria", "Northamptonshire", "E06000063"])
def test_series_that_stop_or_start_late(area):
    result = ehc_plan_benchmark(area)  # all three are in the shipped reference file
    assert list(result["forecast"].columns) == FORECAST_COLUMNS
    assert result["forecast"]["year"].iloc[0] == result["series"]["year"].max() + 1
    assert result["notes"] or len(result["series"]) >= 3


def test_short_and_broken_series():
    broken = pd.DataFrame({"year": [2010, 2011, 2015, 2016, 2017, 2018], "count": [10, 12, 20, 22, 25, 27]})
    assert check_series(broken)["year"].tolist() == [2015, 2016, 2017, 2018]
    one = TrendForecaster("auto").fit(pd.DataFrame({"year": [2024], "count": [7]}))
    assert one.method_ == "naive" and one.predict(2)["count"].tolist() == [7, 7]
    zeros = TrendForecaster("auto").fit(pd.DataFrame({"year": [2020, 2021, 2022], "count": [0, 0, 1]})).predict(2)
    assert (zeros["lower_95"] >= 0).all() and (zeros["upper_95"] >= zeros["count"]).all()


def test_intervals_widen_with_the_horizon_and_nest():
    forecast = TrendForecaster("auto").fit(ehc_plans("England")).predict(5)
    width = forecast["upper_95"] - forecast["lower_95"]
    assert (np.diff(width) > 0).all()
    assert (
        (forecast["lower_95"] <= forecast["lower_80"])
        & (forecast["lower_80"] <= forecast["count"])
        & (forecast["count"] <= forecast["upper_80"])
        & (forecast["upper_80"] <= forecast["upper_95"])
    ).all()


# --- the scikit-learn contract ---------------------------------------------------------------------
@pytest.mark.parametrize("estimator", [TrendForecaster(method="growth"), NeedForecaster(n_simulations=50)])
def test_estimator_contract(estimator):
    with pytest.raises(NotFittedError):
        estimator.predict(1)
    copy = clone(estimator)
    assert copy.get_params() == estimator.get_params()
    data = ehc_plans("England") if isinstance(estimator, TrendForecaster) else sendlib.load_sample()
    assert copy.fit(data) is copy
    assert not hasattr(estimator, "history_") and not hasattr(estimator, "stay_")


@pytest.mark.parametrize(
    "params, message",
    [
        ({"method": "magic"}, "unknown"),
        ({"n_points": 2}, "n_points"),
    ],
)
def test_bad_trend_settings(params, message):
    with pytest.raises(ForecastError, match=message):
        TrendForecaster(**params).fit(ehc_plans("England"))


def test_bad_series():
    with pytest.raises(ForecastError, match="columns year and count"):
        TrendForecaster().fit(pd.DataFrame({"x": [1]}))
    with pytest.raises(ForecastError, match="negative"):
        TrendForecaster().fit(pd.DataFrame({"year": [2020, 2021], "count": [3, -1]}))
    with pytest.raises(ForecastError, match="twice"):
        TrendForecaster().fit(pd.DataFrame({"year": [2020, 2020], "count": [3, 4]}))


# --- the cohort transition model ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample():
    return sendlib.load_sample()


def test_transition_model_beats_naive_and_trend_on_the_sample(sample):
    scores = backtest(
        NeedForecaster(n_simulations=300, random_state=0), sample, origins=[2023, 2024, 2025], horizons=(1, 2, 3)
    ).set_index(["model", "horizon"])
    for horizon in (1, 2, 3):
        need = scores.loc[("need", horizon), "mape"]
        assert need < scores.loc[("naive", horizon), "mape"]
        assert need < scores.loc[("loglinear", horizon), "mape"]
    one_year = scores.loc[("need", 1)]
    assert one_year["coverage_95"] >= 0.8


def test_transition_forecast_shape_and_aggregation(sample):
    model = NeedForecaster(n_simulations=200, random_state=1).fit(sample)
    detail = model.predict(2)
    assert list(detail.columns) == [
        "year",
        "school",
        "year_group",
        "sen_provision",
        "need_area",
        "count",
        "lower_80",
        "upper_80",
        "lower_95",
        "upper_95",
    ]
    assert set(detail["year"]) == {2027, 2028}
    assert set(detail["school"]) <= set(sample.schools)
    assert set(detail.loc[detail["sen_provision"] != "N", "need_area"]) <= set(sendlib.codes.BROAD_AREAS)
    totals = model.predict(2, by=["sen_provision"])
    for year in (2027, 2028):
        for provision in ("K", "E"):
            total = totals[(totals["year"] == year) & (totals["sen_provision"] == provision)].iloc[0]
            cells = detail[(detail["year"] == year) & (detail["sen_provision"] == provision)]["count"].sum()
            assert total["count"] == pytest.approx(cells)
            assert total["lower_95"] <= total["count"] <= total["upper_95"]
    again = NeedForecaster(n_simulations=200, random_state=1).fit(sample).predict(2)
    pd.testing.assert_frame_equal(detail, again)  # reproducible for a random_state


def test_scenarios_move_the_forecast(sample):
    base = NeedForecaster(n_simulations=300, random_state=2).fit(sample).predict(3, by=["sen_provision"])
    more = (
        NeedForecaster(n_simulations=300, random_state=2, identification_change=0.5)
        .fit(sample)
        .predict(3, by=["sen_provision"])
    )
    fewer_pupils = (
        NeedForecaster(n_simulations=300, random_state=2, intake_change=-0.5)
        .fit(sample)
        .predict(3, by=["sen_provision"])
    )
    pick = lambda f, p: f[(f["year"] == 2029) & (f["sen_provision"] == p)]["count"].iloc[0]
    assert pick(more, "K") > pick(base, "K") and pick(more, "E") > pick(base, "E")
    assert pick(fewer_pupils, "N") < pick(base, "N")


def test_roll_projection_sets_the_intake(sample):
    school = "Oakfield Primary"
    roll = pd.DataFrame({"year": [2027], "school": [school], "year_group": [0], "count": [200]})
    forecast = (
        NeedForecaster(n_simulations=100, random_state=3, roll_projection=roll)
        .fit(sample)
        .predict(1, by=["school", "year_group"])
    )
    reception = forecast[(forecast["school"] == school) & (forecast["year_group"] == 0)]["count"].iloc[0]
    assert 170 < reception < 230


def test_needs_two_censuses(sample):
    from dataclasses import replace

    one = replace(sample, sen_history=sample.sen_history[sample.sen_history["census_date"].dt.year == 2026])
    with pytest.raises(ForecastError, match="two Januaries"):
        NeedForecaster().fit(one)
