import datetime as dt
import hashlib
import io

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

import sendlib
from sendlib import DataError, load_trust
from sendlib._testing import examples, write_folder
from sendlib.schema import TABLES

UPN1, UPN2, UPN3 = "B801200005001", "P207000016049", "H999204125001"  # the last: valid, made here


def _upn(body):
    return sendlib.upn_check_letter(body) + body


PUPILS_CSV = (
    "upn,school,forename,surname,date_of_birth,year_group,sen_provision,primary_need,first_language\n"
    f"{UPN1},Oak,Ann,Lee,16/01/2016,4,K,SPLD,POL\n"
    f"{_upn('999204125002')},Oak,Bo,Ray,2015-03-02,5,N,,ENG\n"
)


def _load(tmp_path, **files):
    return load_trust(write_folder(tmp_path / "t", {"pupils": PUPILS_CSV, **files}))


def _problems(tmp_path, **files):
    with pytest.raises(DataError) as info:
        _load(tmp_path, **files)
    return info.value.problems


# --- the sample and clean data --------------------------------------------------------------
def test_sample_loads_clean_with_typed_columns():
    trust = sendlib.load_sample()
    assert trust.problems.empty
    assert trust.as_of == pd.Timestamp("2026-11-20")
    pupils = trust.pupils
    assert pupils["date_of_birth"].dtype.kind == "M"
    assert str(pupils["year_group"].dtype) == "Int64"
    assert pupils["year_group"].between(-2, 13).all()
    assert set(pupils["sen_provision"]) == {"N", "K", "E"}
    assert trust.assessments["score"].dtype == "float64"
    for name in TABLES:
        frame = getattr(trust, name)
        if name == "scales":
            assert set(frame["scale"]) >= {"standardised", "ks2_scaled"}
        elif name == "costs":  # none in the sample: its costs come from its provision map
            assert frame is None
        else:
            assert frame is not None and set(TABLES[name].column_names) <= set(frame.columns)
            assert frame["row"].min() == 2


def test_absent_files_are_none_and_require_names_the_file(tmp_path):
    trust = _load(tmp_path)
    assert trust.assessments is None and trust.ehc_events is None
    with pytest.raises(DataError, match=r"needs ehc_events\.csv"):
        trust.require("ehc_events")


def test_no_score_codes_are_kept_and_counted(tmp_path):
    trust = _load(
        tmp_path,
        assessments=(
            "upn,subject,assessment_date,score,scale\n"
            f"{UPN1},reading,2025-01-10,104,standardised\n{UPN1},reading,2025-03-10,A,standardised\n"
            f"{UPN1},maths,2025-03-10,x,Standardised\n{UPN1},maths,2025-01-10,,standardised\n"
        ),
    )
    assert len(trust.assessments) == 4
    assert trust.assessments["no_score"].tolist()[1:] == ["absent", "not taken", "blank"]
    assert pd.isna(trust.assessments["no_score"].iloc[0])


def test_scales_file_adds_a_scale(tmp_path):
    trust = _load(
        tmp_path,
        scales="scale,mean,sd,reliability,min,max\nPiRA,100,15,0.93,69,141\n",
        assessments=f"upn,subject,assessment_date,score,scale\n{UPN1},reading,2025-01-10,99,pira\n",
    )
    assert "pira" in set(trust.scales["scale"])
    assert trust.assessments["scale"].iloc[0] == "pira"


# --- messy but good exports give the same tables ---------------------------------------------
MIS_HEADERS = {
    "upn": "UPN",
    "school": "School Name",
    "forename": "Legal Forename",
    "surname": "Legal Surname",
    "date_of_birth": "Date of Birth",
    "year_group": "NC Year",
    "sen_provision": "SEN Status",
    "primary_need": "SEN Primary Need",
    "secondary_need": "SEN Secondary Need",
    "sex": "Gender",
    "first_language": "First Language",
    "english_proficiency": "Proficiency in English",
    "entered_english_schooling": "Date Entered English Schooling",
    "fsm": "FSM Eligible",
    "looked_after": "Looked After",
}


