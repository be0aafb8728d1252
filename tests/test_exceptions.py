import pytest

from sendlib import DataError, SendlibError
from sendlib.exceptions import MESSAGE_PROBLEMS, problems_frame


def test_data_error_is_a_value_error_and_a_sendlib_error():
    error = DataError(problems_frame([("pupils.csv", 2, "upn", "X", "bad")]))
    assert isinstance(error, ValueError) and isinstance(error, SendlibError)
    with pytest.raises(ValueError, match=r"pupils.csv, row 2, column upn: 'X' -- bad"):
        raise error


def test_message_lists_the_first_problems_and_counts_the_rest():
    rows = [("a.csv", i, "score", str(i), "not a number") for i in range(2, 2 + MESSAGE_PROBLEMS + 7)]
    error = DataError(problems_frame(rows))
    message = str(error)
    assert message.startswith(f"{MESSAGE_PROBLEMS + 7} problems found")
    assert "row 21," in message and "row 22," not in message
    assert "and 7 more" in message
    assert len(error.problems) == MESSAGE_PROBLEMS + 7
    assert list(error.problems.columns) == ["file", "row", "column", "value", "problem"]


def test_file_level_problem_has_no_row():
    error = DataError(problems_frame([("pupils.csv", None, None, None, "the file is empty")]))
    assert "pupils.csv -- the file is empty" in str(error)
    assert error.problems["row"].isna().all()
