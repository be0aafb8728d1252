import pytest

import sendlib
from sendlib import SendlibError
from sendlib._testing import assert_nothing_identifying, write_folder
from sendlib.committee import committee_page
from sendlib.render import committee as committee_html


@pytest.fixture(scope="module")
def sample():
    return sendlib.load_sample()


@pytest.fixture(scope="module")
def built(sample):
    """Every school's page, as the dashboards and reports read them (made once per run of the
    suite for this code, data and day, whichever test asks first: sendlib.committee's cache)."""
    from sendlib.committee import cached_committee_pages

    return cached_committee_pages("")


@pytest.fixture(scope="module")
def pages(built):
    return {school: committee_html(page) for school, page in built.items()}


def test_committee_pages_identify_no_pupil(pages, sample):
    for school, page in pages.items():
        assert_nothing_identifying(page, sample.pupils)
        assert "What this page says" in page and school in page


def test_committee_page_content(sample, pages, built):
    assert (
        committee_page(sample, "Beacon Academy").narrative == built["Beacon Academy"].narrative[:-1]
    )  # no forecast given
    page = built["Beacon Academy"]
    assert list(page.headline.index) == ["SEN support", "EHC plan", "No SEN", "All pupils"]
    assert "Communication and interaction" in page.need_areas.index
    assert {"EHC plan", "SEN support", "No SEN"} <= set(page.progress["Pupils"])
    assert page.narrative[0].startswith("Statutory duties") and page.narrative[1].startswith("Beacon Academy has")
    # the projector's charts, each with its words; the need mix only from the shares the table shows
    assert [words.split(":")[0] for _, words in page.charts] == [
        "Pupils with SEND by broad area of need",
        "Share of pupils in each January census",
    ]
    assert all(uri.startswith("data:image/png;base64,") for uri, _ in page.charts)
    assert "sensory and/or physical not shown here" in page.charts[0][1]  # "fewer than 6" in the table
    assert "Forecast" in pages["Beacon Academy"]
    duties = page.duties.set_index("Duty")
    assert duties.loc["Parent meetings (3 a year)", "Required by"] == "trust policy"
    assert duties.loc["Review report sent (2 weeks after)", "Required by"] == "law: SEND Regulations 2014 r.20(7)"
    # parent meetings fall due on 31 August: none has passed this school year yet
    assert duties.loc["Parent meetings (3 a year)", "Met on time, this school year"] == "none in this period"
    statutory = [line for line in page.narrative if line.startswith("Statutory duties")]
    assert len(statutory) == 1 and "in the last 12 months were met on time" in statutory[0]


def test_no_on_time_rate_reveals_a_small_count(built):
    """A rate beside its total would give away the met and the rest: neither may be 1 to 5."""
    shown = 0
    for school, page in built.items():
        table = page.duties
        for record in table.to_dict("records"):
            rate, total = record["Met on time, last 12 months"], record["Deadlines passed or met, last 12 months"]
            if rate.endswith("%"):
                shown += 1
                met = round(float(rate[:-1]) * int(total.replace(",", "")) / 100)
                assert not 1 <= met <= 5 and not 1 <= int(total.replace(",", "")) - met <= 5, (school, record)
    assert shown >= 10  # (the rule leaves rates to show)


def test_no_progress_count_reveals_a_small_remainder_of_the_roll(sample, built):
    """The page shows each group's roll: the number with enough scores must not leave 1 to 5."""
    shown = 0
    for school in sample.schools:
        roll = sample.pupils.loc[sample.pupils["school"] == school, "sen_provision"].value_counts()
        roll.index = roll.index.map({"N": "No SEN", "K": "SEN support", "E": "EHC plan"})
        for record in built[school].progress.to_dict("records"):
            number = record["Number with enough scores"]
            if number not in ("not shown", "fewer than 6"):
                shown += 1
                assert not 1 <= roll[record["Pupils"]] - int(number.replace(",", "")) <= 5, (school, record)
    assert shown >= 20


def test_the_cached_pages_follow_the_export(tmp_path, small_tables, monkeypatch):
    """Read once while nothing changes; a changed file of the export (or of sendlib) is read again."""
    from sendlib._paths import CACHE_ENV
    from sendlib.committee import cached_committee_pages

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    folder = write_folder(tmp_path / "export", small_tables)
    first = cached_committee_pages(str(folder))
    assert cached_committee_pages(str(folder)) is first  # nothing changed: the same pages, not read again
    pupils = folder / "pupils.csv"
    lines = pupils.read_text().splitlines()
    pupils.write_text("\n".join(lines[:-1]) + "\n")  # one pupil fewer
    again = cached_committee_pages(str(folder))
    assert again is not first
    roll = lambda pages: sum(int(page.headline.loc["All pupils", "Pupils"]) for page in pages.values())
    assert roll(again) == roll(first) - 1


