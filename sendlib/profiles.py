"""Import profiles: what English MIS and test vendors actually export, read as sendlib's tables.

A school hands sendlib whatever its MIS or test platform writes: a SIMS student list, an
Arbor report, a Wonde feed flattened to CSV, the DfE's GIAP download, a GL Assessment or
Renaissance Star results file, a SIMS marksheet with one column per term. This module turns
each file (or each sheet of a workbook) into sendlib's columns, still as text, for the
loader to parse and check:

1. **Which table.** A file's name says it (``pupils``, ``Student List``, ``NGRT results``),
   else its header row does (the table whose required columns it names).
2. **Which columns.** Headers are matched on :func:`sendlib._read.header_keys` against the
   schema's aliases, every profile's headers and the export folder's ``mapping.toml``; a
   header written ``student.upn``, ``UPN_SPR24`` or ``Student UPN`` is also tried as ``upn``.
   Every column not read is noted.
3. **Which shape.** Layouts other than one row per record are reshaped: score columns per
   subject and term (marksheets) become rows; a test's name gives its subject and scale; a
   term and an academic year give a date; an EHC timeline with one date column per
   milestone becomes one row per event; a census term and year give a census date; a
   school's own folder, a manifest or ``--school`` gives the school.

A :class:`Profile` is a declaration: a vendor's headers and values, with their public
source. The profile whose headers a file fits best is named in the notes; ``profile=`` (or
``sendlib validate --profile``) puts one first where vendors disagree.
"""

from __future__ import annotations

import calendar
import datetime as dt
import difflib
import functools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import _parse, codes
from ._read import RawTable, header_keys, normalise_header
from .exceptions import DataError, problems_frame
from .schema import EHC_EVENT_HEADERS, TABLES, Table, event_named
from .school_calendar import SCHOOL_YEAR_START_MONTH, census_day

MAPPING_FILE = "mapping.toml"


# --- profiles: one declaration per vendor convention -------------------------------------------
@dataclass(frozen=True)
class Profile:
    """One vendor's export convention.

    ``headers`` maps a table to {header as the vendor writes it: sendlib column}. Every
    profile's headers are known to every file (a folder may mix vendors); a chosen profile's
    come first where two disagree. ``values`` maps a column to {value as written: code},
    beyond the CBDS forms that every file may use. ``source`` is the public documentation
    the declaration follows.
    """

    name: str
    title: str
    source: str
    headers: dict[str, dict[str, str]] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)


from ._vendors import VENDORS  # noqa: E402 - the declarations themselves, one per vendor

PROFILES: dict[str, Profile] = {p.name: p for p in VENDORS}


def _distinctive() -> dict[tuple[str, str], set[str]]:
    """(profile, table) -> the keys of the headers only that profile writes (not a header of the
    schema, which many exports share, nor another profile's): what names a file's convention."""
    own = {
        header_keys(text)[0]
        for t in TABLES.values()
        for c in t.columns + t.helpers
        for text in (c.name, *c.aliases, *c.preferred_aliases, *c.fallback_aliases)
    }  # everyone's words
    keys = {
        (p.name, t): {header_keys(h)[0] for h in headers} - own
        for p in PROFILES.values()
        for t, headers in p.headers.items()
    }
    return {
        (name, table): mine - set().union(*(k for (n, t), k in keys.items() if t == table and n != name))
        for (name, table), mine in keys.items()
    }


_DISTINCTIVE = _distinctive()


def profile_named(name: str | None) -> Profile | None:
    """The profile called ``name`` (None for automatic), or a DataError listing the profiles."""
    if not name:
        return None
    key = re.sub(r"[^a-z0-9]+", "", name.lower())
    for profile in PROFILES.values():
        if key == profile.name:
            return profile
    raise DataError(
        problems_frame([("--profile", None, None, name, f"no such profile; the profiles are: {', '.join(PROFILES)}")])
    )


# --- a folder's own mapping: mapping.toml ------------------------------------------------------
@dataclass
class Mapping:
    """A school's own answers for what no profile knows, from ``mapping.toml``::

        [headers]                      # header in the export = sendlib column
        "Pupil Ref No" = "upn"
        "Learning Need" = "primary_need"
        "Annual Review Held" = "review_meeting"   # a date column of an EHC timeline: its event

        [values.primary_need]          # value in the export = code
        "Dyslexia" = "SPLD"

    A column may be written ``table.column`` where two tables share a name
    (``"Date" = "assessments.assessment_date"``).
    """

    headers: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    file: str = ""

    def headers_for(self, table: str) -> dict[str, str]:
        names = {c.name for c in TABLES[table].columns + TABLES[table].helpers}
        out = {}
        for header, target in self.headers.items():
            owner, _, column = target.rpartition(".")
            if column in names and owner in ("", table):
                out[header] = column
        return out


