"""Benchmark: NeedForecaster fit and predict, 30 schools and about 15,000 pupils, 1,000 simulations,
and the cost of the simulations (issue target: all of it under 1.5 s), beside the previous design
(sendlib at 3810d5a, before the simulation drew only where there are pupils) in the same process.

.venv/bin/python benchmarks/bench_forecast.py

The two designs run in turn, five times each, on the same trust folder; each figure is the
median. The simulations of the two are checked to be the same, number for number.
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
PREVIOUS = "3810d5a"
TARGET = 1.5
RUNS = 5


def timed(package, trust, run):
    """Fit, simulate and summarise, cost: seconds for each and in all, and the simulations."""
    forecast, costs = package.forecast, package.costs
    start = time.perf_counter()
    model = forecast.NeedForecaster(n_simulations=1000, random_state=run).fit(trust)
    fitted = time.perf_counter()
    simulations = model.simulate(3)
    forecast.summarise_simulations(simulations, model)  # what predict(3) returns, from these simulations
    predicted = time.perf_counter()
    costs.cost_forecast(model, simulations, costs.unit_costs(trust), None)
    done = time.perf_counter()
    return (fitted - start, predicted - fitted, done - predicted, done - start), simulations


def main():
    before = previous_sendlib(PREVIOUS)
    with tempfile.TemporaryDirectory() as folder:
        write_sample(folder, seed=5, schools=SCHOOLS)
        trusts = {"now": sendlib.load_trust(folder), PREVIOUS: before.loader.load_trust(folder)}
    packages = {"now": sendlib, PREVIOUS: before}
    trust = trusts["now"]
    print(f"trust: {len(trust.schools)} schools, {len(trust.pupils):,} pupils, {len(trust.sen_history):,} census rows")
    times: dict[str, list] = {name: [] for name in packages}
    for run in range(RUNS):
        simulations = {}
        for name, package in packages.items():
            figures, simulations[name] = timed(package, trusts[name], run)
            times[name].append(figures)
        same = np.array_equal(simulations["now"], simulations[PREVIOUS])
        print(
            f"run {run + 1}: "
            + "; ".join(f"{name} {figures[-1][3]:.2f} s" for name, figures in times.items())
            + f"; simulations the same: {'yes' if same else 'NO'}"
        )
    print("median of each step (fit, simulate and summarise 3 years x 1,000 simulations, costs; total):")
    for name, figures in times.items():
        fit, simulate, cost, total = (statistics.median(step) for step in zip(*figures))
        label = "this design" if name == "now" else f"previous design ({name})"
        print(f"  {label}: fit {fit:.2f} s, simulate {simulate:.2f} s, costs {cost:.2f} s, total {total:.2f} s")
    now = statistics.median(f[3] for f in times["now"])
    previous = statistics.median(f[3] for f in times[PREVIOUS])
    print(f"median total: {now:.2f} s (target {TARGET} s; the previous design {previous:.2f} s, {now / previous:.2f}x)")


if __name__ == "__main__":
    main()
