"""Interrupt latency: a jaw clench during a skill stops the robot how fast?

Randomized trials: a simulated subject (seeded, per ``--profile``) is calibrated, then clenches
at a random moment while the Franka runs Pick(cube) or Place(tray); the interface decodes the
EMG online (``noir.stream.ClenchMonitor``) and the skill stops with an ``InterruptedFailure``.
Latency = robot stop time - clench onset, in simulated time.

    python experiments/interrupt_latency.py --trials 240 --profile default
writes experiments/results/interrupt_latency.txt and .csv.
"""

from __future__ import annotations

import argparse
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np
import pandas as pd

from noir.calibration import calibrate
from noir.config import LoopConfig
from noir.intents import Intent
from noir.loop import InterfaceLoop
from noir.operators import SimulatedOperator
from noir.session import SessionClock, SessionRecorder, read_events
from sim.eeg_subject import SyntheticSubject
from sim.tasks import TASKS
from skills import get_skill

RESULTS = Path(__file__).parent / "results"
# clench onsets are drawn inside the part of each skill that always runs (s)
CLENCH_WINDOW = {"pick": (0.05, 2.4), "place": (0.05, 1.8)}


class ScheduledClench(SimulatedOperator):
    """Clenches at a preset time during one chosen skill."""

    def __init__(self, subject, plan):
        super().__init__(subject, plan)
        self.schedule: dict[str, float] = {}

    def interrupt_time(self, obj, skill):
        return self.schedule.get(skill)


def run_subject(seed: int, n_trials: int, profile: str) -> list[dict]:
    rng = np.random.default_rng(seed)
    config = LoopConfig()
    task = TASKS["cube_in_tray"]()
    rows = []
    with TemporaryDirectory() as tmp:
        with task.make_world(seed) as world:
            operator = ScheduledClench(SyntheticSubject(profile, seed=seed),
                                       task.reference_plan(world))
        calibration = calibrate(operator, config, seed=seed)
        for trial in range(n_trials):
            world = task.make_world(seed * 10_000 + trial)  # new object poses every trial
            skill = ("pick", "place")[trial % 2]
            clench_at = float(rng.uniform(*CLENCH_WINDOW[skill]))
            folder = Path(tmp) / f"trial{trial}"
            loop = InterfaceLoop(world, task, operator, calibration,
                                 SessionRecorder(folder, SessionClock()), config)
            operator.schedule = {}
            if skill == "place":  # hold the cube first
                loop.execute(Intent("cube", "pick", {"object": "cube"}))
            operator.schedule = {skill: clench_at}
            obj = "cube" if skill == "pick" else "tray"
            loop.execute(Intent(obj, skill, get_skill(skill).params_for_object(world, obj)))
            loop.recorder.close()
            world.close()
            (end,) = [e for e in read_events(folder)
                      if e["event"] in ("skill_end", "skill_failure") and e["skill"] == skill]
            rows.append({
                "seed": seed, "trial": trial, "skill": skill, "clench_at_s": clench_at,
                "outcome": end.get("reason", "succeeded"),
                "interrupted": end.get("reason") == "interrupted",
                "detected_at_s": end["detected_at"], "stopped_at_s": end["sim_time"],
                "latency_ms": 1e3 * (end["sim_time"] - clench_at),
            })
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=240, help="total randomized trials")
    parser.add_argument("--subjects", type=int, default=8, help="simulated subjects (seeds)")
    parser.add_argument("--profile", default="default")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    per_subject = -(-args.trials // args.subjects)
    with ProcessPoolExecutor(args.jobs) as pool:
        parts = pool.map(run_subject, range(args.subjects), [per_subject] * args.subjects,
                         [args.profile] * args.subjects)
        table = pd.DataFrame([row for part in parts for row in part])
    RESULTS.mkdir(exist_ok=True)
    table.to_csv(RESULTS / "interrupt_latency.csv", index=False)
    early = table["interrupted"] & (table["latency_ms"] < 0)  # a false alarm stopped it
    valid = table[table["interrupted"] & ~early]
    lat = valid["latency_ms"]
    lines = [
        f"interrupt latency, profile {args.profile}: {len(table)} trials "
        f"({args.subjects} simulated subjects, Pick and Place, clench onset uniform in "
        f"{CLENCH_WINDOW} s)",
        f"outcomes: {table['outcome'].value_counts().to_dict()}",
        f"stopped by a false alarm before the clench: {early.sum()}",
        f"interrupted by the clench: {len(valid)} of {len(table)} ({len(valid) / len(table):.1%})",
        f"latency ms (clench onset -> robot stopped, simulated time): median {lat.median():.0f}, "
        f"p95 {lat.quantile(0.95):.0f}, max {lat.max():.0f}, min {lat.min():.0f}",
        f"<= 500 ms: {(lat <= 500).mean():.1%}   <= 250 ms: {(lat <= 250).mean():.1%}",
        "histogram (ms): " + ", ".join(
            f"{lo}-{lo + 25}: {((lat > lo) & (lat <= lo + 25)).sum()}" for lo in range(0, 300, 25)
        ),
    ]
    text = "\n".join(lines) + "\n"
    (RESULTS / "interrupt_latency.txt").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
