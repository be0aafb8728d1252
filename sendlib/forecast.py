"""Forecasting SEN support and EHC plan numbers, with intervals and an honest back-test.

Two estimators follow the scikit-learn contract (parameters in ``__init__`` only,
``get_params`` and ``set_params``, learned attributes end in ``_``, ``fit`` returns ``self``,
``NotFittedError`` before fit, scikit-learn's ``clone`` works) without importing
scikit-learn, whose import alone takes two seconds of every dashboard kernel's start:

- :class:`TrendForecaster` for one yearly count series (England, a local authority, a
  school): naive, drift, last growth rate, log-linear or straight-line trend, damped growth,
  or ``auto`` (last growth and damped growth combined, and for an authority pulled toward
  England's trend, chosen by a back-test over every local authority).
- :class:`NeedForecaster`, a cohort transition model of pupils moving between no SEN (N),
  SEN support (K), an EHC plan (E) and leaving, by year group, from a trust's January
  census history (after Mastodon C's witan.send and the GLA's pupil projections).

:func:`backtest` replays either on rolling origins and scores it against simple baselines
(MAPE, bias, interval coverage), as the DfE's SCAP guidance asks: check the accuracy of
previous forecasts first.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import statistics
import typing

import numpy as np
import pandas as pd

from ._words import listed
from .exceptions import ForecastError, NotFittedError
from .reference import national_trends
from .school_calendar import census_day, school_year

METHODS = ("naive", "drift", "growth", "loglinear", "damped")
SIMPLE = ("naive", "drift", "growth", "loglinear")  # the simple baselines every back-test shows
BASELINES = ("naive", "linear")  # the trust model's: last census again, a straight line
FORECAST_COLUMNS = ["year", "count", "lower_80", "upper_80", "lower_95", "upper_95"]
# Back-tested on the DfE's SEN2 national series (origins 2018-2024): a log-linear trend over
# the last five points was the best trend (1.5% MAPE one year ahead); every method breaks at a policy change, so
# fitting only recent years is deliberate.
LOGLINEAR_POINTS = 5
DAMPING = 0.9  # damped: each further year keeps 90% of the growth of the year before
DAMPED_YEARS = 3  # damped: the average growth of the last three years
# auto combines last growth and damped growth (the mean of their logarithms): chosen by a
# rolling-origin back-test over every local authority's SEN2 series, one to three years ahead,
# from the candidates in docs/methods/forecasting.md, on target years 2019-2022 and checked on
# 2023-2024, which the choice did not see.
AUTO = ("growth", "damped")
# auto with a wider series (England's, for an LA or a region): the log growth it forecasts is
# 30% the series' own and 70% the wider series' auto growth from the same year. Chosen by the
# same back-test over local authorities on target years 2019-2022 (0.2-0.5 tried; 0.3 and 0.4
# within chance of each other), checked on 2023-2024.
OWN_TREND_WEIGHT = 0.3


def check_series(series: pd.DataFrame) -> pd.DataFrame:
    """A ``year, count`` frame: sorted, whole years, counts 0 or more, the last unbroken run.

    Local-authority series can stop and restart (boundary changes): the forecast is made
    from the most recent run of consecutive years.
    """
    year, count = _checked(series)
    return pd.DataFrame({"year": year, "count": count})


def _checked(series: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """:func:`check_series`'s years and counts, as arrays."""
    if not isinstance(series, pd.DataFrame) or not {"year", "count"} <= set(series.columns):
        raise ForecastError("A series is a DataFrame with columns year and count.")
    year = series["year"].to_numpy(dtype=float, na_value=np.nan)
    count = series["count"].to_numpy(dtype=float, na_value=np.nan)
    known = ~(np.isnan(year) | np.isnan(count))
    year, count = year[known], count[known]
    if not len(year):
        raise ForecastError("The series has no years with a count.")
    if (count < 0).any():
        raise ForecastError(f"Counts cannot be negative: {', '.join(f'{c:g}' for c in count[count < 0])}.")
    order = np.argsort(year, kind="stable")
    year, count = year[order].astype("int64"), count[order]
    if (np.diff(year) == 0).any():
        raise ForecastError(f"Years appear twice: {sorted(set(year[1:][np.diff(year) == 0].tolist()))}.")
    breaks = np.flatnonzero(np.diff(year) != 1)
    start = breaks[-1] + 1 if len(breaks) else 0
    return year[start:], count[start:]


def _log(values):
    return np.log(np.asarray(values, dtype=float) + 0.5)  # + 0.5: small counts can be 0


class _Estimator:
    """scikit-learn's estimator contract: the parameters are ``__init__``'s arguments, read by
    ``get_params`` and changed by ``set_params`` (so ``sklearn.base.clone`` copies one)."""

    @classmethod
    def _parameter_names(cls) -> list[str]:
        return [name for name in inspect.signature(cls.__init__).parameters if name != "self"]

    def get_params(self, deep: bool = True) -> dict:
        return {name: getattr(self, name) for name in self._parameter_names()}

    def set_params(self, **params):
        unknown = set(params) - set(self._parameter_names())
        if unknown:
            raise ValueError(f"{type(self).__name__} has no parameter {', '.join(sorted(unknown))}")
        for name, value in params.items():
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = {n: p.default for n, p in inspect.signature(type(self).__init__).parameters.items()}
        changed = [f"{n}={_shown(v)}" for n, v in self.get_params().items() if not _same(v, defaults[n])]
        return f"{type(self).__name__}({', '.join(changed)})"


def _same(value, default) -> bool:
    try:
        return bool(value == default)
    except (TypeError, ValueError):  # a frame compares cell by cell
        return value is default


def _shown(value) -> str:
    return f"<{len(value)} rows>" if isinstance(value, pd.DataFrame) else repr(value)


def _clone(model: _Estimator) -> _Estimator:
    """A new, unfitted estimator with the same parameters."""
    return type(model)(**model.get_params())


class TrendForecaster(_Estimator):
    """Forecast a yearly count series by a simple trend, with intervals.

    Parameters
    ----------
    method : {"auto", "naive", "drift", "growth", "loglinear", "linear", "damped"}
        ``naive`` repeats the last value; ``drift`` extends the average yearly change;
        ``growth`` repeats the last year's growth rate; ``loglinear`` fits a straight line to
        the logarithm of the last ``n_points`` values, ``linear`` to the values; ``damped``
        repeats the last three years' average growth, each further year keeping 90% of the
        year before's; ``auto`` is the mean of growth and damped on the log scale.
    n_points : int, default 5
        Points for the log-linear and straight-line trends.
    national : DataFrame, optional
        A wider series (``year, count``: England's, for a local authority or a region) whose
        trend ``auto`` is pulled toward: the forecast's growth is 30% the series' own and 70%
        the wider series' ``auto`` growth from the same last year. A local authority's own
        growth is noisy from year to year; England's is not. The simple methods ignore it
        (they are the baselines).

    Notes
    -----
    Intervals are on the log scale and include the error of the trend itself, read from
    the method's own past errors at each horizon (or, for the log-linear trend, its
    prediction standard error with t quantiles), plus Poisson noise for small counts.
    Intervals of Poisson noise alone cover the national series 0 times in 18.

    Examples
    --------
    >>> series = pd.DataFrame({"year": range(2018, 2025), "count": [100, 110, 121, 133, 146, 161, 177]})
    >>> TrendForecaster(method="growth").fit(series).predict(1)["count"].round().tolist()
    [195.0]
    """

    def __init__(self, method: str = "auto", n_points: int = LOGLINEAR_POINTS, national: pd.DataFrame | None = None):
        self.method = method
        self.n_points = n_points
        self.national = national

    def fit(self, series: pd.DataFrame):
        _check_settings(self.method, self.n_points)
        data = check_series(series)
        self.history_ = data
        years, counts = data["year"].to_numpy(), data["count"].to_numpy()
        self.method_ = _usable_method(self.method, counts)
        self.last_year_ = int(years[-1])
        self.last_count_ = float(counts[-1])
        self._years, self._counts = years, counts
        self._national = _wider(self.national)
        # whether auto's forecast is pulled: the wider series has this series' last year
        pull = _national_growth(self._national, self.last_year_, [1], self.n_points)
        self.pulled_ = self.method_ == "auto" and pull is not None
        return self

    def _check_fitted(self):
        if not hasattr(self, "method_"):
            raise NotFittedError("This TrendForecaster is not fitted yet: call fit(series) first.")

    def predict(self, horizon: int = 3) -> pd.DataFrame:
        """Forecast ``horizon`` years after the last year of the series.

        Returns
        -------
        DataFrame
            ``year, count, lower_80, upper_80, lower_95, upper_95``.
        """
        self._check_fitted()
        if not isinstance(horizon, (int, np.integer)) or horizon < 1:
            raise ForecastError(f"horizon must be a whole number of years, 1 or more, not {horizon!r}.")
        return pd.DataFrame(_forecast(self.method_, self._years, self._counts, horizon, self.n_points, self._national))


def _check_settings(method, n_points) -> None:
    if method not in (*METHODS, "auto", "linear"):
        raise ForecastError(f"method {method!r} is unknown; use one of {', '.join((*METHODS, 'linear', 'auto'))}.")
    if not isinstance(n_points, (int, np.integer)) or n_points < 3:
        raise ForecastError(f"n_points must be a whole number of 3 or more, not {n_points!r}.")


def _wider(national) -> tuple[np.ndarray, np.ndarray] | None:
    """A wider series' years and counts (its last unbroken run), or None."""
    if national is None:
        return None
    try:
        return _checked(national)
    except ForecastError as error:
        raise ForecastError(f"national: {error}") from None


def _usable_method(method, counts) -> str:
    """The method, or naive when the series has one point (nothing else can be fitted)."""
    return method if len(counts) >= 2 else "naive"


def _forecast(method, years, counts, horizon, n_points, national=None) -> dict[str, np.ndarray]:
    """The forecast ``horizon`` years on, with its intervals (the columns of ``FORECAST_COLUMNS``)."""
    steps = np.arange(1, horizon + 1)
    point, log_sd, dof = _point_and_spread(method, years, counts, steps, n_points, national)
    log_point = _log(point)
    poisson = 1 / np.maximum(point, 0.5)  # variance of a Poisson count on the log scale
    sd = np.sqrt(log_sd**2 + poisson)
    q80, q95 = _quantile(0.90, dof), _quantile(0.975, dof)
    bounds = {
        name: np.maximum(np.exp(log_point + sign * q * sd) - 0.5, 0)
        for name, sign, q in (
            ("lower_80", -1, q80),
            ("upper_80", 1, q80),
            ("lower_95", -1, q95),
            ("upper_95", 1, q95),
        )
    }
    return {"year": int(years[-1]) + steps, "count": point, **bounds}


@functools.lru_cache(maxsize=256)
def _quantile(q: float, dof: int | None) -> float:
    """The ``q`` quantile of Student's t with ``dof`` degrees of freedom (None: the normal)."""
    if not dof:
        return statistics.NormalDist().inv_cdf(q)
    from scipy.special import stdtrit  # only the log-linear trend's intervals need it

    return float(stdtrit(dof, q))


def _point_and_spread(method, years, counts, steps, n_points, national=None):
    """Point forecasts and the log-scale SD of their error at each step."""
    point = _trend_points(method, years, counts, steps, n_points, national)
    n = len(counts)
    if method == "loglinear" and n >= 3:
        use = slice(max(0, n - n_points), n)
        t, y = years[use].astype(float), _log(counts[use])
        sxx = ((t - t.mean()) ** 2).sum()
        slope = ((t - t.mean()) * (y - y.mean())).sum() / sxx  # least squares, as in _trend_points
        future = years[-1] + steps
        residual = y - (y.mean() + slope * (t - t.mean()))
        m = len(t)
        s = np.sqrt((residual**2).sum() / (m - 2)) if m > 2 else 0.0
        # the prediction error of a regression line: residual noise plus slope uncertainty
        se = s * np.sqrt(1 + 1 / m + (future - t.mean()) ** 2 / sxx)
        past = _past_errors("loglinear", years, counts, n_points, steps)
        return point, np.maximum(se, past), max(m - 2, 1)
    return point, _past_errors(method, years, counts, n_points, steps, national), None


