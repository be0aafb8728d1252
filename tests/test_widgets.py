"""The apps' own time limit: a page that takes too long to open says so in a sentence; the
wait of a preheated kernel for its visitor is not counted (tests/test_browser.py)."""

import re
import signal
import time

import pytest

from sendlib._testing import widget_text
from sendlib.access import ACCESS_ENV, USER_ENV
from sendlib.apps import app, module
from sendlib.apps._blocks import guarded
from sendlib.apps._session import WORK_SECONDS, WORK_SECONDS_ENV, time_limit, work_seconds
from sendlib.exceptions import SendlibError


def test_a_block_over_its_time_is_stopped_with_a_sentence():
    before = signal.getsignal(signal.SIGALRM)
    start = time.perf_counter()
    with pytest.raises(SendlibError, match="took more than 1 second to prepare and was stopped"), time_limit(1):
        time.sleep(5)
    assert time.perf_counter() - start < 3
    assert signal.getsignal(signal.SIGALRM) is before and signal.alarm(0) == 0  # nothing left armed


def test_the_limit_holds_when_the_alarm_rings_where_its_error_is_swallowed_or_wrapped():
    # as in a garbage-collection callback, or a panel that shows its own failures; the alarm is
    # rung at once, as if the second had passed (the test above waits for the real one)
    with pytest.raises(SendlibError, match="took more than 1 second"), time_limit(1):
        try:  # noqa: SIM105 - the swallowing under test
            signal.raise_signal(signal.SIGALRM)
        except Exception:
            pass
    with pytest.raises(SendlibError, match="took more than 1 second"), time_limit(1):
        try:
            signal.raise_signal(signal.SIGALRM)
        except Exception as error:
            raise ValueError("a library's own error") from error
    import ipywidgets as W

    panel = W.VBox()
    with pytest.raises(SendlibError, match="took more than 1 second"), time_limit(1):
        guarded(lambda: signal.raise_signal(signal.SIGALRM), "a panel", panel)()
    assert panel.children == ()  # the whole page says so, not the one panel


def test_the_limit_reads_in_minutes_when_it_is_whole_minutes():
    with pytest.raises(SendlibError, match="took more than 3 minutes to prepare"), time_limit(180):
        signal.raise_signal(signal.SIGALRM)  # as if 3 minutes had passed


def test_a_block_within_its_time_runs_undisturbed():
    before = signal.getsignal(signal.SIGALRM)
    with time_limit(2):
        total = sum(range(1000))
    # the alarm was cancelled (none pending) and the handler before it is back: nothing fires afterwards
    assert total == 499500 and signal.alarm(0) == 0 and signal.getsignal(signal.SIGALRM) is before


def test_an_app_over_its_time_reads_as_a_sentence(monkeypatch):
    monkeypatch.delenv(ACCESS_ENV, raising=False)
    monkeypatch.delenv(USER_ENV, raising=False)
    monkeypatch.delenv("QUERY_STRING", raising=False)
    monkeypatch.setenv(WORK_SECONDS_ENV, "1")
    monkeypatch.setattr(module("forecast"), "prepare", lambda *args: time.sleep(5))  # work that takes longer
    text = widget_text(app("forecast"))
    assert "took more than 1 second to prepare" in text and "Traceback" not in text
    monkeypatch.setenv(WORK_SECONDS_ENV, "not a number")
    assert work_seconds() == WORK_SECONDS


@pytest.fixture(scope="module")
def explorer():
    from sendlib.apps import senco

    return senco.prepare("")


def _text(widgets) -> str:
    import re

    html = " ".join(getattr(w, "value", "") for w in widgets if isinstance(getattr(w, "value", None), str))
    return re.sub(r"\s+", " ", re.sub(r"<style>.*?</style>|<[^>]+>", " ", html, flags=re.S))


def _html(widget) -> list:
    """Every HTML widget in a tree, in order."""
    import ipywidgets as W

    if isinstance(widget, W.HTML):
        return [widget]
    return [html for child in getattr(widget, "children", ()) for html in _html(child)]


