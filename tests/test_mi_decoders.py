"""Motor-imagery decoders on synthetic data with known ground truth, and on real EEGMMIDB data."""

import mne
import numpy as np
import pytest
import torch
from scipy.signal import butter, sosfilt
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score

from decoders.benchmark.datasets import EEGMMIDB
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

torch.set_num_threads(2)

SFREQ = 64.0
CLASSES = np.array(["left_hand", "right_hand"])


def _mi_data(rng, n_per_class, band=(8.0, 14.0), n_channels=4, duration=2.0):
    """Class k raises the power of band-limited source k (ERS); sources mixed to channels.

    Returns X, shape (2 * n_per_class, n_channels, duration * SFREQ), and the class names.
    """
    n_times = int(duration * SFREQ)
    y_idx = np.repeat([0, 1], n_per_class)
    sources = rng.standard_normal((y_idx.size, n_channels, n_times))
    sos = butter(4, band, btype="bandpass", fs=SFREQ, output="sos")
    rhythm = sosfilt(sos, rng.standard_normal((y_idx.size, 2, n_times + 64)))[:, :, 64:]
    rhythm /= rhythm.std()
    gains = np.where(y_idx[:, None] == np.arange(2), 3.0, 0.3)  # (n_trials, 2)
    sources[:, :2] += gains[:, :, None] * rhythm
    mixing = np.random.default_rng(99).standard_normal((n_channels, n_channels))
    return np.einsum("cs,nst->nct", mixing, sources), CLASSES[y_idx]


def _net(cls, **kwargs):
    params = dict(band=(4.0, 30.0), max_epochs=3, lr=1e-2, batch_size=8,
                  validation_fraction=0.0, random_state=0)
    return cls(SFREQ, **{**params, **kwargs})


DECODERS = {
    "CSPLDA": lambda: CSPLDA(SFREQ, n_components=2),
    "CSPQDA": lambda: CSPQDA(SFREQ, n_components=2),
    "FBCSPSVM": lambda: FBCSPSVM(SFREQ, bands=((4, 8), (8, 14), (14, 20), (20, 26)),
                                 n_components=2, k_best=2),
    "RiemannMDM": lambda: RiemannMDM(SFREQ),
    "TangentSpaceLR": lambda: TangentSpaceLR(SFREQ),
    "TangentSpaceLRCV": lambda: TangentSpaceLRCV(SFREQ),
    "EEGNet": lambda: _net(EEGNetClassifier),
    "ShallowConvNet": lambda: _net(ShallowConvNetClassifier),
}


