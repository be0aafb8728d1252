import json
import re
import shutil
import subprocess
import sys

import pytest
from bs4 import BeautifulSoup

import sendlib
from sendlib import __version__
from sendlib._paths import SAMPLE_DIR, VOILA_APPS_DIR
from sendlib._testing import ARTIFACTS, UPN, assert_no_count_recoverable, assert_nothing_identifying
from sendlib.loader import input_hashes
from sendlib.render import css_string
from sendlib.reports import safe_name


@pytest.fixture(scope="module")
def all_reports():
    """Every school's report, written where a person can look at them (tests/artifacts/reports)."""
    out = ARTIFACTS / "reports"
    shutil.rmtree(out, ignore_errors=True)
    result = subprocess.run(
        [sys.executable, "-m", "sendlib.cli", "report", "--all-schools", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return out


def test_every_school_gets_an_html_report_that_identifies_no_pupil(all_reports):
    sample = sendlib.load_sample()
    for school in sample.schools:
        page = (all_reports / f"{safe_name(school)}.html").read_text(encoding="utf-8")
        assert f"{school}: special educational needs" in page
        assert "<script" not in page and "<input" not in page  # self-contained, no code, no widgets
        assert_nothing_identifying(page, sample.pupils)
        assert_no_count_recoverable(page, f"report: {school}")
        assert re.search(r"Made by sendlib [\d.]+ on .*pupils\.csv [0-9a-f]{16}", page)
        # on paper each page names the school and its number (CSS page margin boxes, Chromium 131 on)
        assert (
            f"@bottom-left {{content: {css_string(school + ': SEND report')}" in page
            and 'counter(page) " of " counter(pages)' in page
        )


def test_each_report_carries_its_audit_trail_in_its_metadata(all_reports):
    hashes = input_hashes(SAMPLE_DIR)
    for school in sendlib.load_sample().schools:
        soup = BeautifulSoup((all_reports / f"{safe_name(school)}.html").read_text(encoding="utf-8"), "html.parser")
        meta = {tag["name"]: tag["content"] for tag in soup.find_all("meta", attrs={"name": True})}
        assert meta["generator"] == f"sendlib {__version__}"
        assert json.loads(meta["sendlib-parameters"]) == {"school": school, "data": "sample", "report_mode": True}
        assert {k.split(":", 1)[1]: v for k, v in meta.items() if k.startswith("sendlib-input-sha256:")} == hashes
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", meta["sendlib-made"])


def test_no_html_in_the_test_artefacts_contains_a_upn(all_reports):
    pages = list(ARTIFACTS.rglob("*.html"))
    assert len(pages) >= len(sendlib.load_sample().schools)
    for page in pages:
        found = UPN.search(page.read_text(encoding="utf-8", errors="replace"))
        assert found is None, f"{page}: {found.group()}"


def test_every_school_gets_a_pdf(all_reports):
    assert shutil.which("chromium"), "Chromium is missing: apt-get install -y chromium (as CI does)"
    pdfs = list(all_reports.glob("*.pdf"))
    assert len(pdfs) == len(sendlib.load_sample().schools)
    assert all(p.read_bytes().startswith(b"%PDF") for p in pdfs)
    # the committee paper on A4, as the papers go out (sendlib.css: @page)
    boxes = {
        tuple(round(float(v)) for v in b.split())
        for p in pdfs
        for b in re.findall(rb"/MediaBox \[([^\]]+)\]", p.read_bytes())
    }
    assert boxes == {(0, 0, 595, 842)}


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["report"], 2, "--school NAME or --all-schools"),
        (["report", "--school", "Nowhere"], 2, "no school called"),
        (["report", "--school", "X", "--data", "/nope"], 2, "not a folder"),
    ],
)
def test_report_usage_errors(args, code, message):
    result = subprocess.run([sys.executable, "-m", "sendlib.cli", *args], capture_output=True, text=True)
    assert result.returncode == code and message in result.stderr and "Traceback" not in result.stderr


def test_a_kernel_that_lost_the_race_for_its_ports_is_started_again(monkeypatch, tmp_path):
    """jupyter_client's port race (papermill issue 511) cannot be staged on demand: papermill is
    made to fail the way it does then, twice, and the third start runs the real notebook."""
    import papermill

    from sendlib.reports import run_notebook

    real, failures = papermill.execute_notebook, []

    def racing(*args, **kwargs):
        if len(failures) < 2:
            failures.append(1)
            raise RuntimeError("Kernel died before replying to kernel_info")
        return real(*args, **kwargs)

    monkeypatch.setattr(papermill, "execute_notebook", racing)
    notebook = run_notebook(
        VOILA_APPS_DIR / "local_committee.ipynb", tmp_path / "out.ipynb", {"report_mode": True}, VOILA_APPS_DIR
    )
    assert len(failures) == 2 and "special educational needs" in json.dumps(notebook["cells"])
    failures.clear()
    monkeypatch.setattr(papermill, "execute_notebook", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("other")))
    with pytest.raises(RuntimeError, match="other"):  # any other failure is not retried
        run_notebook(VOILA_APPS_DIR / "local_committee.ipynb", tmp_path / "o.ipynb", {}, VOILA_APPS_DIR)
