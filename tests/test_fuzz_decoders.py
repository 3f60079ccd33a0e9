"""Fuzz: every decoder × bad arrays (issue 11).

The decoders of ``test_decoder_guards`` (SSVEP CCA, FBCCA, eCCA, TRCA, TDCA, CCA with a rest
class; MI CSP+LDA/QDA, FBCSP+SVM, MDM, TS+LR(+CV), EEGNet, ShallowConvNet; the EMG detector)
and dynamic stopping are fitted once on small synthetic data, then fed generated windows:
random shapes, lengths and channel counts, NaN/inf at random places, flat or constant
channels, huge and tiny scales, offsets, 1-sample windows, integer/float16/float32/complex/
object/string dtypes. Fits get the same damage on their training windows, and damaged labels.

The contract (``decoders/_validation.py``): a ``ValueError``, or a finite result of the
documented shape (``TypeError`` only for a non-numeric dtype, as scikit-learn does); and what
a decoder cannot decode (non-finite, a flat channel, a sample beyond ``MAX_ABS_SAMPLE``, not
3-D, another channel count than fitted, fewer than 2 samples) is always refused.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from _fuzz import case, fuzz_settings
from hypothesis import given
from hypothesis import strategies as st
from sklearn.base import clone
from test_decoder_guards import DECODERS, SSVEP_SFREQ, _good_data

from decoders._validation import FLAT_VARIANCE_FLOOR, MAX_ABS_SAMPLE
from decoders.dynamic_stopping import MarginStopping

NON_NUMERIC = ("bool", "str", "object-str")
"""Dtypes for which a ``TypeError`` is the documented answer (scikit-learn's convention). An
object array of numeric strings converts to numbers and may be decoded, as scikit-learn does."""
DTYPES = ("float64", "float64", "float64", "float32", "float16", "int16", "int64", "uint8",
          "complex128", "object", *NON_NUMERIC)
NUMERIC = tuple(d for d in DTYPES if d not in NON_NUMERIC)
SCALES = (1.0, 1.0, 0.0, 1e-30, 1e-16, 1e-7, 3e-6, 1e-5, 3e-5, 1e-4, 1e3, 1e5, 1e9, 1e15,
          1e19, 1e20, 1e300)
"""Factors applied to decodable windows (volts, ~1e-5)."""
OFFSETS = (0.0, 0.0, 0.0, 1e-6, 1.0, 8e6, 1e10, 1e14, 1e15, -1e300)
DAMAGE = ("nan", "inf", "-inf", "flat channel", "zero channel", "constant trial", "spike",
          "huge sample", "max float")


@cache
def training(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Decodable training windows (n_trials, n_channels, n_times) and labels of ``name``."""
    return _good_data("CCA" if name == "stopping" else name)


@cache
def fitted(name: str):
    """Decoder ``name`` fitted once on its training windows (``"stopping"``: dynamic stopping
    calibrated for CCA)."""
    X, y = training(name)
    if name == "stopping":
        return MarginStopping((0.5, 1.0), min_trials=2).fit(fitted("CCA"), X, y, SSVEP_SFREQ)
    return clone(DECODERS[name]).fit(X, y)


SCENARIOS = ("clean", "scaled", "damaged", "damaged", "length", "channels", "shape", "dtype",
             "anything", "anything")
"""What a generated array differs in from decodable windows (``anything``: all at once)."""


@st.composite
def damaged(draw, name: str, max_trials: int = 3) -> tuple[np.ndarray, str]:
    """A damaged copy of training windows of decoder ``name`` (n_trials, n_channels,
    n_times), and its dtype name."""
    X = training(name)[0]
    n_trials, n_channels, n_times = X.shape
    scenario = draw(st.sampled_from(SCENARIOS))
    anything = scenario == "anything"
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    trials = int(rng.integers(1, max_trials + 1))
    channels, times = n_channels, n_times
    if scenario == "channels" or anything:
        channels = int(rng.choice([0, 1, 2, n_channels - 1, n_channels + 1, 12]))
    if scenario == "length" or anything:
        times = int(rng.choice([0, 1, 2, 3, 5, 27, 28, n_times // 2, n_times - 1, n_times + 1,
                                2 * n_times, rng.integers(1, 3 * n_times)]))
    base = X[rng.integers(n_trials, size=trials)]
    if channels > n_channels or times > n_times or rng.random() < 0.3:
        base = 1e-5 * rng.standard_normal((trials, max(channels, 1), max(times, 1)))
    data = base[:, :channels, :times]
    if scenario == "scaled" or anything:
        data = data * draw(st.sampled_from(SCALES)) + draw(st.sampled_from(OFFSETS))
    if scenario == "damaged" or anything:
        for kind in draw(st.lists(st.sampled_from(DAMAGE), min_size=1, max_size=3)):
            if data.size == 0:
                break
            t, c, s = (rng.integers(n) for n in data.shape)
            value = {"nan": np.nan, "inf": np.inf, "-inf": -np.inf, "spike": 1e-3,
                     "huge sample": 10.0 * MAX_ABS_SAMPLE, "max float": np.finfo(float).max}
            if kind in value:
                data[t, c, s] = value[kind]
            elif kind == "flat channel":
                data[t, c] = data[t, c, 0]
            elif kind == "zero channel":
                data[:, c] = 0.0
            else:
                data[t] = 1e-6
    if scenario == "shape" or anything:
        shape = draw(st.sampled_from(["3-D", "empty", "2-D", "4-D", "1-D", "0-D"]))
        if shape == "2-D":
            data = data.reshape(data.shape[0] * data.shape[1], data.shape[2])
        elif shape != "3-D":
            data = {"empty": data[:0], "4-D": data[..., None], "1-D": data.ravel(),
                    "0-D": np.float64(0.5)}[shape]
    dtype = "float64"
    if scenario in ("dtype", "scaled") or anything:
        dtype = draw(st.sampled_from(DTYPES))
    with np.errstate(all="ignore"):
        if dtype == "object":
            data = np.asarray(data).astype(object)
        elif dtype == "object-str":
            data = np.asarray(data).astype(str).astype(object)
        else:
            data = np.asarray(data).astype(dtype)
    return data, dtype


def must_refuse(X: np.ndarray, n_channels: int) -> str | None:
    """Why the documented contract requires windows ``X`` to be refused, if it does."""
    if X.dtype.kind == "c":
        return "complex"
    with np.errstate(all="ignore"):
        X = np.asarray(X, dtype=float)
    if X.ndim != 3 or X.size == 0:
        return "not 3-D"
    if X.shape[1] != n_channels:
        return "channel count"
    if X.shape[2] < 2:
        return "one sample"
    if not np.isfinite(X).all():
        return "non-finite"
    if (np.abs(X) > MAX_ABS_SAMPLE).any():
        return "absurd amplitude"
    if ((X - X[:, :, :1]).var(axis=2) <= FLAT_VARIANCE_FLOOR).any():
        return "flat channel"
    return None


def check_outputs(decoder, X: np.ndarray, dtype: str, n_channels: int) -> None:
    """Every predicting method of ``decoder`` on ``X``: a ValueError or a finite result of the
    documented shape; windows it cannot decode are refused."""
    reason = must_refuse(X, n_channels) if dtype != "str" else None
    classes = decoder.classes_
    for method in ("predict", "predict_proba", "decision_function"):
        if not hasattr(decoder, method):
            continue
        try:
            out = getattr(decoder, method)(X)
        except ValueError:
            continue
        except TypeError:
            if dtype in NON_NUMERIC:
                continue
            raise
        assert reason is None, f"{method} decoded windows it must refuse ({reason})"
        assert dtype in ("object-str", *NUMERIC), f"{method} decoded {dtype} windows"
        n = X.shape[0]
        if method == "predict":
            assert out.shape == (n,) and np.isin(out, classes).all(), out
            continue
        assert np.issubdtype(out.dtype, np.floating) and np.isfinite(out).all(), out
        if method == "predict_proba":
            assert out.shape == (n, classes.size)
            assert (out >= 0).all() and np.allclose(out.sum(axis=1), 1.0)
        else:
            assert out.shape in ((n,), (n, classes.size)), out.shape


DECODER_NAMES = list(DECODERS)


@pytest.mark.parametrize("name", DECODER_NAMES)
@fuzz_settings(max_examples=60)
@given(data=st.data())
def test_fitted_decoders_refuse_or_decode_any_array(name, data):
    decoder = fitted(name)
    bad, dtype = data.draw(damaged(name))
    with case("decoders: predict on bad windows", seconds=20):
        check_outputs(decoder, bad, dtype, training(name)[0].shape[1])


@fuzz_settings(max_examples=80)
@given(data=st.data())
def test_dynamic_stopping_refuses_or_decides_any_window(data):
    stopping, cca, X = fitted("stopping"), fitted("CCA"), training("CCA")[0]
    bad, dtype = data.draw(damaged("stopping", max_trials=1))
    trial = bad[0] if bad.ndim == 3 and len(bad) else bad
    sfreq = data.draw(st.sampled_from([SSVEP_SFREQ] * 4 + [125.0, 0.0, -1.0, np.nan, np.inf]))
    with case("decoders: dynamic stopping on bad windows", seconds=20):
        try:
            seconds, scores = stopping.decide(cca, trial, sfreq)
        except ValueError:
            return
        except TypeError:
            if dtype in NON_NUMERIC:
                return
            raise
        reason = must_refuse(np.asarray(trial)[None], X.shape[1])
        assert reason is None and dtype in ("object-str", *NUMERIC), \
            f"decided on a bad window ({reason or dtype})"
        assert sfreq == SSVEP_SFREQ and np.shape(trial)[1] >= round(0.5 * sfreq)
        assert 0.5 <= seconds <= np.shape(trial)[1] / sfreq
        assert scores.shape == (cca.classes_.size,) and np.isfinite(scores).all()


LABEL_DAMAGE = ("as recorded", "as recorded", "as recorded", "one class", "one short",
                "shuffled", "one per trial")
"""What is done to the training labels."""
SLOW_FITS = ("FBCSP+SVM", "TS+LR-CV", "EEGNet", "ShallowConvNet")


def fit_bad(name: str, data) -> None:
    """Fit decoder ``name`` on damaged training windows and labels: a ValueError, or a model
    fitted on windows it can decode whose outputs keep the contract."""
    X, y = training(name)
    bad, dtype = data.draw(damaged(name, max_trials=len(X)))
    labels = data.draw(st.sampled_from(LABEL_DAMAGE))
    n = bad.shape[0] if bad.ndim else 0
    rng = np.random.default_rng(n)
    y = {"as recorded": y[rng.integers(len(y), size=n)], "one class": np.full(n, y[0]),
         "one short": y[: max(n - 1, 0)], "shuffled": rng.permutation(np.resize(y, n)),
         "one per trial": np.resize(np.unique(y), n)}[labels]
    with case("decoders: fit on bad arrays", seconds=60):
        try:
            model = clone(DECODERS[name]).fit(bad, y)
        except ValueError:
            return
        except TypeError:
            if dtype in NON_NUMERIC:
                return
            raise
        assert dtype in ("object-str", *NUMERIC), f"fitted on {dtype} windows"
        n_channels = bad.shape[1] if bad.ndim == 3 else -1
        reason = must_refuse(bad, n_channels)
        assert reason is None, f"fitted on windows it must refuse ({reason})"
        check_outputs(model, bad, dtype, n_channels)


@pytest.mark.parametrize("name", [n for n in DECODER_NAMES if n not in SLOW_FITS])
@fuzz_settings(max_examples=20)
@given(data=st.data())
def test_fit_on_bad_arrays_refuses_or_fits(name, data):
    fit_bad(name, data)


@pytest.mark.parametrize("name", SLOW_FITS)
@fuzz_settings(max_examples=10)
@given(data=st.data())
def test_slow_fits_on_bad_arrays_refuse_or_fit(name, data):
    fit_bad(name, data)
