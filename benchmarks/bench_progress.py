"""Benchmark: assess_progress on a national-scale table, beside a groupby().apply() version.

Generates one million pupil-subject series of six termly standardised scores (six million
rows) in memory, times ``assess_progress`` end to end (rows per second, peak memory), then
times a straightforward pandas ``groupby().apply()`` per-pupil slope on a sample of the same
table in the same run, checks both give the same slopes, and prints the speed-up.

    .venv/bin/python benchmarks/bench_progress.py [--series 1000000] [--apply-series 20000]
"""

from __future__ import annotations

import argparse
import threading
import time

import numpy as np
import pandas as pd
import psutil

from sendlib.codes import BUILT_IN_SCALES, upn_check_letter
from sendlib.loader import TrustData
from sendlib.progress import DAYS_PER_YEAR, assess_progress


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


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1_000_000)
    parser.add_argument("--apply-series", type=int, default=20_000)
    args = parser.parse_args(argv)
    trust = national_table(args.series)
    rows = len(trust.assessments)
    print(f"table: {args.series:,} pupil-subject series, {rows:,} rows")
    for reasons in (False, True):
        with PeakMemory() as memory:
            start = time.perf_counter()
            result = assess_progress(trust, reasons=reasons)
            elapsed = time.perf_counter() - start
        flagged = result["less_than_expected_progress"].mean()
        print(
            f"assess_progress(reasons={reasons}): {elapsed:.2f} s, {rows / elapsed:,.0f} rows/s, "
            f"peak memory {memory.peak / 2**30:.2f} GiB (process), +{(memory.peak - memory.start) / 2**30:.2f} "
            f"GiB during the call; {len(result):,} result rows, {flagged:.1%} flagged"
        )
        del result

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
