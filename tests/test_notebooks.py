"""Every notebook and app runs headless through papermill on the sample trust, with its
defaults and with other parameters, and shows what it should."""

import json
import re
import subprocess
import sys

import pytest
from click.testing import CliRunner
from papermill.cli import papermill as papermill_cli

import sendlib
from sendlib._paths import NOTEBOOKS_DIR, VOILA_APPS_DIR
from sendlib._testing import assert_nothing_identifying
from sendlib.reports import run_notebook

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb")) + sorted(VOILA_APPS_DIR.glob("*.ipynb"))


def run(path, tmp_path, **parameters):
    out = tmp_path / path.name
    notebook = run_notebook(path, out, parameters, path.parent)
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            assert output.get("output_type") != "error", output
            data = output.get("data", {})
            texts += ["".join(data.get(kind, "")) for kind in ("text/html", "text/plain")]
            texts.append("".join(output.get("text", "")))
    return notebook, "\n".join(texts)


def test_every_notebook_is_there():
    names = {p.name for p in NOTEBOOKS}
    assert {
        "senco_pupil_explorer.ipynb",
        "trust_need_forecast.ipynb",
        "local_committee.ipynb",
        "01-progress-gaps.ipynb",
        "02-eal-evidence.ipynb",
        "03-need-forecast.ipynb",
        "04-statutory-duties.ipynb",
        "05-provision-map.ipynb",
    } <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebooks_carry_no_outputs_and_have_typed_parameters(path):
    book = json.loads(path.read_text())
    assert book["metadata"]["kernelspec"]["name"] == "python3"
    assert not any(c.get("outputs") or c.get("execution_count") for c in book["cells"])
    parameters = [c for c in book["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(parameters) == 1
    source = "".join(parameters[0]["source"])
    for line in source.splitlines():
        assert re.match(r"^\w+: \w+ = .+  # .+", line), line  # typed, with a comment
    code = "".join("".join(c["source"]) for c in book["cells"] if c["cell_type"] == "code")
    assert "def " not in code and "class " not in code  # no logic in notebooks


def test_nbstripout_would_change_no_committed_notebook():
    """What the pre-commit hook checks, on every notebook in one run (its start costs 3 s)."""
    verify = subprocess.run([sys.executable, "-m", "nbstripout", "--verify", *map(str, NOTEBOOKS)], capture_output=True)
    assert verify.returncode == 0, verify.stdout


def test_papermill_help_shows_the_parameters():
    """papermill's own command line, run in this process (a new one would spend 3 s importing)."""
    result = CliRunner().invoke(papermill_cli, ["--help-notebook", str(VOILA_APPS_DIR / "local_committee.ipynb")])
    assert result.exit_code == 0 and "report_mode: bool" in result.output
    assert "school whose committee this is" in result.output


@pytest.mark.parametrize(
    "path, parameters, expected",
    [
        (
            NOTEBOOKS_DIR / "01-progress-gaps.ipynb",
            {},
            ["slower_progress_pct", "ci_low", "difference_high", "mean_change"],
        ),
        (NOTEBOOKS_DIR / "01-progress-gaps.ipynb", {"school": "Oakfield Primary"}, ["Oakfield Primary"]),
        (NOTEBOOKS_DIR / "02-eal-evidence.ipynb", {}, ["CONSISTENT_WITH_LANGUAGE_ACQUISITION", "SLCN (primary need)"]),
        (NOTEBOOKS_DIR / "02-eal-evidence.ipynb", {"data_dir": "small"}, ["INSUFFICIENT_EVIDENCE"]),
        (NOTEBOOKS_DIR / "03-need-forecast.ipynb", {}, ["lower_95", "coverage_95"]),
        (NOTEBOOKS_DIR / "03-need-forecast.ipynb", {"n_simulations": 50, "area": "Hartlepool"}, ["upper_80"]),
        (NOTEBOOKS_DIR / "04-statutory-duties.ipynb", {}, ["met_on_time_pct", "overdue"]),
        (NOTEBOOKS_DIR / "04-statutory-duties.ipynb", {"school": "Beacon Academy"}, ["Beacon Academy"]),
        (NOTEBOOKS_DIR / "05-provision-map.ipynb", {}, ["cost_last_12_months", "over_threshold", "Phonics catch-up"]),
        (NOTEBOOKS_DIR / "05-provision-map.ipynb", {"school": "Oakfield Primary", "data_dir": "small"}, ["upn"]),
        (VOILA_APPS_DIR / "senco_pupil_explorer.ipynb", {}, ["VBox"]),
        (VOILA_APPS_DIR / "senco_pupil_explorer.ipynb", {"school": "Hawthorn Primary"}, ["VBox"]),
        (VOILA_APPS_DIR / "trust_need_forecast.ipynb", {}, ["VBox"]),
        (VOILA_APPS_DIR / "trust_need_forecast.ipynb", {"provision": "K", "horizon": 2, "data_dir": "small"}, ["VBox"]),
        (VOILA_APPS_DIR / "local_committee.ipynb", {}, ["VBox"]),
    ],
    ids=lambda v: v.name if hasattr(v, "name") else str(v)[:30],
)
def test_notebooks_run_with_defaults_and_other_parameters(tmp_path, small_folder, path, parameters, expected):
    parameters = dict(parameters)
    if parameters.get("data_dir") == "small":  # another, smaller synthetic trust
        parameters["data_dir"] = str(small_folder)
    _, text = run(path, tmp_path, **parameters)
    for piece in expected:
        assert piece in text


def test_committee_report_mode_is_static_and_identifies_no_pupil(tmp_path):
    notebook, text = run(
        VOILA_APPS_DIR / "local_committee.ipynb", tmp_path, data_dir="", school="Riverside Primary", report_mode=True
    )
    outputs = [o for c in notebook.cells for o in c.get("outputs", [])]
    assert not any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs)
    assert "Riverside Primary: special educational needs" in text
    assert_nothing_identifying(text, sendlib.load_sample().pupils)


def test_a_broken_export_shows_a_sentence_not_a_traceback(tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "pupils.csv").write_bytes(b"\x00\x01binary")
    _, text = run(VOILA_APPS_DIR / "local_committee.ipynb", tmp_path, data_dir=str(broken), report_mode=True)
    assert "This could not be shown" in text and "binary data" in text and "Traceback" not in text
