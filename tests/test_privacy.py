import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sendlib._testing import Audit, examples
from sendlib.privacy import HIDDEN, SMALL, is_disclosive, suppress, suppression_mask


def test_small_counts_read_fewer_than_6_and_zero_stays():
    table = pd.DataFrame({"n": [0, 1, 5, 6, 120]})
    assert suppress(table)["n"].tolist() == ["0", SMALL, SMALL, "6", "120"]


def test_a_total_cannot_reveal_a_single_hidden_cell():
    table = pd.DataFrame({"K": [3, 40], "E": [10, 12], "Total": [13, 52]}, index=["HI", "SLCN"])
    shown = suppress(table, total_column="Total")
    assert shown.loc["HI"].tolist() == [SMALL, HIDDEN, "13"]
    assert shown.loc["SLCN"].tolist() == ["40", "12", "52"]


def test_column_totals_too_and_it_settles():
    table = pd.DataFrame({"K": [3, 40, 20, 63], "E": [10, 12, 9, 31]}, index=["HI", "SLCN", "MLD", "All"])
    table["Total"] = table.sum(axis=1)
    primary, secondary = suppression_mask(table, total_column="Total", total_row="All")
    hidden = primary | secondary
    for row in table.index:  # no row with a shown total has exactly one hidden part
        if not hidden.at[row, "Total"]:
            assert hidden.loc[row, ["K", "E"]].sum() != 1
    for column in table.columns:
        if not hidden.at["All", column]:
            assert hidden.loc[["HI", "SLCN", "MLD"], column].sum() != 1


def test_percentages_from_hidden_counts_are_hidden():
    table = pd.DataFrame({"n": [4, 60], "pct": [6.3, 93.7]})
    assert suppress(table, percents={"pct": "n"})["pct"].tolist() == [HIDDEN, "93.7%"]


@given(st.lists(st.lists(st.integers(0, 30), min_size=3, max_size=3), min_size=2, max_size=6))
def test_property_no_line_leaks_a_small_count(rows):
    table = pd.DataFrame(rows, columns=["a", "b", "c"])
    table.index = [f"r{i}" for i in range(len(table))]
    table["Total"] = table.sum(axis=1)
    table.loc["All"] = table.sum()
    primary, secondary = suppression_mask(table, total_column="Total", total_row="All")
    hidden = primary | secondary
    assert not (((table >= 1) & (table <= 5)) & ~hidden).any().any()
    for row in table.index:
        if not hidden.at[row, "Total"]:
            assert hidden.loc[row, ["a", "b", "c"]].sum() != 1
    for column in table.columns:
        if not hidden.at["All", column]:
            assert hidden.loc[table.index[:-1], column].sum() != 1


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(st.lists(st.integers(0, 12), min_size=3, max_size=3), min_size=2, max_size=5))
@example([[0, 1, 1], [1, 1, 1]])  # every count small, the grand total 5: solvable unless all of it is hidden
def test_property_the_totals_pin_no_hidden_cell(rows):
    """Two hidden cells in a line are not always enough (two small cells adding to 2 are both 1):
    a reader's integer program, knowing every total, cannot pin any hidden cell."""
    table = pd.DataFrame(rows, columns=["a", "b", "c"], index=[f"r{i}" for i in range(len(rows))])
    table["Total"] = table.sum(axis=1)
    table.loc["All"] = table.sum()
    shown = suppress(table, total_column="Total", total_row="All")
    audit = Audit()
    cell = {(r, c): audit.count(f"{r}, {c}", shown.at[r, c]) for r in table.index for c in table.columns}
    for r in table.index:
        audit.equal({**{cell[r, c]: 1 for c in "abc"}, cell[r, "Total"]: -1})
    for c in table.columns:
        audit.equal({**{cell[r, c]: 1 for r in table.index[:-1]}, cell["All", c]: -1})
    assert not audit.recovered(), (table, shown)


def test_is_disclosive():
    assert is_disclosive(["12", "3"]) and not is_disclosive(["0", "6", "2.5", SMALL])
