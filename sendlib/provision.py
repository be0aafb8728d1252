"""The provision map: what each pupil receives, for how long, at what cost, and what it changed.

From ``provisions.csv`` (one row per pupil and intervention) and, for provisions without a
cost of their own, ``staff_costs.csv`` (an hour of each staff role):

- :func:`provision_map`: one row per pupil and intervention, with hours a week and cost;
- :func:`provision_costs`: one row per pupil, with the cost of their additional support
  against the notional SEN threshold (£6,000 a year), which a mainstream school meets
  from its own budget before the local authority's top-up;
- :func:`provision_impact`: one row per intervention, its measured effect on attainment
  (how pupils' level moved after it started, against pupils with the same SEN provision at
  the same assessments, every intervention estimated together), with a 95% interval and a
  verdict; :func:`impact_words` reads it aloud.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .codes import PROVISION_WORDS, STAFF_ROLE_WORDS
from .loader import TrustData
from .progress import score_levels

# A mainstream school meets the first £6,000 a year of a pupil's additional support from
# its notional SEN budget; above it the local authority's high-needs top-up is due (DfE,
# "High needs funding: operational guide", the £6,000 threshold).
NOTIONAL_SEN_THRESHOLD = 6_000
# A school year is 190 teaching days (School Teachers' Pay and Conditions Document): 38 weeks
# of five days. A period's school weeks: its weekdays outside August and the Christmas
# fortnight (21 December to 3 January), 229 in a year, scaled so that a year gives 38 (the
# Easter fortnight and half-terms fall at different dates in each local authority).
SCHOOL_WEEKS = 38
TERM_WEEKDAYS_A_YEAR = 229
# Before an intervention gets a verdict: pupils with a change measured against peers.
MIN_PUPILS = 10
VERDICTS = ("effective", "no_reliable_effect", "harmful", "not_enough_evidence")
VERDICT_WORDS = {
    "effective": "effective: pupils gained after it started",
    "no_reliable_effect": "no reliable effect: the change could be chance",
    "harmful": "pupils fell behind after it started",
    "not_enough_evidence": "not enough evidence yet",
}
# Interventions aimed at a subject, by words in their names; any other is judged in every
# subject the pupil is assessed in.
# Maths first: "maths word problems" is maths. Whole words: "ready" is not reading, and
# "handwriting" (a motor skill) is not writing.
SUBJECT_AIMS = {
    r"math|numer|\bnumbers?\b|\bcount|arithmetic|times tables?": r"math|numer|number|arithmetic",
    r"\bread(ing|ers?)?\b|phonic|literacy|\bspell|comprehension|\bwrit(e|ing)\b|\bbooks?\b|\benglish\b|"
    r"\bwords?\b": r"read|english|literacy|phonic|spell|writ|gps|grammar",
}

MAP_COLUMNS = [
    "upn",
    "school",
    "sen_provision",
    "intervention",
    "area",
    "start",
    "end",
    "running",
    "sessions_per_week",
    "minutes",
    "group_size",
    "hours_per_week",
    "staff_role",
    "weeks",
    "cost",
    "cost_source",
    "last_12_months",
    "cost_last_12_months",
    "cost_a_year",
]
COST_COLUMNS = [
    "upn",
    "school",
    "sen_provision",
    "interventions",
    "running",
    "hours_per_week",
    "cost_last_12_months",
    "cost_a_year",
    "over_threshold",
    "reason",
]
IMPACT_COLUMNS = [
    "intervention",
    "area",
    "subjects",
    "n_pupils",
    "n_measured",
    "effect",
    "lower_95",
    "upper_95",
    "verdict",
    "cost_per_pupil",
    "cost_per_point",
]


def _school_weeks(start: pd.Series, end: pd.Series) -> np.ndarray:
    """School weeks from ``start`` to ``end``, both days included (none when ``end`` is before
    ``start``)."""
    if not len(start):
        return np.zeros(0)
    first, last = start.dt.year.min(), end.dt.year.max()
    holidays = [
        day
        for year in range(int(first) - 1, int(last) + 2)
        for day in pd.date_range(f"{year}-08-01", f"{year}-08-31").append(
            pd.date_range(f"{year}-12-21", f"{year + 1}-01-03")
        )
    ]
    begin = start.to_numpy().astype("datetime64[D]")
    stop = end.to_numpy().astype("datetime64[D]") + np.timedelta64(1, "D")
    days = np.busday_count(begin, np.maximum(stop, begin), holidays=np.array(holidays, dtype="datetime64[D]"))
    return days / 5 * SCHOOL_WEEKS / (TERM_WEEKDAYS_A_YEAR / 5)


def provision_map(trust: TrustData, school: str | None = None, as_of=None) -> pd.DataFrame:
    """One row per pupil and intervention, with hours and cost.

    ``hours_per_week`` is sessions times minutes (blank when either is missing). ``weeks``
    are school weeks (38 in a year, both ends counted) from ``start`` to ``end``, the end
    planned when it is after the data's date, or to the data's date for a provision with no
    end (``running``: no end, or an end on or after the data's date, its last day). ``cost`` is per pupil for
    that period: the file's own ``cost``, else hours a week x weeks x the role's hourly cost
    (``staff_costs.csv``) / ``group_size``; ``cost_source`` says which (``recorded``,
    ``staff costs`` or ``not known``). ``last_12_months``: some of it falls in the year to the
    data's date (running, or ended within it). ``cost_last_12_months`` is the part of it that falls
    in the year to the data's date, in proportion to school weeks (of a 38-week year for a
    recorded cost with no end). ``cost_a_year``, for a provision still running, is what it
    costs over a school year (38 weeks) at its rate, but never more than its whole planned cost
    (a 12-week block costs its 12 weeks, not a year of them): hours a week x the lesser of its
    weeks and 38 x the hourly cost / group size, or a recorded cost x the lesser of 1 and 38 /
    its weeks; a recorded cost with no end is read as a year's.
    """
    as_of = trust.day(as_of)
    rows = trust.require("provisions")
    pupils = trust.pupils.set_index("upn")
    frame = rows[[c for c in MAP_COLUMNS if c in rows.columns]].copy()
    frame["school"] = frame["upn"].map(pupils["school"])
    frame["sen_provision"] = frame["upn"].map(pupils["sen_provision"])
    if school:
        frame = frame[frame["school"].eq(school)]
    frame = frame[frame["start"] <= as_of].reset_index(drop=True)
    frame["running"] = frame["end"].isna() | (frame["end"] >= as_of)  # the end is its last day: running on it
    frame["hours_per_week"] = frame["sessions_per_week"] * frame["minutes"] / 60
    group = frame["group_size"].fillna(1)
    until = frame["end"].where(frame["end"].notna(), as_of)
    frame["weeks"] = _school_weeks(frame["start"], until)
    rates = (
        trust.staff_costs.set_index("staff_role")["hourly_cost"]
        if trust.staff_costs is not None
        else pd.Series(dtype="float64")
    )
    rate = frame["staff_role"].map(rates).astype("float64")
    per_week = frame["hours_per_week"] * rate / group
    recorded = frame["cost"].notna()
    frame["cost"] = frame["cost"].where(recorded, per_week * frame["weeks"])
    frame["cost_source"] = np.select([recorded, frame["cost"].notna()], ["recorded", "staff costs"], "not known")
    year_ago = as_of - pd.Timedelta(days=364)
    in_year = _school_weeks(
        frame["start"].where(frame["start"] > year_ago, year_ago), until.where(until < as_of, as_of)
    )
    frame["last_12_months"] = frame["running"] | (frame["end"] >= year_ago)
    standing = recorded & frame["end"].isna()  # a recorded cost with no end: a year's cost
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(frame["weeks"] > 0, in_year / frame["weeks"], 0.0)
    share = np.where(standing, np.minimum(in_year / SCHOOL_WEEKS, 1.0), share)
    frame["cost_last_12_months"] = frame["cost"] * share
    # a year at its rate, never more than its whole planned cost: the part of that cost a year holds
    with np.errstate(divide="ignore"):
        year_share = np.minimum(1.0, SCHOOL_WEEKS / frame["weeks"])
    no_end = frame["cost"].where(recorded, per_week * SCHOOL_WEEKS)  # a recorded cost with no end: a year's
    frame["cost_a_year"] = (frame["cost"] * year_share).where(frame["end"].notna(), no_end).where(frame["running"], 0.0)
    return frame.sort_values(["school", "upn", "start"], kind="stable")[MAP_COLUMNS].reset_index(drop=True)


def provision_costs(trust: TrustData, school: str | None = None, as_of=None) -> pd.DataFrame:
    """One row per pupil with provision: their interventions, hours a week now, and the cost of
    their additional support, flagged ``over_threshold`` when it exceeds the notional SEN
    threshold (``NOTIONAL_SEN_THRESHOLD`` a year) either over the last 12 months or at the
    rate of what runs now: evidence for a top-up request, or for an EHC needs assessment for a
    pupil on SEN support. ``reason`` says which, in words."""
    table = provision_map(trust, school, as_of)
    by = table.groupby("upn", sort=False)
    costs = pd.DataFrame(
        {
            "school": by["school"].first(),
            "sen_provision": by["sen_provision"].first(),
            "interventions": by["intervention"].size(),
            "running": by["running"].sum(),
            "hours_per_week": table[table["running"]].groupby("upn")["hours_per_week"].sum(min_count=1),
            "cost_last_12_months": by["cost_last_12_months"].sum(min_count=1),
            "cost_a_year": by["cost_a_year"].sum(min_count=1),
            "unknown": table["cost_source"].eq("not known").groupby(table["upn"]).sum(),
        }
    ).reset_index()
    costs["running"] = costs["running"].astype(int)
    over_year = costs["cost_last_12_months"].gt(NOTIONAL_SEN_THRESHOLD)
    over_rate = costs["cost_a_year"].gt(NOTIONAL_SEN_THRESHOLD)
    costs["over_threshold"] = over_year | over_rate
    costs["reason"] = [
        _cost_reason(row, year, rate) for row, year, rate in zip(costs.itertuples(), over_year, over_rate)
    ]
    return costs.sort_values(["over_threshold", "cost_a_year"], ascending=False, kind="stable")[
        COST_COLUMNS
    ].reset_index(drop=True)


def _cost_reason(row, over_year: bool, over_rate: bool) -> str:
    parts = []
    if over_rate:
        parts.append(f"what runs now costs {pounds(row.cost_a_year)} a year")
    if over_year:
        parts.append(f"{pounds(row.cost_last_12_months)} was spent in the last 12 months")
    words = (
        " and ".join(parts) + f", above the {pounds(NOTIONAL_SEN_THRESHOLD)} notional SEN threshold" if parts else ""
    )
    if row.unknown:
        words += ("; " if words else "") + f"{row.unknown} of their provisions have no cost"
    return words


def pounds(value: float, figures: int | None = None) -> str:
    """£1,234 ("not known" when missing); with ``figures``, to that many significant figures,
    as a forecast is not exact to the pound: ``pounds(1712345, 3)`` is £1,710,000."""
    if pd.isna(value):
        return "not known"
    if figures and value:
        value = round(value, figures - 1 - int(np.floor(np.log10(abs(value)))))
    return f"{'-' if round(value) < 0 else ''}£{abs(value):,.0f}"


def number_words(value: float) -> str:
    """Up to two decimals, without trailing zeros: 12.5, 0.75, 3."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


