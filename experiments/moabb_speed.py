"""Our benchmark vs MOABB on the full ssvep-exo 4-class setting, in one process.

What is compared (same data, same protocol, same machine, same process):

* ours: ``experiments/bench_configs/ssvep_exo_4class.yaml`` restricted to its 2-s window, all 5
  pipelines (CCA, FBCCA, TRCA, TDCA, SSVEP_TS+LR), loading every subject once for both the
  broadband and the filter-bank paradigm; and ours with the shared pipeline alone;
* MOABB 1.7.2: ``WithinSessionEvaluation`` + ``FilterBankSSVEP`` running the equivalent pyRiemann
  pipeline (``ExtendedSSVEPSignal`` → ``Covariances("lwf")`` → ``TangentSpace`` → LR) on the
  same local files, wrapped in a ``BaseDataset`` subclass (no download) with Kalunga2016's
  event mapping and one session per recording (as our SSVEPExo; MOABB's own Kalunga2016 puts all
  recordings of a subject in one session).

Both use 5-fold stratified CV with seed 42, ``n_jobs`` 1. Accuracy check: MOABB scores each
session as the mean of its fold accuracies on its own folds; we recompute the shared pipeline on
our windows with MOABB's exact folds (``WithinSessionSplitter``) and compare per session, and
compare our windows with MOABB's.

Run from the repository root: ``python experiments/moabb_speed.py`` (writes
``experiments/results/moabb_speed.txt``).
"""

from __future__ import annotations

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
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import LabelEncoder

from decoders.benchmark.datasets import SSVEPExo
from decoders.benchmark.evaluations import filter_bank_paradigm
from decoders.benchmark.paradigms import SSVEP
from decoders.benchmark.run import load_config, run_benchmark

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "experiments" / "bench_configs" / "ssvep_exo_4class.yaml"
OUT = ROOT / "experiments" / "results" / "moabb_speed.txt"
SEED = 42


class LocalKalunga2016(BaseDataset):
    """The local ssvep-exo files as a MOABB dataset (Kalunga2016 events; no download)."""

    def __init__(self) -> None:
        self.local = SSVEPExo()
        super().__init__(
            subjects=self.local.subjects, sessions_per_subject=1,
            events=dict(self.local.event_id), code="LocalKalunga2016",
            interval=list(self.local.interval), paradigm="ssvep",
            doi="10.1016/j.neucom.2016.01.007",
        )

    def _get_single_subject_data(self, subject):
        # {session: {run: raw}} with class annotations; MOABB wants sessions "0", "1", ...
        sessions = self.local.get_data(subject).values()
        return {str(i): runs for i, runs in enumerate(sessions)}

    def data_path(self, subject, path=None, force_update=False, update_path=None,
                  verbose=None):
        return [str(self.local.folder / f"subject{subject:02d}")]


def moabb_pipeline():
    return make_pipeline(ExtendedSSVEPSignal(), Covariances(estimator="lwf"), TangentSpace(),
                         LogisticRegression(max_iter=1000))


