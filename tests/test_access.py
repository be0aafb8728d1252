"""Access by school and role, in sendlib itself: the access file, scoping, pseudonymised keys,
the apps built for one user (with forged widget messages), and the access log."""

import json
import multiprocessing

import ipywidgets as W
import pandas as pd
import pytest
from traitlets import TraitError

import sendlib
from sendlib._testing import UPN, assert_none_of, find, pupils_of, sign_in, widget_text, write_access
from sendlib.access import (
    ACCESS_ENV,
    LOCAL_USER,
    PUPIL_TABLES,
    USER_ENV,
    AccessDenied,
    User,
    current_user,
    load_access,
    log_access,
    pseudonym,
    pseudonymise,
    read_access_log,
    redact,
    scope_trust,
    token_hash,
)
from sendlib.apps import app as open_app
from sendlib.apps.senco import pupil_label
from sendlib.exceptions import DataError, SendlibError, problems_frame


@pytest.fixture(scope="module", autouse=True)
def explorer_prepared_once():
    """The explorer's trust-wide work is the same for every user: done once here, so that these
    tests (about what each user gets from it) do not repeat it for every user they sign in."""
    from sendlib.apps import senco

    done = {}
    real = senco.prepare

    def once(data_dir="", policy=None):
        if data_dir not in done:
            done[data_dir] = real(data_dir, policy)
        return done[data_dir]

    senco.prepare = once
    yield
    senco.prepare = real


@pytest.fixture(scope="module")
def sample():
    return sendlib.load_sample()


@pytest.fixture(scope="module")
def schools(sample):
    return sample.schools


@pytest.fixture
def access(tmp_path, schools):
    return write_access(
        tmp_path,
        {
            "okafor": ("senco", [schools[1]]),
            "lee": ("senco", [schools[0]]),
            "patel": ("planner", "all"),
            "governor": ("committee", [schools[1]]),
            "head": ("senco", [schools[0], schools[2]]),
        },
    )


# --- the access file ------------------------------------------------------------------------------
def test_reads_an_access_file(access, schools):
    path, tokens = access
    policy = load_access(path)
    assert policy.login == "token" and policy.ip == "127.0.0.1"
    assert policy.users["okafor"] == User("okafor", "senco", (schools[1],))
    assert policy.users["patel"].schools is None
    assert policy.user_for_token(tokens["lee"]).name == "lee"
    assert policy.user_for_token("guess") is None and policy.user_for_token("") is None
    assert policy.check_schools(schools) == []
    assert policy.check_schools(schools[1:]) and "lee" in policy.check_schools(schools[1:])[0]


@pytest.mark.parametrize(
    "text, message",
    [
        ('[users.a]\nrole = "teacher"\nschools = "all"\ntoken_sha256 = "' + "a" * 64 + '"', "user a, role: 'teacher'"),
        ('[users.a]\nrole = "senco"\ntoken_sha256 = "' + "a" * 64 + '"', "user a, schools"),
        ('[users.a]\nrole = "senco"\nschools = []\ntoken_sha256 = "' + "a" * 64 + '"', "user a, schools"),
        ('[users.a]\nrole = "senco"\nschools = "all"\ntoken_sha256 = "abc"', "user a, token_sha256"),
        ('[users.a]\nrole = "senco"\nschools = "all"', "user a, token_sha256"),
        (
            '[users.a]\nrole = "senco"\nschools = "all"\ntoken_sha256 = "' + "a" * 64 + '"\n[users.b]\nrole = "senco"\n'
            'schools = "all"\ntoken_sha256 = "' + "a" * 64 + '"',
            "the same token as user a",
        ),
        (
            '[users.a]\nrole = "senco"\nschools = "all"\ntoken = "x"\ntoken_sha256 = "' + "a" * 64 + '"',
            "unknown key(s) token",
        ),
        ('[server]\nlogin = "password"\n[users.a]\nrole = "senco"\nschools = "all"', "[server] login"),
        ('[server]\nlogin = "proxy"\n[users.a]\nrole = "senco"\nschools = "all"', "proxy_token_sha256"),
        ('[server]\nlogin = "token"', "no [users.NAME] sections"),
        ('[users.a\nrole = "senco"', "not a valid TOML file"),
    ],
)
def test_a_broken_access_file_is_named(tmp_path, text, message):
    path = tmp_path / "access.toml"
    path.write_text(text)
    with pytest.raises(SendlibError) as caught:
        load_access(path)
    assert str(caught.value).startswith("access.toml") and message in str(caught.value)