@pytest.mark.parametrize("name", DECODERS)
def test_decoder_learns_synthetic_motor_imagery(name):
    rng = np.random.default_rng(0)
    X, y = _mi_data(rng, 30)
    X_test, y_test = _mi_data(rng, 30)
    clf = DECODERS[name]().fit(X, y)
    np.testing.assert_array_equal(clf.classes_, CLASSES)
    assert np.mean(clf.predict(X_test) == y_test) >= 0.85  # chance 0.5
    proba = clf.predict_proba(X_test)
    assert proba.shape == (60, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    scores = clf.decision_function(X_test)
    assert scores.shape == (60,)
    # positive scores favour classes_[1]
    assert np.mean((scores > 0) == (y_test == CLASSES[1])) >= 0.85


def test_decoders_use_the_band_they_are_given():
    """The signal is at 8-14 Hz: a decoder filtering 20-30 Hz sees only noise."""
    rng = np.random.default_rng(1)
    X, y = _mi_data(rng, 30)
    X_test, y_test = _mi_data(rng, 30)
    assert np.mean(TangentSpaceLR(SFREQ, band=(8, 14)).fit(X, y).predict(X_test) == y_test) > 0.9
    assert np.mean(TangentSpaceLR(SFREQ, band=(20, 30)).fit(X, y).predict(X_test) == y_test) < 0.7


@pytest.mark.parametrize("decoder", [TangentSpaceLR(SFREQ, band=(8.0, 14.0)),
                                     CSPLDA(SFREQ, band=(8.0, 14.0), n_components=2),
                                     RiemannMDM(SFREQ, band=(8.0, 14.0))])
def test_band_none_takes_windows_filtered_beforehand(decoder):
    """band=None skips the decoder's own filter: pre-filtered windows give the same decoder."""
    rng = np.random.default_rng(7)
    X, y = _mi_data(rng, 15)
    X_test, _ = _mi_data(rng, 5)
    filt = BandpassFilter(SFREQ, 8.0, 14.0).fit(X)
    own = clone(decoder).fit(X, y)
    given = clone(decoder).set_params(band=None).fit(filt.transform(X), y)
    np.testing.assert_allclose(given.decision_function(filt.transform(X_test)),
                               own.decision_function(X_test), rtol=1e-7, atol=1e-9)
    assert not np.allclose(given.decision_function(X_test), own.decision_function(X_test))


def test_ts_lr_cv_chooses_c_on_the_training_set_only():
    rng = np.random.default_rng(8)
    X, y = _mi_data(rng, 20)
    X_test, y_test = _mi_data(rng, 20)
    # one candidate: exactly TangentSpaceLR with that C
    single = TangentSpaceLRCV(SFREQ, Cs=[0.5]).fit(X, y)
    assert single.C_ == 0.5
    np.testing.assert_allclose(single.decision_function(X_test),
                               TangentSpaceLR(SFREQ, C=0.5).fit(X, y).decision_function(X_test))
    assert np.mean(single.predict(X_test) == y_test) >= 0.85
    # C_ is the candidate with the best mean ROC-AUC over inner folds of the training windows
    X_noisy = X + np.random.default_rng(1).standard_normal(X.shape) * 6 * X.std()
    Cs = [1e-4, 1e-2, 1.0, 1e2]
    clf = TangentSpaceLRCV(SFREQ, Cs=Cs).fit(X_noisy, y)
    features = clf.pipeline_[:-1].transform(X_noisy)  # band-pass, covariance, tangent space
    inner = StratifiedKFold(5, shuffle=True, random_state=0)
    auc = [cross_val_score(LogisticRegression(C=C, max_iter=1000), features, y, cv=inner,
                           scoring="roc_auc").mean() for C in Cs]
    assert np.argmax(auc) != 0  # the candidates differ: not the first of tied scores
    assert clf.C_ == Cs[int(np.argmax(auc))]


def test_ts_lr_cv_errors():
    X, y = _mi_data(np.random.default_rng(9), 6)
    with pytest.raises(ValueError, match="n_folds must be an int >= 2, got 1"):
        TangentSpaceLRCV(SFREQ, n_folds=1).fit(X, y)
    with pytest.raises(ValueError, match=r"at least 7 training trials; got \{'left_hand': 6"):
        TangentSpaceLRCV(SFREQ, n_folds=7).fit(X, y)
    for Cs in ([], [0.0, 1.0], [np.inf], "1.0"):
        with pytest.raises(ValueError, match="Cs must be a non-empty sequence of finite"):
            TangentSpaceLRCV(SFREQ, Cs=Cs).fit(X, y)


def test_fbcsp_selects_the_bands_that_carry_the_signal():
    rng = np.random.default_rng(2)
    X, y = _mi_data(rng, 30, band=(20.5, 23.5), duration=3.0)
    bands = [(4.0, 8.0), (8.0, 12.0), (12.0, 16.0), (16.0, 20.0), (20.0, 24.0), (24.0, 28.0)]
    clf = FBCSPSVM(SFREQ, bands=bands, n_components=2, k_best=2).fit(X, y)
    assert set(clf.selected_bands_.tolist()) == {4}  # 20-24 Hz
    X_test, y_test = _mi_data(rng, 30, band=(20.5, 23.5), duration=3.0)
    assert np.mean(clf.predict(X_test) == y_test) >= 0.9


@pytest.mark.parametrize("cls", [EEGNetClassifier, ShallowConvNetClassifier])
def test_nets_are_deterministic_and_round_trip_through_save_load(cls, tmp_path):
    rng = np.random.default_rng(3)
    X, y = _mi_data(rng, 12)
    X_test, _ = _mi_data(rng, 5)
    first = _net(cls, max_epochs=2, validation_fraction=0.25, patience=1).fit(X, y)
    second = _net(cls, max_epochs=2, validation_fraction=0.25, patience=1).fit(X, y)
    np.testing.assert_array_equal(first.predict_proba(X_test), second.predict_proba(X_test))
    other_seed = _net(cls, max_epochs=2, random_state=1).fit(X, y)
    assert not np.array_equal(first.predict_proba(X_test), other_seed.predict_proba(X_test))
    assert 1 <= first.best_epoch_ <= first.n_epochs_ <= 2
    path = first.save(tmp_path / "model")
    assert path.suffix == ".npz"
    np.load(path, allow_pickle=False)  # loadable without pickle
    loaded = cls.load(path)
    np.testing.assert_array_equal(loaded.predict_proba(X_test), first.predict_proba(X_test))
    np.testing.assert_array_equal(loaded.classes_, first.classes_)
    assert loaded.get_params() == first.get_params()
    with pytest.raises(ValueError, match="holds a"):
        (EEGNetClassifier if cls is ShallowConvNetClassifier else ShallowConvNetClassifier).load(
            path
        )


def test_nets_input_errors():
    X, y = _mi_data(np.random.default_rng(4), 6)
    clf = _net(EEGNetClassifier, max_epochs=1).fit(X, y)
    with pytest.raises(ValueError, match=r"100 samples .* exactly .* \(128 samples\) .* input"):
        clf.predict(X[:, :, :100])
    with pytest.raises(ValueError, match="fitted on 4"):
        clf.predict(X[:, :3])
    with pytest.raises(ValueError, match="device must be 'cpu', 'cuda' or 'auto'"):
        _net(EEGNetClassifier, device="tpu").fit(X, y)
    with pytest.raises(ValueError, match="validation_fraction must be in"):
        _net(EEGNetClassifier, validation_fraction=1.0).fit(X, y)
    with pytest.raises(ValueError, match="max_epochs must be an int >= 1"):
        _net(EEGNetClassifier, max_epochs=0).fit(X, y)
    with pytest.raises(ValueError, match="at least 24 samples"):
        _net(ShallowConvNetClassifier).fit(X[:, :, :20], y)


@pytest.mark.parametrize("name", DECODERS)
def test_mi_input_errors(name):
    rng = np.random.default_rng(5)
    X, y = _mi_data(rng, 6)
    make = DECODERS[name]
    with pytest.raises(ValueError, match=r"at least \d training trials; got \{'right_hand': 1\}"):
        make().fit(X[:7], y[:7])
    with pytest.raises(ValueError, match="at least 2 classes"):
        make().fit(X, np.full(12, "left_hand"))
    X_nan = X.copy()
    X_nan[3, 1, 5] = np.nan
    with pytest.raises(ValueError, match="trial 3, channel 1"):
        make().fit(X_nan, y)
    with pytest.raises(ValueError, match=r"3-D array of shape \(n_trials, n_channels, n_times\)"):
        make().fit(X[0], y)
    with pytest.raises(ValueError, match="11 labels but X has 12 trials"):
        make().fit(X, y[:11])
    epochs = mne.EpochsArray(X, mne.create_info(4, 2 * SFREQ, "eeg"), verbose="error")
    with pytest.raises(ValueError, match=r"(?i)mismatched sampling rate.*128 Hz.*sfreq=64 Hz"):
        make().fit(epochs, y)


def test_bad_parameters_are_named():
    X, y = _mi_data(np.random.default_rng(6), 6)
    with pytest.raises(ValueError, match="band must be a"):
        CSPLDA(SFREQ, band=(8.0,), n_components=2).fit(X, y)
    with pytest.raises(ValueError, match="h_freq must be between 0 and the Nyquist"):
        TangentSpaceLR(SFREQ, band=(8.0, 40.0)).fit(X, y)
    with pytest.raises(ValueError, match=r"k_best must be an int between 1 and .* \(8\)"):
        FBCSPSVM(SFREQ, bands=((4, 8), (8, 12), (12, 16), (16, 20)), n_components=2,
                 k_best=9).fit(X, y)
    with pytest.raises(TypeError, match="n_components must be an int"):
        CSPLDA(SFREQ, n_components=2.0).fit(X, y)


@pytest.mark.dataset("eegmmidb")
def test_csp_lda_on_real_eegmmidb_subject_2():
    """S002, runs 4/8/12, left vs right fist imagery, 0-3 s: 5-fold CV accuracy >= 0.7."""
    runs = EEGMMIDB().get_data(2)["0"]
    raw = mne.concatenate_raws([runs[r] for r in sorted(runs, key=int)])
    event_id = {"left_hand": 2, "right_hand": 3}
    events, _ = mne.events_from_annotations(raw, event_id=event_id, verbose="error")
    epochs = mne.Epochs(raw, events, event_id, tmin=0.0, tmax=3.0 - 1 / 160, baseline=None,
                        preload=True, verbose="error")
    X, y = epochs.get_data(copy=False), epochs.events[:, 2]
    assert X.shape == (45, 64, 480) and np.bincount(y).tolist() == [0, 0, 23, 22]
    cv = StratifiedKFold(5, shuffle=True, random_state=42)
    accuracy = cross_val_score(CSPLDA(160.0), X, y, cv=cv).mean()
    assert accuracy >= 0.7, f"S002 CSP+LDA accuracy {accuracy:.3f} (README reference 0.87)"
