"""Decoder files load without executing code, refuse types they should not hold, and every
decoder the project saves round-trips."""

import importlib
import warnings

import numpy as np
import pytest
from sklearn.base import BaseEstimator
from sklearn.pipeline import Pipeline

from decoders.benchmark.pipelines import PIPELINES, PipelineContext, build_pipeline
from decoders.dynamic_stopping import MarginStopping
from decoders.emg import MuscleTensionDetector
from decoders.io import (
    ALLOWED_NODES,
    DECODER_CLASSES,
    SCORE_FUNCTIONS,
    _node_types,
    load_decoder,
    save_decoder,
)
from decoders.motor_imagery import (
    CSPLDA,
    CSPQDA,
    FBCSPSVM,
    RiemannMDM,
    TangentSpaceLR,
    TangentSpaceLRCV,
)
from decoders.nets import EEGNetClassifier
from decoders.preprocessing import BandpassFilter
from decoders.ssvep import CCA, ECCA, FBCCA, TDCA, TRCA, FBSpatialLDACV, SubBands

SSVEP_FREQS = [6.0, 7.5, 8.57, 10.0]


class Smuggler(BaseEstimator):
    """An estimator type from outside the allow-list."""

    def fit(self, X, y=None):
        self.payload_ = np.ones(3)
        return self


def _mi_data(rng, n=40, n_channels=6, n_times=384):
    y = np.repeat(["left_hand", "right_hand"], n // 2)
    X = rng.standard_normal((n, n_channels, n_times))
    X[y == "left_hand", 0] *= 3.0
    X[y == "right_hand", 1] *= 3.0
    return X, y


def _ssvep_data(rng, n_per_class=6, n_channels=8, n_times=512, sfreq=256.0):
    y = np.repeat(SSVEP_FREQS, n_per_class)
    t = np.arange(n_times) / sfreq
    X = rng.standard_normal((y.size, n_channels, n_times)) \
        + np.sin(2 * np.pi * y[:, None, None] * t)
    return X, np.array([f"{f:g}" for f in y])


def _fitted_decoders() -> dict[str, tuple[BaseEstimator, np.ndarray]]:
    """Every decoder class the project saves, fitted, with windows it decodes."""
    rng = np.random.default_rng(0)
    X, y = _mi_data(rng)
    Xs, ys = _ssvep_data(rng)
    labels = sorted(set(ys), key=float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = {cls.__name__: (cls(sfreq=128.0).fit(X, y), X) for cls in (
            CSPLDA, CSPQDA, FBCSPSVM, RiemannMDM, TangentSpaceLR, TangentSpaceLRCV)}
        fitted["CSPLDA-shrinkage"] = (
            CSPLDA(sfreq=128.0, shrinkage="auto", csp_reg="ledoit_wolf").fit(X, y), X)
        rest = rng.standard_normal((10, 4, 256))
        fitted["MuscleTensionDetector"] = (MuscleTensionDetector(sfreq=256.0).fit(rest), rest)
        for cls in (CCA, FBCCA, ECCA, TRCA, TDCA):
            fitted[cls.__name__] = (cls(SSVEP_FREQS, 256.0, labels=labels).fit(Xs, ys), Xs)
        fitted["CCA-rest"] = (CCA(SSVEP_FREQS[:3], 256.0, labels=labels[:3],
                                  rest_label=labels[3]).fit(Xs, ys), Xs)
        fitted["FBSpatialLDACV"] = (
            FBSpatialLDACV(SSVEP_FREQS, 256.0, labels=labels, n_inner=2).fit(Xs, ys), Xs)
        fitted["SubBands"] = (SubBands(SSVEP_FREQS, 256.0).fit(Xs), Xs)
        fitted["BandpassFilter"] = (BandpassFilter(256.0, 1.0, 40.0).fit(Xs), Xs)
        cca = CCA(SSVEP_FREQS, 256.0, labels=labels).fit(Xs, ys)
        fitted["MarginStopping"] = (
            MarginStopping(windows=(1.0, 2.0), min_trials=2).fit(cca, Xs, ys, 256.0), Xs)
        context = PipelineContext(256.0, tuple(labels), dict(zip(labels, SSVEP_FREQS,
                                                                 strict=True)), 8, 512, 0)
        bands = np.stack([Xs, 0.5 * Xs + 0.1 * rng.standard_normal(Xs.shape)], axis=-1)
        for name, spec in PIPELINES.items():
            if name in ("EEGNet", "ShallowConvNet"):  # torch nets: .npz files, not skops
                continue
            windows = bands if spec.input == "filter_bank" else Xs
            fitted[f"pipeline {name}"] = (build_pipeline(spec, context).fit(windows, ys),
                                          windows)
    return fitted


def _outputs(decoder: BaseEstimator, X: np.ndarray) -> np.ndarray:
    if isinstance(decoder, MarginStopping):
        return decoder.thresholds_
    if hasattr(decoder, "predict_proba"):
        return decoder.predict_proba(X)
    if hasattr(decoder, "predict"):
        return decoder.predict(X)
    return decoder.transform(X)


def test_every_saved_decoder_round_trips_with_identical_outputs(tmp_path):
    seen = set()
    for name, (decoder, X) in _fitted_decoders().items():
        path = save_decoder(decoder, tmp_path / f"{name}.skops")
        seen.update(_node_types(path.read_bytes(), path)[0])
        back = load_decoder(path)
        assert type(back) is type(decoder), name
        assert back.get_params().keys() == decoder.get_params().keys(), name
        if isinstance(decoder, Pipeline):
            assert [type(s) for _, s in back.steps] == [type(s) for _, s in decoder.steps]
        np.testing.assert_array_equal(_outputs(back, X), _outputs(decoder, X), err_msg=name)
    assert seen >= DECODER_CLASSES | SCORE_FUNCTIONS  # every allowed class and function is used


def test_allow_list_names_exact_classes_and_functions():
    for loader, names in ALLOWED_NODES.items():
        for name in names:
            module, _, attr = name.rpartition(".")
            obj = getattr(importlib.import_module(module), attr)
            if loader == "FunctionNode":
                assert callable(obj) and not isinstance(obj, type), name
            else:
                assert isinstance(obj, type), name
    assert not any(name.endswith(".") for names in ALLOWED_NODES.values() for name in names)


def test_untrusted_types_and_bad_files_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r"cannot save Smuggler to .*x.skops: .*"
                                         r"'ObjectNode test_decoder_io.Smuggler'"):
        save_decoder(Smuggler().fit(None), tmp_path / "x.skops")
    assert not (tmp_path / "x.skops").exists()
    (tmp_path / "bad.skops").write_bytes(b"not a zip file")
    with pytest.raises(ValueError, match="bad.skops is not a decoder file"):
        load_decoder(tmp_path / "bad.skops")
    with pytest.raises(FileNotFoundError, match="missing.skops not found"):
        load_decoder(tmp_path / "missing.skops")


def test_torch_nets_are_not_skops_files(tmp_path):
    rng = np.random.default_rng(0)
    X, y = _mi_data(rng, n=20, n_channels=4, n_times=128)
    net = EEGNetClassifier(sfreq=128.0, max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match=r"cannot save EEGNetClassifier to .*net.skops"):
        save_decoder(net, tmp_path / "net.skops")
    assert not (tmp_path / "net.skops").exists()
