"""Keeping pupils unidentifiable in what a committee sees.

SEND records are special-category personal data (UK GDPR, DPA 2018). Committee outputs
never show a name or a UPN, and never a count small enough to identify a pupil: counts of
1 to 5 read "fewer than 6" (the DfE's and ONS's usual threshold for pupil data), and
secondary suppression hides one more cell wherever a shown total would let a reader work a
hidden count out by subtraction. Percentages made from a hidden count are hidden too.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SMALL_COUNT_MAX = 5  # 1 to 5 is a small count
SMALL = "fewer than 6"
HIDDEN = "not shown"  # a cell hidden so that a total cannot reveal a small one


def suppression_mask(
    counts: pd.DataFrame,
    total_column: str | None = None,
    total_row=None,
    high: int = SMALL_COUNT_MAX,
    elsewhere: dict | None = None,
    overlapping: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Which cells to hide: (primary, secondary) boolean frames the shape of ``counts``.

    Primary: counts from 1 to ``high``. Secondary: in every row whose ``total_column`` is
    shown and every column whose ``total_row`` is shown, a single hidden part would be
    ``total - the rest``; so the smallest other shown part is hidden too (the total, if
    there is none), until no line has exactly one hidden part. Two hidden parts are not
    always enough: a reader knows each "fewer than 6" is at least 1, so two small cells that
    must add up to 2 are both 1. So the table is then audited as a reader would work on it
    (every hidden cell's smallest and largest value that fits the totals, by integer
    programming) and one more cell is hidden beside any that the totals pin, until none is.
    ``elsewhere`` maps cells (``(row, column)``) whose counts the same page prints in another
    table to whether they are shown there: a shown one is never hidden here to protect another
    (hiding it would protect nothing), a hidden one is hidden here too.
    ``overlapping``: the parts may share members (a pupil in two rows), so a total is at most
    their sum and at least each part, not their sum.
    """
    elsewhere = elsewhere or {}
    published = {cell for cell, shown in elsewhere.items() if shown}
    values = counts.astype(float)
    primary = (values >= 1) & (values <= high)
    hidden = primary.copy()
    for cell, shown in elsewhere.items():
        hidden.at[cell] |= not shown
    parts_cols = [c for c in counts.columns if c != total_column]
    parts_rows = [r for r in counts.index if r != total_row]
    lines = []
    if total_column is not None:
        lines += [([(r, c) for c in parts_cols], (r, total_column)) for r in counts.index]
    if total_row is not None:
        lines += [([(r, c) for r in parts_rows], (total_row, c)) for c in counts.columns]

    def hide_beside(cells, total) -> bool:
        """Hide the smallest shown part of a line (its total if none may be hidden)."""
        shown = [c for c in cells if not hidden.at[c] and values.at[c] > 0 and c not in published]
        if shown:
            target = min(shown, key=lambda cell: values.at[cell])
        elif not hidden.at[total] and total not in published:
            target = total
        else:  # the total and every part are printed elsewhere or hidden: a zero is all that is left
            target = next((c for c in cells if not hidden.at[c] and c not in published), None)
            if target is None:
                return False
        hidden.at[target] = True
        return True

    while True:
        changed = True
        while changed:
            changed = False
            for cells, total in lines:
                if not hidden.at[total] and sum(hidden.at[cell] for cell in cells) == 1:
                    changed |= hide_beside(cells, total)
        pinned = _pinned(values, hidden, primary, lines, high, overlapping)
        if not pinned:
            break
        cell = pinned[0]
        if not any(hide_beside(cells, total) for cells, total in lines if cell in cells or cell == total):
            # nothing left to hide on its lines: the table cannot protect it, so all of it reads
            # "not shown", zeros and small counts too (told apart, "fewer than 6" is at least 1,
            # and a table of small cells with small totals can be solved exactly)
            everything = pd.DataFrame(True, index=counts.index, columns=counts.columns)
            for cell in published:
                everything.at[cell] = False
            return primary & False, everything
    return primary, hidden & ~primary


def _pinned(
    values: pd.DataFrame, hidden: pd.DataFrame, primary: pd.DataFrame, lines, high: int, overlapping: bool
) -> list:
    """Hidden cells whose value the shown cells and the totals fix: a reader knows a small cell
    is 1 to ``high`` and any other hidden one is at least 1 (zeros are never hidden)."""
    unknown = [cell for cell in zip(*np.nonzero(hidden.to_numpy()))]
    if not unknown:
        return []
    cells = [(hidden.index[i], hidden.columns[j]) for i, j in unknown]
    where = {cell: k for k, cell in enumerate(cells)}
    rows, lower, upper = [], [], []

    def fact(terms, low, high):  # low <= sum(sign * cell) <= high
        row, known = np.zeros(len(cells)), 0.0
        for c, sign in terms:
            if c in where:
                row[where[c]] += sign
            else:
                known += sign * values.at[c]
        if row.any():
            rows.append(row), lower.append(low - known), upper.append(high - known)

    for parts, total in lines:
        terms = [*((p, 1.0) for p in parts), (total, -1.0)]
        if overlapping:
            fact(terms, 0, np.inf)
            for p in parts:
                fact([(p, 1.0), (total, -1.0)], -np.inf, 0)
        else:
            fact(terms, 0, 0)
    if not rows:
        return []
    cap = float(values.to_numpy().max())
    low = [min(1.0, values.at[c]) for c in cells]
    high_ = [float(high) if primary.at[c] else cap for c in cells]
    return [cells[k] for k in pinned_values(np.array(rows), lower, upper, low, high_, range(len(cells)))]


