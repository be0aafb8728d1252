import pytest
from hypothesis import given
from hypothesis import strategies as st

from sendlib import codes, upn_is_valid


@pytest.mark.parametrize(
    "upn, valid",
    [
        ("B801200005001", True),
        ("A801200005001", False),
        ("P207000016049", True),
        ("B80120000500", False),  # 12 characters
        ("B8012000050011", False),  # 14 characters
        ("I801200005001", False),  # I is never a check letter
        ("B80120000500X", False),  # X in last place, but the check letter would differ
        ("b801200005001", False),  # upn_is_valid is strict; the loader upper-cases first
        ("", False),
        (None, False),
        (801200005001, False),
    ],
)
def test_upn_known_answers(upn, valid):
    assert upn_is_valid(upn) is valid


@given(
    st.text(alphabet="0123456789", min_size=11, max_size=11),
    st.sampled_from(list("0123456789") + list(codes.UPN_CHECK_LETTERS)),
)
def test_every_body_has_one_check_letter(digits, last):
    body = digits + last
    letter = codes.upn_check_letter(body)
    assert upn_is_valid(letter + body)
    assert sum(upn_is_valid(other + body) for other in codes.UPN_CHECK_LETTERS) == 1


def test_temporary_upn_letter_counts_by_its_place_in_the_table():
    body = "80120000500" + "A"  # A is index 0: same sum as a final digit 0
    assert codes.upn_check_letter(body) == codes.upn_check_letter("80120000500" + "0")
    body_b = "80120000500B"  # B is index 1, weight 13: sum rises by 13
    digits_sum = sum(w * int(c) for w, c in zip(range(2, 13), "80120000500"))
    assert codes.upn_check_letter(body_b) == codes.UPN_CHECK_LETTERS[(digits_sum + 13) % 23]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("N1", -2),
        ("N2", -1),
        ("R", 0),
        ("Reception", 0),
        ("YR", 0),
        ("1", 1),
        ("13", 13),
        ("Y3", 3),
        ("Year 3", 3),
        ("year 03", 3),
        ("Yr 7", 7),
        (" y11 ", 11),
        (5, 5),
        (5.0, 5),
        ("Nursery 1", -2),
        ("7.0", 7),
        ("NC Year 7", 7),
        ("0", 0),
        ("0.0", 0),
        (0, 0),  # Reception, as numeric exports write it
        ("14", None),
        ("Year 14", None),
        ("", None),
        (3.5, None),
        ("Y", None),
        ("7.5", None),
        ("-1", None),
        ("X", codes.YEAR_NOT_FOLLOWED),  # CBDS: curriculum not followed; the loader takes the year of the pupil's age
    ],
)
def test_parse_year_group(text, expected):
    assert codes.parse_year_group(text) == expected


def test_every_need_has_one_area_and_areas_follow_the_code_of_practice():
    assert set(codes.NEED_AREA) == set(codes.NEED_TYPES)
    assert codes.BROAD_AREAS[codes.COMMUNICATION] == ("SLCN", "ASD")
    assert set(codes.BROAD_AREAS[codes.COGNITION]) == {"SPLD", "MLD", "SLD", "PMLD"}
    assert codes.BROAD_AREAS[codes.SEMH_AREA] == ("SEMH",)
    assert set(codes.BROAD_AREAS[codes.SENSORY]) == {"HI", "VI", "MSI", "PD"}
    assert codes.need_area("DS") == codes.need_area("OTH") == codes.need_area("NSA") == codes.NO_BROAD_AREA


@pytest.mark.parametrize(
    "language, expected",
    [
        ("ENG", False),
        ("ENB", False),
        ("POL", True),
        ("URD", True),
        (None, None),
        ("NOT", None),
        ("REF", None),
    ],
)
def test_is_eal(language, expected):
    assert codes.is_eal(language) is expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("standardised", "standardised"),
        ("Standardized", "standardised"),
        ("KS2 scaled", "ks2_scaled"),
        ("SAS", "standardised"),
        ("PiRA-2", "pira_2"),
    ],
)
def test_scale_name(text, expected):
    assert codes.scale_name(text) == expected
