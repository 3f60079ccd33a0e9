"""Our benchmark vs MOABB on the full ssvep-exo 4-class setting, in one process.

What is compared (same data, same protocol, same machine, same process, back to back):

* ours: ``experiments/bench_configs/ssvep_exo_4class.yaml`` restricted to its 2-s window, all 5
  pipelines (CCA, FBCCA, TRCA, TDCA, SSVEP_TS+LR), loading every subject once for both the
  broadband and the filter-bank paradigm; and ours with the shared pipeline alone;
* MOABB 1.7.2: ``WithinSessionEvaluation`` + ``FilterBankSSVEP`` running the equivalent pyRiemann
  pipeline (``ExtendedSSVEPSignal`` → ``Covariances("lwf")`` → ``TangentSpace`` → LR) on the
  same local files, wrapped in a ``BaseDataset`` subclass (no download; ``unit_factor=1`` so that
  both sides see the same numbers) with Kalunga2016's event mapping and one session per
  recording (as our SSVEPExo).

MOABB 1.7.2 caveat, found here: its evaluations build the paradigm's process pipelines and keep
only the first (``make_process_pipelines(...)[0]`` in ``BaseEvaluation._process_parallel``).
``FilterBankSSVEP`` has one per band, so a stock ``WithinSessionEvaluation`` trains on the
12.5-13.5 Hz band alone (X of shape (n, 8, 513, 1)) while ``paradigm.get_data`` gives all three
bands. :class:`AllBandsWithinSession` loads the evaluation's data through ``paradigm.get_data``
with every band; nothing else of MOABB's evaluation changes.

Both sides use 5-fold stratified CV with seed 42 and ``n_jobs=1``; BLAS runs on one thread for
both (the two cores are shared with other jobs, and multithreaded OpenBLAS on oversubscribed
cores made small matrix products up to 100 times slower). Every subject is read once before the
timed runs (warm file cache for both); each side is timed ``--repeats`` times, alternating, and
its fastest run is reported. Checks: MOABB's windows equal ours; MOABB's folds equal ours; MOABB's
per-session score (mean of its fold accuracies) equals the shared pipeline recomputed on our
windows and folds; our benchmark's pooled accuracy equals the pooled one recomputed here.

Run from the repository root: ``python experiments/moabb_speed.py`` (writes
``experiments/results/moabb_speed.txt``; ``--profile`` prints a cProfile of our 5-pipeline run).
"""

from __future__ import annotations

import argparse
import cProfile
import dataclasses
import os
import pstats
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from moabb.datasets.base import BaseDataset
from moabb.evaluations import WithinSessionEvaluation as MoabbWithinSession
from moabb.evaluations.splitters import WithinSessionSplitter
from moabb.paradigms import FilterBankSSVEP as MoabbFilterBankSSVEP
from moabb.pipelines.features import ExtendedSSVEPSignal
from pyriemann.estimation import Covariances
from pyriemann.tangentspace import TangentSpace
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import LabelEncoder
from threadpoolctl import threadpool_limits

from decoders.benchmark.datasets import SSVEPExo
from decoders.benchmark.evaluations import filter_bank_paradigm
from decoders.benchmark.paradigms import SSVEP
from decoders.benchmark.run import load_config, run_benchmark

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "experiments" / "bench_configs" / "ssvep_exo_4class.yaml"
OUT = ROOT / "experiments" / "results" / "moabb_speed.txt"
SEED = 42
EVENTS = ["13", "17", "21", "rest"]
SHARED = "SSVEP_TS+LR"


class LocalKalunga2016(BaseDataset):
    """The local ssvep-exo files as a MOABB dataset (Kalunga2016 events; no download)."""

    def __init__(self, subjects: list[int]) -> None:
        self.local = SSVEPExo()
        super().__init__(
            subjects=subjects, sessions_per_subject=1,
            events=dict(self.local.event_id), code="LocalKalunga2016",
            interval=list(self.local.interval), paradigm="ssvep",
            doi="10.1016/j.neucom.2016.01.007", unit_factor=1.0,
        )

    def _get_single_subject_data(self, subject):
        # {session: {run: raw}} with class annotations; MOABB wants sessions "0", "1", ...
        sessions = self.local.get_data(subject).values()
        return {str(i): runs for i, runs in enumerate(sessions)}

    def data_path(self, subject, path=None, force_update=False, update_path=None,
                  verbose=None):
        return [str(self.local.folder / f"subject{subject:02d}")]


