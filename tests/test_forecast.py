import datetime as dt
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import sendlib
from sendlib._testing import census_trust, write_folder
from sendlib.forecast import (
    FORECAST_COLUMNS,
    OWN_TREND_WEIGHT,
    SIMPLE,
    ForecastError,
    NeedForecaster,
    NotFittedError,
    TrendForecaster,
    backtest,
    backtest_words,
    check_series,
    ehc_plan_benchmark,
    forecast_files,
    forecast_table,
    recorded_counts,
    scenario_words,
    start_notes,
)
from sendlib.reference import areas, ehc_plans, national_trends


# --- the trend forecasters on published figures --------------------------------------------------
def test_national_ehc_plans_one_year_ahead():
    scores = backtest(TrendForecaster("auto"), ehc_plans("England"), origins=range(2018, 2024), horizons=(1,))
    auto = scores.set_index("model").loc["auto"]
    assert auto["n"] == 6
    assert auto["mape"] <= 0.7  # docs/methods/forecasting.md: 0.60%
    assert auto["coverage_95"] >= 0.85
    assert set(scores["model"]) == {"auto", *SIMPLE}
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
def local_authority_errors():
    """Each LA's absolute % error for 2023 and 2024 (years the choice of auto and of its pull
    toward England did not see), one to three years ahead, by method: auto as the benchmark
    forecasts an LA (pulled toward England's trend), and without the pull."""
    table = areas()
    england = ehc_plans("England")
    methods = {m: TrendForecaster(m) for m in SIMPLE}
    methods.update(auto=TrendForecaster("auto", national=england), alone=TrendForecaster("auto"))
    rows = []
    for code in table.loc[table["level"] == "Local authority", "code"]:
        series = ehc_plans(code)
        for target in (2023, 2024):
            for horizon in (1, 2, 3):
                past = series[series["year"] <= target - horizon]
                if target not in set(series["year"]) or len(past) < 5 or len(check_series(past)) < 5:
                    continue
                actual = series.set_index("year").loc[target, "count"]
                for name, method in methods.items():
                    point = method.fit(past).predict(horizon)["count"].iloc[-1]
                    rows.append((target, horizon, name, abs(point - actual) / actual * 100))
    return pd.DataFrame(rows, columns=["target", "horizon", "method", "ape"])


def test_local_authorities_auto_beats_every_simple_trend_on_years_it_did_not_see(local_authority_errors):
    median = local_authority_errors.groupby(["horizon", "method"])["ape"].median().unstack()
    assert local_authority_errors["ape"].size > 6 * 140 * 6
    for horizon in (1, 2, 3):
        for method in (*SIMPLE, "alone"):
            assert median.loc[horizon, "auto"] < median.loc[horizon, method], (horizon, method)
    # and one year ahead in each year alone, 2024's quickening growth included
    one_year = local_authority_errors[local_authority_errors["horizon"] == 1]
    by_year = one_year.groupby(["target", "method"])["ape"].median().unstack()
    assert (by_year[list(SIMPLE)].min(axis=1) > by_year["auto"]).all(), by_year


def test_an_authoritys_trend_is_pulled_toward_englands():
    england = ehc_plans("England")
    flat = pd.DataFrame({"year": england["year"], "count": 1000})  # an LA whose plans never grew
    alone = TrendForecaster("auto").fit(flat).predict(1)["count"].iloc[0]
    pulled = TrendForecaster("auto", national=england).fit(flat).predict(1)["count"].iloc[0]
    ahead = TrendForecaster("auto").fit(england).predict(1)["count"].iloc[0]
    english = (ahead + 0.5) / (england["count"].iloc[-1] + 0.5)  # England's growth (on the log scale's +0.5)
    assert alone == pytest.approx(1000)
    assert pulled == pytest.approx(1000.5 * english ** (1 - OWN_TREND_WEIGHT) - 0.5, rel=1e-9)
    # nothing of England's after the LA's last year is used, in the forecast or its ranges
    stopped = flat[flat["year"] <= 2020]
    whole = TrendForecaster("auto", national=england).fit(stopped).predict(3)
    known = TrendForecaster("auto", national=england[england["year"] <= 2020]).fit(stopped).predict(3)
    pd.testing.assert_frame_equal(whole, known)
    assert whole["count"].iloc[0] > 1000  # pulled: England grew up to 2020
    # with no figure of England's for the LA's last year: its own trend, and not said to be pulled
    later = england.assign(year=england["year"] + 50)
    unpulled = TrendForecaster("auto", national=later).fit(stopped)
    assert unpulled.predict(1)["count"].iloc[0] == pytest.approx(1000) and not unpulled.pulled_
    assert "70% England's trend and 30% the area's own" in " ".join(ehc_plan_benchmark("Hartlepool")["notes"])
    assert not ehc_plan_benchmark("England")["notes"]
    with pytest.raises(ForecastError, match=r"^national: "):
        TrendForecaster(national=pd.DataFrame({"year": [2024]})).fit(flat)


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
    with pytest.raises(ValueError, match="no parameter colour"):
        estimator.set_params(colour="red")


def test_an_estimator_shows_the_parameters_it_was_given():
    assert repr(NeedForecaster(n_simulations=50)) == "NeedForecaster(n_simulations=50)"
    assert repr(TrendForecaster().set_params(method="growth")) == "TrendForecaster(method='growth')"


def test_a_forecast_kernel_does_not_import_scikit_learn():
    """Its import alone takes two seconds of a planner's dashboard start."""
    code = (
        "import sys, sendlib; sendlib.NeedForecaster().fit(sendlib.load_sample());"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy') and m.count('.') < 2))"
    )
    modules = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "sklearn" not in modules and "scipy.stats" not in modules, modules


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


