"""Parsers for one cell of text, by column kind: each returns ``(value, problem)``.

``problem`` is None when the text is good; ``value`` is None when the text is blank or
bad. The loader applies a parser once per distinct value in a column.
"""
from __future__ import annotations

import datetime as dt
import re

from . import codes

_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_UK = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_NAMED = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[\s\-]+([A-Za-z]{3,9})\.?,?[\s\-]+(\d{4}|\d{2})$")
_MONTH_NAMES = ["january", "february", "march", "april", "may", "june", "july", "august",
                "september", "october", "november", "december"]
_MONTHS = {**{m: i for i, m in enumerate(_MONTH_NAMES, 1)}, **{m[:3]: i for i, m in enumerate(_MONTH_NAMES, 1)},
           "sept": 9}
DATE_FORMATS = "day/month/year (16/01/2025) or ISO (2025-01-16)"
EARLIEST_DATE = dt.date(1900, 1, 1)


def _full_year(two_digits: int, today: dt.date) -> int:
    # "16/01/25": this century unless that would be in the future.
    year = 2000 + two_digits
    return year if year <= today.year else 1900 + two_digits


def parse_date(text: str, today: dt.date, future_ok: bool = False):
    """A date written in ISO or UK order.

    >>> today = dt.date(2026, 11, 28)
    >>> parse_date("16/01/2025", today)
    (datetime.date(2025, 1, 16), None)
    >>> parse_date("01/16/2025", today)[1]
    'not a date in day/month/year order: month 16 does not exist (is this US month/day order?)'
    """
    text = text.strip()
    day = month = year = None
    if match := _ISO.match(text):
        year, month, day = (int(g) for g in match.groups())
    elif match := _UK.match(text):
        day, month, year = int(match.group(1)), int(match.group(2)), match.group(3)
        year = _full_year(int(year), today) if len(year) == 2 else int(year)
        if month > 12:
            return None, (f"not a date in day/month/year order: month {month} does not exist"
                          + (" (is this US month/day order?)" if day <= 12 else ""))
    elif match := _NAMED.match(text):
        day, name, year = int(match.group(1)), match.group(2).lower(), match.group(3)
        month = _MONTHS.get(name)
        if month is None:
            return None, f"not a date: '{match.group(2)}' is not a month; expected {DATE_FORMATS}"
        year = _full_year(int(year), today) if len(year) == 2 else int(year)
    else:
        return None, f"not a date; expected {DATE_FORMATS}"
    try:
        value = dt.date(year, month, day)
    except ValueError:
        return None, f"no such date (day {day}, month {month}, year {year})"
    if value < EARLIEST_DATE:
        return None, f"date before {EARLIEST_DATE.year}: is the year right?"
    if not future_ok and value > today:
        return None, f"date in the future (after today, {today:%d/%m/%Y})"
    return value, None


def parse_upn(text: str):
    """A UPN, upper case, without spaces; a problem says what is wrong with it.

    >>> parse_upn("b801200005001")
    ('B801200005001', None)
    >>> parse_upn("A801200005001")[1]
    'not a valid UPN: the check letter should be B, not A'
    """
    upn = re.sub(r"\s+", "", text).upper()
    if codes.upn_is_valid(upn):
        return upn, None
    if len(upn) != codes.UPN_LENGTH:
        return None, f"not a valid UPN: a UPN has 13 characters, this has {len(upn)}"
    body = upn[1:]
    if not (body[:11].isascii() and body[:11].isdigit()) or not (
            body[11].isdigit() or body[11] in codes.UPN_CHECK_LETTERS):
        return None, "not a valid UPN: a letter then 11 digits, then a digit or a letter (temporary UPN)"
    return None, f"not a valid UPN: the check letter should be {codes.upn_check_letter(body)}, not {upn[0]}"


def _word_key(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", " ", text.lower()).strip()


def parse_provision(text: str):
    code = text.strip().upper()
    if code in codes.SEN_PROVISION:
        return code, None
    alias = codes.SEN_PROVISION_ALIASES.get(_word_key(text))
    if alias:
        return alias, None
    return None, "not an SEN provision code; expected N (no SEN), K (SEN support) or E (EHC plan)"


_NEED_BY_NAME = {_word_key(name): code for code, name in codes.NEED_TYPES.items()}
_NEED_BY_NAME.update({_word_key(k): v for k, v in codes.NEED_ALIASES.items()})


def parse_need(text: str):
    code = text.strip().upper()
    if code in codes.NEED_TYPES:
        return code, None
    by_name = _NEED_BY_NAME.get(_word_key(text))
    if by_name:
        return by_name, None
    return None, f"not a CBDS type of need; expected one of {' '.join(codes.NEED_TYPES)}"


def parse_proficiency(text: str):
    code = text.strip().upper()
    if code in codes.ENGLISH_PROFICIENCY:
        return code, None
    if code == codes.PROFICIENCY_NOT_ASSESSED:
        return None, None
    by_name = codes.PROFICIENCY_ALIASES.get(text.strip().lower())
    if by_name:
        return by_name, None
    return None, "not a proficiency in English code; expected A, B, C, D or E (or N, not yet assessed)"


def parse_language(text: str):
    code = text.strip().upper()
    by_name = codes.LANGUAGE_NAMES.get(_word_key(text).split(" ")[0]) if len(code) > 4 else None
    if by_name:
        return by_name, None
    if re.fullmatch(r"[A-Z]{3,4}", code):
        return code, None
    return None, "not a CBDS first-language code (three or four letters, e.g. ENG, POL, URD)"


_YES = {"y", "yes", "true", "1", "t"}
_NO = {"n", "no", "false", "0", "f"}


def parse_flag(text: str):
    word = text.strip().lower()
    if word in _YES:
        return True, None
    if word in _NO:
        return False, None
    return None, "expected Y or N"


def parse_sex(text: str):
    word = text.strip().upper()
    value = {"F": "F", "M": "M", "FEMALE": "F", "MALE": "M"}.get(word)
    return (value, None) if value else (None, "expected F or M")


def parse_year_group(text: str):
    value = codes.parse_year_group(text)
    if value is None:
        return None, "not a year group; expected N1, N2, R or 1-13 (also Y3 or Year 3)"
    return value, None


def parse_number(text: str, low=None, high=None):
    """A number, optionally within [low, high]; a trailing % is allowed.

    >>> parse_number("95.5%", 0, 100), parse_number("abc")
    ((95.5, None), (None, 'not a number'))
    """
    try:
        value = float(text.strip().rstrip("%").strip().replace(",", ""))
    except ValueError:
        return None, "not a number"
    if value != value or value in (float("inf"), float("-inf")):
        return None, "not a number"
    if (low is not None and value < low) or (high is not None and value > high):
        return None, f"outside the allowed range {low:g} to {high:g}"
    return value, None


def parse_score(text: str):
    """A score, or a recognised no-score code (kept as no score, with its reason)."""
    reason = codes.NO_SCORE_CODES.get(text.strip().upper())
    if reason:
        return None, None
    value, problem = parse_number(text)
    if problem:
        return None, "not a score: expected a number, or blank, A (absent) or X (not taken)"
    return value, None


def parse_choice(text: str, choices: tuple[str, ...]):
    value = re.sub(r"[^0-9a-z]+", "_", text.strip().lower()).strip("_")
    value = {"passed": "pass", "ok": "pass", "not_checked": "not_done", "age_appropriate_development": "age_appropriate",
             "ageappropriate": "age_appropriate"}.get(value, value)
    if value in choices:
        return value, None
    return None, f"expected one of {', '.join(choices)}"


def parse_text(text: str):
    return text, None
