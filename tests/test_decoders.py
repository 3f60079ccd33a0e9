"""Behavioural tests of the decoders on synthetic EEG with known ground truth."""

from functools import partial

import mne
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

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

SSVEP_SFREQ = 250.0
SSVEP_FREQS = [6.0, 7.5, 8.57, 10.0]
MI_SFREQ = 128.0
MI_CLASSES = np.array(["left_hand", "right_hand", "legs", "rest"])
EMG_SFREQ = 250.0


def _ssvep_data(rng, n_trials=40, duration=2.0, n_channels=6, snr=0.5, balanced=False):
    """SSVEP windows: per-trial attended frequency (+ 2nd harmonic) projected to channels."""
    times = np.arange(int(duration * SSVEP_SFREQ)) / SSVEP_SFREQ
    target = rng.integers(len(SSVEP_FREQS), size=n_trials)
    if balanced:  # every frequency in turn, for decoders that learn per-class templates
        target = np.arange(n_trials) % len(SSVEP_FREQS)
    freqs = np.asarray(SSVEP_FREQS)[target]
    phase = rng.uniform(0, 2 * np.pi, size=(n_trials, 1))
    ssvep = np.sin(2 * np.pi * freqs[:, None] * times + phase) + 0.5 * np.sin(
        4 * np.pi * freqs[:, None] * times + 2 * phase
    )
    topography = rng.uniform(0.5, 1.0, size=n_channels)
    X = snr * topography[None, :, None] * ssvep[:, None, :]
    X += rng.standard_normal((n_trials, n_channels, times.size))
    return X, freqs


def _mi_data(rng, n_classes, n_per_class, n_channels=8, duration=2.0, gain=2.0):
    """MI windows: class k multiplies the amplitude of source k, sources mixed to channels."""
    y_idx = np.repeat(np.arange(n_classes), n_per_class)
    sources = rng.standard_normal((y_idx.size, n_channels, int(duration * MI_SFREQ)))
    sources[np.arange(y_idx.size), y_idx] *= gain
    mixing = rng.standard_normal((n_channels, n_channels))
    return np.einsum("cs,nst->nct", mixing, sources), MI_CLASSES[y_idx]


def _emg_data(rng, n_trials, kind, n_channels=4, duration=1.0):
    """EEG-like rest windows (µV), optionally with a clench (broadband) or a blink (slow bump)."""
    times = np.arange(int(duration * EMG_SFREQ)) / EMG_SFREQ
    alpha = 10 * np.sin(2 * np.pi * 10 * times + rng.uniform(0, 2 * np.pi, (n_trials, 1, 1)))
    X = alpha + 5 * rng.standard_normal((n_trials, n_channels, times.size))
    if kind == "clench":
        X += 15 * rng.standard_normal(X.shape)
    elif kind == "blink":
        X += 150 * np.exp(-0.5 * ((times - 0.75 * duration) / 0.08) ** 2)
    return X


def _epochs(X, sfreq):
    info = mne.create_info(X.shape[1], sfreq, ch_types="eeg")
    return mne.EpochsArray(X * 1e-6, info, verbose="error")


# --------------------------------------------------------------------------- SSVEP / CCA


def test_cca_picks_attended_frequency():
    X, y = _ssvep_data(np.random.default_rng(0))
    cca = CCA(SSVEP_FREQS, SSVEP_SFREQ).fit()
    assert np.mean(cca.predict(X) == y) >= 0.9  # chance is 0.25


