"""Widget helpers shared by the apps: :mod:`sendlib.render`'s HTML in ipywidgets, and
callbacks whose failures reach the page as sentences (never as tracebacks)."""

from __future__ import annotations

import datetime as dt
import functools
import sys
import traceback

import ipywidgets as W
from markupsafe import escape

from .. import render
from ..access import LOCAL_USER, ROLE_TITLES, User
from ..exceptions import OverTime, SendlibError


def html_block(body: str, classes: str = "") -> W.HTML:
    return W.HTML(str(render.block(body, classes)))


def table_html(frame, index: bool = False) -> str:
    """:func:`sendlib.render.table` as plain text, to join with the HTML of a block."""
    return str(render.table(frame, index))


def error_block(error: Exception, title: str = "This could not be shown.") -> W.HTML:
    return W.HTML(str(render.error(error, title)))


def problems_block(trust) -> W.HTML | None:
    problems = render.problems(trust.problems)
    return None if problems is None else W.HTML(str(problems))


def data_date(trust) -> W.HTML:
    """The date the data describe, where it comes from and (when old or undated) a warning."""
    return W.HTML(str(render.data_date(trust)))


def print_button() -> W.HTML:
    """A button that prints the page (or saves it as a PDF, in the browser's print dialog): the
    whole page on A4, without the controls (sendlib.css's print rules)."""
    return W.HTML(
        '<button class="sendlib-print" type="button" onclick="window.print()" '
        'title="Print this page, or save it as a PDF from the print dialog">Print / PDF</button>'
    )


def figure_widget(fig, words: str) -> W.HTML:
    """A chart as an image inside the page, with ``words`` saying what it shows (its alt text)."""
    return W.HTML(f'<img class="sendlib-figure" src="{render.png_uri(render.figure_png(fig))}" alt="{escape(words)}">')


def signed_in(user: User) -> str:
    """ " Signed in as …": who the page is for (nothing for the one local user)."""
    if user is LOCAL_USER:
        return ""
    schools = "all schools" if user.schools is None else ", ".join(user.schools)
    return str(escape(f" Signed in as {user.name} ({ROLE_TITLES[user.role]}; {schools})."))


def unexpected(error: Exception, where: str) -> W.HTML:
    """A failure nobody foresaw: the traceback goes to the server's log (the kernel's own stderr,
    which Voila's terminal or service log shows, never the page); the page says what to do."""
    stamp = dt.datetime.now().strftime("%d/%m/%Y %H:%M:%S")
    print(f"[sendlib {stamp}] unexpected error in {where}:", file=sys.__stderr__)
    traceback.print_exception(error, file=sys.__stderr__)
    return error_block(
        SendlibError(
            f"Something went wrong while preparing this page ({type(error).__name__}, at {stamp}). Please reload "
            "it; if it happens again, tell whoever runs sendlib: the details are in the server's log at that time."
        ),
        "This could not be shown.",
    )


def guarded(view, where: str, into: W.Box):
    """A widget callback that, should it fail, shows :func:`unexpected` in ``into`` instead of
    failing without a word (ipywidgets only logs a callback's exception)."""

    @functools.wraps(view)
    def run(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except OverTime:  # the page's time is up: the whole page says so, not one panel
            raise
        except Exception as error:
            into.children = [unexpected(error, where)]

    return run
