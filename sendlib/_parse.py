"""Parsers for one cell of text, by column kind: each returns ``(value, problem)``.

``problem`` is None when the text is good; ``value`` is None when the text is blank or
bad. The loader applies a parser once per distinct value in a column.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

from . import codes, schema

_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
# A moment with its zone (Renaissance Star, Wonde, APIs): 2025-01-16T09:30:00Z, ...+01:00
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$")
_WEEKDAY = re.compile(r"^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+", re.IGNORECASE)
_UK = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_NAMED = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[\s\-]+([A-Za-z]{3,9})\.?,?[\s\-]+(\d{4}|\d{2})$")
_MONTH_NAMES = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]
_MONTHS = {
    **{m: i for i, m in enumerate(_MONTH_NAMES, 1)},
    **{m[:3]: i for i, m in enumerate(_MONTH_NAMES, 1)},
    "sept": 9,
}
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
    text = _WEEKDAY.sub("", text.strip())
    day: int | None = None
    month: int | None = None
    year: int | None = None
    if _ISO_MOMENT.match(text):
        text = _uk_date_of_moment(text)
    if match := _ISO.match(text):
        year, month, day = (int(g) for g in match.groups())
    elif match := _UK.match(text):
        day, month, year_text = int(match.group(1)), int(match.group(2)), match.group(3)
        year = _full_year(int(year_text), today) if len(year_text) == 2 else int(year_text)
        if month > 12:
            return None, (
                f"not a date in day/month/year order: month {month} does not exist"
                + (" (is this US month/day order?)" if day <= 12 else "")
            )
    elif match := _NAMED.match(text):
        day, name, year_text = int(match.group(1)), match.group(2).lower(), match.group(3)
        month = _MONTHS.get(name)
        if month is None:
            return None, f"not a date: '{match.group(2)}' is not a month; expected {DATE_FORMATS}"
        year = _full_year(int(year_text), today) if len(year_text) == 2 else int(year_text)
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


def _uk_date_of_moment(text: str) -> str:
    """The date in England of a moment written with its zone (a test finished at 23:30 UTC on
    a summer evening was taken the next day in England)."""
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
    try:
        from zoneinfo import ZoneInfo

        moment = moment.astimezone(ZoneInfo("Europe/London"))
    except (ImportError, KeyError, OSError):  # no time-zone data on this machine: the UTC date
        pass
    return moment.date().isoformat()


@functools.lru_cache(maxsize=65536)  # a pupil's UPN is in every file: parsed once
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
        body[11].isdigit() or body[11] in codes.UPN_CHECK_LETTERS
    ):
        return None, "not a valid UPN: a letter then 11 digits, then a digit or a letter (temporary UPN)"
    return None, f"not a valid UPN: the check letter should be {codes.upn_check_letter(body)}, not {upn[0]}"


_FILLER_WORDS = frozenset({"and", "or", "of", "the", "a", "an", "with", "e", "g", "eg"})
_SINGULAR = {
    "needs": "need",
    "difficulties": "difficulty",
    "disabilities": "disability",
    "impairments": "impairment",
    "conditions": "condition",
    "disorders": "disorder",
}


def _word_key(text: str) -> str:
    """A name for matching: lower case, words only, without "and"/"&"/"or" and plurals.

    >>> _word_key("Speech, Language & Communication Needs") == _word_key("speech language and communication need")
    True
    """
    words = re.sub(r"[^0-9a-z]+", " ", text.lower().replace("&", " and ")).split()
    return " ".join(_SINGULAR.get(w, w) for w in words if w not in _FILLER_WORDS)


# "K - SEN Support", "SpLD - Specific Learning Difficulty", "A: New to English", "SEN Support (K)"
_CODE_FIRST = re.compile(r"^\s*([A-Za-z0-9]{1,5})\s*[-–:=]\s*(\S.*)$")
_CODE_LAST = re.compile(r"^(.*\S)\s*[(\[]([A-Za-z0-9]{1,5})[)\]]\s*$")


_PARTS = re.compile(r"\s+[-–:]\s+|\s*[()\[\]]\s*")


def _forms(text: str) -> list[str]:
    """The text, then the code and the description of a "code - description" value, then each
    part of a value written in parts ("SEN Support - K", "ASD (Autism)").

    >>> _forms("K - SEN Support")[:3], _forms("ASD (Autism)")[-2:]
    (['K - SEN Support', 'K', 'SEN Support'], ['ASD', 'Autism'])
    """
    forms = [text.strip()]
    for pattern, code, name in ((_CODE_FIRST, 1, 2), (_CODE_LAST, 2, 1)):
        match = pattern.match(text)
        if match:
            forms += [match.group(code), match.group(name)]
    forms += [part for part in _PARTS.split(text) if part.strip()]
    return list(dict.fromkeys(f.strip() for f in forms))


def _coded(text: str, known_codes, names: dict):
    """The code a value gives: a code itself, a name, or the "code - name" forms of either.
    Returns (code, True) or (None, False); a name may stand for no code (None, True)."""
    for form in _forms(text):
        if form.upper() in known_codes:
            return form.upper(), True
        key = _word_key(form)
        if key in names:
            return names[key], True
    return None, False


_PROVISION_BY_NAME = {_word_key(name): code for code, name in codes.SEN_PROVISION.items()}
_PROVISION_BY_NAME.update({_word_key(k): v for k, v in codes.SEN_PROVISION_ALIASES.items()})


def parse_provision(text: str):
    """
    >>> parse_provision("K - SEN Support"), parse_provision("Education, Health and Care Plan")
    (('K', None), ('E', None))
    """
    code, found = _coded(text, codes.SEN_PROVISION, _PROVISION_BY_NAME)
    if found:
        return code, None
    return None, "not an SEN provision code; expected N (no SEN), K (SEN support) or E (EHC plan)"


_NEED_BY_NAME = {_word_key(name): code for code, name in codes.NEED_TYPES.items()}
_NEED_BY_NAME.update({_word_key(k): v for k, v in codes.NEED_ALIASES.items()})


def parse_need(text: str):
    """
    >>> parse_need("SpLD - Specific Learning Difficulty"), parse_need("Other Difficulty/Disability")
    (('SPLD', None), ('OTH', None))
    """
    code, found = _coded(text, codes.NEED_TYPES, _NEED_BY_NAME)
    if found:
        return code, None
    return None, f"not a CBDS type of need; expected one of {' '.join(codes.NEED_TYPES)} or their names"


_PROFICIENCY_BY_NAME = {_word_key(k): v for k, v in codes.PROFICIENCY_ALIASES.items()}


def parse_proficiency(text: str):
    """
    >>> parse_proficiency("A - New to English"), parse_proficiency("N - Not Yet Assessed")
    (('A', None), (None, None))
    """
    code, found = _coded(text, set(codes.ENGLISH_PROFICIENCY) | {codes.PROFICIENCY_NOT_ASSESSED}, _PROFICIENCY_BY_NAME)
    if found:
        return (None if code == codes.PROFICIENCY_NOT_ASSESSED else code), None
    return None, "not a proficiency in English code; expected A, B, C, D or E (or N, not yet assessed)"


_LANGUAGE_BY_NAME = {_word_key(name): code for name, code in codes.LANGUAGE_NAMES.items()}


def parse_language(text: str):
    """A CBDS first-language code, from the code or the language's name (never a name made
    into a code).

    >>> parse_language("Urdu"), parse_language("POL"), parse_language("Believed to be English")
    (('URD', None), ('POL', None), ('ENB', None))
    >>> parse_language("Thai")[0], parse_language("Klingon")[1][:40]
    ('THA', 'not a CBDS first-language code or a lang')
    """
    code, found = None, False
    if "(" in text:  # "Punjabi (Mirpuri)": the dialect first, then the whole, then the language
        code, found = _coded(text.partition("(")[2].rstrip(") "), codes.LANGUAGE_CODES, _LANGUAGE_BY_NAME)
    if not found:
        code, found = _coded(text, codes.LANGUAGE_CODES, _LANGUAGE_BY_NAME)
    if found:
        return code, None
    return None, (
        "not a CBDS first-language code or a language name sendlib knows (e.g. ENG, POL, URD, Polish); "
        "a mapping.toml can name it"
    )


_YES = {"y", "yes", "true", "1", "t", "eligible", "yes eligible", "x"}
_NO = {"n", "no", "false", "0", "f", "not eligible", "no not eligible"}


def parse_flag(text: str):
    word = " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())
    if word in _YES:
        return True, None
    if word in _NO:
        return False, None
    return None, "expected Y or N"


# Recorded as neither F nor M (CBDS allows "U", unknown, in some returns): left blank.
_SEX_UNKNOWN = {"U", "UNKNOWN", "NOT KNOWN", "NOT STATED", "PREFER NOT TO SAY"}


def parse_sex(text: str):
    word = " ".join(text.strip().upper().split())
    value = {"F": "F", "M": "M", "FEMALE": "F", "MALE": "M", "GIRL": "F", "BOY": "M"}.get(word)
    if value:
        return value, None
    return (None, None) if word in _SEX_UNKNOWN else (None, "expected F or M")


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
    if codes.no_score_reason(text):
        return None, None
    value, problem = parse_number(text)
    if problem:
        excel = " (an Excel error value: the formula behind it failed)" if text.strip().startswith("#") else ""
        return None, f"not a score{excel}: expected a number, or blank, A (absent), X (not taken), N/A, D, <70 ..."
    return value, None


def parse_choice(text: str, choices: tuple[str, ...]):
    value = re.sub(r"[^0-9a-z]+", "_", text.strip().lower()).strip("_")
    value = {
        "passed": "pass",
        "ok": "pass",
        "not_checked": "not_done",
        "age_appropriate_development": "age_appropriate",
        "ageappropriate": "age_appropriate",
        "parent_carer": "parent",
        "parents": "parent",
        "carer": "parent",
        "yp": "young_person",
        "student": "young_person",
        "senco": "school",
        "setting": "school",
        "health": "other",
        "la": "other",
        "local_authority": "other",
        "social_care": "other",
    }.get(value, value)
    if value in choices:
        return value, None
    return None, f"expected one of {', '.join(choices)}"


def parse_event(text: str):
    event = schema.event_named(text)
    if event:
        return event, None
    return None, f"not an EHC event sendlib knows; expected one of {', '.join(schema.EHC_EVENTS)}"


def parse_area(text: str):
    area = codes.area_of(text)
    if area:
        return area, None
    return None, (
        "not a broad area of need: expected communication and interaction (C&I), cognition and learning "
        "(C&L), social, emotional and mental health (SEMH) or sensory and/or physical (S&P)"
    )


def parse_role(text: str):
    role = codes.staff_role(text)
    if role:
        return role, None
    return None, "not a staff role sendlib knows: expected teacher, TA, specialist or external"


def parse_setting(text: str):
    value = codes.setting(text)
    if value:
        return value, None
    return None, (
        "not a setting sendlib knows: write mainstream, resourced (an SEN unit or resourced provision) or special "
        "(a special school), or leave it blank for mainstream"
    )


def parse_money(text: str, low=None, high=None):
    """An amount in pounds: "£1,250.50", "1250", "GBP 300".

    >>> parse_money("£1,250.50"), parse_money("12 pounds")
    ((1250.5, None), (None, 'not an amount of money: write it as 1250 or £1,250'))
    """
    value, problem = parse_number(re.sub(r"^(?:£|gbp)\s*|\s*(?:gbp)$", "", text.strip(), flags=re.I), low, high)
    if problem == "not a number":
        return None, "not an amount of money: write it as 1250 or £1,250"
    return value, problem


def parse_text(text: str):
    return text, None
