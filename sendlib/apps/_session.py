"""One visit to an app: the time limit, the wait for the visitor of a preheated kernel, the
hints in the page's address, and the school to open."""

from __future__ import annotations

import contextlib
import os
import signal
import threading

from ..access import AccessDenied, User
from ..exceptions import OverTime

# How long an app may take to open (its trust-wide work, then the visitor's part; seconds,
# $SENDLIB_WORK_SECONDS). Kept in the kernel, not as Voila's cell timeout: a preheated
# kernel's cell waits for its visitor, maybe for hours, and Voila's timeout ended that wait
# with an error page after 3 minutes.
WORK_SECONDS_ENV, WORK_SECONDS = "SENDLIB_WORK_SECONDS", 180


def work_seconds() -> int:
    try:
        return max(1, int(os.environ.get(WORK_SECONDS_ENV, WORK_SECONDS)))
    except ValueError:
        return WORK_SECONDS


@contextlib.contextmanager
def time_limit(seconds: int):
    """Raise :class:`~sendlib.exceptions.OverTime` (a sentence for the page) if the block runs
    longer than ``seconds``. Needs SIGALRM and the main thread (as in a kernel); elsewhere no limit.

    The alarm may ring where its exception is swallowed (a garbage-collection callback, a
    library's own ``except``) or wrapped in another: it is raised again when the block ends."""
    if not hasattr(signal, "SIGALRM") or threading.current_thread() is not threading.main_thread():
        yield
        return

    limit = (
        f"{seconds // 60} minutes"
        if seconds >= 120 and seconds % 60 == 0
        else f"{seconds} second{'s' if seconds != 1 else ''}"
    )

    rang = []

    def expire(*_):
        rang.append(
            OverTime(
                f"This page took more than {limit} to prepare and was stopped. "
                "The export may be unusually large: please reload, and tell whoever runs sendlib "
                "if it happens again."
            )
        )
        raise rang[0]

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    except Exception as error:
        if rang and error is not rang[0]:
            raise rang[0] from error
        raise
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    if rang:
        raise rang[0]


def wait_for_visitor() -> bool:
    """In a preheated Voila kernel, wait for the request (and so the user) that takes it; False
    if its details did not come (Voila gives up after 5 s, or the server stopped)."""
    if os.environ.get("VOILA_PREHEAT") != "True":
        return True
    from voila.utils import wait_for_request

    wait_for_request()
    return os.environ.get("SERVER_SOFTWARE", "").startswith("voila")


def url_hints() -> dict[str, str]:
    """``school`` and ``pupil`` from the page's query string: hints, never authorisation."""
    from urllib.parse import parse_qs

    query = parse_qs(os.environ.get("QUERY_STRING", ""))
    return {key: query[key][0] for key in ("school", "pupil") if query.get(key)}


def choose_school(requested: str, schools: list[str], user: User, whole_trust: bool = False):
    """(the school to open, a refusal or None). "" is the whole trust where the app has one."""
    allowed = user.allowed(schools)
    if not allowed:
        raise AccessDenied(f"None of your schools ({', '.join(user.schools or ())}) is in this data.")
    everything = user.schools is None
    if requested and requested not in allowed:
        try:
            user.check_school(requested, schools)
        except AccessDenied as refusal:
            return ("" if whole_trust and everything else allowed[0]), refusal
    if whole_trust:
        return requested if requested in allowed else ("" if everything else allowed[0]), None
    return requested if requested in allowed else allowed[0], None
