"""Test machinery shared by the test suite and the benchmarks (not part of sendlib's API):
export folders written as real files, trusts with planted answers, a Voila server started in
the background, many browser sessions at once, the memory of a server and its kernels, and
the checks that no pupil can be identified in what a page shows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ipywidgets as W
import numpy as np
import pandas as pd
from bs4 import BeautifulSoup

from ._paths import DATA_ENV, PACKAGE
from .access import ACCESS_ENV, USER_ENV
from .codes import upn_check_letter
from .dashboards import _environment, voila_command, warm_committee_cache
from .privacy import HIDDEN, SMALL, pinned_values
from .school_calendar import school_year
from .synthetic import FAKE_LA_NUMBER, SAMPLE_AS_OF, SEM_STANDARDISED, TERM_DATES, _terms, generate_trust

ARTIFACTS = PACKAGE.parent / "tests" / "artifacts"  # screenshots and reports for a person to look at (not committed)
UPN = re.compile(r"\b[A-HJ-NP-RT-Z]\d{11}[0-9A-HJ-NP-RT-Z]\b")


# --- property tests --------------------------------------------------------------------------------
QUICK_ENV = "SENDLIB_QUICK_TESTS"  # set by `make quick`


def examples(n: int) -> int:
    """How many examples a property test tries: ``n`` in the whole suite (`make test`, CI), a
    third of them in `make quick` (a change in progress)."""
    return max(3, n // 3) if os.environ.get(QUICK_ENV) else n


# --- export folders ---------------------------------------------------------------------------------
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


# --- edge-case trusts: exports the loader accepts that the sample is not -------------------------
EDGE_FILES = ("assessments", "sen_history", "eal_evidence", "support_plans", "parent_meetings", "ehc_events")
_EDGE_TRUSTS: dict = {}


def edge_tables(exported_on: str) -> dict[str, pd.DataFrame]:
    """A small trust (four primaries and two secondaries, about 180 pupils) exported on a date."""
    if exported_on not in _EDGE_TRUSTS:
        import datetime as dt

        _EDGE_TRUSTS[exported_on] = generate_trust(seed=31, as_of=dt.date.fromisoformat(exported_on), size=0.06)
    return _EDGE_TRUSTS[exported_on]


def write_edge_trust(
    folder: Path,
    exported_on: str,
    files=EDGE_FILES,
    schools: int | None = None,
    tiny: int = 0,
    no_send: bool = False,
    manifest: bool = True,
) -> Path:
    """An export of ``edge_tables(exported_on)``: only ``files`` beside pupils, the first
    ``schools`` schools, ``tiny`` pupils moved to a school of their own, nobody with SEND
    (and no SEND files), with or without a manifest."""
    tables = {name: frame.copy() for name, frame in edge_tables(exported_on).items() if name in (*files, "pupils")}
    pupils = tables["pupils"]
    if schools:
        keep = set(sorted(pupils["school"].unique())[:schools])
        upns = set(pupils.loc[pupils["school"].isin(keep), "upn"])
        tables = {name: frame[frame["upn"].isin(upns)] for name, frame in tables.items()}
        pupils = tables["pupils"]
    if tiny:
        pupils.loc[pupils.index[:tiny], "school"] = "Tiny Academy"
        if "sen_history" in tables:  # their censuses at the tiny school too
            history = tables["sen_history"]
            history.loc[history["upn"].isin(pupils["upn"].iloc[:tiny]), "school"] = "Tiny Academy"
    if no_send:
        pupils[["sen_provision", "primary_need", "secondary_need"]] = ["N", "", ""]
        for name in ("sen_history", "support_plans", "parent_meetings", "ehc_events"):
            tables.pop(name, None)
    write_folder(folder, tables)
    if manifest:
        (folder / "manifest.json").write_text(f'{{"exported_on": "{exported_on}"}}\n')
    return folder


def write_access(folder: Path, users: dict[str, tuple[str, list[str] | str]], **server) -> tuple[Path, dict]:
    """An access file with a personal token per user: (path, {user: token}).

    ``users`` maps a name to (role, schools); ``server`` holds [server] keys."""
    from sendlib.access import token_hash

    folder.mkdir(parents=True, exist_ok=True)
    tokens = {name: f"token-of-{name}-0123456789" for name in users}
    lines = ["[server]"] + [f"{key} = {value!r}".replace("'", '"') for key, value in server.items()]
    for name, (role, schools) in users.items():
        schools_toml = f'"{schools}"' if isinstance(schools, str) else "[" + ", ".join(f'"{s}"' for s in schools) + "]"
        lines += [
            f"[users.{name}]",
            f'role = "{role}"',
            f"schools = {schools_toml}",
            f'token_sha256 = "{token_hash(tokens[name])}"',
        ]
    path = folder / "access.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, tokens


# --- trusts with planted answers ----------------------------------------------------------------
def planted_progress_trust(
    n_pupils: int = 2000,
    n_scores: int = 6,
    fall_share: float = 0.3,
    seed: int = 1,
    as_of: dt.date = SAMPLE_AS_OF,
    reliability: float = 0.90,
    school: str = "Test Academy",
    sen_below: float = 85.0,
):
    """A trust of one year group with planted progress, for checking the progress tests.

    Each pupil has a true standardised score T ~ N(100, 15 sqrt(reliability)); termly
    observed scores are the true score plus measurement error (SEM = 15 sqrt(1 - r)).
    A share ``fall_share`` of pupils fall behind by 15-25 points: half steadily across all
    terms, half only in the later terms (flat, then falling over the last half). Pupils whose
    true score is below ``sen_below`` are on SEN support with probability one half.

    Returns
    -------
    tables : dict of DataFrames (``pupils``, ``assessments``) in the export format
    truth : DataFrame ``upn, true_score, pattern`` (``steady``, ``falls_steadily``,
        ``falls_late``), ``fall`` (points fallen by the last score)
    """
    rng = np.random.default_rng(seed)
    sem_ = 15 * np.sqrt(1 - reliability)
    true_sd = 15 * np.sqrt(reliability)
    end = as_of
    terms: list[dt.date] = []
    year = end.year + 1
    while len(terms) < n_scores:
        for month, day in reversed(TERM_DATES):
            date = dt.date(year, month, day)
            if date <= end and len(terms) < n_scores:
                terms.append(date)
        year -= 1
    terms = sorted(terms)
    school_row = ("Test Academy", "secondary", 7, 11, 1, "4999")
    bodies = [f"{FAKE_LA_NUMBER}{school_row[5]}{(i // 1000) % 100:02d}{i % 1000:03d}" for i in range(n_pupils)]
    upns = [upn_check_letter(b) + b for b in bodies]
    true = rng.normal(100, true_sd, n_pupils)
    pattern = rng.choice(
        ["steady", "falls_steadily", "falls_late"], n_pupils, p=[1 - fall_share, fall_share / 2, fall_share / 2]
    )
    fall = np.where(pattern == "steady", 0.0, rng.uniform(15, 25, n_pupils))
    rows = []
    half = n_scores // 2
    for i, upn in enumerate(upns):
        for j, date in enumerate(terms):
            if pattern[i] == "falls_steadily":
                drop = fall[i] * j / (n_scores - 1)
            elif pattern[i] == "falls_late":
                drop = fall[i] * max(0, j - half + 1) / (n_scores - half)
            else:
                drop = 0.0
            score = int(np.clip(round(true[i] - drop + rng.normal(0, sem_)), 40, 160))
            rows.append((upn, "reading", date.isoformat(), str(score), "standardised"))
    sen = np.where((true < sen_below) & (rng.random(n_pupils) < 0.5), "K", "N")
    pupils = pd.DataFrame(
        {
            "upn": upns,
            "school": school,
            "date_of_birth": "01/03/2013",
            "year_group": "8",
            "sen_provision": sen,
            "primary_need": np.where(sen == "K", "MLD", ""),
        }
    )
    assessments = pd.DataFrame(rows, columns=["upn", "subject", "assessment_date", "score", "scale"])
    truth = pd.DataFrame({"upn": upns, "true_score": true, "pattern": pattern, "fall": fall})
    return {"pupils": pupils, "assessments": assessments}, truth


def census_trust(
    seed: int = 1,
    primaries: int = 6,
    secondaries: int = 2,
    censuses: int = 7,
    identification_trend: float = 0.04,
    plan_trend: float = 0.08,
    roll_trend: float = -0.01,
    school_spread: float = 0.4,
    as_of: dt.date = dt.date(2026, 11, 10),
) -> dict[str, pd.DataFrame]:
    """A trust's January censuses and today's roll, made differently from the sample (for
    checking forecasts on a trust the forecaster was not built on).

    Each school has its own propensity to identify (lognormal, SD ``school_spread`` on the
    log scale), which also sets its joiners' SEN and how often its pupils step up to a plan
    or leave SEN support; identification and stepping up to a plan grow by
    ``identification_trend`` and ``plan_trend`` a year (log scale), with a shock shared by
    the trust each year; intakes change by ``roll_trend`` a year; pupils leave at 5% a year
    and half of Year 6 leavers join one of the trust's secondaries. SEN moves happen through
    the year, 40% before the January census. Returns ``sen_history`` and ``pupils`` (the roll
    on ``as_of``) in the export format.
    """
    rng = np.random.default_rng(seed)
    areas = {"K": ["SLCN", "SEMH", "MLD", "SPLD", "ASD"], "E": ["ASD", "SLCN", "SEMH", "SLD", "MLD"]}
    schools: list[dict[str, Any]] = [
        dict(name=f"School P{i}", first=0, last=6, intake=rng.lognormal(np.log(35), 0.5), primary=True)
        for i in range(primaries)
    ] + [
        dict(name=f"School S{i}", first=7, last=11 + 2 * (rng.random() < 0.5), intake=rng.lognormal(np.log(170), 0.35))
        for i in range(secondaries)
    ]
    for school in schools:
        school["lean"] = rng.lognormal(0, school_spread)
    pupils: list[dict] = []
    serial = iter(range(10**5))

    def join(school, year_group):
        lean = school["lean"]
        u = rng.random()
        status = "E" if u < 0.025 * lean else "K" if u < 0.14 * lean else "N"
        n = next(serial)
        body = f"{FAKE_LA_NUMBER}{4000 + seed % 1000:04d}{n // 1000:02d}{n % 1000:03d}"
        need = "" if status == "N" else str(rng.choice(areas[status]))
        pupils.append(
            dict(upn=upn_check_letter(body) + body, school=school, year_group=year_group, status=status, need=need)
        )

    now = school_year(as_of)  # the school year holding as_of
    census_passed = as_of >= dt.date(now + 1, 1, 15)  # this school year's January census
    last_census = now + 1 if census_passed else now  # the January of the last census
    first_year = last_census - censuses - 6  # warm-up years give the roll its shape
    for school in schools:
        for year_group in range(school["first"], school["last"] + 1):
            for _ in range(rng.poisson(school["intake"] * (0.6 if year_group >= 12 else 1))):
                join(school, year_group)

    def sen_moves(share, t, shock):
        for pupil in pupils:
            lean, u = pupil["school"]["lean"], rng.random()
            age = 1.4 if pupil["year_group"] <= 3 else 1.0 if pupil["year_group"] <= 6 else 0.6
            if pupil["status"] == "N":
                to_k = 0.035 * age * lean * np.exp(identification_trend * t + shock)
                to_e = to_k + 0.002 * lean * np.exp(plan_trend * t)
                if u < to_e * share:
                    pupil["status"] = "K" if u < to_k * share else "E"
                    pupil["need"] = str(rng.choice(areas[pupil["status"]]))
            elif pupil["status"] == "K":
                if u < 0.05 * np.sqrt(lean) * np.exp(plan_trend * t + shock) * share:
                    pupil["status"] = "E"
                elif u > 1 - 0.14 / np.sqrt(lean) * share:
                    pupil["status"], pupil["need"] = "N", ""
            elif pupil["status"] == "E" and u < 0.015 * share:
                pupil["status"] = "K"

    def rows(date):
        return [
            dict(
                upn=p["upn"],
                census_date=date.isoformat(),
                school=p["school"]["name"],
                year_group="R" if p["year_group"] == 0 else str(p["year_group"]),
                sen_provision=p["status"],
                primary_need=p["need"],
            )
            for p in pupils
        ]

    history = []
    for year in range(first_year, now + 1):
        t = year - 2016
        staying = []
        for pupil in pupils:  # September: up a year, leave, move on
            school = pupil["school"]
            pupil["year_group"] += 1
            if (
                rng.random() < 0.05
                or pupil["year_group"] > school["last"]
                or (pupil["year_group"] == 12 and rng.random() < 0.5)
            ):
                secondary = [s for s in schools if not s.get("primary")]
                if pupil["year_group"] == 7 and school.get("primary") and secondary and rng.random() < 0.5:
                    pupil["school"] = secondary[rng.integers(len(secondary))]
                else:
                    continue
            staying.append(pupil)
        pupils[:] = staying
        for school in schools:
            intake = school["intake"] * np.exp(roll_trend * t) * (1 if school.get("primary") else 0.5)
            for _ in range(rng.poisson(intake)):
                join(school, school["first"])
            for _ in range(rng.poisson(0.04 * school["intake"] * (school["last"] - school["first"]))):
                join(school, int(rng.integers(school["first"] + 1, min(school["last"], 11) + 1)))
        shock = rng.normal(0, 0.08)
        if year == now and not census_passed:  # September to today, in the autumn
            sen_moves(0.2, t, shock)
            break
        sen_moves(0.4, t, shock)
        if year + 1 > last_census - censuses:
            history += rows(dt.date(year + 1, 1, 15))
        if year == now:  # the January census to today
            sen_moves(0.6 * (as_of - dt.date(year + 1, 1, 15)).days / 229, t, shock)
            break
        sen_moves(0.6, t, shock)
    roll = pd.DataFrame(rows(as_of)).drop(columns="census_date")
    born = (as_of.year if as_of.month >= 9 else as_of.year - 1) - 4
    roll["date_of_birth"] = [f"15/03/{born - (0 if y == 'R' else int(y))}" for y in roll["year_group"]]
    return {"sen_history": pd.DataFrame(history), "pupils": roll, "manifest.json": f'{{"exported_on": "{as_of}"}}'}


def planted_eal_trust(
    n_typical: int = 400,
    n_each: int = 40,
    n_english: int = 400,
    seed: int = 1,
    as_of: dt.date = SAMPLE_AS_OF,
    n_scores: int = 6,
):
    """A trust with clear-cut EAL cases among typical EAL and English-speaking pupils.

    Kinds (``truth.kind``): ``typical`` EAL pupils at every stage, catching up as their
    English grows; ``early_language`` (stage A or B, under two years in English schools,
    first language age-appropriate by assessment and parents); ``send`` (four or more
    years here, concerns from the first-language assessment and the parents, non-verbal
    and spatial CAT4 low, flat scores despite six or more terms of EAL support);
    ``no_l1_evidence`` (no first-language assessment, parents not asked); ``english``.

    Returns
    -------
    tables : dict of DataFrames in the export format (pupils, assessments, eal_evidence)
    truth : DataFrame ``upn, kind``
    """
    rng = np.random.default_rng(seed)
    terms = _terms(as_of)[-n_scores:]
    kinds = (
        ["typical"] * n_typical
        + ["early_language"] * n_each
        + ["send"] * n_each
        + ["no_l1_evidence"] * n_each
        + ["english"] * n_english
    )
    pupils, scores, evidence = [], [], []
    for i, kind in enumerate(kinds):
        body = f"{FAKE_LA_NUMBER}4998{(i // 1000) % 100:02d}{i % 1000:03d}"
        upn = upn_check_letter(body) + body
        eal = kind != "english"
        if kind == "early_language":
            years_here = rng.uniform(0.3, 1.8)
        elif kind == "send":
            years_here = rng.uniform(4, 8)
        else:
            years_here = rng.uniform(0.3, 9)
        stage = int(np.clip(round(years_here / 1.6 + rng.normal(0, 0.5)), 0, 4))
        if kind == "early_language":
            stage = min(stage, 1)
        if kind == "send":
            stage = int(np.clip(stage, 2, 3))
        ability = rng.normal(100, 13) - (12 if kind == "send" else 0)
        slip = rng.uniform(10, 16)
        for j, date in enumerate(terms):
            here = max(0.0, years_here - (as_of - date).days / 365.25)
            gap = 0.0 if not eal else 22 * np.exp(-here / 2.2)
            catch_up = 0.0 if kind == "send" else gap
            for subject in ("reading", "maths"):
                true = ability - (catch_up if subject == "reading" else catch_up / 2)
                if kind == "send":
                    true -= slip * j / max(1, len(terms) - 1)  # slow progress despite support
                score = int(np.clip(round(true + rng.normal(0, SEM_STANDARDISED)), 40, 160))
                scores.append((upn, subject, date.isoformat(), str(score), "standardised"))
        entered = as_of - dt.timedelta(days=int(years_here * 365.25))
        pupils.append(
            {
                "upn": upn,
                "school": "Language Academy",
                "date_of_birth": "01/03/2015",
                "year_group": "6",
                "sen_provision": "N",
                "first_language": "POL" if eal else "ENG",
                "english_proficiency": "ABCDE"[stage] if eal else "",
                "entered_english_schooling": entered.isoformat() if eal else "",
            }
        )
        if not eal:
            continue
        l1 = {"send": "concern", "early_language": "age_appropriate", "no_l1_evidence": "not_done"}.get(
            kind, str(rng.choice(["age_appropriate", "not_done"], p=[0.7, 0.3]))
        )
        parent = {"send": "concern", "early_language": "age_appropriate", "no_l1_evidence": "not_asked"}.get(
            kind, str(rng.choice(["age_appropriate", "not_asked"], p=[0.7, 0.3]))
        )
        cat4 = ability - (10 if kind == "send" else 0)
        evidence.append(
            {
                "upn": upn,
                "recorded_on": (as_of - dt.timedelta(days=30)).isoformat(),
                "l1_assessment": l1,
                "parent_l1_report": parent,
                "eal_support_terms": int(rng.integers(6, 15)) if kind == "send" else int(min(3 * years_here, 20)),
                "hearing_check": "pass",
                "vision_check": "pass",
                "cat4_verbal": int(np.clip(cat4 - 12, 60, 141)),
                "cat4_quantitative": int(np.clip(cat4, 60, 141)),
                "cat4_nonverbal": int(np.clip(cat4 - (8 if kind == "send" else 0), 60, 141)),
                "cat4_spatial": int(np.clip(cat4 - (8 if kind == "send" else 0), 60, 141)),
                "interrupted_schooling": "N",
                "attendance_pct": 95,
            }
        )
    tables = {
        "pupils": pd.DataFrame(pupils),
        "assessments": pd.DataFrame(scores, columns=["upn", "subject", "assessment_date", "score", "scale"]),
        "eal_evidence": pd.DataFrame(evidence),
    }
    truth = pd.DataFrame({"upn": tables["pupils"]["upn"], "kind": kinds})
    return tables, truth


# --- a Voila server and browser sessions ---------------------------------------------------------
def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    token: str = "",
    env_extra: dict | None = None,
    wait_seconds: float = 60,
    access: str | Path | None = None,
    log: str | Path | None = None,
    **settings,
):
    """Start Voila in the background (for tests and benchmarks): (process, port) once it answers.
    ``log`` is a file for Voila's own log; ``settings`` go to :func:`voila_command` (e.g.
    ``cull_idle_seconds``)."""
    import time
    import urllib.error
    import urllib.request

    port = free_port()
    env = {**_environment(None, access), **(env_extra or {})}
    warm_committee_cache(env.get(DATA_ENV))
    with open(log, "ab") if log else contextlib.nullcontext(subprocess.DEVNULL) as output:
        process = subprocess.Popen(
            voila_command(port, token, access, **settings), env=env, stdout=output, stderr=subprocess.STDOUT
        )
    deadline = time.time() + wait_seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/?token={token}", timeout=2)
            return process, port
        except urllib.error.HTTPError:  # it answers, and refuses: up
            return process, port
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("Voila did not start")


def open_sessions(browser, urls: list[str], selector: str, timeout_ms: int = 300_000) -> tuple[list, list[float]]:
    """Open every URL at once, each in its own browser context (a Playwright browser); wait until
    each shows ``selector``. Returns the pages and the seconds each took, all timed from the
    moment the first is asked for: the browsers are open before (as each visitor's is on their own
    computer), so starting fifteen of them on this machine is not counted as waiting for the page.
    A page that fails is named, with what it showed and what its console said."""
    import time

    pages = [browser.new_context(viewport={"width": 1200, "height": 900}).new_page() for _ in urls]
    consoles: list[list[str]] = [[] for _ in urls]
    start = time.perf_counter()
    for page, console in zip(pages, consoles):
        page.on(
            "console",
            lambda message, console=console: console.append(
                f"{time.perf_counter() - start:.0f} s {message.type}: {message.text[:200]}"
            ),
        )
        page.on(
            "websocket",
            lambda socket, console=console: console.append(
                f"{time.perf_counter() - start:.0f} s websocket {socket.url.split('?')[0]}"
            ),
        )
    for page, url in zip(pages, urls):
        page.goto(url, wait_until="commit")  # the page streams in while the others start
    seconds = []
    for number, (page, console) in enumerate(zip(pages, consoles), 1):
        try:
            page.wait_for_selector(selector, timeout=timeout_ms)
        except Exception as error:  # say which page, what it showed and what its console said
            state = page.evaluate("""() => ({loading: !!document.querySelector('#loading') &&
                getComputedStyle(document.querySelector('#loading')).display,
                kernel: (document.querySelector('#jupyter-config-data') || {}).textContent || '',
                cells: document.querySelectorAll('#rendered_cells [cell-index]').length,
                bytes: document.documentElement.outerHTML.length})""")
            kernel = state["kernel"].split('"kernelId": "')[-1][:36] if "kernelId" in state["kernel"] else "none"
            raise AssertionError(
                f"page {number} of {len(pages)} showed no {selector} after {time.perf_counter() - start:.0f} s: "
                f"{page.inner_text('body')[:300]!r}; spinner {state['loading']}, {state['cells']} cells, "
                f"{state['bytes']} bytes, kernel {kernel}; console:\n" + "\n".join(console[-30:])
            ) from error
        seconds.append(time.perf_counter() - start)
    return pages, seconds


class MemorySampler:
    """Samples :func:`server_memory` every ``interval`` seconds in a thread; ``peak`` is the most seen."""

    def __init__(self, process, interval: float = 0.5):
        import threading

        self.process, self.interval, self.peak, self.peak_kernels = process, interval, 0.0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            memory, kernels = server_memory(self.process)
            self.peak, self.peak_kernels = max(self.peak, memory), max(self.peak_kernels, kernels)
            self._stop.wait(self.interval)

    def stop(self) -> float:
        self._stop.set()
        self._thread.join()
        return self.peak


def _is_kernel(proc) -> bool:
    return "ipykernel" in " ".join(proc.cmdline())


def kernel_pids(process) -> set[int]:
    """The process ids of the server's kernels."""
    import psutil

    pids: set[int] = set()
    try:
        children = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return pids
    for child in children:
        try:
            if _is_kernel(child):
                pids.add(child.pid)
        except psutil.NoSuchProcess:
            pass
    return pids


