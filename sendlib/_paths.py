"""Paths defined once (cookiecutter-data-science's config.py). The sample trust, the reference
data and the notebooks are package data: an installed wheel has them too."""

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
