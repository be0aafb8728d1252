"""Benchmark: dashboards in Chromium (first render, change of pupil, the committee page) and
committee reports, today's design beside the previous one measured in the same run.

Starts the real dashboards server (as `sendlib dashboards` does) for today's sendlib, then for
sendlib as it was at ``--before`` (default: the commit before the committee page was served
without a kernel and a pupil's charts came after the text; its own server and kernels, from
this clone's history). For each: the explorer and the forecast visited as soon as a fresh
server answers (twice each); then, on one server, each app opened three times in Debian's
Chromium, timing the first complete render and changes of pupil (until the pupil's name and
progress table show, and until the charts are drawn). Last, one committee report and all of
them in parallel.

    .venv/bin/python benchmarks/bench_dashboards.py [--before REV]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import statistics
import subprocess
import sys
import tempfile
import time

from _previous import previous_server
from playwright.sync_api import sync_playwright

from sendlib._testing import start_server
from sendlib.reports import CHROMIUM_FLAGS

CHROMIUM = "/usr/bin/chromium"
TOKEN = "benchmark-token"
BEFORE = "3810d5a"
RUNS = 3
# (what, target in seconds) as the issue "Fast where people wait" sets them
TARGETS = {
    "explorer, first visit after the server starts": 10,
    "forecast, first visit after the server starts": 10,
    "explorer, first render": 3,
    "forecast, first render": 3,
    "committee page, first render": 3,
    "change of pupil: name and progress shown": 0.2,
    "change of pupil: charts drawn too": None,
}
APPS = {  # what each page shows when complete; the committee page is served at /committee today
    "explorer, first render": ("voila/render/senco_pupil_explorer.ipynb", ".sendlib-app"),
    "forecast, first render": ("voila/render/trust_need_forecast.ipynb", ".sendlib-forecast-table"),
    "committee page, first render": ("committee", ".sendlib-committee-view h2"),
}
CHARTS_DRAWN = "!document.querySelector('.sendlib-figure-pending') && document.querySelector('.sendlib-pupil-view img')"


@contextlib.contextmanager
def todays_server():
    process, port = start_server(TOKEN)
    try:
        yield port
    finally:
        process.terminate()
        process.wait(timeout=60)


def cold(server, browser, figures: dict[str, list[float]]) -> None:
    """The explorer and the forecast, each visited as soon as a fresh server answers (its
    preheated kernels still starting), twice."""
    for what, (path, selector) in [*APPS.items()][:2] * 2:
        with server() as port:
            page = browser.new_page()
            start = time.perf_counter()
            page.goto(f"http://127.0.0.1:{port}/{path}?token={TOKEN}", wait_until="commit")
            page.wait_for_selector(selector, timeout=180_000)
            figures[what.replace("first render", "first visit after the server starts")].append(
                time.perf_counter() - start
            )
            page.close()


def measure(server, browser, committee_path: str) -> dict[str, list[float]]:
    """Every figure of one design: a first visit to a fresh server for the explorer and the
    forecast; then, on one server, three visits to each app, two changes of pupil per visit."""
    figures: dict[str, list[float]] = {what: [] for what in TARGETS}
    cold(server, browser, figures)
    with server() as port:
        warm(port, browser, committee_path, figures)
    return figures


def warm(port: int, browser, committee_path: str, figures: dict[str, list[float]]) -> None:
    time.sleep(30)  # let the preheated kernels finish, as they would before a meeting
    for _run in range(RUNS):
        for what, (path, selector) in APPS.items():
            path = committee_path if what.startswith("committee") else path
            page = browser.new_page()
            start = time.perf_counter()
            page.goto(f"http://127.0.0.1:{port}/{path}?token={TOKEN}")
            page.wait_for_selector(selector, timeout=180_000)
            figures[what].append(time.perf_counter() - start)
            if what.startswith("explorer"):
                box = page.locator("input[placeholder='Type a name or UPN']")
                options = page.locator("datalist option")
                for i in (1, 2):
                    label = options.nth(i * 7).get_attribute("value")
                    start = time.perf_counter()
                    box.fill(label)
                    box.press("Enter")
                    page.wait_for_function(
                        f"document.querySelector('.sendlib-pupil-view').innerText.includes("
                        f"{label.split(' (')[0]!r}) && document.querySelector('.sendlib-progress')",
                        timeout=60_000,
                        polling=10,
                    )
                    figures["change of pupil: name and progress shown"].append(time.perf_counter() - start)
                    page.wait_for_function(CHARTS_DRAWN, timeout=60_000, polling=10)
                    figures["change of pupil: charts drawn too"].append(time.perf_counter() - start)
            page.close()
        time.sleep(25)  # the pool refills between visits (dashboards.FILL_DELAY_SECONDS, then its work)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE, help="the git revision of the previous design")
    args = parser.parse_args(argv)
    results = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        results["today"] = measure(todays_server, browser, "committee")
        before = functools.partial(previous_server, args.before, TOKEN)
        results[f"before ({args.before})"] = measure(before, browser, "voila/render/local_committee.ipynb")
        browser.close()
    print("Dashboards in Chromium, sample trust, medians (each run's figures in brackets)")
    for what, target in TARGETS.items():
        cells = [
            f"{name}: {statistics.median(times[what]):.2f} s ({', '.join(f'{t:.2f}' for t in times[what])})"
            for name, times in results.items()
        ]
        print(f"{what} (target {f'{target} s' if target else 'none'}): " + "; ".join(cells))
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "sendlib.cli", "report", "--school", "Oakfield Primary", "--out", out],
            check=True,
            capture_output=True,
        )
        print(f"one committee report (HTML and PDF): {time.perf_counter() - start:.1f} s (target 15 s)")
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "sendlib.cli", "report", "--all-schools", "--out", out],
            check=True,
            capture_output=True,
        )
        print(f"all six sample schools, two worker processes: {time.perf_counter() - start:.1f} s (target 30 s)")


if __name__ == "__main__":
    main()
