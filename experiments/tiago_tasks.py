"""Success rate and speed of the TIAGo tasks' reference plans over seeds.

For every TIAGo task (``sim.tasks.tiago_household.TIAGO_TASKS``) and seed, builds the world,
runs the reference plan skill by skill (no EEG, no rendering, PyBullet DIRECT) and checks the
goal predicates. Records per run: success, the first failure, skill steps, wall time (plan
only, world building excluded), CPU time, simulated time and the real-time factors (simulated
time over wall time, and over CPU time).

Usage::

    python experiments/tiago_tasks.py [--seeds 20] [--out experiments/results]

Writes ``tiago_tasks.csv`` (one row per run) and ``tiago_tasks.txt`` (the summary table).
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import time
from pathlib import Path

from sim.tasks.tiago_household import TIAGO_TASKS, HouseholdTask
from skills import SkillFailure, get_skill


def run_plan(task: type[HouseholdTask], seed: int) -> dict[str, object]:
    """Run ``task``'s reference plan for ``seed``; return the measurements of the run."""
    with task.make_world(seed) as world:
        failure = ""
        start, cpu_start = time.perf_counter(), time.process_time()
        for step in task.reference_plan(world):
            try:
                get_skill(step.skill).run(world, step.resolve(world))
            except SkillFailure as err:
                failure = str(err)
                break
        wall = time.perf_counter() - start
        cpu = time.process_time() - cpu_start
        success = not failure and task.success(world)
        if not failure and not success:
            failure = f"goal not reached: {task.goal_predicates(world)}"
        return {
            "task": task.name, "seed": seed, "success": success, "failure": failure,
            "wall_s": round(wall, 3), "sim_s": round(world.sim_time, 3),
            "rtf": round(world.sim_time / wall, 2), "cpu_s": round(cpu, 3),
            "rtf_cpu": round(world.sim_time / cpu, 2),
        }


def main() -> None:
    """Run every TIAGo task over the seeds and write the CSV and the summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20, help="seeds 0..N-1 per task")
    parser.add_argument("--out", type=Path, default=Path("experiments/results"))
    args = parser.parse_args()
    rows = [run_plan(task, seed) for task in TIAGO_TASKS for seed in range(args.seeds)]
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / "tiago_tasks.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    lines = [
        f"TIAGo reference plans, seeds 0..{args.seeds - 1}, PyBullet DIRECT, no rendering "
        f"({platform.processor() or platform.machine()}, Python {platform.python_version()})",
        "",
        f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
        f"{'task':<16}{'success':>10}{'wall s/run':>12}{'sim s/run':>11}{'RTF':>7}"
        f"{'RTF (CPU)':>11}",
    ]
    for task in TIAGO_TASKS:
        mine = [r for r in rows if r["task"] == task.name]
        ok = sum(bool(r["success"]) for r in mine)
        wall = sum(float(r["wall_s"]) for r in mine)
        sim = sum(float(r["sim_s"]) for r in mine)
        cpu = sum(float(r["cpu_s"]) for r in mine)
        lines.append(
            f"{task.name:<16}{ok:>5}/{len(mine):<4}{wall / len(mine):>12.2f}"
            f"{sim / len(mine):>11.2f}{sim / wall:>7.1f}{sim / cpu:>11.1f}"
        )
    failures = [f"  {r['task']} seed {r['seed']}: {r['failure']}" for r in rows if r["failure"]]
    lines += ["", "RTF = simulated time / wall time of the plan (world building excluded); "
              "RTF (CPU) uses this process's CPU time instead (independent of other load).",
              "Failures:" if failures else "Failures: none", *failures]
    text = "\n".join(lines) + "\n"
    (args.out / "tiago_tasks.txt").write_text(text)
    print(text, end="")


if __name__ == "__main__":
    main()
