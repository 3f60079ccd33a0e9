"""One complete brain-to-robot session: calibrate, run a task from EEG, write the record."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from noir.assist import ASSISTANT_FOLDER, Assistant
from noir.calibration import calibrate
from noir.config import LoopConfig
from noir.loop import InterfaceLoop
from noir.operators import SimulatedOperator
from noir.recorded import SSVEP_FREQS, RecordedOperator
from noir.session import SessionClock, SessionRecorder
from sim.eeg_subject import PROFILES, SubjectProfile, SyntheticSubject
from sim.tasks import TASKS

OPERATORS = ("recorded", "simulated")


def run_session(
    task: str = "cube_in_tray",
    *,
    operator: str = "recorded",
    seed: int = 0,
    profile: str | SubjectProfile = "default",
    out: str | Path = "runs",
    folder: str | Path | None = None,
    config: LoopConfig | None = None,
    user: str | Path | None = None,
    update_user: bool = True,
) -> tuple[dict[str, Any], Path]:
    """Calibrate an operator, drive ``task`` from its EEG, and record the session.

    Parameters
    ----------
    task : str
        A key of ``sim.tasks.TASKS``.
    operator : str
        ``"recorded"`` (real EEG trials from the bundled samples, see ``noir.recorded``) or
        ``"simulated"`` (the synthetic subject with ``profile``).
    seed : int
        Seeds the world's randomization, the operator's EEG and the calibration order.
    profile : str or SubjectProfile
        A key of ``sim.eeg_subject.PROFILES`` or a profile (simulated operator only).
    out : path
        Parent folder; the session gets a new timestamped folder inside it (unless ``folder``).
    config : LoopConfig, optional
        Defaults to NOIR's settings; the recorded operator's SSVEP slots are the three
        ssvep-exo frequencies with 4-s windows.
    user : path, optional
        The person's model folder (``noir.assist``), used when ``config.learning``: loaded if
        it exists, updated with the session's choices when the task succeeds (unless
        ``update_user`` is False). Without it a learning session starts from an empty model
        and keeps nothing.

    Returns
    -------
    summary : dict
        What ``summary.json`` holds.
    folder : Path
        The session folder.
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; known tasks: {sorted(TASKS)}")
    if operator not in OPERATORS:
        raise ValueError(f"unknown operator {operator!r}; known operators: {list(OPERATORS)}")
    if isinstance(profile, str) and profile not in PROFILES:
        raise ValueError(f"unknown subject profile {profile!r}; known profiles: {sorted(PROFILES)}")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    if user and Path(user).exists() and not Path(user).is_dir():
        raise NotADirectoryError(f"{user} is a file; a user model is a folder")
    config = config or default_config(operator)
    assistant = None
    if config.learning:  # read the person's model first: a bad one fails before any work
        assistant = Assistant.open(user, config.propose_threshold, config.intent_model) \
            if user else Assistant(threshold=config.propose_threshold, mode=config.intent_model)
    task_obj = TASKS[task]()
    folder = Path(folder) if folder else SessionRecorder.new_folder(out, f"{task}-seed{seed}")
    with task_obj.make_world(seed) as world:
        plan = task_obj.reference_plan(world)
        if operator == "recorded":
            person = RecordedOperator(plan, seed=seed)
            calib = calibrate(person, config, n_mi_trials=10, seed=seed)
        else:
            person = SimulatedOperator(SyntheticSubject(profile, seed=seed), plan)
            calib = calibrate(person, config, seed=seed)
        recorder = SessionRecorder(folder, SessionClock())
        calib.save(folder / "calibration")
        recorder.event(
            "session_start", task=task, seed=seed, operator=operator,
            profile=_name(profile) if operator == "simulated" else None,
            config=asdict(config), calibration=calib.report,
        )
        if assistant is not None:
            assistant.save(folder / ASSISTANT_FOLDER)
        loop = InterfaceLoop(world, task_obj, person, calib, recorder, config,
                             new_world=lambda: task_obj.make_world(seed), assistant=assistant)
        summary = loop.run()
        if assistant is not None and summary["success"]:
            assistant.learn(loop.examples)
            if user and update_user:
                assistant.save(user)
        if loop.world is not world:  # a reset rebuilt the world
            loop.world.close()
        summary.update(
            operator=operator,
            seed=seed,
            profile=_name(profile) if operator == "simulated" else None,
            calibration_accuracy={"mi": calib.mi_accuracy, "emg": calib.emg_accuracy},
            wall_time_s=recorder.wall_time,
            frames=recorder.frames,
            eeg=recorder.eeg_headers,
        )
        recorder.summary(summary)
    return summary, folder


def default_config(operator: str) -> LoopConfig:
    """NOIR's settings; the recorded operator's SSVEP slots are the three ssvep-exo
    frequencies with 4-s windows."""
    if operator == "recorded":
        return LoopConfig(ssvep_freqs=SSVEP_FREQS, ssvep_window=4.0)
    return LoopConfig()


def _name(profile: str | SubjectProfile) -> str:
    return profile if isinstance(profile, str) else profile.name
