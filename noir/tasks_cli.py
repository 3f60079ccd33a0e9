"""``noir tasks``: list the sample tasks and run their reference plans, without any EEG.

``noir tasks list`` shows every registered task; ``noir tasks run TASK --seed N`` builds the
task's world and runs its reference plan skill by skill, optionally writing a video of the top
camera. Frames are grabbed through the skills' ``should_stop`` callback, which every motion
polls once per control step, so the skills need no change. The simulator is imported when a
command runs, so that ``noir --help`` stays fast.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    import numpy as np

    from sim.tasks import PlanStep, Task
    from sim.world import World
    from skills import SkillFailure

app = typer.Typer(
    help="Sample tasks: list them, run their reference plans.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()

VIDEO_SUFFIXES = (".gif", ".mp4")
"""File types ``--video`` writes (mp4 needs the ``imageio-ffmpeg`` package)."""


@dataclass(frozen=True)
class StepOutcome:
    """What one plan step did.

    Attributes
    ----------
    index : int
        Position in the plan, from 0.
    step : PlanStep
    params : dict
        The parameters it ran with.
    steps : int
        Physics steps it used.
    sim_time : float
        Simulated time at its end, in s.
    failure : SkillFailure or None
        Why it failed, or None.
    """

    index: int
    step: PlanStep
    params: dict[str, object]
    steps: int
    sim_time: float
    failure: SkillFailure | None = None


def run_plan(
    world: World,
    plan: list[PlanStep],
    *,
    should_stop: Callable[[], bool] | None = None,
    on_step: Callable[[StepOutcome], None] | None = None,
) -> list[StepOutcome]:
    """Run ``plan`` in ``world`` step by step, stopping at the first skill failure.

    Parameters
    ----------
    world : World
        A task's world (a ``skills.robot.Scene``).
    plan : list of PlanStep
        E.g. ``task.reference_plan(world)``.
    should_stop : callable, optional
        Passed to every skill (polled once per control step).
    on_step : callable, optional
        Called with each ``StepOutcome`` as soon as its step ends.

    Returns
    -------
    list of StepOutcome
        One per step run; only the last may have a failure.
    """
    from skills import SkillFailure, get_skill

    outcomes = []
    for index, step in enumerate(plan):
        params = step.resolve(world)
        t0 = world.sim_time
        failure = None
        try:
            get_skill(step.skill).run(world, params, should_stop=should_stop)
        except SkillFailure as err:
            failure = err
        outcome = StepOutcome(index, step, params, round((world.sim_time - t0) / world.timestep),
                              world.sim_time, failure)
        outcomes.append(outcome)
        if on_step is not None:
            on_step(outcome)
        if failure is not None:
            break
    return outcomes


@dataclass
class FrameRecorder:
    """Grabs a camera frame every ``every`` physics steps; use it as a skill's ``should_stop``.

    Parameters
    ----------
    world : World
    every : int
        Physics steps between two frames (``every * world.timestep`` s of simulated time).
    view : str
        Camera name (see ``world.views``).

    Attributes
    ----------
    frames : list of ndarray, each shape (240, 360, 3), uint8
        The frames so far; the first is taken at construction.
    """

    world: World
    every: int
    view: str = "top"
    frames: list[np.ndarray] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.every < 1:
            raise ValueError(f"frames must be at least 1 physics step apart, got {self.every}")
        self._next = self._now() + self.every
        self.frames.append(self.world.render(self.view))

    def _now(self) -> int:
        return round(self.world.sim_time / self.world.timestep)

    def __call__(self) -> bool:
        """Grab a frame if one is due; never asks the skill to stop (returns False)."""
        if self._now() >= self._next:
            self.frames.append(self.world.render(self.view))
            self._next = self._now() + self.every
        return False

    def grab(self) -> None:
        """Grab a frame now (e.g. the final state)."""
        self.frames.append(self.world.render(self.view))

    def write(self, path: Path) -> None:
        """Write the frames as an animated GIF or an mp4, playing in simulated real time."""
        import imageio.v2 as imageio

        seconds = self.every * self.world.timestep
        if path.suffix.lower() == ".gif":
            imageio.mimwrite(path, self.frames, duration=1000 * seconds, loop=0)
        else:
            imageio.mimwrite(path, self.frames, fps=1 / seconds)


def _check_video_path(path: Path) -> None:
    """Fail early (exit code 2) on a video type that cannot be written here."""
    suffix = path.suffix.lower()
    if suffix not in VIDEO_SUFFIXES:
        _fail(f"cannot write video {str(path)!r}: use one of the suffixes {list(VIDEO_SUFFIXES)}")
    if suffix == ".mp4" and importlib.util.find_spec("imageio_ffmpeg") is None:
        _fail(f"writing {str(path)!r} needs the imageio-ffmpeg package "
              f"(pip install imageio-ffmpeg); or write a .gif")
    if not path.parent.is_dir():
        _fail(f"cannot write video {str(path)!r}: folder {str(path.parent)!r} does not exist")


def _fail(message: str) -> NoReturn:
    console.print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(code=2)


def _task(name: str) -> type[Task]:
    from sim.gym_env import get_task

    try:
        return get_task(name)
    except ValueError as err:
        _fail(str(err))


@app.command("list")
def list_tasks() -> None:
    """Every registered task: robot, horizon (reference plan length), objects, description.

    Builds each task's world once (seed 0) to read its robot and plan.
    """
    from sim.tasks import TASKS

    table = Table(title="tasks")
    for column in ("task", "robot", "horizon", "objects", "description"):
        table.add_column(column)
    for name, task in TASKS.items():
        with task.make_world(0) as world:
            robot = type(world.robot).__name__.removesuffix("Robot")
            horizon = len(task.reference_plan(world))
            n_objects = len(world.object_names())
        summary = (task.__doc__ or "").strip().partition("\n")[0]
        table.add_row(name, robot, str(horizon), str(n_objects), summary)
    console.print(table)


@app.command("run")
def run_task(
    task: str = typer.Argument(..., help="Task name (see `noir tasks list`)."),
    seed: int = typer.Option(0, help="Seed of the world's random layout."),
    gui: bool = typer.Option(False, help="Show the PyBullet GUI."),
    video: Annotated[Path | None, typer.Option(
        help="Write the top camera to this .gif (or .mp4 with imageio-ffmpeg).")] = None,
    frame_every: int = typer.Option(
        24, min=1, help="Physics steps (1/240 s each) between two video frames."
    ),
) -> None:
    """Run TASK's reference plan skill by skill and report success; exit code 1 on failure."""
    task_cls = _task(task)
    if video is not None:
        _check_video_path(video)
    start = time.perf_counter()
    with task_cls.make_world(seed, gui=gui) as world:
        plan = task_cls.reference_plan(world)
        recorder = FrameRecorder(world, frame_every) if video is not None else None
        console.print(f"{task} (seed {seed}): {len(plan)} steps")

        def report(out: StepOutcome) -> None:
            args = ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                             for k, v in out.params.items())
            failed = f"[red]FAILED[/red] {escape(str(out.failure))}"
            outcome = "ok" if out.failure is None else failed
            console.print(f"  {out.index + 1}/{len(plan)} {out.step.skill}({escape(args)}) on "
                          f"{out.step.object}: {outcome}  (t = {out.sim_time:.2f} s sim, "
                          f"{out.steps} steps)")

        run_plan(world, plan, should_stop=recorder, on_step=report)
        predicates = task_cls.goal_predicates(world)
        success = all(predicates.values())
        sim_time = world.sim_time
        if recorder is not None:
            recorder.grab()
            recorder.write(video)
    for name, holds in predicates.items():
        console.print(f"  {'yes' if holds else 'no ':3} {name}")
    console.print(f"success: {'yes' if success else 'NO'}   sim time: {sim_time:.2f} s   "
                  f"wall time: {time.perf_counter() - start:.2f} s")
    if recorder is not None:
        console.print(f"video: {video} ({len(recorder.frames)} frames)")
    if not success:
        raise typer.Exit(code=1)