def test_transition_model_beats_naive_and_a_line_on_the_sample(sample):
    model = NeedForecaster(n_simulations=300, random_state=0)
    trust = backtest(model, sample, origins=[2023, 2024, 2025], level="trust").set_index(["model", "horizon"])
    for horizon in (1, 2, 3):
        need = trust.loc[("need", horizon), "mape"]
        assert need < trust.loc[("naive", horizon), "mape"] and need < trust.loc[("linear", horizon), "mape"]
    schools = backtest(model, sample, origins=[2023, 2024, 2025]).set_index(["model", "horizon"])
    assert schools.loc[("need", 1), "n"] == 36  # 6 schools x K and E x 3 origins
    assert schools.loc[("need", 1), "mape"] < schools.loc[("naive", 1), "mape"]
    with pytest.raises(ForecastError, match="level"):
        backtest(model, sample, origins=[2025], level="class")


@pytest.fixture(scope="module")
def other_trust(tmp_path_factory):
    """A trust made differently from the sample, with schools that identify very differently."""
    return sendlib.load(write_folder(tmp_path_factory.mktemp("other"), census_trust(seed=3)))


def test_ranges_are_calibrated_on_a_trust_made_differently(other_trust):
    years = sorted(other_trust.sen_history["census_date"].dt.year.unique())
    scores = backtest(NeedForecaster(n_simulations=300, random_state=0), other_trust, years[1:-1])
    need = scores[scores["model"] == "need"].set_index("horizon")
    naive = scores[scores["model"] == "naive"].set_index("horizon")
    share = lambda column: (need[column] * need["n"]).sum() / need["n"].sum()
    assert 0.75 <= share("coverage_80") <= 0.92 and 0.9 <= share("coverage_95") <= 0.995
    assert (need["mape"] <= 1.05 * naive["mape"]).all()  # never much worse than the last census again


def test_schools_keep_their_own_rates(other_trust, monkeypatch):
    import sendlib.forecast as forecast

    def spread(model):  # how far schools' shares of pupils on SEN support differ, three years on
        table = model.predict(3, by=["school", "sen_provision"]).query(f"year == {model.first_year_ + 2}")
        counts = table.pivot(index="school", columns="sen_provision", values="count")
        return (counts["K"] / counts.sum(axis=1)).std()

    now = NeedForecaster().fit(other_trust).start_counts_.pivot(index="school", columns="sen_provision", values="count")
    today = (now["K"] / now.sum(axis=1)).std()
    own = spread(NeedForecaster(n_simulations=200, random_state=0).fit(other_trust))
    monkeypatch.setattr(forecast, "SCHOOL_PRIOR", 1e9)  # every school at the trust's rates: joiners
    monkeypatch.setattr(forecast, "STOCK_PRIOR", 1e9)  # and moves, with a prior mean of 1
    monkeypatch.setattr(forecast, "_prior_means", lambda observed, expected, ratios: np.ones(observed.shape))
    pooled = spread(NeedForecaster(n_simulations=200, random_state=0).fit(other_trust))
    assert own > 0.75 * today and own > pooled


def test_a_schools_prior_follows_what_its_roll_shows():
    """Schools whose rolls hold more pupils at SEN support than the trust's prevalence for their
    year groups, and identify more, lend that to a school with few moves seen."""
    from sendlib.forecast import _prevalence_ratios, _prior_means

    population = np.zeros((6, 3, 11), dtype=np.int64)  # six schools, three year groups, N + 5 K + 5 E
    population[..., 0] = 90
    population[:, :, 1] = np.array([5, 5, 10, 10, 20, 20])[:, None]  # SEN support: half to twice the trust's
    ratios = _prevalence_ratios(population)
    assert ratios[0, 0] < 0 < ratios[-1, 0] and np.allclose(ratios[:, 1], 0)
    expected = np.array([40.0, 40, 40, 40, 40, 2])  # the last school has seen two moves' worth
    observed = expected * np.exp(ratios[:, 0])  # identifying in step with the stock
    observed[-1] = 0  # and none of them happened
    means = _prior_means(observed[:, None], expected[:, None], ratios)[:, 0]
    assert np.all(np.diff(means[:5]) >= -1e-9) and means[-1] > 1.1  # the roll speaks for the last
    assert np.average(means, weights=expected) == pytest.approx(1)  # the trust's rate is kept
    assert _prior_means(observed[:3, None], expected[:3, None], ratios[:3]) is None  # too few schools to learn from
    far = np.vstack([ratios, [[-4.0, 0.0]]])  # a school with no pupils at SEN support on a large roll
    means = _prior_means(np.append(observed, 0)[:, None], np.append(expected, 0)[:, None], far)[:, 0]
    assert means[-1] >= means.max() / 9 - 1e-9  # kept within a third of the middle, not extrapolated to nothing
    # two moves on one line: one school's few moves of the second lean on the first's
    second = expected / 4  # rarer, and the last school has none expected to learn from itself
    pair = _prior_means(
        np.column_stack([observed, second * np.exp(ratios[:, 0])]), np.column_stack([expected, second]), ratios
    )
    assert pair.shape == (6, 2) and np.all(np.diff(pair[:5, 1]) >= -1e-9)
    assert np.average(pair, weights=np.column_stack([expected, second]), axis=0) == pytest.approx([1, 1])


@pytest.fixture(scope="module")
def feeder_trust(tmp_path_factory):
    """Four primaries and a secondary that takes half of their Year 6 (census_trust)."""
    return sendlib.load(
        write_folder(tmp_path_factory.mktemp("feeder"), census_trust(seed=4, primaries=4, secondaries=1))
    )


