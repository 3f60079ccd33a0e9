"""Decoders refuse what they cannot decode (issue 11).

The contract, for every decoder and every method (``fit``, ``predict``, ``predict_proba``,
``decision_function``, a filter bank's ``transform``): a ``ValueError`` whose message names the
problem (trial, channel, value or length, and what was expected), or a finite result of the
documented shape. Never NaN, never another exception type. Bad windows: NaN, inf, a flat
channel, all zeros, a constant 1 µV, shorter than the fitted window (or the filter's or
stimulus cycle's minimum), the wrong channel count, one sample, absurd amplitudes.
"""

from functools import cache

import numpy as np
import pytest
from pyriemann.tangentspace import TangentSpace
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from decoders._validation import FLAT_VARIANCE_FLOOR, check_epochs_array
from decoders.benchmark.pipelines import LedoitWolfCovariances, StackBands
from decoders.dynamic_stopping import MarginStopping
from decoders.emg import MuscleTensionDetector
from decoders.motor_imagery import (
    CSPLDA,
    CSPQDA,
    FBCSPSVM,
    RiemannMDM,
    TangentSpaceLR,
    TangentSpaceLRCV,
)
from decoders.nets import EEGNetClassifier, ShallowConvNetClassifier
from decoders.preprocessing import BandpassFilter
from decoders.ssvep import CCA, ECCA, FBCCA, TDCA, TRCA

SSVEP_SFREQ, MI_SFREQ, EMG_SFREQ = 250.0, 128.0, 250.0
FREQS = [6.0, 7.5, 8.57, 10.0]

_NET = {"max_epochs": 3, "lr": 1e-2, "batch_size": 4, "validation_fraction": 0.0}
DECODERS = {
    "CCA": CCA(FREQS, SSVEP_SFREQ),
    "FBCCA": FBCCA(FREQS, SSVEP_SFREQ, n_bands=3),
    "eCCA": ECCA(FREQS, SSVEP_SFREQ),
    "TRCA": TRCA(FREQS, SSVEP_SFREQ),
    "TDCA": TDCA(FREQS, SSVEP_SFREQ),
    "CCA+rest": CCA(FREQS, SSVEP_SFREQ, rest_label=-1.0),
    "CSP+LDA": CSPLDA(MI_SFREQ),
    "CSP+QDA": CSPQDA(MI_SFREQ),
    "FBCSP+SVM": FBCSPSVM(MI_SFREQ),
    "MDM": RiemannMDM(MI_SFREQ),
    "TS+LR": TangentSpaceLR(MI_SFREQ),
    "TS+LR-CV": TangentSpaceLRCV(MI_SFREQ),
    "EEGNet": EEGNetClassifier(MI_SFREQ, **_NET),
    "ShallowConvNet": ShallowConvNetClassifier(MI_SFREQ, **_NET),
    "EMG": MuscleTensionDetector(EMG_SFREQ),
}
SAME_LENGTH = {"eCCA", "TRCA", "TDCA", "EEGNet", "ShallowConvNet"}
"""Decoders whose fitted model (templates, network input) needs windows of the fitted length."""


