"""Access by school through a real Voila server (`sendlib dashboards --access`) and Chromium:
personal tokens, the login page, an edited URL, a forged widget message, a browser's own
X-Remote-User header, a trusted proxy, and the access log."""

import json
import re
import urllib.error
import urllib.request

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

import sendlib
from sendlib import render
from sendlib._testing import (
    ARTIFACTS,
    UPN,
    assert_no_count_recoverable,
    kernel_pids,
    start_server,
    wait_for_quiet,
    write_access,
)
from sendlib.access import read_access_log, token_hash
from sendlib.committee import cached_committee_pages

pytestmark = pytest.mark.browser
WAIT = 180_000


@pytest.fixture(scope="module")
def sample():
    return sendlib.load_sample()


@pytest.fixture
def trust_server(voila):
    """The shared server (personal tokens, preheated kernels, as `sendlib dashboards --access`
    runs): okafor a SENCO of one school, patel a planner, governor on one school's committee."""
    return voila.url, voila.tokens, voila.access_log


def other_schools_upns(sample, school):
    return set(sample.pupils.loc[sample.pupils["school"] != school, "upn"])


def open_app(page, url, name, query=""):
    page.goto(f"{url}/voila/render/{name}.ipynb{query}", wait_until="commit")
    page.wait_for_selector(".sendlib-app, .sendlib.error", timeout=WAIT)


def school_options(page) -> list[str]:
    """The options of the app's first list (the school)."""
    options = page.locator(".widget-dropdown select").first.locator("option").all_inner_texts()
    return [option.replace("\xa0", " ") for option in options]


def test_a_senco_sees_only_her_schools_pupils(trust_server, browser, sample):
    url, tokens, _ = trust_server
    school = sample.schools[1]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    open_app(page, url, "senco_pupil_explorer", f"?token={tokens['okafor']}")
    assert school_options(page) == [school]
    labels = page.locator("datalist option").evaluate_all("options => options.map(o => o.value)")
    mine = sample.pupils[sample.pupils["school"] == school]
    assert len(labels) == len(mine)
    shown = {UPN.search(label).group() for label in labels}
    assert shown == set(mine["upn"])
    assert not set(UPN.findall(page.content())) & other_schools_upns(sample, school)
    assert "Signed in as okafor (SENCO; " + school in page.inner_text("body")
    page.screenshot(path=str(ARTIFACTS / "access_senco.png"), full_page=True)
    page.close()


def test_an_edited_url_gets_a_refusal_and_nothing_of_that_school(trust_server, browser, sample):
    url, tokens, log = trust_server
    other = sample.schools[0]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    open_app(page, url, "senco_pupil_explorer", f"?token={tokens['okafor']}&school={other.replace(' ', '%20')}")
    page.wait_for_selector(".sendlib-app", timeout=WAIT)
    text = page.inner_text("body")
    assert "Not available to you" in text and f"You do not have access to {other}" in text
    assert not set(UPN.findall(page.content())) & other_schools_upns(sample, sample.schools[1])
    page.screenshot(path=str(ARTIFACTS / "access_refused_school.png"), full_page=True)
    page.close()
    entries = read_access_log(log)
    assert ((entries["user"] == "okafor") & (entries["event"] == "refused") & (entries["school"] == other)).any()


def test_another_schools_pupil_in_the_address_is_refused_with_no_pack_and_logged(trust_server, browser, sample):
    """A SENCO cannot open (nor build an evidence pack for) another school's pupil by putting
    the UPN in the address; the refusal names nobody and is in the access log."""
    url, tokens, log = trust_server
    school = sample.schools[1]
    theirs = sample.pupils.loc[sample.pupils["school"] != school, "upn"].iloc[0]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    open_app(page, url, "senco_pupil_explorer", f"?token={tokens['okafor']}&pupil={theirs}")
    page.wait_for_selector(".sendlib-app", timeout=WAIT)
    text = page.inner_text("body")
    assert "Not available to you" in text and "you can open only your schools' pupils" in text
    assert page.locator("button", has_text="evidence pack").count() == 0
    assert not set(UPN.findall(page.content())) & other_schools_upns(sample, school)
    page.close()
    entries = read_access_log(log)
    refused = entries[(entries["user"] == "okafor") & (entries["event"] == "refused")]
    assert refused["detail"].fillna("").str.startswith("pupil ").any()
    assert not refused["detail"].fillna("").str.contains(theirs).any()  # logged by pseudonymised key


