"""SSVEP decoders (CCA, FBCCA, eCCA, eTRCA, TDCA, FBSpatialLDA and its CV / ensemble) on data
with known ground truth + ssvep-exo."""

import mne
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import StratifiedKFold

from decoders.benchmark.data_dirs import dataset_folder
from decoders.ssvep import (
    CCA,
    ECCA,
    FBCCA,
    TDCA,
    TRCA,
    FBSpatialLDA,
    FBSpatialLDACV,
    FBSpatialLDAEnsemble,
    SubBands,
)

SFREQ = 250.0
FREQS = [8.0, 10.0, 12.0, 15.0]
LABELS = ["a", "b", "c", "d"]


def _windows(rng, n_per_class, snr, duration=1.0, jitter=0.3, n_channels=8, rest=0):
    """Phase-locked SSVEP windows (class phase + per-trial jitter, 2 harmonics) in correlated noise.

    The response is on the first 3 channels; the noise comes from 4 x n_channels sources mixed
    into all channels (a noise floor no spatial filter removes). ``rest`` noise-only trials are
    appended (label "rest").
    """
    times = np.arange(int(duration * SFREQ)) / SFREQ
    y_idx = np.repeat(np.arange(len(FREQS)), n_per_class)
    freqs = np.asarray(FREQS)[y_idx][:, None]
    phase = (y_idx * np.pi / 2 + rng.uniform(-jitter, jitter, y_idx.size))[:, None]
    ssvep = np.sin(2 * np.pi * freqs * times + phase) + 0.5 * np.sin(
        4 * np.pi * freqs * times + 2 * phase
    )
    n_trials = y_idx.size + rest
    mixing = np.random.default_rng(99).standard_normal((n_channels, 4 * n_channels))
    noise = rng.standard_normal((n_trials, 4 * n_channels, times.size))
    X = np.einsum("cd,ndt->nct", mixing, noise) / 2
    X[: y_idx.size, :3] += snr * ssvep[:, None, :]
    y = np.r_[np.asarray(LABELS)[y_idx], np.full(rest, "rest")]
    return X, y


DECODERS = {
    "CCA": lambda **kw: CCA(FREQS, SFREQ, labels=LABELS, **kw),
    "FBCCA": lambda **kw: FBCCA(FREQS, SFREQ, labels=LABELS, n_bands=3, **kw),
    "eCCA": lambda **kw: ECCA(FREQS, SFREQ, labels=LABELS, **kw),
    "eTRCA": lambda **kw: TRCA(FREQS, SFREQ, labels=LABELS, **kw),
    "TRCA": lambda **kw: TRCA(FREQS, SFREQ, labels=LABELS, ensemble=False, **kw),
    "TDCA": lambda **kw: TDCA(FREQS, SFREQ, labels=LABELS, **kw),
    "FBSpatialLDA": lambda **kw: FBSpatialLDA(FREQS, SFREQ, labels=LABELS, **kw),
}


def _accuracy(name, snr, seed, n_train=8, **kw):
    rng = np.random.default_rng(seed)
    X_train, y_train = _windows(rng, n_train, snr)
    X_test, y_test = _windows(rng, 15, snr)
    decoder = DECODERS[name](**kw).fit(X_train, y_train)
    return np.mean(decoder.predict(X_test) == y_test)


@pytest.mark.parametrize("name", list(DECODERS))
def test_every_decoder_well_above_chance(name):
    assert _accuracy(name, snr=1.0, seed=0) >= 0.9  # chance 0.25


def test_calibration_based_decoders_beat_cca_at_low_snr():
    cca = _accuracy("CCA", snr=0.35, seed=1, n_train=15)
    assert cca < 0.6
    for name in ("eCCA", "eTRCA", "TDCA"):
        assert _accuracy(name, snr=0.35, seed=1, n_train=15) >= cca + 0.15, name


def test_cca_family_is_phase_invariant_templates_are_not():
    """Random phase per trial (e.g. LEDs flickering continuously, as in ssvep-exo)."""
    rng = np.random.default_rng(2)
    X_train, y_train = _windows(rng, 8, 1.0, jitter=np.pi)
    X_test, y_test = _windows(rng, 15, 1.0, jitter=np.pi)
    for name, expected_ok in (("CCA", True), ("FBCCA", True), ("FBSpatialLDA", True),
                              ("eTRCA", False)):
        acc = np.mean(DECODERS[name]().fit(X_train, y_train).predict(X_test) == y_test)
        assert (acc >= 0.9) == expected_ok, (name, acc)