def _good_data(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Decodable training windows (in volts) and labels for decoder ``name``."""
    rng = np.random.default_rng(0)
    if name == "EMG":
        X = 5e-6 * rng.standard_normal((12, 4, 250))
        X[8:] *= 4  # 4 clenches: broadband power
        return X, np.arange(12) >= 8
    if name in ("CCA", "FBCCA", "eCCA", "TRCA", "TDCA", "CCA+rest"):
        y = np.tile(FREQS, 5)
        times = np.arange(250) / SSVEP_SFREQ
        X = rng.standard_normal((y.size, 6, times.size))
        X[:, :3] += 2 * np.sin(2 * np.pi * y[:, None] * times)[:, None]
        if name == "CCA+rest":
            y = np.where(np.arange(y.size) % 5 == 0, -1.0, y)
        return 1e-5 * X, y
    y = np.repeat(["left_hand", "right_hand"], 10)
    X = rng.standard_normal((y.size, 8, 256))
    X[y == "right_hand", 0] *= 3
    return 1e-5 * X, y


@cache
def _fitted(name: str):
    X, y = _good_data(name)
    return clone(DECODERS[name]).fit(X, y), X


def _bad(kind: str, X: np.ndarray) -> np.ndarray:
    """A bad copy of windows ``X`` (n_trials, n_channels, n_times) of the given kind."""
    X = X[:3].copy()
    if kind == "NaN":
        X[1, 2, 7] = np.nan
    elif kind == "inf":
        X[1, 2, 7] = -np.inf
    elif kind == "flat channel":
        X[1, 2] = 3e-6
    elif kind == "all zeros":
        X[:] = 0.0
    elif kind == "constant 1 uV":
        X[:] = 1e-6
    elif kind == "too short":
        X = X[..., :5]
    elif kind == "wrong channels":
        X = X[:, :3]
    elif kind == "one sample":
        X = X[..., :1]
    elif kind == "absurd amplitude":
        X[0, 1, 3] = 1e20
    return X


BAD_KINDS = {
    "NaN": r"NaN or infinite samples .* trial 1, channel 2",
    "inf": r"NaN or infinite samples .* trial 1, channel 2",
    "flat channel": r"trial 1, channel 2 is flat: variance 0 .* floor 1e-20",
    "all zeros": r"trial 0, channel 0 is flat",
    "constant 1 uV": r"trial 0, channel 0 is flat",
    "too short": r"\(5 samples at .* (at least|exactly) .* required for",
    "wrong channels": r"has 3 channels, but the estimator was fitted on \d",
    "one sample": r"\(1 samples at .* required for",
    "absurd amplitude": r"trial 0, channel 1 has a sample of 1e\+20, beyond",
}
METHODS = ("predict", "decision_function", "predict_proba")


@pytest.mark.parametrize("kind", BAD_KINDS)
@pytest.mark.parametrize("name", DECODERS)
def test_fitted_decoders_refuse_bad_windows(name, kind):
    decoder, _ = _fitted(name)
    X = _bad(kind, _good_data(name)[0])
    for method in METHODS:
        if hasattr(decoder, method):
            with pytest.raises(ValueError, match=BAD_KINDS[kind]):
                getattr(decoder, method)(X)


FIT_KINDS = ("NaN", "inf", "flat channel", "all zeros", "constant 1 uV", "one sample",
             "absurd amplitude")


@pytest.mark.parametrize("kind", FIT_KINDS)
@pytest.mark.parametrize("name", DECODERS)
def test_fit_refuses_bad_windows(name, kind):
    X, y = _good_data(name)
    if kind == "one sample":
        X_bad = X[..., :1]
    else:
        X_bad = X.copy()
        X_bad[:3] = _bad(kind, X)
    with pytest.raises(ValueError, match=BAD_KINDS[kind]):
        clone(DECODERS[name]).fit(X_bad, y)


@pytest.mark.parametrize("name", DECODERS)
def test_other_window_lengths(name):
    """Longer windows are decoded unless the model needs the fitted length; all outputs are
    finite and of the documented shape."""
    decoder, X = _fitted(name)
    longer = np.concatenate([X[:3], X[:3, :, :50]], axis=2)
    if name in SAME_LENGTH:
        with pytest.raises(ValueError, match=rf"exactly .* \({X.shape[2]} samples\) .* for"):
            decoder.predict(longer)
        return
    proba = decoder.predict_proba(longer) if hasattr(decoder, "predict_proba") else None
    scores = decoder.decision_function(longer)
    assert np.isfinite(scores).all() and scores.shape[0] == 3
    if proba is not None:
        assert proba.shape == (3, decoder.classes_.size) and np.isfinite(proba).all()
    if name.startswith(("CSP", "FBCSP", "MDM", "TS")):  # shorter than fitted: refused
        with pytest.raises(ValueError, match=r"at least 2\.000 s \(256 samples\) .* fitted on"):
            decoder.predict(X[:3, :, :200])


def test_the_floor_is_documented_and_unit_free():
    """A constant channel is flat at any offset and in any unit; real EEG variances are many
    orders of magnitude above the floor."""
    rng = np.random.default_rng(1)
    for offset in (0.0, 1e-6, 1.0, 8e6):  # volts, µV, ADC counts of a 24-bit amplifier
        X = offset + 1e-6 * rng.standard_normal((2, 3, 100))
        X[1, 1] = offset
        with pytest.raises(ValueError, match="trial 1, channel 1 is flat"):
            check_epochs_array(X, sfreq=100.0)
    # the quietest real window seen (eegmmidb, 8-32 Hz) has variance 7.7e-12 V²
    assert FLAT_VARIANCE_FLOOR < 7.7e-12 * 1e-6
    quiet = 1e-9 * rng.standard_normal((1, 2, 100))  # 1 nV rms: still accepted
    np.testing.assert_array_equal(check_epochs_array(quiet, sfreq=100.0), quiet)
    # a filter is no decoder: it filters a constant window (the decoders refuse it first)
    assert BandpassFilter(100.0, 8.0, 30.0).fit_transform(np.ones((1, 1, 100))).shape == (1, 1, 100)


def test_filter_minimum_length_is_the_zero_phase_padding():
    """FBCCA's zero-phase sub-band filters need windows longer than scipy's padlen (27 samples
    for 4th-order band-passes), even where one stimulus cycle is shorter: a ValueError naming
    it, not scipy's "padlen" error."""
    fbcca = FBCCA([12.0, 15.0], 128.0, n_bands=2).fit()  # one cycle of 12 Hz: 11 samples
    X = np.random.default_rng(2).standard_normal((2, 3, 20))
    with pytest.raises(ValueError, match=r"20 samples .* at least .* \(28 samples\) .* "
                                         r"zero-phase filter .* pads 27 samples"):
        fbcca.predict(X)
    with pytest.raises(ValueError, match=r"pads 27 samples"):
        fbcca.stateless_front().fit().transform(X)
    assert np.isfinite(fbcca.decision_function(np.tile(X, 2))).all()  # 40 samples: decoded


def test_sub_band_windows_are_checked_per_band():
    fbcca, X = _fitted("FBCCA")
    bands = fbcca.stateless_front().fit().transform(X[:3])
    bands[1, 2, :, 1] = 0.0
    with pytest.raises(ValueError, match=r"X\[\.\.\., 1\] trial 1, channel 2 is flat"):
        fbcca.predict(bands)
    with pytest.raises(ValueError, match=r"trial 0, channel 0 is flat"):
        fbcca.stateless_front().fit().transform(np.zeros((1, 6, 250)))


@pytest.mark.parametrize("kind", ["NaN", "inf", "flat channel", "all zeros", "constant 1 uV",
                                  "absurd amplitude"])
def test_ssvep_tangent_space_pipeline_refuses_bad_sub_band_windows(kind):
    """The benchmark's SSVEP_TS+LR (MOABB: stacked sub-bands, Ledoit-Wolf covariances, tangent
    space, logistic regression) refuses the same windows, naming the sub-band."""
    X, y = _good_data("CCA")
    front = FBCCA(FREQS, SSVEP_SFREQ, n_bands=3).stateless_front().fit()
    pipeline = make_pipeline(StackBands(), LedoitWolfCovariances(), TangentSpace(),
                             LogisticRegression(max_iter=1000))
    pipeline.fit(front.transform(X), y.astype(str))
    bands = front.transform(X[:3])
    bands[..., 2] = _bad(kind, bands[..., 2])
    with pytest.raises(ValueError, match=r"X\[\.\.\., 2\] .*" + BAD_KINDS[kind]):
        pipeline.predict_proba(bands)


# --------------------------------------------------------------------------- degenerate fits


@pytest.mark.parametrize("name", [n for n in DECODERS if n not in ("CCA", "FBCCA", "CCA+rest",
                                                                  "EMG")])
def test_identical_training_windows_are_refused(name):
    X, y = _good_data(name)
    with pytest.raises(ValueError, match=r"All \d+ training windows of X are identical"):
        clone(DECODERS[name]).fit(np.repeat(X[:1], len(X), axis=0), y)


def test_tdca_singular_within_class_scatter_says_why():
    X, y = _good_data("TDCA")
    for label in np.unique(y):  # every trial of a class is the class's first one
        X[y == label] = X[y == label][0]
    with pytest.raises(ValueError, match="TDCA cannot fit sub-band 1: the within-class scatter .* "
                                         "singular"):
        clone(DECODERS["TDCA"]).fit(X, y)


def test_rank_deficient_windows_give_a_singular_covariance_error_or_a_finite_result():
    """Every channel one source, scaled (rank 1). MNE's CSP restricts its eigenproblem to the
    estimated rank; where that estimate is off, the eigensolver's LinAlgError becomes a
    ValueError saying why (seed 2 with MNE 1.13), otherwise the outputs are finite."""
    _, y = _good_data("FBCSP+SVM")
    refused = 0
    for seed in range(4):
        source = np.random.default_rng(seed).standard_normal((y.size, 1, 256))
        X = source * np.arange(1.0, 9.0)[:, None]
        try:
            fbcsp = clone(DECODERS["FBCSP+SVM"]).fit(X, y)
        except ValueError as err:
            assert "FBCSPSVM cannot be fitted: a covariance of the training windows is " \
                   "singular" in str(err)
            refused += 1
            continue
        assert np.isfinite(fbcsp.predict_proba(X)).all()
    assert refused >= 1


@pytest.mark.parametrize("name", ["CSP+LDA", "MDM", "TRCA", "EEGNet"])
def test_one_class_is_refused(name):
    X, y = _good_data(name)
    with pytest.raises(ValueError, match="at least 2 (classes|training trials per class)"):
        clone(DECODERS[name]).fit(X, np.full(len(y), y[0]))


def test_emg_rest_windows_without_spread_are_refused():
    X, _ = _good_data("EMG")
    with pytest.raises(ValueError, match="no spread"):
        MuscleTensionDetector(EMG_SFREQ).fit(np.repeat(X[:1], 3, axis=0))


def test_network_outputs_are_finite_or_refused():
    """Nets fitted on volts see a 1e14 window: in ShallowConvNet float32 overflows (squares of
    ~1e21) and the logits are refused rather than returned as NaN; EEGNet's stay finite."""
    shallow, X = _fitted("ShallowConvNet")
    huge = X[:1] / np.abs(X[:1]).max() * 1e14
    with pytest.raises(ValueError, match=r"network output \(logits\) of trial 0 is not finite"):
        shallow.predict_proba(huge)
    assert np.isfinite(_fitted("EEGNet")[0].predict_proba(huge)).all()


def test_diverging_network_training_is_refused():
    X, y = _good_data("ShallowConvNet")
    net = ShallowConvNetClassifier(MI_SFREQ, **{**_NET, "lr": 1e12})
    with pytest.raises(ValueError, match="Training diverged"):
        net.fit(X * 1e5, y)


# --------------------------------------------------------------------------- dynamic stopping


def test_dynamic_stopping_checks_its_trials():
    cca, X = _fitted("CCA")
    _, y = _good_data("CCA")
    stopping = MarginStopping((0.5, 1.0)).fit(cca, X, y, SSVEP_SFREQ)
    scores = stopping.decide(cca, X[0], SSVEP_SFREQ)[1]
    assert scores.shape == (4,) and np.isfinite(scores).all()
    for kind in ("NaN", "flat channel", "all zeros"):
        with pytest.raises(ValueError, match=BAD_KINDS[kind].replace("trial 1", "trial 0")):
            stopping.decide(cca, _bad(kind, X)[1 if kind != "all zeros" else 0], SSVEP_SFREQ)
    with pytest.raises(ValueError, match=r"at least 0\.500 s .* shortest window of 0\.5 s"):
        stopping.decide(cca, X[0, :, :100], SSVEP_SFREQ)
    with pytest.raises(ValueError, match=r"one window of shape \(n_channels, n_times\)"):
        stopping.decide(cca, X[:2], SSVEP_SFREQ)
    with pytest.raises(ValueError, match="differs from the decoder's sfreq=250 Hz"):
        stopping.decide(cca, X[0], 500.0)
    with pytest.raises(ValueError, match="trial 1, channel 2 is flat"):
        MarginStopping((0.5, 1.0)).fit(cca, np.concatenate([_bad("flat channel", X), X]),
                                       np.r_[y[:3], y], SSVEP_SFREQ)
    with pytest.raises(ValueError, match="windows must be increasing seconds > 0"):
        MarginStopping((0.0, 1.0)).fit(cca, X, y, SSVEP_SFREQ)
