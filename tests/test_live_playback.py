"""A recorded session streamed back live through BrainFlow's playback board drives the robot
to the same decisions, in real time, and the live record replays identically."""

import json

from noir.board import write_session_playback
from noir.config import LoopConfig
from noir.demo import run_session
from noir.replay import replay_session
from noir.session import read_events

WINDOWS = ("decision", "confirm", "cursor_glide", "skill_end", "skill_failure")


def decisions(folder):
    return [(e["event"], e.get("stage"), e.get("label", e.get("clench", e.get("reason"))))
            for e in read_events(folder) if e["event"] in WINDOWS]


def test_a_task_runs_live_from_a_brainflow_playback_of_a_recorded_session(tmp_path):
    config = LoopConfig(ssvep_window=4.0)
    recorded, folder = run_session("cube_in_tray", source="simulated", seed=0, config=config,
                                   folder=tmp_path / "recorded")
    file = write_session_playback(folder, tmp_path / "session.csv", "freeeeg128")
    source = f"brainflow:playback,file={file},master_board=freeeeg128"
    summary, live = run_session("cube_in_tray", source=source, seed=0, config=config,
                                calibration=folder / "calibration", folder=tmp_path / "live")
    assert recorded["success"] and summary["success"]
    assert decisions(live) == decisions(folder)  # the same windows gave the same decisions
    events = read_events(live)
    assert events[0]["source"] == source
    # in real time: the wall clock took at least the EEG's own length
    n = sum(e["eeg"]["n"] for e in events if isinstance(e.get("eeg"), dict))
    assert summary["wall_time_s"] > n / 256
    assert max(e["decided_after_ms"] for e in events if "decided_after_ms" in e) < 1000
    _, replayed, comparison = replay_session(live, out=tmp_path / "replay")
    assert comparison["identical"], comparison
    assert json.loads((replayed / "summary.json").read_text())["success"] is True
