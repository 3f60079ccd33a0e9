"""Offline benchmark: datasets, paradigms, evaluations, metrics, scale-out, config, CLI."""

from __future__ import annotations

import json
import math
import socket
import time
from pathlib import Path

import mne
import numpy as np
import pandas as pd
import pytest
import typer
from dask.distributed import LocalCluster
from pyriemann.estimation import Covariances
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold
from typer.testing import CliRunner

from decoders.benchmark import evaluations
from decoders.benchmark.datasets import EEGMMIDB, FileDataset, RecordingError, SSVEPExo
from decoders.benchmark.evaluations import (
    RESULT_COLUMNS,
    SCHEDULER_TIMEOUT,
    CrossSessionEvaluation,
    CrossSubjectEvaluation,
    Executor,
    WithinSessionEvaluation,
    filter_bank_paradigm,
)
from decoders.benchmark.metrics import itr_bits_per_min
from decoders.benchmark.paradigms import SSVEP, LeftRightImagery
from decoders.benchmark.pipelines import (
    PIPELINES,
    STEPS,
    LedoitWolfCovariances,
    PipelineContext,
    PipelineSpec,
    build_pipeline,
    resolve_pipeline,
    split_stateless,
)
from decoders.benchmark.run import ConfigError, load_config, parse_config
from decoders.ssvep import FBCCA
from noir.bench import bench, synthetic_dataset
from noir.cli import app as noir_app

SCORES = ["accuracy", "balanced_accuracy", "kappa", "roc_auc", "itr_bits_per_min",
          "n_train", "n_test", "confusion"]


@pytest.fixture(scope="module")
def ssvep_data():
    """Two synthetic subjects, two sessions, 2 SSVEP classes x 6 trials (known ground truth)."""
    return synthetic_dataset(kind="ssvep", classes=[7.5, 10.0], subjects=[1, 2], n_sessions=2,
                             n_trials_per_class=6, trial_seconds=2.5, rest_seconds=0.5,
                             ch_names=["O1", "Oz", "O2", "POz"])


CCA = dict([resolve_pipeline({"name": "CCA", "params": {"n_harmonics": 2}})])


# --- metrics ---------------------------------------------------------------------------------

def test_itr_known_values():
    assert itr_bits_per_min(1.0, 2, 1.0) == pytest.approx(60.0)
    assert itr_bits_per_min(0.5, 2, 1.0) == 0.0
    assert itr_bits_per_min(0.1, 2, 1.0) == 0.0  # below chance: no information
    assert itr_bits_per_min(1.0, 4, 2.0) == pytest.approx(60.0)
    # Wolpaw: N=4, P=0.9 -> 2 + 0.9 log2 0.9 + 0.1 log2(0.1/3) bits per selection
    bits = 2 + 0.9 * math.log2(0.9) + 0.1 * math.log2(0.1 / 3)
    assert itr_bits_per_min(0.9, 4, 3.0) == pytest.approx(bits * 20.0)
    with pytest.raises(ValueError, match="n_classes"):
        itr_bits_per_min(0.9, 1, 1.0)
    with pytest.raises(ValueError, match="trial_seconds"):
        itr_bits_per_min(0.9, 2, 0.0)


# --- synthetic end to end, each evaluation ---------------------------------------------------

def test_within_session_synthetic_above_chance(ssvep_data):
    results = WithinSessionEvaluation(n_splits=3, windows=[1.0, 2.0]).evaluate(
        ssvep_data, SSVEP(fmin=4, fmax=40, tmax=2.0), CCA)
    assert list(results.columns) == RESULT_COLUMNS
    assert len(results) == 2 * 2 * 2  # subjects x sessions x windows, one pipeline
    assert not results.duplicated(["subject", "session", "pipeline", "window"]).any()
    assert (results["n_test"] == 12).all() and (results["n_train"] == 8).all()
    long = results[results["window"] == 2.0]
    assert (long["accuracy"] >= 0.9).all()  # chance is 0.5
    assert (long["roc_auc"] >= 0.9).all()
    assert (long["itr_bits_per_min"] > 0).all()
    confusion = np.array(json.loads(long["confusion"].iloc[0]))
    assert confusion.sum() == 12 and json.loads(long["classes"].iloc[0]) == ["10", "7.5"]


