"""Cost per pupil from costs.csv, the provision map or the published default, and the cost forecast."""

import re

import numpy as np
import pandas as pd
import pytest

import sendlib
from sendlib._testing import write_folder
from sendlib.costs import cost_forecast, cost_words, setting_shares, unit_costs


@pytest.fixture(scope="module")
def sample():
    return sendlib.load_sample()


def mainstream(units):
    """The costs in mainstream, by provision and area."""
    return units[units["setting"].eq("mainstream")].set_index(["sen_provision", "need_area"])


def trust_with(tmp_path, small_tables, **files):
    tables = {k: v for k, v in small_tables.items() if k not in ("provisions", "staff_costs")}
    return sendlib.load_trust(write_folder(tmp_path / "t", {**tables, **files}))


def test_costs_csv_wins_then_the_provision_map_then_the_published_default(tmp_path, small_tables, sample):
    own = trust_with(
        tmp_path,
        small_tables,
        costs='sen_provision,need_area,cost_per_pupil,source\nK,,"£1,500",our budget 2026\n'
        "K,SEMH,2500,nurture places\nE,,18000,LA banding\n",
    )
    units = mainstream(unit_costs(own))
    assert units.at[("K", "Social, emotional and mental health"), "cost_per_pupil"] == 2500
    assert units.at[("K", "Cognition and learning"), "cost_per_pupil"] == 1500
    assert units.at[("E", "Sensory and/or physical"), "cost_per_pupil"] == 18000
    assert units.at[("K", "Cognition and learning"), "source"] == "costs.csv (our budget 2026)"
    # the sample: no costs.csv, so its provision map: each provision's mean over its pupils on roll
    mapped = mainstream(unit_costs(sample))
    costs = sendlib.provision_costs(sample).set_index("upn")
    per_pupil = costs[["cost_last_12_months", "cost_a_year"]].max(axis=1)
    on_support = sample.pupils.loc[sample.pupils["sen_provision"].eq("K"), "upn"]
    expected = per_pupil.reindex(on_support).fillna(0).mean()
    assert mapped.at[("K", "Cognition and learning"), "cost_per_pupil"] == pytest.approx(expected)
    assert mapped.at[("E", "Cognition and learning"), "share_over_threshold"] == pytest.approx(1.0)
    # neither: the published default for plans, nothing for SEN support, and the words say so
    bare = mainstream(unit_costs(trust_with(tmp_path / "b", small_tables)))
    assert bare.at[("E", "Cognition and learning"), "cost_per_pupil"] == 6000
    assert "High needs funding: operational guide" in bare.at[("E", "Cognition and learning"), "source"]
    assert np.isnan(bare.at[("K", "Cognition and learning"), "cost_per_pupil"])
    words = cost_words(pd.DataFrame(), bare.reset_index())
    assert any(
        w.startswith("SEN support: no cost per pupil is set, so these pupils are not in the cost") for w in words
    )


def test_costs_for_no_sen_are_a_problem(tmp_path, small_tables):
    with pytest.raises(sendlib.DataError) as caught:
        trust_with(tmp_path, small_tables, costs="sen_provision,cost_per_pupil\nN,100\nK,abc\n")
    found = {(r.row, r.column): r.problem for r in caught.value.problems.itertuples()}
    assert "not N" in found[(2, "sen_provision")] and "not an amount of money" in found[(3, "cost_per_pupil")]


def test_every_simulation_is_costed(sample):
    """The cost forecast is the simulated counts times the unit costs, simulation by simulation."""
    model = sendlib.NeedForecaster(n_simulations=200, random_state=0).fit(sample)
    simulations = model.simulate(2)
    units = unit_costs(sample)
    table = cost_forecast(model, simulations, units)
    k_cost = units.loc[units["sen_provision"].eq("K"), "cost_per_pupil"].iloc[0]
    e_cost = units.loc[units["sen_provision"].eq("E"), "cost_per_pupil"].iloc[0]
    n = len(model.areas_)
    counts = simulations.sum(axis=(2, 3))
    money = counts[:, :, 1 : 1 + n].sum(axis=2) * k_cost + counts[:, :, 1 + n :].sum(axis=2) * e_cost
    assert table["cost"].tolist() == pytest.approx(np.median(money, axis=0).tolist())
    assert (table["low_95"] <= table["low_80"]).all() and (table["low_80"] <= table["cost"]).all()
    assert (table["cost"] <= table["high_80"]).all() and (table["high_80"] <= table["high_95"]).all()
    assert table["top_up_candidates"].iloc[0] > 0
    every = cost_forecast(model, simulations, units, None)  # the trust and each school at once
    assert set(every["school"]) == {"All schools", *model.schools_}
    for school in (model.schools_[0], "All schools"):
        one = cost_forecast(model, simulations, units, "" if school == "All schools" else school)
        pd.testing.assert_frame_equal(
            every[every["school"] == school].drop(columns="school").reset_index(drop=True), one
        )
    schools = sum(cost_forecast(model, simulations, units, s)["cost"].iloc[0] for s in model.schools_)
    assert schools == pytest.approx(table["cost"].iloc[0], rel=0.02)  # medians nearly add up
    words = cost_words(table, units)
    assert words[0].startswith(f"Cost of additional support, January {model.first_year_}: about £")
    # every figure in the sentence to three significant figures, the range's ends as the central one
    figures = [amount.replace(",", "") for amount in re.findall(r"£([\d,]+)", words[0])]
    assert len(figures) == 6 and all(len(figure.rstrip("0")) <= 3 for figure in figures), words[0]


