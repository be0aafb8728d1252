"""Fifteen governors open the committee dashboard at once, against one server (as in a meeting):
every page renders its own school, the memory of the server and its kernels stays bounded,
and once the browsers are gone the idle kernels are culled."""

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
    write_access,
)
from sendlib.access import read_access_log

pytestmark = [pytest.mark.browser, pytest.mark.concurrency]
SESSIONS = 15
# A kernel is culled when it has been idle this long with no page connected: longer than the
# slowest of fifteen browsers on two cores takes to connect once its kernel is ready (up to
# 62 s seen with the machine's two cores also busy elsewhere). In service: 15 minutes.
CULL_IDLE_SECONDS, CULL_INTERVAL_SECONDS = 150, 5
MEMORY_BOUND_GIB = 12  # 15 kernels of the sample trust; the machine has 24 GB


def test_fifteen_sessions_of_the_committee_dashboard(tmp_path, browser):
    schools = sendlib.load_sample().schools
    users = {f"governor{i:02d}": ("committee", [schools[i % len(schools)]]) for i in range(SESSIONS)}
    path, tokens = write_access(tmp_path, users)
    log = tmp_path / "voila.log"
    process, port = start_server(
        access=path, log=log, cull_idle_seconds=CULL_IDLE_SECONDS, cull_interval_seconds=CULL_INTERVAL_SECONDS
    )
    try:
        time.sleep(15)  # the preheated kernels (explorer, forecast) start, as before a meeting
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
            page.context.close()  # the browsers go away without saying so (no beforeunload)
        closed = time.perf_counter()
        while server_memory(process)[1] > pool_kernels and time.perf_counter() - closed < CULL_IDLE_SECONDS * 4:
            time.sleep(2)
        culled_after = time.perf_counter() - closed
        memory_after, kernels_after = server_memory(process)
    finally:
        process.terminate()
        process.wait(timeout=30)
    log = read_access_log(path.parent / "access-log.jsonl")
    opened = log[(log["app"] == "committee") & (log["event"] == "opened")]
    report_figure(
        f"concurrency: {SESSIONS} committee sessions rendered in {min(seconds):.1f}-{max(seconds):.1f} s; "
        f"peak memory {peak:.1f} GiB (idle {idle_memory:.1f} GiB, {pool_kernels} preheated kernels); "
        f"kernels back to {kernels_after} ({memory_after:.1f} GiB) {culled_after:.0f} s after the browsers "
        "closed"
    )
    assert sorted(opened["user"]) == sorted(users)
    assert peak < MEMORY_BOUND_GIB
    assert kernels_after <= pool_kernels, f"{kernels_after} kernels still running {culled_after:.0f} s after closing"
