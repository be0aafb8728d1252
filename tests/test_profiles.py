"""Real exports: the sample trust written in each MIS and test vendor's convention
(tests/data/make_profiles.py) loads equal to the sample, with notes for what it left alone."""

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from sendlib import load_trust
from sendlib._testing import write_folder
from sendlib.cli import main
from sendlib.schema import TABLES
from tests.data.make_profiles import CONVENTIONS, URNS, sample_part

PROFILES = Path(__file__).parent / "data" / "profiles"
# Columns a convention does not carry (they load as missing, and the summary says so)
NOT_EXPORTED = {
    "wonde": {"secondary_need", "entered_english_schooling"},
    "giap": {"english_proficiency", "looked_after", "entered_english_schooling"},
}
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
    expected = sample.pupils.assign(school=sample.pupils["school"].map(URNS)) if name == "giap" else sample.pupils
    pd.testing.assert_frame_equal(_rows(trust.pupils, columns, "upn"), _rows(expected, columns, "upn"))
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
    for table, columns in (
        (
            "sen_history",
            ["upn", "census_date", "school", "year_group", "sen_provision", "primary_need", "english_proficiency"],
        ),
        ("ehc_events", ["upn", "event", "date"]),
    ):
        if getattr(trust, table) is not None:
            expected = getattr(sample, table)
            if name == "giap":  # a census download: the censuses of pupils on roll, schools by URN
                expected = expected[expected["upn"].isin(sample.pupils["upn"])].assign(
                    school=expected["school"].map(URNS),
                    english_proficiency=pd.Series(pd.NA, index=expected.index, dtype="str"),
                )
            pd.testing.assert_frame_equal(
                _rows(getattr(trust, table), columns, columns[:3]),
                _rows(expected, columns, columns[:3]),
                check_dtype=False,
            )


@pytest.mark.parametrize("name", sorted(CONVENTIONS))
def test_validate_names_each_files_rows_and_what_it_left_alone(name, capsys):
    assert main(["validate", str(PROFILES / name)]) == 0
    out = capsys.readouterr().out
    assert "Files read" in out and "No problems found" in out
    trust = load_trust(PROFILES / name)
    for file, _table, rows, _read, not_read, _ in trust.reading.itertuples(index=False):
        assert file in out and f"{rows:,} rows" in out
        for header in filter(None, not_read.split(", ")):
            assert header in out  # every column not read is named


# --- what the issue found, one by one ----------------------------------------------------------------
PUPIL = "B801200005001"


def _pupils(header: str, *rows: str) -> str:
    return "\n".join([header, *rows]) + "\n"


@pytest.mark.parametrize(
    "header, value, column, expected",
    [
        ("FSMeligible", "true", "fsm", True),
        ("IS_FSM_ELIGIBLE", "TRUE", "fsm", True),
        ("Eligible for FSM", "Yes", "fsm", True),
        ("In LA Care", "No", "looked_after", False),
        ("Legal Last Name", "Lee", "surname", "Lee"),
        ("EnglishProficiency", "A - New to English", "english_proficiency", "A"),
        ("SEN Need Type", "ASD - Autistic Spectrum Disorder", "primary_need", "ASD"),
        ("PrimarySENeedsType", "Speech, Language & Communication Needs", "primary_need", "SLCN"),
        ("SENtype", "SpLD - Specific Learning Difficulty", "primary_need", "SPLD"),
        ("First Language", "Urdu", "first_language", "URD"),
        ("Language", "Thai", "first_language", "THA"),
        ("Home Language", "Twi", "first_language", "AKAT"),
        ("NC Year Actual", "7.0", "year_group", 7),
    ],
)
def test_a_header_or_value_an_mis_writes_is_read(tmp_path, header, value, column, expected):
    base = {
        "UPN": PUPIL,
        "School": "Oak",
        "DOB": "16/01/2016",
        "Year": "4",
        "SEN Status": "K - SEN Support",
        "Primary Need": "MLD",
    }
    base.pop({"year_group": "Year", "primary_need": "Primary Need"}.get(column, ""), None)
    text = _pupils(",".join([*base, header]), ",".join([*base.values(), f'"{value}"']))
    trust = load_trust(write_folder(tmp_path / "t", {"pupils": text}))
    assert trust.pupils.at[0, column] == expected
    assert not any(header in note and "not one sendlib reads" in note for note in trust.notes)


