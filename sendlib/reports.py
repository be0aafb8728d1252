"""Reports: the committee notebook run headless by papermill for a school's committee page, and
the evidence-pack notebook for a pupil's evidence for an EHC needs assessment, each written as
HTML (and PDF).

The HTML is self-contained: the notebook's outputs (HTML tables and PNG figures, no code,
no widgets, no scripts) in one page, with a footer that records the parameters, the
sendlib version and a hash of each input file (the audit trail).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from . import render
from ._paths import NOTEBOOKS_DIR, SAMPLE_DIR, VOILA_APPS_DIR
from .exceptions import AccessDenied, SendlibError
from .loader import input_hashes

COMMITTEE_NOTEBOOK = VOILA_APPS_DIR / "local_committee.ipynb"
EVIDENCE_NOTEBOOK = NOTEBOOKS_DIR / "06-evidence-pack.ipynb"
EVIDENCE_APP = "evidence"  # how the access log names the evidence pack
CHROMIUM = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
# headless, no sandbox (CI runs as root), and no calls to Google's blocked hosts
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
REPORT_TIMEOUT = 600  # seconds a notebook cell may run
KERNEL_STARTS = 3  # tries to start a notebook's kernel (see run_notebook)


def run_notebook(path: str | Path, output: str | Path, parameters: dict, cwd: str | Path, **options):
    """Run a notebook headless with papermill (Python kernel, no progress bar): the executed
    notebook, raising on a cell's error.

    A kernel that dies before it answers is started again, up to ``KERNEL_STARTS`` times:
    jupyter_client chooses the kernel's ports by binding free ones and releasing them, so a
    kernel started at the same moment by another process can take a port first
    (``ZMQError: Address already in use``; papermill issue 511, where the maintainers
    propose retrying with fresh ports).

    The kernel is stopped at once when the last cell has answered (nbclient's
    ``shutdown_kernel="immediate"``): its outputs are in hand, and a graceful shutdown waited
    here, in some runs, 2.5 s for the kernel to exit and then terminated it anyway ("Kernel is
    taking too long to finish"), a third of a short notebook's run.
    """
    import papermill

    for attempt in range(1, KERNEL_STARTS + 1):
        try:
            return papermill.execute_notebook(
                str(path),
                str(output),
                parameters=parameters,
                kernel_name="python3",
                cwd=str(cwd),
                progress_bar=False,
                shutdown_kernel="immediate",
                # not its warning that the kernel's local TCP is unencrypted on every report run
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
                **options,
            )
        except RuntimeError as error:
            if "before replying to kernel_info" not in str(error) or attempt == KERNEL_STARTS:
                raise
    raise AssertionError("unreachable")  # the loop returns or raises


def safe_name(school: str) -> str:
    """A file name for a school.

    >>> safe_name("St Aidan's C of E Primary")
    'st-aidan-s-c-of-e-primary'
    """
    return re.sub(r"[^a-z0-9]+", "-", school.lower()).strip("-") or "school"


def notebook_outputs_html(notebook) -> list[str]:
    """The outputs of an executed notebook as HTML fragments: HTML, PNG and plain text only."""
    parts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if output.get("output_type") == "error":
                raise SendlibError(f"The report notebook failed: {output.get('ename')}: {output.get('evalue')}")
            if "text/html" in data:
                parts.append("".join(data["text/html"]))
            elif "image/png" in data:
                parts.append(f"<img alt='figure' src='data:image/png;base64,{data['image/png']}'>")
    return parts


def committee_report(
    school: str, data_dir: str | Path | None = None, out_dir: str | Path = "reports", pdf: bool = True
) -> dict[str, Path]:
    """Run the committee notebook for one school in report mode; write HTML (and PDF).

    Returns
    -------
    dict with ``html`` (and ``pdf`` when Chromium is present and ``pdf`` is True) paths.
    """
    import papermill

    data_dir = Path(data_dir) if data_dir else SAMPLE_DIR
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    parameters = {"data_dir": str(data_dir.resolve()), "school": school, "report_mode": True}
    with tempfile.TemporaryDirectory() as work:
        executed = Path(work) / "committee.ipynb"
        try:
            notebook = run_notebook(
                COMMITTEE_NOTEBOOK, executed, parameters, VOILA_APPS_DIR, execution_timeout=REPORT_TIMEOUT
            )
        except papermill.PapermillExecutionError as error:
            raise SendlibError(f"The report for {school} could not be made: {error.ename}: {error.evalue}") from None
    footer, meta = audit_trail(data_dir, {"school": school}, {"report_mode": True})
    page = render.report(notebook_outputs_html(notebook), f"{school}: SEND report", footer, meta)
    return write_page(page, out_dir / f"{safe_name(school)}.html", pdf)


def write_page(page: str, target: Path, pdf: bool = True) -> dict[str, Path]:
    """Write a report's HTML to ``target`` and, with ``pdf``, print it beside it: the paths
    written, by kind (``html``, ``pdf`` when Chromium printed it)."""
    target.write_text(page, encoding="utf-8")
    written = {"html": target}
    pdf_path = print_pdf(target) if pdf else None
    if pdf_path is not None:
        written["pdf"] = pdf_path
    return written


def audit_trail(data_dir: Path, parameters: dict[str, str], recorded: dict | None = None) -> tuple[str, dict[str, str]]:
    """A report's audit trail: the footer (sendlib's version, when it was made, ``parameters``,
    the export folder and a hash of each input file) and the same, whole and machine-readable,
    as the page's metadata (``recorded``: parameters for the metadata only)."""
    from . import __version__

    hashes = input_hashes(data_dir)
    made = dt.datetime.now()
    shown = {**parameters, "data": data_dir.name}
    footer = (
        f"Made by sendlib {__version__} on {made:%d %B %Y at %H:%M}. Parameters: "
        + "; ".join(f"{name} = {value}" for name, value in shown.items())
        + ". Input files (SHA-256): "
        + "; ".join(f"{name} {digest[:16]}" for name, digest in hashes.items())
        + "."
    )
    meta = {
        "generator": f"sendlib {__version__}",
        "sendlib-made": made.isoformat(timespec="seconds"),
        "sendlib-parameters": json.dumps({**shown, **(recorded or {})}),
        **{f"sendlib-input-sha256:{name}": digest for name, digest in hashes.items()},
    }
    return footer, meta