def test_unknown_school(sample):
    with pytest.raises(SendlibError, match="No school called"):
        committee_page(sample, "Nowhere High")


def test_the_provision_section_hides_small_groups_and_what_reveals_them(tmp_path, small_tables, sample, built):
    for school, page in built.items():
        table = page.provision.set_index("Broad area of need")
        counted = table["Pupils"].str.fullmatch(r"[\d,]+")
        # spend only beside a count shown, the total's only when no area's is hidden
        assert table.loc[~counted, "Spend, last 12 months"].eq("not shown").all(), school
        if (~counted.drop("All areas")).any():
            assert table.at["All areas", "Spend, last 12 months"] == "not shown", school
        # never exactly one hidden part beside a shown total
        assert (~counted.drop("All areas")).sum() != 1 or not counted["All areas"], school
        total = table.at["All areas", "Pupils"]
        assert any(line.startswith(f"Additional provision: {total} pupils") for line in page.narrative), school
        assert list(page.interventions.columns) == [
            "Intervention used here",
            "Broad area of need",
            "What it has done across the trust",
        ]
        html_text = str(committee_html(page))
        assert "Additional provision and what works" in html_text
        assert_nothing_identifying(html_text, sample.pupils)
    hawthorn = built["Hawthorn Primary"].provision.set_index("Broad area of need")["Pupils"]
    assert hawthorn.eq("fewer than 6").sum() == 1 and hawthorn.eq("not shown").sum() == 1  # a second cell hidden
    tables = {k: v for k, v in small_tables.items() if k not in ("provisions", "staff_costs")}
    without = sendlib.committee_pages(sendlib.load_trust(write_folder(tmp_path / "t", tables)))
    page = next(iter(without.values()))
    assert "No provision map was supplied (provisions.csv)." in page.narrative and page.provision.empty


def test_the_assessments_section_hides_small_counts_and_the_rates_they_would_reveal(sample, built, pages):
    """Requests, plans, mediations and appeals: 1 to 5 read "fewer than 6"; a rate is shown only
    when neither the part nor the rest is small; no trust row (with it, the rest of the trust
    would be a difference away); England's rate beside."""
    from sendlib.ehc import ehc_summary

    exact = ehc_summary(sample, by="school", period="12 months").set_index("group")
    seen_small = 0
    for school, page in built.items():
        table = page.assessments
        assert list(table.index) == ["This school", table.index[-1]] and table.index[-1].startswith("England (")
        mine, counts = table.loc["This school"], exact.loc[school]
        for column, name in (("Requests for an assessment", "requests"), ("Final plans issued", "plans_issued")):
            n = counts[name]
            assert mine[column] == ("fewer than 6" if 1 <= n <= 5 else f"{n:,}"), (school, column)
            seen_small += 1 <= n <= 5
        for column, part, whole in (
            ("Issued within 20 weeks of the request", "issued_within_20_weeks", "plans_timed"),
            ("Decided within 6 weeks", "decided_within_6_weeks", "decisions"),
        ):
            m, n = counts[part], counts[whole]
            if mine[column].endswith("%"):
                assert not 1 <= m <= 5 and not 1 <= n - m <= 5, (school, column)
        sentence = next(line for line in page.narrative if line.startswith("EHC needs assessments"))
        assert mine["Requests for an assessment"] in sentence
        assert "All schools" not in pages[school].split("EHC needs assessments: the last 12 months")[1][:3000]
    assert seen_small >= 3  # (the sample has small schools: the rule is exercised)


