"""SSVEP decoders: NOIR's training-free canonical correlation analysis (CCA).

Standard CCA (Lin et al. 2006) correlates a multichannel EEG window with a reference of sine and
cosine waves at each stimulus frequency and its harmonics; the frequency with the largest
canonical correlation wins. scikit-learn's ``CCA`` is an iterative PLS fit per pair of matrices,
which is too slow to run for every trial x frequency, so the closed form is written here by hand:
the largest canonical correlation between two centred matrices is the largest singular value of
``U_x^T Q_y``, where ``U_x`` and ``Q_y`` are orthonormal bases of their column spaces. The
computation is vectorised over trials and frequencies.
"""

from __future__ import annotations

from collections.abc import Sequence

import mne
import numpy as np
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from decoders._validation import (
    check_epochs_array,
    check_n_channels,
    check_positive,
    check_trial_labels,
)


class CCA(ClassifierMixin, BaseEstimator):
    """Standard (training-free) CCA decoder for SSVEP.

    Parameters
    ----------
    freqs : sequence of float, shape (n_classes,)
        Stimulus frequencies in Hz (NOIR: 6, 7.5, 8.57, 10).
    sfreq : float
        Sampling rate in Hz.
    n_harmonics : int
        Number of harmonics (fundamental included) in each reference. Harmonics at or above the
        Nyquist frequency are dropped.
    labels : sequence | None, shape (n_classes,)
        Label of each frequency (e.g. object names). None uses the frequencies themselves.
    temperature : float
        Temperature of the softmax that turns correlations into ``predict_proba``.

    Attributes
    ----------
    classes_ : ndarray, shape (n_classes,)
        Sorted labels.
    freqs_ : ndarray, shape (n_classes,)
        Stimulus frequency of each class in ``classes_``, in Hz.
    n_channels_ : int | None
        Number of channels seen in ``fit``; None when fitted without data.
    ref_basis_ : ndarray, shape (n_classes, n_times, 2 * n_harmonics) | None
        Orthonormal basis of each centred reference for the window length seen in ``fit``
        (None when fitted without data); columns of dropped harmonics are zero.

    Notes
    -----
    The EEG basis is taken from a thin SVD rather than a QR decomposition: QR gives spurious
    basis vectors for rank-deficient windows (e.g. average-referenced EEG), which inflate the
    correlation; the SVD drops them.
    """

    def __init__(
        self,
        freqs: Sequence[float],
        sfreq: float,
        n_harmonics: int = 3,
        labels: Sequence | None = None,
        temperature: float = 0.1,
    ) -> None:
        self.freqs = freqs
        self.sfreq = sfreq
        self.n_harmonics = n_harmonics
        self.labels = labels
        self.temperature = temperature

    def fit(self, X: np.ndarray | mne.BaseEpochs | None = None, y: np.ndarray | None = None) -> CCA:
        """Check the parameters (and data, if given) and build the references.

        No training happens: ``X`` and ``y`` are only checked, and ``X`` fixes the channel
        count and the window length for which the references are precomputed.

        Parameters
        ----------
        X : array, shape (n_trials, n_channels, n_times), or mne.BaseEpochs, or None
            EEG windows, in any unit.
        y : array, shape (n_trials,) | None
            Labels; each must be one of the labels of ``freqs``.

        Returns
        -------
        self : CCA
        """
        sfreq = check_positive(self.sfreq, "sfreq")
        check_positive(self.temperature, "temperature")
        if isinstance(self.n_harmonics, bool) or not isinstance(
            self.n_harmonics, int | np.integer
        ):
            raise TypeError(f"n_harmonics must be an int, got {self.n_harmonics!r}.")
        if self.n_harmonics < 1:
            raise ValueError(f"n_harmonics must be >= 1, got {self.n_harmonics}.")
        freqs = np.asarray(self.freqs, dtype=float)
        if freqs.ndim != 1 or freqs.size == 0:
            raise ValueError(f"freqs must be a non-empty 1-D sequence of Hz, got {self.freqs!r}.")
        if not np.all(np.isfinite(freqs) & (freqs > 0)):
            raise ValueError(f"freqs must be finite frequencies > 0 Hz, got {self.freqs!r}.")
        if np.unique(freqs).size != freqs.size:
            raise ValueError(f"freqs must be distinct, got {self.freqs!r}.")
        if freqs.max() >= sfreq / 2:
            raise ValueError(
                f"Stimulus frequency {freqs.max():g} Hz is at or above the Nyquist frequency "
                f"{sfreq / 2:g} Hz (sfreq={sfreq:g} Hz)."
            )
        labels = freqs if self.labels is None else np.asarray(self.labels)
        if labels.shape != freqs.shape:
            raise ValueError(
                f"labels must have one entry per frequency ({freqs.size}), got {self.labels!r}."
            )
        if np.unique(labels).size != labels.size:
            raise ValueError(f"labels must be distinct, got {self.labels!r}.")
        order = np.argsort(labels)
        self.classes_ = labels[order]
        self.freqs_ = freqs[order]
        self.n_channels_ = None
        self.ref_basis_ = None
        if X is None:
            if y is not None:
                raise ValueError("y was given without X; pass the EEG windows X as well.")
            return self
        X = self._check_X(X)
        if y is not None:
            y = check_trial_labels(y, X.shape[0])
            unknown = np.setdiff1d(y, self.classes_)
            if unknown.size:
                raise ValueError(
                    f"y contains labels {unknown.tolist()} that are not in labels "
                    f"{self.classes_.tolist()}."
                )
        self.n_channels_ = X.shape[1]
        self.ref_basis_ = self._reference_basis(X.shape[2])
        return self

    def decision_function(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """Largest canonical correlation between each window and each reference.

        Parameters
        ----------
        X : array, shape (n_trials, n_channels, n_times), or mne.BaseEpochs
            EEG windows.

        Returns
        -------
        corr : ndarray, shape (n_trials, n_classes)
            Canonical correlations in [0, 1], columns in the order of ``classes_``.
        """
        check_is_fitted(self, "classes_")
        X = self._check_X(X)
        if self.n_channels_ is not None:
            check_n_channels(X, self.n_channels_)
        n_times = X.shape[2]
        ref_basis = (
            self.ref_basis_
            if self.ref_basis_ is not None and self.ref_basis_.shape[1] == n_times
            else self._reference_basis(n_times)
        )
        Xc = X - X.mean(axis=2, keepdims=True)
        U, s, _ = np.linalg.svd(Xc.transpose(0, 2, 1), full_matrices=False)
        tol = s[:, :1] * max(Xc.shape[1:]) * np.finfo(float).eps
        U = U * (s > tol)[:, None, :]
        cross = np.einsum("ntc,fth->nfch", U, ref_basis)
        corr = np.linalg.svd(cross, compute_uv=False)[..., 0]
        return np.clip(corr, 0.0, 1.0)

    def predict_proba(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """Softmax of the canonical correlations divided by ``temperature``.

        This is a monotonic normalisation (same ranking as ``decision_function``), not a
        calibrated probability.

        Parameters
        ----------
        X : array, shape (n_trials, n_channels, n_times), or mne.BaseEpochs
            EEG windows.

        Returns
        -------
        proba : ndarray, shape (n_trials, n_classes)
            Rows sum to 1; columns in the order of ``classes_``.
        """
        return softmax(self.decision_function(X) / self.temperature, axis=1)

    def predict(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """Label of the frequency with the largest canonical correlation.

        Parameters
        ----------
        X : array, shape (n_trials, n_channels, n_times), or mne.BaseEpochs
            EEG windows.

        Returns
        -------
        y_pred : ndarray, shape (n_trials,)
            Labels from ``classes_``.
        """
        scores = self.decision_function(X)
        return self.classes_[np.argmax(scores, axis=1)]

    def _check_X(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """Check ``X`` and that a window holds one cycle of the lowest stimulus frequency."""
        fmin = float(np.min(self.freqs))
        return check_epochs_array(
            X,
            sfreq=self.sfreq,
            min_times=int(np.ceil(self.sfreq / fmin)),
            why=f"one cycle of the lowest stimulus frequency {fmin:g} Hz",
        )

    def _reference_basis(self, n_times: int) -> np.ndarray:
        """Orthonormal bases of the centred sin/cos references, shape (n_classes, n_times, 2H).

        Columns are ordered by harmonic, so dropped (above-Nyquist) harmonics are the trailing
        columns and setting them to zero after the QR leaves the span of the kept ones intact.
        """
        times = np.arange(n_times) / self.sfreq
        harmonics = np.arange(1, self.n_harmonics + 1)
        freqs = self.freqs_[:, None] * harmonics[None, :]  # (n_classes, H)
        phase = 2 * np.pi * freqs[:, None, :] * times[None, :, None]  # (n_classes, T, H)
        refs = np.stack([np.sin(phase), np.cos(phase)], axis=-1).reshape(*phase.shape[:2], -1)
        refs -= refs.mean(axis=1, keepdims=True)
        basis, _ = np.linalg.qr(refs)
        keep = np.repeat(freqs < self.sfreq / 2, 2, axis=1)  # (n_classes, 2H)
        return basis * keep[:, None, :]
