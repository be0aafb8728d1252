"""Benchmark: dashboards in Chromium (first render, change of pupil) and committee reports.

Starts the real Voila server (as `sendlib dashboards` does), opens each app three times in
Debian's Chromium and times the first complete render and a change of pupil; then times
one committee report and all of them in parallel.

    .venv/bin/python benchmarks/bench_dashboards.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time

from playwright.sync_api import sync_playwright

from sendlib._testing import start_server
from sendlib.reports import CHROMIUM_FLAGS

CHROMIUM = "/usr/bin/chromium"
TOKEN = "benchmark-token"

APPS = {
    "senco_pupil_explorer": ".sendlib-app",
    "trust_need_forecast": ".sendlib-forecast-table",
    "local_committee": ".sendlib-committee-view h2",
}


def main():
    process, port = start_server(TOKEN)
    time.sleep(30)  # let the preheated kernels finish, as they would before a meeting
    renders, changes = {name: [] for name in APPS}, []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            for _run in range(3):
                for name, selector in APPS.items():
                    page = browser.new_page()
                    start = time.perf_counter()
                    page.goto(f"http://127.0.0.1:{port}/voila/render/{name}.ipynb?token={TOKEN}")
                    page.wait_for_selector(selector, timeout=180_000)
                    renders[name].append(time.perf_counter() - start)
                    if name == "senco_pupil_explorer":
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
                            )
                            changes.append(time.perf_counter() - start)
                    page.close()
                time.sleep(15)  # the pool refills between visits
            browser.close()
    finally:
        process.terminate()
    for name, times in renders.items():
        print(
            f"{name}: first render, median of {len(times)}: {statistics.median(times):.1f} s "
            f"({', '.join(f'{t:.1f}' for t in times)})"
        )
    print(f"change of pupil, median of {len(changes)}: {statistics.median(changes):.2f} s")
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "sendlib.cli", "report", "--school", "Oakfield Primary", "--out", out],
            check=True,
            capture_output=True,
        )
        print(f"one committee report (HTML and PDF): {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "sendlib.cli", "report", "--all-schools", "--out", out],
            check=True,
            capture_output=True,
        )
        print(f"all six sample schools, two worker processes: {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
