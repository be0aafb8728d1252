"""Benchmark: assess_progress on a national-scale table, beside its targets, the previous
design and a groupby().apply() version.

Generates one million pupil-subject series of six termly standardised scores (six million
rows) in memory and times ``assess_progress`` end to end (median of ``--repeat`` runs, rows
per second, peak memory), with and without reasons. In the same run and process it times the
previous design (sendlib at ``--previous``, imported beside today's by ``_previous.py``, on
the same table in that version's own TrustData) and checks that both give the same frame to
the last digit. Each figure is printed beside its target (1.5 s; 2 GB) and beside the
previous design's. Today's design is measured first and its results freed before the
previous one runs, and memory is read both as the process's peak and as the rise during the
call, so that neither design's memory counts against the other. Last, it times a
straightforward pandas ``groupby().apply()`` per-pupil slope on a sample of the same table,
checks both give the same slopes, and prints the speed-up.

    .venv/bin/python benchmarks/bench_progress.py [--series 1000000] [--repeat 3]
        [--previous dcb9683 | --previous none] [--apply-series 20000]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import threading
import time

import numpy as np
import pandas as pd
import psutil

from sendlib.codes import BUILT_IN_SCALES, upn_check_letter
from sendlib.loader import TrustData
from sendlib.progress import DAYS_PER_YEAR, assess_progress

PREVIOUS = "dcb9683"  # main after the first pass (fused passes, reasons once a sentence; 6 December 2026)
TARGET_SECONDS = 1.5
TARGET_BYTES = 2e9  # 2 GB (1.86 GiB), the process's peak
GiB = 2**30


def national_table(n_series: int, n_scores: int = 6, seed: int = 0) -> TrustData:
    """A TrustData of n_series/2 pupils with reading and maths, n_scores terms each."""
    rng = np.random.default_rng(seed)
    n_pupils = n_series // 2
    bodies = [f"999{i // 100000:04d}{(i // 1000) % 100:02d}{i % 1000:03d}" for i in range(n_pupils)]
    upns = np.array([upn_check_letter(b) + b for b in bodies], dtype=object)
    pupils = pd.DataFrame(
        {
            "row": np.arange(n_pupils) + 2,
            "upn": pd.array(upns, dtype="str"),
            "school": pd.array(np.array([f"School {i % 20000}" for i in range(n_pupils)], dtype=object), dtype="str"),
            "year_group": pd.array(rng.integers(1, 12, n_pupils), dtype="Int64"),
            "sen_provision": pd.array(rng.choice(["N", "K", "E"], n_pupils, p=[0.82, 0.14, 0.04]), dtype="str"),
        }
    )
    dates = pd.to_datetime(["2024-11-14", "2025-03-12", "2025-06-18", "2025-11-14", "2026-03-12", "2026-06-18"])[
        :n_scores
    ]
    true = rng.normal(100, 14.2, n_series)
    drop = np.where(rng.random(n_series) < 0.15, rng.uniform(15, 25, n_series), 0)
    steps = np.arange(n_scores) / (n_scores - 1)
    scores = np.clip(
        np.round(true[:, None] - drop[:, None] * steps + rng.normal(0, 4.74, (n_series, n_scores))), 40, 160
    ).ravel()
    series = np.repeat(np.arange(n_series), n_scores)
    assessments = pd.DataFrame(
        {
            "row": np.arange(len(series)) + 2,
            "upn": pd.array(upns[series // 2], dtype="str"),
            "subject": pd.array(np.where(series % 2, "maths", "reading"), dtype="str"),
            "assessment_date": np.tile(dates.to_numpy(), n_series),
            "score": scores,
            "scale": pd.array(np.full(len(series), "standardised", dtype=object), dtype="str"),
            "no_score": pd.array(np.full(len(series), None, dtype=object), dtype="str"),
        }
    )
    scales = pd.DataFrame([{"scale": k, **v} for k, v in BUILT_IN_SCALES.items()])
    return TrustData(pupils=pupils, assessments=assessments, scales=scales, as_of=pd.Timestamp("2026-07-01"))


class PeakMemory:
    """Peak resident memory of this process while the block runs, sampled every 5 ms."""

    def __enter__(self):
        self.process = psutil.Process()
        self.start = self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(0.005)

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)


def slope_apply(assessments: pd.DataFrame) -> pd.Series:
    """The straightforward version: one least-squares slope per pupil and subject."""

    def slope(group):
        t = (group["assessment_date"] - group["assessment_date"].min()).dt.days / DAYS_PER_YEAR
        return np.polyfit(t, group["score"], 1)[0]

    return assessments.groupby(["upn", "subject"]).apply(slope, include_groups=False)


def slope_vectorised(assessments: pd.DataFrame) -> pd.Series:
    """The same slope as assess_progress computes it: sums per series with bincount."""
    key, _ = pd.factorize(assessments["upn"] + "|" + assessments["subject"])
    days = assessments["assessment_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    first = np.full(key.max() + 1, np.iinfo(np.int64).max)
    np.minimum.at(first, key, days)
    t = (days - first[key]) / DAYS_PER_YEAR
    x = assessments["score"].to_numpy()
    n = np.bincount(key)
    st, sx = np.bincount(key, t), np.bincount(key, x)
    stt, stx = np.bincount(key, t * t), np.bincount(key, t * x)
    slope = (stx - st * sx / n) / (stt - st**2 / n)
    index = pd.MultiIndex.from_arrays([assessments["upn"], assessments["subject"]]).unique()
    return pd.Series(slope, index=index)


class Timing:
    """Runs of one design's assess_progress on one setting: wall times, and peak memory
    (the process's, and its rise during the call)."""

    def __init__(self, assess, trust, reasons: bool, repeat: int):
        self.seconds, self.peak, self.rise = [], 0, 0
        for _ in range(repeat):
            gc.collect()
            with PeakMemory() as memory:
                start = time.perf_counter()
                self.result = assess(trust, reasons=reasons)
                self.seconds.append(time.perf_counter() - start)
            self.peak = max(self.peak, memory.peak)
            self.rise = max(self.rise, memory.peak - memory.start)
            if len(self.seconds) < repeat:
                del self.result

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def runs(self) -> str:
        return ", ".join(f"{s:.2f}" for s in self.seconds)


def previous_trust(before, trust: TrustData):
    """The same tables in the previous design's own TrustData (the frames are shared, not copied)."""
    return before.loader.TrustData(
        pupils=trust.pupils, assessments=trust.assessments, scales=trust.scales, as_of=trust.as_of
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each design and setting (the median is shown)")
    parser.add_argument("--previous", default=PREVIOUS, help="git revision of the previous design, or 'none'")
    parser.add_argument("--apply-series", type=int, default=20_000)
    args = parser.parse_args(argv)
    trust = national_table(args.series)
    rows = len(trust.assessments)
    print(f"table: {args.series:,} pupil-subject series, {rows:,} rows; median of {args.repeat} runs each")
    before = None
    if args.previous.lower() != "none":
        from _previous import previous_sendlib

        before = previous_sendlib(args.previous)
    for reasons in (False, True):
        # today's design first, its results freed, then the previous one on the same table
        now = Timing(assess_progress, trust, reasons, args.repeat)
        flagged = now.result["less_than_expected_progress"].mean()
        n_result = len(now.result)
        del now.result
        was = None
        if before is not None:
            was = Timing(before.progress.assess_progress, previous_trust(before, trust), reasons, args.repeat)
            del was.result
        elapsed = now.median
        print(
            f"assess_progress(reasons={reasons}): {elapsed:.2f} s (runs {now.runs()}), {rows / elapsed:,.0f} rows/s; "
            f"target {TARGET_SECONDS} s: {'met' if elapsed <= TARGET_SECONDS else 'NOT met'}"
            + (f"; previous design {was.median:.2f} s (runs {was.runs()}), {was.median / elapsed:.1f}x" if was else "")
        )
        print(
            f"    peak memory {now.peak / GiB:.2f} GiB (process), +{now.rise / GiB:.2f} GiB during the call; "
            f"target {TARGET_BYTES / 1e9:.0f} GB ({TARGET_BYTES / GiB:.2f} GiB): "
            f"{'met' if now.peak <= TARGET_BYTES else 'NOT met'}"
            + (f"; previous design {was.peak / GiB:.2f} GiB, +{was.rise / GiB:.2f} GiB" if was else "")
        )
        print(f"    {n_result:,} result rows, {flagged:.1%} flagged")
    if before is not None:
        gc.collect()
        try:
            pd.testing.assert_frame_equal(
                assess_progress(trust), before.progress.assess_progress(previous_trust(before, trust)), check_exact=True
            )
            same = "yes"
        except AssertionError as difference:
            same = f"NO: {difference}"
        print(f"same frame as the previous design (columns, types, values to the last digit, reasons): {same}")

    sample = trust.assessments[trust.assessments["upn"].isin(trust.pupils["upn"].iloc[: args.apply_series // 2])]
    start = time.perf_counter()
    by_apply = slope_apply(sample)
    apply_time = time.perf_counter() - start
    start = time.perf_counter()
    by_bincount = slope_vectorised(sample)
    vector_time = time.perf_counter() - start
    same = np.allclose(by_apply.sort_index().to_numpy(), by_bincount.sort_index().to_numpy())
    apply_rate = len(sample) / apply_time
    print(
        f"groupby().apply() slope on {len(sample):,} rows: {apply_time:.2f} s, {apply_rate:,.0f} rows/s "
        f"(for all {rows:,} rows: about {rows / apply_rate:,.0f} s)"
    )
    print(f"vectorised slope on the same rows: {vector_time:.3f} s; same slopes: {same}")
    print(
        f"speed-up of assess_progress (all four tests and reasons) over apply (one slope): "
        f"{(rows / elapsed) / apply_rate:,.0f}x"
    )


if __name__ == "__main__":
    main()
