"""Plots on a matplotlib ``ax``: each takes tidy frames from the compute functions.

Colours follow the Okabe-Ito palette, which reads for colour-blind viewers too.
"""

from __future__ import annotations

import matplotlib.dates as mdates
import matplotlib.pyplot as plt
import pandas as pd

from .duties import REGISTRY
from .ehc import AS_STAGE, LA_MILESTONES

STATUS_COLOURS = {
    "met": "#009E73",
    "late": "#E69F00",
    "due": "#0072B2",
    "overdue": "#D55E00",
    "missed": "#666666",
    "too_early": "#CC79A7",
}
# ...and a shape each, so that no status is told by its colour alone (late and overdue, orange and
# vermillion, look alike to many colour-blind readers): done on time a circle, late a square,
# asked too early a diamond; still due a triangle and overdue a cross at the end of the bar, missed
# a small cross at its deadline
STATUS_MARKERS = {"met": "o", "late": "s", "due": "^", "overdue": "X", "missed": "x", "too_early": "D"}


def _axes(ax, size=(9, 4)):
    if ax is None:
        _, ax = plt.subplots(figsize=size, layout="constrained")
    return ax


def plot_ehc_timeline(events: pd.DataFrame, duties: pd.DataFrame, as_of, ax=None):
    """A pupil's EHC events and the deadlines they start, one row per duty or LA milestone.

    Parameters
    ----------
    events : DataFrame
        The pupil's rows of ``trust.ehc_events`` (``event, date``).
    duties : DataFrame
        The pupil's rows of :func:`sendlib.ehc_timeline` (the LA's milestones and the
        school's duties), or of :func:`sendlib.duties.statutory_duties`.
    as_of : date
        Drawn as "today".
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax)
    if "stage" not in duties:
        duties = duties.rename(columns=AS_STAGE)
        duties = duties.assign(label=duties["stage"].map(lambda stage: REGISTRY[stage].label))
    duties = duties[duties["due"].notna()]  # (events with no deadline are marked on the events row)
    order = [*LA_MILESTONES, *REGISTRY]
    shown = sorted(set(duties["stage"]), key=order.index)
    rows = {stage: i for i, stage in enumerate(reversed(shown), start=1)}
    labels = dict(zip(duties["stage"], duties["label"]))
    for duty in duties.itertuples(index=False):
        y = rows[duty.stage]
        colour = STATUS_COLOURS[duty.status]
        start = min(duty.started, duty.due)
        if pd.notna(duty.done):
            end = duty.done
        else:  # an open duty runs on to today; a missed one stopped at its deadline
            end = duty.due if duty.status == "missed" else max(duty.due, pd.Timestamp(as_of))
        ax.plot([start, max(end, duty.due)], [y, y], color=colour, alpha=0.35, linewidth=6, solid_capstyle="butt")
        ax.plot([duty.due], [y], marker="|", color="black", markersize=14)
        ax.plot([end], [y], marker=STATUS_MARKERS[duty.status], color=colour, markersize=8, linestyle="none")
    for event in events.itertuples(index=False):
        ax.plot([event.date], [0], marker="v", color="#555555", markersize=6)
    ax.axvline(pd.Timestamp(as_of), color="black", linestyle="--", linewidth=1)
    ax.text(pd.Timestamp(as_of), len(rows) + 0.6, " today", va="center", fontsize=9)
    ax.set_yticks([0, *rows.values()], ["events", *(labels[stage] for stage in rows)])
    ax.set_ylim(-0.6, len(rows) + 0.9)
    _date_axis(ax)
    handles = [
        plt.Line2D([], [], color=c, marker=STATUS_MARKERS[s], linestyle="", label=s.replace("_", " "))
        for s, c in STATUS_COLOURS.items()
        if s in set(duties["status"])
    ]
    handles.append(plt.Line2D([], [], color="black", marker="|", linestyle="", markersize=12, label="deadline"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False)
    ax.set_title("EHC needs assessment and plan: events and deadlines")
    ax.grid(axis="x", alpha=0.3)
    return ax


def _date_axis(ax):
    """Concise date ticks, 3 to 8 of them (the default of at least 5 leaves 4-year spans without a fit)."""
    locator = mdates.AutoDateLocator(minticks=3, maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


# a 6.2 x 3.3 inch progress band: its title, score axis, dates and four-line legend below
PROGRESS_BAND_MARGINS = {"left": 0.1, "right": 0.97, "top": 0.9, "bottom": 0.4}


def plot_progress_band(band: pd.DataFrame, subject: str = "", ax=None):
    """A pupil's scores over time against the band of their same-baseline peers.

    Parameters
    ----------
    band : DataFrame
        The output of :func:`sendlib.progress.pupil_progress_band`.
    subject : str
        Used in the title.

    Returns
    -------
    matplotlib Axes
    """
    from .progress import SAME_BASELINE_POINTS

    ax = _axes(ax, size=(7.5, 4.2))
    if band.empty:
        ax.text(0.5, 0.5, "No scores yet", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    dates = pd.to_datetime(band["assessment_date"])
    ax.fill_between(
        dates,
        band["peers_low"],
        band["peers_high"],
        color="#56B4E9",
        alpha=0.25,
        label=f"middle 80% of the scores of pupils whose first score was within {SAME_BASELINE_POINTS} points",
    )
    ax.plot(dates, band["peers_mean"], color="#0072B2", linewidth=1.5, label="those pupils' average")
    ax.plot(dates, band["cohort_mean"], color="#999999", linestyle="--", linewidth=1.2, label="year group average")
    ax.plot(dates, band["score"], color="#D55E00", marker="o", linewidth=2, label="this pupil")
    ax.set_ylabel("standardised score" if band["score"].max() > 60 else "score")
    _date_axis(ax)
    ax.set_title(
        f"{subject.capitalize()}: scores against pupils who started at the same level".strip(": "), fontsize=11
    )
    # below the dates and their year (the offset under the last tick)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=1, frameon=False, fontsize=9)
    ax.grid(alpha=0.3)
    return ax


def plot_forecast(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    ax=None,
    label: str = "count",
    start=None,
    name: str = "forecast",
    baseline: pd.DataFrame | None = None,
    baseline_name: str = "forecast with no change",
):
    """History, forecast and its 80% and 95% intervals on one ``ax``.

    Parameters
    ----------
    history : DataFrame
        ``year, count``.
    forecast : DataFrame
        ``year, count, lower_80, upper_80, lower_95, upper_95`` (e.g. ``TrendForecaster.predict``
        or ``NeedForecaster.predict(by=...)`` for one series).
    label : str
        What is counted, for the axis.
    start : (float, int), optional
        Where the forecast starts when it is not the last recorded year: a point in time (a
        year and its fraction, e.g. 2026.85 for November 2026) and the count then, drawn as
        "now (pupils file)".
    name : str
        The forecast's name in the legend (a scenario's, beside a ``baseline``).
    baseline : DataFrame, optional
        The forecast without the scenario (``year, count``), drawn as a grey line beside it
        and named ``baseline_name``; the ranges shaded are the forecast's.

    Returns
    -------
    matplotlib Axes
    """
    ax = _axes(ax, size=(7.5, 4))
    if start is None and len(history):
        start = (history["year"].iloc[-1], history["count"].iloc[-1])
    first = [start] if start is not None else []  # the forecast joins the last figure known
    years = [x for x, _ in first] + list(forecast["year"])
    joined = lambda column: [count for _, count in first] + list(forecast[column])
    ax.fill_between(years, joined("lower_95"), joined("upper_95"), color="#56B4E9", alpha=0.2, label="95% interval")
    ax.fill_between(years, joined("lower_80"), joined("upper_80"), color="#56B4E9", alpha=0.4, label="80% interval")
    if len(history):
        ax.plot(history["year"], history["count"], color="black", marker="o", label="recorded")
    if baseline is not None:
        ax.plot(
            [x for x, _ in first] + list(baseline["year"]),
            [count for _, count in first] + list(baseline["count"]),
            color="#666666",
            marker="s",
            linestyle=":",
            label=_lower_first(baseline_name),
        )
    ax.plot(years, joined("count"), color="#0072B2", marker="o", linestyle="--", label=_lower_first(name))
    if first and (not len(history) or start[0] != history["year"].iloc[-1]):
        ax.plot(*zip(*first), color="#D55E00", marker="D", linestyle="none", label="now (pupils file)")
    ax.set_xlabel("January")
    ax.set_ylabel(label)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.yaxis.get_major_locator().set_params(integer=True)  # whole pupils
    ax.yaxis.set_major_formatter("{x:,.0f}")  # 25,000 (England's and an LA's plans), not 25000
    ax.set_ylim(bottom=0)  # from zero: a small school's change is not drawn as a cliff
    ax.legend(loc="best", frameon=True, framealpha=0.9, fontsize=9)
    ax.grid(alpha=0.3)
    return ax


def plot_need_mix(shares: pd.DataFrame, ax=None):
    """Pupils with SEND by broad area of need, here and in England, as horizontal bars.

    ``shares``: indexed by area, columns ``here`` and ``england`` (% of pupils with SEND; ``here``
    NaN where it is not shown, drawn as no bar and said on the axis)."""
    ax = _axes(ax, size=(7.5, 3.6))
    rows = list(range(len(shares)))[::-1]
    ax.barh([r + 0.2 for r in rows], shares["here"].fillna(0), height=0.38, color="#0072B2", label="Here")
    ax.barh([r - 0.2 for r in rows], shares["england"], height=0.38, color="#BBBBBB", hatch="//", label="England")
    for r, value in zip(rows, shares["here"]):
        ax.annotate(
            "not shown" if pd.isna(value) else f"{value:.0f}%",
            (0 if pd.isna(value) else value, r + 0.2),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=10,
        )
    ax.set_yticks(rows, [str(area) for area in shares.index], fontsize=10)
    ax.set_xlabel("% of pupils with SEND")
    ax.set_xlim(0, max(shares[["here", "england"]].max().max() * 1.25, 10))
    ax.legend(loc="lower right", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return ax


def plot_census_trend(trend: pd.DataFrame, ax=None):
    """Each January's share of pupils on SEN support and with EHC plans, here (solid, with
    markers) and in England (dashed). ``trend``: ``january`` and the % columns ``SEN support``,
    ``EHC plan``, ``England: SEN support``, ``England: EHC plan`` (NaN where not shown)."""
    ax = _axes(ax, size=(7.5, 3.6))
    for group, colour, marker in (("SEN support", "#0072B2", "o"), ("EHC plan", "#D55E00", "s")):
        ax.plot(trend["january"], trend[group], color=colour, marker=marker, label=f"{group} here")
        ax.plot(trend["january"], trend[f"England: {group}"], color=colour, linestyle="--", label=f"{group}, England")
    ax.set_xlabel("January census")
    ax.set_ylabel("% of pupils")
    ax.set_ylim(bottom=0)
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend(loc="best", fontsize=9, ncols=2)
    ax.grid(alpha=0.3)
    return ax


def _lower_first(name: str) -> str:
    """A forecast's name inside a legend or a sentence: "Forecast with no change", "forecast with no change"."""
    return name[:1].lower() + name[1:]


