"""Perceived vs true object positions: what the interface sees from the top camera
(``noir.perception``: segmentation + rendered depth -> 3-D) against the simulator's poses.

For every task in ``sim.tasks.TASKS`` and seeds 0-4, the scene is looked at at the start and
after each step of the task's reference plan (run by the skills; the held object is passed
as ``held``, as the interface does). For every object seen:

* **position**: horizontal distance between the perceived footprint centre
  (``Sighting.centre``) and ``World.object_position`` (the centre of the base link's bounding
  box), in cm;
* **top**: perceived top height (``Sighting.top``) minus the top of the object's bounding box
  (every link), in cm;
* **pixel**: distance between the perceived pixel centroid and the projection of
  ``World.object_top``, in pixels (where the cursor starts "on the object");
* for box-like objects (length >= 1.2 x width) seen whole: footprint yaw error (deg, modulo
  180) and size error (cm).

Objects not seen are counted by why (held by the robot, or hidden / outside the image).

Run from the repository root: ``python experiments/perception_error.py [--seeds N]``. Writes
``experiments/results/perception_error.txt`` (naming the commit).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from provenance import commit as current_commit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from noir.perception import Perception  # noqa: E402
from sim.tasks import TASKS  # noqa: E402
from skills import SkillFailure, get_skill  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
BOX_LIKE = 1.2
"""Smallest length / width of an object's footprint for its yaw to be defined (mod 180 deg)."""


def scene_errors(world, perception: Perception) -> tuple[list[dict], dict[str, int], float]:
    """One look at ``world``: a row of errors per object seen, the counts of objects not seen
    by why, and the look's wall time in ms."""
    held = world.robot.held_object()
    start = time.perf_counter()
    seen = perception.look(world, held=held)
    ms = (time.perf_counter() - start) * 1e3
    frame = perception.frame
    rows, missing = [], {"held": 0, "hidden": 0}
    for name in world.object_names():
        if name not in seen:
            missing["held" if name == held else "hidden"] += 1
            continue
        s = seen[name]
        lo, hi = world.object_aabb(name)
        row = {"object": name, "partial": s.partial,
               "position_cm": 100 * float(np.hypot(*(np.array(s.centre)
                                                     - world.object_position(name)[:2]))),
               "top_cm": 100 * (s.top - float(hi[2])),
               "pixel": float(np.hypot(*(np.array(s.pixel)
                                         - frame.world_to_pixel(world.object_top(name)))))}
        size = world.object_info(name).size
        length, width = max(size[:2]), min(size[:2])
        lid = len(world.object_info(name).parts) and any(
            p == "hinge" for p, _ in world.object_info(name).parts)
        if length >= BOX_LIKE * width and not s.partial and not lid:
            yaw = world.object_yaw(name) + (0.0 if size[0] >= size[1] else np.pi / 2)
            row["yaw_deg"] = abs(float(np.degrees((s.yaw - yaw + np.pi / 2) % np.pi
                                                  - np.pi / 2)))
            row["size_cm"] = 100 * float(np.max(np.abs(np.subtract(s.size, (length, width)))))
        rows.append(row)
    return rows, missing, ms


def measure(seeds: int) -> tuple[list[dict], dict[str, int], list[float], int]:
    """Rows of every look of every task and seed, the not-seen counts, look times (ms), and
    the plan steps that failed."""
    rows, missing, times, failed = [], {"held": 0, "hidden": 0}, [], 0
    for name, task in TASKS.items():
        for seed in range(seeds):
            world = task.make_world(seed)
            perception = Perception()
            plan = task.reference_plan(world)
            for step_index in range(len(plan) + 1):
                if step_index:
                    step = plan[step_index - 1]
                    try:
                        get_skill(step.skill).run(world, step.resolve(world))
                    except SkillFailure:
                        failed += 1
                found, gone, ms = scene_errors(world, perception)
                for row in found:
                    row.update(task=name, seed=seed, step=step_index)
                rows += found
                times.append(ms)
                for key in missing:
                    missing[key] += gone[key]
            world.close()
            print(f"{name} seed {seed}: {len(plan)} steps", file=sys.stderr, flush=True)
    return rows, missing, times, failed


def summary(values: list[float]) -> str:
    """``mean / max`` of ``values`` (or ``-``)."""
    return f"{np.mean(values):6.2f} / {np.max(values):6.2f}" if values else "     - /      -"


def report(rows: list[dict], missing: dict[str, int], times: list[float], failed: int,
           seeds: int) -> str:
    """The text of ``perception_error.txt``."""
    lines = [
        "Perceived (top camera: segmentation + rendered depth) vs simulator object positions",
        f"commit {current_commit()}; {len(TASKS)} tasks x seeds 0-{seeds - 1}; a look at "
        "the start and after each reference-plan step",
        f"{len(rows)} sightings, {sum(r['partial'] for r in rows)} of them partial "
        f"(edge or nearer body); not seen: {missing['held']} held, {missing['hidden']} "
        f"hidden/outside; {failed} plan steps failed; look {np.median(times):.0f} ms median",
        "",
        "mean / max     position cm     top cm          pixel px        yaw deg         size cm",
    ]

    def line(label: str, sel: list[dict]) -> str:
        cols = [summary([r[k] for r in sel if k in r])
                for k in ("position_cm", "top_cm", "pixel", "yaw_deg", "size_cm")]
        return f"{label:14s} " + "  ".join(cols)

    lines.append(line("all", rows))
    lines.append(line("whole", [r for r in rows if not r["partial"]]))
    lines.append(line("partial", [r for r in rows if r["partial"]]))
    lines.append(line("start", [r for r in rows if r["step"] == 0]))
    lines.append("")
    lines.append("by task (all looks)")
    for name in TASKS:
        lines.append(line(name, [r for r in rows if r["task"] == name]))
    worst = sorted(rows, key=lambda r: -r["position_cm"])[:5]
    lines.append("")
    lines.append("largest position errors")
    for r in worst:
        lines.append(f"  {r['position_cm']:6.2f} cm  {r['task']} seed {r['seed']} after step "
                     f"{r['step']}: {r['object']}{' (partial)' if r['partial'] else ''}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 per task")
    parser.add_argument("--out", type=Path, default=RESULTS / "perception_error.txt")
    args = parser.parse_args()
    if args.seeds < 1:
        parser.error(f"--seeds must be >= 1, got {args.seeds}")
    text = report(*measure(args.seeds), args.seeds)
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
