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
    counts: pd.DataFrame, total_column: str | None = None, total_row=None, high: int = SMALL_COUNT_MAX
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Which cells to hide: (primary, secondary) boolean frames the shape of ``counts``.

    Primary: counts from 1 to ``high``. Secondary: in every row whose ``total_column`` is
    shown and every column whose ``total_row`` is shown, a single hidden part would be
    ``total - the rest``; so the smallest other shown part is hidden too (the total, if
    there is none), until no line has exactly one hidden part.
    """
    values = counts.astype(float)
    primary = (values >= 1) & (values <= high)
    hidden = primary.copy()
    parts_cols = [c for c in counts.columns if c != total_column]
    parts_rows = [r for r in counts.index if r != total_row]
    changed = True
    while changed:
        changed = False
        lines = []
        if total_column is not None:
            lines += [(("row", r), [(r, c) for c in parts_cols], (r, total_column)) for r in counts.index]
        if total_row is not None:
            lines += [(("col", c), [(r, c) for r in parts_rows], (total_row, c)) for c in counts.columns]
        for _, cells, total in lines:
            if hidden.at[total]:
                continue
            n_hidden = sum(hidden.at[cell] for cell in cells)
            if n_hidden == 1:
                shown = [cell for cell in cells if not hidden.at[cell] and values.at[cell] > 0]
                target = min(shown, key=lambda cell: values.at[cell]) if shown else total
                hidden.at[target] = True
                changed = True
    return primary, hidden & ~primary


def suppress(
    counts: pd.DataFrame,
    total_column: str | None = None,
    total_row=None,
    percents: dict[str, str] | None = None,
    high: int = SMALL_COUNT_MAX,
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
    primary, secondary = suppression_mask(table, total_column, total_row, high)
    out = pd.DataFrame(index=counts.index, columns=counts.columns, dtype=object)
    for column in count_columns:
        values = table[column]
        text = values.map(lambda v: "" if pd.isna(v) else f"{int(v):,}")
        text = text.where(~primary[column], SMALL).where(~secondary[column], HIDDEN)
        out[column] = text
    for percent, source in percents.items():
        hidden = primary[source] | secondary[source]
        text = counts[percent].map(lambda v: "" if pd.isna(v) else f"{v:.1f}%")
        out[percent] = text.where(~hidden, HIDDEN)
    return out


def is_disclosive(values) -> bool:
    """Whether any of these shown numbers is a small count (1 to 5)."""
    numbers = pd.to_numeric(pd.Series(list(values)), errors="coerce")
    return bool(((numbers >= 1) & (numbers <= SMALL_COUNT_MAX) & (numbers == np.floor(numbers))).any())
