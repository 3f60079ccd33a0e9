"""Replay reproduces a session; killed, truncated and corrupt records fail clearly."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from decoders.cues import Cue, Flicker, Glide
from noir.calibration import Calibration
from noir.cli import app
from noir.demo import run_session
from noir.eeg_writer import read_recording
from noir.replay import ReplayDivergence, ReplayOperator, load_record, redecode, replay_session
from noir.session import CorruptRecord, read_events, verify_record, write_manifest

runner = CliRunner()


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    _, folder = run_session(source="recorded", seed=0,
                            folder=tmp_path_factory.mktemp("s") / "run")
    return folder


def test_replay_reproduces_decisions_and_outcome(session, tmp_path):
    summary, folder, comparison = replay_session(session, out=tmp_path)
    assert comparison["identical"] and comparison["n_replayed"] >= 6
    assert summary["success"] is True
    recorded = json.loads((session / "summary.json").read_text())
    assert summary["decoding_accuracy"] == recorded["decoding_accuracy"]
    assert summary["n_decisions"] == recorded["n_decisions"]

    result = runner.invoke(app, ["replay", str(session), "--out", str(tmp_path / "cli")])
    assert result.exit_code == 0, result.output
    assert "identical decisions and outcome" in result.output


def test_saved_calibration_reloads(session):
    calibration = Calibration.load(session / "calibration")
    assert calibration.report["n_mi_trials"] == 40
    assert set(calibration.mi.classes_) == {"left_hand", "right_hand", "legs", "rest"}


def test_replay_refuses_a_record_that_diverges(session):
    operator = ReplayOperator(load_record(session))
    first = operator.respond(Flicker({"cube": 6.0, "tray": 7.5}, 10.0), "what")
    assert first.n_times > 0 and operator.truth()["intended"] == "cube"
    # the record's next window answers a proposal: a glide there is refused
    with pytest.raises(ReplayDivergence, match="the loop is at .*cursor_glide.* but the record "
                                               "has confirm what"):
        operator.respond(Glide((180.0, 120.0), 0, 1.0, 40.0, 2.0), "where")
    with pytest.raises(ReplayDivergence, match="replayed from its windows only"):
        operator.eeg([Cue("rest", 1.0)], "calibration")


def test_truncated_and_corrupt_records_get_clear_errors(session, tmp_path):
    truncated = tmp_path / "truncated"
    truncated.mkdir()
    lines = (session / "events.jsonl").read_text().splitlines()
    (truncated / "events.jsonl").write_text("\n".join(lines[:8]) + "\n")
    result = runner.invoke(app, ["replay", str(truncated), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "truncated record" in result.stderr

    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "events.jsonl").write_text(lines[0] + "\n{oops\n" + lines[-1] + "\n")
    write_manifest(corrupt)
    result = runner.invoke(app, ["replay", str(corrupt), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "events.jsonl, line 2: not a JSON object" in result.stderr


def test_a_killed_session_leaves_a_record_that_loads(tmp_path):
    """SIGKILL mid-task: every event and EEG chunk logged before the kill is on disk."""
    folder = tmp_path / "killed"
    code = (
        "from noir.demo import run_session\n"
        f"run_session(source='simulated', seed=5, folder={str(folder)!r})\n"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.Popen([sys.executable, "-c", code], env=env)
    events_file = folder / "events.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if events_file.exists() and '"skill_start"' in events_file.read_text():
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the session ended before it could be killed"

    events = read_events(folder)
    assert events[0]["event"] == "session_start" and events[-1]["event"] != "task_end"
    raw = read_recording(folder / "eeg.vhdr")
    logged = [e["eeg"] for e in events if "eeg" in e]
    assert logged and raw.n_times >= max(w["start"] + w["n"] for w in logged)
    with pytest.raises(CorruptRecord, match="truncated record: it has no manifest.json"):
        replay_session(folder, out=tmp_path)
    result = runner.invoke(app, ["replay", str(folder), "--out", str(tmp_path)])
    assert result.exit_code == 2 and "before task_end" in result.stderr


def test_redecode_compares_other_decoders_on_the_recorded_windows(session):
    rows = redecode(session, ssvep="fbcca", mi="ts_lr")
    decisions = [e for e in read_events(session) if e["event"] == "decision"]
    assert [(r["stage"], r["intended"], r["recorded"]) for r in rows] == [
        (e["stage"], e["intended"], e["label"]) for e in decisions]
    for row, event in zip(rows, decisions, strict=True):
        assert row["redecoded"] in event["scores"]  # one of the options offered then
    # the recorded decoders again give the recorded decisions
    same = redecode(session, ssvep="cca", mi=None)
    assert all(r["redecoded"] == r["recorded"] for r in same if r["stage"] == "what")
    with pytest.raises(ValueError, match="unknown mi decoder 'bert'"):
        redecode(session, mi="bert")
    result = runner.invoke(app, ["replay", str(session), "--decoder", "mi"])
    assert result.exit_code == 2 and "ssvep=NAME or mi=NAME" in result.output


def test_the_shipped_sample_session_replays_identically(tmp_path):
    sample = Path(__file__).resolve().parents[1] / "noir" / "sample_sessions"
    summary, folder, comparison = replay_session(sample / "cube_in_tray-recorded-seed0",
                                                 out=tmp_path)
    assert comparison["identical"] and summary["success"] is True
    # the replay is itself a closed record: it verifies and replays identically
    assert "calibration/mi.skops" in verify_record(folder)
    assert replay_session(folder, out=tmp_path / "again")[2]["identical"]
