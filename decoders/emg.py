"""Muscle-tension (jaw clench) detection: NOIR's variance threshold on high-passed EEG.

A clench adds sustained broadband muscle activity above ~30 Hz; blinks and lateral eye movements
are large but slow, so a causal high-pass removes most of them before the variance is taken.
The high-pass is a short FIR filter (0.1 s), so the edge of a fast eye movement leaves a
transient of at most ~0.1 s after it (an IIR filter would ring for longer), and the feature is
robust to such transients: the last ``window`` seconds are cut into ``segment``-long pieces, each
piece's variance is averaged over the picked channels, and the feature is the log of the median
over pieces (a clench fills most pieces, an eye-movement transient one or two). The threshold is
a robust upper bound of that feature on rest windows (median + k * MAD).

:meth:`MuscleTensionDetector.false_alarm_rate` slides the detector over a continuous rest
recording and counts detections per minute, the figure that matters to an operator.
Filter design and filtering are SciPy's (``firwin``, ``lfilter``); the threshold rule, the
segment median and the false-alarm count are the only parts written here, as no library
provides them.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import mne
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from scipy.signal import firwin, lfilter, lfilter_zi
from scipy.stats import median_abs_deviation
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from decoders._validation import (
    check_epochs_array,
    check_finite_output,
    check_positive,
    check_trial_labels,
)

FIR_LENGTH_S = 0.1  # length of the high-pass FIR filter, s


class MuscleTensionDetector(ClassifierMixin, BaseEstimator):
    """Detect a jaw clench from the variance of high-passed EEG.

    Parameters
    ----------
    sfreq : float
        Sampling rate in Hz.
    l_freq : float
        Cut-off (-6 dB) of the causal FIR high-pass in Hz (0.1 s Hamming-window design).
    window : float
        Length in seconds of the analysed window: the last ``window`` s of each input trial
        (NOIR: 0.5 s). Earlier samples only serve to settle the filter.
    k : float
        Threshold = median + k * MAD of the rest log-variances, MAD scaled to the standard
        deviation of a normal distribution; i.e. ``k`` robust standard deviations above the
        typical rest level. When labelled clench windows are given and all of them lie above
        every rest window, the threshold moves up to the middle of that gap (never below the
        rest-based value), so rest artifacts short of a clench do not read as one.
    picks : sequence of int | None
        Indices of the channels to use (e.g. frontal/temporal); None uses all.
    segment : float | None
        Length in s of the pieces of the window whose median variance is the feature (makes
        the detector ignore brief transients, e.g. of fast eye movements); None takes the
        variance of the whole window.

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
        segment: float | None = 0.1,
    ) -> None:
        self.sfreq = sfreq
        self.l_freq = l_freq
        self.window = window
        self.k = k
        self.picks = picks
        self.segment = segment

    def fit(
        self, X: np.ndarray | mne.BaseEpochs, y: np.ndarray | None = None
    ) -> MuscleTensionDetector:
        """Calibrate the threshold on rest windows.

        Parameters
        ----------
        X : array, shape (n_trials, n_channels, n_times), or mne.BaseEpochs
            Calibration windows, each at least ``window`` s long.
        y : array of bool or 0/1, shape (n_trials,) | None
            True (1) for clench windows; None means all windows are rest. At least two rest
            windows are needed to estimate the spread.

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
        spread = median_abs_deviation(log_var, scale="normal")
        if spread == 0:
            raise ValueError(
                "The rest windows' log-variances have no spread (median absolute deviation 0: "
                "at least half of them are identical); the threshold median + k * MAD cannot be "
                "set from them."
            )
        threshold = np.median(log_var) + self.k * spread
        if not rest.all():
            clench = self._log_variance(X[~rest])
            if clench.min() > log_var.max():
                threshold = max(threshold, (clench.min() + log_var.max()) / 2)
        self.threshold_ = float(threshold)
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
        X = self._check_X(X, self.n_channels_)
        return check_finite_output(self._log_variance(X) - self.threshold_, "score")

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

    def false_alarm_rate(
        self,
        rest: np.ndarray | mne.io.BaseRaw,
        *,
        step: float = 0.1,
        context: float = 1.0,
        refractory: float = 1.0,
    ) -> float:
        """Detections per minute on a continuous recording in which the operator rests.

        The detector is applied as online: to the last ``context`` s every ``step`` s. A
        detection within ``refractory`` s of the previous detection belongs to the same false
        alarm, so a run of consecutive detections counts once (the interface acts once per
        clench).

        Parameters
        ----------
        rest : array, shape (n_channels, n_times), or mne.io.BaseRaw
            Continuous rest recording (same channels and sampling rate as in ``fit``).
        step : float
            Hop between successive decisions in s.
        context : float
            Length in s of each window given to the detector (>= ``window``; the earlier
            samples settle the filter).
        refractory : float
            Detections closer than this (s) to the previous one are not counted again; should
            exceed ``step``.

        Returns
        -------
        rate : float
            False alarms per minute of rest.
        """
        check_is_fitted(self, "threshold_")
        if isinstance(rest, mne.io.BaseRaw):
            if not np.isclose(rest.info["sfreq"], self.sfreq):
                raise ValueError(
                    f"Mismatched sampling rate: rest (Raw) has info['sfreq']="
                    f"{rest.info['sfreq']:g} Hz but the detector has sfreq={self.sfreq:g} Hz."
                )
            rest = rest.get_data()
        rest = check_epochs_array(np.asarray(rest)[None], sfreq=self.sfreq, name="rest")[0]
        hop = int(round(check_positive(step, "step") * self.sfreq))
        n_context = int(round(check_positive(context, "context") * self.sfreq))
        check_positive(refractory, "refractory")
        if rest.shape[1] < n_context:
            raise ValueError(
                f"rest is {rest.shape[1] / self.sfreq:.3f} s long; at least context={context:g} s "
                "is needed."
            )
        windows = sliding_window_view(rest, n_context, axis=1)[:, ::hop].transpose(1, 0, 2)
        detected = self.predict(windows)
        ends = (np.arange(detected.size) * hop + n_context) / self.sfreq  # s
        n_alarms, last = 0, -np.inf
        for end in ends[detected]:
            if end - last > refractory:
                n_alarms += 1
            last = end
        return n_alarms / (rest.shape[1] / self.sfreq / 60.0)

    def _check_X(
        self, X: np.ndarray | mne.BaseEpochs, n_channels: int | None = None
    ) -> np.ndarray:
        """Check ``X`` (long enough for ``window``, ``n_channels`` channels if given) and that
        ``picks`` index its channels."""
        window = check_positive(self.window, "window")
        n_window = int(round(window * self.sfreq))
        if n_window < 2:
            raise ValueError(
                f"window must be at least 2 samples long for a variance, got {window:g} s at "
                f"{self.sfreq:g} Hz."
            )
        if self.segment is not None and not (
            2 <= round(check_positive(self.segment, "segment") * self.sfreq) <= n_window
        ):
            raise ValueError(
                f"segment must be None or between 2 samples and window={window:g} s, got "
                f"{self.segment!r} s at {self.sfreq:g} Hz."
            )
        X = check_epochs_array(
            X, sfreq=self.sfreq, min_times=n_window, why=f"the detection window={window:g} s",
            n_channels=n_channels,
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
        """Log of the median (over segments) mean high-passed variance, shape (n_trials,)."""
        n_window = int(round(self.window * self.sfreq))
        n_segment = n_window if self.segment is None else int(round(self.segment * self.sfreq))
        n_pieces = n_window // n_segment
        picked = X if self.picks is None else X[:, np.asarray(self.picks)]
        high = _fir_highpass(picked, self.sfreq, self.l_freq)
        pieces = high[:, :, high.shape[2] - n_pieces * n_segment :]
        pieces = pieces.reshape(X.shape[0], picked.shape[1], n_pieces, n_segment)
        variance = np.median(pieces.var(axis=3).mean(axis=1), axis=1)
        return np.log(np.maximum(variance, np.finfo(float).tiny))


def _fir_highpass(X: np.ndarray, sfreq: float, l_freq: float) -> np.ndarray:
    """Causal FIR high-pass (``scipy.signal.firwin``, Hamming, ``FIR_LENGTH_S`` long).

    A finite impulse response keeps the trace of a fast eye movement or blink edge within
    ``FIR_LENGTH_S``, where an IIR filter would ring for longer. The filter starts in the
    steady state of each window's first sample, so a DC offset does not ring either.

    Parameters
    ----------
    X : ndarray, shape (n_trials, n_channels, n_times)
        EEG windows.
    sfreq : float
        Sampling rate in Hz.
    l_freq : float
        Cut-off in Hz (-6 dB), between 0 and the Nyquist frequency.

    Returns
    -------
    X_high : ndarray, shape (n_trials, n_channels, n_times)
    """
    if not 0 < check_positive(l_freq, "l_freq") < sfreq / 2:
        raise ValueError(
            f"l_freq must be between 0 and the Nyquist frequency {sfreq / 2:g} Hz, got {l_freq!r}."
        )
    taps, unit_zi = _highpass_taps(float(sfreq), float(l_freq))
    zi = unit_zi[None, None, :] * X[:, :, :1]
    return lfilter(taps, 1.0, X, axis=-1, zi=zi)[0]


@functools.lru_cache(maxsize=16)
def _highpass_taps(sfreq: float, l_freq: float) -> tuple[np.ndarray, np.ndarray]:
    """The taps of ``_fir_highpass`` and its steady-state initial conditions for a unit step
    (``lfilter_zi``), read-only: designed once per (sfreq, l_freq), as the monitor decodes
    a window every 1/64 s."""
    numtaps = 2 * int(round(FIR_LENGTH_S * sfreq / 2)) + 1  # odd: required for a high-pass
    taps = firwin(numtaps, l_freq, pass_zero=False, fs=sfreq)
    unit_zi = lfilter_zi(taps, 1.0)
    taps.flags.writeable = False
    unit_zi.flags.writeable = False
    return taps, unit_zi