def test_a_column_sendlib_does_not_read_is_named(tmp_path):
    trust = load_trust(
        write_folder(
            tmp_path / "t",
            {"pupils": _pupils("UPN,School,DOB,Year,SEN Status,Ethnicity", f"{PUPIL},Oak,16/01/2016,4,N,WBRI")},
        )
    )
    assert "pupils.csv: column 'Ethnicity' is not one sendlib reads; left alone" in trust.notes
    assert trust.reading.loc[0, "columns_not_read"] == "Ethnicity"


def test_nc_year_x_is_the_year_of_the_pupils_age(tmp_path):
    folder = write_folder(
        tmp_path / "t",
        {"pupils": _pupils("UPN,School,DOB,NC Year Actual,SEN Status,Primary Need", f"{PUPIL},Oak,01/09/2016,X,E,SLD")},
    )
    (folder / "manifest.json").write_text('{"exported_on": "2026-11-20"}')
    trust = load_trust(folder)
    assert trust.pupils.at[0, "year_group"] == 5
    assert any("NC year X" in note for note in trust.notes)


def test_a_made_up_language_is_a_problem_not_a_code(tmp_path):
    with pytest.raises(Exception) as info:
        load_trust(
            write_folder(
                tmp_path / "t",
                {
                    "pupils": _pupils(
                        "UPN,School,DOB,Year,SEN Status,First Language", f"{PUPIL},Oak,16/01/2016,4,N,Klingon"
                    )
                },
            )
        )
    assert "not a CBDS first-language code" in str(info.value)


def test_a_subfolder_per_school_gives_each_its_school(tmp_path):
    for school, upn in (("Oak Primary", PUPIL), ("Elm Primary", "P207000016049")):
        write_folder(
            tmp_path / "trust" / school, {"pupils": _pupils("UPN,DOB,Year,SEN Status", f"{upn},16/01/2016,4,N")}
        )
    trust = load_trust(tmp_path / "trust")
    assert dict(zip(trust.pupils["upn"], trust.pupils["school"])) == {
        PUPIL: "Oak Primary",
        "P207000016049": "Elm Primary",
    }
    assert set(trust.pupils["file"]) == {"Oak Primary/pupils.csv", "Elm Primary/pupils.csv"}


def test_one_schools_export_takes_its_school_from_the_option(tmp_path, capsys):
    folder = write_folder(
        tmp_path / "export", {"pupils": _pupils("UPN,DOB,Year,SEN Status", f"{PUPIL},16/01/2016,4,N")}
    )
    assert load_trust(folder, school="Oak Primary").schools == ["Oak Primary"]
    with pytest.raises(Exception, match="no school column: every row read as 'export', the export folder's name"):
        load_trust(folder)  # the folder's name is only a guess: a problem, which validate shows
    assert load_trust(folder, strict=False).schools == ["export"]
    assert main(["validate", str(folder), "--school", "Oak Primary"]) == 0
    assert "every row read as 'Oak Primary' (--school)" in capsys.readouterr().out


def test_a_folder_without_pupils_says_what_it_holds(tmp_path):
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "export.zip").write_bytes(b"PK\x03\x04")
    write_folder(folder / "inner", {"scores": "x,y\n1,2\n"})
    with pytest.raises(Exception) as info:
        load_trust(folder)
    message = str(info.value)
    assert "the folder holds: export.zip, a folder inner/ (scores.csv)" in message


def test_many_rows_with_one_problem_are_one_line_in_validate(tmp_path, capsys):
    rows = "".join(f"{PUPIL[:1]}{i:012d},Oak,16/01/2016,4,N\n" for i in range(50_000))
    write_folder(tmp_path / "t", {"pupils": "UPN,School,DOB,Year,SEN Status\n" + rows})
    assert main(["validate", str(tmp_path / "t")]) == 1
    out = capsys.readouterr().out
    assert len(out.splitlines()) < 30
    # about one made-up UPN in 23 has the right check letter by chance: the rest are one line
    assert re.search(r"pupils.csv, column UPN: 4\d,\d{3} rows -- not a valid UPN \(the first: the check letter", out)


