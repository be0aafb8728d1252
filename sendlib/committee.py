"""One school's SEND picture for its Local Committee: suppressed tables and a narrative.

Everything here is aggregate and suppressed (:mod:`sendlib.privacy`): no name, no UPN, no
count from 1 to 5. The committee dashboard and the committee report show these tables.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ._read import file_of
from ._words import listed
from .codes import BROAD_AREAS, PROVISION_WORDS
from .duties import REGISTRY as DUTY_REGISTRY
from .duties import duties_summary, statutory_duties
from .ehc import ehc_summary, ehc_timeline, national_timeliness
from .exceptions import SendlibError
from .loader import TrustData, export_files, input_hashes, load, tables_named
from .privacy import HIDDEN, SMALL, SMALL_COUNT_MAX, is_disclosive, suppress
from .progress import assess_progress, difference_words, progress_by_group
from .reference import need_area_shares, reference_table


@dataclass
class CommitteePage:
    """What a Local Committee sees for one school; every table is already suppressed text."""

    school: str
    as_of: pd.Timestamp
    headline: pd.DataFrame
    need_areas: pd.DataFrame
    progress: pd.DataFrame
    duties: pd.DataFrame
    forecast: pd.DataFrame
    narrative: list[str] = field(default_factory=list)
    need_note: str = ""  # why the need areas are shown in less detail, or not at all
    trend: pd.DataFrame = field(default_factory=pd.DataFrame)  # each January's shares, here and England
    charts: list[tuple[str, str]] = field(default_factory=list)  # (PNG data URL, what it shows in words)
    provision: pd.DataFrame = field(default_factory=pd.DataFrame)  # by broad area: pupils and spend
    assessments: pd.DataFrame = field(default_factory=pd.DataFrame)  # EHC needs assessments, school and trust
    interventions: pd.DataFrame = field(default_factory=pd.DataFrame)  # used here, with what works

    forecast_series: dict = field(default_factory=dict)  # provision -> (history, forecast) for a chart
    as_of_warning: str = ""  # when the data are more than a term old, or undated
    export_warning: str = ""  # when the export had problems: how many, and that their rows are left out
    forecast_note: str = ""  # why there is no forecast, when the census history cannot give one


def _signed(value: float) -> str:
    """One decimal place with a sign, and no "-0.0"."""
    text = f"{value:+.1f}"
    return "0.0" if text in ("+0.0", "-0.0") else text


def _count_text(n: float) -> str:
    return SMALL if 1 <= n <= SMALL_COUNT_MAX else f"{round(n):,}"


@functools.cache
def _national_area_shares(provision: str) -> pd.Series:
    """England's shares by broad area (the shipped reference table: read once)."""
    return need_area_shares(provision)[1]


def _need_mix_year() -> int:
    """The January of England's need mix in the reference data (state-funded schools)."""
    return need_area_shares("K")[0]


def _national_send_shares() -> pd.Series:
    """England's pupils with SEND (SEN support and EHC plans together) by broad area, in %."""
    national = reference_table("census_national").iloc[-1]
    k, e = national["sen_support_pct"], national["ehc_plan_pct"]
    return (_national_area_shares("K") * k + _national_area_shares("E") * e) / (k + e)


