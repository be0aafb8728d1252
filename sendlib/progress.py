"""Less than expected progress: the four tests of the SEND Code of Practice 6.17.

For each pupil, subject and scale, the scored assessments (oldest first) are split into
a *previous* window (the first half) and a *latest* window (the second half, the larger
when the count is odd); their means are the baseline and latest levels. No test is run on
fewer than ``min_scores`` (3) scores, or on scores that all fall in one term: such rows
say "not enough scores yet" and are neither passed nor flagged. Then:

(a) ``slower_than_peers``: the latest level is below what pupils who started from the same
    baseline reached. Peers are pupils with the same subject, scale and assessment terms;
    the expected latest level is their least-squares line of latest on baseline level
    (which allows for regression to the mean), fitted once, refitted without pupils far
    below it, and read off leaving the pupil out (DfE value-added logic; a pupil's own score
    never sets their expectation). Where fewer than ``min_peer_group`` peers share the
    terms, the expectation is the scale's own regression to the mean:
    ``mean + r_k (baseline - mean)`` with ``r_k`` the reliability of a mean of k scores.
    The reported progress score is centred: latest minus expected, less its mean over the
    trust's pupils in the same subject, scale and year group, so that its mean there is zero
    and "below" means below like-for-like pupils (DfE progress scores are centred on the
    national mean the same way). The test itself compares with the typical peer (the
    robust line), so that a year group where many fall does not hide them.
(b) ``below_previous_rate``: the rate of progress (least-squares slope, points a year) in
    the latest window is below that of the previous window by more than measurement error,
    *and* below the rate same-baseline peers show over the same terms, by more than
    measurement error too (a high attainer who levels off where their peers level off is
    not flagged); needs ``min_window_scores``
    scores in each window, or says "not enough scores".
(c) ``gap_not_closing``: an attainment gap that matters and is not reliably closing: at the
    latest level the pupil is at least ``gap_sd`` (one) scale SD below their peers (pupils
    without SEN in the same year group, or the whole year group when too few), beyond
    measurement error, and the gap has not closed by more than measurement error. One SD
    (15 points on a standardised scale) puts a pupil level with the peer mean of 100 at 85,
    below NFER's "below average" band (85-94) and into "well below average" (70-84).
(d) ``gap_widening``: the gap to those peers at the latest level is larger than at baseline.

(a), (b) and (d) are about the rate of progress (``slower_progress``); (c) is about the
attainment gap, and is reported beside them, never folded into them
(``less_than_expected_progress`` is the Code's union of the four).

Every test is judged against measurement error (SEND policy section 5; SEND Code of
Practice 6.17): a score's standard error of measurement is ``SEM = SD * sqrt(1 - reliability)``, a
mean of k scores has ``SEM / sqrt(k)``, a slope over times t has
``SEM / sqrt(sum (t - t_bar)^2)``, a difference of two independent estimates has the root
sum of squares of their errors (Jacobson and Truax 1991), and a gap to a peer mean adds
``sigma^2 / n_peers``. A test flags only when the shortfall exceeds ``z`` standard errors.
Because (a), (b) and (d) are three looks at the same data, each uses a stricter ``z`` than
1.645 so that a pupil whose true attainment is steady is flagged by any of them rarely
(about 5% on a simulated trust; see ``tests/test_progress.py``).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from .codes import PROVISION_WORDS
from .exceptions import SendlibError
from .loader import TrustData
from .school_calendar import term_index

# z thresholds (one-sided). 1.645 is one test at 5%; three looks at the same pupil at that
# level flag about 12% of steady pupils. 2.0 (2.3% each) keeps the union below 5% on
# simulated trusts (docs/methods/progress.md has the rates measured).
Z_SLOWER_THAN_PEERS = 2.0
Z_BELOW_PREVIOUS_RATE = 2.0
Z_GAP_WIDENING = 2.0
Z_GAP = 1.645  # (c) a gap is "there" when the pupil is below peers beyond measurement error
# ... and it is large enough to matter: one SD (15 points on a standardised scale) puts a pupil
# level with a peer mean of 100 at 85, below NFER's "below average" band (85-94). A third of
# an SD, used before, flagged a third of pupils with no SEN (a 94 -> 92 was "a gap").
GAP_SD = 1.0
MIN_SCORES = 3  # no verdict from fewer scores, or from scores in a single term
RELIABLE_CHANGE_Z = 1.96  # Jacobson and Truax (1991): reliable change at 95%; a gap closes only reliably
MIN_PEER_GROUP = 30  # same-baseline peers needed to fit their line; otherwise theory
MIN_GAP_PEERS = 10  # peers needed for a peer mean at one assessment
MIN_WINDOW_SCORES = 3  # scores a window needs for a rate of progress (Christ 2006: few points mislead)
TRIM_Z = 1.5  # peers this far below the line (in robust SDs) are left out of the next fit
DAYS_PER_YEAR = 365.25

SETTINGS = {
    "z_slower_than_peers": Z_SLOWER_THAN_PEERS,
    "z_below_previous_rate": Z_BELOW_PREVIOUS_RATE,
    "z_gap_widening": Z_GAP_WIDENING,
    "z_gap": Z_GAP,
    "min_peer_group": MIN_PEER_GROUP,
    "min_gap_peers": MIN_GAP_PEERS,
    "min_window_scores": MIN_WINDOW_SCORES,
    "min_scores": MIN_SCORES,
    "gap_sd": GAP_SD,
    "gap_peers": "no_sen",
}

VERDICTS = (
    "not enough scores yet",
    "slower progress and a gap not closing",
    "progress slower than expected",
    "attainment gap not closing",
    "as expected",
)

PROGRESS_COLUMNS = {
    "upn": "the pupil",
    "school": "the pupil's school",
    "year_group": "the pupil's year group now",
    "sen_provision": "N, K or E now",
    "subject": "subject assessed",
    "scale": "scale of the scores",
    "n_scores": "scored assessments used",
    "n_no_score": "assessments with no score (absent, not taken, blank), not used",
    "first_date": "date of the first score",
    "latest_date": "date of the latest score",
    "first_score": "the first score",
    "last_score": "the latest score",
    "baseline_score": "mean of the previous window's scores (the first half)",
    "latest_score": "mean of the latest window's scores (the second half)",
    "expected_score": "latest level that pupils who started from the same baseline typically reach",
    "progress_score": "latest level against same-baseline peers, centred: mean 0 in each subject, scale and "
    "year group (points; negative is slower)",
    "progress_z": "(latest_score - expected_score) in standard errors: test (a)",
    "expected_from": "how expected_score was found: same-baseline peers (with their number) or regression to the mean",
    "rate_previous": "rate of progress in the previous window, points a year",
    "rate_latest": "rate of progress in the latest window, points a year",
    "rate_peers": "rate of progress of same-baseline peers over the latest window, points a year; missing "
    "when too few peers (then (b) compares with a steady score, 0 a year)",
    "rate_change_z": "(rate_latest - rate_previous) in standard errors",
    "gap_baseline": "baseline level minus the peers' mean at the same assessments",
    "gap_latest": "latest level minus the peers' mean at the same assessments",
    "gap_change_z": "(gap_latest - gap_baseline) in standard errors",
    "gap_peers": "who the gap is measured to",
    "slower_than_peers": "(a) significantly slower than peers from the same baseline",
    "below_previous_rate": "(b) latest rate significantly below the previous rate and below rate_peers; "
    "missing if not enough scores",
    "gap_not_closing": "(c) at least gap_sd SDs below peers, and the gap is not significantly closing",
    "gap_widening": "(d) the gap to peers has widened significantly",
    "enough_scores": f"at least {MIN_SCORES} scores, in more than one term: the tests need no fewer",
    "slower_progress": "(a), (b) or (d): progress slower than expected; missing when not enough scores",
    "less_than_expected_progress": "any of (a)-(d), the Code's definition; missing when not enough scores",
    "verdict": "in words: " + ", ".join(f"'{v}'" for v in VERDICTS),
    "sem": "standard error of measurement of one score on this scale",
    "reason": "plain-English sentences with the numbers",
}


def sem(sd, reliability):
    """Standard error of measurement: ``SD * sqrt(1 - reliability)``.

    >>> round(float(sem(15, 0.90)), 2)
    4.74
    """
    return sd * np.sqrt(1 - reliability)


def reliable_change_index(x1, x2, sd, reliability, sd2=None, practice_effect=0.0):
    """The reliable change index and its standard error (Jacobson and Truax 1991; Maassen 2004).

    ``RCI = (x2 - (x1 + practice_effect)) / S_diff`` with ``S_diff = sqrt(2) * SEM`` for
    equal SDs, or ``sqrt((sd^2 + sd2^2)(1 - r))`` for unequal ones (Maassen).

    Returns
    -------
    (rci, s_diff)

    Examples
    --------
    >>> [round(v, 2) for v in reliable_change_index(88, 78, 15, 0.90)]
    [-1.49, 6.71]
    >>> [round(v, 3) for v in reliable_change_index(104, 96, 13.8, 0.95, sd2=15, practice_effect=4.3)]
    [-2.699, 4.558]
    """
    if sd2 is None:
        s_diff = np.sqrt(2) * sem(sd, reliability)
    else:
        s_diff = np.sqrt((sd**2 + sd2**2) * (1 - reliability))
    rci = (x2 - (x1 + practice_effect)) / s_diff
    return (float(rci), float(s_diff)) if np.ndim(rci) == 0 else (rci, s_diff)


def mean_confidence_interval(values, sd=None, z=1.96):
    """Mean with a confidence interval ``mean +/- z * SD / sqrt(n)`` (DfE school-level style).

    ``sd`` is a known (national) SD; by default the sample SD.

    >>> m, lo, hi = mean_confidence_interval([0, .1, .2, .3, .4, .3, .2, .25, .3], sd=1.41628)
    >>> round(m, 2), round(lo, 2), round(hi, 2)
    (0.23, -0.7, 1.15)
    """
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    n = len(values)
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    spread = np.std(values, ddof=1) if sd is None and n > 1 else (sd if sd is not None else np.nan)
    half = z * spread / np.sqrt(n)
    mean = float(values.mean())
    return mean, float(mean - half), float(mean + half)


def _merge_codes(codes, labels: pd.Index):
    """Codes of a factorize after relabelling; equal labels share one code."""
    new_codes, uniques = pd.factorize(labels)
    return new_codes[codes], uniques


def _changes(column: pd.Series) -> np.ndarray:
    """True on the first row and on each row whose value differs from the row above.

    A missing value differs from any value (or joins the missing values above it), so a run
    of equal values is never one that a factorize would tell apart.
    """
    values = column.array
    differ = values[1:] != values[:-1]
    if not isinstance(differ, np.ndarray):  # nullable booleans: missing counts as a change
        differ = differ.to_numpy(dtype=bool, na_value=True)
    return np.concatenate([np.ones(min(len(values), 1), dtype=bool), differ])


def _factorize_runs(column: pd.Series, change: np.ndarray, heads: np.ndarray) -> tuple[np.ndarray, pd.Index]:
    """``pd.factorize(column)`` read at the rows ``heads``, factorizing the column's own run
    starts only (``change``, which ``heads`` include): the codes are numbered as a factorize of
    the whole column numbers them, since a value first appears at the start of a run."""
    own = change[heads]
    codes, uniques = pd.factorize(column.iloc[heads[own]])
    return codes[np.cumsum(own) - 1], uniques


def _rows_in(column: pd.Series, values: pd.Index) -> np.ndarray:
    """The row of each of ``values`` in ``column`` (-1 where absent), as
    ``pd.Index(column).get_indexer(values)`` gives it.

    Fast path: an export that lists the pupils in the pupils table's own order gives its
    distinct UPNs as that very column, and then each value's row is its position; one
    comparison of the two (cheap) says so, instead of hashing both. Otherwise the lookup.
    """
    if len(values) == len(column):
        same = values.array == column.array
        if not isinstance(same, np.ndarray):  # nullable booleans: a missing value is no match
            same = same.to_numpy(dtype=bool, na_value=False)
        if same.all():
            return np.arange(len(values))
    return pd.Index(column).get_indexer(values)


class _SeriesCodes(NamedTuple):
    """Each assessment's series (pupil, subject, scale) as one integer, and the labels."""

    key: np.ndarray  # (pupil's row in pupils * n_subjects + subject) * n_scales + scale
    subjects: pd.Index  # stripped and lower case: "Reading" and "reading " are one subject
    scale_names: pd.Index


