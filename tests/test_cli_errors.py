"""The CLI's error contract: bad input gets one line on stderr and exit code 2, before any work.

Every case runs the real command line (typer's test runner, one case the installed ``noir``
script) and checks that nothing was written where the work would have gone.
"""

import errno
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from noir.cli import app

runner = CliRunner()


def fails(args: list[str], *expected: str) -> str:
    """Run ``noir args``; it must exit 2 with one ``error:`` line holding ``expected``."""
    result = runner.invoke(app, args)
    assert result.exit_code == 2, (result.output, result.exception)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("command", ["table1", "learning"])
@pytest.mark.parametrize(("option", "value", "expected"), [
    ("--seeds", "0", "greater than or equal to 1"),
    ("--subjects", "0", "greater than or equal to 1"),
    ("--sessions", "0", "greater than or equal to 1"),
    ("--seeds", "many", "should be a valid integer"), ("--n-jobs", "0", "-1 for every core"),
    ("--n-jobs", "100000", "100000 workers; expected 1 to"),
    ("--scheduler", "", "empty address"), ("--tasks", ",", "unknown tasks [',']"),
    ("--tasks", "cook,cube_in_tray", "unknown tasks ['cook']"),
    ("--tasks", "cube_in_tray,cube_in_tray", "names a task twice"),
])
def test_experiment_options_are_checked_before_any_session(tmp_path, command, option, value,
                                                           expected):
    fails(["experiment", command, option, value, "--out", str(tmp_path / "out")], option,
          expected)
    assert not any(tmp_path.iterdir())


def test_experiment_never_writes_over_an_earlier_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    earlier = tmp_path / "runs" / "learning" / "learning.csv"
    earlier.parent.mkdir(parents=True)
    earlier.write_text("an earlier run\n")
    # a given folder that holds files is refused at once
    fails(["experiment", "learning", "--out", "runs/learning"], "'--out'",
          "runs/learning already holds files")
    # the default moves on to the next free folder
    result = runner.invoke(app, ["experiment", "learning", "--tasks", "cube_in_tray", "--seeds",
                                 "1", "--sessions", "1"])
    assert result.exit_code == 0, result.output
    assert "written to runs/learning-2" in result.stdout
    assert earlier.read_text() == "an earlier run\n"
    assert (tmp_path / "runs" / "learning-2" / "learning.csv").is_file()


@pytest.mark.parametrize("command", [["tasks", "run", "cube_in_tray"], ["calibrate"], ["demo"]])
@pytest.mark.parametrize(("seed", "expected"), [
    ("-1", "greater than or equal to 0"), (str(2**32), "less than or equal to 4294967295"),
])
def test_seeds_outside_numpys_range_are_refused(tmp_path, monkeypatch, command, seed, expected):
    monkeypatch.chdir(tmp_path)
    fails([*command, "--seed", seed], "'--seed'", expected)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(("every", "expected"), [("0", "greater than or equal to 1"),
                                                 ("10**30", "valid integer"),
                                                 (str(10**30), "less than or equal to 24000")])