def pinned_values(matrix, lower, upper, low, high, which) -> dict[int, int]:
    """The unknowns among ``which`` that have one value in every whole-number solution of
    ``lower <= matrix @ x <= upper``, ``low <= x <= high`` (scipy's MILP, HiGHS), and that value.

    Every solution found is kept: an unknown seen with two values is free, so most need one
    solve or none, not two. Raises ValueError when there is no solution at all."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    n = len(low)
    constraints = [LinearConstraint(matrix, lower, upper)] if len(matrix) else []
    bounds, integral = Bounds(low, high), np.ones(n)

    def solve(objective):
        result = milp(objective, integrality=integral, bounds=bounds, constraints=constraints)
        if not result.success:
            raise ValueError(f"no whole-number solution: {result.message}")
        return np.round(result.x)

    least = most = solve(np.zeros(n))
    pinned = {}
    for k in which:
        for sign in (-1.0, 1.0):  # the largest value, then the smallest
            if least[k] != most[k]:
                break
            objective = np.zeros(n)
            objective[k] = sign
            found = solve(objective)
            least, most = np.minimum(least, found), np.maximum(most, found)
        if least[k] == most[k]:
            pinned[k] = int(least[k])
    return pinned


def suppress(
    counts: pd.DataFrame,
    total_column: str | None = None,
    total_row=None,
    percents: dict[str, str] | None = None,
    high: int = SMALL_COUNT_MAX,
    elsewhere: dict | None = None,
    overlapping: bool = False,
) -> pd.DataFrame:
    """A table of counts ready for a committee: small counts and what reveals them hidden.

    Parameters
    ----------
    counts : DataFrame
        Whole-number counts (other columns are passed through untouched if named in
        ``percents`` values' keys, see below).
    total_column, total_row : optional
        The column and the row (index label) that hold totals, if the table shows them.
    percents : dict, optional
        ``{percent column: count column it is made from}``: each percentage is hidden
        where its count is. The percent columns must be in ``counts``; they are not counts.
    high : int
        Largest count that is hidden (default 5: "fewer than 6").
    elsewhere : dict, optional
        ``{(row, column): shown}`` for cells whose counts the same page prints in another table
        (see :func:`suppression_mask`).
    overlapping : bool
        The parts may share members, so a total is not their sum (see :func:`suppression_mask`).

    Returns
    -------
    DataFrame of text: counts with thousands separators, "fewer than 6" for small counts,
    "not shown" for cells hidden to protect them, percentages to one decimal place.

    Examples
    --------
    >>> table = pd.DataFrame({"K": [40, 3], "E": [12, 10], "Total": [52, 13]}, index=["SLCN", "HI"])
    >>> suppress(table, total_column="Total")[["K", "E"]].values.tolist()
    [['40', '12'], ['fewer than 6', 'not shown']]
    """
    percents = percents or {}
    count_columns = [c for c in counts.columns if c not in percents]
    table = counts[count_columns]
    primary, secondary = suppression_mask(table, total_column, total_row, high, elsewhere, overlapping)
    out = pd.DataFrame(index=counts.index, columns=counts.columns, dtype=object)
    for column in count_columns:
        values = table[column]
        text = values.map(lambda v: "" if pd.isna(v) else f"{int(v):,}")
        text = text.where(~primary[column], SMALL).where(~secondary[column], HIDDEN)
        out[column] = text
    for percent, source in percents.items():
        hidden = primary[source] | secondary[source]
        if total_row is not None and hidden.at[total_row]:  # a share of a hidden whole would give it away
            hidden = hidden | True
        text = counts[percent].map(lambda v: "" if pd.isna(v) else f"{v:.1f}%")
        out[percent] = text.where(~hidden, HIDDEN)
    return out


def is_disclosive(values) -> bool:
    """Whether any of these shown numbers is a small count (1 to 5): whole numbers, or text
    that reads as one ("3"); other text ("fewer than 6") and blanks are not counts."""

    def number(value) -> float:
        try:
            return float(value)
        except (TypeError, ValueError):
            return float("nan")

    return any(1 <= x <= SMALL_COUNT_MAX and x == int(x) for x in map(number, values))
