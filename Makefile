# Two entry points (see README): `make dashboards` and `make test`; `make quick` and `make lint` while working.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: dashboards test quick lint docs sample bench clean lock

# Every dependency is pinned in requirements.lock (a constraints file), so a new release on
# PyPI cannot break a fresh install; `make lock` refreshes the pins from today's releases.
$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -m venv $(VENV) || { echo "Could not create a virtual environment: on Debian or Ubuntu run 'apt-get install python3-venv' and try again."; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[test]'
	@touch $(STAMP)

## Refresh requirements.lock: today's releases of every dependency, installed in a clean venv.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e '.[test]'
	{ echo "# pinned by 'make lock' on $$(date +%Y-%m-%d) with $$(.lock-venv/bin/python --version)"; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable; } > requirements.lock
	rm -rf .lock-venv

## Set up, then run the main job on the bundled sample trust.
dashboards: $(STAMP)
	$(BIN)/sendlib validate
	$(BIN)/sendlib dashboards

# Tests run on every core (pytest-xdist); the tests that share one Voila server, and each
# other file's tests, stay together in one worker (tests/conftest.py).
PARALLEL := -n auto

## Set up, then check the code (lint, format, types) and run the whole test suite.
test: lint
	$(BIN)/python -m pytest $(PARALLEL)

## The suite without the browser, concurrency and 100 MB tests, a third of each property test's examples: for a change in progress.
quick: lint
	SENDLIB_QUICK_TESTS=1 $(BIN)/python -m pytest $(PARALLEL) -m "not browser and not concurrency and not large" --durations=5

## ruff (lint and format) and mypy, as CI runs them; `ruff format sendlib tests benchmarks` fixes the format.
lint: $(STAMP)
	$(BIN)/ruff check sendlib tests benchmarks
	$(BIN)/ruff format --check sendlib tests benchmarks
	$(BIN)/mypy

## The documentation site (MkDocs) into site/; the test suite builds it too, in strict mode.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

## Re-generate the synthetic sample trust (seeded: the same files every time).
sample: $(STAMP)
	$(BIN)/python -c "from sendlib.synthetic import write_sample; from sendlib._paths import SAMPLE_DIR; write_sample(SAMPLE_DIR)"

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis site

## Benchmarks (figures in docs/benchmarks.md).
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_progress.py
	$(BIN)/python benchmarks/bench_forecast.py
	$(BIN)/python benchmarks/bench_dashboards.py
	$(BIN)/python benchmarks/bench_concurrency.py
