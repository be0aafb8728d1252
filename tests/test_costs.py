"""Cost per pupil from costs.csv, the provision map or the published default, and the cost forecast."""

import numpy as np
import pandas as pd
import pytest

import sendlib
from sendlib._testing import write_folder
from sendlib.costs import cost_forecast, cost_words, unit_costs


@pytest.fixture(scope="module")
def sample():
    return sendlib.load_sample()


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
    units = unit_costs(own).set_index(["sen_provision", "need_area"])
    assert units.at[("K", "Social, emotional and mental health"), "cost_per_pupil"] == 2500
    assert units.at[("K", "Cognition and learning"), "cost_per_pupil"] == 1500
    assert units.at[("E", "Sensory and/or physical"), "cost_per_pupil"] == 18000
    assert units.at[("K", "Cognition and learning"), "source"] == "costs.csv (our budget 2026)"
    # the sample: no costs.csv, so its provision map: each provision's mean over its pupils on roll
    mapped = unit_costs(sample).set_index(["sen_provision", "need_area"])
    costs = sendlib.provision_costs(sample).set_index("upn")
    per_pupil = costs[["cost_last_12_months", "cost_a_year"]].max(axis=1)
    on_support = sample.pupils.loc[sample.pupils["sen_provision"].eq("K"), "upn"]
    expected = per_pupil.reindex(on_support).fillna(0).mean()
    assert mapped.at[("K", "Cognition and learning"), "cost_per_pupil"] == pytest.approx(expected)
    assert mapped.at[("E", "Cognition and learning"), "share_over_threshold"] == pytest.approx(1.0)
    # neither: the published default for plans, nothing for SEN support, and the words say so
    bare = unit_costs(trust_with(tmp_path / "b", small_tables)).set_index(["sen_provision", "need_area"])
    assert bare.at[("E", "Cognition and learning"), "cost_per_pupil"] == 6000
    assert "High needs funding: operational guide" in bare.at[("E", "Cognition and learning"), "source"]
    assert np.isnan(bare.at[("K", "Cognition and learning"), "cost_per_pupil"])
    words = cost_words(pd.DataFrame(), bare.reset_index())
    assert any(w.startswith("SEN support: no cost per pupil") for w in words)


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


def test_the_planner_sees_the_cost_under_the_forecast():
    from sendlib._testing import widget_text
    from sendlib.apps import app

    text = widget_text(app("forecast", ""))
    assert "Cost of additional support: the whole trust" in text
    assert "Above the £6,000 threshold (80% range)" in text and "from the provision map" in text
