"""Loading a trust's export folder: read, map headers, parse, check, type.

``load_trust`` reads every file the folder has (see :mod:`sendlib.schema`), collects
every problem across all files, and raises one :class:`~sendlib.DataError` listing them;
with ``strict=False`` it returns the data with the problems attached instead, leaving out
only rows that cannot be used (a bad value in a required column), each one reported.
Input files are opened read-only and never changed.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from . import _parse, codes
from ._paths import SAMPLE_DIR
from ._read import TABLE_SUFFIXES, normalise_header, read_table
from .exceptions import DataError, problems_frame
from .schema import TABLES, Column, Table

MANIFEST = "manifest.json"
# A date of birth this many years before today is not a pupil's (a typing slip in the year).
OLDEST_PUPIL_YEARS = 30


@dataclass
class TrustData:
    """A trust's export folder, loaded: one DataFrame per file (None when absent).

    Every table keeps the columns of :data:`sendlib.schema.TABLES` with their types and a
    ``row`` column, the row of the source file as a spreadsheet shows it. ``pupils`` and
    ``sen_history`` also carry ``need_area`` (broad area of the primary need); ``pupils``
    carries ``eal`` (first language other than English; missing when unknown);
    ``assessments`` carries ``no_score`` (why a row has no score: blank, absent, not taken).
    ``scales`` lists the built-in scales and any from ``scales.csv``.
    """

    pupils: pd.DataFrame
    assessments: pd.DataFrame | None = None
    scales: pd.DataFrame | None = None
    sen_history: pd.DataFrame | None = None
    eal_evidence: pd.DataFrame | None = None
    support_plans: pd.DataFrame | None = None
    parent_meetings: pd.DataFrame | None = None
    ehc_events: pd.DataFrame | None = None
    source: Path | None = None
    files: dict[str, str] = field(default_factory=dict)  # table name -> file name read
    problems: pd.DataFrame = field(default_factory=problems_frame)
    notes: list[str] = field(default_factory=list)
    as_of: pd.Timestamp = field(default_factory=lambda: pd.Timestamp(dt.date.today()))

    @property
    def schools(self) -> list[str]:
        """The schools in ``pupils``, sorted."""
        return sorted(self.pupils["school"].dropna().unique())

    def require(self, table: str) -> pd.DataFrame:
        """The table, or a DataError saying which file the folder lacks."""
        frame = getattr(self, table)
        if frame is None:
            raise DataError(problems_frame([(f"{table}.csv", None, None, None,
                                             f"this needs {table}.csv (or .xlsx) in the export folder, which has none")]))
        return frame


def _find_files(folder: Path) -> tuple[dict[str, Path], list[tuple], list[str]]:
    found: dict[str, list[Path]] = {}
    notes = []
    problems = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith((".", "~$")):
            continue
        stem = re.sub(r"[^0-9a-z]+", "_", path.stem.lower()).strip("_")
        table_file = path.suffix.lower() in TABLE_SUFFIXES and stem in TABLES
        if not path.is_file():
            if table_file:
                problems.append((path.name, None, None, None,
                                 "this is a folder, not a file: put the exported file itself here"))
            continue
        if table_file:
            found.setdefault(stem, []).append(path)
        elif path.name not in (MANIFEST, "README.md"):
            notes.append(f"{path.name}: not a file sendlib reads; left alone")
    files = {}
    for name, paths in found.items():
        if len(paths) > 1:
            problems.append((", ".join(p.name for p in paths), None, None, None,
                             f"more than one file for {name}: keep one"))
        else:
            files[name] = paths[0]
    return files, problems, notes


def _map_headers(raw, table: Table, problems: list) -> dict[str, int]:
    """Canonical column name -> position in the file; missing required columns reported."""
    positions: dict[str, int] = {}
    by_header = {h: c.name for c in table.columns for h in c.headers()}
    for position, text in enumerate(raw.header):
        name = by_header.get(normalise_header(text))
        if name is None:
            if text and raw.cells[position].ne("").any():
                raw.notes.append(f"{raw.file}: column '{text}' is not one sendlib reads; left alone")
            continue
        if name in positions:
            problems.append((raw.file, raw.header_row, text, None,
                             f"a second column for {name} (also '{raw.header[positions[name]]}'): keep one"))
            continue
        positions[name] = position
    for column in table.columns:
        if column.required and column.name not in positions:
            problems.append((raw.file, raw.header_row, column.name, None,
                             f"required column {column.name} is missing (the header row has: "
                             f"{', '.join(h for h in raw.header if h)})"))
    return positions


def _parser(column: Column, today: dt.date):
    kind = column.kind
    if kind == "date":
        return partial(_parse.parse_date, today=today, future_ok=column.future_ok)
    if kind == "number":
        return partial(_parse.parse_number, low=column.low, high=column.high)
    if kind == "choice":
        return partial(_parse.parse_choice, choices=column.choices)
    return getattr(_parse, f"parse_{kind}")


def _parse_column(texts: pd.Series, column: Column, today: dt.date):
    """Parse every cell, once per distinct text: values (object array) and problems."""
    parse = _parser(column, today)
    positions, uniques = pd.factorize(texts, sort=False)
    values, problems = [], []
    for text in uniques:
        if text == "":
            values.append(None)
            problems.append("blank, but a value is required" if column.required and column.kind != "score" else None)
        else:
            value, problem = parse(text)
            values.append(value)
            problems.append(problem)
    values = np.array(values + [None], dtype=object)[positions]
    problems = np.array(problems + [None], dtype=object)[positions]
    return values, problems


def _typed(values: np.ndarray, kind: str) -> pd.Series:
    if kind == "date":
        return pd.Series(pd.to_datetime(pd.Series(values, dtype=object)), dtype="datetime64[ns]")
    if kind == "year_group":
        return pd.Series(values, dtype="Int64")
    if kind in ("number", "score"):
        return pd.Series(values, dtype="float64")
    if kind == "flag":
        return pd.Series(values, dtype="boolean")
    return pd.Series(values, dtype="str")


class _Checker:
    """Collects problems for one table; remembers which rows cannot be used."""

    def __init__(self, file: str, headers: dict[str, str]):
        self.file, self.headers = file, headers
        self.problems: list[tuple] = []
        self.unusable: set[int] = set()

    def add(self, rows, column, values, problem, unusable=False):
        header = self.headers.get(column, column)
        for row, value in zip(rows, values):
            self.problems.append((self.file, int(row), header, None if pd.isna(value) else str(value), problem))
            if unusable:
                self.unusable.add(int(row))

    def where(self, frame, mask, column, problem, unusable=False, value_column=None):
        hit = frame[np.asarray(mask, dtype=bool)]
        self.add(hit["row"], column, hit[value_column or column], problem, unusable)


def _load_table(path: Path, table: Table, today: dt.date, all_problems: list, notes: list):
    try:
        raw = read_table(path, {h for c in table.columns for h in c.headers()})
    except DataError as error:
        all_problems.extend(error.problems.itertuples(index=False, name=None))
        return None, None
    all_problems.extend(raw.problems)
    positions = _map_headers(raw, table, all_problems)
    notes.extend(raw.notes)  # after the header mapping, which notes the columns it does not read
    if any(c.required and c.name not in positions for c in table.columns):
        return None, None
    headers = {name: raw.header[pos] for name, pos in positions.items()}
    check = _Checker(raw.file, headers)
    frame = pd.DataFrame({"row": raw.cells.index.to_numpy(dtype="int64")})
    texts = {}
    for column in table.columns:
        if column.name not in positions:
            frame[column.name] = _typed(np.full(len(frame), None, dtype=object), column.kind)
            continue
        text = raw.cells[positions[column.name]].reset_index(drop=True)
        values, problems = _parse_column(text, column, today)
        bad = pd.notna(problems)
        if bad.any():
            for problem in pd.unique(problems[bad]):
                mask = problems == problem
                check.add(frame["row"][mask], column.name, text[mask], problem, unusable=column.required)
        frame[column.name] = _typed(values, column.kind)
        texts[column.name] = text
    return frame, (check, texts)


def _check_unique(frame, table: Table, check: _Checker):
    if not table.unique or frame.empty:
        return
    duplicated = frame.duplicated(list(table.unique), keep=False) & frame[list(table.unique)].notna().all(axis=1)
    if not duplicated.any():
        return
    first_rows = frame[duplicated].groupby(list(table.unique), sort=False)["row"].transform("min")
    for (row, value, first) in zip(frame.loc[duplicated, "row"], frame.loc[duplicated, table.unique[0]], first_rows):
        if row != first:
            check.add([row], table.unique[0], [value],
                      f"a second row for the same {' and '.join(table.unique)} as row {first}", unusable=True)


def _check_needs(frame, check: _Checker, today: dt.date):
    provision, need = frame["sen_provision"], frame["primary_need"]
    check.where(frame, provision.isin(["K", "E"]) & need.isna(), "primary_need",
                "blank, but pupils at K (SEN support) or E (EHC plan) need a primary need", value_column="sen_provision")
    check.where(frame, provision.eq("N") & need.notna(), "primary_need",
                "a primary need is given for a pupil with no SEN (provision N)")
    check.where(frame, provision.eq("E") & need.eq(codes.NEED_ONLY_WITH_SEN_SUPPORT), "primary_need",
                "NSA (no specialist assessment) is allowed only with SEN support (K), not with an EHC plan")
    if "secondary_need" in frame:
        second = frame["secondary_need"]
        check.where(frame, provision.eq("N") & second.notna(), "secondary_need",
                    "a secondary need is given for a pupil with no SEN (provision N)")
        check.where(frame, second.notna() & second.eq(need), "secondary_need",
                    "the secondary need is the same as the primary need")


def _check_pupils(frame, check: _Checker, today: dt.date):
    _check_needs(frame, check, today)
    dob = frame["date_of_birth"]
    oldest = pd.Timestamp(today) - pd.DateOffset(years=OLDEST_PUPIL_YEARS)
    check.where(frame, dob.notna() & (dob < oldest), "date_of_birth",
                f"this date of birth makes the pupil over {OLDEST_PUPIL_YEARS}: is the year right?",
                unusable=True)
    entered = frame["entered_english_schooling"]
    check.where(frame, entered.notna() & dob.notna() & (entered < dob), "entered_english_schooling",
                "before the pupil's date of birth")


def _check_support_plans(frame, check: _Checker, today: dt.date):
    for column in ("review_due", "review_held"):
        check.where(frame, frame[column].notna() & (frame[column] < frame["plan_start"]), column,
                    "before the plan started (plan_start)")


# An EHC event that answers another must come on or after it: (event, what it answers).
EHC_EVENT_ORDER = (
    ("info_sent", "info_requested"),
    ("draft_views_sent", "draft_plan_received"),
    ("review_report_sent", "review_meeting"),
)
# Events that need a plan: none may come before the first plan_issued on record.
EHC_PLAN_EVENTS = ("review_invites_sent", "review_papers_sent", "review_meeting", "review_report_sent",
                   "reassessment_requested")


def _check_ehc_events(frame, pupils, check: _Checker):
    """Event histories that cannot be right: answers before questions, reviews before plans."""
    events = frame.dropna(subset=["upn", "event", "date"]).sort_values(["upn", "date"], kind="stable")
    for upn, history in events.groupby("upn", sort=False):
        for answer, question in EHC_EVENT_ORDER:
            asked = history.loc[history["event"] == question, "date"]
            answered = history[history["event"] == answer]
            # each answer needs a question on or before it, after the previous answer
            previous = pd.Timestamp.min
            for row, date in zip(answered["row"], answered["date"]):
                if not ((asked >= previous) & (asked <= date)).any():
                    check.add([row], "event", [answer], f"{answer} on {date:%d/%m/%Y} has no {question} "
                                                        "on or before it (events out of order, or one missing)")
                previous = date
        issued = history.loc[history["event"] == "plan_issued", "date"]
        if len(issued):
            early = history[history["event"].isin(EHC_PLAN_EVENTS) & (history["date"] < issued.min())]
            check.add(early["row"], "event", early["event"],
                      f"before the first plan_issued on record ({issued.min():%d/%m/%Y})")
    if pupils is not None:
        no_sen = set(pupils.loc[pupils["sen_provision"] == "N", "upn"])
        check.where(frame, frame["upn"].isin(no_sen), "upn",
                    "EHC events for a pupil with no SEN provision (N) in pupils: is the provision out of date?")
        with_plan = set(pupils.loc[pupils["sen_provision"] == "E", "upn"])
        issued_for = set(frame.loc[frame["event"] == "plan_issued", "upn"])
        for upn in sorted(with_plan & set(frame["upn"]) - issued_for):
            rows = frame.loc[frame["upn"] == upn, "row"]
            check.add([rows.min()], "upn", [upn], "this pupil has an EHC plan but no plan_issued event: "
                                                  "the annual review cannot be checked")


def _check_assessments(frame, check: _Checker, texts, scales: pd.DataFrame):
    frame["scale"] = frame["scale"].map(codes.scale_name, na_action="ignore").astype("str")
    known = frame["scale"].isin(scales["scale"])
    check.where(frame, frame["scale"].notna() & ~known, "scale",
                f"unknown scale; expected {', '.join(scales['scale'])} or a scale defined in scales.csv",
                unusable=True)
    bounds = frame[["scale"]].merge(scales[["scale", "min", "max"]], on="scale", how="left")
    out = frame["score"].notna() & ((frame["score"] < bounds["min"].to_numpy()) | (frame["score"] > bounds["max"].to_numpy()))
    for scale, rows in frame[out].groupby("scale"):
        low, high = bounds.loc[rows.index[0], ["min", "max"]]  # the scale's range, merged in above
        check.add(rows["row"], "score", texts["score"][rows.index],
                  f"outside the range of its scale ({scale}: {low:g} to {high:g})", unusable=True)
    raw = texts["score"].str.strip().str.upper()
    reason = raw.map(codes.NO_SCORE_CODES)
    reason = reason.where(raw.ne(""), "blank")
    frame["no_score"] = pd.Series(np.where(frame["score"].isna(), reason, None), dtype="str")


def _scales_table(custom: pd.DataFrame | None, check: _Checker | None) -> pd.DataFrame:
    built_in = pd.DataFrame([{"scale": name, **spec} for name, spec in codes.BUILT_IN_SCALES.items()])
    built_in["source"] = "built in"
    if custom is None or custom.empty:
        return built_in
    custom = custom.copy()
    custom["scale"] = custom["scale"].map(codes.scale_name, na_action="ignore")
    if check is not None:
        check.where(custom, custom["max"] <= custom["min"], "max", "max must be above min", unusable=True)
        check.where(custom, custom["scale"].isin(built_in["scale"]), "scale",
                    "a built-in scale cannot be redefined; give it another name", unusable=True)
    custom["source"] = "scales.csv"
    return pd.concat([built_in, custom.drop(columns="row")], ignore_index=True)


def _read_manifest(folder: Path, notes: list) -> pd.Timestamp | None:
    path = folder / MANIFEST
    if not path.is_file():
        return None
    try:
        exported = json.loads(path.read_text(encoding="utf-8")).get("exported_on")
        return pd.Timestamp(dt.date.fromisoformat(exported)) if exported else None
    except (ValueError, TypeError, AttributeError, UnicodeDecodeError):
        notes.append(f"{MANIFEST}: could not read its exported_on date; using today's date")
        return None


def _unify_schools(frames: dict, files: dict, notes: list) -> None:
    """One spelling per school: names that differ only in capitals or spacing are read as the
    spelling most rows use, and a note says so, so that no school is split in two."""
    named = {name: frame for name, frame in frames.items() if "school" in frame.columns}
    spellings = pd.concat([frame["school"] for frame in named.values()]).dropna() if named else pd.Series([])

    def key(name) -> str:
        return " ".join(str(name).casefold().split())

    canonical: dict[str, str] = {}
    for spelling in spellings.value_counts().index:  # the most used first
        canonical.setdefault(key(spelling), spelling)
    for name, frame in named.items():
        school = frame["school"]
        read_as = school.map(lambda s: s if pd.isna(s) else canonical[key(s)])
        changed = school.notna() & school.ne(read_as)
        for variant in pd.unique(school[changed]):
            rows = frame.loc[school.eq(variant), "row"]
            notes.append(f"{files[name].name}: school '{variant}' ({len(rows)} row(s) from row {rows.min()}) "
                         f"read as '{canonical[key(variant)]}', the spelling most rows use")
        if changed.any():
            frame["school"] = read_as.astype(school.dtype)


def load_trust(path, strict: bool = True) -> TrustData:
    """Load a trust's export folder.

    Parameters
    ----------
    path : str or Path
        The folder of CSV / XLSX files (see :mod:`sendlib.schema`). Only ``pupils`` is
        required.
    strict : bool, default True
        Raise a DataError listing every problem. With False, return the data with
        ``.problems`` filled in: bad optional values become missing, rows with a bad
        required value are left out, and each is listed.

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
        raise DataError(problems_frame([(str(folder), None, None, None,
                                         "no such folder: give the folder that holds pupils.csv")]))
    today = dt.date.today()
    files, problems, notes = _find_files(folder)
    if "pupils" not in files and not problems:
        problems.append(("pupils.csv", None, None, None,
                         "the folder has no pupils.csv (or pupils.xlsx), which is always required"))
    frames, checkers = {}, {}
    for name, table in TABLES.items():
        if name in files:
            frame, checked = _load_table(files[name], table, today, problems, notes)
            if frame is not None:
                frames[name], checkers[name] = frame, checked
    scales = _scales_table(frames.get("scales"), checkers.get("scales", (None,))[0])
    for name, frame in frames.items():
        check, texts = checkers[name]
        table = TABLES[name]
        _check_unique(frame, table, check)
        if name == "pupils":
            _check_pupils(frame, check, today)
        if name == "sen_history":
            _check_needs(frame, check, today)
        if name in ("pupils", "sen_history"):
            frame["need_area"] = frame["primary_need"].map(codes.NEED_AREA).astype("str")
        if name == "pupils":
            frame["eal"] = pd.Series([codes.is_eal(v) for v in frame["first_language"]], dtype="boolean")
        if name == "support_plans":
            _check_support_plans(frame, check, today)
        if name == "assessments":
            _check_assessments(frame, check, texts, scales)
    _unify_schools(frames, files, notes)
    pupils = frames.get("pupils")
    if pupils is not None and pupils.empty and not checkers["pupils"][0].problems:
        problems.append((files["pupils"].name, None, None, None,
                         "the file has a header row but no pupils: export it again with its rows"))
        del frames["pupils"]
        pupils = None
    if pupils is not None:
        on_roll = set(pupils["upn"].dropna())
        english = set(pupils.loc[pupils["eal"].eq(False).fillna(False), "upn"])
        for name, frame in frames.items():
            if not TABLES[name].pupil_upns_in_pupils:
                continue
            check = checkers[name][0]
            check.where(frame, frame["upn"].notna() & ~frame["upn"].isin(on_roll), "upn",
                        f"this UPN is not a pupil in {files['pupils'].name}", unusable=True)
            if name == "ehc_events":
                _check_ehc_events(frame, pupils, check)
            if name == "eal_evidence":
                check.where(frame, frame["upn"].isin(english), "upn",
                            "an EAL evidence record for a pupil whose first language is English in pupils")
    for check, _ in checkers.values():
        problems.extend(check.problems)
    problem_table = problems_frame(problems).sort_values(["file", "row"], na_position="first", kind="stable")
    if strict and len(problem_table):
        raise DataError(problem_table, f"{len(problem_table)} problem{'s' if len(problem_table) != 1 else ''} "
                                       f"found in {folder}")
    for name, frame in frames.items():
        if checkers[name][0].unusable:
            unusable = checkers[name][0].unusable
            frames[name] = frame[~frame["row"].isin(unusable)].reset_index(drop=True)
            notes.append(f"{files[name].name}: {len(unusable)} row(s) left out because of the problems listed")
    if frames.get("pupils") is None:
        raise DataError(problem_table, "pupils.csv could not be loaded")
    as_of = _read_manifest(folder, notes)
    return TrustData(
        pupils=frames["pupils"], scales=scales,
        **{name: frames.get(name) for name in TABLES if name not in ("pupils", "scales")},
        source=folder, files={name: p.name for name, p in files.items()},
        problems=problem_table.reset_index(drop=True), notes=notes,
        **({"as_of": as_of} if as_of is not None else {}),
    )


def load_sample() -> TrustData:
    """The bundled synthetic trust (``data/sample``): no real pupil in it."""
    return load_trust(SAMPLE_DIR)