def _past_errors(method, years, counts, n_points, steps, national=None):
    """Root mean square of the method's own past log errors at each step ahead.

    With too few past forecasts at a step, the one-step error grows like a random walk
    (sqrt(h)) for naive and drift, and like an accumulating growth error for growth and
    the trend (h).
    """
    n = len(counts)
    errors = {h: [] for h in steps}
    for origin in range(2, n):
        ahead = [h for h in steps if origin + h - 1 < n]
        if ahead:  # every step from this origin at once
            points = _trend_points(method, years[:origin], counts[:origin], ahead, n_points, national)
            for h, point in zip(ahead, points):
                errors[h].append(_log(counts[origin + h - 1]) - _log(point))
    rms = np.array([np.sqrt(np.mean(np.square(errors[h]))) if len(errors[h]) >= 2 else np.nan for h in steps])
    one = rms[0] if np.isfinite(rms[0]) else (np.std(np.diff(_log(counts))) if n > 2 else 0.1)
    growth_like = method != "naive" and method != "drift"
    scaled = one * (steps if growth_like else np.sqrt(steps))
    return np.where(np.isfinite(rms), np.maximum(rms, scaled), scaled)


def _trend_points(method, years, counts, steps, n_points, national=None) -> np.ndarray:
    """Each trend method's point forecast ``steps`` years after the last count (the formulas,
    written once): naive repeats the last count; drift extends the average yearly change;
    growth repeats the last year's growth rate; loglinear extends a least-squares line through
    the logarithm of the last ``n_points`` counts, linear one through the counts themselves;
    damped repeats the average growth of the last three years, each further year keeping 90%
    of the year before's (Gardner and McKenzie's damped trend); auto is the mean of growth and
    damped on the log scale, its growth pulled toward the ``national`` series' auto growth from
    the same last year where one is given (``OWN_TREND_WEIGHT``). Never below zero.

    >>> years, counts = np.arange(2018, 2023), np.array([100, 110, 121, 133, 146])
    >>> [_trend_points(m, years, counts, np.array([1]), 5).round(1).tolist() for m in (*METHODS, "linear", "auto")]
    [[146.0], [157.5], [160.3], [160.6], [158.9], [156.5], [159.6]]
    """
    steps = np.asarray(steps, dtype=float)
    n = len(counts)
    if method in ("loglinear", "linear") and n >= 3:
        use = slice(max(0, n - n_points), n)
        t = years[use].astype(float)
        y = _log(counts[use]) if method == "loglinear" else counts[use].astype(float)
        slope = ((t - t.mean()) * (y - y.mean())).sum() / ((t - t.mean()) ** 2).sum()
        line = y.mean() + slope * (years[-1] + steps - t.mean())
        point = np.exp(line) - 0.5 if method == "loglinear" else line
    elif method == "drift" and n >= 2:
        point = counts[-1] + (counts[-1] - counts[0]) / (n - 1) * steps
    elif method in ("growth", "damped") or (method in ("loglinear", "linear") and n == 2):
        back = min(DAMPED_YEARS, n - 1) if method == "damped" else 1
        growth = (_log(counts[-1]) - _log(counts[-1 - back])) / back if n >= 2 else 0.0
        years_on = (
            np.cumsum(DAMPING ** np.arange(1, steps.max() + 1))[steps.astype(int) - 1] if method == "damped" else steps
        )
        point = np.exp(_log(counts[-1]) + growth * years_on) - 0.5
    elif method == "auto":
        parts = [_log(_trend_points(part, years, counts, steps, n_points)) for part in AUTO]
        log_point = np.mean(parts, axis=0)
        wide = _national_growth(national, int(years[-1]), steps, n_points)
        if wide is not None:
            last = _log(counts[-1])
            log_point = last + OWN_TREND_WEIGHT * (log_point - last) + (1 - OWN_TREND_WEIGHT) * wide
        point = np.exp(log_point) - 0.5
    else:
        point = np.full(len(steps), float(counts[-1]))
    return np.maximum(point, 0)


def _national_growth(national, last_year, steps, n_points) -> np.ndarray | None:
    """The log growth ``auto`` forecasts for the wider series from ``last_year`` (None when it
    has no figure for that year or fewer than two up to it)."""
    if national is None:
        return None
    years, counts = national
    known = years <= last_year
    if known.sum() < 2 or years[known][-1] != last_year:
        return None
    base = counts[known]
    return _log(_trend_points("auto", years[known], base, steps, n_points)) - _log(base[-1])


METHOD_WORDS = {
    "naive": "the last figure repeated",
    "drift": "the average yearly change since the first year",
    "growth": "last year's growth repeated",
    "loglinear": "the trend of the last five years",
    "linear": "a straight line through the last five years",
    "damped": "the last three years' growth, slowing",
    "auto": "last year's growth and the last three years' growth, slowing, combined",
}


# --- the back-test ------------------------------------------------------------------------------
BACKTEST_COLUMNS = ["model", "horizon", "n", "mape", "bias", "coverage_80", "coverage_95"]


def _model_name(estimator) -> str:
    return getattr(estimator, "method", None) or type(estimator).__name__.replace("Forecaster", "").lower()


def _series_forecasts(model, series, origin, horizons):
    """A trend model's forecasts of a series from an origin, beside what happened."""
    years, counts = series["year"].to_numpy(), series["count"].to_numpy()
    known = years <= origin
    if not known.any():
        return None
    if type(model) is TrendForecaster:  # the formulas on arrays, without frames: fast
        method = _usable_method(model.method, counts[known])
        forecast = _forecast(method, years[known], counts[known], max(horizons), model.n_points, _wider(model.national))
    else:  # a subclass forecasts its own way
        predicted = _clone(model).fit(series[known]).predict(max(horizons))
        forecast = {column: predicted[column].to_numpy() for column in FORECAST_COLUMNS}
    horizon = forecast["year"] - origin
    keep = np.isin(horizon, horizons)
    actual = dict(zip(years.tolist(), counts.tolist()))
    return pd.DataFrame(
        {
            **{column: values[keep] for column, values in forecast.items()},
            "horizon": horizon[keep],
            "actual": np.array([actual.get(year, np.nan) for year in forecast["year"][keep].tolist()], dtype=float),
        }
    )


def backtest(estimator, data, origins, horizons=(1, 2, 3), level: str = "school") -> pd.DataFrame:
    """Replay forecasts from rolling origins and score them against what happened.

    Parameters
    ----------
    estimator : TrendForecaster or NeedForecaster
        Cloned and refitted at every origin on the data up to it.
    data : DataFrame (``year, count``) or TrustData
        A series for a TrendForecaster; a trust (its census history) for a NeedForecaster,
        scored on its SEN support and EHC plan counts (a NeedForecaster starts from the census
        at each origin: there is no roll of past dates).
    origins : iterable of int
        Last year of data at each replay (for a trust, the January census year).
    horizons : iterable of int
        Years ahead to score.
    level : {"school", "trust"}
        For a trust: score each school's counts, or the trust's totals.

    Returns
    -------
    DataFrame
        ``model, horizon, n, mape, bias, coverage_80, coverage_95``: one row per model and
        horizon, the estimator first, then the baselines on the same targets (for a series,
        the simple trends naive, drift, growth and loglinear; for a trust, naive, the last
        census again, and linear, a straight line through the last five censuses).
        ``mape`` and ``bias`` (mean signed error, forecast minus actual) are per cent of the
        actual, over targets above zero; coverage is the share of actuals inside the
        intervals.
    """
    horizons = tuple(int(h) for h in horizons)
    if level not in ("school", "trust"):
        raise ForecastError(f"level must be 'school' or 'trust', not {level!r}.")
    models = {_model_name(estimator): estimator}
    for name in SIMPLE if isinstance(data, pd.DataFrame) else BASELINES:
        models.setdefault(name, TrendForecaster(method=name))
    if isinstance(data, pd.DataFrame):
        if not all(isinstance(model, TrendForecaster) for model in models.values()):
            raise ForecastError("A series is forecast with a TrendForecaster; a NeedForecaster needs a trust.")
        for model in models.values():
            _check_settings(model.method, model.n_points)
        series = check_series(data) if len(data) else data
    rows = []
    for name, model in models.items():
        frames = []
        for origin in origins:
            if isinstance(data, pd.DataFrame):
                frame = _series_forecasts(model, series, origin, horizons)
            else:
                frame = _trust_forecasts(model, data, origin, horizons, level)
            if frame is not None:
                frames.append(frame)
        scored = (
            pd.concat(frames, ignore_index=True)
            if frames
            else pd.DataFrame(columns=[*FORECAST_COLUMNS, "horizon", "actual"])
        )
        scored = scored.dropna(subset=["actual"])
        scored = scored[scored["actual"] > 0]
        for h in horizons:
            at = scored[scored["horizon"] == h]
            error = (at["count"] - at["actual"]) / at["actual"] * 100
            rows.append(
                {
                    "model": name,
                    "horizon": h,
                    "n": len(at),
                    "mape": error.abs().mean() if len(at) else np.nan,
                    "bias": error.mean() if len(at) else np.nan,
                    "coverage_80": at["actual"].between(at["lower_80"], at["upper_80"]).mean() if len(at) else np.nan,
                    "coverage_95": at["actual"].between(at["lower_95"], at["upper_95"]).mean() if len(at) else np.nan,
                }
            )
    return pd.DataFrame(rows, columns=BACKTEST_COLUMNS)


# --- local and national benchmarks -----------------------------------------------------------------
def ehc_plan_benchmark(area: str = "England", horizon: int = 3, method: str = "auto") -> dict:
    """The DfE SEN2 EHC-plan series of England, a region or an LA, with a forecast.

    Returns
    -------
    dict
        ``series`` (``year, count``), ``forecast`` (as ``TrendForecaster.predict``),
        ``method`` (the method used), ``words`` (the method in words, for a title: an LA's or a
        region's trend says it is pulled toward England's), ``need_mix`` (England's EHC plans by primary need,
        January 2025: the reference data has no LA need mix), ``notes`` (a short series, a
        series that stops, a break in it, the pull toward England's trend), in sentences.
    """
    from .reference import ehc_plans, find_area, reference_table

    series, england = ehc_plans(area), ehc_plans("England")
    notes = []
    run = check_series(series)
    if len(run) < len(series):
        notes.append(
            f"The series breaks in {int(run['year'].iloc[0]) - 1} (a boundary change?); "
            f"the forecast uses {int(run['year'].iloc[0])}-{int(run['year'].iloc[-1])}."
        )
    if series["year"].max() < england["year"].max():
        notes.append(f"No figures after {int(series['year'].max())} (the authority changed or stopped reporting).")
    if len(run) < 3:
        notes.append("Fewer than three years of figures: the forecast repeats the last value.")
    national = None if find_area(area)[1] == "England" else england  # an LA or region: pulled toward England
    forecaster = TrendForecaster(method=method if len(run) >= 3 else "naive", national=national).fit(series)
    words = METHOD_WORDS[forecaster.method_]
    if forecaster.pulled_:
        words += ", pulled toward England's"
        notes.append(
            f"The forecast growth is {1 - OWN_TREND_WEIGHT:.0%} England's trend and {OWN_TREND_WEIGHT:.0%} the "
            "area's own (an area's own growth swings from year to year; England's is steadier)."
        )
    need_mix = reference_table("ehc_plans_by_need")[["need_code", "need", "ehc_plans", "share_pct"]]
    return {
        "series": series,
        "forecast": forecaster.predict(horizon),
        "method": forecaster.method_,
        "words": words,
        "need_mix": need_mix,
        "notes": notes,
    }


def census_counts(history: pd.DataFrame, school: str = "") -> pd.DataFrame:
    """Pupils in each January census of the trust (``history``: ``trust.sen_history``) or of
    ``school``, by SEN provision: columns ``N``, ``K``, ``E`` and ``all``, indexed by year."""
    rows = history[history["school"].eq(school)] if school else history
    counts = pd.crosstab(rows["census_date"].dt.year.rename("year"), rows["sen_provision"])
    counts = counts.reindex(columns=["N", "K", "E"], fill_value=0)
    counts["all"] = counts.sum(axis=1)
    return counts