def test_a_scenarios_own_effect_on_the_cost_is_said_from_the_expected_paths(sample):
    """More identification costs more, every year it runs, by the expected paths' difference at
    the unit costs (two sets of simulations' medians can differ either way by chance)."""
    from sendlib.costs import scenario_cost_words
    from sendlib.forecast import expected_path

    base = sendlib.NeedForecaster(n_simulations=50, random_state=0).fit(sample)
    more = sendlib.NeedForecaster(n_simulations=50, random_state=0, identification_change=0.2).fit(sample)
    fewer = sendlib.NeedForecaster(n_simulations=50, random_state=0, intake_change=-0.5).fit(sample)
    units = unit_costs(sample)
    assert scenario_cost_words(base, base, 3, units) == []  # no scenario, nothing to say

    def said(words):
        amounts = re.findall(r"([+-]?)£([\d,]+) in January (\d{4})", words[0])
        return {int(year): (-1 if sign == "-" else 1) * int(amount.replace(",", "")) for sign, amount, year in amounts}

    trust = said(scenario_cost_words(base, more, 3, units))
    assert list(trust) == [base.first_year_, base.first_year_ + 2] and 0 < trust[base.first_year_] < trust[2029]
    k_cost = units.loc[units["sen_provision"].eq("K"), "cost_per_pupil"].iloc[0]
    e_cost = units.loc[units["sen_provision"].eq("E"), "cost_per_pupil"].iloc[0]
    n = len(base.areas_)
    change = (expected_path(more, 3) - expected_path(base, 3)).sum(axis=(1, 2))[-1]
    expected = change[1 : 1 + n].sum() * k_cost + change[1 + n :].sum() * e_cost
    assert trust[2029] == pytest.approx(expected, rel=0.05)  # to two significant figures
    by_school = [said(scenario_cost_words(base, more, 3, units, school=s)).get(2029, 0) for s in base.schools_]
    assert sum(by_school) == pytest.approx(trust[2029], rel=0.1)
    assert said(scenario_cost_words(base, fewer, 3, units))[2029] < 0  # fewer joining, less need


def test_without_a_provision_map_the_words_say_why_top_up_candidates_are_not_counted(sample):
    from dataclasses import replace

    bare = replace(sample, provisions=None)
    model = sendlib.NeedForecaster(n_simulations=50, random_state=0).fit(bare)
    units = unit_costs(bare)
    table = cost_forecast(model, model.simulate(1), units)
    assert table["top_up_candidates"].isna().all()
    assert any("(provisions.csv), which this export does not have" in w for w in cost_words(table, units))
    assert not any(
        "which this export does not have" in w
        for w in cost_words(cost_forecast(model, model.simulate(1), unit_costs(sample)), unit_costs(sample))
    )


def test_the_planner_sees_the_cost_under_the_forecast():
    from sendlib._testing import widget_text
    from sendlib.apps import app

    text = widget_text(app("forecast", ""))
    assert "Cost of additional support: the whole trust" in text
    assert "Above the £6,000 threshold (80% range)" in text and "from the provision map" in text


