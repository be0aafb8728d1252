"""Widget helpers shared by the apps: :mod:`sendlib.render`'s HTML in ipywidgets, and
callbacks whose failures reach the page as sentences (never as tracebacks)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import sys
import traceback
from collections.abc import Callable

import ipywidgets as W
import pandas as pd
from markupsafe import escape

from .. import render
from ..access import User
from ..exceptions import OverTime, SendlibError


def block(body: str, classes: str = "") -> str:
    """:func:`sendlib.render.block` without its own stylesheet: an app's page carries it once
    (:func:`styled`), not once per block sent at every click."""
    return str(render.block(body, classes, styled=False))


def html_block(body: str, classes: str = "") -> W.HTML:
    return W.HTML(block(body, classes))


def styled(app: W.Widget) -> W.Widget:
    """``app`` with sendlib's stylesheet, once for the page."""
    page = W.VBox([W.HTML(str(render.style())), app])
    page.add_class("sendlib-styled")  # printed whole, as the app is (sendlib.css)
    return page


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
    return W.HTML(str(render.PRINT_BUTTON))


def figure_html(fig, words: str) -> str:
    """A chart as an image inside the page, with ``words`` saying what it shows (its alt text)."""
    return f'<img class="sendlib-figure" src="{render.png_uri(render.figure_png(fig))}" alt="{escape(words)}">'


def figure_widget(fig, words: str) -> W.HTML:
    return W.HTML(figure_html(fig, words))


def chart(draw: Callable[[], tuple], size: tuple[float, float], what: str, later: list | None) -> W.HTML:
    """A chart (``draw()`` gives the figure, of ``size`` inches, and its words): drawn now, or,
    with a ``later`` list, a place of its size saying it is being drawn, and the call that
    draws it there appended to ``later``, to run once the rest of the page has gone to the
    browser (the text of a pupil's page shows at once; each chart follows in about 0.1 s)."""
    if later is None:
        return figure_widget(*draw())
    width, height = (round(inches * render.FIGURE_DPI) for inches in size)
    slot = W.HTML(
        f'<div class="sendlib-figure sendlib-figure-pending" style="width: {width}px; '
        f'aspect-ratio: {width} / {height}"><p class="note">Drawing the chart of {escape(what)}…</p></div>'
    )
    later.append(lambda: setattr(slot, "value", figure_html(*draw())))
    return slot


def signed_in(user: User) -> str:
    """ " Signed in as …": who the page is for (nothing for the one local user), escaped."""
    who = user.who()
    return str(escape(f" {who}")) if who else ""


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


# --- lists of pupils, filtered ---------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Filter:
    """A choice that narrows lists of pupils: on a fact about the pupil (a column of the facts
    :class:`ListsView` is given: year group, SEN provision, need) or on a column of the list
    itself (its subject); a list without that column is not narrowed by it."""

    column: str  # "SEN provision", the Dropdown's label too
    every: str  # the first choice, which narrows nothing: "All SEN provision"
    options: tuple[str, ...]
    phrase: Callable[[str], str]  # a choice in a sentence: "on SEN support", "for maths"
    of_list: bool = False  # a column of the list's own (its subject), said after "is on this list"


@dataclasses.dataclass(frozen=True)
class PupilList:
    """One list of pupils on a tab: ``rows`` has a ``upn`` column (not shown) beside the
    columns shown, and a ``Pupil`` column (the pupil's name); ``parts`` show it in parts by a
    fact about the pupil: (name, next step, the fact's values), e.g. on the SEN register."""

    title: str
    rows: pd.DataFrame
    file: str  # the downloads' name, without extension
    css_class: str
    note: str = ""  # HTML under the heading
    parts: tuple[tuple[str, str, str, frozenset[str]], ...] = ()  # (name, next step, fact's column, values)
    empty: str = "None."
    unit: str = "pupil"  # what the heading counts: pupils (each once), or "" for the list's lines
    # lines counted by a column's values under the heading, as shown ("7 overdue, 23 with no
    # deadline"): the column, then each value and its words, in the order said
    tally: tuple[str, tuple[tuple[str, str], ...]] | None = None


def tally(rows: pd.DataFrame, column: str, words: tuple[tuple[str, str], ...]) -> str:
    """How many of ``rows`` have each value of ``column``, in words, in the order of ``words``
    (value, words), those with none left out: "7 overdue, 151 due in the next 30 days."

    >>> rows = pd.DataFrame({"Status": ["due", "overdue", "due"]})
    >>> tally(rows, "Status", (("overdue", "overdue"), ("no deadline", "owed with no date"), ("due", "due soon")))
    '1 overdue, 2 due soon.'
    """
    counts = rows[column].value_counts()
    return ", ".join(f"{counts[value]} {said}" for value, said in words if counts.get(value, 0)) + "."