def read_mapping(path: Path) -> Mapping | None:
    """The mapping file at ``path`` (None when absent); a DataError names what is wrong in it."""
    if not path.is_file():
        return None
    file = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        problem = f"not a TOML file sendlib can read: {error}"
        raise DataError(problems_frame([(file, None, None, None, problem)])) from None
    problems: list[tuple] = []
    columns = {c.name for t in TABLES.values() for c in t.columns + t.helpers}
    headers = data.get("headers", {})
    values = data.get("values", {})
    unknown = set(data) - {"headers", "values"}
    if unknown:
        problems.append(
            (file, None, None, ", ".join(sorted(unknown)), "unknown section; expected [headers] and [values.COLUMN]")
        )
    if not isinstance(headers, dict) or not isinstance(values, dict):
        problems.append((file, None, None, None, "[headers] and [values.COLUMN] must be tables of text"))
        headers, values = {}, {}
    for header, target in headers.items():
        owner, _, column = str(target).rpartition(".")
        if column in EHC_EVENT_HEADERS and owner in ("", "ehc_events"):
            continue  # a date column of an EHC timeline, named by its event
        if column not in columns or (owner and owner not in TABLES):
            problems.append(
                (
                    file,
                    None,
                    "headers",
                    f"{header} = {target}",
                    f"not a sendlib column; the columns are: {', '.join(sorted(columns))}",
                )
            )
    for column, table in values.items():
        if column not in columns or not isinstance(table, dict):
            problems.append((file, None, "values", column, "expected [values.COLUMN] with a sendlib column name"))
    if problems:
        raise DataError(problems_frame(problems))
    return Mapping(
        {str(k): str(v) for k, v in headers.items()},
        {c: {str(k): str(v) for k, v in t.items()} for c, t in values.items()},
        file,
    )


# --- headers -------------------------------------------------------------------------------------
# Flattened API exports (Wonde) write "education_details.data.upn"; census extracts write
# "UPN_SPR24"; test platforms write "Student UPN". Each is also tried without that part.
_TERM_SUFFIX = re.compile(r"[_ ](?:AUT|SPR|SUM)\d{2}$", re.IGNORECASE)
_LEAVES = {"date", "value", "code", "data", "name", "description", "text"}
_PERSON_WORD = re.compile(r"^(?:student|pupil|learner|child|candidate)s?[\s_.:-]+", re.IGNORECASE)


def header_variants(header: str) -> list[str]:
    """The forms of a header worth matching, most specific first.

    >>> header_variants("education_details.data.upn")
    ['education_details.data.upn', 'data.upn', 'upn']
    >>> header_variants("date_of_birth.date")[-1], header_variants("year.data.code")[-1]
    ('date_of_birth', 'year')
    >>> header_variants("SENProvision_SPR24"), header_variants("Student Date of Birth")[-1]
    (['SENProvision_SPR24', 'SENProvision'], 'Date of Birth')
    """
    variants = [header]
    parts = header.split(".")
    variants += [".".join(parts[i:]) for i in range(1, len(parts))]  # data.upn, upn
    while len(parts) > 1 and parts[-1].lower() in _LEAVES:  # date_of_birth.date, year.data.code
        parts = parts[:-1]
        variants.append(".".join(parts))
    for variant in list(variants):
        for pattern in (_TERM_SUFFIX, _PERSON_WORD):
            shorter = pattern.sub("", variant)
            if shorter != variant and shorter.strip():
                variants.append(shorter)
    return list(dict.fromkeys(v for v in variants if v.strip()))


# Header priorities: the folder's mapping first, then a chosen profile, the names a school
# uses (a preferred name), the schema's own names and aliases, every other profile, and last
# the fallbacks (legal names). A column takes the first header it has; a lower one fills its
# blanks; one as high is compared with it.
MAPPED, CHOSEN, PREFERRED, SCHEMA, VENDOR, FALLBACK = range(6)


class Matcher:
    """Headers to the columns (and helper columns) of one table."""

    def __init__(self, table: Table, profile: Profile | None = None, mapping: Mapping | None = None):
        self.table = table
        self.index: dict[str, tuple[str, int]] = {}

        def add(text: str, column: str, tier: int):
            for key in header_keys(text):
                if key and (key not in self.index or self.index[key][1] > tier):
                    self.index[key] = (column, tier)

        for column in table.columns + table.helpers:
            for text in (column.name, *column.aliases):
                add(text, column.name, SCHEMA)
            for text in column.preferred_aliases:
                add(text, column.name, PREFERRED)
            for text in column.fallback_aliases:
                add(text, column.name, FALLBACK)
        for vendor in PROFILES.values():
            for text, target in vendor.headers.get(table.name, {}).items():
                add(text, target, CHOSEN if vendor is profile else VENDOR)
        if mapping is not None:
            for text, target in mapping.headers_for(table.name).items():
                add(text, target, MAPPED)

    def match(self, header: str) -> tuple[str, int] | None:
        """(column, priority) that ``header`` names, or None."""
        for variant in header_variants(header):
            for key in header_keys(variant):
                if key in self.index:
                    return self.index[key]
        return None

    def count(self, row: list[str]) -> int:
        return sum(self.match(c) is not None for c in row if c)


_MATCHERS: dict[tuple, Matcher] = {}


def matcher(table: str, profile: Profile | None = None, mapping: Mapping | None = None) -> Matcher:
    key = (table, profile.name if profile else "", id(mapping))
    if key not in _MATCHERS:
        _MATCHERS[key] = Matcher(TABLES[table], profile, mapping)
    return _MATCHERS[key]


def known_columns(profile: Profile | None = None, mapping: Mapping | None = None):
    """A function counting the cells of a row that name a column of any table (to find a header
    row under title lines)."""
    matchers = [matcher(name, profile, mapping) for name in TABLES]

    def count(row: list[str]) -> int:
        return max(m.count(row) for m in matchers) + sum(bool(score_column(c)) for c in row if c)

    return count


def best_profile(table: str, header: list[str]) -> Profile | None:
    """The profile whose distinctive headers this header row uses most (at least two, and more
    than any other profile), if any."""
    keys = {header_keys(h)[0] for h in header if h}
    counts = sorted(
        ((len(keys & _DISTINCTIVE.get((p.name, table), set())), p.name) for p in PROFILES.values()), reverse=True
    )
    (best, name), (second, _) = counts[0], counts[1]
    return PROFILES[name] if best >= 2 and best > second else None  # named only when it is clear


