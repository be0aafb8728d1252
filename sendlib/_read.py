"""Reading one export file (CSV or XLSX) into text cells with spreadsheet row numbers.

Every value comes back as stripped text ("" when blank) so that one set of parsers
serves both formats. Row numbers are those a spreadsheet shows: the first row of the
file is 1. Files are only ever opened for reading.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .exceptions import DataError, problems_frame

TABLE_SUFFIXES = (".csv", ".xlsx", ".txt", ".tab")  # .tab: the DfE GIAP download
# Header rows are looked for among this many rows at the top of a file, for exports
# that put a title or a printed-on line above the header.
HEADER_SEARCH_ROWS = 10
_BINARY_SNIFF_BYTES = 8192


@dataclass
class RawTable:
    """The cells of one file (or one sheet of a workbook) as text. ``cells`` has one column
    per header cell."""

    file: str
    header: list[str]
    header_row: int
    cells: pd.DataFrame  # object dtype, "" for blank; index = spreadsheet row number
    notes: list[str]
    problems: list[tuple]  # rows that could not be split into the header's columns
    sheet: str = ""  # the workbook sheet's name ("" for a CSV file)
    title: str = ""  # text of the title lines above the header
    recognised: bool = True  # whether the header row names columns sendlib knows


def _fail(file: str, problem: str, row=None, column=None, value=None):
    raise DataError(problems_frame([(file, row, column, value, problem)]))


def normalise_header(text: str) -> str:
    """Header text for matching: lower case, words separated by single spaces, camelCase split.

    >>> normalise_header("  Date_of-Birth ") , normalise_header("Attendance %"), normalise_header("EnglishProficiency")
    ('date of birth', 'attendance', 'english proficiency')
    """
    text = str(text).replace("\ufeff", "")
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text)  # camelCase: EnglishProficiency
    text = re.sub(r"(?<=[A-Z])(?=[A-Z][a-z])", " ", text)  # an acronym, then a word: SENProvision
    return re.sub(r"[^0-9a-z]+", " ", text.lower()).strip()


# Small words that do not change what a header means ("Eligible for FSM" is "FSM eligible").
_HEADER_FILLERS = frozenset({"of", "the", "for", "in", "is", "a", "an", "to", "on", "at", "by"})


def header_keys(text: str) -> tuple[str, str]:
    """The two keys a header is matched on: its letters and digits run together (so that
    ``FSMeligible``, ``FSM_Eligible`` and ``fsm eligible`` agree), and its words in any order
    without small words (so that ``Eligible for FSM`` and ``FSM Eligible`` agree).

    >>> header_keys("FSMeligible")[0] == header_keys("FSM_Eligible")[0] == header_keys("fsm eligible")[0]
    True
    >>> header_keys("Eligible for FSM")[1] == header_keys("FSM Eligible")[1]
    True
    """
    words = normalise_header(text).split()
    return "".join(words), " ".join(sorted(w for w in words if w not in _HEADER_FILLERS))


def _decode(data: bytes, file: str) -> tuple[str, str | None]:
    """Text of a CSV file: UTF-8 (with or without BOM), UTF-16 with BOM, Windows-1252.

    A file whose lines mix UTF-8 and Windows-1252 (two exports pasted together) is
    decoded line by line, and a note says so.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError:
            _fail(file, "the file says it is UTF-16 but is not: save it again as CSV (UTF-8)")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    lines = data.split(b"\n")
    decoded, utf8_lines, other_lines = [], 0, 0
    for line in lines:
        try:
            decoded.append(line.decode("utf-8"))
            utf8_lines += any(b > 127 for b in line)
        except UnicodeDecodeError:
            decoded.append(line.decode("cp1252", errors="replace"))
            other_lines += 1
    note = (
        f"{file}: read as Windows-1252"
        if not utf8_lines
        else f"{file}: mixes UTF-8 and Windows-1252 text; {other_lines} line(s) read as Windows-1252"
    )
    return "\n".join(decoded), note