def main() -> None:
    warnings.filterwarnings("ignore")
    config = load_config(CONFIG)
    config = type(config)(**{**config.__dict__, "windows": [2.0]})
    shared_only = type(config)(**{**config.__dict__, "pipelines": {
        "SSVEP_TS+LR": config.pipelines["SSVEP_TS+LR"]}})

    start = time.perf_counter()
    ours = run_benchmark(config, n_jobs=1)
    t_ours_all = time.perf_counter() - start
    start = time.perf_counter()
    ours_shared = run_benchmark(shared_only, n_jobs=1)
    t_ours_shared = time.perf_counter() - start

    dataset = LocalKalunga2016()
    paradigm = MoabbFilterBankSSVEP(events=["13", "17", "21", "rest"], n_classes=4)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        evaluation = MoabbWithinSession(paradigm=paradigm, datasets=[dataset],
                                        random_state=SEED, overwrite=True, hdf5_path=tmp,
                                        n_jobs=1)
        moabb = evaluation.process({"SSVEP_TS+LR": moabb_pipeline()})
        t_moabb = time.perf_counter() - start

    # Same windows?  Same accuracy on MOABB's own folds?
    ours_para = filter_bank_paradigm(SSVEP(events=["13", "17", "21", "rest"], tmax=2.0))
    max_dx, check_rows = 0.0, []
    for subject in dataset.subject_list:
        X_m, y_m, meta_m = paradigm.get_data(dataset, [subject])
        X_o, y_o, meta_o = ours_para.get_data(SSVEPExo(), [subject])
        assert np.array_equal(y_m, y_o)
        max_dx = max(max_dx, float(np.max(np.abs(X_m - X_o)) / np.max(np.abs(X_m))))
        y_enc = LabelEncoder().fit_transform(y_o)
        splitter = WithinSessionSplitter(n_folds=5, shuffle=True, random_state=SEED)
        folds = {}
        for train, test in splitter.split(y_enc, meta_m):
            session = meta_m["session"].iloc[test[0]]
            clf = moabb_pipeline().fit(X_o[train], y_enc[train])
            folds.setdefault(session, []).append(np.mean(clf.predict(X_o[test]) == y_enc[test]))
        for session, accs in folds.items():
            check_rows.append({"subject": subject, "session": session,
                               "ours_on_moabb_folds": float(np.mean(accs))})
    check = pd.DataFrame(check_rows).merge(
        moabb[["subject", "session", "score"]].astype({"subject": int, "session": str}),
        on=["subject", "session"])
    check["diff"] = (check["ours_on_moabb_folds"] - check["score"]).abs()

    per_pipeline_ours = t_ours_all / len(config.pipelines)
    shared = ours[ours["pipeline"] == "SSVEP_TS+LR"].reset_index(drop=True)
    same_alone = np.allclose(shared["accuracy"], ours_shared["accuracy"])
    lines = [
        "ssvep-exo 4-class (13/17/21 Hz + rest), 2-s window 2 s after the cue, within-session",
        f"5-fold CV (seed {SEED}), {len(dataset.subject_list)} subjects, "
        f"{moabb['session'].nunique() if 'session' in moabb else '?'} distinct session names, "
        f"{len(moabb)} subject x session rows; n_jobs=1; one process.",
        "",
        "Wall time (s), data loading + filtering + epoching + CV included:",
        f"  ours,  5 pipelines ({', '.join(config.pipelines)}): {t_ours_all:8.2f}"
        f"  ({per_pipeline_ours:.2f} per pipeline)",
        f"  ours,  SSVEP_TS+LR only:                     {t_ours_shared:8.2f}",
        f"  MOABB, SSVEP_TS+LR only:                     {t_moabb:8.2f}",
        f"  ratio MOABB / ours, same single pipeline:    {t_moabb / t_ours_shared:8.2f}x",
        f"  ratio MOABB (1 pipeline) / ours (5 pipelines): {t_moabb / t_ours_all:6.2f}x",
        f"  ratio per pipeline (MOABB 1 / ours 5 each):  {t_moabb / per_pipeline_ours:8.2f}x",
        "",
        "Accuracy of the shared pipeline SSVEP_TS+LR (mean over subject x session rows):",
        f"  MOABB (its folds):                 {moabb['score'].mean():.4f}",
        f"  ours on our windows, MOABB folds:  {check['ours_on_moabb_folds'].mean():.4f}"
        f"  (max |diff| per session {check['diff'].max():.2e})",
        f"  ours, our folds (pooled):          {shared['accuracy'].mean():.4f}"
        f"  (identical when run alone: {same_alone})",
        f"  max relative |X_ours - X_moabb|:   {max_dx:.2e}",
        "",
        "Our benchmark, all pipelines (mean over rows):",
        ours.groupby("pipeline")[["accuracy", "kappa", "itr_bits_per_min", "fit_time",
                                  "latency"]].mean().to_string(float_format=lambda v: f"{v:.4g}"),
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
