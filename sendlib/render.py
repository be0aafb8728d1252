"""Frames, figures and pages as HTML: pure functions shared by the dashboards, the notebooks,
the committee report and its PDF.

Every piece of text is escaped (Jinja2 with autoescape, or :func:`markupsafe.escape`); what
this module returns is :class:`markupsafe.Markup`, safe to put into a page as it is. No
widgets here, and no matplotlib backend: figures are :class:`matplotlib.figure.Figure`
objects that never reach pyplot, so a notebook's own plots are untouched.
"""

from __future__ import annotations

import functools
import io

import pandas as pd
from jinja2 import Environment, PackageLoader
from markupsafe import Markup, escape

NOTHING = Markup('<p class="note">Nothing to show.</p>')
PRINT_BUTTON = Markup(
    '<button class="sendlib-print" type="button" onclick="window.print()" '
    'title="Print this page, or save it as a PDF from the print dialog">Print / PDF</button>'
)  # the whole page on A4, without the controls (sendlib.css's print rules)


def table(frame: pd.DataFrame | None, index: bool = False, empty: str = "") -> Markup:
    """A frame as an HTML table, every cell escaped; a sentence when it is empty (``empty``,
    saying why, else "Nothing to show.")."""
    if frame is None or frame.empty:
        return Markup('<p class="note">{}</p>').format(empty) if empty else NOTHING
    return Markup(frame.to_html(index=index, escape=True, border=0, na_rep=""))


