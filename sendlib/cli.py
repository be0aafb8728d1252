"""The ``sendlib`` command: ``validate``, ``report``, ``evidence``, ``forecast``, ``provision``, ``dashboards``
and ``access``.

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
from ._paths import SAMPLE_DIR
from .codes import BROAD_AREAS, SEN_PROVISION
from .exceptions import DataError, SendlibError, format_problem
from .loader import TrustData, load_sample, load_trust, loose
from .profiles import PROFILES
from .schema import TABLES

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
_PROVISION_LABELS = {"N": "N no SEN", "K": "K SEN support", "E": "E EHC plan"}


def validation_summary(trust: TrustData) -> str:
    """A readable account of a loaded export folder: what each file gave, the counts, the data
    date, notes and problems (repeated problems grouped)."""
    lines = [f"Export folder: {trust.source}", f"Data as of {trust.as_of:%d %B %Y} (from {trust.as_of_source})."]
    if trust.as_of_warning:
        lines.append("Warning: " + trust.as_of_warning)
    lines += ["", "Files read:"]
    for file, table, rows, read, not_read, profile in trust.reading.itertuples(index=False):
        lines.append(
            f"  {file}: {table}, {rows:,} rows; {len(read.split(', ')) if read else 0} columns read"
            + (f"; not read: {not_read}" if not_read else "")
            + (f" ({profile})" if profile else "")
        )
    absent = [f"{n}.csv" for n in TABLES if n not in trust.files and n != "scales"]
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
            columns=[c for c in ("K", "E") if c in set(send["sen_provision"])],
        )
        by_area.columns = [_PROVISION_LABELS[c] for c in by_area.columns]
        by_area.index.name = by_area.columns.name = None
        lines += ["  " + line for line in by_area.to_string().splitlines()]
    if "eal" in pupils:
        eal = pupils["eal"]
        share = (
            f"{eal.mean() * 100:.0f}% of those with a first language recorded"
            if eal.notna().any()
            else "no first language recorded"
        )
        lines.append(
            f"\nEnglish as an additional language: {int(eal.sum()):,} pupils ({share}); "
            f"{int(eal.isna().sum()):,} unknown"
        )
    if trust.assessments is not None:
        no_score = trust.assessments["no_score"].value_counts()
        detail = ", ".join(f"{n:,} {reason}" for reason, n in no_score.items())
        lines.append(
            f"Scores: {len(trust.assessments):,} rows; {int(no_score.sum()):,} with no score"
            + (f" ({detail})" if detail else "")
        )
    if trust.notes:
        lines += ["", "Notes:"] + [f"  {note}" for note in trust.notes]
    lines.append("")
    if len(trust.problems):
        lines.append(grouped_problems(trust.problems))
    else:
        lines.append("No problems found.")
    return "\n".join(lines)


GROUP_EXAMPLES = 3  # rows named for a problem repeated down a column


def grouped_problems(problems: pd.DataFrame) -> str:
    """Every problem, with the same problem in the same file and column on one line: its count,
    then the first rows and values (a wrong convention gives thousands of the same line)."""
    n = len(problems)
    lines = [f"{n:,} problem{'s' if n != 1 else ''} found:"]
    keys = problems[["file", "column", "problem"]].fillna("")
    kind = keys["problem"].str.split(":").str[0]  # "not a valid UPN: the check letter should be L, ..."
    for (file, column, problem), group in problems.groupby([keys["file"], keys["column"], kind], sort=False):
        if len(group) <= GROUP_EXAMPLES:
            lines += ["  " + format_problem(*record) for record in group.itertuples(index=False)]
            continue
        examples = ", ".join(
            f"row {int(r)}" + (f" {str(v)[:30]!r}" if isinstance(v, str) else "")
            for r, v in zip(group["row"].head(GROUP_EXAMPLES), group["value"])
        )
        where = ", ".join(str(part) for part in (file, f"column {column}" if column else "") if part)
        first = group["problem"].iloc[0]
        lines.append(
            f"  {where}: {len(group):,} rows -- {problem}"
            + (f" (the first: {first[len(problem) + 1 :].strip()})" if first != problem else "")
            + f"; e.g. {examples}, ..."
        )
    return "\n".join(lines)


def _validate(args) -> int:
    path = Path(args.path) if args.path else SAMPLE_DIR
    if not path.is_dir():
        print(
            f"sendlib validate: {path} is not a folder; give the export folder that holds pupils.csv", file=sys.stderr
        )
        return EXIT_USAGE
    if args.suggest_mapping:
        print(suggested_mapping(path, args.profile, args.school), end="")
        return EXIT_OK
    try:
        trust = load_trust(path, strict=False, profile=args.profile, school=args.school)
    except DataError as error:
        print(f"{path}: nothing could be loaded.\n" + grouped_problems(error.problems))
        print("\n`sendlib validate --suggest-mapping` proposes a mapping.toml for headers sendlib does not know.")
        return EXIT_PROBLEMS
    print(validation_summary(trust))
    return EXIT_PROBLEMS if len(trust.problems) else EXIT_OK


def suggested_mapping(path: Path, profile: str | None = None, school: str | None = None) -> str:
    """A mapping.toml to fill in for an export sendlib does not fully know: its headers not
    read, and the values it could not read (when the folder loads at all)."""
    from .loader import read_folder
    from .profiles import matcher, suggest_mapping

    _, reading, problems, _, _ = read_folder(path, profile, school)
    not_read = {
        file: [h for h in headers.split(", ") if h]
        for file, headers in zip(reading["file"], reading["columns_not_read"])
        if headers
    }
    missing: dict[str, list[str]] = {}
    for problem in problems:
        if str(problem[4]).startswith("required column"):
            missing.setdefault(problem[0], []).append(problem[2])
    unknown: dict[str, list[str]] = {}
    try:
        trust = load_trust(path, strict=False, profile=profile, school=school)
    except DataError:
        trust = None
    if trust is not None:
        tables = dict(zip(trust.reading["file"], trust.reading["table"]))
        bad = trust.problems[trust.problems["problem"].str.startswith("not a") & trust.problems["value"].notna()]
        for (file, header), group in bad.groupby(["file", "column"]):
            hit = matcher(tables[file]).match(str(header)) if file in tables else None
            if hit and hit[0]:
                known = unknown.setdefault(hit[0], [])
                known += [v for v in dict.fromkeys(group["value"]) if v not in known][:50]
    return suggest_mapping(not_read, unknown, missing)


def _export_problems(trust: TrustData) -> list[str]:
    """A sentence on the export's problems (rows left out), for a command's output; none if clean."""
    if trust.problems.empty:
        return []
    n, rows = len(trust.problems), trust.rows_left_out
    left_out = f", and {rows} row{'s are' if rows != 1 else ' is'} left out" if rows else ""
    return [
        f"The export has {n} problem{'s' if n != 1 else ''}{left_out}: `sendlib validate {trust.source}` lists them."
    ]


def _load(data, command: str) -> TrustData:
    """The export folder ``data`` (the sample if none), its problems said on standard error."""
    trust = load_trust(data, strict=False) if data else load_sample()
    for sentence in _export_problems(trust):
        print(f"sendlib {command}: {sentence}", file=sys.stderr)
    return trust


def _school(name: str, trust: TrustData, command: str) -> str | None:
    """The trust's school ``name`` names, whatever its capitals and spaces (as the loader reads
    schools); None, said on standard error with the schools there are, when none."""
    found = [school for school in trust.schools if loose(school) == loose(name)]
    if not found:
        print(
            f"sendlib {command}: no school called {name!r}; the schools are: {', '.join(trust.schools)}",
            file=sys.stderr,
        )
        return None
    return found[0]


def _report(args) -> int:
    from .reports import all_committee_reports, committee_report

    if bool(args.school) == bool(args.all_schools):
        both = " (one of them, not both)" if args.school else ""
        print(f"sendlib report: give --school NAME or --all-schools{both}", file=sys.stderr)
        return EXIT_USAGE
    data = Path(args.data) if args.data else None
    if data is not None and not data.is_dir():
        print(f"sendlib report: {data} is not a folder", file=sys.stderr)
        return EXIT_USAGE
    trust = _load(data, "report")
    if args.all_schools:
        results, failures = all_committee_reports(trust.schools, data, args.out, pdf=not args.no_pdf)
        for school, paths in sorted(results.items()):
            print(f"{school}: " + ", ".join(str(p) for p in paths.values()))
        for school, message in failures.items():
            print(f"{school}: failed: {message}", file=sys.stderr)
        return EXIT_PROBLEMS if failures else EXIT_OK
    school = _school(args.school, trust, "report")
    if school is None:
        return EXIT_USAGE
    paths = committee_report(school, data, args.out, pdf=not args.no_pdf)
    print(", ".join(str(p) for p in paths.values()))
    return EXIT_OK


def _evidence(args) -> int:
    from .access import ACCESS_ENV
    from .reports import evidence_report, summary_report

    data = Path(args.data) if args.data else None
    if data is not None and not data.is_dir():
        print(f"sendlib evidence: {data} is not a folder", file=sys.stderr)
        return EXIT_USAGE
    if not args.pupil.strip():
        print("sendlib evidence: give the pupil's UPN with --pupil", file=sys.stderr)
        return EXIT_USAGE
    if args.user and not os.environ.get(ACCESS_ENV):
        print(f"sendlib evidence: no access file in use (${ACCESS_ENV}), so --user is not checked", file=sys.stderr)
    write = summary_report if args.summary else evidence_report
    paths = write(args.pupil, data, args.out, pdf=not args.no_pdf, user=args.user)
    print(", ".join(str(p) for p in paths.values()))
    return EXIT_OK


def _forecast(args) -> int:
    from .costs import cost_forecast, cost_words, scenario_cost_words, setting_shares, unit_costs
    from .forecast import (
        NeedForecaster,
        backtest,
        backtest_words,
        forecast_files,
        forecast_table,
        scenario_name,
        scenario_words,
        start_notes,
    )

    out = Path(args.out)
    if out.suffix.lower() not in (".xlsx", ".csv"):
        print(f"sendlib forecast: --out names an .xlsx or .csv file, not {out.name}", file=sys.stderr)
        return EXIT_USAGE
    if args.data and not Path(args.data).is_dir():
        print(f"sendlib forecast: {args.data} is not a folder", file=sys.stderr)
        return EXIT_USAGE
    if not 1 <= args.years <= 10:
        print("sendlib forecast: --years is 1 to 10", file=sys.stderr)
        return EXIT_USAGE
    if args.identification <= -100 or args.intake <= -100:
        print("sendlib forecast: --identification and --intake are per cent changes above -100", file=sys.stderr)
        return EXIT_USAGE
    if args.simulations < 10:
        print("sendlib forecast: --simulations is 10 or more", file=sys.stderr)
        return EXIT_USAGE
    if args.scenario_from is not None and not (args.identification or args.intake):
        print("sendlib forecast: --from is when a scenario starts: give --identification or --intake", file=sys.stderr)
        return EXIT_USAGE
    trust = _load(args.data, "forecast")
    settings = dict(
        identification_change=args.identification / 100,
        intake_change=args.intake / 100,
        scenario_from=args.scenario_from,
    )
    model = NeedForecaster(n_simulations=args.simulations, random_state=0, **settings).fit(trust)
    scenario = args.identification or args.intake  # without one, nothing to compare with
    base = NeedForecaster(n_simulations=args.simulations, random_state=0).fit(trust) if scenario else model
    simulations = model.simulate(args.years)
    table = pd.concat(
        [
            forecast_table(model, simulations, ["school", "sen_provision"]),
            forecast_table(model, simulations, ["sen_provision"]).assign(school="All schools"),
        ],
        ignore_index=True,
    ).sort_values(["year", "school", "sen_provision"], kind="stable")
    table["scenario"] = scenario_name(model)  # "Forecast with no change", or the scenario in words
    scores = backtest(NeedForecaster(n_simulations=200, random_state=0), trust, model.backtest_origins_)
    units, shares = unit_costs(trust), setting_shares(trust)
    costs = cost_forecast(model, simulations, units, None, shares)
    notes = _export_problems(trust) + start_notes(model, simulations) + scenario_words(base, model, args.years)
    spent = cost_words(costs[costs["school"] == "All schools"], units, shares)
    spent[1:1] = scenario_cost_words(base, model, args.years, units, shares)  # after the cost's own sentence
    notes += spent
    notes += ["How accurate were past forecasts (each school's counts):"]
    notes += backtest_words(scores, years=args.years)
    kind = out.suffix.lower().lstrip(".")
    data = {k: content for k, _, content in forecast_files(table, trust.as_of, notes, costs)}[kind]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    print("\n".join(notes))
    print(f"{out}: {len(table)} rows ({args.years} Januaries from {model.first_year_}, by school and in all)")
    return EXIT_OK


def _provision(args) -> int:
    from .provision import impact_words, provision_costs, provision_impact, provision_workbook

    out = Path(args.out)
    if out.suffix.lower() != ".xlsx":
        print(f"sendlib provision: --out names an .xlsx file, not {out.name}", file=sys.stderr)
        return EXIT_USAGE
    if args.data and not Path(args.data).is_dir():
        print(f"sendlib provision: {args.data} is not a folder", file=sys.stderr)
        return EXIT_USAGE
    trust = _load(args.data, "provision")
    school = _school(args.school, trust, "provision") if args.school else ""
    if school is None:
        return EXIT_USAGE
    impact = provision_impact(trust) if trust.assessments is not None else None
    data = provision_workbook(trust, school or None, impact=impact)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    costs = provision_costs(trust, school or None)
    if impact is not None:
        print("\n".join(impact_words(impact)))
    print(
        f"{out}: {costs['interventions'].sum()} provisions of {len(costs)} pupils; "
        f"{int(costs['over_threshold'].sum())} above the notional SEN threshold"
    )
    return EXIT_OK


def _dashboards(args) -> int:
    from .dashboards import serve

    if args.data and not Path(args.data).is_dir():
        print(f"sendlib dashboards: {args.data} is not a folder", file=sys.stderr)
        return EXIT_USAGE
    if args.access and not Path(args.access).is_file():
        print(f"sendlib dashboards: no access file {args.access}", file=sys.stderr)
        return EXIT_USAGE
    try:
        trust = _load(args.data, "dashboards")
        print(
            f"sendlib dashboards: data as of {trust.as_of:%d %B %Y} (from {trust.as_of_source})."
            + (f" Warning: {trust.as_of_warning}" if trust.as_of_warning else "")
        )
    except DataError:
        pass  # the pages themselves say what is wrong with the export
    return serve(data_dir=args.data, port=args.port, access=args.access)


def _access(args) -> int:
    from .access import new_token, read_access_log
    from .dashboards import check_access

    if args.action == "token":
        token, line = new_token()
        print(
            f"Personal token (give it to the user, privately; sendlib keeps only its hash):\n  {token}\n"
            f"Line for the user's section of the access file:\n  {line}"
        )
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
    assert policy.log_file is not None  # an access file read from disk always has one
    log = read_access_log(policy.log_file)
    print(log.tail(args.last).to_string(index=False) if len(log) else f"{policy.log_file}: nothing logged yet")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sendlib",
        description="SEND decision-making for English schools: check an export folder, "
        "serve the dashboards, write committee reports and pupils' evidence packs.",
    )
    parser.add_argument("--version", action="version", version=f"sendlib {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    validate = commands.add_parser(
        "validate",
        help="check an export folder and summarise it",
        description="Check every file of an export folder against the data "
        "contract; print a summary and every problem. Exit 0 when "
        "clean, 1 when problems were found.",
    )
    validate.add_argument(
        "path",
        nargs="?",
        help="the export folder (CSV or XLSX files, or a folder per school); default: the sample trust",
    )
    validate.add_argument(
        "--profile", help="prefer one import profile where vendors' headers disagree: " + ", ".join(PROFILES)
    )
    validate.add_argument("--school", help="the school of files that do not name it (one school's export)")
    validate.add_argument(
        "--suggest-mapping",
        action="store_true",
        help="print a mapping.toml to fill in for headers and values sendlib does not know",
    )
    validate.set_defaults(run=_validate)
    report = commands.add_parser(
        "report",
        help="write Local Committee reports (HTML, and PDF with Chromium)",
        description="Run the committee page headless for one school or every school "
        "and write a self-contained HTML file (and a PDF).",
    )
    report.add_argument("--school", help="the school to report on")
    report.add_argument("--all-schools", action="store_true", help="every school, in parallel")
    report.add_argument("--data", help="the export folder (default: the bundled sample trust)")
    report.add_argument("--out", default="reports", help="folder for the reports (default: reports)")
    report.add_argument("--no-pdf", action="store_true", help="HTML only")
    report.set_defaults(run=_report)
    evidence = commands.add_parser(
        "evidence",
        help="write a pupil's evidence pack for an EHC needs assessment (HTML, and PDF with Chromium)",
        description="One pupil's evidence for a request for an EHC needs assessment: needs over time, support "
        "plans, provision and its cost, progress with charts, EAL evidence, parent meetings and the EHC "
        "process so far, as a self-contained HTML file (and a PDF) that holds personal data. Under an access "
        "file (SENDLIB_ACCESS) give --user: a SENCO of the pupil's school.",
    )
    evidence.add_argument("--pupil", required=True, metavar="UPN", help="the pupil's UPN")
    evidence.add_argument("--data", help="the export folder (default: the bundled sample trust)")
    evidence.add_argument("--out", default="packs", help="folder for the pack (default: packs)")
    evidence.add_argument("--no-pdf", action="store_true", help="HTML only")
    evidence.add_argument("--user", help="who makes the pack: a user of the access file, when there is one")
    evidence.add_argument(
        "--summary",
        action="store_true",
        help="instead of the pack, the pupil's one-page summary for a meeting with their parents (one A4 page)",
    )
    evidence.set_defaults(run=_evidence)
    forecast = commands.add_parser(
        "forecast",
        help="forecast SEN support and EHC plans by school into a spreadsheet",
        description="Forecast pupils on SEN support and with EHC plans for the next Januaries, by school "
        "and for the trust, with 80% and 95% ranges, the back-test and where the forecast starts; "
        "write them to an XLSX (a Notes sheet with the sentences) or a CSV file.",
    )
    forecast.add_argument("--data", help="the export folder (default: the bundled sample trust)")
    forecast.add_argument("--out", required=True, help="the file to write, FILE.xlsx or FILE.csv")
    forecast.add_argument("--years", type=int, default=3, help="how many Januaries ahead, 1 to 10 (default 3)")
    forecast.add_argument("--simulations", type=int, default=1000, help="simulations, 10 or more (default 1000)")
    forecast.add_argument(
        "--identification", type=float, default=0, help="scenario: change in new identification, %% (e.g. 10)"
    )
    forecast.add_argument("--intake", type=float, default=0, help="scenario: change in pupils joining, %% (e.g. -5)")
    forecast.add_argument(
        "--from", dest="scenario_from", type=int, help="scenario: first January it changes (default: every year)"
    )
    forecast.set_defaults(run=_forecast)
    provision = commands.add_parser(
        "provision",
        help="write the provision map, its costs and what works to a spreadsheet",
        description="The provision map (provisions.csv) as an XLSX workbook: each pupil's provision with hours "
        "and cost, each pupil's cost against the £6,000 notional SEN threshold, a summary by broad area, "
        "what works (each intervention's measured effect) and notes.",
    )
    provision.add_argument("--data", help="the export folder (default: the bundled sample trust)")
    provision.add_argument("--out", required=True, help="the file to write, FILE.xlsx")
    provision.add_argument("--school", help="one school (default: every school)")
    provision.set_defaults(run=_provision)
    dashboards = commands.add_parser(
        "dashboards",
        help="serve the dashboards (Voila) on this computer",
        description="Serve the SENCO, planner and committee dashboards on "
        "127.0.0.1 with a login token printed in the URL.",
    )
    dashboards.add_argument("--data", help="the export folder (default: the bundled sample trust)")
    dashboards.add_argument("--port", type=int, default=8866, help="port (default 8866)")
    dashboards.add_argument(
        "--access", help="access file (users, roles, schools); without it: this computer only, one token"
    )
    dashboards.set_defaults(run=_dashboards)
    access = commands.add_parser(
        "access",
        help="make personal tokens; check an access file; read its log",
        description="token: print a new personal token and the line for the access "
        "file. check FILE: check the access file (and that its schools "
        "are in --data). log FILE: the last lines of the access log.",
    )
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
        code = args.run(args)
        sys.stdout.flush()  # here, not at exit: a reader gone (| head) is a BrokenPipeError below
        return code
    except SendlibError as error:
        print(f"sendlib: {error}", file=sys.stderr)
        return EXIT_PROBLEMS
    except BrokenPipeError:  # its output piped into a reader that stopped (| head): nothing to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as error:  # a file or folder that cannot be read or written
        where = f" {error.filename}" if error.filename else ""
        why = (
            "a file stands where a folder is needed"
            if isinstance(error, (FileExistsError, NotADirectoryError))
            else error.strerror or error
        )
        print(f"sendlib: cannot use{where}: {why}", file=sys.stderr)
        return EXIT_PROBLEMS
    except Exception as error:
        if os.environ.get("SENDLIB_DEBUG"):
            traceback.print_exc()
        print(
            f"sendlib: unexpected error ({type(error).__name__}: {error}). "
            "Set SENDLIB_DEBUG=1 to see the details, and please report it.",
            file=sys.stderr,
        )
        return EXIT_PROBLEMS


if __name__ == "__main__":
    sys.exit(main())