def test_suggest_mapping_then_the_filled_mapping_loads_an_unknown_export(tmp_path, capsys):
    folder = write_folder(
        tmp_path / "t",
        {
            "pupils": _pupils(
                "Pupil Ref No,Campus,Born,Form Year,Support Status,Learning Need",
                f"{PUPIL},Oak,16/01/2016,4,K,Dyslexia",
            )
        },
    )
    assert main(["validate", str(folder)]) == 1
    assert main(["validate", str(folder), "--suggest-mapping"]) == 0
    suggestion = capsys.readouterr().out.split("# mapping.toml")[-1]
    assert "no column for date_of_birth, year_group, sen_provision" in suggestion  # what the file lacks
    for header, guess in (
        ("Form Year", "year_group"),
        ("Support Status", "sen_provision"),
        ("Learning Need", "primary_need"),
    ):
        assert f'# "{header}" = "{guess}"' in suggestion
    assert "Pupil Ref No" not in suggestion  # its values are UPNs: read as the UPN already
    (folder / "mapping.toml").write_text(
        '[headers]\n"Pupil Ref No" = "upn"\n"Campus" = "school"\n"Born" = "date_of_birth"\n'
        '"Form Year" = "year_group"\n"Support Status" = "sen_provision"\n"Learning Need" = "primary_need"\n\n'
        '[values.primary_need]\n"Dyslexia" = "SPLD"\n'
    )
    trust = load_trust(folder)
    assert trust.pupils.loc[0, ["upn", "school", "sen_provision", "primary_need"]].tolist() == [
        PUPIL,
        "Oak",
        "K",
        "SPLD",
    ]


def test_a_broken_mapping_file_is_named(tmp_path):
    folder = write_folder(
        tmp_path / "t", {"pupils": _pupils("UPN,School,DOB,Year,SEN Status", f"{PUPIL},Oak,16/01/2016,4,N")}
    )
    (folder / "mapping.toml").write_text('[headers]\n"Pupil" = "not_a_column"\n')
    with pytest.raises(Exception, match=r"mapping\.toml.*not a sendlib column"):
        load_trust(folder)


# --- layouts a held-out tester found (each written here from its convention, not copied) -----------
def _workbook(path, sheets: dict[str, list[list]]):
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)


UPN2 = "P207000016049"


def test_a_sheet_per_year_group_gives_the_year_from_its_name(tmp_path):
    head = ["UPN", "School", "Date of Birth", "SEN Status", "Primary SEN Need"]
    _workbook(
        tmp_path / "t" / "Export.xlsx",
        {
            "Summary": [["Year", "Pupils"], ["Reception", 1], ["Year 4", 1]],
            "Reception": [head, [PUPIL, "Oak", "16/01/2021", "", ""]],
            "Year 4": [head, [UPN2, "Oak", "16/01/2016", "SEN Support", "Autistic Spectrum Disorder"]],
        },
    )
    trust = load_trust(tmp_path / "t")
    assert dict(zip(trust.pupils["upn"], trust.pupils["year_group"])) == {PUPIL: 0, UPN2: 4}
    assert any("sheet 'Summary' skipped" in note for note in trust.notes)


def test_a_tracker_with_a_sheet_per_term_and_a_summary_first(tmp_path):
    write_folder(tmp_path / "t", {"pupils": _pupils("UPN,School,DOB,Year,SEN Status", f"{PUPIL},Oak,16/01/2016,4,N")})
    _workbook(
        tmp_path / "t" / "Assessment Tracker.xlsx",
        {
            "Summary": [["Term", "Pupils assessed"], ["Autumn 2024-25", 1]],
            "Autumn 2024-25": [["UPN", "Name", "Reading SAS", "Maths SAS"], [PUPIL, "Ann Lee", 96, 101]],
            "Spring 2024-25": [["UPN", "Name", "Reading SAS", "Maths SAS"], [PUPIL, "Ann Lee", 99, "A"]],
        },
    )
    scores = load_trust(tmp_path / "t").assessments.sort_values(["assessment_date", "subject"])
    assert scores[["subject", "score"]].astype(object).fillna("-").values.tolist() == [
        ["maths", 101.0],
        ["reading", 96.0],
        ["maths", "-"],
        ["reading", 99.0],
    ]
    assert scores["assessment_date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-12-01"] * 2 + ["2025-03-15"] * 2
    notes = [n for n in load_trust(tmp_path / "t").notes if "score columns" in n]
    assert [n.rsplit("dated by term: ", 1)[1] for n in notes] == ["autumn 1 Dec)", "spring 15 Mar)"], notes


def test_ks2_results_with_a_scaled_score_column_per_subject(tmp_path):
    write_folder(
        tmp_path / "t",
        {
            "pupils": _pupils(
                "UPN,School,DOB,Year,SEN Status", f"{PUPIL},Oak,16/01/2015,7,N", f"{UPN2},Oak,16/02/2015,7,N"
            ),
            "KS2 Results 2026": "UPN,Reading Scaled Score,Reading Outcome,Maths Scaled Score\n"
            f"{PUPIL},104,AS,B\n{UPN2},,A,99\n",
        },
    )
    scores = load_trust(tmp_path / "t").assessments.sort_values(["upn", "subject"])
    assert scores[["subject", "scale", "no_score"]].astype(object).fillna("-").values.tolist() == [
        ["maths", "ks2_scaled", "working below the standard of the test"],
        ["reading", "ks2_scaled", "-"],
        ["maths", "ks2_scaled", "-"],
        ["reading", "ks2_scaled", "absent"],
    ]  # the outcome column's A
    assert set(scores["assessment_date"].dt.strftime("%Y-%m-%d")) == {"2026-05-12"}
    note = next(n for n in load_trust(tmp_path / "t").notes if "score columns" in n)
    assert note.endswith("dated by term: KS2 tests 12 May)"), note