def rate_benchmark(
    history: pd.DataFrame | None, area: str = "England", school: str = "", census: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Pupils on SEN support and with an EHC plan as per cent of all pupils, in each January
    census of the trust (``history``: ``trust.sen_history``) or of ``school``, beside England's
    and, when ``area`` is a local authority, the LA's (:func:`sendlib.reference.sen_rates`, from
    ``census`` or the optional LA census file): rates, not head counts, so that a trust and an
    authority of any size compare. Without a census history (None), the places' last five
    Januaries alone, and a sentence saying why the trust's are not there.

    Returns
    -------
    (DataFrame, list of str)
        ``January`` and two columns per place (``"<place>: SEN support"``, ``"<place>: EHC
        plans"``, per cent, missing where not published); sentences on what is missing.
    """
    from .codes import PROVISION_WORDS
    from .reference import find_area, sen_rates

    _, name = find_area(area)
    words = {"sen_support_pct": PROVISION_WORDS["K"].label, "ehc_plan_pct": PROVISION_WORDS["E"].plural}
    england = typing.cast(pd.DataFrame, sen_rates("England"))  # England's are always in the reference data
    if history is None:
        table = pd.DataFrame({"January": england["year"].tail(5).to_numpy()})
        notes = [
            f"{school or 'The trust'}'s own figures need the January census history (sen_history.csv: one row per "
            "pupil per January census, leavers included), which this export does not have."
        ]
        places = []
    else:
        counts = census_counts(history, school)
        pupils = counts["all"]
        table = pd.DataFrame({"January": counts.index})
        own = pd.DataFrame(
            {
                "year": counts.index,
                "sen_support_pct": (100 * counts["K"] / pupils).to_numpy(),
                "ehc_plan_pct": (100 * counts["E"] / pupils).to_numpy(),
            }
        )
        places, notes = [(school or "The trust", own)], []
    if name != "England":
        local = sen_rates(name, census)
        if local is None:
            notes.append(
                f"{name}'s percentages are not shown: the reference data hold no pupil counts for it (only its "
                "EHC plans from SEN2, which counts ages 0 to 25 in every setting, not pupils in schools)."
            )
        else:
            places.append((name, local))
    places.append(("England", england))
    for place, rates in places:
        rates = rates.set_index("year").reindex(table["January"])
        for column, word in words.items():
            table[f"{place}: {word}"] = rates[column].to_numpy()
        gaps = table["January"][rates["sen_support_pct"].isna().to_numpy()]
        if place == "England" and len(gaps):
            notes.append(f"England's figures for January {listed(gaps)} are not in the reference data yet.")
        elif place == name and len(gaps):  # never guessed: a year without the LA's pupil count stays blank
            notes.append(
                f"{name}'s pupil count for January {listed(gaps)} is not in the reference data, so its "
                f"percentages are not shown for {'that year' if len(gaps) == 1 else 'those years'}."
            )
    return table, notes


def need_mix_benchmark(
    history: pd.DataFrame | None, area: str = "England", school: str = "", need_mix: pd.DataFrame | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """The share of pupils on SEN support and with an EHC plan in each broad area of need in the
    trust's (or ``school``'s) latest January census, beside the local authority's where the
    reference data give its primary needs (``need_mix``, or the optional LA need-mix file), and
    otherwise beside England's, with a sentence saying it is England's: England's figures are
    never labelled as the LA's. Without a census history (None), the place's alone
    (:func:`rate_benchmark` says why).

    Returns
    -------
    (DataFrame, list of str)
        ``Broad area of need`` and per provision the place's share and the benchmark's (per
        cent); sentences on which census each comes from and on any fallback to England.
    """
    from .codes import BROAD_AREAS, PROVISION_WORDS
    from .reference import find_area, need_area_shares

    _, name = find_area(area)
    where = school or "the trust"
    if history is not None:
        rows = history[history["school"].eq(school)] if school else history
        latest = rows[rows["census_date"].dt.year == rows["census_date"].dt.year.max()]
    table = pd.DataFrame({"Broad area of need": list(BROAD_AREAS)})
    said: dict[str, list[str]] = {}
    for provision in ("K", "E"):
        word = PROVISION_WORDS[provision].plural
        if history is not None:
            at = latest[latest["sen_provision"] == provision]
            own = at["need_area"].value_counts().reindex(list(BROAD_AREAS), fill_value=0)
            table[f"{school or 'The trust'}: {word}"] = (100 * own / len(at)).to_numpy() if len(at) else np.nan
        local = None if name == "England" else need_area_shares(provision, name, need_mix)
        place, (january, shares) = (name, local) if local is not None else ("England", need_area_shares(provision))
        table[f"{place}: {word}"] = shares.reindex(list(BROAD_AREAS)).to_numpy()
        said.setdefault(f"{place}'s from January {january}", []).append(PROVISION_WORDS[provision].plural)
    if history is None:
        censuses = []
    elif len(latest):
        censuses = [f"{where}'s from the January {int(latest['census_date'].dt.year.max())} census"]
    else:
        censuses = [f"{where} has no January census yet (its columns are blank)"]
    notes = [
        "Each column is the share of its pupils on SEN support, or with an EHC plan, by primary need: "
        + "; ".join(censuses + [f"{whose} ({' and '.join(levels)})" for whose, levels in said.items()])
        + "."
    ]
    if name != "England" and any(key.startswith("England") for key in said):
        shown = "England's figures are shown" + (f" beside {where}'s" if history is not None else "")
        notes.append(f"{shown} because {name}'s need mix is not in the reference data.")
    return table, notes


# --- the cohort transition model ------------------------------------------------------------------
NEED_TRANSITION_COLUMNS = [
    "year",
    "school",
    "year_group",
    "sen_provision",
    "need_area",
    "count",
    "lower_80",
    "upper_80",
    "lower_95",
    "upper_95",
    "mean",
]
YEAR_GROUPS = np.arange(-2, 15)  # N1 .. 13, and one past for those who would move on
PRIOR_STRENGTH = 30  # pseudo-pupils: how far a small group's rates lean on trust-wide rates
TREND_DAMPING = 0.8  # each further year carries 80% of the previous year's trend (damped trend)
MAX_TREND = 0.15  # at most 15% a year change in a transition rate from its trend
RECENT_INTERVALS = 3  # intakes and joiners from the last three years (GLA: recent intakes)
# Transition rates move from year to year beyond what a trend explains; each simulated
# year draws a shock to every rate, lognormal with the SD seen around the trend (this
# default where fewer than three years show it).
DEFAULT_RATE_NOISE = 0.2
# A school's own rates, with a prior of mean 1 (the trust's rates) worth one pupil or move,
# in a trust with too few schools to learn from their rolls (below).
SCHOOL_PRIOR = 1.0
# A school's own rates of moving between N, K and E, and its joiners' shares at SEN support
# and with a plan, with a prior worth STOCK_PRIOR expected moves (or joiners) whose mean is
# what the school's roll shows: the trust's schools' rates, in a weighted
# line against how many pupils each school holds at SEN support and with a plan against the
# trust's prevalence for its year groups (RIDGE: how far the line's slopes are held toward none).
# A school's stock is years of its moves, so it tells its rates more surely than the few
# moves of the censuses seen. Back-test on eight trusts made differently, school-level MAPE at
# 1-3 years: 13.4%, 19.2%, 21.9% with a prior of mean 1 worth one move; 12.8%, 18.0%, 20.6%
# with this prior worth 30 moves; 12.6%, 17.7%, 20.2% with the joiners' too and pupils moving
# between the trust's schools (docs/methods/forecasting.md).
STOCK_PRIOR = 30.0
RIDGE = 0.1
# Moves whose trend is pulled toward England's: identification (N to K, N to E) toward the
# growth of the share at SEN support and with a plan, stepping up (K to E) toward the plans'.
NATIONAL_MOVES = {(0, 1): "K", (0, 2): "E", (1, 2): "E"}


class NeedForecaster(_Estimator):
    """Forecast pupils at SEN support and with EHC plans by school, year group and broad area.

    A cohort transition model: each January census, a pupil in a school either leaves it or
    moves up a year in it, and their SEN provision moves between N, K and E; new pupils join
    (Reception and Year 7 intakes, and during the year). Estimated from consecutive
    censuses in ``trust.sen_history``:

    - staying in the school, by school and year group, shrunk toward the trust-wide rate for
      the year group (beta-binomial);
    - the next provision of a pupil who stays in the trust, by year group and current
      provision, shrunk toward the trust-wide rates for that provision (Dirichlet-multinomial,
      as witan.send), with their trend over the census years (log-linear, damped, capped) and
      their year-to-year variation around it; each school's own rates, with a prior from
      what its roll shows;
    - pupils moving to another of the trust's schools (Year 6 to a trust secondary): the
      share of each school's leavers from each year group seen at each other school the
      next January, over every interval the other school was in the trust, sent there a year
      up each September with their provision (a first step from today with no September in
      it moves no one between schools);
    - joiners from outside the trust by school and year group, their mean over the last three
      years with the spread seen between years, and their provision and need mix;
    - broad area of need: carried with the pupil; new identifications drawn from the mix of
      recent new identifications in the phase (primary to Year 6, secondary after).

    Uncertainty comes from simulation: every run draws the rates from their posterior and
    the pupils' moves from those rates.

    Parameters
    ----------
    n_simulations : int, default 1000
    identification_change : float, default 0.0
        Scenario: relative change in the rates of new identification (pupils with no SEN
        starting SEN support or a plan); 0.1 is "identification rate +10%".
    intake_change : float, default 0.0
        Scenario: relative change in the numbers joining.
    roll_projection : DataFrame, optional
        ``year, school, year_group, count``: pupils expected to join from outside the trust
        (e.g. the LA's Reception projection), replacing the recent average where given; the
        trust's own pupils moving between its schools (Year 6 to its secondaries) are
        forecast apart, so a Year 7 projection counts only those coming from elsewhere.
    scenario_from : int, optional
        The first January the scenario changes (e.g. a new identification policy from
        September 2027 changes January 2028 onward); by default every forecast year.
    start : {"today", "census"}, default "today"
        Where the forecast starts. ``today``: the pupils file, the roll on the data's date
        (``trust.as_of``), when it is later than the last census; the first step runs from
        that date to the next January census (moves in proportion to the time left; the
        move up a year and the intakes only if a September lies between). ``census``: the
        last January census (as a back-test must, having no roll of past dates).
    random_state : int or None

    Attributes
    ----------
    origin_ : str
        What the forecast starts from, in words ("the roll on 20 November 2026 (pupils
        file)" or "the January 2026 census").
    start_counts_ : DataFrame
        ``school, sen_provision, count`` at the start; ``census_counts_`` at the last census;
        ``roll_counts_`` in the pupils file when it is later than the census (else None).
    first_year_ : int
        The first January forecast.
    """

    def __init__(
        self,
        n_simulations: int = 1000,
        identification_change: float = 0.0,
        intake_change: float = 0.0,
        roll_projection: pd.DataFrame | None = None,
        scenario_from: int | None = None,
        start: str = "today",
        random_state=None,
    ):
        self.n_simulations = n_simulations
        self.identification_change = identification_change
        self.intake_change = intake_change
        self.roll_projection = roll_projection
        self.scenario_from = scenario_from
        self.start = start
        self.random_state = random_state

    def fit(self, trust):
        from .codes import BROAD_AREAS

        if not isinstance(self.n_simulations, (int, np.integer)) or self.n_simulations < 10:
            raise ForecastError(f"n_simulations must be a whole number of 10 or more, not {self.n_simulations!r}.")
        for name in ("identification_change", "intake_change"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not -1 < value < 10:
                raise ForecastError(f"{name} must be a number above -1 (e.g. 0.1 for +10%), not {value!r}.")
        if self.scenario_from is not None and not isinstance(self.scenario_from, (int, np.integer)):
            raise ForecastError(f"scenario_from is a year such as 2028, not {self.scenario_from!r}.")
        if self.start not in ("today", "census"):
            raise ForecastError(f"start must be 'today' or 'census', not {self.start!r}.")
        history = trust.require("sen_history")
        history = history.assign(census_year=history["census_date"].dt.year)
        years = sorted(int(year) for year in history["census_year"].unique())
        intervals = years_of_moves(years)
        if not intervals:
            raise ForecastError(
                "The census history needs two Januaries in a row (such as January 2025 and January 2026) to see "
                f"how pupils move in a year; sen_history.csv has January {listed(years)}."
            )
        self.areas_ = list(BROAD_AREAS)
        self.roll_date_ = day = pd.Timestamp(trust.as_of)
        roll = trust.pupils.dropna(subset=["school", "year_group", "sen_provision"])
        later = day > history["census_date"].max() and len(roll) > 0  # the pupils file is newer
        self.started_today_ = bool(later and self.start == "today")
        self.schools_ = sorted(
            set(history["school"].unique()) | (set(roll["school"].unique()) if self.started_today_ else set())
        )
        self.census_years_, self.intervals_ = years, intervals
        # the censuses a back-test can start from: a year of moves up to it (the first ends by then), a
        # census one to three years after
        self.backtest_origins_ = [
            year for year in years[:-1] if intervals[0] < year and any(year < y <= year + 3 for y in years)
        ]
        # what the model reads of the census rows, a pupil's UPN as a number (quicker to match)
        history = pd.DataFrame(
            {
                "upn": pd.factorize(history["upn"])[0],
                **history[["school", "sen_provision", "census_year"]],
                **_cell_index(history, self.schools_, self.areas_),
            }
        )
        last = history[history["census_year"] == years[-1]]
        self.last_census_ = _population(last, self.schools_, self.areas_)
        self.census_counts_ = _provision_counts(last)
        self.roll_counts_ = _provision_counts(roll) if later else None
        self.last_year_ = int(years[-1])
        if self.started_today_:
            roll = roll.assign(**_cell_index(roll, self.schools_, self.areas_))
            self.start_population_, self.start_counts_ = (
                _population(roll, self.schools_, self.areas_),
                self.roll_counts_,
            )
            self.first_year_, self.first_step_ = _first_census_after(day)
            self.origin_ = f"the roll on {day.day} {day:%B %Y} (pupils file)"
        else:
            self.start_population_, self.start_counts_ = self.last_census_, self.census_counts_
            self.first_year_, self.first_step_ = self.last_year_ + 1, (1.0, True)
            self.origin_ = f"the January {self.last_year_} census"
        flows = _flows(history, intervals)
        self.stay_ = _stay_rates(flows, len(self.schools_))
        self.moves_, self.trend_, self.trend_year_, self.rate_noise_ = _move_rates(flows, intervals)
        ratios = _prevalence_ratios(self.last_census_)
        self.school_rates_ = _school_rates(flows, self.moves_, ratios)
        self.transfers_ = _transfers(flows, self.schools_)
        self.joiners_ = _joiners(history, intervals, self.schools_, self.areas_, self.start_population_, ratios)
        # a school in the census history with no pupils at the start, and no roll projection, has
        # left the trust: no one joins it or moves to it (its past censuses still count toward
        # the trust's rates)
        projected = {school for year, school, _, count in _projected(self) if year >= self.first_year_ and count > 0}
        left = (self.start_population_.sum((1, 2)) == 0) & ~np.isin(np.arange(len(self.schools_)), list(projected))
        self.left_ = [name for name, gone in zip(self.schools_, left) if gone]
        self.transfers_[:, :, left] = 0
        self.joiners_["mean"][left] = self.joiners_["var"][left] = 0
        # a school missing from a census between its first and last (or from the last, when it is in
        # the pupils file the forecast starts from): its moves across it are not seen
        seen = history.groupby("school")["census_year"].unique()
        now = set(roll["school"]) if self.started_today_ else set()
        gaps = {
            school: [
                year
                for year in years
                if held.min() < year < (years[-1] + 1 if school in now else held.max()) and year not in held
            ]
            for school, held in seen.items()
        }
        self.missing_ = {school: years_missing for school, years_missing in gaps.items() if years_missing}
        new = flows[flows["stayed"] & (flows["state_i"] == 0) & (flows["state_i_next"] > 0)]
        self.new_area_mix_ = _new_identification_mix(new, self.last_census_, len(self.areas_))
        # a year, by school: over the years of moves each school is seen in
        yearly = new.groupby("school").size() / flows.groupby("school")["interval"].nunique()
        self.new_identifications_ = yearly.dropna().drop(self.left_, errors="ignore")
        return self

    def _check_fitted(self):
        if not hasattr(self, "stay_"):
            raise NotFittedError("This NeedForecaster is not fitted yet: call fit(trust) first.")

    def simulate(self, years: int = 3) -> np.ndarray:
        """Simulated counts: array (simulation, year, school, year group, state).

        States: 0 N, then K in each broad area, then E in each broad area.
        """
        self._check_fitted()
        if not isinstance(years, (int, np.integer)) or years < 1:
            raise ForecastError(f"years must be a whole number, 1 or more, not {years!r}.")
        rng = np.random.default_rng(self.random_state)
        return _simulate(self, years, rng)

    def predict(self, years: int = 3, by=None) -> pd.DataFrame:
        """Forecast counts for ``years`` Januaries from ``first_year_`` (the next census after
        the start).

        Parameters
        ----------
        years : int
            How many Januaries ahead.
        by : list of str, optional
            Aggregate before taking intervals, over the other columns: any of ``school``,
            ``year_group``, ``sen_provision``, ``need_area`` (``year`` is always kept).
            By default every cell.

        Returns
        -------
        DataFrame
            ``year, school, year_group, sen_provision, need_area, count`` (the median of the
            simulations: the central forecast, half of them above it and half below), its 80%
            and 95% intervals, and ``mean`` (which, unlike the median, adds up across cells);
            pupils with no SEN have provision N and no need area. Cells that are zero in every
            simulation are left out.
        """
        return summarise_simulations(self.simulate(years), self, by)


def _provision_counts(rows) -> pd.DataFrame:
    """Pupils at N, K and E by school: ``school, sen_provision, count``."""
    return rows.groupby(["school", "sen_provision"]).size().rename("count").reset_index()


def _first_census_after(day: pd.Timestamp) -> tuple[int, tuple[float, bool]]:
    """The next January census after ``day`` and the first step to it: the share of a year
    it spans, and whether a September (the move up a year, the intakes) lies between.

    >>> _first_census_after(pd.Timestamp("2026-11-20"))
    (2027, (0.17, False))
    >>> _first_census_after(pd.Timestamp("2026-03-02"))
    (2027, (0.89, True))
    """
    year = school_year(day) + 1
    if day.date() >= census_day(year, "spring"):
        year += 1
    census = pd.Timestamp(census_day(year, "spring"))
    return year, (round(min((census - day).days / 365.25, 1.0), 2), day < pd.Timestamp(year - 1, 9, 1))


def _cell_index(history, schools, areas):
    """Each row's school, year group and state as array indexes (looked up by ``get_indexer``,
    not mapped row by row); a need area not among ``areas`` is the last."""
    state = pd.Index(["N", "K", "E"]).get_indexer(history["sen_provision"])
    area = pd.Index(areas).get_indexer(history["need_area"])
    area[area < 0] = len(areas) - 1
    cell_state = np.where(state == 0, 0, np.where(state == 1, 1 + area, 1 + len(areas) + area))
    return {
        "school_i": pd.Index(schools).get_indexer(history["school"]),
        "yg_i": (history["year_group"].astype(int) + 2).clip(0, len(YEAR_GROUPS) - 1).to_numpy(),
        "state_i": state,
        "cell_state": cell_state,
    }


def _population(census, schools, areas):
    counts = np.zeros((len(schools), len(YEAR_GROUPS), 1 + 2 * len(areas)), dtype=np.int64)
    np.add.at(counts, (census["school_i"], census["yg_i"], census["cell_state"]), 1)
    return counts


def years_of_moves(years) -> list[int]:
    """The Januaries whose next January's census is there too: the years of moves a forecast
    learns from (a gap in the census history is not taken for one year's moves).

    >>> years_of_moves([2021, 2022, 2024, 2025, 2026])
    [2021, 2024, 2025]
    """
    held = {int(year) for year in years}
    return sorted(year for year in held if year + 1 in held)


def _flows(history, intervals):
    """Each pupil at one census beside the same pupil at the next January's (``intervals``:
    :func:`years_of_moves`): stayed in the school, state then. A school with no rows in the
    next census (missing from it, or gone from the trust) is left out of that year: its pupils
    were not seen to leave, and counting them as leavers would pull every school's stay rates
    down."""
    frames = []
    for before in intervals:
        after = before + 1
        b = history[history["census_year"] == after][["upn", "school", "state_i", "cell_state"]]
        a = history[(history["census_year"] == before) & history["school"].isin(b["school"].unique())]
        merged = a.merge(b, on="upn", how="left", suffixes=("", "_next"))
        merged["stayed"] = merged["school_next"].eq(merged["school"])
        merged["interval"] = before
        frames.append(merged)
    return pd.concat(frames, ignore_index=True)


def _stay_rates(flows, n_schools):
    """Beta parameters of staying, by school and year group, shrunk toward the year group."""
    n_yg = len(YEAR_GROUPS)
    stayed = np.zeros((n_schools, n_yg))
    total = np.zeros((n_schools, n_yg))
    np.add.at(stayed, (flows["school_i"], flows["yg_i"]), flows["stayed"].astype(float))
    np.add.at(total, (flows["school_i"], flows["yg_i"]), 1)
    trust_rate = (stayed.sum(0) + 1) / (total.sum(0) + 2)
    alpha = stayed + PRIOR_STRENGTH * trust_rate
    beta = total - stayed + PRIOR_STRENGTH * (1 - trust_rate)
    # a year group a school has never had anyone stay in (its last year) is left by everyone
    last = (total > 0) & (stayed == 0)
    alpha[last] = 1e-3
    beta[last] = total[last] + 1
    return alpha, beta


def _move_rates(flows, intervals):
    """Dirichlet parameters of the next state given staying in the trust (in the school, or
    moving to another of the trust's), by year group and state; and trends."""
    stay = flows[flows["school_next"].notna()]
    n_yg = len(YEAR_GROUPS)
    counts = np.zeros((n_yg, 3, 3))
    np.add.at(counts, (stay["yg_i"], stay["state_i"], stay["state_i_next"].astype(int)), 1)
    pooled = counts.sum(0) + 0.5
    pooled /= pooled.sum(1, keepdims=True)
    alpha = counts + PRIOR_STRENGTH * pooled[None]
    # each move's trend over the census years, pulled toward England's (national_trends)
    by_interval = np.zeros((len(intervals), 3, 3))
    for i, before in enumerate(intervals):
        part = stay[stay["interval"] == before]
        np.add.at(by_interval[i], (part["state_i"], part["state_i_next"].astype(int)), 1)
    t = np.asarray(intervals, dtype=float)
    mid = float(np.average(t, weights=by_interval.sum((1, 2)))) if by_interval.sum() else t.mean()
    noise = np.full((3, 3), DEFAULT_RATE_NOISE)
    trend = np.zeros((3, 3))
    national = national_trends()
    for a, b in itertools.permutations(range(3), 2):
        n = by_interval[:, a, :].sum(1)
        ok = n > 0
        log_rate = np.log((by_interval[ok, a, b] + 0.5) / (n[ok] + 1))
        if ok.sum() >= 3:
            slope, intercept = np.polyfit(t[ok], log_rate, 1, w=np.sqrt(n[ok]))
            residual = log_rate - (intercept + slope * t[ok])
            noise[a, b] = max(np.sqrt((residual**2).sum() / (ok.sum() - 2)), DEFAULT_RATE_NOISE / 2)
        trend[a, b] = _pulled_trend(
            t[ok], log_rate, by_interval[ok, a, b], noise[a, b], NATIONAL_MOVES.get((a, b)), national
        )
    return alpha, trend, mid, noise


def _pulled_trend(t, log_rate, moves, noise, series, national) -> float:
    """A move's yearly trend on the log scale: the trust's own, weighted by its precision,
    pulled toward England's trend in ``series`` ("K" or "E"; None: toward no trend).

    Each year's log rate has the variance of its count (1 / moves, Poisson) plus the
    year-to-year ``noise``; the trust's slope (weighted least squares) and its variance are
    combined with the national prior, whose spread is how far local authorities' trends
    stray from England's (a normal prior and likelihood: precision-weighted mean). With one
    interval, the national trend alone. Capped at ``MAX_TREND`` either way.
    """
    prior = national[series] if series else 0.0
    prior_precision = 1 / national["spread"] ** 2
    estimate = prior
    if len(t) >= 2:
        weight = 1 / (1 / (moves + 0.5) + noise**2)
        centre = np.average(t, weights=weight)
        sxx = (weight * (t - centre) ** 2).sum()
        slope = (weight * (t - centre) * (log_rate - np.average(log_rate, weights=weight))).sum() / sxx
        estimate = (slope * sxx + prior * prior_precision) / (sxx + prior_precision)
    return float(np.clip(estimate, -MAX_TREND, MAX_TREND))


def _prevalence_ratios(population):
    """Each school's pupils at SEN support and with a plan against what its year groups would
    hold at the trust's prevalence for each year group, on the log scale: (school, 2), K then E.
    ``population`` is (school, year group, state) as :func:`_population`."""
    n_areas = (population.shape[-1] - 1) // 2
    roll = population.sum(-1)
    sen = np.stack([population[..., 1 : 1 + n_areas].sum(-1), population[..., 1 + n_areas :].sum(-1)], axis=-1)
    prevalence = sen.sum(0) / np.maximum(roll.sum(0), 1)[:, None]
    expected = (roll[..., None] * prevalence[None]).sum(1)
    return np.log((sen.sum(1) + 1) / (expected + 1))


def _prior_means(observed, expected, ratios):
    """The prior means of each school's multipliers on the trust's rates of one or more moves
    that share how they follow the roll (columns of ``observed`` and ``expected``, (school,
    column)): what its roll shows. A line of the schools' log rate ratios,
    ``log((O + 0.5) / (E + 0.5))``, on their ``ratios`` (:func:`_prevalence_ratios`), with an
    intercept for each column and slopes shared by them, weighted by the moves expected (E),
    the slopes held toward none (ridge, ``RIDGE`` of the weights, on the log ratios as they
    are); the means are kept between a third and three times the trust's rate (a school far
    outside the others, such as one with no pupils at SEN support, is not extrapolated to
    nothing) and scaled so that each column's trust rate is kept (their mean weighted by E is
    1). None with fewer than four schools with moves expected: too few to draw a line through.

    >>> ratios = np.log([[0.5, 0.5], [1, 1], [2, 2], [1, 2]])
    >>> means = _prior_means(np.array([[5.0], [10], [20], [10]]), np.full((4, 1), 10.0), ratios)
    >>> bool(means[0, 0] < 1 < means[2, 0]), float(np.average(means[:, 0], weights=np.full(4, 10.0)))
    (True, 1.0)
    """
    n_schools, n_columns = observed.shape
    if ((expected > 0).sum(0) < 4).any():
        return None
    x = np.column_stack([np.repeat(np.eye(n_columns), n_schools, axis=0), np.tile(ratios, (n_columns, 1))])
    y = np.log((observed + 0.5) / (expected + 0.5)).T.ravel()  # column by column, as x
    weight = expected.T.ravel()
    penalty = np.diag([0.0] * n_columns + [RIDGE * weight.sum()] * ratios.shape[1])
    beta = np.linalg.solve(x.T @ (weight[:, None] * x) + penalty, x.T @ (weight * y))
    means = np.exp(np.clip(ratios @ beta[n_columns:], -np.log(3), np.log(3)))[:, None]
    return means * expected.sum(0) / (expected * means).sum(0)


def _school_posteriors(observed, expected, ratios, together):
    """Gamma posteriors of each school's multiplier on a trust rate (one column for each move,
    or for the joiners' shares at SEN support and with a plan).

    A school's observed count O (say of moves from N to K) is compared with E, what its pupils
    would have done at the trust's rates for their year groups. With a gamma prior of mean m
    worth k, the posterior is Gamma(O + k m, E + k): m is what the school's roll shows
    (:func:`_prior_means`, one line for each group of columns in ``together``) and k =
    ``STOCK_PRIOR``; where the trust has too few schools for that, m = 1 and k =
    ``SCHOOL_PRIOR``. ``observed``, ``expected``: (school, column); ``ratios``:
    :func:`_prevalence_ratios`. Returns ``(shape, rate)``, each (school, column).
    """
    shape, rate = np.empty_like(observed), np.empty_like(expected)
    for columns in together:
        means = _prior_means(observed[:, columns], expected[:, columns], ratios)
        strength = SCHOOL_PRIOR if means is None else STOCK_PRIOR
        shape[:, columns] = observed[:, columns] + strength * (1.0 if means is None else means)
        rate[:, columns] = expected[:, columns] + strength
    return shape, rate


def _school_rates(flows, moves, ratios):
    """Each school's multiplier on the trust's rate of every move (from, to): the gamma
    posteriors (:func:`_school_posteriors`) of its observed moves against what its pupils
    would have done at the trust's rates for their year groups. Staying in the state is what
    is left. Returns ``(shape, rate)``, each (school, from, to)."""
    stay = flows[flows["stayed"]]
    n_schools = len(ratios)
    rates = moves / moves.sum(-1, keepdims=True)  # the trust's mean rates by year group
    observed = np.zeros((n_schools, 3, 3))
    np.add.at(observed, (stay["school_i"], stay["state_i"], stay["state_i_next"].astype(int)), 1)
    expected = np.zeros((n_schools, 3, 3))
    np.add.at(expected, (stay["school_i"].to_numpy(), stay["state_i"].to_numpy()), rates[stay["yg_i"], stay["state_i"]])
    shape, rate = np.full_like(observed, 1e9), np.full_like(expected, 1e9)  # staying: what is left
    pairs = list(itertools.permutations(range(3), 2))  # (from, to): N to K, N to E, K to N, ...
    a, b = np.array(pairs).T
    # new identification, at SEN support or straight to a plan, follows the roll along one line
    together = [[pairs.index((0, 1)), pairs.index((0, 2))], *([i] for i, pair in enumerate(pairs) if pair[0] > 0)]
    shape[:, a, b], rate[:, a, b] = _school_posteriors(observed[:, a, b], expected[:, a, b], ratios, together)
    return shape, rate


def _transfers(flows, schools):
    """Where a school's leavers go within the trust: of the pupils who left school A from year
    group y, the share at school B the next January (a Year 6 pupil moving to one of the
    trust's secondaries), over every interval seen in which B was in the trust at its end (a
    school that joined later is not counted as taking none before); (school, year group,
    school), the rest leave the trust. The denominator has one more leaver, so a share seen
    once is not one. Feeder patterns change slowly, so every interval counts (joiners from
    outside the trust take the last three)."""
    n_schools, n_yg, index = len(schools), len(YEAR_GROUPS), pd.Index(schools)
    intervals = sorted(flows["interval"].unique())
    left = flows[~flows["stayed"]]
    moved = left[left["school_next"].notna()]
    counts = np.zeros((n_schools, n_yg, n_schools))
    np.add.at(counts, (moved["school_i"], moved["yg_i"], index.get_indexer(moved["school_next"])), 1)
    leavers = np.zeros((len(intervals), n_schools, n_yg))
    np.add.at(leavers, (np.searchsorted(intervals, left["interval"]), left["school_i"], left["yg_i"]), 1)
    # which schools were in the trust at the end of each interval: any pupil there at the next census
    there = np.zeros((len(intervals), n_schools), dtype=bool)
    ends = flows[["interval", "school_next"]].dropna().drop_duplicates()
    there[np.searchsorted(intervals, ends["interval"]), index.get_indexer(ends["school_next"])] = True
    return counts / (np.einsum("iay,ib->ayb", leavers, there) + 1)


def _joiners(history, intervals, schools, areas, start, ratios):
    """Mean and spread of pupils joining each school and year group; their state mix; each
    school's intake year groups.

    A school counts joiners only over the intervals it was in the trust at the start of (a
    school that converted in has a first census of pupils who all look new). A school with
    no census history (only in the pupils file, ``start``) takes its lowest year group's
    roll as its yearly intake.
    """
    recent = intervals[-RECENT_INTERVALS:]
    n_yg, n_state = len(YEAR_GROUPS), 1 + 2 * len(areas)
    counts = np.zeros((len(recent), len(schools), n_yg))
    present = np.zeros((len(recent), len(schools)), dtype=bool)
    mix = np.zeros((n_yg, n_state)) + 0.01
    joined = []
    for i, before in enumerate(recent):
        after = before + 1
        a = history[history["census_year"] == before][["upn", "school"]]
        b = history[history["census_year"] == after]
        present[i] = np.isin(schools, a["school"].unique()) & np.isin(schools, b["school"].unique())
        new = b.merge(a, on="upn", how="left", suffixes=("", "_before"))
        # a pupil from another of the trust's schools is a transfer (:func:`_transfers`), not a joiner;
        # nor is one seen in the trust before (at a school missing from the census before)
        earlier = history.loc[history["census_year"] < before, "upn"]
        new = new[new["school_before"].isna() & present[i][new["school_i"].to_numpy()] & ~new["upn"].isin(earlier)]
        np.add.at(counts[i], (new["school_i"], new["yg_i"]), 1)
        np.add.at(mix, (new["yg_i"], new["cell_state"]), 1)
        joined.append(new)
    joined = pd.concat(joined, ignore_index=True)
    intervals = present.sum(0)  # per school
    mean = counts.sum(0) / np.maximum(intervals, 1)[:, None]
    deviation = (counts - mean[None]) * present[..., None]
    var = np.where((intervals > 1)[:, None], (deviation**2).sum(0) / np.maximum(intervals - 1, 1)[:, None], mean)
    roll = start.sum(-1)
    for school in np.flatnonzero(intervals == 0):  # no history: the lowest year group's roll, each year
        held = np.flatnonzero(roll[school] > 0)
        if len(held):
            mean[school, held[0]] = var[school, held[0]] = roll[school, held[0]]
    # intake year groups: each school's lowest with joiners, and Reception, Year 7 and Year 12
    lowest = np.where((mean > 0).any(1), (mean > 0).argmax(1), 0)
    intake = (np.arange(n_yg)[None] == lowest[:, None]) | np.isin(YEAR_GROUPS, (0, 7, 12))[None]
    # each school's joiners: how many came with SEN support or a plan, against the trust's mix
    share = mix / mix.sum(1, keepdims=True)
    provision = np.array([0] + [1] * len(areas) + [2] * len(areas))
    observed = np.zeros((len(schools), 3))
    np.add.at(observed, (joined["school_i"], joined["state_i"]), 1)
    expected = np.zeros((len(schools), 3))
    for state in (1, 2):
        np.add.at(expected[:, state], joined["school_i"], share[joined["yg_i"]][:, provision == state].sum(1))
    return {
        "intake": intake,
        "mean": mean,
        "var": var,
        "mix": mix,
        "school_mix": _school_posteriors(observed[:, 1:], expected[:, 1:], ratios, [[0, 1]]),  # one line
        "provision": provision,
    }


def _new_identification_mix(new, population, n_areas):
    """Broad-area mix of new identifications (``new``: the flows from N to K or E) by phase;
    the current mix if few."""
    area_of = lambda cell: np.where(cell > n_areas, cell - 1 - n_areas, cell - 1)
    mix = np.ones((2, n_areas)) * 0.5
    for phase, rows in enumerate((new[new["yg_i"] <= 8], new[new["yg_i"] > 8])):
        np.add.at(mix[phase], area_of(rows["cell_state_next"].astype(int).to_numpy()), 1)
        if len(rows) < 20:
            current = population[:, (slice(0, 9), slice(9, None))[phase], 1:].sum((0, 1))
            mix[phase] += current[:n_areas] + current[n_areas:]
    return mix / mix.sum(1, keepdims=True)


def _draw(rng, n, p):
    """Binomial draws that broadcast, with p clipped into [0, 1]."""
    return rng.binomial(n, np.clip(np.broadcast_to(p, n.shape), 0, 1))


def _chances(shares):
    """The binomial chances that draw a multinomial category by category (``shares`` on the
    last axis, summing to one): each category's share of what the ones before it left, for all
    but the last, on a new first axis. Worked out once for a mix that does not change from year
    to year (the joiners', the new identifications' areas)."""
    chances = np.empty((shares.shape[-1] - 1, *shares.shape[:-1]))
    left = 1.0
    for k in range(len(chances)):
        chances[k] = shares[..., k] / np.maximum(left, 1e-12)
        left = left - shares[..., k]
    return chances


def _split(rng, counts, chances):
    """``counts`` split among categories (a new last axis) by a multinomial drawn as a binomial
    for each category of what the ones before left (``chances``: :func:`_chances`,
    broadcasting against ``counts``).

    Only the elements with pupils left to split are drawn, in the same order: numpy's binomial
    draws nothing where there is no one, so the draws are those of drawing every element, without
    passing over the many with no one (most cells have no joiners in most states).
    """
    flat = counts.reshape(-1)
    aligned = chances.reshape(len(chances), *[1] * (counts.ndim + 1 - chances.ndim), *chances.shape[1:])
    chances = np.broadcast_to(aligned, (len(chances), *counts.shape)).reshape(len(chances), -1)
    out = np.zeros((len(chances) + 1, flat.size), dtype=flat.dtype)
    where = np.flatnonzero(flat)
    remaining = flat[where]
    for k, chance in enumerate(chances):
        out[k, where] = drawn = _draw(rng, remaining, chance[where])
        remaining = remaining - drawn
        some = remaining > 0
        where, remaining = where[some], remaining[some]
    out[-1, where] = remaining
    return np.moveaxis(out.reshape(-1, *counts.shape), 0, -1)


def _leave_or_move(rng, counts, leave, moves):
    """``counts`` of pupils in one state (simulation, cell) split four ways, drawn as a
    multinomial: leaving the school (chance ``leave``), else moving to either of two other
    states (``moves``, on a last axis of two: the chances of a pupil who stays), else staying
    in their state. Returns the four counts."""
    first, then = moves[..., 0], moves[..., 1]
    chances = np.stack([leave, first, then / np.maximum(1 - first, 1e-12)])
    return np.moveaxis(_split(rng, counts, chances), -1, 0)


def _share(rng, counts, sample, total):
    """``sample`` pupils picked at random, without replacement, from ``counts`` (categories on
    the last axis; ``sample`` and ``total``, their sum, one number for each of the other
    elements): how many of each category (a multivariate hypergeometric), drawn category by
    category as a hypergeometric of what the ones before left.

    When every pupil of an element has the same chance of an outcome whatever their category
    (a pupil at SEN support leaving, or moving to a plan, in any broad area of need), drawing
    how many of the element have it (one binomial of its total) and sharing them out with this
    gives the numbers of each category that have it with the same distribution as one binomial
    for each category, drawing less.
    Only the elements with some left to pick are drawn, and a category none of whose pupils
    can be left out (everyone picked) takes no random number.
    """
    rows = counts.reshape(-1, counts.shape[-1])
    out = np.zeros_like(rows)
    where = np.flatnonzero(sample)
    left = np.asarray(sample).reshape(-1)[where]
    total = np.asarray(total).reshape(-1)[where]
    for k in range(rows.shape[1] - 1):
        good = rows[where, k]
        out[where, k] = drawn = rng.hypergeometric(good, total - good, left)
        left, total = left - drawn, total - good
        some = left > 0
        where, left, total = where[some], left[some], total[some]
    out[where, -1] = left
    return out.reshape(counts.shape)


def _projected(model):
    """The ``roll_projection`` as (year, school index, year-group index, count), for the schools
    the model knows."""
    if model.roll_projection is None:
        return []
    return [
        (int(row.year), model.schools_.index(row.school), int(row.year_group) + 2, row.count)
        for row in model.roll_projection.itertuples(index=False)
        if row.school in model.schools_
    ]


class _Average:
    """A stand-in for the random generator that returns every draw's mean: one run of the
    simulation on average rates, without chance (the model's expected path)."""

    def beta(self, a, b, size):
        return np.broadcast_to(a / (a + b), size).copy()

    def gamma(self, shape, scale=1.0, size=None):
        return np.broadcast_to(np.asarray(shape) * scale, size if size is not None else np.shape(shape)).copy()

    def normal(self, loc, scale, size):
        return np.full(size, loc, dtype=float)

    def poisson(self, lam):
        return np.asarray(lam, dtype=float)

    def binomial(self, n, p):
        return n * p

    def hypergeometric(self, good, bad, sample):
        return sample * (good / np.maximum(good + bad, 1e-300))


def expected_path(model: NeedForecaster, years: int) -> np.ndarray:
    """The model's expected counts (year, school, year group, state) without chance: the
    simulation run once on average rates. Two scenarios' paths differ by the scenario alone,
    where two sets of simulations also differ by chance."""
    model._check_fitted()
    return _simulate(model, years, _Average(), simulations=1)[0]


def _live_cells(model) -> tuple[np.ndarray, ...]:
    """The (school, year group) cells that can hold pupils: at the start, joining, moved
    up from a cell some pupils stay in, or a year up from another school's cell some leave to
    go to. Simulating only these (a primary has no Year 9) does less than half the work of
    every cell."""
    live = (model.start_population_.sum(-1) > 0) | (model.joiners_["mean"] > 0)
    for _, school, year_group, _ in _projected(model):
        live[school, year_group] = True
    a, b = model.stay_
    keeps = a / (a + b) > 1e-3
    while True:
        reached = np.zeros_like(live)
        reached[:, 1:] = live[:, :-1] & keeps[:, :-1]
        reached[:, 1:] |= (live[..., None] & (model.transfers_ > 0)).any(0).T[:, :-1]  # transfers, a year up
        if not (reached & ~live).any():
            return np.nonzero(live)
        live |= reached


def _simulate(model, years, rng, simulations=None):
    S = simulations or model.n_simulations
    n_school, n_yg, n_state = model.start_population_.shape
    n_areas = len(model.areas_)
    school_i, yg_i = _live_cells(model)
    cells = len(school_i)
    index = np.full((n_school, n_yg), -1)
    index[school_i, yg_i] = np.arange(cells)
    up = index[school_i, np.minimum(yg_i + 1, n_yg - 1)]  # the cell a pupil moves up to (-1: none)
    top = yg_i == n_yg - 1  # the last year group keeps its pupils
    moves_up = (up >= 0) & ~top
    kind = float if isinstance(rng, _Average) else np.int64  # numpy's binomial counts in int64
    out = np.zeros((S, years, n_school * n_yg, n_state), dtype=float if kind is float else np.int32)
    flat = school_i * n_yg + yg_i  # each live cell's place among every school and year group
    population = np.broadcast_to(model.start_population_[school_i, yg_i], (S, cells, n_state)).astype(kind)
    a, b = model.stay_
    stay_p = rng.beta(a[school_i, yg_i], b[school_i, yg_i], size=(S, cells))
    gamma = rng.gamma(model.moves_, size=(S, *model.moves_.shape))
    move_p = (gamma / gamma.sum(-1, keepdims=True))[:, yg_i]  # (S, cell, from, to)
    joiner_mix = rng.gamma(model.joiners_["mix"], size=(S, *model.joiners_["mix"].shape))
    joiner_mix /= joiner_mix.sum(-1, keepdims=True)
    joiner_mix = _chances(_school_joiner_mix(model, rng, joiner_mix, (school_i, yg_i)))  # (state, S, cell)
    routes = _routes(model, school_i, yg_i, index)
    area_mix = _chances(model.new_area_mix_[(yg_i > 8).astype(int)])  # (area, cell): Year 7 (index 9) on is secondary
    shape, rate = model.school_rates_
    school_factor = rng.gamma(shape, 1 / rate, size=(S, *shape.shape))[:, school_i]  # (S, cell, from, to)
    move_p *= school_factor  # the school's rates, before each year's trend and shock
    for step in range(years):
        year = model.first_year_ + step
        span, september = model.first_step_ if step == 0 else (1.0, True)
        # the rates' trend is centred on trend_year_ (the intervals' start years); this step's
        # interval starts a year before ``year``, damped past the last interval seen
        seen = model.intervals_[-1]
        offset = (seen - model.trend_year_) + sum(TREND_DAMPING**k for k in range(year - 1 - seen))
        shock = rng.normal(0, model.rate_noise_, size=(S, 1, 3, 3))
        factor = np.exp(model.trend_ * offset + shock)
        scenario = model.scenario_from is None or year >= model.scenario_from
        boost = np.ones((3, 3))
        boost[0, 1:] = 1 + model.identification_change * scenario  # new identification: N to K or E
        p = move_p * (factor * boost)  # (S, cell, from, to)
        p[..., 0, 0] = 0
        p[..., 1, 1] = 0
        p[..., 2, 2] = 0
        off = p.sum(-1, keepdims=True)
        scale = np.where(off > 0.95, 0.95 / off, 1.0)  # keep room for staying in the state
        p = p * scale * span  # a first step shorter than a year: moves in proportion
        if september:
            stay = stay_p  # (S, cell)
        else:  # no summer between: only the pupils who leave during a school year
            in_year = 1 - np.median(np.where(stay_p > 0.5, stay_p, np.nan), axis=1)
            stay = (1 - span * np.nan_to_num(in_year))[:, None]
        leave = np.broadcast_to(1 - stay, population.shape[:2])  # the same chance in every state
        going = None
        if september and routes is not None:  # some go to another of the trust's schools
            going, leave = _transferring(rng, population, leave, routes)
            population = population.copy()
            population[:, routes[0]] -= going
        nxt = _step(rng, population, leave, p, area_mix, n_areas)
        if september:
            moved = np.zeros_like(nxt)
            moved[:, up[moves_up]] = nxt[:, moves_up]  # everyone who stays moves up a year
            moved[:, top] += nxt[:, top]
            moved += _draw_joiners(model, rng, year, joiner_mix, (school_i, yg_i))
            if going is not None:  # the year's moves, then to the other schools, a year up
                sources, destinations, shares = routes
                arrived = _step(rng, going, 0.0, p[:, sources], area_mix[:, sources], n_areas)
                each = arrived[..., None]  # (simulation, source, state, rank): to each of its destinations
                if shares.shape[1] > 1:
                    each = _split(rng, arrived, _chances(shares / shares.sum(1, keepdims=True))[..., None])
                for rank in range(destinations.shape[1]):
                    to = destinations[:, rank] >= 0
                    np.add.at(moved, (slice(None), destinations[to, rank]), each[..., rank][:, to])
        else:  # joiners during the year, in proportion; no intake
            in_year = span * ~model.joiners_["intake"][school_i, yg_i]
            moved = nxt + _draw_joiners(model, rng, year, joiner_mix, (school_i, yg_i), in_year)
        population = moved
        out[:, step, flat] = population
    return out.reshape(S, years, n_school, n_yg, n_state)


def _step(rng, population, leave, p, area_mix, n_areas):
    """A year's moves (or a part of one) of ``population`` (simulation, cell, state): each
    pupil leaves the school (chance ``leave``, by simulation and cell) or moves between N, K
    and E (``p``: simulation, cell, from, to), a new identification's area drawn from
    ``area_mix`` (:func:`_chances`, by cell). Returns those who stay, in their new states."""
    leave = np.broadcast_to(leave, population.shape[:2])
    nxt = np.empty_like(population)
    # from N: leave, to K or E (new area from the phase mix), else N
    _, to_k, to_e, nxt[..., 0] = _leave_or_move(rng, population[..., 0], leave, p[..., 0, [1, 2]])
    nxt[..., 1 : 1 + n_areas] = _split(rng, to_k, area_mix)
    nxt[..., 1 + n_areas :] = _split(rng, to_e, area_mix)
    # from K or E: leave, to N, to the other provision in the same area, else stay. The chances
    # are the same in every area, so how many of the cell go each way is drawn once, then
    # which areas those who go come from, and which of them move to the other provision
    for state, first in ((1, 1), (2, 1 + n_areas)):
        other, other_first = (2, 1 + n_areas) if state == 1 else (1, 1)
        n_now = population[..., first : first + n_areas]  # (S, cell, area)
        total = n_now.sum(-1)
        leavers, to_n, to_other, _ = _leave_or_move(rng, total, leave, p[..., state, [0, other]])
        going = leavers + to_n + to_other
        gone = _share(rng, n_now, going, total)
        nxt[..., 0] += to_n
        nxt[..., other_first : other_first + n_areas] += _share(rng, gone, to_other, going)
        nxt[..., first : first + n_areas] += n_now - gone
    return nxt


def _routes(model, school_i, yg_i, index):
    """The cells (``school_i``, ``yg_i``) some of whose leavers go to another of the trust's
    schools, a year up (:func:`_transfers`): ``(sources, destinations, shares)``, the cells
    they go to and the share of leavers going to each (source, rank; largest first, -1 and 0
    where a source has fewer); None if no school's leavers go to another."""
    target = index[:, np.minimum(yg_i + 1, index.shape[1] - 1)].T  # (cell, school): the cell a year up
    shares = np.where(target >= 0, model.transfers_[school_i, yg_i], 0.0)
    sources = np.flatnonzero(shares.sum(1) > 0)
    if not len(sources):
        return None
    order = np.argsort(-shares[sources], axis=1, kind="stable")[:, : (shares[sources] > 0).sum(1).max()]
    part = np.take_along_axis(shares[sources], order, 1)
    return sources, np.where(part > 0, np.take_along_axis(target[sources], order, 1), -1), part


def _transferring(rng, population, leave, routes):
    """The pupils of each of the :func:`_routes` sources who go to another of the trust's
    schools this September (a leaver's chance times the share of leavers going to one), by
    simulation, source and state; and the chance of leaving for the rest (leaving the trust)."""
    sources, _, shares = routes
    chance = leave[:, sources] * shares.sum(1)  # (simulation, source)
    going = _draw(rng, population[:, sources], chance[..., None])
    rest = np.array(leave, dtype=float)
    rest[:, sources] = (leave[:, sources] - chance) / np.maximum(1 - chance, 1e-12)
    return going, rest


def _school_joiner_mix(model, rng, mix, cells):
    """The joiners' state mix (simulation, yg, state) made each school's, in each of ``cells``
    (school and year-group indexes): its SEN support and plan shares scaled by the school's
    multipliers, pupils with no SEN the rest. Returns (simulation, cell, state)."""
    school_i, yg_i = cells
    shape, rate = model.joiners_["school_mix"]
    factor = rng.gamma(shape, 1 / rate, size=(mix.shape[0], *shape.shape))  # (S, school, K or E)
    factor = np.concatenate([np.ones((*factor.shape[:2], 1)), factor], axis=-1)[..., model.joiners_["provision"]]
    school_mix = mix[:, yg_i] * factor[:, school_i]  # (S, cell, state)
    sen = school_mix[..., 1:].sum(-1, keepdims=True)
    school_mix[..., 1:] *= np.minimum(1, 0.98 / np.maximum(sen, 1e-12))  # room for pupils with no SEN
    school_mix[..., 0] = 1 - school_mix[..., 1:].sum(-1)
    return school_mix


def _draw_joiners(model, rng, year, mix, cells, scale=1.0):
    """Pupils joining each live cell (``cells``: school and year-group indexes), times
    ``scale``, by state (``mix``: the chances of each state, :func:`_chances`, by simulation and
    cell)."""
    S = mix.shape[1]
    change = model.intake_change if model.scenario_from is None or year >= model.scenario_from else 0.0
    mean = model.joiners_["mean"] * (1 + change)
    for projected_year, school, year_group, count in _projected(model):
        if projected_year == year:
            mean[school, year_group] = count
    mean = mean[cells] * scale
    var = np.maximum(model.joiners_["var"][cells] * ((1 + change) * scale) ** 2, mean)
    # negative binomial (gamma-Poisson) with the spread seen between years
    shape = np.where(var > mean, mean**2 / np.maximum(var - mean, 1e-9), 1e6)
    lam = rng.gamma(
        np.maximum(shape, 1e-9), np.where(shape > 0, mean / np.maximum(shape, 1e-9), 0), size=(S, *mean.shape)
    )
    return _split(rng, rng.poisson(lam), mix)  # (S, cell, state)


def _sorted_percentiles(ranked, percents) -> np.ndarray:
    """``np.percentile(ranked, percents, axis=1)`` of values already sorted along axis 1, read
    off at the same positions with the same interpolation (numpy's ``linear``), without sorting
    them again.

    >>> ranked = np.sort(np.random.default_rng(0).integers(0, 9, (4, 101)), axis=1)
    >>> bool((_sorted_percentiles(ranked, [50, 2.5, 97.5]) == np.percentile(ranked, [50, 2.5, 97.5], axis=1)).all())
    True
    """
    position = np.asarray(percents, dtype=float) / 100 * (ranked.shape[1] - 1)
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, ranked.shape[1] - 1)
    below, above = ranked[:, low].T.astype(float), ranked[:, high].T.astype(float)
    step, t = above - below, (position - low)[:, None]
    # numpy's interpolation: from the lower value below halfway, from the upper one past it
    return np.where(t >= 0.5, above - step * (1 - t), below + step * t)


