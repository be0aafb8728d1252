"""Codes of the DfE Common Basic Data Set (CBDS) that sendlib reads, and the UPN check.

Sources: DfE Common Basic Data Set (CBDS) code sets D00040 (SEN provision), D00041 (SEN
type of need), D00246 (proficiency in English), D00006 (year group); the SEND Code of
Practice 0-25 (2015), paragraphs 6.28-6.35 (the four broad areas of need); DfE "Unique
Pupil Numbers (UPN): a guide for schools and local authorities" (the check letter).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import pandas as pd

from ._paths import REFERENCE_DIR
from .school_calendar import school_year

# --- SEN provision (CBDS D00040) ---------------------------------------------------
NO_SEN, SEN_SUPPORT, EHC_PLAN = "N", "K", "E"
SEN_PROVISION = {
    NO_SEN: "No special educational need",
    SEN_SUPPORT: "SEN support",
    EHC_PLAN: "Education, health and care plan",
}


@dataclass(frozen=True)
class ProvisionWords:
    """How pages and sentences name a provision, written once."""

    label: str  # a table's row or column: "SEN support", "EHC plan"
    plural: str  # "EHC plans"
    pupils: str  # "pupils with EHC plans"
    in_sentence: str  # "Year 5, Oak Primary: an EHC plan"
    of_a_pupil: str  # "No pupil with an EHC plan is on this list."


PROVISION_WORDS = {
    NO_SEN: ProvisionWords("No SEN", "No SEN", "pupils with no SEN", "no SEN", "with no SEN"),
    SEN_SUPPORT: ProvisionWords("SEN support", "SEN support", "pupils on SEN support", "SEN support", "on SEN support"),
    EHC_PLAN: ProvisionWords("EHC plan", "EHC plans", "pupils with EHC plans", "an EHC plan", "with an EHC plan"),
}
SEN_PROVISION_ALIASES = {
    "no sen": NO_SEN,
    "none": NO_SEN,
    "no special educational need": NO_SEN,
    "no special educational needs": NO_SEN,
    "not sen": NO_SEN,
    "no send": NO_SEN,
    "n a": NO_SEN,
    "no": NO_SEN,
    "sen support": SEN_SUPPORT,
    "support": SEN_SUPPORT,
    "send support": SEN_SUPPORT,
    "school support": SEN_SUPPORT,
    "ehc plan": EHC_PLAN,
    "ehcp": EHC_PLAN,
    "education health and care plan": EHC_PLAN,
    "ehc": EHC_PLAN,
    "education health care plan": EHC_PLAN,
    "education health and care plan ehcp": EHC_PLAN,
    "statement": EHC_PLAN,
    "statement of sen": EHC_PLAN,  # statements became EHC plans (2014-2018)
}

# --- Type of need (CBDS D00041; DS added for the January 2025 census) -----------------
NEED_TYPES = {
    "SPLD": "Specific learning difficulty",
    "MLD": "Moderate learning difficulty",
    "SLD": "Severe learning difficulty",
    "PMLD": "Profound and multiple learning difficulty",
    "SEMH": "Social, emotional and mental health",
    "SLCN": "Speech, language and communication needs",
    "HI": "Hearing impairment",
    "VI": "Visual impairment",
    "MSI": "Multi-sensory impairment",
    "PD": "Physical disability",
    "ASD": "Autistic spectrum disorder",
    "DS": "Down syndrome",
    "OTH": "Other difficulty or disability",
    "NSA": "SEN support but no specialist assessment of type of need",
}
# NSA is allowed only for pupils on SEN support (CBDS validation rule).
NEED_ONLY_WITH_SEN_SUPPORT = "NSA"
# Other names MIS, DfE statistics and schools print (matched without case, punctuation, "and",
# "&", "or", "/" and plurals: "Speech, Language & Communication Needs" is SLCN).
NEED_ALIASES = {
    "autism": "ASD",
    "autistic spectrum condition": "ASD",
    "autism spectrum disorder": "ASD",
    "autism spectrum condition": "ASD",
    "asc": "ASD",
    "speech language and communication needs": "SLCN",
    "social emotional and mental health needs": "SEMH",
    "down s syndrome": "DS",
    "downs syndrome": "DS",
    "down syndrome": "DS",
    "other": "OTH",
    "other difficulty disability": "OTH",
    "other difficulty": "OTH",
    "other disability": "OTH",
    "no specialist assessment": "NSA",
    "sen support but no specialist assessment": "NSA",
    "no specialist assessment of type of need": "NSA",
    "vision impairment": "VI",
    "visual impairment": "VI",
    "multi sensory impairment": "MSI",
    "multisensory impairment": "MSI",
    "physical difficulty": "PD",
}

# --- Broad areas of need (SEND Code of Practice 6.28-6.35) ------------------------------
COMMUNICATION = "Communication and interaction"
COGNITION = "Cognition and learning"
SEMH_AREA = "Social, emotional and mental health"
SENSORY = "Sensory and/or physical"
NO_BROAD_AREA = "Other needs (Down syndrome, other, not yet assessed)"
BROAD_AREAS = {
    COMMUNICATION: ("SLCN", "ASD"),
    COGNITION: ("SPLD", "MLD", "SLD", "PMLD"),
    SEMH_AREA: ("SEMH",),
    SENSORY: ("HI", "VI", "MSI", "PD"),
    # The Code of Practice gives Down syndrome, "other" and "no specialist assessment" no
    # broad area: they are kept apart rather than guessed into one.
    NO_BROAD_AREA: ("DS", "OTH", "NSA"),
}
NEED_AREA = {code: area for area, codes in BROAD_AREAS.items() for code in codes}
# Words a provision map uses for a broad area (compared lower case, letters and digits only);
# a type-of-need code (SPLD, ASD ...) also names its area.
AREA_ALIASES = {
    "ci": COMMUNICATION,
    "c i": COMMUNICATION,
    "c and i": COMMUNICATION,
    "communication": COMMUNICATION,
    "communication and interaction": COMMUNICATION,
    "communication interaction": COMMUNICATION,
    "cl": COGNITION,
    "c l": COGNITION,
    "c and l": COGNITION,
    "cognition": COGNITION,
    "learning": COGNITION,
    "cognition and learning": COGNITION,
    "cognition learning": COGNITION,
    "semh": SEMH_AREA,
    "semh needs": SEMH_AREA,
    "social emotional and mental health": SEMH_AREA,
    "social emotional mental health": SEMH_AREA,
    "sp": SENSORY,
    "s p": SENSORY,
    "s and p": SENSORY,
    "ps": SENSORY,
    "sensory": SENSORY,
    "physical": SENSORY,
    "sensory and or physical": SENSORY,
    "sensory and physical": SENSORY,
    "sensory or physical": SENSORY,
    "sensory physical": SENSORY,
    "physical sensory": SENSORY,
    "physical and sensory": SENSORY,
}

# Who delivers a provision (issue's four roles); the words schools write for them.
STAFF_ROLES = ("teacher", "ta", "specialist", "external")
STAFF_ROLE_WORDS = {
    "teacher": "Teacher",
    "ta": "Teaching assistant",
    "specialist": "Specialist",
    "external": "External",
}
STAFF_ROLE_ALIASES = {
    "teacher": "teacher",
    "class teacher": "teacher",
    "teachers": "teacher",
    "senco": "teacher",
    "sen teacher": "teacher",
    "subject teacher": "teacher",
    "ta": "ta",
    "tas": "ta",
    "teaching assistant": "ta",
    "hlta": "ta",
    "lsa": "ta",
    "learning support assistant": "ta",
    "higher level teaching assistant": "ta",
    "support staff": "ta",
    "specialist": "specialist",
    "specialist teacher": "specialist",
    "specialist ta": "specialist",
    "elsa": "specialist",
    "external": "external",
    "external agency": "external",
    "outside agency": "external",
    "external provider": "external",
    "ep": "external",
    "educational psychologist": "external",
    "salt": "external",
    "speech and language therapist": "external",
    "ot": "external",
    "occupational therapist": "external",
    "counsellor": "external",
    "camhs": "external",
}


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower().replace("&", " and ")).split())


def area_of(text: str) -> str | None:
    """The broad area of need a provision map's cell names (None when it names none).

    >>> area_of("C&L"), area_of("SEMH"), area_of("Sensory/Physical")
    ('Cognition and learning', 'Social, emotional and mental health', 'Sensory and/or physical')
    >>> area_of("ASD"), area_of("x")
    ('Communication and interaction', None)
    """
    words = _words(text)
    if words in AREA_ALIASES:
        return AREA_ALIASES[words]
    if words.replace(" and ", " ") in AREA_ALIASES:
        return AREA_ALIASES[words.replace(" and ", " ")]
    for area in BROAD_AREAS:
        if words == _words(area):
            return area
    code = NEED_ALIASES.get(words, words.upper().replace(" ", ""))
    return NEED_AREA.get(code) if code in NEED_AREA and NEED_AREA[code] != NO_BROAD_AREA else None


def staff_role(text: str) -> str | None:
    """The role (``STAFF_ROLES``) a cell names, or None.

    >>> staff_role("Teaching Assistant"), staff_role("HLTA"), staff_role("Speech & Language Therapist")
    ('ta', 'ta', 'external')
    """
    return STAFF_ROLE_ALIASES.get(_words(text))


# Where a pupil is taught (for costs): a mainstream class, a unit or resourced provision in a
# mainstream school (the DfE's "SEN units and resourced provision"), or a special school.
SETTINGS = ("mainstream", "resourced", "special")
SETTING_WORDS = {
    "mainstream": "mainstream classes",
    "resourced": "resourced provision or SEN units",
    "special": "special schools",
}
SETTING_ALIASES = {
    **{word: "mainstream" for word in ("mainstream", "mainstream class", "mainstream school", "main")},
    **{
        word: "resourced"
        for word in (
            "resourced",
            "resourced provision",
            "rp",
            "sen unit",
            "unit",
            "resource base",
            "resourced base",
            "srp",
            "specialist resource provision",
            "specialist resourced provision",
            "arp",
            "additionally resourced provision",
            "enhanced provision",
            "enhanced resource provision",
            "designated specialist provision",
            "dsp",
        )
    },
    **{
        word: "special"
        for word in ("special", "special school", "special academy", "special free school", "specialist school")
    },
}


def setting(text: str) -> str | None:
    """The setting (``SETTINGS``) a cell names, or None.

    >>> setting("SEN Unit"), setting("Specialist Resource Provision"), setting("Special academy")
    ('resourced', 'resourced', 'special')
    """
    return SETTING_ALIASES.get(_words(text))


# --- Proficiency in English (CBDS D00246, collected 2016-2018 and by many schools since) --
ENGLISH_PROFICIENCY = {
    "A": "New to English",
    "B": "Early acquisition",
    "C": "Developing competence",
    "D": "Competent",
    "E": "Fluent",
}
PROFICIENCY_NOT_ASSESSED = "N"  # CBDS: "not yet assessed"; loaded as missing
PROFICIENCY_ALIASES: dict[str, str | None] = {name.lower(): code for code, name in ENGLISH_PROFICIENCY.items()}
PROFICIENCY_ALIASES.update({"not yet assessed": None, "not assessed": None, "fluent in english": "E"})

# --- First language (CBDS D00011) ---------------------------------------------------
# Every code of the CBDS list with its language, from data/reference/cbds_first_language_codes.csv.
ENGLISH_LANGUAGE_CODES = frozenset({"ENG", "ENB"})  # English; believed to be English
UNKNOWN_LANGUAGE_CODES = frozenset({"NOT", "REF", "ZZZ"})  # not obtained; refused; classification pending


def _language_table() -> dict[str, str]:
    import csv

    with open(REFERENCE_DIR / "cbds_first_language_codes.csv", encoding="utf-8", newline="") as file:
        return {row["code"]: row["language"] for row in csv.DictReader(file)}


LANGUAGES = _language_table()  # code -> language, as the CBDS list writes it
LANGUAGE_CODES = frozenset(LANGUAGES)
# Words in a sub-code's brackets that name a place, not a language ("Arabic (Iraq)").
_PLACES = {
    "algeria",
    "iraq",
    "morocco",
    "sudan",
    "yemen",
    "cyprus",
    "brazil",
    "moldova",
    "romania",
    "zimbabwe",
    "south africa",
    "kenya",
    "uganda",
    "india",
    "pakistan",
    "zambia",
    "oceania",
    "west africa",
    "east africa",
    "kenya tanzania",
    "southern",
    "northern",
    "scotland",
    "south east asia",
    "any",
    "any other",
}


def _language_names() -> dict[str, str]:
    """Names an MIS may write instead of the code: each language's own name and each of its
    names split at "/" ("Persian/Farsi": Persian, Farsi), and the dialect in a sub-code's
    brackets ("Chinese (Cantonese)": Cantonese), plus common spellings. Keys are lower case."""

    def key(text):
        return " ".join(re.sub(r"[^0-9a-z]+", " ", text.lower()).split())

    names: dict[str, str] = {}
    for code, language in LANGUAGES.items():
        base, _, bracket = language.partition(" (")
        if not bracket:
            for part in re.split(r"[/]", base):
                names.setdefault(key(part), code)
        else:
            for part in re.split(r"[/]", bracket.rstrip(")")):
                if key(part) not in _PLACES and "believed" not in part:
                    names.setdefault(key(part), code)
    names.update({key(language): code for code, language in LANGUAGES.items()})  # a full name is exact
    names.update(
        {
            "punjabi": "PNJ",
            "believed to be english": "ENB",
            "english believed": "ENB",
            "other than english": "OTB",
            "believed to be other than english": "OTB",
            "other": "OTL",
            "not obtained": "NOT",
            "information not yet obtained": "NOT",
            "not known": "NOT",
            "unknown": "NOT",
            "refused": "REF",
            "information refused": "REF",
            "sylheti bengali": "BNGS",
            "mirpuri punjabi": "PNJM",
            "brazilian portuguese": "PORB",
            "kurmanji": "KURM",
            "sorani": "KURS",
            "dari": "PRSD",
            "tajik": "PRST",
            "twi": "AKAT",
            "fante": "AKAF",
            "fanti": "AKAF",
            "sign language": "SIO",
            "bsl": "BSL",
        }
    )
    return names


LANGUAGE_NAMES = _language_names()

# --- Year group (CBDS D00006) -------------------------------------------------------
YEAR_GROUP_NAMES = {"N1": -2, "N2": -1, "R": 0}
YEAR_GROUP_MIN, YEAR_GROUP_MAX = -2, 13
# CBDS "X": the pupil does not follow the national curriculum (often in special schools).
# sendlib reads such a pupil as the year group of their age (from the date of birth).
YEAR_NOT_FOLLOWED = 99
_YEAR_PATTERN = re.compile(r"^(?:year|yr|y|ncy|nc year|nc|year group)?\s*0*(\d{1,2}|r|n1|n2)(?:\.0+)?$")


def parse_year_group(value) -> int | None:
    """A national curriculum year as an integer: N1 = -2, N2 = -1, R = 0, 1-13.

    Returns None when the value is not a year group.

    Examples
    --------
    >>> [parse_year_group(v) for v in ["R", "N1", "3", "Y3", "Year 3", "Reception", 11.0, "7.0", "0.0", "14"]]
    [0, -2, 3, 3, 3, 0, 11, 7, 0, None]
    >>> parse_year_group("X") == YEAR_NOT_FOLLOWED
    True
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value != value or value != int(value):
            return None
        number = int(value)
        return number if 0 <= number <= YEAR_GROUP_MAX else None  # 0: Reception, as numeric exports write it
    text = str(value).strip().lower()
    if text.startswith("-"):  # a negative number, not a year group
        return None
    text = re.sub(r"[\s_\-]+", " ", text)
    if text in ("x", "nc year x", "year x", "ncy x", "not following the national curriculum"):
        return YEAR_NOT_FOLLOWED
    if text in ("reception", "rec", "yr", "year r"):
        return 0
    if text in ("nursery 1", "nursery1"):
        return -2
    if text in ("nursery 2", "nursery2", "nursery"):
        return -1
    match = _YEAR_PATTERN.match(text)
    if not match:
        return None
    token = match.group(1).upper()
    if token in YEAR_GROUP_NAMES:
        return YEAR_GROUP_NAMES[token]
    number = int(token)
    return number if 0 <= number <= YEAR_GROUP_MAX else None