def test_a_senco_builds_an_evidence_pack_for_her_own_pupil_and_it_is_logged(trust_server, browser, sample):
    """The pupil's page offers the pack; building it gives HTML and PDF downloads holding the
    pupil's name, and a line in the access log by pseudonymised key."""
    from sendlib.ehc import ehc_candidates

    url, tokens, log = trust_server
    school = sample.schools[1]
    candidates = ehc_candidates(sample)
    mine = candidates.loc[candidates["school"] == school, "upn"].iloc[0]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    open_app(page, url, "senco_pupil_explorer", f"?token={tokens['okafor']}&pupil={mine}")
    page.wait_for_selector(".sendlib-pack-button", timeout=WAIT)
    assert "Consider an EHC needs assessment" in page.inner_text("body")
    page.locator(".sendlib-pack-button").click()
    page.wait_for_selector(".sendlib-pack a[download$='.pdf']", timeout=WAIT)
    html_link = page.locator(".sendlib-pack a[download$='.html']").get_attribute("href")
    import base64

    pack = base64.b64decode(html_link.split(",", 1)[1]).decode("utf-8")
    forename = sample.pupils.set_index("upn").at[mine, "forename"]
    assert "Evidence for an EHC needs assessment" in pack and forename in pack and mine in pack
    page.screenshot(path=str(ARTIFACTS / "evidence_pack_button.png"), full_page=False)
    page.close()
    entries = read_access_log(log)
    built = entries[(entries["user"] == "okafor") & (entries["event"] == "evidence pack built")]
    assert len(built) >= 1 and not built["detail"].str.contains(mine).any()


def test_a_forged_widget_message_shows_nothing_of_another_school(trust_server, browser, sample):
    """The browser changes the school list itself and sends the change: the kernel's list has
    only the governor's school, so the forged choice is refused and the page stays as it was."""
    url, tokens, _ = trust_server
    mine, other = sample.schools[1], sample.schools[0]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sent: list[bytes] = []  # what the page sends its kernel, and what comes back
    received: list[bytes] = []

    def as_bytes(payload) -> bytes:
        return payload if isinstance(payload, bytes) else payload.encode()

    page.on(
        "websocket",
        lambda socket: (
            socket.on("framesent", lambda payload: sent.append(as_bytes(payload))),
            socket.on("framereceived", lambda payload: received.append(as_bytes(payload))),
        ),
    )
    open_app(page, url, "local_committee", f"?token={tokens['governor']}")
    page.wait_for_selector(".sendlib-committee-view h2", timeout=WAIT)
    already = len(sent)
    page.evaluate(f"""() => {{
        const select = document.querySelector('.widget-dropdown select');
        const option = document.createElement('option');
        option.textContent = {other!r};
        select.appendChild(option);
        select.selectedIndex = 1;
        select.dispatchEvent(new Event('change', {{bubbles: true}}));
    }}""")

    def handled() -> bool:
        """The kernel has reported idle after the forged widget message (its id in the reply's parent)."""
        ids = [re.search(rb'"msg_id": ?"([^"]+)"', f) for f in sent[already:] if b"comm_msg" in f]
        return any(i and i.group(1) in f and b'"idle"' in f for i in ids for f in received)

    for _ in range(600):
        if handled():
            break
        page.wait_for_timeout(100)  # Playwright delivers the frames while it waits
    assert handled(), "the kernel never answered the forged widget message"
    assert page.inner_text(".sendlib-committee-view h2").startswith(mine)
    assert other not in page.inner_text(".sendlib-committee-view")
    page.close()