def filtered(rows: pd.DataFrame, facts: pd.DataFrame, chosen: dict[str, str]) -> tuple[pd.DataFrame, list[str]]:
    """The rows of a list each choice keeps (``chosen``: a filter's column and its choice, ""
    for all), and the columns chosen that neither the list nor the facts have (not applied)."""
    keep = pd.Series(True, index=rows.index)
    skipped = []
    for column, value in chosen.items():
        if not value:
            continue
        if column in rows:
            keep &= rows[column].astype(str).eq(value)
        elif column in facts:
            keep &= rows["upn"].map(facts[column]).eq(value)
        else:
            skipped.append(column)
    return rows[keep], skipped


def nobody_sentence(filters: list[Filter], chosen: dict[str, str]) -> str:
    """ "No pupil in Year 3 on SEN support is on this list for maths.": the pupil's facts before
    "is on this list", the list's own columns after it."""
    pupil = [f.phrase(chosen[f.column]) for f in filters if chosen.get(f.column) and not f.of_list]
    own = [f.phrase(chosen[f.column]) for f in filters if chosen.get(f.column) and f.of_list]
    return " ".join(["No pupil", *pupil, "is on this list", *own]) + "."


def _width(label: str, options: list[str]) -> str:
    """A Dropdown wide enough for its label and its longest option (about, in ems)."""
    return f"{len(label) * 0.6 + min(40, max(map(len, options))) * 0.55 + 3:.0f}em"


def count_words(rows: pd.DataFrame, whole: pd.DataFrame, unit: str, narrowed: bool) -> str:
    def n(frame):
        return frame["upn"].nunique() if unit else len(frame)

    words = f" {unit}{'s' * (n(whole) != 1)}" if unit else ""
    return f"{n(rows)} of {n(whole)}{words}" if narrowed else f"{n(whole)}{words}"


