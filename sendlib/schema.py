"""The export-folder data contract: every file, every column, documented once.

``TABLES`` maps each table of a trust's export folder to its :class:`Table`; the loader
reads, checks and types the files from these definitions, and ``describe_tables()``
prints them for the documentation (docs/export-folder.md). Column kinds:

=============  =======================================================================
kind           what it holds after loading
=============  =======================================================================
upn            a Unique Pupil Number with a valid check letter, upper case
text           stripped text
date           a date (ISO 2025-01-16 or UK 16/01/2025, never US month-first order)
year_group     national curriculum year as an integer, R = 0, N1 = -2, N2 = -1
provision      CBDS SEN provision ``N``, ``K`` or ``E``
need           CBDS type of need code (``SPLD`` ... ``NSA``)
proficiency    DfE proficiency in English ``A``-``E``
language       CBDS first-language code (``ENG``, ``POL``, ...)
flag           True / False from ``Y`` / ``N``
sex            ``F`` or ``M``
number         a number within the column's range
score          a number, or no score (blank, ``A`` absent, ``X`` not taken)
money          an amount in pounds (``1250``, ``£1,250.50``)
area           a broad area of need (``C&L``, ``SEMH`` ... or a type-of-need code)
role           who delivers a provision: ``teacher``, ``ta``, ``specialist`` or ``external``
setting        where a pupil is taught: ``mainstream``, ``resourced`` or ``special``
event          an EHC event (``plan_issued`` ...), from its name or its name in words
choice         one of the column's listed values
=============  =======================================================================
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._read import header_keys, normalise_header


@dataclass(frozen=True)
class Column:
    """One column of an export file."""

    name: str
    kind: str
    description: str
    required: bool = False  # the column must be present and every value filled in
    aliases: tuple[str, ...] = ()  # other headers that mean this column (any case or spacing)
    # headers read before those above (a preferred name), and after them (a legal name); either
    # fills the blanks of the one read
    preferred_aliases: tuple[str, ...] = ()
    fallback_aliases: tuple[str, ...] = ()
    choices: tuple[str, ...] = ()  # for kind "choice"
    low: float | None = None  # for kind "number": the allowed range
    high: float | None = None
    future_ok: bool = False  # for kind "date": whether a date after today is allowed

    def headers(self) -> set[str]:
        """The keys (:func:`sendlib._read.header_keys`) of the headers that name this column."""
        return {key for text in (self.name, *self.aliases, *self.preferred_aliases) for key in header_keys(text)}


@dataclass(frozen=True)
class Table:
    """One file of the export folder."""

    name: str
    description: str
    columns: tuple[Column, ...]
    unique: tuple[str, ...] = ()  # columns that together identify a row
    required_file: bool = False
    pupil_upns_in_pupils: bool = True  # every UPN must be a pupil in pupils.csv
    # words a file of this table is named with (beyond its own name): "Student List.csv" is pupils
    file_names: tuple[str, ...] = ()
    # columns read only to work out others (a test's name gives its subject), then left out
    helpers: tuple[Column, ...] = ()

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


_UPN = Column(
    "upn",
    "upn",
    "Unique Pupil Number (13 characters, valid check letter)",
    True,
    ("unique pupil number", "pupil upn", "upn number", "pupil number", "upn code"),
)
_SCHOOL = Column(
    "school",
    "text",
    "school name or URN (from a per-school folder, a manifest or --school when the file has none)",
    True,
    (
        "school name",
        "urn",
        "school urn",
        "establishment",
        "establishment name",
        "academy",
        "school urn number",
        "laestab",
        "dfe number",
        "establishment number",
        "site",
    ),
)
_YEAR_GROUP = Column(
    "year_group",
    "year_group",
    "national curriculum year: N1 = -2, N2 = -1, R = 0, 1-13; X (curriculum not followed) from the date of birth",
    True,
    (
        "nc year",
        "year group",
        "national curriculum year",
        "ncy",
        "curriculum year",
        "year grp",
        "year",
        "yr group",
        "nc year actual",
        "ncyearactual",
        "national curriculum year actual",
        "actual nc year",
        "year group actual",
        "curriculum year group",
        "nc year group",
        "yeargroup",
        "year level",
        "current year group",
        "year code",
    ),
)
_PROVISION = Column(
    "sen_provision",
    "provision",
    "SEN provision: N no SEN, K SEN support, E EHC plan",
    True,
    (
        "sen status",
        "sen provision",
        "sen",
        "sen stage",
        "send status",
        "sen code",
        "sen provision code",
        "senprovision",
        "sen provision status",
        "current sen status",
        "sen status code",
        "send provision",
        "special educational needs status",
        "sen category",
        "sen provision type",
        "sen type of provision",
        "send status code",
        "sen support status",
        "send code",
    ),
)
_PRIMARY_NEED = Column(
    "primary_need",
    "need",
    "CBDS type of need; required for K and E, blank for N",
    aliases=(
        "sen primary need",
        "primary need",
        "type of need",
        "primary sen need",
        "primary sen type",
        "sen need",
        "need type",
        "primary type of need",
        "sen need type",
        "primary se needs type",
        "primarysenneedstype",
        "sen type",
        "sentype",
        "primary sen need type",
        "sen primary need type",
        "primary need type",
        "main need",
        "primary send need",
        "sen need 1",
        "need 1",
        "sen type 1",
        "primary sen type code",
        "sen primary need code",
        "send primary need",
        "primary need code",
        "senneed",
        "sen primary type of need",
    ),
)
_PROFICIENCY = Column(
    "english_proficiency",
    "proficiency",
    "DfE proficiency in English, A new to English .. E fluent (EAL pupils)",
    aliases=(
        "proficiency in english",
        "english proficiency",
        "eal proficiency",
        "proficiency",
        "eal stage",
        "english proficiency stage",
        "eal level",
        "stage of english",
        "englishproficiency",
        "proficiency in english code",
        "english proficiency code",
        "eal proficiency stage",
        "proficiency level",
        "dfe proficiency in english",
        "eal proficiency level",
        "proficiency in english stage",
        "english proficiency level",
    ),
)
_CHECK = ("pass", "concern", "not_done")

PUPILS = Table(
    "pupils",
    "One row per pupil on roll.",
    (
        _UPN,
        _SCHOOL,
        Column(
            "forename",
            "text",
            "forename (shown only in a SENCO's own views)",
            aliases=("first name", "given name", "forenames", "firstname"),
            preferred_aliases=(
                "preferred forename",
                "preferred first name",
                "preferred name",
                "known as",
                "chosen forename",
            ),
            fallback_aliases=("legal forename", "legal first name", "official forename"),
        ),
        Column(
            "surname",
            "text",
            "surname (shown only in a SENCO's own views)",
            aliases=("last name", "family name", "lastname"),
            preferred_aliases=("preferred surname", "preferred last name"),
            fallback_aliases=("legal surname", "legal last name", "official surname"),
        ),
        Column(
            "date_of_birth",
            "date",
            "date of birth",
            True,
            ("dob", "birth date", "birthdate", "d o b", "date of birth dob"),
        ),
        _YEAR_GROUP,
        _PROVISION,
        _PRIMARY_NEED,
        Column(
            "secondary_need",
            "need",
            "CBDS type of need, second in rank",
            aliases=(
                "sen secondary need",
                "second need",
                "secondary sen need",
                "secondary sen type",
                "secondary type of need",
                "secondary se needs type",
                "secondarysenneedstype",
                "secondary need",
                "secondary need type",
                "sen secondary need type",
                "sen need 2",
                "need 2",
                "sen type 2",
                "secondary sen need type",
                "secondary sen type code",
            ),
        ),
        Column("sex", "sex", "F or M", aliases=("gender", "legal sex", "sex code", "gender code")),
        Column(
            "setting",
            "setting",
            "where the pupil is taught, for costs: mainstream, resourced (an SEN unit or resourced provision) "
            "or special (a special school); blank: mainstream",
            aliases=("sen setting", "type of setting", "setting type", "sen unit or resourced provision"),
        ),
        Column(
            "first_language",
            "language",
            "CBDS first-language code; ENG/ENB English, any other EAL",
            aliases=(
                "first language",
                "language",
                "home language",
                "main language",
                "first lang",
                "first language code",
                "language code",
                "main language code",
                "home language code",
                "first language description",
                "language of home",
                "mother tongue",
            ),
        ),
        _PROFICIENCY,
        Column(
            "entered_english_schooling",
            "date",
            "date the pupil started school in England",
            aliases=(
                "date entered english schooling",
                "entry to english schooling",
                "date of entry to uk education",
                "uk school entry date",
                "entered english school",
                "date entered uk school",
                "date of entry to english schooling",
                "entry date to english schooling",
                "english schooling entry date",
                "date first entered english schooling",
                "uk education entry date",
                "date entered english education",
                "date of arrival in uk school",
            ),
        ),
        Column(
            "fsm",
            "flag",
            "eligible for free school meals, Y/N",
            aliases=(
                "free school meals",
                "fsm eligible",
                "fsm eligibility",
                "fsmeligible",
                "is fsm eligible",
                "fsm eligible flag",
                "eligible for free school meals",
                "current fsm",
                "fsm status",
                "fsm current",
                "free school meal eligibility",
                "free school meals eligible",
                "fsm indicator",
            ),
        ),
        Column(
            "looked_after",
            "flag",
            "looked-after child, Y/N",
            aliases=(
                "lac",
                "cla",
                "looked after child",
                "child looked after",
                "in care",
                "in la care",
                "in lea care",
                "inleacare",
                "looked after",
                "is looked after",
                "looked after status",
                "children looked after",
                "in care indicator",
                "incare",
                "is in care",
                "cla status",
                "lac status",
            ),
        ),
    ),
    unique=("upn",),
    required_file=True,
    pupil_upns_in_pupils=False,
    file_names=(
        "pupil",
        "students",
        "student",
        "student list",
        "pupil list",
        "students list",
        "pupil details",
        "student details",
        "roll",
        "on roll",
        "children",
        "learners",
        "pupil data",
        "student data",
        "sen register",
        "send register",
        "register",
        "census autumn results",
        "census spring results",
        "census summer results",
    ),
    helpers=(  # a census download (GIAP) has a row per census: each pupil's latest is read
        Column(
            "census_term",
            "text",
            "the census term of a census download (Spring, SPR)",
            aliases=("census term", "censusterm"),
        ),
        Column(
            "academic_year",
            "text",
            "the academic year of a census download (2024/25)",
            aliases=("academic year", "academicyear", "census year"),
        ),
        Column("census_date", "text", "the census date of a census download", aliases=("census date",)),
        Column(
            "full_name",
            "text",
            'a pupil\'s whole name ("Surname, Forename"), read when there are no name columns',
            aliases=(
                "name",
                "student name",
                "pupil name",
                "full name",
                "child name",
                "learner name",
                "name of pupil",
                "student",
                "pupil",
            ),
        ),
    ),
)

ASSESSMENTS = Table(
    "assessments",
    "One row per pupil, subject and assessment.",
    (
        _UPN,
        Column(
            "subject",
            "text",
            "subject, e.g. reading, maths (Maths, Mathematics and Math are maths)",
            True,
            ("subject area", "assessment subject", "test subject", "subject name"),
        ),
        Column(
            "assessment_date",
            "date",
            "date of the assessment",
            True,
            (
                "date",
                "test date",
                "date taken",
                "date of assessment",
                "assessed on",
                "completed date",
                "date completed",
                "assessment date",
                "test completed date",
                "completed",
                "sitting date",
                "date tested",
                "activity completed date",
                "test taken date",
            ),
        ),
        Column(
            "score",
            "score",
            "score on its scale; blank, A (absent), X (not taken) and the codes below are no score",
            True,
            (
                "standardised score",
                "sas",
                "result",
                "mark",
                "score value",
                "standard age score",
                "standardized score",
                "std score",
                "nrss",
                "norm referenced standardised score",
                "standardised score sas",
                "sas score",
                "ks2 scaled score",
                "scaled score value",
            ),
            fallback_aliases=(
                "age standardised score",
                "age standardized score",
                "age related standardised score",
                "age ss",
            ),
        ),
        Column(
            "scale",
            "text",
            "standardised, ks2_scaled, or a scale named in scales.csv (worked out from the "
            "score's header or the test when there is no such column)",
            True,
            ("score type", "scale type", "measure", "result type", "type of score", "mark type", "score scale"),
        ),
    ),
    unique=("upn", "subject", "assessment_date"),
    file_names=(
        "scores",
        "results",
        "tests",
        "test results",
        "assessment",
        "assessment results",
        "marksheet",
        "marksheets",
        "ngrt",
        "pte",
        "ptm",
        "nfer",
        "star reading",
        "star maths",
        "star",
        "gl assessment",
        "pira",
        "puma",
        "ks2 results",
        "standardised scores",
        "attainment",
    ),
    helpers=(
        Column(
            "test",
            "text",
            "the test's name (NGRT-A, PTM9, Star Reading): gives subject and scale",
            aliases=(
                "test name",
                "test",
                "assessment name",
                "assessment",
                "test type",
                "product",
                "assessment type",
                "test level",
                "test form",
                "paper",
                "activity name",
                "activity type",
                "application name",
                "cat edition",
            ),
        ),
        Column(
            "term",
            "text",
            "the term (Autumn, Spring 2, Sum): gives the date with the academic year",
            aliases=("term", "test term", "assessment term", "term name", "season", "window"),
        ),
        Column(
            "academic_year",
            "text",
            "the academic year (2024/25) of the term",
            aliases=("academic year", "school year", "year of test", "test year", "assessment year"),
        ),
    ),
)

SCALES = Table(
    "scales",
    "Score scales beyond the built-in ones, one row per scale.",
    (
        Column("scale", "text", "name of the scale, as used in assessments.csv", True, ("name", "scale name")),
        Column("mean", "number", "population mean of the scale", True, low=-1e6, high=1e6),
        Column("sd", "number", "population standard deviation", True, low=1e-9, high=1e6),
        Column("reliability", "number", "test reliability, between 0 and 1", True, low=0.0, high=0.999),
        Column("min", "number", "lowest possible score", True, low=-1e6, high=1e6),
        Column("max", "number", "highest possible score", True, low=-1e6, high=1e6),
    ),
    unique=("scale",),
    pupil_upns_in_pupils=False,
)

SEN_HISTORY = Table(
    "sen_history",
    "January census snapshots, one row per pupil per census (leavers included).",
    (
        _UPN,
        Column(
            "census_date",
            "date",
            "date of the census (third Thursday of January; rows of other censuses, May and October, are left "
            "out with a note)",
            True,
            ("census", "snapshot date", "census day", "census date", "censusdate", "date of census", "collection date"),
        ),
        _SCHOOL,
        _YEAR_GROUP,
        _PROVISION,
        _PRIMARY_NEED,
        _PROFICIENCY,
    ),
    unique=("upn", "census_date"),
    file_names=(
        "census",
        "census history",
        "censuses",
        "school census",
        "sen census",
        "census snapshots",
        "census data",
    ),
    helpers=(
        Column(
            "census_term",
            "text",
            "the census term (Spring, SPR): gives the census date with the year",
            aliases=("census term", "censusterm", "term"),
        ),
        Column(
            "academic_year",
            "text",
            "the academic year (2024/25) of the census",
            aliases=("academic year", "academicyear", "census year", "school year"),
        ),
    ),
    pupil_upns_in_pupils=False,  # pupils who have left appear in earlier censuses
)

EAL_EVIDENCE = Table(
    "eal_evidence",
    "One row per EAL pupil: the latest record of the EAL-versus-SEND evidence.",
    (
        _UPN,
        Column("recorded_on", "date", "date the record was last updated", aliases=("date recorded", "recorded")),
        Column(
            "l1_assessment",
            "choice",
            "first-language assessment by bilingual staff",
            choices=("age_appropriate", "concern", "not_done"),
            aliases=("first language assessment", "home language assessment", "l1 assessed"),
        ),
        Column(
            "parent_l1_report",
            "choice",
            "what parents report of development in the home language",
            choices=("age_appropriate", "concern", "not_asked"),
            aliases=("parent report", "parents report", "parent view of first language"),
        ),
        Column(
            "eal_support_terms",
            "number",
            "terms of documented EAL support",
            low=0,
            high=60,
            aliases=("terms of eal support", "eal support"),
        ),
        Column("hearing_check", "choice", "hearing check", choices=_CHECK, aliases=("hearing",)),
        Column("vision_check", "choice", "vision check", choices=_CHECK, aliases=("vision",)),
        Column(
            "cat4_verbal",
            "number",
            "CAT4 verbal standard age score",
            low=60,
            high=141,
            aliases=("cat4 verbal sas", "verbal sas", "cat verbal"),
        ),
        Column(
            "cat4_quantitative",
            "number",
            "CAT4 quantitative standard age score",
            low=60,
            high=141,
            aliases=("cat4 quantitative sas", "quantitative sas", "cat quantitative"),
        ),
        Column(
            "cat4_nonverbal",
            "number",
            "CAT4 non-verbal standard age score",
            low=60,
            high=141,
            aliases=("cat4 non verbal", "cat4 non verbal sas", "non verbal sas", "cat non verbal"),
        ),
        Column(
            "cat4_spatial",
            "number",
            "CAT4 spatial standard age score",
            low=60,
            high=141,
            aliases=("cat4 spatial sas", "spatial sas", "cat spatial"),
        ),
        Column("interrupted_schooling", "flag", "schooling interrupted (Y/N)", aliases=("interrupted education",)),
        Column(
            "attendance_pct",
            "number",
            "attendance this year, per cent",
            low=0,
            high=100,
            aliases=("attendance", "attendance percent", "attendance percentage"),
        ),
    ),
    unique=("upn",),
    file_names=("eal", "eal evidence", "eal records", "eal send evidence", "eal register"),
)

SUPPORT_PLANS = Table(
    "support_plans",
    "Graduated approach (assess, plan, do, review): one row per support plan.",
    (
        _UPN,
        Column(
            "plan_start",
            "date",
            "date the plan started",
            True,
            ("start date", "plan start date", "started"),
            future_ok=True,
        ),
        Column(
            "review_due",
            "date",
            "date the plan is due for review",
            aliases=("review date", "review due date"),
            future_ok=True,
        ),
        Column(
            "review_held",
            "date",
            "date the review was held (blank if not yet)",
            aliases=("review held date", "date reviewed", "reviewed on"),
        ),
        Column("outcome", "text", "outcome of the review", aliases=("review outcome",)),
    ),
    unique=("upn", "plan_start"),
    file_names=(
        "support plan",
        "sen support plans",
        "plans",
        "provision plans",
        "iep",
        "ieps",
        "pupil passports",
        "learning plans",
        "assess plan do review",
        "apdr",
        "sen plans",
    ),
)

PARENT_MEETINGS = Table(
    "parent_meetings",
    "One row per meeting with the parents of a pupil receiving SEN provision.",
    (
        _UPN,
        Column("meeting_date", "date", "date of the meeting", True, ("date", "meeting", "date of meeting")),
    ),
    unique=("upn", "meeting_date"),
    file_names=("parent meeting", "meetings", "parents meetings", "parent meetings log", "parents evenings"),
)

PROVISIONS = Table(
    "provisions",
    "The provision map: one row per pupil and intervention, with its sessions, staff and cost.",
    (
        _UPN,
        Column(
            "intervention",
            "text",
            "the intervention or provision (its name, as the school writes it)",
            True,
            ("provision", "intervention name", "provision name", "programme", "program", "support"),
        ),
        Column(
            "area",
            "area",
            "broad area of need it meets (C&I, C&L, SEMH, S&P, or a type-of-need code)",
            aliases=("area of need", "broad area", "broad area of need", "need area", "category", "need"),
        ),
        Column("start", "date", "date it started", True, ("start date", "started", "date started", "from")),
        Column(
            "end",
            "date",
            "date it ended or will end (blank while it runs)",
            aliases=("end date", "ended", "date ended", "to", "finish date", "until"),
            future_ok=True,
        ),
        Column(
            "sessions_per_week",
            "number",
            "sessions a week",
            aliases=("sessions a week", "sessions per week", "frequency per week", "times per week", "sessions"),
            low=0,
            high=40,
        ),
        Column(
            "minutes",
            "number",
            "minutes a session",
            aliases=("minutes per session", "session minutes", "session length", "duration minutes", "mins"),
            low=1,
            high=480,
        ),
        Column(
            "group_size",
            "number",
            "pupils in the group (1 for one to one)",
            aliases=("group size", "pupils in group", "number in group"),
            low=1,
            high=60,
        ),
        Column(
            "staff_role",
            "role",
            "who delivers it: teacher, TA, specialist or external",
            aliases=("staff", "role", "staff type", "delivered by", "staffing"),
        ),
        Column(
            "cost",
            "money",
            "cost per pupil for the whole period (blank: worked out from staff_costs.csv)",
            aliases=("cost per pupil", "cost gbp", "cost £", "total cost", "pupil cost"),
            low=0,
            high=200_000,
        ),
        Column("provider", "text", "who provides it (a service or company)", aliases=("provided by", "agency")),
        Column("notes", "text", "notes", aliases=("comments", "note", "comment")),
    ),
    unique=("upn", "intervention", "start"),
    file_names=(
        "provision map",
        "provision maps",
        "interventions",
        "intervention",
        "intervention log",
        "interventions register",
        "provision log",
        "costed provision map",
    ),
)

STAFF_COSTS = Table(
    "staff_costs",
    "Hourly cost of each staff role, to cost provisions without a cost of their own.",
    (
        Column("staff_role", "role", "teacher, TA, specialist or external", True, ("role", "staff", "staff type")),
        Column(
            "hourly_cost",
            "money",
            "cost of an hour of their time, with on-costs (pounds)",
            True,
            ("hourly rate", "rate per hour", "cost per hour", "hourly cost gbp", "rate"),
            low=0,
            high=1000,
        ),
    ),
    unique=("staff_role",),
    pupil_upns_in_pupils=False,
    file_names=("staff cost", "staff rates", "hourly rates", "staffing costs"),
)

COSTS = Table(
    "costs",
    "What a pupil's SEN provision costs a year, by provision, broad area and setting (for cost forecasts).",
    (
        Column("sen_provision", "provision", "K (SEN support) or E (EHC plan)", True, ("provision", "sen")),
        Column("need_area", "area", "broad area of need (blank: every area)", aliases=("area", "broad area")),
        Column(
            "cost_per_pupil",
            "money",
            "cost a year per pupil, in pounds",
            True,
            ("cost", "annual cost", "cost per pupil per year", "cost a year"),
            low=0,
            high=500_000,
        ),
        Column(
            "setting",
            "setting",
            "mainstream, resourced or special (blank: every setting)",
            aliases=("type of setting",),
        ),
        Column("source", "text", "where the figure comes from", aliases=("note", "notes")),
    ),
    unique=("sen_provision", "need_area", "setting"),
    pupil_upns_in_pupils=False,
    file_names=("sen costs", "cost per pupil", "unit costs"),
)

EHC_EVENTS = (
    "assessment_requested",
    "decision_to_assess",
    "decision_not_to_assess",
    "info_requested",
    "info_sent",
    "draft_plan_received",
    "draft_views_sent",
    "plan_issued",
    "plan_amended",
    "review_invites_sent",
    "review_papers_sent",
    "review_meeting",
    "review_report_sent",
    "reassessment_requested",
    "plan_ceased",
    "mediation",
    "tribunal_appeal",
    "tribunal_outcome",
)
REQUESTERS = ("school", "parent", "young_person", "other")  # who may ask the LA for an assessment (CFA 2014 s.36(1))
# Events that answer another: each needs its question on or before it (the loader checks the
# order; the duties time the answer from the question).
EHC_ANSWERS = {
    "decision_to_assess": "assessment_requested",
    "decision_not_to_assess": "assessment_requested",
    "info_sent": "info_requested",
    "draft_views_sent": "draft_plan_received",
    "review_report_sent": "review_meeting",
    "tribunal_outcome": "tribunal_appeal",
}
# Questions that others stand in for: a decision may answer a request for a re-assessment too.
EHC_QUESTIONS_ALSO = {"assessment_requested": ("reassessment_requested",)}
# Headers an LA's or a SENCO's timeline (one date column per milestone, SEN2-style) gives each
# event: such a file is read as one row per event.
EHC_EVENT_HEADERS = {
    "assessment_requested": (
        "request for assessment",
        "request for ehc needs assessment",
        "ehc needs assessment requested",
        "ehcna requested",
        "ehcna request",
        "request received",
        "request received date",
        "received date",
        "date request received",
        "assessment request",
        "needs assessment requested",
        "request for statutory assessment",
        "statutory assessment requested",
    ),
    "decision_to_assess": (
        "decision to assess",
        "agreed to assess",
        "assessment agreed",
        "decided to assess",
        "decision to carry out assessment",
    ),
    "decision_not_to_assess": (
        "decision not to assess",
        "refused to assess",
        "assessment refused",
        "request refused",
        "request declined",
        "not to assess",
        "decided not to assess",
    ),
    "info_requested": (
        "information requested",
        "request for information",
        "la request for information",
        "request for information received",
        "information request received",
        "advice request received",
        "date information requested",
        "advice requested",
        "date advice requested",
        "request for advice",
        "la request date",
        "information request date",
    ),
    "info_sent": (
        "information sent",
        "advice sent",
        "advice submitted",
        "date advice returned",
        "school advice sent",
        "information returned",
        "date information sent",
        "advice returned",
    ),
    "draft_plan_received": (
        "draft plan received",
        "draft plan issued",
        "draft ehcp issued",
        "draft issued",
        "draft ehc plan issued",
        "draft received",
        "date draft plan issued",
    ),
    "draft_views_sent": (
        "views on draft sent",
        "response to draft",
        "draft response sent",
        "comments on draft",
        "draft views",
        "school response to draft",
        "views on draft returned",
        "draft views returned",
        "response to draft sent",
        "comments on draft sent",
    ),
    "plan_issued": (
        "plan issued",
        "ehc plan issued",
        "ehcp issued",
        "final plan issued",
        "ehc plan issue date",
        "plan issue date",
        "ehcp issue date",
        "date plan issued",
        "final ehc plan issued",
        "ehc plan start date",
        "date ehc plan issued",
        "final plan date",
        "plan start date",
        "named plan start date",
        "namedplan startdate",
        "date final ehc plan issued",
    ),
    "review_invites_sent": (
        "review invites sent",
        "invitations sent",
        "review invitations sent",
        "annual review invitations",
        "annual review invitations sent",
        "annual review invites sent",
    ),
    "review_papers_sent": (
        "review papers sent",
        "advice circulated",
        "review paperwork circulated",
        "papers circulated",
        "review papers circulated",
        "review advice circulated",
        "review paperwork sent out",
    ),
    "review_meeting": (
        "review meeting",
        "annual review",
        "annual review date",
        "annual review meeting",
        "date of annual review",
        "last annual review",
        "review date",
        "review held",
        "last review",
        "date of last review",
        "date of last annual review",
        "review meeting date",
    ),
    "review_report_sent": (
        "review report sent",
        "annual review report sent",
        "review paperwork sent",
        "annual review paperwork sent to la",
        "review report",
    ),
    "reassessment_requested": ("reassessment requested", "re assessment requested", "request for reassessment"),
    "plan_amended": (
        "plan amended",
        "amended plan issued",
        "amendment issued",
        "ehcp amended",
        "ehc plan amended",
        "final amended plan issued",
        "plan amendment",
    ),
    "plan_ceased": (
        "plan ceased",
        "ehcp ceased",
        "ehc plan ceased",
        "cease date",
        "ceased",
        "plan ended",
        "ceased date",
    ),
    "mediation": ("mediation", "mediation held", "mediation meeting", "mediation date"),
    "tribunal_appeal": (
        "tribunal appeal",
        "appeal lodged",
        "appeal registered",
        "sendist appeal",
        "first tier tribunal appeal",
        "appeal to tribunal",
        "tribunal appeal lodged",
    ),
    "tribunal_outcome": (
        "tribunal outcome",
        "tribunal decision",
        "appeal outcome",
        "appeal decided",
        "tribunal hearing outcome",
        "sendist decision",
    ),
}
# Words an EHC timeline's headers (and its event names) add around an event's name ("Date
# information requested", "Review Report Sent to LA", "InfoRequestedDate", "ReviewMeetingDate1")
_EVENT_FILLERS = frozenset({"date", "dates", "of", "on", "the", "to", "la", "lea", "by", "from", "for", "was", "when"})


def _event_words(text: str) -> frozenset[str]:
    words = re.sub(r"\d+", " ", normalise_header(text)).split()  # years, review numbers, "date1"
    return frozenset(w for w in words if w not in _EVENT_FILLERS)


_EVENT_WORDS = {_event_words(text): event for event, headers in EHC_EVENT_HEADERS.items() for text in (event, *headers)}


def event_named(text: str) -> str:
    """The EHC event a header or an event's name says ("" if none): its words in any order,
    without dates, numbers and small words.

    >>> event_named("EHC Plan Issue Date"), event_named("Annual Review 2024"), event_named("Notes")
    ('plan_issued', 'review_meeting', '')
    >>> event_named("InfoRequestedDate"), event_named("Final plan issued"), event_named("Decision not to assess")
    ('info_requested', 'plan_issued', 'decision_not_to_assess')
    """
    return _EVENT_WORDS.get(_event_words(text), "")


EHC_EVENTS_TABLE = Table(
    "ehc_events",
    "Dated events of EHC needs assessments, plans and annual reviews.",
    (
        _UPN,
        Column(
            "event",
            "event",
            "what happened: " + ", ".join(EHC_EVENTS) + " (or their names in words, as an LA's timeline heads them)",
            True,
            aliases=("event type", "activity", "milestone"),
        ),
        Column("date", "date", "date it happened", True, ("event date", "date of event")),
        Column(
            "requested_by",
            "choice",
            "on assessment_requested rows: who asked for the assessment",
            choices=REQUESTERS,
            aliases=("request made by", "who requested", "requester", "request from", "source of request"),
        ),
        Column(
            "la",
            "text",
            "on assessment_requested rows: the local authority the request went to (name or code)",
            aliases=("local authority", "la name", "la code", "responsible la", "home la", "lea"),
        ),
        Column(
            "pfa_focus",
            "flag",
            "on review_meeting rows from Year 9: the review had a preparing-for-adulthood focus (Y/N; "
            "blank is not recorded)",
            aliases=("pfa", "preparing for adulthood", "preparation for adulthood", "pfa discussed", "pfa review"),
        ),
    ),
    unique=("upn", "event", "date"),
    file_names=(
        "ehc events",
        "ehc timeline",
        "ehcp",
        "ehc plans",
        "ehcp timeline",
        "sen2",
        "ehc",
        "annual reviews",
        "ehc plan timeline",
    ),
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        PUPILS,
        ASSESSMENTS,
        SCALES,
        SEN_HISTORY,
        EAL_EVIDENCE,
        SUPPORT_PLANS,
        PARENT_MEETINGS,
        EHC_EVENTS_TABLE,
        PROVISIONS,
        STAFF_COSTS,
        COSTS,
    )
}


def describe_tables() -> str:
    """The data contract as Markdown: one table per file, one row per column (helper columns,
    read only to work out others, last)."""
    parts = []
    for table in TABLES.values():
        names = f" File names read as this table: {', '.join(table.file_names)}." if table.file_names else ""
        parts.append(
            f"### `{table.name}.csv`{' (required)' if table.required_file else ''}\n\n"
            f"{table.description}{names}\n\n| column | kind | required | meaning | also read from |\n"
            "|---|---|---|---|---|"
        )
        for c in table.columns:
            also = (
                ", ".join(c.aliases)
                + (f"; before those: {', '.join(c.preferred_aliases)}" if c.preferred_aliases else "")
                + (
                    f"; after those (filling their blanks): {', '.join(c.fallback_aliases)}"
                    if c.fallback_aliases
                    else ""
                )
            )
            parts.append(f"| `{c.name}` | {c.kind} | {'yes' if c.required else ''} | {c.description} | {also} |")
        for c in table.helpers:
            parts.append(f"| `{c.name}` | helper | | {c.description} | {', '.join(c.aliases)} |")
        parts.append("")
    return "\n".join(parts)
