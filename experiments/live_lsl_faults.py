"""Live LSL session: how fast a clench or a stream fault during a skill stops the robot (wall).

A synthetic subject (``LoopbackPerson``) serves its EEG on a loopback LSL stream; the interface
(``LSLOperator``) is calibrated from it, then the Franka runs Pick(cube) or Place(tray) while the
clench monitor reads the stream live (the simulation paced to wall time). Two kinds of trials:

- **clench**: the person clenches at a random moment of the skill. Latency = wall time from the
  moment the clench's first sample was due at the sender to the moment the monitor said stop
  (``ClenchWatch.stopped_wall``); the arm then brakes to standstill, which takes simulated time
  (reported too: stop + braking = standstill).
- **fault**: the stream stalls, drops samples, jumps in time, sends NaN, goes flat or saturates
  at a random moment of the skill. Latency from the fault's first sample (for a stall: the first
  sample that never came) to the stop; the record must name the fault.

Last, one session whose stream stalls for good: it must end with ``task_end`` naming the stall.

    python experiments/live_lsl_faults.py --trials 60 --fault-trials 5
writes experiments/results/live_lsl_faults.txt and .csv.
"""

from __future__ import annotations

import argparse
import os
import time
from importlib import resources
from pathlib import Path
from tempfile import TemporaryDirectory

from provenance import commit as current_commit

os.environ.setdefault("LSLAPICFG", str(resources.files("noir") / "lsl_api.cfg"))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pylsl  # noqa: E402

from noir.calibration import calibrate  # noqa: E402
from noir.config import LoopConfig  # noqa: E402
from noir.intents import Intent  # noqa: E402
from noir.loop import InterfaceLoop  # noqa: E402
from noir.lsl import FAULTS, RAIL, LoopbackPerson, LSLOperator  # noqa: E402
from noir.session import SessionClock, SessionRecorder, read_events  # noqa: E402
from sim.eeg_subject import SyntheticSubject  # noqa: E402
from sim.person import ScheduledClench  # noqa: E402
from sim.tasks import TASKS  # noqa: E402
from skills import get_skill  # noqa: E402

RESULTS = Path(__file__).parent / "results"
STREAM = "noir-eeg-live-experiment"
# clench and fault onsets are drawn inside the part of each skill that always runs (s), as in
# interrupt_latency.py
ONSET_WINDOW = {"pick": (0.05, 2.4), "place": (0.05, 1.8)}
STALL = 0.5  # s without a sample that count as a stall


class WatchedLoop(InterfaceLoop):
    """Keeps the clench watches it makes."""

    def clench_watch(self, *args):
        watch = super().clench_watch(*args)
        self.watches.append(watch)
        return watch


def trial(person: LoopbackPerson, operator: LSLOperator, calibration, config, folder: Path,
          seed: int, skill: str, onset: float, fault: str | None) -> dict:
    """One skill with a clench (``fault`` None) or a fault at ``onset`` s; its row."""
    task = TASKS["cube_in_tray"]()
    with task.make_world(seed) as world:
        loop = WatchedLoop(world, task, operator, calibration,
                           SessionRecorder(folder, SessionClock()), config)
        loop.watches = []
        operator.person.schedule, person.faults = {}, {}
        if skill == "place":  # hold the cube first
            loop.execute(Intent("cube", "pick", {"object": "cube"}))
        seen = len(person.onsets)
        if fault is None:
            operator.person.schedule = {skill: onset}
        else:
            person.faults, person.fault_after = {person.n_answered: fault}, onset
        obj = "cube" if skill == "pick" else "tray"
        loop.execute(Intent(obj, skill, get_skill(skill).params_for_object(world, obj)))
        loop.recorder.close()
    operator.person.schedule, person.faults = {}, {}
    (end,) = [e for e in read_events(folder)
              if e["event"] in ("skill_end", "skill_failure") and e["skill"] == skill]
    watch = loop.watches[-1]
    sent = [(kind, t) for kind, t in person.onsets[seen:] if kind == (fault or "clench")]
    row = {"seed": seed, "skill": skill, "kind": fault or "clench", "onset_s": onset,
           "outcome": end.get("reason", "succeeded"), "stream_fault": end.get("stream_fault"),
           "detected_at_s": end["detected_at"], "sim_time_s": end["sim_time"],
           "stop_ms": np.nan, "brake_ms": np.nan, "standstill_ms": np.nan}
    if sent and watch.stopped_wall is not None:
        row["stop_ms"] = 1e3 * (watch.stopped_wall - sent[0][1])
        row["brake_ms"] = 1e3 * (end["sim_time"] - watch.stopped_clock)
        row["standstill_ms"] = row["stop_ms"] + row["brake_ms"]
    return row


def persistent_stall(person, operator, calibration, config, folder: Path) -> dict:
    """A session whose stream stalls for good from its first window: how it ends."""
    task = TASKS["cube_in_tray"]()
    person.faults = {i: "stall" for i in range(person.n_answered, person.n_answered + 100)}
    person.fault_after = 0.5
    start = time.monotonic()
    with task.make_world(0) as world:
        recorder = SessionRecorder(folder, SessionClock())
        summary = InterfaceLoop(world, task, operator, calibration, recorder, config).run()
        recorder.summary(summary)
    person.faults = {}
    events = read_events(folder)
    return {"wall_s": time.monotonic() - start, "last_event": events[-1]["event"],
            "stream_fault": events[-1].get("stream_fault"),
            "n_paused": sum(e["event"] == "stream_paused" for e in events),
            "summary_written": (folder / "summary.json").is_file()}