def year_group_for_age(date_of_birth, as_of) -> int | None:
    """The national curriculum year of a pupil of this age in the school year of ``as_of``: a
    child starts Reception in the school year after their fourth birthday, counting ages on
    31 August (a child born on 1 September is the oldest of their year).

    >>> year_group_for_age(pd.Timestamp("2016-09-01"), pd.Timestamp("2026-11-20"))
    5
    >>> year_group_for_age(pd.Timestamp("2017-08-31"), pd.Timestamp("2026-11-20"))
    5
    """
    if date_of_birth is None or pd.isna(date_of_birth):
        return None
    as_of = pd.Timestamp(as_of)
    start = school_year(as_of)
    age_on_31_august = start - date_of_birth.year - ((date_of_birth.month, date_of_birth.day) > (8, 31))
    year = age_on_31_august - 4
    return year if YEAR_GROUP_MIN <= year <= YEAR_GROUP_MAX else None


def need_words(code) -> str:
    """A type of need in words, with its code.

    >>> need_words("SLCN"), need_words(None)
    ('Speech, language and communication needs (SLCN)', 'not recorded')
    """
    if not isinstance(code, str) or not code:
        return "not recorded"
    return f"{NEED_TYPES[code]} ({code})" if code in NEED_TYPES else code


def year_group_label(year_group) -> str:
    """The label a school uses for a year group: "N1", "N2", "R", "Y1" ... "Y13".

    >>> year_group_label(0), year_group_label(-2), year_group_label(4)
    ('R', 'N1', 'Y4')
    """
    labels = {value: name for name, value in YEAR_GROUP_NAMES.items()}
    if pd.isna(year_group):
        return ""
    return labels.get(int(year_group), f"Y{int(year_group)}")


