"""The ``sendlib`` command: ``validate``, ``report``, ``dashboards`` and ``access``.

Exit codes: 0 success, 1 problems found (or an error), 2 a usage error. Errors are
printed as sentences, never as tracebacks (set SENDLIB_DEBUG=1 to see one).
"""
from __future__ import annotations

import argparse
import os
import sys
import traceback
from pathlib import Path

import pandas as pd

from . import __version__
from .codes import BROAD_AREAS, SEN_PROVISION
from .exceptions import DataError, SendlibError, format_problems
from .loader import TrustData, load_trust
from .schema import TABLES

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
_PROVISION_LABELS = {"N": "N no SEN", "K": "K SEN support", "E": "E EHC plan"}


def validation_summary(trust: TrustData) -> str:
    """A readable account of a loaded export folder: files, counts, notes and problems."""
    lines = [f"Export folder: {trust.source}"]
    read = [f"{trust.files[n]} ({len(getattr(trust, n)):,} rows)" for n in TABLES if n in trust.files
            and getattr(trust, n) is not None]
    absent = [f"{n}.csv" for n in TABLES if n not in trust.files]
    lines.append("Files read: " + (", ".join(read) or "none"))
    if absent:
        lines.append("Not in the folder (optional): " + ", ".join(absent))
    pupils = trust.pupils
    lines += ["", f"Pupils by school and SEN provision ({len(pupils):,} pupils):"]
    table = pd.crosstab(pupils["school"], pupils["sen_provision"], margins=True, margins_name="Total")
    table = table.reindex(columns=[c for c in [*SEN_PROVISION, "Total"] if c in table.columns])
    table.columns = [_PROVISION_LABELS.get(c, c) for c in table.columns]
    table.index.name = table.columns.name = None
    lines += ["  " + line for line in table.to_string().splitlines()]
    send = pupils[pupils["sen_provision"].isin(["K", "E"])]
    if len(send):
        lines += ["", "Pupils at SEN support (K) or with an EHC plan (E) by broad area of need:"]
        areas = send["need_area"].fillna("Need not recorded")
        by_area = pd.crosstab(areas, send["sen_provision"]).reindex(
            index=[a for a in [*BROAD_AREAS, "Need not recorded"] if a in set(areas)],
            columns=[c for c in ("K", "E") if c in set(send["sen_provision"])])
        by_area.columns = [_PROVISION_LABELS[c] for c in by_area.columns]
        by_area.index.name = by_area.columns.name = None
        lines += ["  " + line for line in by_area.to_string().splitlines()]
    if "eal" in pupils:
        eal = pupils["eal"]
        lines.append(f"\nEnglish as an additional language: {int(eal.sum()):,} pupils "
                     f"({eal.mean() * 100:.0f}% of those with a first language recorded); "
                     f"{int(eal.isna().sum()):,} unknown")
    if trust.assessments is not None:
        no_score = trust.assessments["no_score"].value_counts()
        detail = ", ".join(f"{n:,} {reason}" for reason, n in no_score.items())
        lines.append(f"Scores: {len(trust.assessments):,} rows; {int(no_score.sum()):,} with no score"
                     + (f" ({detail})" if detail else ""))
    if trust.notes:
        lines += ["", "Notes:"] + [f"  {note}" for note in trust.notes]
    lines.append("")
    if len(trust.problems):
        lines.append(format_problems(trust.problems, f"{len(trust.problems)} problem(s) found", limit=None))
    else:
        lines.append("No problems found.")
    return "\n".join(lines)


def _validate(args) -> int:
    path = Path(args.path)
    if not path.is_dir():
        print(f"sendlib validate: {path} is not a folder; give the export folder that holds pupils.csv",
              file=sys.stderr)
        return EXIT_USAGE
    try:
        trust = load_trust(path, strict=False)
    except DataError as error:
        print(error)
        return EXIT_PROBLEMS
    print(validation_summary(trust))
    return EXIT_PROBLEMS if len(trust.problems) else EXIT_OK


def _report(args) -> int:
    from .reports import all_committee_reports, committee_report

    if bool(args.school) == bool(args.all_schools):
        print("sendlib report: give --school NAME or --all-schools", file=sys.stderr)
        return EXIT_USAGE
    data = Path(args.data) if args.data else None
    if data is not None and not data.is_dir():
        print(f"sendlib report: {data} is not a folder", file=sys.stderr)
        return EXIT_USAGE
    trust = load_trust(data, strict=False) if data else None
    from .loader import load_sample

    trust = trust or load_sample()
    if args.all_schools:
        results, failures = all_committee_reports(trust.schools, data, args.out, pdf=not args.no_pdf)
        for school, paths in sorted(results.items()):
            print(f"{school}: " + ", ".join(str(p) for p in paths.values()))
        for school, message in failures.items():
            print(f"{school}: failed: {message}", file=sys.stderr)
        return EXIT_PROBLEMS if failures else EXIT_OK
    if args.school not in trust.schools:
        print(f"sendlib report: no school called {args.school!r}; the schools are: {', '.join(trust.schools)}",
              file=sys.stderr)
        return EXIT_USAGE
    paths = committee_report(args.school, data, args.out, pdf=not args.no_pdf)
    print(", ".join(str(p) for p in paths.values()))
    return EXIT_OK


