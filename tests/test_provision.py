"""The provision map: loading provisions.csv, its cost arithmetic, the threshold, and measured impact."""

import dataclasses

import ipywidgets as W
import numpy as np
import pandas as pd
import pytest

import sendlib
from sendlib._testing import find, widget_text, write_folder
from sendlib.apps import app
from sendlib.provision import NOTIONAL_SEN_THRESHOLD, SCHOOL_WEEKS, TERM_WEEKDAYS_A_YEAR
from sendlib.synthetic import INTERVENTIONS, generate_trust


def with_provisions(folder, small_tables, provisions: str, staff_costs: str | None = None):
    tables = {**{k: v for k, v in small_tables.items() if k not in ("provisions", "staff_costs")}}
    tables["Provision Map"] = provisions
    if staff_costs is not None:
        tables["staff_costs"] = staff_costs
    return sendlib.load_trust(write_folder(folder, tables))


def pupil_of(small_tables, status):
    pupils = small_tables["pupils"]
    return pupils.loc[pupils["sen_provision"] == status, "upn"].iloc[0]


def test_a_provision_map_in_a_schools_own_words_loads(tmp_path, small_tables):
    upn = pupil_of(small_tables, "K")
    trust = with_provisions(
        tmp_path / "t",
        small_tables,
        "Pupil UPN,Provision,Area of need,Start date,End date,Sessions a week,Minutes per session,Group size,"
        "Delivered by,Cost (£)\n"
        f"{upn},Phonics catch-up,C&L,08/09/2025,28/11/2025,5,20,4,Teaching Assistant,\n"
        f'{upn},Speech therapy,Communication & Interaction,08/09/2025,,1,45,1,SALT,"£1,200"\n',
        "Role,Hourly rate\nTA,£19.50\nTeacher,48\n",
    )
    rows = trust.provisions.sort_values("intervention")
    assert rows["area"].tolist() == ["Cognition and learning", "Communication and interaction"]
    assert rows["staff_role"].tolist() == ["ta", "external"]
    assert rows["cost"].tolist()[1] == 1200 and np.isnan(rows["cost"].tolist()[0])
    assert rows["start"].iloc[0] == pd.Timestamp("2025-09-08") and pd.isna(rows["end"].iloc[1])
    assert trust.staff_costs.set_index("staff_role")["hourly_cost"].to_dict() == {"ta": 19.5, "teacher": 48.0}


def test_bad_provisions_name_the_file_row_and_column(tmp_path, small_tables):
    upn = pupil_of(small_tables, "K")
    with pytest.raises(sendlib.DataError) as caught:
        with_provisions(
            tmp_path / "t",
            small_tables,
            "UPN,Intervention,Area,Start,End,Sessions per week,Minutes,Group size,Staff,Cost\n"
            f"{upn},Fine,SEMH,08/09/2025,,1,30,1,TA,\n"
            f"{upn},Dragons,Wizardry,08/09/2025,01/09/2025,x,30,0,wizard,lots\n"
            f"{upn},,C&L,,,1,30,1,TA,\n",
        )
    problems = caught.value.problems
    found = {(r.row, r.column): r.problem for r in problems.itertuples()}
    assert set(problems["file"]) == {"Provision Map.csv"}
    assert "not a broad area of need" in found[(3, "Area")]
    assert found[(3, "Sessions per week")] == "not a number"
    assert "outside the allowed range" in found[(3, "Group size")]
    assert "not a staff role" in found[(3, "Staff")]
    assert "not an amount of money" in found[(3, "Cost")]
    assert "before it started" in found[(3, "End")]
    assert "blank, but a value is required" in found[(4, "Intervention")]
    assert "blank, but a value is required" in found[(4, "Start")]


def test_the_same_intervention_written_twice_is_one_row_too_many(tmp_path, small_tables):
    upn = pupil_of(small_tables, "K")
    with pytest.raises(sendlib.DataError) as caught:
        with_provisions(
            tmp_path / "t",
            small_tables,
            f"upn,intervention,start\n{upn},Phonics catch-up,08/09/2025\n{upn},phonics catch up,08/09/2025\n",
        )
    problems = caught.value.problems
    assert problems[["row", "problem"]].values.tolist() == [
        [3, "a second row for the same upn and intervention and start: also in row 2"]
    ]