def test_the_committee_page_is_served_without_a_kernel_by_the_apps_rules(voila, browser, sample):
    """/committee (sendlib.server): the page the committee report is made of, for the signed-in
    user's schools only, a school asked for in the address refused in words, every page in the
    access log; no kernel started for any of it."""
    url, tokens, log = voila.url, voila.tokens, voila.access_log
    # an earlier test's page took a preheated kernel, and the server starts another in its
    # place: let that finish (the server idle) before counting, so it is not taken for ours
    wait_for_quiet(voila.process, len(kernel_pids(voila.process)))
    kernels = kernel_pids(voila.process)
    mine, other = sample.schools[1], sample.schools[3]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{url}/committee")  # not signed in: the sign-in page, nothing of the trust
    assert "/login" in page.url and "special educational needs" not in page.content()
    page.goto(f"{url}/committee?token={tokens['governor']}&school={other.replace(' ', '+')}")
    view = page.inner_text(".sendlib-committee-view")
    assert view.startswith(f"{mine}: special educational needs")
    assert f"You do not have access to {other}. You can see: {mine}." in page.inner_text(".error")
    assert other not in view and page.locator("select").count() == 0  # one school: nothing to choose
    assert "Signed in as governor (Local Committee" in page.inner_text("body")
    assert not UPN.search(page.content())
    assert_no_count_recoverable(page.inner_html(".sendlib-committee-view"), f"served committee page: {mine}")
    page.screenshot(path=str(ARTIFACTS / "committee_served_refused.png"), full_page=True)
    # the same HTML as the report's (and the Voila app's) page, byte for byte, as the server sent it
    request = urllib.request.Request(f"{url}/committee", headers={"Authorization": f"token {tokens['governor']}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        assert str(render.committee(cached_committee_pages("")[mine])) in response.read().decode()
    context.close()

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{url}/committee?token={tokens['patel']}")
    options = page.locator("#school option").all_inner_texts()
    assert options == sample.schools and page.inner_text("h2").startswith(sample.schools[0])
    page.select_option("#school", other)
    assert page.inner_text("h2").startswith(sample.schools[0])  # choosing is not moving (WCAG 3.2.2)
    pending = f"The page below is still {sample.schools[0]}: press Show this school to see {other}."
    assert page.inner_text("#sendlib-pending") == pending  # said, so that nobody prints the wrong school
    page.select_option("#school", sample.schools[0])
    assert page.inner_text("#sendlib-pending") == ""
    page.select_option("#school", other)
    page.get_by_role("button", name="Show this school").click()
    page.wait_for_url(re.compile(r"school=" + other.replace(" ", r"\+")))
    assert page.inner_text("h2").startswith(other)
    assert page.locator("#school").input_value() == other
    page.screenshot(path=str(ARTIFACTS / "committee_served.png"), full_page=True)
    context.close()

    assert kernel_pids(voila.process) == kernels
    entries = read_access_log(log)
    seen = set(entries.loc[entries["app"] == "committee", ["user", "event", "school"]].itertuples(index=False))
    assert {("governor", "refused", other), ("governor", "opened", mine), ("patel", "opened", other)} <= seen


def test_a_governor_cannot_open_the_pupil_explorer(trust_server, browser, sample):
    url, tokens, log = trust_server
    page = browser.new_page(viewport={"width": 1280, "height": 600})
    open_app(page, url, "senco_pupil_explorer", f"?token={tokens['governor']}")
    text = page.inner_text("body")
    assert "cannot open the SENCO pupil explorer" in text
    assert not UPN.search(page.content())
    page.screenshot(path=str(ARTIFACTS / "access_refused_app.png"), full_page=True)
    page.close()
    entries = read_access_log(log)
    assert ((entries["user"] == "governor") & (entries["app"] == "senco") & (entries["event"] == "refused")).any()


def test_a_kernel_answers_only_the_user_whose_page_it_serves(trust_server, browser):
    """Another signed-in user who learns a page's kernel id can neither connect to that kernel
    nor shut it down; its own user still can."""
    url, tokens, log_path = trust_server
    page = browser.new_page()
    open_app(page, url, "local_committee", f"?token={tokens['governor']}")
    kernel = json.loads(page.inner_text("#jupyter-config-data"))["kernelId"]
    channels = f"ws{url[4:]}/api/kernels/{kernel}/channels"

    def shut_down(user):
        request = urllib.request.Request(
            f"{url}/voila/api/shutdown/{kernel}", method="POST", headers={"Authorization": f"token {tokens[user]}"}
        )
        try:
            return urllib.request.urlopen(request, timeout=30).status
        except urllib.error.HTTPError as error:
            return error.code

    for intruder in ("okafor", "patel"):
        with pytest.raises(InvalidStatus) as refused:
            connect(channels, additional_headers={"Authorization": f"token {tokens[intruder]}"}, open_timeout=30)
        assert refused.value.response.status_code == 403
        assert shut_down(intruder) == 403
    with connect(channels, additional_headers={"Authorization": f"token {tokens['governor']}"}, open_timeout=30):
        pass  # its own user connects (as the page itself did)
    assert "What this page says" in page.inner_text("body")
    log = read_access_log(log_path)
    refusals = log[(log["app"] == "kernel") & (log["event"] == "refused")]
    assert {"okafor", "patel"} <= set(refusals["user"])
    assert shut_down("governor") == 204
    page.close()


def test_a_browser_cannot_claim_to_be_somebody_else(trust_server, browser, sample):
    url, tokens, _ = trust_server
    context = browser.new_context(extra_http_headers={"X-Remote-User": "patel"})
    page = context.new_page()
    page.goto(f"{url}/voila/render/trust_need_forecast.ipynb")  # no token: the header alone is nothing
    assert "/login" in page.url and "Forecast" not in page.content()
    open_app(page, url, "trust_need_forecast", f"?token={tokens['okafor']}")
    page.wait_for_selector(".sendlib-forecast-table", timeout=WAIT)
    assert "Signed in as okafor" in page.inner_text("body")
    assert school_options(page) == [sample.schools[1]]
    context.close()


def test_the_login_page_takes_a_personal_token_and_refuses_a_wrong_one(trust_server, browser):
    url, tokens, log = trust_server
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{url}/voila/render/local_committee.ipynb?token=not-a-token")
    assert "/login" in page.url and "special educational needs" not in page.content()
    page.fill("input[type=password]", "a-wrong-guess")
    page.locator("button[type=submit], input[type=submit]").first.click()
    page.wait_for_load_state()
    assert "/login" in page.url and "special educational needs" not in page.content()
    page.fill("input[type=password]", tokens["patel"])
    page.locator("button[type=submit], input[type=submit]").first.click()
    page.wait_for_selector(".sendlib-committee-view h2", timeout=WAIT)
    assert "Signed in as patel" in page.inner_text("body")
    context.close()
    entries = read_access_log(log)
    assert ((entries["app"] == "login") & (entries["event"] == "refused")).any()
    assert ((entries["user"] == "patel") & (entries["event"] == "signed in")).any()


def test_behind_a_proxy_only_the_proxys_word_counts(tmp_path, browser, sample, nginx_proxy):
    """A real nginx in front (the documented deployment block): it signs users in (basic auth) and
    vouches for them with its token, on every request and on the kernel's websocket. A browser
    that goes to Voila itself, or sends its own X-Remote-User through nginx, is nobody else."""
    school = sample.schools[2]
    path, _ = write_access(
        tmp_path,
        {"lee": ("committee", [school]), "patel": ("planner", "all")},
        login="proxy",
        proxy_token_sha256=token_hash("nginx-shared-secret"),
    )
    process, port = start_server(access=path, pool_size=0)
    try:
        app = "/voila/render/local_committee.ipynb"
        direct = browser.new_context(extra_http_headers={"X-Remote-User": "lee"})
        page = direct.new_page()
        for path in (app, "/committee"):
            response = page.goto(f"http://127.0.0.1:{port}{path}")
            assert response.status >= 400 and "special educational needs" not in page.content()  # refused
        direct.close()
        proxy = nginx_proxy(port, {"lee": "lees-password", "patel": "patels-password"}, "nginx-shared-secret")
        wrong = browser.new_context(http_credentials={"username": "lee", "password": "a-wrong-guess"})
        response = wrong.new_page().goto(proxy + app)
        assert response.status == 401
        wrong.close()
        # lee signs in at nginx; the browser also claims to be patel, which nginx replaces
        proxied = browser.new_context(
            http_credentials={"username": "lee", "password": "lees-password"},
            extra_http_headers={"X-Remote-User": "patel"},
        )
        page = proxied.new_page()
        page.goto(proxy + app, wait_until="commit")
        page.wait_for_selector(".sendlib-committee-view h2", timeout=WAIT)  # widgets came over the websocket
        assert page.inner_text(".sendlib-committee-view h2").startswith(school)
        assert "Signed in as lee (Local Committee" in page.inner_text("body")
        assert school_options(page) == [school]
        page.screenshot(path=str(ARTIFACTS / "access_behind_nginx.png"), full_page=True)
        page.goto(proxy + "/committee")  # the page served without a kernel: the same sign-in
        assert page.inner_text(".sendlib-committee-view h2").startswith(school)
        assert "Signed in as lee (Local Committee" in page.inner_text("body")
        proxied.close()
    finally:
        process.terminate()
        process.wait(timeout=20)
