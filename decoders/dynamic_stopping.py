"""Dynamic stopping: decide as soon as the evidence is convincing, not after a fixed window.

A decision is re-evaluated on growing windows of the same trial. At window length ``w`` it is
taken when the margin between the best and second-best score reaches the threshold
calibrated for ``w``. At the longest window the decision is always taken. Two calibrations:

* a target accuracy: at each ``w`` the smallest margin at which calibration decisions were
  right at least ``target_accuracy`` of the time;
* the least expected selection time (``confirm_cost`` set): the interface offers the ranked
  options one after another until the person accepts one, each offer costing ``confirm_cost``
  s, so a selection takes the window used plus ``confirm_cost`` times the rank of the wanted
  option there; the thresholds minimise that time averaged over the calibration trials (the
  utility view of Dal Seno, Matteucci & Mainardi 2010, IEEE TNSRE 18(1):20-28, for a menu
  confirmed option by option).

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
    confirm_cost : float or None
        Seconds each offered option costs the person (the confirmation window); set, the
        thresholds minimise the mean selection time instead of reaching ``target_accuracy``.

    Attributes
    ----------
    thresholds_ : ndarray, shape (n_windows,)
        Margin needed at each window length (``inf``: never stop there).
    """

    def __init__(self, windows: Sequence[float] = (1.0, 2.0, 3.0, 4.0),
                 target_accuracy: float = 0.95, min_trials: int = 5,
                 confirm_cost: float | None = None) -> None:
        self.windows = windows
        self.target_accuracy = target_accuracy
        self.min_trials = min_trials
        self.confirm_cost = confirm_cost

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
        scores = [decoder.decision_function(X[..., : round(w * sfreq)]) for w in windows]
        if self.confirm_cost is None:
            thresholds = self._accuracy_thresholds(decoder.classes_, scores, y)
        else:
            cost = check_positive(self.confirm_cost, "confirm_cost")
            thresholds = self._time_thresholds(decoder.classes_, scores, y, windows, cost)
        thresholds[-1] = -np.inf
        self.thresholds_ = thresholds
        return self

    def _accuracy_thresholds(self, classes: np.ndarray, scores: list[np.ndarray],
                             y: np.ndarray) -> np.ndarray:
        """Per window, the smallest margin above which ``target_accuracy`` was reached."""
        thresholds = np.full(len(scores), np.inf)
        for k, window_scores in enumerate(scores[:-1]):
            margin, label = _margin(classes, window_scores)
            correct = label == y
            order = np.argsort(-margin)
            hits = np.cumsum(correct[order]) / np.arange(1, len(order) + 1)
            good = np.flatnonzero((hits >= self.target_accuracy)
                                  & (np.arange(1, len(order) + 1) >= self.min_trials))
            if len(good):
                thresholds[k] = margin[order][good[-1]]
        return thresholds

    def _time_thresholds(self, classes: np.ndarray, scores: list[np.ndarray], y: np.ndarray,
                         windows: np.ndarray, cost: float) -> np.ndarray:
        """Thresholds that minimise the mean of (window used + ``cost`` x rank of the true
        class there) over the trials, by coordinate descent over each window's candidate
        margins (the observed ones, and inf); an early stop must keep ``min_trials`` trials."""
        index = {c: i for i, c in enumerate(classes)}
        if unknown := sorted({str(c) for c in y} - {str(c) for c in classes}):
            raise ValueError(f"labels {unknown} are not among the decoder's classes "
                             f"{list(classes)}.")
        true = np.array([index[c] for c in y])
        trials = np.arange(len(y))
        margins = np.array([_margin(classes, s)[0] for s in scores])  # (n_windows, n_trials)
        ranks = np.array([1 + np.sum(s > s[trials, true][:, None], axis=1) for s in scores])
        time = windows[:, None] + cost * ranks  # (n_windows, n_trials) if decided there

        def mean_time(thresholds: np.ndarray) -> tuple[float, np.ndarray]:
            stop = margins >= thresholds[:, None]
            stop[-1] = True
            first = np.argmax(stop, axis=0)
            return float(time[first, trials].mean()), np.bincount(
                first, minlength=len(windows))

        thresholds = np.full(len(windows), np.inf)
        best, _ = mean_time(thresholds)
        for _ in range(3):  # passes; the objective only moves down
            moved = False
            for k in range(len(windows) - 1):
                for candidate in np.unique(margins[k]):
                    trial = thresholds.copy()
                    trial[k] = candidate
                    value, stops = mean_time(trial)
                    if value < best - 1e-12 and stops[k] >= self.min_trials:
                        best, thresholds, moved = value, trial, True
            if not moved:
                break
        return thresholds

    def decide(self, decoder: BaseEstimator, trial: np.ndarray, sfreq: float
               ) -> tuple[float, np.ndarray]:
        """Grow the window over ``trial`` (n_channels, n_times) until a decision is taken.

        Returns the window length used (s) and the decoder's scores on it, shape (n_classes,).
        ``trial`` must hold at least the shortest window. A decoder of one class (a page with
        one candidate) has nothing to tell apart: the shortest window decides.
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
            if len(top) == 1 or top[0] - top[1] >= threshold:
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



def _margin(classes: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best minus second-best score of each trial, and the best class: scores (n_trials,
    n_classes) -> (n_trials,), (n_trials,)."""
    top = np.sort(scores, axis=1)[:, ::-1]
    return top[:, 0] - top[:, 1], classes[np.argmax(scores, axis=1)]
