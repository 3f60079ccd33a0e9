"""The recorded operator: real trials per intended class, never a calibration trial at task time."""

import time

import mne
import numpy as np
import pytest

from decoders.cues import Cue
from decoders.ssvep import CCA
from noir.calibration import calibrate
from noir.config import LoopConfig
from noir.demo import run_session
from noir.loop import InterfaceLoop
from noir.recorded import RecordedOperator, file_operator
from noir.session import SessionClock, SessionRecorder, read_events
from sim.eeg_subject import SyntheticSubject
from sim.person import Person
from sim.tasks import TASKS


def test_calibration_and_task_trials_never_mix():
    operator = RecordedOperator(seed=1)
    for key, calibration in operator.calibration.items():
        assert calibration and not set(calibration) & set(operator.task[key]), key
    # calibration draws each trial once, then says the pool is used up
    n = len(operator.calibration["mi", "mi/legs"])
    raw = operator.eeg([Cue("mi", 3.0, "legs")] * n, "calibration")
    assert raw.info["sfreq"] == 160.0 and raw.n_times == n * 480
    with pytest.raises(ValueError, match=f"all {n} calibration trials of 'mi/legs' in "
                                         "eegmmidb_s001_raw.fif are used"):
        operator.eeg([Cue("mi", 3.0, "legs")], "calibration")


def test_trials_are_the_recorded_data_of_the_cued_class():
    operator = RecordedOperator(seed=2)
    freqs = [13.0, 17.0, 21.0]
    raws = [operator.eeg([Cue("ssvep", 4.0, f)], "what") for f in freqs for _ in range(6)]
    assert raws[0].ch_names[:3] == ["Oz", "O1", "O2"] and raws[0].info["sfreq"] == 256.0
    assert [r.annotations.description[0] for r in raws[::6]] == ["ssvep/13", "ssvep/17",
                                                                 "ssvep/21"]
    X = np.stack([r.get_data() for r in raws])
    predicted = CCA(freqs, 256.0, n_harmonics=2).fit().predict(X)
    assert np.mean(predicted == np.repeat(freqs, 6)) >= 0.8  # real SSVEPs of the cued class


def test_a_clench_adds_broadband_emg_to_a_continuous_stretch():
    operator = RecordedOperator(seed=3)
    raw = operator.eeg([Cue("rest", 1.0), Cue("clench", 1.0)], "confirm")
    t7 = raw.get_data(picks=["T7"])[0]
    high = np.diff(t7)  # emphasises the high frequencies
    assert high[170:].std() > 4 * high[:150].std()
    assert list(raw.annotations.description) == ["rest", "clench"]


def test_bad_requests_get_clear_errors(tmp_path):
    operator = RecordedOperator(seed=0)
    with pytest.raises(ValueError, match="no recorded trials for cue 'ssvep/15'"):
        operator.eeg([Cue("ssvep", 2.0, 15.0)], "what")
    with pytest.raises(ValueError, match="a 4.5 s window does not fit"):
        operator.eeg([Cue("ssvep", 4.5, 13.0)], "what")
    with pytest.raises(FileNotFoundError, match="needs an annotated EEG recording"):
        RecordedOperator(ssvep=tmp_path / "none.fif")
    with pytest.raises(ValueError, match=r"mapping names annotations \['T9'\]"):
        RecordedOperator(mapping={"T9": "mi/legs"})


def test_real_eeg_drives_the_robot_to_the_goal(tmp_path):
    summary, folder = run_session("cube_in_tray", source="recorded", seed=0,
                                  folder=tmp_path / "run")
    assert summary["success"] is True and summary["operator"] == "recorded"
    start = read_events(folder)[0]
    assert start["operator"] == "recorded" and start["config"]["ssvep_freqs"] == [13, 17, 21]
    assert summary["eeg"] == ["eeg.vhdr", "eeg-2.vhdr"]  # ssvep-exo and EEGMMIDB streams


def test_the_file_operator_drives_a_task_from_any_annotated_recording(tmp_path):
    """A recording made elsewhere (here a synthetic subject's, saved as FIF) with its cues."""
    config = LoopConfig()
    cues = [Cue("ssvep", 12.0, f) for f in config.ssvep_freqs for _ in range(6)]
    cues += [Cue("mi", 4.0, c) for c in ("left_hand", "right_hand", "legs") for _ in range(12)]
    cues += [Cue("rest", 4.0)] * 24 + [Cue("clench", 8.0)] * 12
    order = np.random.default_rng(0).permutation(len(cues))
    raw = SyntheticSubject("default", seed=7).record([cues[i] for i in order])
    path = tmp_path / "session_raw.fif"
    raw.save(path, verbose="error")

    task = TASKS["cube_in_tray"]()
    with task.make_world(seed=2) as world:
        operator = file_operator(path, Person(task.reference_plan(world), world), seed=2)
        assert ("mi", "clench") in operator.task  # real clench trials, no simulated EMG
        calibration = calibrate(operator, config, n_mi_trials=5, n_emg_trials=5, seed=2)
        recorder = SessionRecorder(tmp_path / "run", SessionClock())
        summary = InterfaceLoop(world, task, operator, calibration, recorder, config).run()
        recorder.close()
    assert summary["success"] is True


