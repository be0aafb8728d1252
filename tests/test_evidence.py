"""A pupil's evidence pack for an EHC needs assessment: its parts on the sample trust, the page
(escaped, printable, with its charts), the parts a small export lacks, the report run by
papermill with its audit trail and PDF, and who may make one under an access file."""

import dataclasses
import json
import os
import re
import time

import pandas as pd
import pytest
from bs4 import BeautifulSoup

import sendlib
from sendlib import render
from sendlib._testing import UPN, write_access, write_folder
from sendlib.access import ACCESS_ENV, load_access, pseudonym, read_access_log
from sendlib.cli import main
from sendlib.codes import upn_check_letter, year_group_label
from sendlib.duties import statutory_duties
from sendlib.eal import FINDING_WORDS
from sendlib.ehc import ehc_candidates, ehc_timeline
from sendlib.evidence import (
    MISSING_FILE,
    NOTHING_FOR_PUPIL,
    STATUS_WORDS,
    evidence_pack,
    pack_figures,
    pack_html,
    show,
)
from sendlib.exceptions import SendlibError
from sendlib.loader import load_trust
from sendlib.progress import assess_progress

A4_POINTS = (595, 842)  # the PDF's MediaBox, rounded


@pytest.fixture(scope="module")
def sample():
    return sendlib.load_sample()


@pytest.fixture(scope="module")
def candidates(sample):
    return ehc_candidates(sample)


@pytest.fixture(scope="module")
def timeline(sample):
    return ehc_timeline(sample)


@pytest.fixture(scope="module")
def candidate(sample, candidates, timeline):
    """A pupil sendlib suggests considering, with provision, scores and no EHC events."""
    provided = set(sample.provisions["upn"])
    on_timeline = set(timeline["upn"])
    chosen = candidates[candidates["upn"].isin(provided) & ~candidates["upn"].isin(on_timeline)]
    return chosen.iloc[0]


@pytest.fixture(scope="module")
def ehc_pupil(timeline):
    """A pupil with a request the LA decided on and duties of the school on the timeline."""
    decided = set(timeline.loc[timeline["stage"].eq("decision") & timeline["done"].notna(), "upn"])
    school = timeline[timeline["by"].eq("school")].groupby("upn").size()
    return next(upn for upn in school.sort_values(ascending=False).index if upn in decided)


def pupil(trust, upn):
    return trust.pupils.set_index("upn").loc[upn]


def text_of(page: str) -> str:
    return BeautifulSoup(page, "html.parser").get_text(" ")


# --- the pack -----------------------------------------------------------------------------------------
def test_a_candidates_pack_holds_the_reasons_plans_provision_and_progress(sample, candidate):
    upn = candidate["upn"]
    pack = evidence_pack(sample, upn)
    me = pupil(sample, upn)
    assert pack.candidate_reasons == candidate["reasons"] and "candidate" not in pack.notes
    assert pack.facts["UPN"] == upn and pack.facts["School"] == me["school"]
    assert pack.facts["Year group"] == year_group_label(me["year_group"])
    assert pack.facts["SEN provision"] == "SEN support"  # words, not "K"
    assert pack.title == f"Evidence for an EHC needs assessment: {me['forename']} {me['surname']}"
    assert len(pack.plans) == (sample.support_plans["upn"] == upn).sum() >= 2
    assert len(pack.history) == (sample.sen_history["upn"] == upn).sum()
    assert list(pack.provision["Intervention"]) == list(
        sample.provisions[sample.provisions["upn"] == upn].sort_values("start")["intervention"]
    )
    assert pack.provision_summary and pack.provision["What it has done across the trust"].ne("").all()
    progress = assess_progress(sample)
    subjects = sorted(progress.loc[progress["upn"] == upn, "subject"].astype(str))
    assert sorted(pack.progress["Subject"].str.lower()) == subjects and set(pack.bands) <= set(subjects)
    assert pack.bands  # a chart for at least one subject
    assert pack.timeline.empty and pack.notes["timeline"] == NOTHING_FOR_PUPIL["timeline"]
    assert not pack.school_part and not pack.la_part and len(pack.request_starts) == 4


