"""``noir tasks``: list the sample tasks and run their reference plans, without any EEG.

``noir tasks list`` shows every registered task; ``noir tasks run TASK --seed N`` builds the
task's world and runs its reference plan skill by skill, optionally writing a video of the top
camera. Frames are grabbed through the skills' ``should_stop`` callback, which every motion
polls once per control step, so the skills need no change. The simulator is imported when a
command runs, so that ``noir --help`` stays fast.
"""

from __future__ import annotations

import ctypes.util
import importlib.util
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    import numpy as np

    from sim.world import World
    from skills import PlanStep, SkillFailure

app = typer.Typer(
    help="Sample tasks: list them, run their reference plans.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()

VIDEO_SUFFIXES = (".gif", ".mp4")
"""File types ``--video`` writes (mp4 needs the ``imageio-ffmpeg`` package)."""
MAX_SEED = 2**32 - 1
"""Largest seed numpy's and scikit-learn's random states take."""


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

        from noir.video import write_gif

        seconds = self.every * self.world.timestep
        if path.suffix.lower() == ".gif":  # one palette per frame: the blue ball stays blue
            write_gif(path, self.frames, seconds)
        else:
            imageio.mimwrite(path, self.frames, fps=1 / seconds)


# Option callbacks (shared with ``noir.cli``): they run before the command, so that bad input
# ends in a usage error (exit code 2) before any work starts.

def known_task(name: str) -> str:
    """``name`` is a registered task."""
    from sim.tasks import TASKS

    if name not in TASKS:
        raise typer.BadParameter(f"unknown task {name!r}; known tasks: {sorted(TASKS)}")
    return name


def folder_to_write(path: Path | None) -> Path | None:
    """``path`` is a folder, or can be created as one, that this user may write in."""
    if path is None:
        return None
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not existing.is_dir():
        raise typer.BadParameter(f"{str(existing)!r} is a file, expected a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise typer.BadParameter(f"cannot write in {str(existing)!r} (permission denied)")
    return path


def worker_count(n_jobs: int) -> int:
    """A joblib worker count up to the cores there are (-1: every core; -2: all but one...);
    more would start that many processes at once."""
    from joblib import cpu_count

    if n_jobs == 0 or n_jobs > cpu_count():
        raise typer.BadParameter(f"{n_jobs} workers; expected 1 to {cpu_count()} (the cores "
                                 "here), or -1 for every core")
    return n_jobs


def scheduler_address(address: str | None) -> str | None:
    """A Dask scheduler address is not blank."""
    if address is not None and not address.strip():
        raise typer.BadParameter("empty address; expected tcp://host:port")
    return address


def _display(gui: bool) -> bool:
    """``--gui`` has a screen to open: on Linux PyBullet's GUI needs an X display (without one
    it exits the process with code 1 and no message)."""
    if not gui or not sys.platform.startswith("linux"):
        return gui
    display = os.environ.get("DISPLAY")
    if not display:
        raise typer.BadParameter("no display to show the GUI on (DISPLAY is not set)")
    library = ctypes.util.find_library("X11")
    x11 = ctypes.CDLL(library) if library else None
    if x11 is not None:
        x11.XOpenDisplay.restype = ctypes.c_void_p
        x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
        x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
        connection = x11.XOpenDisplay(display.encode())
        if connection:
            x11.XCloseDisplay(connection)
            return gui
    raise typer.BadParameter(f"cannot open the display DISPLAY={display!r} to show the GUI on")


def _video_path(path: Path | None) -> Path | None:
    """A video file of a type this installation writes, in a folder that exists."""
    if path is None:
        return None
    suffix = path.suffix.lower()
    if suffix not in VIDEO_SUFFIXES:
        raise typer.BadParameter(
            f"cannot write video {str(path)!r}: use one of the suffixes {list(VIDEO_SUFFIXES)}")
    if suffix == ".mp4" and importlib.util.find_spec("imageio_ffmpeg") is None:
        raise typer.BadParameter(f"writing {str(path)!r} needs the imageio-ffmpeg package "
                                 "(pip install imageio-ffmpeg); or write a .gif")
    if path.is_dir():
        raise typer.BadParameter(f"{str(path)!r} is a folder, expected a video file")
    if not path.parent.is_dir():
        raise typer.BadParameter(
            f"cannot write video {str(path)!r}: folder {str(path.parent)!r} does not exist")
    folder_to_write(path.parent)
    return path


@app.command("list")
def list_tasks() -> None:
    """Every registered task: robot, horizon (reference plan length, and the shortest and
    longest of its plans), NOIR's horizon (Table 1: mean skills executed), objects,
    description.

    Builds each task's world once (seed 0) to read its robot and plans.
    """
    from noir.experiment import PAPER
    from sim.tasks import TASKS

    table = Table(title="tasks")
    for column in ("task", "robot", "horizon", "plans", "NOIR", "objects", "description"):
        table.add_column(column)
    for name, task in TASKS.items():
        with task.make_world(0) as world:
            robot = type(world.robot).__name__.removesuffix("Robot")
            horizon = len(task.reference_plan(world))
            lengths = [len(plan) for plan in task.plans(world).values()]
            n_objects = len(world.object_names())
        shortest, longest = min(lengths), max(lengths)
        plans = str(shortest) if shortest == longest else f"{shortest}-{longest}"
        noir = f"{PAPER[name][1]:.2f}" if name in PAPER else "-"
        summary = (task.__doc__ or "").strip().partition("\n")[0]
        table.add_row(name, robot, str(horizon), plans, noir, str(n_objects), summary)
    console.print(table)


@app.command("run")
def run_task(
    task: str = typer.Argument(..., callback=known_task,
                               help="Task name (see `noir tasks list`)."),
    seed: int = typer.Option(0, min=0, max=MAX_SEED, help="Seed of the world's random layout."),
    gui: bool = typer.Option(False, callback=_display,
                             help="Show the PyBullet GUI (needs a display)."),
    video: Annotated[Path | None, typer.Option(
        callback=_video_path,
        help="Write the top camera to this .gif (or .mp4 with imageio-ffmpeg).")] = None,
    frame_every: int = typer.Option(
        24, min=1, max=24_000, help="Physics steps (1/240 s each) between two video frames."
    ),
) -> None:
    """Run TASK's reference plan skill by skill and report success; exit code 1 on failure."""
    from sim.tasks import TASKS

    task_cls = TASKS[task]
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