def test_each_school_is_costed_at_its_pupils_settings(tmp_path, small_tables):
    """Pupils in a special school or an SEN unit cost what their setting costs; each school keeps
    today's share of its pupils in each setting."""
    pupils = small_tables["pupils"].copy()
    schools = sorted(pupils["school"].unique())
    special, unit = schools[0], schools[1]
    sen = pupils["sen_provision"].isin(["K", "E"])
    pupils["Setting"] = ""
    pupils.loc[pupils["school"].eq(special) & sen, "Setting"] = "Special school"
    pupils.loc[pupils["school"].eq(unit) & pupils["sen_provision"].eq("E"), "Setting"] = "SEN Unit"
    costs = (
        "sen_provision,need_area,setting,cost_per_pupil\nK,,,1000\nE,,,6000\nE,,special,12000\nK,,special,11000\n"
        "E,,resourced,9000\n"
    )
    trust = trust_with(tmp_path, {**small_tables, "pupils": pupils}, costs=costs)
    assert set(trust.pupils.loc[trust.pupils["school"].eq(special) & sen, "setting"]) == {"special"}
    assert trust.pupils.loc[~trust.pupils["school"].isin([special, unit]), "setting"].isna().all()
    frame = unit_costs(trust)
    units = frame.set_index(["sen_provision", "need_area", "setting"])["cost_per_pupil"]
    area = "Cognition and learning"
    assert units[("E", area, "special")] == 12000 and units[("K", area, "special")] == 11000
    assert units[("E", area, "resourced")] == 9000 and units[("K", area, "mainstream")] == 1000
    assert units[("K", area, "resourced")] == 1000  # the provision's row with no setting

    model = sendlib.NeedForecaster(n_simulations=100, random_state=0).fit(trust)
    simulations = model.simulate(2)
    shares = setting_shares(trust)
    n = len(model.areas_)
    counts = simulations.sum(axis=3)  # (simulation, year, school, state)
    k, e = counts[..., 1 : 1 + n].sum(-1), counts[..., 1 + n :].sum(-1)
    at = model.schools_.index
    expected = {
        special: k[..., at(special)] * 11000 + e[..., at(special)] * 12000,
        unit: k[..., at(unit)] * 1000 + e[..., at(unit)] * 9000,
    }
    for school, money in expected.items():
        table = cost_forecast(model, simulations, frame, school, shares)
        assert table["cost"].tolist() == pytest.approx(np.median(money, axis=0).tolist())
    others = [i for i, name in enumerate(model.schools_) if name not in (special, unit)]
    trust_money = sum(expected.values()) + (k[..., others] * 1000 + e[..., others] * 6000).sum(-1)
    whole = cost_forecast(model, simulations, frame, "", shares)
    assert whole["cost"].tolist() == pytest.approx(np.median(trust_money, axis=0).tolist())
    everyone_mainstream = cost_forecast(model, simulations, frame, "")
    assert (everyone_mainstream["cost"] < whole["cost"]).all()
    words = " ".join(cost_words(whole, frame, shares))
    assert "EHC plans in special schools: £12,000 a pupil a year, from costs.csv" in words
    assert "pupils with EHC plans in resourced provision or SEN units" in words and "as it is today" in words
    assert "SEN support in resourced provision" not in words  # none there today


def test_the_published_default_gives_special_and_unit_places_their_funding(tmp_path, small_tables):
    units = unit_costs(trust_with(tmp_path, small_tables)).set_index(["sen_provision", "need_area", "setting"])
    special = units.loc[("E", "Sensory and/or physical", "special")]
    assert special["cost_per_pupil"] == 10000 and "place funding of £10,000" in special["source"]
    assert units.loc[("K", "Sensory and/or physical", "resourced"), "cost_per_pupil"] == 6000
    assert np.isnan(units.loc[("K", "Sensory and/or physical", "mainstream"), "cost_per_pupil"])


def test_a_setting_sendlib_does_not_know_is_a_problem(tmp_path, small_tables):
    pupils = small_tables["pupils"].copy()
    pupils["setting"] = ""
    pupils.loc[pupils.index[3], "setting"] = "Hospital"
    with pytest.raises(sendlib.DataError) as caught:
        trust_with(tmp_path, {**small_tables, "pupils": pupils})
    problem = caught.value.problems.set_index("column").loc["setting"]
    assert problem["row"] == 5 and "not a setting sendlib knows" in problem["problem"]


def test_a_school_with_no_pupils_at_a_provision_today_takes_its_other_provisions_settings():
    """A special school whose pupils all have plans: a forecast pupil on SEN support there is
    costed in the special school, not in mainstream."""
    from types import SimpleNamespace

    from sendlib.costs import _school_costs

    model = SimpleNamespace(areas_=["Cognition and learning"], schools_=["Special", "Mainstream"])
    units = pd.DataFrame(
        [(p, "Cognition and learning", s, c) for p in "KE" for s, c in (("mainstream", 100), ("special", 5000))],
        columns=["sen_provision", "need_area", "setting", "cost_per_pupil"],
    )
    shares = pd.DataFrame(
        {"school": ["Special"], "sen_provision": ["E"], "setting": ["special"], "pupils": [40], "share": [1.0]}
    )
    vectors = _school_costs(model, units, shares)  # (school, state): N, K in the area, E in the area
    assert vectors.tolist() == [[0, 5000, 5000], [0, 100, 100]]
