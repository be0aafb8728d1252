"""Committee reports: the committee notebook run headless by papermill, written as HTML (and PDF).

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
from ._paths import SAMPLE_DIR, VOILA_APPS_DIR
from .exceptions import SendlibError
from .loader import input_hashes

COMMITTEE_NOTEBOOK = VOILA_APPS_DIR / "local_committee.ipynb"
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
    from . import __version__

    hashes = input_hashes(data_dir)
    made = dt.datetime.now()
    footer = (
        f"Made by sendlib {__version__} on {made:%d %B %Y at %H:%M}. Parameters: school = {school}; "
        f"data = {data_dir.name}. Input files (SHA-256): "
        + "; ".join(f"{name} {digest[:16]}" for name, digest in hashes.items())
        + "."
    )
    # the same audit trail, whole and machine-readable, in the page's metadata
    meta = {
        "generator": f"sendlib {__version__}",
        "sendlib-made": made.isoformat(timespec="seconds"),
        "sendlib-parameters": json.dumps({"school": school, "data": data_dir.name, "report_mode": True}),
        **{f"sendlib-input-sha256:{name}": digest for name, digest in hashes.items()},
    }
    page = render.report(notebook_outputs_html(notebook), f"{school}: SEND report", footer, meta)
    target = out_dir / f"{safe_name(school)}.html"
    target.write_text(page, encoding="utf-8")
    written = {"html": target}
    chromium = next((c for c in CHROMIUM if os.path.exists(c)), None) or shutil.which("chromium")
    if pdf and chromium:
        pdf_path = target.with_suffix(".pdf")
        subprocess.run(
            [
                chromium,
                *CHROMIUM_FLAGS,
                "--no-pdf-header-footer",
                f"--print-to-pdf={pdf_path}",
                target.resolve().as_uri(),
            ],
            check=False,
            capture_output=True,
            timeout=120,
        )
        if pdf_path.exists():
            written["pdf"] = pdf_path
    return written


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
