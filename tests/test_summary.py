"""A pupil's one-page summary for a meeting with their parents: what it says (each subject's
line backed by its reason), one A4 page for the fullest pupil of the sample, lists cut with a
count, every value escaped, the explorer's button, and the command under an access file."""

import base64
import dataclasses
import re

import pandas as pd
import pytest
from bs4 import BeautifulSoup

import sendlib
from sendlib._testing import UPN, write_access
from sendlib.access import ACCESS_ENV, load_access, pseudonym, read_access_log
from sendlib.cli import main
from sendlib.codes import year_group_label
from sendlib.duties import duties_todo
from sendlib.evidence import evidence_pack
from sendlib.reports import print_pdf
from sendlib.summary import BACKING, MAX_COMING, MORE, pupil_summary, subject_line, summary_html

A4_POINTS = (595, 842)


@pytest.fixture(scope="module")
def sample():
    return sendlib.load_sample()


@pytest.fixture(scope="module")
def progress(sample):
    return sendlib.assess_progress(sample)


@pytest.fixture(scope="module")
def todo(sample):
    return duties_todo(sample)


@pytest.fixture(scope="module")
def fullest(sample, progress, todo):
    """The pupil with the most on the page: subjects with a chart (two scores or more, else any
    subject) x interventions running now x lines to do."""
    subjects = progress.groupby("upn").size()
    charted = progress[progress["n_scores"] >= 2].groupby("upn").size()
    running = sendlib.provision_map(sample)
    running = running[running["running"]].groupby("upn").size()
    duties = todo.groupby("upn").size()
    score = (subjects + charted.reindex(subjects.index, fill_value=0)) * running * duties
    return score.dropna().sort_values(kind="stable").index[-1]


def pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def printed(page: str, tmp_path, name: str = "summary") -> bytes:
    path = tmp_path / f"{name}.html"
    path.write_text(page, encoding="utf-8")
    pdf = print_pdf(path)
    assert pdf is not None, "Chromium is missing: apt-get install -y chromium (as CI does)"
    return pdf.read_bytes()


def test_the_summary_names_the_pupil_and_gives_each_subject_a_line(sample, progress, fullest):
    summary = pupil_summary(sample, fullest, progress=progress)
    me = sample.pupils.set_index("upn").loc[fullest]
    soup = BeautifulSoup(summary_html(summary), "html.parser")
    text = soup.get_text(" ")
    assert soup.find("h2").get_text() == f"{me['forename']} {me['surname']}"
    assert soup.title.string == f"Meeting with {me['forename']} {me['surname']}'s parents"
    assert f"{year_group_label(me['year_group'])}, {me['school']}" in text and "EHC plan" in text
    mine = progress[progress["upn"] == fullest]
    lines = soup.select(".sendlib-summary-progress li")
    assert len(lines) == len(mine) >= 2
    for subject in mine["subject"].astype(str):
        assert sum(line.get_text().startswith(f"{subject.capitalize()}: ") for line in lines) == 1
    for part in ("Support plan", "Support running now", "Coming up", "What we agreed"):
        assert part in text
    assert "Parent meetings this school year" in text and "personal data" in soup.find(class_="footer").get_text()
    assert re.search(r"(all 3|\d of the 3) a year still to hold|none still to hold", text)


def test_each_verdict_is_backed_by_its_own_reason(progress):
    """Every subject line of the sample: its words are the reason's own sentences, the ones
    that say why this verdict (never a sentence of another verdict)."""
    for verdict, reason, subject in zip(progress["verdict"], progress["reason"], progress["subject"].astype(str)):
        line = subject_line(subject.capitalize(), str(verdict), reason)
        sentences = re.split(r"(?<=\.)\s+(?=[A-Z(])", line.why)
        assert line.why and all(sentence[1:-1] in reason for sentence in sentences), (verdict, reason)
        if verdict == "as expected":
            assert "in line with" in line.why and not line.flagged
            assert not re.search(r"fell|slower|not closing|widened", line.why)
        elif verdict == "not enough scores yet":
            assert re.search(r"score|absent", line.why, flags=re.I) and not line.flagged
        else:
            assert line.flagged and any(words in line.why for words in BACKING[str(verdict)])
            if "gap" in str(verdict):
                assert "Attainment gap" in line.why
            if "slower" in str(verdict):
                assert re.search(r"measurement error|widened", line.why)


def test_the_fullest_pupil_prints_on_one_a4_page(sample, progress, fullest, tmp_path):
    pdf = printed(summary_html(pupil_summary(sample, fullest, progress=progress)), tmp_path)
    boxes = {tuple(round(float(v)) for v in box.split()[2:]) for box in re.findall(rb"MediaBox \[([^\]]+)\]", pdf)}
    assert boxes == {A4_POINTS} and pages(pdf) == 1