# --- each chart in words: its alt text on a page, and what a screen reader says ---------------
def progress_band_words(subject: str, band: pd.DataFrame) -> str:
    """:func:`plot_progress_band` in a sentence."""
    scored = band.dropna(subset=["score"])
    if scored.empty:
        return f"{subject.capitalize()}: no scores of this pupil yet."
    first, last = scored.iloc[0], scored.iloc[-1]
    peers = (
        f", against {last['peers_mean']:.0f} for pupils who started at the same level"
        if pd.notna(last["peers_mean"])
        else ""
    )
    return (
        f"{subject.capitalize()}: this pupil's scores from {first['assessment_date']:%B %Y} to "
        f"{last['assessment_date']:%B %Y} against the middle 80% of pupils who started at the same level; "
        f"the latest score {last['score']:.0f}{peers}."
    )


def ehc_timeline_words(events: pd.DataFrame, stages: pd.DataFrame) -> str:
    """:func:`plot_ehc_timeline` in a sentence (``stages``: the pupil's rows of ``ehc_timeline``)."""
    deadlines = stages[stages["due"].notna()]
    counts = deadlines["status"].str.replace("_", " ").value_counts()
    statuses = ", ".join(f"{n} {status}" for status, n in counts.items())
    dates = pd.concat([events["date"], stages["started"], stages["due"]]).dropna()
    span = f" from {dates.min():%B %Y} to {dates.max():%B %Y}" if len(dates) else ""
    return (
        f"The EHC needs assessment and plan{span}: {len(events)} recorded event{'s' * (len(events) != 1)}; "
        f"{len(deadlines)} deadline{'s' * (len(deadlines) != 1)} of the local authority and the school"
        + (f" ({statuses})" if statuses else "")
        + "."
    )


