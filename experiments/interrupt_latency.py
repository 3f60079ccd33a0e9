"""Interrupt latency: how fast does a jaw clench during a skill bring the robot to standstill?

Randomized trials: a simulated subject (seeded, per ``--profile``) is calibrated, then clenches
at a random moment while a skill runs; the interface decodes the EMG online
(``noir.stream.ClenchMonitor`` through ``noir.loop.InterfaceLoop.execute``) and the robot brakes
to standstill before the skill fails with ``InterruptedFailure``. ``--trials`` Franka trials of
three kinds in turn, then ``--tiago-trials`` TIAGo trials, spread over the subjects:

* ``pick``: the Franka picks the cube (clench onset uniform in 0.05-2.4 s);
* ``place``: the Franka places the held cube in the tray (onset uniform from 0.05 s to the end of
  the gripper opening);
* ``place_opening``: the same, onset uniform from 0.25 s before the gripper starts opening to
  0.2 s before it is open, so that most clenches are decoded while the fingers open;
* ``tiago_pick``: TIAGo picks the trash off the counter (onset uniform from 0.05 s to 0.35 s
  before the pick ends).

Per trial: detection latency = decoded - onset; standstill latency = standstill - onset, where
standstill is when the skill failed (the robot raises at standstill), checked over 1 s more of
simulation: every arm and finger joint must stay below its standstill speed (0.01 rad/s, 1 mm/s
for prismatic joints, ``sim.arm``), else standstill is the end of the last step above it. An
object held at standstill must still be held 1 s later, within 1 mm of where it was in the
hand. A dry run of the same skill from the same state gives the gripper opening's interval (the
phase of the stop) and the gripper's position at detection (its travel while braking).

    python experiments/interrupt_latency.py --trials 240 --tiago-trials 64 --subjects 8 --n-jobs 2
writes experiments/results/interrupt_latency.txt and .csv (all times simulated).
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from tempfile import TemporaryDirectory

import numpy as np
import pandas as pd
from provenance import commit as current_commit

from noir.calibration import calibrate
from noir.config import LoopConfig
from noir.intents import Intent
from noir.loop import InterfaceLoop
from noir.session import SessionClock, SessionRecorder, read_events
from noir.stream import SimulatedOperator
from sim.eeg_subject import SyntheticSubject
from sim.person import ScheduledClench
from sim.tasks import TASKS
from skills import get_skill

RESULTS = Path(__file__).parent / "results"
FRANKA_KINDS = ("pick", "place", "place_opening")
PICK_WINDOW = (0.05, 2.4)
"""Clench onsets of ``pick`` trials, s after the skill starts (inside the part that always
runs)."""
LIMIT_MS = 300.0
"""Acceptance: standstill within this many ms of simulated time after the clench onset."""
HOLD_CHECK_S = 1.0
"""Simulated time after standstill over which the robot must stay still and keep its hold."""


def in_hand(robot, world, obj: str) -> np.ndarray:
    """Position (3,) m of ``obj`` in the gripper-centre frame."""
    return robot.to_hand_frame(world.object_position(obj))


def dry_run(world, skill: str, params: dict) -> tuple[np.ndarray, np.ndarray, tuple | None]:
    """Run ``skill`` uninterrupted from a snapshot, then restore it.

    Returns the poll times (n,) s after the start, the gripper positions (n, 3) m at them, and
    the gripper opening's (start, end) s (from the poll that finds the grasp let go to the
    first poll with the gripper 0.5 mm higher), or None if the skill lets nothing go.
    """
    state = world.save_state()
    world.restore_state(state)  # the clench run starts from the restored state too
    robot, t0, log = world.robot, world.sim_time, []

    def poll() -> bool:
        log.append((world.sim_time - t0, robot.held_object(), *robot.ee_position()))
        return False

    held = robot.held_object()
    get_skill(skill).run(world, params, should_stop=poll)
    world.restore_state(state)
    times = np.array([row[0] for row in log])
    ee = np.array([row[2:] for row in log])
    released = [i for i, row in enumerate(log) if held is not None and row[1] is None]
    if not released:
        return times, ee, None
    start = released[0]
    risen = [i for i in range(start, len(log)) if ee[i, 2] > ee[start, 2] + 5e-4]
    return times, ee, (times[start], times[risen[0]] if risen else times[-1])


def setup(kind: str, seed: int):
    """The world for a ``kind`` trial, ready for its skill: (task, world, skill, object)."""
    if kind == "tiago_pick":
        task = TASKS["trash_disposal"]()
        world = task.make_world(seed)
        move = task.reference_plan(world)[0]
        get_skill(move.skill).run(world, move.resolve(world))
        return task, world, "pick", "trash"
    task = TASKS["cube_in_tray"]()
    world = task.make_world(seed)
    if kind == "pick":
        return task, world, "pick", "cube"
    get_skill("pick").run(world, {"object": "cube"})
    return task, world, "place", "tray"


def onset_window(kind: str, duration: float, opening: tuple | None) -> tuple[float, float]:
    """Where a ``kind`` trial's clench onset is drawn, s after the skill starts."""
    if kind == "pick":
        return PICK_WINDOW
    if kind == "place":
        return 0.05, opening[1]
    if kind == "place_opening":
        return opening[0] - 0.25, opening[1] - 0.2
    return 0.05, duration - 0.35