def _messy(pupils: pd.DataFrame) -> pd.DataFrame:
    """The same pupils as an MIS might export them."""
    messy = pupils.copy()
    messy["year_group"] = messy["year_group"].map(lambda y: "Reception" if y == "R" else f"Year {y}")
    messy["sen_provision"] = messy["sen_provision"].map({"N": "No SEN", "K": "SEN Support", "E": "EHC Plan"})
    for column in ("date_of_birth", "entered_english_schooling"):
        messy[column] = pd.to_datetime(messy[column], format="%d/%m/%Y").dt.strftime("%Y-%m-%d").fillna("")
    messy["fsm"] = messy["fsm"].map({"Y": "Yes", "N": "No"})
    messy["school"] = messy["school"] + "  "
    messy["primary_need"] = messy["primary_need"].str.lower()
    return messy.rename(columns=MIS_HEADERS)


def _comparable(trust):
    return trust.pupils.drop(columns=["file", "row"]).sort_values("upn").reset_index(drop=True)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_mis_spellings_encodings_and_blank_lines_give_the_same_table(tmp_path, small_tables, encoding):
    clean = load_trust(write_folder(tmp_path / "clean", {"pupils": small_tables["pupils"]}))
    text = _messy(small_tables["pupils"]).to_csv(index=False, lineterminator="\r\n")
    lines = text.split("\r\n")
    text = "\r\n".join(lines[:5] + [""] + lines[5:])  # a blank line
    messy = load_trust(write_folder(tmp_path / "messy", {"pupils": text.encode(encoding)}))
    pd.testing.assert_frame_equal(_comparable(clean), _comparable(messy))
    assert messy.pupils["row"].max() == clean.pupils["row"].max() + 1


def test_xlsx_gives_the_same_table(tmp_path, small_tables):
    clean = load_trust(write_folder(tmp_path / "clean", {"pupils": small_tables["pupils"]}))
    workbook = Workbook()
    sheet = workbook.active
    messy = _messy(small_tables["pupils"])
    sheet.append(list(messy.columns))
    for record in messy.itertuples(index=False):
        # Excel holds dates as dates and numbers as numbers
        sheet.append(
            [dt.datetime.fromisoformat(v) if k in ("Date of Birth",) else v for k, v in zip(messy.columns, record)]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    folder = tmp_path / "xlsx"
    folder.mkdir()
    (folder / "Pupils.xlsx").write_bytes(buffer.getvalue())
    pd.testing.assert_frame_equal(_comparable(clean), _comparable(load_trust(folder)))


def test_files_are_never_changed(small_folder):
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in small_folder.iterdir()}
    load_trust(small_folder)
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in small_folder.iterdir()}
    assert before == after


# --- bad input: every problem named by file, spreadsheet row and column ------------------------
BAD_PUPILS = [
    # (cell overrides of row 2, expected column, expected problem text)
    ({"upn": "A801200005001"}, "upn", "check letter should be B"),
    ({"upn": ""}, "upn", "blank, but a value is required"),
    ({"date_of_birth": "01/16/2016"}, "date_of_birth", "US month/day order"),
    ({"date_of_birth": "30/02/2016"}, "date_of_birth", "no such date"),
    ({"date_of_birth": "01/01/2099"}, "date_of_birth", "in the future"),
    ({"date_of_birth": "01/01/1960"}, "date_of_birth", "over 30"),
    ({"year_group": "14"}, "year_group", "not a year group"),
    ({"sen_provision": "S"}, "sen_provision", "not an SEN provision code"),
    ({"primary_need": ""}, "primary_need", "need a primary need"),
    ({"primary_need": "DYS"}, "primary_need", "not a CBDS type of need"),
    ({"sen_provision": "E", "primary_need": "NSA"}, "primary_need", "only with SEN support"),
    ({"sen_provision": "N"}, "primary_need", "no SEN"),
    ({"first_language": "Elvish"}, "first_language", "not a CBDS first-language code"),
]


@pytest.mark.parametrize("override, column, problem", BAD_PUPILS)
def test_bad_pupil_values(tmp_path, override, column, problem):
    frame = pd.read_csv(io.StringIO(PUPILS_CSV), dtype=str, keep_default_na=False)
    for key, value in override.items():
        frame.loc[0, key] = value
    problems = _problems(tmp_path, pupils=frame)
    hit = problems[problems["problem"].str.contains(problem, regex=False)]
    assert len(hit) == 1, problems
    assert hit.iloc[0][["file", "row", "column"]].tolist() == ["pupils.csv", 2, column]


