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
import importlib
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from types import ModuleType

REPOSITORY = Path(__file__).resolve().parent.parent
NAME = "sendlib_before"


def previous_sendlib(rev: str) -> ModuleType:
    """sendlib as committed at ``rev``, imported as ``sendlib_before`` (its submodules loaded)."""
    if NAME in sys.modules:
        return sys.modules[NAME]
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
    (folder / "sendlib").rename(folder / NAME)
    sys.path.insert(0, str(folder))
    package = importlib.import_module(NAME)
    for module in ("loader", "progress", "forecast", "costs"):
        if (folder / NAME / f"{module}.py").exists():
            importlib.import_module(f"{NAME}.{module}")
    return package
