"""Published DfE SEND statistics shipped in ``data/reference`` (Open Government Licence v3.0).

See ``sendlib/data/reference/README.md`` for where each file comes from. Blank cells are counts
the DfE did not publish (suppressed or not applicable) and load as missing.
"""

from __future__ import annotations

import difflib
import functools

import numpy as np
import pandas as pd

from ._paths import REFERENCE_DIR
from .exceptions import SendlibError, UnknownAreaError

REFERENCE_FILES = {
    "ehc_plans_by_la": "sen2_ehc_plans_by_la_2010_2024.csv",
    "ehc_plans_by_need": "sen2_ehc_plans_by_need_england_2025.csv",
    "national_flows": "sen2_national_flows.csv",
    "census_national": "sen_census_england_national.csv",
    "census_need_mix": "sen_census_primary_need_state_funded_england.csv",
    "sen_costs_default": "sen_costs_default.csv",
}


def reference_table(name: str) -> pd.DataFrame:
    """One reference file as a DataFrame (``name`` a key of ``REFERENCE_FILES``).

    >>> reference_table("census_national")["january"].min()
    np.int64(2016)
    """
    if name not in REFERENCE_FILES:
        raise SendlibError(f"No reference table {name!r}; the tables are {', '.join(REFERENCE_FILES)}.")
    return _read(name).copy()  # a copy: the caller may change it


@functools.cache
def _read(name: str) -> pd.DataFrame:
    """Each file is read once per process (the package's files do not change while it runs)."""
    return pd.read_csv(REFERENCE_DIR / REFERENCE_FILES[name])


def areas() -> pd.DataFrame:
    """England, the regions and every local authority in the SEN2 series: level, code, name."""
    table = reference_table("ehc_plans_by_la")
    table["name"] = table["la_name"].fillna(table["region_name"])
    table["code"] = table["la_code"].fillna("")
    return (
        table[["geographic_level", "code", "name"]]
        .drop_duplicates()
        .rename(columns={"geographic_level": "level"})
        .reset_index(drop=True)
    )


def ehc_plans(area: str = "England", age_band: str = "all") -> pd.DataFrame:
    """EHC plans held each January (SEN2, ages 0-25) for England, a region or an LA.

    Parameters
    ----------
    area : str
        "England", a region name, or a local authority by name or code (any case).
    age_band : str
        "all" or one of 0-4, 5-10, 11-15, 16-19, 20-25.

    Returns
    -------
    DataFrame
        ``year, count``; years without a published figure are left out, so a series may
        start late or stop (boundary changes).

    Examples
    --------
    >>> ehc_plans("England").set_index("year").loc[2024, "count"]
    np.int64(576474)
    """
    table = reference_table("ehc_plans_by_la")
    key = area.strip().lower()
    names = table["la_name"].fillna(table["region_name"]).fillna("")
    match = (names.str.lower() == key) | (table["la_code"].fillna("").str.lower() == key)
    if not match.any():
        options = sorted(set(names) - {""})
        near = difflib.get_close_matches(area, options, n=3, cutoff=0.6)
        hint = f" Did you mean {', '.join(near)}?" if near else ""
        raise UnknownAreaError(f"No local authority or region called {area!r} in the SEN2 reference data.{hint}")
    rows = table[match & (table["age_band"] == age_band)].dropna(subset=["ehc_plans"])
    if rows.empty:
        raise UnknownAreaError(f"No {age_band!r} age band for {area!r}; bands are 0-4, 5-10, 11-15, 16-19, 20-25, all.")
    series = rows.groupby("january", as_index=False)["ehc_plans"].sum()
    return series.rename(columns={"january": "year", "ehc_plans": "count"}).astype({"count": "int64"})


def national_need_shares(provision: str = "E") -> pd.DataFrame:
    """Share of pupils at ``provision`` (K or E) by primary need, England, latest January.

    Returns ``need_code, share_pct, january`` from the state-funded school census.
    """
    table = reference_table("census_need_mix")
    rows = table[table["sen_provision"] == provision]
    latest = rows[rows["january"] == rows["january"].max()]
    return (
        latest[["need_code", "pct_of_provision", "january"]]
        .rename(columns={"pct_of_provision": "share_pct"})
        .reset_index(drop=True)
    )


def _slopes(frame: pd.DataFrame, value: str, by: str | None = None) -> pd.Series:
    """Least-squares slope of log(value) on year, per ``by`` group (or one, named "all")."""
    groups = frame.groupby(by) if by else [("all", frame)]
    slopes = {}
    for key, rows in groups:
        if len(rows) >= 3 and (rows[value] > 0).all():
            slopes[key] = float(np.polyfit(rows["year"], np.log(rows[value].astype(float)), 1)[0])
    return pd.Series(slopes, dtype=float)


@functools.cache
def national_trends(years: int = 5) -> dict[str, float]:
    """England's recent trends, the prior of a trust's: yearly growth on the log scale.

    ``K`` and ``E`` are the log-linear slopes of the share of pupils at SEN support and with
    an EHC plan over the last ``years`` Januaries of the school census (all schools in
    England); ``spread`` is how far a place's trend strays from the nation's: the spread
    (1.4826 times the median absolute deviation, robust to boundary changes) of the slopes
    of every local authority's EHC plans (SEN2) around England's, over the last ``years``
    Januaries published.

    >>> trends = national_trends()
    >>> 0 < trends["K"] < trends["E"] and trends["spread"] > 0
    True
    """
    census = reference_table("census_national").rename(columns={"january": "year"})
    census = census[census["year"] > census["year"].max() - years]
    la = reference_table("ehc_plans_by_la").rename(columns={"january": "year"})
    la = la[(la["age_band"] == "all") & (la["year"] > la["year"].max() - years)].dropna(subset=["ehc_plans"])
    local = _slopes(la[la["geographic_level"] == "Local authority"], "ehc_plans", by="la_code")
    england = _slopes(la[la["geographic_level"] == "National"], "ehc_plans").iloc[0]
    return {
        "K": float(_slopes(census, "sen_support_pct").iloc[0]),
        "E": float(_slopes(census, "ehc_plan_pct").iloc[0]),
        "spread": float(1.4826 * (local - england).abs().median()),
    }
