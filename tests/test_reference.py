import re

import pytest

from sendlib.reference import REFERENCE_FILES, UnknownAreaError, areas, ehc_plans, national_need_shares, reference_table


def test_every_reference_file_loads():
    for name in REFERENCE_FILES:
        assert len(reference_table(name)) > 0


@pytest.mark.parametrize("year, count", [(2015, 240183), (2020, 390109), (2024, 576474)])
def test_england_ehc_plans_match_the_published_sen2_figures(year, count):
    assert ehc_plans("England").set_index("year").loc[year, "count"] == count


def test_local_authority_by_name_or_code_and_short_series():
    by_name = ehc_plans("Hartlepool")
    assert by_name.equals(ehc_plans("e06000001"))
    assert by_name["year"].min() == 2010
    levels = areas()["level"].value_counts()
    assert levels["Local authority"] > 140 and levels["National"] == 1
    # a series that starts late: a unitary authority created after 2010
    starts = {row.name: ehc_plans(row.code)["year"].min() for row in areas().itertuples() if row.code}
    assert max(starts.values()) > 2010


def test_unknown_area_suggests_a_near_name():
    with pytest.raises(UnknownAreaError, match="Did you mean Hartlepool"):
        ehc_plans("Hartlepol")
    with pytest.raises(ValueError, match="age band"):
        ehc_plans("England", age_band="30-40")


def test_need_shares_sum_to_about_100():
    for provision in ("K", "E"):
        shares = national_need_shares(provision)
        assert 99 <= shares["share_pct"].sum() <= 101


def test_an_unknown_area_lists_the_names_that_contain_what_was_typed():
    from sendlib.reference import find_area

    assert find_area("  kingston upon thames ") == ("E09000021", "Kingston upon Thames")
    near = re.escape("Did you mean one of: Kingston upon Hull, City of; Kingston upon Thames?")
    with pytest.raises(UnknownAreaError, match=near):
        find_area("Kingston")
    with pytest.raises(UnknownAreaError, match="Type England, a region"):
        find_area("Atlantis")