def test_year_6_pupils_take_their_sen_support_to_the_trusts_secondary(feeder_trust):
    """The model sees the share of each primary's Year 6 leavers who go to the trust's
    secondary and sends them with their provision, where a joiner's would be drawn from the
    trust's mix. Putting every Year 6 pupil with no SEN at SEN support in the last census puts
    that many more, times the share, at SEN support in the secondary's next Year 7, less those
    the year's moves take off SEN support or on to a plan (a fifth), and less those who would
    have started SEN support on the way anyway."""
    from dataclasses import replace

    from sendlib.codes import COMMUNICATION
    from sendlib.forecast import YEAR_GROUPS, expected_path

    history = feeder_trust.sen_history
    model = NeedForecaster(start="census").fit(feeder_trust)
    schools, six, seven = model.schools_, list(YEAR_GROUPS).index(6), list(YEAR_GROUPS).index(7)
    secondary = schools.index("School S0")
    primaries = [schools.index(f"School P{i}") for i in range(4)]
    shares = model.transfers_[primaries, six, secondary]
    assert np.all((shares > 0.35) & (shares < 0.6))  # half, less the leavers who leave the trust
    assert model.transfers_[primaries, :six].max() < 0.1  # a pupil leaving mid-primary rarely stays in the trust
    last = history["census_date"] == history["census_date"].max()
    year_6 = last & history["school"].str.startswith("School P") & (history["year_group"] == 6)
    made = year_6 & (history["sen_provision"] == "N")
    more = history.assign(
        sen_provision=history["sen_provision"].mask(made, "K"),
        need_area=history["need_area"].mask(made, COMMUNICATION),
    )
    changed = NeedForecaster(start="census").fit(replace(feeder_trust, sen_history=more))
    n_areas = len(model.areas_)
    support = lambda m: expected_path(m, 1)[0, secondary, seven, 1 : 1 + n_areas].sum()
    added = made.groupby(history["school"]).sum()
    sent = sum(added[f"School P{i}"] * shares[i] for i in range(4))
    kept = changed.moves_[six, 1, 1] / changed.moves_[six, 1].sum()  # at SEN support a year on
    started = model.moves_[six, 0, 1] / model.moves_[six, 0].sum()  # starting it from no SEN
    assert sent > 20 and 0.7 < kept < 0.9
    assert support(changed) - support(model) == pytest.approx(sent * (kept - started), rel=0.1)


def test_a_secondary_that_joined_the_trust_late_still_takes_its_share(feeder_trust):
    """Before the secondary joined, the primaries' Year 6 left the trust: those years do not
    count against the share of them it takes."""
    from dataclasses import replace

    from sendlib.forecast import YEAR_GROUPS, expected_path

    history = feeder_trust.sen_history
    year = history["census_date"].dt.year
    late = history[~history["school"].eq("School S0") | (year >= sorted(year.unique())[3])]
    seven = list(YEAR_GROUPS).index(7)
    intakes = []
    for trust in (feeder_trust, replace(feeder_trust, sen_history=late)):
        model = NeedForecaster(start="census").fit(trust)
        six, secondary = list(YEAR_GROUPS).index(6), model.schools_.index("School S0")
        assert model.transfers_[[model.schools_.index(f"School P{i}") for i in range(4)], six, secondary].min() > 0.4
        intakes.append(expected_path(model, 1)[0, secondary, seven].sum())
    assert intakes[1] == pytest.approx(intakes[0], rel=0.05)


def test_pupils_moving_between_primaries_are_counted_once(tmp_path):
    """A third of one primary's Year 3 are at another of the trust's primaries the next year:
    next year's Year 4 at the first holds those who stay, and at the second its own who stay
    and those who came; joiners from outside are set aside to see it."""
    from dataclasses import replace

    from sendlib.forecast import YEAR_GROUPS, expected_path

    trust = sendlib.load(write_folder(tmp_path, census_trust(seed=5, primaries=3, secondaries=1)))
    history = trust.sen_history
    pupils = history.loc[history["school"].eq("School P0") & history["year_group"].eq(3), "upn"].unique()
    movers = set(pupils[::3])
    first = history[history["upn"].isin(movers) & history["school"].eq("School P0")].groupby("upn")["census_date"].min()
    later = (
        history["upn"].isin(movers)
        & history["school"].eq("School P0")
        & (history["census_date"] > history["upn"].map(first))
    )
    model = NeedForecaster(start="census").fit(
        replace(trust, sen_history=history.assign(school=history["school"].mask(later, "School P1")))
    )
    model.joiners_["mean"][:] = model.joiners_["var"][:] = 0
    three, four = list(YEAR_GROUPS).index(3), list(YEAR_GROUPS).index(4)
    p0, p1 = model.schools_.index("School P0"), model.schools_.index("School P1")
    a, b = model.stay_
    leave = 1 - a / (a + b)
    assert model.transfers_[p0, three, p1] > 0.3 and leave[p0, three] < 0.5
    start = model.start_population_.sum(-1)[:, three]
    arriving = sum(start[i] * leave[i, three] * model.transfers_[i, three, p1] for i in range(len(start)) if i != p1)
    path = expected_path(model, 1)[0].sum(-1)
    assert path[p0, four] == pytest.approx(start[p0] * (1 - leave[p0, three]))
    assert path[p1, four] == pytest.approx(start[p1] * (1 - leave[p1, three]) + arriving)


def test_forecast_starts_from_todays_roll(sample):
    today = NeedForecaster(n_simulations=200, random_state=0).fit(sample)
    assert today.origin_ == "the roll on 20 November 2026 (pupils file)" and today.first_year_ == 2027
    sims = today.simulate(3)
    first = today.predict(1, by=["sen_provision"]).set_index("sen_provision")["count"]
    roll = sample.pupils["sen_provision"].value_counts()
    assert abs(first["K"] - roll["K"]) <= 15 and abs(first["E"] - roll["E"]) <= 10  # nine weeks on
    notes = start_notes(today, sims)
    assert notes[0].startswith(
        f"The forecast for the trust starts from the roll on 20 November 2026 (pupils file): {roll['K']}"
    )
    assert "January 2026 census counted 389" in notes[1]
    census = NeedForecaster(n_simulations=200, random_state=0, start="census").fit(sample)
    notes = start_notes(census, census.simulate(1))
    assert notes[0].startswith("The forecast for the trust starts from the January 2026 census: 389")
    outside = [n for n in notes if "outside the model's 80% range for January 2027" in n]
    assert outside and all("has not seen the change since" in n for n in outside)


