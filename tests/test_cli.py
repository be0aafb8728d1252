import subprocess
import sys

from sendlib.cli import main
from sendlib._paths import SAMPLE_DIR
from tests.conftest import write_folder


def test_validate_sample_exits_0_with_a_summary(capsys):
    assert main(["validate", str(SAMPLE_DIR)]) == 0
    out = capsys.readouterr().out
    assert "Pupils by school and SEN provision" in out and "Oakfield Primary" in out
    assert "Cognition and learning" in out and "No problems found." in out


def test_validate_folder_with_problems_exits_1_and_names_them(tmp_path, small_tables, capsys):
    pupils = small_tables["pupils"].copy()
    pupils.loc[3, "date_of_birth"] = "12/25/2015"
    pupils.loc[7, "sen_provision"] = "Q"
    folder = write_folder(tmp_path / "t", {"pupils": pupils})
    assert main(["validate", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "2 problem(s) found" in out
    assert "pupils.csv, row 5, column date_of_birth: '12/25/2015'" in out
    assert "pupils.csv, row 9, column sen_provision: 'Q'" in out


def test_unreadable_pupils_file_exits_1(tmp_path, capsys):
    folder = write_folder(tmp_path / "t", {"pupils": b"\x00\x01\x02"})
    assert main(["validate", str(folder)]) == 1
    assert "binary data" in capsys.readouterr().out


def test_usage_errors_exit_2(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope")]) == 2
    assert main([]) == 2


def test_console_script_help():
    result = subprocess.run([sys.executable, "-m", "sendlib.cli", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "validate" in result.stdout
    result = subprocess.run([sys.executable, "-m", "sendlib.cli", "validate"], capture_output=True, text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr
