"""NOIR's Table 1 (six rows, with confidence intervals), learning curves and Figure 5 in
simulation, from one run of the task suite.

Runs every task with the configurations of ``noir.experiment.CONFIGS`` (the NOIR protocol;
ours without learning, and its ablations: without early rejection, and that with 95 %-accuracy
SSVEP stopping; both protocols with learning, as curves over sessions 1..N with the cold start
counted) on simulated subjects (EEG profile, person and habit per subject), and writes to
``experiments/results``:

- ``table1.txt`` / ``table1.csv`` / ``table1_compare.csv`` / ``table1.png`` / ``table1.html``:
  the rows over all tasks and per task, each configuration's change of mean total time
  and human time vs the NOIR protocol with bootstrap 95 % intervals and paired Wilcoxon p,
  beside the paper's Table 1 and issue 14's targets;
- ``learning.txt`` / ``learning.csv`` / ``learning.png`` / ``learning.html``: the learning
  curves (change vs the NOIR protocol at each session, 95 % intervals);
  ``figure5.csv`` / ``figure5.png``: NOIR's Figure 5 (object+skill decoding time and cursor
  travel without and with learning);
- ``closed_loop_runs.csv``: one row per session.

A progress bar over the sessions shows on a terminal (stderr). The full experiment is

    python experiments/closed_loop_suite.py --seeds 3 --subjects 4 --sessions 5

(the same as ``noir experiment table1``, whose runs ``noir experiment learning`` shares).
``--configs`` runs some of the configurations only (e.g. after a change to one of them);
``--rows a.csv,b.csv --note "..."`` writes the tables and figures from earlier runs' rows
(concatenated; ``--note`` says how they were made) without running sessions.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from tempfile import TemporaryDirectory

import pandas as pd
from provenance import commit as current_commit

from noir.experiment import (
    BASELINE,
    LEARNING_CONFIGS,
    TABLE1_CONFIGS,
    run_suite,
    session_bar,
    write_learning,
    write_table1,
)
from sim.tasks import TASKS

RESULTS = Path(__file__).parent / "results"
FULL = {"seeds": 3, "subjects": 4, "sessions": 5}
"""The scale issue 14 asks for (at least); a smaller run says it is reduced."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", default="", help="comma-separated (default: all)")
    parser.add_argument("--seeds", type=int, default=FULL["seeds"],
                        help="seeds per task and subject without learning")
    parser.add_argument("--subjects", type=int, default=FULL["subjects"])
    parser.add_argument("--sessions", type=int, default=FULL["sessions"],
                        help="sessions of each learning curve")
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--configs", default="", help="comma-separated (default: all of "
                        "noir.experiment.TABLE1_CONFIGS)")
    parser.add_argument("--rows", default="",
                        help="comma-separated closed_loop_runs.csv files of earlier runs: write "
                             "the tables and figures from their rows instead of running")
    parser.add_argument("--note", default="", help="with --rows: how those rows were made")
    args = parser.parse_args()
    tasks = [t for t in args.tasks.split(",") if t] or sorted(TASKS)
    configs = [c for c in args.configs.split(",") if c] or list(TABLE1_CONFIGS)
    commit = current_commit()
    if args.rows:
        files = [Path(f) for f in args.rows.split(",")]
        runs = pd.concat([pd.read_csv(f) for f in files], ignore_index=True)
        RESULTS.mkdir(exist_ok=True)
        runs.to_csv(RESULTS / "closed_loop_runs.csv", index=False)
        analyse(runs, f"{args.note}\ntables written at commit {commit} from "
                f"{', '.join(f.name for f in files)}: {len(runs)} sessions\n")
        return
    start = time.perf_counter()  # the code that runs is the commit's, named before the run
    with TemporaryDirectory() as tmp, session_bar("closed-loop suite: sessions") as progress:
        runs = run_suite(tasks, configs, list(range(args.seeds)), args.subjects,
                         Path(tmp), sessions=args.sessions, n_jobs=args.n_jobs,
                         progress=progress)
    wall = time.perf_counter() - start
    scale = {"seeds": args.seeds, "subjects": args.subjects, "sessions": args.sessions}
    reduced = [f"{k} {scale[k]} < {v}" for k, v in FULL.items() if scale[k] < v]
    header = (f"python experiments/closed_loop_suite.py {' '.join(sys.argv[1:])}: "
              f"{len(runs)} sessions ({len(tasks)} tasks) in {wall / 60:.1f} min "
              f"(commit {commit})\n"
              f"subjects 0..{args.subjects - 1}: 0 = noir-like EEG profile and the reference "
              "person, others sampled around them; subject i favours plan i; sessions not "
              "kept\n"
              + (f"REDUCED SCALE ({', '.join(reduced)}); the full run is --seeds "
                 f"{FULL['seeds']} --subjects {FULL['subjects']} --sessions "
                 f"{FULL['sessions']}\n" if reduced else ""))
    RESULTS.mkdir(exist_ok=True)
    runs.to_csv(RESULTS / "closed_loop_runs.csv", index=False)
    if BASELINE in configs:
        analyse(runs, header)
    else:  # the tables compare with the baseline: join these rows with a run that has it
        print(f"{len(runs)} sessions in {RESULTS / 'closed_loop_runs.csv'}; no tables without "
              f"{BASELINE!r} (join them with --rows)\n{header}")


def analyse(runs: pd.DataFrame, header: str) -> None:
    """Write Table 1, the learning curves and Figure 5 of ``runs`` to ``RESULTS``."""
    runs["session_index"] = runs["session_index"].astype("Int64")
    write_table1(runs, RESULTS, header)
    print((RESULTS / "table1.txt").read_text())
    if not (set(LEARNING_CONFIGS) - {BASELINE}) & set(runs["config"]):
        print("no learning curves in these rows: learning.txt and Figure 5 not written")
        return
    write_learning(runs[runs["config"].isin(LEARNING_CONFIGS)], RESULTS, header)
    print((RESULTS / "learning.txt").read_text())


if __name__ == "__main__":
    main()