def summarise_simulations(sims, model, by=None) -> pd.DataFrame:
    """Counts and intervals from ``NeedForecaster.simulate`` output, aggregated ``by`` columns."""
    S, years, n_school, n_yg, n_state = sims.shape
    n_areas = len(model.areas_)
    provision = np.array(["N"] + ["K"] * n_areas + ["E"] * n_areas, dtype=object)
    area = np.array([""] + list(model.areas_) * 2, dtype=object)
    index = pd.MultiIndex.from_product(
        [np.arange(years), np.arange(n_school), np.arange(n_yg), np.arange(n_state)],
        names=["step", "school_i", "yg_i", "state"],
    )
    frame = pd.DataFrame(
        {
            "step": index.get_level_values(0),
            "school": np.array(model.schools_, dtype=object)[index.get_level_values(1)],
            "year_group": YEAR_GROUPS[index.get_level_values(2)],
            "sen_provision": provision[index.get_level_values(3)],
            "need_area": area[index.get_level_values(3)],
        }
    )
    values = sims.reshape(S, -1)
    keys = ["step"] + list(by or ["school", "year_group", "sen_provision", "need_area"])
    unknown = set(keys) - {"step", "school", "year_group", "sen_provision", "need_area"}
    if unknown:
        raise ForecastError(f"by may name school, year_group, sen_provision, need_area, not {sorted(unknown)}.")
    groups = frame.groupby(keys, sort=True).ngroup().to_numpy()
    if groups.max() + 1 == len(groups):  # every cell its own group: no sums, the groups' order later
        labels, totals, order = frame[keys], values, groups
    else:
        labels = frame.groupby(keys, sort=True).first().reset_index()[keys]
        ordered = np.argsort(groups, kind="stable")
        starts = np.flatnonzero(np.r_[True, np.diff(groups[ordered]) != 0])
        totals, order = np.add.reduceat(values[:, ordered], starts, axis=1), np.arange(len(labels))
    # the median is the central forecast: it sits in the middle of the ranges and, on counts as
    # small as a school's plans, is off by less than the mean (docs/methods/forecasting.md)
    live = np.flatnonzero(totals.max(0) > 0)  # cells zero in every simulation are left out, before sorting
    live = live[np.argsort(order[live], kind="stable")]  # in the groups' order
    # the counts of each cell sorted once, as whole numbers (numpy's sort of integers is far
    # quicker than the selection percentile makes on floats); the percentiles of sorted values
    # are the same numbers
    ranked = np.sort(totals[:, live].T, axis=1)  # (cell, simulation)
    q = _sorted_percentiles(ranked, [50, 10, 90, 2.5, 97.5])
    mean = ranked.sum(1, dtype=ranked.dtype if ranked.dtype.kind == "f" else np.int64) / S  # whole numbers add exactly
    result = labels.iloc[live].reset_index(drop=True)
    result = result.assign(count=q[0], lower_80=q[1], upper_80=q[2], lower_95=q[3], upper_95=q[4], mean=mean)
    result.insert(0, "year", model.first_year_ + result.pop("step"))
    return result


