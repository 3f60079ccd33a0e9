"""The Where stage: an MI-driven cursor brings a skill's point to where the person means."""

import numpy as np
import pytest

from noir.config import LoopConfig
from noir.demo import run_session
from noir.replay import replay_session
from noir.session import read_events
from noir.where import needs_point


@pytest.mark.parametrize("mode", ["axis", "continuous"])
def test_cursor_reaches_the_intended_point_and_replays(mode, tmp_path):
    config = LoopConfig(cursor_mode=mode)
    summary, folder = run_session(operator="simulated", seed=0, config=config,
                                  folder=tmp_path / "run")
    assert summary["success"] is True
    events = read_events(folder)
    (stage,) = [e for e in events if e["event"] == "stage" and e["stage"] == "where"]
    (where,) = [e for e in events if e["event"] == "where"]
    assert stage["skill"] == "place" and stage["start_px"] == [180.0, 120.0]
    start_gap = np.linalg.norm(np.subtract(stage["target_px"], stage["start_px"]))
    assert where["error_px"] <= 2 * config.cursor_tolerance < start_gap
    assert where["travel_px"] >= start_gap - config.cursor_tolerance - 1
    # the point the robot used is where the cursor stopped
    (place,) = [e for e in events if e["event"] == "skill_end" and e["skill"] == "place"]
    assert place["params"]["x"] == where["x"] and place["params"]["y"] == where["y"]
    assert summary["cursor_travel_px"] == where["travel_px"]
    assert replay_session(folder, out=tmp_path)[2]["identical"]


def test_which_skills_take_a_point():
    assert needs_point("place") and not needs_point("pick")


def test_config_names_bad_cursor_settings():
    with pytest.raises(ValueError, match="cursor_mode must be 'axis' or 'continuous'"):
        LoopConfig(cursor_mode="joystick")
    with pytest.raises(ValueError, match="cursor_start must be"):
        LoopConfig(cursor_start="corner")