PUPIL_PROVISION_COLUMNS = {
    "intervention": "Intervention",
    "area": "Area of need",
    "from": "From",
    "until": "Until",
    "hours": "Hours a week",
    "staff": "Staff",
    "cost": "Cost (so far, while it runs)",
    "works": "What it has done across the trust",
}


def pupil_provision_rows(rows: pd.DataFrame, impact=None) -> pd.DataFrame:
    """One pupil's rows of :func:`provision_map` in words, oldest first, each intervention with
    the trust's verdict on it (``impact``: :func:`provision_impact`'s frame or its records; None
    when there are no scores to measure it with)."""
    rows = rows.sort_values("start")
    if impact is None:
        works = pd.Series("not measured (needs assessments.csv)", index=rows.index)
    else:
        records = impact.to_dict("records") if isinstance(impact, pd.DataFrame) else list(impact)
        names = pd.Series([r["intervention"] for r in records], dtype="str")
        verdicts = dict(zip(intervention_key(names), (VERDICT_WORDS[r["verdict"]] for r in records)))
        works = intervention_key(rows["intervention"].astype("str")).map(verdicts).fillna("not measured")
    return pd.DataFrame(
        {
            "intervention": rows["intervention"],
            "area": rows["area"].fillna(""),
            "from": rows["start"].dt.strftime("%d %b %Y"),
            "until": rows["end"].dt.strftime("%d %b %Y").where(~rows["running"], "running"),
            "hours": [
                ""
                if pd.isna(h)
                else f"{number_words(h)} ({s:.0f} x {m:.0f} min{'' if g == 1 else f', group of {g:.0f}'})"
                for h, s, m, g in zip(
                    rows["hours_per_week"], rows["sessions_per_week"], rows["minutes"], rows["group_size"].fillna(1)
                )
            ],
            "staff": rows["staff_role"].map(STAFF_ROLE_WORDS).fillna(""),
            "cost": rows["cost"].map(pounds),
            "works": works,
        }
    ).rename(columns=PUPIL_PROVISION_COLUMNS)


