"""Any export the loader accepts, on any date: every app, notebook and report runs to the end,
and a section whose data are absent says so. Exports are generated: only some files, one
school, a school of a few pupils, nobody with SEND, no manifest, the first day of a school
year, an export from July opened in December."""

import json

import ipywidgets as W
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sendlib
from sendlib import apps
from sendlib._paths import NOTEBOOKS_DIR, VOILA_APPS_DIR
from sendlib._testing import ARTIFACTS, EDGE_FILES, examples, find, open_tabs, start_server, write_edge_trust
from sendlib.apps import senco
from sendlib.committee import cached_committee_pages
from sendlib.reports import run_notebook

# the first day of a school year; a July export; a December export
DATES = ("2026-09-01", "2026-07-15", "2026-11-27")


def open_every_app(folder):
    """Every app as a visitor would open it (all schools, a local user), the panels of a few
    pupils of each kind (no SEN, SEN support, EHC plan, EAL) and every school's lists."""
    shown = []
    for kind in ("senco", "forecast", "committee"):
        app = apps.app(kind, str(folder))
        shown.append(app)
        opened = find(app, W.VBox, lambda w: "sendlib-app" in w._dom_classes) is not None
        assert opened or "error" in app.value, kind
    data = senco.prepare(str(folder))
    pupils = data.trust.pupils
    some = pupils.groupby(["sen_provision", pupils["eal"].fillna(False)]).head(1)["upn"]
    for upn in some:
        shown += senco._pupil_panels(data, upn)
    explorer = shown[0]
    school_box = find(explorer, W.Dropdown, lambda w: w.description == "School")
    for school in data.schools if school_box is not None else ():  # every school's lists, as the tabs show them
        school_box.value = school
        shown.append(W.HTML(words(open_tabs(explorer))))
        for column in ("Year group", "SEN provision", "Primary need", "Subject"):  # the last choice of each
            box = find(explorer, W.Dropdown, lambda w, column=column: w.description == column)
            if box is not None:
                box.value = box.options[-1][1]
        shown.append(W.HTML(words(open_tabs(explorer))))
    return shown


def words(widget) -> str:
    """The text of a widget tree (HTML values)."""
    parts = [getattr(widget, "value", "") if isinstance(getattr(widget, "value", ""), str) else ""]
    for child in getattr(widget, "children", ()):
        parts.append(words(child))
    return " ".join(parts)


@settings(max_examples=examples(6), suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(
    exported_on=st.sampled_from(DATES),
    files=st.sets(st.sampled_from(EDGE_FILES)),
    schools=st.sampled_from([None, 1, 2]),
    tiny=st.sampled_from([0, 4]),
    no_send=st.booleans(),
    manifest=st.booleans(),
)
def test_every_app_opens_on_any_export(tmp_path_factory, exported_on, files, schools, tiny, no_send, manifest):
    folder = write_edge_trust(tmp_path_factory.mktemp("edge"), exported_on, files, schools, tiny, no_send, manifest)
    trust = sendlib.load_trust(folder)  # the loader accepts it: no problem at all
    if not manifest:
        assert "manifest" not in trust.as_of_source
    else:
        assert trust.as_of_source == "the export's date in manifest.json"
    for app in open_every_app(folder):
        text = words(app)
        assert "Traceback" not in text and "Something went wrong" not in text, text[:500]
    pages = cached_committee_pages(str(folder))  # what the committee app made of it above, not made again
    assert set(pages) == set(trust.schools)
    for page in pages.values():
        assert not isinstance(page, Exception) or "needs" in str(page)


def test_an_export_from_july_opened_in_december_is_dated_by_its_newest_record(tmp_path):
    folder = write_edge_trust(tmp_path / "july", "2026-07-15", manifest=False)
    trust = sendlib.load_trust(folder)
    assert trust.as_of <= sendlib.load_trust(write_edge_trust(tmp_path / "m", "2026-07-15")).as_of
    assert trust.as_of.month == 7 and "newest dated record" in trust.as_of_source
    assert "more than a term old" in trust.as_of_warning
    header = words(apps.app("senco", str(folder)))
    assert f"Data as of {trust.as_of:%d %B %Y}" in header and "more than a term old" in header


def test_pupils_alone_are_dated_today_and_say_so(tmp_path):
    trust = sendlib.load_trust(write_edge_trust(tmp_path / "p", "2026-07-15", files=(), manifest=False))
    assert trust.as_of_source == "today's date" and "carry no date" in trust.as_of_warning


def test_an_unexpected_failure_reads_as_a_sentence_and_its_traceback_goes_to_the_log(monkeypatch, capfd):
    def broken(*args, **kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(apps.module("committee"), "build", broken)
    page = apps.app("committee")
    text = page.value
    assert "Something went wrong while preparing this page" in text and "KeyError" in text
    assert "Traceback" not in text and "a bug" not in text
    assert "Traceback" in capfd.readouterr().err  # for the administrator


NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb")) + sorted(VOILA_APPS_DIR.glob("*.ipynb"))


# the analyst notebooks on both exports; the apps' notebooks (one call each, opened in-process
# on every generated export above) on the first
CASES = [
    (path, case)
    for path in NOTEBOOKS
    for case in ("pupils only", "one tiny school on the first day")
    if case == "pupils only" or path.parent == NOTEBOOKS_DIR
]


@pytest.mark.parametrize("path, case", CASES, ids=lambda v: getattr(v, "name", v))
def test_every_notebook_runs_to_the_end(path, case, tmp_path):
    if case == "pupils only":
        folder = write_edge_trust(tmp_path / "t", "2026-07-15", files=(), manifest=False)
    else:
        folder = write_edge_trust(tmp_path / "t", "2026-09-01", schools=1, tiny=4)
    out = tmp_path / path.name
    run_notebook(path, out, {"data_dir": str(folder)}, path.parent)  # raises on a cell's error
    outputs = json.dumps(json.loads(out.read_text())["cells"])
    assert "Traceback" not in outputs
    if case == "pupils only" and path.name.startswith("01"):
        assert "Not shown: this needs assessments.csv" in outputs


@pytest.mark.browser
def test_every_app_renders_in_chromium_on_a_pupils_only_export(browser, tmp_path):

    folder = write_edge_trust(tmp_path / "t", "2026-07-15", files=(), manifest=False)
    process, port = start_server("edge-token", {"SENDLIB_DATA": str(folder)})
    try:
        for name in ("senco_pupil_explorer", "trust_need_forecast", "local_committee"):
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(f"http://127.0.0.1:{port}/voila/render/{name}.ipynb?token=edge-token", wait_until="commit")
            page.wait_for_selector(".sendlib-app, .sendlib.error", timeout=180_000)
            text = page.inner_text("body")
            assert "There was an error" not in text and "Traceback" not in text, text[:400]
            assert (
                "carry no date" in text
                or "this needs sen_history.csv, which the export folder does not have. January census" in text
            )
            if name == "trust_need_forecast":  # no forecast, but the LA and England, in words
                assert "The forecast could not be made from this export." in text
                assert "England: EHC plans" in text and "EHC plans maintained: England" in text
            page.screenshot(path=str(ARTIFACTS / f"edge_pupils_only_{name}.png"), full_page=True)
            page.close()
    finally:
        process.terminate()
        process.wait(timeout=20)