def chromium() -> str | None:
    """Debian's Chromium (or another Chrome), or None when none is installed."""
    return next((c for c in CHROMIUM if os.path.exists(c)), None) or shutil.which("chromium")


def print_pdf(html_path: Path, timeout: float = 120) -> Path | None:
    """Print a self-contained HTML page to a PDF beside it (the same name, ``.pdf``) with headless
    Chromium, without the browser's header and footer: the PDF's path, or None when Chromium is
    not installed or did not print it."""
    browser = chromium()
    if browser is None:
        return None
    pdf_path = html_path.with_suffix(".pdf")
    pdf_path.unlink(missing_ok=True)  # an old PDF is not this page's
    try:
        subprocess.run(
            [
                browser,
                *CHROMIUM_FLAGS,
                "--no-pdf-header-footer",
                f"--print-to-pdf={pdf_path}",
                html_path.resolve().as_uri(),
            ],
            check=False,
            capture_output=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return None
    return pdf_path if pdf_path.exists() else None


def checked_pupil(upn: str, data_dir: Path, user: str | None, what: str):
    """The access check of a pupil's evidence pack and one-page summary: ``(policy, trust,
    school)`` when ``user`` may make ``what`` for the pupil (anyone, without an access file).

    Under an access file ``user`` must be one of its users whose role may open the SENCO pupil
    explorer and who has the pupil's school; anyone else is refused
    (:class:`sendlib.exceptions.AccessDenied`) with a line in the access log, the pupil named by
    pseudonymised key. A UPN of no pupil raises :class:`SendlibError`."""
    from .access import current_policy, log_access, pseudonym
    from .loader import load

    policy = current_policy()
    trust = load(data_dir)
    school = trust.pupils.loc[trust.pupils["upn"] == upn, "school"]
    school = str(school.iloc[0]) if len(school) else ""
    if policy is not None:
        person = policy.user(user)
        try:
            if person is None:
                raise AccessDenied(
                    f"An access file is in use ({policy.path.name}): give the name of one of its users"
                    + (f"; {user!r} is not one." if user else ".")
                )
            person.check_app("senco")
            if school not in person.allowed(trust.schools):  # (another school's pupil, or nobody: the same words)
                mine = ", ".join(person.allowed(trust.schools)) or "none"
                raise AccessDenied(
                    f"{person.name} may make {what} only for pupils of their own schools ({mine}); "
                    f"no pupil with UPN {upn} is at one of them."
                )
        except AccessDenied as error:
            detail = f"{error} Pupil {pseudonym(upn, policy.secret())}."
            log_access(policy, user or "?", EVIDENCE_APP, school, "refused", detail.replace(upn, "(the UPN)"))
            raise
    if not school:
        raise SendlibError(f"No pupil with UPN {upn} in {data_dir.name}/pupils.csv.")
    return policy, trust, school


def file_name(kind: str, upn: str) -> str:
    """``<kind>-<UPN>.html``: a pupil's page, named by UPN with nothing but letters and digits."""
    return f"{kind}-{re.sub(r'[^A-Z0-9]+', '-', upn)}.html"


def evidence_report(
    upn: str,
    data_dir: str | Path | None = None,
    out_dir: str | Path = "packs",
    pdf: bool = True,
    user: str | None = None,
) -> dict[str, Path]:
    """Run the evidence-pack notebook for one pupil; write ``evidence-<UPN>.html`` (and PDF).

    Under an access file (``$SENDLIB_ACCESS``, :func:`sendlib.access.current_policy`) ``user``
    must be one of its users whose role may open the SENCO pupil explorer and who has the
    pupil's school; anyone else is refused (:class:`sendlib.exceptions.AccessDenied`), and both
    the refusal and every pack made are written to the access log, the pupil named by
    pseudonymised key.

    Returns
    -------
    dict with ``html`` (and ``pdf`` when Chromium is present and ``pdf`` is True) paths.
    """
    import papermill

    data_dir = Path(data_dir) if data_dir else SAMPLE_DIR
    upn = str(upn).strip().upper()
    policy, trust, school = checked_pupil(upn, data_dir, user, "evidence packs")
    parameters = {"data_dir": str(data_dir.resolve()), "upn": upn}
    with tempfile.TemporaryDirectory() as work:
        try:
            notebook = run_notebook(
                EVIDENCE_NOTEBOOK,
                Path(work) / "evidence.ipynb",
                parameters,
                NOTEBOOKS_DIR,
                execution_timeout=REPORT_TIMEOUT,
            )
        except papermill.PapermillExecutionError as error:
            raise SendlibError(f"The evidence pack could not be made: {error.ename}: {error.evalue}") from None
    parts = notebook_outputs_html(notebook)
    if not any("sendlib-evidence" in part for part in parts):  # the notebook showed what went wrong instead
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", "".join(parts))).strip()
        raise SendlibError(f"The evidence pack could not be made: {text or 'the notebook showed nothing'}")
    from .evidence import PERSONAL_DATA, pack_title

    footer, meta = audit_trail(data_dir, {"pupil": upn}, {"user": user} if user else None)
    footer = f"Data as of {trust.as_of:%d %B %Y}. {PERSONAL_DATA.format('pack')} {footer}"
    page = render.report(parts, pack_title(trust, upn), footer, meta)
    return _logged_and_written(page, "evidence", upn, (policy, user, school), out_dir, pdf)


def _logged_and_written(page: str, kind: str, upn: str, who, out_dir, pdf: bool) -> dict[str, Path]:
    """A pupil's page (``kind``: ``evidence``, ``summary``) written to ``out_dir`` as
    ``<kind>-<UPN>.html`` (and PDF), after its line in the access log when there is an access
    file (``who``: the policy, the user and the pupil's school from :func:`checked_pupil`):
    no page without its line."""
    from .access import log_access, pseudonym

    policy, user, school = who
    if policy is not None:
        event = {"evidence": "evidence pack built", "summary": "pupil summary built"}[kind]
        log_access(policy, user or "?", EVIDENCE_APP, school, event, pseudonym(upn, policy.secret()))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return write_page(page, out_dir / file_name(kind, upn), pdf)


def summary_report(
    upn: str,
    data_dir: str | Path | None = None,
    out_dir: str | Path = "packs",
    pdf: bool = True,
    user: str | None = None,
) -> dict[str, Path]:
    """Write a pupil's one-page summary for a meeting with their parents
    (:mod:`sendlib.summary`): ``summary-<UPN>.html`` (and its A4 PDF), with the evidence pack's
    access check (:func:`checked_pupil`) and a line in the access log ("pupil summary built").

    Returns
    -------
    dict with ``html`` (and ``pdf`` when Chromium is present and ``pdf`` is True) paths.
    """
    from .summary import pupil_summary, summary_html

    data_dir = Path(data_dir) if data_dir else SAMPLE_DIR
    upn = str(upn).strip().upper()
    policy, trust, school = checked_pupil(upn, data_dir, user, "pupil summaries")
    summary = pupil_summary(trust, upn)
    footer, meta = audit_trail(data_dir, {"pupil": upn}, {"user": user} if user else None)
    page = summary_html(summary, f"{summary.footer} {footer}", meta)
    return _logged_and_written(page, "summary", upn, (policy, user, school), out_dir, pdf)


def all_committee_reports(schools: list[str], data_dir=None, out_dir="reports", pdf=True, workers: int = 2):
    """Every school's report in parallel worker processes, with a progress bar."""
    from tqdm.auto import tqdm

    results, failures = {}, {}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(committee_report, s, data_dir, out_dir, pdf): s for s in schools}
        for future in tqdm(as_completed(futures), total=len(futures), desc="Committee reports"):
            school = futures[future]
            try:
                results[school] = future.result()
            except SendlibError as error:
                failures[school] = str(error)
    return results, failures