def test_a_page_from_an_export_with_problems_says_so_and_an_unread_file_is_not_called_absent(tmp_path, sample):
    """Governors read figures with rows left out, or with a file that could not be read: the
    page says how many problems (a count, never what they are: they name pupils), and an
    assessments workbook that cannot be opened is not reported as "no scores in the export"."""
    import shutil

    from sendlib._paths import SAMPLE_DIR

    assert committee_page(sample, "Hawthorn Primary").export_warning == ""  # a clean export: nothing said
    folder = tmp_path / "t"
    shutil.copytree(SAMPLE_DIR, folder)
    (folder / "assessments.csv").unlink()
    (folder / "assessments.xlsx").write_bytes(b"PK\x03\x04 not a workbook")
    trust = sendlib.load_trust(folder, strict=False)
    page = committee_page(trust, "Hawthorn Primary")
    assert page.export_warning.startswith(
        "The trust's export had 1 problem (found by sendlib's checks of its files): assessments.xlsx could not be read."
    )
    html = str(committee_html(page))
    assert "The assessments file could not be read, so progress is not shown." in html
    assert "No assessment scores were in the export" not in html


@pytest.mark.parametrize("plans", [3, 0])
def test_a_school_with_few_plans_still_shows_its_pupils_with_send_by_area(sample, plans):
    """Three EHC plans (or none): the headline hides the plans and, to protect them, SEN support;
    pupils with SEND (the roll less those with no SEN, already on the page) by area are still
    shown, and nothing hidden can be worked out from the page."""
    import dataclasses

    from sendlib._testing import assert_no_count_recoverable

    school = "Kingsmead Primary"
    pupils = sample.pupils.copy()
    plans_here = pupils.index[(pupils["school"] == school) & (pupils["sen_provision"] == "E")]
    pupils.loc[plans_here[plans:], "sen_provision"] = "K"  # all but `plans` of them at SEN support
    trust = dataclasses.replace(sample, pupils=pupils)
    page = committee_page(trust, school)
    assert page.headline.at["EHC plan", "Pupils"] in ("fewer than 6", "0")
    send = int(((pupils["school"] == school) & pupils["sen_provision"].isin(["K", "E"])).sum())
    column = "Pupils with SEND" if plans else "Total"  # no plans: nothing small to hide, shown apart
    assert page.need_areas.at["All areas", column] == str(send), page.need_note
    assert_no_count_recoverable(str(committee_html(page)), f"{school} with {plans} plans")
    roll, opening = int((pupils["school"] == school).sum()), page.narrative[1]
    if plans:  # the opening sentence says what it can, and why not the rest
        assert f"{roll} pupils: the number on SEN support is not shown, to protect a small count (England " in opening
        assert "and fewer than 6 with an EHC plan (England " in opening
    else:
        assert f"{roll} pupils: {send} on SEN support (" in opening and "and 0 with an EHC plan (0.0%" in opening


def test_pupils_with_send_by_area_are_refused_where_their_total_would_reveal_a_hidden_count(sample):
    """Three plans, and only two pupils with no SEN (a special school's roll): the headline hides
    the plans and the pupils with no SEN, and shows SEN support; the areas' total (pupils with
    SEND) would give the plans away, so a sentence instead."""
    import dataclasses

    from sendlib._testing import assert_no_count_recoverable

    school = "Kingsmead Primary"
    pupils = sample.pupils.copy()
    here = pupils["school"] == school
    plans_here = pupils.index[here & (pupils["sen_provision"] == "E")]
    pupils.loc[plans_here[3:], "sen_provision"] = "K"
    pupils.loc[pupils.index[here & (pupils["sen_provision"] == "N")][2:], "sen_provision"] = "K"
    page = committee_page(dataclasses.replace(sample, pupils=pupils), school)
    assert page.headline.at["EHC plan", "Pupils"] == "fewer than 6"
    assert page.headline.at["SEN support", "Pupils"].isdigit()  # shown: the pupils with no SEN protect the plans
    assert page.need_areas.empty and page.need_note.startswith("Too few pupils here have SEN support or an EHC plan")
    assert_no_count_recoverable(str(committee_html(page)), f"{school}, 3 plans, 2 pupils with no SEN")


def test_an_empty_section_says_why_not_nothing_to_show(tmp_path):
    """A pupils-only export: each section says why it is empty (it said "Nothing to show.", and
    the forecast's section was left out without a word)."""
    from sendlib._testing import write_edge_trust

    trust = sendlib.load_trust(write_edge_trust(tmp_path / "t", "2026-07-15", files=(), manifest=False), strict=False)
    html = str(committee_html(committee_page(trust, trust.schools[0])))
    assert "Nothing to show" not in html
    assert "No progress to show: no pupil here has three scores over more than one term yet" in html
    assert "No deadlines for pupils here in the last 12 months or due now" in html
    assert "<h3>Forecast</h3>" in html and "No forecast: it needs two January censuses in a row" in html
