"""MOABB interop, offline: the bench's pipelines inside MOABB's evaluations give the bench's own
scores on the same epochs and folds; MOABB datasets are read from disk and never downloaded."""

import socket
import tempfile
import time

import mne
import numpy as np
import pandas as pd
import pytest
from moabb import evaluations as moabb_evaluations
from moabb import paradigms as moabb_paradigms
from moabb.datasets import FakeDataset
from sklearn.base import clone
from sklearn.model_selection import cross_val_score

from decoders.benchmark.data_dirs import DataNotFoundError, dataset_folder
from decoders.benchmark.datasets import (
    EEGMMIDB,
    DownloadRefused,
    MOABBDataset,
    no_downloads,
)
from decoders.benchmark.evaluations import (
    CrossSessionEvaluation,
    CrossSubjectEvaluation,
    WithinSessionEvaluation,
)
from decoders.benchmark.moabb_interop import BenchPipeline, moabb_pipelines
from decoders.benchmark.paradigms import SSVEP, LeftRightImagery, MotorImagery
from decoders.benchmark.pipelines import PIPELINES
from decoders.benchmark.run import ConfigError, parse_config, run_benchmark

pytestmark = pytest.mark.filterwarnings("ignore")


@pytest.fixture(autouse=True)
def _offline_mne_data(tmp_path, monkeypatch):
    """MOABB and MNE read and write their data folder under tmp_path only."""
    (tmp_path / "mne_data").mkdir()
    monkeypatch.setenv("MNE_DATA", str(tmp_path / "mne_data"))
    monkeypatch.setenv("MOABB_DOWNLOAD_PROVIDER", "upstream")


class FakeImagery(FakeDataset):
    """MOABB's FakeDataset plus a known answer: during each trial's 3 s, a 12-Hz rhythm of
    random phase on one channel per class (C4 left hand, C3 right hand, Cz feet)."""

    def _generate_raw(self, n_events, duration):
        raw = super()._generate_raw(n_events, duration)
        events = self._generate_events(n_events, duration)
        channel = {self.event_id["left_hand"]: 2, self.event_id["right_hand"]: 0,
                   self.event_id["feet"]: 1}
        t = np.arange(int(3 * self.sfreq)) / self.sfreq
        for start, code in zip(events[:, 0], events[:, 2], strict=True):
            raw._data[channel[code], start:start + t.size] += 0.8e-5 * np.sin(
                2 * np.pi * 12 * t + np.random.uniform(0, 2 * np.pi))
        return raw


class FakeSSVEP(FakeDataset):
    """FakeDataset with an SSVEP: a sine at the class's frequency on the 3 occipital channels."""

    def _generate_raw(self, n_events, duration):
        raw = super()._generate_raw(n_events, duration)
        events = self._generate_events(n_events, duration)
        freq = {code: float(name) for name, code in self.event_id.items()}
        t = np.arange(int(3 * self.sfreq)) / self.sfreq
        for start, code in zip(events[:, 0], events[:, 2], strict=True):
            raw._data[:3, start:start + t.size] += 0.25e-5 * np.sin(
                2 * np.pi * freq[code] * t + np.random.uniform(0, 2 * np.pi))
        return raw


def _imagery(n_subjects=2, n_sessions=2):
    return FakeImagery(code="FakeImagery", event_list=("left_hand", "right_hand", "feet"),
                       channels=("C3", "Cz", "C4", "FC3", "FC4", "CP3", "CP4", "Pz"),
                       n_subjects=n_subjects, n_sessions=n_sessions, n_runs=1, n_events=30,
                       duration=100, seed=3)


def _moabb_scores(evaluation, paradigm, dataset, pipelines, **kwargs) -> pd.Series:
    """MOABB's per subject × session score, run with downloads refused."""
    with no_downloads() as refused:
        results = evaluation(paradigm=paradigm, datasets=[dataset], random_state=42,
                             overwrite=True, hdf5_path=tempfile.mkdtemp(), **kwargs
                             ).process(pipelines)
    assert refused == []  # MOABB reached for nothing beyond the disk
    results["subject"] = results["subject"].astype(int)
    return results.set_index(["subject", "session", "pipeline"])["score"].sort_index()


