import datetime as dt

import pytest

from sendlib import _parse

TODAY = dt.date(2026, 11, 28)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("2025-01-16", dt.date(2025, 1, 16)),
        ("2025/01/16", dt.date(2025, 1, 16)),
        ("2025-01-16 00:00:00", dt.date(2025, 1, 16)),
        ("2025-01-16T09:30", dt.date(2025, 1, 16)),
        ("16/01/2025", dt.date(2025, 1, 16)),
        ("3/4/2025", dt.date(2025, 4, 3)),  # UK order: 3 April, never 4 March
        ("03-04-2025", dt.date(2025, 4, 3)),
        ("03.04.2025", dt.date(2025, 4, 3)),
        ("16/01/25", dt.date(2025, 1, 16)),
        ("16/01/98", dt.date(1998, 1, 16)),
        ("16/01/2025 00:00", dt.date(2025, 1, 16)),
        ("16 Jan 2025", dt.date(2025, 1, 16)),
        ("16 January 2025", dt.date(2025, 1, 16)),
        ("1st Sept 2024", dt.date(2024, 9, 1)),
        ("28/11/2026", TODAY),  # today is not the future
    ],
)
def test_good_dates(text, expected):
    assert _parse.parse_date(text, TODAY) == (expected, None)


@pytest.mark.parametrize(
    "text, problem",
    [
        ("01/16/2025", "US month/day order"),
        ("2025-13-01", "no such date"),
        ("31/02/2025", "no such date"),
        ("29/02/2023", "no such date"),
        ("29/11/2026", "in the future"),
        ("16 Foo 2025", "not a month"),
        ("2025", "not a date"),
        ("yesterday", "not a date"),
        ("45678", "not a date"),
        ("16/01/1850", "before 1900"),
    ],
)
def test_bad_dates(text, problem):
    value, message = _parse.parse_date(text, TODAY)
    assert value is None and problem in message


def test_future_dates_allowed_where_the_column_allows_them():
    assert _parse.parse_date("01/01/2027", TODAY, future_ok=True) == (dt.date(2027, 1, 1), None)


@pytest.mark.parametrize(
    "parser, text, expected",
    [
        (_parse.parse_provision, "k", "K"),
        (_parse.parse_provision, "SEN Support", "K"),
        (_parse.parse_provision, "EHCP", "E"),
        (_parse.parse_provision, "No SEN", "N"),
        (_parse.parse_need, "spld", "SPLD"),
        (_parse.parse_need, "Autistic Spectrum Disorder", "ASD"),
        (_parse.parse_need, "Speech, language and communication needs", "SLCN"),
        (_parse.parse_proficiency, "c", "C"),
        (_parse.parse_proficiency, "New to English", "A"),
        (_parse.parse_proficiency, "N", None),
        (_parse.parse_language, "pol", "POL"),
        (_parse.parse_language, "English", "ENG"),
        (_parse.parse_language, "Polish", "POL"),
        (_parse.parse_flag, "Yes", True),
        (_parse.parse_flag, "n", False),
        (_parse.parse_sex, "Female", "F"),
        (_parse.parse_score, "104", 104.0),
        (_parse.parse_score, "A", None),
        (_parse.parse_score, "x", None),
    ],
)
def test_good_codes(parser, text, expected):
    assert parser(text) == (expected, None)


@pytest.mark.parametrize(
    "parser, text, problem",
    [
        (_parse.parse_provision, "S", "expected N (no SEN), K (SEN support) or E (EHC plan)"),
        (_parse.parse_need, "DYS", "not a CBDS type of need"),
        (_parse.parse_proficiency, "F", "expected A, B, C, D or E"),
        (_parse.parse_language, "P0L", "not a CBDS first-language code"),
        (_parse.parse_flag, "maybe", "expected Y or N"),
        (_parse.parse_sex, "X", "expected F or M"),
        (_parse.parse_score, "ninety", "not a score"),
        (_parse.parse_score, "nan", "not a score"),
        (_parse.parse_upn, "B80120000500", "has 12"),
        (_parse.parse_upn, "A801200005001", "check letter should be B, not A"),
        (_parse.parse_upn, "B8012000O5001", "a letter then 11 digits"),
    ],
)
def test_bad_codes(parser, text, problem):
    value, message = parser(text)
    assert value is None and problem in message


def test_number_range():
    assert _parse.parse_number("101", 0, 100)[1] == "outside the allowed range 0 to 100"
    assert _parse.parse_number("1,234") == (1234.0, None)
    assert _parse.parse_number("inf")[1] == "not a number"
