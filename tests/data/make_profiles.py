"""Write tests/data/profiles/<convention>/: part of the sample trust as real MIS and test vendors
export it. Each folder must load equal to the same part of the sample (tests/test_profiles.py).

Each writer follows its convention's public documentation (headers, value forms, layout), not
sendlib's own reading of it; see "Import profiles" in docs/export-folder.md for the sources. Run it
again after changing a writer:

    .venv/bin/python tests/data/make_profiles.py
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from pathlib import Path

import pandas as pd
from openpyxl import Workbook

from sendlib._paths import SAMPLE_DIR

HERE = Path(__file__).parent / "profiles"
SCHOOLS = ("Hawthorn Primary", "Kingsmead Primary")
EXPORTED_ON = "2026-11-20"


def sample_part() -> dict[str, pd.DataFrame]:
    """The sample's files as text, for two primaries and one in five pupils of Castle Hill School
    (not the provision map, a school's own file that no MIS or test convention exports)."""
    tables = {
        p.stem: pd.read_csv(p, dtype=str, keep_default_na=False)
        for p in SAMPLE_DIR.glob("*.csv")
        if p.stem not in ("provisions", "staff_costs")
    }
    pupils = tables["pupils"]
    keep = pupils["school"].isin(SCHOOLS) | (
        pupils["school"].eq("Castle Hill School") & pupils["upn"].str[-1].isin(["0", "5"])
    )
    upns = set(pupils.loc[keep, "upn"])
    return {name: frame[frame["upn"].isin(upns)].reset_index(drop=True) for name, frame in tables.items()}


# --- value forms ---------------------------------------------------------------------------------
NEED_NAMES = {  # CBDS D00041 descriptions as MIS print them
    "SPLD": "Specific Learning Difficulty",
    "MLD": "Moderate Learning Difficulty",
    "SLD": "Severe Learning Difficulty",
    "PMLD": "Profound & Multiple Learning Difficulty",
    "SEMH": "Social, Emotional and Mental Health",
    "SLCN": "Speech, Language and Communication Needs",
    "HI": "Hearing Impairment",
    "VI": "Vision Impairment",
    "MSI": "Multi-Sensory Impairment",
    "PD": "Physical Disability",
    "ASD": "Autistic Spectrum Disorder",
    "DS": "Down Syndrome",
    "OTH": "Other Difficulty/Disability",
    "NSA": "SEN support but no specialist assessment of type of need",
    "": "",
}
PROVISION_SIMS = {
    "N": "N - No Special Educational Need",
    "K": "K - SEN Support",
    "E": "E - Education, Health and Care Plan",
}
PROVISION_WORDS = {"N": "No SEN", "K": "SEN Support", "E": "EHC Plan"}
LANGUAGE_NAMES = {
    "ENG": "English",
    "ENB": "Believed to be English",
    "POL": "Polish",
    "URD": "Urdu",
    "PNJ": "Panjabi",
    "BNG": "Bengali",
    "ARA": "Arabic",
    "RMN": "Romanian",
    "SOM": "Somali",
    "POR": "Portuguese",
    "LIT": "Lithuanian",
    "TUR": "Turkish",
    "UKR": "Ukrainian",
    "": "",
}
PROFICIENCY = {
    "A": "A - New to English",
    "B": "B - Early Acquisition",
    "C": "C - Developing Competence",
    "D": "D - Competent",
    "E": "E - Fluent",
    "": "",
}
SEX_WORDS = {"F": "Female", "M": "Male", "": ""}


def iso(text: str) -> str:
    return dt.datetime.strptime(text, "%d/%m/%Y").date().isoformat() if text else ""


def year_words(year: str) -> str:
    return "Reception" if year == "R" else f"Year {year}"


def term_of(date: str) -> tuple[str, str]:
    """('Autumn', '2024/25') for an ISO date."""
    d = dt.date.fromisoformat(date)
    start = d.year if d.month >= 9 else d.year - 1
    term = "Autumn" if d.month >= 9 else "Spring" if d.month <= 3 else "Summer"
    return term, f"{start}/{str(start + 1)[2:]}"


# --- writing ---------------------------------------------------------------------------------------
def csv_text(frame: pd.DataFrame, title_lines=()) -> str:
    buffer = io.StringIO()
    for line in title_lines:
        buffer.write(line + "\n")
    frame.to_csv(buffer, index=False, lineterminator="\r\n")
    return buffer.getvalue()


def workbook(sheets: dict[str, pd.DataFrame | list[list]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, content in sheets.items():
        sheet = book.create_sheet(title)
        rows = content if isinstance(content, list) else [list(content.columns)] + content.values.tolist()
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def per_school(pupils: pd.DataFrame, write) -> dict[str, str | bytes]:
    """One subfolder per school (each MIS exports one school), named after the school."""
    files = {}
    for school, theirs in pupils.groupby("school"):
        for name, content in write(theirs.drop(columns="school")).items():
            files[f"{school}/{name}"] = content
    return files


# --- the conventions --------------------------------------------------------------------------------
def sims(t):
    """SIMS student list (one school a file, title lines above the header) and a marksheet with
    one column per subject and term."""

    def student_list(p):
        frame = pd.DataFrame(
            {
                "Surname": p["surname"],
                "Forename": p["forename"],
                "Legal Surname": p["surname"],
                "Legal Forename": p["forename"],
                "Gender": p["sex"].map(SEX_WORDS),
                "DOB": p["date_of_birth"],
                "Adno": [f"{i:06d}" for i in range(1, len(p) + 1)],
                "UPN": p["upn"],
                "Reg": "",
                "NC Year Actual": p["year_group"],
                "SEN Status": p["sen_provision"].map(PROVISION_SIMS),
                "SEN Need Type": p["primary_need"].map(lambda c: f"{c} - {NEED_NAMES[c]}" if c else ""),
                "Secondary SEN Need Type": p["secondary_need"].map(lambda c: f"{c} - {NEED_NAMES[c]}" if c else ""),
                "FSM Eligible": p["fsm"].map({"Y": "Yes", "N": ""}),
                "In Care": p["looked_after"].map({"Y": "Yes", "N": "No"}),
                "First Language": p["first_language"].map(LANGUAGE_NAMES),
                "Proficiency in English": p["english_proficiency"].map(PROFICIENCY),
                "Date of Entry to UK School": p["entered_english_schooling"],
            }
        )
        return {"Student List.csv": csv_text(frame, ["Student List", "Printed on 20/11/2026 11:02", ""])}

    files = per_school(t["pupils"], student_list)
    scores = t["assessments"].copy()
    scores["column"] = [
        f"{s.capitalize()} SAS {term[:3]} {d[:4]}"
        for s, d, term in zip(
            scores["subject"], scores["assessment_date"], scores["assessment_date"].map(lambda d: term_of(d)[0])
        )
    ]
    wide = scores.pivot(index="upn", columns="column", values="score").reset_index()
    order = sorted(
        [c for c in wide.columns if c != "upn"],
        key=lambda c: (scores.loc[scores["column"] == c, "assessment_date"].iloc[0], c),
    )
    wide = wide[["upn"] + order].fillna("").rename(columns={"upn": "UPN"})
    files["Marksheet - Reading and Maths.csv"] = csv_text(
        wide, ["Marksheet: Reading and Maths SAS", "Trust assessment"]
    )
    return files


def arbor(t):
    p = t["pupils"]
    frame = pd.DataFrame(
        {
            "STUDENT_ID": range(1, len(p) + 1),
            "UPN": p["upn"],
            "LEGAL_FIRST_NAME": p["forename"],
            "LEGAL_LAST_NAME": p["surname"],
            "PREFERRED_FIRST_NAME": p["forename"],
            "PREFERRED_LAST_NAME": p["surname"],
            "DATE_OF_BIRTH": p["date_of_birth"].map(iso),
            "YEAR_GROUP": p["year_group"].map(year_words),
            "GENDER": p["sex"].map(SEX_WORDS),
            "SCHOOL_NAME": p["school"],
            "SEN_STATUS": p["sen_provision"].map(PROVISION_WORDS),
            "PRIMARY_SEN_NEED": p["primary_need"].map(NEED_NAMES),
            "SECONDARY_SEN_NEED": p["secondary_need"].map(NEED_NAMES),
            "IS_FSM_ELIGIBLE": p["fsm"].map({"Y": "true", "N": "false"}),
            "IS_LOOKED_AFTER": p["looked_after"].map({"Y": "true", "N": "false"}),
            "FIRST_LANGUAGE": p["first_language"].map(LANGUAGE_NAMES),
            "PROFICIENCY_IN_ENGLISH": p["english_proficiency"].map(lambda c: PROFICIENCY[c][4:]),
            "DATE_ENTERED_UK_SCHOOL": p["entered_english_schooling"].map(iso),
        }
    )
    return {"students.csv": csv_text(frame), "assessments.csv": csv_text(t["assessments"])}


def bromcom(t):
    p = t["pupils"]
    frame = pd.DataFrame(
        {
            "Student Name": p["forename"] + " " + p["surname"],
            "Legal Surname": p["surname"],
            "Legal Forename": p["forename"],
            "Preferred Forename": p["forename"],
            "Date Of Birth": p["date_of_birth"],
            "Gender": p["sex"].map(SEX_WORDS),
            "UPN": p["upn"],
            "Year Group": p["year_group"].map(year_words),
            "Tutor Group": "",
            "School": p["school"],
            "SEN Status": p["sen_provision"].map({"N": "No SEN", "K": "SEN Support", "E": "EHCP"}),
            "SEN Need": p["primary_need"].map(NEED_NAMES),
            "Secondary SEN Need": p["secondary_need"].map(NEED_NAMES),
            "Free School Meals": p["fsm"].map({"Y": "Yes", "N": "No"}),
            "Child Looked After": p["looked_after"].map({"Y": "Yes", "N": "No"}),
            "Home Language": p["first_language"].map(LANGUAGE_NAMES),
            "English Proficiency": p["english_proficiency"],
            "Date Entered English Schooling": p["entered_english_schooling"],
        }
    )
    return {"Pupil Details Report.csv": csv_text(frame), "assessments.csv": csv_text(t["assessments"])}


def scholarpack(t):
    p = t["pupils"]
    frame = pd.DataFrame(
        {
            "UPN": p["upn"],
            "Forename": p["forename"],
            "Surname": p["surname"],
            "DOB": p["date_of_birth"],
            "Gender": p["sex"],
            "Year": p["year_group"].map(lambda y: "R" if y == "R" else f"Y{y}"),
            "Class": "",
            "School": p["school"],
            "SEN Status": p["sen_provision"].map({"N": "", "K": "SEN Support", "E": "EHCP"}),
            "SEN Primary Need": p["primary_need"],
            "SEN Secondary Need": p["secondary_need"],
            "FSM": p["fsm"].map({"Y": "Yes", "N": "No"}),
            "LAC": p["looked_after"].map({"Y": "Yes", "N": "No"}),
            "First Language": p["first_language"].map(LANGUAGE_NAMES),
            "EAL Stage": p["english_proficiency"],
            "Entry to English Schooling": p["entered_english_schooling"],
        }
    )
    return {"pupils.csv": csv_text(frame), "assessments.csv": csv_text(t["assessments"])}


def wonde(t):
    def feed(p):
        frame = pd.DataFrame(
            {
                "id": [f"A{i:09d}" for i in range(len(p))],
                "upn": p["upn"],
                "mis_id": range(1, len(p) + 1),
                "forename": p["forename"],
                "surname": p["surname"],
                "legal_forename": p["forename"],
                "legal_surname": p["surname"],
                "gender": p["sex"].map({"F": "FEMALE", "M": "MALE", "": ""}),
                "date_of_birth.date": p["date_of_birth"].map(lambda d: iso(d) + " 00:00:00.000000"),
                "date_of_birth.timezone_type": 3,
                "date_of_birth.timezone": "Europe/London",
                "year.data.code": p["year_group"],
                "year.data.name": p["year_group"].map(year_words),
                "extended_details.data.sen_status": p["sen_provision"],
                "extended_details.data.sen_needs": p["primary_need"],
                "extended_details.data.free_school_meals": p["fsm"].map({"Y": "true", "N": "false"}),
                "extended_details.data.in_lea_care": p["looked_after"].map({"Y": "true", "N": "false"}),
                "extended_details.data.first_language": p["first_language"],
                "extended_details.data.english_as_additional_language": p["first_language"].map(
                    lambda c: "false" if c in ("ENG", "ENB") else "true"
                ),
                "extended_details.data.english_proficiency": p["english_proficiency"],
            }
        )
        return {"students.csv": csv_text(frame)}

    files = per_school(t["pupils"].drop(columns=["secondary_need", "entered_english_schooling"]), feed)
    files["assessments.csv"] = csv_text(t["assessments"])
    return files


# URNs the giap convention gives the schools (GIAP names a school by its URN and LAEstab)
URNS = {
    "Oakfield Primary": "999101",
    "Riverside Primary": "999102",
    "Hawthorn Primary": "999103",
    "Kingsmead Primary": "999104",
    "Beacon Academy": "999105",
    "Castle Hill School": "999106",
}


def giap(t):
    """The DfE's GIAP census download: its header in its order (CensusSpringOutputRecord of the
    GIAP service), a row per pupil and census (the January censuses and this autumn's), the
    school as its URN, dates day first; GIAP has no proficiency, in-care or English-schooling
    columns. The one file gives the pupils and their census history."""
    header = [
        "PupilMatchingRef",
        "AcademicYear",
        "CensusTerm",
        "LA",
        "Estab",
        "LAEstab",
        "URN",
        "PHASE",
        "UPN",
        "FormerUPN",
        "Surname",
        "Forename",
        "MiddleNames",
        "PreferredSurname",
        "FormerSurname",
        "Sex",
        "DOB",
        "Ethnicity",
        "FSMeligible",
        "FSM_protected",
        "EVERFSM_6",
        "EVERFSM_6_P",
        "Language",
        "HoursAtSetting",
        "FundedHours",
        "EnrolStatus",
        "EntryDate",
        "NCyearActual",
        "SENProvision",
        "PrimarySENeedsType",
        "SecondarySENType",
    ]
    p, history = t["pupils"], t["sen_history"]
    now = pd.DataFrame(
        {
            "AcademicYear": "2026/2027",
            "CensusTerm": "Autumn",
            "URN": p["school"].map(URNS),
            "UPN": p["upn"],
            "Surname": p["surname"],
            "Forename": p["forename"],
            "Sex": p["sex"],
            "DOB": p["date_of_birth"],
            "FSMeligible": p["fsm"].map({"Y": "1", "N": "0"}),
            "Language": p["first_language"],
            "EnrolStatus": "C",
            "NCyearActual": p["year_group"],
            "SENProvision": p["sen_provision"],
            "PrimarySENeedsType": p["primary_need"],
            "SecondarySENType": p["secondary_need"],
        }
    )
    on_roll = history[history["upn"].isin(p["upn"])].merge(
        p[["upn", "surname", "forename", "sex", "date_of_birth"]], on="upn"
    )
    before = pd.DataFrame(
        {
            "AcademicYear": on_roll["census_date"].map(lambda d: f"{int(d[:4]) - 1}/{d[:4]}"),
            "CensusTerm": "Spring",
            "URN": on_roll["school"].map(URNS),
            "UPN": on_roll["upn"],
            "Surname": on_roll["surname"],
            "Forename": on_roll["forename"],
            "Sex": on_roll["sex"],
            "DOB": on_roll["date_of_birth"],
            "EnrolStatus": "C",
            "NCyearActual": on_roll["year_group"],
            "SENProvision": on_roll["sen_provision"],
            "PrimarySENeedsType": on_roll["primary_need"],
        }
    )
    download = pd.concat([before, now], ignore_index=True).reindex(columns=header).astype(object).fillna("")
    download["LA"], download["PHASE"] = (
        "999",
        download["URN"].map(lambda u: "SE" if u in ("999105", "999106") else "PR"),
    )
    return {"census_spring_results.csv": csv_text(download), "assessments.csv": csv_text(t["assessments"])}


def cbds(t):
    """CBDS (school census) element names as headers, codes as the census writes them."""
    p = t["pupils"]
    frame = pd.DataFrame(
        {
            "UPN": p["upn"],
            "Surname": p["surname"],
            "Forename": p["forename"],
            "DOB": p["date_of_birth"].map(iso),
            "Gender": p["sex"],
            "NCyearActual": p["year_group"],
            "SENprovision": p["sen_provision"],
            "SENtype1": p["primary_need"],
            "SENtype2": p["secondary_need"],
            "FSMeligible": p["fsm"].map({"Y": "true", "N": "false"}),
            "InCare": p["looked_after"].map({"Y": "true", "N": "false"}),
            "Language": p["first_language"],
            "EnglishProficiency": p["english_proficiency"],
            "EnglishSchoolingEntryDate": p["entered_english_schooling"].map(iso),
            "SchoolName": p["school"],
        }
    )
    return {"pupils.csv": csv_text(frame), "assessments.csv": csv_text(t["assessments"])}


def gl(t):
    """GL Assessment: one file per test, SAS and no subject or scale column."""
    files = {"pupils.csv": csv_text(t["pupils"])}
    scores = t["assessments"].merge(t["pupils"][["upn", "surname", "forename", "date_of_birth", "sex"]], on="upn")
    for subject, test, name in (("reading", "NGRT-A", "NGRT results.csv"), ("maths", "PTM", "PTM results.csv")):
        mine = scores[scores["subject"] == subject]
        files[name] = csv_text(
            pd.DataFrame(
                {
                    "Surname": mine["surname"],
                    "Forename": mine["forename"],
                    "UPN": mine["upn"],
                    "Date of Birth": mine["date_of_birth"],
                    "Gender": mine["sex"],
                    "Group": "",
                    "Test": test,
                    "Test Date": mine["assessment_date"].map(lambda d: dt.date.fromisoformat(d).strftime("%d/%m/%Y")),
                    "Raw Score": "",
                    "SAS": mine["score"],
                    "Stanine": "",
                    "NPR": "",
                }
            )
        )
    return files


def nfer(t):
    """NFER Tests: term and academic year (no date), standardised and age-standardised scores."""
    scores = t["assessments"]
    terms = scores["assessment_date"].map(term_of)
    frame = pd.DataFrame(
        {
            "UPN": scores["upn"],
            "Class": "",
            "Term": terms.map(lambda x: x[0]),
            "Year": terms.map(lambda x: x[1]),
            "Test": scores["subject"].map({"reading": "Reading", "maths": "Maths"}),
            "Raw score": "",
            "Standardised score": scores["score"],
            "Age-standardised score": scores["score"],
        }
    )
    return {"pupils.csv": csv_text(t["pupils"]), "NFER results.csv": csv_text(frame)}


def star(t):
    """Renaissance Star: Student ID holding the UPN, NRSS, completion times in UTC."""
    scores = t["assessments"]
    moments = pd.to_datetime(scores["assessment_date"]) + pd.Timedelta(hours=9, minutes=30)
    utc = moments.dt.tz_localize("Europe/London").dt.tz_convert("UTC").dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    frame = pd.DataFrame(
        {
            "Student ID": scores["upn"],
            "Student First Name": "",
            "Student Last Name": "",
            "Assessment": scores["subject"].map({"reading": "Star Reading", "maths": "Star Maths"}),
            "Completed Date": utc,
            "Scaled Score": "",
            "NRSS": scores["score"],
            "Percentile Rank": "",
        }
    )
    return {"pupils.csv": csv_text(t["pupils"]), "Star export.csv": csv_text(frame)}


def workbooks(t):
    """Workbooks split over sheets: pupils one sheet per year group after a summary sheet,
    scores one sheet per term."""
    p = t["pupils"]
    summary = [["Pupils by year group"], ["Year group", "Pupils"]] + [
        [y, int(n)] for y, n in p["year_group"].value_counts().items()
    ]
    sheets = {"Summary": summary}
    for year, theirs in p.groupby("year_group", sort=False):
        sheets[year_words(year)] = theirs
    scores = t["assessments"]
    by_term = {
        f"{term} {year.replace('/', '-')}": theirs
        for (term, year), theirs in scores.groupby(scores["assessment_date"].map(term_of), sort=False)
    }
    return {"pupils.xlsx": workbook(sheets), "assessments.xlsx": workbook(by_term)}


def sen2(t):
    """An EHC timeline with one date column per milestone (and per review), SEN2-style."""
    labels = {
        "info_requested": "Date information requested",
        "info_sent": "Date advice returned",
        "draft_plan_received": "Draft plan issued",
        "draft_views_sent": "Response to draft sent",
        "plan_issued": "EHC plan issue date",
        "review_invites_sent": "Review invitations sent",
        "review_papers_sent": "Review papers circulated",
        "review_meeting": "Annual review meeting",
        "review_report_sent": "Annual review paperwork sent to LA",
        "reassessment_requested": "Reassessment requested",
        "assessment_requested": "Date request received",
        "decision_to_assess": "Decision to assess",
        "decision_not_to_assess": "Decision not to assess",
        "plan_amended": "Amended plan issued",
        "plan_ceased": "Cease date",
        "mediation": "Mediation date",
        "tribunal_appeal": "Appeal registered",
        "tribunal_outcome": "Tribunal decision date",
    }
    events = t["ehc_events"].copy()
    events["n"] = events.groupby(["upn", "event"]).cumcount() + 1
    events["column"] = events["event"].map(labels) + " " + events["n"].astype(str)
    wide = events.pivot(index="upn", columns="column", values="date").fillna("").reset_index()
    wide = wide.rename(columns={"upn": "UPN"}).map(
        lambda v: dt.date.fromisoformat(v).strftime("%d/%m/%Y") if len(v) == 10 and v[4] == "-" else v
    )
    files = {f"{name}.csv": csv_text(frame) for name, frame in t.items() if name in ("pupils", "assessments")}
    files["EHC timeline.csv"] = csv_text(wide)
    return files


CONVENTIONS = {
    "sims": sims,
    "arbor": arbor,
    "bromcom": bromcom,
    "scholarpack": scholarpack,
    "wonde": wonde,
    "giap": giap,
    "cbds": cbds,
    "gl": gl,
    "nfer": nfer,
    "star": star,
    "workbooks": workbooks,
    "sen2": sen2,
}


def main():
    part = sample_part()
    if HERE.exists():
        shutil.rmtree(HERE)
    for name, write in CONVENTIONS.items():
        folder = HERE / name
        for file, content in write(part).items():
            path = folder / file
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        (folder / "manifest.json").write_text(json.dumps({"exported_on": EXPORTED_ON}) + "\n")
    print(f"{len(CONVENTIONS)} conventions written to {HERE}")


if __name__ == "__main__":
    main()