def test_fbspatiallda_learns_the_rest_class_and_beats_fbcca_at_low_snr_random_phase():
    """Random phases (not phase-locked) and a rest class: the learned spatial filters and rest
    model beat FBCCA's threshold; rest is a class of the LDA (no threshold column)."""
    rng = np.random.default_rng(5)
    X_train, y_train = _windows(rng, 12, 0.6, jitter=np.pi, rest=12)
    X_test, y_test = _windows(rng, 30, 0.6, jitter=np.pi, rest=30)
    fbcca = DECODERS["FBCCA"](rest_label="rest").fit(X_train, y_train)
    ours = DECODERS["FBSpatialLDA"](rest_label="rest").fit(X_train, y_train)
    assert list(ours.classes_) == ["a", "b", "c", "d", "rest"] and ours.threshold_ is None
    acc_ours = np.mean(ours.predict(X_test) == y_test)
    acc_fbcca = np.mean(fbcca.predict(X_test) == y_test)
    assert acc_ours >= 0.85 and acc_ours >= acc_fbcca + 0.2, (acc_ours, acc_fbcca)
    proba = ours.predict_proba(X_test)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    np.testing.assert_array_equal(ours.classes_[proba.argmax(axis=1)], ours.predict(X_test))
    assert ours.window_features(X_test).shape == (len(y_test), 2 * 4 * 2)  # bands x classes x 2
    for features, width in (("filters", 8), ("cca", 8)):
        ablation = DECODERS["FBSpatialLDA"](rest_label="rest", features=features)
        assert ablation.fit(X_train, y_train).window_features(X_test).shape[1] == width


def test_fbspatiallda_cv_chooses_by_inner_cv_only():
    """The choice is the candidate with the best inner-CV accuracy on the training set."""
    rng = np.random.default_rng(7)
    X_train, y_train = _windows(rng, 12, 0.6, jitter=np.pi, rest=12)
    X_test, y_test = _windows(rng, 30, 0.6, jitter=np.pi, rest=30)
    candidates = [{"n_bands": 1, "n_harmonics": 1, "features": "cca"},
                  {"n_bands": 2, "n_harmonics": 2}]
    cv = FBSpatialLDACV(FREQS, SFREQ, labels=LABELS, rest_label="rest",
                        candidates=candidates).fit(X_train, y_train)
    inner = list(StratifiedKFold(4, shuffle=True, random_state=0).split(X_train, y_train))
    inner_acc = [np.mean([np.mean(FBSpatialLDA(FREQS, SFREQ, labels=LABELS, rest_label="rest",
                                               **c).fit(X_train[tr], y_train[tr])
                                  .predict(X_train[te]) == y_train[te]) for tr, te in inner])
                 for c in candidates]
    assert cv.best_params_ == candidates[int(np.argmax(inner_acc))]
    assert np.mean(cv.predict(X_test) == y_test) >= 0.8
    with pytest.raises(ValueError, match="unknown FBSpatialLDA parameter"):
        FBSpatialLDACV(FREQS, SFREQ, labels=LABELS, candidates=[{"n_band": 2}]).fit(X_train[:48],
                                                                                 y_train[:48])


def _rest_source_windows(rng, n_per_class, rest):
    """Random-phase SSVEP windows at a low SNR whose rest trials also carry a broadband source
    with a fixed spatial pattern on channels 4-7, away from the SSVEP channels 0-2: rest differs
    from stimulation in the spatial covariance, hardly in the power at the stimulus frequencies."""
    X, y = _windows(rng, n_per_class, 0.4, jitter=np.pi, rest=rest)
    is_rest = y == "rest"
    pattern = np.array([0, 0, 0, 0, 1, 1, -1, 0.5])
    X[is_rest] += 2.0 * pattern[:, None] * rng.standard_normal((is_rest.sum(), 1, X.shape[-1]))
    return X, y