def _dashboards(args) -> int:
    from .dashboards import serve

    if args.data and not Path(args.data).is_dir():
        print(f"sendlib dashboards: {args.data} is not a folder", file=sys.stderr)
        return EXIT_USAGE
    if args.access and not Path(args.access).is_file():
        print(f"sendlib dashboards: no access file {args.access}", file=sys.stderr)
        return EXIT_USAGE
    return serve(data_dir=args.data, port=args.port, access=args.access)


def _access(args) -> int:
    from .access import new_token, read_access_log
    from .dashboards import check_access

    if args.action == "token":
        token, line = new_token()
        print(f"Personal token (give it to the user, privately; sendlib keeps only its hash):\n  {token}\n"
              f"Line for the user's section of the access file:\n  {line}")
        return EXIT_OK
    if not args.file:
        print(f"sendlib access {args.action}: give the access file", file=sys.stderr)
        return EXIT_USAGE
    if args.action == "check":
        policy = check_access(args.file, args.data)
        for user in policy.users.values():
            print(f"{user.name}: {user.role}, " + ("all schools" if user.schools is None else ", ".join(user.schools)))
        print(f"{args.file}: {len(policy.users)} users, sign-in by {policy.login}; no problems found.")
        return EXIT_OK
    policy = check_access(args.file, args.data)
    log = read_access_log(policy.log_file)
    print(log.tail(args.last).to_string(index=False) if len(log) else f"{policy.log_file}: nothing logged yet")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sendlib", description="SEND decision-making for English schools: check an export folder, "
                                    "serve the dashboards, write committee reports.")
    parser.add_argument("--version", action="version", version=f"sendlib {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    validate = commands.add_parser("validate", help="check an export folder and summarise it",
                                   description="Check every file of an export folder against the data "
                                               "contract; print a summary and every problem. Exit 0 when "
                                               "clean, 1 when problems were found.")
    validate.add_argument("path", help="the export folder (CSV or XLSX files)")
    validate.set_defaults(run=_validate)
    report = commands.add_parser("report", help="write Local Committee reports (HTML, and PDF with Chromium)",
                                 description="Run the committee page headless for one school or every school "
                                             "and write a self-contained HTML file (and a PDF).")
    report.add_argument("--school", help="the school to report on")
    report.add_argument("--all-schools", action="store_true", help="every school, in parallel")
    report.add_argument("--data", help="the export folder (default: the bundled sample trust)")
    report.add_argument("--out", default="reports", help="folder for the reports (default: reports)")
    report.add_argument("--no-pdf", action="store_true", help="HTML only")
    report.set_defaults(run=_report)
    dashboards = commands.add_parser("dashboards", help="serve the dashboards (Voila) on this computer",
                                     description="Serve the SENCO, planner and committee dashboards on "
                                                 "127.0.0.1 with a login token printed in the URL.")
    dashboards.add_argument("--data", help="the export folder (default: the bundled sample trust)")
    dashboards.add_argument("--port", type=int, default=8866, help="port (default 8866)")
    dashboards.add_argument("--access", help="access file (users, roles, schools); without it: this computer "
                                             "only, one token")
    dashboards.set_defaults(run=_dashboards)
    access = commands.add_parser("access", help="make personal tokens; check an access file; read its log",
                                 description="token: print a new personal token and the line for the access "
                                             "file. check FILE: check the access file (and that its schools "
                                             "are in --data). log FILE: the last lines of the access log.")
    access.add_argument("action", choices=["token", "check", "log"])
    access.add_argument("file", nargs="?", help="the access file (check, log)")
    access.add_argument("--data", help="the export folder (default: the bundled sample trust)")
    access.add_argument("--last", type=int, default=50, help="log: how many lines (default 50)")
    access.set_defaults(run=_access)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        return args.run(args)
    except SendlibError as error:
        print(f"sendlib: {error}", file=sys.stderr)
        return EXIT_PROBLEMS
    except Exception as error:  # noqa: BLE001 - the boundary: a sentence, not a traceback
        if os.environ.get("SENDLIB_DEBUG"):
            traceback.print_exc()
        print(f"sendlib: unexpected error ({type(error).__name__}: {error}). "
              "Set SENDLIB_DEBUG=1 to see the details, and please report it.", file=sys.stderr)
        return EXIT_PROBLEMS


if __name__ == "__main__":
    sys.exit(main())
