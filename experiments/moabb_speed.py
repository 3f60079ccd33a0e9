"""Our benchmark vs MOABB, and on a Dask cluster, on the full ssvep-exo 4-class setting.

What is compared (same data, same protocol, same machine, measured side by side from one
process, back to back):

* the shared pipeline, 2-s window: ours (``experiments/bench_configs/ssvep_exo_4class.yaml``'s
  ``SSVEP_TS+LR`` alone) sequentially, on a Dask ``LocalCluster`` of 1 worker and of 2 workers
  (processes, one thread each, tcp on 127.0.0.1), against MOABB 1.7.2's
  ``WithinSessionEvaluation`` + ``FilterBankSSVEP`` running the equivalent pyRiemann pipeline
  (``ExtendedSSVEPSignal`` → ``Covariances("lwf")`` → ``TangentSpace`` → LR) with ``n_jobs=1``
  and ``n_jobs=2``, on the same local files, wrapped in a ``BaseDataset`` subclass (no download;
  ``unit_factor=1`` so that both sides see the same numbers) with Kalunga2016's event mapping
  and one session per recording (as our SSVEPExo);
* scale: the whole shipped config (every pipeline, windows 0.5/1/2 s) on the 1-worker and the
  2-worker cluster; the workers load their own subjects, and the bytes of the task graph
  (``Executor.graph_bytes``) are set beside the EEG that the design before commit a96d611 put
  in it (every work unit carried its subject-session's trials of its pipeline's input).

MOABB 1.7.2 caveat, found here: its evaluations build the paradigm's process pipelines and keep
only the first (``make_process_pipelines(...)[0]`` in ``BaseEvaluation._process_parallel``).
``FilterBankSSVEP`` has one per band, so a stock ``WithinSessionEvaluation`` trains on the
12.5-13.5 Hz band alone (X of shape (n, 8, 513, 1)) while ``paradigm.get_data`` gives all three
bands. :class:`AllBandsWithinSession` loads the evaluation's data through ``paradigm.get_data``
with every band; nothing else of MOABB's evaluation changes.

Both sides use 5-fold stratified CV with seed 42; BLAS runs on one thread in this process and in
every worker (the two cores are shared with other jobs, and multithreaded OpenBLAS on
oversubscribed cores made small matrix products up to 100 times slower). Every subject is read
once and each cluster runs the pipeline once before the timed runs (warm file cache and
imports for all); each variant is timed ``--repeats`` times, alternating, and its fastest run
is reported with the load average around the runs. Checks: MOABB's windows equal ours; MOABB's
folds equal ours; MOABB's per-session score (mean of its fold accuracies) equals the shared
pipeline recomputed on our windows and folds; our benchmark's pooled accuracy equals the pooled
one recomputed here; the clusters' results equal the sequential ones.

Run from the repository root: ``python experiments/moabb_speed.py`` (writes
``experiments/results/moabb_speed.txt``; ``--profile`` prints a cProfile of our sequential run
of the shared pipeline; ``--no-scale`` skips the whole-config part).
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
import psutil
from moabb.datasets.base import BaseDataset
from moabb.evaluations import WithinSessionEvaluation as MoabbWithinSession
from moabb.evaluations.splitters import WithinSessionSplitter
from moabb.paradigms import FilterBankSSVEP as MoabbFilterBankSSVEP
from moabb.pipelines.features import ExtendedSSVEPSignal
from provenance import commit as current_commit
from pyriemann.estimation import Covariances
from pyriemann.tangentspace import TangentSpace
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import LabelEncoder
from threadpoolctl import threadpool_limits

from decoders.benchmark.datasets import SSVEPExo
from decoders.benchmark.evaluations import EVALUATIONS, filter_bank_paradigm, load_subject
from decoders.benchmark.paradigms import PARADIGMS, SSVEP
from decoders.benchmark.run import build_dataset, load_config

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


def run_moabb(dataset: LocalKalunga2016, paradigm, n_jobs: int = 1) -> pd.DataFrame:
    with tempfile.TemporaryDirectory() as tmp:
        evaluation = AllBandsWithinSession(paradigm=paradigm, datasets=[dataset],
                                           random_state=SEED, overwrite=True, hdf5_path=tmp,
                                           n_jobs=n_jobs)
        return evaluation.process({SHARED: moabb_pipeline()})


def run_ours(config, scheduler: str | None = None) -> tuple[pd.DataFrame, int]:
    """``run_benchmark(config)`` of a one-dataset config, and the bytes of its task graph."""
    (entry,) = config.datasets
    evaluation = EVALUATIONS[config.evaluation](windows=config.windows, scheduler=scheduler,
                                                **config.evaluation_params)
    results = evaluation.evaluate(
        build_dataset(config, entry), PARADIGMS[config.paradigm](**config.paradigm_params),
        config.pipelines, subjects=entry.subjects, filters=config.filter_bank)
    return results, evaluation.executor.graph_bytes


def graph_before(config, subjects: list[int]) -> int:
    """Bytes of EEG that the task graph held before commit a96d611: each work unit (pipeline x
    window x subject-session) carried its subject-session's trials of its pipeline's input."""
    (entry,) = config.datasets
    dataset = build_dataset(config, entry)
    paradigm = PARADIGMS[config.paradigm](**config.paradigm_params)
    inputs = sorted({spec.input for spec in config.pipelines.values()})
    n_windows = len(config.windows or [None])
    total = 0
    for subject in subjects:
        data = load_subject(dataset, paradigm, subject, inputs, config.filter_bank)
        total += n_windows * sum(data.X[spec.input].nbytes for spec in config.pipelines.values())
    return total


def fit_floor(subjects: list[int]) -> float:
    """CPU seconds of the shared pipeline's fold work alone, which any evaluation must do:
    tangent space + LR fitted on each training fold and applied to its test fold, on
    extended covariances computed beforehand (same windows and folds as both sides)."""
    para = filter_bank_paradigm(SSVEP(events=EVENTS, tmax=2.0))
    total = 0.0
    for subject in subjects:
        X, y, meta = para.get_data(SSVEPExo(), [subject])
        covs = Covariances(estimator="lwf").transform(ExtendedSSVEPSignal().fit(X, y)
                                                      .transform(X))
        for session in pd.unique(meta["session"]):
            ix = np.flatnonzero(meta["session"] == session)
            cv = StratifiedKFold(5, shuffle=True, random_state=SEED)
            for train, test in cv.split(ix, y[ix]):
                start = time.process_time()
                model = make_pipeline(TangentSpace(), LogisticRegression(max_iter=1000))
                model.fit(covs[ix[train]], y[ix[train]]).predict(covs[ix[test]])
                total += time.process_time() - start
    return total


def cluster(n_workers: int):
    """A Dask cluster on this machine: worker processes of one thread, tcp on 127.0.0.1."""
    from dask.distributed import LocalCluster

    return LocalCluster(host="127.0.0.1", protocol="tcp://", n_workers=n_workers,
                        threads_per_worker=1, processes=True, dashboard_address=None)


def cpu_times() -> dict[int, float]:
    """CPU seconds (user + system) so far of this process and of every process it started
    that is alive (Dask and joblib workers), by process id."""
    me = psutil.Process()
    out = {}
    for process in (me, *me.children(recursive=True)):
        try:
            out[process.pid] = sum(process.cpu_times()[:2])
        except psutil.NoSuchProcess:
            continue
    return out


def cpu_since(before: dict[int, float]) -> float:
    """CPU seconds spent since ``before`` (:func:`cpu_times`) by these processes."""
    return sum(t - before.get(pid, 0.0) for pid, t in cpu_times().items())


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


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
                        help="print a cProfile of our sequential shared-pipeline run")
    parser.add_argument("--no-scale", action="store_true",
                        help="skip the whole config on 1 and 2 Dask workers")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    made_at = current_commit(["decoders", "experiments/moabb_speed.py"])
    full = load_config(CONFIG)
    datasets = [dataclasses.replace(d, subjects=args.subjects) for d in full.datasets]
    full = dataclasses.replace(full, datasets=datasets)
    shared_only = dataclasses.replace(full, windows=[2.0],
                                      pipelines={SHARED: full.pipelines[SHARED]})
    dataset = LocalKalunga2016(args.subjects)
    paradigm = MoabbFilterBankSSVEP(events=EVENTS, n_classes=4)
    stock_shape = paradigm.get_data(
        dataset, args.subjects[:1],
        process_pipelines=paradigm.make_process_pipelines(dataset)[:1])[0].shape

    with threadpool_limits(limits=1, user_api="blas"), cluster(1) as one, cluster(2) as two:
        for subject in args.subjects:  # warm the file cache and the imports for every side
            SSVEPExo().get_data(subject)
        for c in (one, two):
            run_ours(shared_only, c.scheduler_address)
        variants = {
            "ours, sequential": lambda: run_ours(shared_only),
            "ours, Dask 1 worker": lambda: run_ours(shared_only, one.scheduler_address),
            "ours, Dask 2 workers": lambda: run_ours(shared_only, two.scheduler_address),
            "MOABB, n_jobs=1": lambda: (run_moabb(dataset, paradigm, 1), 0),
            "MOABB, n_jobs=2": lambda: (run_moabb(dataset, paradigm, 2), 0),
        }
        times = {name: [] for name in variants}
        cpus = {name: [] for name in variants}
        out, loads = {}, [load()]
        for repeat in range(args.repeats):
            for name, run in variants.items():
                profiler = cProfile.Profile() if args.profile and repeat == 0 \
                    and name == "ours, sequential" else None
                start, cpu = time.perf_counter(), cpu_times()
                if profiler:
                    profiler.enable()
                out[name] = run()
                if profiler:
                    profiler.disable()
                    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
                times[name].append(time.perf_counter() - start)
                cpus[name].append(cpu_since(cpu))
            loads.append(load())
            print({k: (round(v[-1], 2), round(cpus[k][-1], 2)) for k, v in times.items()},
                  f"load {loads[-1]}", flush=True)
        ours, graph_shared = out["ours, sequential"][0], out["ours, Dask 2 workers"][1]
        moabb = out["MOABB, n_jobs=1"][0]
        same_dask = all(np.allclose(out[k][0]["accuracy"], ours["accuracy"])
                        for k in ("ours, Dask 1 worker", "ours, Dask 2 workers"))
        check = check_same(dataset, paradigm, ours, moabb)
        floor = min(fit_floor(args.subjects) for _ in range(args.repeats))
        scale = []
        if not args.no_scale:
            before = graph_before(full, args.subjects)
            for name, c in (("1 worker", one), ("2 workers", two)):
                load_before, cpu = load(), cpu_times()
                start = time.perf_counter()
                results, graph = run_ours(full, c.scheduler_address)
                seconds = time.perf_counter() - start
                scale.append((name, seconds, graph, load_before, load(), len(results),
                              cpu_since(cpu)))
                print(scale[-1], flush=True)

    best = {k: min(v) for k, v in times.items()}
    cpu = {k: min(v) for k, v in cpus.items()}
    seq, moabb1 = best["ours, sequential"], best["MOABB, n_jobs=1"]
    runs = "; ".join(f"{k} " + "/".join(f"{t:.1f}" for t in v) for k, v in times.items())
    lines = [
        f"commit {made_at}; ssvep-exo 4-class (13/17/21 Hz + rest), window 2 s after "
        "the cue, within-session",
        f"5-fold CV (seed {SEED}), {len(args.subjects)} subjects, {check['n_rows']} subject x "
        "session rows; BLAS 1 thread in every process.",
        f"{os.cpu_count()} cores shared with other jobs; load average (1/5/15 min) before the "
        f"runs and after each round: {', '.join(loads)}.",
        "",
        f"A. The same pipeline ({SHARED}, 2-s window), data loading + filtering + epoching + CV "
        f"included; the fastest of {args.repeats} alternating runs ({runs}). Wall time (s), "
        "and CPU time (s) of this process and its workers (fewest of the runs; under load it "
        "is the steadier measure of the work done; idle workers of the other cluster count):",
        f"  {'':<24} {'wall':>7} {'MOABB/this':>10} {'CPU':>7} {'MOABB/this':>10}",
        *[f"  {name:<24} {t:7.2f} {moabb1 / t:9.2f}x {cpu[name]:7.2f} "
          f"{cpu['MOABB, n_jobs=1'] / cpu[name]:9.2f}x" for name, t in best.items()],
        f"  same worker count, wall: MOABB n_jobs=1 / ours sequential {moabb1 / seq:.2f}x, "
        f"MOABB n_jobs=2 / ours Dask 2 workers "
        f"{best['MOABB, n_jobs=2'] / best['ours, Dask 2 workers']:.2f}x",
        f"  floor: the fold work alone (tangent space + LR fitted and applied on each of the "
        f"{check['n_rows'] * 5} folds, covariances precomputed), which any evaluation of this "
        f"pipeline does: {floor:.2f} CPU s, so on one core nothing beats MOABB n_jobs=1 "
        f"({cpu['MOABB, n_jobs=1']:.2f} CPU s) by more than "
        f"{cpu['MOABB, n_jobs=1'] / floor:.2f}x; beyond it ours spends "
        f"{cpu['ours, sequential'] - floor:.2f} CPU s, MOABB {cpu['MOABB, n_jobs=1'] - floor:.2f}",
        f"  Dask 2 workers vs 1 worker, wall: "
        f"{best['ours, Dask 1 worker'] / best['ours, Dask 2 workers']:.2f}x; "
        f"task graph {graph_shared / 1024:.1f} KiB; results equal sequential: {same_dask}",
        "",
        f"Same data: max relative |X_ours - X_moabb| {check['max_dx']:.1e} (all 3 bands; a "
        f"stock MOABB evaluation loads X of shape {stock_shape}: first band only); MOABB folds "
        f"= ours: {check['same_folds']}.",
        f"Accuracy of the shared pipeline {SHARED} (mean over subject x session rows):",
        f"  MOABB (mean of its fold accuracies):         {check['moabb']:.4f}",
        f"  recomputed on our windows, same folds:       {check['fold_mean']:.4f}"
        f"  (max |diff| per session {check['diff_moabb']:.1e})",
        f"  ours (benchmark, pooled over folds):         {check['ours']:.4f}"
        f"  (recomputed pooled {check['pooled']:.4f}, max |diff| {check['diff_ours']:.1e})",
    ]
    if scale:
        (_, t1, g1, l1a, l1b, n_rows, c1), (_, t2, g2, l2a, l2b, _, c2) = scale
        lines += [
            "",
            f"B. Scale: the whole config ({len(full.pipelines)} pipelines: "
            f"{', '.join(full.pipelines)}; windows {full.windows} s; {n_rows} result rows) on "
            "a Dask LocalCluster (tcp, 127.0.0.1), workers loading their own subjects:",
            f"  1 worker:  {t1:7.1f} s wall, {c1:7.1f} CPU s (load average before/after "
            f"{l1a} -> {l1b})",
            f"  2 workers: {t2:7.1f} s wall, {c2:7.1f} CPU s (load average before/after "
            f"{l2a} -> {l2b})",
            f"  speed-up 2 workers over 1 (wall): {t1 / t2:.2f}x",
            f"  task graph: {g2 / 1024:.1f} KiB with 2 workers ({g1 / 1024:.1f} KiB with 1); "
            f"the design before a96d611 put {before / 2**20:.1f} MiB of EEG in it "
            f"({before / g2:.0f}x more)",
        ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