def test_cca_ranks_and_probabilities():
    X, y = _ssvep_data(np.random.default_rng(1), n_trials=20, snr=2.0)
    cca = CCA(SSVEP_FREQS, SSVEP_SFREQ).fit(X, y)
    corr = cca.decision_function(X)
    proba = cca.predict_proba(X)
    assert corr.shape == proba.shape == (20, 4)
    assert np.all((corr >= 0) & (corr <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(np.argsort(corr, axis=1), np.argsort(proba, axis=1))
    attended = corr[np.arange(20), np.searchsorted(cca.classes_, y)]
    assert np.all(attended == corr.max(axis=1))
    assert np.all(attended > 0.5) and np.median(np.sort(corr, axis=1)[:, -2]) < 0.3


def test_cca_noise_free_sinusoid_has_unit_correlation():
    times = np.arange(500) / SSVEP_SFREQ
    X = np.sin(2 * np.pi * 8.57 * times + 1.0)[None, None, :] * np.ones((1, 3, 1))
    corr = CCA(SSVEP_FREQS, SSVEP_SFREQ).fit(X).decision_function(X)
    np.testing.assert_allclose(corr[0, 2], 1.0, atol=1e-9)
    assert corr[0, [0, 1, 3]].max() < 0.5


def test_cca_labels_are_returned_and_sorted():
    labels = ["plate", "spoon", "cup", "pitcher"]
    X, freqs = _ssvep_data(np.random.default_rng(2), n_trials=20, snr=2.0)
    cca = CCA(SSVEP_FREQS, SSVEP_SFREQ, labels=labels).fit(X)
    assert list(cca.classes_) == sorted(labels)
    np.testing.assert_array_equal(cca.freqs_, [8.57, 10.0, 6.0, 7.5])
    expected = np.asarray(labels)[np.searchsorted(SSVEP_FREQS, freqs)]
    assert np.mean(cca.predict(X) == expected) >= 0.9


def test_cca_other_window_length_and_rank_deficient_data():
    rng = np.random.default_rng(3)
    X, y = _ssvep_data(rng, n_trials=20, duration=1.5, snr=1.0)
    cca = CCA(SSVEP_FREQS, SSVEP_SFREQ).fit(X[:, :, :250])  # references built for 1 s
    assert np.mean(cca.predict(X) == y) >= 0.8  # predicted on 1.5 s windows
    # A duplicated (linearly dependent) channel adds nothing: correlations are unchanged.
    X_dup = np.concatenate([X, X[:, :1]], axis=1)
    cca_dup = CCA(SSVEP_FREQS, SSVEP_SFREQ).fit()
    np.testing.assert_allclose(cca_dup.decision_function(X_dup), cca.decision_function(X))


def test_cca_drops_harmonics_above_nyquist():
    sfreq = 40.0  # Nyquist 20 Hz: for 10 Hz only the fundamental is below Nyquist
    times = np.arange(80) / sfreq
    rng = np.random.default_rng(4)
    X = np.sin(2 * np.pi * 10 * times) + rng.standard_normal((5, 3, 80))
    corr3 = CCA(SSVEP_FREQS, sfreq, n_harmonics=3).fit().decision_function(X)
    corr1 = CCA(SSVEP_FREQS, sfreq, n_harmonics=1).fit().decision_function(X)
    np.testing.assert_allclose(corr3[:, 3], corr1[:, 3])
    assert np.all(corr3[:, 0] > corr1[:, 0])  # 6 Hz keeps 12 and 18 Hz: more regressors
    with pytest.raises(ValueError, match="Nyquist"):
        CCA([6.0, 25.0], sfreq).fit()


def test_cca_with_epochs():
    X, y = _ssvep_data(np.random.default_rng(5), n_trials=12, snr=2.0)
    epochs = _epochs(X, SSVEP_SFREQ)
    cca = CCA(SSVEP_FREQS, SSVEP_SFREQ).fit(epochs, y)
    np.testing.assert_allclose(cca.decision_function(epochs), cca.decision_function(X))
    with pytest.raises(ValueError, match=r"(?i)mismatched sampling rate.*500.*250"):
        CCA(SSVEP_FREQS, SSVEP_SFREQ).fit(_epochs(X, 500.0))


def test_cca_input_errors():
    X, y = _ssvep_data(np.random.default_rng(6), n_trials=4)
    cca = CCA(SSVEP_FREQS, SSVEP_SFREQ)
    with pytest.raises(ValueError, match=r"0\.100 s long.*one cycle of the lowest .* 6 Hz"):
        cca.fit(X[:, :, :25])
    X_nan = X.copy()
    X_nan[1, 2, 10] = np.nan
    with pytest.raises(ValueError, match="trial 1, channel 2"):
        cca.fit(X_nan)
    with pytest.raises(ValueError, match=r"3-D.*\(n_trials, n_channels, n_times\)"):
        cca.fit(X[0])
    with pytest.raises(ValueError, match=r"y contains labels \[11\.0\]"):
        cca.fit(X, np.array([6.0, 7.5, 11.0, 10.0]))
    with pytest.raises(ValueError, match="labels must have one entry per frequency"):
        CCA(SSVEP_FREQS, SSVEP_SFREQ, labels=["a", "b"]).fit()
    with pytest.raises(ValueError, match="fitted on 6"):
        cca.fit(X).predict(X[:, :3])
    with pytest.raises(TypeError, match="sfreq must be a real number"):
        CCA(SSVEP_FREQS, "250").fit()


# --------------------------------------------------------------------------- filtering


def test_bandpass_filter_passes_band_and_is_causal():
    sfreq = 250.0
    times = np.arange(1000) / sfreq
    tones = np.stack([np.sin(2 * np.pi * f * times) for f in (2.0, 15.0, 60.0)])[None]
    filt = BandpassFilter(sfreq, 8.0, 30.0).fit(tones)
    out = filt.transform(tones)[0, :, 500:]  # after the transient
    rms = np.sqrt(np.mean(out**2, axis=1)) * np.sqrt(2)
    assert 0.9 < rms[1] < 1.1 and rms[0] < 0.05 and rms[2] < 0.05
    changed = tones.copy()
    changed[..., 600:] += 5.0
    np.testing.assert_array_equal(
        filt.transform(changed)[..., :600], filt.transform(tones)[..., :600]
    )
    # A DC offset does not ring: the filter starts in its steady state.
    assert np.abs(filt.transform(np.full((1, 1, 200), 100.0))).max() < 1e-6


def test_bandpass_filter_zero_phase_and_errors():
    sfreq = 250.0
    times = np.arange(1000) / sfreq
    tone = np.sin(2 * np.pi * 15.0 * times)[None, None]
    out = BandpassFilter(sfreq, 8.0, 30.0, causal=False).fit_transform(tone)
    np.testing.assert_allclose(out[..., 200:800], tone[..., 200:800], atol=0.02)
    with pytest.raises(ValueError, match="l_freq.*below h_freq"):
        BandpassFilter(sfreq, 30.0, 8.0).fit(tone)
    with pytest.raises(ValueError, match="h_freq.*Nyquist"):
        BandpassFilter(sfreq, 8.0, 200.0).fit(tone)
    with pytest.raises(ValueError, match="l_freq and h_freq"):
        BandpassFilter(sfreq, None, None).fit(tone)
    with pytest.raises(TypeError, match="l_freq must be a real number"):
        BandpassFilter(sfreq, [8.0], 30.0).fit(tone)  # unhashable: checked before the cache


def test_a_filter_setting_is_designed_once_and_each_filter_owns_its_sections():
    from decoders.preprocessing import _butter_sos

    windows = np.random.default_rng(0).normal(size=(2, 3, 500))
    first = BandpassFilter(250.0, 7.25, 31.5, causal=False).fit(windows)
    designed = _butter_sos.cache_info().misses
    for _ in range(3):  # checking and filtering windows designs nothing again
        first.transform(windows)
    second = BandpassFilter(250.0, 7.25, 31.5, causal=False).fit(windows)
    assert _butter_sos.cache_info().misses == designed
    np.testing.assert_array_equal(second.sos_, first.sos_)
    second.sos_[0, 0] = 0.0  # a filter's sections are its own
    assert first.sos_[0, 0] != 0.0
    assert BandpassFilter(250.0, 7.25, 31.5).fit(windows).sos_[0, 0] == first.sos_[0, 0]


# --------------------------------------------------------------------------- motor imagery


@pytest.mark.parametrize(("n_classes", "min_accuracy"), [(2, 0.85), (4, 0.6)])
def test_cspqda_separates_motor_imagery_classes(n_classes, min_accuracy):
    rng = np.random.default_rng(7)
    X, y = _mi_data(rng, n_classes, n_per_class=40)
    train = rng.permutation(y.size) < y.size // 2
    clf = CSPQDA(MI_SFREQ).fit(X[train], y[train])
    np.testing.assert_array_equal(clf.classes_, np.unique(y))
    assert np.mean(clf.predict(X[~train]) == y[~train]) >= min_accuracy  # chance 1 / n_classes
    proba = clf.predict_proba(X[~train])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(axis=1)], clf.predict(X[~train]))


