"""What forecast need costs: a cost a year per pupil by SEN provision, broad area and setting,
and the need forecast's simulations turned into money, with ranges and top-up candidates.

The cost of a pupil at SEN support (K) or with an EHC plan (E) comes, for each provision,
broad area and setting (mainstream, resourced provision or SEN unit, special school), from
the first of:

1. the trust's ``costs.csv`` (the most specific row: for the area and setting, else the
   setting, else the area, else the provision's row with neither);
2. its provision map (``provisions.csv``): the mean over every pupil on roll at that
   provision (in that setting, where any is) of their provision's cost a year (the higher of
   the last 12 months' spend and the rate of what runs now; pupils with no provision count
   as nothing);
3. the published default (``sendlib/data/reference/sen_costs_default.csv``, each figure with its
   source): the first £6,000 a year of an EHC plan's support, which a mainstream school pays,
   and the place funding of a unit or resourced provision (£6,000) and of a special school
   (£10,000).

A provision without a cost is left out of the money and said so. The forecast does not move
pupils between settings: each school keeps today's share of its pupils at each provision in
each setting (the pupils file's ``setting``; blank is mainstream).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .codes import BROAD_AREAS, PROVISION_WORDS, SETTING_WORDS, SETTINGS
from .loader import TrustData
from .provision import pounds
from .reference import reference_table

UNIT_COLUMNS = ["sen_provision", "need_area", "setting", "cost_per_pupil", "source", "share_over_threshold"]
SHARE_COLUMNS = ["school", "sen_provision", "setting", "pupils", "share"]
COST_FORECAST_COLUMNS = [
    "year",
    "cost",
    "low_80",
    "high_80",
    "low_95",
    "high_95",
    "top_up_candidates",
    "top_up_low_80",
    "top_up_high_80",
]


def unit_costs(trust: TrustData) -> pd.DataFrame:
    """Cost a year per pupil for every provision (K, E), broad area and setting, with its source.

    Returns
    -------
    DataFrame
        ``sen_provision, need_area, setting, cost_per_pupil`` (missing when nothing gives
        one), ``source``, and ``share_over_threshold``: the share of the provision's pupils
        whose provision is above the notional SEN threshold, over the last 12 months or at the
        rate of what runs now (missing without a provision map).
        One row per provision, broad area and setting (``mainstream``, ``resourced``,
        ``special``).
    """
    own = trust.costs
    if trust.provisions is not None:
        from .provision import provision_costs

        each = provision_costs(trust)
        mapped, shares = _from_provision_map(trust, each), _threshold_shares(trust, each)
    else:
        mapped, shares = {}, {}
    default = reference_table("sen_costs_default")
    rows = []
    for provision in ("K", "E"):
        for area in BROAD_AREAS:
            for setting in SETTINGS:
                found = None
                if own is not None:
                    pick = _most_specific(own, provision, area, setting)
                    if pick is not None:
                        source = pick["source"]
                        found = (
                            float(pick["cost_per_pupil"]),
                            f"costs.csv ({source})" if isinstance(source, str) and source else "costs.csv",
                        )
                if found is None:
                    found = mapped.get((provision, setting), mapped.get((provision, None)))
                if found is None:
                    pick = _most_specific(default, provision, area, setting)
                    if pick is not None:
                        found = (float(pick["cost_per_pupil"]), str(pick["source"]))
                cost, source = found if found is not None else (np.nan, "no cost: add it to costs.csv")
                rows.append((provision, area, setting, cost, source, shares.get(provision, np.nan)))
    return pd.DataFrame(rows, columns=UNIT_COLUMNS)


def _most_specific(table: pd.DataFrame, provision: str, area: str, setting: str):
    """The row of a costs table for a provision, broad area and setting: the first of the row
    for the area and the setting, for the setting (no area), for the area (no setting), and
    for neither; None if none."""
    mine = table[table["sen_provision"].eq(provision)]
    settings = mine["setting"] if "setting" in mine else pd.Series(None, index=mine.index, dtype=object)
    blank_area = mine["need_area"].isna() | mine["need_area"].eq("")
    blank_setting = settings.isna() | settings.eq("")
    for rows in (
        mine["need_area"].eq(area) & settings.eq(setting),
        blank_area & settings.eq(setting),
        mine["need_area"].eq(area) & blank_setting,
        blank_area & blank_setting,
    ):
        if rows.any():
            return mine[rows].iloc[0]
    return None


def _settings(pupils: pd.DataFrame) -> pd.Series:
    """Each pupil's setting, mainstream where the pupils file says none."""
    if "setting" not in pupils:
        return pd.Series("mainstream", index=pupils.index)
    return pupils["setting"].fillna("mainstream")


