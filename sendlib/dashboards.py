"""Serving the dashboards: Voila on 127.0.0.1, with a token, sources stripped, tracebacks
hidden, idle kernels culled and a per-cell timeout (STACK.md: behaviour verified here)."""
from __future__ import annotations

import os
import secrets
import subprocess
import sys

from ._paths import VOILA_APPS_DIR
from .widgets import DATA_ENV

CULL_IDLE_SECONDS = 900  # a dashboard left idle for 15 minutes gives its memory back
CULL_INTERVAL_SECONDS = 60
CELL_TIMEOUT_SECONDS = 180
POOL_SIZE = 1  # preheated kernels per app: memory (~0.4 GB each) against waiting
APPS = ("senco_pupil_explorer.ipynb", "trust_need_forecast.ipynb", "local_committee.ipynb")


def voila_command(port: int, token: str) -> list[str]:
    """The Voila command line, every safety setting explicit."""
    return [
        sys.executable, "-m", "voila", str(VOILA_APPS_DIR), "--no-browser", f"--port={port}",
        "--Voila.ip=127.0.0.1", f"--token={token}",
        f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_SECONDS}",
        f"--MappingKernelManager.cull_interval={CULL_INTERVAL_SECONDS}",
        f"--VoilaExecutor.timeout={CELL_TIMEOUT_SECONDS}",
        "--VoilaConfiguration.show_tracebacks=False", "--VoilaConfiguration.strip_sources=True",
        "--VoilaConfiguration.allow_template_override=NO", "--VoilaConfiguration.allow_theme_override=NO",
        # a kernel per app runs the notebook before anyone asks, so the first page opens fast
        # (STACK.md: 8.5 s to 1.4 s); the apps read no query string, so preheating is safe
        "--preheat_kernel=True", f"--pool_size={POOL_SIZE}",
    ]


def serve(data_dir: str | None = None, port: int = 8866) -> int:
    """Run Voila until interrupted; print the addresses with the login token."""
    token = secrets.token_urlsafe(16)
    env = dict(os.environ)
    if data_dir:
        env[DATA_ENV] = os.path.abspath(data_dir)
    print("sendlib dashboards: open these in a browser on this computer (Ctrl+C stops the server):")
    for app in APPS:
        print(f"  http://127.0.0.1:{port}/voila/render/{app}?token={token}")
    try:
        return subprocess.call(voila_command(port, token), env=env)
    except KeyboardInterrupt:
        return 0


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(token: str, env_extra: dict | None = None, wait_seconds: float = 60):
    """Start Voila in the background (for tests and benchmarks): (process, port) once it answers."""
    import time
    import urllib.request

    port = free_port()
    env = {**os.environ, **(env_extra or {})}
    process = subprocess.Popen(voila_command(port, token), env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.time() + wait_seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/?token={token}", timeout=2)
            return process, port
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError("Voila did not start")