def test_cross_session_and_cross_subject(ssvep_data):
    pipes = dict([resolve_pipeline({"name": "SSVEP_TS+LR"})])
    para = SSVEP(fmin=4, fmax=40, tmax=2.0)
    cross_session = CrossSessionEvaluation().evaluate(ssvep_data, para, pipes)
    assert sorted(zip(cross_session["subject"], cross_session["session"], strict=True)) == [
        (1, "0"), (1, "1"), (2, "0"), (2, "1")]
    assert (cross_session["n_train"] == 12).all() and (cross_session["n_test"] == 12).all()
    assert (cross_session["accuracy"] > 0.75).all()
    cross_subject = CrossSubjectEvaluation().evaluate(ssvep_data, para, pipes)
    assert len(cross_subject) == 4 and (cross_subject["n_train"] == 24).all()
    assert cross_subject["accuracy"].mean() > 0.75


def test_too_few_trials_per_class(ssvep_data):
    with pytest.raises(ValueError, match=r"has 6 trials, fewer than the 7 folds"):
        WithinSessionEvaluation(n_splits=7).evaluate(ssvep_data, SSVEP(tmax=2.0), CCA)
    with pytest.raises(ValueError, match="at least 2"):
        CrossSessionEvaluation().evaluate(
            synthetic_dataset(subjects=[1], n_trials_per_class=2, ch_names=["Oz", "O1"]),
            SSVEP(tmax=2.0), CCA)


def test_sequential_joblib_dask_identical(ssvep_data):
    para = SSVEP(fmin=4, fmax=40, tmax=1.0)
    pipes = dict([resolve_pipeline({"name": "CCA"}), resolve_pipeline({"name": "SSVEP_MDM"})])
    run = {}
    run["sequential"] = WithinSessionEvaluation(n_splits=3).evaluate(ssvep_data, para, pipes)
    run["joblib"] = WithinSessionEvaluation(n_splits=3, n_jobs=2).evaluate(
        ssvep_data, para, pipes)
    with LocalCluster(host="127.0.0.1", protocol="tcp://", n_workers=2, threads_per_worker=1,
                      dashboard_address=None, processes=False) as cluster:
        run["dask"] = WithinSessionEvaluation(
            n_splits=3, scheduler=cluster.scheduler_address).evaluate(ssvep_data, para, pipes)
    for name in ("joblib", "dask"):
        pd.testing.assert_frame_equal(run[name][SCORES], run["sequential"][SCORES])


def test_vectorised_ledoit_wolf_equals_pyriemann():
    X = np.random.default_rng(0).standard_normal((6, 5, 40))
    X[0] *= 1e3  # scale per window does not matter
    X[1, :, :20] = 0.0
    expected = Covariances("lwf").transform(X)
    np.testing.assert_allclose(LedoitWolfCovariances().fit(X).transform(X), expected,
                               rtol=1e-12, atol=1e-12 * np.abs(expected).max())
    with pytest.raises(ValueError, match=r"shape \(n_trials, n_channels, n_times\), got"):
        LedoitWolfCovariances().transform(X[0])


def test_stateless_steps_run_once_per_task_with_unchanged_scores(ssvep_data):
    spec = PIPELINES["SSVEP_TS+LR"]
    stateless, rest = split_stateless(spec)
    assert [step for step, _ in stateless.steps] == ["StackBands", "LedoitWolfCovariances"]
    assert [step for step, _ in rest.steps] == ["TangentSpace", "LogisticRegression"]
    assert split_stateless(PIPELINES["CCA"]) == (None, PIPELINES["CCA"])
    alone = PipelineSpec((("Covariances", {}),))
    assert split_stateless(alone) == (None, alone)  # the last step always stays
    # from Python, a step may be the class itself
    classes = PipelineSpec(((Covariances, {}), ("TangentSpace", {})))
    assert split_stateless(classes)[0] == PipelineSpec(((Covariances, {}),))
    # The evaluation (covariances once per task) scores as the whole pipeline refitted per
    # fold; a short window keeps accuracy and ROC-AUC away from 1.
    para = SSVEP(fmin=4, fmax=40, tmax=0.15)
    results = WithinSessionEvaluation(n_splits=3).evaluate(ssvep_data, para, {"ts": spec})
    assert results["roc_auc"].between(0.6, 0.99).any()
    X, y, meta = filter_bank_paradigm(para).get_data(ssvep_data)
    context = PipelineContext(sfreq=256.0, classes=("10", "7.5"), stim_freqs={},
                              n_channels=X.shape[1], n_times=X.shape[2], random_state=42)
    for row in results.itertuples():
        ix = np.flatnonzero((meta["subject"] == row.subject) & (meta["session"] == row.session))
        pred, score = np.empty(ix.size, dtype=object), np.empty(ix.size)
        for train, test in StratifiedKFold(3, shuffle=True, random_state=42).split(ix, y[ix]):
            whole = build_pipeline(spec, context).fit(X[ix[train]], y[ix[train]])
            pred[test] = whole.predict(X[ix[test]])
            score[test] = whole.decision_function(X[ix[test]])
        assert row.accuracy == pytest.approx(np.mean(pred == y[ix]), abs=1e-12)
        assert row.roc_auc == pytest.approx(roc_auc_score(y[ix] == "7.5", score), abs=1e-12)



