import re
import zipfile

import pytest

from sendlib import DataError
from sendlib._read import normalise_header, read_sheets
from tests.data.make_bad_exports import xlsx as _xlsx_bytes

KNOWN = {"upn", "school", "score"}


def read_table(path, known: set[str]):
    """The one sheet of a CSV file, its header found among the columns ``known``."""
    return read_sheets(path, lambda row: sum(normalise_header(c) in known for c in row))[0]


def test_blank_lines_are_skipped_but_row_numbers_stay_as_in_a_spreadsheet(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("upn,school\nA,B\n\n,\nC,D\n")
    table = read_table(path, KNOWN)
    assert list(table.cells.index) == [2, 5]
    assert table.cells.loc[5].tolist() == ["C", "D"]


def test_title_rows_above_the_header_are_skipped_and_noted(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("SEN report printed 12/01/2025\n\nUPN,School\nA,B\n")
    table = read_table(path, KNOWN)
    assert table.header == ["UPN", "School"] and table.header_row == 3
    assert list(table.cells.index) == [4]
    assert "rows 1-2 above the header were skipped" in table.notes[0]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_encodings(tmp_path, encoding):
    path = tmp_path / "x.csv"
    path.write_bytes("upn,school\nA,Zoé’s Café\n".encode(encoding))
    assert read_table(path, KNOWN).cells.loc[2, 1] == "Zoé’s Café"


def test_mixed_encodings_are_read_line_by_line(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes("upn,school\nA,Zoé\n".encode() + "B,Renée\n".encode("cp1252"))
    table = read_table(path, KNOWN)
    assert table.cells[1].tolist() == ["Zoé", "Renée"]
    assert "mixes UTF-8 and Windows-1252" in table.notes[0]


def test_semicolon_and_tab_delimiters(tmp_path):
    for sep in (";", "\t"):
        path = tmp_path / "x.csv"
        path.write_text(f"upn{sep}school\nA{sep}B, the school\n")
        assert read_table(path, KNOWN).cells.loc[2].tolist() == ["A", "B, the school"]


def test_a_row_with_too_many_values_is_a_problem_not_a_silent_loss(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("upn,school\nA,B\nC,D,E\nF,G,\n")
    table = read_table(path, KNOWN)
    assert list(table.cells.index) == [2, 4]  # row 4's extra cell is empty: nothing lost
    assert table.problems[0][:2] == ("x.csv", 3)
    assert "3 values but the header has 2" in table.problems[0][4]


@pytest.mark.parametrize(
    "content, problem",
    [
        (b"", "the file is empty"),
        (b"\r\n \n", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
        (b"PK\x03\x04rest", "Excel workbook with a .csv name"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "old Excel (.xls)"),
    ],
)
def test_files_that_are_not_tables(tmp_path, content, problem):
    path = tmp_path / "pupils.csv"
    path.write_bytes(content)
    with pytest.raises(DataError, match=re.escape(problem)) as info:
        read_table(path, KNOWN)
    assert info.value.problems.loc[0, "file"] == "pupils.csv"


def test_xlsx_values_become_text(tmp_path):
    import datetime as dt

    path = tmp_path / "x.xlsx"
    path.write_bytes(
        _xlsx_bytes(
            [
                ["upn", "date", "score"],
                ["A", dt.datetime(2025, 1, 16), 104.0],
                [None, None, None],
                ["B", dt.date(2025, 3, 3), 97.5],
            ]
        )
    )
    table = read_table(path, KNOWN)
    assert table.cells.loc[2].tolist() == ["A", "2025-01-16", "104"]
    assert table.cells.loc[4].tolist() == ["B", "2025-03-03", "97.5"]


def test_truncated_xlsx_is_a_data_error(tmp_path):
    data = _xlsx_bytes([["upn"], ["A"]])
    path = tmp_path / "pupils.xlsx"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataError, match="cannot be opened"):
        read_table(path, KNOWN)


def test_zip_that_is_not_a_workbook(tmp_path):
    path = tmp_path / "pupils.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(DataError, match="cannot be opened"):
        read_table(path, KNOWN)


def test_a_repeated_header_row_is_skipped_and_noted(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("upn,school,score\nA,B,1\nUPN,School,Score\nC,D,2\n")
    table = read_table(path, KNOWN)
    assert list(table.cells.index) == [2, 4] and not table.problems
    assert "x.csv: row 3 repeats the header row and was skipped (two exports joined?)" in table.notes


def test_a_quoted_multi_line_cell_is_kept_but_an_unclosed_quote_is_named(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text('upn,school,score\nA,"Oak\nAcademy",1\nC,D,2\n')
    assert read_table(path, KNOWN).cells.loc[2].tolist() == ["A", "Oak\nAcademy", "1"]
    path.write_text('upn,school,score\nA,"Oak,1\nC,D,2\nE,F,3\n')
    table = read_table(path, KNOWN)
    assert len(table.cells) == 0
    ((file, row, column, _value, problem),) = table.problems
    assert (file, row, column) == ("x.csv", 2, "school") and "never closed" in problem and "2 more lines" in problem


def test_a_csv_error_names_the_row_it_starts_at(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("upn,school,score\nA,B,1\nC," + "x" * 200_000 + ",2\n")
    with pytest.raises(DataError) as info:
        read_table(path, KNOWN)
    problem = info.value.problems.iloc[0]
    assert problem["row"] == 3 and "cannot be read as CSV from this row on" in problem["problem"]