def committee_page(
    trust: TrustData,
    school: str,
    as_of=None,
    progress: pd.DataFrame | None = None,
    forecast: pd.DataFrame | None = None,
    duties: pd.DataFrame | None = None,
    impact: pd.DataFrame | None = None,
    timeline: pd.DataFrame | None = None,
) -> CommitteePage:
    """Build the committee page for ``school`` (suppressed; no pupil identifiable).

    Parameters
    ----------
    progress : DataFrame, optional
        :func:`sendlib.assess_progress` for the trust, if already computed.
    forecast : DataFrame, optional
        ``NeedForecaster.predict(by=["school", "sen_provision"])``, if already computed; the
        forecast section is left out when not given.
    duties : DataFrame, optional
        :func:`sendlib.statutory_duties` for the trust, if already computed.
    impact : DataFrame, optional
        :func:`sendlib.provision_impact` for the trust, if already computed.
    timeline : DataFrame, optional
        :func:`sendlib.ehc_timeline` for the trust, if already computed.
    """
    if school not in trust.schools:
        raise SendlibError(f"No school called {school!r}; the schools are: {', '.join(trust.schools)}.")
    as_of = trust.day(as_of)
    pupils = trust.pupils[trust.pupils["school"] == school]
    national = reference_table("census_national").iloc[-1]
    n = len(pupils)
    groups = {code: PROVISION_WORDS[code].label for code in ("K", "E", "N")}
    headline_counts = pd.DataFrame(
        {"Pupils": [int((pupils["sen_provision"] == code).sum()) for code in groups] + [n]},
        index=[*groups.values(), "All pupils"],
    )
    headline_counts["% of pupils"] = 100 * headline_counts["Pupils"] / max(n, 1)
    # the rows add up to the roll: a small "no SEN" (a special school) is protected like any count
    headline = suppress(headline_counts, total_row="All pupils", percents={"% of pupils": "Pupils"})
    headline.loc["All pupils", "% of pupils"] = ""
    headline[f"England, all schools ({int(national['january'])})"] = [
        f"{national['sen_support_pct']:.1f}%",
        f"{national['ehc_plan_pct']:.1f}%",
        f"{100 - national['sen_pct']:.1f}%",
        "",
    ]

    need_areas, need_note = _need_areas_section(pupils, headline)

    progress_table, progress_lines = _progress_section(trust, school, as_of, progress)
    duties_table, duty_lines = _duties_section(trust, school, as_of, duties)
    forecast_table, forecast_lines = _forecast_section(forecast, school)
    provision, interventions, provision_lines = _provision_section(trust, school, as_of, impact)
    assessments, assessment_lines = _assessments_section(trust, school, as_of, timeline)
    trend, trend_lines = _trend_section(trust, school)
    # the duties first: what the committee is there to hold the school to
    narrative = (
        duty_lines
        + _narrative(school, headline, national, need_areas)
        + trend_lines
        + progress_lines
        + assessment_lines
        + provision_lines
        + forecast_lines
    )
    return CommitteePage(
        school,
        as_of,
        headline,
        need_areas,
        progress_table,
        duties_table,
        forecast_table,
        narrative,
        need_note=need_note,
        trend=trend,
        charts=_charts(need_areas, trend),
        provision=provision,
        interventions=interventions,
        assessments=assessments,
        as_of_warning=trust.as_of_warning if as_of == trust.as_of else "",
        export_warning=export_warning(trust),
        forecast_note=_forecast_note(trust, school, forecast, forecast_table),
    )


def _forecast_note(trust, school, forecast, table) -> str:
    """Why the page has no forecast, when it has none to show: "" when it has one, or when none
    was asked for (``forecast`` None for a history that could give one)."""
    if len(table):
        return ""
    if not _forecastable(trust):
        return "No forecast: it needs two January censuses in a row in the export's census history file."
    if forecast is not None:
        return f"No forecast for {school}: it is not among the schools the forecast covers."
    return ""


def export_warning(trust) -> str:
    """For the committee: how many problems the export had, and that the figures leave out their
    rows; "" when none. A count only: the problems name pupils."""
    n = len(trust.problems)
    if not n:
        return ""
    rows, read = trust.rows_left_out, {f.strip() for files in trust.files.values() for f in files.split(", ")}
    unread = sorted({f for f in trust.problems["file"].astype(str) if file_of(f) not in read})
    parts = []
    if rows:
        rows_are = f"{rows} rows of the trust's export are" if rows != 1 else "1 row of the trust's export is"
        parts.append(f"{rows_are} left out of these figures")
    parts += [f"{file} could not be read" for file in unread]
    said = ": " + listed(parts) if parts else ", none of which leaves anything out of these figures"
    return (
        f"The trust's export had {n} problem{'s' if n != 1 else ''} (found by sendlib's checks of its files){said}. "
        "The trust's data lead can list them."
    )