def test_decoder_front_end_runs_once_per_task_with_unchanged_scores(ssvep_data):
    # FBCCA's filter bank (its stateless_front) runs once per task; the scores equal those of
    # FBCCA refitted on the windows themselves per fold.
    para = SSVEP(fmin=4, fmax=40, tmax=0.5)
    results = WithinSessionEvaluation(n_splits=3).evaluate(
        ssvep_data, para, {"fbcca": PIPELINES["FBCCA"]})
    X, y, meta = para.get_data(ssvep_data)
    freqs = {"7.5": 7.5, "10": 10.0}
    for row in results.itertuples():
        ix = np.flatnonzero((meta["subject"] == row.subject) & (meta["session"] == row.session))
        pred = np.empty(ix.size, dtype=object)
        for train, test in StratifiedKFold(3, shuffle=True, random_state=42).split(ix, y[ix]):
            fbcca = FBCCA(list(freqs.values()), 256.0, labels=list(freqs))
            pred[test] = fbcca.fit(X[ix[train]], y[ix[train]]).predict(X[ix[test]])
        assert row.accuracy == pytest.approx(np.mean(pred == y[ix]), abs=1e-12)
    assert results["accuracy"].between(0.5, 0.99).any()

# --- config ----------------------------------------------------------------------------------

GOOD = {
    "datasets": [{"name": "Synthetic", "params": {"subjects": [1]}}],
    "paradigm": {"name": "SSVEP", "params": {"tmax": 2.0}},
    "evaluation": {"name": "within-session", "params": {"n_splits": 3}, "windows": [1.0]},
    "pipelines": [{"name": "CCA"}],
}


@pytest.mark.parametrize("change, message", [
    ({"pipelines": [{"name": "NoSuchDecoder"}]}, "Unknown pipeline 'NoSuchDecoder'"),
    ({"evaluation": {"name": "leave-none-out"}}, "evaluation.name 'leave-none-out'"),
    ({"evaluation": {"name": "within-session", "params": {"folds": 3}}}, r"unknown key\(s\)"),
    ({"paradigm": {"name": "SSVEP", "params": {"tmax": 2, "window": 1}}}, "tmax or window"),
    ({"datasets": [{"name": "Nope"}]}, "datasets\\[0\\].name 'Nope'"),
    ({"datasets": [{"name": "Synthetic", "subjects": "all"}]}, "list of integers"),
    ({"pipelines": [{"name": "x", "steps": [{"params": {}}]}]}, r"'from: <step name>' \(one of"),
    ({"pipelines": [{"name": "x", "steps": [{"from": "TRCA", "param": {}}]}]},
     r"steps\[0\]: unknown key\(s\) \['param'\]"),
    ({"pipelines": [{"name": "x", "steps": [{"from": "TRCA", "params": {"n_harmonic": 2}}]}]},
     r"'TRCA' has no parameter\(s\) \['n_harmonic'\]"),
    ({"pipelines": [{"name": "CCA", "input": "filter_bank"}]}, "'input' goes with 'steps'"),
    ({"pipelines": [{"name": "CCA", "params": [1, 2]}]}, "params must be a mapping"),
    ({"pipelines": ["CCA"]}, "A pipeline entry must be a mapping"),
    ({"name": ["x"]}, "name must be a non-empty string"),
    ({"paradigm": {"name": "SSVEP", "params": {"fmin": "low"}}},
     r"paradigm.params.fmin must be a number or null, got 'low'"),
    ({"paradigm": {"name": "SSVEP", "params": {"tmin": None}}}, r"tmin must be a number, got"),
    ({"paradigm": {"name": "SSVEP", "params": {"channels": "Oz"}}},
     "channels must be a non-empty list of names or null"),
    ({"paradigm": {"name": "SSVEP", "filter_bank": [[1, 2, 3]]}},
     r"filter_bank must be a non-empty list of \[low, high\] pairs in Hz or null"),
    ({"paradigm": {"name": "SSVEP", "filter_bank": [[5, 2]]}}, "0 < low < high"),
    ({"paradigm": {"name": "SSVEP", "params": {1: 2}}}, r"non-string key\(s\) \[1\]"),
    ({"paradigm": {"name": ["SSVEP"]}}, "paradigm.name"),
    ({"evaluation": {"name": "within-session", "params": {"gaze_shift": True}}},
     "gaze_shift must be a number, got True"),
    ({"evaluation": {"name": "within-session", "params": {"random_state": "x"}}},
     "random_state must be an integer or null"),
    ({"evaluation": {"name": "within-session", "windows": "1 s"}},
     "windows must be a non-empty list of numbers or null"),
    ({"evaluation": {"name": "within-session", "windows": [-1]}}, "windows must be"),
    ({"datasets": [{"name": "Synthetic", "subjects": [True]}]}, "list of integers"),
])
def test_config_errors(change, message):
    with pytest.raises(ConfigError, match=message):
        parse_config({**GOOD, **change}, "bad.yaml", ("Synthetic",))
    config = parse_config(GOOD, "good.yaml", ("Synthetic",))
    assert list(config.pipelines) == ["CCA"]


