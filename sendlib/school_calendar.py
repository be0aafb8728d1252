"""The English school calendar, written once: school years, terms and census days.

A school year runs from 1 September to 31 August; its terms are autumn (September to
December), spring (January to March) and summer (April to August), the boundaries sendlib
uses to count terms. The school census is taken on the first Thursday of October (autumn),
the third Thursday of January (spring) and the third Thursday of May (summer) (DfE, school
census guide). Named ``school_calendar`` rather than ``calendar`` so that it is never
mistaken for the standard library's module of that name.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

SCHOOL_YEAR_START_MONTH = 9  # 1 September
TERMS = ("autumn", "spring", "summer")
_CENSUS = {"autumn": (10, 1), "spring": (1, 3), "summer": (5, 3)}  # (month, nth Thursday)


def school_year(date) -> int:
    """The calendar year in which the school year holding ``date`` starts.

    >>> school_year(dt.date(2026, 8, 31)), school_year(dt.date(2026, 9, 1))
    (2025, 2026)
    """
    return date.year if date.month >= SCHOOL_YEAR_START_MONTH else date.year - 1


def school_year_start(date) -> pd.Timestamp:
    """1 September of the school year that holds ``date``.

    >>> school_year_start("2026-02-01"), school_year_start("2026-09-01")
    (Timestamp('2025-09-01 00:00:00'), Timestamp('2026-09-01 00:00:00'))
    """
    return pd.Timestamp(school_year(pd.Timestamp(date)), SCHOOL_YEAR_START_MONTH, 1)


def term_of_month(month):
    """0 for autumn, 1 for spring, 2 for summer (months as numbers, or an array of them).

    >>> term_of_month(9), term_of_month(3), term_of_month(4)
    (0, 1, 2)
    """
    month = np.asarray(month)
    term = np.select([month >= SCHOOL_YEAR_START_MONTH, month <= 3], [0, 1], 2)
    return int(term) if term.ndim == 0 else term


def terms_started(date) -> int:
    """How many terms of the school year holding ``date`` have begun (1 to 3)."""
    return term_of_month(pd.Timestamp(date).month) + 1


def term_end(date) -> pd.Timestamp:
    """The last day of the term holding ``date``: 31 December, 31 March or 31 August.

    >>> term_end("2026-11-20"), term_end("2027-02-01"), term_end("2027-06-30")
    (Timestamp('2026-12-31 00:00:00'), Timestamp('2027-03-31 00:00:00'), Timestamp('2027-08-31 00:00:00'))
    """
    date = pd.Timestamp(date)
    month = (12, 3, 8)[term_of_month(date.month)]
    year = date.year + (month < date.month)
    return pd.Timestamp(year, month, 1) + pd.offsets.MonthEnd(0)


def term_index(days: np.ndarray) -> np.ndarray:
    """A running number of the term of each date (days since 1970): school year times three
    plus the term, so that consecutive terms differ by one.

    >>> d = np.array(["2025-09-01", "2026-01-05", "2026-04-20"], dtype="datetime64[D]").astype(np.int64)
    >>> (term_index(d) - 3 * 2025).tolist()
    [0, 1, 2]
    """
    months = np.asarray(days).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    year, month = months // 12 + 1970, months % 12 + 1
    return np.where(month >= SCHOOL_YEAR_START_MONTH, year, year - 1) * 3 + term_of_month(month)


def census_day(year: int, term: str) -> dt.date:
    """The school census day of ``term`` in calendar year ``year``.

    >>> census_day(2025, "spring"), census_day(2024, "autumn")
    (datetime.date(2025, 1, 16), datetime.date(2024, 10, 3))
    """
    month, nth = _CENSUS[term.split()[0]]
    first = dt.date(year, month, 1)
    first_thursday = first + dt.timedelta(days=(3 - first.weekday()) % 7)
    return first_thursday + dt.timedelta(weeks=nth - 1)
