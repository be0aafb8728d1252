"""The dashboards in a real Voila server, driven by Debian's Chromium through Playwright.

Screenshots are saved in tests/artifacts/ for a person to look at.
"""

import re
import time
from pathlib import Path

import pytest

from sendlib._testing import ARTIFACTS, assert_no_count_recoverable, wait_for_quiet
from sendlib._testing import start_server as start_background

TOKEN = "browser-test-token"
pytestmark = pytest.mark.browser


def start_server(env_extra=None):
    return start_background(TOKEN, env_extra)


@pytest.fixture
def server(voila):
    """The shared server, as a SENCO of the whole trust ("lead") signed in with her token."""
    return voila.url, f"?token={voila.tokens['lead']}"


@pytest.fixture
def page(browser):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    yield page
    page.close()


def open_app(page, server, name):
    # the page streams in as its kernel works: wait for the app itself, not for the load event
    # (30 s by default, which a first visit on a loaded machine can take)
    url, query = server
    page.goto(f"{url}/voila/render/{name}.ipynb{query}", wait_until="commit")
    page.wait_for_selector(".sendlib-app", timeout=180_000)
    # the browser's tab says what the page is, not the notebook's file name
    assert page.title() == APP_TITLES[name]
    ARTIFACTS.mkdir(exist_ok=True)


APP_TITLES = {
    "senco_pupil_explorer": "sendlib: SENCO pupil explorer",
    "trust_need_forecast": "sendlib: trust need forecast",
    "local_committee": "sendlib: Local Committee page",
}