def test_config_steps_are_registered_names_only():
    # the config names a registered step; its parameters reach the step
    entry = {"name": "TRCA-2", "steps": [{"from": "TRCA", "params": {"n_harmonics": 2}}]}
    config = parse_config({**GOOD, "pipelines": [entry]}, "good.yaml", ("Synthetic",))
    assert config.pipelines["TRCA-2"] == PipelineSpec((("TRCA", {"n_harmonics": 2}),))
    # an import path is not a registered name, whatever it points at
    for path in ("os:system", "decoders.ssvep:TRCA", "builtins:eval"):
        bad = {"name": "x", "steps": [{"from": path, "params": {"command": "true"}}]}
        with pytest.raises(ConfigError, match=rf"bad.yaml: pipelines\[0\]: .*unknown step "
                                              rf"'{path}'; registered steps: \[.*'TRCA'"):
            parse_config({**GOOD, "pipelines": [bad]}, "bad.yaml", ("Synthetic",))
    with pytest.raises(ValueError, match=r"Unknown pipeline step 'os:system'; registered"):
        PipelineSpec((("os:system", {}),))
    assert set(STEPS) >= {step for spec in PIPELINES.values() for step, _ in spec.steps}


def test_shipped_configs_load():
    for path in sorted(Path("experiments/bench_configs").glob("*.yaml")):
        config = load_config(path, ("Synthetic",))
        assert config.name == path.stem and config.pipelines


def test_binary_and_malformed_yaml_name_the_file(tmp_path):
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(bytes(range(256)))
    with pytest.raises(ConfigError, match=r"binary.yaml: not a UTF-8 text file"):
        load_config(binary)
    for name, text, message in [
        ("broken.yaml", "datasets: [\n", "broken.yaml: not valid YAML"),
        ("list.yaml", "- 1\n- 2\n", "list.yaml: the config must be a mapping"),
        ("empty.yaml", "", "empty.yaml: the config must be a mapping, got None"),
        ("python.yaml", "!!python/object/apply:os.system ['true']\n",
         "python.yaml: not valid YAML"),
    ]:
        (tmp_path / name).write_text(text)
        with pytest.raises(ConfigError, match=message):
            load_config(tmp_path / name)


