"""Helpers for the analysis notebooks in ``notebooks/``: each step either runs or says, in one
sentence, what the export lacks for it; the notebook runs on to its end either way."""

from __future__ import annotations

from IPython.display import HTML
from markupsafe import Markup

from . import render
from .exceptions import SendlibError


def data_date(trust) -> HTML:
    """The date the data describe, where it comes from and (when old or undated) a warning."""
    return HTML(str(render.data_date(trust)))


def sentences(lines) -> HTML:
    """Sentences (a forecast's notes, a back-test in words) as paragraphs."""
    return HTML(str(render.block(Markup("").join(Markup("<p>{}</p>").format(line) for line in lines))))


class Missing:
    """A notebook step the export has no data for (a file it lacks): shows its sentence, and
    anything done to it (a column, a filter, a method) gives itself, so the notebook runs on
    and says once per cell what is missing."""

    def __init__(self, reason: str):
        self.reason = reason

    def _repr_html_(self) -> str:
        return str(render.block(Markup("<p><b>Not shown:</b> {}</p>").format(self.reason), "note"))

    def __repr__(self) -> str:
        return f"Not shown: {self.reason}"

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return self

    def __getitem__(self, key):
        return self

    def __call__(self, *args, **kwargs):
        return self

    def __eq__(self, other):
        return self

    def __invert__(self):
        return self

    __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __and__ = __or__ = __eq__
    __hash__ = object.__hash__


def step(function, *args, **kwargs):
    """One step of a notebook: ``function(*args, **kwargs)``, or a :class:`Missing` that says
    why not (the export lacks a file it needs, or an earlier step was missing)."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, Missing):
            return value
    try:
        return function(*args, **kwargs)
    except SendlibError as error:
        return Missing(str(error).split("\n")[-1].split(" -- ")[-1])