def _bench_scores(evaluation, dataset, paradigm, names) -> pd.Series:
    results = evaluation(random_state=42).evaluate(
        MOABBDataset(dataset), paradigm, {n: PIPELINES[n] for n in names})
    return results.set_index(["subject", "session", "pipeline"])["accuracy"].sort_index()


def test_moabb_dataset_gives_moabb_paradigm_epochs():
    """The bench's paradigm on a MOABB dataset cuts MOABB's epochs (MOABB's arrays are µV)."""
    fake = _imagery(n_subjects=1, n_sessions=1)
    X_moabb, y_moabb, meta = moabb_paradigms.MotorImagery(n_classes=3).get_data(fake, [1])
    X, y, _ = MotorImagery().get_data(MOABBDataset(fake), [1])
    np.testing.assert_allclose(X * 1e6, X_moabb, rtol=1e-12, atol=0)
    np.testing.assert_array_equal(y, y_moabb)
    assert X.shape == (30, 8, 385)  # [0, 3] s at 128 Hz, both ends included


@pytest.mark.parametrize("protocol", ["within-session", "cross-session", "cross-subject"])
def test_bench_pipelines_inside_moabb_give_the_bench_scores(protocol):
    """Same epochs, same folds: MOABB's evaluation of BenchPipeline == the bench's own rows."""
    fake = _imagery()
    moabb_eval, ours, names, kwargs = {
        # Epochs carry the sampling rate; MOABB's arrays are µV and need sfreq
        "within-session": (moabb_evaluations.WithinSessionEvaluation, WithinSessionEvaluation,
                           ["CSP+LDA", "TS+LR"], {"return_epochs": True}),
        "cross-session": (moabb_evaluations.CrossSessionEvaluation, CrossSessionEvaluation,
                          ["TS+LR"], {}),
        "cross-subject": (moabb_evaluations.CrossSubjectEvaluation, CrossSubjectEvaluation,
                          ["CSP+LDA"], {"return_epochs": True}),
    }[protocol]
    sfreq = None if kwargs else 128.0
    moabb_scores = _moabb_scores(moabb_eval, moabb_paradigms.MotorImagery(n_classes=3), fake,
                                 moabb_pipelines(names, sfreq=sfreq), **kwargs)
    bench = _bench_scores(ours, fake, MotorImagery(), names)
    assert len(moabb_scores) == 4 * len(names)  # 2 subjects x 2 sessions
    pd.testing.assert_series_equal(moabb_scores, bench, check_names=False, check_dtype=False,
                                   atol=1e-6)  # MOABB stores float32
    assert bench.mean() > 0.55  # chance 1/3; the threshold for 30 trials is 0.5


def test_ssvep_pipelines_in_moabb_take_the_class_names():
    """SSVEP pipelines need the frequencies: MOABB's integer labels are refused with the fix
    named; with mne_labels=True the scores are the bench's."""
    fake = FakeSSVEP(code="FakeSSVEP", paradigm="ssvep", sfreq=256,
                     channels=("O1", "Oz", "O2", "POz"), event_list=("13", "17", "21"),
                     n_subjects=2, n_sessions=1, n_runs=1, n_events=30, duration=100, seed=5)
    names = ["CCA", "FBSpatialLDA"]
    moabb_scores = _moabb_scores(moabb_evaluations.WithinSessionEvaluation,
                                 moabb_paradigms.SSVEP(n_classes=3), fake,
                                 moabb_pipelines(names), return_epochs=True, mne_labels=True)
    bench = _bench_scores(WithinSessionEvaluation, fake, SSVEP(), names)
    pd.testing.assert_series_equal(moabb_scores, bench, check_names=False, check_dtype=False,
                                   atol=1e-6)  # MOABB stores float32
    assert bench.min() > 0.6  # chance 1/3
    with pytest.raises(ValueError, match="mne_labels=True"):
        _moabb_scores(moabb_evaluations.WithinSessionEvaluation,
                      moabb_paradigms.SSVEP(n_classes=3), fake, moabb_pipelines(["CCA"]),
                      return_epochs=True)