def test_a_pupil_with_ehc_events_has_the_timeline_and_the_schools_part_in_words(sample, ehc_pupil, timeline):
    pack = evidence_pack(sample, ehc_pupil)
    mine = timeline[timeline["upn"] == ehc_pupil]
    assert len(pack.timeline) == len(mine) and len(pack.stages) == len(mine)
    assert len(pack.school_part) == mine["by"].eq("school").sum() and len(pack.la_part) == mine["by"].eq("LA").sum()
    assert pack.timeline["Whose"].isin(["School", "Local authority"]).all()
    allowed = tuple(STATUS_WORDS.values())
    assert pack.timeline["Status"].map(lambda s: s.startswith(allowed)).all()
    codes = {"too_early", "met", "late"}  # the statuses' codes never show as they are
    assert not set(pack.timeline["Status"]) & codes
    assert any(re.search(r"decided (not )?to assess on \d\d \w+ \d{4}", line) for line in pack.la_part)
    sources = ("(SEND Regulations", "(Children and Families Act", "(SEND Code of Practice", "recorded on")
    assert all(any(source in line for source in sources) for line in pack.school_part + pack.la_part)
    assert "candidate" in pack.notes or pack.candidate_reasons
    figures = pack_figures(pack)
    assert len(figures["timeline"]) == 1 and figures["timeline"][0][0].startswith(b"\x89PNG")
    assert "deadline" in figures["timeline"][0][1]


def test_frames_already_worked_out_give_the_same_pack(sample, ehc_pupil, candidates, timeline):
    progress = assess_progress(sample)
    given = evidence_pack(
        sample,
        ehc_pupil,
        progress=progress,
        duties=statutory_duties(sample),
        timeline=timeline,
        candidates=candidates,
        provision=sendlib.provision_map(sample),
        costs=sendlib.provision_costs(sample),
        impact=tuple(sendlib.provision_impact(sample).to_dict("records")),  # as the explorer keeps it
    )
    worked_out = evidence_pack(sample, ehc_pupil)
    for part in ("history", "plans", "provision", "progress", "timeline", "meetings"):
        pd.testing.assert_frame_equal(getattr(given, part), getattr(worked_out, part))
    assert given.school_part == worked_out.school_part and given.facts == worked_out.facts


def test_an_eal_pupil_has_the_eal_evidence(sample):
    eal = sendlib.weigh_eal_evidence(sample)
    upn = eal["upn"].iloc[0]
    pack = evidence_pack(sample, upn)
    assert pack.facts["English as an additional language"].startswith("Yes")
    assert pack.eal["explanation"] == eal["explanation"].iloc[0]
    assert pack.eal["next_steps"] == list(eal["next_steps"].iloc[0])
    assert len(pack.eal_items) == (sendlib.eal_evidence_items(sample)["upn"] == upn).sum() > 0
    assert set(pack.eal_items["Points to"]) <= set(FINDING_WORDS.values())
    assert pack.eal_items["Evidence"].str.contains("English").any()  # capitals kept: not "english"
    page = pack_html(pack)
    assert eal["situation"].iloc[0][1:] in text_of(page) and "learning english" not in page  # not lower-cased


def test_an_unknown_upn_is_a_sentence(sample):
    with pytest.raises(SendlibError, match="No pupil with UPN X999999999999 in this trust"):
        evidence_pack(sample, "X999999999999")
    with pytest.raises(SendlibError, match="Give the UPN"):
        evidence_pack(sample, "  ")


# --- the page -----------------------------------------------------------------------------------------
def test_the_page_is_self_contained_printable_and_its_charts_have_words(sample, candidate):
    page = pack_html(evidence_pack(sample, candidate["upn"]))
    soup = BeautifulSoup(page, "html.parser")
    me = pupil(sample, candidate["upn"])
    assert soup.title.string == f"Evidence for an EHC needs assessment: {me['forename']} {me['surname']}"
    images = soup.find_all("img")
    assert images and all(img["src"].startswith("data:image/png;base64,") for img in images)
    assert all(len(img["alt"]) > 40 and "pupils who started at the same level" in img["alt"] for img in images)
    assert "<script" not in page and "http" not in page.split("<body>")[1]  # nothing to fetch or run
    assert "@page evidence {size: A4; margin: 15mm;}" in page and "body:has(.sendlib-evidence)" in page
    assert "break-inside: avoid" in page
    text = text_of(page)
    assert "The school's part of the process" in text
    assert f"Data as of {sample.as_of:%d %B %Y}" in soup.find(class_="footer").get_text()
    assert "personal data" in soup.find(class_="footer").get_text()
    assert len(soup.find_all("section")) == 10


def test_a_name_with_markup_is_escaped_everywhere(sample, candidate):
    upn = candidate["upn"]
    pupils = sample.pupils.copy()
    pupils.loc[pupils["upn"] == upn, "forename"] = "<script>alert('x')</script>"
    trust = dataclasses.replace(sample, pupils=pupils)
    page = pack_html(evidence_pack(trust, upn))
    assert "<script>" not in page
    assert page.count("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;") >= 3  # the title, the heading, the facts
    soup = BeautifulSoup(page, "html.parser")
    assert soup.title.string.startswith("Evidence for an EHC needs assessment: <script>alert('x')</script>")