class AllBandsWithinSession(MoabbWithinSession):
    """MOABB's WithinSessionEvaluation, fed every filter-bank band (see the module docstring)."""

    def _load_data(self, dataset, run_pipes, process_pipeline, postprocess_pipeline,
                   subjects=None):
        return self.paradigm.get_data(dataset=dataset, subjects=subjects,
                                      postprocess_pipeline=postprocess_pipeline)


def moabb_pipeline():
    return make_pipeline(ExtendedSSVEPSignal(), Covariances(estimator="lwf"), TangentSpace(),
                         LogisticRegression(max_iter=1000))


def run_moabb(dataset: LocalKalunga2016, paradigm) -> pd.DataFrame:
    with tempfile.TemporaryDirectory() as tmp:
        evaluation = AllBandsWithinSession(paradigm=paradigm, datasets=[dataset],
                                           random_state=SEED, overwrite=True, hdf5_path=tmp,
                                           n_jobs=1)
        return evaluation.process({SHARED: moabb_pipeline()})


def check_same(dataset, paradigm, ours: pd.DataFrame, moabb: pd.DataFrame) -> dict:
    """Windows, folds and accuracies of the shared pipeline, MOABB vs ours (see docstring)."""
    ours_para = filter_bank_paradigm(SSVEP(events=EVENTS, tmax=2.0))
    max_dx, same_folds, rows = 0.0, True, []
    for subject in dataset.subject_list:
        X_m, y_m, meta_m = paradigm.get_data(dataset, [subject])
        X_o, y_o, meta_o = ours_para.get_data(SSVEPExo(), [subject])
        assert np.array_equal(y_m, y_o) and X_m.shape == X_o.shape
        max_dx = max(max_dx, float(np.max(np.abs(X_m - X_o)) / np.max(np.abs(X_m))))
        y_enc = LabelEncoder().fit_transform(y_o)
        splitter = WithinSessionSplitter(n_folds=5, shuffle=True, random_state=SEED)
        by_session = {}
        for train, test in splitter.split(y_enc, meta_m):
            by_session.setdefault(meta_m["session"].iloc[test[0]], []).append((train, test))
        names = pd.unique(meta_o["session"])  # MOABB's session "i" is our i-th session
        for session, folds in by_session.items():
            ix = np.flatnonzero(meta_o["session"] == names[int(session)])
            ours_folds = StratifiedKFold(5, shuffle=True, random_state=SEED).split(ix, y_o[ix])
            same_folds &= all(np.array_equal(ix[te], te_m) for (_, te), (_, te_m)
                              in zip(ours_folds, folds, strict=True))
            correct = [moabb_pipeline().fit(X_o[tr], y_enc[tr]).predict(X_o[te]) == y_enc[te]
                       for tr, te in folds]
            rows.append({"subject": subject, "session": session,
                         "ours_session": names[int(session)],
                         "fold_mean": float(np.mean([c.mean() for c in correct])),
                         "pooled": float(np.concatenate(correct).mean())})
    check = pd.DataFrame(rows).merge(
        moabb[["subject", "session", "score"]].astype({"subject": int, "session": str}),
        on=["subject", "session"], validate="one_to_one")
    shared = ours[ours["pipeline"] == SHARED].rename(columns={"session": "ours_session"})
    check = check.merge(shared[["subject", "ours_session", "accuracy"]],
                        on=["subject", "ours_session"], validate="one_to_one")
    assert len(check) == len(moabb) == len(shared)
    return {
        "max_dx": max_dx, "same_folds": same_folds, "n_rows": len(check),
        "moabb": check["score"].mean(), "fold_mean": check["fold_mean"].mean(),
        "diff_moabb": (check["score"] - check["fold_mean"]).abs().max(),
        "pooled": check["pooled"].mean(), "ours": check["accuracy"].mean(),
        "diff_ours": (check["accuracy"] - check["pooled"]).abs().max(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, nargs="+", default=SSVEPExo().subjects)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--profile", action="store_true",
                        help="print a cProfile of our 5-pipeline run (first repeat)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    config = load_config(CONFIG)
    datasets = [dataclasses.replace(d, subjects=args.subjects) for d in config.datasets]
    config = dataclasses.replace(config, windows=[2.0], datasets=datasets)
    shared_only = dataclasses.replace(config, pipelines={SHARED: config.pipelines[SHARED]})
    dataset = LocalKalunga2016(args.subjects)
    paradigm = MoabbFilterBankSSVEP(events=EVENTS, n_classes=4)
    stock_shape = paradigm.get_data(
        dataset, args.subjects[:1],
        process_pipelines=paradigm.make_process_pipelines(dataset)[:1])[0].shape

    load_before = os.getloadavg()
    times = {"ours": [], "ours_shared": [], "moabb": []}
    with threadpool_limits(limits=1, user_api="blas"):
        for subject in args.subjects:  # warm the file cache and the imports for both sides
            SSVEPExo().get_data(subject)
        for repeat in range(args.repeats):
            profiler = cProfile.Profile() if args.profile and repeat == 0 else None
            start = time.perf_counter()
            if profiler:
                profiler.enable()
            ours = run_benchmark(config, n_jobs=1)
            if profiler:
                profiler.disable()
            times["ours"].append(time.perf_counter() - start)
            start = time.perf_counter()
            ours_shared = run_benchmark(shared_only, n_jobs=1)
            times["ours_shared"].append(time.perf_counter() - start)
            start = time.perf_counter()
            moabb = run_moabb(dataset, paradigm)
            times["moabb"].append(time.perf_counter() - start)
            print({k: round(v[-1], 2) for k, v in times.items()}, flush=True)
            if profiler:
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        load_after = os.getloadavg()
        check = check_same(dataset, paradigm, ours, moabb)

    best = {k: min(v) for k, v in times.items()}
    per_pipeline = best["ours"] / len(config.pipelines)
    shared = ours[ours["pipeline"] == SHARED].reset_index(drop=True)
    same_alone = np.allclose(shared["accuracy"], ours_shared["accuracy"])
    runs = ", ".join(f"{k} " + "/".join(f"{t:.1f}" for t in v) for k, v in times.items())
    lines = [
        "ssvep-exo 4-class (13/17/21 Hz + rest), 2-s window 2 s after the cue, within-session",
        f"5-fold CV (seed {SEED}), {len(args.subjects)} subjects, {check['n_rows']} subject x "
        "session rows; n_jobs=1, BLAS 1 thread, one process.",
        f"Load average (1/5/15 min) before {load_before[0]:.1f}/{load_before[1]:.1f}/"
        f"{load_before[2]:.1f}, after {load_after[0]:.1f}/{load_after[1]:.1f}/"
        f"{load_after[2]:.1f} on {os.cpu_count()} cores (shared with other jobs).",
        "",
        f"Wall time (s), data loading + filtering + epoching + CV included; fastest of "
        f"{args.repeats} alternating runs ({runs}):",
        f"  ours,  5 pipelines ({', '.join(config.pipelines)}): {best['ours']:8.2f}"
        f"  ({per_pipeline:.2f} per pipeline)",
        f"  ours,  {SHARED} only:                     {best['ours_shared']:8.2f}",
        f"  MOABB, {SHARED} only:                     {best['moabb']:8.2f}",
        f"  ratio MOABB / ours, same single pipeline:    "
        f"{best['moabb'] / best['ours_shared']:8.2f}x",
        f"  ratio MOABB (1 pipeline) / ours (5 pipelines): {best['moabb'] / best['ours']:6.2f}x",
        f"  ratio per pipeline (MOABB 1 / ours 5 each):  {best['moabb'] / per_pipeline:8.2f}x",
        "",
        f"Same data: max relative |X_ours - X_moabb| {check['max_dx']:.1e} (all 3 bands; a "
        f"stock MOABB evaluation loads X of shape {stock_shape}: first band only); MOABB folds "
        f"= ours: {check['same_folds']}.",
        f"Accuracy of the shared pipeline {SHARED} (mean over subject x session rows):",
        f"  MOABB (mean of its fold accuracies):         {check['moabb']:.4f}",
        f"  recomputed on our windows, same folds:       {check['fold_mean']:.4f}"
        f"  (max |diff| per session {check['diff_moabb']:.1e})",
        f"  ours (benchmark, pooled over folds):         {check['ours']:.4f}"
        f"  (recomputed pooled {check['pooled']:.4f}, max |diff| {check['diff_ours']:.1e}; "
        f"identical when run alone: {same_alone})",
        "",
        "Our benchmark, all pipelines (mean over rows):",
        ours.groupby("pipeline")[["accuracy", "kappa", "itr_bits_per_min", "fit_time",
                                  "latency"]].mean().to_string(float_format=lambda v: f"{v:.4g}"),
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