# --- which table a file holds ----------------------------------------------------------------------
_COPY_MARK = re.compile(
    r"(\s*\(\d+\)|[\s_-]+(?:copy|export|download|final|\d{4}[-_]?\d{2}[-_]?\d{2}|\d{6,8}))+$", re.IGNORECASE
)


def file_key(stem: str) -> str:
    """A file name's words, without the marks a download or copy adds.

    >>> file_key("Pupils (1)"), file_key("student_list_2026-11-20"), file_key("SEN History - copy")
    ('pupils', 'student list', 'sen history')
    """
    return normalise_header(_COPY_MARK.sub("", stem))


def table_for_name(stem: str) -> str | None:
    """The table a file's name says it holds: its own name, a word the table is known by, or a
    name that starts with one (``pupils_year7``, ``NGRT Autumn 2025``).

    >>> table_for_name("Pupils (1)"), table_for_name("Student List"), table_for_name("ngrt_autumn")
    ('pupils', 'pupils', 'assessments')
    """
    key = file_key(stem)
    names = [
        (normalise_header(word), table.name) for table in TABLES.values() for word in (table.name, *table.file_names)
    ]
    for word, name in names:
        if key == word:
            return name
    longest_first = sorted(names, key=lambda pair: -len(pair[0]))
    for word, name in longest_first:  # the first words say more than the last ("census ... results")
        if key.startswith(word + " "):
            return name
    for word, name in longest_first:
        if key.endswith(" " + word):
            return name
    return None


def _found(raw: RawTable, table: str, profile: Profile | None, mapping: Mapping | None) -> set[str]:
    return {hit[0] for hit in map(matcher(table, profile, mapping).match, raw.header) if hit and hit[0]}


def fits(raw: RawTable, table: str, profile: Profile | None = None, mapping: Mapping | None = None) -> bool:
    """Whether a sheet's header names (or lets the reshapes work out) every required column of
    ``table``."""
    found = _found(raw, table, profile, mapping)
    return {c.name for c in TABLES[table].columns if c.required} <= found | _derivable(table, found, raw)


def table_for_header(raw: RawTable, profile: Profile | None, mapping: Mapping | None) -> str | None:
    """The table a sheet's header fits, the one naming most of its columns when several do; at
    least one column beside the UPN (any file with UPNs would do for eal_evidence)."""

    def beside_upn(name, found):  # a column beside the UPN, or score or event columns to reshape
        return found - {"upn"} or {"score", "event"} & _derivable(name, found, raw)

    fitting = {
        name: len(found)
        for name in TABLES
        if beside_upn(name, found := _found(raw, name, profile, mapping)) and fits(raw, name, profile, mapping)
    }
    return max(fitting, key=lambda name: fitting[name]) if fitting else None


def _derivable(table: str, found: set[str], raw: RawTable) -> set[str]:
    """The required columns a sheet lacks that the reshapes below can supply."""
    header, around = raw.header, f"{raw.file} {raw.title}"  # the file's (and sheet's) name, the title lines
    out = {"school"}  # from the folder, a manifest, --school or the folder's name
    if table == "pupils" and _YEAR_IN_NAME.search(raw.sheet or around):
        out.add("year_group")
    if table == "assessments":
        if any(score_column(h, around) for h in header):
            out |= {"subject", "assessment_date", "score", "scale"}
        out |= {"subject", "scale"}  # from the test's name, the score's header or the file's name
        if "term" in found:
            out.add("assessment_date")
    if table == "sen_history" and "census_term" in found:
        out.add("census_date")
    if table == "ehc_events" and sum(bool(event_column(h)) for h in header) >= 1:
        out |= {"event", "date"}
    return out


# --- shapes ------------------------------------------------------------------------------------------
@dataclass
class Context:
    """What a sheet's surroundings say: its school (a per-school folder, a manifest, --school),
    the folder's name, the file's name, the sheet's name and the lines above its header."""

    school: str = ""
    school_source: str = ""
    folder_name: str = ""
    file_stem: str = ""
    sheet: str = ""
    title: str = ""
    school_is_guess: bool = False  # only the export folder's own name: fills no blank school cell

    @property
    def words(self) -> str:
        return " ".join(v for v in (self.sheet, self.title, self.file_stem) if v)