def upn_of(i: int) -> str:
    body = f"999300026{i:03d}"
    return upn_check_letter(body) + body


@pytest.fixture
def minimal(tmp_path):
    """Two pupils and nothing else; the first learning English (Polish)."""
    pupils = pd.DataFrame(
        {
            "upn": [upn_of(0), upn_of(1)],
            "school": "Elm",
            "forename": ["Amy", "Ben"],
            "surname": ["Ash", "Birch"],
            "date_of_birth": "01/02/2016",
            "year_group": "4",
            "sen_provision": "K",
            "primary_need": "SLCN",
            "first_language": ["POL", "ENG"],
        }
    )
    folder = write_folder(tmp_path / "t", {"pupils": pupils})
    (folder / "manifest.json").write_text(json.dumps({"exported_on": "2026-11-20"}))
    return folder


def test_a_trust_with_only_pupils_says_what_each_part_lacks(minimal):
    trust = load_trust(minimal)
    pack = evidence_pack(trust, upn_of(0))
    for part, sentence in MISSING_FILE.items():
        assert pack.notes[part] == sentence
    assert "support_plans.csv" in pack.notes["candidate"] and "eal_evidence.csv" in pack.notes["eal"]
    assert pack.facts["Primary need"] == "Speech, language and communication needs (SLCN)"
    assert pack.facts["English as an additional language"] == "Yes (first language: Polish)"
    text = text_of(pack_html(pack))
    for sentence in (*MISSING_FILE.values(), "Nothing is on record yet"):
        assert sentence in text
    assert not pack_figures(pack)["progress"] and not pack_figures(pack)["timeline"]
    assert evidence_pack(trust, upn_of(1)).notes["eal"].startswith("English is the pupil's first language")


def test_files_without_the_pupil_say_so(minimal):
    other = upn_of(1)
    write_folder(
        minimal,
        {
            "support_plans": pd.DataFrame({"upn": [other], "plan_start": ["01/10/2025"], "review_due": ["01/12/2025"]}),
            "parent_meetings": pd.DataFrame({"upn": [other], "meeting_date": ["2025-10-02"]}),
            "ehc_events": pd.DataFrame({"upn": [other], "event": ["assessment_requested"], "date": ["01/10/2026"]}),
        },
    )
    trust = load_trust(minimal)
    pack = evidence_pack(trust, upn_of(0))
    for part in ("plans", "meetings", "timeline"):
        assert pack.notes[part] == NOTHING_FOR_PUPIL[part]
    theirs = evidence_pack(trust, other)
    assert list(theirs.meetings["Meeting held"]) == ["02 Oct 2025"] and len(theirs.plans) == 1
    assert "is with the local authority" in theirs.notes["candidate"]  # a request with no decision yet
    assert theirs.la_part and theirs.la_part[0].startswith("LA decision whether to assess (6 weeks): ")


def test_the_notebook_helper_shows_the_pack_or_a_sentence(monkeypatch, minimal):
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj.data))
    show(str(minimal), upn_of(1))
    assert "Evidence for an EHC needs assessment: Ben Birch" in shown[-1]
    show(str(minimal), "A123")
    assert "This could not be shown" in shown[-1] and "No pupil with UPN A123" in shown[-1]
    show(str(minimal), "")  # no UPN and nobody to consider: a sentence
    assert "Give the UPN" in shown[-1]