def _census_totals(history, level: str = "trust") -> pd.Series:
    """Pupils at K and at E in each January census, by ``year, sen_provision`` (and
    ``school`` for the school level), zero where a school in the trust that January had none."""
    keys = ["year", "sen_provision"] + (["school"] if level == "school" else [])
    year = history["census_date"].dt.year.rename("year")
    sen = history["sen_provision"].isin(["K", "E"])
    counts = history[sen].groupby([year[sen], *keys[1:]]).size()
    held = history.assign(year=year).drop_duplicates(keys[:1] + keys[2:])[keys[:1] + keys[2:]]
    grid = held.merge(pd.DataFrame({"sen_provision": ["E", "K"]}), how="cross")[keys]
    return counts.reindex(pd.MultiIndex.from_frame(grid.sort_values(keys)), fill_value=0).rename("count")


def _trust_forecasts(model, trust, origin, horizons, level):
    """Forecasts of a trust's K and E counts (per school or in all) from the censuses up to
    ``origin``, beside what happened."""
    from dataclasses import replace

    history = trust.require("sen_history")
    past = history[history["census_date"].dt.year <= origin]
    if not years_of_moves(past["census_date"].dt.year.unique()):
        return None
    actual = _census_totals(history, level)
    keys = ["sen_provision"] + (["school"] if level == "school" else [])
    past_totals = _census_totals(past, level)
    if isinstance(model, NeedForecaster):
        fitted = _clone(model).set_params(start="census").fit(replace(trust, sen_history=past))
        forecast = fitted.predict(max(horizons), by=keys)
        # the targets the baselines forecast (each school in the trust at the origin), zero where
        # every simulation had none
        grid = past_totals.reset_index()[keys].drop_duplicates()
        grid = grid.merge(pd.DataFrame({"year": sorted(forecast["year"].unique())}), how="cross")
        forecast = grid.merge(forecast, on=["year", *keys], how="left").fillna(0)
    else:
        frames = []
        for key, series in past_totals.groupby(level=keys):
            one = _clone(model).fit(series.reset_index()[["year", "count"]]).predict(max(horizons))
            frames.append(one.assign(**dict(zip(keys, np.atleast_1d(key)))))
        forecast = pd.concat(frames, ignore_index=True)
    forecast = forecast.assign(horizon=forecast["year"] - origin)
    index = pd.MultiIndex.from_frame(forecast[["year", *keys]])
    forecast["actual"] = actual.reindex(index).to_numpy(dtype=float)
    return forecast[forecast["horizon"].isin(horizons)]