def pupil_cost_words(cost: pd.Series, sen_provision: str) -> list[str]:
    """One pupil's row of :func:`provision_costs` in sentences: what runs, what it costs, and
    what a cost above the notional SEN threshold is evidence for."""
    hours = 0 if pd.isna(cost["hours_per_week"]) else cost["hours_per_week"]
    spent = 0 if pd.isna(cost["cost_last_12_months"]) else cost["cost_last_12_months"]
    a_year = 0 if pd.isna(cost["cost_a_year"]) else cost["cost_a_year"]
    lines = [
        f"{int(cost['running'])} of {int(cost['interventions'])} intervention{'s' * int(cost['interventions'] != 1)} "
        f"running now, {number_words(hours)} hours a week; {pounds(spent)} spent in the last 12 months, "
        f"{pounds(a_year)} a year for what runs now."
    ]
    if cost["over_threshold"]:
        use = (
            "evidence for the local authority's top-up funding"
            if sen_provision == "E"
            else "evidence to consider with the family for a request for an EHC needs assessment"
        )
        lines.append(
            f"Above the {pounds(NOTIONAL_SEN_THRESHOLD)} notional SEN threshold: {cost['reason']}. This is {use}."
        )
    elif cost["reason"]:
        lines.append(cost["reason"][:1].upper() + cost["reason"][1:] + ".")
    return lines