@dataclass
class Extract:
    """One sheet's cells under sendlib's column names, still text; ``row`` is the spreadsheet
    row, ``_header_<column>`` (when present) the header each cell came from."""

    file: str
    table: str
    cells: pd.DataFrame
    headers: dict[str, str]
    # other headers of a column: (header, its column in cells, whether as high as the one read, so compared)
    alternates: dict[str, list[tuple[str, str, bool]]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    problems: list[tuple] = field(default_factory=list)
    not_read: list[str] = field(default_factory=list)
    profile: Profile | None = None
    used: set[int] = field(default_factory=set)  # positions a reshape read (a score or date column)
    census: Extract | None = None  # a census download's January censuses, for sen_history


def extract(
    raw: RawTable, table: str, context: Context, profile: Profile | None = None, mapping: Mapping | None = None
) -> Extract:
    """Map a sheet's headers to ``table``'s columns and reshape it to one row per record.
    Required columns that are still missing are problems of the Extract."""
    detected = profile or best_profile(table, raw.header)
    m = matcher(table, detected, mapping)
    chosen: dict[str, tuple[int, int]] = {}
    hits = {}
    for position, text in enumerate(raw.header):
        hit = m.match(text) if text else None
        if hit is not None:
            hits[position] = hit
            column, tier = hit
            if column not in chosen or tier < chosen[column][1]:
                chosen[column] = (position, tier)
    out = Extract(raw.file, table, pd.DataFrame({"row": raw.cells.index.to_numpy(dtype="int64")}), {}, profile=detected)
    chosen.pop("", None)  # headers a profile knows and sendlib does not need
    for column, (position, _) in chosen.items():
        out.cells[column] = raw.cells[position].to_numpy()
        out.headers[column] = raw.header[position]
    for position, (column, tier) in sorted(hits.items(), key=lambda hit: hit[1][1]):
        if column and chosen[column][0] != position:  # "SEN Need Code" beside "SEN Need"; a legal name
            kept_as = f"_alt{position}_{column}"  # a column of the cells, so that reshapes carry it along
            out.cells[kept_as] = raw.cells[position].to_numpy()
            out.alternates.setdefault(column, []).append((raw.header[position], kept_as, tier == chosen[column][1]))
    used = {p for p, (c, _) in hits.items() if c}
    unread = [p for p in range(len(raw.header)) if p not in used]
    if detected is not None and profile is None:
        out.notes.append(f"{raw.file}: read as {detected.title}")
    if "upn" not in out.cells:
        _find_upns(raw, out, unread)
    SHAPES.get(table, lambda *a: None)(raw, out, context, unread, mapping)
    left = [raw.header[p] or f"column {p + 1}" for p in unread if p not in out.used and raw.cells[p].ne("").any()]
    if left:
        named = ", ".join(f"'{text}'" for text in left)
        out.notes.append(
            f"{raw.file}: column {named} is not one sendlib reads; left alone"
            if len(left) == 1
            else f"{raw.file}: columns {named} are not ones sendlib reads; left alone"
        )
        out.not_read.extend(left)
    _fill_school(out, context)
    for declared in TABLES[table].columns:
        if declared.required and declared.name not in out.cells:
            out.problems.append(
                (
                    raw.file,
                    raw.header_row,
                    declared.name,
                    None,
                    f"required column {declared.name} is missing (the header row has: "
                    f"{', '.join(h for h in raw.header if h)})",
                )
            )
    return out


def _fill_school(out: Extract, context: Context) -> None:
    if "school" not in {c.name for c in TABLES[out.table].columns} or not context.school:
        return
    if "school" not in out.cells:
        out.cells["school"] = context.school
        out.headers["school"] = "school"
        if context.school_is_guess:  # only the export folder's name: the user must say
            out.problems.append(
                (
                    out.file,
                    None,
                    "school",
                    None,
                    f"no school column: every row read as '{context.school}', the export folder's name; "
                    'name the school with --school, a manifest.json with "school", or a folder per '
                    "school",
                )
            )
        else:
            out.notes.append(
                f"{out.file}: no school column; every row read as '{context.school}' ({context.school_source})"
            )
    else:
        blank = out.cells["school"].eq("")
        if blank.any() and not context.school_is_guess:
            out.cells.loc[blank, "school"] = context.school
            out.notes.append(
                f"{out.file}: {int(blank.sum())} blank school cell(s) read as '{context.school}' "
                f"({context.school_source})"
            )


def _find_upns(raw: RawTable, out: Extract, unread: list[int]) -> None:
    """No UPN header (a test platform's "Student ID" or "Candidate Number" holding UPNs): the
    column whose values are nearly all valid UPNs."""
    for position in unread:
        values = raw.cells[position]
        filled = values[values.ne("")]
        if len(filled) and filled.str.upper().str.replace(" ", "").map(codes.upn_is_valid).mean() >= 0.9:
            out.cells["upn"] = values.to_numpy()
            out.headers["upn"] = raw.header[position]
            out.notes.append(
                f"{out.file}: no UPN column; UPNs read from '{raw.header[position]}', whose values are UPNs"
            )
            unread.remove(position)
            return


def _split_name(name: str) -> tuple[str, str]:
    """(forename, surname) of a whole name: "Cooper, James" or "James Cooper".

    >>> _split_name("Cooper, James"), _split_name("Mary Ann Evans"), _split_name("")
    (('James', 'Cooper'), ('Mary Ann', 'Evans'), ('', ''))
    """
    if "," in name:
        surname, _, forename = name.partition(",")
        return forename.strip(), surname.strip()
    *forenames, surname = name.split() or [""]
    return " ".join(forenames), surname


_YEAR_IN_NAME = re.compile(r"\b(?:year|yr|y)\s*(\d{1,2}|r)\b|\b(reception)\b", re.IGNORECASE)


def _shape_pupils(raw: RawTable, out: Extract, context: Context, unread: list[int], mapping) -> None:
    """A sheet per year group without a year column ("Year 7"): the year from the sheet's name.
    A census download (GIAP), one row per pupil and census: each pupil's latest census."""
    cells = out.cells
    if "year_group" not in cells:
        year = _YEAR_IN_NAME.search(context.sheet or context.words)
        if year:
            cells["year_group"] = year.group(1) or year.group(2)
            out.headers["year_group"] = "year_group"
            out.notes.append(
                f"{out.file}: no year group column; every row read as {year.group(0)} (from the name '{context.words}')"
            )
    if "full_name" in cells and not {"forename", "surname"} & set(cells):
        names = cells["full_name"].map(_split_name)
        cells["forename"], cells["surname"] = names.str[0], names.str[1]
        out.headers["forename"] = out.headers["surname"] = out.headers["full_name"]
        out.notes.append(
            f"{out.file}: no forename or surname column; both read from '{out.headers['full_name']}' "
            '("Surname, Forename", else the last word as the surname)'
        )
    if "upn" not in cells or not cells["upn"].duplicated().any():
        return
    if "census_term" in cells:
        _shape_census(raw, out, context, unread, mapping)
    if "census_date" not in cells:
        return
    order = pd.Series(
        [_parse.parse_date(text, dt.date.max)[0] if text else None for text in cells["census_date"]],
        index=cells.index,
        dtype="datetime64[ns]",
    )
    latest = order.groupby(cells["upn"]).transform("max")
    keep = order.eq(latest) | latest.isna()
    january = order.dt.month.eq(1).to_numpy()
    out.census = Extract(
        out.file,
        "sen_history",
        cells[january].reset_index(drop=True),
        dict(out.headers),
        notes=[
            f"{out.file}: its January censuses ({int(january.sum())} rows) read as the census "
            "history (sen_history), as the folder has no other"
        ],
    )
    out.notes.append(
        f"{out.file}: pupils are each pupil's latest census; {int((~keep).sum())} row(s) of earlier "
        "censuses are not pupils"
    )
    out.cells = cells[keep].reset_index(drop=True)


# --- assessments: subjects, scales, terms and score columns -----------------------------------
# Words that name a subject, as they appear in a test's name or a column's header. A test of
# reading from GL (NGRT), Renaissance (Star Reading), Rising Stars (PiRA) or NFER is "reading".
SUBJECT_WORDS = {
    "reading": "reading",
    "read": "reading",
    "ngrt": "reading",
    "pira": "reading",
    "nfer reading": "reading",
    "star reading": "reading",
    "reading comprehension": "reading",
    "maths": "maths",
    "math": "maths",
    "mathematics": "maths",
    "numeracy": "maths",
    "ptm": "maths",
    "puma": "maths",
    "star maths": "maths",
    "star math": "maths",
    "arithmetic": "maths",
    "english": "english",
    "pte": "english",
    "gps": "grammar, punctuation and spelling",
    "spag": "grammar, punctuation and spelling",
    "grammar punctuation and spelling": "grammar, punctuation and spelling",
    "spelling": "spelling",
    "science": "science",
    "writing": "writing",
    "vocabulary": "vocabulary",
    "early literacy": "early literacy",
    "star early literacy": "early literacy",
}
# Headers of a score column that say which scale it is on.
SCALE_WORDS = {
    "sas": "standardised",
    "standardised score": "standardised",
    "standardized score": "standardised",
    "standard age score": "standardised",
    "age standardised score": "standardised",
    "age standardised": "standardised",
    "standardised": "standardised",
    "std score": "standardised",
    "nrss": "standardised",
    "norm referenced standardised score": "standardised",
    "ss": "",
    "scaled score": "ks2_scaled",
    "ks2 scaled score": "ks2_scaled",
}


@functools.lru_cache(maxsize=4096, typed=True)  # a text at a time, the same few texts in every row
def subject_of(text: str) -> str:
    """The subject a test's name or a subject cell names, in sendlib's words ("" if none).

    >>> subject_of("NGRT-A"), subject_of("Progress Test in Maths 9"), subject_of("Mathematics"), subject_of("PiRA 4")
    ('reading', 'maths', 'maths', 'reading')
    """
    return _subject_of_key(_plain(text)) or _subject_of_key(normalise_header(text))  # "ReadingSAS"


def _plain(text: str) -> str:
    """Lower-case words of letters and digits, without normalise_header's camelCase split
    ("PiRA", not "Pi RA")."""
    return " ".join(re.sub(r"[^0-9a-z]+", " ", str(text).lower()).split())


def _subject_of_key(key: str) -> str:
    if key in SUBJECT_WORDS:
        return SUBJECT_WORDS[key]
    for long_name, words in (
        ("progress test in english", "english"),
        ("progress test in maths", "maths"),
        ("new group reading test", "reading"),
        ("new group spelling test", "spelling"),
    ):
        if key.startswith(long_name):
            return words
    tokens = key.split()
    for size in (3, 2, 1):
        for i in range(len(tokens) - size + 1):
            phrase = " ".join(tokens[i : i + size])
            word = re.sub(r"\d+$", "", phrase)  # "ptm9", "pte10"
            if phrase in SUBJECT_WORDS or word in SUBJECT_WORDS:
                return SUBJECT_WORDS.get(phrase) or SUBJECT_WORDS[word]
    return ""


@functools.lru_cache(maxsize=4096, typed=True)  # a text at a time, the same few texts in every row
def subject_name(text: str) -> str:
    """A subject cell as sendlib keeps it: the canonical word for a known subject, else the text
    in lower case (so that ``Maths`` and ``Mathematics`` are one subject)."""
    return subject_of(text) or " ".join(text.lower().split())


# Terms of the school year, and the day sendlib dates a term's assessment on when the export
# gives only the term: the middle of the usual window for end-of-term tests.
TERM_MONTH_DAY = {
    "autumn": (12, 1),
    "spring": (3, 15),
    "summer": (6, 15),
    "autumn 1": (10, 15),
    "autumn 2": (12, 1),
    "spring 1": (2, 10),
    "spring 2": (3, 25),
    "summer 1": (5, 20),
    "summer 2": (7, 5),
    "ks2": (5, 12),
}  # the KS2 tests: the second week of May (STA's test timetable)
_TERM = re.compile(
    r"\b(aut(?:umn)?|spr(?:ing)?|sum(?:mer)?)\s*(?:term\s*)?(?:\(?([12])(?!\d)\)?|half\s*term\s*([12]))?"
    r"(?![a-z])",
    re.IGNORECASE,
)
_ACADEMIC_YEAR = re.compile(r"\b((?:19|20)\d{2})\s*[/-]\s*((?:19|20)?\d{2})\b|\b(\d{2})\s*/\s*(\d{2})\b")
_YEAR = re.compile(r"\b((?:19|20)\d{2})\b")


def find_term(text: str) -> str:
    """The term a text names ("autumn", "spring 2", ...), or "".

    >>> find_term("Reading Aut2 2024"), find_term("Spring Term"), find_term("Summer 1 2025"), find_term("Sumo")
    ('autumn 2', 'spring', 'summer 1', '')
    >>> find_term("Maths SAS Spr 2025")
    'spring'
    """
    match = _TERM.search(text.replace("_", " "))
    if not match:
        return ""
    name = {"aut": "autumn", "spr": "spring", "sum": "summer"}[match.group(1)[:3].lower()]
    half = match.group(2) or match.group(3)
    return f"{name} {half}" if half else name


def academic_year_start(text: str) -> int | None:
    """The calendar year an academic year written in ``text`` starts in ("2024/25", "2024-2025",
    "24/25", "202425"), or None.

    >>> academic_year_start("2024/25"), academic_year_start("Year 2024-2025"), academic_year_start("202324")
    (2024, 2024, 2023)
    """
    text = str(text)
    match = _ACADEMIC_YEAR.search(text)
    if match:
        return int(match.group(1)) if match.group(1) else 2000 + int(match.group(3))
    if re.fullmatch(r"\s*(19|20)\d{2}\d{2}\s*", text):
        return int(text.strip()[:4])
    match = _YEAR.fullmatch(text.strip())
    return int(match.group(1)) if match else None


def _is_academic_year(text: str) -> bool:
    return bool(_ACADEMIC_YEAR.fullmatch(text.strip()) or re.fullmatch(r"(19|20)\d{2}(\d{2})?", text.strip()))


def term_date(term: str, text: str) -> dt.date | None:
    """The date sendlib gives an assessment in ``term`` when ``text`` names an academic year
    ("2024/25": autumn 2024, spring and summer 2025) or the term's calendar year ("Spring
    2025").

    >>> term_date("spring", "2024/25"), term_date("autumn", "Autumn 2024"), term_date("summer", "no year")
    (datetime.date(2025, 3, 15), datetime.date(2024, 12, 1), None)
    """
    month, day = TERM_MONTH_DAY[term]
    if _ACADEMIC_YEAR.search(text) or re.search(r"\b(19|20)\d{4}\b", text):
        start = academic_year_start(text)
        return None if start is None else dt.date(start + (month < SCHOOL_YEAR_START_MONTH), month, day)
    match = _YEAR.search(text)
    return dt.date(int(match.group(1)), month, day) if match else None


# Tests whose results are standardised scores (mean 100, SD 15): GL's NGRT and Progress Tests,
# Rising Stars' PiRA, PUMA and GaPS, NFER Tests, Renaissance Star (NRSS).
_STANDARDISED_TESTS = re.compile(r"\b(ngrt|pte|ptm|pts|pira|puma|gaps|nfer|star reading|star maths|new group reading)")
_SCORE_WORDS = re.compile(r"\b(sas|ss|score|scores|standardi[sz]ed|scaled|result|results|mark|nrss)\b")


def score_column(header: str, around: str = "") -> dict | None:
    """A column of a wide (marksheet) layout: a header naming a subject and a term, e.g. ``Reading
    SAS Aut 2024`` or ``Y4 Maths Standardised Score (Spring 2025)``; or naming a subject and a
    score (``Reading SAS``) on a sheet or in a file whose name gives the term (``Autumn
    2024-25``); or a KS2 scaled score (``Reading Scaled Score`` in ``KS2 Results 2026``). Its
    subject, term, the text it gives the year in, and the scale its words name."""
    key = normalise_header(header)
    subject = subject_of(header)
    if not subject:
        return None
    term, year_text = find_term(header), header
    scale = next(
        (SCALE_WORDS[w] for w in sorted(SCALE_WORDS, key=len, reverse=True) if re.search(rf"\b{w}\b", key)), ""
    )
    if not term and _SCORE_WORDS.search(key):
        if scale == "ks2_scaled" or "ks2" in key or "ks2" in normalise_header(around):
            term, scale = "ks2", "ks2_scaled"
        else:
            term = find_term(around)
        year_text = f"{header} {around}"
    if not term:
        return None
    return {"subject": subject, "term": term, "year_text": year_text, "scale": scale}


def _shape_assessments(raw: RawTable, out: Extract, context: Context, unread: list[int], mapping) -> None:
    cells = out.cells
    specs = {p: score_column(raw.header[p], context.words) for p in unread}
    wide = {p: spec for p, spec in specs.items() if spec}
    if wide and "score" not in cells:
        _melt_scores(raw, out, context, wide, [p for p in unread if p not in wide])
        cells = out.cells
    if "score" in cells and "scale" not in cells:
        scale = next(
            (
                SCALE_WORDS[w]
                for w in sorted(SCALE_WORDS, key=len, reverse=True)
                if SCALE_WORDS[w] and re.search(rf"\b{w}\b", normalise_header(out.headers["score"]))
            ),
            "",
        )
        why = f"the header '{out.headers['score']}' says so"
        if (
            not scale
            and "test" in cells
            and cells["test"].map(lambda t: bool(_STANDARDISED_TESTS.search(_plain(t)))).all()
        ):
            scale, why = "standardised", f"every test named in '{out.headers['test']}' reports standardised scores"
        if scale:
            cells["scale"] = scale
            out.headers["scale"] = out.headers["score"]
            out.notes.append(f"{out.file}: no scale column; scores read as {scale} ({why})")
    if "subject" not in cells:
        if "test" in cells:
            subjects = cells["test"].map(subject_of)
            cells["subject"] = subjects.where(subjects.ne(""), cells["test"].str.lower())
            out.headers["subject"] = out.headers["test"]
            out.notes.append(
                f"{out.file}: no subject column; each row's subject read from its test name ('{out.headers['test']}')"
            )
        else:
            subject = subject_of(context.words)
            if subject:
                cells["subject"] = subject
                out.headers["subject"] = "subject"
                out.notes.append(
                    f"{out.file}: no subject column; every row read as {subject} (from the name '{context.words}')"
                )
    if "subject" in cells:
        cells["subject"] = cells["subject"].map(lambda s: subject_name(s) if s else s)
    if "assessment_date" not in cells and "term" in cells and "academic_year" not in cells:
        for position in unread:  # a column of academic years under a header nothing names ("Year")
            values = raw.cells[position]
            if values.ne("").any() and values[values.ne("")].map(_is_academic_year).all():
                cells["academic_year"] = values.to_numpy()
                out.headers["academic_year"] = raw.header[position]
                out.used.add(position)
                break
    if "assessment_date" not in cells and "term" in cells:
        year_column = cells["academic_year"] if "academic_year" in cells else pd.Series(context.words, cells.index)
        terms = cells["term"].map(find_term)
        dates = [
            term_date(t, f"{term_text} {y}") if t else None
            for t, term_text, y in zip(terms, cells["term"], year_column)
        ]
        cells["assessment_date"] = [d.isoformat() if d else "" for d in dates]
        cells["_from_term"] = True
        where = (
            "'"
            + out.headers["term"]
            + "'"
            + (f" and '{out.headers['academic_year']}'" if "academic_year" in out.headers else "")
        )
        out.headers["assessment_date"] = out.headers["term"]
        out.notes.append(
            f"{out.file}: no date column; dates worked out from {where} ({_term_dates_text(terms.dropna())})"
        )
        undated = cells["assessment_date"].eq("") & cells["term"].ne("")
        for row, text in zip(cells.loc[undated, "row"], cells.loc[undated, "term"]):
            out.problems.append(
                (
                    out.file,
                    int(row),
                    out.headers["term"],
                    text,
                    "a term without a year: sendlib cannot date this score (add an academic-year "
                    "column, or the year to the term: Autumn 2024)",
                )
            )
        cells.loc[undated, "assessment_date"] = "?"


def _term_dates_text(terms) -> str:
    """The day each of the ``terms`` read is dated to, in the order of the calendar's terms."""
    terms = set(terms)
    return ", ".join(
        f"{'KS2 tests' if t == 'ks2' else t} {d} {calendar.month_abbr[m]}"
        for t, (m, d) in TERM_MONTH_DAY.items()
        if t in terms
    )


def _melt_scores(raw: RawTable, out: Extract, context: Context, wide: dict[int, dict], others: list[int]) -> None:
    """One row per pupil and score column: a marksheet's layout, one column per subject and term.
    A KS2 results file's outcome column (``Reading Outcome``) gives the code of a pupil with no
    scaled score (A absent, B working below the standard, ...)."""
    frames = []
    undated = []
    for position, spec in wide.items():
        out.used.add(position)
        date = term_date(spec["term"], spec["year_text"]) or term_date(spec["term"], context.words)
        if date is None:
            undated.append(raw.header[position])
            continue
        frame = out.cells.copy()
        frame["subject"] = spec["subject"]
        frame["assessment_date"] = date.isoformat()
        frame["_from_term"] = True
        frame["score"] = raw.cells[position].to_numpy()
        outcome = (
            None
            if spec["term"] != "ks2"
            else next(
                (
                    p
                    for p in others
                    if subject_of(raw.header[p]) == spec["subject"]
                    and re.search(r"\boutcome\b", normalise_header(raw.header[p]))
                ),
                None,
            )
        )
        if outcome is not None:
            marks = raw.cells[outcome].str.strip().str.upper()
            coded = frame["score"].eq("").to_numpy() & marks.isin(codes.NO_SCORE_CODES).to_numpy()
            frame.loc[coded, "score"] = marks[coded].to_numpy()
            out.used.add(outcome)
            out.notes.append(
                f"{out.file}: '{raw.header[outcome]}' gives the reason for {int(coded.sum())} blank "
                f"'{raw.header[position]}' cell(s) (the STA's codes: A absent, B working below the "
                "standard, ...)"
            )
        frame["_header_score"] = raw.header[position]
        if "scale" not in frame:
            frame["scale"] = spec["scale"] or "standardised"
        frames.append(frame[frame["score"].ne("")])
    for header in undated:
        out.problems.append(
            (
                out.file,
                raw.header_row,
                header,
                None,
                "a score column naming a term but no year: sendlib cannot date its scores (write the "
                "year in the header, e.g. 'Reading Autumn 2024', or in the title line above it)",
            )
        )
    columns = [c for c in out.cells.columns] + ["subject", "assessment_date", "score", "_header_score", "scale"]
    out.cells = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(dict.fromkeys(columns)))
    out.cells = out.cells.sort_values(["row"], kind="stable").reset_index(drop=True)
    out.headers.update(
        subject="subject", assessment_date="assessment_date", score="score", scale=out.headers.get("scale", "scale")
    )
    named = ", ".join(f"'{raw.header[p]}'" for p in list(wide)[:4]) + (" ..." if len(wide) > 4 else "")
    out.notes.append(
        f"{out.file}: {len(wide)} score columns ({named}) read as one row per pupil, subject and term"
        f" ({len(out.cells):,} scores; blank cells are no test taken; dated by term: "
        f"{_term_dates_text(spec['term'] for spec in wide.values())})"
    )