def recorded_counts(model: NeedForecaster, history: pd.DataFrame, provision: str, school: str = "", area: str = ""):
    """The censuses behind a forecast chart: ``year, count`` of pupils at ``provision`` (with
    ``area`` as their need, if given) in ``school`` ("" the trust), in each January census
    ``history`` holds for it. A census that counted none there is a 0; one the school is not in
    is left out, and so, for the trust, is one a school is missing from (``model.missing_``),
    whose total would dip by a whole school."""
    rows = history[history["school"].eq(school)] if school else history
    gaps = set() if school else {year for years in model.missing_.values() for year in years}
    censuses = sorted(set(rows["census_date"].dt.year.unique()) - gaps)
    chosen = rows[rows["sen_provision"].eq(provision) & (rows["need_area"].eq(area) if area else True)]
    counts = chosen.groupby(chosen["census_date"].dt.year).size().reindex(censuses, fill_value=0)
    return counts.rename("count").rename_axis("year").reset_index()


def start_notes(model: NeedForecaster, simulations: np.ndarray, school: str = "") -> list[str]:
    """Sentences a planner reads before the table: where the forecast starts, what the last
    census counted, and any count today outside the model's 80% range for the next census.

    ``school`` limits them to one school ("" for the trust); ``simulations`` is the
    model's ``simulate`` output.
    """
    from .codes import PROVISION_WORDS

    def count(frame, provision):
        rows = frame[(frame["sen_provision"] == provision) & ((frame["school"] == school) if school else True)]
        return int(rows["count"].sum())

    where = school or "the trust"
    start, census, roll = model.start_counts_, model.census_counts_, model.roll_counts_
    words = lambda frame: " and ".join(
        f"{count(frame, p)} {PROVISION_WORDS[p].pupils.removeprefix('pupils ')}" for p in ("K", "E")
    )
    if school in model.left_:
        return [f"{school} has no pupils in {model.origin_}: taken to have left the trust, it is not forecast."]
    notes = [f"The forecast for {where} starts from {model.origin_}: {words(start)}."]
    in_census = not school or school in set(census["school"])
    if model.started_today_ and in_census:
        notes.append(f"The January {model.last_year_} census counted {words(census)}.")
    elif model.started_today_ and school not in model.missing_:  # no census history at all
        notes.append(
            f"{school} was not in the January {model.last_year_} census: its intakes are its youngest year "
            "group's roll now, its rates the trust's."
        )
    elif roll is not None:
        notes.append(f"The pupils file ({model.roll_date_.day} {model.roll_date_:%B %Y}) has {words(roll)} now.")
    years = model.census_years_
    gaps = [year for year in range(years[0], years[-1]) if year not in years]
    if gaps:
        notes.append(
            f"sen_history.csv has no census for January {listed(gaps)}: pupils' moves are learnt only from one "
            f"January to the next, so the years across {'that gap' if len(gaps) == 1 else 'those gaps'} are not "
            "used. Add the missing census if the MIS has it."
        )
    for name, missing in model.missing_.items():
        if not school or school == name:
            notes.append(
                f"{name} has no rows in the January {listed(missing)} census of sen_history.csv, though it is in "
                "the trust before and after: its moves across that gap are not used, and its pupils are not "
                "counted as leaving. Add its rows if the MIS has them."
            )
    if len(model.intervals_) == 1:  # one year of moves: in back-tests no better than the census again
        first = model.intervals_[0]
        notes.append(
            f"The census history holds one year of moves (January {first} to January {first + 1}) to learn each "
            "school's rates from. Forecasts made from one year of moves were little better than the last census "
            "repeated in back-tests; read them beside it, and add earlier censuses to sen_history.csv if the "
            "MIS has them."
        )
    if model.left_ and not school:
        one = len(model.left_) == 1
        notes.append(
            f"{listed(model.left_)} {'is' if one else 'are'} in the census history but {'has' if one else 'have'} "
            f"no pupils in {model.origin_}: taken to have left the trust, not forecast (past censuses there still "
            "count toward the trust's rates)."
        )
    empty = [name for name, n in zip(model.schools_, model.start_population_.sum((1, 2))) if n == 0]
    in_last = [name for name in empty if name in set(census["school"]) and (not school or school == name)]
    if model.started_today_ and in_last:  # left since January, or a pupils file without them
        notes.append(
            f"{listed(in_last)} {'was' if len(in_last) == 1 else 'were'} in the January {model.last_year_} census "
            "but the pupils file has no pupils there: if still in the trust, the export is missing them and the "
            "forecast is short by them."
        )
    if roll is None:
        return notes
    first = summarise_simulations(simulations[:, :1], model, ["school", "sen_provision"])
    for row in first[first["sen_provision"].isin(["K", "E"])].itertuples():
        if school and row.school != school:
            continue
        now = count(roll[roll["school"] == row.school], row.sen_provision)
        if row.lower_80 <= now <= row.upper_80:
            continue
        label = PROVISION_WORDS[row.sen_provision].pupils
        range_ = f"80% range for January {row.year}: {row.lower_80:.0f} to {row.upper_80:.0f}"
        notes.append(
            f"{row.school} has {now} {label} now, outside the model's {range_}. "
            + (
                "The forecast starts from the census and has not seen the change since."
                if not model.started_today_
                else "Past years' rates expect a change of this size in the weeks before the census."
            )
        )
    return notes