def test_huge_numbers_and_aliased_values_in_a_config_are_refused_naming_the_file(tmp_path):
    """Found by fuzzing: a 5000-digit integer escaped as a bare ValueError naming no file, a
    float beyond the float range (inf) was accepted as a window end, and a structure shared
    through YAML aliases was written out whole in the error message (a few hundred bytes of
    "billion laughs" YAML hung the loader)."""
    path = tmp_path / "long.yaml"
    path.write_text(f"datasets: [{{name: Synthetic}}]\npipelines: [{{name: CCA}}]\n"
                    f"evaluation: {{name: within-session, params: {{n_splits: {'9' * 5000}}}}}\n"
                    f"paradigm: {{name: SSVEP, params: {{tmax: 2.0}}}}\n")
    with pytest.raises(ConfigError, match=r"long.yaml: not valid YAML \(Exceeds the limit"):
        load_config(path)
    for tmax in (float("inf"), float("nan"), 10**400):
        with pytest.raises(ConfigError, match="paradigm.params.tmax must be a number or null"):
            parse_config({**GOOD, "paradigm": {"name": "SSVEP", "params": {"tmax": tmax}}},
                         "bad.yaml", ("Synthetic",))
    shared = ["lol"] * 10
    for _ in range(5):  # 10**6 items through shared references
        shared = [shared] * 10
    for change in ({"name": shared}, {"pipelines": [shared]}, {"paradigm": shared},
                   {"pipelines": [{"name": "x", "steps": shared}]}):
        with pytest.raises(ConfigError) as info:
            parse_config({**GOOD, **change}, "bad.yaml", ("Synthetic",))
        assert str(info.value).startswith("bad.yaml: ") and len(str(info.value)) < 1000


def test_unreachable_scheduler_fails_fast_with_one_line(monkeypatch, ssvep_data):
    monkeypatch.setattr(evaluations, "SCHEDULER_TIMEOUT", 1.0)
    with socket.socket() as sock:  # a free loopback port, closed again: nobody listens
        sock.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{sock.getsockname()[1]}"
    # dask's connect timeout, or under load the whole exchange's cap, whichever comes first
    for bad, reason in [(address, "Timed out|TimeoutError"), ("tcp://unreachable", "missing port")]:
        start = time.perf_counter()
        with pytest.raises(ValueError, match=rf"no Dask scheduler answered at '{bad}' within 1 s "
                                             rf"\(({reason})"):
            WithinSessionEvaluation(n_splits=2, scheduler=bad).evaluate(
                ssvep_data, SSVEP(tmax=1.0), CCA, subjects=[1])
        assert time.perf_counter() - start < 4.0
    assert evaluations.SCHEDULER_TIMEOUT == 1.0 and SCHEDULER_TIMEOUT <= 5.0


def test_something_else_at_the_scheduler_address_fails_fast(monkeypatch):
    monkeypatch.setattr(evaluations, "SCHEDULER_TIMEOUT", 1.0)
    with socket.socket() as server:  # accepts, never speaks
        server.bind(("127.0.0.1", 0))
        server.listen()
        address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
        start = time.perf_counter()
        with pytest.raises(ValueError, match=rf"no Dask scheduler answered at '{address}'"):
            Executor(scheduler=address).map(abs, [-1])
        assert time.perf_counter() - start < 4.0


def test_config_missing_section():
    message = r"bad.yaml: the config is missing key\(s\) \['pipelines'"
    with pytest.raises(ConfigError, match=message):
        parse_config({k: v for k, v in GOOD.items() if k != "pipelines"}, "bad.yaml")


# --- bad recordings --------------------------------------------------------------------------

def _write_raw(path: Path, data: np.ndarray, names=("Oz", "O1", "O2"), events=("a", "b")):
    raw = mne.io.RawArray(data, mne.create_info(list(names), 100.0, "eeg"), verbose="error")
    raw.set_annotations(mne.Annotations([1.0, 3.0], [1.0, 1.0], list(events)))
    raw.save(path, overwrite=True, verbose="error")
    return path


def _load(path: Path, **kwargs) -> None:
    FileDataset({1: {"0": {"0": path}}}, {"left": "a", "right": "b"}, paradigm="imagery",
                interval=(0.0, 1.0), **kwargs).get_data(1)


@pytest.fixture
def good_data():
    return np.random.default_rng(0).normal(size=(3, 600)) * 1e-5