@functools.cache
def _templates() -> Environment:
    env = Environment(
        loader=PackageLoader("sendlib", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["table"] = table
    return env


@functools.cache
def style() -> Markup:
    """The one stylesheet of sendlib's blocks, as a ``<style>`` element."""
    env = _templates()
    assert env.loader is not None  # made with a PackageLoader
    source = env.loader.get_source(env, "sendlib.css")[0]
    return Markup("<style>\n{}</style>\n").format(Markup(source))


def block(body: str, classes: str = "", styled: bool = True) -> Markup:
    """``body`` (HTML, already escaped) in a ``div.sendlib``, after the stylesheet unless
    ``styled`` is False (a block of an app, whose page carries the stylesheet once)."""
    div = Markup('<div class="sendlib {}">').format(classes) + Markup(body) + Markup("</div>")
    return style() + div if styled else div


def error(error: Exception | str, title: str = "This could not be shown.", more: Markup | None = None) -> Markup:
    """A data or usage error, or a refusal, as a readable message (no traceback); ``more``
    (HTML, such as :func:`app_links`) inside the same box."""
    text = Markup("<br>").join(escape(str(error)).split("\n"))
    return block(Markup("<p><b>{}</b></p><p>{}</p>").format(title, text) + (more or ""), "error")


def problems(problems: pd.DataFrame, shown: int = 20) -> Markup | None:
    """The export's problems (the first ``shown``), or None when there are none."""
    if problems.empty:
        return None
    more = len(problems) - shown
    body = (
        Markup(
            "<p><b>{} problem(s) were found in the export</b>; rows with a bad required value are left "
            "out. Fix them in the MIS and export again.</p>"
        ).format(len(problems))
        + table(problems.head(shown))
        + (Markup('<p class="note">... and {} more.</p>').format(more) if more > 0 else "")
    )
    return block(body, "error sendlib-problems")


def data_date(trust) -> Markup:
    """The date a trust's data describe, where it comes from, and a warning when it is old or undated."""
    body = Markup("<p class='note'>Data as of {:%d %B %Y} (from {}).</p>").format(trust.as_of, trust.as_of_source)
    if trust.as_of_warning:
        body += Markup("<p class='warning'>{}</p>").format(trust.as_of_warning)
    return block(body, "sendlib-data-date")


def committee(page) -> Markup:
    """One school's committee page (a :class:`sendlib.committee.CommitteePage`, already suppressed)."""
    return style() + Markup(_templates().get_template("committee.html.j2").render(page=page))


def committee_document(
    page: Markup,
    title: str,
    schools: list[str] | None = None,
    school: str = "",
    action: str = "",
    signed_in: str = "",
    refusal: Markup | None = None,
) -> str:
    """The committee page as the server sends it (:mod:`sendlib.server`): a whole document with
    ``page`` (:func:`committee`, or an error), a form to choose another of ``schools`` (a
    button, not a change of the list, moves to it: WCAG 3.2.2), the print button, who is signed
    in and a ``refusal`` of a school asked for."""
    return (
        _templates()
        .get_template("committee_page.html.j2")
        .render(
            page=page,
            title=title,
            schools=schools or [],
            school=school,
            action=action,
            signed_in=signed_in,
            refusal=refusal,
            style=style(),
            print_button=PRINT_BUTTON,
        )
    )


def app_links(base: str, apps) -> Markup:
    """ "Open <the apps>." as links (under the server's ``base`` URL), for a page that refuses
    a user: where they can go instead."""
    from .access import APP_PATHS, APP_TITLES

    links = Markup(" · ").join(
        Markup('<a href="{}{}">{}</a>').format(base, APP_PATHS[app], APP_TITLES[app]) for app in apps
    )
    return Markup("<p>Open {}.</p>").format(links)


def evidence(pack, figures: dict[str, list[tuple[bytes, str]]] | None = None) -> Markup:
    """One pupil's evidence pack (a :class:`sendlib.evidence.EvidencePack`) with its charts:
    ``figures`` maps a part of the pack (``progress``, ``timeline``) to its PNG images and their
    alt text, shown inside the page (data URLs)."""
    images = {part: [(png_uri(data), alt) for data, alt in shown] for part, shown in (figures or {}).items()}
    return style() + Markup(_templates().get_template("evidence.html.j2").render(pack=pack, figures=images))


def report(parts: list[str], title: str, footer: str, meta: dict[str, str]) -> str:
    """A self-contained HTML document: ``parts`` (trusted HTML) then the footer; ``meta`` as
    ``<meta>`` elements (the audit trail, machine-readable)."""
    return (
        _templates()
        .get_template("report.html.j2")
        .render(parts=[Markup(p) for p in parts], title=title, footer=footer, meta=meta, page_label=css_string(title))
    )


def css_string(text: str) -> Markup:
    r"""``text`` as a quoted CSS string, every character but letters, digits and spaces
    escaped (CSS hex escapes), safe inside a ``<style>`` element.

    >>> str(css_string("St Aidan's </style>"))
    '"St Aidan\\27 s \\3c \\2f style\\3e "'
    """
    return Markup('"' + "".join(c if c.isalnum() or c == " " else f"\\{ord(c):x} " for c in text) + '"')


def sign_in(action: str, xsrf: Markup, message: str = "") -> str:
    """The dashboards' sign-in page (:class:`sendlib.login.SignInHandler`)."""
    return _templates().get_template("signin.html.j2").render(action=action, xsrf=xsrf, message=message, style=style())


def downloads(name: str, files) -> Markup:
    """Links that download ``files`` (``(extension, mime type, bytes)``) as ``name.<extension>``,
    the bytes in the page itself (a data URL): nothing to fetch from the server."""
    import base64

    link = Markup("<a download='{}.{}' href='data:{};base64,{}'>Download {}</a>")
    return Markup(" ").join(
        link.format(name, kind, mime, base64.b64encode(data).decode(), kind.upper()) for kind, mime, data in files
    )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"  # a workbook's mime type


def workbook(sheets: dict[str, pd.DataFrame], header=(), notes=(), title: str = "") -> bytes:
    """Frames as an Excel workbook, one sheet each (names of at most 31 characters), the one
    place sendlib writes workbooks: ``header`` lines above the first sheet's table (what it is,
    the data date, the filter applied), ``notes`` on a last sheet, and ``title`` as the
    workbook's title property.

    Each table is laid out to be read: its header row frozen, columns as wide as what they hold
    (up to 60 characters), decimals shown to two places and dates as "20 Nov 2026" (the values
    themselves are kept whole, for a sum or a chart in Excel)."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = io.BytesIO()
    with pd.ExcelWriter(book, engine="openpyxl") as writer:
        tables = dict(sheets)
        if notes:
            tables["Notes"] = pd.DataFrame({"notes": list(notes)})
        for index, (name, frame) in enumerate(tables.items()):
            above = list(header) if index == 0 else []
            start = len(above) + 1 if above else 0
            frame.to_excel(writer, sheet_name=name, index=False, startrow=start)
            sheet = writer.sheets[name]
            for row, line in enumerate(above, start=1):
                sheet.cell(row=row, column=1, value=line).font = Font(bold=row == 1)
            sheet.freeze_panes = sheet.cell(row=start + 2, column=1)
            for number, column in enumerate(frame.columns, start=1):
                values = frame[column]
                width = max([len(str(column)), *(len(str(v)) for v in values.head(500) if not pd.isna(v))])
                sheet.column_dimensions[get_column_letter(number)].width = min(
                    width + 2, 60 if name != "Notes" else 120
                )
                shown = None
                if values.dtype.kind == "f" and not values.dropna().mod(1).eq(0).all():
                    shown = "#,##0.00"  # whole numbers (a year, a count with a blank) as they are
                elif values.dtype.kind == "M":
                    shown = "dd mmm yyyy"
                if shown:
                    for (cell,) in sheet.iter_rows(min_row=start + 2, min_col=number, max_col=number):
                        cell.number_format = shown
        if title:
            writer.book.properties.title = title
    return book.getvalue()


def new_figure(width: float, height: float, margins: dict[str, float] | None = None):
    """A figure and its axes, outside pyplot (no backend, nothing shown by itself), laid out by
    matplotlib's constrained layout; or, with ``margins`` (``left, right, top, bottom`` as
    fractions of the figure), at those fixed margins: a third quicker to draw, for a chart drawn
    at every click whose labels are known (a pupil's progress band)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout=None if margins else "constrained")
    if margins:
        fig.subplots_adjust(**margins)
    return fig, fig.add_subplot()


def png_uri(data: bytes) -> str:
    """PNG bytes as a data URL: an image inside the page, nothing to fetch."""
    import base64

    return "data:image/png;base64," + base64.b64encode(data).decode()


FIGURE_DPI = 110  # a chart's pixels per inch in a page


def figure_png(fig, dpi: int = FIGURE_DPI) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)  # constrained layout fits it: no second, "tight" draw
    return buffer.getvalue()


def pupil_summary(summary, figures: list[tuple[bytes, str]] | None = None) -> Markup:
    """One pupil's one-page summary for a meeting with their parents (a
    :class:`sendlib.summary.PupilSummary`) with its small progress charts (PNG images and their
    alt text, shown inside the page)."""
    images = [(png_uri(data), alt) for data, alt in figures or []]
    return style() + Markup(_templates().get_template("pupil_summary.html.j2").render(s=summary, figures=images))
