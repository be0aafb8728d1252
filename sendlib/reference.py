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
from .codes import BROAD_AREAS
from .exceptions import SendlibError, UnknownAreaError

REFERENCE_FILES = {
    "ehc_plans_by_la": "sen2_ehc_plans_by_la_2010_2024.csv",
    "ehc_plans_by_need": "sen2_ehc_plans_by_need_england_2025.csv",
    "national_flows": "sen2_national_flows.csv",
    "census_national": "sen_census_england_national.csv",
    "census_need_mix": "sen_census_primary_need_state_funded_england.csv",
    "sen_costs_default": "sen_costs_default.csv",
}
# Local-authority tables of the DfE's "Special educational needs in England" that the package does
# not ship (no figure here is made up): read when someone puts the file in data/reference (its
# columns in docs/reference-data.md); without it the apps say the LA's figures are not there.
OPTIONAL_FILES = {
    # january, la_code, la_name, pupils, sen_support, ehc_plans: pupils in the LA's schools
    "census_by_la": "sen_census_by_la.csv",
    # january, la_code, la_name, sen_provision (K or E), need_code, pupils: by primary need
    "census_need_mix_by_la": "sen_census_primary_need_by_la.csv",
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


def optional_table(name: str) -> pd.DataFrame | None:
    """One of the ``OPTIONAL_FILES`` as a DataFrame, or None when it is not in data/reference."""
    path = REFERENCE_DIR / OPTIONAL_FILES[name]
    return pd.read_csv(path) if path.exists() else None


def areas() -> pd.DataFrame:
    """England, the regions and every local authority in the SEN2 series: level, code, name."""
    return _areas().copy()


@functools.cache
def _areas() -> pd.DataFrame:
    table = reference_table("ehc_plans_by_la")
    table["name"] = table["la_name"].fillna(table["region_name"])
    table["code"] = table["la_code"].fillna("")
    return (
        table[["geographic_level", "code", "name"]]
        .drop_duplicates()
        .rename(columns={"geographic_level": "level"})
        .reset_index(drop=True)
    )


def find_area(area: str) -> tuple[str, str]:
    """``(code, name)`` of England (code ""), a region or a local authority named by its name or
    code in any case; an unknown one raises :class:`UnknownAreaError` naming the close matches
    (names that contain what was typed, else names spelt alike).

    >>> find_area("e06000001")
    ('E06000001', 'Hartlepool')
    """
    table = _areas()
    key = " ".join(area.split()).lower()
    hit = table[(table["name"].str.lower() == key) | (table["code"].str.lower() == key)]
    if len(hit):
        return str(hit["code"].iloc[0]), str(hit["name"].iloc[0])
    names = list(dict.fromkeys(table["name"]))
    near = [n for n in names if key and key in n.lower()][:4] or difflib.get_close_matches(
        area.strip(), names, n=3, cutoff=0.6
    )
    if len(near) == 1:
        hint = f" Did you mean {near[0]}?"
    elif near:
        hint = f" Did you mean one of: {'; '.join(near)}?"
    else:
        hint = " Type England, a region (London) or a local authority's name or code (Hertfordshire, E10000015)."
    raise UnknownAreaError(f"No local authority or region called {area.strip()!r} in the SEN2 reference data.{hint}")


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
    code, name = find_area(area)
    table = reference_table("ehc_plans_by_la")
    names = table["la_name"].fillna(table["region_name"]).fillna("England")
    match = table["la_code"].eq(code) if code else names.eq(name)
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


def need_area_shares(provision: str = "E", area: str = "England", need_mix: pd.DataFrame | None = None):
    """Share of pupils at ``provision`` (K or E) in each broad area of need, in per cent, and
    the January it describes: ``(january, shares)``, ``shares`` a Series by broad area.

    England's from the state-funded school census (:func:`national_need_shares`); a local
    authority's from ``need_mix`` (by default the optional ``census_need_mix_by_la`` file:
    ``january, la_code, la_name, sen_provision, need_code, pupils``), its latest January. None
    when the LA is not in it: its mix is not known, and England's is not its.
    """
    code, name = find_area(area)
    if name == "England":
        latest = national_need_shares(provision)
        january, shares = int(latest["january"].iloc[0]), latest.set_index("need_code")["share_pct"]
    else:
        need_mix = optional_table("census_need_mix_by_la") if need_mix is None else need_mix
        if need_mix is None:
            return None
        rows = need_mix[_of_area(need_mix, code, name) & need_mix["sen_provision"].eq(provision)]
        rows = rows.dropna(subset=["pupils"])
        if rows.empty or rows["pupils"].sum() == 0:
            return None
        rows = rows[rows["january"] == rows["january"].max()]
        january, counts = int(rows["january"].iloc[0]), rows.groupby("need_code")["pupils"].sum()
        shares = 100 * counts / counts.sum()
    return january, pd.Series({a: shares.reindex(list(codes)).fillna(0).sum() for a, codes in BROAD_AREAS.items()})


def sen_rates(area: str = "England", census: pd.DataFrame | None = None) -> pd.DataFrame | None:
    """Pupils on SEN support and with an EHC plan as per cent of all pupils, by January:
    ``year, pupils, sen_support_pct, ehc_plan_pct``.

    England's from the national school census (all schools; ``pupils`` not given there); a
    local authority's from ``census`` (by default the optional ``census_by_la`` file:
    ``january, la_code, la_name, pupils, sen_support, ehc_plans``), a year without its pupil
    count left without percentages (missing), never guessed. None when the LA is not in it.
    """
    code, name = find_area(area)
    if name == "England":
        table = reference_table("census_national")
        return pd.DataFrame(
            {
                "year": table["january"],
                "pupils": np.nan,
                "sen_support_pct": table["sen_support_pct"],
                "ehc_plan_pct": table["ehc_plan_pct"],
            }
        )
    census = optional_table("census_by_la") if census is None else census
    if census is None:
        return None
    rows = census[_of_area(census, code, name)].sort_values("january")
    if rows.empty:
        return None
    pupils = rows["pupils"].where(rows["pupils"] > 0).astype(float)
    return pd.DataFrame(
        {
            "year": rows["january"].to_numpy(),
            "pupils": pupils.to_numpy(),
            "sen_support_pct": (100 * rows["sen_support"] / pupils).to_numpy(),
            "ehc_plan_pct": (100 * rows["ehc_plans"] / pupils).to_numpy(),
        }
    )


def _of_area(table: pd.DataFrame, code: str, name: str) -> pd.Series:
    """The rows of an LA table for one area: by its code where both have one, else by name."""
    if code and "la_code" in table:
        return table["la_code"].astype(str).str.upper().eq(code.upper())
    return table["la_name"].astype(str).str.lower().eq(name.lower())


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