def test_a_pupils_page_says_what_it_lacks_and_uses_words_not_codes(explorer):
    """No scores: a sentence, not an empty table; scores missing (absent, not taken) are named;
    the EAL evidence and the need in words, not sendlib's codes."""
    import ipywidgets as W

    from sendlib._testing import find
    from sendlib.apps import senco

    scored = set(explorer.progress["upn"])
    pupils = explorer.trust.pupils
    unscored = pupils.loc[~pupils["upn"].isin(scored), "upn"].iloc[0]
    assert "No scores recorded for this pupil" in _text(senco._pupil_panels(explorer, unscored))
    absent = explorer.progress[explorer.progress["n_no_score"] > 0].iloc[0]
    text = _text(senco._pupil_panels(explorer, absent["upn"]))
    assert f"not used: {int(absent['n_no_score'])} in {str(absent['subject']).lower()}" in text
    import re

    eal = explorer.eal["upn"].iloc[0]
    panels = senco._pupil_panels(explorer, eal)
    block = next(p.value for p in panels if "sendlib-eal" in getattr(p, "value", ""))
    assert "Points to" in block and "neither way" in block
    assert not re.search(r"<td>\s*(SEND|LANGUAGE|NEUTRAL|MISSING)\s*</td>", block)
    text = _text(panels)
    need = pupils.set_index("upn").loc[eal, "primary_need"]
    if isinstance(need, str) and need:
        assert f"({need})" in text
    app = senco.build(explorer)
    tabs = find(app, W.Tab)
    tabs.selected_index = 1  # the school lists, made as the tab opens
    lists = _text(_html(tabs.children[1]))
    # another school chosen while the lists are hidden: the old school's lists go at once
    tabs.selected_index = 0
    find(app, W.Dropdown, lambda w: w.description == "School").value = explorer.schools[1]
    assert "Preparing the lists" in _text(_html(tabs.children[1]))
    tabs.selected_index = 1
    assert "Preparing the lists" not in _text(_html(tabs.children[1]))
    assert "SEN support" in lists and " K " not in lists
    # flagged pupils split: on the SEN register, and not (whose next step differs)
    assert lists.count("On the SEN register (") == 2 and lists.count("Not on the SEN register (") == 2


def test_a_filter_keeps_the_rows_it_names_and_says_when_nobody_is_left():
    import pandas as pd

    from sendlib.apps._blocks import Filter, filtered, nobody_sentence

    facts = pd.DataFrame(
        {"Year group": ["Year 3", "Year 3", "Year 4"], "SEN provision": ["SEN support", "No SEN", "SEN support"]},
        index=["A", "B", "C"],
    )
    rows = pd.DataFrame({"upn": ["A", "A", "B", "C"], "Subject": ["Reading", "Maths", "Maths", "Maths"]})
    kept, skipped = filtered(rows, facts, {"Year group": "Year 3", "SEN provision": "SEN support", "Subject": ""})
    assert kept["upn"].tolist() == ["A", "A"] and skipped == []
    kept, _ = filtered(rows, facts, {"Year group": "Year 3", "Subject": "Maths"})
    assert kept["upn"].tolist() == ["A", "B"]
    # a list without the column chosen is not narrowed by it, and says so
    kept, skipped = filtered(rows.drop(columns="Subject"), facts, {"Subject": "Maths", "Year group": "Year 4"})
    assert kept["upn"].tolist() == ["C"] and skipped == ["Subject"]
    filters = [
        Filter("Year group", "All year groups", ("Year 3", "Year 4"), lambda v: f"in {v}"),
        Filter("SEN provision", "All SEN provision", ("SEN support",), lambda v: "on SEN support"),
        Filter("Subject", "All subjects", ("Maths",), lambda v: f"for {v.lower()}", of_list=True),
    ]
    chosen = {"Year group": "Year 4", "SEN provision": "SEN support", "Subject": "Maths"}
    assert filtered(rows.iloc[:0], facts, chosen)[0].empty
    assert nobody_sentence(filters, chosen) == "No pupil in Year 4 on SEN support is on this list for maths."


def _dropdown(widget, description):
    import ipywidgets as W

    from sendlib._testing import find

    return find(widget, W.Dropdown, lambda w: w.description == description)


def _files(links) -> dict[str, bytes]:
    import base64
    import re

    return {
        kind: base64.b64decode(data)
        for kind, data in re.findall(r"download='[^']+\.(\w+)' href='data:[^;]+;base64,([^']+)'", links.value)
    }


