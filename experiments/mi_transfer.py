"""Motor imagery across subjects with Riemannian re-centering, next to within-session.

EEGMMIDB left- vs right-fist imagery (runs 4, 8, 12 of every subject on disk, one session of 45
trials; 0-3 s after the cue, 64 channels at 160 Hz, 8-32 Hz zero-phase as MOABB's
LeftRightImagery), four registered pipelines, three protocols on the same epochs:

* ``within-session``: stratified 5-fold CV inside the subject's session (seed 42): calibration
  with ~36 labelled trials of the user;
* ``cross-subject``: leave one subject out, the other subjects' trials as they are: no
  calibration;
* ``cross-subject-recentered``: leave one subject out after Riemannian re-centering
  (:mod:`decoders.benchmark.transfer`): each session's first ``--n-calibration`` trials (10:
  about 40 s of imagery, labels unused) set its reference; those trials of the left-out subject
  are not scored. Calibration-light: the user gives a short unlabelled run, no labels.

Everything a pipeline learns is fitted on the training folds (other subjects only, for the
cross-subject rows); the re-centering of the left-out subject uses only its own first trials.
Printed: accuracy and ROC-AUC per subject, the binomial chance threshold for each test-set
size, and per pipeline the paired comparison (per-subject differences; exact Wilcoxon and
sign-flip permutation p) of re-centered against plain cross-subject and against within-session.
With 4 subjects no paired p can go below 0.125: the figures describe these subjects.

Run from the repository root: ``nice -n 10 python experiments/mi_transfer.py`` (a few minutes).
Writes ``experiments/results/mi_transfer.csv`` (one row per subject x pipeline x protocol) and
``.txt``; ``--report DIR`` also writes the HTML report (statistics, chance levels, figures).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd
from provenance import commit as current_commit

from decoders.benchmark.datasets import EEGMMIDB
from decoders.benchmark.evaluations import CrossSubjectEvaluation, WithinSessionEvaluation
from decoders.benchmark.paradigms import LeftRightImagery
from decoders.benchmark.pipelines import PIPELINES
from decoders.benchmark.report import chance_table, versions, write_report
from decoders.benchmark.results import save_results
from decoders.benchmark.stats import paired_test
from decoders.benchmark.transfer import RecenteredCrossSubjectEvaluation

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "experiments" / "results"
NAMES = ["pyRiemann_TS+LR", "TS+LR", "MDM", "CSP+LDA"]


def _commit() -> str:
    """The checkout's commit, marked when a repository file this process imported differs
    from it (call it before the run: HEAD may move while it runs)."""
    files = {Path(__file__).resolve()}
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if path and Path(path).resolve().is_relative_to(ROOT) \
                and ".venv" not in Path(path).resolve().relative_to(ROOT).parts:
            files.add(Path(path).resolve())
    return current_commit(sorted(files))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-calibration", type=int, default=10)
    parser.add_argument("--report", type=Path, default=None, help="also write the HTML report")
    args = parser.parse_args()
    commit = _commit()
    dataset = EEGMMIDB(tasks=["left_right"])
    paradigm = LeftRightImagery(fmin=8, fmax=32, tmax=3.0)
    pipelines = {name: PIPELINES[name] for name in NAMES}
    frames, seconds = [], {}
    for evaluation in (WithinSessionEvaluation(n_splits=5, random_state=42, gaze_shift=2.0),
                       CrossSubjectEvaluation(random_state=42, gaze_shift=2.0),
                       RecenteredCrossSubjectEvaluation(n_calibration=args.n_calibration,
                                                        random_state=42, gaze_shift=2.0)):
        start = time.perf_counter()
        frames.append(evaluation.evaluate(dataset, paradigm, pipelines))
        seconds[evaluation.name] = time.perf_counter() - start
    results = pd.concat(frames, ignore_index=True)
    save_results(results, OUT / "mi_transfer.csv")

    lines = [f"MI across subjects with Riemannian re-centering (experiments/mi_transfer.py), "
             f"commit {commit}",
             f"EEGMMIDB left/right imagery, subjects {dataset.subjects}, {paradigm!r}; "
             f"re-centering from the first {args.n_calibration} trials of each session "
             "(unlabelled, not scored for the left-out subject).", ""]
    order = ["within-session", "cross-subject", "cross-subject-recentered"]
    for metric in ("accuracy", "roc_auc"):
        table = results.pivot_table(index=["pipeline", "evaluation"], columns="subject",
                                    values=metric).reindex(order, level="evaluation")
        table.columns = [f"S{s:03d}" for s in table.columns]
        table["mean"] = table.mean(axis=1)
        lines += [f"{metric} per subject (0-3 s window)", table.round(3).to_string(), ""]
    lines += ["Chance level per test-set size (binomial, p < 0.05)",
              chance_table(results).round(3).to_string(index=False), ""]
    per_subject = results.pivot_table(index="subject", columns=["pipeline", "evaluation"],
                                      values="accuracy")
    rows = []
    for name in NAMES:
        for reference in ("cross-subject", "within-session"):
            test = paired_test(per_subject[(name, "cross-subject-recentered")],
                               per_subject[(name, reference)])
            rows.append({"pipeline": name, "re-centered minus": reference,
                         "diff": test["diff"], "ci_low": test["low"], "ci_high": test["high"],
                         "p_wilcoxon": test["p_wilcoxon"],
                         "p_permutation": test["p_permutation"]})
    lines += ["Paired accuracy differences over subjects (re-centered cross-subject minus ...)",
              pd.DataFrame(rows).round(3).to_string(index=False), "",
              "Seconds per protocol (4 pipelines, load included): "
              + ", ".join(f"{k} {v:.0f}" for k, v in seconds.items()),
              "Versions: " + ", ".join(f"{k} {v}" for k, v in versions().items())]
    text = "\n".join(lines) + "\n"
    (OUT / "mi_transfer.txt").write_text(text)
    print(text)
    if args.report is not None:
        results.attrs["config"] = {"script": "experiments/mi_transfer.py",
                                   "paradigm": repr(paradigm), "pipelines": NAMES,
                                   "n_calibration": args.n_calibration}
        print(write_report(results, args.report, title="MI across subjects, re-centered"))


if __name__ == "__main__":
    main()