def test_video_frame_interval_is_bounded(tmp_path, every, expected):
    fails(["tasks", "run", "cube_in_tray", "--video", str(tmp_path / "run.gif"),
           "--frame-every", every], "'--frame-every'", expected)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize(("trials", "expected"), [
    ("0", "greater than or equal to 5"), ("4", "greater than or equal to 5"),
    ("-1", "greater than or equal to 5"), ("", "should be a valid integer"),
    ("100000", "less than or equal to 500"),
])
def test_calibration_needs_five_trials_per_class(tmp_path, trials, expected):
    fails(["calibrate", "--trials", trials, "--out", str(tmp_path / "cal")], "'--trials'",
          expected)
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("args", [
    ["demo", "--operator", "eeg"], ["demo", "--profile", "nobody"], ["demo", "--task", ""],
    ["calibrate", "--profile", ""], ["tasks", "run", "cook"],
    ["experiment", "table1", "--tasks", "cook"],
])
def test_unknown_names_list_the_known_ones(tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    line = fails(args)
    assert "is not one of 'recorded', 'simulated'" in line or "known" in line
    assert not any(tmp_path.iterdir())


def test_user_model_that_is_a_file_is_refused_before_the_session(tmp_path):
    user = tmp_path / "me.json"
    user.write_text("{}")
    out = tmp_path / "runs"
    fails(["demo", "--user", str(user), "--out", str(out)], "'--user'",
          "me.json' is a file, expected a folder")
    assert not out.exists()


def test_corrupt_user_model_names_its_file_before_the_session(tmp_path):
    user = tmp_path / "me"
    user.mkdir()
    (user / "assistant.json").write_text('{"encoder": ')
    out = tmp_path / "runs"
    fails(["demo", "--user", str(user), "--out", str(out)], "assistant.json")
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize("command", [["demo"], ["calibrate"], ["replay", "nowhere"],
                                     ["experiment", "table1"]])
def test_out_must_be_a_folder_this_user_can_write(tmp_path, command):
    a_file = tmp_path / "a_file"
    a_file.write_text("not a folder")
    for out in (a_file, a_file / "sub"):
        fails([*command, "--out", str(out)], "'--out'", "a_file' is a file, expected a folder")
    assert a_file.read_text() == "not a folder"


def test_calibration_never_writes_over_decoders(tmp_path):
    (tmp_path / "mi.skops").write_text("earlier decoders")
    fails(["calibrate", "--out", str(tmp_path)], "'--out'", "already holds files")
    assert (tmp_path / "mi.skops").read_text() == "earlier decoders"


def test_gui_without_a_display_says_so(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    fails(["tasks", "run", "cube_in_tray", "--gui"], "'--gui'", "DISPLAY is not set")
    monkeypatch.setenv("DISPLAY", ":4242")  # no X server there
    fails(["tasks", "run", "cube_in_tray", "--gui"], "'--gui'",
          "cannot open the display DISPLAY=':4242'")


def test_binary_bench_config_names_the_file(tmp_path):
    config = tmp_path / "bench.yaml"
    config.write_bytes(bytes(range(256)) * 4)
    fails(["bench", str(config), "--out", str(tmp_path / "out")], "bench.yaml")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("option", "value", "expected"), [
    ("--n-jobs", "100000", "100000 workers; expected 1 to"), ("--scheduler", " ", "empty address"),
])
def test_bench_worker_options_are_checked_before_any_work(tmp_path, option, value, expected):
    config = Path(__file__).parents[1] / "experiments" / "bench_configs" / "synthetic_ssvep.yaml"
    fails(["bench", str(config), option, value, "--out", str(tmp_path / "out")], option, expected)
    assert not (tmp_path / "out").exists()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_scheduler_fails_fast_in_one_line(tmp_path):
    address = f"tcp://127.0.0.1:{_closed_port()}"
    fails(["experiment", "learning", "--tasks", "cube_in_tray", "--seeds", "1", "--sessions", "1",
           "--scheduler", address, "--out", str(tmp_path / "out")], "127.0.0.1")


def test_library_errors_become_one_line_and_bugs_keep_their_traceback(tmp_path, monkeypatch):
    """ValueError and OSError raised deep inside are bad input; anything else is a bug."""
    import noir.demo

    def raising(error):
        def run_session(*args, **kwargs):
            raise error
        return run_session

    args = ["demo", "--out", str(tmp_path)]
    monkeypatch.setattr(noir.demo, "run_session", raising(ValueError("x.vhdr: bad\nheader")))
    assert fails(args) == "error: x.vhdr: bad header"
    denied = PermissionError(errno.EACCES, "Permission denied", "runs/x/events.jsonl")
    monkeypatch.setattr(noir.demo, "run_session", raising(denied))
    assert fails(args) == "error: runs/x/events.jsonl: Permission denied"
    monkeypatch.setattr(noir.demo, "run_session", raising(KeyError("bug")))
    result = runner.invoke(app, args)
    assert result.exit_code == 1 and isinstance(result.exception, KeyError)


def test_usage_errors_are_one_line_too():
    assert fails(["demo", "--sed", "1"]).startswith("error: No such option: --sed")
    assert fails(["dmeo"]).startswith("error: No such command 'dmeo'")


def test_the_installed_command_prints_one_line_and_no_traceback(tmp_path):
    noir = Path(sys.executable).with_name("noir")
    done = subprocess.run([str(noir), "calibrate", "--trials", "0", "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "error: Invalid value for '--trials': Input should be greater than or equal to 5 "
        "(see 'noir calibrate --help')"]