def test_proxy_login_needs_the_proxy_token(tmp_path):
    path = tmp_path / "access.toml"
    path.write_text(
        f'[server]\nlogin = "proxy"\nproxy_token_sha256 = "{token_hash("from-nginx")}"\n'
        '[users.a]\nrole = "planner"\nschools = "all"\n'
    )
    policy = load_access(path)
    assert policy.proxy_token_ok("from-nginx") and not policy.proxy_token_ok("") and not policy.proxy_token_ok("x")


def test_the_trust_secret_is_made_once_and_kept(access):
    path, _ = access
    first = load_access(path).secret()
    assert load_access(path).secret() == first and len(first) == 64
    assert oct((path.parent / "sendlib-secret.key").stat().st_mode)[-3:] == "600"


# --- who is signed in ------------------------------------------------------------------------------
def test_identity_comes_only_from_the_login(monkeypatch, access):
    path, _ = access
    assert current_user(None) is LOCAL_USER
    sign_in(monkeypatch, path, None)
    with pytest.raises(AccessDenied, match="not signed in"):
        current_user(load_access(path))
    sign_in(monkeypatch, path, "mallory")
    with pytest.raises(AccessDenied, match="not signed in"):
        current_user(load_access(path))
    sign_in(monkeypatch, path, "okafor")
    assert current_user(load_access(path)).role == "senco"


def test_roles_and_schools(schools):
    senco, governor = User("o", "senco", (schools[1],)), User("g", "committee", (schools[1],))
    assert senco.allowed(schools) == [schools[1]] and User("p", "planner").allowed(schools) == schools
    governor.check_app("committee")
    with pytest.raises(AccessDenied, match="cannot open the SENCO pupil explorer"):
        governor.check_app("senco")
    with pytest.raises(AccessDenied, match="cannot open the SENCO pupil explorer"):
        User("p", "planner").check_app("senco")
    with pytest.raises(AccessDenied, match=f"You do not have access to {schools[0]}"):
        senco.check_school(schools[0], schools)


# --- roles shape the data ------------------------------------------------------------------------------
def test_scoping_keeps_only_the_schools_pupils(sample, schools):
    scoped = scope_trust(sample, [schools[1]])
    mine = set(pupils_of(sample, schools[1])["upn"])
    assert scoped.schools == [schools[1]]
    for table in PUPIL_TABLES:
        frame = getattr(scoped, table)
        assert set(frame["upn"]) <= mine and len(frame) > 0, table
    assert len(scoped.pupils) == len(mine)


def test_pseudonymised_view_has_no_upn_name_or_birth_date(sample):
    view = pseudonymise(sample, b"s" * 32)
    names = set(sample.pupils["forename"]) | set(sample.pupils["surname"])
    for table in PUPIL_TABLES:
        frame = getattr(view, table)
        assert not {"forename", "surname", "date_of_birth"} & set(frame.columns), table
        text = frame.astype(str).to_csv()
        assert not UPN.search(text), (table, UPN.search(text))
        assert frame["upn"].str.fullmatch(r"P-[0-9a-f]{16}").all()
    assert not names & set(view.pupils.astype(str).stack())
    assert view.pupils["upn"].is_unique and len(view.pupils) == len(sample.pupils)
    # the same pupil keeps the same key across tables, across runs; another secret gives other keys
    again = pseudonymise(sample, b"s" * 32)
    assert again.pupils["upn"].tolist() == view.pupils["upn"].tolist()
    assert set(view.assessments["upn"]) <= set(view.pupils["upn"])
    other = pseudonymise(sample, b"t" * 32)
    assert not set(other.pupils["upn"]) & set(view.pupils["upn"])
    assert pseudonym(sample.pupils["upn"].iloc[0], b"s" * 32) == view.pupils["upn"].iloc[0]


def test_a_forecast_on_pseudonymised_keys_matches_the_named_one(sample):
    named = sendlib.NeedForecaster(n_simulations=50, random_state=0).fit(sample).predict(2, by=["school"])
    keyed = (
        sendlib.NeedForecaster(n_simulations=50, random_state=0)
        .fit(pseudonymise(sample, b"s" * 32))
        .predict(2, by=["school"])
    )
    pd.testing.assert_frame_equal(named.reset_index(drop=True), keyed.reset_index(drop=True))