def test_a_long_list_is_cut_and_counted_and_still_one_page(sample, progress, fullest, todo, tmp_path):
    mine = todo[todo["upn"] == fullest]
    many = pd.concat([mine] * 4, ignore_index=True)  # more to do than the page holds
    summary = pupil_summary(sample, fullest, progress=progress, todo=many)
    assert len(summary.coming) == MAX_COMING and summary.more["coming"] == len(many) - MAX_COMING
    page = summary_html(summary)
    assert MORE.format(len(many) - MAX_COMING) in page
    assert pages(printed(page, tmp_path)) == 1


def test_every_value_is_escaped(sample, progress, fullest):
    pupils = sample.pupils.copy()
    pupils.loc[pupils["upn"] == fullest, "forename"] = "<script>alert('x')</script>"
    provisions = sample.provisions.copy()
    provisions.loc[provisions["upn"] == fullest, "intervention"] = "<b onmouseover=alert(1)>Talk</b>"
    trust = dataclasses.replace(sample, pupils=pupils, provisions=provisions)
    page = summary_html(pupil_summary(trust, fullest, progress=progress))
    assert "<script>" not in page and "<b onmouseover" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page and "&lt;b onmouseover=alert(1)&gt;" in page
    soup = BeautifulSoup(page, "html.parser")
    assert soup.find("script") is None and not soup.find_all(attrs={"onmouseover": True})


def test_a_pupil_with_little_recorded_says_so(sample, progress):
    off_register = sample.pupils.loc[sample.pupils["sen_provision"].eq("N"), "upn"].iloc[0]
    text = BeautifulSoup(summary_html(pupil_summary(sample, off_register, progress=progress)), "html.parser").get_text()
    assert "No support plans recorded for this pupil" in text and "none are owed" in text


def test_the_explorers_button_offers_html_and_pdf_and_logs(sample, fullest):
    from sendlib.apps import senco

    data = senco.prepare("")
    logged = []
    box = senco._summary_button(data, fullest, lambda: logged.append("built"))
    button = next(child for child in box.children if "sendlib-meeting-button" in child._dom_classes)
    assert button.description == "One-page summary for a parent meeting"
    button.click()
    links = BeautifulSoup(box.children[-1].children[0].value, "html.parser").find_all("a")
    assert [a["download"] for a in links] == [f"pupil-summary-{fullest}.html", f"pupil-summary-{fullest}.pdf"]
    page = base64.b64decode(links[0]["href"].split(",", 1)[1]).decode("utf-8")
    pack = evidence_pack(sample, fullest)
    title = BeautifulSoup(page, "html.parser").title.string
    assert title == f"Meeting with {pack.name}'s parents" and logged == ["built"]
    assert pages(base64.b64decode(links[1]["href"].split(",", 1)[1])) == 1


@pytest.fixture
def policy(tmp_path, monkeypatch, sample):
    path, _ = write_access(tmp_path / "access", {"okafor": ("senco", [sample.schools[1]])})
    monkeypatch.setenv(ACCESS_ENV, str(path))
    return path


def test_the_command_writes_the_summary_and_logs_it(policy, sample, tmp_path, capsys):
    upn = sample.pupils.loc[sample.pupils["school"] == sample.schools[1], "upn"].iloc[0]
    out = tmp_path / "packs"
    assert main(["evidence", "--pupil", upn, "--summary", "--user", "okafor", "--out", str(out), "--no-pdf"]) == 0
    page = (out / f"summary-{upn}.html").read_text(encoding="utf-8")
    assert "Meeting with" in page and "What we agreed" in page and "Made by sendlib" in page
    log = read_access_log(policy.parent / "access-log.jsonl")
    built = log[log["event"] == "pupil summary built"]
    assert built[["user", "app", "school"]].values.tolist() == [["okafor", "evidence", sample.schools[1]]]
    assert built["detail"].iloc[0] == pseudonym(upn, load_access(policy).secret())


def test_the_command_refuses_another_schools_pupil_and_logs_it(policy, sample, tmp_path, capsys):
    school = sample.schools[0]
    upn = sample.pupils.loc[sample.pupils["school"] == school, "upn"].iloc[0]
    out = tmp_path / "packs"
    code = main(["evidence", "--pupil", upn, "--summary", "--user", "okafor", "--out", str(out), "--no-pdf"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err and school not in err
    assert "okafor may make pupil summaries only for pupils of their own schools" in err
    assert not out.exists() or not any(out.iterdir())
    log = read_access_log(policy.parent / "access-log.jsonl")
    assert log[["user", "app", "school", "event"]].values.tolist() == [["okafor", "evidence", school, "refused"]]
    assert not UPN.search((policy.parent / "access-log.jsonl").read_text())