def _series_codes(assessments: pd.DataFrame, pupils: pd.DataFrame) -> _SeriesCodes:
    """Integer codes for the UPNs, subjects and scales, matching strings once a run.

    An export lists a pupil's assessments together, so six million rows make about a
    million runs of one pupil, subject and scale (half a million of one pupil): comparing
    each row with the one above is cheap, and each column's strings are then factorized at
    its own run starts only, and the UPNs looked up in ``pupils`` once per distinct UPN.
    """
    columns = [assessments[c] for c in ("upn", "subject", "scale")]
    changes = [_changes(c) for c in columns]
    heads = np.flatnonzero(changes[0] | changes[1] | changes[2])
    (upn_code, upns), (subject_code, subjects), (scale_code, scale_names) = (
        _factorize_runs(column, change, heads) for column, change in zip(columns, changes)
    )
    upn_code = _rows_in(pupils["upn"], upns)[upn_code]
    if (upn_code < 0).any():
        raise SendlibError(
            "assessments has pupils who are not in pupils; load the folder with load_trust, which reports them"
        )
    # the same subject written differently ("Reading", "reading ") is one subject
    subject_code, subjects = _merge_codes(subject_code, pd.Index(subjects).str.strip().str.lower())
    key = (upn_code.astype(np.int64) * len(subjects) + subject_code) * len(scale_names) + scale_code
    return _SeriesCodes(np.repeat(key, np.diff(np.append(heads, len(assessments)))), subjects, scale_names)