def test_errors_shown_to_a_user_lose_the_values_they_quote():
    error = DataError(problems_frame([("pupils.csv", 4, "upn", "A999204113005", "wrong check letter")]))
    text = str(redact(error))
    assert "pupils.csv, row 4, column upn" in text and "A999204113005" not in text
    missing = FileNotFoundError(2, "No such file or directory", "/srv/sendlib/export/pupils.csv")
    text = str(redact(missing))
    assert "could not be read (No such file or directory)" in text and "/srv" not in text


# --- the apps, built for one user ---------------------------------------------------------------------
def test_senco_sees_only_her_schools_pupils(monkeypatch, access, sample, schools):
    path, _ = access
    sign_in(monkeypatch, path, "okafor")
    app = open_app("senco")
    text = widget_text(app)
    assert_none_of(text, sample, [schools[1]])
    box = find(app, W.Dropdown, lambda w: w.description == "School")
    assert list(box.options) == [schools[1]]
    combo = find(app, W.Combobox)
    assert len(combo.options) == len(pupils_of(sample, schools[1]))
    assert "Signed in as okafor (SENCO" in text


def test_forged_widget_messages_open_nothing_of_another_school(monkeypatch, access, sample, schools):
    """A comm message from the browser reaches the kernel as ``set_state``: forge some."""
    path, _ = access
    sign_in(monkeypatch, path, "okafor")
    app = open_app("senco")
    box = find(app, W.Dropdown, lambda w: w.description == "School")
    combo = find(app, W.Combobox)
    other = pupils_of(sample, schools[0]).iloc[0]
    with pytest.raises(TraitError):
        box.set_state({"index": 1})
    box.set_state({"value": schools[0]})  # not a synced key: ignored
    combo.set_state({"value": pupil_label(other)})
    combo.set_state({"value": other["upn"]})
    assert box.value == schools[1]
    view = find(app, W.VBox, lambda w: "sendlib-pupil-view" in w._dom_classes)
    assert "Type the first letters" in widget_text(view)  # nothing opened
    combo.value = ""
    assert_none_of(widget_text(app), sample, [schools[1]])
    mine = pupils_of(sample, schools[1]).iloc[0]
    combo.set_state({"value": pupil_label(mine)})  # her own pupil opens
    assert f"{mine['forename']} {mine['surname']}" in widget_text(view)


def test_a_school_in_the_url_is_a_hint_not_a_key(monkeypatch, access, sample, schools, tmp_path):
    path, _ = access
    sign_in(monkeypatch, path, "okafor")
    monkeypatch.setenv("QUERY_STRING", f"school={schools[0].replace(' ', '+')}")
    app = open_app("senco")
    text = widget_text(app)
    assert f"You do not have access to {schools[0]}. You can see: {schools[1]}." in text
    assert_none_of(text, sample, [schools[1]])
    log = read_access_log(path.parent / "access-log.jsonl")
    assert ((log["user"] == "okafor") & (log["event"] == "refused") & (log["school"] == schools[0])).any()
    # a school she has is honoured
    sign_in(monkeypatch, path, "head")
    monkeypatch.setenv("QUERY_STRING", f"school={schools[2]}")
    box = find(open_app("senco"), W.Dropdown, lambda w: w.description == "School")
    assert box.value == schools[2] and list(box.options) == [schools[0], schools[2]]


def test_committee_member_gets_only_suppressed_pages(monkeypatch, access, sample, schools):
    path, _ = access
    sign_in(monkeypatch, path, "governor")
    refused = widget_text(open_app("senco"))
    assert "cannot open the SENCO pupil explorer" in refused
    assert 'href="/committee"' in refused and "senco_pupil_explorer" not in refused
    assert_none_of(refused, sample)
    app = open_app("committee")
    box = find(app, W.Dropdown)
    assert list(box.options) == [schools[1]]
    text = widget_text(app)
    assert "special educational needs and disabilities" in text
    assert not UPN.search(text)
    assert_none_of(text, sample)
    with pytest.raises(TraitError):
        box.set_state({"index": 3})