def forecast_table(model: NeedForecaster, simulations: np.ndarray, by=("school", "sen_provision")) -> pd.DataFrame:
    """The forecast as a planner exports it: whole pupils, the ranges, where it starts.

    ``year, <by>, forecast, low_80, high_80, low_95, high_95, mean, starts_from``: the
    central forecast (the median of the simulations) and the ranges in whole pupils, and the
    mean to one decimal (means add up across schools; medians need not); pupils with no SEN
    are left out.
    """
    return export_table(summarise_simulations(simulations, model, list(by)), model)


def export_table(summary: pd.DataFrame, model: NeedForecaster) -> pd.DataFrame:
    """:func:`forecast_table` from a :func:`summarise_simulations` output already made."""
    by = [c for c in summary.columns if c in ("school", "year_group", "sen_provision", "need_area")]
    if "sen_provision" in summary:
        summary = summary[summary["sen_provision"] != "N"]
    rounded = summary[["count", "lower_80", "upper_80", "lower_95", "upper_95"]].round(0).astype("int64")
    rounded.columns = ["forecast", "low_80", "high_80", "low_95", "high_95"]
    table = pd.concat([summary[["year", *by]], rounded, summary["mean"].round(1)], axis=1)
    return table.assign(starts_from=model.origin_).reset_index(drop=True)