def school_weeks(start, end):
    """The documented rule, written out: weekdays outside August and 21 December - 3 January,
    both ends counted."""
    days = pd.bdate_range(start, end)
    term = [d for d in days if d.month != 8 and not ((d.month == 12 and d.day >= 21) or (d.month == 1 and d.day <= 3))]
    return len(term) / 5 * SCHOOL_WEEKS / (TERM_WEEKDAYS_A_YEAR / 5)


def test_costs_from_staff_rates_recorded_costs_and_the_threshold(tmp_path, small_tables):
    k, e = pupil_of(small_tables, "K"), pupil_of(small_tables, "E")
    trust = with_provisions(
        tmp_path / "t",
        small_tables,
        "upn,intervention,area,start,end,sessions_per_week,minutes,group_size,staff_role,cost\n"
        f"{k},Maths group,C&L,01/12/2025,02/02/2026,2,30,2,TA,\n"  # across Christmas
        f"{k},Counselling,SEMH,05/01/2026,16/03/2026,1,50,1,External,600\n"
        f"{k},Lego therapy,C&I,05/01/2026,16/03/2026,1,30,3,Specialist,\n"  # no rate for specialists
        f"{e},1:1 support,,01/09/2026,,5,150,1,TA,\n",  # running on the data date
        "staff_role,hourly_cost\nTA,20\nTeacher,45\n",
    )
    table = sendlib.provision_map(trust, as_of="2026-11-20").set_index("intervention")
    weeks = school_weeks("2025-12-01", "2026-02-02")
    assert table.at["Maths group", "weeks"] == pytest.approx(weeks)
    assert table.at["Maths group", "cost"] == pytest.approx(1.0 * weeks * 20 / 2)
    assert table.at["Maths group", "hours_per_week"] == 1.0
    assert table.at["Counselling", "cost"] == 600 and table.at["Counselling", "cost_source"] == "recorded"
    assert np.isnan(table.at["Lego therapy", "cost"]) and table.at["Lego therapy", "cost_source"] == "not known"
    assert bool(table.at["1:1 support", "running"])
    assert table.at["1:1 support", "cost_a_year"] == pytest.approx(12.5 * SCHOOL_WEEKS * 20)
    costs = sendlib.provision_costs(trust, as_of="2026-11-20").set_index("upn")
    assert bool(costs.at[e, "over_threshold"]) and 12.5 * SCHOOL_WEEKS * 20 > NOTIONAL_SEN_THRESHOLD
    assert "a year, above the £6,000 notional SEN threshold" in costs.at[e, "reason"]
    assert not costs.at[k, "over_threshold"] and "1 of their provisions have no cost" in costs.at[k, "reason"]
    # both ended within the year to the data date: all of their cost is in it
    assert costs.at[k, "cost_last_12_months"] == pytest.approx(table.loc[["Maths group", "Counselling"], "cost"].sum())


def test_recorded_costs_without_an_end_and_planned_ends(tmp_path, small_tables):
    k = pupil_of(small_tables, "K")
    trust = with_provisions(
        tmp_path / "t",
        small_tables,
        "upn,intervention,start,end,sessions_per_week,minutes,group_size,staff_role,cost\n"
        f"{k},Counselling,17/11/2026,,1,50,1,External,600\n"  # a standing cost: a year's
        f"{k},TA 1:1,07/09/2026,16/07/2027,5,60,1,TA,\n"  # planned to end next July
        f"{k},Reading block,08/09/2025,14/11/2025,3,20,1,TA,\n"  # Monday to Friday, both counted
        f"{k},Phonics,02/11/2026,20/11/2026,3,20,1,TA,\n"  # its last day is the data date
        f"{k},Speech and language,08/09/2026,01/12/2026,1,30,1,SALT,900\n",  # a recorded 12-week block
        "staff_role,hourly_cost\nTA,20\n",
    )
    table = sendlib.provision_map(trust, as_of="2026-11-20").set_index("intervention")
    assert bool(table.at["Phonics", "running"]) and not table.at["Reading block", "running"]
    assert not sendlib.provision_map(trust, as_of="2026-11-21").set_index("intervention").at["Phonics", "running"]
    assert table.at["Counselling", "cost_a_year"] == 600
    assert table.at["Counselling", "cost_last_12_months"] == pytest.approx(
        600 * school_weeks("2026-11-17", "2026-11-20") / SCHOOL_WEEKS
    )
    planned = school_weeks("2026-09-07", "2027-07-16")
    assert table.at["TA 1:1", "weeks"] == pytest.approx(planned) and bool(table.at["TA 1:1", "running"])
    assert table.at["TA 1:1", "cost"] == pytest.approx(5 * 20 * planned)
    assert table.at["TA 1:1", "cost_last_12_months"] == pytest.approx(5 * 20 * school_weeks("2026-09-07", "2026-11-20"))
    assert table.at["TA 1:1", "cost_a_year"] == pytest.approx(5 * 20 * min(planned, SCHOOL_WEEKS))
    # a short block running now costs its own weeks, not a year of them (it tipped pupils over £6,000)
    block = school_weeks("2026-11-02", "2026-11-20")
    assert block < 4 and table.at["Phonics", "cost_a_year"] == pytest.approx(3 * 20 / 60 * 20 * block)
    assert table.at["Speech and language", "cost_a_year"] == 900  # its whole cost, not 38 weeks of it (£2,850)
    assert table.at["Reading block", "weeks"] == pytest.approx(10 * 5 / 5 * SCHOOL_WEEKS / (TERM_WEEKDAYS_A_YEAR / 5))


