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
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .exceptions import DataError, problems_frame

TABLE_SUFFIXES = (".csv", ".xlsx", ".txt")
# Header rows are looked for among this many rows at the top of a file, for exports
# that put a title or a printed-on line above the header.
HEADER_SEARCH_ROWS = 10
_BINARY_SNIFF_BYTES = 8192


@dataclass
class RawTable:
    """The cells of one file as text. ``cells`` has one column per header cell."""

    file: str
    header: list[str]
    header_row: int
    cells: pd.DataFrame  # object dtype, "" for blank; index = spreadsheet row number
    notes: list[str]
    problems: list[tuple]  # rows that could not be split into the header's columns


def _fail(file: str, problem: str, row=None, column=None, value=None):
    raise DataError(problems_frame([(file, row, column, value, problem)]))


def normalise_header(text: str) -> str:
    """Header text for matching: lower case, words separated by single spaces.

    >>> normalise_header("  Date_of-Birth ") , normalise_header("Attendance %")
    ('date of birth', 'attendance')
    """
    return re.sub(r"[^0-9a-z]+", " ", str(text).replace("\ufeff", "").lower()).strip()


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
    note = (f"{file}: read as Windows-1252" if not utf8_lines else
            f"{file}: mixes UTF-8 and Windows-1252 text; {other_lines} line(s) read as Windows-1252")
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
        _fail(file, f"the file cannot be read as CSV from this row on ({error}): look for a quote (\") "
                    "opened in this row and never closed", row=len(rows) + 1)
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


def _xlsx_rows(path: Path, file: str, notes: list[str], known_headers: set[str]) -> list[list[str]]:
    """The rows of the workbook's first sheet whose top rows name the expected columns (a cover
    sheet before the data is skipped), else of its first sheet."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, EOFError) as error:
        _fail(file, f"this workbook cannot be opened (damaged or not an .xlsx file: {type(error).__name__})")
    try:
        sheets = workbook.worksheets
        if not sheets:
            _fail(file, "the workbook has no sheets")
        sheet = next((s for s in sheets if _header_row([[_excel_text(v).strip() for v in row] for row in
                                                        s.iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True)],
                                                       known_headers) is not None), sheets[0])
        if len(sheets) > 1:
            notes.append(f"{file}: read the sheet '{sheet.title}' ({sheets.index(sheet) + 1} of {len(sheets)}); "
                         "row numbers are that sheet's")
        rows = [[_excel_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError, EOFError) as error:
        _fail(file, f"this workbook cannot be read (damaged: {type(error).__name__})")
    finally:
        workbook.close()
    return rows


def _header_row(rows: list[list[str]], known_headers: set[str]) -> int | None:
    """Index of the first of the top rows naming two or more known columns, if any."""
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if sum(normalise_header(c) in known_headers for c in row) >= 2:
            return i
    return None


def _find_header(rows: list[list[str]], known_headers: set[str]) -> int:
    """Index of the header row: the first of the top rows naming two or more known columns, else
    the first row that is not blank."""
    found = _header_row(rows, known_headers)
    if found is not None:
        return found
    candidates = [i for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]) if any(c.strip() for c in row)]
    return candidates[0] if candidates else 0


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


def read_table(path: Path, known_headers: set[str]) -> RawTable:
    """Read ``path`` into text cells; raise DataError when it is not a table at all."""
    file = path.name
    notes: list[str] = []
    multiline: set[int] = set()
    if path.suffix.lower() == ".xlsx":
        rows = _xlsx_rows(path, file, notes, known_headers)
    else:
        rows = _csv_rows(path, file, notes, multiline)
    rows = [[str(c).strip() for c in row] for row in rows]
    if not any(any(row) for row in rows):
        _fail(file, "the file is empty: it should have a header row and one row per record")
    header_index = _find_header(rows, known_headers)
    if header_index:
        notes.append(f"{file}: rows 1-{header_index} above the header were skipped")
    header = rows[header_index]
    width = len(header)
    body = rows[header_index + 1:]
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
            problems.append((file, row_number, header[column] if column < width else None, row[column][:60],
                             f"this cell runs on over {lines} more lines that look like whole rows: a quote (\") "
                             "opened here and never closed? The row and those lines were not read"))
            continue
        if len(row) > width:
            extra = [c for c in row[width:] if c]
            if extra:
                problems.append((file, row_number, None, ",".join(extra)[:60],
                                 f"this row has {len(row)} values but the header has {width} columns "
                                 "(a stray comma or an unquoted value?); the row was not read"))
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
    return RawTable(file, header, header_index + 1, cells, notes, problems)