def test_a_forecast_from_two_censuses_says_it_is_no_better_than_the_last(tmp_path):
    trust = sendlib.load(write_folder(tmp_path, census_trust(seed=3, primaries=3, secondaries=1, censuses=2)))
    model = NeedForecaster(n_simulations=50, random_state=0).fit(trust)
    notes = " ".join(start_notes(model, model.simulate(1)))
    assert (
        "one year of moves (January 2025 to January 2026)" in notes
        and "little better than the last census repeated" in notes
    )
    more = NeedForecaster(n_simulations=50, random_state=0).fit(
        sendlib.load(write_folder(tmp_path / "b", census_trust(seed=3)))
    )
    assert "one year of moves" not in " ".join(start_notes(more, more.simulate(1)))


def test_a_forecast_made_in_spring_moves_everyone_up_in_september(tmp_path):
    trust = sendlib.load(
        write_folder(tmp_path, census_trust(seed=5, primaries=3, secondaries=1, as_of=dt.date(2026, 3, 9)))
    )
    model = NeedForecaster(n_simulations=100, random_state=0).fit(trust)
    assert model.first_year_ == 2027 and model.first_step_ == (0.87, True)
    forecast = model.predict(1, by=["school", "year_group"])
    primaries = forecast[forecast["school"].str.startswith("School P")]
    assert primaries.loc[primaries["year_group"] >= 7, "count"].sum() < 1  # Year 6 left in July
    reception = primaries[primaries["year_group"] == 0]["count"].sum()
    assert reception > 0.5 * (trust.pupils["year_group"] == 0).sum()  # a new intake


def test_trends_are_pulled_toward_englands(sample, monkeypatch):
    from dataclasses import replace

    import sendlib.forecast as forecast

    national = national_trends()
    two = replace(sample, sen_history=sample.sen_history[sample.sen_history["census_date"].dt.year >= 2025])
    model = NeedForecaster(n_simulations=20).fit(two)  # one interval: no trend of its own
    assert model.trend_[0, 1] == pytest.approx(national["K"]) and model.trend_[1, 2] == pytest.approx(national["E"])
    assert model.trend_[1, 0] == 0  # leaving SEN support: no national series, toward no trend
    pulled = NeedForecaster(n_simulations=20).fit(sample).trend_
    monkeypatch.setattr(forecast, "national_trends", lambda: {**national, "spread": 1e6})
    own = NeedForecaster(n_simulations=20).fit(sample).trend_
    for move, series in forecast.NATIONAL_MOVES.items():
        low, high = sorted([own[move], national[series]])
        assert low <= pulled[move] <= high
    assert abs(pulled[0, 1] - national["K"]) < abs(own[0, 1] - national["K"])


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
        "mean",
    ]
    assert set(detail["year"]) == {2027, 2028}
    assert set(detail["school"]) <= set(sample.schools)
    assert set(detail.loc[detail["sen_provision"] != "N", "need_area"]) <= set(sendlib.codes.BROAD_AREAS)
    totals = model.predict(2, by=["sen_provision"])
    for year in (2027, 2028):
        for provision in ("K", "E"):
            total = totals[(totals["year"] == year) & (totals["sen_provision"] == provision)].iloc[0]
            cells = detail[(detail["year"] == year) & (detail["sen_provision"] == provision)]["mean"].sum()
            assert total["mean"] == pytest.approx(cells)  # means add up; medians need not
            assert total["lower_80"] <= total["count"] <= total["upper_80"]
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


def test_a_scenario_from_a_later_year_says_what_it_does(sample):
    base = NeedForecaster(n_simulations=200, random_state=4).fit(sample)
    later = NeedForecaster(n_simulations=200, random_state=4, identification_change=0.2, scenario_from=2028).fit(sample)
    base_sims, later_sims = base.simulate(3), later.simulate(3)
    np.testing.assert_array_equal(base_sims[:, 0], later_sims[:, 0])  # January 2027: before the scenario
    words = scenario_words(base, later, 3, "", "K")
    assert words[0].startswith("Scenario from January 2028: new identification +20%")
    yearly = later.new_identifications_.sum()
    assert f"about {yearly:.0f} a year in the trust, so about {0.2 * yearly:.0f} more a year" in words[0]
    simulated = (later_sims[:, 2, ..., 1:6].sum((1, 2, 3)) - base_sims[:, 2, ..., 1:6].sum((1, 2, 3))).mean()
    said = int(words[1].split(", ")[-1].split(" in January 2029")[0])
    assert said > 0 and abs(said - simulated) < 6  # the expected paths' difference; simulations add chance
    # one broad area's share of it (the planner's Need list): the areas' changes add up to the whole
    by_area = []
    for area in later.areas_:
        area_words = scenario_words(base, later, 3, "", "K", area)
        assert f"pupils on SEN support whose need is {area[:1].lower() + area[1:]}: " in area_words[1]
        by_area.append(int(area_words[1].split(", ")[-1].split(" in January 2029")[0].replace("no change", "0")))
    assert max(by_area) < said and abs(sum(by_area) - said) <= len(by_area)  # each rounded to a pupil
    with pytest.raises(ForecastError, match="broad areas of need"):
        scenario_words(base, later, 3, "", "K", "cognition and learning")
    assert scenario_words(base, base, 3) == []
    with pytest.raises(ForecastError, match="scenario_from"):
        NeedForecaster(scenario_from="2028").fit(sample)
    # asked for before the forecast starts: from its first January, and said
    early = NeedForecaster(n_simulations=10, identification_change=0.2, scenario_from=1999).fit(sample)
    assert scenario_words(base, early, 3)[0].endswith("(January 1999 was asked for: the forecast starts in 2027.)")
    assert "was asked for" not in scenario_words(base, later, 3)[0]


def test_a_scenario_shares_the_baselines_draws_until_it_changes_something(sample):
    """Common random numbers: the forecast app compares a scenario with the forecast without it
    at the same random_state, so a scenario differs from it only by what it changes."""
    base = NeedForecaster(n_simulations=100, random_state=6).fit(sample).simulate(3)
    for later in (2028, 2029, 2040):
        scenario = NeedForecaster(
            n_simulations=100, random_state=6, identification_change=0.3, intake_change=0.2, scenario_from=later
        )
        sims = scenario.fit(sample).simulate(3)
        before = later - 2027  # the Januaries forecast before the scenario starts
        np.testing.assert_array_equal(sims[:, :before], base[:, :before])
        assert before >= 3 or (sims[:, before:] != base[:, before:]).any()