def test_names_and_subjects_of_interventions():
    from sendlib.provision import _aimed_at, intervention_key

    assert intervention_key(pd.Series(["Phonics catch-up", " phonics  CATCH up"])).nunique() == 1
    assert _aimed_at("Maths word problems", "maths") and not _aimed_at("Maths word problems", "reading")
    assert _aimed_at("Phonics catch-up", "reading") and not _aimed_at("Phonics catch-up", "maths")
    assert _aimed_at("Ready to Learn", "maths") and _aimed_at("Ready to Learn", "reading")  # aims at neither


def test_an_export_without_provisions_says_so(tmp_path, small_tables):
    tables = {k: v for k, v in small_tables.items() if k not in ("provisions", "staff_costs")}
    trust = sendlib.load_trust(write_folder(tmp_path / "t", tables))
    assert trust.provisions is None
    with pytest.raises(sendlib.DataError, match=r"this needs provisions\.csv"):
        sendlib.provision_map(trust)


def test_planted_effects_are_told_apart_on_a_trust_made_differently(tmp_path):
    """Another seed, size and set of effects than the sample's: every verdict right, and each
    planted effect inside its interval."""
    planted = {"Phonics catch-up": 6.0, "Precision teaching": -5.0, "Social skills group": 0.0, "Counselling": 4.0}
    catalogue = tuple(dataclasses.replace(i, effect=planted.get(i.name, 0.0)) for i in INTERVENTIONS)
    trust = sendlib.load_trust(
        write_folder(tmp_path / "t", generate_trust(seed=404, size=0.8, interventions=catalogue))
    )
    impact = sendlib.provision_impact(trust).set_index("intervention")
    for name, effect in planted.items():
        row = impact.loc[name]
        assert row["n_measured"] >= 10, name
        assert row["lower_95"] <= effect <= row["upper_95"], (name, row.to_dict())
        assert row["verdict"] == ("effective" if effect > 0 else "harmful" if effect < 0 else "no_reliable_effect")
    words = sendlib.impact_words(impact.reset_index())
    assert any(w.startswith("Phonics catch-up (") and "effective" in w for w in words)


def test_the_workbook_has_every_sheet():
    book = pd.read_excel(
        __import__("io").BytesIO(sendlib.provision_workbook(sendlib.load_sample(), "Oakfield Primary")), sheet_name=None
    )
    assert list(book) == ["Provision map", "Cost per pupil", "By area", "What works", "Notes"]
    assert set(book["Provision map"]["school"]) == {"Oakfield Primary"}
    assert "upn" in book["Cost per pupil"] and len(book["What works"]) >= 10


def test_the_explorer_shows_the_school_map_and_a_pupils_provision():
    explorer = app("senco", "", school="Hawthorn Primary")
    text = widget_text(explorer)
    assert "Provision map" in text and "Above the £6,000 notional SEN threshold" in text
    assert "What works here (the whole trust)" in text and "Spelling withdrawal group" in text
    assert "Download XLSX" in text
    trust = sendlib.load_sample()
    costs = sendlib.provision_costs(trust, "Hawthorn Primary")
    upn = costs.loc[costs["over_threshold"], "upn"].iloc[0]
    box = find(explorer, W.Combobox)
    box.value = next(label for label in box.options if upn in label)
    text = widget_text(explorer)
    assert "Above the £6,000 notional SEN threshold" in text and "a year for what runs now" in text
    assert "1:1 TA support" in text