# --- census history: a term and a year give the census day -------------------------------------
def _shape_census(raw: RawTable, out: Extract, context: Context, unread: list[int], mapping) -> None:
    cells = out.cells
    if "census_date" in cells or "census_term" not in cells:
        return
    years = cells["academic_year"] if "academic_year" in cells else pd.Series("", index=cells.index)
    dates = []
    for term_text, year_text in zip(cells["census_term"], years):
        term = find_term(term_text)
        start = academic_year_start(year_text) if year_text else None
        if term and start is None:
            match = _YEAR.search(term_text)
            start = (int(match.group(1)) - (term != "autumn")) if match else None
        dates.append(census_day(start + (term != "autumn"), term).isoformat() if term and start else "")
    cells["census_date"] = dates
    out.headers["census_date"] = out.headers["census_term"]
    out.notes.append(
        f"{out.file}: census dates worked out from '{out.headers['census_term']}'"
        + (f" and '{out.headers['academic_year']}'" if "academic_year" in out.headers else "")
        + " (the census days: third Thursday of January and May, first Thursday of October)"
    )


# --- EHC events: one date column per milestone becomes one row per event ------------------------
def event_column(header: str, mapping: Mapping | None = None) -> str:
    """The EHC event a date column's header names ("" if none): its words in any order, without
    dates, numbers and small words; or the event the folder's mapping.toml gives it.

    >>> event_column("EHC Plan Issue Date"), event_column("Annual Review 2024"), event_column("Notes")
    ('plan_issued', 'review_meeting', '')
    >>> event_column("InfoRequestedDate"), event_column("ReviewInvitesSent1"), event_column("Review Report Sent to LA")
    ('info_requested', 'review_invites_sent', 'review_report_sent')
    """
    named = mapping.headers.get(header, "").rpartition(".")[2] if mapping is not None else ""
    return named if named in EHC_EVENT_HEADERS else event_named(header)


