"""The documentation site builds with no warning (MkDocs in strict mode: every page in the
navigation, every link and every docstring it renders), and cites nothing outside the repository."""

import os
import re
import subprocess
import sys
from pathlib import Path

import sendlib

REPOSITORY = Path(__file__).parents[1]


def test_the_docs_site_builds_in_strict_mode(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "site" / "methods" / "progress" / "index.html").exists()
    api = (tmp_path / "site" / "api" / "index.html").read_text(encoding="utf-8")
    assert "assess_progress" in api and "NeedForecaster" in api  # the reference came from the docstrings


def test_the_docs_and_readme_cite_no_file_outside_the_repository():
    pages = [REPOSITORY / "README.md", *sorted((REPOSITORY / "docs").rglob("*.md"))]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert not re.search(r"\.\./shared|DESIGN\.md|METHODS\.md|JOURNEYS\.md|STYLE\.md|STACK\.md", text), page
        for target in re.findall(r"\]\(([^)#:]+)\)", text):  # every relative link reaches a file
            assert (page.parent / target).exists(), (page, target)


def test_the_readme_flag_rates_are_the_sample_s():
    """The README's "after" figures are what sendlib computes on the sample, to 0.1%."""
    rates = sendlib.flag_rates(sendlib.assess_progress(sendlib.load_sample())).set_index("provision")
    readme = (REPOSITORY / "README.md").read_text(encoding="utf-8")
    columns = ["slower_progress_pct", "gap_not_closing_pct", "either_pct", "not_enough_scores_pct"]
    for provision in ("No SEN", "SEN support", "EHC plan"):
        row = re.search(rf"^\| {provision} \|(.*)\|$", readme, re.MULTILINE)
        assert row, provision
        after = [float(cell.split("->")[1].strip().rstrip("%")) for cell in row.group(1).split("|")]
        assert after == [round(rates.loc[provision, c], 1) for c in columns], provision