def need_area(code) -> str | None:
    """The broad area of need of a CBDS type-of-need code (None when blank).

    >>> need_area("ASD"), need_area("SPLD"), need_area("DS")
    ('Communication and interaction', 'Cognition and learning', 'Other needs (Down syndrome, other, not yet assessed)')
    """
    if code is None or pd.isna(code):
        return None
    return NEED_AREA[code]


def is_eal(first_language) -> bool | None:
    """True for a first language other than English, None when unknown.

    >>> is_eal("POL"), is_eal("ENG"), is_eal(None), is_eal("REF")
    (True, False, None, None)
    """
    if first_language is None or pd.isna(first_language) or first_language in UNKNOWN_LANGUAGE_CODES:
        return None
    return first_language not in ENGLISH_LANGUAGE_CODES


# --- Unique Pupil Number --------------------------------------------------------------
# DfE UPN guide: the check letter is the remainder mod 23 of the sum of characters 2-13
# weighted 2..13, read in this table (I, O and S are not used).
UPN_CHECK_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
UPN_LENGTH = 13


def upn_check_letter(upn_body: str) -> str:
    """The check letter for the 12 characters that follow it in a UPN.

    A letter in the last place (a temporary UPN) counts as its position in the table.

    >>> upn_check_letter("801200005001")
    'B'
    """
    if len(upn_body) != UPN_LENGTH - 1:
        raise ValueError(f"A UPN body has 12 characters, not {len(upn_body)}: {upn_body!r}")
    total = 0
    for weight, char in enumerate(upn_body, start=2):
        total += weight * (int(char) if char.isdigit() else UPN_CHECK_LETTERS.index(char))
    return UPN_CHECK_LETTERS[total % 23]