def test_cspqda_epochs_regularisation_and_errors():
    X, y = _mi_data(np.random.default_rng(8), 2, n_per_class=15)
    epochs = _epochs(X, MI_SFREQ)
    clf = CSPQDA(MI_SFREQ, csp_reg="ledoit_wolf").fit(epochs, y)
    assert clf.decision_function(epochs).shape == (30,)
    assert np.mean(clf.predict(epochs) == y) >= 0.85
    with pytest.raises(ValueError, match="at least 2 classes"):
        CSPQDA(MI_SFREQ).fit(X, np.full(30, "rest"))
    with pytest.raises(ValueError, match="29 labels but X has 30 trials"):
        CSPQDA(MI_SFREQ).fit(X, y[:29])
    with pytest.raises(ValueError, match="n_components must be between 1 and"):
        CSPQDA(MI_SFREQ, n_components=9).fit(X, y)
    with pytest.raises(ValueError, match="fitted on 8"):
        clf.predict(X[:, :7])


# --------------------------------------------------------------------------- EMG


def test_emg_detects_clench_and_ignores_rest_and_blinks():
    rng = np.random.default_rng(9)
    detector = MuscleTensionDetector(EMG_SFREQ).fit(_emg_data(rng, 30, "rest"))
    rest, clench, blink = (_emg_data(rng, 20, kind) for kind in ("rest", "clench", "blink"))
    assert not detector.predict(rest).any()
    assert detector.predict(clench).all()
    assert not detector.predict(blink).any()
    # Blinks carry more raw variance than clenches: only the high-pass tells them apart.
    assert blink[..., -125:].var(axis=2).mean() > clench[..., -125:].var(axis=2).mean()
    no_highpass = MuscleTensionDetector(EMG_SFREQ, l_freq=0.5).fit(_emg_data(rng, 30, "rest"))
    assert no_highpass.predict(blink).all()
    scores = detector.decision_function(np.concatenate([rest, clench]))
    assert scores.shape == (40,) and np.all(scores[:20] < 0) and np.all(scores[20:] > 0)


