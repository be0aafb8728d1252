"""The built wheel is the whole product: installed in a fresh virtual environment, run from a
folder outside the repository, it validates the bundled sample and serves its dashboards.

The new environment installs only the wheel (``--no-deps``); its dependencies come from the
test environment's site-packages through a ``.pth`` line, so nothing is downloaded, and the
repository's own files (the editable install) are out of its reach."""

import os
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
import venv

import pytest

from sendlib._testing import free_port

# the installed copy alone: a PYTHONPATH the tests run with (a checkout) would come first in sys.path,
# and pip would take the checkout for the wheel already installed
ENV = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    root = tmp_path_factory.mktemp("wheel")
    repository = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(root), repository],
        env=ENV,
        check=True,
        capture_output=True,
    )
    (wheel,) = root.glob("sendlib-*.whl")
    venv.create(root / "env", with_pip=False)
    python = root / "env" / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        env=ENV,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    with open(os.path.join(site, "test-dependencies.pth"), "w") as pth:
        pth.write(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)],
        env=ENV,
        check=True,
        capture_output=True,
    )
    outside = root / "elsewhere"
    outside.mkdir()
    return root / "env" / "bin", outside


def test_the_wheel_carries_the_sample_the_reference_data_and_the_notebooks(installed):
    bin_dir, outside = installed
    where = subprocess.run(
        [
            bin_dir / "python",
            "-c",
            "import sendlib, sendlib._paths as p; print(sendlib.__file__); "
            "print(len(list(p.REFERENCE_DIR.glob('*.csv'))), len(list(p.VOILA_APPS_DIR.glob('*.ipynb'))), "
            "len(list(p.NOTEBOOKS_DIR.glob('*.ipynb'))), (p.PACKAGE / 'templates' / 'committee.html.j2').exists(), "
            "(p.JUPYTER_DATA_DIR / 'voila' / 'templates' / p.VOILA_TEMPLATE / 'conf.json').exists())",
        ],
        cwd=outside,
        env=ENV,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\n")
    assert where[0].startswith(str(bin_dir.parent)), where  # the installed copy, not the repository
    references, apps, notebooks, template, voila_template = where[1].split()
    assert int(references) > 5 and apps == "3" and notebooks == "6" and template == voila_template == "True"
    result = subprocess.run([bin_dir / "sendlib", "validate"], cwd=outside, env=ENV, capture_output=True, text=True)
    assert result.returncode == 0 and "No problems found" in result.stdout, result.stdout[-500:] + result.stderr


@pytest.mark.browser
def test_the_installed_wheel_serves_the_sample_dashboards(installed, browser):
    bin_dir, outside = installed
    port = free_port()
    server = subprocess.Popen(
        [bin_dir / "sendlib", "dashboards", "--port", str(port)],
        cwd=outside,
        stdout=subprocess.PIPE,
        stderr=(outside / "voila.log").open("w"),
        # Voila's page templates are data files of its own installation (share/jupyter), which
        # the .pth line does not bring: a pip install of the wheel would put them in the venv
        env={**ENV, "JUPYTER_PATH": os.path.join(sys.prefix, "share", "jupyter")},
        text=True,
    )
    try:
        url = next(line.strip() for line in server.stdout if "/committee?token=" in line)
        for _ in range(240):  # the address is printed as Voila starts: wait until it answers
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api", timeout=2)
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                assert server.poll() is None, (outside / "voila.log").read_text()[-3000:]
                time.sleep(0.5)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        # the committee page as served (no kernel), then the same page as a Voila app (Voila's templates)
        for address in (url, url.replace("/committee?", "/voila/render/local_committee.ipynb?")):
            page.goto(address, wait_until="commit", timeout=120_000)
            try:
                page.wait_for_selector(".sendlib-committee-view h2", timeout=180_000)
            except Exception as error:  # what the page and the server said
                log = (outside / "voila.log").read_text()[-3000:]
                raise AssertionError(f"{address}: {page.inner_text('body')[:500]!r}\n{log}") from error
            assert "special educational needs and disabilities" in page.inner_text(".sendlib-committee-view")
        page.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