def test_the_draws_skip_cells_with_no_one_without_changing_a_number():
    """The simulation draws only where there are pupils; numpy's binomial draws nothing for no
    one, so a split is number for number the one drawing every element in turn."""
    from sendlib.forecast import _chances, _split

    rng = np.random.default_rng(1)
    counts = rng.poisson(0.7, size=(200, 30)) * (rng.random((200, 30)) < 0.4)
    shares = rng.dirichlet(np.ones(6), size=(200, 30))
    shares[:, :3, 2] = 0  # categories nobody can join, as in a cell with no such move
    shares /= shares.sum(-1, keepdims=True)
    every = np.random.default_rng(9)
    expected, remaining, left = np.zeros((200, 30, 6), dtype=int), counts, 1.0
    for k in range(5):  # the multinomial drawn over every element, category by category
        expected[..., k] = every.binomial(remaining, np.clip(shares[..., k] / np.maximum(left, 1e-12), 0, 1))
        remaining, left = remaining - expected[..., k], left - shares[..., k]
    expected[..., 5] = remaining
    np.testing.assert_array_equal(_split(np.random.default_rng(9), counts, _chances(shares)), expected)


def test_pupils_going_drawn_for_a_cell_then_shared_out_are_a_binomial_for_each_area():
    """Pupils at SEN support (or with a plan) have the same chance of leaving or moving whatever
    their broad area, so the simulation draws how many of a cell's go and shares them out among
    the areas (a multivariate hypergeometric): each area's are then binomial, independent of the
    other areas', as if drawn area by area."""
    from sendlib.forecast import _draw, _share

    rng = np.random.default_rng(3)
    n, chance = 100_000, 0.3
    counts = np.broadcast_to(np.array([5, 0, 3, 7, 1]), (n, 5))
    total = counts.sum(-1)
    going = _share(rng, counts, _draw(rng, total, chance), total)
    assert ((going >= 0) & (going <= counts)).all()
    # the mean and variance of a binomial, and no correlation between areas, within Monte Carlo error
    np.testing.assert_allclose(going.mean(0), counts[0] * chance, atol=0.02)
    np.testing.assert_allclose(going.var(0), counts[0] * chance * (1 - chance), atol=0.03)
    correlation = np.corrcoef(going[:, [0, 2, 3]].T)
    assert np.abs(correlation - np.eye(3)).max() < 0.015


def test_the_forecast_exports_with_its_date_and_notes(sample):
    import io

    model = NeedForecaster(n_simulations=100, random_state=0).fit(sample)
    sims = model.simulate(2)
    table = forecast_table(model, sims)
    assert set(table["sen_provision"]) == {"K", "E"} and table["forecast"].dtype == "int64"
    files = {kind: data for kind, _, data in forecast_files(table, sample.as_of, ["A note."])}
    csv = pd.read_csv(io.BytesIO(files["csv"]))
    assert len(csv) == len(table) and set(csv["data_date"]) == {"2026-11-20"}
    book = pd.read_excel(io.BytesIO(files["xlsx"]), sheet_name=None)
    assert len(book["Forecast"]) == len(table) and book["Notes"]["notes"].tolist() == ["A note."]


def test_roll_projection_sets_the_intake(sample):
    school = "Oakfield Primary"
    roll = pd.DataFrame({"year": [2028], "school": [school], "year_group": [0], "count": [200]})
    forecast = (
        NeedForecaster(n_simulations=100, random_state=3, roll_projection=roll)
        .fit(sample)
        .predict(2, by=["school", "year_group"])
        .query("year == 2028")
    )
    reception = forecast[(forecast["school"] == school) & (forecast["year_group"] == 0)]["count"].iloc[0]
    assert 170 < reception < 230


def test_needs_two_censuses(sample):
    from dataclasses import replace

    one = replace(sample, sen_history=sample.sen_history[sample.sen_history["census_date"].dt.year == 2026])
    with pytest.raises(ForecastError, match="two Januaries in a row"):
        NeedForecaster().fit(one)


def _years_of(frame):
    return pd.to_datetime(frame["census_date"]).dt.year


def test_a_gap_in_the_census_history_is_not_taken_for_one_years_moves(tmp_path):
    tables = census_trust(seed=3, primaries=4, secondaries=1, censuses=6)  # January 2021 to 2026
    gapped = {**tables, "sen_history": tables["sen_history"][_years_of(tables["sen_history"]) != 2023]}
    whole = NeedForecaster(n_simulations=200, random_state=0).fit(sendlib.load(write_folder(tmp_path / "a", tables)))
    model = NeedForecaster(n_simulations=200, random_state=0).fit(sendlib.load(write_folder(tmp_path / "b", gapped)))
    assert model.intervals_ == [2021, 2024, 2025]
    assert "no census for January 2023" in " ".join(start_notes(model, model.simulate(1)))
    # 2022 to 2024 read as one year's moves sent the roll 4% above the whole history's in 2029
    roll = [
        m.predict(3, by=["sen_provision"]).query("year == 2029 and sen_provision == 'N'")["count"].item()
        for m in (whole, model)
    ]
    assert abs(roll[1] - roll[0]) / roll[0] < 0.02


def test_a_census_history_without_two_januaries_in_a_row_is_refused_in_words(tmp_path):
    from sendlib.committee import committee_forecast

    tables = census_trust(seed=3, primaries=3, secondaries=1, censuses=3)  # January 2024 to 2026
    tables["sen_history"] = tables["sen_history"][_years_of(tables["sen_history"]) != 2025]
    trust = sendlib.load(write_folder(tmp_path, tables))
    with pytest.raises(ForecastError, match=r"two Januaries in a row .*has January 2024 and 2026"):
        NeedForecaster().fit(trust)
    assert committee_forecast(trust) is None  # the committee page goes without, not with an error


