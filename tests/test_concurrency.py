"""Fifteen governors open the committee page at once, against one server (as in a meeting):
every page renders its own school, served without a kernel (sendlib.server), and the memory of
the server stays bounded; once a browser is gone an app's idle kernel is culled."""

import time

import pytest

import sendlib
from sendlib._testing import (
    ARTIFACTS,
    MemorySampler,
    kernel_pids,
    open_sessions,
    server_memory,
    start_server,
    wait_for_quiet,
)
from sendlib.access import read_access_log

pytestmark = [pytest.mark.browser, pytest.mark.concurrency]
SESSIONS = 15
MEMORY_BOUND_GIB = 1  # what 15 sessions of the sample trust may add to the server (no kernel each)
PREHEATED = 2  # the explorer's and the forecast's (dashboards.POOL_SIZE each)


def test_fifteen_sessions_of_the_committee_page(voila, browser, record_property):
    """On the shared server: whatever kernels earlier tests left open stay, as in a day's use."""
    schools = sendlib.load_sample().schools
    users = {name: [schools[i % len(schools)]] for i, name in enumerate(voila.governors)}
    assert len(users) == SESSIONS
    process, log = voila.process, voila.access_log.parent / "voila.log"
    wait_for_quiet(process, PREHEATED)  # the preheated kernels have done their work, as before a meeting
    idle_memory, kernels_before = server_memory(process)
    before = kernel_pids(process)
    sampler = MemorySampler(process)
    urls = [f"{voila.url}/committee?token={voila.tokens[name]}" for name in users]
    try:
        pages, seconds = open_sessions(browser, urls, ".sendlib-committee-view h2")
    except AssertionError as failure:  # say what the server said
        errors = [line for line in log.read_text(errors="replace").splitlines() if "[E " in line or "Error" in line]
        raise AssertionError(f"{failure}\nVoila's errors:\n" + "\n".join(errors[-20:])) from failure
    finally:
        peak = sampler.stop()
    for page, (name, (school,)) in zip(pages, users.items()):
        heading = page.inner_text(".sendlib-committee-view h2")
        assert heading.startswith(school), (name, heading)
        assert "Traceback" not in page.content() and "What this page says" in page.inner_text("body")
    pages[0].screenshot(path=str(ARTIFACTS / "concurrency_committee.png"), full_page=True)
    started = kernel_pids(process) - before
    assert all(page.locator("#jupyter-config-data").count() == 0 for page in pages)  # not a Voila page
    for page in pages:
        page.context.close()
    # no kernel for any of them (the pools may refill the kernels earlier tests took meanwhile)
    assert len(started) <= PREHEATED
    entries = read_access_log(voila.access_log)
    opened = entries[(entries["app"] == "committee") & (entries["event"] == "opened")]
    record_property(
        "figure",
        f"concurrency: {SESSIONS} committee sessions rendered in {min(seconds):.1f}-{max(seconds):.1f} s; "
        f"peak memory {peak:.1f} GiB ({peak - idle_memory:.1f} GiB above the {kernels_before} kernels "
        "running before)",
    )
    assert sorted(opened.loc[opened["user"].isin(users), "user"]) == sorted(users)  # each governor once
    assert peak - idle_memory < MEMORY_BOUND_GIB


def test_a_kernel_is_culled_once_its_browser_is_gone(browser, record_property):
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
        time.sleep(idle + 5 * interval)  # idle past the limit, but connected: kept
        assert server_memory(process)[1] == pool_kernels + 1
        page.context.close()  # no beforeunload: the server is not told
        closed = time.perf_counter()
        while server_memory(process)[1] > pool_kernels and time.perf_counter() - closed < 4 * idle:
            time.sleep(1)
        culled_after = time.perf_counter() - closed
    finally:
        process.terminate()
        process.wait(timeout=30)
    record_property(
        "figure",
        f"culling: a closed page's kernel ended {culled_after:.0f} s after its browser left (idle limit {idle} s)",
    )
    assert culled_after < 4 * idle
