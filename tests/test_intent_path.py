"""One intent, EEG sample to robot motion, passes through at most 12 project modules
(``experiments/intent_path.py``, profiled on a real session's loop turns)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "experiments"))

import intent_path  # noqa: E402


@pytest.mark.parametrize(("task", "robot"), [("cube_in_tray", "sim.panda"),
                                             ("trash_disposal", "sim.tiago")])
def test_one_intent_passes_through_at_most_12_modules(task, robot):
    turns = intent_path.traced_turns("simulated", task, 0)
    paths = [{m for m, f in seen.items() if intent_path.role(m, f) == "path"} for seen in turns]
    moved = [p for p in paths if robot in p]  # turns whose skill moved the robot
    assert moved, "no turn of the session moved the robot"
    assert max(len(p) for p in paths) <= 12, [sorted(p) for p in paths]
    # the trace is not vacuous: a turn that moves the arm goes from the EEG source to the robot
    assert {"sim.eeg_subject", "noir.stream", "noir.loop", "decoders.ssvep",
            "decoders.motor_imagery", "decoders.emg", "skills.base", "sim.world"} <= moved[0]


def test_roles_split_the_modules_that_ran():
    assert intent_path.role("noir.perception", {"look"}) == "camera"
    assert intent_path.role("noir.session", {"event"}) == "record"
    assert intent_path.role("skills.tools", {"applies_to", "<listcomp>"}) == "menu"
    assert intent_path.role("skills.tools", {"applies_to", "_execute"}) == "path"
    assert intent_path.role("sim.person", {"cues"}) == "person"
    assert intent_path.role("noir.sources", {"show"}) == "display"
    assert intent_path.role("noir.stream", {"show", "respond"}) == "path"
