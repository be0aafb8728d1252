import os
import subprocess
import sys

from sendlib._paths import SAMPLE_DIR
from sendlib._testing import write_access, write_folder
from sendlib.cli import main


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
    assert "2 problems found" in out
    assert "pupils.csv, row 5, column date_of_birth: '12/25/2015'" in out
    assert "pupils.csv, row 9, column sen_provision: 'Q'" in out


def test_a_school_exported_twice_is_one_line(tmp_path, small_tables, capsys):
    pupils = small_tables["pupils"]
    folder = write_folder(tmp_path / "t" / "Oak", {"pupils": pupils}).parent  # a folder per school,
    (folder / "Oak copy").mkdir()  # one of them copied twice
    (folder / "Oak copy" / "pupils.csv").write_bytes((folder / "Oak" / "pupils.csv").read_bytes())
    assert main(["validate", str(folder)]) == 1
    out = capsys.readouterr().out
    assert f"{len(pupils)} problems found" in out
    assert f"column upn: {len(pupils)} rows -- a second row for the same upn (the first: also in " in out
    assert out.count("a second row for the same upn") == 1


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
    assert result.returncode == 0 and "No problems found" in result.stdout  # no folder: the sample trust
    result = subprocess.run(
        [sys.executable, "-m", "sendlib.cli", "validate", "--nonsense"], capture_output=True, text=True
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_access_token_prints_a_token_and_its_hash_line(capsys):
    from sendlib.access import token_hash

    assert main(["access", "token"]) == 0
    lines = capsys.readouterr().out.splitlines()
    token, line = lines[1].strip(), lines[3].strip()
    assert len(token) >= 32 and line == f'token_sha256 = "{token_hash(token)}"'


def test_access_check_and_log(tmp_path, capsys):

    path, _ = write_access(tmp_path, {"okafor": ("senco", ["Oakfield Primary"]), "patel": ("planner", "all")})
    assert main(["access", "check", str(path)]) == 0
    out = capsys.readouterr().out
    assert "okafor: senco, Oakfield Primary" in out and "2 users" in out
    assert main(["access", "log", str(path)]) == 0 and "nothing logged yet" in capsys.readouterr().out
    path.write_text(path.read_text().replace("Oakfield Primary", "Oakfeld Primary"))
    assert main(["access", "check", str(path)]) == 1
    err = capsys.readouterr().err
    assert "user okafor: no school called 'Oakfeld Primary'" in err and "Traceback" not in err


def test_dashboards_refuses_a_missing_access_file(tmp_path, capsys):
    assert main(["dashboards", "--access", str(tmp_path / "nope.toml")]) == 2
    assert "no access file" in capsys.readouterr().err


def test_the_voila_command_with_and_without_an_access_file(tmp_path):
    from sendlib.dashboards import voila_command

    alone = voila_command(8866, "tok")
    assert "--token=tok" in alone and "--Voila.ip=127.0.0.1" in alone
    # one shared token, signed in on sendlib's page (sendlib.login.TokenIdentityProvider)
    assert "--Voila.identity_provider_class=sendlib.login.TokenIdentityProvider" in alone
    shared = voila_command(8866, access=tmp_path / "access.toml")
    assert "--Voila.identity_provider_class=sendlib.login.AccessFileIdentityProvider" in shared
    assert "--VoilaConfiguration.http_header_envs=X-Remote-User" in shared
    assert not any(arg.startswith("--token") for arg in shared)
    for command in (alone, shared):
        assert "--VoilaConfiguration.show_tracebacks=False" in command
        assert any(arg.startswith("--MappingKernelManager.cull_idle_timeout=") for arg in command)


def test_forecast_writes_a_workbook_or_a_csv(tmp_path, capsys):
    import pandas as pd

    assert main(["forecast", "--out", str(tmp_path / "f.xlsx"), "--years", "2", "--simulations", "100"]) == 0
    out = capsys.readouterr().out
    assert "starts from the roll on 20 November 2026" in out and "One year ahead: off by" in out
    book = pd.read_excel(tmp_path / "f.xlsx", sheet_name=None)
    forecast = book["Forecast"]
    assert set(forecast["year"]) == {2027, 2028} and "All schools" in set(forecast["school"])
    assert {"forecast", "low_80", "high_80", "low_95", "high_95", "mean", "starts_from", "data_date"} <= set(forecast)
    assert any("One year ahead" in note for note in book["Notes"]["notes"])
    costs = book["Costs"]
    assert {"All schools", "Beacon Academy"} <= set(costs["school"]) and set(costs["year"]) == {2027, 2028}
    assert "Cost of additional support, January 2027" in out
    assert (
        main(
            [
                "forecast",
                "--out",
                str(tmp_path / "f.csv"),
                "--years",
                "1",
                "--simulations",
                "50",
                "--identification",
                "10",
            ]
        )
        == 0
    )
    assert "Scenario from January 2027: new identification +10%" in capsys.readouterr().out
    assert set(pd.read_csv(tmp_path / "f.csv")["scenario"]) == {"With 10% more pupils identified from January 2027"}
    assert set(forecast["scenario"]) == {"Forecast with no change"}
    assert main(["forecast", "--out", str(tmp_path / "g.csv"), "--identification", "-100"]) == 2
    assert main(["forecast", "--out", str(tmp_path / "f.txt")]) == 2
    assert "an .xlsx or .csv file" in capsys.readouterr().err
    assert main(["forecast", "--out", str(tmp_path / "g.csv"), "--simulations", "5"]) == 2
    assert "--simulations is 10 or more" in capsys.readouterr().err  # the option's name, not the model's
    assert main(["forecast", "--out", str(tmp_path / "g.csv"), "--from", "2028"]) == 2  # no scenario to start
    assert "give --identification or --intake" in capsys.readouterr().err


def test_commands_on_an_export_with_problems_say_so_and_file_errors_are_words(tmp_path, capsys):
    """A row left out is said on standard error (a forecast from the rest said nothing); an
    --out that cannot be written is a sentence, not "unexpected error"; output piped into a
    reader that stops early ends quietly."""
    import shutil

    folder = tmp_path / "t"
    shutil.copytree(SAMPLE_DIR, folder)
    pupils = folder / "pupils.csv"
    lines = pupils.read_text().splitlines(keepends=True)
    header = lines[0].split(",")
    cells = lines[10].split(",")
    cells[header.index("sen_provision")] = "SEN Supp"
    lines[10] = ",".join(cells)
    pupils.write_text("".join(lines))
    assert main(["provision", "--data", str(folder), "--out", str(tmp_path / "p.xlsx")]) == 0
    err = capsys.readouterr().err
    assert "sendlib provision: The export has 7 problems, and 7 rows are left out" in err  # the row, its 6 scores
    assert f"`sendlib validate {folder}` lists them." in err
    (tmp_path / "afile").write_text("")
    assert main(["provision", "--out", str(tmp_path / "afile" / "p.xlsx")]) == 1
    err = capsys.readouterr().err
    assert f"sendlib: cannot use {tmp_path / 'afile'}" in err and "a file stands where a folder is needed" in err
    # ``true`` reads nothing and is gone before the summary is written: every write is a broken pipe
    quiet = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # output held until flushed
    for command in ("validate", "access token"):
        piped = subprocess.run(
            f"{sys.executable} -m sendlib {command} | true", shell=True, capture_output=True, text=True, env=quiet
        )
        assert piped.stderr == "", piped.stderr


def test_a_school_is_named_whatever_its_capitals_and_spaces(tmp_path, capsys):
    assert main(["provision", "--school", "castle  hill SCHOOL", "--out", str(tmp_path / "p.xlsx")]) == 0
    assert "provisions of" in capsys.readouterr().out
    assert main(["provision", "--school", "Castle Hil", "--out", str(tmp_path / "q.xlsx")]) == 2
    assert "no school called 'Castle Hil'; the schools are: Beacon Academy" in capsys.readouterr().err
    assert main(["report", "--school", "Oak", "--all-schools"]) == 2
    assert "(one of them, not both)" in capsys.readouterr().err
