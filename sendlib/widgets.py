"""The dashboards' building blocks: ipywidgets wired to sendlib's compute and plot functions.

The notebooks in ``voila_apps/`` and ``notebooks/`` only call these. Each app returns a
widget (interactive) or displays static HTML and PNG figures (``report_mode``), so one
notebook serves the browser and the meeting papers. Errors in the data reach the page as
sentences, never as tracebacks.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import functools
import html
import io
import os
import secrets
import signal
import sys
import threading
import traceback

import ipywidgets as W
import matplotlib
import pandas as pd
from IPython.display import HTML, display

from ._paths import DATA_ENV
from .access import (APP_NOTEBOOKS, APP_TITLES, APPS, LOCAL_USER, ROLE_TITLES, USER_ENV, AccessDenied, User, claim_kernel, current_policy, current_user, log_access,
                     pseudonym, pseudonymise, redact, school_upns, scope_frame, scope_trust)
from .codes import BROAD_AREAS, year_group_label
from .committee import CommitteePage, cached_committee_pages
from .exceptions import SendlibError
from .loader import TrustData, load_sample, load_trust

matplotlib.use("Agg")
# The pupil explorer and the forecast import their compute and plotting modules (scikit-learn,
# scipy, pyplot) when they open: the committee page, which fifteen people may open at once
# in a meeting, needs none of them.

STYLE = """
<style>
.sendlib h2 {font-size: 1.35em; margin: 0.8em 0 0.3em 0; color: #1a3a5a;}
.sendlib h3 {font-size: 1.1em; margin: 0.7em 0 0.2em 0; color: #1a3a5a;}
.sendlib table {border-collapse: collapse; margin: 0.3em 0 0.8em 0; font-size: 0.95em;}
.sendlib th, .sendlib td {border-bottom: 1px solid #d0d7de; padding: 4px 10px; text-align: left; vertical-align: top;}
.sendlib th {background: #eef3f8;}
.sendlib .flag {color: #b3261e; font-weight: 600;}
.sendlib .ok {color: #1b6e3a;}
.sendlib .note {color: #555; font-size: 0.9em;}
.sendlib .warning {background: #fff4e5; border-left: 4px solid #b35c00; padding: 6px 10px; color: #5c3200;}
.sendlib.error, .sendlib .error {background: #fdecea; border-left: 4px solid #b3261e; padding: 8px 12px;}
.sendlib .narrative {background: #f3f7fb; border-left: 4px solid #1a3a5a; padding: 8px 14px;}
.sendlib p {margin: 0.3em 0;}
</style>
"""


# --- shared helpers -----------------------------------------------------------------------------


def load(data_dir: str = "", strict: bool = False) -> TrustData:
    """The trust in ``data_dir`` (else $SENDLIB_DATA, else the bundled sample); problems kept."""
    data_dir = data_dir or os.environ.get(DATA_ENV, "")
    return load_sample() if not data_dir else load_trust(data_dir, strict=strict)


def app(kind: str, data_dir: str = "", school: str = "", **params) -> W.Widget:
    """Open an app ("senco", "forecast", "committee") for the signed-in user: the widget, or a
    refusal or an error in words.

    The trust-wide work runs first, so that a preheated kernel has done it before anyone
    asks; then the kernel waits for the visitor (a no-op outside Voila), learns who signed
    in (:func:`sendlib.access.current_user`) and builds the app from only what that user's
    role and schools allow. A school asked for in the URL (``?school=``) or as a parameter
    is a hint: one the user may not see gets a refusal, and their own school opens instead.
    """
    try:
        with time_limit(work_seconds()):
            prepared = PREPARE[kind](data_dir, current_policy())
    except (SendlibError, OSError) as error:
        prepared = error
    if not _wait_for_visitor():  # the server was too busy to say who this is (or it stopped)
        return error_block(SendlibError("The server was too busy to open this page. Please reload it."))
    policy = user = None
    try:
        policy = current_policy()
        user = current_user(policy)
        claim_kernel(policy, user.name)  # only this user's page may now connect to this kernel
        user.check_app(kind)
        if isinstance(prepared, Exception):
            raise prepared
        hints = _url_hints()
        school, refusal = _choose_school(hints.get("school") or school, prepared.schools, user,
                                         whole_trust=kind == "forecast")
        if refusal is not None:
            log_access(policy, user.name, kind, hints.get("school") or school, "refused", str(refusal))
        if kind == "senco" and hints.get("pupil"):
            params["pupil"] = hints["pupil"]
        log = functools.partial(log_access, policy, user.name, kind)
        log(school, "opened")
        with time_limit(work_seconds()):
            widget = BUILDERS[kind](prepared, user, school=school, log=log, **params)
        return W.VBox([error_block(refusal, "Not available to you."), widget]) if refusal is not None else widget
    except AccessDenied as error:
        log_access(policy, user.name if user else os.environ.get(USER_ENV, "?"), kind, "", "refused", str(error))
        refusal = error_block(error, "Not available to you.")
        if user is not None and not user.may_open(kind):  # point to the pages they can open
            base = os.environ.get("VOILA_BASE_URL", "/")
            links = " · ".join(f'<a href="{html.escape(base)}voila/render/{APP_NOTEBOOKS[a]}">{APP_TITLES[a]}</a>'
                               for a in APPS[user.role])
            refusal.value = refusal.value.replace("</div>", f"<p>Open {links}.</p></div>")
        return refusal
    except (SendlibError, OSError) as error:
        return error_block(error if user is LOCAL_USER else redact(error))
    except Exception as error:  # noqa: BLE001 - the page gets a sentence; the log gets the traceback
        return unexpected(error, kind)


def unexpected(error: Exception, where: str) -> W.HTML:
    """A failure nobody foresaw: the traceback goes to the server's log (the kernel's own stderr,
    which Voila's terminal or service log shows, never the page); the page says what to do."""
    stamp = dt.datetime.now().strftime("%d/%m/%Y %H:%M:%S")
    print(f"[sendlib {stamp}] unexpected error in {where}:", file=sys.__stderr__)
    traceback.print_exception(error, file=sys.__stderr__)
    return error_block(SendlibError(
        f"Something went wrong while preparing this page ({type(error).__name__}, at {stamp}). Please reload "
        "it; if it happens again, tell whoever runs sendlib: the details are in the server's log at that time."),
        "This could not be shown.")


def guarded(view, where: str, into: W.Box):
    """A widget callback that, should it fail, shows :func:`unexpected` in ``into`` instead of
    failing without a word (ipywidgets only logs a callback's exception)."""
    @functools.wraps(view)
    def run(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except OverTime:  # the page's time is up: the whole page says so, not one panel
            raise
        except Exception as error:  # noqa: BLE001 - a callback's failure would otherwise vanish
            into.children = [unexpected(error, where)]
    return run


def data_date(trust: TrustData, widget: bool = True):
    """The date the data describe, where it comes from and (when more than a term old or
    undated) a warning: on every app, notebook and report. A widget for an app, else HTML
    (a notebook's output, which static reports can show)."""
    warning = trust.as_of_warning
    text = f"Data as of {trust.as_of:%d %B %Y} (from {trust.as_of_source})."
    block = html_block(f"<p class='note'>{html.escape(text)}</p>"
                       + (f"<p class='warning'>{html.escape(warning)}</p>" if warning else ""), "sendlib-data-date")
    return block if widget else HTML(block.value)


class Missing:
    """A notebook step the export has no data for (a file it lacks): shows its sentence, and
    anything done to it (a column, a filter, a method) gives itself, so the notebook runs on
    and says once per cell what is missing."""

    def __init__(self, reason: str):
        self.reason = reason

    def _repr_html_(self) -> str:
        return html_block(f"<p><b>Not shown:</b> {html.escape(self.reason)}</p>", "note").value

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

    __ne__ = __lt__ = __le__ = __gt__ = __ge__ = __and__ = __or__ = __invert__ = __eq__
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


class OverTime(SendlibError):
    """An app ran past its time limit."""


@contextlib.contextmanager
def time_limit(seconds: int):
    """Raise :class:`OverTime` (a sentence for the page) if the block runs longer than
    ``seconds``. Needs SIGALRM and the main thread (as in a kernel); elsewhere no limit.

    The alarm may ring where its exception is swallowed (a garbage-collection callback, a
    library's own ``except``) or wrapped in another: it is raised again when the block ends."""
    if not hasattr(signal, "SIGALRM") or threading.current_thread() is not threading.main_thread():
        yield
        return

    limit = (f"{seconds // 60} minutes" if seconds >= 120 and seconds % 60 == 0
             else f"{seconds} second{'s' if seconds != 1 else ''}")

    rang = []

    def expire(*_):
        rang.append(OverTime(f"This page took more than {limit} to prepare and was stopped. "
                             "The export may be unusually large: please reload, and tell whoever runs sendlib "
                             "if it happens again."))
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


def _wait_for_visitor() -> bool:
    """In a preheated Voila kernel, wait for the request (and so the user) that takes it; False
    if its details did not come (Voila gives up after 5 s, or the server stopped)."""
    if os.environ.get("VOILA_PREHEAT") != "True":
        return True
    from voila.utils import wait_for_request

    wait_for_request()
    return os.environ.get("SERVER_SOFTWARE", "").startswith("voila")


def _url_hints() -> dict[str, str]:
    """``school`` and ``pupil`` from the page's query string: hints, never authorisation."""
    from urllib.parse import parse_qs

    query = parse_qs(os.environ.get("QUERY_STRING", ""))
    return {key: query[key][0] for key in ("school", "pupil") if query.get(key)}


def _choose_school(requested: str, schools: list[str], user: User, whole_trust: bool = False):
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


def report(data_dir: str = "", school: str = "") -> None:
    """Display the committee page for ``school`` as static HTML (report mode: no widgets, no
    scripts), or the error."""
    try:
        pages = _CommitteeData(data_dir).pages
        page = pages.get(school or next(iter(pages)))
        if page is None:
            raise SendlibError(f"No school called {school!r}; the schools are: {', '.join(pages)}.")
        display(HTML(error_block(page).value if isinstance(page, Exception) else committee_html(page)))
    except (SendlibError, OSError) as error:
        display(HTML(error_block(error).value))


def html_block(body: str, classes: str = "") -> W.HTML:
    widget = W.HTML(STYLE + f'<div class="sendlib {classes}">{body}</div>')
    return widget


def table_html(frame: pd.DataFrame, index: bool = False) -> str:
    if frame is None or frame.empty:
        return '<p class="note">Nothing to show.</p>'
    return frame.to_html(index=index, escape=True, border=0, na_rep="")


def new_figure(width: float, height: float):
    """A matplotlib figure and axes (pyplot loads on first use)."""
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(width, height), layout="constrained")


def figure_png(fig) -> bytes:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def figure_widget(fig) -> W.Image:
    return W.Image(value=figure_png(fig), format="png", layout=W.Layout(max_width="780px"))


def signed_in(user: User) -> str:
    """" Signed in as …": who the page is for (nothing for the one local user)."""
    if user is LOCAL_USER:
        return ""
    schools = "all schools" if user.schools is None else ", ".join(user.schools)
    return html.escape(f" Signed in as {user.name} ({ROLE_TITLES[user.role]}; {schools}).")


def error_block(error: Exception, title: str = "This could not be shown.") -> W.HTML:
    """A data or usage error, or a refusal, as a readable message (no traceback)."""
    text = html.escape(str(error)).replace("\n", "<br>")
    return html_block(f"<p><b>{html.escape(title)}</b></p><p>{text}</p>", "error")


def problems_block(trust: TrustData) -> W.HTML | None:
    if trust.problems.empty:
        return None
    shown = trust.problems.head(20)
    more = len(trust.problems) - len(shown)
    body = (f"<p><b>{len(trust.problems)} problem(s) were found in the export</b>; rows with a bad required "
            "value are left out. Fix them in the MIS and export again.</p>" + table_html(shown)
            + (f'<p class="note">... and {more} more.</p>' if more else ""))
    return html_block(body, "error sendlib-problems")


# --- the SENCO's pupil explorer -----------------------------------------------------------------
class _SencoData:
    """Everything the explorer shows, computed once for the whole trust (progress is judged
    against peers across the trust); :meth:`for_schools` cuts it down to one user's schools."""

    def __init__(self, data_dir: str = "", policy=None):
        from . import plotting  # noqa: F401 - pyplot loads now, before anyone waits for a pupil
        from .duties import duties_todo, graduated_approach, statutory_duties
        from .eal import eal_evidence_items, weigh_eal_evidence
        from .progress import assess_progress

        self.trust = trust = load(data_dir)
        self.schools = trust.schools
        self.progress = assess_progress(trust) if trust.assessments is not None else None
        self.eal = weigh_eal_evidence(trust, progress=self.progress)
        self.eal_items = eal_evidence_items(trust, progress=self.progress)
        self.duties = statutory_duties(trust)
        self.plans = graduated_approach(trust)
        self.todo = duties_todo(trust, duties=self.duties)
        self.peers, self.peer_key = trust, str  # peers for a pupil's progress band, and the pupil's key there
        self.log_key = (lambda upn, secret=policy.secret(): pseudonym(upn, secret)) if policy else str

    def for_schools(self, schools: list[str]) -> _SencoData:
        """Named pupils of ``schools`` only; the peer bands see the rest of the trust pseudonymised."""
        if schools == self.schools:
            return self
        upns = school_upns(self.trust, schools)
        scoped = object.__new__(_SencoData)
        scoped.trust, scoped.schools = scope_trust(self.trust, schools), schools
        for name in ("progress", "eal", "eal_items", "duties", "plans", "todo"):
            setattr(scoped, name, scope_frame(getattr(self, name), upns))
        secret = secrets.token_bytes(32)  # these keys never leave the kernel
        scoped.peers, scoped.peer_key = pseudonymise(self.trust, secret), lambda upn: pseudonym(upn, secret)
        scoped.log_key = self.log_key
        return scoped


def pupil_label(row) -> str:
    name = " ".join(str(v) for v in (row.get("forename"), row.get("surname")) if isinstance(v, str) and v)
    return f"{name or 'Unnamed pupil'} ({year_group_label(row['year_group'])}, {row['upn']})"


def senco_explorer(prepared: _SencoData, user: User = LOCAL_USER, school: str = "", pupil: str = "",
                   log=lambda *args, **kwargs: None) -> W.Widget:
    """Pick a school and a pupil: progress against same-baseline peers, the four tests with
    their reasons, EAL evidence, support plan and review, parent meetings, EHC deadlines;
    and the school's list of pupils flagged and its to-do list. Only ``user``'s schools."""
    data = prepared.for_schools(user.allowed(prepared.schools))
    trust = data.trust
    schools = data.schools
    school = school if school in schools else schools[0]
    school_box = W.Dropdown(options=schools, value=school, description="School")
    pupil_box = W.Combobox(placeholder="Type a name or UPN", description="Pupil", ensure_option=True,
                           layout=W.Layout(width="420px"))
    sort_box = W.Dropdown(options=[("Most tests flagged", "tests"), ("Name", "name"), ("Year group", "year"),
                                   ("Subject", "subject")], description="Sort by")
    pupil_view = W.VBox()
    pupil_view.add_class("sendlib-pupil-view")
    school_view = W.VBox()
    school_view.add_class("sendlib-school-view")
    labels: dict[str, str] = {}

    def refresh_school(change=None):
        pupils = trust.pupils[trust.pupils["school"] == school_box.value].sort_values(["surname", "forename"])
        labels.clear()
        labels.update({pupil_label(r): r["upn"] for r in pupils.to_dict("records")})
        pupil_box.options = list(labels)
        pupil_box.value = ""
        pupil_view.children = [html_block('<p class="note">Type the first letters of a name or UPN and pick '
                                          "the pupil.</p>")]
        school_view.children = _school_lists(data, school_box.value, sort_box.value)
        if change is not None:
            log(school_box.value, "school shown")

    def refresh_pupil(*_):
        upn = labels.get(pupil_box.value)  # only this school's pupils have labels: nothing else can open
        if upn:
            log(school_box.value, "pupil opened", data.log_key(upn))
            try:
                pupil_view.children = _pupil_panels(data, upn)
            except SendlibError as error:
                pupil_view.children = [error_block(error)]

    school_box.observe(guarded(refresh_school, "the explorer's school", school_view), "value")
    pupil_box.observe(guarded(refresh_pupil, "the explorer's pupil", pupil_view), "value")
    sort_box.observe(guarded(lambda *_: setattr(school_view, "children", _school_lists(data, school_box.value,
                                                                                         sort_box.value)),
                             "the explorer's lists", school_view), "value")
    refresh_school()
    if pupil:
        match = [label for label, upn in labels.items() if upn == pupil or pupil.lower() in label.lower()]
        if match:
            pupil_box.value = match[0]
    tabs = W.Tab(children=[W.VBox([pupil_box, pupil_view]), W.VBox([sort_box, school_view])])
    tabs.set_title(0, "Pupil")
    tabs.set_title(1, "School lists")
    header = html_block("<h2>SENCO: pupil explorer</h2><p class='note'>Progress is judged against measurement "
                        f"error and pupils who started at the same level.{signed_in(user)}</p>")
    parts = [header, data_date(trust), school_box, tabs]
    problems = problems_block(trust)
    if problems is not None:
        parts.insert(1, problems)
    app = W.VBox(parts)
    app.add_class("sendlib-app")
    return app


def _pupil_panels(data: _SencoData, upn: str) -> list:
    from .duties import DUTY_LABELS
    from .plotting import plot_ehc_timeline, plot_progress_band
    from .progress import pupil_progress_band

    trust = data.trust
    pupil = trust.pupils.set_index("upn").loc[upn]
    name = " ".join(v for v in (pupil.get("forename"), pupil.get("surname")) if isinstance(v, str))
    provision = {"N": "no SEN", "K": "SEN support", "E": "an EHC plan"}[pupil["sen_provision"]]
    need = f", primary need {pupil['primary_need']}" if isinstance(pupil["primary_need"], str) else ""
    eal = " English is an additional language." if pupil["eal"] is True else ""
    panels = [html_block(f"<h2>{html.escape(name or upn)}</h2><p>{year_group_label(pupil['year_group'])}, "
                         f"{html.escape(pupil['school'])}: {provision}{html.escape(need)}.{eal}</p>")]
    if data.progress is not None:
        mine = data.progress[data.progress["upn"] == upn]
        rows = []
        for record in mine.itertuples(index=False):
            tests = [("(a) slower than peers", record.slower_than_peers),
                     ("(b) slower than before", record.below_previous_rate),
                     ("(c) gap not closing", record.gap_not_closing), ("(d) gap widening", record.gap_widening)]
            flags = ", ".join(label for label, flag in tests if not pd.isna(flag) and bool(flag)) or "none"
            verdict = ('<span class="flag">less than expected progress</span>' if record.less_than_expected_progress
                       else '<span class="ok">progress as expected</span>')
            rows.append(f"<tr><td>{html.escape(str(record.subject).capitalize())}</td><td>{verdict}<br>"
                        f"<span class='note'>tests flagged: {flags}</span></td><td>{html.escape(record.reason)}"
                        "</td></tr>")
        panels.append(html_block("<h3>Progress: the four tests</h3><table><tr><th>Subject</th><th>Verdict</th>"
                                 "<th>Why</th></tr>" + "".join(rows) + "</table>", "sendlib-progress"))
        figures = []
        for subject in mine["subject"].astype(str):
            band = pupil_progress_band(data.peers, data.peer_key(upn), subject)
            if len(band):
                fig, ax = new_figure(6.2, 3.6)
                plot_progress_band(band, subject, ax=ax)
                figures.append(figure_widget(fig))
        if figures:
            panels.append(W.HBox(figures, layout=W.Layout(flex_flow="row wrap")))
    outcome = data.eal[data.eal["upn"] == upn]
    if len(outcome):
        record = outcome.iloc[0]
        items = data.eal_items[data.eal_items["upn"] == upn][["item", "finding", "detail"]]
        steps = "".join(f"<li>{html.escape(s)}</li>" for s in record["next_steps"])
        panels.append(html_block(
            f"<h3>EAL or SEND? The evidence</h3><p><b>{record['outcome'].replace('_', ' ').capitalize()}</b>. "
            f"{html.escape(record['explanation'])}</p><p><b>Next steps</b></p><ul>{steps}</ul>"
            + table_html(items.rename(columns=str.capitalize)), "sendlib-eal"))
    plan = data.plans[data.plans["upn"] == upn]
    if len(plan):
        p = plan.iloc[0]
        due = "no review date" if pd.isna(p["review_due"]) else f"review due {p['review_due']:%d %B %Y}"
        started = "no current plan" if pd.isna(p["plan_start"]) else f"plan started {p['plan_start']:%d %B %Y}"
        meetings = trust.parent_meetings[trust.parent_meetings["upn"] == upn] if trust.parent_meetings is not None \
            else pd.DataFrame(columns=["meeting_date"])
        this_year = meetings[meetings["meeting_date"] >= pd.Timestamp(trust.as_of.year - (trust.as_of.month < 9), 9, 1)]
        held = ", ".join(f"{d:%d %B %Y}" for d in sorted(this_year["meeting_date"])) or "none yet"
        panels.append(html_block(
            f"<h3>Support plan and parent meetings</h3><p>{started}; {due} "
            f"(<b>{p['review_status'].replace('_', ' ')}</b>).</p><p>Parent meetings this school year: {held}; "
            f"{int(p['meetings_owed'])} still owed toward three.</p>", "sendlib-plan"))
    duties = data.duties[(data.duties["upn"] == upn) & (data.duties["duty"] != "parent_meetings")]
    if len(duties):
        events = trust.ehc_events[trust.ehc_events["upn"] == upn]
        fig, ax = new_figure(9, 3.8)
        plot_ehc_timeline(events, duties, trust.as_of, ax=ax)
        open_duties = duties[duties["status"].isin(["due", "overdue"])]
        lines = "".join(f"<li>{html.escape(DUTY_LABELS[d.duty])}: {d.status}, deadline {d.due_date:%d %B %Y}</li>"
                        for d in open_duties.itertuples())
        panels.append(html_block("<h3>EHC plan deadlines</h3>" + (f"<ul>{lines}</ul>" if lines else
                                                                   "<p>Nothing open.</p>"), "sendlib-ehc"))
        panels.append(figure_widget(fig))
    return panels


def _school_lists(data: _SencoData, school: str, sort: str) -> list:
    blocks = []
    if data.progress is not None:
        flagged = data.progress[(data.progress["school"] == school) & data.progress["less_than_expected_progress"]]
        pupils = data.trust.pupils.set_index("upn")
        flagged = flagged.assign(
            name=flagged["upn"].map(lambda u: f"{pupils.at[u, 'surname']}, {pupils.at[u, 'forename']}"),
            tests=flagged[["slower_than_peers", "below_previous_rate", "gap_not_closing", "gap_widening"]]
            .fillna(False).astype(int).sum(axis=1))
        order = {"tests": (["tests", "name"], [False, True]), "name": (["name"], [True]),
                 "year": (["year_group", "name"], [True, True]), "subject": (["subject", "name"], [True, True])}[sort]
        flagged = flagged.sort_values(order[0], ascending=order[1])
        table = flagged.assign(year=flagged["year_group"].map(year_group_label))[
            ["name", "year", "sen_provision", "subject", "tests", "reason"]].rename(columns={
                "name": "Pupil", "year": "Year", "sen_provision": "SEN", "subject": "Subject", "tests": "Tests flagged",
                "reason": "Why"})
        blocks.append(html_block(f"<h3>Pupils making less than expected progress ({len(flagged)})</h3>"
                                 + table_html(table), "sendlib-flagged"))
    todo = data.todo[data.todo["school"] == school]
    pupils = data.trust.pupils.set_index("upn")
    todo = todo.assign(pupil=todo["upn"].map(lambda u: f"{pupils.at[u, 'surname']}, {pupils.at[u, 'forename']}"),
                       by=todo["by"].dt.strftime("%d %b %Y"))
    blocks.append(html_block(f"<h3>To do: overdue, and due in the next 30 days ({len(todo)})</h3>"
                             + table_html(todo[["status", "by", "pupil", "what"]].rename(columns=str.capitalize)),
                             "sendlib-todo"))
    return blocks


# --- the trust planner's forecast app ----------------------------------------------------------------
FORECAST_SIMULATIONS = 500


class _ForecastData:
    """The planner's data: the trust pseudonymised (keyed hash of each UPN, no names or birth
    dates), the fitted model, its simulations for the next three Januaries and its back-test."""

    def __init__(self, data_dir: str = "", policy=None, horizon: int = 3):
        from . import plotting  # noqa: F401 - pyplot loads now, before anyone waits
        from .forecast import NeedForecaster, backtest

        secret = policy.secret() if policy is not None else secrets.token_bytes(32)
        trust = load(data_dir)
        self.trust = pseudonymise(trust, secret)
        self.schools = trust.schools
        self.state = {}
        self.run(horizon)
        self.state["backtest"] = backtest(NeedForecaster(n_simulations=200, random_state=0), self.trust,
                                          origins=self.state["model"].census_years_[1:-1], horizons=(1, 2))

    def run(self, horizon: int, identification: float = 0.0, intake: float = 0.0) -> None:
        from .forecast import NeedForecaster

        model = NeedForecaster(n_simulations=FORECAST_SIMULATIONS, identification_change=identification,
                               intake_change=intake, random_state=0).fit(self.trust)
        self.state.update(model=model, simulations=model.simulate(horizon), horizon=horizon,
                          scenario=(identification, intake))


def forecast_app(prepared: _ForecastData, user: User = LOCAL_USER, school: str = "", provision: str = "E",
                 area: str = "", horizon: int = 3, local_authority: str = "England",
                 log=lambda *args, **kwargs: None) -> W.Widget:
    """Forecast SEN support or EHC plans for the trust or a school, with a back-test and
    benchmarks; scenario sliders re-run the model. Only ``user``'s schools; the whole trust
    only for a user of every school."""
    trust, state = prepared.trust, prepared.state
    allowed = user.allowed(prepared.schools)
    options = ([("Whole trust", "")] if user.schools is None else []) + [(s, s) for s in allowed]
    school_box = W.Dropdown(options=options, value=school if school in allowed else options[0][1],
                            description="School")
    provision_box = W.ToggleButtons(options=[("SEN support", "K"), ("EHC plan", "E")], value=provision)
    area_box = W.Dropdown(options=[("All areas", "")] + [(a, a) for a in BROAD_AREAS], value=area or "",
                          description="Need")
    horizon_box = W.IntSlider(value=horizon, min=1, max=5, description="Years")
    identification = W.IntSlider(value=0, min=-30, max=30, step=5, description="Identify %",
                                 tooltip="Change in the rate of new identification")
    intake = W.IntSlider(value=0, min=-30, max=30, step=5, description="Intake %")
    la_box = W.Text(value=local_authority, description="Benchmark", placeholder="England or an LA name/code")
    run = W.Button(description="Re-run forecast", button_style="primary", icon="refresh")
    output = W.VBox()
    output.add_class("sendlib-forecast-view")
    benchmark = W.VBox()

    def forecast(*_):
        wanted = (horizon_box.value, (identification.value / 100, intake.value / 100))
        if (state["horizon"], state["scenario"]) != wanted:
            output.children = [W.IntProgress(value=1, max=2, description="Working", bar_style="info")]
            prepared.run(wanted[0], *wanted[1])
        show()

    def show(change=None):
        if change is not None and change["owner"] is school_box:
            log(school_box.value or "whole trust", "school shown")
        try:
            if school_box.value not in allowed and not (school_box.value == "" and user.schools is None):
                raise AccessDenied(f"You do not have access to {school_box.value or 'the whole trust'}.")
            output.children = _forecast_panels(trust, state, school_box.value, provision_box.value, area_box.value)
        except SendlibError as error:
            output.children = [error_block(error)]

    def show_benchmark(*_):
        from .forecast import ehc_plan_benchmark
        from .plotting import plot_forecast

        try:
            result = ehc_plan_benchmark(la_box.value.strip() or "England", horizon=horizon_box.value)
        except SendlibError as error:
            benchmark.children = [error_block(error)]
            return
        fig, ax = new_figure(6.5, 3.6)
        plot_forecast(result["series"].tail(10), result["forecast"], ax=ax, label="EHC plans (SEN2, ages 0-25)")
        ax.set_title(f"{la_box.value.strip() or 'England'}: EHC plans, method {result['method']}", fontsize=11)
        mix = result["need_mix"].head(6)[["need", "share_pct"]].rename(columns={"need": "Need (England, 2025)",
                                                                                 "share_pct": "% of EHC plans"})
        notes = "".join(f"<p class='note'>{html.escape(n)}</p>" for n in result["notes"])
        benchmark.children = [figure_widget(fig), html_block(notes + table_html(mix), "sendlib-benchmark")]

    forecast, show = guarded(forecast, "the forecast", output), guarded(show, "the forecast", output)
    show_benchmark = guarded(show_benchmark, "the benchmark", benchmark)
    run.on_click(forecast)
    for box in (school_box, provision_box, area_box):
        box.observe(show, "value")
    horizon_box.observe(forecast, "value")
    la_button = W.Button(description="Show benchmark")
    la_button.on_click(show_benchmark)
    forecast()
    show_benchmark()
    controls = W.VBox([W.HBox([school_box, area_box]), provision_box, horizon_box,
                       html_block("<h3>Scenario</h3>"), W.HBox([identification, intake, run])])
    app = W.VBox([html_block("<h2>Trust planner: need forecast</h2><p class='note'>A cohort transition model of "
                             f"the trust's January censuses: 80% and 95% ranges from {FORECAST_SIMULATIONS} "
                             f"simulations. Pupils are pseudonymised keys here.{signed_in(user)}</p>"),
                  data_date(trust), controls, output, html_block("<h3>National and local-authority benchmark</h3>"),
                  W.HBox([la_box, la_button]), benchmark])
    app.add_class("sendlib-app")
    return app


def _forecast_panels(trust, state, school, provision, area):
    from .forecast import summarise_simulations
    from .plotting import plot_forecast

    label = {"K": "SEN support", "E": "EHC plans"}[provision]
    axis_label = {"K": "pupils on SEN support", "E": "pupils with EHC plans"}[provision]
    model = state["model"]
    # intervals of a sum are not sums of intervals: aggregate the simulations, then take them
    by = ["sen_provision"] + (["school"] if school else []) + (["need_area"] if area else [])
    forecast = summarise_simulations(state["simulations"], model, by)
    forecast = forecast[forecast["sen_provision"] == provision]
    if school:
        forecast = forecast[forecast["school"] == school]
    if area:
        forecast = forecast[forecast["need_area"] == area]
    history = trust.sen_history[trust.sen_history["sen_provision"] == provision]
    if school:
        history = history[history["school"] == school]
    if area:
        history = history[history["need_area"] == area]
    history = history.groupby(history["census_date"].dt.year).size().rename("count").rename_axis("year").reset_index()
    where = school or "the whole trust"
    if forecast.empty or history.empty:
        return [html_block(f"<p>No pupils with {label.lower()} in {html.escape(where)} to forecast.</p>")]
    fig, ax = new_figure(7, 3.8)
    plot_forecast(history, forecast, ax=ax, label=axis_label)
    ax.set_title(f"{label} in {where}" + (f", {area.lower()}" if area else ""), fontsize=11)
    table = forecast[["year", "count", "lower_80", "upper_80", "lower_95", "upper_95"]].round(0).astype(int)
    table.columns = ["January", "Expected", "80% low", "80% high", "95% low", "95% high"]
    scores = state["backtest"]
    accuracy = scores[scores["n"] > 0].copy()
    accuracy["mape"] = accuracy["mape"].map("{:.1f}%".format)
    accuracy["coverage_95"] = accuracy["coverage_95"].map("{:.0%}".format)
    accuracy = accuracy[["model", "horizon", "n", "mape", "coverage_95"]].rename(columns={
        "model": "Model", "horizon": "Years ahead", "n": "Forecasts", "mape": "Average error",
        "coverage_95": "Inside 95% range"})
    one_year = scores[(scores["model"] == "need") & (scores["horizon"] == 1)]
    sentence = (f"One year ahead, the trust's forecasts were off by {one_year['mape'].iloc[0]:.1f}% on average "
                "(trust totals of SEN support and EHC plans)." if len(one_year) and one_year["n"].iloc[0] else "")
    return [figure_widget(fig), html_block(
        f"<h3>Forecast: {label}</h3>" + table_html(table) + "<h3>How accurate were past forecasts?</h3>"
        f"<p>{sentence}</p>" + table_html(accuracy), "sendlib-forecast-table")]


# --- the Local Committee page -----------------------------------------------------------------------
def committee_html(page: CommitteePage) -> str:
    """The committee page as HTML (tables are already suppressed)."""
    narrative = "".join(f"<p>{html.escape(line)}</p>" for line in page.narrative)
    sections = [
        f"<h2>{html.escape(page.school)}: special educational needs and disabilities</h2>"
        f"<p class='note'>Data as of {page.as_of:%d %B %Y}. Counts from 1 to 5 read \"fewer than 6\"; cells marked "
        "\"not shown\" are hidden so that a total cannot reveal a small count.</p>"
        + (f"<p class='warning'>{html.escape(page.as_of_warning)}</p>" if page.as_of_warning else ""),
        f"<h3>What this page says</h3><div class='narrative'>{narrative}</div>",
        "<h3>Pupils with SEN support and EHC plans</h3>" + table_html(page.headline, index=True),
        "<h3>By broad area of need, against England</h3>" + table_html(page.need_areas, index=True),
        "<h3>Progress of pupils with SEND and their peers</h3><p class='note'>Progress compared with pupils "
        "across the trust who started at the same level, in points of a standardised score.</p>"
        + table_html(page.progress),
        "<h3>Statutory duties met on time</h3>" + table_html(page.duties),
    ]
    if len(page.forecast):
        sections.append("<h3>Forecast</h3>" + table_html(page.forecast))
    return STYLE + '<div class="sendlib sendlib-committee">' + "".join(sections) + "</div>"


class _CommitteeData:
    """Every school's committee page: suppressed aggregates and nothing else, shared by every
    visitor through the cache (:func:`sendlib.committee.cached_committee_pages`)."""

    def __init__(self, data_dir: str = "", policy=None):
        self.pages = cached_committee_pages(data_dir or os.environ.get(DATA_ENV, ""), load)
        self.schools = list(self.pages)


def committee_app(prepared: _CommitteeData, user: User = LOCAL_USER, school: str = "",
                  log=lambda *args, **kwargs: None) -> W.Widget:
    """The committee page with a school picker (for a projector): ``user``'s schools only."""
    pages = {s: prepared.pages[s] for s in user.allowed(prepared.schools)}
    box = W.Dropdown(options=list(pages), value=school if school in pages else next(iter(pages)),
                     description="School")
    view = W.HTML()
    view.add_class("sendlib-committee-view")

    def show(change=None):
        page = pages[box.value]  # the options are the user's schools: a forged value fails in the widget
        view.value = error_block(page).value if isinstance(page, Exception) else committee_html(page)
        if change is not None:
            log(box.value, "school shown")

    shown = W.VBox([view])  # where an unexpected failure of a change of school would show
    box.observe(guarded(show, "the committee page", shown), "value")
    show()
    parts = [box, shown] if user is LOCAL_USER else [html_block(f"<p class='note'>{signed_in(user)}</p>"), box, shown]
    app = W.VBox(parts)
    app.add_class("sendlib-app")
    return app


PREPARE = {"senco": _SencoData, "forecast": _ForecastData, "committee": _CommitteeData}
BUILDERS = {"senco": senco_explorer, "forecast": forecast_app, "committee": committee_app}