def provision_summary(table: pd.DataFrame) -> pd.DataFrame:
    """A provision map (:func:`provision_map`) by school, broad area and SEN provision: pupils,
    interventions, hours a week now and cost over the last 12 months."""
    table = table.assign(
        area=table["area"].fillna("Area not recorded"),
        sen_provision=table["sen_provision"].map(lambda p: PROVISION_WORDS[p].label if p in PROVISION_WORDS else p),
        hours_now=table["hours_per_week"].where(table["running"], 0),
    )
    summary = (
        table.groupby(["school", "area", "sen_provision"], sort=True)
        .agg(
            pupils=("upn", "nunique"),
            interventions=("intervention", "size"),
            hours_per_week_now=("hours_now", "sum"),
            cost_last_12_months=("cost_last_12_months", lambda s: s.sum(min_count=1)),
        )
        .reset_index()
    )
    return summary


def intervention_key(names: pd.Series) -> pd.Series:
    """Intervention names as one: no case, punctuation or extra spaces ("Phonics catch-up" and
    "phonics catch up" are the same intervention)."""
    return names.str.casefold().str.replace(r"[^0-9a-z]+", " ", regex=True).str.strip()


def _aimed_at(intervention: str, subject: str) -> bool:
    name = intervention.casefold()
    for aim, subjects in SUBJECT_AIMS.items():
        if re.search(aim, name):
            return re.search(subjects, subject) is not None
    return True


def provision_impact(trust: TrustData, as_of=None, z: float = 1.96) -> pd.DataFrame:
    """One row per intervention (names compared without case or punctuation): how many pupils
    received it, how many have scores before and after its start in the subjects it aims at
    (``n_measured``), its effect in score points with a 95% interval (:func:`_joint_effects`),
    and a verdict: ``effective`` (the interval above zero), ``harmful`` (below),
    ``no_reliable_effect``, or ``not_enough_evidence`` (fewer than ``MIN_PUPILS`` measured).
    Subjects: those the intervention's name aims at (a reading or phonics intervention is
    judged on reading, a maths one on maths), else every subject assessed. ``cost_per_pupil``
    is the mean cost of a pupil's episode where costs are known; ``cost_per_point`` that cost
    per point gained, for an effective intervention only."""
    as_of = trust.day(as_of)
    table = provision_map(trust, as_of=as_of)
    table["key"] = intervention_key(table["intervention"])
    joint = _joint_effects(trust, as_of, z).set_index("key")
    assessed = trust.require("assessments")["subject"].str.lower().unique()
    rows = []
    for key, given in table.groupby("key", sort=False):
        found = joint.loc[key] if key in joint.index else None
        n = int(found["n_measured"]) if found is not None else 0
        effect, low, high = found[["effect", "lower_95", "upper_95"]] if found is not None else [np.nan] * 3
        verdict = (
            "not_enough_evidence"
            if n < MIN_PUPILS or np.isnan(low)
            else ("effective" if low > 0 else "harmful" if high < 0 else "no_reliable_effect")
        )
        cost = given["cost"].mean()
        name = given["intervention"].mode().iloc[0]
        subjects = sorted({s for s in assessed if _aimed_at(name, s)})
        rows.append(
            {
                "intervention": name,
                "area": given["area"].mode().iloc[0] if given["area"].notna().any() else None,
                "subjects": ", ".join(subjects),
                "n_pupils": given["upn"].nunique(),
                "n_measured": n,
                "effect": effect,
                "lower_95": low,
                "upper_95": high,
                "verdict": verdict,
                "cost_per_pupil": cost,
                "cost_per_point": cost / effect if verdict == "effective" else np.nan,
            }
        )
    impact = pd.DataFrame(rows, columns=IMPACT_COLUMNS)
    order = {v: i for i, v in enumerate(VERDICTS)}
    return impact.sort_values(
        ["verdict", "n_measured"], key=lambda s: s.map(order) if s.name == "verdict" else -s, kind="stable"
    ).reset_index(drop=True)


