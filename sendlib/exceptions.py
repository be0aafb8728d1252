"""The one exception tree of sendlib.

Every error sendlib raises on purpose is a :class:`SendlibError`. Errors about the
user's data are :class:`DataError`, which is also a ``ValueError`` so that code written
against the built-in keeps working (the pattern of scikit-learn's ``NotFittedError``).
"""

from __future__ import annotations

import pandas as pd

PROBLEM_COLUMNS = ["file", "row", "column", "value", "problem"]

# How many problems the message of a DataError lists before it says "and N more".
MESSAGE_PROBLEMS = 20


class SendlibError(Exception):
    """Base class of every error sendlib raises on purpose."""


class AccessDenied(SendlibError):
    """The user may not see this app or this school."""


class ForecastError(SendlibError, ValueError):
    """A series or a setting a forecaster cannot use."""


class NotFittedError(SendlibError, ValueError, AttributeError):
    """A forecaster asked to predict before ``fit`` (the bases of scikit-learn's own)."""


class OverTime(SendlibError):
    """An app ran past its time limit."""


class UnknownAreaError(SendlibError, ValueError):
    """A local authority or region that the reference data does not have."""


class DataError(SendlibError, ValueError):
    """The input data break the data contract.

    Parameters
    ----------
    problems : DataFrame
        One row per problem with columns ``file, row, column, value, problem``; ``row`` is
        the row number as a spreadsheet shows it (the header is row 1), missing for a
        problem with a whole file.
    summary : str, optional
        A first line for the message; by default "N problems found in the data".

    Examples
    --------
    >>> problems = problems_frame([("pupils.csv", 3, "upn", "X1", "not a UPN")])
    >>> err = DataError(problems)
    >>> print(err)
    1 problem found in the data:
      pupils.csv, row 3, column upn: 'X1' -- not a UPN
    >>> isinstance(err, ValueError)
    True
    """

    def __init__(self, problems: pd.DataFrame, summary: str | None = None):
        self.problems = problems.reset_index(drop=True)
        super().__init__(format_problems(self.problems, summary))


def problems_frame(rows=()) -> pd.DataFrame:
    """Build a problems DataFrame (``file, row, column, value, problem``) from tuples."""
    frame = pd.DataFrame(list(rows), columns=PROBLEM_COLUMNS)
    frame["row"] = frame["row"].astype("Int64")
    return frame.astype({"file": object, "column": object, "value": object, "problem": object})


def format_problem(file, row, column, value, problem) -> str:
    """One problem as ``file, row N, column C: 'value' -- problem``."""
    where = [str(file)]
    if row is not None and not pd.isna(row):
        where.append(f"row {int(row)}")
    if column is not None and not pd.isna(column) and column != "":
        where.append(f"column {column}")
    text = ", ".join(where)
    if value is not None and not pd.isna(value):
        text += f": {str(value)[:60]!r}"
    return f"{text} -- {problem}"


def format_problems(problems: pd.DataFrame, summary: str | None = None, limit: int | None = MESSAGE_PROBLEMS) -> str:
    """The text of a list of problems: a summary line, then the first ``limit`` problems."""
    n = len(problems)
    if summary is None:
        summary = f"{n} problem{'s' if n != 1 else ''} found in the data"
    shown = problems if limit is None else problems.head(limit)
    lines = [summary + (":" if n else ".")]
    lines += ["  " + format_problem(*rec) for rec in shown[PROBLEM_COLUMNS].itertuples(index=False)]
    if limit is not None and n > limit:
        lines.append(f"  ... and {n - limit} more (see the .problems table for all of them)")
    return "\n".join(lines)
