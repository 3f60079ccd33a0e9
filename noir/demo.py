"""One complete brain-to-robot session: calibrate, run a task from EEG from any source, write
the record."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import asdict, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from noir.assist import ASSISTANT_FOLDER, Assistant
from noir.calibration import Calibration, calibrate
from noir.config import LoopConfig
from noir.loop import InterfaceLoop
from noir.montage import load_montage
from noir.recorded import SSVEP_FREQS
from noir.session import SessionClock, SessionRecorder
from noir.sources import SourceSpec, check_stream_fits, open_operator
from noir.stream import Operator, SimulatedOperator, StreamOperator, StreamPaused
from sim.eeg_subject import PROFILES, SubjectProfile, SyntheticSubject
from sim.person import REFERENCE, Person, PersonTraits, choose_plan
from sim.tasks import TASKS

if TYPE_CHECKING:
    from noir.console import ConsoleFeed
    from sim.world import World

PLAN_STREAM = 7
"""Tells the plan draw's random stream apart from the others seeded by the session seed."""


def run_session(
    task: str = "cube_in_tray",
    *,
    source: str = "recorded",
    seed: int = 0,
    profile: str | SubjectProfile = "default",
    out: str | Path = "runs",
    folder: str | Path | None = None,
    config: LoopConfig | None = None,
    user: str | Path | None = None,
    update_user: bool = True,
    calibration: str | Path | None = None,
    montage: str | Path | None = None,
    observer: ConsoleFeed | None = None,
    person: PersonTraits = REFERENCE,
    habit: int = 0,
) -> tuple[dict[str, Any], Path]:
    """Calibrate an operator (or load a calibration), drive ``task`` from its EEG, and record
    the session.

    Parameters
    ----------
    task : str
        A key of ``sim.tasks.TASKS``.
    source : str
        Where the EEG comes from (``noir.sources`` grammar): ``"recorded"`` (real EEG trials
        from the bundled samples, see ``noir.recorded``), ``"simulated[:PROFILE]"`` (the
        synthetic subject), ``"file:PATH"``, ``"lsl:STREAM"`` or ``"brainflow:BOARD,..."``
        (live: the robot moves in real time).
    seed : int
        Seeds the world's randomization, the operator's EEG, the calibration order, the plan
        the person picks and their times.
    profile : str or SubjectProfile
        A key of ``sim.eeg_subject.PROFILES`` or a profile, for ``source="simulated"`` without
        a profile of its own.
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
    calibration : path, optional
        A calibration folder (``noir calibrate``) to use instead of calibrating now; the record
        keeps a copy.
    montage : str or path, optional
        A live stream's channel map (``noir.montage``): a shipped montage's name or a file.
    observer : ConsoleFeed, optional
        Shows the session as it runs (``noir.console``): it sees the loop's events and motions,
        and shows a live operator the cues (instead of the terminal).
    person : PersonTraits
        How fast and reliably the simulated person answers (``sim.person``).
    habit : int
        Which of the task's plans is the person's favourite (modulo their number): they follow
        it with probability ``person.habit_strength`` (``sim.person.choose_plan``).

    Returns
    -------
    summary : dict
        What ``summary.json`` holds.
    folder : Path
        The session folder.
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; known tasks: {sorted(TASKS)}")
    spec = SourceSpec.parse(source)
    if spec.kind == "simulated" and source == "simulated":
        spec = replace(spec, name=_name(profile))
    if isinstance(profile, str) and profile not in PROFILES:
        raise ValueError(f"unknown subject profile {profile!r}; known profiles: {sorted(PROFILES)}")
    if not 0 <= seed < 2**32:
        raise ValueError(f"seed must be in [0, 2**32), got {seed}")
    if user and Path(user).exists() and not Path(user).is_dir():
        raise NotADirectoryError(f"{user} is a file; a user model is a folder")
    map_ = load_montage(montage) if montage is not None else None
    config = config or default_config(spec.kind)
    if map_ is not None:
        config = map_.config(config)
    calib = Calibration.load(calibration) if calibration is not None else None
    if calib is not None and config.ssvep_stopping and calib.ssvep_stopping is None:
        raise ValueError(f"{calibration} has no SSVEP dynamic stopping: calibrate with "
                         "--ssvep-stopping to use it")
    assistant = None
    if config.learning:  # read the person's model first: a bad one fails before any work
        assistant = Assistant.open(user, config.propose_threshold, config.intent_model) \
            if user else Assistant(threshold=config.propose_threshold, mode=config.intent_model)
    task_obj = TASKS[task]()
    folder = Path(folder) if folder else SessionRecorder.new_folder(out, f"{task}-seed{seed}")
    with task_obj.make_world(seed) as world, ExitStack() as stack:
        plan_name, plan = choose_plan(task_obj.plans(world), habit, person,
                                      np.random.default_rng([seed, PLAN_STREAM]))
        mind = Person(plan, world, person, seed=seed)
        if spec.kind == "simulated" and not isinstance(profile, str):  # a varied profile
            operator: Operator = SimulatedOperator(SyntheticSubject(profile, seed=seed), mind)
        else:
            operator = open_operator(spec, mind, seed=seed, config=config, montage=map_,
                                     display=observer)
        if isinstance(operator, StreamOperator):
            stack.callback(operator.close)
            check_stream_fits(operator, config, calib)
        if calib is None:
            try:
                calib = calibrate(operator, config, seed=seed,
                                  **({"n_mi_trials": 10} if spec.kind == "recorded" else {}))
            except StreamPaused as pause:  # nothing recorded yet: end in one line
                raise ConnectionError(f"{spec}: calibration stopped: {pause}") from pause
        recorder = SessionRecorder(folder, SessionClock())
        calib.save(folder / "calibration")
        simulated = spec.kind == "simulated"
        recorder.event(
            "session_start", task=task, seed=seed, operator=spec.kind,
            profile=spec.name if simulated else None, config=asdict(config),
            person=asdict(person), plan=plan_name,
            calibration=calib.report,
            **({} if spec.kind in ("simulated", "recorded") else {"source": str(spec)}),
            **({"montage": map_.name} if map_ is not None else {}),
        )
        if assistant is not None:
            assistant.save(folder / ASSISTANT_FOLDER)
        def rebuild() -> World:  # a reset the world cannot undo: build it afresh
            fresh = task_obj.make_world(seed)
            mind.restart(fresh)
            return fresh

        loop = InterfaceLoop(world, task_obj, operator, calib, recorder, config,
                             new_world=rebuild, assistant=assistant)
        if observer is not None:
            observer.attach(loop)
        summary = loop.run()
        if assistant is not None and summary["success"]:
            assistant.learn(loop.examples)
            if user and update_user:
                assistant.save(user)
        if loop.world is not world:  # a reset rebuilt the world
            loop.world.close()
        summary.update(
            operator=spec.kind,
            seed=seed,
            profile=spec.name if simulated else None,
            calibration_accuracy={"mi": calib.mi_accuracy, "emg": calib.emg_accuracy},
            wall_time_s=recorder.wall_time,
            frames=recorder.frames,
            eeg=recorder.eeg_headers,
        )
        recorder.summary(summary)
    return summary, folder


def default_config(kind: str) -> LoopConfig:
    """NOIR's settings for a source of ``kind``; the recorded operator's SSVEP slots are the
    three ssvep-exo frequencies with 4-s windows."""
    if kind == "recorded":
        return LoopConfig(ssvep_freqs=SSVEP_FREQS, ssvep_window=4.0)
    return LoopConfig()


def _name(profile: str | SubjectProfile) -> str:
    return profile if isinstance(profile, str) else profile.name
