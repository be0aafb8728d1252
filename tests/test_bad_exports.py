"""The bad-input corpus: every broken export gives a DataError naming file, row and column."""

import json
import os
from pathlib import Path

import pytest

from sendlib import DataError, load_trust
from sendlib.cli import main

CORPUS = Path(__file__).parent / "data" / "bad_exports"
CASES = sorted(p for p in CORPUS.iterdir() if p.is_dir() and not p.name.startswith("_"))


def test_the_corpus_is_large_enough():
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_each_broken_export_names_its_problems(case):
    expected = json.loads((case / "expected.json").read_text())
    with pytest.raises(DataError) as info:
        load_trust(case)
    problems = info.value.problems
    for item in expected:
        hits = problems[
            (problems["file"] == item["file"]) & problems["problem"].str.contains(item["problem"], regex=False)
        ]
        if item["row"] is None:
            assert len(hits) and hits["row"].isna().all(), (item, problems)
        else:
            hits = hits[hits["row"] == item["row"]]
            assert len(hits), (item, problems.to_dict("records"))
        if item["column"] is not None:
            assert (hits["column"] == item["column"]).any(), (item, hits.to_dict("records"))
    message = str(info.value)
    assert expected[0]["file"] in message and "Traceback" not in message


@pytest.mark.parametrize("case", CASES[:5], ids=lambda p: p.name)
def test_validate_exits_1_on_each(case, capsys):
    assert main(["validate", str(case)]) == 1


def test_mixed_encodings_load():
    trust = load_trust(CORPUS / "_loads_mixed_encodings")
    assert {"Zoé", "Renée"} <= set(trust.pupils["forename"])


@pytest.mark.large
def test_a_100_mb_export_is_read_and_its_problems_named(tmp_path):
    """A 100 MB assessments file (about 1.9 million rows), one row of it broken."""
    source = (CORPUS / "non_numeric_score" / "assessments.csv").read_text().splitlines()
    folder = tmp_path / "big"
    folder.mkdir()
    for name in ("pupils.csv",):
        (folder / name).write_bytes((CORPUS / "non_numeric_score" / name).read_bytes())
    good = source[2] + "\n"
    with open(folder / "assessments.csv", "w") as out:
        out.write(source[0] + "\n" + source[1] + "\n")
        block = good * 10_000
        while out.tell() < 100 * 2**20:
            out.write(block)
    assert os.path.getsize(folder / "assessments.csv") >= 100 * 2**20
    with pytest.raises(DataError) as info:
        load_trust(folder)
    problems = info.value.problems
    assert (problems["problem"].str.contains("not a score") & (problems["row"] == 2)).any()
    # the repeated good row is a duplicate (same pupil, subject, date): reported, counted, not a crash
    assert len(problems) > 1_000_000