def server_memory(process) -> tuple[float, int]:
    """Resident memory (GiB) of the Voila server and all its kernels, and the number of kernels."""
    import psutil

    try:
        server = psutil.Process(process.pid)
        tree = [server, *server.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0, 0
    total, kernels = 0, 0
    for proc in tree:
        try:
            total += proc.memory_info().rss
            kernels += _is_kernel(proc)
        except psutil.NoSuchProcess:
            pass
    return total / 2**30, kernels


def wait_for_quiet(process, kernels: int, timeout: float = 180) -> float:
    """Wait until the server runs ``kernels`` kernels (or more) and its whole process tree has
    been idle (under a tenth of a core) for two readings in a row: the preheated kernels have
    done their work. Returns the seconds it took; fails after ``timeout``."""
    import time

    import psutil

    start, quiet = time.perf_counter(), 0
    while time.perf_counter() - start < timeout:
        if process.poll() is not None:
            raise AssertionError(f"the server exited (code {process.returncode}) before its kernels were idle")
        try:
            tree = [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]
            before = sum(p.cpu_times().user + p.cpu_times().system for p in tree)
            time.sleep(0.5)
            after = sum(p.cpu_times().user + p.cpu_times().system for p in tree)
        except psutil.NoSuchProcess:  # a kernel came or went while it was read
            time.sleep(0.5)
            continue
        running = server_memory(process)[1]
        quiet = quiet + 1 if running >= kernels and after - before < 0.05 else 0
        if quiet >= 2:
            return time.perf_counter() - start
    raise AssertionError(f"the server's {kernels} kernel(s) were not idle within {timeout:.0f} s")


# --- what a page shows -------------------------------------------------------------------------------
def assert_nothing_identifying(html_text: str, pupils: pd.DataFrame):
    assert not UPN.search(html_text), UPN.search(html_text)
    names = set(pupils["forename"] + " " + pupils["surname"]) | set(pupils["surname"] + ", " + pupils["forename"])
    found = [name for name in names if name in html_text]
    assert not found, found[:5]
    cells = [cell.get_text(strip=True) for cell in BeautifulSoup(html_text, "html.parser").find_all(["td", "th"])]
    small = [c for c in cells if re.fullmatch(r"[1-5]", c)]
    assert not small, small


# --- can a hidden count be worked out? -------------------------------------------------------------
# The audit reads a committee page as a governor (or anyone holding the report) sees it: the
# rendered HTML, every table, sentence and chart description. Each count printed there, shown or
# hidden, becomes an unknown whole number: a shown count is fixed, "fewer than 6" is 1 to 5, "not
# shown" anything from 0 to a roll. Everything the page says ties them together: totals across
# rows and columns, the same count in two tables or in a sentence, each percentage (to its printed
# precision) of its whole. Then for every hidden count an integer program finds the smallest and
# largest value that fits everything printed: if they are equal, the page gives the count away.
# A number the audit cannot place is reported too: a new sentence or column must be taught to the
# audit before it can ship.
NUMBER = re.compile(r"(?<![\w.])[£]?\d[\d,]*(?:\.\d+)?%?")


@dataclass
class Audit:
    """Unknown counts and the linear facts a reader has about them."""

    cap: int = 10_000  # no count on a page is larger than the school's roll
    names: list[str] = field(default_factory=list)
    low: list[float] = field(default_factory=list)
    high: list[float] = field(default_factory=list)
    hidden: dict[int, str] = field(default_factory=dict)  # unknown -> what the page printed
    protected: list[int] = field(default_factory=list)  # never printed, but must not be pinned to 1 to 5
    facts: list[tuple[dict[int, float], float, float]] = field(default_factory=list)

    def count(self, name: str, text: str) -> int:
        """An unknown for a printed count: fixed when shown, a range when hidden."""
        text = text.strip()
        i = len(self.names)
        self.names.append(name)
        if text in (SMALL, HIDDEN):
            self.hidden[i] = text
            low, high = (1, 5) if text == SMALL else (0, self.cap)
        elif re.fullmatch(r"\d[\d,]*", text):
            low = high = int(text.replace(",", ""))
        else:
            raise AssertionError(f"{name}: {text!r} is not a count")
        self.low.append(low)
        self.high.append(high)
        return i

    def free(self, name: str) -> int:
        """A count the page never prints but that its rates are made from."""
        self.names.append(name)
        self.low.append(0)
        self.high.append(self.cap)
        return len(self.names) - 1

    def equal(self, terms: dict[int, float], value: float = 0.0) -> None:
        self.facts.append((terms, value, value))

    def between(self, terms: dict[int, float], low: float, high: float) -> None:
        self.facts.append((terms, low, high))

    def share(self, part: int, whole: int | dict[int, float], text: str) -> None:
        """``text`` (a printed percentage, or "not shown"/words) of ``whole``: part/whole in the
        rounding interval of the printed figure (its ends included, whatever the rounding)."""
        found = re.fullmatch(r"(\d+(?:\.(\d+))?)%", text.strip())
        if not found:
            return  # nothing printed: no fact
        decimals = len(found.group(2) or "")
        half = 0.5 * 10.0**-decimals
        p = float(found.group(1))
        whole_terms = whole if isinstance(whole, dict) else {whole: 1.0}
        # part - whole * (p - half)/100 >= 0  and  part - whole * (p + half)/100 <= 0
        for bound, sign in ((p - half, 1), (p + half, -1)):
            terms = {part: 1.0}
            for k, v in whole_terms.items():
                terms[k] = terms.get(k, 0.0) - v * bound / 100
            if sign == 1:
                self.between(terms, 0.0, np.inf)
            else:
                self.between(terms, -np.inf, 0.0)

    def recovered(self) -> list[tuple[str, str, int]]:
        """Hidden counts that everything printed pins to one value: (name, printed, value)."""
        n = len(self.names)
        rows = np.zeros((len(self.facts), n))
        lower = np.zeros(len(self.facts))
        upper = np.zeros(len(self.facts))
        for r, (terms, lo, hi) in enumerate(self.facts):
            for k, v in terms.items():
                rows[r, k] += v
            lower[r], upper[r] = lo, hi
        asked = [*self.hidden.items(), *((i, "never printed") for i in self.protected)]
        try:
            pinned = pinned_values(rows, lower, upper, self.low, self.high, [i for i, _ in asked])
        except ValueError as error:
            raise AssertionError(f"the audit's facts contradict the page itself ({error})") from None
        return [
            (self.names[i], printed, pinned[i])
            for i, printed in asked
            if i in pinned and (i in self.hidden or 1 <= pinned[i] <= 5)
        ]


def _cells(table) -> list[dict[str, str]]:
    """A rendered table's rows as {column: text}; the index (if any) under ""."""
    heads = [th.get_text(" ", strip=True) for th in table.select("thead tr")[0].find_all("th")]
    rows = []
    for tr in table.select("tbody tr"):
        cells = tr.find_all(["th", "td"])
        keys = ["", *heads[1:]] if cells and cells[0].name == "th" else heads
        rows.append(dict(zip(keys, (c.get_text(" ", strip=True) for c in cells))))
    return rows


def read_page(html_text: str) -> tuple[dict[str, list[list[dict[str, str]]]], list[str]]:
    """The page's tables by the heading above them, and its sentences (narrative, notes and
    chart descriptions)."""
    soup = BeautifulSoup(html_text, "html.parser")
    for style in soup.find_all("style"):
        style.decompose()
    sections: dict[str, list] = {}
    heading = ""
    for element in soup.find_all(["h2", "h3", "table"]):
        if element.name == "table":
            sections.setdefault(heading, []).append(_cells(element))
        else:
            heading = element.get_text(" ", strip=True)
    sentences = [p.get_text(" ", strip=True) for p in soup.select(".narrative p")]
    sentences += [str(img.get("alt", "")) for img in soup.find_all("img")]
    return sections, sentences


def _claim(text: str, unread: list[str], where: str, pattern: str | None = None) -> None:
    """Numbers in ``text`` the audit did not read (``pattern`` removes the ones it did)."""
    rest = re.sub(pattern, " ", text) if pattern else text
    unread += [f"{where}: {number} in {text!r}" for number in NUMBER.findall(rest)]


def audit_page(html_text: str) -> tuple[list[tuple[str, str, int]], list[str]]:
    """Hidden counts a reader can work out from ``html_text``, and numbers the audit could not
    place (each must be empty for a page to pass)."""
    sections, sentences = read_page(html_text)
    a = Audit()
    unread: list[str] = []
    by = {name: tables for name, tables in sections.items()}

    def section(start: str):
        return next((tables for name, tables in by.items() if name.startswith(start)), [])

    # headline: SEN support, EHC plan, all pupils (the rest have no SEN)
    headline = {row[""]: row for row in section("Pupils with SEN support")[0]}
    n = a.count("all pupils", headline["All pupils"]["Pupils"])
    roll = {"SEN support": a.count("SEN support", headline["SEN support"]["Pupils"])}
    roll["EHC plan"] = a.count("EHC plan", headline["EHC plan"]["Pupils"])
    roll["No SEN"] = a.count("no SEN", headline["No SEN"]["Pupils"])
    a.equal({n: 1, roll["SEN support"]: -1, roll["EHC plan"]: -1, roll["No SEN"]: -1})
    for group in ("SEN support", "EHC plan", "No SEN"):
        a.share(roll[group], n, headline[group]["% of pupils"])

    # need areas: rows and columns add up; the total row is the headline's counts (a small school's
    # table counts SEN support and EHC plans together; a smaller one's is a sentence)
    areas = (section("By broad area of need") or [[]])[0]
    totals: dict[str, int] = {}
    for row in areas:
        column = "Total" if "Total" in row else "Pupils with SEND"
        totals[row[""]] = a.count(f"{row['']}, total", row[column])
    parts = [area for area in totals if area != "All areas"]
    if totals:
        a.equal({**{totals[area]: 1 for area in parts}, totals["All areas"]: -1})
        a.equal({totals["All areas"]: 1, roll["SEN support"]: -1, roll["EHC plan"]: -1})
    columns: dict[str, dict[str, int]] = {"SEN support": {}, "EHC plan": {}}
    for row in areas:
        if "Total" in row:
            cells = {g: a.count(f"{row['']}, {g}", row[g]) for g in columns}
            a.equal({cells["SEN support"]: 1, cells["EHC plan"]: 1, totals[row[""]]: -1})
            for g, column in (("SEN support", "% of SEN support"), ("EHC plan", "% of EHC plans")):
                columns[g][row[""]] = cells[g]
                a.share(cells[g], roll[g], row[column])
        elif row[""] != "All areas":
            a.share(totals[row[""]], totals["All areas"], row["% of pupils with SEND"])
    for g, by_area in columns.items():
        if by_area:
            a.equal({**{by_area[area]: 1 for area in parts}, by_area["All areas"]: -1})
            a.equal({by_area["All areas"]: 1, roll[g]: -1})

    # progress: those with enough scores are some of the group's roll; shares of them
    for tables in section("Progress of pupils"):
        for row in tables:
            group = row["Pupils"]
            judged = a.count(f"{row['Subject']}, {group}, with scores", row["Number with enough scores"])
            a.between({judged: 1, roll[group]: -1}, -np.inf, 0)
            for column in ("Progress slower than expected", "Attainment gap not closing"):
                part = a.free(f"{row['Subject']}, {group}, {column}")
                a.between({part: 1, judged: -1}, -np.inf, 0)
                a.share(part, judged, row[column])

    # duties: deadlines judged, met (a rate of them), overdue, due soon
    statutory: dict[str, list[int]] = {"judged": [], "met": [], "overdue": []}
    for row in section("Deadlines met on time")[0]:
        duty = row["Duty"]
        judged = a.count(f"{duty}: judged", row["Deadlines passed or met, last 12 months"])
        met = a.free(f"{duty}: met")
        a.between({met: 1, judged: -1}, -np.inf, 0)
        a.share(met, judged, row["Met on time, last 12 months"])
        this_year, met_this_year = a.free(f"{duty}: judged this year"), a.free(f"{duty}: met this year")
        a.between({met_this_year: 1, this_year: -1}, -np.inf, 0)
        a.share(met_this_year, this_year, row["Met on time, this school year"])
        overdue = a.count(f"{duty}: overdue", row["Overdue now"])
        a.count(f"{duty}: due soon", row["Due in the next 30 days"])
        if row["Required by"].startswith("law"):
            for key, value in (("judged", judged), ("met", met), ("overdue", overdue)):
                statutory[key].append(value)

    # EHC needs assessments: this school's row (England's is national)
    assessed: list[dict[str, str]] = next(iter(section("EHC needs assessments")), [])
    requests = None
    for row in assessed:
        if row[""] != "This school":
            continue
        requests = a.count("requests", row["Requests for an assessment"])
        decisions, on_time = a.free("decisions"), a.free("decided within 6 weeks")
        a.between({on_time: 1, decisions: -1}, -np.inf, 0)
        a.share(on_time, decisions, row["Decided within 6 weeks"])
        plans = a.count("final plans", row["Final plans issued"])
        timed, within = a.free("plans timed"), a.free("plans within 20 weeks")
        a.between({timed: 1, plans: -1}, -np.inf, 0)
        a.between({within: 1, timed: -1}, -np.inf, 0)
        a.share(within, timed, row["Issued within 20 weeks of the request"])
        a.count("mediations", row["Mediations"]), a.count("appeals", row["Tribunal appeals"])

    # provision: pupils by area (a pupil may have support in two areas: the total is at most
    # their sum, and at least each); spend is money, not a count of pupils
    provided = section("Additional provision")
    provision_total = None
    if provided:
        by_area = {
            row["Broad area of need"]: a.count(f"provision, {row['Broad area of need']}", row["Pupils"])
            for row in provided[0]
        }
        provision_total = by_area.pop("All areas")
        a.between({**{v: 1 for v in by_area.values()}, provision_total: -1}, 0, np.inf)
        for v in by_area.values():
            a.between({v: 1, provision_total: -1}, -np.inf, 0)

    # a past January census: its roll and groups are never printed, only shares of the roll; no
    # group may be pinned to 1 to 5 by them
    januaries: dict[int, dict[str, int]] = {}

    def census(year: int, group: str, text: str) -> None:
        if year not in januaries:
            januaries[year] = {g: a.free(f"January {year}, {g}") for g in ("all", "SEN support", "EHC plan", "No SEN")}
            parts = januaries[year]
            a.equal({parts["SEN support"]: 1, parts["EHC plan"]: 1, parts["No SEN"]: 1, parts["all"]: -1})
            a.protected += [parts["SEN support"], parts["EHC plan"], parts["No SEN"]]
        a.share(januaries[year][group], januaries[year]["all"], text)

    # the sentences
    for sentence in sentences:
        # each group: "42 on SEN support (13.2% of pupils; England 14.2%)", "fewer than 6 with an
        # EHC plan (England 5.3%)" or "the number on SEN support is not shown, to protect ..."
        group_words = (
            r"(?:the number {what} is not shown, to protect a small count|(?P<{key}>.+?) {what}) "
            r"\((?:(?P<{key}_pct>[^;()]+?) of pupils; )?England [\d.]+%\)"
        )
        first = re.match(
            r".+ has ([\d,]+|an undisclosed number of) pupils: "
            + group_words.format(what="on SEN support", key="k")
            + " and "
            + group_words.format(what="with an EHC plan", key="e")
            + r"\.$",
            sentence,
        )
        if first:
            if first.group(1)[0].isdigit():
                a.equal({a.count("sentence: all pupils", first.group(1)): 1, n: -1})
            for group, key in (("SEN support", "k"), ("EHC plan", "e")):
                count = first.group(key) or "not shown"
                a.equal({a.count(f"sentence: {group}", count): 1, roll[group]: -1})
                a.share(roll[group], n, first.group(f"{key}_pct") or "not shown")
            continue
        largest = re.match(
            r"The largest broad area of need is (.+?): (\d+%) of pupils with SEND here, \d+% in England\.$", sentence
        )
        if largest:
            area = next(name for name in totals if name.lower() == largest.group(1))
            a.share(totals[area], totals["All areas"], largest.group(2))
            continue
        duties = re.match(
            r"Statutory duties: (?:(\d+%) of deadlines|how many deadlines) in the last 12 months were met on time"
            r"(?: is not shown, to protect the pupils)?; (.+?)\.$",
            sentence,
        )
        if duties:
            a.share(
                _sum(a, statutory["met"], "statutory met"),
                {k: 1.0 for k in statutory["judged"]},
                duties.group(1) or "",
            )
            overdue_now = re.fullmatch(r"([\d,]+|fewer than 6) (?:are|is) overdue now", duties.group(2))
            if overdue_now:
                total = a.count("sentence: statutory overdue", overdue_now.group(1))
                a.equal({**{k: 1 for k in statutory["overdue"]}, total: -1})
            else:
                _claim(duties.group(2), unread, "statutory duties sentence", r"see the table for what is overdue now")
            continue
        ehc = re.match(
            r"EHC needs assessments for pupils here in the last 12 months: (.+?) requests?; (.+)\.$", sentence
        )
        if ehc and requests is not None:
            if ehc.group(1) != "no":
                a.equal({a.count("sentence: requests", ehc.group(1)): 1, requests: -1})
            else:
                a.equal({requests: 1})
            _claim(ehc.group(2), unread, "EHC sentence", r"England \d+% in \d{4}|\d+% of final plans|20 weeks")
            continue
        provision = re.match(
            r"Additional provision: (.+?) pupils received interventions in the last 12 months(?:, costing £[\d,]+ "
            r"where costs are recorded)?; (?:(.+?) have|none has) support above the £6,000 a year notional SEN "
            r"threshold\.$",
            sentence,
        )
        if provision and provision_total is not None:
            a.equal({a.count("sentence: provision pupils", provision.group(1)): 1, provision_total: -1})
            if provision.group(2):
                above = a.count("sentence: above the threshold", provision.group(2))
                a.between({above: 1, provision_total: -1}, -np.inf, 0)
            continue
        mix = re.match(r"Pupils with SEND by broad area of need: (.+)\.$", sentence)
        if mix:  # the need-mix chart: each area's share of the areas' total
            for piece in mix.group(1).split("; "):
                found = re.fullmatch(r"(.+) (\d+%|not shown) here, \d+% in England", piece)
                assert found, f"chart: {piece!r}"
                area = next(name for name in totals if name.lower() == found.group(1).lower())
                a.share(totals[area], totals["All areas"], found.group(2))
            continue
        moved = re.match(r"From January (\d{4}) to January (\d{4}): (.+)\.$", sentence)
        if moved:  # each group's share of each January's roll (a roll the page does not give)
            for piece in moved.group(3).split("; "):
                found = re.fullmatch(r"(SEN support|EHC plan) .+?, ([\d.]+%) to ([\d.]+%) of pupils", piece)
                assert found, f"trend sentence: {piece!r}"
                census(int(moved.group(1)), found.group(1), found.group(2))
                census(int(moved.group(2)), found.group(1), found.group(3))
            continue
        trend = re.match(r"Share of pupils in each January census: (.+)\.$", sentence)
        if trend:
            for piece in trend.group(1).split("; "):
                found = re.fullmatch(
                    r"(SEN support|EHC plan) here ([\d.]+%|not shown) in January (\d{4}) and ([\d.]+%|not shown) "
                    r"in January (\d{4}) \(England .+\)",
                    piece,
                )
                assert found, f"trend chart: {piece!r}"
                census(int(found.group(3)), found.group(1), found.group(2))
                census(int(found.group(5)), found.group(1), found.group(4))
            continue
        if re.match(
            r"(Of the \d+ interventions used here|Forecast for January|Progress is measured|\w+: pupils )", sentence
        ) or not NUMBER.search(sentence):
            # counts of interventions, model forecasts and points of progress: no count of pupils
            continue
        _claim(sentence, unread, "sentence")
    return a.recovered(), unread


def _sum(a: Audit, parts: list[int], name: str) -> int:
    total = a.free(name)
    a.equal({**{k: 1 for k in parts}, total: -1})
    return total


def assert_no_count_recoverable(html_text: str, where: str) -> None:
    """Fails when a reader could work out a hidden count from ``html_text``, or when it prints a
    number the audit cannot place."""
    recovered, unread = audit_page(html_text)
    assert not recovered, f"{where}: hidden counts a reader can work out: {recovered}"
    assert not unread, f"{where}: numbers the audit does not know how to read: {unread}"


def open_tabs(widget):
    """Open every tab of every Tab in ``widget`` in turn, as a user clicking through would (a
    tab's content is made when it is first opened), then the first again; returns ``widget``."""
    if isinstance(widget, W.Tab) and widget.children:
        for index in range(len(widget.children)):
            widget.selected_index = index
            open_tabs(widget.children[index])
        widget.selected_index = 0
    else:
        for child in getattr(widget, "children", ()) or ():
            open_tabs(child)
    return widget


def widget_text(widget) -> str:
    """Every piece of text a widget tree could send to a browser: values, options, labels,
    titles; every tab opened first (:func:`open_tabs`)."""
    return _text(open_tabs(widget))


def _text(widget) -> str:
    parts = []
    for key in ("value", "description", "placeholder", "tooltip"):
        value = getattr(widget, key, None)
        if isinstance(value, str):
            parts.append(value)
    for option in getattr(widget, "options", ()) or ():
        parts.append(str(option))
    for i, child in enumerate(getattr(widget, "children", ()) or ()):
        parts.append(_text(child))
        if isinstance(widget, W.Tab):
            parts.append(str(widget.get_title(i)))
    return "\n".join(parts)


def find(widget, kind, pred=lambda w: True):
    if isinstance(widget, kind) and pred(widget):
        return widget
    for child in getattr(widget, "children", ()) or ():
        found = find(child, kind, pred)
        if found is not None:
            return found
    return None


def pupils_of(sample, school):
    return sample.pupils[sample.pupils["school"] == school]


def assert_none_of(text, sample, allowed=()):
    """No UPN and no name of a pupil outside ``allowed`` schools (a name shared with an allowed
    pupil does not count: synthetic names repeat)."""
    names = sample.pupils["forename"] + " " + sample.pupils["surname"]
    inside = sample.pupils["school"].isin(allowed)
    upns = [u for u in sample.pupils.loc[~inside, "upn"] if u in text]
    found = [n for n in set(names[~inside]) - set(names[inside]) if n in text]
    assert not upns and not found, (upns[:3], found[:3])


def sign_in(monkeypatch, path, user):
    monkeypatch.setenv(ACCESS_ENV, str(path))
    if user is None:
        monkeypatch.delenv(USER_ENV, raising=False)
    else:
        monkeypatch.setenv(USER_ENV, user)
    monkeypatch.delenv("QUERY_STRING", raising=False)
