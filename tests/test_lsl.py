"""The lsl operator over a loopback stream: a task completes; bad data never drive the robot.

LSLAPICFG points at the project's loopback-only configuration (``noir/lsl_api.cfg``) before
pylsl is imported: no discovery traffic leaves 127.0.0.1.
"""

import os
from importlib import resources

os.environ["LSLAPICFG"] = str(resources.files("noir") / "lsl_api.cfg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from noir.calibration import calibrate  # noqa: E402
from noir.config import LoopConfig  # noqa: E402
from noir.loop import InterfaceLoop  # noqa: E402
from noir.lsl import LoopbackPerson, LSLOperator, check_chunk  # noqa: E402
from noir.operators import StreamPaused  # noqa: E402
from noir.session import SessionClock, SessionRecorder, read_events  # noqa: E402
from sim.eeg_subject import SyntheticSubject  # noqa: E402
from sim.tasks import TASKS  # noqa: E402


def test_a_task_completes_from_a_loopback_stream_despite_faults(tmp_path):
    config = LoopConfig(ssvep_window=4.0)
    task = TASKS["cube_in_tray"]()
    # faults in the first task-time answers (after the 3 calibration recordings)
    faults = {3: "stall", 4: "nan", 6: "jump", 8: "drop"}
    with task.make_world(seed=0) as world, LoopbackPerson(
        SyntheticSubject("default", seed=0), stream="noir-eeg-test", speed=40.0, faults=faults
    ) as person:
        operator = LSLOperator(task.reference_plan(world), stream="noir-eeg-test", stall=0.5)
        calibration = calibrate(operator, config, n_mi_trials=10, n_emg_trials=10, seed=0)
        recorder = SessionRecorder(tmp_path / "run", SessionClock())
        summary = InterfaceLoop(world, task, operator, calibration, recorder, config).run()
        recorder.close()
    assert summary["success"] is True
    assert person.n_answered > 3 + len(faults)
    events = read_events(tmp_path / "run")
    paused = [e["reason"] for e in events if e["event"] == "stream_paused"]
    assert any("stalled" in r for r in paused) and any("NaN" in r for r in paused)
    assert any("jumped in time" in r for r in paused)
    assert any("dropped samples" in r for r in paused)
    # each pause came before the window that was decoded instead: no decision used bad data
    assert len(paused) == len(faults)


def test_check_chunk_names_each_problem():
    sfreq, names = 100.0, ["C3", "C4"]
    stamps = np.arange(50) / sfreq
    good = np.zeros((50, 2))
    check_chunk(good, stamps, sfreq, names)
    bad = good.copy()
    bad[7, 1] = np.nan
    with pytest.raises(StreamPaused, match="NaN/inf: channel C4, sample 7"):
        check_chunk(bad, stamps, sfreq, names)
    with pytest.raises(StreamPaused, match="dropped samples: 5 samples missing after sample 19"):
        check_chunk(good[:45], np.delete(stamps, range(20, 25)), sfreq, names)
    with pytest.raises(StreamPaused, match="jumped in time"):
        check_chunk(good, np.where(np.arange(50) < 25, stamps, stamps + 3), sfreq, names)
    with pytest.raises(StreamPaused, match="went back"):
        check_chunk(good, np.where(np.arange(50) < 25, stamps, stamps - 1), sfreq, names)


def test_unknown_fault_and_missing_stream_are_named():
    with pytest.raises(ValueError, match="unknown stream faults"):
        LoopbackPerson(SyntheticSubject(seed=0), stream="x", faults={0: "melt"})
    with pytest.raises(TimeoutError, match="no LSL stream named 'absent'"):
        LSLOperator(stream="absent", timeout=0.5)
