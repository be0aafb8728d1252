"""Loading a trust's export folder: read, map headers, parse, check, type.

``load_trust`` reads every file the folder has (see :mod:`sendlib.schema`), collects
every problem across all files, and raises one :class:`~sendlib.DataError` listing them;
with ``strict=False`` it returns the data with the problems attached instead, leaving out
only rows that cannot be used (a bad value in a required column), each one reported.
Input files are opened read-only and never changed.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import os
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from . import _parse, codes
from ._frames import isin
from ._paths import DATA_ENV, SAMPLE_DIR, cache_folder, code_digest
from ._read import TABLE_SUFFIXES, file_of, read_sheets
from .exceptions import DataError, problems_frame
from .profiles import (
    MAPPING_FILE,
    Context,
    Extract,
    extract,
    file_key,
    fits,
    known_columns,
    profile_named,
    read_mapping,
    table_for_header,
    table_for_name,
)
from .schema import EHC_ANSWERS, EHC_QUESTIONS_ALSO, TABLES, Column, Table

MANIFEST = "manifest.json"
# A date of birth this many years before today is not a pupil's (a typing slip in the year).
OLDEST_PUPIL_YEARS = 30


READING_COLUMNS = ["file", "table", "rows", "columns_read", "columns_not_read", "profile"]


@dataclass
class TrustData:
    """A trust's export folder, loaded: one DataFrame per table (None when absent).

    Every table keeps the columns of :data:`sendlib.schema.TABLES` with their types, a
    ``file`` column (the file, or workbook sheet, each row came from, as in problems) and a
    ``row`` column (its row there, as a spreadsheet shows it). ``pupils`` and
    ``sen_history`` also carry ``need_area`` (broad area of the primary need); ``pupils``
    carries ``eal`` (first language other than English; missing when unknown);
    ``assessments`` carries ``no_score`` (why a row has no score: blank, absent, not taken...).
    ``scales`` lists the built-in scales and any from ``scales.csv``. ``reading`` says, per
    file or sheet, what was read: the table, rows, columns read and not read, the profile.
    ``as_of`` is the date the data describe (``as_of_source`` says where it came from).
    ``problems`` lists what the loader found wrong (file, row, column, value, problem), and
    ``rows_left_out`` how many rows it left out for them (a row with a bad required value, and
    a left-out pupil's rows in the other files); ``notes`` say what it read and how.
    """

    pupils: pd.DataFrame
    assessments: pd.DataFrame | None = None
    scales: pd.DataFrame | None = None
    sen_history: pd.DataFrame | None = None
    eal_evidence: pd.DataFrame | None = None
    support_plans: pd.DataFrame | None = None
    parent_meetings: pd.DataFrame | None = None
    ehc_events: pd.DataFrame | None = None
    provisions: pd.DataFrame | None = None
    staff_costs: pd.DataFrame | None = None
    costs: pd.DataFrame | None = None
    source: Path | None = None
    files: dict[str, str] = field(default_factory=dict)  # table name -> the files read for it
    problems: pd.DataFrame = field(default_factory=problems_frame)
    rows_left_out: int = 0  # rows with a problem that makes them unusable, left out of the tables
    notes: list[str] = field(default_factory=list)
    as_of: pd.Timestamp = field(default_factory=lambda: pd.Timestamp(dt.date.today()))
    as_of_source: str = "today's date"
    reading: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=READING_COLUMNS))

    @property
    def schools(self) -> list[str]:
        """The schools in ``pupils``, sorted."""
        return sorted(self.pupils["school"].dropna().unique())

    @property
    def as_of_warning(self) -> str:
        """A sentence when the data are more than a term old (or undated), else ""."""
        return data_date_warning(self.as_of, self.as_of_source)

    def day(self, as_of=None) -> pd.Timestamp:
        """The day to judge from: ``as_of`` (any date) at midnight, or the export's date."""
        return pd.Timestamp(as_of).normalize() if as_of is not None else self.as_of

    def require(self, table: str) -> pd.DataFrame:
        """The table, or a DataError saying which file the folder lacks."""
        frame = getattr(self, table)
        if frame is None:
            what = TABLES[table].description
            raise DataError(
                problems_frame(
                    [
                        (
                            f"{table}.csv",
                            None,
                            None,
                            None,
                            f"this needs {table}.csv, which the export folder does not have. {what}",
                        )
                    ]
                ),
                "Not in this export",
            )
        return frame


def data_date_warning(as_of, source: str) -> str:
    """A sentence when data dated ``as_of`` are more than a term old, or carry no date, else ""."""
    age = (pd.Timestamp(dt.date.today()) - pd.Timestamp(as_of)).days
    if source == "today's date":
        return (
            "These files carry no date (no manifest.json and no dated record), so sendlib counts from "
            "today: deadlines may be wrong. Add a manifest.json with exported_on."
        )
    if age > DATA_OLD_DAYS:
        return (
            f"These data are from {pd.Timestamp(as_of):%d %B %Y}, {age // 7} weeks ago: more than a term old. "
            "Deadlines and lists are as they stood then; export the files again for today's picture."
        )
    return ""


# Data older than this (about a school term) are flagged on every surface.
DATA_OLD_DAYS = 122


# --- what the folder holds ------------------------------------------------------------------------
@dataclass
class _Source:
    path: Path
    label: str  # the path within the export folder, as problems name it
    table: str | None  # the table the file's name says, if any
    school: str = ""  # from a per-school folder (or its manifest) or --school
    school_source: str = ""


def _manifest(folder: Path) -> dict | None:
    """A folder's ``manifest.json`` as read ({} without one; None when it cannot be read)."""
    path = folder / MANIFEST
    if not path.is_file():
        return {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None
    return manifest if isinstance(manifest, dict) else None


def _school_of(folder: Path) -> tuple[str, str]:
    named = (_manifest(folder) or {}).get("school")
    if isinstance(named, str) and named.strip():
        return named.strip(), f"{folder.name}/{MANIFEST}"
    return folder.name, "its folder's name"


def _inventory(folder: Path, school: str = "") -> tuple[list[_Source], list[tuple], list[str]]:
    """The files to read: those at the top of the folder, and those of per-school subfolders
    (each MIS exports one school at a time); what else is there is noted."""
    sources, problems, notes = [], [], []
    for path in sorted(folder.iterdir()):
        if path.name.startswith((".", "~$", "_")):
            continue
        if path.is_dir():
            if path.suffix.lower() in TABLE_SUFFIXES and table_for_name(path.stem):
                problems.append(
                    (path.name, None, None, None, "this is a folder, not a file: put the exported file itself here")
                )
                continue
            inner = [
                p
                for p in sorted(path.iterdir())
                if p.is_file() and p.suffix.lower() in TABLE_SUFFIXES and not p.name.startswith((".", "~$"))
            ]
            if not inner:
                notes.append(f"{path.name}/: a folder without CSV or XLSX files; left alone")
                continue
            name, how = (school, "--school") if school else _school_of(path)
            sources += [_Source(p, f"{path.name}/{p.name}", table_for_name(p.stem), name, how) for p in inner]
            continue
        if path.suffix.lower() in TABLE_SUFFIXES:
            sources.append(_Source(path, path.name, table_for_name(path.stem), school, "--school" if school else ""))
        elif path.suffix.lower() == ".zip":
            notes.append(f"{path.name}: a ZIP file; sendlib does not open it: unzip it into the export folder")
        elif path.suffix.lower() == ".xls":
            problems.append((path.name, None, None, None, "an old Excel (.xls) workbook: save it as .xlsx or CSV"))
        elif path.name not in (MANIFEST, MAPPING_FILE, "README.md"):
            notes.append(f"{path.name}: not a file sendlib reads; left alone")
    # the same export saved twice (pupils.csv and pupils.xlsx): one of them must go
    by_stem: dict[tuple, list[_Source]] = {}
    for source in sources:
        if source.table and file_key(source.path.stem) == source.table.replace("_", " "):
            by_stem.setdefault((source.path.parent, source.table), []).append(source)
    for (_, name), same in by_stem.items():
        if len(same) > 1:
            problems.append(
                (", ".join(s.label for s in same), None, None, None, f"more than one file for {name}: keep one")
            )
            sources = [s for s in sources if s not in same]
    return sources, problems, notes


def tables_named(files) -> set[str | None]:
    """The tables the files named in problems hold by their names ("NGRT Autumn 2025.xlsx, sheet
    'Y7'": assessments): which tables a problem concerns when the file could not be read."""
    return {table_for_name(Path(file_of(file)).stem) for file in files}


def _file_names(pieces) -> str:
    """The files ``pieces`` were read from, each named once ("pupils.xlsx", not each of its
    sheets): for a problem that concerns the whole table."""
    return ", ".join(dict.fromkeys(file_of(p.file) for p in pieces))


def _what_is_there(folder: Path) -> str:
    """For a folder without pupils: what it does hold, in words."""
    found = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if path.is_dir():
            inner = [p.name for p in sorted(path.iterdir())[:5]]
            found.append(f"a folder {path.name}/ ({', '.join(inner) or 'empty'})")
        else:
            found.append(path.name)
    return (
        "; the folder holds: " + ", ".join(found[:12]) + (" ..." if len(found) > 12 else "")
        if found
        else "; the folder is empty"
    )


def _parser(column: Column, today: dt.date):
    kind = column.kind
    if kind == "date":
        return partial(_parse.parse_date, today=today, future_ok=column.future_ok)
    if kind in ("number", "money"):
        parse = _parse.parse_number if kind == "number" else _parse.parse_money
        return partial(parse, low=column.low, high=column.high)
    if kind == "choice":
        return partial(_parse.parse_choice, choices=column.choices)
    return getattr(_parse, f"parse_{kind}")


def loose(text) -> str:
    """A text as compared without case or spacing ("Oakfield  primary" and "OAKFIELD PRIMARY"):
    how a school name or a mapped value is matched."""
    return " ".join(str(text).casefold().split())


def _parse_column(texts: pd.Series, column: Column, today: dt.date, values: dict[str, str] | None = None):
    """Parse every cell, once per distinct text: values (object array) and problems. ``values``
    maps a text (compared without case or spacing) to the code to read it as (a profile's or
    the folder's mapping)."""
    parse = _parser(column, today)
    positions, uniques = pd.factorize(texts, sort=False)
    own = {loose(k): v for k, v in (values or {}).items()}
    parsed: list = []
    problems: list = []
    for text in uniques:
        if text == "":
            parsed.append(None)
            problems.append("blank, but a value is required" if column.required and column.kind != "score" else None)
        else:
            value, problem = parse(own.get(loose(text), text))
            parsed.append(value)
            problems.append(problem)
    parsed = np.array(parsed + [None], dtype=object)[positions]
    problems = np.array(problems + [None], dtype=object)[positions]
    return parsed, problems


def _typed(values: np.ndarray, kind: str) -> pd.Series:
    if kind == "date":
        return pd.Series(pd.to_datetime(pd.Series(values, dtype=object)), dtype="datetime64[ns]")
    if kind == "year_group":
        return pd.Series(values, dtype="Int64")
    if kind in ("number", "score", "money"):
        return pd.Series(values, dtype="float64")
    if kind == "flag":
        return pd.Series(values, dtype="boolean")
    return pd.Series(values, dtype="str")


class _Checker:
    """Collects problems for one table; remembers which rows cannot be used (by frame index).
    Each problem names the row's file and the header its value came from."""

    def __init__(self, headers: dict[str, dict[str, str]]):
        self.headers = headers  # file -> column -> header as written
        self.problems: list[tuple] = []
        self.unusable: set[int] = set()

    def add(self, hit: pd.DataFrame, column, values, problem, unusable=False):
        """One problem per row of ``hit`` (``problem`` is one text, or one per row)."""
        cell_headers = hit[f"_header_{column}"].to_numpy() if f"_header_{column}" in hit else [None] * len(hit)
        problems = [problem] * len(hit) if isinstance(problem, str) else problem
        files = hit["file"].astype(object).to_numpy()
        for file, row, value, header, text in zip(files, hit["row"].to_numpy(), values, cell_headers, problems):
            header = header or self.headers.get(file, {}).get(column, column)
            self.problems.append((file, int(row), header, None if pd.isna(value) else str(value), text))
        if unusable:
            self.unusable.update(hit.index)

    def where(self, frame, mask, column, problem, unusable=False, value_column=None):
        hit = frame[np.asarray(mask, dtype=bool)]
        self.add(hit, column, hit[value_column or column], problem, unusable)


def _read_all(sources: list[_Source], context: Context, profile, mapping, problems: list, notes: list):
    """Every sheet of every file, as Extracts by table, and a line of ``reading`` for each."""
    known = known_columns(profile, mapping)
    extracts: dict[str, list[Extract]] = {name: [] for name in TABLES}
    reading = []
    for source in sources:
        try:
            sheets = read_sheets(source.path, known, source.label)
        except DataError as error:
            problems.extend(error.problems.itertuples(index=False, name=None))
            continue

        def table_of(raw, sheets=sheets, source=source):
            """A file's name says its table (its problems named if it does not fit); a sheet's
            name or its file's, if the sheet fits; else the table its header fits."""
            if len(sheets) == 1 and source.table:
                return source.table
            named = table_for_name(raw.sheet) or source.table
            if named and fits(raw, named, profile, mapping):
                return named
            return table_for_header(raw, profile, mapping) if raw.recognised else None

        chosen = [(raw, table_of(raw)) for raw in sheets]
        kept = [(raw, table) for raw, table in chosen if table is not None]
        if not kept and len(sheets) > 1 and source.table:
            kept = [(sheets[0], source.table)]  # no sheet fits: the first, so that its problems are named
        for raw, _ in chosen:
            if all(raw is not k for k, _ in kept) and len(sheets) > 1:
                notes.append(
                    f"{source.label}: sheet '{raw.sheet}' skipped: it does not hold the columns of any "
                    "file sendlib reads (a summary, pivot or cover sheet?)"
                )
        if not kept:
            header = ", ".join(h for h in sheets[0].header if h)[:200] if sheets else ""
            notes.append(f"{source.label}: not a file sendlib recognises (its columns: {header}); left alone")
            continue
        if len(sheets) > 1 and len(kept) == 1:
            raw = kept[0][0]
            _relabel(raw, source.label)
            notes.append(
                f"{source.label}: read the sheet '{raw.sheet}' ({sheets.index(raw) + 1} of {len(sheets)}); "
                "row numbers are that sheet's"
            )
        elif len(kept) > 1:
            notes.append(
                f"{source.label}: {len(kept)} sheets read and stacked ("
                + ", ".join(f"'{raw.sheet}'" for raw, _ in kept)
                + "); row numbers are each sheet's"
            )
        for raw, table in kept:
            here = Context(
                source.school or context.school,
                source.school_source or context.school_source,
                source.path.parent.name,
                source.path.stem,
                raw.sheet,
                raw.title,
                school_is_guess=not source.school and context.school_is_guess,
            )
            piece = extract(raw, table, here, profile, mapping)
            notes.extend(raw.notes + piece.notes)
            problems.extend(raw.problems + piece.problems)
            extracts[table].append(piece)
            read = [h for c, h in piece.headers.items() if not c.startswith("_")]
            reading.append(
                (
                    piece.file,
                    table,
                    len(piece.cells),
                    ", ".join(dict.fromkeys(read)),
                    ", ".join(piece.not_read),
                    piece.profile.title if piece.profile else "",
                )
            )
    if not extracts["sen_history"]:  # a census download (GIAP) gives pupils and their censuses
        for piece in extracts["pupils"]:
            if piece.census is not None and len(piece.census.cells):
                notes.extend(piece.census.notes)
                extracts["sen_history"].append(piece.census)
                reading.append(
                    (
                        piece.file,
                        "sen_history",
                        len(piece.census.cells),
                        ", ".join(
                            h
                            for c, h in piece.census.headers.items()
                            if c in {col.name for col in TABLES["sen_history"].columns}
                        ),
                        "",
                        "",
                    )
                )
    return extracts, pd.DataFrame(reading, columns=READING_COLUMNS)


def _relabel(raw, label: str) -> None:
    old = raw.file
    raw.file = label
    raw.notes = [note.replace(old, label, 1) for note in raw.notes]
    raw.problems = [(label, *problem[1:]) for problem in raw.problems]


def _parse_extract(
    piece: Extract,
    table: Table,
    today: dt.date,
    values: dict,
    problems: list,
    notes: list,
    blank_is_no: AbstractSet[str] = frozenset(),
):
    """The typed frame of one sheet: every column parsed, each bad value a problem; a blank in a
    column of ``blank_is_no`` read as No (or N)."""
    cells = piece.cells
    frame = pd.DataFrame({"file": piece.file, "row": cells["row"].to_numpy(dtype="int64")})
    for extra in [c for c in cells.columns if c.startswith(("_header_", "_from_term"))]:
        frame[extra] = cells[extra].to_numpy()
    for column in table.columns:
        if column.name not in cells:
            frame[column.name] = _typed(np.full(len(frame), None, dtype=object), column.kind)
            continue
        text = cells[column.name].reset_index(drop=True)
        parsed, bad = _parse_column(text, column, today, values.get(column.name))
        for header, kept_as, compared in piece.alternates.get(column.name, []):
            parsed = _second_column(
                piece,
                column,
                header,
                cells[kept_as].reset_index(drop=True),
                compared,
                parsed,
                today,
                values,
                problems,
                notes,
            )
        if column.name in blank_is_no and text.eq("").any():
            blank = text.eq("").to_numpy()
            no, word, read_as = (False, "No", "No") if column.kind == "flag" else (codes.NO_SEN, "N", "N, no SEN")
            parsed, bad = np.where(blank, no, parsed), np.where(blank, None, bad)
            notes.append(
                f"{piece.file}: column '{piece.headers[column.name]}': {int(blank.sum())} blank(s) read as "
                f"{read_as} (the column marks only the pupils it applies to: it holds no {word} anywhere)"
            )
        if pd.notna(bad).any():
            headers = cells.get(f"_header_{column.name}", pd.Series(piece.headers[column.name], index=cells.index))
            for problem in pd.unique(bad[pd.notna(bad)]):
                mask = bad == problem
                problems.extend(
                    (piece.file, int(row), header, value, problem)
                    for row, header, value in zip(frame["row"][mask], headers.to_numpy()[mask], text[mask])
                )
                if column.required:
                    frame.loc[mask, "_unusable"] = True
        frame[column.name] = _typed(parsed, column.kind)
        if column.kind == "score":
            frame["_text_score"] = text.to_numpy()
    return frame


def _second_column(piece, column, header, other, compared, parsed, today, values, problems, notes):
    """A second header for the same column: one as high as the one read (``SEN Need Code`` beside
    ``SEN Need``) must hold the same values, or it is a problem; a lower one (a legal name beside
    a preferred one) is read where the first is blank. Either is noted."""
    theirs, _ = _parse_column(other, column, today, values.get(column.name))
    first = piece.headers[column.name]
    if compared:
        both = pd.notna(parsed) & pd.notna(theirs)
        differ = both & (pd.Series(parsed).astype(str).to_numpy() != pd.Series(theirs).astype(str).to_numpy())
        if differ.any():
            problems.append(
                (
                    piece.file,
                    None,
                    header,
                    None,
                    f"a second column for {column.name} (also '{first}') "
                    f"with different values in {int(differ.sum())} row(s): "
                    "keep one",
                )
            )
            return parsed
    fill = pd.isna(parsed) & pd.notna(theirs)
    if compared:
        notes.append(
            f"{piece.file}: column '{header}' holds the same {column.name} as '{first}'"
            + (f" (and fills {int(fill.sum())} blank(s) there)" if fill.any() else "")
        )
    else:
        notes.append(
            f"{piece.file}: column '{header}' not read: {column.name} is read from '{first}'"
            + (f", and from '{header}' in {int(fill.sum())} row(s) where that is blank" if fill.any() else "")
        )
    return np.where(fill, theirs, parsed)


def _blank_is_no(pieces: list[Extract], table: Table, today: dt.date, values: dict) -> set[str]:
    """The columns that mark only the pupils they apply to and leave the rest blank (an MIS ticks
    FSM-eligible pupils; a SEN status left blank for pupils with no SEN): a yes (or a K or E)
    somewhere, a blank somewhere, and no No (or N) in any file or sheet of the table."""
    out = set()
    for column in table.columns:
        if column.kind not in ("flag", "provision"):
            continue
        texts = list(
            dict.fromkeys(t for p in pieces if column.name in p.cells for t in pd.unique(p.cells[column.name]))
        )
        if "" not in texts:
            continue
        parsed = pd.Series(_parse_column(pd.Series(texts, dtype=object), column, today, values.get(column.name))[0])
        marked = parsed.eq(True).any() if column.kind == "flag" else parsed.isin(["K", "E"]).any()
        if marked and not parsed.eq(False if column.kind == "flag" else codes.NO_SEN).any():
            out.add(column.name)
    return out


def _check_unique(frame, table: Table, check: _Checker):
    if not table.unique or frame.empty:
        return
    # text in a key is compared as a person reads it: "Phonics catch-up" is "phonics catch up"
    keys = frame[list(table.unique)].copy()
    for column in table.unique:
        if table.column(column).kind == "text":
            keys[column] = keys[column].str.casefold().str.replace(r"[^0-9a-z]+", " ", regex=True).str.strip()
    duplicated = keys.duplicated(keep=False) & keys.notna().all(axis=1)
    if not duplicated.any():
        return
    # the first row of each group, in file order: later ones name it (and its file when another)
    twins = frame[duplicated]
    first = (
        twins.index.to_series().groupby([keys.loc[duplicated, c] for c in table.unique], sort=False).transform("first")
    )
    later = twins[twins.index != first.to_numpy()]
    origin = frame.loc[first[later.index].to_numpy(), ["file", "row"]]
    same_file = origin["file"].astype(object).to_numpy() == later["file"].astype(object).to_numpy()
    what = f"a second row for the same {' and '.join(table.unique)}: also in "  # one kind, grouped by validate
    texts = [
        what + (f"row {row}" if same else f"{file} row {row}")
        for same, file, row in zip(same_file, origin["file"].astype(object), origin["row"])
    ]
    check.add(later, table.unique[0], later[table.unique[0]].to_numpy(), texts, unusable=True)


def _january_censuses(frame: pd.DataFrame, check: _Checker, notes: list[str]) -> pd.DataFrame:
    """The January censuses of a census history, with a note for rows of other censuses (May,
    October) left out: the history, the trend and the forecast count each January once, and a
    year's censuses summed would count its pupils two or three times."""
    other = frame["census_date"].notna() & frame["census_date"].dt.month.ne(1)
    if not other.any():
        return frame
    for file, rows in frame[other].groupby("file", observed=True):
        days = sorted(rows["census_date"].dt.strftime("%d %b %Y").unique(), key=lambda d: pd.Timestamp(d))
        shown = ", ".join(days[:3]) + (f" and {len(days) - 3} more" if len(days) > 3 else "")
        notes.append(
            f"{file}: {len(rows)} row(s) from censuses other than January's ({shown}; spreadsheet rows "
            f"{', '.join(map(str, rows['row'].head(5)))}{', ...' if len(rows) > 5 else ''}) left out: the "
            "census history, the trend and the forecast use each January census once"
        )
    check.unusable -= set(frame.index[other])
    return frame[~other]


def _check_needs(frame, check: _Checker, today: dt.date):
    provision, need = frame["sen_provision"], frame["primary_need"]
    send = provision.isin(["K", "E"])
    no_column = frame["file"].map(lambda file: "primary_need" not in check.headers.get(file, {})).astype(bool)
    for file, rows in frame[send & no_column].groupby("file", observed=True)["row"]:
        check.problems.append(
            (
                file,
                None,
                "primary_need",
                None,
                f"no primary need column, and {len(rows)} pupil(s) at K (SEN support) or E (EHC plan) "
                "need one: export it (SEN Need Type, Primary SEN Need), or name it in mapping.toml",
            )
        )
    check.where(
        frame,
        send & need.isna() & ~no_column,
        "primary_need",
        "blank, but pupils at K (SEN support) or E (EHC plan) need a primary need",
        value_column="sen_provision",
    )
    check.where(
        frame,
        provision.eq("N") & need.notna(),
        "primary_need",
        "a primary need is given for a pupil with no SEN (provision N)",
    )
    check.where(
        frame,
        provision.eq("E") & need.eq(codes.NEED_ONLY_WITH_SEN_SUPPORT),
        "primary_need",
        "NSA (no specialist assessment) is allowed only with SEN support (K), not with an EHC plan",
    )
    if "secondary_need" in frame:
        second = frame["secondary_need"]
        check.where(
            frame,
            provision.eq("N") & second.notna(),
            "secondary_need",
            "a secondary need is given for a pupil with no SEN (provision N)",
        )
        check.where(
            frame,
            second.notna() & second.eq(need),
            "secondary_need",
            "the secondary need is the same as the primary need",
        )


def _check_pupils(frame, check: _Checker, today: dt.date):
    _check_needs(frame, check, today)
    dob = frame["date_of_birth"]
    oldest = pd.Timestamp(today) - pd.DateOffset(years=OLDEST_PUPIL_YEARS)
    check.where(
        frame,
        dob.notna() & (dob < oldest),
        "date_of_birth",
        f"this date of birth makes the pupil over {OLDEST_PUPIL_YEARS}: is the year right?",
        unusable=True,
    )
    entered = frame["entered_english_schooling"]
    check.where(
        frame,
        entered.notna() & dob.notna() & (entered < dob),
        "entered_english_schooling",
        "before the pupil's date of birth",
    )


def _check_provisions(frame, check: _Checker, notes: list):
    check.where(frame, frame["end"].notna() & (frame["end"] < frame["start"]), "end", "before it started (start)")
    # the same intervention twice for a pupil over the same days: two blocks, or one entered twice
    usable = frame.drop(index=sorted(check.unusable)).dropna(subset=["upn", "intervention", "start"])
    rows = usable.assign(_key=usable["intervention"].map(loose)).sort_values(["upn", "_key", "start"], kind="stable")
    group = [rows["upn"], rows["_key"]]
    ends = rows["end"].fillna(pd.Timestamp.max)  # no end: it runs on
    latest = ends.groupby(group).cummax().groupby(group).shift()  # the latest end of the rows before
    overlapping = rows[rows["start"] <= latest]
    for file, found in overlapping.groupby("file", observed=True):
        notes.append(
            f"{file}: {len(found)} row(s) give a pupil an intervention they already have over the same days "
            f"(from row {found['row'].min()}): check each is a separate provision, not one entered twice; "
            "each is costed"
        )


def _check_support_plans(frame, check: _Checker, today: dt.date):
    for column in ("review_due", "review_held"):
        check.where(
            frame,
            frame[column].notna() & (frame[column] < frame["plan_start"]),
            column,
            "before the plan started (plan_start)",
        )


# An EHC event that answers another must come on or after it: (event, what it answers).
# Events that need a plan: none may come before the first plan_issued on record.
EHC_PLAN_EVENTS = (
    "review_invites_sent",
    "review_papers_sent",
    "review_meeting",
    "review_report_sent",
    "reassessment_requested",
    "plan_amended",
    "plan_ceased",
)


def _check_ehc_events(frame, pupils, check: _Checker):
    """Event histories that cannot be right: answers before questions, reviews before plans."""
    events = frame.dropna(subset=["upn", "event", "date"]).sort_values(["upn", "date"], kind="stable")
    events = events.assign(_index=events.index)
    for answer, question in EHC_ANSWERS.items():
        # each answer needs a question on or before it, after the previous answer of the pupil
        answered = events[events["event"] == answer]
        answered = answered.assign(_previous=answered.groupby("upn")["date"].shift().fillna(pd.Timestamp.min))
        questions = (question, *EHC_QUESTIONS_ALSO.get(question, ()))
        asked = events.loc[events["event"].isin(questions), ["upn", "date"]].rename(columns={"date": "_asked"})
        latest = pd.merge_asof(
            answered.sort_values("date", kind="stable"),
            asked.sort_values("_asked", kind="stable"),
            left_on="date",
            right_on="_asked",
            by="upn",
        )
        for index, date in latest.loc[~(latest["_asked"] >= latest["_previous"]), ["_index", "date"]].itertuples(
            index=False
        ):
            check.add(
                frame.loc[[index]],
                "event",
                [answer],
                f"{answer} on {date:%d/%m/%Y} has no {' or '.join(questions)} on or before it (events out of order, "
                "or one missing)",
            )
    issued = events["date"].where(events["event"] == "plan_issued").groupby(events["upn"]).transform("min")
    early = events["event"].isin(EHC_PLAN_EVENTS) & (events["date"] < issued)
    for first, rows in events[early].groupby(issued[early], sort=False):
        check.add(rows, "event", rows["event"], f"before the first plan_issued on record ({first:%d/%m/%Y})")
    # a request for an assessment while a plan is in force: the plan came first (a pupil with a
    # plan asks for a re-assessment), unless it had ceased. In force: the pupil's latest
    # plan_issued or plan_ceased before the request (in the events' order) is a plan_issued.
    kinds = events[events["event"].isin(["assessment_requested", "plan_issued", "plan_ceased"])]
    order = pd.Series(np.arange(len(kinds)), index=kinds.index)
    by_pupil = kinds["upn"]
    last_issued = order.where(kinds["event"] == "plan_issued", -1).groupby(by_pupil).cummax()
    last_ceased = order.where(kinds["event"] == "plan_ceased", -1).groupby(by_pupil).cummax()
    issued_on = kinds["date"].where(kinds["event"] == "plan_issued").groupby(by_pupil).ffill()
    clash = (kinds["event"] == "assessment_requested") & (last_issued > last_ceased)
    for index, date, in_force in zip(kinds.index[clash], kinds["date"][clash], issued_on[clash]):
        check.add(
            frame.loc[[index]],
            "event",
            ["assessment_requested"],
            f"assessment_requested on {date:%d/%m/%Y} comes after plan_issued on {in_force:%d/%m/%Y} with no "
            "plan_ceased between: is the plan's date wrong? (a pupil with a plan asks for a re-assessment: "
            "reassessment_requested)",
        )
    if pupils is not None:
        # a pupil at N may have EHC events when no plan is in force and the history says why: a
        # request (a parent may ask for any child), a refusal, or the plan ceased
        last = events.pivot_table(index="upn", columns="event", values="date", aggfunc="max")
        last = last.reindex(columns=["plan_issued", "plan_ceased", "assessment_requested", "decision_not_to_assess"])
        last = last.apply(lambda column: pd.to_datetime(column).astype("datetime64[ns]"))
        issued = last["plan_issued"]
        in_force = issued.notna() & ~last["plan_ceased"].gt(issued)
        explained = last[["plan_ceased", "assessment_requested", "decision_not_to_assess"]].notna().any(axis=1)
        no_sen = set(pupils.loc[pupils["sen_provision"] == "N", "upn"]) - set(last.index[~in_force & explained])
        check.where(
            frame,
            isin(frame["upn"], no_sen),
            "upn",
            "EHC events for a pupil with no SEN provision (N) in pupils: is the provision out of date?",
        )
        with_plan = set(pupils.loc[pupils["sen_provision"] == "E", "upn"])
        issued_for = set(frame.loc[frame["event"] == "plan_issued", "upn"])
        for upn in sorted(with_plan & set(frame["upn"]) - issued_for):
            first = frame[frame["upn"] == upn].head(1)
            check.add(
                first,
                "upn",
                [upn],
                "this pupil has an EHC plan but no plan_issued event: the annual review cannot be checked",
            )


def _check_assessments(frame, check: _Checker, scales: pd.DataFrame):
    frame["scale"] = frame["scale"].map(codes.scale_name, na_action="ignore").astype("str")
    known = frame["scale"].isin(scales["scale"])
    check.where(
        frame,
        frame["scale"].notna() & ~known,
        "scale",
        f"unknown scale; expected {', '.join(scales['scale'])} or a scale defined in scales.csv",
        unusable=True,
    )
    bounds = frame[["scale"]].merge(scales[["scale", "min", "max"]], on="scale", how="left")
    out = frame["score"].notna() & (
        (frame["score"] < bounds["min"].to_numpy()) | (frame["score"] > bounds["max"].to_numpy())
    )
    for scale, rows in frame[out].groupby("scale"):
        low, high = bounds.loc[rows.index[0], ["min", "max"]]  # the scale's range, merged in above
        check.add(
            rows,
            "score",
            rows["_text_score"],
            f"outside the range of its scale ({scale}: {low:g} to {high:g})",
            unusable=True,
        )
    frame["no_score"] = pd.Series(
        np.where(frame["score"].isna(), frame["_text_score"].map(codes.no_score_reason), None), dtype="str"
    )


def _term_dates_by(frame, as_of: pd.Timestamp, notes: list) -> None:
    """A date worked out from a term lies in the middle of the term's assessment window; for the
    term the export was made in, that can be after the export: such a score is dated the data
    date instead, and noted."""
    if "_from_term" not in frame:
        return
    late = frame["_from_term"].eq(True) & frame["assessment_date"].gt(as_of)
    if late.any():
        frame.loc[late, "assessment_date"] = as_of
        for file, count in frame.loc[late, "file"].value_counts().items():
            if count:
                notes.append(
                    f"{file}: {count} score(s) of a term still under way dated {as_of:%d/%m/%Y}, the data "
                    "date, not the term's usual date"
                )


def _scales_table(custom: pd.DataFrame | None, check: _Checker | None) -> pd.DataFrame:
    built_in = pd.DataFrame([{"scale": name, **spec} for name, spec in codes.BUILT_IN_SCALES.items()])
    built_in["source"] = "built in"
    if custom is None or custom.empty:
        return built_in
    custom = custom.copy()
    custom["scale"] = custom["scale"].map(codes.scale_name, na_action="ignore")
    if check is not None:
        check.where(custom, custom["max"] <= custom["min"], "max", "max must be above min", unusable=True)
        check.where(
            custom,
            custom["scale"].isin(built_in["scale"]),
            "scale",
            "a built-in scale cannot be redefined; give it another name",
            unusable=True,
        )
    custom["source"] = "scales.csv"
    return pd.concat([built_in, custom.drop(columns=["file", "row"])], ignore_index=True)


def _read_manifest(manifest: dict | None, notes: list) -> pd.Timestamp | None:
    """The export's date, ``exported_on`` in ``manifest`` (:func:`_manifest`); None without one,
    and a note when it cannot be read."""
    try:
        exported = manifest.get("exported_on") if manifest is not None else "unreadable"
        return pd.Timestamp(dt.date.fromisoformat(exported)) if exported else None
    except (ValueError, TypeError):
        notes.append(f"{MANIFEST}: could not read its exported_on date; the newest dated record is used instead")
        return None


# The dates that say how recent an export is: each table's record dates (not birth dates,
# nor plans' review dates, which may be ahead).
RECORD_DATES = {
    "assessments": "assessment_date",
    "parent_meetings": "meeting_date",
    "ehc_events": "date",
    "sen_history": "census_date",
    "support_plans": "review_held",
    "eal_evidence": "recorded_on",
    "provisions": "start",
}


def _data_date(frames: dict, manifest: pd.Timestamp | None, today: dt.date) -> tuple[pd.Timestamp, str]:
    """(as_of, where it came from): the manifest's ``exported_on``, else the newest dated record,
    else (said so on every surface) today."""
    if manifest is not None:
        return manifest, f"the export's date in {MANIFEST}"
    newest = [
        (frames[name][column].max(), name)
        for name, column in RECORD_DATES.items()
        if name in frames and frames[name][column].notna().any()
    ]
    if newest:
        date, name = max(newest)
        return pd.Timestamp(date).normalize(), f"the newest dated record ({name}, {date:%d/%m/%Y})"
    return pd.Timestamp(today), "today's date"


def _school_names(manifest: dict | None, notes: list) -> dict[str, str]:
    """``manifest.json``'s ``"schools"``: a name for each school an export gives only as a number
    (a census download's URN), ``{"999106": "Oakfield Primary"}``; {} without one."""
    names = (manifest or {}).get("schools", {})  # an unreadable manifest: said with its date
    if not isinstance(names, dict) or not all(isinstance(name, str) and name.strip() for name in names.values()):
        notes.append(f'{MANIFEST}: "schools" is not pairs of a number and a name, as {{"999106": "Oak"}}: not read')
        return {}
    return {str(number).strip(): name.strip() for number, name in names.items()}


def _unify_schools(frames: dict, notes: list, names: dict[str, str] | None = None) -> None:
    """One spelling per school: names that differ only in capitals or spacing are read as the
    spelling most rows use, and a note says so, so that no school is split in two. A school
    given by number is read as its name in ``names`` (:func:`_school_names`); one with none is
    named in a note saying how to name it."""
    named = {name: frame for name, frame in frames.items() if "school" in frame.columns}
    used = set()
    for frame in named.values():
        numbered = frame["school"].map(lambda s: names.get(str(s).strip()) if names and pd.notna(s) else None)
        if numbered.notna().any():
            used |= {str(s).strip() for s in frame.loc[numbered.notna(), "school"]}
            frame["school"] = numbered.fillna(frame["school"]).astype(frame["school"].dtype)
    if names:
        unused = [number for number in names if number not in used]
        notes.append(
            f'{MANIFEST}: {len(used)} school(s) named from their numbers (its "schools")'
            + (f"; no school in the export is numbered {', '.join(unused)}" if unused else "")
        )
    spellings = pd.concat([frame["school"] for frame in named.values()]).dropna() if named else pd.Series([])

    canonical: dict[str, str] = {}
    for spelling in spellings.value_counts().index:  # the most used first
        canonical.setdefault(loose(spelling), spelling)
    for frame in named.values():
        school = frame["school"]
        read_as = school.map(lambda s: s if pd.isna(s) else canonical[loose(s)])
        changed = school.notna() & school.ne(read_as)
        for (file, variant), rows in frame[changed].groupby(["file", "school"], sort=False)["row"]:
            notes.append(
                f"{file}: school '{variant}' ({len(rows)} row(s) from row {rows.min()}) "
                f"read as '{canonical[loose(variant)]}', the spelling most rows use"
            )
        if changed.any():
            frame["school"] = read_as.astype(school.dtype)
    numbers = sorted({str(s) for s in canonical.values() if str(s).strip().isdigit()})
    if numbers:
        shown = ", ".join(numbers[:5]) + (" ..." if len(numbers) > 5 else "")
        notes.append(
            f"Schools named by number only ({shown}): the export gives no names. To name them, add "
            f'"schools": {{"{numbers[0]}": "its name", ...}} to {MANIFEST}'
        )


def _year_not_followed(frame, check: _Checker, as_of: pd.Timestamp, notes: list) -> None:
    """NC year X (the national curriculum not followed): the year group of the pupil's age."""
    x = frame["year_group"].eq(codes.YEAR_NOT_FOLLOWED).fillna(False)
    if not x.any():
        return
    by_age = frame.loc[x, "date_of_birth"].map(lambda dob: codes.year_group_for_age(dob, as_of))
    frame.loc[x, "year_group"] = by_age.astype("Int64")
    for file, rows in frame[x].groupby("file")["row"]:
        notes.append(
            f"{file}: {len(rows)} pupil(s) with NC year X (curriculum not followed) given the year "
            "group of their age, from the date of birth"
        )
    check.where(
        frame,
        x & frame["year_group"].isna(),
        "year_group",
        "NC year X and no usable date of birth: the year group cannot be worked out",
        unusable=True,
    )


def read_folder(folder: Path, profile: str | None = None, school: str | None = None):
    """The first half of loading: every file and sheet of the folder mapped to sendlib's
    columns, still text. Returns (extracts by table, reading, problems, notes, values), where
    ``values`` are the value mappings of the chosen profile and the folder's mapping.toml."""
    chosen = profile_named(profile)
    mapping = read_mapping(folder / MAPPING_FILE)
    values = {column: dict(table) for column, table in (chosen.values if chosen else {}).items()}
    for column, table in (mapping.values if mapping else {}).items():
        values.setdefault(column, {}).update(table)
    sources, problems, notes = _inventory(folder, school or "")
    if mapping is not None:
        notes.append(
            f"{MAPPING_FILE}: {len(mapping.headers)} header(s) and "
            f"{sum(map(len, mapping.values.values()))} value(s) of the school's own mapping used"
        )
    top_school, how = (school, "--school") if school else _school_of(folder)
    # the export folder's own name is a last resort: it fills no blank cell of a school column
    context = Context(top_school, how, folder.name, school_is_guess=how == "its folder's name")
    extracts, reading = _read_all(sources, context, chosen, mapping, problems, notes)
    return extracts, reading, problems, notes, values


def load_trust(path, strict: bool = True, profile: str | None = None, school: str | None = None) -> TrustData:
    """Load a trust's export folder.

    Parameters
    ----------
    path : str or Path
        The folder of CSV / XLSX files (see :mod:`sendlib.schema`), or of one folder per
        school. Files may be named and laid out as an MIS or test vendor exports them (see
        :mod:`sendlib.profiles`). Only pupils are required.
    strict : bool, default True
        Raise a DataError listing every problem. With False, return the data with
        ``.problems`` filled in: bad optional values become missing, rows with a bad
        required value are left out, and each is listed.
    profile : str, optional
        The name of an import profile to prefer where vendors' headers disagree (see
        :data:`sendlib.profiles.PROFILES`); by default each file's best fit.
    school : str, optional
        The school of files that do not say it (one school's export).

    Returns
    -------
    TrustData

    Raises
    ------
    DataError
        When the folder breaks the data contract (strict), or cannot be read at all.

    Examples
    --------
    >>> trust = load_trust(SAMPLE_DIR)
    >>> sorted(trust.pupils["sen_provision"].unique())
    ['E', 'K', 'N']
    """
    folder = Path(path)
    if not folder.is_dir():
        raise DataError(
            problems_frame([(str(folder), None, None, None, "no such folder: give the folder that holds pupils.csv")])
        )
    today = dt.date.today()
    extracts, reading, problems, notes, values = read_folder(folder, profile, school)
    frames, checkers = {}, {}
    for name, table in TABLES.items():
        pieces = [p for p in extracts[name] if not any(c.required and c.name not in p.cells for c in table.columns)]
        if not pieces:
            continue
        blank_is_no = _blank_is_no(pieces, table, today, values)
        frame = pd.concat(
            [_parse_extract(p, table, today, values, problems, notes, blank_is_no) for p in pieces], ignore_index=True
        )
        frame["file"] = frame["file"].astype("category")
        checkers[name] = _Checker({p.file: p.headers for p in pieces})
        if "_unusable" in frame:
            checkers[name].unusable |= set(frame.index[frame["_unusable"].eq(True)])
        frames[name] = frame
    if (
        "pupils" not in frames
        and not extracts["pupils"]
        and not any(p[4].startswith("more than one file for pupils") for p in problems)
        and "pupils" not in tables_named(p[0] for p in problems)  # one that cannot be read
    ):
        problems.append(
            (
                "pupils.csv",
                None,
                None,
                None,
                "not in the folder (nor pupils.xlsx, nor a student list sendlib recognises), "
                f"and the pupils are always needed{_what_is_there(folder)}",
            )
        )
    scales = _scales_table(frames.get("scales"), checkers.get("scales"))
    manifest = _manifest(folder)
    exported = _read_manifest(manifest, notes)
    as_of, as_of_source = _data_date(frames, exported, today)
    for name, frame in frames.items():
        check = checkers[name]
        table = TABLES[name]
        _check_unique(frame, table, check)
        if name == "pupils":
            _year_not_followed(frame, check, as_of, notes)
            _check_pupils(frame, check, today)
        if name == "sen_history":
            frames[name] = frame = _january_censuses(frame, check, notes)
            _check_needs(frame, check, today)
        if name in ("pupils", "sen_history"):
            frame["need_area"] = frame["primary_need"].map(codes.NEED_AREA).astype("str")
        if name == "pupils":
            frame["eal"] = pd.Series([codes.is_eal(v) for v in frame["first_language"]], dtype="boolean")
        if name == "support_plans":
            _check_support_plans(frame, check, today)
        if name == "provisions":
            _check_provisions(frame, check, notes)
        if name == "costs":
            check.where(frame, frame["sen_provision"].eq("N"), "sen_provision", "costs are for K or E, not N")
        if name == "assessments":
            _check_assessments(frame, check, scales)
            _term_dates_by(frame, as_of, notes)
    _unify_schools(frames, notes, _school_names(manifest, notes))
    pupils = frames.get("pupils")
    if pupils is not None and pupils.empty and not checkers["pupils"].problems:
        problems.append(
            (
                _file_names(extracts["pupils"]),
                None,
                None,
                None,
                "the file has a header row but no pupils: export it again with its rows",
            )
        )
        del frames["pupils"]
        pupils = None
    if pupils is not None:
        # a pupil whose row is left out (a problem in it) takes their rows in the other files
        # with them, in words: kept, they would be rows of no pupil
        known = set(pupils["upn"].dropna())
        left_out = known - set(pupils["upn"].drop(index=sorted(checkers["pupils"].unusable)).dropna())
        english = set(pupils.loc[pupils["eal"].eq(False).fillna(False), "upn"])
        pupils_files = _file_names(extracts["pupils"])
        for name, frame in frames.items():
            if not TABLES[name].pupil_upns_in_pupils:
                continue
            check = checkers[name]
            check.where(
                frame,
                frame["upn"].notna() & ~isin(frame["upn"], known),
                "upn",
                f"this UPN is not a pupil in {pupils_files}",
                unusable=True,
            )
            check.where(  # not when the load stops on the first problems anyway (strict)
                frame,
                isin(frame["upn"], left_out) & (not strict),
                "upn",
                f"this pupil's row in {pupils_files} is left out (its problem is listed there), so this row is too",
                unusable=True,
            )
            if name == "ehc_events":
                _check_ehc_events(frame, pupils, check)
            if name == "eal_evidence":
                check.where(
                    frame,
                    isin(frame["upn"], english),
                    "upn",
                    "an EAL evidence record for a pupil whose first language is English in pupils",
                )
    for check in checkers.values():
        problems.extend(check.problems)
    problem_table = problems_frame(problems).sort_values(["file", "row"], na_position="first", kind="stable")
    if strict and len(problem_table):
        raise DataError(
            problem_table, f"{len(problem_table)} problem{'s' if len(problem_table) != 1 else ''} found in {folder}"
        )
    rows_left_out = sum(len(checkers[name].unusable) for name in frames)
    for name, frame in frames.items():
        unusable = checkers[name].unusable
        if unusable:
            left_out = frame.loc[sorted(unusable), "file"].value_counts()
            notes += [
                f"{file}: {count} row(s) left out because of the problems listed"
                for file, count in left_out[left_out > 0].items()
            ]
            frame = frame.drop(index=sorted(unusable)).reset_index(drop=True)
        frames[name] = frame.drop(columns=[c for c in frame.columns if c.startswith("_")])
    if frames.get("pupils") is None:
        raise DataError(problem_table, "pupils could not be loaded")
    files = {name: ", ".join(dict.fromkeys(p.file for p in extracts[name])) for name in frames}
    return TrustData(
        pupils=frames["pupils"],
        scales=scales,
        **{name: frames.get(name) for name in TABLES if name not in ("pupils", "scales")},
        source=folder,
        files=files,
        problems=problem_table.reset_index(drop=True),
        rows_left_out=rows_left_out,
        notes=notes,
        as_of=as_of,
        as_of_source=as_of_source,
        reading=reading,
    )


_SAMPLE: dict[tuple, TrustData] = {}


def load_sample() -> TrustData:
    """The bundled synthetic trust (``data/sample``): no real pupil in it.

    Read once per process and day (its files are the package's own and do not change while it
    runs; a changed file is read again); each call gets its own copy, which it may change.
    Across processes (each notebook kernel, each command) the parsed sample is kept in the
    cache folder (:func:`sendlib._paths.cache_folder`) for the same files, day, sendlib code
    and pandas and numpy: read there in milliseconds instead of parsed in half a second.
    """
    files = tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(SAMPLE_DIR.iterdir()))
    key = (dt.date.today(), files)
    if key not in _SAMPLE:
        _SAMPLE.clear()
        _SAMPLE[key] = _parsed_sample(key)
    return copy.deepcopy(_SAMPLE[key])


def _parsed_sample(key: tuple) -> TrustData:
    """The sample parsed, or as another process parsed it for the same ``key`` (the files and
    the day), sendlib code, pandas and numpy. Only the synthetic sample is kept this way: never an
    export of real pupils."""
    import pickle

    from . import __version__

    what = repr((__version__, code_digest(), pd.__version__, np.__version__, str(SAMPLE_DIR), key))
    target = cache_folder() / f"sample-{hashlib.sha256(what.encode()).hexdigest()[:32]}.pickle"
    try:
        with open(target, "rb") as handle:
            return pickle.load(handle)
    except Exception:  # none yet, or unreadable: parsed here, as without a cache
        pass
    trust = load_trust(SAMPLE_DIR)
    try:
        target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        for old in target.parent.glob("sample-*.pickle"):  # another day's or another code's
            old.unlink(missing_ok=True)
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        with open(partial, "wb") as handle:
            pickle.dump(trust, handle)
        os.replace(partial, target)  # whole or not at all, for a process reading it at once
    except OSError:  # no writable cache folder
        pass
    return trust


def load(data_dir: str | Path = "", strict: bool = False) -> TrustData:
    """The trust in ``data_dir`` (else $SENDLIB_DATA, else the bundled sample), its problems
    kept (``strict=False``): what the dashboards, notebooks and reports read. The bundled
    sample, named or not, is read once (:func:`load_sample`)."""
    data_dir = str(data_dir or os.environ.get(DATA_ENV, ""))
    sample = not data_dir or Path(data_dir).resolve() == SAMPLE_DIR.resolve()
    return load_sample() if sample else load_trust(data_dir, strict=strict)


def export_files(data_dir: Path) -> list[Path]:
    """Every file of the export folder and its per-school folders (hidden files left out)."""
    files = [p for p in sorted(Path(data_dir).iterdir()) if not p.name.startswith(".")]
    files = [f for p in files for f in ([p] if p.is_file() else sorted(p.iterdir()) if p.is_dir() else [])]
    return [p for p in files if p.is_file() and not p.name.startswith(".")]


def input_hashes(data_dir: Path) -> dict[str, str]:
    """SHA-256 of every file in the export folder and its per-school folders (the audit trail
    of a report), by path within the folder."""
    return {
        p.relative_to(data_dir).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in export_files(data_dir)
    }