def test_the_explorers_filters_narrow_every_list_its_counts_and_downloads(explorer):
    """Year 7 pupils on SEN support: each list of the tab narrows, its heading counts "n of m",
    its CSV and workbook hold what is shown (the workbook with the data date and the filter),
    its "Open pupil" offers its pupils; a list left empty says so in a sentence."""
    import io

    import ipywidgets as W
    import openpyxl
    import pandas as pd

    from sendlib._testing import find
    from sendlib.apps import senco

    app = senco.build(explorer)
    tabs = find(app, W.Tab)
    assert "Preparing the lists" in tabs.children[1].children[0].value  # made when the tab is first opened
    tabs.selected_index = 3
    tabs.selected_index = 1
    view = tabs.children[1]
    school = explorer.schools[0]
    pupils = explorer.trust.pupils.set_index("upn")
    _dropdown(view, "Year group").value = "Year 7"
    _dropdown(view, "SEN provision").value = "SEN support"
    boxes = view.children[1:]  # after the filters
    assert len(boxes) == 4  # the to-do list and three progress lists
    wanted = pupils[(pupils["school"] == school) & (pupils["year_group"] == 7) & (pupils["sen_provision"] == "K")]
    for box in boxes:
        heading, tools, _ = box.children
        pick, _, links = tools.children
        offered = [value for _, value in pick.options if value]
        assert offered and set(offered) <= set(wanted.index), heading.value
        assert re.search(r"\(\d+ of \d+( pupils?)?\)</h3>", heading.value), heading.value
        files = _files(links)
        csv = pd.read_csv(io.BytesIO(files["csv"]))
        assert set(csv["Pupil"]) == {f"{wanted.at[u, 'surname']}, {wanted.at[u, 'forename']}" for u in offered}
        sheet = openpyxl.load_workbook(io.BytesIO(files["xlsx"])).active
        lines = [sheet.cell(row=r, column=1).value for r in range(1, 5)]
        filter_line = "Filter: Year group: Year 7; SEN provision: SEN support"
        assert lines[1:] == [school, "Data as of 20 November 2026", filter_line]
        assert sheet.max_row == 6 + len(csv)  # four lines, a blank one, the table's heading and rows
    # the to-do list has no subject: a subject narrows the progress lists, and the to-do list says so
    _dropdown(view, "Subject").value = "Maths"
    assert "Not narrowed by subject" in boxes[0].children[0].value
    for box in boxes[1:]:
        files = _files(box.children[1].children[2])
        assert not files or set(pd.read_csv(io.BytesIO(files["csv"]))["Subject"]) == {"Maths"}
    # nobody left: a sentence, no table, no downloads, nothing to open
    assessments = tabs.children[3]
    _dropdown(assessments, "Year group").value = "Year 7"  # the preparing-for-adulthood reviews are Year 9+
    pfa = find(assessments, W.VBox, lambda b: "sendlib-pfa" in b._dom_classes)
    assert "No pupil in Year 7 is on this list." in pfa.children[2].value
    pick, button, links = pfa.children[1].children
    assert links.value == "" and pick.disabled and button.disabled
    # the choice survives a new sort order
    _dropdown(view, "Sort by").value = "name"
    assert _dropdown(view, "Year group").value == "Year 7" and "of" in view.children[1].children[0].value


def test_a_pupil_chosen_in_a_school_list_opens_with_its_button(explorer):
    import ipywidgets as W

    from sendlib._testing import find
    from sendlib.apps import senco

    opened = []
    app = senco.build(explorer, log=lambda *args: opened.append(args))
    tabs = find(app, W.Tab)
    tabs.selected_index = 3
    candidates = find(tabs.children[3], W.VBox, lambda b: "sendlib-candidates" in b._dom_classes)
    pick, button, _ = candidates.children[1].children
    assert pick.description == "Pupil on this list" and button.description == "Open pupil" and button.disabled
    label, upn = pick.options[1]
    pick.value = upn  # choosing alone leaves the tab as it is (arrow keys choose as they move)
    assert tabs.selected_index == 3 and not button.disabled
    button.click()
    assert tabs.selected_index == 0
    heading = tabs.children[0].children[1].children[0].value
    forename, surname = explorer.trust.pupils.set_index("upn").loc[upn, ["forename", "surname"]]
    assert f"<h2>{forename} {surname}</h2>" in heading and label == f"{surname}, {forename}"
    assert opened[-1][1] == "pupil opened"


