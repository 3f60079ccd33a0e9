"""Causal Butterworth filtering of EEG windows (scikit-learn transformer).

The filter design and application are SciPy's (``butter`` with ``output="sos"``, ``sosfilt``,
``sosfiltfilt``); this module only wraps them as a transformer on
(n_trials, n_channels, n_times) so the same object runs offline and online.
"""

from __future__ import annotations

import functools

import mne
import numpy as np
from scipy.signal import butter, sosfilt, sosfilt_zi, sosfiltfilt
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from decoders._validation import check_epochs_array, check_positive


class BandpassFilter(TransformerMixin, BaseEstimator):
    """Butterworth band-pass, high-pass or low-pass filter applied to each window.

    Each window is filtered independently (stateless). With ``causal=True`` the filter is
    ``sosfilt`` started from its steady state for the window's first sample
    (``sosfilt_zi``), so a DC offset does not ring; only past samples affect each output sample,
    as in the online path. With ``causal=False`` it is the zero-phase ``sosfiltfilt``
    (offline analysis only; the effective order doubles).

    Parameters
    ----------
    sfreq : float
        Sampling rate in Hz.
    l_freq : float | None
        Lower pass-band edge in Hz; None for a low-pass filter.
    h_freq : float | None
        Upper pass-band edge in Hz; None for a high-pass filter.
    order : int
        Butterworth order.
    causal : bool
        Causal (``sosfilt``) if True, zero-phase (``sosfiltfilt``) if False.

    Attributes
    ----------
    sos_ : ndarray, shape (n_sections, 6)
        Second-order sections of the filter.

    Notes
    -----
    Flat windows are filtered (a decoder refuses them before filtering); windows shorter than
    :meth:`window_requirement` are refused.
    """

    def __init__(
        self,
        sfreq: float,
        l_freq: float | None,
        h_freq: float | None,
        order: int = 4,
        causal: bool = True,
    ) -> None:
        self.sfreq = sfreq
        self.l_freq = l_freq
        self.h_freq = h_freq
        self.order = order
        self.causal = causal

    def fit(
        self, X: np.ndarray | mne.BaseEpochs | None, y: np.ndarray | None = None
    ) -> BandpassFilter:
        """Design the filter and check ``X``.

        Parameters
        ----------
        X : array, shape (n_trials, n_channels, n_times), or mne.BaseEpochs, or None
            EEG windows (only checked); None only designs the filter.
        y : None
            Ignored.

        Returns
        -------
        self : BandpassFilter
        """
        self.sos_ = _design_sos(self.sfreq, self.l_freq, self.h_freq, self.order)
        if X is not None:
            self._check_X(X)
        return self

    def transform(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """Filter each window along time.

        Parameters
        ----------
        X : array, shape (n_trials, n_channels, n_times), or mne.BaseEpochs
            EEG windows.

        Returns
        -------
        X_filtered : ndarray, shape (n_trials, n_channels, n_times)
        """
        check_is_fitted(self, "sos_")
        X = self._check_X(X)
        if not self.causal:
            return sosfiltfilt(self.sos_, X, axis=-1)
        zi = sosfilt_zi(self.sos_)[:, None, None, :] * X[None, :, :, :1]
        filtered, _ = sosfilt(self.sos_, X, axis=-1, zi=zi)
        return filtered

    def window_requirement(self) -> tuple[int, str]:
        """Fewest samples per window this filter can process, and why (no fit needed).

        Causal ``sosfilt``: 1. Zero-phase ``sosfiltfilt`` extends each window at both ends by
        scipy's default ``padlen`` of ``3 * (2 * n_sections + 1 - n_trailing_zeros)`` samples
        (27 for the 4th-order band-pass) and needs windows longer than that.

        Returns
        -------
        min_times : int
            Fewest samples.
        why : str
            What they are needed for, for error messages.
        """
        if self.causal:
            return 1, "the causal filter"
        sos = _design_sos(self.sfreq, self.l_freq, self.h_freq, self.order)
        n_taps = 2 * len(sos) + 1 - min(int(np.sum(sos[:, 2] == 0)), int(np.sum(sos[:, 5] == 0)))
        padlen = 3 * n_taps
        return padlen + 1, (
            f"the zero-phase filter (scipy's sosfiltfilt pads {padlen} samples at each end)"
        )

    def _check_X(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        min_times, why = self.window_requirement()
        return check_epochs_array(
            X, sfreq=self.sfreq, min_times=min_times, why=why, allow_flat=True
        )


def _design_sos(sfreq: float, l_freq: float | None, h_freq: float | None, order: int) -> np.ndarray:
    """Butterworth second-order sections for the band [l_freq, h_freq] Hz; checks the band."""
    sfreq = check_positive(sfreq, "sfreq")
    nyquist = sfreq / 2.0
    if isinstance(order, bool) or not isinstance(order, int | np.integer) or order < 1:
        raise ValueError(f"order must be an integer >= 1, got {order!r}.")
    if l_freq is None and h_freq is None:
        raise ValueError("At least one of l_freq and h_freq must be a frequency in Hz, got None.")
    for name, freq in (("l_freq", l_freq), ("h_freq", h_freq)):
        if freq is not None and not 0 < check_positive(freq, name) < nyquist:
            raise ValueError(
                f"{name} must be between 0 and the Nyquist frequency {nyquist:g} Hz, got {freq!r}."
            )
    if l_freq is not None and h_freq is not None and l_freq >= h_freq:
        raise ValueError(f"l_freq ({l_freq:g} Hz) must be below h_freq ({h_freq:g} Hz).")
    return _butter_sos(float(sfreq), None if l_freq is None else float(l_freq),
                       None if h_freq is None else float(h_freq), int(order)).copy()


@functools.lru_cache(maxsize=64)
def _butter_sos(sfreq: float, l_freq: float | None, h_freq: float | None, order: int
                ) -> np.ndarray:
    """scipy's ``butter`` for a checked band, designed once per setting (kept read-only; callers
    get copies): a filter bank checks every window against its filters' lengths, and the
    design took most of an FBCCA decision's time."""
    if l_freq is not None and h_freq is not None:
        sos = butter(order, [l_freq, h_freq], btype="bandpass", fs=sfreq, output="sos")
    elif l_freq is not None:
        sos = butter(order, l_freq, btype="highpass", fs=sfreq, output="sos")
    else:
        sos = butter(order, h_freq, btype="lowpass", fs=sfreq, output="sos")
    sos.setflags(write=False)
    return sos
