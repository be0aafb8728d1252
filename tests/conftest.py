"""Shared fixtures: small synthetic trusts written as real files in temporary folders."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pytest
from hypothesis import settings

import sendlib
from sendlib._testing import ARTIFACTS, free_port, start_server, write_access, write_folder
from sendlib.reports import CHROMIUM_FLAGS
from sendlib.synthetic import generate_trust

# cached committee pages go to a folder of this run (servers and papermill kernels inherit it)
os.environ.setdefault("SENDLIB_CACHE", tempfile.mkdtemp(prefix="sendlib-cache-"))
CHROMIUM = "/usr/bin/chromium"
# Hypothesis' 200 ms deadline per example times the machine, not the property: a loaded CI
# machine must not fail a privacy or loader check, so no property test has one
settings.register_profile("sendlib", deadline=None)
settings.load_profile("sendlib")


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright (the browser tests)."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (CI does: apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


class Server(NamedTuple):
    url: str
    tokens: dict[str, str]  # each user's personal token
    access_log: Path
    process: subprocess.Popen
    governors: list[str]  # fifteen Local Committee members, for the meeting of test_concurrency


@pytest.fixture(scope="session")
def voila(tmp_path_factory) -> Server:
    """One Voila server for every browser test that can share it: the sample trust, users signed
    in by the access file with personal tokens, preheated kernels, as `sendlib dashboards
    --access` runs it. (Tests of other settings, exports or installs start their own.)"""
    schools = sendlib.load_sample().schools
    governors = {f"governor{i:02d}": ("committee", [schools[i % len(schools)]]) for i in range(15)}
    users = {
        "lead": ("senco", "all"),  # a SENCO of the whole trust: every app, every school
        "okafor": ("senco", [schools[1]]),
        "patel": ("planner", "all"),
        "governor": ("committee", [schools[1]]),
        **governors,
    }
    path, tokens = write_access(tmp_path_factory.mktemp("voila"), users)
    process, port = start_server(access=path, log=path.parent / "voila.log")
    yield Server(f"http://127.0.0.1:{port}", tokens, path.parent / "access-log.jsonl", process, list(governors))
    process.terminate()
    process.wait(timeout=30)


# The files whose tests share the `voila` server: in a parallel run (pytest-xdist) they go to one
# worker, so one server serves them all. Files of independent runs (each test a notebook run
# or a generated export, no module fixture) are shared out test by test; every other file goes
# whole to one worker, so its module fixtures are made once.
SHARED_SERVER_FILES = ("test_browser.py", "test_access_browser.py", "test_concurrency.py")
TEST_BY_TEST_FILES = ("test_edge_cases.py", "test_notebooks.py")  # its longest test first


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    from xdist.scheduler import LoadScopeScheduling

    # in the order of the collection (sorted below), not xdist's own: scopes with most tests first
    config.option.loadscopereorder = False

    class ByFile(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            file = nodeid.split("::")[0]
            if Path(file).name in SHARED_SERVER_FILES:
                return "voila"
            return nodeid if Path(file).name in TEST_BY_TEST_FILES else file

    return ByFile(config, log)


# The files that take longest, longest first (measured with --durations): a parallel run hands
# them out first, then the other files, and last the many short tests shared out one at a time
# (notebook runs, generated exports), so the two workers finish together instead of one waiting
# for the other's last long file.
LONGEST_FIRST = (
    *SHARED_SERVER_FILES,
    "test_evidence.py",
    "test_access.py",
    "test_reports.py",
    "test_summary.py",
    "test_committee.py",
    "test_disclosure.py",
    "test_provision.py",
    "test_forecast.py",
    "test_widgets.py",
    "test_synthetic.py",
    "test_cli.py",
    "test_profiles.py",
    "test_package.py",
)


def pytest_collection_modifyitems(items):
    for item in items:
        if "voila" in getattr(item, "fixturenames", ()) and item.path.name not in SHARED_SERVER_FILES:
            raise pytest.UsageError(f"{item.nodeid} uses the shared server: add its file to SHARED_SERVER_FILES")
    rank = {name: i for i, name in enumerate((*LONGEST_FIRST, "every other file", *TEST_BY_TEST_FILES))}
    items.sort(key=lambda item: rank.get(item.path.name, rank["every other file"]))  # stable: each file's order kept


@pytest.fixture(scope="session")
def small_tables() -> dict[str, pd.DataFrame]:
    """A small synthetic trust (about 500 pupils) as export tables of text."""
    return generate_trust(seed=7, size=0.15)


@pytest.fixture
def small_folder(tmp_path, small_tables) -> Path:
    return write_folder(tmp_path / "trust", small_tables)


NGINX = shutil.which("nginx") or "/usr/sbin/nginx"

# The deployment block of the documentation (docs/access.md), on loopback without TLS: nginx signs users in with
# basic auth and vouches for them to Voila with its own token; a browser's own X-Remote-User
# is replaced.
NGINX_CONF = """
daemon off;
master_process off;  # one process, as the user running the tests (workers of root would be nobody)
pid {dir}/nginx.pid;
error_log {dir}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/body; proxy_temp_path {dir}/proxy; fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi; scgi_temp_path {dir}/scgi;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://127.0.0.1:{upstream};
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_buffering off;
            proxy_read_timeout 3600s;
            auth_basic "SEND dashboards";
            auth_basic_user_file {dir}/htpasswd;
            proxy_set_header X-Remote-User $remote_user;
            proxy_set_header Authorization "token {token}";
        }}
    }}
}}
"""


@pytest.fixture
def nginx_proxy(tmp_path):
    """Start nginx (Debian's, as the documented deployment runs it) in front of a Voila port:
    ``start(upstream_port, users={name: password}, proxy_token=...)`` returns its URL."""

    if not os.path.exists(NGINX):
        pytest.fail("nginx is missing: install Debian's nginx (CI does: apt-get install -y nginx)")
    processes = []

    def start(upstream: int, users: dict[str, str], proxy_token: str) -> str:
        folder = tmp_path / "nginx"
        folder.mkdir()
        (folder / "htpasswd").write_text(
            "".join(
                f"{name}:{{SHA}}{base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()}\n"
                for name, password in users.items()
            )
        )
        port = free_port()
        (folder / "nginx.conf").write_text(
            NGINX_CONF.format(dir=folder, port=port, upstream=upstream, token=proxy_token)
        )
        process = subprocess.Popen(
            [NGINX, "-e", str(folder / "error.log"), "-p", str(folder), "-c", str(folder / "nginx.conf")],
            stderr=subprocess.PIPE,
        )
        processes.append(process)
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
            except urllib.error.HTTPError:
                return f"http://127.0.0.1:{port}"  # it answers (401 without a password): up
            except OSError:
                if process.poll() is not None:
                    pytest.fail(f"nginx did not start: {process.stderr.read().decode()[-500:]}")
                time.sleep(0.1)
        pytest.fail("nginx did not answer within 10 s")

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


FIGURES: list[str] = []  # measured figures (record_property("figure", ...)), printed at the end of the run


def pytest_runtest_logreport(report):
    """Figures a test measured (also from the workers of a parallel run)."""
    FIGURES.extend(value for name, value in report.user_properties if name == "figure" and report.when == "call")


def pytest_terminal_summary(terminalreporter):
    if FIGURES:
        terminalreporter.section("figures measured by the tests")
        for line in dict.fromkeys(FIGURES):
            terminalreporter.write_line(line)
