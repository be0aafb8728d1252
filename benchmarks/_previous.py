"""The previous design, importable beside today's in the same process, for side-by-side figures.

``previous_sendlib(rev)`` extracts the ``sendlib`` package as it was at git revision ``rev``
(``git archive``, from this clone's history) into a temporary folder under the name
``sendlib_before`` and imports it. sendlib's modules import each other relatively, so the old
package runs whole, with its own loader and data, and nothing of today's package is mixed in.

    before = previous_sendlib("6739775")
    before.progress.assess_progress(before.loader.TrustData(...))
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import io
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

REPOSITORY = Path(__file__).resolve().parent.parent
NAME = "sendlib_before"


def previous_tree(rev: str) -> Path:
    """A folder holding ``sendlib`` as committed at ``rev`` (under its own name): put it first on
    a child process's PYTHONPATH (a server and its kernels) to run the previous design there."""
    archive = subprocess.run(
        ["git", "-C", str(REPOSITORY), "archive", "--format=tar", rev, "sendlib"],
        capture_output=True,
        check=False,
    )
    if archive.returncode:
        raise SystemExit(
            f"Could not read sendlib at {rev} from this clone's history: {archive.stderr.decode().strip()}"
        )
    folder = Path(tempfile.mkdtemp(prefix="sendlib-before-"))
    atexit.register(shutil.rmtree, folder, True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(folder, filter="data")
    return folder


@contextlib.contextmanager
def previous_server(rev: str, token: str) -> Iterator[int]:
    """The dashboards' server as ``rev`` started it (its own test harness, in a child process
    with that sendlib first on the path, so its kernels run it too): yields the port."""
    code = (
        "import sys; from sendlib._testing import start_server; "
        "process, port = start_server(sys.argv[1]); print(port, flush=True); process.wait()"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code, token],
        env={**os.environ, "PYTHONPATH": str(previous_tree(rev))},
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,  # the harness, its server and the server's kernels: one group to stop
    )
    assert child.stdout is not None
    try:
        yield int(child.stdout.readline())
    finally:
        os.killpg(child.pid, signal.SIGTERM)
        child.wait(timeout=60)


def previous_sendlib(rev: str) -> ModuleType:
    """sendlib as committed at ``rev``, imported as ``sendlib_before`` (its submodules loaded)."""
    if NAME in sys.modules:
        return sys.modules[NAME]
    folder = previous_tree(rev)
    (folder / "sendlib").rename(folder / NAME)
    sys.path.insert(0, str(folder))
    package = importlib.import_module(NAME)
    for module in ("loader", "progress", "forecast", "costs"):
        if (folder / NAME / f"{module}.py").exists():
            importlib.import_module(f"{NAME}.{module}")
    return package
