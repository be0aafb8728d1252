"""The apps' own time limit: a page that takes too long to open says so in a sentence; the
wait of a preheated kernel for its visitor is not counted (tests/test_browser.py)."""

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
    # as in a garbage-collection callback, or a panel that shows its own failures
    with pytest.raises(SendlibError, match="took more than 1 second"), time_limit(1):
        try:  # noqa: SIM105 - the swallowing under test
            time.sleep(5)
        except Exception:
            pass
    with pytest.raises(SendlibError, match="took more than 1 second"), time_limit(1):
        try:
            time.sleep(5)
        except Exception as error:
            raise ValueError("a library's own error") from error
    import ipywidgets as W

    panel = W.VBox()
    with pytest.raises(SendlibError, match="took more than 1 second"), time_limit(1):
        guarded(lambda: time.sleep(5), "a panel", panel)()
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


def test_a_pupils_page_says_what_it_lacks_and_uses_words_not_codes(explorer):
    """No scores: a sentence, not an empty table; scores missing (absent, not taken) are named;
    the EAL evidence and the need in words, not sendlib's codes."""
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
    lists = _text(senco._school_lists(explorer, explorer.schools[0], "tests"))
    assert "SEN support" in lists and " K " not in lists
    # flagged pupils split: on the SEN register, and not (whose next step differs)
    assert lists.count("On the SEN register (") == 2 and lists.count("Not on the SEN register (") == 2
