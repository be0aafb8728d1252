"""Fifteen governors open the committee dashboard at once, against one server (as in a meeting):
every page renders its own school and the memory of the server and its kernels stays bounded;
once a browser is gone its idle kernel is culled."""

import time

import pytest

import sendlib
from sendlib._testing import (
    ARTIFACTS,
    MemorySampler,
    open_sessions,
    report_figure,
    server_memory,
    start_server,
    wait_for_quiet,
    write_access,
)
from sendlib.access import read_access_log

pytestmark = [pytest.mark.browser, pytest.mark.concurrency]
SESSIONS = 15
MEMORY_BOUND_GIB = 12  # 15 kernels of the sample trust; the machine has 24 GB
PREHEATED = 2  # the explorer's and the forecast's (dashboards.POOL_SIZE each)


def test_fifteen_sessions_of_the_committee_dashboard(tmp_path, browser):
    schools = sendlib.load_sample().schools
    users = {f"governor{i:02d}": ("committee", [schools[i % len(schools)]]) for i in range(SESSIONS)}
    path, tokens = write_access(tmp_path, users)
    log = tmp_path / "voila.log"
    process, port = start_server(access=path, log=log)
    try:
        wait_for_quiet(process, PREHEATED)  # the preheated kernels have done their work, as before a meeting
        idle_memory, pool_kernels = server_memory(process)
        sampler = MemorySampler(process)
        urls = [f"http://127.0.0.1:{port}/voila/render/local_committee.ipynb?token={tokens[name]}" for name in users]
        try:
            pages, seconds = open_sessions(browser, urls, ".sendlib-committee-view h2")
        except AssertionError as failure:  # say what the server said
            errors = [line for line in log.read_text(errors="replace").splitlines() if "[E " in line or "Error" in line]
            raise AssertionError(f"{failure}\nVoila's errors:\n" + "\n".join(errors[-20:])) from failure
        peak = sampler.stop()
        for page, (name, (_, (school,))) in zip(pages, users.items()):
            heading = page.inner_text(".sendlib-committee-view h2")
            assert heading.startswith(school), (name, heading)
            assert "Traceback" not in page.content() and "What this page says" in page.inner_text("body")
        pages[0].screenshot(path=str(ARTIFACTS / "concurrency_committee.png"), full_page=True)
        _, open_kernels = server_memory(process)
        assert open_kernels >= SESSIONS
        for page in pages:
            page.context.close()
    finally:
        process.terminate()
        process.wait(timeout=30)
    log = read_access_log(path.parent / "access-log.jsonl")
    opened = log[(log["app"] == "committee") & (log["event"] == "opened")]
    report_figure(
        f"concurrency: {SESSIONS} committee sessions rendered in {min(seconds):.1f}-{max(seconds):.1f} s; "
        f"peak memory {peak:.1f} GiB (idle {idle_memory:.1f} GiB, {pool_kernels} preheated kernels)"
    )
    assert sorted(opened["user"]) == sorted(users)
    assert peak < MEMORY_BOUND_GIB


def test_a_kernel_is_culled_once_its_browser_is_gone(tmp_path, browser):
    """The culling the server is started with (dashboards.CULL_IDLE_SECONDS, 15 minutes in
    service), here after 10 s idle with no page connected: a page's kernel lives while the page
    is open, and goes once the browser has gone without saying so."""
    idle, interval = 10, 1
    process, port = start_server("cull-token", cull_idle_seconds=idle, cull_interval_seconds=interval)
    try:
        wait_for_quiet(process, PREHEATED)
        _, pool_kernels = server_memory(process)
        url = f"http://127.0.0.1:{port}/voila/render/local_committee.ipynb?token=cull-token"
        (page,), _ = open_sessions(browser, [url], ".sendlib-committee-view h2")
        time.sleep(idle + 2 * interval)  # idle, but connected: kept
        assert server_memory(process)[1] == pool_kernels + 1
        page.context.close()  # no beforeunload: the server is not told
        closed = time.perf_counter()
        while server_memory(process)[1] > pool_kernels and time.perf_counter() - closed < 4 * idle:
            time.sleep(1)
        culled_after = time.perf_counter() - closed
    finally:
        process.terminate()
        process.wait(timeout=30)
    report_figure(
        f"culling: a closed page's kernel ended {culled_after:.0f} s after its browser left (idle limit {idle} s)"
    )
    assert culled_after < 4 * idle
