"""Serving the dashboards: Voila with sources stripped, tracebacks hidden and idle kernels
culled (Voilà 0.5 behaviour, verified on this project's machines); each app limits its own time to open
(:data:`sendlib.widgets.WORK_SECONDS`). Without an access file it
listens on 127.0.0.1 with one token; with one, users sign in as :mod:`sendlib.login` says."""
from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

from ._paths import DATA_ENV, VOILA_APPS_DIR
from .access import ACCESS_ENV, APP_NOTEBOOKS, USER_ENV, USER_HEADER, AccessPolicy, load_access
from .exceptions import SendlibError


CULL_IDLE_SECONDS = 900  # a dashboard left idle for 15 minutes gives its memory back
CULL_INTERVAL_SECONDS = 60
# Voila (0.5.13) leaves a page blank for ever if its kernel is not ready within this time
# (the page's request keeps sending heartbeats); nbclient's default is 60 s.
KERNEL_START_SECONDS = 180
# How long Voila listens for a cell's outputs after the cell has finished. nbclient's 4 s
# lost the committee widget of one page in fifteen on a loaded machine (a blank page);
# it returns as soon as the kernel says it is idle, so a long wait costs nothing.
IOPUB_SECONDS = 60
POOL_SIZE = 1  # preheated kernels per app: memory (~0.4 GB each) against waiting


def voila_command(port: int, token: str = "", access: str | Path | None = None, ip: str = "127.0.0.1",
                  cull_idle_seconds: int = CULL_IDLE_SECONDS, cull_interval_seconds: int = CULL_INTERVAL_SECONDS,
                  pool_size: int = POOL_SIZE) -> list[str]:
    """The Voila command line, every safety setting explicit.

    Without an access file: one shared ``token``. With one: users sign in as the access file
    says (:mod:`sendlib.login`) and their name reaches the kernel as ``HTTP_X_REMOTE_USER``."""
    if access is None:
        login = [f"--token={token}"]
    else:
        login = ["--Voila.identity_provider_class=sendlib.login.AccessFileIdentityProvider",
                 f"--VoilaConfiguration.http_header_envs={USER_HEADER}"]
    return [
        sys.executable, "-m", "voila", str(VOILA_APPS_DIR), "--no-browser", f"--port={port}",
        f"--Voila.ip={ip}", *login,
        f"--MappingKernelManager.cull_idle_timeout={cull_idle_seconds}",
        f"--MappingKernelManager.cull_interval={cull_interval_seconds}",
        # no cell timeout: a preheated kernel's cell waits for its visitor (the apps limit their own work)
        "--VoilaExecutor.timeout=-1", f"--VoilaExecutor.startup_timeout={KERNEL_START_SECONDS}",
        f"--VoilaExecutor.iopub_timeout={IOPUB_SECONDS}",
        "--Voila.log_format=[%(name)s %(asctime)s]%(highlevel)s %(message)s", "--Voila.log_datefmt=%Y-%m-%d %H:%M:%S",
        "--VoilaConfiguration.show_tracebacks=False", "--VoilaConfiguration.strip_sources=True",
        "--VoilaConfiguration.allow_template_override=NO", "--VoilaConfiguration.allow_theme_override=NO",
        # a kernel per app runs the trust-wide work before anyone asks, so the first page opens
        # fast (measured here: 8.5 s to 1.4 s); the apps then wait for the request to learn the user.
        # Not the committee page: visitors queue behind a pool's refill (fifteen at a meeting
        # waited 75 s or more), and its pages come from a cache in about a second anyway.
        "--preheat_kernel=True", f"--pool_size={pool_size}", "--VoilaKernelManager.preheat_denylist=local_committee",
    ]


def _environment(data_dir: str | Path | None, access: str | Path | None) -> dict:
    env = dict(os.environ)
    env.pop(ACCESS_ENV, None)
    env.pop(USER_ENV, None)  # the user comes from each request's login, never from the server's environment
    if data_dir:
        env[DATA_ENV] = os.path.abspath(data_dir)
    if access is not None:
        env[ACCESS_ENV] = str(Path(access).resolve())
    return env


def check_access(access: str | Path, data_dir: str | Path | None = None) -> AccessPolicy:
    """Read the access file, make the trust secret if missing and check every user's schools exist."""
    from .widgets import load

    policy = load_access(access)
    policy.secret()
    problems = policy.check_schools(load(str(data_dir or "")).schools)
    if problems:
        raise SendlibError("\n".join(problems))
    return policy


def warm_committee_cache(data_dir: str | Path | None = None) -> None:
    """Make the committee pages before anyone asks (a meeting's first visitor would wait for them)."""
    from .committee import cached_committee_pages
    from .widgets import load

    try:
        cached_committee_pages(str(data_dir or ""), load)
    except (SendlibError, OSError):
        pass  # the page itself will say what is wrong with the export


def serve(data_dir: str | None = None, port: int = 8866, access: str | None = None) -> int:
    """Run Voila until interrupted; print the addresses (with the login token when there is no access file)."""
    warm_committee_cache(data_dir)
    apps = [f"/voila/render/{app}" for app in APP_NOTEBOOKS.values()]
    if access is None:
        token = secrets.token_urlsafe(16)
        command = voila_command(port, token)
        print("sendlib dashboards: open these in a browser on this computer (Ctrl+C stops the server):")
        print("\n".join(f"  http://127.0.0.1:{port}{app}?token={token}" for app in apps))
    else:
        policy = check_access(access, data_dir)
        command = voila_command(port, access=policy.path, ip=policy.ip)
        how = ("each user signs in with their personal token (add ?token=... to the link, or paste it on the "
               "login page)" if policy.login == "token" else "users sign in through the proxy (X-Remote-User)")
        print(f"sendlib dashboards: {len(policy.users)} users from {policy.path.name}; {how}. "
              f"Listening on {policy.ip}:{port}; access log: {policy.log_file}. Ctrl+C stops the server.")
        print("\n".join(f"  http://{policy.ip}:{port}{app}" for app in apps))
    process = subprocess.Popen(command, env=_environment(data_dir, access))
    signal.signal(signal.SIGTERM, lambda *_: process.terminate())  # a service manager's stop reaches Voila
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        process.wait()
        return 0


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(token: str = "", env_extra: dict | None = None, wait_seconds: float = 60,
                 access: str | Path | None = None, log: str | Path | None = None, **settings):
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
        process = subprocess.Popen(voila_command(port, token, access, **settings), env=env,
                                   stdout=output, stderr=subprocess.STDOUT)
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
    """Open every URL at once in its own browser context (a Playwright browser); wait until each
    shows ``selector``. Returns the pages and the seconds each took, all timed from the start.
    A page that fails is named, with what it showed and what its console said."""
    import time

    start = time.perf_counter()
    pages, consoles = [], []
    for url in urls:
        page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
        console = []
        page.on("console", lambda message, console=console: console.append(
            f"{time.perf_counter() - start:.0f} s {message.type}: {message.text[:200]}"))
        page.on("websocket", lambda socket, console=console: console.append(
            f"{time.perf_counter() - start:.0f} s websocket {socket.url.split('?')[0]}"))
        page.goto(url, wait_until="commit")  # the page streams in while the others start
        pages.append(page)
        consoles.append(console)
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
                f"{state['bytes']} bytes, kernel {kernel}; console:\n" + "\n".join(console[-30:])) from error
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
            kernels += "ipykernel" in " ".join(proc.cmdline())
        except psutil.NoSuchProcess:
            pass
    return total / 2**30, kernels