def test_a_school_that_has_left_the_trust_is_not_forecast(tmp_path):
    from sendlib.costs import cost_forecast, unit_costs

    tables = census_trust(seed=3, primaries=4, secondaries=2, censuses=6)
    history, pupils = tables["sen_history"], tables["pupils"]
    gone = ["School P0", "School S1"]  # a primary and a secondary that took half the primaries' Year 6
    tables["sen_history"] = history[~(history["school"].isin(gone) & (_years_of(history) > 2024))]
    tables["pupils"] = pupils[~pupils["school"].isin(gone)]
    trust = sendlib.load(write_folder(tmp_path, tables))
    model = NeedForecaster(n_simulations=100, random_state=0).fit(trust)
    assert model.left_ == gone
    simulations = model.simulate(3)
    for school in gone:  # no joiners there, and no Year 6 sent to the secondary
        assert simulations[:, :, model.schools_.index(school)].sum() == 0
    assert not set(gone) & set(model.predict(3, by=["school"])["school"])
    assert not set(gone) & set(cost_forecast(model, simulations, unit_costs(trust), school=None)["school"])
    notes = " ".join(start_notes(model, simulations))
    assert "School P0 and School S1 are in the census history but have no pupils in the roll on" in notes
    assert "were in the January" not in notes  # they left before the last census: no word of a missing file
    assert start_notes(model, simulations, "School S1") == [
        f"School S1 has no pupils in {model.origin_}: taken to have left the trust, it is not forecast."
    ]
    # the trust's rates are not pulled down by the year their pupils 'left' (they were not seen)
    kept = NeedForecaster(n_simulations=100, random_state=0).fit(
        sendlib.load(write_folder(tmp_path / "b", {**tables, "sen_history": history[~history["school"].isin(gone)]}))
    )
    stays = [m.stay_[0] / (m.stay_[0] + m.stay_[1]) for m in (model, kept)]
    at = [kept.schools_.index(s) for s in ("School P1", "School S0")]
    assert np.allclose(stays[0][[model.schools_.index(s) for s in ("School P1", "School S0")]], stays[1][at], atol=0.02)


def test_a_school_missing_from_one_census_is_not_read_as_all_its_pupils_leaving(tmp_path):
    tables = census_trust(seed=3, primaries=4, secondaries=1, censuses=6)
    history = tables["sen_history"]
    whole = NeedForecaster(n_simulations=200, random_state=0).fit(sendlib.load(write_folder(tmp_path / "a", tables)))
    holed = {**tables, "sen_history": history[~(history["school"].eq("School S0") & (_years_of(history) == 2024))]}
    model = NeedForecaster(n_simulations=200, random_state=0).fit(sendlib.load(write_folder(tmp_path / "b", holed)))
    assert model.missing_ == {"School S0": [2024]} and model.left_ == []
    assert "School S0 has no rows in the January 2024 census" in " ".join(start_notes(model, model.simulate(1)))
    # read as every S0 pupil leaving in 2023-2024, S0's plans in 2029 fell from 93 to 57
    counts = [
        m.predict(3, by=["school", "sen_provision"]).query("year == 2029 and school == 'School S0'")
        for m in (whole, model)
    ]
    for provision in ("K", "E"):
        one, other = (c.loc[c["sen_provision"] == provision, "count"].item() for c in counts)
        assert abs(other - one) / one < 0.1, provision
    # the planner's chart of past censuses leaves the gap out rather than draw the trust's total dipping by a school
    recorded = lambda school="": recorded_counts(model, model_history, "E", school).set_index("year")["count"]
    model_history = sendlib.load(tmp_path / "b").sen_history
    assert list(recorded().index) == list(recorded("School S0").index) == [2021, 2022, 2023, 2025, 2026]
    assert list(recorded("School P1").index) == [2021, 2022, 2023, 2024, 2025, 2026]
    assert recorded().sum() == sum(recorded(s).drop(2024, errors="ignore").sum() for s in model.schools_)


def test_a_primary_missing_from_one_census_does_not_send_its_year_6_twice(tmp_path):
    from sendlib.forecast import YEAR_GROUPS

    tables = census_trust(seed=3, primaries=4, secondaries=1, censuses=6)
    history = tables["sen_history"]
    holed = {**tables, "sen_history": history[~(history["school"].eq("School P0") & (_years_of(history) == 2024))]}
    models = [
        NeedForecaster(n_simulations=50).fit(sendlib.load(write_folder(tmp_path / name, frame)))
        for name, frame in (("a", tables), ("b", holed))
    ]
    at = models[0].schools_.index("School S0"), list(YEAR_GROUPS).index(7)
    # P0's Year 6 of 2024 reached S0 in 2025 unseen: read as joiners they made S0's Year 7 intake 84, not 73
    whole, gapped = (model.joiners_["mean"][at] for model in models)
    assert abs(gapped - whole) / whole < 0.05


def test_a_pupils_file_without_a_schools_pupils_is_named_even_with_a_roll_projection(tmp_path):
    tables = census_trust(seed=3, primaries=4, secondaries=1, censuses=6)
    tables["pupils"] = tables["pupils"][tables["pupils"]["school"] != "School P0"]
    projection = pd.DataFrame({"year": [2027, 2028, 2029], "school": "School P0", "year_group": 0, "count": 30})
    model = NeedForecaster(n_simulations=50, roll_projection=projection).fit(
        sendlib.load(write_folder(tmp_path, tables))
    )
    assert model.left_ == []  # projected to take a Reception class: still in the trust
    assert "School P0 was in the January 2026 census but the pupils file has no pupils there" in " ".join(
        start_notes(model, model.simulate(1))
    )


def test_a_school_missing_from_the_last_census_is_named_and_not_drawn_as_a_dip(tmp_path):
    tables = census_trust(seed=3, primaries=4, secondaries=1, censuses=6)
    history = tables["sen_history"]
    tables["sen_history"] = history[~(history["school"].eq("School P0") & (_years_of(history) == 2026))]
    trust = sendlib.load(write_folder(tmp_path, tables))
    model = NeedForecaster(n_simulations=50).fit(trust)
    assert model.missing_ == {"School P0": [2026]}
    assert "School P0 has no rows in the January 2026 census" in " ".join(start_notes(model, model.simulate(1)))
    assert recorded_counts(model, trust.sen_history, "K")["year"].max() == 2025