def _coverage(z: float) -> float:
    from statistics import NormalDist

    return 2 * NormalDist().cdf(z) - 1


def impact_words(impact: pd.DataFrame) -> list[str]:
    """A sentence per intervention of :func:`provision_impact`, as a SENCO would say it."""
    lines = []
    for row in impact.itertuples():
        who = f"{row.intervention} ({row.n_pupils} pupil{'s' if row.n_pupils != 1 else ''}"
        if row.verdict == "not_enough_evidence":
            lines.append(
                f"{who}): not enough evidence yet; {row.n_measured} with scores before and after it, "
                f"{MIN_PUPILS} needed."
            )
            continue
        cost = f"; about {pounds(row.cost_per_point)} a pupil per point gained" if row.cost_per_point > 0 else ""
        lines.append(
            f"{who}, {row.n_measured} with scores before and after in {row.subjects}): {row.effect:+.1f} points "
            f"(95% interval {row.lower_95:+.1f} to {row.upper_95:+.1f}): {VERDICT_WORDS[row.verdict]}{cost}."
        )
    return lines


def provision_workbook(trust: TrustData, school: str | None = None, impact: pd.DataFrame | None = None) -> bytes:
    """The provision map as a workbook: the map, each pupil's cost against the threshold, the
    summary by area and provision, what works (``impact``, by default :func:`provision_impact`
    of ``trust``) and notes."""
    table = provision_map(trust, school)
    if impact is None:
        impact = provision_impact(trust) if trust.assessments is not None else pd.DataFrame(columns=IMPACT_COLUMNS)
    notes = [
        f"Data as of {trust.as_of:%d %B %Y}.",
        f"Costs are per pupil; a school year is {SCHOOL_WEEKS} weeks. The notional SEN threshold is "
        f"{pounds(NOTIONAL_SEN_THRESHOLD)} a year (DfE, High needs funding: operational guide).",
        "Impact: how pupils' level on their year group moved after each intervention "
        "started, against pupils with the same SEN provision at the same assessments, every intervention "
        "estimated together; points on the test's scale.",
        *impact_words(impact),
    ]
    from .render import workbook

    sheets = {
        "Provision map": table.assign(staff_role=table["staff_role"].map(STAFF_ROLE_WORDS)),
        "Cost per pupil": provision_costs(trust, school),
        "By area": provision_summary(table),
        "What works": impact,
    }
    return workbook(sheets, notes=notes, title=f"Provision map, {school or 'the trust'}")


