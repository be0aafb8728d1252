"""Paths defined once (cookiecutter-data-science's config.py). The sample trust, the reference
data and the notebooks are package data: an installed wheel has them too."""

import hashlib
import os
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
DATA_DIR = PACKAGE / "data"
SAMPLE_DIR = DATA_DIR / "sample"
REFERENCE_DIR = DATA_DIR / "reference"
VOILA_APPS_DIR = PACKAGE / "voila_apps"
NOTEBOOKS_DIR = PACKAGE / "notebooks"
# a Jupyter data folder of sendlib's own: its Voila template "sendlib" (voila/templates/sendlib)
JUPYTER_DATA_DIR = PACKAGE / "jupyter"
VOILA_TEMPLATE = "sendlib"
DATA_ENV = "SENDLIB_DATA"  # the export folder the apps read (`sendlib dashboards --data DIR`)
CACHE_ENV = "SENDLIB_CACHE"  # folder for the committee pages and the parsed sample (default ~/.cache/sendlib)


def cache_folder() -> Path:
    """Where sendlib keeps what it made once for other processes: ``$SENDLIB_CACHE``, else
    ``~/.cache/sendlib`` (or under ``$XDG_CACHE_HOME``). Not made here."""
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return Path(os.environ.get(CACHE_ENV) or home / "sendlib")


def code_files() -> list[Path]:
    """Every .py file of sendlib, in order."""
    return sorted(PACKAGE.rglob("*.py"))


def code_digest() -> str:
    """SHA-256 of sendlib's code (:func:`code_files`): what older code made is not read as this code's."""
    return hashlib.sha256(b"".join(p.read_bytes() for p in code_files())).hexdigest()
