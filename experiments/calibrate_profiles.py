"""Measure each synthetic-subject profile with NOIR's decoders, used as the interface uses them.

For every built-in profile (and a sampled population of subjects), ``--sessions`` simulated
sessions are run. A session is what ``noir demo`` does with one subject, with the subject's
session phase switched from calibration to task time in between:

1. Calibration (``subject.session_phase = "calibration"``): ``noir.calibration.calibrate`` records
   20 cued 3-s MI trials per class (Left Hand, Right Hand, Legs, Rest) and fits CSP+QDA (4-way)
   on the 12 sensorimotor channels, and 20 rest + 20 clench 1-s windows for the EMG detector on
   T7/T8/F7/F8; its 5-fold CV accuracies are the calibration accuracies. A second block of 20
   Left Hand + 20 Rest trials fits the 2-way CSP+QDA of NOIR's cursor (Left Hand = move left,
   Rest = move right), with the same 5-fold CV.
2. Task time (``subject.session_phase = "task"``): fresh trials, each recorded on its own as the
   loop records them: 10-s SSVEP windows at 6 / 7.5 / 8.57 / 10 Hz decoded by CCA on the 8
   occipital channels; 3-s MI windows decoded by the 4-way and (Left Hand and Rest trials only)
   the 2-way CSP+QDA; 1-s rest and clench windows decoded by the EMG detector.

Accuracies are pooled over sessions (trial-weighted). The standard error printed is the binomial
one of the pooled trials; the session-to-session sd is in the CSV (``*_session_sd``). Writes
``experiments/results/calibrate_profiles.txt`` and ``.csv``.

Usage::

    python experiments/calibrate_profiles.py            # full run (~12 min on 2 busy cores)
    python experiments/calibrate_profiles.py --sessions 3 --profiles noir-like --no-population
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from provenance import commit as current_commit
from sklearn.model_selection import StratifiedKFold, cross_val_score

from decoders.cues import Cue
from decoders.motor_imagery import CSPQDA
from decoders.ssvep import CCA
from noir.calibration import calibrate, cued_epochs
from noir.config import LoopConfig
from noir.stream import SimulatedOperator
from sim.eeg_subject import PROFILES, SubjectProfile, SyntheticSubject, sample_population

RESULTS = Path(__file__).resolve().parent / "results"
CURSOR_CLASSES = ("left_hand", "rest")  # NOIR's 2-way cursor: Left Hand = left, Rest = right
N_CALIBRATION = 20  # trials per class, as noir.calibration.calibrate
SFREQ = 256.0  # Hz, the synthetic subject's default rate
NOIR_TABLE2 = {  # NOIR (CoRL 2023) Table 2: (calibration accuracy, task-time accuracy)
    "ssvep_cca_4way": (None, 0.812),
    "mi_cspqda_4way": (0.580, 0.422),
    "mi_cspqda_2way": (0.882, 0.739),
    "emg_2way": (1.0, 1.0),
}
METRICS = (
    "ssvep_cca_4way_task",
    "mi_cspqda_4way_calib",
    "mi_cspqda_4way_task",
    "mi_cspqda_2way_calib",
    "mi_cspqda_2way_task",
    "emg_calib",
    "emg_task",
)


def _task_windows(
    subject: SyntheticSubject, cues: list[Cue], channels: Sequence[str], window: float
) -> np.ndarray:
    """Record each cue on its own, as the loop does, and keep its first ``window`` s.

    Returns an array of shape (n_cues, n_channels, n_times).
    """
    n_times = round(window * SFREQ)
    return np.stack(
        [subject.record([cue]).get_data(picks=list(channels))[:, :n_times] for cue in cues]
    )


def run_session(
    profile: SubjectProfile,
    seed: int,
    *,
    n_ssvep: int,
    n_mi: int,
    n_emg: int,
    config: LoopConfig,
) -> dict[str, tuple[int, int]]:
    """One calibration + task-time session; returns ``{metric: (n_correct, n_trials)}``.

    Parameters
    ----------
    n_ssvep, n_mi, n_emg : int
        Task-time trials per class: SSVEP targets (4), MI classes (4), rest/clench (2).
    """
    rng = np.random.default_rng(seed)
    subject = SyntheticSubject(profile, sfreq=SFREQ, seed=seed)
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    out: dict[str, tuple[int, int]] = {}

    calib = calibrate(
        SimulatedOperator(subject), config, n_mi_trials=N_CALIBRATION, n_emg_trials=N_CALIBRATION,
        seed=seed,
    )  # fmt: skip
    n_calib = 4 * N_CALIBRATION
    out["mi_cspqda_4way_calib"] = (round(calib.mi_accuracy * n_calib), n_calib)
    out["emg_calib"] = (round(calib.emg_accuracy * 2 * N_CALIBRATION), 2 * N_CALIBRATION)

    cursor_cues = [Cue("mi", config.mi_window, c) for c in CURSOR_CLASSES] * N_CALIBRATION
    cursor_cues = [cursor_cues[i] for i in rng.permutation(len(cursor_cues))]
    X, labels = cued_epochs(
        subject.record(cursor_cues), cursor_cues, config.mi_channels, config.mi_window
    )
    y = np.array([label.split("/", 1)[1] for label in labels])
    cursor = CSPQDA(sfreq=SFREQ)
    cv = cross_val_score(cursor, X, y, cv=folds).mean()
    out["mi_cspqda_2way_calib"] = (round(cv * y.size), y.size)
    cursor.fit(X, y)

    subject.session_phase = "task"
    freqs = config.ssvep_freqs
    cues = [Cue("ssvep", config.ssvep_window, f) for f in freqs for _ in range(n_ssvep)]
    X = _task_windows(subject, cues, config.ssvep_channels, config.ssvep_window)
    pred = CCA(freqs, SFREQ).fit().predict(X)
    out["ssvep_cca_4way_task"] = (int(np.sum(pred == [c.target for c in cues])), len(cues))

    classes = ("left_hand", "right_hand", "legs", "rest")
    cues = [Cue("mi", config.mi_window, c) for c in classes for _ in range(n_mi)]
    X = _task_windows(subject, cues, config.mi_channels, config.mi_window)
    y = np.array([c.target for c in cues])
    out["mi_cspqda_4way_task"] = (int(np.sum(calib.mi.predict(X) == y)), y.size)
    two = np.isin(y, CURSOR_CLASSES)
    out["mi_cspqda_2way_task"] = (int(np.sum(cursor.predict(X[two]) == y[two])), int(two.sum()))

    cues = [Cue(kind, config.confirm_window) for kind in ("rest", "clench") for _ in range(n_emg)]
    X = _task_windows(subject, cues, config.emg_channels, config.confirm_window)
    y = np.array([c.kind == "clench" for c in cues])
    out["emg_task"] = (int(np.sum(calib.emg.predict(X) == y)), y.size)
    return out


def measure(
    profile: SubjectProfile, seeds: Sequence[int], **session_kwargs: int | LoopConfig
) -> dict[str, float]:
    """Pooled accuracy, binomial standard error and sd over sessions of each metric."""
    sessions = [run_session(profile, seed, **session_kwargs) for seed in seeds]
    row: dict[str, float] = {}
    for metric in METRICS:
        correct = sum(s[metric][0] for s in sessions)
        total = sum(s[metric][1] for s in sessions)
        acc = correct / total
        row[metric] = acc
        row[f"{metric}_se"] = math.sqrt(acc * (1 - acc) / total)
        row[f"{metric}_session_sd"] = float(np.std([s[metric][0] / s[metric][1] for s in sessions]))
        row[f"{metric}_n"] = total
    return row


def _format_noir_comparison(row: dict[str, float]) -> list[str]:
    lines = [
        "noir-like vs NOIR Table 2 (calibration / task-time accuracy)",
        f"{'stage':<34}{'NOIR':>16}{'noir-like':>26}",
    ]
    names = {
        "ssvep_cca_4way": "What: SSVEP CCA 4-way (10 s)",
        "mi_cspqda_4way": "How: MI CSP+QDA 4-way (3 s)",
        "mi_cspqda_2way": "Where: MI CSP+QDA 2-way (LH/Rest)",
        "emg_2way": "Confirm: EMG threshold 2-way",
    }
    keys = {
        "ssvep_cca_4way": (None, "ssvep_cca_4way_task"),
        "mi_cspqda_4way": ("mi_cspqda_4way_calib", "mi_cspqda_4way_task"),
        "mi_cspqda_2way": ("mi_cspqda_2way_calib", "mi_cspqda_2way_task"),
        "emg_2way": ("emg_calib", "emg_task"),
    }
    for stage, (noir_cal, noir_task) in NOIR_TABLE2.items():
        cal_key, task_key = keys[stage]
        noir = f"{'-' if noir_cal is None else f'{noir_cal:.3f}'} / {noir_task:.3f}"
        ours_cal = "-" if cal_key is None else f"{row[cal_key]:.3f}"
        ours = f"{ours_cal} / {row[task_key]:.3f}+-{row[task_key + '_se']:.3f}"
        lines.append(f"{names[stage]:<34}{noir:>16}{ours:>26}")
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sessions", type=int, default=10, help="sessions per profile")
    parser.add_argument("--profiles", nargs="+", default=sorted(PROFILES))
    parser.add_argument("--population", type=int, default=10, help="sampled noir-like subjects")
    parser.add_argument("--population-sessions", type=int, default=1, help="sessions each")
    parser.add_argument("--no-population", action="store_true")
    parser.add_argument("--n-ssvep", type=int, default=10, help="task SSVEP trials per target")
    parser.add_argument("--n-mi", type=int, default=25, help="task MI trials per class")
    parser.add_argument("--n-emg", type=int, default=15, help="task rest/clench windows each")
    parser.add_argument("--out", type=Path, default=RESULTS / "calibrate_profiles")
    args = parser.parse_args(argv)
    config = LoopConfig()
    kwargs = {"n_ssvep": args.n_ssvep, "n_mi": args.n_mi, "n_emg": args.n_emg, "config": config}
    start = time.perf_counter()

    rows = []
    for name in args.profiles:
        row = measure(PROFILES[name], range(args.sessions), **kwargs)
        rows.append({"group": "profile", "profile": name, "sessions": args.sessions, **row})
        print(f"{name}: " + ", ".join(f"{m}={row[m]:.3f}" for m in METRICS), flush=True)
    population_rows = []
    if not args.no_population:
        for profile in sample_population(args.population, base="noir-like", seed=0):
            row = measure(profile, range(args.population_sessions), **kwargs)
            population_rows.append(
                {"group": "population", "profile": profile.name,
                 "sessions": args.population_sessions, **row}
            )  # fmt: skip
            print(f"{profile.name}: " + ", ".join(f"{m}={row[m]:.3f}" for m in METRICS), flush=True)
    table = pd.DataFrame(rows + population_rows)

    lines = [
        "Synthetic-subject profiles measured with NOIR's decoders as the interface uses them",
        f"commit {current_commit()}",
        f"command: python experiments/calibrate_profiles.py --sessions {args.sessions} "
        f"--profiles {' '.join(args.profiles)} "
        f"--population {0 if args.no_population else args.population} "
        f"--population-sessions {args.population_sessions}",
        f"task-time trials per session: SSVEP {4 * args.n_ssvep} (10 s), MI {4 * args.n_mi} "
        f"(3 s; 2-way on its {2 * args.n_mi} Left Hand/Rest trials), EMG {2 * args.n_emg} (1 s); "
        f"calibration: {N_CALIBRATION}/class (4-way MI, 2-way MI, EMG), 5-fold CV",
        "",
        f"{'profile':<14}" + "".join(f"{m:>22}" for m in METRICS),
    ]
    for row in rows:
        lines.append(
            f"{row['profile']:<14}"
            + "".join(f"{row[m]:>14.3f}+-{row[m + '_se']:.3f}" for m in METRICS)
        )
    if population_rows:
        pop = table[table.group == "population"]
        lines += [
            "",
            f"noir-like population (sample_population seed 0): {len(pop)} subjects x "
            f"{args.population_sessions} session(s); mean +- sd over subjects (the sd includes "
            "each subject's own measurement noise)",
        ]
        lines.append(
            f"{'population':<14}"
            + "".join(f"{pop[m].mean():>14.3f}+-{pop[m].std(ddof=1):.3f}" for m in METRICS)
        )
        lines.append(
            f"{'min .. max':<14}"
            + "".join(f"{pop[m].min():>15.2f}..{pop[m].max():.2f}" for m in METRICS)
        )
    if "noir-like" in args.profiles:
        lines += ["", *_format_noir_comparison(rows[args.profiles.index("noir-like")])]
    lines += ["", f"runtime: {time.perf_counter() - start:.0f} s"]
    text = "\n".join(lines)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".txt").write_text(text + "\n")
    table.to_csv(args.out.with_suffix(".csv"), index=False, float_format="%.4f")


if __name__ == "__main__":
    main()