def _need_areas_section(pupils: pd.DataFrame, headline: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """Pupils with SEND by broad area of need: SEN support and EHC plans apart, with shares and
    England's beside; where that would be mostly hidden (a small school), the two together;
    where even that cannot be shown safely, a sentence: the two together's total (pupils with
    SEND) must already be known from the headline, both counts shown or both hidden with the
    pupils with no SEN shown (the roll less them), else it would reveal a hidden count. The
    totals row is the headline's counts: never hidden here to protect another cell
    (:func:`sendlib.privacy.suppression_mask`)."""
    shown = {p: headline.at[PROVISION_WORDS[p].label, "Pupils"][0].isdigit() for p in ("K", "E", "N")}
    roll_shown = headline.at["All pupils", "Pupils"][0].isdigit()
    both_hidden = not shown["K"] and not shown["E"]
    send_known = (shown["K"] and shown["E"]) or (both_hidden and shown["N"] and roll_shown)
    elsewhere = {("All areas", PROVISION_WORDS[p].label): shown[p] for p in ("K", "E")}
    send = pupils[pupils["sen_provision"].isin(["K", "E"])]
    by_area = pd.crosstab(send["need_area"], send["sen_provision"]).reindex(
        index=list(BROAD_AREAS), columns=["K", "E"], fill_value=0
    )
    by_area["Total"] = by_area.sum(axis=1)
    by_area.loc["All areas"] = by_area.sum()
    shares = {p: 100 * by_area.loc[list(BROAD_AREAS), p] / max(by_area.loc["All areas", p], 1) for p in ("K", "E")}
    table = by_area.rename(columns={p: PROVISION_WORDS[p].label for p in ("K", "E")})
    share_of = {p: f"% of {PROVISION_WORDS[p].plural}" for p in ("K", "E")}
    for p in ("K", "E"):
        table[share_of[p]] = shares[p].reindex(table.index)
    need_areas = suppress(
        table,
        total_column="Total",
        total_row="All areas",
        percents={share_of[p]: PROVISION_WORDS[p].label for p in ("K", "E")},
        elsewhere=elsewhere,  # the headline's counts
    )
    cells = need_areas.loc[list(BROAD_AREAS), [PROVISION_WORDS["K"].label, PROVISION_WORDS["E"].label, "Total"]]
    if cells.isin([SMALL, HIDDEN]).to_numpy().sum() * 2 > cells.ne("0").to_numpy().sum():
        if not send_known:
            return pd.DataFrame(), (
                "Too few pupils here have SEN support or an EHC plan to show them by area of need without "
                "risk of identifying them."
            )
        counts = by_area[["Total"]].rename(columns={"Total": "Pupils with SEND"})
        counts["% of pupils with SEND"] = 100 * counts["Pupils with SEND"] / max(by_area.at["All areas", "Total"], 1)
        together = suppress(
            counts,
            total_row="All areas",
            percents={"% of pupils with SEND": "Pupils with SEND"},
            elsewhere={("All areas", "Pupils with SEND"): True},  # known from the headline (send_known)
        )
        together.loc["All areas", "% of pupils with SEND"] = ""
        england = _national_send_shares().map("{:.1f}%".format).reindex(together.index).fillna("")
        together[f"England (need mix {_need_mix_year()}): % of pupils with SEND"] = england
        together.index.name = "Broad area of need"
        together.columns.name = None
        return together, (
            "SEN support and EHC plans are counted together here: apart, most of the counts would be too small to show."
        )
    for p in ("K", "E"):
        england = _national_area_shares(p).map("{:.1f}%".format).reindex(table.index).fillna("")
        need_areas[f"England (need mix {_need_mix_year()}): {share_of[p]}"] = england
    need_areas.index.name = "Broad area of need"
    need_areas.columns.name = None
    return need_areas, ""


def _shown_totals(need_areas: pd.DataFrame) -> pd.Series:
    """Each area's pupils with SEND as the need-area table shows them (its ``Total``, or a small
    school's ``Pupils with SEND``), by area and ``All areas``: NaN where hidden, empty without
    a table."""
    if need_areas.empty:
        return pd.Series(dtype=float)
    column = "Total" if "Total" in need_areas else "Pupils with SEND"
    return pd.to_numeric(need_areas[column].str.replace(",", ""), errors="coerce")


def _trend_section(trust: TrustData, school: str) -> tuple[pd.DataFrame, list[str]]:
    """Each January census's share of pupils on SEN support and with EHC plans, here and in
    England (a share only where neither its count nor the rest of the roll is from 1 to 5;
    no count), and a sentence with the change since the January before."""
    history = trust.sen_history
    if history is None:
        return pd.DataFrame(), []
    from .forecast import census_counts

    counts = census_counts(history, school)
    if counts.empty:
        return pd.DataFrame(), []
    roll = counts.pop("all")
    national = reference_table("census_national").set_index("january")
    trend = pd.DataFrame({"january": counts.index.astype(int)})
    # a share only where no group that year is small: two shares to 0.1% can give away a small
    # school's roll, and with it the third group's count
    safe = [not is_disclosive(row) for row in counts.itertuples(index=False)]
    for code, column in (("K", "sen_support_pct"), ("E", "ehc_plan_pct")):
        label = PROVISION_WORDS[code].label
        trend[label] = [100 * c / r if ok else float("nan") for c, r, ok in zip(counts[code], roll, safe)]
        trend[f"England: {label}"] = national[column].reindex(counts.index).to_numpy()
    lines = []
    if len(trend) >= 2:
        before, now = trend.iloc[-2], trend.iloc[-1]
        moves = []
        for label in (PROVISION_WORDS["K"].label, PROVISION_WORDS["E"].label):
            if pd.isna(before[label]) or pd.isna(now[label]):
                continue
            change = round(now[label], 1) - round(before[label], 1)
            arrow = "↑ up" if change > 0.05 else "↓ down" if change < -0.05 else "→ no change"
            moves.append(
                f"{label} {arrow}"
                + (f" {abs(change):.1f} points" if abs(change) > 0.05 else "")
                + f", {before[label]:.1f}% to {now[label]:.1f}% of pupils"
            )
        if moves:
            lines.append(
                f"From January {int(before['january'])} to January {int(now['january'])}: " + "; ".join(moves) + "."
            )
    return trend, lines


def _charts(need_areas: pd.DataFrame, trend: pd.DataFrame) -> list[tuple[str, str]]:
    """The page's two charts for a projector, drawn from what the tables show (a share here only
    where its count and the total are shown): need mix against England, and the census trend."""
    from .plotting import census_trend_words, need_mix_words, plot_census_trend, plot_need_mix
    from .render import figure_png, new_figure, png_uri

    charts = []
    shown = _shown_totals(need_areas)
    whole = shown.get("All areas", float("nan"))
    if whole > 0:
        areas = [a for a in BROAD_AREAS if a in shown.index]
        shares = pd.DataFrame(
            {"here": 100 * shown.reindex(areas) / whole, "england": _national_send_shares().reindex(areas)}
        )
        fig, ax = new_figure(7.5, 3.4)
        plot_need_mix(shares, ax)
        ax.set_title("Pupils with SEND by broad area of need: here and in England", fontsize=10)
        charts.append((png_uri(figure_png(fig)), need_mix_words(shares)))
    if len(trend) >= 2 and trend[[PROVISION_WORDS[p].label for p in ("K", "E")]].notna().any().any():
        fig, ax = new_figure(7.5, 3.4)
        plot_census_trend(trend, ax)
        ax.set_title("Pupils on SEN support and with EHC plans, each January census", fontsize=10)
        charts.append((png_uri(figure_png(fig)), census_trend_words(trend)))
    return charts


def _share_text(part: float, whole: int, empty: str = "not shown") -> str:
    """A share that reveals no small count: not the whole, the part, nor the rest (``empty``
    when the whole is 0)."""
    if pd.isna(part):
        return "not shown"
    if whole == 0:
        return empty
    part = round(part)
    return "not shown" if is_disclosive((whole, part, whole - part)) else f"{100 * part / whole:.0f}%"


def _progress_section(trust, school, as_of, progress):
    if trust.assessments is None:
        unread = "assessments" in tables_named(trust.problems["file"])
        return pd.DataFrame(), [
            "The assessments file could not be read, so progress is not shown."
            if unread
            else "No assessment scores were in the export, so progress is not shown."
        ]
    progress = assess_progress(trust, as_of) if progress is None else progress
    groups = progress_by_group(trust, progress, school=school)
    groups = groups[groups["grouping"] == "SEN provision"]
    send = (PROVISION_WORDS["K"].label, PROVISION_WORDS["E"].label)
    # the page gives each group's roll: a number judged must not reveal a small remainder
    on_roll = trust.pupils.loc[trust.pupils["school"] == school, "sen_provision"].value_counts()
    roll = {words.label: int(on_roll.get(code, 0)) for code, words in PROVISION_WORDS.items()}
    rows, lines = [], []
    for subject, by_subject in groups.groupby("subject", observed=True, sort=False):
        compared = []
        for record in by_subject.itertuples(index=False):
            small = record.n_pupils <= SMALL_COUNT_MAX
            against = ""
            if record.group in send and not small and pd.notna(record.difference):
                against = (
                    f"{_signed(record.difference)} ({_signed(record.difference_low)} to "
                    f"{_signed(record.difference_high)})"
                )
                words = next(w for w in PROVISION_WORDS.values() if w.label == record.group)
                compared.append(
                    f"{words.pupils} "
                    + difference_words(
                        record.difference, record.difference_low, record.difference_high, record.compared_with
                    )
                )
            rows.append(
                {
                    "Subject": str(subject).capitalize(),
                    "Pupils": record.group,
                    "Number with enough scores": "not shown"
                    if is_disclosive((record.n_pupils, roll.get(record.group, 0) - record.n_pupils))
                    else _count_text(record.n_pupils),
                    "Average progress (points)": "not shown" if small else _signed(record.mean_progress),
                    "95% confidence interval": "not shown"
                    if small
                    else f"{_signed(record.ci_low)} to {_signed(record.ci_high)}",
                    "Against pupils with no SEN (95% interval)": against,
                    "Progress slower than expected": _share_text(
                        record.share_slower_progress * record.n_pupils, record.n_pupils
                    ),
                    "Attainment gap not closing": _share_text(
                        record.share_gap_not_closing * record.n_pupils, record.n_pupils
                    ),
                }
            )
        if compared:
            lines.append(f"{str(subject).capitalize()}: " + "; ".join(compared) + ".")
    if lines:
        lines.insert(
            0,
            "Progress is measured against pupils across the trust who started at the same level, so the "
            "trust's average is zero in each subject and year group.",
        )
    return pd.DataFrame(rows), lines


def _required_by(duty: str) -> str:
    """The law a duty comes from (its first source), or the trust's policy."""
    declared = DUTY_REGISTRY[duty]
    return f"law: {declared.source.split(';')[0]}" if declared.statutory else "trust policy"


def _duties_section(trust, school, as_of, duties):
    duties = statutory_duties(trust, as_of) if duties is None else duties
    summary = duties_summary(trust, as_of, duties=duties)
    summary = summary[(summary["school"] == school) & (summary["instances"] > 0)]

    def rate(met, judged) -> str:
        return _share_text(met, judged, empty="none in this period")

    rows, lines = [], []
    for record in summary.itertuples(index=False):
        rows.append(
            {
                "Duty": record.label,
                "Required by": _required_by(record.duty),
                "Deadlines passed or met, last 12 months": _count_text(record.judged_12_months),
                "Met on time, last 12 months": rate(record.met_12_months, record.judged_12_months),
                "Met on time, this school year": rate(record.met_this_year, record.judged_this_year),
                "Overdue now": _count_text(record.overdue_now),
                "Due in the next 30 days": _count_text(record.due_next_30_days),
            }
        )
    statutory = summary[summary["basis"] == "statutory"]
    judged, met = statutory["judged_12_months"].sum(), statutory["met_12_months"].sum()
    if judged > SMALL_COUNT_MAX:
        overdue = statutory["overdue_now"]
        # a total beside a hidden cell would reveal it: the total only when no cell is hidden
        now = (
            "see the table for what is overdue now"
            if is_disclosive(overdue)
            else (f"{_count_text(overdue.sum())} are overdue now")
        )
        share = rate(met, judged)
        on_time = (
            f"{share} of deadlines in the last 12 months were met on time"
            if share.endswith("%")
            else "how many deadlines in the last 12 months were met on time is not shown, to protect the pupils"
        )
        lines.append(f"Statutory duties: {on_time}; {now}.")
    return pd.DataFrame(rows), lines


def _assessments_section(trust, school, as_of, timeline):
    """EHC needs assessments for this school's pupils in the last 12 months beside England's
    share of plans issued within 20 weeks: counts suppressed, a rate only when neither its part
    nor the rest is small. No trust row: beside this school's, it would give away the rest of
    the trust's (and, over every school's page, a school's hidden count). Nothing when the
    export records no request or plan here."""
    summary = ehc_summary(trust, as_of, by="school", period="12 months", timeline=timeline)
    found = summary[summary["group"] == school]
    if found.empty:
        return pd.DataFrame(), []
    r = found.iloc[0]
    national = national_timeliness()
    england = f"England {national.iloc[-1]:.0f}% in {int(national.index[-1])}"
    within = _share_text(r["issued_within_20_weeks"], r["plans_timed"], empty="no plan to time")
    row = {
        "Requests for an assessment": _count_text(r["requests"]),
        "Decided within 6 weeks": _share_text(r["decided_within_6_weeks"], r["decisions"], empty="none decided"),
        "Final plans issued": _count_text(r["plans_issued"]),
        "Issued within 20 weeks of the request": within,
        "Mediations": _count_text(r["mediations"]),
        "Tribunal appeals": _count_text(r["tribunal_appeals"]),
    }
    frame = pd.DataFrame(
        [row, {"Issued within 20 weeks of the request": f"{national.iloc[-1]:.0f}%"}],
        index=["This school", f"England ({int(national.index[-1])})"],
    ).fillna("")
    if within.endswith("%"):
        timely = f"{within} of final plans were issued within 20 weeks of the request ({england})"
    elif r["plans_timed"] == 0:
        timely = f"no final plan with its request on record to time against 20 weeks ({england})"
    else:  # the part or the rest is from 1 to 5
        timely = f"how many final plans came within 20 weeks is not shown, to protect the pupils ({england})"
    requests = "no requests" if r["requests"] == 0 else f"{_count_text(r['requests'])} requests"
    return frame, [f"EHC needs assessments for pupils here in the last 12 months: {requests}; {timely}."]


def _forecast_section(forecast, school):
    if forecast is None:
        return pd.DataFrame(), []
    mine = forecast[(forecast["school"] == school) & forecast["sen_provision"].isin(["K", "E"])]
    rows, lines = [], []
    for record in mine.itertuples(index=False):
        label = PROVISION_WORDS[record.sen_provision].label
        small = record.count < SMALL_COUNT_MAX + 0.5
        rows.append(
            {
                "January": int(record.year),
                "Pupils": label,
                "Expected": SMALL if small else f"{record.count:.0f}",
                "Likely range (80%)": "not shown" if small else f"{record.lower_80:.0f} to {record.upper_80:.0f}",
            }
        )
    table = pd.DataFrame(rows)
    if len(table):
        first = table[table["January"] == table["January"].min()]
        parts = [
            f"{r['Pupils']}: {r['Expected']}"
            if r["Expected"] == SMALL
            else f"{r['Pupils']}: about {r['Expected']} ({r['Likely range (80%)']})"
            for _, r in first.iterrows()
        ]
        lines.append(f"Forecast for January {int(first['January'].iloc[0])}: " + "; ".join(parts) + ".")
    return table, lines


def _provision_section(trust, school, as_of, impact):
    """Provision in the last 12 months by broad area (pupils, spend), the interventions used
    here with what the trust's data say of them, and the narrative. The pupil counts are
    suppressed as every count here (a second cell hidden where the total would reveal a small
    one); spend is shown only beside a shown count, and the total's spend only when no area's
    is hidden; the narrative quotes the suppressed table, and the interventions carry no count."""
    from .provision import (
        NOTIONAL_SEN_THRESHOLD,
        VERDICT_WORDS,
        intervention_key,
        provision_costs,
        provision_impact,
        provision_map,
    )

    if trust.provisions is None:
        return pd.DataFrame(), pd.DataFrame(), ["No provision map was supplied (provisions.csv)."]
    table = provision_map(trust, school, as_of)
    table = table[table["last_12_months"]]
    if table.empty:
        return pd.DataFrame(), pd.DataFrame(), ["No provision recorded in the last 12 months."]
    table = table.assign(area=table["area"].fillna("Area not recorded"), key=intervention_key(table["intervention"]))
    groups = [*table.groupby("area", sort=True), ("All areas", table)]
    counts = pd.DataFrame({"Pupils": [g["upn"].nunique() for _, g in groups]}, index=[area for area, _ in groups])
    by_area = suppress(counts, total_row="All areas", overlapping=True)  # a pupil may have support in two areas
    shown = by_area["Pupils"].str.fullmatch(r"[\d,]+")
    spend = [
        "not known" if pd.isna(total) else f"£{total:,.0f}"
        for total in (g["cost_last_12_months"].sum(min_count=1) for _, g in groups)
    ]
    by_area["Spend, last 12 months"] = [text if ok else "not shown" for text, ok in zip(spend, shown)]
    if not shown.iloc[:-1].all():  # the total less the shown areas would be the hidden ones' spend
        by_area.loc["All areas", "Spend, last 12 months"] = "not shown"
    by_area = by_area.rename_axis("Broad area of need").reset_index()
    if impact is None:
        impact = (
            provision_impact(trust, as_of)
            if trust.assessments is not None
            else pd.DataFrame(columns=["intervention", "verdict", "effect"])
        )
    verdicts = dict(zip(intervention_key(impact["intervention"]), zip(impact["verdict"], impact["effect"])))
    used = []
    for key, group in table.groupby("key", sort=True):
        verdict, effect = verdicts.get(key, ("not_enough_evidence", float("nan")))
        used.append(
            {
                "Intervention used here": group["intervention"].mode().iloc[0],
                "Broad area of need": group["area"].mode().iloc[0],
                "What it has done across the trust": VERDICT_WORDS[verdict]
                + ("" if verdict == "not_enough_evidence" else f" ({_signed(effect)} points)"),
            }
        )
    interventions = pd.DataFrame(used)
    over = int(provision_costs(trust, school, as_of)["over_threshold"].sum())
    pupils, spend_total = by_area.iloc[-1]["Pupils"], by_area.iloc[-1]["Spend, last 12 months"]
    counted = {
        v: sum(verdicts.get(k, ("not_enough_evidence",))[0] == v for k in table["key"].unique()) for v in VERDICT_WORDS
    }
    threshold = f"the £{NOTIONAL_SEN_THRESHOLD:,} a year notional SEN threshold"
    lines = [
        f"Additional provision: {pupils} pupils received interventions in the last 12 months"
        + (f", costing {spend_total} where costs are recorded" if spend_total.startswith("£") else "")
        + (
            f"; {_count_text(over)} have support above {threshold}."
            if over
            else f"; none has support above {threshold}."
        ),
        f"Of the {len(interventions)} interventions used here, measured across the trust: {counted['effective']} "
        f"effective, {counted['no_reliable_effect']} with no reliable effect, {counted['harmful']} where pupils fell "
        f"behind, {counted['not_enough_evidence']} without enough evidence yet.",
    ]
    return by_area, interventions, lines


def _narrative(school, headline, national, need_areas):
    """The opening sentences, from the suppressed tables' text: a count or a share here is one
    the tables show."""

    def part(code, what, england):
        """ "42 on SEN support (13.2% of pupils; England 14.2%)", or what of it can be said."""
        count, share = headline.loc[PROVISION_WORDS[code].label, ["Pupils", "% of pupils"]]
        if count == HIDDEN:
            return f"the number {what} is not shown, to protect a small count (England {england:.1f}%)"
        shown = f"{share} of pupils; " if share.endswith("%") else ""
        return f"{count} {what} ({shown}England {england:.1f}%)"

    everyone = headline.at["All pupils", "Pupils"]
    pupils = "an undisclosed number of pupils" if everyone == HIDDEN else f"{everyone} pupils"
    lines = [
        f"{school} has {pupils}: {part('K', 'on SEN support', national['sen_support_pct'])} and "
        f"{part('E', 'with an EHC plan', national['ehc_plan_pct'])}."
    ]
    if need_areas.empty:
        return lines
    shown = _shown_totals(need_areas)
    areas, total = shown.reindex(list(BROAD_AREAS)), shown.get("All areas")
    if pd.notna(total) and total > SMALL_COUNT_MAX and areas.max() > SMALL_COUNT_MAX:
        top = areas.idxmax()  # the largest shown; a hidden area's total is smaller than a shown one's
        england = _national_send_shares()
        lines.append(
            f"The largest broad area of need is {top.lower()}: {100 * areas[top] / total:.0f}% of pupils "
            f"with SEND here, {england[top]:.0f}% in England."
        )
    return lines


def committee_forecast(trust: TrustData, n_simulations: int = 200) -> pd.DataFrame | None:
    """Next two Januaries by school and provision, for the committee page (None without the censuses
    of two Januaries in a row)."""
    from .forecast import NeedForecaster

    if not _forecastable(trust):
        return None
    model = NeedForecaster(n_simulations=n_simulations, random_state=0).fit(trust)
    return model.predict(2, by=["school", "sen_provision"])


def _forecastable(trust: TrustData) -> bool:
    """Whether the census history has two Januaries in a row, which a forecast needs."""
    from .forecast import years_of_moves

    return trust.sen_history is not None and bool(years_of_moves(trust.sen_history["census_date"].dt.year.unique()))


def committee_pages(trust: TrustData) -> dict[str, CommitteePage | SendlibError]:
    """Every school's page (or the error that stopped it), sharing one progress assessment,
    one forecast and one set of duties."""
    progress = assess_progress(trust) if trust.assessments is not None else None
    forecast = committee_forecast(trust)
    duties = statutory_duties(trust)
    timeline = ehc_timeline(trust, duties=duties)
    impact = None
    if trust.provisions is not None and trust.assessments is not None:
        from .provision import provision_impact

        impact = provision_impact(trust)
    pages: dict[str, CommitteePage | SendlibError] = {}
    for school in trust.schools:
        try:
            pages[school] = committee_page(
                trust, school, progress=progress, forecast=forecast, duties=duties, impact=impact, timeline=timeline
            )
        except SendlibError as error:
            pages[school] = error
    return pages


def cached_committee_pages(data_dir: str | Path = "") -> dict[str, CommitteePage | SendlibError]:
    """:func:`committee_pages` for the export in ``data_dir`` ("" for the bundled sample), made
    once per export, sendlib code and day, then read from the cache folder.

    When fifteen governors open the committee dashboard at once, the first kernel makes the
    pages while the others wait on a lock, then all read the same file. Only these suppressed
    aggregates are cached: never a pupil's row."""
    import fcntl
    import json
    import pickle

    from . import __version__
    from ._paths import DATA_ENV, SAMPLE_DIR, cache_folder, code_digest, code_files

    data_dir = str(data_dir or os.environ.get(DATA_ENV, ""))
    folder = Path(data_dir).resolve() if data_dir else SAMPLE_DIR
    # the server asks at every visit: while no file of the export or of sendlib has changed (by
    # size and modification time) on the same day, the pages read last are the pages
    files = [*code_files(), *(export_files(folder) if folder.is_dir() else [])]
    glance = (str(folder), dt.date.today(), *((str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files))
    seen = _PAGES.get("glance")
    if seen is not None and seen[0] == glance:
        return seen[1]
    key = hashlib.sha256(
        json.dumps(
            [__version__, code_digest(), str(folder), input_hashes(folder), dt.date.today().isoformat()]
        ).encode()
    ).hexdigest()[:32]
    cache = cache_folder()
    try:
        cache.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock = open(cache / f"committee-{key}.lock", "w")  # noqa: SIM115 - closed by the with below
    except OSError:  # no writable cache: make the pages here
        return committee_pages(load(data_dir))
    target = cache / f"committee-{key}.pickle"
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if target.exists():
            with open(target, "rb") as handle:
                pages = pickle.load(handle)
        else:
            pages = committee_pages(load(data_dir))
            partial = target.with_suffix(f".{os.getpid()}.tmp")
            with open(partial, "wb") as handle:
                pickle.dump(pages, handle)
            os.replace(partial, target)
    _PAGES["glance"] = (glance, pages)  # one assignment: a visitor in another thread reads one or the other
    return pages


_PAGES: dict[str, tuple] = {}  # this process's latest committee pages, with the files' sizes and times
