"""Run every plan of every task (``Task.plans``) over seeds: success rate, wall/sim time,
steps/s, RTF.

Usage: ``python experiments/task_suite.py [--tasks a b] [--seeds 20] [--jobs 2]``; writes
``experiments/results/task_suite.csv`` (one row per run) and ``task_suite.txt`` (per task and
plan; the first plan of a task is its reference plan).
Physics in DIRECT mode, no rendering. Real-time factor (RTF) = simulated time / wall time of
the plan (world building excluded); ``RTF cpu`` divides by the CPU time of the process running
the plan instead, which other processes on a loaded machine do not inflate.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from provenance import commit as current_commit

from sim.tasks import TASKS
from skills import SkillFailure, get_skill

RESULTS = Path(__file__).parent / "results"


def run_one(task_name: str, plan_name: str, seed: int) -> dict[str, object]:
    """Build the task for ``seed``, run its plan ``plan_name``, return the measurements."""
    task = TASKS[task_name]
    with task.make_world(seed) as world:
        start_ok = task.success(world)
        error = ""
        t0, c0, s0 = time.perf_counter(), time.process_time(), world.sim_time
        for step in task.plans(world)[plan_name]:
            try:
                get_skill(step.skill).run(world, step.resolve(world))
            except SkillFailure as failure:
                error = str(failure)
                break
        world.step(30)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        sim = world.sim_time - s0
        return {"task": task_name, "plan": plan_name, "seed": seed,
                "success": bool(task.success(world)),
                "success_at_start": start_ok, "sim_time_s": round(sim, 3),
                "wall_time_s": round(wall, 3), "cpu_time_s": round(cpu, 3),
                "steps_per_s": round(sim / world.timestep / wall), "rtf": round(sim / wall, 1),
                "rtf_cpu": round(sim / cpu, 1), "error": error}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", nargs="*", default=sorted(TASKS))
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    names = {}
    for t in args.tasks:
        with TASKS[t].make_world(0) as world:
            names[t] = list(TASKS[t].plans(world))
    jobs = [(t, p, s) for t in args.tasks for p in names[t] for s in range(args.seeds)]
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(run_one, *zip(*jobs, strict=True)))
    commit = current_commit()
    changed = subprocess.run(["git", "status", "--porcelain", "--", "sim", "skills", __file__],
                             capture_output=True, text=True, cwd=Path(__file__).parents[1]).stdout
    changed = sorted(line[3:] for line in changed.splitlines())
    RESULTS.mkdir(exist_ok=True)
    with open(RESULTS / "task_suite.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    lines = [f"{'task':14s} {'plan':27s} {'success':>8s} {'sim s':>7s} {'wall s':>7s} "
             f"{'cpu s':>6s} {'steps/s':>8s} {'RTF':>6s} {'RTF cpu':>7s}  first failure"]
    rates = []
    for name, plan in ((t, p) for t in args.tasks for p in names[t]):
        mine = [r for r in rows if r["task"] == name and r["plan"] == plan]
        ok = sum(r["success"] for r in mine)
        rates.append(ok / len(mine))
        mean = {k: sum(r[k] for r in mine) / len(mine)
                for k in ("sim_time_s", "wall_time_s", "cpu_time_s", "steps_per_s", "rtf",
                          "rtf_cpu")}
        first = next((f"seed {r['seed']}: {r['error']}" for r in mine if not r["success"]), "")
        lines.append(f"{name:14s} {plan:27s} {ok:>4d}/{len(mine):<3d} {mean['sim_time_s']:7.1f} "
                     f"{mean['wall_time_s']:7.2f} {mean['cpu_time_s']:6.2f} "
                     f"{mean['steps_per_s']:8.0f} {mean['rtf']:6.1f} {mean['rtf_cpu']:7.1f}  "
                     f"{first[:150]}")
    lines.append(f"{len(rates)} plans of {len(args.tasks)} tasks; lowest success rate of a "
                 f"plan {min(rates):.0%}")
    lines.append(f"{len(rows)} runs in {args.jobs} processes on {os.cpu_count()} CPUs; load "
                 f"average over the last 5 min at the end: {os.getloadavg()[1]:.1f} "
                 f"(commit {commit}; files of sim/, skills/ or this script changed since: "
                 f"{', '.join(changed) or 'none'})")
    text = "\n".join(lines) + "\n"
    (RESULTS / "task_suite.txt").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
