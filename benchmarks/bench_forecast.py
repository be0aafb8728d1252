"""Benchmark: NeedForecaster fit and predict, 30 schools and about 15,000 pupils, 1,000 simulations,
and the cost of the simulations (issue target: all of it under 1.5 s), beside a previous design
in the same process (by default sendlib at a37c254, before pupils moving between the trust's
schools were modelled).

.venv/bin/python benchmarks/bench_forecast.py [previous revision]

The two designs run in turn, five times each, on the same trust folder; each figure is the
median. The two draw their random numbers differently, so their simulations for a seed differ;
instead the benchmark says whether they have the same distribution: over the five runs (5,000
simulations each), each school's SEN support and EHC plan counts in each year have means
within four standard errors of each other, and 80% and 95% bounds within a pupil or a tenth
of the 95% range, whichever is more. A change that only makes the simulation faster must
keep it; a change to the model (as against a37c254: Year 6 pupils going on to the trust's
secondaries) is expected not to.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, "benchmarks")
from _previous import previous_sendlib

import sendlib
import sendlib.costs
import sendlib.forecast
from sendlib.synthetic import write_sample

SCHOOLS = tuple((f"Primary {i + 1}", "primary", 0, 6, 45, f"{2100 + i}") for i in range(24)) + tuple(
    (f"Secondary {i + 1}", "secondary", 7, 11, 220, f"{4100 + i}") for i in range(6)
)
PREVIOUS = sys.argv[1] if len(sys.argv) > 1 else "a37c254"
TARGET = 1.5
RUNS = 5
MEAN_ERRORS = 4  # means within this many standard errors of their difference
BOUND_SHARE = 0.1  # bounds within this share of the 95% range (or one pupil)


def timed(package, trust, run):
    """Fit, simulate and summarise, cost: seconds for each and in all, and each school's K and
    E counts in each simulation (simulation, year, school, K or E)."""
    forecast, costs = package.forecast, package.costs
    start = time.perf_counter()
    model = forecast.NeedForecaster(n_simulations=1000, random_state=run).fit(trust)
    fitted = time.perf_counter()
    simulations = model.simulate(3)
    forecast.summarise_simulations(simulations, model)  # what predict(3) returns, from these simulations
    predicted = time.perf_counter()
    costs.cost_forecast(model, simulations, costs.unit_costs(trust), None)
    done = time.perf_counter()
    n_areas = len(model.areas_)
    by_school = simulations.sum(3)
    provisions = np.stack([by_school[..., 1 : 1 + n_areas].sum(-1), by_school[..., 1 + n_areas :].sum(-1)], -1)
    return (fitted - start, predicted - fitted, done - predicted, done - start), provisions


def same_distribution(now: np.ndarray, previous: np.ndarray) -> tuple[bool, str]:
    """Whether two designs' counts (simulation, ...) agree within Monte Carlo error: every mean
    within MEAN_ERRORS standard errors, every 80% and 95% bound within BOUND_SHARE of the 95%
    range or one pupil. Also the largest differences, in words."""
    n, m = len(now), len(previous)
    error = np.sqrt(now.var(0) / n + previous.var(0) / m)
    z = np.abs(now.mean(0) - previous.mean(0)) / np.where(error > 0, error, np.inf)
    levels = [2.5, 10, 90, 97.5]
    q_now, q_previous = np.percentile(now, levels, axis=0), np.percentile(previous, levels, axis=0)
    allowed = np.maximum(1, BOUND_SHARE * (q_previous[-1] - q_previous[0]))
    apart = np.abs(q_now - q_previous)
    ok = bool(z.max() <= MEAN_ERRORS and (apart <= allowed).all())
    words = (
        f"largest difference of means {z.max():.1f} standard errors ({(z > 2).mean():.0%} beyond 2, "
        f"{(z > 3).mean():.1%} beyond 3), of bounds {apart.max():.1f} pupils ({(apart / allowed).max():.0%} "
        "of what is allowed)"
    )
    return ok, words


def main():
    before = previous_sendlib(PREVIOUS)
    with tempfile.TemporaryDirectory() as folder:
        write_sample(folder, seed=5, schools=SCHOOLS)
        trusts = {"now": sendlib.load_trust(folder), PREVIOUS: before.loader.load_trust(folder)}
    packages = {"now": sendlib, PREVIOUS: before}
    trust = trusts["now"]
    print(f"trust: {len(trust.schools)} schools, {len(trust.pupils):,} pupils, {len(trust.sen_history):,} census rows")
    times: dict[str, list] = {name: [] for name in packages}
    counts: dict[str, list] = {name: [] for name in packages}
    for run in range(RUNS):
        for name, package in packages.items():
            figures, provisions = timed(package, trusts[name], run)
            times[name].append(figures)
            counts[name].append(provisions)
        print(f"run {run + 1}: " + "; ".join(f"{name} {figures[-1][3]:.2f} s" for name, figures in times.items()))
    print("median of each step (fit, simulate and summarise 3 years x 1,000 simulations, costs; total):")
    for name, figures in times.items():
        fit, simulate, cost, total = (statistics.median(step) for step in zip(*figures))
        label = "this design" if name == "now" else f"previous design ({name})"
        print(f"  {label}: fit {fit:.2f} s, simulate {simulate:.2f} s, costs {cost:.2f} s, total {total:.2f} s")
    now = statistics.median(f[3] for f in times["now"])
    previous = statistics.median(f[3] for f in times[PREVIOUS])
    print(f"median total: {now:.2f} s (target {TARGET} s; the previous design {previous:.2f} s, {now / previous:.2f}x)")
    ok, words = same_distribution(np.concatenate(counts["now"]), np.concatenate(counts[PREVIOUS]))
    print(
        f"each school's K and E counts each year, {RUNS * 1000:,} simulations of each design (their draws differ): "
        f"the same distribution: {'yes' if ok else 'NO'}; {words}"
    )


if __name__ == "__main__":
    main()