def test_planner_forecasts_on_keys_and_never_sees_a_name(monkeypatch, access, sample, schools):
    path, _ = access
    sign_in(monkeypatch, path, "patel")
    assert "cannot open the SENCO pupil explorer" in widget_text(open_app("senco"))
    app = open_app("forecast")
    text = widget_text(app)
    assert "Forecast: EHC plans" in text and not UPN.search(text)
    assert_none_of(text, sample)
    assert find(app, W.Dropdown, lambda w: w.description == "School").options[0] == ("Whole trust", "")


def test_a_senco_forecast_lists_only_her_schools(monkeypatch, access, schools):
    path, _ = access
    sign_in(monkeypatch, path, "okafor")
    app = open_app("forecast")
    box = find(app, W.Dropdown, lambda w: w.description == "School")
    assert list(box.options) == [(schools[1], schools[1])] and box.value == schools[1]
    text = widget_text(app)  # the EHC needs assessments: her school's pupils' only
    assert f"Pupils at {schools[1]} only." in text and "<td>All (your school)</td>" in text
    assert "All (the trust)" not in text


def test_nobody_signed_in_sees_nothing(monkeypatch, access, sample):
    path, _ = access
    sign_in(monkeypatch, path, None)
    for kind in ("senco", "forecast", "committee"):
        text = widget_text(open_app(kind))
        assert "not signed in" in text
        assert_none_of(text, sample)


def test_without_an_access_file_one_local_user_sees_everything(monkeypatch, sample):
    monkeypatch.delenv(ACCESS_ENV, raising=False)
    monkeypatch.setenv(USER_ENV, "governor")  # ignored: there are no users
    box = find(open_app("senco"), W.Dropdown, lambda w: w.description == "School")
    assert list(box.options) == sample.schools


# --- the access log -----------------------------------------------------------------------------------
def test_the_access_log_records_who_opened_what(monkeypatch, access, sample, schools):
    path, _ = access
    sign_in(monkeypatch, path, "okafor")
    app = open_app("senco")
    mine = pupils_of(sample, schools[1]).iloc[0]
    find(app, W.Combobox).value = pupil_label(mine)
    sign_in(monkeypatch, path, "governor")
    open_app("senco")
    log = read_access_log(path.parent / "access-log.jsonl")
    rows = log[["user", "app", "school", "event"]].values.tolist()
    assert ["okafor", "senco", schools[1], "opened"] in rows
    assert ["governor", "senco", "", "refused"] in rows
    opened = log[log["event"] == "pupil opened"]
    assert len(opened) == 1 and opened["detail"].iloc[0] == pseudonym(mine["upn"], load_access(path).secret())
    assert not UPN.search((path.parent / "access-log.jsonl").read_text())


def _write_lines(args):
    path, worker = args
    policy = load_access(path)
    for i in range(200):
        log_access(policy, f"user{worker}", "committee", "School " + "x" * 200, detail=str(i))


def test_log_lines_from_many_kernels_never_interleave(access):
    path, _ = access
    with multiprocessing.get_context("fork").Pool(4) as pool:
        pool.map(_write_lines, [(path, w) for w in range(4)])
    lines = (path.parent / "access-log.jsonl").read_text().splitlines()
    assert len(lines) == 800
    records = [json.loads(line) for line in lines]
    assert {r["user"] for r in records} == {"user0", "user1", "user2", "user3"}


def test_a_kernel_is_claimed_once_and_refused_to_others(monkeypatch, access):
    from sendlib.access import KERNEL_ID_ENV, claim_kernel, kernel_owner, kernel_refusal

    policy = load_access(access[0])
    kernel = "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
    claim_kernel(policy, "okafor")  # outside a Voila kernel: nothing recorded
    assert kernel_owner(policy, kernel) is None
    monkeypatch.setenv(KERNEL_ID_ENV, kernel)
    claim_kernel(policy, "okafor")
    claim_kernel(policy, "lee")  # the first claim stands
    assert kernel_owner(policy, kernel) == "okafor"
    for path in (f"/api/kernels/{kernel}/channels", f"/base/voila/api/shutdown/{kernel.upper()}"):
        assert kernel_refusal(policy, "okafor", path) == ""
        assert "not one of this user's pages" in kernel_refusal(policy, "lee", path)
    unclaimed = "/api/kernels/11111111-2222-3333-4444-555555555555/channels"
    assert kernel_refusal(policy, "okafor", unclaimed)  # nobody's yet: nobody's
    assert kernel_refusal(policy, "lee", "/voila/render/local_committee.ipynb") == ""