def _joint_effects(trust: TrustData, as_of, z: float) -> pd.DataFrame:
    """Every intervention's effect estimated together, so that pupils' other interventions do
    not count toward one: a panel regression of each pupil's level, with a term of its own for
    every pupil, subject and scale (fixed effects: only changes within a pupil's series count),
    one for each assessment (term and subject) by the pupil's SEN provision now (pupils with
    SEN progress differently), and for each intervention a step from a fortnight after its
    first start in the subjects it aims at. Standard errors are robust to any correlation
    within a pupil (clustered by pupil, with the CR2 small-sample correction of Bell and
    McCaffrey 2002), and the interval uses Student's t on the intervention's measured pupils
    less one: an effect rests on its few treated pupils, not on the thousands of clusters."""
    from scipy.special import stdtrit

    levels = score_levels(trust, as_of)
    provisions = trust.require("provisions")
    provisions = provisions.loc[provisions["start"] <= as_of, ["upn", "intervention", "start"]].copy()
    provisions["key"] = intervention_key(provisions["intervention"])
    keys = list(pd.unique(provisions["key"]))
    empty = pd.DataFrame({"key": keys, "effect": np.nan, "lower_95": np.nan, "upper_95": np.nan, "n_measured": 0})
    if levels.empty or not keys:
        return empty
    levels = levels.sort_values(["upn", "subject", "scale", "assessment_date"], kind="stable").reset_index(drop=True)
    levels["series"] = pd.factorize(levels["upn"] + "\t" + levels["subject"] + "\t" + levels["scale"])[0]
    status = levels["upn"].map(trust.pupils.set_index("upn")["sen_provision"]).fillna("?")
    columns = {}
    measured = {}
    lag = pd.Timedelta(days=14)
    subject, subjects = pd.factorize(levels["subject"])
    series_upn = levels.groupby("series")["upn"].first()
    series = levels["series"].to_numpy()
    counts = np.bincount(series)
    starts = np.r_[0, np.cumsum(counts)[:-1]]  # each series' first row: rows are sorted by series
    for key in keys:
        given = provisions[provisions["key"] == key].groupby("upn")["start"].min()
        name = provisions.loc[provisions["key"] == key, "intervention"].iloc[0]
        aimed = np.array([_aimed_at(name, s) for s in subjects], dtype=bool)[subject]
        start = levels["upn"].map(given)
        after = ((levels["assessment_date"] > start + lag) & aimed).to_numpy()
        before = ((levels["assessment_date"] <= start + lag) & aimed).to_numpy()
        columns[key] = after.astype(float)
        # measured: a series (pupil, subject, scale) with a score on each side of the step
        both = np.logical_or.reduceat(after, starts) & np.logical_or.reduceat(before, starts)
        measured[key] = int(series_upn[both].nunique())
    occasion = pd.factorize(status + "\t" + levels["term"].astype(str) + "\t" + levels["subject"])[0]
    dummies = np.eye(occasion.max() + 1)[occasion][:, 1:] if occasion.max() > 0 else np.zeros((len(levels), 0))
    x = np.column_stack([*(columns[k] for k in keys), dummies])
    y = levels["level"].to_numpy(dtype=float)
    # within each series: subtract its means (the fixed effects)
    x = x - (np.add.reduceat(x, starts) / counts[:, None])[series]
    y = y - (np.bincount(series, y) / counts)[series]
    keep = np.abs(x).sum(axis=0) > 1e-9
    x, index = x[:, keep], np.flatnonzero(keep)
    bread = np.linalg.pinv(x.T @ x)  # least squares by the normal equations (a few columns, many rows)
    beta = bread @ (x.T @ y)
    residual = y - x @ beta
    meat = np.zeros((x.shape[1], x.shape[1]))
    bounds = np.flatnonzero(np.r_[True, levels["upn"].to_numpy()[1:] != levels["upn"].to_numpy()[:-1], True])
    sizes = np.diff(bounds)
    for size in np.unique(sizes):  # each pupil, those with as many rows at once: CR2 adjusts their residuals
        rows = bounds[:-1][sizes == size][:, None] + np.arange(size)
        xg, eg = x[rows], residual[rows]  # a pupil a layer
        values, vectors = np.linalg.eigh(np.eye(size) - xg @ bread @ xg.transpose(0, 2, 1))
        adjust = (vectors / np.sqrt(np.clip(values, 1e-8, None))[:, None, :]) @ vectors.transpose(0, 2, 1)
        u = (xg.transpose(0, 2, 1) @ (adjust @ eg[:, :, None]))[:, :, 0]
        meat += u.T @ u  # the sum of each pupil's outer product
    covariance = bread @ meat @ bread
    rows = []
    for position, key in enumerate(keys):
        where = np.flatnonzero(index == position)
        n = measured[key]
        if len(where) == 0 or n < 2:
            rows.append({"key": key, "effect": np.nan, "lower_95": np.nan, "upper_95": np.nan, "n_measured": n})
            continue
        t = float(stdtrit(n - 1, 1 - (1 - _coverage(z)) / 2))
        b, se = float(beta[where[0]]), float(np.sqrt(covariance[where[0], where[0]]))
        rows.append({"key": key, "effect": b, "lower_95": b - t * se, "upper_95": b + t * se, "n_measured": n})
    return pd.DataFrame(rows)