def test_emg_fit_with_labels_puts_the_threshold_in_the_gap_and_uses_the_last_window():
    rng = np.random.default_rng(10)
    rest, clench = _emg_data(rng, 20, "rest"), _emg_data(rng, 5, "clench")
    X = np.concatenate([rest, clench])
    y = np.r_[np.zeros(20, bool), np.ones(5, bool)]
    detector = MuscleTensionDetector(EMG_SFREQ).fit(X, y)
    rest_only = MuscleTensionDetector(EMG_SFREQ).fit(rest)
    log_var = detector.decision_function(X) + detector.threshold_
    gap_middle = (log_var[y].min() + log_var[~y].max()) / 2
    assert detector.threshold_ == pytest.approx(max(rest_only.threshold_, gap_middle))
    assert detector.threshold_ >= rest_only.threshold_
    np.testing.assert_array_equal(detector.predict(X), y)
    # Only the last 0.5 s counts: a clench that ended before it is not detected.
    early = rest[:5].copy()
    early[..., :100] = clench[:, :, :100]
    late = rest[:5].copy()
    late[..., -100:] = clench[:, :, -100:]
    assert not detector.predict(early).any() and detector.predict(late).all()


def test_emg_picks():
    rng = np.random.default_rng(11)
    rest = _emg_data(rng, 20, "rest")
    one_channel = _emg_data(rng, 5, "rest")
    one_channel[:, 0] = _emg_data(rng, 5, "clench")[:, 0]
    detector = MuscleTensionDetector(EMG_SFREQ, picks=[0]).fit(rest)
    assert detector.predict(one_channel).all()
    assert not MuscleTensionDetector(EMG_SFREQ, picks=[1, 2]).fit(rest).predict(one_channel).any()
    with pytest.raises(ValueError, match=r"picks must be .* in \[0, 4\)"):
        MuscleTensionDetector(EMG_SFREQ, picks=[4]).fit(rest)


def test_emg_errors():
    rng = np.random.default_rng(12)
    X = _emg_data(rng, 4, "rest")
    with pytest.raises(ValueError, match="rest windows"):
        MuscleTensionDetector(EMG_SFREQ).fit(X, np.ones(4, bool))
    with pytest.raises(ValueError, match=r"0\.300 s.*0\.500 s.*window=0\.5 s"):
        MuscleTensionDetector(EMG_SFREQ).fit(X[..., :75])
    with pytest.raises(ValueError, match="boolean or 0/1"):
        MuscleTensionDetector(EMG_SFREQ).fit(X, np.array([0, 1, 2, 0]))
    with pytest.raises(ValueError, match="k must be a finite number > 0"):
        MuscleTensionDetector(EMG_SFREQ, k=-1.0).fit(X)