def upn_is_valid(upn) -> bool:
    """Whether ``upn`` is a well-formed Unique Pupil Number with the right check letter.

    Thirteen characters: the check letter, eleven digits, then a digit or (a temporary
    UPN) a letter from the check-letter table.

    Examples
    --------
    >>> upn_is_valid("B801200005001"), upn_is_valid("A801200005001"), upn_is_valid("P207000016049")
    (True, False, True)
    >>> upn_is_valid("B80120000500"), upn_is_valid(None)
    (False, False)
    """
    if not isinstance(upn, str) or len(upn) != UPN_LENGTH:
        return False
    first, middle, last = upn[0], upn[1:12], upn[12]
    if first not in UPN_CHECK_LETTERS or not (middle.isascii() and middle.isdigit()):
        return False
    if not ((last.isascii() and last.isdigit()) or last in UPN_CHECK_LETTERS):
        return False
    return upn_check_letter(upn[1:]) == first


# --- Score scales ---------------------------------------------------------------------
# Standardised scores (NFER, GL, Rising Stars): mean 100, SD 15; reliability 0.90 as
# published for GL's NGRT (SEM 4.7). Scores are reported from 69 (below 70) to 141.
# KS2 scaled scores: 80-120 with 100 the expected standard (STA); national means in 2024
# were 104-105 with an SD of about 7, and the tests' reliability about 0.90 (STA test
# handbooks report alphas of 0.90-0.93).
BUILT_IN_SCALES = {
    "standardised": {"mean": 100.0, "sd": 15.0, "reliability": 0.90, "min": 40.0, "max": 160.0},
    "ks2_scaled": {"mean": 104.0, "sd": 7.0, "reliability": 0.90, "min": 80.0, "max": 120.0},
}
SCALE_ALIASES = {
    "standardized": "standardised",
    "standardised_score": "standardised",
    "sas": "standardised",
    "ks2": "ks2_scaled",
    "ks2_scaled_score": "ks2_scaled",
    "scaled": "ks2_scaled",
}
# Codes an MIS or test platform writes in place of a score; each is kept as "no score", with
# its reason, and counted. KS2 codes: STA's key stage 2 assessment and reporting arrangements.
NO_SCORE_CODES = {
    "A": "absent",
    "ABS": "absent",
    "ABSENT": "absent",
    "X": "not taken",
    "NOT TAKEN": "not taken",
    "N/A": "not applicable",
    "NA": "not applicable",
    "N.A.": "not applicable",
    "-": "not recorded",
    "--": "not recorded",
    "NULL": "not recorded",
    "NONE": "not recorded",
    "D": "disapplied",
    "DISAPPLIED": "disapplied",
    "B": "working below the standard of the test",
    "N": "no scaled score",
    "J": "just arrived in school",
    "L": "left",
    "M": "missing",
    "F": "will take the test in future",
    "P": "took the test in the past",
    "Q": "maladministration",
    "H": "result withheld (cheating)",
    "U": "unable to access the test",
    "T": "unable to access the test",
    "NOT SAT": "not taken",
    "DNS": "not taken",
    "INC": "incomplete",
    "INCOMPLETE": "incomplete",
    "AGE-OUTSIDE OF RANGE": "age outside the test's range",  # Hodder's MARK, for a pupil too young
}
_BEYOND_RANGE = re.compile(r"^([<>])\s*=?\s*(\d+(?:\.\d+)?)$")