def test_replay_pace_follows_speed():
    operator = RecordedOperator(seed=0, speed=10.0)
    start = time.perf_counter()
    operator.eeg([Cue("mi", 3.0, "legs")], "how")
    assert time.perf_counter() - start >= 0.3  # 3 s of EEG at 10x real time
    with pytest.raises(ValueError, match="speed must be > 0"):
        RecordedOperator(speed=0.0)


@pytest.fixture(scope="module")
def small_recording():
    """16 s of a synthetic subject: two left-hand MI trials, each followed by rest."""
    return SyntheticSubject("default", seed=7).record(
        [Cue("mi", 4.0, "left_hand"), Cue("rest", 4.0)] * 2)


def _nan(raw):
    raw._data[3, 100:110] = np.nan


def _inf(raw):
    raw._data[:, -1] = np.inf


def _flat(raw):
    raw._data[:] = 1e-6


def _no_annotations(raw):
    raw.set_annotations(None)


def _bad_only(raw):
    raw.set_annotations(mne.Annotations([1.0], [2.0], ["BAD_movement"]))


def _no_o1(raw):
    raw.drop_channels(["O1"])


@pytest.mark.parametrize(("damage", "problem"), [
    (_nan, r"10 samples are NaN or infinite \(channels \['F3'\]\)"),
    (_inf, r"33 samples are NaN or infinite"),
    (_flat, "every channel is flat"),
    (_no_annotations, "no annotations mark the cued trials"),
    (_bad_only, "no annotations mark the cued trials"),
    (_no_o1, r"lacks the channels \['O1'\] that the decoders read"),
])
def test_file_operator_refuses_recordings_it_cannot_serve(tmp_path, small_recording, damage,
                                                          problem):
    raw = small_recording.copy()
    damage(raw)
    path = tmp_path / "damaged_raw.fif"
    raw.save(path, verbose="error")
    with pytest.raises(ValueError, match=f"damaged_raw.fif: {problem}"):
        file_operator(path)


@pytest.mark.parametrize(("name", "content"), [
    ("empty_raw.fif", lambda good: b""),
    ("text_raw.fif", lambda good: b"hello\n"),
    ("half_raw.fif", lambda good: good[: len(good) // 2]),
    ("head_raw.fif", lambda good: good[:2000]),
    ("noise_raw.fif", lambda good: np.random.default_rng(0).bytes(5000)),
    ("flipped_raw.fif", lambda good: bytes(b ^ 0xFF if k % 997 == 200 else b
                                           for k, b in enumerate(good))),
    ("recording.xyz", lambda good: good),
])
def test_file_operator_names_an_unreadable_file(tmp_path, small_recording, name, content):
    good = tmp_path / "good_raw.fif"
    small_recording.save(good, verbose="error")
    path = tmp_path / name
    path.write_bytes(content(good.read_bytes()))
    with pytest.raises(ValueError, match=f"{name}: not a readable EEG recording"):
        file_operator(path)
    with pytest.raises(IsADirectoryError, match="is a folder; expected an EEG recording file"):
        file_operator(tmp_path)


def test_file_operator_says_which_trials_are_missing_or_too_short(tmp_path, small_recording):
    raw = small_recording.copy()
    onsets = raw.annotations.onset
    raw.set_annotations(mne.Annotations(onsets[:2], [4.0, 1.0], ["mi/left_hand", "rest"]))
    path = tmp_path / "few_raw.fif"
    raw.save(path, verbose="error")
    operator = file_operator(path, seed=0)
    operator.eeg([Cue("mi", 3.0, "left_hand")], "calibration")
    with pytest.raises(ValueError, match="all 1 calibration trials of 'mi/left_hand' in "
                                         "few_raw.fif are used"):
        operator.eeg([Cue("mi", 3.0, "left_hand")], "calibration")
    with pytest.raises(ValueError, match="few_raw.fif has 1 trial.s. of 'mi/left_hand', all "
                                         "kept for calibration"):
        operator.eeg([Cue("mi", 3.0, "left_hand")], "how")
    with pytest.raises(ValueError, match="no recorded trials for cue 'mi/legs' in few_raw.fif"):
        operator.eeg([Cue("mi", 3.0, "legs")], "how")
