"""The What -> How -> confirm loop, end to end, with a seeded simulated operator."""

import json

import mne
import pytest

from noir.calibration import calibrate
from noir.config import LoopConfig
from noir.demo import run_session
from noir.loop import InterfaceLoop, window
from noir.operators import SimulatedOperator
from noir.session import SessionClock, SessionRecorder, read_events
from sim.eeg_subject import Cue, SyntheticSubject
from sim.tasks import TASKS


def test_loop_reaches_the_goal_and_writes_the_record(tmp_path):
    summary, folder = run_session("cube_in_tray", seed=3, folder=tmp_path / "run")
    assert summary["success"] is True
    assert summary["goal_predicates"] == {"inside(cube, tray)": True}

    events = read_events(folder)
    done = [(e["object"], e["skill"]) for e in events if e["event"] == "skill_end"]
    assert done[-2:] == [("cube", "pick"), ("tray", "place")]
    assert events[-1]["event"] == "task_end" and events[-1]["success"] is True

    on_disk = json.loads((folder / "summary.json").read_text())
    assert on_disk["success"] is True
    assert on_disk["n_decisions"] == summary["n_decisions"] >= 4
    assert set(on_disk["decoding_accuracy"]) == {"what", "how", "confirm"}
    assert on_disk["sim_time_s"] == pytest.approx(
        on_disk["human_time_s"] + on_disk["robot_time_s"])
    for frame in on_disk["frames"]:
        assert (folder / frame).is_file()

    # the EEG the interface received is in the record, one annotation per cue shown
    raw = mne.io.read_raw_fif(folder / "eeg_raw.fif", verbose="error")
    cues = [d for d in raw.annotations.description if not d.startswith(("BAD", "EDGE"))]
    n_windows = sum(e["event"] in ("decision", "confirm") for e in events)
    assert len(cues) == n_windows
    assert raw.times[-1] == pytest.approx(summary["human_time_s"], abs=0.01)


class LapsingOperator(SimulatedOperator):
    """Looks at the wrong object during the first SSVEP window (an attention lapse)."""

    def __init__(self, subject, plan, lapse_freq):
        super().__init__(subject, plan)
        self.lapse_freq = lapse_freq

    def eeg(self, cues):
        if self.lapse_freq and cues[0].kind == "ssvep":
            cues = [Cue("ssvep", cues[0].duration, self.lapse_freq)]
            self.lapse_freq = None
        return super().eeg(cues)


def test_a_wrong_decision_is_rejected_and_corrected(tmp_path):
    config = LoopConfig()
    task = TASKS["cube_in_tray"]()
    with task.make_world(seed=1) as world:
        plan = task.reference_plan(world)
        subject = SyntheticSubject("default", sfreq=config.sfreq, seed=1)
        # the operator wants the cube (slot 0) but gazes at the ball's flicker (slot 3) first
        operator = LapsingOperator(subject, plan, lapse_freq=config.ssvep_freqs[3])
        calibration = calibrate(operator, config, n_mi_trials=10, n_emg_trials=10, seed=1)
        recorder = SessionRecorder(tmp_path / "run", SessionClock())
        loop = InterfaceLoop(world, task, operator, calibration, recorder, config)

        chosen = loop.select_object()

    first = loop.decisions[0]
    assert first["intended"] == "cube" and first["label"] != "cube"
    rejected = [c["proposal"] for c in loop.confirmations if c["clench"]]
    assert rejected and "cube" not in rejected
    assert rejected == first["ranking"][: len(rejected)]
    assert chosen == "cube"
    assert all(c["correct"] for c in loop.confirmations)


def test_missing_channel_is_named():
    raw = SyntheticSubject(ch_names=["Oz", "O1"], seed=0).record([Cue("rest", 1.0)])
    with pytest.raises(ValueError, match=r"\['O2'\] not in the EEG stream"):
        window(raw, ["Oz", "O2"])


def test_unknown_task_and_profile_are_named(tmp_path):
    with pytest.raises(ValueError, match="unknown task 'cook'.*cube_in_tray"):
        run_session("cook", folder=tmp_path / "a")
    with pytest.raises(ValueError, match="unknown subject profile 'tired'.*default"):
        run_session(profile="tired", folder=tmp_path / "b")