def test_duplicate_upn_names_both_rows(tmp_path):
    text = PUPILS_CSV + f"{UPN1},Elm,Al,Ng,01/02/2016,4,N,,ENG\n"
    problems = _problems(tmp_path, pupils=text)
    assert problems[["row", "column"]].values.tolist() == [[4, "upn"]]
    assert "same upn: also in row 2" in problems.iloc[0]["problem"]


def test_missing_required_column(tmp_path):
    text = PUPILS_CSV.replace("date_of_birth,", "birthday,")
    problems = _problems(tmp_path, pupils=text)
    assert problems.iloc[0]["row"] == 1
    assert "required column date_of_birth is missing" in problems.iloc[0]["problem"]


def test_every_problem_across_files_is_collected_before_raising(tmp_path):
    problems = _problems(
        tmp_path,
        pupils=PUPILS_CSV.replace("16/01/2016", "16/13/2016"),
        assessments=(
            "upn,subject,assessment_date,score,scale\n"
            f"{UPN1},reading,2025-01-10,ninety,standardised\n"
            f"{UPN2},reading,2025-01-10,100,standardised\n"
            f"{UPN1},reading,2025-02-10,250,standardised\n"
            f"{UPN1},maths,2025-02-10,100,stanine\n"
        ),
        ehc_events=f"upn,event,date\n{UPN1},plan_written,2025-01-01\n",
        support_plans=f"upn,plan_start,review_due,review_held\n{UPN1},01/03/2025,01/02/2025,\n",
        eal_evidence=f"upn,attendance_pct,l1_assessment\n{UPN1},104,maybe\n",
    )
    found = set(map(tuple, problems[["file", "row", "column"]].values.tolist()))
    assert found == {
        ("pupils.csv", 2, "date_of_birth"),
        ("assessments.csv", 2, "score"),
        ("assessments.csv", 3, "upn"),
        ("assessments.csv", 4, "score"),
        ("assessments.csv", 5, "scale"),
        ("ehc_events.csv", 2, "event"),
        ("support_plans.csv", 2, "review_due"),
        ("eal_evidence.csv", 2, "attendance_pct"),
        ("eal_evidence.csv", 2, "l1_assessment"),
    }
    message = str(DataError(problems))
    assert "assessments.csv, row 3, column upn: 'P207000016049' -- this UPN is not a pupil in pupils.csv" in message


def test_problem_names_the_header_as_the_user_wrote_it(tmp_path):
    text = PUPILS_CSV.replace("date_of_birth", "DOB").replace("16/01/2016", "16/13/2016")
    problems = _problems(tmp_path, pupils=text)
    assert problems.iloc[0][["row", "column"]].tolist() == [2, "DOB"]


def test_report_mode_keeps_good_rows_and_lists_what_was_left_out(tmp_path):
    folder = write_folder(
        tmp_path / "t", {"pupils": PUPILS_CSV.replace("16/01/2016", "16/13/2016").replace(",POL\n", ",P0L\n")}
    )
    trust = load_trust(folder, strict=False)
    assert len(trust.pupils) == 1  # the row with a bad date of birth (required) is left out
    assert set(trust.problems["column"]) == {"date_of_birth", "first_language"}
    assert any("1 row(s) left out" in note for note in trust.notes)


def test_not_a_folder_and_no_pupils(tmp_path):
    with pytest.raises(DataError, match="no such folder"):
        load_trust(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"pupils\.csv -- not in the folder") as raised:
        load_trust(tmp_path / "empty")
    assert str(raised.value).count("pupils.csv") == 1  # the file named once, where the line starts


def test_two_files_for_one_table(tmp_path):
    folder = write_folder(tmp_path / "t", {"pupils": PUPILS_CSV})
    (folder / "Pupils.xlsx").write_bytes(b"PK")
    with pytest.raises(DataError, match="more than one file for pupils"):
        load_trust(folder)