def _looks_binary(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    return b"\x00" in head


def _csv_rows(path: Path, file: str, notes: list[str], multiline: set[int]) -> list[list[str]]:
    """The file's rows; the index of each row that spans several lines (a quoted line break) is
    added to ``multiline``."""
    data = path.read_bytes()
    if not data.strip(b" \t\r\n\xef\xbb\xbf"):
        _fail(file, "the file is empty: it should have a header row and one row per record")
    if data.startswith(b"PK\x03\x04"):
        _fail(file, "this is an Excel workbook with a .csv name: save it as CSV, or rename it .xlsx")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        _fail(file, "this is an old Excel (.xls) workbook: save it as .xlsx or CSV")
    if _looks_binary(data[:_BINARY_SNIFF_BYTES]):
        _fail(file, "this is not a text table (it holds binary data): export the data again as CSV")
    text, note = _decode(data, file)
    if note:
        notes.append(note)
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    delimiter = max([",", ";", "\t"], key=first_line.count)
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    line = 0
    try:
        for row in reader:
            if reader.line_num > line + 1:
                multiline.add(len(rows))
            line = reader.line_num
            rows.append(row)
    except csv.Error as error:  # most often a quote opened in this row and never closed
        _fail(
            file,
            f'the file cannot be read as CSV from this row on ({error}): look for a quote (") '
            "opened in this row and never closed",
            row=len(rows) + 1,
        )
    return rows


def _excel_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_sheets(path: Path, file: str) -> list[tuple[str, list[list[str]]]]:
    """(title, rows) of every sheet of the workbook, in order."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, EOFError) as error:
        _fail(file, f"this workbook cannot be opened (damaged or not an .xlsx file: {type(error).__name__})")
    try:
        if not workbook.worksheets:
            _fail(file, "the workbook has no sheets")
        sheets = [
            (sheet.title, [[_excel_text(v) for v in row] for row in sheet.iter_rows(values_only=True)])
            for sheet in workbook.worksheets
        ]
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, EOFError) as error:
        _fail(file, f"this workbook cannot be read (damaged: {type(error).__name__})")
    finally:
        workbook.close()
    return sheets


def find_header(rows: list[list[str]], known: Callable[[list[str]], int]) -> tuple[int, bool]:
    """(index of the header row, whether it names known columns): the first of the top rows
    naming two or more columns sendlib knows (``known`` counts them), else the widest of the
    top rows (a title line above a header is narrower than the header)."""
    top = rows[:HEADER_SEARCH_ROWS]
    for i, row in enumerate(top):
        if known(row) >= 2:
            return i, True
    widths: list[int] = [sum(bool(c.strip()) for c in row) for row in top]
    widest = max(widths, default=0)
    return (widths.index(widest) if widest else 0), False


def _swallowed_rows(row: list[str], width: int) -> tuple[int, int] | None:
    """(column, lines) if a cell holds line breaks followed by lines that look like whole rows
    (as many delimiters as the header has columns, less one): what an unclosed quote does."""
    for column, cell in enumerate(row):
        if "\n" not in cell or width < 3:
            continue
        lines = cell.split("\n")[1:]
        rowlike = sum(max(line.count(d) for d in ",;\t") >= width - 1 for line in lines)
        if rowlike:
            return column, len(lines)
    return None


SHEET = ", sheet '"  # a workbook's sheet in a file's label: "pupils.xlsx, sheet 'Year 7'"


def file_of(label) -> str:
    """The file a label of problems and notes names, without its sheet ("pupils.xlsx")."""
    return str(label).split(SHEET)[0]


def read_sheets(path: Path, known: Callable[[list[str]], int], label: str | None = None) -> list[RawTable]:
    """Read ``path`` into text cells, one :class:`RawTable` per sheet (a CSV file is one sheet);
    raise DataError when it is not a table at all. ``known`` counts the cells of a row that
    name a column sendlib reads (to find the header under title lines); ``label`` is the
    file's name in notes and problems (its path within the export folder)."""
    file = label or path.name
    if path.suffix.lower() == ".xlsx":
        sheets = _xlsx_sheets(path, file)
        if not any(any(c.strip() for c in row) for _, rows in sheets for row in rows):
            _fail(file, "the workbook is empty: it should have a header row and one row per record")
        return [
            _raw_table(rows, f"{file}{SHEET}{title}'" if len(sheets) > 1 else file, known, set(), title)
            for title, rows in sheets
            if any(any(c.strip() for c in row) for row in rows)
        ]
    multiline: set[int] = set()
    notes: list[str] = []
    rows = _csv_rows(path, file, notes, multiline)
    raw = _raw_table(rows, file, known, multiline)
    raw.notes[:0] = notes
    return [raw]


def _raw_table(rows: list[list[str]], file: str, known, multiline: set[int], sheet: str = "") -> RawTable:
    notes: list[str] = []
    rows = [[str(c).strip() for c in row] for row in rows]
    if not any(any(row) for row in rows):
        _fail(file, "the file is empty: it should have a header row and one row per record")
    header_index, recognised = find_header(rows, known)
    title = " ".join(c for row in rows[:header_index] for c in row if c)
    if header_index:
        notes.append(
            f"{file}: row 1 above the header was skipped"
            if header_index == 1
            else f"{file}: rows 1-{header_index} above the header were skipped"
        )
    header = rows[header_index]
    width = len(header)
    body = rows[header_index + 1 :]
    numbers, kept, problems = [], [], []
    header_key = [c.casefold() for c in header]
    for offset, row in enumerate(body):
        row_number = header_index + 2 + offset
        if not any(row):
            continue  # a blank line: nothing to lose
        if row[0].casefold() == header_key[0] and [c.casefold() for c in row[:width]] == header_key:
            notes.append(f"{file}: row {row_number} repeats the header row and was skipped (two exports joined?)")
            continue
        swallowed = _swallowed_rows(row, width) if header_index + 1 + offset in multiline else None
        if swallowed:
            column, lines = swallowed
            problems.append(
                (
                    file,
                    row_number,
                    header[column] if column < width else None,
                    row[column][:60],
                    f'this cell runs on over {lines} more lines that look like whole rows: a quote (") '
                    "opened here and never closed? The row and those lines were not read",
                )
            )
            continue
        if len(row) > width:
            extra = [c for c in row[width:] if c]
            if extra:
                problems.append(
                    (
                        file,
                        row_number,
                        None,
                        ",".join(extra)[:60],
                        f"this row has {len(row)} values but the header has {width} columns "
                        "(a stray comma or an unquoted value?); the row was not read",
                    )
                )
                continue
            row = row[:width]
        elif len(row) < width:
            row = row + [""] * (width - len(row))
        numbers.append(row_number)
        kept.append(row)
    cells = pd.DataFrame(kept, columns=range(width), index=pd.Index(numbers, name="row"), dtype=object)
    if not len(kept):
        cells = pd.DataFrame({i: pd.Series([], dtype=object) for i in range(width)})
        cells.index.name = "row"
    return RawTable(
        file, header, header_index + 1, cells, notes, problems, sheet=sheet, title=title, recognised=recognised
    )