def test_the_explorers_map_and_the_committee_page_count_the_last_12_months_alike():
    """The explorer's map is every provision on record; it says how many of its pupils had one in
    the last 12 months, the count the committee page gives (one rule: last_12_months)."""
    from sendlib.committee import committee_page

    trust = sendlib.load_sample()
    school = "Beacon Academy"
    table = sendlib.provision_map(trust, school)
    recent = table.loc[table["last_12_months"], "upn"].nunique()
    assert 0 < recent < table["upn"].nunique()  # some pupils' provision ended longer ago
    text = widget_text(app("senco", "", school=school))
    assert f"Every provision on record; {recent} of these pupils had provision running in the last 12 months" in text
    page = committee_page(trust, school)
    assert int(page.provision.iloc[-1]["Pupils"]) == recent


def test_the_last_12_months_are_the_year_to_the_data_date_both_ends_counted(tmp_path, small_tables):
    k = pupil_of(small_tables, "K")
    trust = with_provisions(
        tmp_path / "t",
        small_tables,
        "upn,intervention,start,end,sessions_per_week,minutes,group_size,staff_role,cost\n"
        f"{k},Ended in the year,01/09/2025,21/11/2025,1,30,1,TA,\n"  # 364 days before 20/11/2026
        f"{k},Ended before it,01/09/2025,20/11/2025,1,30,1,TA,\n",  # 365 days before
        "staff_role,hourly_cost\nTA,20\n",
    )
    table = sendlib.provision_map(trust, as_of="2026-11-20").set_index("intervention")
    assert table.at["Ended in the year", "last_12_months"] and table.at["Ended in the year", "cost_last_12_months"] > 0
    assert not table.at["Ended before it", "last_12_months"] and table.at["Ended before it", "cost_last_12_months"] == 0


def test_the_command_line_writes_the_workbook_or_says_what_is_missing(tmp_path, small_tables, capsys):
    from sendlib.cli import main

    assert main(["provision", "--out", str(tmp_path / "map.xlsx"), "--school", "Beacon Academy"]) == 0
    out = capsys.readouterr().out
    assert "above the notional SEN threshold" in out and "Phonics catch-up" in out
    assert set(pd.read_excel(tmp_path / "map.xlsx", sheet_name="Provision map")["school"]) == {"Beacon Academy"}
    tables = {k: v for k, v in small_tables.items() if k not in ("provisions", "staff_costs")}
    folder = write_folder(tmp_path / "t", tables)
    assert main(["provision", "--data", str(folder), "--out", str(tmp_path / "x.xlsx")]) != 0
    assert "provisions.csv" in capsys.readouterr().err
    assert main(["provision", "--out", str(tmp_path / "x.csv")]) == 2


def test_the_same_intervention_twice_over_the_same_days_is_noted(tmp_path, small_tables):
    """Two rows of one intervention for a pupil whose days overlap: two blocks, or one entered
    twice (both are costed), so a note; blocks one after the other are not noted."""
    k = pupil_of(small_tables, "K")
    trust = with_provisions(
        tmp_path / "t",
        small_tables,
        "upn,intervention,start,end,sessions_per_week,minutes,group_size,staff_role,cost\n"
        f"{k},Speech and language,08/09/2026,01/12/2026,1,30,1,SALT,900\n"
        f"{k},speech and  LANGUAGE,09/09/2026,02/12/2026,1,30,1,SALT,900\n"  # the same, a day later
        f"{k},Phonics,07/09/2026,16/10/2026,3,20,1,TA,\n"
        f"{k},Phonics,02/11/2026,11/12/2026,3,20,1,TA,\n"  # the next block, after the first ended
        f"{k},Nurture group,07/09/2026,,1,60,6,TA,\n"  # running on with no end
        f"{k},Nurture group,01/10/2026,15/10/2026,1,60,6,TA,\n"  # inside it
        f"{k},Nurture group,02/11/2026,20/11/2026,1,60,6,TA,\n",  # after the one before ended, inside the first
        "staff_role,hourly_cost\nTA,20\nSALT,60\n",
    )
    noted = [n for n in trust.notes if "already have over the same days" in n]
    assert noted == [
        "Provision Map.csv: 3 row(s) give a pupil an intervention they already have over the same days (from row 3): "
        "check each is a separate provision, not one entered twice; each is costed"
    ]