# --- the loader never raises anything but DataError --------------------------------------------
_cells = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        ["B801200005001", "16/01/2016", "2016-01-16", "K", "E", "N", "SPLD", "NSA", "4", "R", "A", "", "ENG", "1e308"]
    ),
)
_header = st.lists(
    st.sampled_from(
        [
            "upn",
            "school",
            "date_of_birth",
            "year_group",
            "sen_provision",
            "primary_need",
            "first_language",
            "DOB",
            "score",
            "x",
            "",
        ]
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=examples(150), suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    header=_header,
    rows=st.lists(st.lists(_cells, max_size=9), max_size=6),
    raw=st.one_of(st.none(), st.binary(max_size=200)),
    table=st.sampled_from(list(TABLES)),
)
def test_loader_raises_only_data_errors_on_arbitrary_input(tmp_path_factory, header, rows, raw, table):
    folder = tmp_path_factory.mktemp("h")
    if raw is not None:
        content = raw
    else:
        buffer = io.StringIO()
        import csv

        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(rows)
        content = buffer.getvalue().encode("utf-8")
    files = {table: content}
    if table != "pupils":
        files["pupils"] = PUPILS_CSV
    write_folder(folder, files)
    for strict in (True, False):
        try:
            trust = load_trust(folder, strict=strict)
        except DataError as error:
            assert len(error.problems) >= 1
            assert error.problems["file"].notna().all() and error.problems["problem"].notna().all()
        else:
            assert isinstance(trust.pupils, pd.DataFrame)


def test_a_school_spelt_in_other_capitals_or_spacing_is_one_school(tmp_path):
    pupils = PUPILS_CSV + f"{_upn('999204125003')},OAK ,Cy,Ho,02/02/2016,4,N,,ENG\n"
    history = (
        "upn,census_date,school,year_group,sen_provision,primary_need\n"
        f"{UPN1},16/01/2025,oak,3,K,SPLD\n{UPN1},15/01/2026,Oak,4,K,SPLD\n"
    )
    trust = _load(tmp_path, pupils=pupils, sen_history=history)
    assert trust.schools == ["Oak"] and set(trust.sen_history["school"]) == {"Oak"}
    assert "pupils.csv: school 'OAK' (1 row(s) from row 4) read as 'Oak', the spelling most rows use" in trust.notes
    assert any(note.startswith("sen_history.csv: school 'oak'") for note in trust.notes)
    assert trust.problems.empty


def test_an_xlsx_with_a_cover_sheet_reads_its_data_sheet(tmp_path):
    book = Workbook()
    book.active.title = "Cover"
    book.active.append(["Pupils exported from the MIS on 20/11/2026"])
    data = book.create_sheet("Pupils")
    for line in PUPILS_CSV.splitlines():
        data.append(line.split(","))
    folder = tmp_path / "x"
    folder.mkdir()
    book.save(folder / "pupils.xlsx")
    trust = load_trust(folder)
    assert list(trust.pupils["forename"]) == ["Ann", "Bo"]
    assert "pupils.xlsx: read the sheet 'Pupils' (2 of 2); row numbers are that sheet's" in trust.notes


def test_censuses_other_than_januarys_are_left_out_with_a_note(tmp_path):
    """A census history with the May and October censuses too: each January is counted once (a
    year's three censuses summed would count its pupils three times), the rest named in a note."""
    history = (
        "upn,census_date,school,year_group,sen_provision,primary_need\n"
        f"{UPN1},07/10/2024,Oak,3,N,\n{UPN1},16/01/2025,Oak,3,K,SPLD\n{UPN1},15/05/2025,Oak,3,K,SPLD\n"
        f"{UPN1},15/01/2026,Oak,4,K,SPLD\n"
    )
    trust = _load(tmp_path, sen_history=history)
    assert trust.sen_history["census_date"].dt.strftime("%Y-%m-%d").tolist() == ["2025-01-16", "2026-01-15"]
    note = next(n for n in trust.notes if "other than January's" in n)
    assert note.startswith("sen_history.csv: 2 row(s)") and "07 Oct 2024, 15 May 2025" in note
    assert "spreadsheet rows 2, 4" in note and trust.problems.empty


def test_a_pupil_left_out_takes_their_rows_in_other_files_with_them_in_words(tmp_path):
    """One bad date of birth: the pupil's row is left out, and so, with a problem each, are
    their scores (kept, they were rows of no pupil, and every school's progress failed)."""
    import shutil

    from sendlib._paths import SAMPLE_DIR

    folder = tmp_path / "t"
    shutil.copytree(SAMPLE_DIR, folder)
    lines = (folder / "pupils.csv").read_text().splitlines(keepends=True)
    header = lines[0].split(",")
    at = header.index("date_of_birth")
    cells = lines[10].split(",")
    upn, cells[at] = cells[header.index("upn")], "31/02/2015"
    lines[10] = ",".join(cells)
    (folder / "pupils.csv").write_text("".join(lines))
    trust = load_trust(folder, strict=False)
    assert upn not in set(trust.pupils["upn"]) and upn not in set(trust.assessments["upn"])
    assert (trust.problems["row"] == 11).any()
    knock_on = trust.problems[trust.problems["file"] == "assessments.csv"]
    assert len(knock_on) and knock_on["problem"].str.contains("row in pupils.csv is left out").all()
    assert any(note.startswith("assessments.csv: ") and "left out" in note for note in trust.notes)
    progress = sendlib.assess_progress(trust)  # raised "assessments has pupils who are not in pupils"
    assert len(progress) and upn not in set(progress["upn"])


def test_a_pupil_missing_from_a_workbook_of_many_sheets_names_the_workbook_once(tmp_path):
    """A year group to a sheet: a score of no pupil names pupils.xlsx, not each of its sheets."""
    book = Workbook()
    header, *rows = PUPILS_CSV.splitlines()
    book.active.title = "Year 4"
    for index, row in enumerate(rows):
        sheet = book.active if index == 0 else book.create_sheet(f"Year {4 + index}")
        sheet.append(header.split(","))
        sheet.append(row.split(","))
    folder = tmp_path / "x"
    folder.mkdir()
    book.save(folder / "pupils.xlsx")
    nobody = _upn("999204125009")
    (folder / "assessments.csv").write_text(
        f"upn,subject,date,score,scale\n{nobody},reading,12/10/2025,101,standardised\n"
    )
    trust = load_trust(folder, strict=False)
    assert len(trust.pupils) == 2
    (problem,) = trust.problems["problem"]
    assert problem == "this UPN is not a pupil in pupils.xlsx"


def test_schools_given_by_number_are_named_from_the_manifest_or_a_note_says_how(tmp_path):
    """A census download names schools by URN: governors' reports would be titled "999106".
    manifest.json's "schools" names them; without it, a note says how."""
    import json

    pupils = PUPILS_CSV.replace(",Oak,", ",999106,", 1).replace(",Oak,", ",999107,", 1)
    bare = load_trust(write_folder(tmp_path / "a", {"pupils": pupils}))
    assert bare.schools == ["999106", "999107"]
    assert any(
        n.startswith("Schools named by number only (999106, 999107): the export gives no names.")
        and '"schools": {"999106": "its name", ...} to manifest.json' in n
        for n in bare.notes
    )
    manifest = json.dumps({"exported_on": "2026-11-20", "schools": {"999106": "Oak Academy", "999108": "Elm"}})
    named = load_trust(write_folder(tmp_path / "b", {"pupils": pupils, "manifest.json": manifest}))
    assert named.schools == ["999107", "Oak Academy"]
    assert (
        'manifest.json: 1 school(s) named from their numbers (its "schools"); '
        "no school in the export is numbered 999108" in named.notes
    )
    assert any(n.startswith("Schools named by number only (999107)") for n in named.notes)
    for n, wrong in enumerate(({"schools": ["Oak Academy"]}, {"schools": {"999106": None}})):
        folder = write_folder(tmp_path / f"c{n}", {"pupils": pupils, "manifest.json": json.dumps(wrong)})
        trust = load_trust(folder, strict=False)
        assert any(n.startswith('manifest.json: "schools" is not pairs of a number and a name') for n in trust.notes)
        assert trust.schools == ["999106", "999107"]  # not "None"