def test_a_name_typed_without_picking_it_opens_the_one_pupil_it_names_or_says_why_not(explorer):
    import ipywidgets as W

    from sendlib._testing import find, widget_text
    from sendlib.apps import senco

    opened = []
    app = senco.build(explorer, log=lambda *args: opened.append(args))
    box, view = find(app, W.Combobox), find(app, W.VBox, lambda w: "sendlib-pupil-view" in w._dom_classes)
    school = find(app, W.Dropdown, lambda w: w.description == "School").value
    pupils = explorer.trust.pupils[explorer.trust.pupils["school"] == school]

    def enter(text):  # typed (each letter sent as typed), then Enter: the browser's {"event": "submit"}
        box.value = text
        box._handle_custom_msg({"event": "submit"}, [])

    import numpy as np

    texts = (pupils["forename"] + " " + pupils["surname"] + " " + pupils["upn"]).str.casefold()

    def matches(words):
        return pupils[np.logical_and.reduce([texts.str.contains(w, regex=False) for w in words])]

    named = (r for _, r in pupils.iterrows() if len(matches([r.forename.casefold(), r.surname.casefold()])) == 1)
    one, two = next(named), next(named)  # two pupils whose names no one else's hold
    box.value = one["surname"]  # typing, not yet entered: nothing opens, nothing is said
    assert "Type the first letters" in widget_text(view) and not opened
    enter(f"  {one['surname'].upper()}, {one['forename']} ")  # as the school lists write names
    assert box.value == senco.pupil_label(one)  # the one pupil it names, opened
    assert f"<h2>{one['forename']} {one['surname']}</h2>" in widget_text(view) and opened[-1][1] == "pupil opened"
    first = pupils["forename"].value_counts().index[0]  # a forename more than one pupil has
    assert len(matches([first.casefold()])) > 1
    enter(first)
    text = widget_text(view)
    assert f"{len(matches([first.casefold()]))} pupils of {school} match &ldquo;{first}&rdquo;: pick one" in text
    count = len(opened)
    enter("Nobody Likethis")
    text = widget_text(view)  # not said back: it might be another school's pupil's UPN
    assert f"No pupil of {school} matches what was typed." in text and "Likethis" not in text
    assert len(opened) == count  # nothing opened, nothing logged as opened
    # Enter pressed while the kernel is busy reaches it before the text typed (the browser holds state
    # updates back while the kernel is busy, not messages): the text, coming just after, is entered
    box.value = senco.pupil_label(one)
    box._handle_custom_msg({"event": "submit"}, [])
    box.value = f"{two['forename']} {two['surname']}"
    assert box.value == senco.pupil_label(two) and f"<h2>{two['forename']} {two['surname']}</h2>" in widget_text(view)


def test_a_pupil_in_the_address_opens_only_when_it_names_one_pupil(explorer):
    """``?pupil=``: a UPN or a name that one pupil holds opens that pupil; words that several
    hold say how many (it opened the first of them); nobody: the refusal, nothing opened."""
    import ipywidgets as W

    from sendlib._testing import find, widget_text
    from sendlib.apps import senco

    school = explorer.schools[0]
    pupils = explorer.trust.pupils[explorer.trust.pupils["school"] == school]
    one = pupils.iloc[0]
    first = pupils["forename"].value_counts().index[0]  # a forename more than one pupil has
    several = int((pupils["forename"] == first).sum())
    for given, expected in (
        (one["upn"], f"<h2>{one['forename']} {one['surname']}</h2>"),
        (first, f"pupils of {school} match &ldquo;{first}&rdquo;: pick one"),
        ("Nobody Likethis", "No pupil of"),
    ):
        opened = []
        app = senco.build(explorer, school=school, pupil=given, log=lambda *args, seen=opened: seen.append(args))
        text = widget_text(app)
        assert expected in text, (given, text[:300])
        view = find(app, W.VBox, lambda w: "sendlib-pupil-view" in w._dom_classes)
        assert any(entry[1] == "pupil opened" for entry in opened) == (given == one["upn"])
        if given == first:
            assert "<h2>" not in widget_text(view) and several > 1


def test_the_to_do_list_says_how_many_are_overdue_owed_and_due_as_filtered(explorer):
    """A secondary's to-do list runs to 181 lines: under its heading, how many are overdue,
    owed with no date and due, counted on what the filters leave."""
    import ipywidgets as W

    from sendlib._testing import find, widget_text
    from sendlib.apps import senco

    school = "Beacon Academy"
    app = senco.build(explorer, school=school)
    find(app, W.Tab).selected_index = 1  # the School lists tab, made as it is opened
    todo = explorer.todo[explorer.todo["school"] == school]
    counts = todo["status"].value_counts()
    said = (
        f"{counts['overdue']} overdue, {counts['no deadline']} owed with no date, "
        f"{counts['due']} due (in the next 30 days, or a parent meeting this term)."
    )
    assert said in widget_text(app)
    year = find(app, W.Dropdown, lambda w: w.description == "Year group")
    year.value = year.options[1][1]  # one year group: the counts follow
    assert said not in widget_text(app) and "or a parent meeting this term)." in widget_text(app)