class ListsView:
    """A tab's lists of pupils under one row of filters (each an "All ..." Dropdown with its
    label): a choice narrows every list on the tab, each list's heading counts what is shown
    ("12 of 140 pupils"), its CSV and XLSX give what is shown (the workbook says the data date
    and the filter), an empty result says so in a sentence, and each list has a choice of its pupils
    and an "Open pupil" button that calls ``open_pupil`` with the UPN (a button, not the choice
    itself: arrow keys on a closed list change its value, and each change would leave the tab;
    WCAG 3.2.2). Other widgets on the tab (a map, a sort order) go where :meth:`show` is given them."""

    def __init__(self, open_pupil: Callable[[str], None], css_class: str, where: str):
        self.widget = W.VBox()
        self.widget.add_class(css_class)
        self.open_pupil = open_pupil
        self.where = where
        self.boxes: dict[str, W.Dropdown] = {}
        self.shown: list[tuple[PupilList, W.HTML, W.Dropdown, W.HTML, W.HTML]] = []
        self.made: list[W.Widget] = []  # every widget of the lists shown, closed when they are made again

    def show(self, items: list, filters: list[Filter], facts: pd.DataFrame, header: list[str], controls=()) -> None:
        """``items``: :class:`PupilList` and other widgets, in order; the filters (and
        ``controls``) go above the first list. ``header``: the workbooks' first lines (the school,
        the data date). A choice made before is kept where it is still offered."""
        before = {column: box.value for column, box in self.boxes.items()}
        for widget in self.made:
            widget.close()
        self.filters, self.facts, self.header = filters, facts, header
        self.boxes = {
            f.column: W.Dropdown(
                options=[(f.every, ""), *((o, o) for o in f.options)],
                value=before.get(f.column) if before.get(f.column) in f.options else "",
                description=f.column,
                style={"description_width": "initial"},
                layout=W.Layout(width=_width(f.column, [f.every, *f.options])),
            )
            for f in filters
        }
        refilter = guarded(self.refilter, self.where, self.widget)
        for box in self.boxes.values():
            box.observe(refilter, "value")
        lead = html_block("<p><b>Show only</b> (every list on this tab):</p>")
        row = W.HBox([*self.boxes.values(), *controls], layout=W.Layout(flex_flow="row wrap"))
        bar = W.VBox([lead, row])
        bar.add_class("sendlib-filters")
        self.made = [*self.boxes.values(), lead, row, bar]
        self.shown = []
        children: list = []
        for item in items:
            if not isinstance(item, PupilList):
                children.append(item)
                continue
            if not self.shown:
                children.append(bar)
            heading, body, links = W.HTML(), W.HTML(), W.HTML()
            pick = W.Dropdown(description="Pupil on this list", style={"description_width": "initial"})
            button = W.Button(description="Open pupil", disabled=True, tooltip="Open the chosen pupil's page")
            button.add_class("sendlib-open-pupil")
            pick.observe(functools.partial(_enable, button), "value")
            button.on_click(guarded(functools.partial(self._open, pick), self.where, self.widget))
            tools = W.HBox([pick, button, links], layout=W.Layout(flex_flow="row wrap", align_items="center"))
            tools.add_class("sendlib-list-tools")
            box = W.VBox([heading, tools, body])
            box.add_class(item.css_class)
            children.append(box)
            self.made += [heading, body, links, pick, button, tools, box]
            self.shown.append((item, heading, pick, links, body))
        self.refilter()  # the lists filled before they are shown: no empty heading reaches the page
        self.widget.children = children

    def chosen(self) -> dict[str, str]:
        return {column: box.value for column, box in self.boxes.items()}

    def refilter(self, *_) -> None:
        chosen = self.chosen()
        narrowed = any(chosen.values())
        applied = "; ".join(f"{f.column}: {chosen[f.column]}" for f in self.filters if chosen[f.column])
        for item, heading, pick, links, body in self.shown:
            rows, skipped = filtered(item.rows, self.facts, chosen)
            shown = rows.drop(columns="upn")
            unused = ", ".join(s.lower() for s in skipped)
            heading.value = block(
                f"<h3>{escape(item.title)} ({count_words(rows, item.rows, item.unit, narrowed)})</h3>"
                + (f"<p class='note'>{item.note}</p>" if item.note else "")
                + (f"<p>{escape(tally(rows, *item.tally))}</p>" if item.tally and not rows.empty else "")
                + (f"<p class='note'>Not narrowed by {escape(unused)}: the list has none.</p>" if unused else "")
            )
            if rows.empty:
                sentence = nobody_sentence(self.filters, chosen) if narrowed else item.empty
                body.value = block(f"<p>{escape(sentence)}</p>")
            elif item.parts:
                body.value = block("".join(self._part(item, rows, part, narrowed) for part in item.parts))
            else:
                body.value = block(str(render.table(shown)))
            names = rows.drop_duplicates("upn")
            labels = names["Pupil"].where(
                ~names["Pupil"].duplicated(keep=False), names["Pupil"] + " (" + names["upn"] + ")"
            )  # a name two pupils share, with each one's UPN
            pick.options = [("Choose a pupil", ""), *zip(labels, names["upn"])]
            pick.value = ""
            pick.disabled = rows.empty
            links.value = "" if rows.empty else block(self._downloads(item, shown, applied))

    def _downloads(self, item: PupilList, shown: pd.DataFrame, applied: str) -> str:
        """What is shown as CSV and XLSX; the workbook's first lines say what it is, the data
        date and the filter."""
        header = [item.title, *self.header, f"Filter: {applied or 'none (the whole list)'}"]
        files = [
            ("csv", "text/csv", shown.to_csv(index=False).encode("utf-8")),
            ("xlsx", render.XLSX, render.workbook({"Pupils": shown}, header=header, title=item.title)),
        ]
        return f"<p class='sendlib-downloads'>{render.downloads(item.file, files)}</p>"

    def _part(self, item: PupilList, rows: pd.DataFrame, part, narrowed: bool) -> str:
        name, step, column, values = part
        whole = item.rows[item.rows["upn"].map(self.facts[column]).isin(values)]
        mine = rows[rows["upn"].map(self.facts[column]).isin(values)]
        return f"<p><b>{escape(name)} ({count_words(mine, whole, item.unit, narrowed)})</b>: {escape(step)}</p>" + (
            str(render.table(mine.drop(columns="upn"))) if len(mine) else "<p>None.</p>"
        )

    def _open(self, pick: W.Dropdown, *_) -> None:
        if pick.value:
            self.open_pupil(pick.value)


def _enable(button: W.Button, change) -> None:
    """The "Open pupil" button, usable once a pupil is chosen."""
    button.disabled = not change["new"]