def forecast_words(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    label: str,
    name: str = "forecast",
    baseline: pd.DataFrame | None = None,
    baseline_name: str = "forecast with no change",
) -> str:
    """:func:`plot_forecast` in a sentence: the years recorded, the first and last forecast
    (named ``name``), and the last of the ``baseline`` beside it when there is one."""
    parts = [f"{label}: recorded {history['year'].min()} to {history['year'].max()}" if len(history) else label]
    rows = forecast.iloc[[0, -1]] if len(forecast) > 1 else forecast
    steps = [
        f"January {row.year}: about {row.count:,.0f} (80% range {row.lower_80:,.0f} to {row.upper_80:,.0f})"
        for row in rows.itertuples()
    ]
    parts.append(f"{_lower_first(name)}, " + "; ".join(steps))
    if baseline is not None and len(baseline):
        last = next(baseline.iloc[[-1]].itertuples())
        parts.append(f"{_lower_first(baseline_name)}, January {last.year}: about {last.count:,.0f}")
    return "; ".join(parts) + "."


def need_mix_words(shares: pd.DataFrame) -> str:
    """:func:`plot_need_mix` in a sentence."""
    parts = [
        f"{_lower_first(str(area))} {'not shown' if pd.isna(row.here) else f'{row.here:.0f}%'} here, "
        f"{row.england:.0f}% in England"
        for area, row in shares.iterrows()
    ]
    return "Pupils with SEND by broad area of need: " + "; ".join(parts) + "."


def census_trend_words(trend: pd.DataFrame) -> str:
    """:func:`plot_census_trend` in a sentence: the first and last January of each line."""
    first, last = trend.iloc[0], trend.iloc[-1]

    def pct(value, missing: str = "not shown") -> str:
        return missing if pd.isna(value) else f"{value:.1f}%"

    parts = [
        f"{group} here {pct(first[group])} in January {int(first['january'])} and {pct(last[group])} in January "
        f"{int(last['january'])} (England {pct(first[f'England: {group}'], 'not in the reference data')} and "
        f"{pct(last[f'England: {group}'], 'not in the reference data')})"
        for group in ("SEN support", "EHC plan")
    ]
    return "Share of pupils in each January census: " + "; ".join(parts) + "."
