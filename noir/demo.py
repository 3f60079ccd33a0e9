"""One complete brain-to-robot session: calibrate, run a task from EEG, write the record."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from noir.calibration import calibrate
from noir.config import LoopConfig
from noir.loop import InterfaceLoop
from noir.operators import SimulatedOperator
from noir.session import SessionClock, SessionRecorder
from sim.eeg_subject import PROFILES, SyntheticSubject
from sim.tasks import TASKS


def run_session(
    task: str = "cube_in_tray",
    *,
    seed: int = 0,
    profile: str = "default",
    out: str | Path = "runs",
    folder: str | Path | None = None,
    config: LoopConfig | None = None,
) -> tuple[dict[str, Any], Path]:
    """Calibrate a simulated operator, drive ``task`` from its EEG, and record the session.

    Parameters
    ----------
    task : str
        A key of ``sim.tasks.TASKS``.
    seed : int
        Seeds the world's randomization, the synthetic subject and the calibration order.
    profile : str
        A key of ``sim.eeg_subject.PROFILES``.
    out : path
        Parent folder; the session gets a new timestamped folder inside it (unless ``folder``).

    Returns
    -------
    summary : dict
        What ``summary.json`` holds.
    folder : Path
        The session folder.
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; known tasks: {sorted(TASKS)}")
    if profile not in PROFILES:
        raise ValueError(f"unknown subject profile {profile!r}; known profiles: {sorted(PROFILES)}")
    config = config or LoopConfig()
    task_obj = TASKS[task]()
    folder = Path(folder) if folder else SessionRecorder.new_folder(out, f"{task}-seed{seed}")
    subject = SyntheticSubject(profile, seed=seed)
    with task_obj.make_world(seed) as world:
        operator = SimulatedOperator(subject, task_obj.reference_plan(world))
        calib = calibrate(operator.eeg, config, seed=seed)
        recorder = SessionRecorder(folder, SessionClock())
        calib.save(folder / "calibration")
        recorder.event(
            "session_start", task=task, seed=seed, profile=profile, operator="simulated",
            config=asdict(config), calibration=calib.report,
        )
        loop = InterfaceLoop(world, task_obj, operator, calib, recorder, config)
        summary = loop.run()
        summary.update(
            seed=seed,
            profile=profile,
            calibration_accuracy={"mi": calib.mi_accuracy, "emg": calib.emg_accuracy},
            wall_time_s=recorder.wall_time,
            frames=recorder.frames,
            eeg=recorder.eeg_headers,
        )
        recorder.summary(summary)
    return summary, folder
