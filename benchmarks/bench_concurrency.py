"""Benchmark: many people opening the committee page at once against one server.

For 1, 5 and 15 visitors, each a different governor of the access file, the page as served
today (``/committee``: cached HTML, no kernel; :mod:`sendlib.server`) beside the previous
design measured in the same run (the Voila app ``local_committee.ipynb``: a kernel per visitor):
(a) the server alone: each visitor's page fetched over HTTP until the server has sent the whole
    page (for the Voila app: run the notebook and sent the page, the app's widget in it);
(b) real browsers: Debian's Chromium, one context per visitor (opened before the clock starts,
    as each governor's browser is already open), until each page shows its school's committee
    view (on this machine the browsers share the server's two cores).
A fresh server serves each run; peak memory is that of the server and its kernels. Target
(issue "Fast where people wait"): fifteen at once, each within 5 s in Chromium.

    .venv/bin/python benchmarks/bench_concurrency.py
"""

from __future__ import annotations

import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from playwright.sync_api import sync_playwright

from sendlib._testing import MemorySampler, open_sessions, start_server
from sendlib.access import token_hash
from sendlib.loader import load_sample
from sendlib.reports import CHROMIUM_FLAGS

CHROMIUM = "/usr/bin/chromium"
VISITORS = (1, 5, 15)
TARGET_SECONDS = 5
DESIGNS = {"today: /committee (no kernel)": "/committee", "before: Voila app": "/voila/render/local_committee.ipynb"}


def access_file(folder: Path, n: int) -> tuple[Path, list[str]]:
    schools = load_sample().schools
    tokens = [f"benchmark-governor-{i:02d}-token" for i in range(n)]
    lines = ["[server]"]
    for i, token in enumerate(tokens):
        lines += [
            f"[users.governor{i:02d}]",
            'role = "committee"',
            f'schools = ["{schools[i % len(schools)]}"]',
            f'token_sha256 = "{token_hash(token)}"',
        ]
    path = folder / f"access-{n}.toml"
    path.write_text("\n".join(lines) + "\n")
    return path, tokens


def fetch(url: str, token: str) -> float:
    start = time.perf_counter()
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=600) as response:
        body = response.read().decode()
    # the page came whole (the Voila app: it ran, and its content then comes by websocket)
    assert "sendlib-committee-view" in body or "application/vnd.jupyter.widget-view+json" in body
    return time.perf_counter() - start


def run(folder: Path, n: int, path: str, browser=None) -> tuple[float, float, float]:
    access, tokens = access_file(folder, n)
    process, port = start_server(access=access)
    url = f"http://127.0.0.1:{port}{path}"
    try:
        time.sleep(10)  # the other apps' preheated kernels start
        sampler = MemorySampler(process)
        if browser is None:
            with ThreadPoolExecutor(n) as pool:
                seconds = list(pool.map(lambda token: fetch(url, token), tokens))
        else:
            pages, seconds = open_sessions(browser, [f"{url}?token={t}" for t in tokens], ".sendlib-committee-view h2")
            for page in pages:
                page.context.close()
        return min(seconds), max(seconds), sampler.stop()
    finally:
        process.terminate()
        process.wait(timeout=30)


def main():
    rows = []
    with tempfile.TemporaryDirectory() as work, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        for n in VISITORS:
            for design, path in DESIGNS.items():
                rows.append((n, design, "server only (HTTP)", *run(Path(work), n, path)))
                rows.append((n, design, "Chromium", *run(Path(work), n, path, browser)))
        browser.close()
    print("Committee page, concurrent visitors against one server (2-core machine, sample trust)")
    print(f"{'visitors':>8}  {'design':<32}{'client':<20}{'first page':>11}{'last page':>11}{'peak memory':>13}")
    for n, design, client, first, last, peak in rows:
        print(f"{n:>8}  {design:<32}{client:<20}{first:>10.1f}s{last:>10.1f}s{peak:>11.2f} GiB")
    worst = max(last for n, design, client, _, last, _ in rows if design.startswith("today") and client == "Chromium")
    print(
        f"today, Chromium, up to {max(VISITORS)} at once: every page within {worst:.1f} s "
        f"(target {TARGET_SECONDS} s: {'met' if worst <= TARGET_SECONDS else 'NOT met'})"
    )


if __name__ == "__main__":
    main()
