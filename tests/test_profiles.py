"""Real exports: the sample trust written in each MIS and test vendor's convention
(tests/data/make_profiles.py) loads equal to the sample, with notes for what it left alone."""
import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from sendlib import load_trust
from sendlib.cli import main
from sendlib.schema import TABLES
from tests.conftest import write_folder
from tests.data.make_profiles import CONVENTIONS, sample_part

PROFILES = Path(__file__).parent / "data" / "profiles"
# Columns a convention does not carry (they load as missing, and the summary says so)
NOT_EXPORTED = {"wonde": {"secondary_need", "entered_english_schooling"}}
TERM_DATED = {"sims", "nfer"}  # conventions that give a term, not a date: compared by term


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    """The same part of the sample, in sendlib's own layout."""
    folder = write_folder(tmp_path_factory.mktemp("sample"), sample_part())
    (folder / "manifest.json").write_text(json.dumps({"exported_on": "2026-11-20"}))
    return load_trust(folder)


def _term(date) -> tuple:
    date = pd.Timestamp(date)
    return date.year - (date.month < 9), "autumn" if date.month >= 9 else "spring" if date.month <= 3 else "summer"


def _rows(frame: pd.DataFrame, columns, key) -> pd.DataFrame:
    return frame[columns].sort_values(key).reset_index(drop=True)


def test_every_convention_has_a_fixture_folder():
    assert sorted(p.name for p in PROFILES.iterdir() if p.is_dir()) == sorted(CONVENTIONS)


@pytest.mark.parametrize("name", sorted(CONVENTIONS))
def test_each_convention_loads_equal_to_the_sample(name, sample):
    trust = load_trust(PROFILES / name)  # strict: no problem at all
    assert trust.as_of == pd.Timestamp("2026-11-20")
    columns = [c.name for c in TABLES["pupils"].columns if c.name not in NOT_EXPORTED.get(name, set())]
    pd.testing.assert_frame_equal(_rows(trust.pupils, columns, "upn"), _rows(sample.pupils, columns, "upn"))
    for column in NOT_EXPORTED.get(name, ()):
        assert trust.pupils[column].isna().all()
    mine, theirs = trust.assessments, sample.assessments
    assert mine is not None
    key = ["upn", "subject", "assessment_date"]
    if name in TERM_DATED:
        mine, theirs = (f.assign(assessment_date=f["assessment_date"].map(_term)) for f in (mine, theirs))
    if name == "sims":  # a marksheet's blank cell is no row: compare the cells that hold something
        theirs = theirs[theirs["no_score"].ne("blank")]
    score = key + ["score", "scale", "no_score"]
    pd.testing.assert_frame_equal(_rows(mine, score, key), _rows(theirs, score, key))
    for table, columns in (("sen_history", ["upn", "census_date", "school", "year_group", "sen_provision",
                                            "primary_need", "english_proficiency"]),
                           ("ehc_events", ["upn", "event", "date"])):
        if getattr(trust, table) is not None:
            pd.testing.assert_frame_equal(_rows(getattr(trust, table), columns, columns[:3]),
                                          _rows(getattr(sample, table), columns, columns[:3]))


@pytest.mark.parametrize("name", sorted(CONVENTIONS))
def test_validate_names_each_files_rows_and_what_it_left_alone(name, capsys):
    assert main(["validate", str(PROFILES / name)]) == 0
    out = capsys.readouterr().out
    assert "Files read" in out and "No problems found" in out
    trust = load_trust(PROFILES / name)
    for file, table, rows, read, not_read, _ in trust.reading.itertuples(index=False):
        assert file in out and f"{rows:,} rows" in out
        for header in filter(None, not_read.split(", ")):
            assert header in out  # every column not read is named