# --------------------------------------------------------------------------- common contract


def _ssvep_case(cls=CCA, **kwargs):
    X, y = _ssvep_data(np.random.default_rng(13), n_trials=12, balanced=cls is not CCA)
    return cls(SSVEP_FREQS, SSVEP_SFREQ, **kwargs), X, y


def _ssvep_rest_case(cls=CCA):
    X, y = _ssvep_data(np.random.default_rng(17), n_trials=30, snr=1.0, balanced=True)
    y = np.where(np.arange(30) % 5 == 0, -1.0, y)  # every fifth trial labelled rest
    X[y == -1.0] = np.random.default_rng(18).standard_normal(X[y == -1.0].shape)
    return cls(SSVEP_FREQS, SSVEP_SFREQ, rest_label=-1.0), X, y


_MI_DECODERS = (
    CSPQDA(MI_SFREQ),
    CSPLDA(MI_SFREQ),
    FBCSPSVM(MI_SFREQ),
    RiemannMDM(MI_SFREQ),
    TangentSpaceLR(MI_SFREQ),
    TangentSpaceLRCV(MI_SFREQ),
    EEGNetClassifier(MI_SFREQ, max_epochs=5, lr=1e-2, batch_size=4, validation_fraction=0.0),
    ShallowConvNetClassifier(
        MI_SFREQ, max_epochs=5, lr=1e-2, batch_size=4, validation_fraction=0.0
    ),
)


def _mi_case(decoder):
    X, y = _mi_data(np.random.default_rng(14), 2, n_per_class=10)
    return clone(decoder), X, y


def _emg_case():
    rng = np.random.default_rng(15)
    X = np.concatenate([_emg_data(rng, 8, "rest"), _emg_data(rng, 4, "clench")])
    return MuscleTensionDetector(EMG_SFREQ), X, np.r_[np.zeros(8, bool), np.ones(4, bool)]


_SSVEP_CASES = [
    _ssvep_case,
    partial(_ssvep_case, FBCCA, n_bands=3),
    partial(_ssvep_case, ECCA),
    partial(_ssvep_case, TRCA),
    partial(_ssvep_case, TDCA),
    _ssvep_rest_case,
    partial(_ssvep_rest_case, TRCA),
]


@pytest.mark.parametrize(
    "make_case", [*_SSVEP_CASES, *(partial(_mi_case, d) for d in _MI_DECODERS), _emg_case]
)
def test_decoder_contract(make_case):
    decoder, X, y = make_case()
    with pytest.raises(NotFittedError):
        decoder.predict(X)
    X_before, params_before = X.copy(), decoder.get_params()
    assert decoder.fit(X, y) is decoder
    # the 3-D versions of sklearn's checks that cannot run on its 2-D data
    np.testing.assert_array_equal(X, X_before)  # input not modified
    assert decoder.get_params() == params_before  # fit does not overwrite parameters
    scores = decoder.decision_function(X)
    np.testing.assert_allclose(decoder.fit(X, y).decision_function(X), scores)  # idempotent
    order = np.random.default_rng(0).permutation(len(X))
    np.testing.assert_allclose(decoder.decision_function(X[order]), scores[order])
    np.testing.assert_allclose(decoder.decision_function(X[:3]), scores[:3])
    assert set(np.unique(y)) <= set(decoder.classes_)
    y_pred = decoder.predict(X)
    assert y_pred.shape == y.shape and set(y_pred) <= set(decoder.classes_)
    assert np.mean(y_pred == y) > 1 / len(decoder.classes_)
    params = decoder.get_params()
    assert decoder.set_params(**params) is decoder and decoder.get_params() == params
    fresh = clone(decoder)
    assert fresh.get_params() == params and not hasattr(fresh, "classes_")
    np.testing.assert_array_equal(fresh.fit(X, y).predict(X), y_pred)


def test_filter_contract():
    X = np.random.default_rng(16).standard_normal((3, 2, 300))
    filt = BandpassFilter(250.0, 8.0, 30.0)
    with pytest.raises(NotFittedError):
        filt.transform(X)
    assert filt.fit(X) is filt and filt.transform(X).shape == X.shape
    assert clone(filt).get_params() == filt.get_params()