NO_CHANGE = "Forecast with no change"


def scenario_name(model: NeedForecaster) -> str:
    """A forecast's name in plain words: its scenario's ("With 10% more pupils identified from
    January 2027"), or :data:`NO_CHANGE` without one."""
    identification, intake = model.identification_change, model.intake_change
    if not identification and not intake:
        return NO_CHANGE
    more = lambda change: f"{abs(change):.0%} {'more' if change > 0 else 'fewer'}"
    parts = [f"{more(identification)} pupils identified"] * bool(identification)
    parts += [f"{more(intake)} pupils joining"] * bool(intake)
    return f"With {' and '.join(parts)} from January {scenario_start(model)}"


def scenario_start(model: NeedForecaster) -> int:
    """The first January a scenario changes: its ``scenario_from``, or the first forecast."""
    return max(model.scenario_from or model.first_year_, model.first_year_)


def scenario_difference(
    base: NeedForecaster, scenario: NeedForecaster, years: int, school: str = ""
) -> dict[int, np.ndarray] | None:
    """A scenario's own effect on the expected counts: for each January from its first
    (:func:`scenario_start`) among the ``years`` forecast, the two models' expected paths'
    difference (:func:`expected_path`, so that chance between two sets of simulations does not
    blur it), (school, state), every school's but ``school``'s zero when one is given. None
    without a scenario, or for a school not forecast (unknown, or left the trust)."""
    if not (scenario.identification_change or scenario.intake_change):
        return None
    if school and (school not in scenario.schools_ or school in scenario.left_):
        return None
    difference = (expected_path(scenario, years) - expected_path(base, years)).sum(axis=2)  # (year, school, state)
    if school:
        difference[:, [name != school for name in scenario.schools_]] = 0
    first = scenario_start(scenario)
    januaries = range(scenario.first_year_, scenario.first_year_ + years)
    return {year: cells for year, cells in zip(januaries, difference) if year >= first}


def first_and_last(change: dict[int, float], said) -> str:
    """A change in its first and last January, in words ``said`` gives each value: "+1 in
    January 2027, +10 in January 2029" (once, when they are one January)."""
    ends = dict.fromkeys([min(change), max(change)])
    return ", ".join(f"{said(change[year])} in January {year}" for year in ends)


def scenario_words(
    base: NeedForecaster, scenario: NeedForecaster, years: int, school: str = "", provision: str = "K", area: str = ""
):
    """What a scenario does, in sentences: what it changes, and how far it moves the count of
    ``provision`` at ``school`` ("" the trust) whose need is in broad ``area`` ("" every need)
    in its first and last year, against the model without it (``base``, fitted alike). The
    difference is that of the two models' expected paths (:func:`expected_path`), so chance
    between two sets of simulations does not blur it.
    """
    from .codes import PROVISION_WORDS

    if area and area not in scenario.areas_:
        raise ForecastError(f"area is one of the broad areas of need ({'; '.join(scenario.areas_)}), not {area!r}.")
    change = scenario_difference(base, scenario, years, school)
    if change is None:
        return []
    identification, intake = scenario.identification_change, scenario.intake_change
    first = scenario_start(scenario)
    parts = []
    if identification:
        known = not school or school in scenario.new_identifications_.index
        yearly = scenario.new_identifications_.get(school, 0) if school else scenario.new_identifications_.sum()
        how_many = (
            f"about {yearly:.0f} a year in {school or 'the trust'}, so about {abs(identification) * yearly:.0f} "
            f"{'more' if identification > 0 else 'fewer'} a year"
            if known
            else f"{school} has no census history, so the trust's rates"
        )
        parts.append(
            f"new identification {identification:+.0%} (pupils with no SEN starting SEN support or a plan: "
            f"{how_many}; some leave SEN support again or move on to a plan)"
        )
    if intake:
        parts.append(f"pupils joining {intake:+.0%} (Reception and Year 7 intakes, and joiners during the year)")
    words = [f"Scenario from January {first}: {'; '.join(parts)}."]
    if scenario.scenario_from is not None and scenario.scenario_from < first:
        words[0] += f" (January {scenario.scenario_from} was asked for: the forecast starts in {first}.)"
    n_areas = len(scenario.areas_)
    state = slice(1, 1 + n_areas) if provision == "K" else slice(1 + n_areas, None)
    if area:  # one broad area's column within the provision's
        state = slice(state.start + scenario.areas_.index(area), state.start + scenario.areas_.index(area) + 1)
    if change:
        said = lambda value: f"{round(value):+d}" if round(value) else "no change"
        steps = first_and_last({year: cells[:, state].sum() for year, cells in change.items()}, said)
        who = PROVISION_WORDS[provision].pupils + (f" whose need is {area[:1].lower() + area[1:]}" if area else "")
        words.append(f"Against the forecast without it, {who}: {steps}.")
    else:
        words.append(f"January {first} is after the last January forecast: nothing changes in the years shown.")
    span = scenario.first_step_[0]
    if first == scenario.first_year_ and span < 1:
        words.append(
            f"January {first} is {span * 52:.0f} weeks after the forecast's start, {scenario.origin_}: little "
            "can change by then."
        )
    return words


def backtest_words(scores: pd.DataFrame, model: str = "need", years: int = 0) -> list[str]:
    """The back-test in sentences a planner can repeat: the model's average error and how
    often what happened fell inside its 80% range, at each horizon, beside the baselines; and,
    when the forecast runs ``years`` ahead, further than the census history lets past forecasts
    be replayed, that those years are not scored.

    >>> scores = pd.DataFrame({"model": ["need", "naive"], "horizon": [1, 1], "n": [36, 36],
    ...     "mape": [11.0, 12.2], "bias": [4.6, -2.2], "coverage_80": [0.89, 0.94], "coverage_95": [0.97, 0.97]})
    >>> (sentence,) = backtest_words(scores)
    >>> for part in sentence.split(". "):
    ...     print(part)
    One year ahead: off by 11% on average (36 forecasts); the last census repeated, 12%
    89% of outcomes fell inside the 80% range.
    """
    names = {**METHOD_WORDS, "naive": "the last census repeated"}
    if not (scores["n"] > 0).any():
        return [
            "No past forecast to replay yet: that needs two Januaries in a row in the census history and a "
            "later one to score it against."
        ]
    words = []
    for horizon, rows in scores[scores["n"] > 0].groupby("horizon"):
        own = rows[rows["model"] == model]
        if own.empty:
            continue
        own = own.iloc[0]
        others = "; ".join(
            f"{names.get(r.model, r.model)}, {r.mape:.0f}%" for r in rows[rows["model"] != model].itertuples()
        )
        ahead = {1: "One year ahead", 2: "Two years ahead", 3: "Three years ahead"}.get(
            horizon, f"{horizon} years ahead"
        )
        words.append(
            f"{ahead}: off by {own['mape']:.0f}% on average ({own['n']} forecasts)"
            + (f"; {others}" if others else "")
            + f". {own['coverage_80']:.0%} of outcomes fell inside the 80% range."
        )
    tested = int(scores.loc[scores["n"] > 0, "horizon"].max())
    if tested < years:  # years ahead the census history is too short to replay
        beyond = f"{tested + 1} to {years}" if years > tested + 1 else f"{years}"
        words.append(
            f"Past forecasts are replayed up to {tested} year{'s' * (tested != 1)} ahead; forecasts {beyond} "
            "years ahead are not scored against what happened. Read them as the model's rates carried on, with "
            "ranges that widen."
        )
    return words


def forecast_files(table: pd.DataFrame, data_date, notes=(), costs=None) -> list[tuple[str, str, bytes]]:
    """A forecast table as a planner downloads it: ``(kind, mime type, bytes)`` for CSV and
    XLSX. Both carry the data date; the workbook has the notes on a second sheet, and the cost
    forecast (:func:`sendlib.cost_forecast`) on a third when ``costs`` is given."""
    from .render import XLSX, workbook

    table = table.assign(data_date=pd.Timestamp(data_date).date().isoformat())
    sheets = {"Forecast": table, "Notes": pd.DataFrame({"notes": list(notes) or [""]})}
    if costs is not None:
        sheets["Costs"] = costs.round(0)
    return [
        ("csv", "text/csv", table.to_csv(index=False).encode("utf-8")),
        ("xlsx", XLSX, workbook(sheets, title="Forecast")),
    ]
