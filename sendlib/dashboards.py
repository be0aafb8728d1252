"""Serving the dashboards: Voila with sources stripped, tracebacks hidden and idle kernels
culled (Voilà 0.5 behaviour, verified on this project's machines); each app limits its own time to open
(:data:`sendlib.apps._session.WORK_SECONDS`). Without an access file it
listens on 127.0.0.1 with one token; with one, users sign in as :mod:`sendlib.login` says."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import subprocess
import sys
from pathlib import Path

from ._paths import DATA_ENV, JUPYTER_DATA_DIR, VOILA_APPS_DIR, VOILA_TEMPLATE
from .access import ACCESS_ENV, APP_PATHS, USER_ENV, USER_HEADER, AccessPolicy, load_access
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
FILL_DELAY_SECONDS = 10


def voila_command(
    port: int,
    token: str = "",
    access: str | Path | None = None,
    ip: str = "127.0.0.1",
    cull_idle_seconds: int = CULL_IDLE_SECONDS,
    cull_interval_seconds: int = CULL_INTERVAL_SECONDS,
    pool_size: int = POOL_SIZE,
) -> list[str]:
    """The Voila command line, every safety setting explicit.

    Without an access file: one shared ``token``. With one: users sign in as the access file
    says (:mod:`sendlib.login`) and their name reaches the kernel as ``HTTP_X_REMOTE_USER``."""
    if access is None:
        login = [f"--token={token}", "--Voila.identity_provider_class=sendlib.login.TokenIdentityProvider"]
    else:
        login = [
            "--Voila.identity_provider_class=sendlib.login.AccessFileIdentityProvider",
            f"--VoilaConfiguration.http_header_envs={USER_HEADER}",
        ]
    return [
        sys.executable,
        "-m",
        "sendlib.server",  # Voila, and the committee pages without a kernel
        str(VOILA_APPS_DIR),
        "--no-browser",
        f"--port={port}",
        f"--Voila.ip={ip}",
        *login,
        f"--MappingKernelManager.cull_idle_timeout={cull_idle_seconds}",
        f"--MappingKernelManager.cull_interval={cull_interval_seconds}",
        # no cell timeout: a preheated kernel's cell waits for its visitor (the apps limit their own work)
        "--VoilaExecutor.timeout=-1",
        f"--VoilaExecutor.startup_timeout={KERNEL_START_SECONDS}",
        f"--VoilaExecutor.iopub_timeout={IOPUB_SECONDS}",
        "--Voila.log_format=[%(name)s %(asctime)s]%(highlevel)s %(message)s",
        "--Voila.log_datefmt=%Y-%m-%d %H:%M:%S",
        "--VoilaConfiguration.show_tracebacks=False",
        "--VoilaConfiguration.strip_sources=True",
        # sendlib's template (Voila's lab, saying in words what is being prepared): found in
        # JUPYTER_DATA_DIR, which _environment puts on JUPYTER_PATH
        f"--VoilaConfiguration.template={VOILA_TEMPLATE}",
        "--VoilaConfiguration.allow_template_override=NO",
        "--VoilaConfiguration.allow_theme_override=NO",
        # a kernel per app runs the trust-wide work before anyone asks, so the first page opens
        # fast (measured here: 8.5 s to 1.4 s); the apps then wait for the request to learn the user.
        # Not the committee page: visitors queue behind a pool's refill (fifteen at a meeting
        # waited 75 s or more), and its pages come from a cache in about a second anyway.
        "--preheat_kernel=True",
        f"--pool_size={pool_size}",
        # the kernel that refills a pool waits until the visitor who took the last has their
        # page: started at once (Voila's 1 s), it shared the two cores with that page's own work
        f"--VoilaKernelManager.fill_delay={FILL_DELAY_SECONDS}",
        "--VoilaKernelManager.preheat_denylist=local_committee",
    ]


def _environment(data_dir: str | Path | None, access: str | Path | None) -> dict:
    env = dict(os.environ)
    env.pop(ACCESS_ENV, None)
    env.pop(USER_ENV, None)  # the user comes from each request's login, never from the server's environment
    if data_dir:
        env[DATA_ENV] = os.path.abspath(data_dir)
    if access is not None:
        env[ACCESS_ENV] = str(Path(access).resolve())
    # Voila looks for templates in the Jupyter data folders: sendlib's first, the rest kept
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(JUPYTER_DATA_DIR), env.get("JUPYTER_PATH", "")) if p)
    return env


def check_access(access: str | Path, data_dir: str | Path | None = None) -> AccessPolicy:
    """Read the access file, make the trust secret if missing and check every user's schools exist."""
    from .loader import load

    policy = load_access(access)
    policy.secret()
    problems = policy.check_schools(load(str(data_dir or "")).schools)
    if problems:
        raise SendlibError("\n".join(problems))
    return policy


def warm_committee_cache(data_dir: str | Path | None = None) -> None:
    """Make the committee pages before anyone asks (a meeting's first visitor would wait for them)."""
    from .committee import cached_committee_pages

    with contextlib.suppress(SendlibError, OSError):  # the page itself will say what is wrong with the export
        cached_committee_pages(str(data_dir or ""))


def serve(data_dir: str | None = None, port: int = 8866, access: str | None = None) -> int:
    """Run Voila until interrupted; print the addresses (with the login token when there is no access file)."""
    warm_committee_cache(data_dir)
    apps = [f"/{path}" for path in APP_PATHS.values()]
    if access is None:
        token = secrets.token_urlsafe(16)
        command = voila_command(port, token)
        print("sendlib dashboards: open these in a browser on this computer (Ctrl+C stops the server):")
        print("\n".join(f"  http://127.0.0.1:{port}{app}?token={token}" for app in apps))
    else:
        policy = check_access(access, data_dir)
        command = voila_command(port, access=policy.path, ip=policy.ip)
        how = (
            "each user signs in with their personal token (add ?token=... to the link, or paste it on the login page)"
            if policy.login == "token"
            else "users sign in through the proxy (X-Remote-User)"
        )
        print(
            f"sendlib dashboards: {len(policy.users)} users from {policy.path.name}; {how}. "
            f"Listening on {policy.ip}:{port}; access log: {policy.log_file}. Ctrl+C stops the server."
        )
        print("\n".join(f"  http://{policy.ip}:{port}{app}" for app in apps))
    process = subprocess.Popen(command, env=_environment(data_dir, access))
    signal.signal(signal.SIGTERM, lambda *_: process.terminate())  # a service manager's stop reaches Voila
    try:
        return process.wait()
    except KeyboardInterrupt:
        process.terminate()
        process.wait()
        return 0
