"""NOIR's Table 1 and Figure 5 in simulation, from one run of the task suite.

Runs every task with the ``noir``, ``noir+learning`` and ``best`` configurations
(``noir.experiment.CONFIGS``) on simulated subjects, the learning ones after ``--demos``
sessions that build each subject's model, and writes

- ``table1.txt`` / ``table1.csv``: NOIR protocol vs ours next to the paper's Table 1, and the
  cut in completion time and human time;
- ``learning.txt`` / ``learning.csv``: object+skill decoding time and cursor travel without and
  with learning (NOIR's Figure 5), with proposal acceptance;
- ``table1.png`` / ``learning.png``: the same as figures (``noir.experiment.table1_figure``,
  ``figure5_figure``);
- ``closed_loop_runs.csv`` / ``closed_loop_demos.csv``: one row per session.

A progress bar over the sessions shows on a terminal (stderr).

    python experiments/closed_loop_suite.py --seeds 2 --subjects 1 --demos 3 --n-jobs 2

(the same as ``noir experiment table1`` and ``noir experiment learning`` together, with the
``noir`` sessions shared).
"""

from __future__ import annotations

import argparse
import subprocess
import time
from pathlib import Path
from tempfile import TemporaryDirectory

from noir.experiment import (
    FIGURE5_CONFIGS,
    TABLE1_CONFIGS,
    figure5_figure,
    figure5_summary,
    format_table,
    learning_gains,
    reductions,
    run_suite,
    session_bar,
    table1_figure,
    table1_table,
)
from sim.tasks import TASKS

RESULTS = Path(__file__).parent / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", default="", help="comma-separated (default: all)")
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--subjects", type=int, default=1)
    parser.add_argument("--demos", type=int, default=3)
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args()
    tasks = [t for t in args.tasks.split(",") if t] or sorted(TASKS)
    configs = sorted(set(TABLE1_CONFIGS) | set(FIGURE5_CONFIGS))
    commit = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True,
                            text=True, cwd=Path(__file__).parent).stdout.strip() or "unknown"
    start = time.perf_counter()  # the code that runs is the commit's, named before the run
    with TemporaryDirectory() as tmp, session_bar("closed-loop suite: sessions") as progress:
        runs, demos = run_suite(tasks, configs, list(range(args.seeds)), args.subjects,
                                Path(tmp), demos=args.demos, n_jobs=args.n_jobs,
                                progress=progress)
    wall = time.perf_counter() - start
    header = (f"python experiments/closed_loop_suite.py --seeds {args.seeds} --subjects "
              f"{args.subjects} --demos {args.demos} --n-jobs {args.n_jobs}: {len(runs)} "
              f"measured + {len(demos)} demonstration sessions in {wall / 60:.1f} min "
              f"(commit {commit})\n"
              f"subjects: 0 = noir-like profile, others sampled around it; sessions not kept\n")
    RESULTS.mkdir(exist_ok=True)
    runs.to_csv(RESULTS / "closed_loop_runs.csv", index=False)
    demos.to_csv(RESULTS / "closed_loop_demos.csv", index=False)

    table1_runs = runs[runs["config"].isin(TABLE1_CONFIGS)]
    table = table1_table(table1_runs)
    table.to_csv(RESULTS / "table1.csv", index=False)
    table1_figure(table1_runs, args.demos).savefig(RESULTS / "table1.png", dpi=100)
    cut = reductions(table1_runs)
    done = table1_runs[table1_runs["success"]]
    single = {s: int(done[f"single_option_{s}"].sum()) for s in ("what", "how")}
    (RESULTS / "table1.txt").write_text(
        header + "acc_what, acc_how: decoding accuracy of the windows decoded among 2 or more "
        f"options (left out, one option only: what {single['what']}, how {single['how']}); "
        "practical_itr: bits/min the person sent choosing objects and skills (log2 N per "
        "selection among N, 1 bit per answer to a proposal; noir.tally.SessionTally."
        "practical_itr); means over successful sessions\n"
        + format_table(table)
        + f"\nsuccess rate: noir {_rate(runs, 'noir')}, best {_rate(runs, 'best')}"
        + f"\nours vs NOIR protocol (mean over successful sessions): completion time "
        f"-{cut['time_reduction_pct']:.0f} %, human time -{cut['human_time_reduction_pct']:.0f} %"
        " (targets: -50 %, -60 %)\n", encoding="utf-8")

    summary = figure5_summary(runs[runs["config"].isin(FIGURE5_CONFIGS)])
    summary.to_csv(RESULTS / "learning.csv", index=False)
    figure5_figure(summary, args.demos).savefig(RESULTS / "learning.png", dpi=100)
    gains = learning_gains(summary)
    (RESULTS / "learning.txt").write_text(
        header + summary.to_string(index=False, float_format=lambda v: f"{v:.2f}")
        + f"\nwith learning: object+skill decoding time -{gains['object_skill_time_cut_pct']:.0f}"
        f" % (NOIR: -60 %), cursor travel -{gains['cursor_travel_cut_pct']:.0f} % (NOIR: -41 %)"
        "\n", encoding="utf-8")
    print((RESULTS / "table1.txt").read_text(), (RESULTS / "learning.txt").read_text())


def _rate(runs, config: str) -> str:
    mine = runs[runs["config"] == config]
    return f"{int(mine['success'].sum())}/{len(mine)}"


if __name__ == "__main__":
    main()
