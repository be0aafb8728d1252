"""Shared fixtures: small synthetic trusts written as real files in temporary folders."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd
import pytest

from sendlib._paths import ROOT
from sendlib.reports import CHROMIUM_FLAGS
from sendlib.synthetic import generate_trust

# cached committee pages go to a folder of this run (servers and papermill kernels inherit it)
os.environ.setdefault("SENDLIB_CACHE", tempfile.mkdtemp(prefix="sendlib-cache-"))
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "tests" / "artifacts"  # screenshots and reports for a person to look at (not committed)


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


@pytest.fixture(scope="session")
def small_tables() -> dict[str, pd.DataFrame]:
    """A small synthetic trust (about 500 pupils) as export tables of text."""
    return generate_trust(seed=7, size=0.15)


def write_folder(folder: Path, tables: dict[str, pd.DataFrame | str | bytes]) -> Path:
    """Write tables (DataFrames, CSV text or raw bytes) as ``name.csv`` files."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in tables.items():
        path = folder / (name if "." in name else f"{name}.csv")
        if isinstance(content, pd.DataFrame):
            content.to_csv(path, index=False)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


@pytest.fixture
def small_folder(tmp_path, small_tables) -> Path:
    return write_folder(tmp_path / "trust", small_tables)


def write_access(folder: Path, users: dict[str, tuple[str, list[str] | str]], **server) -> tuple[Path, dict]:
    """An access file with a personal token per user: (path, {user: token}).

    ``users`` maps a name to (role, schools); ``server`` holds [server] keys."""
    from sendlib.access import token_hash

    folder.mkdir(parents=True, exist_ok=True)
    tokens = {name: f"token-of-{name}-0123456789" for name in users}
    lines = ["[server]"] + [f"{key} = {value!r}".replace("'", '"') for key, value in server.items()]
    for name, (role, schools) in users.items():
        schools_toml = f'"{schools}"' if isinstance(schools, str) else "[" + ", ".join(f'"{s}"' for s in schools) + "]"
        lines += [f"[users.{name}]", f'role = "{role}"', f"schools = {schools_toml}",
                  f'token_sha256 = "{token_hash(tokens[name])}"']
    path = folder / "access.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, tokens


FIGURES: list[str] = []  # measured figures tests report, printed at the end of the run


def report_figure(line: str) -> None:
    """Record a measured figure (e.g. peak memory) for the end-of-run summary."""
    FIGURES.append(line)


def pytest_terminal_summary(terminalreporter):
    import sys

    # tests import this file as tests.conftest, pytest as conftest: gather from both
    lines = dict.fromkeys(line for name in ("conftest", "tests.conftest")
                          for line in getattr(sys.modules.get(name), "FIGURES", []))
    if lines:
        terminalreporter.section("figures measured by the tests")
        for line in lines:
            terminalreporter.write_line(line)