def setting_shares(trust: TrustData) -> pd.DataFrame:
    """Today's pupils at SEN support and with plans in each school by setting: ``school,
    sen_provision, setting, pupils, share`` (of the school's pupils at that provision)."""
    pupils = trust.pupils[trust.pupils["sen_provision"].isin(["K", "E"])]
    counts = pupils.groupby(["school", "sen_provision", _settings(pupils).rename("setting")]).size()
    table = counts.rename("pupils").reset_index()
    table["share"] = table["pupils"] / table.groupby(["school", "sen_provision"])["pupils"].transform("sum")
    return table[SHARE_COLUMNS]


def _from_provision_map(trust: TrustData, costs: pd.DataFrame) -> dict[tuple, tuple[float, str]]:
    """The provision map's mean cost a year per pupil at K and at E, by setting (where the
    setting has pupils) and over every setting (key ``None``)."""
    per_pupil = costs.set_index("upn")[["cost_last_12_months", "cost_a_year"]].max(axis=1)
    settings = _settings(trust.pupils)
    found: dict[tuple, tuple[float, str]] = {}
    for provision in ("K", "E"):
        on = trust.pupils["sen_provision"].eq(provision)
        several = settings[on].nunique() > 1  # by setting only where the provision's pupils are in several
        for setting in (None, *(SETTINGS if several else ())):
            where = on if setting is None else on & settings.eq(setting)
            upns = trust.pupils.loc[where, "upn"]
            if len(upns) and per_pupil.reindex(upns).notna().any():
                mean = float(per_pupil.reindex(upns).fillna(0).mean())
                among = "" if setting is None else f" in {SETTING_WORDS[setting]}"
                found[(provision, setting)] = (
                    mean,
                    f"the provision map: the mean over the trust's {len(upns):,} {PROVISION_WORDS[provision].pupils}"
                    f"{among} "
                    "of their provision's cost a year",
                )
    return found


def _threshold_shares(trust: TrustData, costs: pd.DataFrame) -> dict[str, float]:
    """The share of pupils at K and at E whose provision is above the notional SEN threshold
    (over the last 12 months or at the rate of what runs now: ``provision_costs``)."""
    over = set(costs.loc[costs["over_threshold"], "upn"])
    shares = {}
    for provision in ("K", "E"):
        upns = trust.pupils.loc[trust.pupils["sen_provision"].eq(provision), "upn"]
        shares[provision] = float(upns.isin(over).mean()) if len(upns) else 0.0
    return shares