def test_cross_val_score_on_epochs_with_any_registered_pipeline():
    """pyRiemann/scikit-learn pipelines take Epochs through BenchPipeline (the CV split of
    Epochs too), with the scores of the arrays; wrong input is refused by name."""
    X, y, _ = MotorImagery().get_data(MOABBDataset(_imagery(n_subjects=1, n_sessions=1)), [1])
    epochs = mne.EpochsArray(X, mne.create_info(8, 128.0, "eeg"), verbose="error")
    model = BenchPipeline("pyRiemann_TS+LR")
    on_epochs = cross_val_score(model, epochs, y, cv=3, error_score="raise")
    on_arrays = cross_val_score(clone(model), X, y, cv=3, error_score="raise")
    np.testing.assert_array_equal(on_epochs, on_arrays)
    with pytest.raises(ValueError, match="sfreq"):
        BenchPipeline("CSP+LDA").fit(X, y)  # an array says nothing of its sampling rate
    with pytest.raises(ValueError, match="info\\['sfreq'\\]=128 Hz but sfreq=256"):
        BenchPipeline("CSP+LDA", sfreq=256).fit(epochs, y)
    with pytest.raises(ValueError, match="filter-bank"):
        BenchPipeline("SSVEP_TS+LR").fit(X, y)
    with pytest.raises(ValueError, match="unknown pipeline 'nope'"):
        BenchPipeline("nope").fit(X, y)


def test_missing_moabb_files_are_refused_offline(tmp_path):
    """A MOABB dataset whose files are not on disk: one error naming the dataset, the folder
    and the missing file, at once, with no network use."""
    start = time.perf_counter()
    with pytest.raises(DataNotFoundError) as info:
        MOABBDataset("PhysionetMI").get_data(1)
    message = str(info.value)
    assert "'PhysionetMotorImagery' subject 1" in message
    assert str(tmp_path / "mne_data") in message and "S001R04.edf" in message
    assert time.perf_counter() - start < 30  # MOABB's own retries take about 40 s
    with no_downloads() as refused, pytest.raises(DownloadRefused):
        socket.create_connection(("192.0.2.1", 80), timeout=1)  # TEST-NET-1: never sent
    assert refused and "192.0.2.1" in refused[0]
    with pytest.raises(ValueError, match="unknown MOABB dataset 'NoSuchSet'"):
        MOABBDataset("NoSuchSet")


@pytest.mark.dataset("eegmmidb")
def test_moabb_physionet_on_disk_reads_as_the_bench_eegmmidb(tmp_path):
    """Real data: eegmmidb laid out where MOABB keeps PhysionetMI is read without network,
    and its left/right epochs equal the bench's own EEGMMIDB reader's."""
    target = tmp_path / "mne_data" / "MNE-eegbci-data" / "files" / "eegmmidb" / "1.0.0" / "S001"
    target.mkdir(parents=True)  # MOABB's PhysionetMI layout
    for edf in (dataset_folder("eegmmidb") / "S001").glob("*.edf"):
        (target / edf.name).symlink_to(edf)
    X, y, _ = LeftRightImagery(tmax=3.0).get_data(MOABBDataset("PhysionetMI"), [1])
    X_ref, y_ref, _ = LeftRightImagery(tmax=3.0).get_data(EEGMMIDB(), [1])
    assert X.shape == (45, 64, 481)
    np.testing.assert_array_equal(X, X_ref)
    np.testing.assert_array_equal(y, y_ref)


def test_config_names_a_moabb_dataset_and_subjects():
    config = {
        "datasets": [{"name": "MOABB", "subjects": [2],
                      "params": {"dataset": "FakeDataset", "event_list": ["left_hand",
                                                                          "right_hand"],
                                 "n_subjects": 3, "n_sessions": 1, "n_runs": 1,
                                 "channels": ["C3", "Cz", "C4"], "seed": 1}}],
        "paradigm": {"name": "LeftRightImagery"},
        "evaluation": {"name": "within-session", "params": {"n_splits": 3}},
        "pipelines": [{"name": "MDM"}],
    }
    results = run_benchmark(parse_config(config, "moabb.yaml"))
    assert results["subject"].tolist() == [2] and set(results["session"]) == {"0"}
    assert (results["n_test"] == 60).all()
    config["datasets"][0]["params"]["dataset"] = "NoSuchSet"
    with pytest.raises(ConfigError, match="moabb.yaml.*NoSuchSet"):
        run_benchmark(parse_config(config, "moabb.yaml"))