def test_bad_recording_errors(tmp_path, good_data):
    good = _write_raw(tmp_path / "good_raw.fif", good_data)
    _load(good)  # the reference file loads
    truncated = tmp_path / "truncated_raw.fif"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(RecordingError, match="truncated_raw.fif: cannot read"):
        _load(truncated)
    corrupt = tmp_path / "corrupt_raw.fif"
    corrupt.write_bytes(b"not a fif file" * 100)
    with pytest.raises(RecordingError, match="corrupt_raw.fif: cannot read"):
        _load(corrupt)
    nan = good_data.copy()
    nan[1, 10:13] = np.nan
    with pytest.raises(RecordingError, match=r"nan_raw.fif: NaN .* O1 \(3 samples\)"):
        _load(_write_raw(tmp_path / "nan_raw.fif", nan))
    flat = good_data.copy()
    flat[2] = 1e-6
    with pytest.raises(RecordingError, match=r"flat_raw.fif: flat channel\(s\) \['O2'\]"):
        _load(_write_raw(tmp_path / "flat_raw.fif", flat))
    with pytest.raises(RecordingError, match=r"good_raw.fif.*missing channel\(s\) \['Cz'\]"):
        _load(good, ch_names=["Oz", "Cz"])
    with pytest.raises(RecordingError, match=r"event\(s\) \['right'\] .* do not occur"):
        _load(_write_raw(tmp_path / "one_event_raw.fif", good_data, events=("a", "a")))


# --- real data -------------------------------------------------------------------------------

@pytest.mark.dataset("ssvep-exo")
def test_ssvep_exo_smoke():
    """Subject 1 of ssvep-exo, 3 stimulus classes, training-free CCA."""
    dataset = SSVEPExo()
    assert dataset.event_id == {"13": 2, "17": 4, "21": 3, "rest": 1}
    assert "2012.07.11-15.33.08" not in dataset.get_data(7)  # duplicate of subject03's
    results = WithinSessionEvaluation().evaluate(
        dataset, SSVEP(events=["13", "17", "21"], tmax=2.0), CCA, subjects=[1])
    assert len(results) == 2 and (results["n_test"] == 24).all()
    assert results["accuracy"].mean() > 0.6  # chance 1/3


@pytest.mark.dataset("eegmmidb")
def test_eegmmidb_maps_t1_t2_per_run():
    runs = EEGMMIDB(tasks=["left_right", "hands_feet"]).get_data(1)["0"]
    assert set(runs) == {"4", "6", "8", "10", "12", "14"}
    assert set(runs["4"].annotations.description) == {"rest", "left_hand", "right_hand"}
    assert set(runs["6"].annotations.description) == {"rest", "hands", "feet"}
    X, y, meta = LeftRightImagery(tmax=3.0).get_data(EEGMMIDB(), [2])
    assert X.shape == (45, 64, 481) and sorted(set(y)) == ["left_hand", "right_hand"]


# --- CLI -------------------------------------------------------------------------------------

def test_noir_bench_cli(tmp_path):
    config = tmp_path / "tiny.yaml"
    config.write_text(
        "name: tiny\n"
        "datasets:\n"
        "  - name: Synthetic\n"
        "    params: {classes: [7.5, 10.0], subjects: [1, 2], n_trials_per_class: 4,\n"
        "             trial_seconds: 2.0, rest_seconds: 0.5, ch_names: [O1, Oz, O2]}\n"
        "paradigm: {name: SSVEP, params: {tmax: 1.5}}\n"
        "evaluation: {name: within-session, params: {n_splits: 2}, windows: [0.5, 1.5]}\n"
        "pipelines: [{name: CCA}]\n"
    )
    app = typer.Typer()
    app.command()(bench)
    result = CliRunner().invoke(app, [str(config), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    results = pd.read_csv(tmp_path / "out" / "results.csv")
    assert list(results.columns) == RESULT_COLUMNS and len(results) == 4
    html = (tmp_path / "out" / "report.html").read_text()
    pngs = sorted(p.name for p in (tmp_path / "out").glob("*.png"))
    assert len(pngs) == 4 and all(name in html for name in pngs)
    bad = CliRunner().invoke(noir_app, ["bench", str(tmp_path / "missing.yaml")])
    assert bad.exit_code == 2 and "config file not found" in bad.output
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(bytes(range(256)))
    bad = CliRunner().invoke(noir_app, ["bench", str(binary), "--scheduler", "tcp://x"])
    assert bad.exit_code == 2
    assert bad.output.strip().splitlines() == [
        f"error: {binary}: not a UTF-8 text file, so not a YAML config ('utf-8' codec can't "
        "decode byte 0x80 in position 128: invalid start byte)."]