def test_an_ehc_timeline_column_of_dates_nobody_knows_is_a_problem(tmp_path):
    pupils = _pupils("UPN,School,DOB,Year,SEN Status,Primary Need", f"{PUPIL},Oak,16/01/2016,4,E,ASD")
    folder = write_folder(
        tmp_path / "t",
        {
            "pupils": pupils,
            "EHC timeline": (
                "UPN,InfoRequestedDate,PlanIssuedDate,ReviewMeetingDate1,Panel Date\n"
                f"{PUPIL},02/03/2023,10/07/2023,01/07/2024,05/03/2024\n"
            ),
        },
    )
    trust = load_trust(folder, strict=False)
    assert sorted(trust.ehc_events["event"]) == ["info_requested", "plan_issued", "review_meeting"]
    assert trust.problems["problem"].str.contains("a column of 1 dates that is no EHC event").any()
    (folder / "mapping.toml").write_text('[headers]\n"Panel Date" = "reassessment_requested"\n')
    assert "reassessment_requested" in set(load_trust(folder).ehc_events["event"])


def test_a_whole_name_is_split_when_there_are_no_name_columns(tmp_path):
    trust = load_trust(
        write_folder(
            tmp_path / "t",
            {
                "pupils": (
                    'Student Name,UPN,School,DOB,Year,SEN Status\n"Cooper, James",' + f"{PUPIL},Oak,16/01/2016,4,N\n"
                    f"Mary Ann Evans,{UPN2},Oak,16/01/2016,4,N\n"
                )
            },
        )
    )
    assert trust.pupils[["forename", "surname"]].values.tolist() == [["James", "Cooper"], ["Mary Ann", "Evans"]]


def test_no_need_column_is_one_problem_not_one_per_pupil(tmp_path):
    rows = "".join(f"{upn},Oak,16/01/2016,4,K\n" for upn in (PUPIL, UPN2))
    with pytest.raises(Exception) as info:
        load_trust(write_folder(tmp_path / "t", {"pupils": "UPN,School,DOB,Year,SEN Status\n" + rows}))
    problems = info.value.problems
    assert len(problems) == 1 and "no primary need column, and 2 pupil(s)" in problems.iloc[0]["problem"]


def test_a_term_still_under_way_is_dated_no_later_than_the_data(tmp_path):
    folder = write_folder(
        tmp_path / "t",
        {
            "pupils": _pupils("UPN,School,DOB,Year,SEN Status", f"{PUPIL},Oak,16/01/2016,4,N"),
            "NFER results": f"UPN,Term,Year,Test,Standardised score\n{PUPIL},Autumn,2026/27,Reading,99\n",
        },
    )
    (folder / "manifest.json").write_text('{"exported_on": "2026-11-20"}')
    trust = load_trust(folder)
    assert trust.assessments["assessment_date"].iloc[0] == pd.Timestamp("2026-11-20")
    assert any("a term still under way dated 20/11/2026" in note for note in trust.notes)


def test_the_scale_comes_from_a_column_that_says_it_never_from_a_guess(tmp_path):
    pupils = _pupils("UPN,School,DOB,Year,SEN Status", f"{PUPIL},Oak,16/01/2016,4,N")
    standard = load_trust(
        write_folder(
            tmp_path / "s",
            {
                "pupils": pupils,
                "ASSESSMENT_RESULTS": (
                    "UPN,SUBJECT,ASSESSMENT_DATE,RESULT,RESULT_TYPE\n"
                    f"{PUPIL},Reading,2025-01-14 00:00:00,96,Standardised Score\n"
                ),
            },
        )
    )
    assert standard.assessments["scale"].tolist() == ["standardised"]
    with pytest.raises(Exception, match="unknown scale"):
        load_trust(
            write_folder(
                tmp_path / "r",
                {
                    "pupils": pupils,
                    "ASSESSMENT_RESULTS": (
                        "UPN,SUBJECT,ASSESSMENT_DATE,RESULT,RESULT_TYPE\n"
                        f"{PUPIL},Reading,2025-01-14 00:00:00,41,Raw Score\n"
                    ),
                },
            )
        )
