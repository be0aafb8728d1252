"""Paths defined once (cookiecutter-data-science's config.py)."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
SAMPLE_DIR = DATA_DIR / "sample"
REFERENCE_DIR = DATA_DIR / "reference"
VOILA_APPS_DIR = ROOT / "voila_apps"
NOTEBOOKS_DIR = ROOT / "notebooks"
DATA_ENV = "SENDLIB_DATA"  # the export folder the apps read (`sendlib dashboards --data DIR`)