# every text #loading_text shows while the page is made, and whether it is announced (role=status)
LOADING_WATCH = """
window.__loading = [];
new MutationObserver(() => {
  const el = document.getElementById("loading_text");
  const seen = el && `${el.textContent} | ${el.getAttribute("role")} | ${el.getAttribute("aria-live")}`;
  if (seen && window.__loading[window.__loading.length - 1] !== seen) window.__loading.push(seen);
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


def test_senco_explorer_picks_a_pupil(server, page):
    page.add_init_script(LOADING_WATCH)
    open_app(page, server, "senco_pupil_explorer")
    # sendlib's template says what is being prepared, in words, announced politely
    shown = page.evaluate("window.__loading")
    assert "Loading the export and working out each pupil's progress… | status | polite" in shown, shown
    assert not any(text.startswith("Executing") for text in shown), shown
    page.screenshot(path=str(ARTIFACTS / "senco_start.png"), full_page=True)
    box = page.locator("input[placeholder='Type a name or UPN']")
    option = page.locator("datalist option").first.get_attribute("value")
    box.fill(option)
    box.press("Enter")
    page.wait_for_selector(".sendlib-progress", timeout=60_000)
    text = page.inner_text(".sendlib-pupil-view")
    assert "Progress: the four tests" in text and option.split(" (")[0] in text
    assert "Traceback" not in page.content()
    page.screenshot(path=str(ARTIFACTS / "senco_pupil.png"), full_page=True)
    page.get_by_text("School lists").click()  # its lists are made as it opens
    page.wait_for_function(
        "(document.querySelector('.sendlib-school-view') || {innerText: ''}).innerText"
        ".includes('Progress slower than expected')",
        timeout=60_000,
    )
    # a filter narrows the lists (each heading counts "n of m"); a name chosen in a list opens the pupil
    lists = page.locator(".sendlib-school-view")
    lists.get_by_label("SEN provision").select_option(label="EHC plan")
    page.wait_for_function(  # the last list's part off the register is left empty
        "document.querySelector('.sendlib-school-view').innerText.includes('Not on the SEN register (0 of')",
        timeout=30_000,
    )
    shown, whole = map(int, re.search(r"\((\d+) of (\d+)", page.inner_text(".sendlib-todo h3")).groups())
    assert 0 < shown < whole
    page.screenshot(path=str(ARTIFACTS / "senco_school_lists.png"), full_page=True)
    # every list on the tab downloads, as the browser saves it: the to-do CSV holds what is shown
    links = lists.locator("a[download]")
    assert links.count() >= 4
    for i in range(links.count()):
        with page.expect_download() as saved:
            links.nth(i).click()
        data = Path(saved.value.path()).read_bytes()
        if saved.value.suggested_filename.endswith(".xlsx"):
            assert data[:2] == b"PK"  # a zip: a workbook
        else:
            assert data.count(b"\n") > 1, saved.value.suggested_filename
    with page.expect_download() as saved:
        page.locator(".sendlib-todo a[download$='.csv']").click()
    assert Path(saved.value.path()).read_bytes().rstrip().count(b"\n") == shown  # a header and each line
    pick = page.locator(".sendlib-todo").get_by_label("Pupil on this list")
    surname = pick.locator("option").nth(1).inner_text().replace("\xa0", " ").split(",")[0]
    pick.select_option(index=1)
    page.locator(".sendlib-todo").get_by_role("button", name="Open pupil").click()
    page.wait_for_function(
        f"(document.querySelector('.sendlib-pupil-view h2') || {{innerText: ''}}).innerText.endsWith({surname!r})",
        timeout=30_000,
    )
    assert page.get_by_role("tab", name="Pupil", exact=True).get_attribute("aria-selected") == "true"


def test_committee_changes_school(server, page):
    open_app(page, server, "local_committee")
    first = page.inner_text(".sendlib-committee-view h2")
    select = page.locator(".widget-dropdown select").first
    options = [o.replace("\xa0", " ") for o in select.locator("option").all_inner_texts()]
    other = next(o for o in options if not first.startswith(o))
    select.select_option(index=options.index(other))
    page.wait_for_function(
        f"document.querySelector('.sendlib-committee-view h2').innerText.startsWith({other!r})", timeout=60_000
    )
    assert "What this page says" in page.inner_text(".sendlib-committee-view")
    # what the browser shows, as a reader would work on it: no hidden count can be worked out
    assert_no_count_recoverable(page.inner_html(".sendlib-committee-view"), f"served page: {other}")
    page.screenshot(path=str(ARTIFACTS / "committee.png"), full_page=True)


def test_forecast_switches_provision(server, page):
    open_app(page, server, "trust_need_forecast")
    page.wait_for_selector(".sendlib-forecast-table", timeout=120_000)
    assert "Forecast: EHC plans" in page.inner_text(".sendlib-forecast-view")
    page.get_by_role("button", name="SEN support").click()
    page.wait_for_function(
        "document.querySelector('.sendlib-forecast-view').innerText.includes('Forecast: SEN support')", timeout=60_000
    )
    # a scenario applied: named beside the forecast with no change, in the table and the chart's words
    page.get_by_label("New identification").select_option(label="+10%")
    page.get_by_role("button", name="Re-run forecast").click()
    page.wait_for_function(
        "(document.querySelector('.sendlib-forecast-table') || {innerText: ''}).innerText"
        ".includes('Forecast: SEN support, with 10% more pupils identified from January')",
        timeout=120_000,
    )
    alt = page.locator(".sendlib-forecast-view img.sendlib-figure").get_attribute("alt")
    assert "with 10% more pupils identified from January" in alt and "forecast with no change, January" in alt
    # the comparison answers Enter: the trust's percentages beside England's, the LA's said to be missing
    box = page.get_by_label("Compare with")
    box.fill("Hertfordshire")
    box.press("Enter")
    page.wait_for_function(
        "(document.querySelector('.sendlib-benchmark') || {innerText: ''}).innerText"
        '.includes("Hertfordshire\'s percentages are not shown")',
        timeout=60_000,
    )
    page.screenshot(path=str(ARTIFACTS / "forecast.png"), full_page=True)


def test_without_the_token_nothing_is_shown(server, page):
    page.goto(f"{server[0]}/voila/render/local_committee.ipynb")
    assert "special educational needs" not in page.content()
    # sendlib's sign-in page, not Jupyter's (which tells a visitor to run `jupyter server list`)
    assert "/login" in page.url and page.title() == "sendlib: sign in"
    assert "Your sign-in token" in page.inner_text("body") and "jupyter server list" not in page.content()
    assert serious_violations(page) == []


def test_the_shared_token_signs_in_on_sendlibs_page(browser):
    """Without an access file (one shared token): a wrong token is told so in words, the right
    one opens the app (Jupyter's own form failed here with a server error)."""
    process, port = start_server()
    try:
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{port}/voila/render/local_committee.ipynb")
        assert page.title() == "sendlib: sign in"
        page.fill("input[type=password]", "a-wrong-guess")
        page.locator("button[type=submit]").click()
        page.wait_for_load_state()
        assert "That token was not recognised" in page.inner_text("body")
        page.fill("input[type=password]", TOKEN)
        page.locator("button[type=submit]").click()
        page.wait_for_selector(".sendlib-committee-view h2", timeout=180_000)
        page.screenshot(path=str(ARTIFACTS / "signed_in.png"))
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_a_broken_export_reads_as_a_sentence(browser, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "pupils.csv").write_bytes(b"\x00\x01binary")
    process, port = start_server({"SENDLIB_DATA": str(broken)})
    try:
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{port}/voila/render/local_committee.ipynb?token={TOKEN}", wait_until="commit")
        page.wait_for_selector(".error", timeout=180_000)
        text = page.inner_text("body")
        assert "This could not be shown" in text and "binary data" in text and "Traceback" not in text
        page.screenshot(path=str(ARTIFACTS / "broken_export.png"), full_page=True)
        page.goto(f"http://127.0.0.1:{port}/committee?token={TOKEN}")  # served without a kernel: the same sentence
        text = page.inner_text("body")
        assert "This could not be shown" in text and "binary data" in text and "Traceback" not in text
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_a_preheated_app_waits_for_its_visitor_however_long(browser):
    """A preheated kernel's cell waits for its visitor; the wait counts against no time limit.
    (With Voila's cell timeout it did: an explorer opened more than 3 minutes after the server
    started showed "Cell execution timed out".) Here the apps may take 15 s to open, and the
    visitor comes once the preheated kernels have done their work, more than 15 s after they
    finished it."""
    work = 15
    process, port = start_server({"SENDLIB_WORK_SECONDS": str(work)})
    try:
        wait_for_quiet(process, kernels=2)  # their limits have started: their work is done
        time.sleep(work + 2)  # the visitor comes after the limit would have run out
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(f"http://127.0.0.1:{port}/voila/render/senco_pupil_explorer.ipynb?token={TOKEN}", wait_until="commit")
        page.wait_for_selector(".sendlib-app", timeout=120_000)
        text = page.inner_text("body")
        assert "Pupil" in text and "timed out" not in text and "took more than" not in text
    finally:
        process.terminate()
        process.wait(timeout=20)


# WCAG 2.2 AA as axe-core (Deque) checks it, every rule tagged for levels A and AA
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical WCAG 2.2 AA violations on the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG}})
    return [
        f"{v['impact']} {v['id']} ({len(v['nodes'])}): {v['help']}; e.g. {v['nodes'][0]['target']}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_every_app_meets_wcag_aa_as_axe_core_checks_it(voila, page, record_property):
    """Each app as it opens, and the explorer's tabs and a pupil's page with the evidence pack
    built: no serious or critical violation (charts have words, controls have names, text has
    4.5:1 contrast)."""
    import sendlib
    from sendlib.ehc import ehc_candidates

    pupil = ehc_candidates(sendlib.load_sample())["upn"].iloc[0]
    found, checked = {}, 0
    views = [
        ("senco_pupil_explorer", "lead", ["School lists", "Provision map", "EHC assessments"]),
        ("trust_need_forecast", "patel", []),
        ("local_committee", "governor", []),
    ]
    for app, user, tabs in views:
        open_app(page, (voila.url, f"?token={voila.tokens[user]}"), app)
        found[app] = serious_violations(page)
        checked += 1
        for tab in tabs:
            page.get_by_role("tab", name=tab).click()  # its lists are made as it opens
            page.wait_for_function("!document.body.innerText.includes('Preparing the lists')", timeout=60_000)
            found[f"{app}: {tab}"] = serious_violations(page)
            checked += 1
    open_app(page, (voila.url, f"?token={voila.tokens['lead']}&pupil={pupil}"), "senco_pupil_explorer")
    page.wait_for_selector(".sendlib-pack-button", timeout=180_000)
    page.locator(".sendlib-pack-button").click()
    page.wait_for_selector(".sendlib-pack a[download$='.html']", timeout=180_000)
    found["senco_pupil_explorer: a pupil's page"] = serious_violations(page)
    page.goto(f"{voila.url}/committee?token={voila.tokens['patel']}")  # served without a kernel, school chooser
    found["committee page as served"] = serious_violations(page)
    checked += 1
    record_property("figure", f"accessibility: {checked + 1} views checked with axe-core against WCAG 2.2 AA")
    assert {view: problems for view, problems in found.items() if problems} == {}


def pdf_pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def test_each_app_prints_whole_on_a4_from_its_print_button(voila, page, record_property):
    """The Print / PDF button opens the browser's print; printing (as Chromium prints to PDF) gives
    the whole page on A4, not the first screenful of the panel Voila scrolls (one page each,
    before print rules released it)."""
    import sendlib
    from sendlib.ehc import ehc_candidates

    pupil = ehc_candidates(sendlib.load_sample())["upn"].iloc[0]
    pages = {}
    views = (
        ("local_committee", "governor", "", ".sendlib-committee", 3),
        ("committee", "patel", "", ".sendlib-committee", 3),
        ("trust_need_forecast", "patel", "", ".sendlib-assessments", 2),
        ("senco_pupil_explorer", "lead", f"&pupil={pupil}", ".sendlib-pack-button", 2),
    )
    for app, user, query, last, at_least in views:
        if app == "committee":  # the page served without a kernel
            page.goto(f"{voila.url}/committee?token={voila.tokens[user]}")
        else:
            open_app(page, (voila.url, f"?token={voila.tokens[user]}{query}"), app)
        page.wait_for_selector(last, timeout=180_000)
        page.evaluate("() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }")
        page.locator(".sendlib-print").click()
        assert page.evaluate("() => window.__printed") == 1
        pdf = page.pdf(prefer_css_page_size=True)
        box = [float(v) for v in re.search(rb"/MediaBox \[([\d. ]+)\]", pdf).group(1).split()]
        assert [round(v) for v in box] == [0, 0, 595, 842]  # A4 in points
        pages[app] = pdf_pages(pdf)
        assert pages[app] >= at_least, (app, pages[app])
        (ARTIFACTS / f"print_{app}.pdf").write_bytes(pdf)
    record_property("figure", "printed to PDF (A4 pages): " + ", ".join(f"{a} {n}" for a, n in pages.items()))