def hold_check(world, held: str | None) -> dict:
    """Step ``HOLD_CHECK_S`` s: when the robot last moved, how far, and whether it kept ``held``."""
    robot = world.robot
    ee, fingers = robot.ee_position(), robot.joint_positions()[-2:]
    pose = None if held is None else in_hand(robot, world, held)
    last_moving = 0 if robot.at_standstill() else 1  # steps after the stop
    n = round(HOLD_CHECK_S / world.timestep)
    for k in range(1, n + 1):
        world.step()
        if not robot.at_standstill():
            last_moving = k + 1
    row = {
        "moved_after_stop_ms": 1e3 * last_moving * world.timestep,
        "drift_mm": 1e3 * float(np.linalg.norm(robot.ee_position() - ee)),
        "finger_drift_mm": 1e3 * float(np.max(np.abs(robot.joint_positions()[-2:] - fingers))),
        "held_after": robot.held_object(),
        "slip_mm": np.nan,
    }
    if held is not None and robot.held_object() == held:
        row["slip_mm"] = 1e3 * float(np.linalg.norm(in_hand(robot, world, held) - pose))
    return row


def run_subject(seed: int, n_trials: int, n_tiago: int, profile: str) -> list[dict]:
    rng = np.random.default_rng(seed)
    config = LoopConfig()
    cube_task = TASKS["cube_in_tray"]()
    rows = []
    with TemporaryDirectory() as tmp:
        with cube_task.make_world(seed) as world:
            operator = SimulatedOperator(SyntheticSubject(profile, seed=seed),
                                         ScheduledClench(cube_task.reference_plan(world)))
        calibration = calibrate(operator, config, seed=seed)
        for trial in range(n_trials + n_tiago):
            kind = FRANKA_KINDS[(seed + trial) % 3] if trial < n_trials else "tiago_pick"
            task, world, skill, obj = setup(kind, seed * 10_000 + trial)
            robot = world.robot
            params = get_skill(skill).params_for_object(world, obj)
            times, ee_path, opening = dry_run(world, skill, params)
            clench_at = float(rng.uniform(*onset_window(kind, times[-1], opening)))
            folder = Path(tmp) / f"trial{trial}"
            loop = InterfaceLoop(world, task, operator, calibration,
                                 SessionRecorder(folder, SessionClock()), config)
            operator.person.schedule = {skill: clench_at}
            held_before = robot.held_object()
            loop.execute(Intent(obj, skill, params))
            loop.recorder.close()
            (end,) = [e for e in read_events(folder)
                      if e["event"] in ("skill_end", "skill_failure") and e["skill"] == skill]
            detected, stopped = end["detected_at"], end["sim_time"]
            held = robot.held_object()
            row = {
                "seed": seed, "trial": trial, "kind": kind, "robot": type(robot).__name__,
                "clench_at_s": clench_at, "outcome": end.get("reason", "succeeded"),
                "detected_at_s": detected, "stopped_at_s": stopped,
                "still_at_stop": robot.at_standstill(),
                "phase": "",
                "held_before": held_before, "held_at_stop": held,
                "travel_mm": np.nan,
            }
            if detected is not None:
                i = min(int(np.searchsorted(times, detected)), len(times) - 1)
                row["travel_mm"] = 1e3 * float(np.linalg.norm(robot.ee_position() - ee_path[i]))
                if opening is not None:
                    row["phase"] = ("before opening" if detected < opening[0] else
                                    "opening" if detected < opening[1] else "after opening")
            row |= hold_check(world, held)
            row["standstill_at_s"] = stopped + row["moved_after_stop_ms"] / 1e3
            row["detection_ms"] = np.nan if detected is None else 1e3 * (detected - clench_at)
            row["standstill_ms"] = 1e3 * (row["standstill_at_s"] - clench_at)
            row["brake_ms"] = np.nan if detected is None else 1e3 * (stopped - detected)
            rows.append(row)
            world.close()
    return rows


def spread(values: pd.Series) -> str:
    q = values.quantile([0.5, 0.9, 0.99])
    return (f"median {q[0.5]:.0f}, p90 {q[0.9]:.0f}, p99 {q[0.99]:.0f}, max {values.max():.0f}, "
            f"min {values.min():.0f}")


