"""No hidden count on a committee page can be worked out from what the page prints.

The audit (:func:`sendlib._testing.audit_page`) reads the rendered page as a reader would and
asks an integer program, for every "fewer than 6" and "not shown", whether everything printed
(totals, the same count elsewhere, percentages, sentences) pins it to one value. It runs on
every school of the sample and of two trusts made differently; the reports and the served
dashboard are audited in their own tests (test_reports.py, test_browser.py). Planted leaks,
each a real kind of leak, show that the audit finds what it is meant to find.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

import sendlib
from sendlib._testing import assert_no_count_recoverable, audit_page
from sendlib.codes import BROAD_AREAS
from sendlib.committee import cached_committee_pages, committee_page, committee_pages
from sendlib.duties import duties_summary
from sendlib.render import committee as committee_html
from sendlib.synthetic import generate_trust


@pytest.fixture(scope="module")
def sample():
    return sendlib.load_sample()


@pytest.fixture(scope="module")
def pages(sample):
    """The sample's pages as the dashboards and reports read them (sendlib.committee's cache)."""
    return cached_committee_pages("")


def _trust_pages(tmp_path_factory, name, **shape):
    from sendlib._testing import write_folder

    folder = write_folder(tmp_path_factory.mktemp(name), generate_trust(**shape))
    return committee_pages(sendlib.load_trust(folder))


def test_no_hidden_count_on_any_sample_page_can_be_worked_out(pages):
    for school, page in pages.items():
        assert_no_count_recoverable(str(committee_html(page)), school)


@pytest.mark.parametrize(
    "name, shape",
    [
        (
            "infant-junior-11-18",
            dict(
                seed=7,
                as_of=dt.date(2026, 3, 10),
                schools=(
                    ("Ash Infant", "primary", 0, 2, 40, "2201"),
                    ("Birch Junior", "primary", 3, 6, 40, "2202"),
                    ("Cedar High", "secondary", 7, 13, 160, "4203"),
                ),
            ),
        ),
        ("small-schools", dict(seed=11, as_of=dt.date(2026, 10, 1), size=0.3)),
    ],
)
def test_no_hidden_count_can_be_worked_out_on_trusts_made_differently(tmp_path_factory, name, shape):
    for school, page in _trust_pages(tmp_path_factory, name, **shape).items():
        assert_no_count_recoverable(str(committee_html(page)), f"{name}: {school}")


def _true_need_areas(sample, school) -> pd.DataFrame:
    pupils = sample.pupils[(sample.pupils["school"] == school) & sample.pupils["sen_provision"].isin(["K", "E"])]
    table = pd.crosstab(pupils["need_area"], pupils["sen_provision"]).reindex(
        index=list(BROAD_AREAS), columns=["K", "E"], fill_value=0
    )
    return table.rename(columns={"K": "SEN support", "E": "EHC plan"})


def test_the_audit_finds_a_hidden_cell_given_away_by_its_row_total(sample, pages):
    """Reveal the cell hidden to protect a small one, and the small one is a subtraction away."""
    for school, page in pages.items():
        table = page.need_areas
        for area in BROAD_AREAS if "Total" in table else ():
            row = table.loc[area, ["SEN support", "EHC plan"]]
            if sorted(row) == ["fewer than 6", "not shown"] and table.at[area, "Total"][0].isdigit():
                truth = _true_need_areas(sample, school).loc[area]
                revealed = row[row == "not shown"].index[0]
                small = row[row == "fewer than 6"].index[0]
                table = table.copy()
                table.at[area, revealed] = str(truth[revealed])
                leaky = dataclasses.replace(page, need_areas=table)
                recovered, _ = audit_page(str(committee_html(leaky)))
                assert (f"{area}, {small}", "fewer than 6", truth[small]) in recovered
                return
    pytest.fail("no school's need-area table has a small cell protected by a second one")


def test_the_audit_finds_a_small_cell_given_away_by_its_percentage(sample, pages):
    for school, page in pages.items():
        table = page.need_areas
        small = [a for a in BROAD_AREAS if "Total" in table and table.at[a, "SEN support"] == "fewer than 6"]
        if small:
            truth = _true_need_areas(sample, school)
            area, total = small[0], truth["SEN support"].sum()
            table = table.copy()
            table.at[area, "% of SEN support"] = f"{100 * truth.at[area, 'SEN support'] / total:.1f}%"
            recovered, _ = audit_page(str(committee_html(dataclasses.replace(page, need_areas=table))))
            assert (f"{area}, SEN support", "fewer than 6", truth.at[area, "SEN support"]) in recovered
            return
    pytest.fail("no school has a small SEN support cell")


def test_the_audit_finds_a_small_cell_given_away_by_a_sentence(sample, pages):
    """The leak this test was written for: "N are overdue now" beside a table with one small
    overdue count and the rest shown."""
    summary = duties_summary(sample)
    for school, page in pages.items():
        overdue = page.duties.loc[page.duties["Required by"].str.startswith("law"), ["Duty", "Overdue now"]]
        if overdue["Overdue now"].eq("fewer than 6").sum() == 1:
            mine = summary[(summary["school"] == school) & (summary["basis"] == "statutory")]
            small = overdue.loc[overdue["Overdue now"] == "fewer than 6", "Duty"].iloc[0]
            truth = int(mine.loc[mine["label"] == small, "overdue_now"].iloc[0])
            narrative = [
                line.replace(
                    "see the table for what is overdue now", f"{int(mine['overdue_now'].sum())} are overdue now"
                )
                for line in page.narrative
            ]
            recovered, _ = audit_page(str(committee_html(dataclasses.replace(page, narrative=narrative))))
            assert (f"{small}: overdue", "fewer than 6", truth) in recovered
            return
    pytest.fail("no school has exactly one small statutory overdue count")


def test_a_number_the_audit_cannot_place_fails_it(pages):
    page = next(iter(pages.values()))
    told = dataclasses.replace(page, narrative=[*page.narrative, "Seven pupils joined, 3 of them in Year 4."])
    _, unread = audit_page(str(committee_html(told)))
    assert unread and "3" in unread[0]


@pytest.fixture(scope="module")
def special(sample):
    """The sample with one school made like a special school: nearly every pupil has SEN
    support or an EHC plan, three have none now and four of 64 had none in January 2025."""
    school = sample.schools[-1]
    pupils = sample.pupils.copy()
    mine = pupils.index[pupils["school"] == school]
    pupils.loc[mine, "sen_provision"] = np.where(np.arange(len(mine)) % 5 < 3, "K", "E")
    pupils.loc[mine[:3], "sen_provision"] = "N"
    history = sample.sen_history.copy()
    ours = history["school"] == school
    history.loc[ours, "sen_provision"] = np.where(np.arange(ours.sum()) % 5 < 3, "K", "E")
    january = history.index[ours & (history["census_date"].dt.year == 2025)]
    history.loc[january[:4], "sen_provision"] = "N"
    history = history.drop(january[64:])  # a small special school: 64 pupils that January
    return school, dataclasses.replace(sample, pupils=pupils, sen_history=history)


def test_a_special_schools_few_pupils_with_no_sen_stay_hidden(special):
    """The roll less SEN support and EHC plans is a count too: 3 pupils with no SEN must not be
    a subtraction away, nor a past January's 4 be worked out from two shares of its roll."""
    school, trust = special
    page = committee_page(trust, school)
    assert page.headline.at["No SEN", "Pupils"] == "fewer than 6"
    assert_no_count_recoverable(str(committee_html(page)), school)


def test_no_share_of_a_january_roll_with_a_small_group_is_shown(special):
    """Two shares of a small roll, to 0.1%, can give the roll away and with it the third group:
    a January's shares are shown only when no group that January is from 1 to 5."""
    school, trust = special
    page = committee_page(trust, school)
    trend = page.trend.set_index("january")
    assert trend.loc[2025, ["SEN support", "EHC plan"]].isna().all()
    assert trend.loc[2024, ["SEN support", "EHC plan"]].notna().all()  # (the rule leaves shares to show)
    assert "January 2025" not in " ".join(page.narrative)