def _shape_events(raw: RawTable, out: Extract, context: Context, unread: list[int], mapping) -> None:
    if "event" in out.cells:
        return
    wide = {p: event_column(raw.header[p], mapping) for p in unread}
    wide = {p: event for p, event in wide.items() if event}
    if not wide:
        return
    for position in set(unread) - set(wide):  # a milestone sendlib does not know must not vanish
        values = raw.cells[position][raw.cells[position].ne("")]
        if len(values) and values.map(lambda v: _parse.parse_date(v, dt.date.max)[1] is None).mean() >= 0.8:
            out.used.add(position)
            out.problems.append(
                (
                    out.file,
                    raw.header_row,
                    raw.header[position],
                    None,
                    f"a column of {len(values)} dates that is no EHC event sendlib knows: its dates were "
                    "not read (name the event in mapping.toml, e.g. "
                    f'"{raw.header[position]}" = "review_meeting")',
                )
            )
    frames = []
    for position, event in wide.items():
        out.used.add(position)
        frame = out.cells.copy()
        frame["event"] = event
        frame["date"] = raw.cells[position].to_numpy()
        frame["_header_date"] = raw.header[position]
        frames.append(frame[frame["date"].ne("")])
    out.cells = pd.concat(frames, ignore_index=True).sort_values("row", kind="stable").reset_index(drop=True)
    out.headers.update(event="event", date="date")
    by_event: dict[str, list[str]] = {}
    for position, event in wide.items():
        by_event.setdefault(event, []).append(f"'{raw.header[position]}'")
    out.notes.append(
        f"{out.file}: {len(wide)} date columns read as EHC events ("
        + "; ".join(f"{e}: {', '.join(h[:2])}{' ...' if len(h) > 2 else ''}" for e, h in by_event.items())
        + f"): {len(out.cells):,} events; a blank date is an event that has not happened"
    )


