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
    ("lsl:x,jitter=soon", "option jitter='soon' must be a number"),
])
def test_bad_source_specs_are_named(text, message):
    with pytest.raises(ValueError, match=message):
        SourceSpec.parse(text)


def test_terminal_cues_show_each_cue_at_its_onset():
    lines = []
    show = TerminalCues(lines.append)
    show.show("how", [Cue("rest", 0.5), Cue("mi", 0.5, "left_hand"), Cue("clench", 0.5)])
    time.sleep(0.2)
    assert lines == ["[how] relax and look at the centre (0.5 s)"]
    time.sleep(0.5)
    assert lines[1] == "[how] imagine moving: LEFT HAND (0.5 s)"
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


@pytest.fixture(scope="module")
def saved_calibration(tmp_path_factory):
    """A calibration of the synthetic subject (the loopback person's kind), saved."""
    from noir.calibration import calibrate
    from noir.stream import SimulatedOperator

    folder = tmp_path_factory.mktemp("cal") / "calibration"
    calibrate(SimulatedOperator(SyntheticSubject("default", seed=4)), LoopConfig(),
              n_mi_trials=5, n_emg_trials=10, seed=0).save(folder)
    return folder


def test_a_stream_that_vanishes_mid_session_ends_it_cleanly_with_the_record(tmp_path,
                                                                         saved_calibration):
    from typer.testing import CliRunner

    from noir.cli import app
    from noir.session import verify_record

    person = LoopbackPerson(SyntheticSubject("default", seed=4), stream="noir-eeg-vanish",
                            speed=40.0, faults={i: "stall" for i in range(2, 100)}, fault_after=0)
    with person:
        result = CliRunner().invoke(app, ["run", "--source", "lsl:noir-eeg-vanish,timeout=2",
                                          "--calibration", str(saved_calibration),
                                          "--out", str(tmp_path / "runs")])
    assert result.exit_code == 1, result.output
    assert "the stream ended the session: stream stalled" in " ".join(result.output.split())
    (folder,) = (tmp_path / "runs").iterdir()
    verify_record(folder)  # closed, with its manifest: nothing recorded was lost
    end = read_events(folder)[-1]
    assert end["event"] == "task_end" and "stalled" in end["stream_fault"]


def test_a_stream_without_the_decoders_channels_is_refused_one_line_each(tmp_path):
    """A playback of an 8-channel ssvep-exo recording lacks the MI and EMG channels."""
    import mne
    from typer.testing import CliRunner

    from noir.board import write_playback
    from noir.cli import app
    from noir.recorded import SAMPLE_DATA

    raw = mne.io.read_raw_fif(SAMPLE_DATA / "ssvep_exo_s04_raw.fif", preload=True,
                              verbose="error").crop(0, 1.0)
    file = write_playback(raw, tmp_path / "exo.csv", "crown")
    result = CliRunner().invoke(app, ["run", "--source",
                                      f"brainflow:playback,file={file},master_board=crown",
                                      "--out", str(tmp_path / "runs")])
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: brainflow:playback does not fit the session"), lines
    missing = [line for line in lines[1:] if "is not in the stream" in line]
    assert len(missing) == len(lines) - 1 and any("channel C3 " in line for line in missing)
    assert any("channel T7 " in line for line in missing)


def test_a_board_that_is_not_connected_is_one_line(tmp_path):
    from typer.testing import CliRunner

    from noir.cli import app

    result = CliRunner().invoke(app, ["run", "--source",
                                      "brainflow:cyton,serial_port=/dev/ttyNOIR-absent",
                                      "--out", str(tmp_path / "runs")])
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "ttyNOIR-absent" in lines[0], lines


def test_noir_sources_lists_streams_boards_and_montages():
    from typer.testing import CliRunner

    from noir.cli import app

    with LoopbackPerson(SyntheticSubject("default", seed=0), stream="noir-eeg-listed"):
        result = CliRunner().invoke(app, ["sources", "--wait", "1"])
    assert result.exit_code == 0, result.output
    assert "noir-eeg-listed" in result.output  # the loopback stream, 33 channels at 256 Hz
    assert "synthetic" in result.output and "cyton" in result.output
    assert "noir-default" in result.output and "muse" in result.output


def test_dynamic_stopping_is_calibrated_then_used_from_the_cli(tmp_path, saved_calibration):
    from typer.testing import CliRunner

    from noir.cli import app

    runner = CliRunner()
    result = runner.invoke(app, ["calibrate", "--ssvep-stopping", "1,2,4", "--trials", "5",
                                 "--out", str(tmp_path / "cal")])
    assert result.exit_code == 0, result.output
    assert "SSVEP dynamic stopping over windows [1.0, 2.0, 4.0] s" in result.output
    result = runner.invoke(app, ["run", "--source", "simulated", "--calibration",
                                 str(tmp_path / "cal"), "--ssvep-stopping", "1,2,4",
                                 "--out", str(tmp_path / "runs")])
    assert result.exit_code == 0, result.output
    (folder,) = (tmp_path / "runs").iterdir()
    whats = [e for e in read_events(folder) if e["event"] == "decision" and e["stage"] == "what"]
    assert whats and all(e["window_s"] in (1.0, 2.0, 4.0) for e in whats)
    for args, message in [(["--ssvep-stopping", "2,1"], "expected growing window lengths"),
                          (["--calibration", str(saved_calibration), "--ssvep-stopping", "1,2"],
                           "has no SSVEP dynamic stopping")]:
        result = runner.invoke(app, ["run", "--source", "simulated", *args,
                                     "--out", str(tmp_path / "bad")])
        assert result.exit_code == 2 and message in result.stderr, result.output