def test_fbspatiallda_covariance_features_see_rest_in_the_spatial_covariance():
    """Known answer: the covariance tangent-space features tell rest from stimulation where the
    SSVEP features cannot; they are pyRiemann's tangent vectors of the Ledoit-Wolf covariances
    at the training mean, after the SSVEP features."""
    from pyriemann.estimation import Covariances
    from pyriemann.tangentspace import TangentSpace

    rng = np.random.default_rng(10)
    X_train, y_train = _rest_source_windows(rng, 8, rest=8)
    X_test, y_test = _rest_source_windows(rng, 30, rest=30)
    plain = DECODERS["FBSpatialLDA"](rest_label="rest").fit(X_train, y_train)
    ours = DECODERS["FBSpatialLDA"](rest_label="rest", covariance=True).fit(X_train, y_train)
    assert plain.tangent_space_ is None and ours.stateless_front() is None
    assert plain.stateless_front() is not None

    def rest_detection(model):
        return np.mean((model.predict(X_test) == "rest") == (y_test == "rest"))

    assert rest_detection(ours) == 1.0 and rest_detection(plain) <= 0.8
    assert np.mean(ours.predict(X_test) == y_test) >= np.mean(plain.predict(X_test) == y_test)
    features = ours.window_features(X_test)
    assert features.shape == (len(y_test), 2 * 4 * 2 + 8 * 9 // 2)
    np.testing.assert_allclose(features[:, :16], plain.window_features(X_test))
    covs = Covariances("lwf").transform(X_test)
    tangent = TangentSpace().fit(Covariances("lwf").transform(X_train)).transform(covs)
    np.testing.assert_allclose(features[:, 16:] * ours.scaler_.scale_[16:]
                               + ours.scaler_.mean_[16:], tangent, rtol=1e-6, atol=1e-9)
    with pytest.raises(ValueError, match="covariance=True needs windows"):
        ours.fit(SubBands(FREQS, SFREQ, n_bands=2).fit_transform(X_train), y_train)
    with pytest.raises(TypeError, match="covariance must be a bool"):
        DECODERS["FBSpatialLDA"](covariance="yes").fit(X_train, y_train)


def test_fbspatiallda_ensemble_is_the_mean_of_its_members():
    rng = np.random.default_rng(11)
    X_train, y_train = _rest_source_windows(rng, 8, rest=8)
    X_test, y_test = _rest_source_windows(rng, 30, rest=30)
    ens = FBSpatialLDAEnsemble(FREQS, SFREQ, labels=LABELS, rest_label="rest")
    assert clone(ens).get_params() == ens.get_params()
    with pytest.raises(NotFittedError):
        ens.predict(X_test)
    ens.fit(X_train, y_train)
    assert len(ens.estimators_) == 6  # 3 settings x (without, with) covariance
    assert [e.covariance for e in ens.estimators_] == [False, True] * 3
    assert {(e.n_bands, e.n_harmonics) for e in ens.estimators_} == {(2, 3), (3, 3), (3, 2)}
    members = [FBSpatialLDA(FREQS, SFREQ, labels=LABELS, rest_label="rest",
                            **{k: getattr(e, k) for k in ("n_bands", "band_step", "n_harmonics",
                                                          "covariance")}).fit(X_train, y_train)
               for e in ens.estimators_]
    proba = ens.predict_proba(X_test)
    np.testing.assert_allclose(proba, np.mean([m.predict_proba(X_test) for m in members], 0))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert list(ens.classes_) == ["a", "b", "c", "d", "rest"]
    np.testing.assert_array_equal(ens.predict(X_test), ens.classes_[proba.argmax(axis=1)])
    np.testing.assert_array_equal(ens.decision_function(X_test).argmax(axis=1),
                                  proba.argmax(axis=1))
    plain = DECODERS["FBSpatialLDA"](rest_label="rest").fit(X_train, y_train)
    assert np.mean(ens.predict(X_test) == y_test) >= np.mean(plain.predict(X_test) == y_test)
    one = FBSpatialLDAEnsemble(FREQS, SFREQ, labels=LABELS, rest_label="rest",
                               candidates=[{"n_bands": 2}]).fit(X_train, y_train)
    np.testing.assert_allclose(one.predict_proba(X_test), plain.predict_proba(X_test))
    with pytest.raises(ValueError, match="unknown FBSpatialLDA parameter"):
        FBSpatialLDAEnsemble(FREQS, SFREQ, labels=LABELS,
                             candidates=[{"n_band": 2}]).fit(X_train, y_train)
    with pytest.raises(ValueError, match="non-empty list"):
        FBSpatialLDAEnsemble(FREQS, SFREQ, labels=LABELS, candidates=[]).fit(X_train, y_train)


def test_fbspatiallda_errors():
    rng = np.random.default_rng(6)
    X, y = _windows(rng, 4, 1.0)
    with pytest.raises(ValueError, match="features must be"):
        DECODERS["FBSpatialLDA"](features="all").fit(X, y)
    with pytest.raises(ValueError, match="n_filters must be <= n_channels = 8"):
        DECODERS["FBSpatialLDA"](n_filters=9).fit(X, y)
    with pytest.raises(ValueError, match="needs labels y"):
        DECODERS["FBSpatialLDA"]().fit(X, None)
    fitted = DECODERS["FBSpatialLDA"]().fit(X, y)
    with pytest.raises(ValueError, match="250"):  # windows of another length than fitted
        fitted.predict(X[:, :, :200])


@pytest.mark.parametrize("name", ["CCA", "FBCCA", "eTRCA", "TDCA"])
def test_rest_class_detects_no_control(name):
    rng = np.random.default_rng(3)
    X_train, y_train = _windows(rng, 8, 1.0, rest=12)
    X_test, y_test = _windows(rng, 10, 1.0, rest=30)
    decoder = DECODERS[name](rest_label="rest").fit(X_train, y_train)
    assert list(decoder.classes_) == ["a", "b", "c", "d", "rest"]
    scores = decoder.decision_function(X_test)
    np.testing.assert_array_equal(scores[:, 4], decoder.threshold_)
    y_pred = decoder.predict(X_test)
    is_rest = y_test == "rest"
    assert np.mean(y_pred[is_rest] == "rest") >= 0.85
    assert np.mean(y_pred[~is_rest] == y_test[~is_rest]) >= 0.85
    proba = decoder.predict_proba(X_test)
    np.testing.assert_array_equal(decoder.classes_[proba.argmax(axis=1)], y_pred)


def test_filter_bank_weights_and_causal_option():
    X, y = _windows(np.random.default_rng(4), 4, 1.0)
    fb = FBCCA(FREQS, SFREQ, n_bands=4, band_step=7.0, band_h_freq=80.0).fit(X)
    np.testing.assert_allclose(fb.band_weights_, np.arange(1, 5) ** -1.25 + 0.25)
    assert [f.l_freq for f in fb.band_filters_] == [7.0, 14.0, 21.0, 28.0]
    causal = FBCCA(FREQS, SFREQ, n_bands=4, causal=True).fit(X)
    changed = X.copy()
    changed[:, :, -50:] += 100.0
    # Causal sub-bands: the start of a window does not depend on its end; zero-phase ones do.
    for filt in causal.band_filters_:
        np.testing.assert_array_equal(
            filt.transform(changed)[..., :200], filt.transform(X)[..., :200]
        )
    zero_phase = fb.band_filters_[0]
    assert not np.allclose(
        zero_phase.transform(changed)[..., :200], zero_phase.transform(X)[..., :200]
    )
    with pytest.raises(ValueError, match="n_bands=6 .* do not fit below band_h_freq=40 Hz"):
        FBCCA(FREQS, SFREQ, n_bands=6, band_h_freq=40.0).fit()



def test_stateless_front_sub_bands_equal_own_filtering():
    X, y = _windows(np.random.default_rng(6), 8, 0.5, rest=8)
    for decoder in (FBCCA(FREQS, SFREQ, labels=LABELS, rest_label="rest"),
                    TRCA(FREQS, SFREQ, labels=LABELS, rest_label="rest", n_bands=2)):
        front = decoder.stateless_front()
        assert isinstance(front, SubBands)
        Xb = front.fit(X).transform(X)
        assert Xb.shape == (*X.shape, decoder.n_bands)
        train, test = np.arange(len(y)) % 4 != 0, np.arange(len(y)) % 4 == 0
        direct = clone(decoder).fit(X[train], y[train])
        split = clone(decoder).fit(Xb[train], y[train])
        assert split.threshold_ == pytest.approx(direct.threshold_, abs=1e-12)
        np.testing.assert_allclose(split.decision_function(Xb[test]),
                                   direct.decision_function(X[test]), atol=1e-12)
    assert CCA(FREQS, SFREQ).stateless_front() is None
    with pytest.raises(ValueError, match=r"sub-band windows .* FBCCA has n_bands=3"):
        FBCCA(FREQS, SFREQ, n_bands=3).fit(Xb, y)
    Xb[2, 1, 5, 1] = np.nan
    with pytest.raises(ValueError, match=r"X\[\.\.\., 1\] contains NaN .* trial 2, channel 1"):
        TRCA(FREQS, SFREQ, labels=LABELS, rest_label="rest", n_bands=2).fit(Xb, y)

def test_errors():
    rng = np.random.default_rng(5)
    X, y = _windows(rng, 3, 0.5)
    with pytest.raises(ValueError, match=r"at least 2 training trials per class.*'d': 1"):
        TRCA(FREQS, SFREQ, labels=LABELS).fit(X[:-2], y[:-2])
    with pytest.raises(ValueError, match=r"at least 2 training trials per class.*'d': 0"):
        TDCA(FREQS, SFREQ, labels=LABELS).fit(X[:-3], y[:-3])
    with pytest.raises(ValueError, match=r"y contains labels \['e'\]"):
        ECCA(FREQS, SFREQ, labels=LABELS).fit(X, np.where(y == "a", "e", y))
    with pytest.raises(ValueError, match=r"needs training windows X and labels y"):
        TRCA(FREQS, SFREQ).fit()
    with pytest.raises(ValueError, match=r"needs labels y"):
        TRCA(FREQS, SFREQ).fit(X)
    with pytest.raises(ValueError, match=r"0\.100 s long.*one cycle of the lowest .* 8 Hz"):
        ECCA(FREQS, SFREQ, labels=LABELS).fit(X[..., :25], y)
    with pytest.raises(ValueError, match=r"one cycle .* plus 9 delays"):
        TDCA(FREQS, SFREQ, labels=LABELS, n_delays=10).fit(X[..., :35], y)
    trca = TRCA(FREQS, SFREQ, labels=LABELS).fit(X, y)
    with pytest.raises(ValueError, match="fitted on 250-sample windows"):
        trca.predict(X[..., :200])
    with pytest.raises(ValueError, match=r"rest_label='rest' needs at least 2 rest trials"):
        CCA(FREQS, SFREQ, labels=LABELS, rest_label="rest").fit(X, y)
    with pytest.raises(ValueError, match="rest_label 'a' is also a stimulus label"):
        CCA(FREQS, SFREQ, labels=LABELS, rest_label="a").fit(X, y)
    with pytest.raises(ValueError, match="n_components must be <= n_channels"):
        TDCA(FREQS, SFREQ, labels=LABELS, n_delays=1, n_components=9).fit(X, y)


# --------------------------------------------------------------------------- real data


@pytest.mark.dataset("ssvep-exo")
def test_cca_on_real_ssvep_exo_subject01():
    """Training-free CCA, 3 classes, [1, 5] s after the cue, 7-45 Hz: first session of S01."""
    raw_path = sorted((dataset_folder("ssvep-exo") / "subject01").glob("record-*_raw.fif"))[0]
    raw = mne.io.read_raw_fif(raw_path, preload=True, verbose="error")
    raw.filter(7.0, 45.0, method="iir", verbose="error")
    events = mne.read_events(str(raw_path).replace("_raw.fif", "-eve.fif"), verbose="error")
    code_to_hz = {2: 13.0, 4: 17.0, 3: 21.0}  # ssvep-exo README: 1 = rest
    epochs = mne.Epochs(raw, events, event_id={"13": 2, "17": 4, "21": 3}, tmin=1.0,
                        tmax=5.0, baseline=None, preload=True, verbose="error")  # fmt: skip
    y = np.array([code_to_hz[c] for c in epochs.events[:, 2]])
    cca = CCA([13.0, 17.0, 21.0], raw.info["sfreq"], n_harmonics=2).fit(epochs, y)
    assert len(y) == 24
    assert np.mean(cca.predict(epochs) == y) >= 0.75  # chance 1/3


@pytest.mark.parametrize("name", ["FBCCA", "eTRCA", "FBSpatialLDA"])
def test_cross_val_score_on_epochs_equals_arrays(name):
    """scikit-learn's CV indexes Epochs one epoch at a time (a list of Epochs): the decoders
    take that split as Epochs, with the same scores as on the arrays."""
    from sklearn.model_selection import cross_val_score

    X, y = _windows(np.random.default_rng(8), 6, 0.8)
    epochs = mne.EpochsArray(X, mne.create_info(X.shape[1], SFREQ, "eeg"), verbose="error")
    on_epochs = cross_val_score(DECODERS[name](), epochs, y, cv=3, error_score="raise")
    np.testing.assert_array_equal(on_epochs, cross_val_score(DECODERS[name](), X, y, cv=3))
    assert on_epochs.mean() >= 0.8