@functools.lru_cache(maxsize=4096, typed=True)  # a text at a time, the same few texts in every row
def no_score_reason(text: str) -> str | None:
    """Why a score cell holds no score: a code above, "blank", or a score beyond the range a
    test reports (``<70``: below its lowest reported score); None for a number.

    >>> no_score_reason("abs"), no_score_reason("<70"), no_score_reason(""), no_score_reason("104")
    ('absent', 'below the lowest score the test reports (<70)', 'blank', None)
    """
    text = str(text).strip()
    if not text:
        return "blank"
    reason = NO_SCORE_CODES.get(text.upper())
    if reason:
        return reason
    match = _BEYOND_RANGE.match(text)
    if match:
        side = "below the lowest" if match.group(1) == "<" else "above the highest"
        return f"{side} score the test reports ({text.replace(' ', '')})"
    return None


@functools.lru_cache(maxsize=4096, typed=True)  # a text at a time, the same few texts in every row
def scale_name(text: str) -> str:
    """The canonical name of a scale: lower case, words joined by ``_``, aliases resolved.

    >>> scale_name("Standardized"), scale_name("KS2 Scaled"), scale_name("PiRA")
    ('standardised', 'ks2_scaled', 'pira')
    """
    name = re.sub(r"[^0-9a-z]+", "_", str(text).strip().lower()).strip("_")
    return SCALE_ALIASES.get(name, name)
