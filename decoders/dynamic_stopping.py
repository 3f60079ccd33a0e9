"""Dynamic stopping: decide as soon as the evidence is convincing, not after a fixed window.

A decision is re-evaluated on growing windows of the same trial. At window length ``w`` it is
taken when the margin between the best and second-best score reaches the threshold
calibrated for ``w``: the smallest margin at which calibration decisions were right at least
``target_accuracy`` of the time. At the longest window the decision is always taken.

Written by hand: MetaBCI has dynamic stopping (GPL, not a dependency we can take); no
maintained permissively licensed library provides it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from decoders._validation import check_epochs_array, check_positive, check_trial_labels


class MarginStopping(BaseEstimator):
    """Margin thresholds per window length, calibrated for a target accuracy.

    Parameters
    ----------
    windows : sequence of float
        Window lengths to try, in seconds, increasing; the last one always decides.
    target_accuracy : float
        Accuracy the early decisions must reach on calibration trials, in (0, 1].
    min_trials : int
        Calibration trials a threshold must rest on; fewer → no early decision at that length.

    Attributes
    ----------
    thresholds_ : ndarray, shape (n_windows,)
        Margin needed at each window length (``inf``: never stop there).
    """

    def __init__(self, windows: Sequence[float] = (1.0, 2.0, 3.0, 4.0),
                 target_accuracy: float = 0.95, min_trials: int = 5) -> None:
        self.windows = windows
        self.target_accuracy = target_accuracy
        self.min_trials = min_trials

    def fit(self, decoder: BaseEstimator, X: np.ndarray, y: np.ndarray, sfreq: float
            ) -> MarginStopping:
        """Calibrate on trials ``X`` (n_trials, n_channels, n_times) with labels ``y``.

        ``decoder`` is fitted (or training-free) and scores windows of any length in
        ``windows``; ``X`` must be at least ``windows[-1]`` s long, and is checked as the
        decoders check their input (finite, no flat channel).
        """
        windows = self._check_windows()
        if not 0 < self.target_accuracy <= 1:
            raise ValueError(f"target_accuracy must be in (0, 1], got {self.target_accuracy}")
        X = self._check_trials(decoder, X, sfreq, windows[-1], "the longest window")
        y = check_trial_labels(y, X.shape[0])
        thresholds = np.full(len(windows), np.inf)
        for k, w in enumerate(windows[:-1]):
            margin, label = self._margin(decoder, X[..., : round(w * sfreq)])
            correct = label == y
            order = np.argsort(-margin)
            hits = np.cumsum(correct[order]) / np.arange(1, len(order) + 1)
            good = np.flatnonzero((hits >= self.target_accuracy)
                                  & (np.arange(1, len(order) + 1) >= self.min_trials))
            if len(good):
                thresholds[k] = margin[order][good[-1]]
        thresholds[-1] = -np.inf
        self.thresholds_ = thresholds
        return self

    def decide(self, decoder: BaseEstimator, trial: np.ndarray, sfreq: float
               ) -> tuple[float, np.ndarray]:
        """Grow the window over ``trial`` (n_channels, n_times) until a decision is taken.

        Returns the window length used (s) and the decoder's scores on it, shape (n_classes,).
        ``trial`` must hold at least the shortest window.
        """
        check_is_fitted(self, "thresholds_")
        trial = np.asarray(trial)
        if trial.ndim != 2:
            raise ValueError(
                f"trial must be one window of shape (n_channels, n_times), got shape {trial.shape}."
            )
        windows = self._check_windows()
        trial = self._check_trials(decoder, trial[np.newaxis], sfreq, windows[0],
                                   "the shortest window")[0]
        for w, threshold in zip(self.windows, self.thresholds_, strict=True):
            n = round(w * sfreq)
            if n > trial.shape[-1]:
                break
            scores = decoder.decision_function(trial[np.newaxis, :, :n])[0]
            top = np.sort(scores)[::-1]
            if top[0] - top[1] >= threshold:
                return w, scores
        return trial.shape[-1] / sfreq, decoder.decision_function(trial[np.newaxis])[0]

    def _check_windows(self) -> np.ndarray:
        """``windows`` as an array of increasing seconds > 0."""
        try:
            windows = np.asarray(self.windows, dtype=float)
        except (TypeError, ValueError):  # not numbers: reported below
            windows = np.array([])
        if (windows.ndim != 1 or not len(windows) or not np.all(np.isfinite(windows))
                or windows[0] <= 0 or np.any(np.diff(windows) <= 0)):
            raise ValueError(f"windows must be increasing seconds > 0, got {self.windows!r}")
        return windows

    @staticmethod
    def _check_trials(decoder: BaseEstimator, X: np.ndarray, sfreq: float, seconds: float,
                      which: str) -> np.ndarray:
        """``X`` checked as windows of at least ``seconds`` s at the decoder's ``sfreq``."""
        sfreq = check_positive(sfreq, "sfreq")
        decoder_sfreq = getattr(decoder, "sfreq", sfreq)
        if not np.isclose(decoder_sfreq, sfreq):
            raise ValueError(
                f"sfreq={sfreq:g} Hz differs from the decoder's sfreq={decoder_sfreq:g} Hz."
            )
        return check_epochs_array(X, sfreq=sfreq, min_times=round(seconds * sfreq),
                                  why=f"{which} of {seconds:g} s")

    @staticmethod
    def _margin(decoder: BaseEstimator, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        scores = decoder.decision_function(X)
        top = np.sort(scores, axis=1)[:, ::-1]
        return top[:, 0] - top[:, 1], decoder.classes_[np.argmax(scores, axis=1)]