def test_a_backtest_starts_only_where_a_year_of_moves_is_behind_it(tmp_path):
    tables = census_trust(seed=3, primaries=3, secondaries=1, censuses=6)  # January 2021 to 2026
    history = tables["sen_history"]
    gapped = {**tables, "sen_history": history[~_years_of(history).isin([2022, 2025])]}  # 2021, 2023, 2024, 2026
    trust = sendlib.load(write_folder(tmp_path / "a", gapped))
    assert NeedForecaster(n_simulations=50).fit(trust).backtest_origins_ == [2024]
    every = sendlib.load(write_folder(tmp_path / "b", tables))
    assert NeedForecaster(n_simulations=50).fit(every).backtest_origins_ == [2022, 2023, 2024, 2025]
    nothing = backtest(NeedForecaster(n_simulations=50, random_state=0), trust, [2023])  # no year of moves to 2023
    assert backtest_words(nothing)[0].startswith("No past forecast to replay yet")


# --- what the planner's app shows: scenarios by name, and benchmarks as rates ---------------------
def test_a_forecast_is_named_by_its_scenario_in_plain_words(sample):
    from sendlib.forecast import NO_CHANGE, scenario_name

    base = NeedForecaster(n_simulations=10).fit(sample)
    assert scenario_name(base) == NO_CHANGE == "Forecast with no change"
    later = NeedForecaster(n_simulations=10, identification_change=0.1, scenario_from=2028).fit(sample)
    assert scenario_name(later) == "With 10% more pupils identified from January 2028"
    both = NeedForecaster(n_simulations=10, identification_change=-0.05, intake_change=0.2).fit(sample)
    assert scenario_name(both) == (
        f"With 5% fewer pupils identified and 20% more pupils joining from January {both.first_year_}"
    )


LA_CENSUS = pd.DataFrame(  # a small LA census table, as the DfE's file by local authority would give it
    {
        "january": [2024, 2025],
        "la_code": ["E06000001", "E06000001"],
        "la_name": ["Hartlepool", "Hartlepool"],
        "pupils": [16_000, np.nan],  # 2025's pupil count not published: no percentage that year
        "sen_support": [2_080, 2_150],
        "ehc_plans": [600, 640],
    }
)


def test_the_la_benchmark_is_rates_of_pupils_beside_the_trusts(sample):
    from sendlib.forecast import rate_benchmark

    table, notes = rate_benchmark(sample.sen_history, "hartlepool", census=LA_CENSUS)
    row = table.set_index("January").loc[2024]
    assert row["Hartlepool: SEN support"] == pytest.approx(13.0)  # 2,080 of 16,000 pupils
    assert row["Hartlepool: EHC plans"] == pytest.approx(3.75)  # 600 of 16,000
    census_2024 = sample.sen_history[sample.sen_history["census_date"].dt.year == 2024]
    assert row["The trust: EHC plans"] == pytest.approx(100 * (census_2024["sen_provision"] == "E").mean())
    assert row["England: SEN support"] == 13.6  # the national census, January 2024
    later = table.set_index("January").loc[2025]
    assert np.isnan(later["Hartlepool: SEN support"]) and np.isnan(later["Hartlepool: EHC plans"])
    assert "Hartlepool's pupil count for January 2022, 2023, 2025 and 2026 is not in the reference data" in notes[0]
    assert notes[-1] == "England's figures for January 2026 are not in the reference data yet."
    # an LA the data have no pupils for: said, and no column of made-up figures
    table, notes = rate_benchmark(sample.sen_history, "Kent", census=LA_CENSUS)
    assert not any(c.startswith("Kent") for c in table.columns)
    assert notes[0].startswith("Kent's percentages are not shown: the reference data hold no pupil counts for it")


def test_the_la_need_mix_where_known_and_englands_said_to_be_englands_where_not(sample):
    from sendlib.forecast import need_mix_benchmark

    need_mix = pd.DataFrame(
        {
            "january": 2025,
            "la_code": "E06000001",
            "la_name": "Hartlepool",
            "sen_provision": ["K", "K", "K", "E", "E"],
            "need_code": ["ASD", "SLCN", "MLD", "ASD", "SEMH"],
            "pupils": [300, 100, 600, 150, 50],
        }
    )
    table, notes = need_mix_benchmark(sample.sen_history, "Hartlepool", need_mix=need_mix)
    local = table.set_index("Broad area of need")
    assert local.loc["Communication and interaction", "Hartlepool: SEN support"] == pytest.approx(40)
    assert local.loc["Social, emotional and mental health", "Hartlepool: EHC plans"] == pytest.approx(25)
    assert not any(c.startswith("England") for c in table.columns) and len(notes) == 1
    assert "Hartlepool's from January 2025 (SEN support and EHC plans)" in notes[0]
    table, notes = need_mix_benchmark(sample.sen_history, "Kent", school="Oakfield Primary", need_mix=need_mix)
    assert not any(c.startswith("Kent") for c in table.columns)
    assert {"Oakfield Primary: EHC plans", "England: EHC plans"} <= set(table.columns)
    assert notes[-1] == (
        "England's figures are shown beside Oakfield Primary's because Kent's need mix is not in the reference data."
    )
    shares = table.drop(columns="Broad area of need").sum()
    assert ((shares > 99) & (shares < 101)).all()
    _, notes = need_mix_benchmark(sample.sen_history, "England", school="A school opened this year")
    assert "A school opened this year has no January census yet (its columns are blank)" in notes[0]


