"""The import profiles' declarations: one per vendor convention (see :mod:`sendlib.profiles`).

Each names the headers its vendor writes (matching ignores case, spacing, punctuation, word
order and camelCase), mapped to a sendlib column or to "" (known, and not needed), and the
public documentation it follows. A profile's headers are
known to every file; the profile is named in the notes when a file uses three or more of
them, and chosen with ``--profile`` where vendors disagree.
"""
from __future__ import annotations

from .profiles import Profile

VENDORS = (
    Profile(
        "sims", "a SIMS (ESS) student list or marksheet",
        "SIMS help: Student List reports and Marksheet export (ESS, sims.co.uk); CBDS code sets for values",
        headers={
            "pupils": {"Adno": "", "Reg": "", "Reg Group": "", "Year Taught In": "", "NC Year Actual": "year_group",
                       "SEN Status": "sen_provision", "SEN Need Type": "primary_need",
                       "SEN Need Type (Primary)": "primary_need", "SEN Need Type (Secondary)": "secondary_need",
                       "Primary SEN Need Type": "primary_need", "Secondary SEN Need Type": "secondary_need",
                       "FSM Eligible": "fsm", "In Care": "looked_after", "Looked After": "looked_after",
                       "First Language": "first_language", "Proficiency in English": "english_proficiency",
                       "Date of Entry to UK School": "entered_english_schooling", "Preferred Surname": "surname", "Preferred Forename": "forename"},
            "assessments": {"Adno": "", "Reg": "", "Name": ""},
        },
    ),
    Profile(
        "arbor", "an Arbor report or data export",
        "Arbor help centre: custom reports and Arbor's data export field names (UPPER_SNAKE)",
        headers={
            "pupils": {"STUDENT_ID": "", "PREFERRED_FIRST_NAME": "forename", "PREFERRED_LAST_NAME": "surname",
                       "DATE_OF_BIRTH": "date_of_birth", "NC_YEAR": "year_group", "YEAR_GROUP": "year_group",
                       "SEN_STATUS": "sen_provision", "PRIMARY_SEN_NEED": "primary_need",
                       "SECONDARY_SEN_NEED": "secondary_need", "IS_FSM_ELIGIBLE": "fsm",
                       "IS_LOOKED_AFTER": "looked_after", "IS_IN_CARE": "looked_after",
                       "FIRST_LANGUAGE": "first_language", "PROFICIENCY_IN_ENGLISH": "english_proficiency",
                       "EAL_PROFICIENCY": "english_proficiency", "DATE_ENTERED_UK_SCHOOL": "entered_english_schooling",
                       "Monitoring: FSM": "fsm", "Monitoring: Looked After": "looked_after",
                       "Monitoring: EAL Proficiency": "english_proficiency"},
        },
    ),
    Profile(
        "bromcom", "a Bromcom report",
        "Bromcom help: student reports and list exports",
        headers={
            "pupils": {"Tutor Group": "", "Date Of Birth": "date_of_birth",
                       "Year Group": "year_group", "SEN Status": "sen_provision", "SEN Need": "primary_need",
                       "Child Looked After": "looked_after", "Free School Meals": "fsm",
                       "English Proficiency": "english_proficiency", "EAL Proficiency": "english_proficiency",
                       "Home Language": "first_language"},
        },
    ),
    Profile(
        "scholarpack", "a ScholarPack export",
        "ScholarPack help: pupil data exports",
        headers={
            "pupils": {"SEN Status": "sen_provision", "SEN Primary Need": "primary_need",
                       "SEN Secondary Need": "secondary_need", "FSM": "fsm", "LAC": "looked_after",
                       "EAL Stage": "english_proficiency", "First Language": "first_language"},
        },
    ),
    Profile(
        "wonde", "a Wonde feed flattened to columns",
        "Wonde API documentation: students endpoint, includes extended_details, education_details, year",
        headers={
            "pupils": {"id": "", "mis_id": "", "forename": "forename", "surname": "surname", "date_of_birth.date": "date_of_birth",
                       "extended_details.data.free_school_meals": "fsm",
                       "extended_details.data.sen_status": "sen_provision",
                       "extended_details.data.sen_needs": "primary_need",
                       "extended_details.data.first_language": "first_language",
                       "extended_details.data.english_as_additional_language": "",
                       "extended_details.data.english_proficiency": "english_proficiency",
                       "extended_details.data.in_lea_care": "looked_after",
                       "education_details.data.upn": "upn", "education_details.data.current_nc_year": "year_group",
                       "year.data.code": "year_group", "year.data.name": ""},
        },
    ),
    Profile(
        "giap", "the DfE's GIAP download or CBDS (school census) field names",
        "DfE Common Basic Data Set and school census specification (gov.uk); the GIAP service's census "
        "download (github.com/DFE-Digital/get-information-about-pupils: CensusSpringOutputRecord)",
        headers={
            "pupils": {"NCyearActual": "year_group", "SENprovision": "sen_provision", "SENtype": "primary_need",
                       "PrimarySENeedsType": "primary_need", "SecondarySENeedsType": "secondary_need",
                       "FSMeligible": "fsm", "InCare": "looked_after", "Language": "first_language",
                       "EnglishProficiency": "english_proficiency", "EntryDate": "", "LAEstab": "",
                       "Estab": "", "LA": "", "AcademicYear": "academic_year", "CensusTerm": "census_term",
                       "MiddleNames": "", "FormerSurname": "", "PupilMatchingRef": "", "FormerUPN": "",
                       "PHASE": "", "Ethnicity": "", "FSM_protected": "", "EVERFSM_6": "", "EVERFSM_6_P": "",
                       "EnrolStatus": "", "HoursAtSetting": "", "FundedHours": "", "SecondarySENType": "secondary_need"},
            "sen_history": {"NCyearActual": "year_group", "SENprovision": "sen_provision", "SENtype": "primary_need",
                            "PrimarySENeedsType": "primary_need", "EnglishProficiency": "english_proficiency",
                            "LAEstab": "", "AcademicYear": "academic_year", "CensusTerm": "census_term"},
        },
    ),
    Profile(
        "gl", "a GL Assessment results file (NGRT, PTE, PTM)",
        "GL Assessment support: quick data guides for the PT Series and NGRT (SAS, NPR, ST, progress category)",
        headers={
            "assessments": {"Test": "test", "Test Level": "test", "Level": "test", "Date Tested": "assessment_date",
                            "Test Date": "assessment_date", "Date of test": "assessment_date",
                            "Standard Age Score": "score", "SAS": "score", "Stanine": "", "ST": "", "NPR": "",
                            "National Percentile Rank": "", "Reading Age": "", "Group": "", "Group name": "",
                            "Age at Test": "", "Age in months": "", "Raw Score": "", "Progress Category": "",
                            "Group Rank": "", "GR": ""},
        },
    ),
    Profile(
        "nfer", "an NFER Tests results file",
        "NFER Tests (nfer.ac.uk, nfertests.freshdesk.com): pupil data codes; standardised and age-standardised "
        "scores by term",
        headers={
            "assessments": {"Term": "term", "Academic Year": "academic_year", "Test": "test",
                            "Standardised score": "score",
                            "Raw score": ""},
        },
    ),
    Profile(
        "risingstars", "a Rising Stars (Hodder) MARK results file (PiRA, PUMA, GaPS)",
        "Hodder Education MARK reports guide and standardised data guide (help.hoddereducation.co.uk)",
        headers={
            "assessments": {"SS": "score", "Age-SS": "", "Raw score": "", "Average score": "", "Percentile": "",
                            "Hodder Scale score": "", "Maths Age": "", "Reading Age": "", "Concern?": "",
                            "Age at time of test": "", "Test": "test"},
        },
    ),
    Profile(
        "star", "a Renaissance Star Reading or Star Maths export",
        "Renaissance help (help.renlearn.co.uk, help2.renaissance.com): test record and data exports; NRSS is the "
        "normed referenced standardised score; Completed Date in UTC",
        headers={
            "assessments": {"Student ID": "", "Completed Date": "assessment_date",
                            "Activity Completed Date": "assessment_date", "NRSS": "score", "Assessment": "test",
                            "Test Name": "test", "Activity Name": "test", "Activity Type": "test", "Scaled Score": "",
                            "Percentile Rank": "", "Reading Age": "", "ZPD": "", "Student State ID": "",
                            "Completed Date Local": "", "SchoolYear": "", "Lexile": ""},
        },
    ),
    Profile(
        "sen2", "an EHC plan timeline in the style of the DfE's SEN2 return",
        "DfE special educational needs survey (SEN2) guide and technical specification (gov.uk): "
        "NamedPlan StartDate, ActivePlans ReviewMeeting and LastReview",
        headers={"ehc_events": {"Child ID": "", "Request ID": "", "ReceivedDate": "", "RequestOutcomeDate": "",
                                "RequestOutcome": "", "AssessmentOutcomeDate": "", "AssessmentOutcome": "",
                                "CeaseDate": "", "CeaseReason": "", "PlanRes": "", "SENSetting": ""}},
    ),
)
