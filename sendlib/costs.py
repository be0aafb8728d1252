"""What forecast need costs: a cost a year per pupil by SEN provision and broad area, and the
need forecast's simulations turned into money, with ranges and top-up candidates.

The cost of a pupil at SEN support (K) or with an EHC plan (E) comes, for each provision and
broad area, from the first of:

1. the trust's ``costs.csv`` (a row for the area, else the provision's row with no area);
2. its provision map (``provisions.csv``): the mean over every pupil on roll at that
   provision of their provision's cost a year (the higher of the last 12 months' spend and
   the rate of what runs now; pupils with no provision count as nothing);
3. the published default (``sendlib/data/reference/sen_costs_default.csv``, each figure with its
   source): the first 6,000 GBP a year of an EHC plan's support, which the school pays.

A provision without a cost is left out of the money and said so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .codes import BROAD_AREAS, PROVISION_WORDS
from .loader import TrustData
from .reference import reference_table

UNIT_COLUMNS = ["sen_provision", "need_area", "cost_per_pupil", "source", "share_over_threshold"]
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
    """Cost a year per pupil for every provision (K, E) and broad area, with its source.

    Returns
    -------
    DataFrame
        ``sen_provision, need_area, cost_per_pupil`` (missing when nothing gives one),
        ``source``, and ``share_over_threshold``: the share of the provision's pupils whose
        provision is above the notional SEN threshold, over the last 12 months or at the rate
        of what runs now (missing without a provision map).
        One row per provision and broad area.
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
            found = None
            if own is not None:
                mine = own[own["sen_provision"].eq(provision)]
                exact = mine[mine["need_area"].eq(area)]
                every = mine[mine["need_area"].isna() | mine["need_area"].eq("")]
                pick = exact if len(exact) else every
                if len(pick):
                    source = pick["source"].iloc[0]
                    found = (
                        float(pick["cost_per_pupil"].iloc[0]),
                        f"costs.csv ({source})" if isinstance(source, str) and source else "costs.csv",
                    )
            if found is None and provision in mapped:
                found = mapped[provision]
            if found is None:
                pick = default[default["sen_provision"].eq(provision)]
                if len(pick):
                    found = (float(pick["cost_per_pupil"].iloc[0]), str(pick["source"].iloc[0]))
            cost, source = found if found is not None else (np.nan, "no cost: add it to costs.csv")
            rows.append((provision, area, cost, source, shares.get(provision, np.nan)))
    return pd.DataFrame(rows, columns=UNIT_COLUMNS)


def _from_provision_map(trust: TrustData, costs: pd.DataFrame) -> dict[str, tuple[float, str]]:
    per_pupil = costs.set_index("upn")[["cost_last_12_months", "cost_a_year"]].max(axis=1)
    found = {}
    for provision in ("K", "E"):
        upns = trust.pupils.loc[trust.pupils["sen_provision"].eq(provision), "upn"]
        if len(upns) and per_pupil.reindex(upns).notna().any():
            mean = float(per_pupil.reindex(upns).fillna(0).mean())
            found[provision] = (
                mean,
                f"the provision map: the mean over {len(upns):,} {PROVISION_WORDS[provision].pupils} "
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


def cost_forecast(model, simulations: np.ndarray, units: pd.DataFrame, school: str | None = "") -> pd.DataFrame:
    """The forecast's simulations in money: for each January, the cost a year of pupils at SEN
    support and with EHC plans at ``school`` ("" the trust; None the trust and every school,
    with a ``school`` column, "All schools" for the trust), its median and 80% and 95% ranges
    over the simulations (the uncertainty of the counts; the unit costs are taken as known),
    and the pupils expected above the notional SEN threshold (top-up candidates: today's share
    of each provision above it, from the provision map, times the simulated counts; missing
    without a provision map). ``units`` is :func:`unit_costs` of the trust."""
    areas = list(model.areas_)
    by_cell = units.set_index(["sen_provision", "need_area"])["cost_per_pupil"]
    vector = np.nan_to_num(
        np.array(
            [0.0] + [by_cell.get(("K", a), np.nan) for a in areas] + [by_cell.get(("E", a), np.nan) for a in areas]
        )
    )
    share = units.groupby("sen_provision")["share_over_threshold"].first()
    per_school = simulations.sum(axis=3)  # (simulation, year, school, state)
    places = {"All schools" if school is None else "": per_school.sum(axis=2)}
    if school is None:
        places.update({name: per_school[:, :, i] for i, name in enumerate(model.schools_)})
    elif school:
        places = {
            school: per_school[:, :, model.schools_.index(school)] if school in model.schools_ else 0 * places[""]
        }
    # every place at once (simulation, year, place): the money (each place's counts times the
    # costs as before, so the sums run in the same order) and the top-up candidates, then their
    # quantiles over the simulations in one call each
    n = len(areas)
    money = np.stack([counts @ vector for counts in places.values()], axis=2)
    counts = np.stack(list(places.values()), axis=2)
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


def pounds(value: float) -> str:
    """To the nearest hundred pounds: a forecast is not exact to the pound."""
    return f"£{round(value, -2):,.0f}"


def cost_words(table: pd.DataFrame, units: pd.DataFrame) -> list[str]:
    """The cost forecast in sentences, with where each unit cost comes from."""
    lines = []
    if len(table):
        first, last = table.iloc[0], table.iloc[-1]
        lines.append(
            f"Cost of additional support, January {int(first['year'])}: about {pounds(first['cost'])} a year "
            f"(80% range {pounds(first['low_80'])} to {pounds(first['high_80'])}); January {int(last['year'])}: "
            f"{pounds(last['cost'])} ({pounds(last['low_80'])} to {pounds(last['high_80'])})."
        )
        if not np.isnan(first["top_up_candidates"]):
            lines.append(
                f"Pupils above the £6,000 notional SEN threshold (top-up candidates), January {int(first['year'])}: "
                f"about {first['top_up_candidates']:.0f} ({first['top_up_low_80']:.0f} to "
                f"{first['top_up_high_80']:.0f}), today's share of each provision above it applied to the forecast."
            )
    for provision in ("K", "E"):
        mine = units[units["sen_provision"].eq(provision)]
        label = PROVISION_WORDS[provision].plural
        if mine["cost_per_pupil"].isna().all():
            lines.append(f"{label}: no cost per pupil, so not in the money (add it to costs.csv).")
            continue
        costs = mine["cost_per_pupil"].dropna()
        amount = (
            f"£{costs.iloc[0]:,.0f}" if costs.nunique() == 1 else f"£{costs.min():,.0f} to £{costs.max():,.0f} by area"
        )
        lines.append(f"{label}: {amount} a pupil a year, from {mine['source'].iloc[0]}.")
    return lines
