"""Write the bad-input corpus: tests/data/bad_exports/<case>/ with the files and expected.json.

Each case is a small clean export with one thing broken. ``expected.json`` lists the
problems the loader must report: file, spreadsheet row (or null), column (or null) and a
piece of the problem text. Run it again after changing the cases:

    .venv/bin/python tests/data/make_bad_exports.py
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

from openpyxl import Workbook

from sendlib.codes import upn_check_letter

HERE = Path(__file__).parent / "bad_exports"


def upn(i: int) -> str:
    body = f"999500026{i:03d}"
    return upn_check_letter(body) + body


U = [upn(i) for i in range(4)]
PUPILS = (
    "upn,school,forename,surname,date_of_birth,year_group,sen_provision,primary_need,first_language,"
    "english_proficiency,entered_english_schooling\n"
    f"{U[0]},Elm,Ana,Ek,12/03/2016,4,K,SPLD,POL,C,01/09/2020\n"
    f"{U[1]},Elm,Ben,Fo,01/11/2015,5,E,ASD,ENG,,\n"
    f"{U[2]},Elm,Cy,Go,23/06/2016,4,N,,ENG,,\n"
    f"{U[3]},Elm,Di,Ho,05/05/2015,5,K,NSA,URD,B,10/01/2024\n"
)
ASSESSMENTS = (
    "upn,subject,assessment_date,score,scale\n"
    f"{U[0]},reading,14/11/2025,92,standardised\n{U[0]},reading,12/03/2026,94,standardised\n"
    f"{U[1]},maths,14/11/2025,A,standardised\n{U[2]},maths,14/11/2025,101,standardised\n"
)
EVENTS = (
    "upn,event,date\n"
    f"{U[1]},plan_issued,10/01/2025\n{U[1]},review_invites_sent,10/12/2025\n"
    f"{U[1]},review_meeting,05/01/2026\n{U[1]},review_report_sent,12/01/2026\n"
)
PLANS = f"upn,plan_start,review_due,review_held,outcome\n{U[0]},08/09/2025,01/12/2025,28/11/2025,continue\n"
MEETINGS = f"upn,meeting_date\n{U[0]},01/10/2025\n{U[1]},02/10/2025\n"
EAL = (
    f"upn,recorded_on,l1_assessment,parent_l1_report,eal_support_terms,hearing_check,vision_check,attendance_pct\n"
    f"{U[0]},01/10/2025,age_appropriate,not_asked,4,pass,pass,95\n"
)
HISTORY = (
    f"upn,census_date,school,year_group,sen_provision,primary_need,english_proficiency\n"
    f"{U[0]},16/01/2025,Elm,3,K,SPLD,B\n{U[0]},15/01/2026,Elm,4,K,SPLD,C\n"
)
PROVISIONS = (
    "upn,intervention,area,start,end,sessions_per_week,minutes,group_size,staff_role,cost\n"
    f"{U[0]},Phonics catch-up,C&L,08/09/2025,28/11/2025,5,20,4,TA,\n"
    f"{U[1]},Speech and language therapy,C&I,12/01/2026,,1,45,1,External,900\n"
)
STAFF_COSTS = "staff_role,hourly_cost\nTA,19\nTeacher,48\n"
BASE = {
    "pupils.csv": PUPILS,
    "assessments.csv": ASSESSMENTS,
    "ehc_events.csv": EVENTS,
    "support_plans.csv": PLANS,
    "parent_meetings.csv": MEETINGS,
    "eal_evidence.csv": EAL,
    "sen_history.csv": HISTORY,
    "provisions.csv": PROVISIONS,
    "staff_costs.csv": STAFF_COSTS,
}


def replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def xlsx(rows, cover: bool = False) -> bytes:
    """A workbook of ``rows``; with ``cover``, a cover sheet comes before the data sheet."""
    book = Workbook()
    if cover:
        book.active.title = "Cover"
        book.active.append(["Exported from the MIS"])
        book.create_sheet("Data")
        book.active = 1
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def p(file, row, column, text):
    return {"file": file, "row": row, "column": column, "problem": text}


CASES = {
    "invalid_upn_check_letter": (
        {"pupils.csv": replace(PUPILS, U[2], "A" + U[2][1:])},
        [p("pupils.csv", 4, "upn", "check letter")],
    ),
    "upn_too_short": ({"pupils.csv": replace(PUPILS, U[2], U[2][:12])}, [p("pupils.csv", 4, "upn", "13 characters")]),
    "duplicate_upn": (
        {"pupils.csv": PUPILS + f"{U[0]},Elm,Ed,Io,12/03/2016,4,N,,ENG,,\n"},
        [p("pupils.csv", 6, "upn", "same upn: also in row 2")],
    ),
    "blank_upn": ({"pupils.csv": replace(PUPILS, f"{U[2]},", ",")}, [p("pupils.csv", 4, "upn", "blank")]),
    "wrong_provision_code": (
        {"pupils.csv": replace(PUPILS, ",4,N,,ENG", ",4,S,,ENG")},
        [p("pupils.csv", 4, "sen_provision", "not an SEN provision code")],
    ),
    "wrong_need_code": (
        {"pupils.csv": replace(PUPILS, "K,SPLD", "K,DYSLEXIA")},
        [p("pupils.csv", 2, "primary_need", "not a CBDS type of need")],
    ),
    "need_missing_for_ehc": (
        {"pupils.csv": replace(PUPILS, "E,ASD", "E,")},
        [p("pupils.csv", 3, "primary_need", "need a primary need")],
    ),
    "nsa_with_ehc_plan": (
        {"pupils.csv": replace(PUPILS, "E,ASD", "E,NSA")},
        [p("pupils.csv", 3, "primary_need", "only with SEN support")],
    ),
    "need_given_for_no_sen": (
        {"pupils.csv": replace(PUPILS, ",4,N,,ENG", ",4,N,MLD,ENG")},
        [p("pupils.csv", 4, "primary_need", "no SEN")],
    ),
    "impossible_date": (
        {"pupils.csv": replace(PUPILS, "12/03/2016", "31/02/2016")},
        [p("pupils.csv", 2, "date_of_birth", "no such date")],
    ),
    "us_order_date": (
        {"pupils.csv": replace(PUPILS, "23/06/2016", "06/23/2016")},
        [p("pupils.csv", 4, "date_of_birth", "US month/day order")],
    ),
    "future_date": (
        {"assessments.csv": replace(ASSESSMENTS, "12/03/2026", "12/03/2099")},
        [p("assessments.csv", 3, "assessment_date", "in the future")],
    ),
    "not_a_date": (
        {"parent_meetings.csv": replace(MEETINGS, "01/10/2025", "last week")},
        [p("parent_meetings.csv", 2, "meeting_date", "not a date")],
    ),
    "bad_year_group": (
        {"pupils.csv": replace(PUPILS, ",4,N,,ENG", ",Year 15,N,,ENG")},
        [p("pupils.csv", 4, "year_group", "not a year group")],
    ),
    "missing_required_column": (
        {"pupils.csv": PUPILS.replace("date_of_birth", "birthday", 1)},
        [p("pupils.csv", 1, "date_of_birth", "required column date_of_birth is missing")],
    ),
    "missing_pupils_file": ({"pupils.csv": None}, [p("pupils.csv", None, None, "not in the folder")]),
    "non_numeric_score": (
        {"assessments.csv": replace(ASSESSMENTS, ",92,", ",ninety-two,")},
        [p("assessments.csv", 2, "score", "not a score")],
    ),
    "score_out_of_range": (
        {"assessments.csv": replace(ASSESSMENTS, ",92,", ",420,")},
        [p("assessments.csv", 2, "score", "outside the range of its scale")],
    ),
    "unknown_scale": (
        {"assessments.csv": replace(ASSESSMENTS, "92,standardised", "92,stanine")},
        [p("assessments.csv", 2, "scale", "unknown scale")],
    ),
    "assessment_for_unknown_pupil": (
        {"assessments.csv": ASSESSMENTS + f"{upn(9)},maths,14/11/2025,99,standardised\n"},
        [p("assessments.csv", 6, "upn", "not a pupil in pupils.csv")],
    ),
    "unknown_event": (
        {"ehc_events.csv": replace(EVENTS, "review_invites_sent", "review_invite")},
        [p("ehc_events.csv", 3, "event", "expected one of")],
    ),
    "report_before_meeting": (
        {"ehc_events.csv": replace(EVENTS, "review_report_sent,12/01/2026", "review_report_sent,02/01/2026")},
        [p("ehc_events.csv", 5, "event", "has no review_meeting on or before it")],
    ),
    "review_before_plan": (
        {"ehc_events.csv": replace(EVENTS, "review_invites_sent,10/12/2025", "review_invites_sent,10/12/2024")},
        [p("ehc_events.csv", 3, "event", "before the first plan_issued")],
    ),
    "final_plan_before_request": (
        {"ehc_events.csv": EVENTS + f"{U[1]},assessment_requested,01/03/2025\n"},
        [p("ehc_events.csv", 6, "event", "comes after plan_issued on 10/01/2025")],
    ),
    "decision_without_request": (
        {"ehc_events.csv": EVENTS + f"{U[0]},Decision to assess,05/01/2026\n"},
        [p("ehc_events.csv", 6, "event", "decision_to_assess on 05/01/2026 has no assessment_requested")],
    ),
    "duplicate_event": (
        {"ehc_events.csv": EVENTS + f"{U[1]},review_meeting,05/01/2026\n"},
        [p("ehc_events.csv", 6, "upn", "a second row for the same")],
    ),
    "events_for_no_sen_pupil": (
        {"ehc_events.csv": EVENTS + f"{U[2]},info_requested,05/01/2026\n"},
        [p("ehc_events.csv", 6, "upn", "no SEN provision (N)")],
    ),
    "review_due_before_start": (
        {"support_plans.csv": replace(PLANS, "01/12/2025", "01/08/2025")},
        [p("support_plans.csv", 2, "review_due", "before the plan started")],
    ),
    "bad_choice_value": (
        {"eal_evidence.csv": replace(EAL, "age_appropriate", "fine")},
        [p("eal_evidence.csv", 2, "l1_assessment", "expected one of")],
    ),
    "attendance_over_100": (
        {"eal_evidence.csv": replace(EAL, ",95\n", ",105\n")},
        [p("eal_evidence.csv", 2, "attendance_pct", "outside the allowed range")],
    ),
    "eal_record_for_english_speaker": (
        {"eal_evidence.csv": EAL + f"{U[2]},01/10/2025,not_done,not_asked,0,pass,pass,90\n"},
        [p("eal_evidence.csv", 3, "upn", "first language is English")],
    ),
    "history_bad_provision": (
        {"sen_history.csv": replace(HISTORY, ",3,K,SPLD", ",3,Q,SPLD")},
        [p("sen_history.csv", 2, "sen_provision", "not an SEN provision code")],
    ),
    "empty_file": ({"assessments.csv": b""}, [p("assessments.csv", None, None, "the file is empty")]),
    "binary_file_renamed_csv": ({"pupils.csv": bytes(range(256)) * 4}, [p("pupils.csv", None, None, "binary data")]),
    "xlsx_renamed_csv": ({"pupils.csv": xlsx([["upn"], [U[0]]])}, [p("pupils.csv", None, None, "Excel workbook")]),
    "truncated_xlsx": (
        {"pupils.csv": None, "pupils.xlsx": xlsx([line.split(",") for line in PUPILS.splitlines()])[:900]},
        [p("pupils.xlsx", None, None, "cannot be opened")],
    ),
    "stray_comma": (
        {"parent_meetings.csv": MEETINGS + f"{U[0]},03/02/2026,extra\n"},
        [p("parent_meetings.csv", 4, None, "3 values but the header has 2")],
    ),
    "two_problems_in_two_files": (
        {
            "pupils.csv": replace(PUPILS, "12/03/2016", "12/13/2016"),
            "assessments.csv": replace(ASSESSMENTS, ",92,", ",9o,"),
        },
        [p("pupils.csv", 2, "date_of_birth", "month 13"), p("assessments.csv", 2, "score", "not a score")],
    ),
    "pupils_header_only": (
        {"pupils.csv": PUPILS.splitlines()[0] + "\n"},
        [p("pupils.csv", None, None, "a header row but no pupils")],
    ),
    "folder_named_like_a_file": (
        {"pupils.csv": {"pupils.csv": PUPILS}},
        [p("pupils.csv", None, None, "a folder, not a file")],
    ),
    "excel_serial_date_in_csv": (
        {"support_plans.csv": replace(PLANS, "08/09/2025", "45908")},
        [p("support_plans.csv", 2, "plan_start", "not a date")],
    ),
    "unclosed_quote": (
        {"pupils.csv": replace(PUPILS, ",Ben,", ',"Ben,')},
        [p("pupils.csv", 3, "forename", "never closed")],
    ),
    "two_exports_joined": (
        {"assessments.csv": ASSESSMENTS + "\n".join(ASSESSMENTS.splitlines()[:2]) + "\n"},
        [p("assessments.csv", 7, "upn", "a second row")],
    ),
    "provision_unknown_area": (
        {"provisions.csv": replace(PROVISIONS, ",C&L,", ",Dragons,")},
        [p("provisions.csv", 2, "area", "not a broad area of need")],
    ),
    "provision_ends_before_it_starts": (
        {"provisions.csv": replace(PROVISIONS, "28/11/2025", "28/08/2025")},
        [p("provisions.csv", 2, "end", "before it started")],
    ),
    "provision_cost_in_words": (
        {"provisions.csv": replace(PROVISIONS, ",900", ",nine hundred")},
        [p("provisions.csv", 3, "cost", "not an amount of money")],
    ),
    "provision_for_unknown_pupil": (
        {"provisions.csv": PROVISIONS + f"{upn(9)},Nurture group,SEMH,12/01/2026,,4,60,8,Teacher,\n"},
        [p("provisions.csv", 4, "upn", "not a pupil in pupils.csv")],
    ),
    "staff_cost_unknown_role": (
        {"staff_costs.csv": STAFF_COSTS + "Wizard,99\n"},
        [p("staff_costs.csv", 4, "staff_role", "not a staff role")],
    ),
    "xlsx_cover_sheet": (
        {
            "assessments.csv": None,
            "assessments.xlsx": xlsx(
                [line.split(",") for line in replace(ASSESSMENTS, ",94,", ",#N/A,").splitlines()], cover=True
            ),
        },
        [p("assessments.xlsx", 3, "score", "not a score")],
    ),
}
# mixed encodings are read, not rejected: a Windows-1252 line among UTF-8 ones loads cleanly
MIXED_ENCODINGS = PUPILS.replace("Ana", "Zoé").encode(
    "utf-8"
) + f"{upn(5)},Elm,Renée,Jo,01/02/2016,4,N,,ENG,,\n".encode("cp1252")


def main():
    if HERE.exists():
        shutil.rmtree(HERE)
    for name, (changes, expected) in CASES.items():
        folder = HERE / name
        folder.mkdir(parents=True)
        files = {**BASE, **changes}
        for file, content in files.items():
            if content is None:
                continue
            if isinstance(content, dict):  # a folder where a file should be
                (folder / file).mkdir()
                for inner, text in content.items():
                    (folder / file / inner).write_text(text)
                continue
            data = content.encode("utf-8") if isinstance(content, str) else content
            (folder / file).write_bytes(data)
        (folder / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    mixed = HERE / "_loads_mixed_encodings"
    mixed.mkdir()
    (mixed / "pupils.csv").write_bytes(MIXED_ENCODINGS)
    print(f"{len(CASES)} broken exports written to {HERE}")


if __name__ == "__main__":
    main()