SHAPES = {
    "pupils": _shape_pupils,
    "assessments": _shape_assessments,
    "sen_history": _shape_census,
    "ehc_events": _shape_events,
}


# --- suggesting a mapping for what nothing knows -------------------------------------------------
def suggest_mapping(
    not_read: dict[str, list[str]], unknown_values: dict[str, list[str]], missing: dict[str, list[str]] | None = None
) -> str:
    """A ``mapping.toml`` to fill in: each header sendlib did not read, with the closest column as
    a guess (commented out; the columns a file lacks first), and each value it could not read."""
    lines = [
        "# mapping.toml: what this export's own headers and values mean to sendlib.",
        "# Uncomment a line and correct it where the guess is wrong; save the file in the export folder.",
        "",
        "[headers]",
    ]
    for file in dict.fromkeys([*(missing or {}), *not_read]):
        lacking = (missing or {}).get(file, [])
        lines.append(f"# {file}" + (f": sendlib found no column for {', '.join(lacking)}" if lacking else ""))
        for header in not_read.get(file, []):
            lines.append(f'# {_toml_key(header)} = "{_guess(header, lacking) or "COLUMN"}"')
    for column, values in unknown_values.items():
        lines += ["", f"[values.{column}]"]
        lines += [f'# {_toml_key(value)} = "CODE"' for value in values]
    return "\n".join(lines) + "\n"


def _guess(header: str, lacking: list[str]) -> str:
    """The column a header most likely means: the most words shared with the column's name or
    an alias (the columns a file lacks first), else the closest spelling."""
    words = set(normalise_header(header).split()) - {"of", "the", "and"}
    best, best_score = "", (0, 0)
    for table in TABLES.values():
        for column in table.columns:
            shared = max(
                len(words & set(normalise_header(text).split()))
                for text in (column.name.replace("_", " "), *column.aliases)
            )
            score = (shared, column.name in lacking)
            if shared and score > best_score:
                best, best_score = column.name, score
    if best:
        return best
    names = lacking + sorted({c.name for t in TABLES.values() for c in t.columns} - set(lacking))
    close = difflib.get_close_matches(normalise_header(header).replace(" ", "_"), names, n=1, cutoff=0.5)
    return close[0] if close else ""


def _toml_key(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