class _Windows:
    """Each series' rows (contiguous, ``n`` of them) split into a previous window (the first
    ``k_prev``) and a latest window (the rest), and sums over each window.

    A window's sum adds its values in row order, as ``np.bincount`` does, so the sums are the
    same to the last digit whichever way they are taken. In general they are one bincount by
    window number (``2 * series + (0 previous, 1 latest)``). Fast path: when every series has
    the same number of rows (a regular export, every pupil assessed every term), the rows are
    a (series, rows) array and each window's sum is its columns added one after another, left
    to right, over blocks of series small enough to stay in the cache; this needs no window
    number for each row and reads each value once.
    """

    BLOCK = 16_384  # series a block: 16,384 x 6 scores is 0.8 MB

    def __init__(self, n: np.ndarray, k_prev: np.ndarray):
        self.n_seg = len(n)
        self.width = int(n[0]) if len(n) and (n == n[0]).all() else None
        if self.width is None:
            self.window = np.repeat(np.arange(2 * self.n_seg), np.column_stack([k_prev, n - k_prev]).ravel())
        else:
            self.split = int(k_prev[0])  # the latest window's first column

    def sums(self, values: np.ndarray) -> np.ndarray:
        """Sums of ``values`` (one a row) over each series' two windows, as (series, 2)."""
        if self.width is None:
            return np.bincount(self.window, weights=values, minlength=2 * self.n_seg).reshape(self.n_seg, 2)
        totals = np.zeros((self.n_seg, 2))
        rows = values.reshape(self.n_seg, self.width)
        for start in range(0, self.n_seg, self.BLOCK):
            block, total = rows[start : start + self.BLOCK], totals[start : start + self.BLOCK]
            for column in range(self.width):
                total[:, int(column >= self.split)] += block[:, column]
        return totals

    def any(self, flags: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """Whether any of a series' rows is flagged, for each series (``starts``: its first rows)."""
        if self.width is not None:
            return np.any(flags.reshape(self.n_seg, self.width), axis=1)
        return np.logical_or.reduceat(flags, starts) if self.n_seg else np.zeros(0, dtype=bool)


def _check_settings(settings):
    unknown = set(settings) - set(SETTINGS)
    if unknown:
        raise SendlibError(f"Unknown setting(s) {', '.join(sorted(unknown))}; the settings are {', '.join(SETTINGS)}.")
    merged = {**SETTINGS, **settings}
    if merged["gap_peers"] not in ("no_sen", "cohort"):
        raise SendlibError(f"gap_peers {merged['gap_peers']!r} is invalid; use 'no_sen' or 'cohort'.")
    for key in ("min_peer_group", "min_gap_peers", "min_window_scores", "min_scores"):
        if int(merged[key]) < 2:
            raise SendlibError(f"{key} must be 2 or more, not {merged[key]!r}.")
    return merged


def assess_progress(trust: TrustData, as_of=None, reasons: bool = True, **settings) -> pd.DataFrame:
    """Judge each pupil's progress in each subject by the four tests of CoP 6.17.

    Parameters
    ----------
    trust : TrustData
        Needs ``assessments`` (and ``pupils``, ``scales``).
    as_of : date, optional
        Use scores up to this day; default the trust's export date.
    **settings
        Override the defaults in ``SETTINGS``: ``z_slower_than_peers``,
        ``z_below_previous_rate``, ``z_gap_widening``, ``z_gap`` (thresholds in standard
        errors), ``min_peer_group``, ``min_gap_peers``, ``min_window_scores``,
        ``min_scores`` (no verdict from fewer, or from one term), ``gap_sd`` (the gap that
        matters for test (c), in scale SDs), and
        ``gap_peers`` ("no_sen": pupils without SEN in the same year group, the default;
        "cohort": the whole year group).
    reasons : bool, default True
        Write the ``reason`` column. Leave it out (False) for national-scale tables that
        no one reads row by row: it is the slowest part.

    Returns
    -------
    DataFrame
        One row per pupil, subject and scale with the columns of ``PROGRESS_COLUMNS``.
        Rows without enough scores (``min_scores``, in more than one term) are kept, with
        the tests missing, ``verdict`` "not enough scores yet" and a reason saying so.
    """
    s = _check_settings(settings)
    as_of = trust.day(as_of)
    assessments = trust.require("assessments")
    within = (assessments["assessment_date"] <= as_of).to_numpy()
    if not within.all():  # (a copy of every column only when some scores are later)
        assessments = assessments[within]
    pupils = trust.pupils
    series = _series_codes(assessments, pupils)
    n_subjects, n_scales = len(series.subjects), len(series.scale_names)
    key = series.key
    scored = assessments["score"].notna().to_numpy()
    unscored_keys, unscored_counts = np.unique(key[~scored], return_counts=True)

    date_ns = assessments["assessment_date"].to_numpy().astype("datetime64[D]").view(np.int64)
    # one integer sort key (series, then date); an export sorted that way already is not sorted again.
    # (Arrays of six million rows are worked in place where it reads as plainly: each new one
    # costs the system a fresh 48 MB.)
    first_day = date_ns.min() if len(date_ns) else 0
    sort_key = key * (date_ns.max() - first_day + 1 if len(date_ns) else 1)
    sort_key += date_ns
    sort_key -= first_day
    if (sort_key[1:] >= sort_key[:-1]).all():
        order = None if scored.all() else np.flatnonzero(scored)
    else:
        order = np.argsort(sort_key, kind="stable")
        order = order[scored[order]]
    del sort_key
    x = assessments["score"].to_numpy()
    if order is not None:
        key, date_ns, x = key[order], date_ns[order], x[order]
    # terms looked up by day: far fewer distinct days than rows
    term = term_index(np.arange(first_day, first_day + (np.ptp(date_ns) + 1 if len(date_ns) else 1)))
    term = (term - term[0])[date_ns - first_day]

    # scale parameters per series
    scales = trust.require("scales").set_index("scale").reindex(series.scale_names)
    scale_sd, scale_mean, scale_rel = (scales[c].to_numpy(dtype=float) for c in ("sd", "mean", "reliability"))
    scale_sem = sem(scale_sd, scale_rel)

    # series (pupil x subject x scale) as contiguous segments of n rows, each split into a
    # previous window (k_prev rows) and a latest window (k_latest rows). Anything the same
    # along a series is worked out once per series and spread over its rows by np.repeat.
    n_rows = len(key)
    is_start = np.ones(n_rows, dtype=bool)
    is_start[1:] = key[1:] != key[:-1]
    starts = np.flatnonzero(is_start)
    del is_start
    n_seg = len(starts)
    n = np.diff(np.append(starts, n_rows))
    k_latest = (n + 1) // 2
    k_prev = n - k_latest
    cnt = np.column_stack([k_prev, k_latest])
    windows = _Windows(n, k_prev)
    seg_key = key[starts]
    del key
    seg_scale = seg_key % n_scales
    seg_subject = seg_key // n_scales % n_subjects
    seg_upn = seg_key // n_scales // n_subjects

    # (b) least-squares slope in each window: sums of x, t, t^2 and tx per window (each added
    # in row order, so exactly the same however the rows were numbered or the sums taken)
    days = np.repeat(date_ns[starts], n)
    np.subtract(date_ns, days, out=days)
    t = days / DAYS_PER_YEAR
    del days
    sum_x = windows.sums(x)
    sum_t = windows.sums(t)
    product = t * t
    sum_tt = windows.sums(product)
    sum_tx = windows.sums(np.multiply(t, x, out=product))
    del t, product
    with np.errstate(invalid="ignore", divide="ignore"):
        level = sum_x / cnt
        sxx = sum_tt - sum_t**2 / cnt
        slope = (sum_tx - sum_t * sum_x / cnt) / sxx
    seg_sem = scale_sem[seg_scale]
    baseline, latest_level = level[:, 0], level[:, 1]

    # (b) rate of progress, latest window against previous
    enough = (np.minimum(cnt[:, 0], cnt[:, 1]) >= s["min_window_scores"]) & (sxx[:, 0] > 1e-9) & (sxx[:, 1] > 1e-9)
    with np.errstate(invalid="ignore", divide="ignore"):
        slope_se = seg_sem[:, None] / np.sqrt(sxx)
        rate_z = (slope[:, 1] - slope[:, 0]) / np.sqrt(slope_se[:, 0] ** 2 + slope_se[:, 1] ** 2)
    rate_z[~enough] = np.nan
    rate_prev = np.where(enough, slope[:, 0], np.nan)
    rate_latest = np.where(enough, slope[:, 1], np.nan)

    # (c), (d) gaps to peers at each assessment
    # peer groups: subject, scale, year group (N1 = -2 .. 13; 16 when unknown) and term
    year_group = pupils["year_group"].to_numpy(dtype=float, na_value=np.nan)
    seg_cohort = (seg_subject * n_scales + seg_scale) * 17 + (np.nan_to_num(year_group, nan=14) + 2).astype(np.int64)[
        seg_upn
    ]
    n_terms = int(term.max()) + 1 if n_rows else 1
    group = np.repeat(seg_cohort * n_terms, n)
    group += term
    n_groups = n_subjects * n_scales * 17 * n_terms
    if s["gap_peers"] == "no_sen":
        seg_is_peer = pupils["sen_provision"].eq("N").to_numpy(dtype=bool)[seg_upn]
    else:
        seg_is_peer = np.ones(n_seg, dtype=bool)
    gap, gap_var, used_cohort = _peer_gaps(x, group, n_groups, np.repeat(seg_is_peer, n), s["min_gap_peers"])
    del group
    has_gap = np.isfinite(gap)
    if has_gap.all():  # the usual case: every score has its peers, nothing to leave out of the sums
        gap_cnt = cnt.astype(float)
    else:
        gap_cnt = windows.sums(has_gap.astype(float))
        gap, gap_var = np.where(has_gap, gap, 0), np.where(has_gap, gap_var, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        gap_level = windows.sums(gap) / gap_cnt
        peer_var = windows.sums(gap_var) / gap_cnt**2
        gap_se = np.sqrt(seg_sem[:, None] ** 2 / gap_cnt + peer_var)
        gap_change_z = (gap_level[:, 1] - gap_level[:, 0]) / np.sqrt(gap_se[:, 0] ** 2 + gap_se[:, 1] ** 2)
    gap_change_z[(gap_cnt[:, 0] == 0) | (gap_cnt[:, 1] == 0)] = np.nan
    # a series whose gap was measured, somewhere, to the whole year group
    seg_used_cohort = windows.any(used_cohort & has_gap, starts)
    del gap, gap_var, used_cohort, has_gap, windows

    # no verdict without enough evidence: min_scores scores, in more than one term
    first_term, last_term = term[starts], term[starts + n - 1]
    judged = (n >= s["min_scores"]) & (last_term > first_term)

    # (a) expected latest level from same-baseline peers (same subject, scale, terms)
    peers, _ = pd.factorize(
        (((seg_subject * 64 + seg_scale) * 100_000 + first_term) * 64 + (last_term - first_term)) * 64
        + np.minimum(n, 63)
    )
    expected, variance, peer_n, typical = _expected_levels(
        baseline,
        latest_level,
        k_prev,
        k_latest,
        seg_sem,
        scale_mean[seg_scale],
        scale_sd[seg_scale],
        peers,
        s["min_peer_group"],
    )
    # (a) is judged against the typical same-baseline peer (the robust line); the progress
    # score reported is centred: its mean over each subject, scale and year group is zero
    progress_z = (latest_level - expected) / np.sqrt(variance)
    scored = judged & np.isfinite(expected)
    n_cohorts = n_subjects * n_scales * 17
    with np.errstate(invalid="ignore", divide="ignore"):
        shift = np.bincount(seg_cohort, np.where(scored, latest_level - expected, 0), n_cohorts) / np.bincount(
            seg_cohort, scored, n_cohorts
        )
    progress_score = latest_level - expected - np.nan_to_num(shift)[seg_cohort]

    # (b) ... and only when also below the rate that same-baseline peers show over the same
    # terms by more than measurement error
    # (their least-squares line of latest rate on baseline; 0 for an age-standardised scale
    # when too few peers: a steady standardised score is expected progress, NFER)
    # (fitted, like (a), on the typical peers, so that many stalling do not hide each other)
    rate_fit = _group_ols(
        baseline, rate_latest, peers, peers.max() + 1 if n_seg else 0, typical & np.isfinite(rate_latest)
    )
    with np.errstate(invalid="ignore"):
        peer_rate = rate_fit["a"][peers] + rate_fit["b"][peers] * baseline
    peer_rate = np.where((rate_fit["n"][peers] >= s["min_peer_group"]) & np.isfinite(peer_rate), peer_rate, np.nan)

    has_two = n >= 2
    slower = _flag(progress_z < -s["z_slower_than_peers"], np.isfinite(progress_z) & judged)
    with np.errstate(invalid="ignore"):
        below_rate = _flag(
            (rate_z < -s["z_below_previous_rate"])
            & (rate_latest - np.nan_to_num(peer_rate) < -s["z_below_previous_rate"] * slope_se[:, 1]),
            np.isfinite(rate_z) & judged,
        )
    gap_known = np.isfinite(gap_level[:, 1]) & judged
    with np.errstate(invalid="ignore"):
        below_peers = (gap_level[:, 1] < -s["z_gap"] * gap_se[:, 1]) & (
            gap_level[:, 1] <= -s["gap_sd"] * scale_sd[seg_scale]
        )
        closing = gap_change_z > RELIABLE_CHANGE_Z
    not_closing = _flag(below_peers & ~closing, gap_known)
    widening = _flag(gap_change_z < -s["z_gap_widening"], np.isfinite(gap_change_z) & judged)
    slower_progress = np.zeros(n_seg, dtype=bool)
    for flag in (slower, below_rate, widening):
        slower_progress |= flag.fillna(False).to_numpy(dtype=bool)
    gap_flag = not_closing.fillna(False).to_numpy(dtype=bool)

    unscored = pd.Series(unscored_counts, index=unscored_keys)
    result = pd.DataFrame(
        {
            **_pupil_columns(pupils, seg_upn),
            "subject": pd.Categorical.from_codes(seg_subject, series.subjects),
            "scale": pd.Categorical.from_codes(seg_scale, series.scale_names),
            "n_scores": n,
            "n_no_score": unscored.reindex(seg_key, fill_value=0).to_numpy() if len(unscored) else np.zeros(n_seg, int),
            "first_date": pd.to_datetime(date_ns[starts], unit="D"),
            "latest_date": pd.to_datetime(date_ns[starts + n - 1], unit="D"),
            "first_score": x[starts],
            "last_score": x[starts + n - 1],
            "baseline_score": np.where(has_two, baseline, np.nan),
            "latest_score": latest_level,
            "expected_score": np.where(judged, expected, np.nan),
            "progress_score": np.where(judged, progress_score, np.nan),
            "progress_z": np.where(judged, progress_z, np.nan),
            "expected_from": pd.Categorical.from_codes(
                np.where(judged, peer_n < s["min_peer_group"], -1).astype(np.int8),
                ["same-baseline peers", "regression to the mean (too few peers)"],
            ),
            "rate_previous": rate_prev,
            "rate_latest": rate_latest,
            "rate_peers": np.where(enough, peer_rate, np.nan),
            "rate_change_z": rate_z,
            "gap_baseline": np.where(has_two, gap_level[:, 0], np.nan),
            "gap_latest": gap_level[:, 1],
            "gap_change_z": gap_change_z,
            "gap_peers": pd.Categorical.from_codes(
                (seg_used_cohort | (s["gap_peers"] == "cohort")).astype(np.int8),
                ["pupils without SEN in the year group", "all pupils in the year group"],
            ),
            "slower_than_peers": slower,
            "below_previous_rate": below_rate,
            "gap_not_closing": not_closing,
            "gap_widening": widening,
            "enough_scores": judged,
            "slower_progress": _flag(slower_progress, judged),
            "less_than_expected_progress": _flag(slower_progress | gap_flag, judged),
            "verdict": pd.Categorical.from_codes(
                np.select([~judged, slower_progress & gap_flag, slower_progress, gap_flag], [0, 1, 2, 3], 4).astype(
                    np.int8
                ),
                VERDICTS,
            ),
            "sem": seg_sem,
        },
        copy=False,  # the arrays are this call's own: no copying them into blocks
    )
    result["n_scores"] = result["n_scores"].astype("int64")
    if reasons:
        result["reason"] = _reasons(result, last_term - first_term, date_ns[starts + k_prev], enough, progress_z, s)
    result = _add_unscored_series(
        result, assessments, unscored, seg_key, pupils, series.subjects, series.scale_names, n_subjects, n_scales
    )
    return result


def _pupil_columns(pupils, index) -> dict:
    return {c: pd.Series(pupils[c].array.take(index)) for c in ("upn", "school", "year_group", "sen_provision")}


def _flag(values, known) -> pd.Series:
    """A nullable boolean column: ``values`` where ``known``, missing elsewhere."""
    known = np.asarray(known, dtype=bool)
    return pd.Series(pd.arrays.BooleanArray(np.asarray(values, dtype=bool) & known, ~known))


def _peer_gaps(x, group, n_groups, is_peer, min_peers):
    """Each score minus the mean of its peers at the same assessment, leaving the pupil out.

    Where a group has too few peers (``min_peers``), everyone in it counts as a peer.
    Returns the gaps, the variance of each peer mean, and which rows fell back so.

    Peers and others are counted in one bincount (of ``2 * group + is_peer``); the sums of
    the members' scores and squares are a bincount each. Each row then reads what it needs
    with one gather from a table by group and membership (``2 * group + member``): a peer's
    own score comes out of the count there, and groups left with too few peers are already
    missing, so nothing is masked row by row afterwards.
    """
    pair = group * 2
    pair += is_peer
    counts = np.bincount(pair, minlength=2 * n_groups).reshape(n_groups, 2)  # others, peers
    use_all_groups = counts[:, 1] - 1 < min_peers
    use_all = use_all_groups[group]
    member = use_all | is_peer
    pair |= use_all  # now 2 * group + member
    n_g = np.where(use_all_groups, counts.sum(axis=1), counts[:, 1]).astype(float)
    xm = np.where(member, x, 0)
    s_g = np.bincount(group, weights=xm, minlength=n_groups)
    gap = xm * x  # the squares first; the same array then holds the gaps
    q_g = np.bincount(group, weights=gap, minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        var_of_mean = np.maximum(q_g - s_g**2 / n_g, 0) / (n_g - 1) / (n_g - 1)
        n = n_g[:, None] - np.array([0.0, 1.0])  # by group and membership: a member leaves itself out
        too_few = n < min_peers
        n[too_few] = np.nan
        var_of_mean = np.where(too_few, np.nan, var_of_mean[:, None])
        np.take(np.repeat(s_g.astype(float), 2), pair, out=gap)  # x - (s_g - xm) / n, in place
        gap -= xm
        gap /= n.ravel()[pair]
        np.subtract(x, gap, out=gap)
    return gap, var_of_mean.ravel()[pair], use_all


def _expected_levels(baseline, latest, k_prev, k_latest, seg_sem, mean, sd, peers, min_group):
    """Expected latest level from same-baseline peers (``peers``: group codes), leaving each
    pupil out; else theory. Returns the expectation, its variance, the peers' number and
    which pupils the final line was fitted on (not far below it: the typical peers)."""
    n_seg = len(baseline)
    ok = np.isfinite(baseline) & np.isfinite(latest)
    n_groups = peers.max() + 1 if n_seg else 0
    include = ok.copy()
    for trim in range(6):
        # Fit, then refit without pupils far below the line. Pupils who fall behind sit only
        # below it, so the spread is read from the residuals above it (half-normal: mean
        # of |e| = sigma sqrt(2 / pi)), which falling pupils do not inflate.
        fit = _group_ols(baseline, latest, peers, n_groups, include, variance=trim == 5)  # s2: the last fit's
        resid = latest - (fit["a"][peers] + fit["b"][peers] * baseline)
        above = include & (resid > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            spread = (
                np.bincount(peers, np.where(above, resid, 0), n_groups)
                / np.bincount(peers, above, n_groups)
                / np.sqrt(2 / np.pi)
            )
        scale_e = spread[peers]
        with np.errstate(invalid="ignore"):
            include = ok & ~(resid < -TRIM_Z * scale_e)
    x_bar, sxx, size = fit["x_bar"][peers], fit["sxx"][peers], fit["n"][peers]
    with np.errstate(invalid="ignore", divide="ignore"):
        leverage = 1 / size + (baseline - x_bar) ** 2 / sxx
        resid = latest - (fit["a"][peers] + fit["b"][peers] * baseline)
        # leave the pupil out: a residual of a point in the fit grows by 1 / (1 - h)
        resid_loo = np.where(include, resid / (1 - leverage), resid)
        expected_peer = latest - resid_loo
        b = fit["b"][peers]
        measurement = seg_sem**2 * (1 / k_latest + b**2 / k_prev)
        # judged against measurement error (Jacobson and Truax 1991), plus the error of the peers' line
        var_peer = measurement + fit["s2"][peers] * leverage
    use_peers = ok & (size >= min_group) & (sxx > 1e-9) & np.isfinite(expected_peer)
    # theory: regression to the mean with the reliability of a mean of k scores
    true_var = sd**2 - seg_sem**2
    with np.errstate(invalid="ignore", divide="ignore"):
        r_k = true_var / (true_var + seg_sem**2 / k_prev)
        expected_theory = mean + r_k * (baseline - mean)
        var_theory = true_var * (1 - r_k) + seg_sem**2 / k_latest
    expected = np.where(use_peers, expected_peer, expected_theory)
    variance = np.where(use_peers, var_peer, var_theory)
    expected[~ok] = np.nan
    return expected, variance, np.where(use_peers, size, 0), include


def _group_ols(x, y, group, n_groups, include, variance: bool = False):
    """Least-squares line of ``y`` on ``x`` in each group, over the ``include`` rows; with
    ``variance``, the residual variance ``s2`` too (a pass more, needed by the last fit only)."""
    w = include.astype(float)
    xs, ys = np.where(include, x, 0), np.where(include, y, 0)
    n = np.bincount(group, weights=w, minlength=n_groups)
    sx, sy = np.bincount(group, xs, n_groups), np.bincount(group, ys, n_groups)
    sxx = np.bincount(group, xs * xs, n_groups)
    sxy = np.bincount(group, xs * ys, n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        x_bar, y_bar = sx / n, sy / n
        cxx = sxx - n * x_bar**2
        cxy = sxy - n * x_bar * y_bar
        b = cxy / cxx
        a = y_bar - b * x_bar
    fit = {"a": a, "b": b, "x_bar": x_bar, "sxx": cxx, "n": n}
    if variance:
        syy = np.bincount(group, ys * ys, n_groups)
        with np.errstate(invalid="ignore", divide="ignore"):
            fit["s2"] = np.maximum(syy - n * y_bar**2 - b * cxy, 0) / (n - 2)
    return fit


def _whole(values) -> pd.arrays.IntegerArray:
    """Values rounded to whole numbers as a reason prints them (missing where not finite)."""
    values = np.asarray(values, dtype=float)
    ok = np.isfinite(values)
    return pd.arrays.IntegerArray(np.where(ok, np.round(np.where(ok, values, 0)), 0).astype(np.int64), ~ok)


def _phrases(sentence, *columns) -> np.ndarray:
    """``sentence(*values)`` for each row of ``columns`` (equal lengths), as an object array.

    Each distinct combination of values is formatted once and spread over its rows: a
    national table has far fewer distinct sentences than rows. Whole numbers (``_whole``)
    reach ``sentence`` as ints, or None where missing.
    """
    code, texts = _phrase_codes(sentence, *columns)
    return texts[code]


def _phrase_codes(sentence, *columns) -> tuple[np.ndarray, np.ndarray]:
    """As ``_phrases``, before spreading: each row's code and the distinct sentences."""
    # the values' codes in mixed radix (0 for missing), as one number, factorized once
    code, size = np.zeros(len(columns[0]), dtype=np.int64), 1
    for column in columns:
        part, uniques = pd.factorize(column)
        if size * (len(uniques) + 1) >= 2**62:  # would overflow: number the combinations so far
            code, combinations = pd.factorize(code)
            size = len(combinations)
        code = code * (len(uniques) + 1) + part + 1
        size *= len(uniques) + 1
    code, _ = pd.factorize(code)
    # codes are numbered in order of first appearance: each code's first row is where it appears
    first = np.flatnonzero(np.diff(np.maximum.accumulate(code), prepend=-1) > 0)
    values = [
        c[first].to_numpy(dtype=object, na_value=None) if isinstance(c, pd.arrays.IntegerArray) else c[first]
        for c in columns
    ]
    texts = np.empty(len(first), dtype=object)
    texts[:] = [sentence(*row) for row in zip(*(v.tolist() for v in values))]
    return code, texts


def _trend_sentence(subject: str, base: int, last: int, span: int) -> str:
    change = last - base
    # the two levels are averages of the earlier and the latest scores, not single scores (the
    # chart shows each score): say so, or the sentence and the chart seem to disagree
    verb = (
        f"averaged about {last} in both its earlier and its latest scores"
        if abs(change) < 1
        else f"rose from an average of {base} in its earlier scores to {last} in its latest"
        if change > 0
        else f"fell from an average of {base} in its earlier scores to {last} in its latest"
    )
    return f"{subject} {verb}, over {span} term{'s' if span != 1 else ''}."


def _slower_than_peers_sentence(base: int, expected: int, below: int, margin: int) -> str:
    return (
        f"Pupils who started at about {base} typically reach {expected} by now; this is {below} points "
        f"below that, more than measurement error allows (about {margin} points)."
    )


def _below_previous_rate_sentence(since: str, rate_latest: int, rate_previous: int, rate_peers: int | None) -> str:
    return (
        f"Progress since {since} ({rate_latest:+d} points a year) is slower than before "
        f"({rate_previous:+d} a year), by more than measurement error, and slower than "
        + (
            f"pupils who started at the same level ({rate_peers:+d} a year)."
            if rate_peers is not None
            else "a steady score (too few pupils started at the same level to compare with)."
        )
    )


def _gap_widening_sentence(peers: str, gap_base: int, gap_latest: int) -> str:
    return f"The gap to {peers} has widened from {gap_base:+d} to {gap_latest:+d} points."


def _gap_not_closing_sentence(peers: str, gap_latest: int, progress_in_line: bool) -> str:
    text = f"Attainment gap: now {-gap_latest} points below {peers}, and not closing."
    if progress_in_line:
        text += " Progress itself is in line with pupils who started at the same level."
    return text


def _unflagged_reason(subject: str, judged: bool, n_scores: int, short: bool, s: dict) -> str:
    if not judged:
        counted = {0: "no scores", 1: "one score", 2: "two scores"}.get(n_scores, f"{n_scores} scores") + (
            ", all in one term" if n_scores >= s["min_scores"] else ""
        )
        return (
            f"{subject}: not enough scores yet to judge progress ({counted}; needs {s['min_scores']}, "
            "in more than one term)."
        )
    text = f"{subject}: progress in line with pupils who started at the same level, within measurement error."
    if short:
        text += _not_enough_for_rates(s)
    return text


def _not_enough_for_rates(s: dict) -> str:
    return f" Not enough scores yet to compare rates of progress (needs {s['min_window_scores']} in each half)."


def _reasons(r, span_terms, window_start_days, enough, progress_z, s):
    """Plain-English reasons: with the numbers for every flagged row; a sentence for the rest.

    A flagged row's reason is its trend sentence followed by one sentence for each test it
    fails (or why rates could not be compared). Each sentence is formatted once per distinct
    combination of the subject, words and whole numbers it says (``_phrases``), which keeps a
    national-scale table fast.
    """
    names = np.asarray(r["subject"].cat.categories.str.capitalize(), dtype=object)
    subject = r["subject"].cat.codes.to_numpy()  # codes of names, as distinct as the names
    flagged = r["less_than_expected_progress"].fillna(False).to_numpy(dtype=bool)
    judged = r["enough_scores"].to_numpy(dtype=bool)
    text = np.empty(len(r), dtype=object)
    rest = ~flagged
    text[rest] = _phrases(
        lambda code, *row: _unflagged_reason(names[code], *row, s),
        subject[rest],
        judged[rest],
        r["n_scores"].to_numpy()[rest],
        (judged & ~enough)[rest],
    )
    rows = np.flatnonzero(flagged)
    if not len(rows):
        return pd.Series(text, dtype=object)
    pick = lambda column: np.asarray(r[column])[rows]
    with np.errstate(divide="ignore", invalid="ignore"):  # a score of 0 at z 0: no margin, and none is shown
        below = pick("expected_score") - pick("latest_score")
        margin = np.abs(below / progress_z[rows]) * s["z_slower_than_peers"]
    days, inverse = np.unique(window_start_days[rows], return_inverse=True)
    since = np.asarray([f"{pd.Timestamp(int(d), unit='D'):%B %Y}" for d in days], dtype=object)[inverse]
    peers = np.asarray(r["gap_peers"].cat.categories, dtype=object)[r["gap_peers"].cat.codes.to_numpy()[rows]]
    fails = {
        name: r[name].fillna(False).to_numpy(dtype=bool)[rows]
        for name in ("slower_than_peers", "below_previous_rate", "gap_not_closing", "gap_widening")
    }
    base, gap_latest = _whole(pick("baseline_score")), _whole(pick("gap_latest"))
    # Each part a row says is a code into that part's distinct sentences (0: not said, ""), and
    # a reason is one distinct combination of parts: each is joined once and spread over its rows.
    parts, tables = [], []

    def part(where, sentence, *columns):
        code, texts = _phrase_codes(sentence, *(column[where] for column in columns))
        said = np.zeros(len(rows), dtype=np.int64)
        said[where] = code + 1
        parts.append(said)
        tables.append(["", *(" " + text for text in texts)] if parts[1:] else ["", *texts])

    def trend(code, *row):
        return _trend_sentence(names[code], *row)

    part(np.ones(len(rows), dtype=bool), trend, subject[rows], base, _whole(pick("latest_score")), span_terms[rows])
    part(
        fails["slower_than_peers"],
        _slower_than_peers_sentence,
        base,
        _whole(pick("expected_score")),
        _whole(below),
        _whole(margin),
    )
    part(
        fails["below_previous_rate"],
        _below_previous_rate_sentence,
        since,
        _whole(pick("rate_latest")),
        _whole(pick("rate_previous")),
        _whole(pick("rate_peers")),
    )
    short = ~fails["below_previous_rate"] & ~enough[rows]
    part(short, lambda _: _not_enough_for_rates(s).lstrip(), short)
    part(fails["gap_widening"], _gap_widening_sentence, peers, _whole(pick("gap_baseline")), gap_latest)
    progress_in_line = ~(fails["slower_than_peers"] | fails["below_previous_rate"] | fails["gap_widening"])
    part(fails["gap_not_closing"], _gap_not_closing_sentence, peers, gap_latest, progress_in_line)
    text[rows] = _phrases(lambda *said: "".join(map(list.__getitem__, tables, said)), *parts)
    return pd.Series(text, dtype=object)


FLAG_RATE_COLUMNS = [
    "provision",
    "pupils",
    "slower_progress_pct",
    "gap_not_closing_pct",
    "either_pct",
    "not_enough_scores_pct",
]


def flag_rates(progress: pd.DataFrame) -> pd.DataFrame:
    """Pupils (not rows) flagged, by SEN provision and for all pupils.

    A pupil counts under ``slower_progress`` or ``gap_not_closing`` when any of their
    subjects is flagged so, and under ``not_enough_scores`` when none of their subjects has
    enough scores to judge. Percentages are of the group's pupils.
    """
    per_pupil = progress.assign(
        slower=progress["slower_progress"].fillna(False).astype(bool),
        gap=progress["gap_not_closing"].fillna(False).astype(bool),
        judged=progress["enough_scores"].fillna(False).astype(bool),
    ).groupby("upn", observed=True)
    pupils = per_pupil.agg(
        provision=("sen_provision", "first"), slower=("slower", "any"), gap=("gap", "any"), judged=("judged", "any")
    )
    pupils["either"] = pupils["slower"] | pupils["gap"]
    pupils["none"] = ~pupils["judged"]
    rows = []
    labels = {code: words.label for code, words in PROVISION_WORDS.items()}
    for label, group in [*((labels[c], pupils[pupils["provision"] == c]) for c in labels), ("All pupils", pupils)]:
        shares = 100 * group[["slower", "gap", "either", "none"]].mean() if len(group) else [float("nan")] * 4
        rows.append([label, len(group), *shares])
    return pd.DataFrame(rows, columns=FLAG_RATE_COLUMNS)


def _add_unscored_series(result, assessments, unscored, scored_keys, pupils, subjects, scale_names, n_subj, n_scale):
    """Pupil-subjects with no score at all are reported too, never dropped."""
    missing = unscored.index.difference(scored_keys)
    if not len(missing):
        return result
    keys = missing.to_numpy()
    scale_code = keys % n_scale
    subject_code = (keys // n_scale) % n_subj
    upn_code = keys // n_scale // n_subj
    extra = pd.DataFrame(
        {
            **_pupil_columns(pupils, upn_code),
            "subject": pd.Categorical.from_codes(subject_code, subjects),
            "scale": pd.Categorical.from_codes(scale_code, scale_names),
            "n_scores": 0,
            "n_no_score": unscored.loc[missing].to_numpy(),
            "enough_scores": False,
            "slower_progress": pd.array([pd.NA] * len(missing), dtype="boolean"),
            "less_than_expected_progress": pd.array([pd.NA] * len(missing), dtype="boolean"),
            "verdict": VERDICTS[0],
        }
    )
    if "reason" in result:
        extra["reason"] = pd.Series(
            extra["subject"].astype(str).str.capitalize()
            + ": no scores yet ("
            + extra["n_no_score"].astype(str)
            + " assessment(s) absent, not taken or "
            "blank): not enough scores yet to judge progress.",
            dtype=object,
        )
    combined = pd.concat([result, extra], ignore_index=True)
    for column in ("subject", "scale", "expected_from", "gap_peers"):
        combined[column] = combined[column].astype("category")
    combined["verdict"] = pd.Categorical(combined["verdict"], categories=VERDICTS)
    combined["enough_scores"] = combined["enough_scores"].astype(bool)
    return combined


GROUP_COLUMNS = [
    "school",
    "subject",
    "grouping",
    "group",
    "n_pupils",
    "mean_progress",
    "ci_low",
    "ci_high",
    "share_slower_progress",
    "share_gap_not_closing",
    "compared_with",
    "difference",
    "difference_low",
    "difference_high",
    "reading",
]
_NO_SEN = PROVISION_WORDS["N"].pupils
_GROUPINGS = {
    "sen_provision": ("SEN provision", {code: words.label for code, words in PROVISION_WORDS.items()}),
    "need_area": ("Broad area of need", None),
    "eal": ("English as an additional language", {True: "EAL", False: "English first language"}),
    "fsm": ("Free school meals", {True: "FSM", False: "Not FSM"}),
}


def _difference(group: np.ndarray, others: np.ndarray, z: float) -> tuple[float, float, float]:
    """Difference of two means with a Welch interval ``d +/- z sqrt(s1^2/n1 + s2^2/n2)``."""
    if len(group) < 2 or len(others) < 2:
        return float("nan"), float("nan"), float("nan")
    d = float(group.mean() - others.mean())
    half = z * float(np.sqrt(group.var(ddof=1) / len(group) + others.var(ddof=1) / len(others)))
    return d, d - half, d + half


def progress_by_group(
    trust: TrustData,
    progress: pd.DataFrame | None = None,
    school: str | None = None,
    as_of=None,
    z: float = RELIABLE_CHANGE_Z,
) -> pd.DataFrame:
    """Mean progress score with a 95% confidence interval, by group, for a school or the trust.

    Groups: SEN provision (N, K, E), broad area of need (K and E), EAL and FSM. The
    interval is ``mean +/- 1.96 SD / sqrt(n)`` (the DfE's school-level style, with the
    group's own SD). Each group is also compared with others: pupils on SEN support, with
    an EHC plan or in a broad area of need with pupils with no SEN; pupils with no SEN with
    pupils with SEN; EAL and FSM groups with the rest; the difference of means has a Welch
    95% interval. ``reading`` says both in plain words. Only pupils with enough scores
    (``enough_scores``) count.

    Parameters
    ----------
    progress : DataFrame, optional
        The output of :func:`assess_progress`; computed when not given.
    school : str, optional
        One school; by default the whole trust ("All schools").

    Returns
    -------
    DataFrame
        ``school, subject, grouping, group, n_pupils, mean_progress, ci_low, ci_high,
        share_slower_progress`` (tests a, b or d), ``share_gap_not_closing`` (test c),
        ``compared_with, difference, difference_low, difference_high, reading``. Counts are
        exact: suppress small ones before a committee sees them.
    """
    progress = assess_progress(trust, as_of) if progress is None else progress
    pupils = trust.pupils.set_index("upn")
    data = progress[progress["enough_scores"].fillna(False).astype(bool) & progress["progress_score"].notna()]
    if school is not None:
        data = data[data["school"] == school]
    data = data.assign(
        need_area=data["upn"].map(pupils["need_area"]),
        eal=data["upn"].map(pupils["eal"]),
        fsm=data["upn"].map(pupils["fsm"]),
    )
    rows = []
    for subject, by_subject in data.groupby("subject", observed=True):
        score = by_subject["progress_score"].to_numpy()
        no_sen = (by_subject["sen_provision"] == "N").to_numpy()
        for column, (grouping, labels) in _GROUPINGS.items():
            values = by_subject[column]
            for value, group in by_subject.groupby(column, observed=True, dropna=True):
                mean, low, high = mean_confidence_interval(group["progress_score"].to_numpy(), z=z)
                label = labels.get(value, value) if labels else value
                member = (values == value).to_numpy()
                if column in ("sen_provision", "need_area") and value != "N":
                    compared, others = _NO_SEN, score[no_sen]
                elif column == "sen_provision":
                    compared, others = "pupils with SEN", score[~no_sen]
                else:
                    compared, others = "the other pupils", score[~member & values.notna().to_numpy()]
                diff, diff_low, diff_high = _difference(score[member], others, z)
                rows.append(
                    {
                        "school": school or "All schools",
                        "subject": subject,
                        "grouping": grouping,
                        "group": label,
                        "n_pupils": len(group),
                        "mean_progress": mean,
                        "ci_low": low,
                        "ci_high": high,
                        # of the group's pupils with enough scores (a gap with no peers to measure it: not flagged)
                        "share_slower_progress": group["slower_progress"].fillna(False).astype(float).mean(),
                        "share_gap_not_closing": group["gap_not_closing"].fillna(False).astype(float).mean(),
                        "compared_with": compared,
                        "difference": diff,
                        "difference_low": diff_low,
                        "difference_high": diff_high,
                        "reading": _interval_reading(label, subject, mean, low, high)
                        + _difference_reading(compared, diff, diff_low, diff_high),
                    }
                )
    return pd.DataFrame(rows, columns=GROUP_COLUMNS)


def _difference_reading(compared: str, diff: float, low: float, high: float) -> str:
    """
    >>> _difference_reading("pupils with no SEN", -2.0, -3.1, -0.9)
    ' Against pupils with no SEN: 2.0 points below them (95% confidence interval -3.1 to -0.9; unlikely to be chance).'
    """
    if not (np.isfinite(diff) and np.isfinite(low) and np.isfinite(high)):
        return ""
    return f" Against {compared}: {difference_words(diff, low, high, 'them')}."


def difference_words(diff: float, low: float, high: float, whom: str) -> str:
    """A difference with its interval in words, judged on the figures as shown (one decimal).

    >>> difference_words(-1.04, -2.23, -0.04, "pupils with no SEN")
    '1.0 points below pupils with no SEN (95% confidence interval -2.2 to 0.0; could be chance)'
    >>> difference_words(0.02, -1.9, 1.8, "them")
    'level with them (95% confidence interval -1.9 to +1.8; could be chance)'
    """
    low, high = round(low, 1), round(high, 1)
    shown = f"{low:+.1f} to {high:+.1f}".replace("+0.0", "0.0").replace("-0.0", "0.0")
    chance = "unlikely to be chance" if high < 0 or low > 0 else "could be chance"
    size = round(abs(diff), 1)
    head = f"level with {whom}" if size == 0 else f"{size:.1f} points {'below' if diff < 0 else 'above'} {whom}"
    return f"{head} (95% confidence interval {shown}; {chance})"


def _interval_reading(group, subject, mean, low, high) -> str:
    """A confidence interval in plain words.

    >>> print(_interval_reading("EHC plan", "reading", -2.14, -4.0, -0.3))  # doctest: +NORMALIZE_WHITESPACE
    EHC plan, reading: on average 2.1 points below the trust's average for pupils who started at the same
    level; the whole 95% confidence interval (-4.0 to -0.3) is below zero, so this is unlikely to be chance.
    """
    if not np.isfinite(mean):
        return f"{group}, {subject}: no progress scores yet."
    if not (np.isfinite(low) and np.isfinite(high)):
        return f"{group}, {subject}: one pupil only, too few to judge."
    side = "below" if mean < 0 else "above"
    head = (
        f"{group}, {subject}: on average {abs(mean):.1f} points {side} the trust's average for pupils who "
        f"started at the same level; "
    )
    low, high = round(low, 1), round(high, 1)  # judged on the figures as shown
    interval = f"({low:.1f} to {high:.1f})".replace("-0.0", "0.0")
    if high < 0:
        return head + f"the whole 95% confidence interval {interval} is below zero, so this is unlikely to be chance."
    if low > 0:
        return head + f"the whole 95% confidence interval {interval} is above zero, so this is unlikely to be chance."
    return head + f"the 95% confidence interval {interval} includes zero, so this could be chance."


REVIEW_WINDOW_DAYS = 365  # scores within a year either side of a plan's start are compared
REVIEW_VERDICTS = (
    "gained on the year group since the plan started",
    "fell further behind the year group since the plan started",
    "no reliable change",
    "too early: no assessment since the plan started",
    "no score in the year after the plan started",
    "no score in the year before the plan started",
)
INTERVENTION_COLUMNS = [
    "upn",
    "school",
    "plan_start",
    "outcome",
    "subject",
    "n_before",
    "n_after",
    "level_before",
    "level_after",
    "change",
    "change_low",
    "change_high",
    "change_z",
    "verdict",
]


def score_levels(trust: TrustData, as_of) -> pd.DataFrame:
    """Every score up to ``as_of`` read against the pupil's year group at the same assessment:
    ``level`` is the score minus the mean score of the year group that term, in that subject
    and scale (which takes out the test and the time of year); ``sem`` is the scale's
    standard error of measurement. Columns ``upn, subject`` (lower case), ``scale,
    assessment_date, score, sem, term, year_group, level``."""
    pupils = trust.pupils.set_index("upn")
    scores = trust.require("assessments").dropna(subset=["score", "upn", "subject", "scale"])
    scores = scores.loc[scores["assessment_date"] <= as_of, ["upn", "subject", "scale", "assessment_date", "score"]]
    scores = scores.merge(trust.require("scales")[["scale", "sd", "reliability"]], on="scale", how="left")
    scores["sem"] = sem(scores["sd"], scores["reliability"])
    scores["subject"] = scores["subject"].str.strip().str.lower()
    scores["term"] = term_index(scores["assessment_date"].to_numpy().astype("datetime64[D]").astype(np.int64))
    scores["year_group"] = scores["upn"].map(pupils["year_group"]).fillna(-99)
    cohort = ["subject", "scale", "year_group", "term"]
    scores["level"] = scores["score"] - scores.groupby(cohort)["score"].transform("mean")
    return scores.drop(columns=["sd", "reliability"])


def review_interventions(trust: TrustData, as_of=None, z: float = RELIABLE_CHANGE_Z) -> pd.DataFrame:
    """The "review" of assess-plan-do-review: did the pupil gain on their year group once a
    support plan started?

    Each score is read against the pupil's year group at the same assessment (the score
    minus the year group's mean score that term, subject and scale), which takes out the
    test and the time of year. For each support plan and subject, ``level_before`` is the
    mean of those levels over the pupil's scores in the year before ``plan_start`` and
    ``level_after`` over the year from it; ``change`` is after minus before, with a 95%
    interval from measurement error (``SEM sqrt(1/n_before + 1/n_after)``; Jacobson and
    Truax 1991). A verdict needs one score on each side: "gained on the year group since
    the plan started" or "fell further behind ..." when the change exceeds ``z`` standard
    errors, else "no reliable change". Without a score after the start, the verdict says
    "too early: no assessment since the plan started" only when no pupil in the trust has
    been assessed in the subject since; otherwise "no score in the year after the plan started".
    A score on the plan's first day counts as before it.

    Returns
    -------
    DataFrame
        ``upn, school, plan_start, outcome`` (the review's recorded outcome), ``subject,
        n_before, n_after, level_before, level_after, change, change_low, change_high,
        change_z, verdict`` (one of ``REVIEW_VERDICTS``).
    """
    as_of = trust.day(as_of)
    plans = trust.require("support_plans")
    pupils = trust.pupils.set_index("upn")
    scores = score_levels(trust, as_of)
    last_assessed = scores.groupby(["subject", "scale"])["assessment_date"].max()
    outcome = plans["outcome"] if "outcome" in plans else pd.Series(np.nan, index=plans.index)
    plans = plans.assign(outcome=outcome).loc[plans["plan_start"] <= as_of, ["upn", "plan_start", "outcome"]]
    plans = plans.dropna(subset=["upn"]).assign(_plan=lambda d: np.arange(len(d)))
    keys = ["_plan", "subject", "scale"]
    # one row per plan and each subject (and scale) the pupil has scores in, as the reviewer reads them
    reviews = plans.merge(scores[["upn", "subject", "scale"]].drop_duplicates(), on="upn")
    dated = plans[["_plan", "upn", "plan_start"]].merge(scores, on="upn")
    since = dated["assessment_date"] - dated["plan_start"]
    window = pd.Timedelta(days=REVIEW_WINDOW_DAYS)
    dated["side"] = np.select(
        # a score on the plan's first day shows where the pupil started: it counts as before
        [(since <= pd.Timedelta(0)) & (since > -window), (since > pd.Timedelta(0)) & (since <= window)],
        ["before", "after"],
        "",
    )
    sides = (
        dated[dated["side"] != ""]
        .groupby([*keys, "side"])
        .agg(n=("level", "size"), level=("level", "mean"), sem=("sem", "first"))
        .unstack("side")
    )
    reviews = reviews.set_index(keys)
    for side in ("before", "after"):
        reviews[f"n_{side}"] = sides.get(("n", side), pd.Series(dtype=float)).reindex(reviews.index).fillna(0)
        reviews[f"level_{side}"] = sides.get(("level", side), pd.Series(dtype=float)).reindex(reviews.index)
    reviews[["n_before", "n_after"]] = reviews[["n_before", "n_after"]].astype("int64")
    error = sides["sem"].max(axis=1).reindex(reviews.index)
    with np.errstate(divide="ignore", invalid="ignore"):
        se = error * np.sqrt(1 / reviews["n_before"] + 1 / reviews["n_after"])
    reviews = reviews.reset_index()
    se = se.to_numpy()
    reviews["change"] = reviews["level_after"] - reviews["level_before"]
    reviews["change_low"] = reviews["change"] - z * se
    reviews["change_high"] = reviews["change"] + z * se
    reviews["change_z"] = reviews["change"] / se
    assessed_since = (
        pd.MultiIndex.from_frame(reviews[["subject", "scale"]]).map(last_assessed).to_numpy() >= reviews["plan_start"]
    )
    change_z = reviews["change_z"].to_numpy()
    reviews["verdict"] = pd.Categorical(
        np.select(
            [
                (reviews["n_after"] == 0) & ~assessed_since,
                reviews["n_after"] == 0,
                reviews["n_before"] == 0,
                change_z > z,
                change_z < -z,
            ],
            [REVIEW_VERDICTS[3], REVIEW_VERDICTS[4], REVIEW_VERDICTS[5], REVIEW_VERDICTS[0], REVIEW_VERDICTS[1]],
            REVIEW_VERDICTS[2],
        ),
        categories=REVIEW_VERDICTS,
    )
    reviews["school"] = reviews["upn"].map(pupils["school"])
    return reviews.sort_values(keys, kind="stable")[INTERVENTION_COLUMNS].reset_index(drop=True)


EFFECT_COLUMNS = ["subject", "outcome", "n_pupils", "n_plans", "mean_change", "ci_low", "ci_high", "reading"]


def intervention_effects(reviews: pd.DataFrame, z: float = RELIABLE_CHANGE_Z) -> pd.DataFrame:
    """Support plans' effect pooled by the review's recorded outcome, and over all plans.

    ``reviews`` is :func:`review_interventions`. Only plans with a score on each side count.
    A pupil with several plans counts once in a group (the mean of their plans' changes),
    so the 95% interval (``mean +/- 1.96 SD / sqrt(n_pupils)``) is not narrowed by one
    pupil's repeated plans. Fewer than two pupils: no interval, and the reading says so.
    """
    judged = reviews[reviews["change"].notna()].assign(
        outcome=lambda d: d["outcome"].fillna("no outcome recorded").astype(str).str.strip().str.lower()
    )
    rows = []
    for subject, by_subject in judged.groupby("subject", sort=True):
        for outcome, group in [("all plans", by_subject), *by_subject.groupby("outcome", sort=True)]:
            per_pupil = group.groupby("upn")["change"].mean().to_numpy()
            mean, low, high = mean_confidence_interval(per_pupil, z=z)
            if len(per_pupil) < 2:
                reading = "one pupil only, too few to judge"
            elif low > 0:
                reading = f"gained {mean:.1f} points on the year group on average; unlikely to be chance"
            elif high < 0:
                reading = f"fell {-mean:.1f} points further behind the year group on average; unlikely to be chance"
            else:
                reading = f"{mean:+.1f} points against the year group on average; could be chance"
            rows.append(
                {
                    "subject": subject,
                    "outcome": outcome,
                    "n_pupils": len(per_pupil),
                    "n_plans": len(group),
                    "mean_change": mean,
                    "ci_low": low,
                    "ci_high": high,
                    "reading": reading,
                }
            )
    return pd.DataFrame(rows, columns=EFFECT_COLUMNS)


BAND_COLUMNS = ["assessment_date", "score", "peers_mean", "peers_low", "peers_high", "n_peers", "cohort_mean"]
SAME_BASELINE_POINTS = 5  # peers whose first score is within this many points of the pupil's
# What the band shows: at the first assessment it is at most 2 x 5 points wide by this choice;
# later its width (17-21 points on the sample) is mostly measurement error (one score's 90%
# band is +/- 8 points at reliability 0.90) with the peers' real divergence; the plot says so.


def pupil_progress_band(trust: TrustData, upn: str, subject: str, as_of=None) -> pd.DataFrame:
    """A pupil's scores beside their same-baseline peers and their year group, term by term.

    Same-baseline peers: pupils in the same year group whose first score in the subject
    (on the same scale and term) was within ``SAME_BASELINE_POINTS`` of the pupil's.

    Returns
    -------
    DataFrame
        ``assessment_date, score`` (missing where the pupil has none that term),
        ``peers_mean, peers_low, peers_high`` (mean and 10th-90th percentiles of the
        peers' scores), ``n_peers``, ``cohort_mean``.
    """
    as_of = trust.day(as_of)
    pupils = trust.pupils.set_index("upn")
    if upn not in pupils.index:
        raise SendlibError(f"No pupil with UPN {upn!r} in this trust.")
    scores = trust.require("assessments")
    scores = scores[
        (scores["subject"].str.lower() == subject.lower())
        & scores["score"].notna()
        & (scores["assessment_date"] <= as_of)
    ]
    mine = scores[scores["upn"] == upn].sort_values("assessment_date")
    if mine.empty:
        return pd.DataFrame(columns=BAND_COLUMNS)
    scale = mine["scale"].iloc[0]
    cohort = scores[
        (scores["scale"] == scale) & scores["upn"].map(pupils["year_group"]).eq(pupils.at[upn, "year_group"])
    ].copy()
    cohort["term"] = term_index(cohort["assessment_date"].to_numpy().astype("datetime64[D]").astype(np.int64))
    first = cohort.sort_values("assessment_date").groupby("upn").first()
    start_term = term_index(np.array([mine["assessment_date"].iloc[0]], dtype="datetime64[D]").astype(np.int64))[0]
    same = first[
        (first["term"] == start_term) & ((first["score"] - mine["score"].iloc[0]).abs() <= SAME_BASELINE_POINTS)
    ].index.drop(upn, errors="ignore")
    peers = cohort[cohort["upn"].isin(same)]
    by_term = peers.groupby("term")["score"]
    band = pd.DataFrame(
        {
            "peers_mean": by_term.mean(),
            "peers_low": by_term.quantile(0.1),
            "peers_high": by_term.quantile(0.9),
            "n_peers": by_term.size(),
        }
    )
    band["cohort_mean"] = cohort[cohort["upn"] != upn].groupby("term")["score"].mean()
    band["assessment_date"] = cohort.groupby("term")["assessment_date"].median()
    mine_by_term = mine.assign(
        term=term_index(mine["assessment_date"].to_numpy().astype("datetime64[D]").astype(np.int64))
    ).set_index("term")["score"]
    band["score"] = mine_by_term
    band = band[band.index >= start_term]
    return band.reset_index(drop=True)[BAND_COLUMNS]