def cost_forecast(
    model, simulations: np.ndarray, units: pd.DataFrame, school: str | None = "", shares: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The forecast's simulations in money: for each January, the cost a year of pupils at SEN
    support and with EHC plans at ``school`` ("" the trust; None the trust and every school,
    with a ``school`` column, "All schools" for the trust), its median and 80% and 95% ranges
    over the simulations (the uncertainty of the counts; the unit costs are taken as known),
    and the pupils expected above the notional SEN threshold (top-up candidates: today's share
    of each provision above it, from the provision map, times the simulated counts; missing
    without a provision map). ``units`` is :func:`unit_costs` of the trust; ``shares``
    (:func:`setting_shares`) splits each school's pupils among settings as today (without it,
    every pupil is in mainstream)."""
    areas = list(model.areas_)
    vectors = _school_costs(model, units, shares)  # (school, state)
    share = units.groupby("sen_provision")["share_over_threshold"].first()
    per_school = simulations.sum(axis=3)  # (simulation, year, school, state)
    school_money = np.einsum("sykc,kc->syk", per_school, vectors)  # each school's at its own costs
    places = {"All schools" if school is None else "": (per_school.sum(axis=2), school_money.sum(axis=2))}
    if school is None:
        places.update(
            {
                name: (per_school[:, :, i], school_money[..., i])
                for i, name in enumerate(model.schools_)
                if name not in model.left_  # a school that has left the trust is not forecast
            }
        )
    elif school:
        i = model.schools_.index(school) if school in model.schools_ else None
        nothing = tuple(0 * part for part in places[""])
        places = {school: (per_school[:, :, i], school_money[..., i]) if i is not None else nothing}
    # every place at once (simulation, year, place): the money and the top-up candidates, then
    # their quantiles over the simulations in one call each
    n = len(areas)
    money = np.stack([cost for _, cost in places.values()], axis=2)
    counts = np.stack([count for count, _ in places.values()], axis=2)
    candidates = counts[..., 1 : 1 + n].sum(axis=-1) * share.get("K", np.nan) + counts[..., 1 + n :].sum(
        axis=-1
    ) * share.get("E", np.nan)
    quantiles = np.quantile(money, [0.5, 0.1, 0.9, 0.025, 0.975], axis=0).transpose(0, 2, 1).reshape(5, -1)
    top = np.quantile(candidates, [0.5, 0.1, 0.9], axis=0).transpose(0, 2, 1).reshape(3, -1)
    years = money.shape[1]
    table = pd.DataFrame(
        {
            "year": np.tile(model.first_year_ + np.arange(years), len(places)),  # place by place
            "cost": quantiles[0],
            "low_80": quantiles[1],
            "high_80": quantiles[2],
            "low_95": quantiles[3],
            "high_95": quantiles[4],
            "top_up_candidates": top[0],
            "top_up_low_80": top[1],
            "top_up_high_80": top[2],
        }
    )[COST_FORECAST_COLUMNS]
    return table.assign(school=np.repeat(list(places), years)) if school is None else table


def scenario_cost_words(
    base, scenario, years: int, units: pd.DataFrame, shares: pd.DataFrame | None = None, school: str = ""
) -> list[str]:
    """A scenario's own effect on the cost at ``school`` ("" the trust), in a sentence: its
    first and last year's change against the forecast without it (``base``, fitted alike),
    from the two models' expected paths at the unit costs (:func:`sendlib.forecast.scenario_difference`,
    as :func:`sendlib.forecast.scenario_words` says it for the counts), so that chance between
    the two sets of simulations, which can make the two costs in a table differ either way,
    does not blur it."""
    from .forecast import first_and_last, scenario_difference

    change = scenario_difference(base, scenario, years, school)
    if not change:
        return []
    vectors = _school_costs(scenario, units, shares)
    money = {year: float((cells * vectors).sum()) for year, cells in change.items()}
    said = lambda value: ("+" if value > 0 else "") + pounds(value, 2) if round(value) else "no change"
    return [
        f"The scenario's own effect on the cost a year, against the forecast without it: {first_and_last(money, said)} "
        "(each cost in the table is the middle of its own simulations, so the two can differ from this by chance)."
    ]


def _school_costs(model, units: pd.DataFrame, shares: pd.DataFrame | None) -> np.ndarray:
    """A cost a year per pupil in each of the model's schools and states (school, state): the
    provision and area's cost in each setting, weighted by the school's share of that
    provision's pupils in the setting today; a school with no pupils at the provision today
    takes its settings at the other provision (a special school's first pupil on SEN support is
    in the special school), else mainstream. No cost counts nothing."""
    areas = list(model.areas_)
    cost = units.set_index(["sen_provision", "need_area", "setting"])["cost_per_pupil"]
    vectors = np.zeros((len(model.schools_), 1 + 2 * len(areas)))
    for i, name in enumerate(model.schools_):
        mix = (
            {}
            if shares is None
            else {
                provision: dict(zip(rows["setting"], rows["share"]))
                for provision, rows in shares[shares["school"].eq(name)].groupby("sen_provision")
            }
        )
        for provision, other, first in (("K", "E", 1), ("E", "K", 1 + len(areas))):
            weights = mix.get(provision) or mix.get(other) or {"mainstream": 1.0}
            for k, area in enumerate(areas):
                vectors[i, first + k] = sum(
                    share * np.nan_to_num(cost.get((provision, area, setting), np.nan))
                    for setting, share in weights.items()
                )
    return vectors


def cost_words(table: pd.DataFrame, units: pd.DataFrame, shares: pd.DataFrame | None = None) -> list[str]:
    """The cost forecast in sentences, with where each unit cost comes from (in mainstream,
    and in each other setting that has pupils today, from ``shares``: :func:`setting_shares`)."""
    lines = []
    if len(table):
        first, last = table.iloc[0], table.iloc[-1]
        lines.append(  # to three figures: a forecast is not exact to the pound
            f"Cost of additional support, January {int(first['year'])}: about {pounds(first['cost'], 3)} a year "
            f"(80% range {pounds(first['low_80'], 3)} to {pounds(first['high_80'], 3)}); January "
            f"{int(last['year'])}: {pounds(last['cost'], 3)} ({pounds(last['low_80'], 3)} to "
            f"{pounds(last['high_80'], 3)})."
        )
        if np.isnan(first["top_up_candidates"]):
            lines.append(
                "Pupils above the £6,000 notional SEN threshold (top-up candidates) are counted from the cost of "
                "each pupil's provision in the provision map (provisions.csv), which this export does not have."
            )
        else:
            lines.append(
                f"Pupils above the £6,000 notional SEN threshold (top-up candidates), January {int(first['year'])}: "
                f"about {first['top_up_candidates']:.0f} ({first['top_up_low_80']:.0f} to "
                f"{first['top_up_high_80']:.0f}), today's share of each provision above it applied to the forecast."
            )
    elsewhere = [] if shares is None else [s for s in SETTINGS[1:] if shares["setting"].eq(s).any()]
    for setting in ("mainstream", *elsewhere):
        where = "" if setting == "mainstream" and not elsewhere else f" in {SETTING_WORDS[setting]}"
        for provision in ("K", "E"):
            there = shares is not None and (shares["setting"].eq(setting) & shares["sen_provision"].eq(provision)).any()
            if setting != "mainstream" and not there:
                continue  # no pupils at this provision in this setting today
            mine = units[units["sen_provision"].eq(provision) & units["setting"].eq(setting)]
            label = PROVISION_WORDS[provision].plural + where
            if mine["cost_per_pupil"].isna().all():
                lines.append(
                    f"{label}: no cost per pupil is set, so these pupils are not in the cost (add one to costs.csv)."
                )
                continue
            costs = mine["cost_per_pupil"].dropna()
            amount = (
                f"£{costs.iloc[0]:,.0f}"
                if costs.nunique() == 1
                else f"£{costs.min():,.0f} to £{costs.max():,.0f} by area"
            )
            lines.append(f"{label}: {amount} a pupil a year, from {mine['source'].iloc[0]}.")
    if elsewhere and shares is not None:
        counts = shares.groupby(["setting", "sen_provision"])["pupils"].sum()
        told = [
            f"{counts[(setting, provision)]:,} {PROVISION_WORDS[provision].pupils} in {SETTING_WORDS[setting]}"
            for setting in elsewhere
            for provision in ("K", "E")
            if (setting, provision) in counts
        ]
        lines.append(
            f"Today {', '.join(told)} (pupils file); the forecast keeps each school's share of each provision "
            "in each setting as it is today."
        )
    return lines