def test_without_a_census_history_the_planner_still_sees_the_la_england_and_her_schools_assessments(tmp_path):
    import ipywidgets as W

    from sendlib._testing import find, widget_text, write_edge_trust
    from sendlib.access import User
    from sendlib.apps.forecast import Prepared, build

    folder = write_edge_trust(tmp_path / "t", "2026-07-15", files=("ehc_events",))  # no sen_history.csv
    prepared = Prepared(str(folder))
    app = build(prepared)
    text = widget_text(app)
    assert "The forecast could not be made from this export." in text and "this needs sen_history.csv" in text
    assert "The trust&#x27;s own figures need the January census history" in text
    assert "<th>England: SEN support</th>" in text and "<th>The trust" not in text
    assert "EHC needs assessments by local authority" in text
    assert "<td>Leeds</td>" in text and "<td>All (the trust)</td>" in text  # Beacon Academy's pupils' LA
    # a SENCO of one school: her pupils' requests only (none of them with Leeds)
    senco = widget_text(build(prepared, User("a", "senco", ("Castle Hill School",))))
    assert "Pupils at Castle Hill School only." in senco and "<td>All (your school)</td>" in senco
    assert "<td>Bradford</td>" in senco and "<td>Leeds</td>" not in senco
    find(app, W.Text, lambda w: w.description == "Compare with").value = "Hartlepool"
    text = widget_text(app)
    assert "EHC plans maintained: Hartlepool" in text
    assert "The forecast's method: last year&#x27;s growth and" in text  # under the heading, not the chart's title
    assert "The forecast growth is 70% England&#x27;s trend" in text
    assert "England&#x27;s figures are shown because Hartlepool&#x27;s need mix" in text


def test_without_two_januaries_in_a_row_a_senco_sees_only_her_schools_census(tmp_path, small_tables):
    from sendlib._testing import widget_text, write_folder
    from sendlib.access import User
    from sendlib.apps.forecast import Prepared, build

    history = small_tables["sen_history"]
    last = history["census_date"].max()
    tables = {**small_tables, "sen_history": history[history["census_date"] == last]}  # one census
    prepared = Prepared(str(write_folder(tmp_path / "t", tables)))
    assert isinstance(prepared.unavailable, ForecastError)
    school = sorted(prepared.schools)[0]
    text = widget_text(build(prepared, User("a", "senco", (school,))))
    assert "The forecast could not be made from this export." in text and "two Januaries in a row" in text
    assert f"<th>{school}: SEN support</th>" in text and "<th>The trust" not in text
    assert "Whole trust" not in text and not any(f">{other}<" in text for other in prepared.schools if other != school)
    whole = widget_text(build(prepared))  # a user of every school: the whole trust too
    assert "<th>The trust: SEN support</th>" in whole


def test_the_planner_sees_the_scenario_beside_the_forecast_without_it_and_rates_beside_the_la():
    import ipywidgets as W

    from sendlib._testing import find, widget_text
    from sendlib.apps.forecast import Prepared, build

    app = build(Prepared(""))
    text = widget_text(app)
    assert "<h3>Forecast: EHC plans, with no change</h3>" in text and "<th>Forecast with no change</th>" in text
    find(app, W.Dropdown, lambda w: w.description == "New identification").value = 10
    start = find(app, W.Dropdown, lambda w: w.description == "From")
    start.value = start.options[1][1]
    find(app, W.Button, lambda w: w.description == "Re-run forecast").click()
    text = widget_text(app)
    name = f"With 10% more pupils identified from January {start.value}"
    assert f"<h3>Forecast: EHC plans, with 10% more pupils identified from January {start.value}</h3>" in text
    assert f"<th>Forecast with no change</th>\n      <th>{name}</th>" in text
    assert "The scenario&#x27;s own effect on the cost a year, against the forecast without it: " in text
    alt = text.split('alt="EHC plans in the whole trust: ')[1].split('"')[0]
    assert f"; with 10% more pupils identified from January {start.value}, January" in alt
    assert "; forecast with no change, January" in alt
    assert "years ahead are not scored" not in text  # three years ahead: replayed
    find(app, W.Dropdown, lambda w: w.description == "Years ahead").value = 5
    find(app, W.Button, lambda w: w.description == "Re-run forecast").click()
    assert "Past forecasts are replayed up to 3 years ahead; forecasts 4 to 5 years ahead are not scored" in (
        widget_text(app)
    )
    find(app, W.Dropdown, lambda w: w.description == "Need").value = "Cognition and learning"
    text = widget_text(app)  # the sentences say which counts are the area's and which every need's
    said = "census counted 389 on SEN support and 155 with EHC plans.</p><p>The counts the forecast starts from are"
    assert said in text and "of every need; the chart, the table and the scenario&#x27;s effect below" in text
    assert "Against the forecast without it, pupils with EHC plans whose need is cognition and learning: " in text
    assert "<h3>Cost of additional support: the whole trust, every need</h3>" in text
    box = find(app, W.Text, lambda w: w.description == "Compare with")
    assert box.continuous_update is False  # drawn on Enter (or on leaving the box), not at each letter
    box.value = "Kingston"
    assert "Did you mean one of: Kingston upon Hull, City of; Kingston upon Thames?" in widget_text(app)
    box.value = "Hertfordshire"
    text = widget_text(app)
    assert "Hertfordshire&#x27;s percentages are not shown" in text and "<th>The trust: SEN support</th>" in text
    assert "because Hertfordshire&#x27;s need mix is not in the reference data" in text
    assert "<th>Hertfordshire" not in text  # no figure of England's (or anyone's) under the LA's name


def test_years_beyond_the_back_test_are_said_not_to_be_scored():
    scores = pd.DataFrame(
        {
            "model": ["need", "naive"] * 3,
            "horizon": [1, 1, 2, 2, 3, 3],
            "n": [36, 36, 24, 24, 0, 0],  # three years ahead: nothing to replay
            "mape": [9.0, 12.0, 16.0, 18.0, np.nan, np.nan],
            "bias": [0.0] * 6,
            "coverage_80": [0.89, 0.9, 0.71, 0.8, np.nan, np.nan],
            "coverage_95": [0.95] * 6,
        }
    )
    assert len(backtest_words(scores)) == len(backtest_words(scores, years=2)) == 2
    assert backtest_words(scores, years=3)[-1].startswith(
        "Past forecasts are replayed up to 2 years ahead; forecasts 3 years ahead are not scored"
    )
    assert "forecasts 3 to 5 years ahead are not scored" in backtest_words(scores, years=5)[-1]
