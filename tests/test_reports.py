import re
import subprocess
import sys

import pytest

import sendlib
from sendlib.reports import safe_name
from tests.test_committee import assert_nothing_identifying


@pytest.fixture(scope="module")
def all_reports(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    result = subprocess.run([sys.executable, "-m", "sendlib.cli", "report", "--all-schools", "--out", str(out)],
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    return out


def test_every_school_gets_an_html_report_that_identifies_no_pupil(all_reports):
    sample = sendlib.load_sample()
    for school in sample.schools:
        page = (all_reports / f"{safe_name(school)}.html").read_text(encoding="utf-8")
        assert f"{school}: special educational needs" in page
        assert "<script" not in page and "<input" not in page  # self-contained, no code, no widgets
        assert_nothing_identifying(page, sample.pupils)
        assert re.search(r"Made by sendlib [\d.]+ on .*pupils\.csv [0-9a-f]{16}", page)


def test_pdf_when_chromium_is_present(all_reports):
    pdfs = list(all_reports.glob("*.pdf"))
    import shutil
    if shutil.which("chromium") is None:
        pytest.skip("Chromium is not installed here (CI installs it)")
    assert len(pdfs) == len(sendlib.load_sample().schools)
    assert all(p.read_bytes().startswith(b"%PDF") for p in pdfs)


@pytest.mark.parametrize("args, code, message", [
    (["report"], 2, "--school NAME or --all-schools"),
    (["report", "--school", "Nowhere"], 2, "no school called"),
    (["report", "--school", "X", "--data", "/nope"], 2, "not a folder"),
])
def test_report_usage_errors(args, code, message):
    result = subprocess.run([sys.executable, "-m", "sendlib.cli", *args], capture_output=True, text=True)
    assert result.returncode == code and message in result.stderr and "Traceback" not in result.stderr
