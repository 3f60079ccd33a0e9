"""The benchmark on a Dask cluster: workers load their own subjects, no EEG in the task graph."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import psutil
import pytest
from dask.distributed import LocalCluster

from decoders.benchmark.datasets import JFPMSynthetic
from decoders.benchmark.evaluations import (
    CrossSubjectEvaluation,
    Executor,
    WithinSessionEvaluation,
)
from decoders.benchmark.paradigms import SSVEP
from decoders.benchmark.pipelines import resolve_pipeline

SCORES = ["subject", "session", "pipeline", "window", "accuracy", "kappa", "n_train", "n_test",
          "confusion"]
PIPES = dict([resolve_pipeline({"name": "CCA"}), resolve_pipeline({"name": "TRCA"})])
PARADIGM = SSVEP(fmin=6, fmax=40, tmin=0.14, tmax=0.89)


@pytest.fixture(scope="module")
def cluster():
    """Two worker processes, one thread each, over tcp on 127.0.0.1 only."""
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    with LocalCluster(host="127.0.0.1", protocol="tcp://", n_workers=2, threads_per_worker=1,
                      processes=True, dashboard_address=None) as cluster:
        cluster.spawned_here = [p for p in psutil.Process().children(recursive=True)
                             if p.pid not in before]
        yield cluster


@pytest.fixture(scope="module")
def dataset():
    """Phase-locked synthetic SSVEP (known ground truth): 2 subjects x 2 sessions, 12 classes."""
    return JFPMSynthetic(subjects=(1, 2), n_sessions=2, n_blocks=4, trial_seconds=1.0, snr=1.0)


def test_cluster_binds_loopback_only(cluster):
    addresses = [cluster.scheduler_address,
                 *(w["host"] for w in cluster.scheduler_info["workers"].values())]
    assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
    assert all("127.0.0.1" in a for a in addresses), addresses
    listening = [c.laddr for p in cluster.spawned_here for c in p.net_connections("inet")
                 if c.status == psutil.CONN_LISTEN]
    assert len(listening) >= 2 and {a.ip for a in listening} == {"127.0.0.1"}, listening


@pytest.mark.parametrize("evaluation", [WithinSessionEvaluation, CrossSubjectEvaluation])
def test_workers_load_their_subjects_and_the_graph_holds_no_eeg(
        cluster, dataset, evaluation, monkeypatch):
    expected = evaluation(n_splits=2).evaluate(dataset, PARADIGM, PIPES)
    cca = expected[expected["pipeline"] == "CCA"]  # 12 classes: chance is 1/12
    assert len(cca) == 4 and (cca["accuracy"] > 0.5).all()
    trial_bytes = sum(
        PARADIGM.get_data(dataset, [s])[0].nbytes for s in dataset.subjects)

    def refuse(self, subject):
        raise AssertionError(f"subject {subject} loaded in the client process")

    # the workers are other processes: only a load in this one would hit the patch
    monkeypatch.setattr(JFPMSynthetic, "_load_subject", refuse)
    distributed = evaluation(n_splits=2, scheduler=cluster.scheduler_address)
    results = distributed.evaluate(dataset, PARADIGM, PIPES)
    pd.testing.assert_frame_equal(results[SCORES], expected[SCORES])
    assert results.attrs["phase_locking"] == expected.attrs["phase_locking"]
    graph = distributed.executor.graph_bytes
    # the units name the subjects and the trials they take, nothing more
    assert 0 < graph < trial_bytes / 20, (graph, trial_bytes)


def test_a_failure_on_a_worker_is_raised_here(cluster):
    bad = JFPMSynthetic(subjects=(1,), n_blocks=2, trial_seconds=1.0)
    with pytest.raises(ValueError, match=r"windows \[5\.0\] s are longer"):
        WithinSessionEvaluation(n_splits=2, windows=[5.0],
                                scheduler=cluster.scheduler_address).evaluate(bad, PARADIGM, PIPES)
    executor = Executor(scheduler=cluster.scheduler_address)
    with executor.session(), pytest.raises(ValueError, match="math domain error"):
        executor.starmap(math.sqrt, [(4.0,), (-1.0,)], keep=True)


def test_kept_results_feed_later_calls_without_coming_back(cluster):
    executor = Executor(scheduler=cluster.scheduler_address)
    with executor.session():
        kept = executor.starmap(np.ones, [(1_000_000,), (2_000_000,)], keep=True)
        before = executor.graph_bytes
        sums = executor.starmap(np.sum, [(k,) for k in kept])
    assert sums == [1_000_000.0, 2_000_000.0]
    assert executor.graph_bytes - before < 4_000  # two calls naming two keys, not 24 MB