def acceptance(valid: pd.DataFrame) -> str:
    """Standstill within ``LIMIT_MS`` of the onset, and objects dropped after standstill."""
    held = valid[valid["held_at_stop"].notna()]
    dropped = held[(held["held_after"] != held["held_at_stop"]) | (held["slip_mm"] > 1.0)]
    within = valid["standstill_ms"] <= LIMIT_MS
    return (f"standstill within {LIMIT_MS:.0f} ms of the clench onset: {int(within.sum())} of "
            f"{len(valid)} ({within.mean():.1%}); held at standstill {len(held)}, dropped or "
            f"slipped > 1 mm within {HOLD_CHECK_S:.0f} s: {len(dropped)}")


def report(table: pd.DataFrame, command: str, commit: str, minutes: float) -> str:
    early = table["interrupted"] & (table["detection_ms"] < 0)  # a false alarm stopped it
    valid = table[table["interrupted"] & ~early]
    franka = valid[valid["robot"] == "PandaRobot"]
    tiago = valid[valid["robot"] != "PandaRobot"]
    lines = [
        f"{command}  (commit {commit}, {minutes:.1f} min on this machine)",
        f"{len(table)} trials: {table['kind'].value_counts().sort_index().to_dict()}; "
        f"outcomes {table['outcome'].value_counts().to_dict()}",
        f"stopped by a false alarm before the clench: {int(early.sum())}; "
        f"interrupted by the clench: {len(valid)} of {len(table)}",
        "standstill: every arm and finger joint below 0.01 rad/s (1 mm/s prismatic), checked "
        f"over {HOLD_CHECK_S:.0f} s more of simulation; times are simulated",
        "",
        f"ACCEPTANCE (Franka Pick/Place, {len(franka)} trials): {acceptance(franka)}",
        f"TIAGo Pick ({len(tiago)} trials): {acceptance(tiago)}",
        "",
        f"all ({len(valid)}) ms",
        f"  detection  (onset -> decoded):       {spread(valid['detection_ms'])}",
        f"  standstill (onset -> standstill):    {spread(valid['standstill_ms'])}",
        f"  braking    (decoded -> standstill):  {spread(valid['brake_ms'])}",
        f"  gripper travel while braking (mm):   {spread(valid['travel_mm'])}",
        f"  moved again after standstill: {int((valid['moved_after_stop_ms'] > 0).sum())}; "
        f"largest gripper drift over the next {HOLD_CHECK_S:.0f} s "
        f"{valid['drift_mm'].max():.3f} mm, fingers {valid['finger_drift_mm'].max():.3f} mm",
    ]
    for kind, part in valid.groupby("kind"):
        lines += [
            f"{kind} ({len(part)}) ms",
            f"  detection:  {spread(part['detection_ms'])}",
            f"  standstill: {spread(part['standstill_ms'])}",
            f"  braking:    {spread(part['brake_ms'])}",
        ]
        if part["phase"].any():
            lines.append(f"  decoded {part['phase'].value_counts().to_dict()}")
        kept = part[part["held_before"].notna()]
        if len(kept):
            lines.append(
                f"  held before: {len(kept)}; at standstill: "
                f"{int(kept['held_at_stop'].notna().sum())} (let go before the stop, by the "
                f"opening: {int(kept['held_at_stop'].isna().sum())}); still held "
                f"{HOLD_CHECK_S:.0f} s later: {int((kept['held_after'].notna()).sum())}")
    latency = valid["standstill_ms"]
    lines.append("histogram of standstill latency (ms): " + ", ".join(
        f"{lo}-{lo + 25}: {int(((latency > lo) & (latency <= lo + 25)).sum())}"
        for lo in range(175, 325, 25)))
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=240, help="Franka trials in all")
    parser.add_argument("--tiago-trials", type=int, default=64, help="TIAGo trials in all")
    parser.add_argument("--subjects", type=int, default=8, help="simulated subjects (seeds)")
    parser.add_argument("--profile", default="default")
    parser.add_argument("--n-jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--out", type=Path, default=RESULTS / "interrupt_latency",
                        help="output path without suffix (.txt and .csv are written)")
    args = parser.parse_args()
    if min(args.trials, args.subjects, args.n_jobs) < 1 or args.tiago_trials < 0:
        parser.error(f"--trials, --subjects and --n-jobs must be >= 1 and --tiago-trials >= 0, "
                     f"got {args.trials}, {args.subjects}, {args.n_jobs}, {args.tiago_trials}")
    start = time.monotonic()
    n = args.subjects
    with ProcessPoolExecutor(args.n_jobs) as pool:
        parts = pool.map(run_subject, range(n), [-(-args.trials // n)] * n,
                         [-(-args.tiago_trials // n)] * n, [args.profile] * n)
        table = pd.DataFrame([row for part in parts for row in part])
    table["interrupted"] = table["outcome"] == "interrupted"
    commit = current_commit()
    command = (f"python experiments/interrupt_latency.py --trials {args.trials} --tiago-trials "
               f"{args.tiago_trials} --subjects {args.subjects} --profile {args.profile} "
               f"--n-jobs {args.n_jobs}")
    text = report(table, command, commit, (time.monotonic() - start) / 60)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out.with_suffix(".csv"), index=False)
    args.out.with_suffix(".txt").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
