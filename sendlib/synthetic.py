"""A seeded generator of synthetic trusts in the export-folder format.

No real pupil is in it: names are drawn from :mod:`sendlib._names`, UPNs use local
authority number 999, which the DfE has given to no authority, with valid check letters.
The trust is simulated year by year, so that its files agree with one another:

- schools take a Reception (or Year 7) intake each September, pupils move up a year,
  Year 6 pupils of the trust's primaries move on to its secondaries or leave, some pupils
  join and leave during the year (new arrivals to England among them);
- each September a pupil's SEN provision may change (no SEN -> SEN support -> EHC plan,
  and back), with rates that rise year on year as they have nationally, each pupil
  carrying a need; rates are tuned so that SEN support and EHC plans come near the
  national shares (``data/reference``) and needs near the national mix;
- about a fifth of pupils have English as an additional language, with proficiency in
  English that grows with time in English schools; some of them also have SEND;
- termly standardised reading and maths scores (Years 1-11; mean 100, SD 15, reliability
  0.90) follow each pupil's true attainment plus measurement error; some pupils' progress
  stalls in later terms; some scores are absent (A), not taken (X) or blank;
- January census snapshots, EAL evidence records, support plans (assess-plan-do-review),
  parent meetings and EHC events (needs assessments, plans, annual reviews) are recorded
  with realistic delays, including late and missing ones.

``write_sample`` writes the files and a ``manifest.json`` describing them.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ._names import NAMES
from .codes import NEED_AREA, area_of, upn_check_letter
from .duties import transfer_deadline
from .school_calendar import census_day, school_year

SAMPLE_SEED = 20261120
SAMPLE_AS_OF = dt.date(2026, 11, 20)
FAKE_LA_NUMBER = "999"  # no local authority has this number: no UPN here can be real
FIRST_SIMULATED_YEAR = 2012  # warm-up years give older pupils a history
CENSUS_YEARS = 5
TERM_DATES = ((11, 14), (3, 12), (6, 18))  # autumn, spring, summer test weeks (month, day)
TERMS_OF_SCORES = 7
SEM_STANDARDISED = 15 * np.sqrt(1 - 0.90)

# (name, phase, first year group, last year group, intake per year, establishment number)
DEFAULT_SCHOOLS = (
    ("Oakfield Primary", "primary", 0, 6, 45, "2041"),
    ("Riverside Primary", "primary", 0, 6, 60, "2067"),
    ("Hawthorn Primary", "primary", 0, 6, 30, "2113"),
    ("Kingsmead Primary", "primary", 0, 6, 30, "2158"),
    ("Beacon Academy", "secondary", 7, 11, 180, "4012"),
    ("Castle Hill School", "secondary", 7, 13, 150, "4027"),
)

# Needs of pupils newly on SEN support, by phase: the national January 2022 SEN support mix
# (reference/sen_census_primary_need_state_funded_england.csv), tilted by phase as the DfE
# publishes (SLCN leads in primary, SEMH and SpLD in secondary).
NEED_MIX_SUPPORT = {
    "primary": {
        "SLCN": 0.33,
        "MLD": 0.16,
        "SEMH": 0.16,
        "SPLD": 0.10,
        "ASD": 0.08,
        "OTH": 0.04,
        "NSA": 0.06,
        "PD": 0.02,
        "HI": 0.015,
        "VI": 0.01,
        "MSI": 0.003,
        "SLD": 0.002,
    },
    "secondary": {
        "SEMH": 0.26,
        "SPLD": 0.21,
        "MLD": 0.19,
        "SLCN": 0.11,
        "ASD": 0.08,
        "OTH": 0.05,
        "NSA": 0.03,
        "PD": 0.025,
        "HI": 0.02,
        "VI": 0.012,
        "MSI": 0.003,
    },
}
# Needs of new EHC plans where the need changes (SEN2 2025 mix of all plans).
NEED_MIX_EHC = {
    "ASD": 0.34,
    "SLCN": 0.18,
    "SEMH": 0.20,
    "MLD": 0.10,
    "SLD": 0.05,
    "PD": 0.04,
    "SPLD": 0.025,
    "HI": 0.015,
    "PMLD": 0.012,
    "OTH": 0.012,
    "VI": 0.008,
    "DS": 0.005,
    "MSI": 0.003,
}
EAL_LANGUAGES = {
    "POL": 0.18,
    "URD": 0.16,
    "PNJ": 0.10,
    "BNG": 0.10,
    "ARA": 0.10,
    "RMN": 0.10,
    "SOM": 0.07,
    "POR": 0.07,
    "LIT": 0.05,
    "TUR": 0.04,
    "UKR": 0.03,
}


@dataclass(frozen=True)
class Intervention:
    """An intervention of the generated provision map, with its planted effect: ``effect``
    score points added to every score in the subjects it aims at (reading, maths or both)
    from a fortnight after it starts."""

    name: str
    area: str  # as a provision map writes it: C&I, C&L, SEMH, S&P
    sessions: int
    minutes: int
    group: int
    role: str
    weeks: int  # planned length; 0 while it runs with no end
    effect: float
    subjects: tuple[str, ...] = ("reading", "maths")
    cost: float | None = None  # recorded per pupil for the period (external services)
    who: str = "K"  # K, E or both: who on the SEN register receives it (N: early intervention too)
    daily: bool = False  # daily support every pupil in ``who`` with a plan has (and 5% on SEN support)


# The sample's interventions: two that work (reading), one that harms (withdrawal from
# lessons), the rest no effect on scores (many aim at needs scores do not measure).
INTERVENTIONS = (
    Intervention("Phonics catch-up", "C&L", 5, 20, 4, "Teaching assistant", 12, 5.0, ("reading",), who="NK"),
    Intervention("Reading fluency 1:1", "C&L", 3, 20, 1, "TA", 10, 4.0, ("reading",), who="NKE"),
    Intervention("Precision teaching", "C&L", 5, 10, 1, "TA", 10, 0.0, who="KE"),
    Intervention("Maths catch-up group", "C&L", 3, 30, 6, "TA", 12, 0.0, ("maths",), who="NK"),
    Intervention("Spelling withdrawal group", "C&L", 4, 30, 4, "TA", 12, -4.0, ("reading",), who="KE"),
    Intervention("Speech and language therapy", "C&I", 1, 45, 1, "SALT", 12, 0.0, cost=900.0, who="KE"),
    Intervention("Social skills group", "C&I", 1, 45, 6, "TA", 12, 0.0, who="KE"),
    Intervention("Nurture group", "SEMH", 4, 60, 8, "Teacher", 0, 0.0, who="KE"),
    Intervention("ELSA sessions", "SEMH", 1, 40, 1, "Specialist", 8, 0.0, who="KE"),
    Intervention("Counselling", "SEMH", 1, 50, 1, "External", 10, 0.0, cost=600.0, who="KE"),
    Intervention("Fine motor skills group", "S&P", 2, 20, 4, "TA", 10, 0.0, who="KE"),
    Intervention("1:1 TA support", "", 5, 150, 1, "TA", 0, 0.0, who="KE", daily=True),
)
# The sample's own hourly costs (illustrative: a trust writes its own staff_costs.csv).
STAFF_COSTS = {"Teacher": 48.0, "Teaching assistant": 19.0, "Specialist": 30.0, "External": 60.0}


@dataclass
class _Pupil:
    upn: str
    forename: str
    surname: str
    sex: str
    dob: dt.date
    language: str
    arrived: dt.date | None
    fsm: bool
    looked_after: bool
    school: str
    year_group: int
    joined: dt.date
    risk: float
    ability: float
    language_gap: float  # 0 for English speakers
    proficiency: int | None  # 0 (A) .. 4 (E)
    status: str = "N"
    need: str | None = None
    need2: str | None = None
    eal_send: bool = False
    stall_term: int | None = None
    stall_size: float = 0.0
    census: list = field(default_factory=list)
    sen_years: dict = field(default_factory=dict)  # academic year -> status
    plan_issued: dt.date | None = None
    events: list = field(default_factory=list)
    active: bool = True
    provisions: list = field(default_factory=list)  # (Intervention, start, end or None)


class _Simulation:
    def __init__(self, seed: int, as_of: dt.date, schools, size: float):
        self.rng = np.random.default_rng(seed)
        self.as_of = as_of
        self.schools = [dict(zip(("name", "phase", "first", "last", "intake", "estab"), s)) for s in schools]
        for s in self.schools:
            s["intake"] = max(1, round(s["intake"] * size))
        self.pupils: list[_Pupil] = []
        self.serial: dict[tuple, int] = {}
        self.current_year = school_year(as_of)

    # -- people --------------------------------------------------------------------
    def _upn(self, school, year) -> str:
        # three-digit serials per school and year; a full year borrows the next year's digits
        yy = year % 100
        while self.serial.get((school["estab"], yy), 0) >= 999:
            yy = (yy + 1) % 100
        key = (school["estab"], yy)
        self.serial[key] = self.serial.get(key, 0) + 1
        body = f"{FAKE_LA_NUMBER}{school['estab']}{yy:02d}{self.serial[key]:03d}"
        return upn_check_letter(body) + body

    def _choice(self, weights: dict):
        keys = list(weights)
        p = np.array(list(weights.values()), dtype=float)
        return keys[self.rng.choice(len(keys), p=p / p.sum())]

    def _new_pupil(self, school, year_group, academic_year, joined, new_arrival=False) -> _Pupil:
        rng = self.rng
        eal = rng.random() < (0.45 if new_arrival else 0.19)
        language = self._choice(EAL_LANGUAGES) if eal else ("ENG" if rng.random() < 0.97 else "ENB")
        sex = "F" if rng.random() < 0.49 else "M"
        forenames, forenames_f, surnames = NAMES.get(language, NAMES["ENG"]) if eal else NAMES["ENG"]
        if eal and rng.random() < 0.15:  # some families give English forenames
            forenames, forenames_f = NAMES["ENG"][0], NAMES["ENG"][1]
        forename = rng.choice(forenames_f if sex == "F" else forenames)
        surname = rng.choice(surnames)
        # born between 1 September and 31 August of the cohort's year
        cohort_start = dt.date(academic_year - year_group - 5, 9, 1)
        dob = cohort_start + dt.timedelta(days=int(rng.integers(0, 365)))
        arrived = None
        proficiency = None
        language_gap = 0.0
        if eal:
            if new_arrival or (year_group > 0 and rng.random() < 0.25):
                arrived = joined - dt.timedelta(days=int(rng.integers(0, 60)))
            else:
                arrived = dt.date(academic_year - year_group, 9, int(rng.integers(2, 8)))
            years_here = (joined - arrived).days / 365.25 + (year_group if arrived.year < joined.year else 0) * 0
            proficiency = (
                int(np.clip(rng.normal(0.5 + years_here, 0.8), 0, 4))
                if new_arrival
                else int(np.clip(rng.normal(1.0, 0.8) + (0 if year_group <= 0 else 0.3 * year_group), 0, 4))
            )
            language_gap = float(rng.uniform(0.8, 1.2))
        risk = float(rng.lognormal(0, 0.9))
        eal_send = eal and risk > 2.5
        ability = float(rng.normal(100, 13.5)) - 6.0 * np.log1p(risk) + 7.5
        fsm = rng.random() < 0.24
        if fsm:
            ability -= 4
        pupil = _Pupil(
            upn=self._upn(school, academic_year),
            forename=str(forename),
            surname=str(surname),
            sex=sex,
            dob=dob,
            language=language,
            arrived=arrived,
            fsm=fsm,
            looked_after=rng.random() < 0.008,
            school=school["name"],
            year_group=year_group,
            joined=joined,
            risk=risk,
            ability=ability,
            language_gap=language_gap,
            proficiency=proficiency,
            eal_send=eal_send,
        )
        # a pupil can start with SEN already identified (nursery, or a previous school)
        start = rng.random()
        p_ehc = (0.010 + 0.004 * max(0, year_group) / 6) * (1.0 + 0.1 * (academic_year - 2016))
        p_support = 0.06 + 0.02 * max(0, year_group) / 3
        if start < p_ehc * min(risk, 3):
            pupil.status = "E"
        elif start < (p_ehc + p_support) * min(risk, 3):
            pupil.status = "K"
        if pupil.status != "N":
            pupil.need = self._first_need(pupil, school["phase"])
            if pupil.status == "E" and pupil.need == "NSA":
                pupil.need = self._choice(NEED_MIX_EHC)
            if pupil.status == "E":
                pupil.plan_issued = joined - dt.timedelta(days=int(rng.integers(30, 700)))
        if rng.random() < 0.12 + 0.1 * (pupil.status != "N"):
            pupil.stall_term = int(rng.integers(2, TERMS_OF_SCORES - 1))
            pupil.stall_size = float(rng.uniform(10, 24))
        self.pupils.append(pupil)
        return pupil

    def _first_need(self, pupil, phase):
        mix = dict(NEED_MIX_SUPPORT[phase])
        if pupil.language != "ENG" and pupil.language != "ENB":
            # EAL pupils are over-identified for SLCN and under-identified for SpLD (Solihull).
            mix["SLCN"] *= 1.6
            mix["SPLD"] *= 0.5
        return self._choice(mix)

    # -- years ------------------------------------------------------------------------
    def _school(self, name):
        return next(s for s in self.schools if s["name"] == name)

    def _advance(self, year):
        rng = self.rng
        secondaries = [s for s in self.schools if s["phase"] == "secondary"]
        arriving = {s["name"]: 0 for s in self.schools}
        for pupil in self.pupils:
            if not pupil.active:
                continue
            school = self._school(pupil.school)
            pupil.year_group += 1
            if rng.random() < 0.035:
                pupil.active = False
                continue
            if pupil.year_group > school["last"] or (pupil.year_group == 12 and rng.random() < 0.45):
                if school["phase"] == "primary" and secondaries and rng.random() < 0.6:
                    weights = np.array([s["intake"] for s in secondaries], dtype=float)
                    target = secondaries[rng.choice(len(secondaries), p=weights / weights.sum())]
                    pupil.school = target["name"]
                    arriving[target["name"]] += 1
                else:
                    pupil.active = False
        for school in self.schools:
            start = dt.date(year, 9, int(rng.integers(2, 6)))
            n = max(0, int(rng.poisson(school["intake"])) - arriving[school["name"]])
            for _ in range(n):
                self._new_pupil(school, school["first"], year, start)
            joiners = int(rng.poisson(0.03 * school["intake"] * (school["last"] - school["first"] + 1)))
            for _ in range(joiners):
                year_group = int(rng.integers(max(school["first"], 1), min(school["last"], 11) + 1))
                joined = dt.date(year, 9, 1) + dt.timedelta(days=int(rng.integers(20, 300)))
                if joined <= self.as_of:
                    self._new_pupil(school, year_group, year, joined, new_arrival=rng.random() < 0.5)

    def _sen_transitions(self, year):
        rng = self.rng
        trend = 1.0 + 0.12 * (year - 2016)  # identification has risen year on year
        for pupil in self.pupils:
            if not pupil.active or (pupil.joined.year == year and pupil.joined.month >= 9):
                continue
            phase = self._school(pupil.school)["phase"]
            u = rng.random()
            if pupil.status == "N":
                if u < 0.03 * min(pupil.risk, 4) * (1.2 if phase == "primary" else 0.7):
                    pupil.status, pupil.need = "K", self._first_need(pupil, phase)
            elif pupil.status == "K":
                if u < 0.018 * min(pupil.risk, 4) * trend:
                    self._issue_plan(pupil, year)
                elif u > 1 - 0.11 / min(pupil.risk, 3):
                    pupil.status, pupil.need, pupil.need2 = "N", None, None
                elif pupil.need == "NSA" and rng.random() < 0.4:
                    pupil.need = self._first_need(pupil, phase)
            elif pupil.status == "E" and u < 0.01:
                pupil.status = "K"  # plan ceased (before the January census), support continues
                if pupil.plan_issued is not None and not any(e[0] == "plan_issued" for e in pupil.events):
                    pupil.events.append(("plan_issued", pupil.plan_issued))
                ceased = max(dt.date(year, 12, 15), (pupil.plan_issued or dt.date.min) + dt.timedelta(days=30))
                if ceased <= self.as_of:
                    pupil.events.append(("plan_ceased", ceased))
                pupil.plan_issued = None
            if pupil.status != "N" and pupil.need2 is None and rng.random() < 0.05:
                second = self._choice(NEED_MIX_SUPPORT[phase])
                pupil.need2 = second if second not in (pupil.need, "NSA") else None
            if pupil.proficiency is not None and pupil.proficiency < 4:
                pace = 0.45 if pupil.eal_send else 0.6
                if rng.random() < pace:
                    pupil.proficiency += 1

    def _issue_plan(self, pupil, year):
        rng = self.rng
        requested = dt.date(year, 9, 15) + dt.timedelta(days=int(rng.integers(0, 200)))
        if requested > self.as_of:
            return
        events = [("info_requested", requested)]
        answered = requested + dt.timedelta(
            days=int(rng.choice([rng.integers(10, 42), rng.integers(43, 70)], p=[0.85, 0.15]))
        )
        draft = requested + dt.timedelta(days=int(rng.integers(84, 120)))
        views = draft + dt.timedelta(days=int(rng.choice([rng.integers(3, 15), rng.integers(16, 30)], p=[0.8, 0.2])))
        issued = draft + dt.timedelta(days=int(rng.integers(20, 45)))
        for name, date in (
            ("info_sent", answered),
            ("draft_plan_received", draft),
            ("draft_views_sent", views),
            ("plan_issued", issued),
        ):
            if date <= self.as_of:
                events.append((name, date))
        pupil.events.extend(events)
        if issued <= self.as_of:
            pupil.status = "E"
            pupil.plan_issued = issued
            if pupil.need == "NSA" or rng.random() < 0.5:
                pupil.need = self._choice(NEED_MIX_EHC)

    def _annual_reviews(self):
        rng = self.rng
        for pupil in self.pupils:
            if not pupil.active or pupil.status != "E" or pupil.plan_issued is None:
                continue
            if not any(e[0] == "plan_issued" for e in pupil.events):
                pupil.events.append(("plan_issued", pupil.plan_issued))
            last = pupil.plan_issued
            while True:
                gap = int(rng.choice([rng.integers(300, 365), rng.integers(366, 430)], p=[0.88, 0.12]))
                meeting = last + dt.timedelta(days=gap)
                invites = meeting - dt.timedelta(
                    days=int(rng.choice([rng.integers(14, 35), rng.integers(5, 14)], p=[0.9, 0.1]))
                )
                papers = meeting - dt.timedelta(
                    days=int(rng.choice([rng.integers(14, 21), rng.integers(3, 14)], p=[0.85, 0.15]))
                )
                report = meeting + dt.timedelta(
                    days=int(rng.choice([rng.integers(2, 15), rng.integers(15, 40)], p=[0.85, 0.15]))
                )
                for name, date in (("review_invites_sent", invites), ("review_papers_sent", papers)):
                    if date <= self.as_of:
                        pupil.events.append((name, date))
                if meeting > self.as_of:
                    break
                pupil.events.append(("review_meeting", meeting))
                if report <= self.as_of and rng.random() > 0.03:
                    pupil.events.append(("review_report_sent", report))
                last = meeting
            if rng.random() < 0.04:
                early = rng.random() < 0.5
                days = int(rng.integers(60, 170) if early else rng.integers(200, 500))
                date = pupil.plan_issued + dt.timedelta(days=days)
                if date <= self.as_of:
                    pupil.events.append(("reassessment_requested", date))

    def _census(self, year):
        day = census_day(year + 1, "spring")
        if day > self.as_of:
            return
        for pupil in self.pupils:
            if pupil.active and pupil.joined <= day:
                pupil.census.append(
                    (
                        day,
                        pupil.school,
                        pupil.year_group,
                        pupil.status,
                        pupil.need,
                        None if pupil.proficiency is None else "ABCDE"[pupil.proficiency],
                    )
                )
                pupil.sen_years[year] = pupil.status

    def run(self):
        for year in range(FIRST_SIMULATED_YEAR, self.current_year + 1):
            if year == FIRST_SIMULATED_YEAR:
                for school in self.schools:
                    for year_group in range(school["first"], school["last"] + 1):
                        size = school["intake"] if year_group < 12 else school["intake"] // 2
                        for _ in range(int(self.rng.poisson(size))):
                            self._new_pupil(school, year_group, year, dt.date(year, 9, 3))
            else:
                self._advance(year)
                self._sen_transitions(year)
            self._census(year)
        self._annual_reviews()
        # a few needs assessments under way now, some answered, some not yet
        for pupil in self.pupils:
            if pupil.active and pupil.status == "K" and self.rng.random() < 0.04:
                requested = self.as_of - dt.timedelta(days=int(self.rng.integers(5, 70)))
                pupil.events.append(("info_requested", requested))
                if self.rng.random() < 0.4:
                    pupil.events.append(
                        (
                            "info_sent",
                            requested
                            + dt.timedelta(days=int(self.rng.integers(3, max(4, (self.as_of - requested).days)))),
                        )
                    )
        return self


# -- the EHC needs assessment process around the simulated plans ---------------------------------
# The local authorities of the schools (the first school's, then the next's ...); one request in
# ten goes to the other (a pupil living across the border).
LOCAL_AUTHORITIES = ("Leeds", "Bradford")


def _assessment_process(sim: _Simulation, on_roll: list[_Pupil], rng) -> dict[tuple, tuple]:
    """Requests, decisions, refusals, mediation and appeals, phase-transfer amendments and
    preparing-for-adulthood reviews, added to each pupil's events (from a generator of their
    own, so the rest of the trust stays as it was); the requester, the LA and the PfA flag of
    each event, by (upn, event, date)."""
    school_la = {s["name"]: LOCAL_AUTHORITIES[i % len(LOCAL_AUTHORITIES)] for i, s in enumerate(sim.schools)}
    top_year = {s["name"]: s["last"] for s in sim.schools}
    details: dict[tuple, tuple] = {}

    def request(pupil, date):
        la = school_la[pupil.school]
        if rng.random() < 0.1:
            la = next(other for other in LOCAL_AUTHORITIES if other != la)
        by = (
            "young_person"
            if pupil.year_group >= 12 and rng.random() < 0.3
            else rng.choice(["school", "parent"], p=[0.65, 0.35])
        )
        pupil.events.append(("assessment_requested", date))
        details[(pupil.upn, "assessment_requested", date)] = (str(by), la, "")

    for pupil in on_roll:
        names = {name for name, _ in pupil.events}
        previous = dt.date.min
        for asked in sorted(d for name, d in pupil.events if name == "info_requested"):
            if (asked - previous).days < 180:
                continue  # a second request for advice in the same assessment
            previous = asked
            # the request, then the decision to assess, come before the LA asks for advice
            # (many LAs ask schools for advice while they decide, as here)
            requested = asked - dt.timedelta(days=int(rng.integers(7, 22)))
            request(pupil, requested)
            decided = requested + dt.timedelta(days=int(rng.integers(20, 50)))
            if decided <= sim.as_of:
                pupil.events.append(("decision_to_assess", decided))
        if pupil.status == "K" and "plan_issued" not in names and "info_requested" not in names:
            u = rng.random()
            if u < 0.05:  # refused: some go to mediation, a few appeal
                requested = sim.as_of - dt.timedelta(days=int(rng.integers(60, 900)))
                request(pupil, requested)
                refused = requested + dt.timedelta(days=int(rng.integers(25, 55)))
                if refused <= sim.as_of:
                    pupil.events.append(("decision_not_to_assess", refused))
                    steps = []
                    if rng.random() < 0.35:
                        steps.append(("mediation", refused + dt.timedelta(days=int(rng.integers(20, 60)))))
                    if rng.random() < 0.25:
                        appeal = refused + dt.timedelta(days=int(rng.integers(60, 80)))
                        steps += [("tribunal_appeal", appeal), ("tribunal_outcome", appeal + dt.timedelta(days=150))]
                    pupil.events += [(name, date) for name, date in steps if date <= sim.as_of]
            elif u < 0.065:  # with the LA now, not decided yet
                request(pupil, sim.as_of - dt.timedelta(days=int(rng.integers(3, 40))))
        issued = sorted(d for name, d in pupil.events if name == "plan_issued")
        if not issued or pupil.status != "E":
            continue
        for meeting in sorted(d for name, d in pupil.events if name == "review_meeting"):
            then = pupil.year_group - (sim.current_year - school_year(meeting))
            if then >= 9:
                details[(pupil.upn, "review_meeting", meeting)] = ("", "", "Y" if rng.random() < 0.85 else "N")
        for back in range(0, 4):  # the phase transfers of this and the last three school years
            then = pupil.year_group - back
            school_top = top_year[pupil.school] if back == 0 else 6 if then <= 6 else 11
            due = transfer_deadline(then, school_top, pd.Timestamp(sim.current_year - back, 9, 1))
            if due is None:
                continue
            deadline = due.date()
            amended = deadline + dt.timedelta(
                days=int(rng.choice([rng.integers(-110, 1), rng.integers(1, 45)], p=[0.75, 0.25]))
            )
            if issued[0] < amended - dt.timedelta(days=60) and amended <= sim.as_of:
                pupil.events.append(("plan_amended", amended))
    return details


# -- tables ---------------------------------------------------------------------------------
def _terms(as_of: dt.date) -> list[dt.date]:
    dates: list[dt.date] = []
    year = as_of.year + 1
    while len(dates) < TERMS_OF_SCORES and year > 2000:
        for month, day in reversed(TERM_DATES):
            date = dt.date(year, month, day)
            academic_year = school_year(date)
            if date <= as_of and academic_year <= year:
                dates.append(date)
        year -= 1
    return sorted(dates)[-TERMS_OF_SCORES:]


def _scores(sim: _Simulation, on_roll: list[_Pupil]) -> pd.DataFrame:
    rng = sim.rng
    rows = []
    terms = _terms(sim.as_of)
    for pupil in on_roll:
        for index, date in enumerate(terms):
            year_group = pupil.year_group - (sim.current_year - school_year(date))
            if year_group < 1 or year_group > 11 or date < pupil.joined:
                continue
            for subject in ("reading", "maths"):
                true = pupil.ability
                if pupil.language_gap and pupil.arrived:
                    years_here = max(0.0, (date - pupil.arrived).days / 365.25)
                    # academic English takes 5-7 years (Cummins; Strand and Lindorff 2020)
                    gap = 22 * pupil.language_gap * np.exp(-years_here / 2.2)
                    true -= gap if subject == "reading" else gap / 2
                if pupil.eal_send:
                    true -= 6
                if pupil.stall_term is not None and index >= pupil.stall_term:
                    steps = min(index - pupil.stall_term + 1, 3)
                    true -= pupil.stall_size * steps / 3 * (1.0 if subject == "reading" else 0.8)
                true += sum(
                    i.effect
                    for i, start, _ in pupil.provisions
                    if subject in i.subjects and date > start + dt.timedelta(days=14)
                )
                u = rng.random()
                if u < 0.02:
                    score = "A"
                elif u < 0.025:
                    score = "X"
                elif u < 0.028:
                    score = ""
                else:
                    score = str(int(np.clip(round(true + rng.normal(0, SEM_STANDARDISED)), 69, 141)))
                rows.append((pupil.upn, subject, date.isoformat(), score, "standardised"))
    return pd.DataFrame(rows, columns=["upn", "subject", "assessment_date", "score", "scale"])


def _eal_evidence(sim, on_roll) -> pd.DataFrame:
    rng = sim.rng
    rows = []
    for pupil in on_roll:
        if pupil.proficiency is None or rng.random() > 0.75:
            continue
        send = pupil.eal_send
        l1 = (
            "not_done"
            if rng.random() < 0.35
            else ("concern" if (rng.random() < (0.8 if send else 0.08)) else "age_appropriate")
        )
        parent = (
            "not_asked"
            if rng.random() < 0.3
            else ("concern" if (rng.random() < (0.75 if send else 0.1)) else "age_appropriate")
        )
        years_here = (sim.as_of - pupil.arrived).days / 365.25 if pupil.arrived else 0
        terms = int(min(max(0, round(years_here * 3 * rng.uniform(0.5, 1.0))), 30))

        def check():
            u = rng.random()
            return "not_done" if u < 0.06 else ("concern" if u < 0.09 else "pass")

        base = pupil.ability - (8 if send else 0)
        cat4 = {}
        if pupil.year_group >= 4 and rng.random() < 0.7:
            gap = 18 * pupil.language_gap * np.exp(-years_here / 2.5)
            cat4 = {
                "cat4_verbal": base - gap,
                "cat4_quantitative": base - gap / 3,
                "cat4_nonverbal": base - (6 if send else 0),
                "cat4_spatial": base - (6 if send else 0),
            }
            cat4 = {k: int(np.clip(round(v + rng.normal(0, 5)), 60, 141)) for k, v in cat4.items()}
        recorded = sim.as_of - dt.timedelta(days=int(rng.integers(5, 300)))
        recorded = max(recorded, pupil.joined)
        rows.append(
            {
                "upn": pupil.upn,
                "recorded_on": recorded.strftime("%d/%m/%Y"),
                "l1_assessment": l1,
                "parent_l1_report": parent,
                "eal_support_terms": terms,
                "hearing_check": check(),
                "vision_check": check(),
                **{k: cat4.get(k, "") for k in ("cat4_verbal", "cat4_quantitative", "cat4_nonverbal", "cat4_spatial")},
                "interrupted_schooling": "Y"
                if (pupil.arrived and pupil.year_group > 2 and rng.random() < 0.12)
                else "N",
                "attendance_pct": round(float(np.clip(rng.normal(94, 4), 60, 100)), 1),
            }
        )
    return pd.DataFrame(rows)


def _support_plans(sim, on_roll) -> pd.DataFrame:
    rng = sim.rng
    rows = []
    starts = []
    for year in (sim.current_year - 1, sim.current_year):
        starts += [dt.date(year, 9, 8), dt.date(year + 1, 1, 8), dt.date(year + 1, 4, 20)]
    starts = [s for s in starts if s <= sim.as_of]
    outcomes = [
        "some targets met; continue",
        "targets met; new targets set",
        "little progress; adjust support",
        "targets met; continue",
        "refer to specialist service",
    ]
    for pupil in on_roll:
        if pupil.status == "N":
            continue
        first = len(starts) - int(rng.integers(1, len(starts) + 1))
        if rng.random() < 0.08:
            continue  # no plan recorded at all: the graduated approach shows it
        for start in starts[first:]:
            start = max(start, pupil.joined) + dt.timedelta(days=int(rng.integers(0, 10)))
            due = start + dt.timedelta(days=int(rng.integers(70, 90)))
            held = ""
            if due <= sim.as_of + dt.timedelta(days=10) and rng.random() < 0.85:
                held_date = due + dt.timedelta(days=int(rng.integers(-10, 12)))
                if held_date <= sim.as_of:
                    held = held_date.strftime("%d/%m/%Y")
            rows.append(
                {
                    "upn": pupil.upn,
                    "plan_start": start.strftime("%d/%m/%Y"),
                    "review_due": due.strftime("%d/%m/%Y"),
                    "review_held": held,
                    "outcome": str(rng.choice(outcomes)) if held else "",
                }
            )
    return pd.DataFrame(rows).drop_duplicates(["upn", "plan_start"])


def _plan_provisions(sim, on_roll, rng, interventions) -> None:
    """Give pupils interventions (their own random stream, so the other files' draws do not
    move): on the register one to three over the last two school years, matched to their
    area of need; some pupils with no SEN and low scores a catch-up (early intervention);
    pupils with EHC plans, and a few on SEN support, daily 1:1 support."""
    starts = [dt.date(y, m, d) for y in (sim.current_year - 1, sim.current_year) for m, d in ((9, 8), (1, 8), (4, 20))]
    starts = [dt.date(s.year + (s.month < 9), s.month, s.day) for s in starts]
    starts = [s for s in starts if s <= sim.as_of]
    for pupil in on_roll:
        kind = pupil.status if pupil.status != "N" or pupil.ability < 88 else ""
        if not kind or (kind == "N" and rng.random() > 0.3):
            continue
        area = NEED_AREA.get(pupil.need or "", "Cognition and learning")
        fits = [i for i in interventions if kind in i.who and i.weeks and area_of(i.area) == area]
        fits = fits or [i for i in interventions if kind in i.who and i.weeks]
        count = {"N": 1, "K": int(rng.integers(1, 3)), "E": int(rng.integers(1, 4))}[kind]
        for _ in range(count if fits else 0):
            chosen = fits[int(rng.integers(len(fits)))]
            start = max(starts[int(rng.integers(len(starts)))], pupil.joined) + dt.timedelta(
                days=int(rng.integers(0, 5))
            )
            pupil.provisions.append((chosen, start, start + dt.timedelta(weeks=chosen.weeks)))
        daily = [i for i in interventions if i.daily and kind in i.who]
        if daily and (kind == "E" or (kind == "K" and rng.random() < 0.05)):
            pupil.provisions.append((daily[0], max(starts[-1], pupil.joined), None))
        ongoing = [i for i in interventions if not i.weeks and not i.daily and area_of(i.area) == area]
        if ongoing and kind != "N" and rng.random() < 0.3:
            pupil.provisions.append((ongoing[0], max(starts[-2], pupil.joined), None))


def _provisions(sim, on_roll) -> pd.DataFrame:
    rows = []
    for pupil in on_roll:
        for i, start, end in pupil.provisions:
            if start > sim.as_of:
                continue
            rows.append(
                {
                    "upn": pupil.upn,
                    "intervention": i.name,
                    "area": i.area or NEED_AREA_CODES.get(NEED_AREA.get(pupil.need or "", ""), ""),
                    "start": start.strftime("%d/%m/%Y"),
                    "end": end.strftime("%d/%m/%Y") if end else "",
                    "sessions_per_week": i.sessions,
                    "minutes": i.minutes,
                    "group_size": i.group,
                    "staff_role": i.role,
                    "cost": f"{i.cost:.0f}" if i.cost else "",
                }
            )
    columns = ["upn", "intervention", "area", "start", "end", "sessions_per_week", "minutes", "group_size"]
    return pd.DataFrame(rows, columns=[*columns, "staff_role", "cost"]).drop_duplicates(
        ["upn", "intervention", "start"]
    )


NEED_AREA_CODES = {
    "Communication and interaction": "C&I",
    "Cognition and learning": "C&L",
    "Social, emotional and mental health": "SEMH",
    "Sensory and/or physical": "S&P",
}


def _parent_meetings(sim, on_roll) -> pd.DataFrame:
    rng = sim.rng
    rows = []
    last_year = sim.current_year - 1
    for pupil in on_roll:
        if pupil.status == "N":
            continue
        held_last = int(rng.choice([3, 2, 1], p=[0.7, 0.2, 0.1]))
        for month in (10, 2, 6)[:held_last]:
            year = last_year if month >= 9 else last_year + 1
            date = dt.date(year, month, int(rng.integers(1, 28)))
            if date >= pupil.joined:
                rows.append((pupil.upn, date.isoformat()))
        if rng.random() < 0.7:
            date = dt.date(sim.current_year, 9, 20) + dt.timedelta(days=int(rng.integers(0, 55)))
            if date <= sim.as_of:
                rows.append((pupil.upn, date.isoformat()))
    return pd.DataFrame(rows, columns=["upn", "meeting_date"])


def generate_trust(
    seed: int = SAMPLE_SEED,
    as_of: dt.date = SAMPLE_AS_OF,
    schools=DEFAULT_SCHOOLS,
    size: float = 1.0,
    interventions=INTERVENTIONS,
) -> dict[str, pd.DataFrame]:
    """Simulate a trust and return its export files as DataFrames of text.

    Parameters
    ----------
    seed : int
        Seed of the random generator: the same seed gives the same trust.
    as_of : date
        The export date; nothing in the files is later than this.
    schools : sequence of tuples
        ``(name, phase, first year group, last year group, intake, establishment number)``.
    size : float
        Multiplies every intake (0.2 gives a small trust for quick tests).
    interventions : sequence of Intervention
        The provision map's interventions, each with its planted effect on scores.

    Returns
    -------
    dict
        File name (without ``.csv``) -> DataFrame, in the export-folder format.
    """
    sim = _Simulation(seed, as_of, schools, size).run()
    on_roll = [p for p in sim.pupils if p.active and p.joined <= as_of]
    _plan_provisions(sim, on_roll, np.random.default_rng([seed, 17]), interventions)
    details = _assessment_process(sim, on_roll, np.random.default_rng([seed, 18]))
    pupils = pd.DataFrame(
        [
            {
                "upn": p.upn,
                "school": p.school,
                "forename": p.forename,
                "surname": p.surname,
                "date_of_birth": p.dob.strftime("%d/%m/%Y"),
                "year_group": {0: "R"}.get(p.year_group, str(p.year_group)),
                "sen_provision": p.status,
                "primary_need": p.need or "",
                "secondary_need": p.need2 if p.need2 not in (None, p.need) else "",
                "sex": p.sex,
                "first_language": p.language,
                "english_proficiency": "" if p.proficiency is None else "ABCDE"[p.proficiency],
                "entered_english_schooling": p.arrived.strftime("%d/%m/%Y") if p.arrived else "",
                "fsm": "Y" if p.fsm else "N",
                "looked_after": "Y" if p.looked_after else "N",
            }
            for p in on_roll
        ]
    )
    history = pd.DataFrame(
        [
            {
                "upn": p.upn,
                "census_date": c[0].isoformat(),
                "school": c[1],
                "year_group": {0: "R"}.get(c[2], str(c[2])),
                "sen_provision": c[3],
                "primary_need": c[4] or "",
                "english_proficiency": c[5] or "",
            }
            for p in sim.pupils
            for c in p.census
        ]
    )
    last_censuses = sorted(history["census_date"].unique())[-CENSUS_YEARS:]
    history = history[history["census_date"].isin(last_censuses)].reset_index(drop=True)
    events = pd.DataFrame(
        [
            (p.upn, name, date.isoformat(), *details.get((p.upn, name, date), ("", "", "")))
            for p in on_roll
            for name, date in sorted(set(p.events), key=lambda e: (e[1], e[0]))
        ],
        columns=["upn", "event", "date", "requested_by", "la", "pfa_focus"],
    )
    return {
        "pupils": pupils,
        "assessments": _scores(sim, on_roll),
        "sen_history": history,
        "eal_evidence": _eal_evidence(sim, on_roll),
        "support_plans": _support_plans(sim, on_roll),
        "parent_meetings": _parent_meetings(sim, on_roll),
        "ehc_events": events,
        "provisions": _provisions(sim, on_roll),
        "staff_costs": pd.DataFrame({"staff_role": list(STAFF_COSTS), "hourly_cost": list(STAFF_COSTS.values())}),
    }


def write_sample(
    folder, seed: int = SAMPLE_SEED, as_of: dt.date = SAMPLE_AS_OF, schools=DEFAULT_SCHOOLS, size: float = 1.0
) -> Path:
    """Generate a trust and write it, with a ``manifest.json``, to ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tables = generate_trust(seed, as_of, schools, size)
    for name, frame in tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False)
    manifest = {
        "description": "A synthetic multi-academy trust generated by sendlib.synthetic: no real pupil, name or UPN.",
        "generator": "sendlib.synthetic.write_sample",
        "seed": seed,
        "exported_on": as_of.isoformat(),
        "size": size,
        "schools": [{"name": s[0], "phase": s[1], "year_groups": f"{s[2]}-{s[3]}"} for s in schools],
        "upns": f"local authority number {FAKE_LA_NUMBER}, given to no authority, so no UPN here is a real pupil's",
        "files": {name: {"rows": len(frame), "columns": list(frame.columns)} for name, frame in tables.items()},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return folder