def describe(values: pd.Series) -> str:
    return (f"median {values.median():.0f}, p95 {values.quantile(0.95):.0f}, "
            f"max {values.max():.0f}, min {values.min():.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=60, help="clench trials (Pick, Place)")
    parser.add_argument("--fault-trials", type=int, default=5, help="trials per fault kind")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    commit = current_commit()
    clock_gap = abs(pylsl.local_clock() - time.monotonic())
    if clock_gap > 1e-3:
        raise RuntimeError(f"pylsl.local_clock() and time.monotonic() differ by {clock_gap} s")
    rng = np.random.default_rng(args.seed)
    config = LoopConfig()
    task = TASKS["cube_in_tray"]()
    rows = []
    with TemporaryDirectory() as tmp, task.make_world(args.seed) as world, LoopbackPerson(
            SyntheticSubject("default", seed=args.seed), stream=STREAM, speed=40.0) as person:
        operator = LSLOperator(ScheduledClench(task.reference_plan(world), world),
                               stream=STREAM, stall=STALL, rail=RAIL)
        calibration = calibrate(operator, config, seed=args.seed)
        plan = [(None, i) for i in range(args.trials)]
        plan += [(kind, i) for kind in FAULTS for i in range(args.fault_trials)]
        for n, (fault, i) in enumerate(plan):
            skill = ("pick", "place")[i % 2]
            onset = float(rng.uniform(*ONSET_WINDOW[skill]))
            rows.append(trial(person, operator, calibration, config, Path(tmp) / f"t{n}",
                              args.seed * 10_000 + n, skill, onset, fault))
            print(rows[-1], flush=True)
        ending = persistent_stall(person, operator, calibration, config, Path(tmp) / "stall")
    table = pd.DataFrame(rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    table.to_csv(RESULTS / "live_lsl_faults.csv", index=False)

    clench = table[table["kind"] == "clench"]
    early = clench["stop_ms"] < 0  # a false alarm stopped the robot before the clench
    valid = clench[(clench["outcome"] == "interrupted") & ~early & clench["stop_ms"].notna()]
    lines = [
        f"live LSL session (commit {commit}, liblsl {pylsl.library_version()}, LoopbackPerson "
        f"on 127.0.0.1, live chunks of {person.chunk} samples at {person.subject.sfreq:g} Hz, "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)",
        f"clench trials: {len(clench)} (Pick and Place, onset uniform in {ONSET_WINDOW} s)",
        f"outcomes: {clench['outcome'].value_counts().to_dict()}; stopped by a false alarm "
        f"before the clench: {int(early.sum())}",
        f"stopped by the clench: {len(valid)} of {len(clench)}",
        f"wall ms, clench onset -> monitor stops the robot: {describe(valid['stop_ms'])}",
        f"  <= 300 ms: {(valid['stop_ms'] <= 300).mean():.1%}   <= 250 ms: "
        f"{(valid['stop_ms'] <= 250).mean():.1%}",
        f"braking to standstill after the stop (simulated ms): {describe(valid['brake_ms'])}",
        f"clench onset -> standstill (wall + braking ms): {describe(valid['standstill_ms'])}",
        f"  <= 300 ms: {(valid['standstill_ms'] <= 300).mean():.1%}",
        "histogram of the stop (ms): " + ", ".join(
            f"{lo}-{lo + 25}: {((valid['stop_ms'] > lo) & (valid['stop_ms'] <= lo + 25)).sum()}"
            for lo in range(150, 350, 25)),
        "",
        f"stream faults during a skill ({args.fault_trials} trials each, stall = no sample for "
        f"{STALL} s, flat = within 0.1 uV for 0.05 s, saturated = at +-{RAIL} V):",
    ]
    for kind in FAULTS:
        part = table[table["kind"] == kind]
        named = part["stream_fault"].fillna("").str.contains(
            {"nan": "NaN", "drop": "dropped", "jump": "jumped", "flat": "flat",
             "saturate": "saturated", "stall": "stalled"}[kind])
        lines.append(
            f"  {kind:8s}: stopped {(part['outcome'] == 'interrupted').sum()} of {len(part)}, "
            f"reason recorded {named.sum()} of {len(part)}; fault -> stop wall ms "
            f"{describe(part['stop_ms'])}; e.g. {part['stream_fault'].iloc[0]!r}")
    lines += [
        "",
        f"persistent stall from the first window: the session ended with "
        f"{ending['last_event']} (stream_fault {ending['stream_fault']!r}) after "
        f"{ending['n_paused']} pauses in {ending['wall_s']:.1f} s wall; summary written: "
        f"{ending['summary_written']}",
    ]
    text = "\n".join(lines) + "\n"
    (RESULTS / "live_lsl_faults.txt").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