# --- the report (papermill), the command and access -------------------------------------------------
def test_the_report_writes_the_pack_with_its_audit_trail_and_an_a4_pdf(
    tmp_path, monkeypatch, sample, candidate, record_property
):
    """One real papermill run, under an access file: the pack, its audit trail, its PDF and the log line."""
    from sendlib.reports import evidence_report

    upn, school = candidate["upn"], candidate["school"]
    path, _ = write_access(tmp_path / "access", {"lead": ("senco", [school])})
    monkeypatch.setenv(ACCESS_ENV, str(path))
    start = time.perf_counter()
    written = evidence_report(upn, out_dir=tmp_path / "packs", user="lead")
    record_property("figure", f"evidence pack (papermill, HTML and PDF): {time.perf_counter() - start:.1f} s")
    assert written["html"] == tmp_path / "packs" / f"evidence-{upn}.html"
    page = written["html"].read_text(encoding="utf-8")
    soup = BeautifulSoup(page, "html.parser")
    me = pupil(sample, upn)
    assert soup.title.string == f"Evidence for an EHC needs assessment: {me['forename']} {me['surname']}"
    assert "<script" not in page and "<input" not in page and "data:image/png;base64," in page
    footer = soup.find(class_="footer").get_text()
    assert "personal data" in footer and re.search(r"Made by sendlib [\d.]+ on .*pupils\.csv [0-9a-f]{16}", footer)
    meta = {tag["name"]: tag["content"] for tag in soup.find_all("meta", attrs={"name": True})}
    assert json.loads(meta["sendlib-parameters"]) == {"pupil": upn, "data": "sample", "user": "lead"}
    assert os.path.exists("/usr/bin/chromium"), "Chromium is missing: apt-get install -y chromium (as CI does)"
    pdf = written["pdf"].read_bytes()
    assert pdf.startswith(b"%PDF")
    boxes = {tuple(round(float(v)) for v in box.split()[2:]) for box in re.findall(rb"MediaBox \[([^\]]+)\]", pdf)}
    assert boxes == {A4_POINTS}
    log = read_access_log(path.parent / "access-log.jsonl")
    built = log[log["event"] == "evidence pack built"]
    assert built[["user", "app", "school"]].values.tolist() == [["lead", "evidence", school]]
    assert built["detail"].iloc[0] == pseudonym(upn, load_access(path).secret())
    assert not UPN.search((path.parent / "access-log.jsonl").read_text())


@pytest.fixture
def policy(tmp_path, monkeypatch, sample):
    schools = sample.schools
    path, _ = write_access(
        tmp_path / "access",
        {"okafor": ("senco", [schools[1]]), "governor": ("committee", [schools[0]]), "patel": ("planner", "all")},
    )
    monkeypatch.setenv(ACCESS_ENV, str(path))
    return path


def test_the_command_refuses_a_senco_of_another_school_and_logs_it(policy, sample, tmp_path, capsys):
    school = sample.schools[0]
    upn = sample.pupils.loc[sample.pupils["school"] == school, "upn"].iloc[0]
    out = tmp_path / "packs"
    code = main(["evidence", "--pupil", upn, "--user", "okafor", "--out", str(out), "--no-pdf"])
    err = capsys.readouterr().err
    assert code == 1 and "Traceback" not in err
    assert "okafor may make evidence packs only for pupils of their own schools" in err
    assert school not in err  # the refusal does not say where the pupil is
    assert not out.exists() or not any(out.iterdir())
    log = read_access_log(policy.parent / "access-log.jsonl")
    refused = log[log["event"] == "refused"]
    assert refused[["user", "app", "school"]].values.tolist() == [["okafor", "evidence", school]]
    assert pseudonym(upn, load_access(policy).secret()) in refused["detail"].iloc[0]
    assert not UPN.search((policy.parent / "access-log.jsonl").read_text())


@pytest.mark.parametrize(
    "user, message",
    [
        ("governor", "cannot open the SENCO pupil explorer"),
        ("patel", "cannot open the SENCO pupil explorer"),
        ("nobody", "'nobody' is not one"),
        (None, "give the name of one of its users"),
    ],
)
def test_the_command_refuses_anyone_but_a_senco(policy, sample, tmp_path, capsys, user, message):
    upn = sample.pupils.loc[sample.pupils["school"] == sample.schools[0], "upn"].iloc[0]
    args = ["evidence", "--pupil", upn, "--out", str(tmp_path / "packs"), "--no-pdf"]
    assert main([*args, "--user", user] if user else args) == 1
    assert message in capsys.readouterr().err
    log = read_access_log(policy.parent / "access-log.jsonl")
    assert log["event"].tolist() == ["refused"] and log["user"].iloc[0] == (user or "?")


def test_command_usage_errors(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv(ACCESS_ENV, raising=False)
    assert main(["evidence", "--pupil", "A1", "--data", str(tmp_path / "nope")]) == 2
    assert "is not a folder" in capsys.readouterr().err
    assert main(["evidence", "--pupil", "X999999999999", "--out", str(tmp_path / "p"), "--no-pdf"]) == 1
    err = capsys.readouterr().err
    assert "No pupil with UPN X999999999999" in err and "Traceback" not in err
    with pytest.raises(SystemExit) as exit_:
        main(["evidence"])  # --pupil is required
    assert exit_.value.code == 2


def test_the_evidence_block_alone_is_styled_and_escaped(sample, candidate):
    block = render.evidence(evidence_pack(sample, candidate["upn"]))  # no figures
    assert block.startswith("<style>") and 'class="sendlib sendlib-evidence"' in block and "<img" not in block
