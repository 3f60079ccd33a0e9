"""Muscle-tension (jaw clench) detection: NOIR's variance threshold on high-passed EEG.

A clench adds broadband muscle activity above ~30 Hz; blinks and eye movements are large but
slow, so a causal high-pass removes them before the variance is taken. The feature is the log
of the mean (over the picked channels) variance of the last ``window`` seconds; the threshold is
a robust upper bound of that feature on rest windows. Filtering is ``BandpassFilter`` (SciPy);
the threshold rule (median + k * MAD) is the only part written here, as no library provides it.
"""

from __future__ import annotations

from collections.abc import Sequence

import mne
import numpy as np
from scipy.stats import median_abs_deviation
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from decoders._validation import (
    check_epochs_array,
    check_n_channels,
    check_positive,
    check_trial_labels,
)
from decoders.preprocessing import BandpassFilter


class MuscleTensionDetector(ClassifierMixin, BaseEstimator):
    """Detect a jaw clench from the variance of high-passed EEG.

    Parameters
    ----------
    sfreq : float
        Sampling rate in Hz.
    l_freq : float
        Cut-off of the causal Butterworth high-pass in Hz.
    window : float
        Length in seconds of the analysed window: the last ``window`` s of each input trial
        (NOIR: 0.5 s). Earlier samples only serve to settle the filter.
    k : float
        Threshold = median + k * MAD of the rest log-variances, MAD scaled to the standard
        deviation of a normal distribution; i.e. ``k`` robust standard deviations above the
        typical rest level.
    picks : sequence of int | None
        Indices of the channels to use (e.g. frontal/temporal); None uses all.

    Attributes
    ----------
    classes_ : ndarray of bool, shape (2,)
        ``[False, True]``; True means clench.
    threshold_ : float
        Threshold on the natural log of the mean high-passed variance (log of signal units²).
    n_channels_ : int
        Number of channels seen in ``fit``.
    """

    def __init__(
        self,
        sfreq: float,
        l_freq: float = 30.0,
        window: float = 0.5,
        k: float = 5.0,
        picks: Sequence[int] | None = None,
    ) -> None:
        self.sfreq = sfreq
        self.l_freq = l_freq
        self.window = window
        self.k = k
        self.picks = picks

    def fit(
        self, X: np.ndarray | mne.BaseEpochs, y: np.ndarray | None = None
    ) -> MuscleTensionDetector:
        """Calibrate the threshold on rest windows.

        Parameters
        ----------
        X : array, shape (n_trials, n_channels, n_times), or mne.BaseEpochs
            Calibration windows, each at least ``window`` s long.
        y : array of bool or 0/1, shape (n_trials,) | None
            True (1) for clench windows, which are ignored; None means all windows are rest.
            At least two rest windows are needed to estimate the spread.

        Returns
        -------
        self : MuscleTensionDetector
        """
        check_positive(self.k, "k")
        if y is not None:
            check_classification_targets(y)
        X = self._check_X(X)
        if y is None:
            rest = np.ones(X.shape[0], dtype=bool)
        else:
            y = check_trial_labels(y, X.shape[0])
            if not np.isin(y, [0, 1]).all():
                raise ValueError(f"y must be boolean or 0/1 (True = clench), got {np.unique(y)}.")
            rest = ~y.astype(bool)
        if rest.sum() < 2:
            raise ValueError(
                f"At least 2 rest windows (y False/0) are needed to set the threshold, "
                f"got {int(rest.sum())}."
            )
        log_var = self._log_variance(X[rest])
        self.threshold_ = float(
            np.median(log_var) + self.k * median_abs_deviation(log_var, scale="normal")
        )
        self.classes_ = np.array([False, True])
        self.n_channels_ = X.shape[1]
        return self

    def decision_function(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """Log-variance minus threshold (positive means clench).

        Parameters
        ----------
        X : array, shape (n_trials, n_channels, n_times), or mne.BaseEpochs
            EEG windows, each at least ``window`` s long.

        Returns
        -------
        scores : ndarray, shape (n_trials,)
        """
        check_is_fitted(self, "threshold_")
        X = self._check_X(X)
        check_n_channels(X, self.n_channels_)
        return self._log_variance(X) - self.threshold_

    def predict(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """Whether each window contains a clench.

        Parameters
        ----------
        X : array, shape (n_trials, n_channels, n_times), or mne.BaseEpochs
            EEG windows, each at least ``window`` s long.

        Returns
        -------
        clench : ndarray of bool, shape (n_trials,)
        """
        return self.decision_function(X) > 0

    def _check_X(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """Check ``X`` (long enough for ``window``) and that ``picks`` index its channels."""
        window = check_positive(self.window, "window")
        n_window = int(round(window * self.sfreq))
        X = check_epochs_array(
            X, sfreq=self.sfreq, min_times=n_window, why=f"the detection window={window:g} s"
        )
        if self.picks is None:
            return X
        picks = np.asarray(self.picks)
        if (
            picks.ndim != 1
            or picks.size == 0
            or not np.issubdtype(picks.dtype, np.integer)
            or picks.min() < 0
            or picks.max() >= X.shape[1]
        ):
            raise ValueError(
                f"picks must be a non-empty sequence of channel indices in [0, {X.shape[1]}), "
                f"got {self.picks!r}."
            )
        return X

    def _log_variance(self, X: np.ndarray) -> np.ndarray:
        """Log of the mean high-passed variance of the picked channels, shape (n_trials,)."""
        n_window = int(round(self.window * self.sfreq))
        picked = X if self.picks is None else X[:, np.asarray(self.picks)]
        high = BandpassFilter(self.sfreq, self.l_freq, None).fit_transform(picked)
        variance = high[:, :, -n_window:].var(axis=2).mean(axis=1)
        return np.log(np.maximum(variance, np.finfo(float).tiny))
