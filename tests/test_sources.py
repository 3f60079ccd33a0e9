"""``--source``: the spec grammar, and a task run live from a loopback LSL person that replays.

LSLAPICFG points at the project's loopback configuration (``noir/lsl_api.cfg``) before pylsl is
imported: no discovery traffic leaves 127.0.0.1.
"""

import json
import os
import time
from importlib import resources

os.environ["LSLAPICFG"] = str(resources.files("noir") / "lsl_api.cfg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from decoders.cues import Cue  # noqa: E402
from noir.config import LoopConfig  # noqa: E402
from noir.demo import run_session  # noqa: E402
from noir.lsl import LoopbackPerson  # noqa: E402
from noir.replay import replay_session  # noqa: E402
from noir.session import read_events  # noqa: E402
from noir.sources import SourceSpec, TerminalCues  # noqa: E402
from sim.eeg_subject import SyntheticSubject  # noqa: E402


@pytest.mark.parametrize(("text", "kind", "name", "options"), [
    ("simulated", "simulated", "default", ()),
    ("simulated:hard", "simulated", "hard", ()),
    ("recorded", "recorded", "", ()),
    ("file:data/a,b:c.fif", "file", "data/a,b:c.fif", ()),
    ("lsl:noir-eeg", "lsl", "noir-eeg", ()),
    ("lsl:noir-eeg,units=uV,timeout=2", "lsl", "noir-eeg", (("units", "uV"), ("timeout", "2"))),
    ("brainflow:cyton,serial_port=/dev/ttyUSB0", "brainflow", "cyton",
     (("serial_port", "/dev/ttyUSB0"),)),
])
def test_source_specs_parse_and_print_back(text, kind, name, options):
    spec = SourceSpec.parse(text)
    assert (spec.kind, spec.name, spec.options) == (kind, name, options)
    assert spec.live == (kind in ("lsl", "brainflow"))
    if text != "simulated":
        assert str(spec) == text


@pytest.mark.parametrize(("text", "message"), [
    ("eeg", "unknown kind 'eeg'"),
    ("recorded:x", "'recorded' takes nothing"),
    ("file:", "expected file:PATH"),
    ("simulated:a,b=c", "expected simulated or simulated:PROFILE"),
    ("lsl:", "expected lsl:STREAM"),
    ("brainflow:", "expected brainflow:BOARD"),
    ("lsl:x,units", "option 'units' is not key=value"),
    ("lsl:x,units=uV,units=V", "option 'units' given twice"),
    ("lsl:x,rate=3", r"unknown lsl option\(s\) \['rate'\]"),
])
def test_bad_source_specs_are_named(text, message):
    with pytest.raises(ValueError, match=message):
        SourceSpec.parse(text)


def test_terminal_cues_show_each_cue_at_its_onset():
    lines = []
    show = TerminalCues(lines.append)
    show.show("how", [Cue("rest", 0.1), Cue("mi", 0.1, "left_hand"), Cue("clench", 0.1)])
    time.sleep(0.05)
    assert lines == ["[how] relax and look at the centre (0.1 s)"]
    time.sleep(0.1)
    assert lines[1] == "[how] imagine moving: LEFT HAND (0.1 s)"
    show.close()  # the clench cue is not shown any more
    time.sleep(0.1)
    assert len(lines) == 2


def test_a_task_runs_live_from_a_loopback_lsl_person_and_replays(tmp_path, capsys):
    config = LoopConfig(ssvep_window=4.0)
    with LoopbackPerson(SyntheticSubject("default", seed=0), stream="noir-eeg-run", speed=40.0):
        summary, folder = run_session("cube_in_tray", source="lsl:noir-eeg-run", seed=0,
                                      config=config, folder=tmp_path / "live")
    assert summary["success"] is True and summary["operator"] == "lsl"
    events = read_events(folder)
    assert events[0]["source"] == "lsl:noir-eeg-run"
    assert "imagine moving" in capsys.readouterr().out  # the person saw the cues
    stream = next(e for e in events if e["event"] == "eeg_stream")
    stamps = np.fromfile(folder / stream["stamps"], dtype="<f8")
    windows = [e["eeg"] for e in events if "eeg" in e]
    assert len(stamps) == sum(w["n"] for w in windows)
    assert all(np.all(np.diff(stamps[w["start"]:w["start"] + w["n"]]) > 0) for w in windows)
    # the robot moved in real time: the skills' simulated seconds took as long on the wall
    moved = sum(e["sim_time"] for e in events if e["event"] in ("skill_end", "skill_failure"))
    assert summary["wall_time_s"] > moved
    _, replayed, comparison = replay_session(folder, out=tmp_path / "replay")
    assert comparison["identical"], comparison
    assert json.loads((replayed / "summary.json").read_text())["success"] is True


def test_calibrate_live_then_run_with_that_calibration_from_the_cli(tmp_path):
    from typer.testing import CliRunner

    from noir.cli import app

    runner = CliRunner()
    with LoopbackPerson(SyntheticSubject("default", seed=2), stream="noir-eeg-cli", speed=40.0):
        result = runner.invoke(app, ["calibrate", "--source", "lsl:noir-eeg-cli", "--trials", "5",
                                     "--out", str(tmp_path / "calibration")])
        assert result.exit_code == 0, result.output
        assert "[calibration] imagine moving: LEFT HAND" in result.output
        result = runner.invoke(app, ["run", "--source", "lsl:noir-eeg-cli", "--calibration",
                                     str(tmp_path / "calibration"),
                                     "--out", str(tmp_path / "runs")])
    assert result.exit_code == 0, result.output
    assert "goal reached" in result.output
    assert "[calibration]" not in result.output  # it used the saved calibration
    (folder,) = (tmp_path / "runs").iterdir()
    saved = json.loads((tmp_path / "calibration" / "calibration.json").read_text())
    assert json.loads((folder / "calibration" / "calibration.json").read_text()) == saved


@pytest.mark.parametrize(("args", "message"), [
    (["run", "--source", "eeg"], "unknown kind 'eeg'"),
    (["run", "--source", "lsl:absent,timeout=0.3"], "no LSL stream named 'absent'"),
    (["run", "--calibration", "."], "is not a calibration folder"),
    (["calibrate", "--source", "file:nowhere.fif"], "nowhere.fif not found"),
])
def test_bad_live_options_end_in_one_line(args, message, tmp_path):
    from typer.testing import CliRunner

    from noir.cli import app

    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines


def test_a_stream_that_does_not_fit_the_montage_gets_one_line_per_mismatch(tmp_path):
    from typer.testing import CliRunner

    from noir.cli import app

    with LoopbackPerson(SyntheticSubject("default", seed=0), stream="noir-eeg-montage"):
        result = CliRunner().invoke(app, ["run", "--source", "lsl:noir-eeg-montage", "--montage",
                                          "muse", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert all(line.startswith("error: ") for line in lines) and len(lines) >= 4, lines
    assert any("TP9" in line for line in lines) and any("AF7" in line for line in lines)
    assert any("uV" in line for line in lines)  # the loopback person streams volts
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())
