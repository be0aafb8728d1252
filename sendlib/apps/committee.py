"""The Local Committee page: suppressed aggregates for one school at a time (a school picker
for a projector), and the same page as static HTML for the meeting papers (:func:`report`)."""

from __future__ import annotations

import ipywidgets as W
from IPython.display import HTML, display

from .. import render
from ..access import LOCAL_USER, User
from ..committee import cached_committee_pages
from ..exceptions import SendlibError
from ._blocks import guarded, html_block, print_button, signed_in


class Prepared:
    """Every school's committee page: suppressed aggregates and nothing else, shared by every
    visitor through the cache (:func:`sendlib.committee.cached_committee_pages`)."""

    def __init__(self, data_dir: str = "", policy=None):
        self.pages = cached_committee_pages(data_dir)
        self.schools = list(self.pages)


def build(prepared: Prepared, user: User = LOCAL_USER, school: str = "", log=lambda *args, **kwargs: None) -> W.Widget:
    """The committee page with a school picker (for a projector): ``user``'s schools only."""
    pages = {s: prepared.pages[s] for s in user.allowed(prepared.schools)}
    box = W.Dropdown(options=list(pages), value=school if school in pages else next(iter(pages)), description="School")
    view = W.HTML()
    view.add_class("sendlib-committee-view")

    def show(change=None):
        page = pages[box.value]  # the options are the user's schools: a forged value fails in the widget
        view.value = str(render.error(page) if isinstance(page, Exception) else render.committee(page))
        if change is not None:
            log(box.value, "school shown")

    shown = W.VBox([view])  # where an unexpected failure of a change of school would show
    box.observe(guarded(show, "the committee page", shown), "value")
    show()
    controls = W.HBox([box, print_button()])
    parts = (
        [controls, shown]
        if user is LOCAL_USER
        else [html_block(f"<p class='note'>{signed_in(user)}</p>"), controls, shown]
    )
    app = W.VBox(parts)
    app.add_class("sendlib-app")
    return app


prepare = Prepared


def report(data_dir: str = "", school: str = "") -> None:
    """Display the committee page for ``school`` as static HTML (report mode: no widgets, no
    scripts), or the error."""
    try:
        pages = cached_committee_pages(data_dir)
        page = pages.get(school or next(iter(pages)))
        if page is None:
            raise SendlibError(f"No school called {school!r}; the schools are: {', '.join(pages)}.")
        display(HTML(render.error(page) if isinstance(page, Exception) else render.committee(page)))
    except (SendlibError, OSError) as error:
        display(HTML(render.error(error)))
