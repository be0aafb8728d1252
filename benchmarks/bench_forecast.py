"""Benchmark: NeedForecaster fit and predict, 30 schools and about 15,000 pupils, 1,000 simulations,
and the cost of the simulations (issue target: all of it under 2 s).

.venv/bin/python benchmarks/bench_forecast.py
"""

from __future__ import annotations

import tempfile
import time

from sendlib import load_trust
from sendlib.costs import cost_forecast, unit_costs
from sendlib.forecast import NeedForecaster, summarise_simulations
from sendlib.synthetic import write_sample

SCHOOLS = tuple((f"Primary {i + 1}", "primary", 0, 6, 45, f"{2100 + i}") for i in range(24)) + tuple(
    (f"Secondary {i + 1}", "secondary", 7, 11, 220, f"{4100 + i}") for i in range(6)
)


def main():
    with tempfile.TemporaryDirectory() as folder:
        write_sample(folder, seed=5, schools=SCHOOLS)
        trust = load_trust(folder)
    print(f"trust: {len(trust.schools)} schools, {len(trust.pupils):,} pupils, {len(trust.sen_history):,} census rows")
    times = []
    for run in range(3):
        start = time.perf_counter()
        model = NeedForecaster(n_simulations=1000, random_state=run).fit(trust)
        fitted = time.perf_counter()
        simulations = model.simulate(3)
        forecast = summarise_simulations(simulations, model)  # what predict(3) returns, from these simulations
        predicted = time.perf_counter()
        units = unit_costs(trust)
        costs = cost_forecast(model, simulations, units, None)
        done = time.perf_counter()
        times.append(done - start)
        print(
            f"run {run + 1}: fit {fitted - start:.2f} s, simulate and predict 3 years x 1,000 simulations "
            f"{predicted - fitted:.2f} s, costs for the trust and {costs['school'].nunique() - 1} schools "
            f"{done - predicted:.2f} s, "
            f"total {done - start:.2f} s ({len(forecast):,} forecast rows; target 2 s)"
        )
    print(f"median total: {sorted(times)[1]:.2f} s (target 2 s)")


if __name__ == "__main__":
    main()
