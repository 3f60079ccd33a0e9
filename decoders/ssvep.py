"""SSVEP decoders: CCA, filter-bank CCA, extended CCA, (ensemble) TRCA, TDCA, FBSpatialLDA.

All decoders are scikit-learn classifiers on EEG windows of shape (n_trials, n_channels, n_times)
that share one base class (:class:`_SSVEPDecoder`): parameter and input checks, the optional
filter bank, the sub-band combination, the rest ("none") class and ``predict``/``predict_proba``.
Each subclass only supplies the per-sub-band scores, computed for all trials, sub-bands and
classes at once.

- :class:`CCA` — standard training-free CCA (Lin et al. 2006).
- :class:`FBCCA` — filter-bank CCA (Chen et al. 2015, J. Neural Eng. 12:046008).
- :class:`ECCA` — extended CCA with individual templates (Chen et al. 2015, PNAS 112:E6058).
- :class:`TRCA` — task-related component analysis, ensemble by default (Nakanishi et al. 2018).
- :class:`TDCA` — task-discriminant component analysis (Liu et al. 2021, IEEE TNSRE 29:1994).
- :class:`FBSpatialLDA` — phase-invariant and trained: filter-bank power at each stimulus
  frequency through learned spatial filters, plus FBCCA's correlations, classified by
  shrinkage LDA with rest as a learned class (for stimuli not phase-locked to the cue, where
  the template methods above fail); optionally with tangent-space features of the window's
  covariance (``covariance=True``). :class:`FBSpatialLDACV` picks its setting by inner CV;
  :class:`FBSpatialLDAEnsemble` averages the probabilities of several settings instead (no
  choice to make). (They override ``fit`` and the decisions; the rest-threshold machinery below
  is not used.)

Why by hand: scikit-learn's ``CCA`` is an iterative PLS fit per pair of matrices, far too slow
per trial x class, and no well-kept BSD library ships these SSVEP methods (MOABB's own ones are
dataset-specific; MetaBCI is GPL). The linear algebra is written here from the papers: the
largest canonical correlation between two centred matrices is the largest singular value of
``U_a^T U_b`` (orthonormal bases of their column spaces), and TRCA/TDCA are generalized
eigenproblems solved with :func:`scipy.linalg.eigh`. Filtering is :class:`BandpassFilter`.

Sub-bands (``n_bands > 1``): band ``m`` (1-based) passes ``[m * band_step, band_h_freq]`` Hz and
is weighted ``m ** -weight_a + weight_b`` (Chen et al. 2015). Per-band scores ``r_m`` are
combined as Chen's weighted sum of signed squares, reported as its signed square root so that
scores stay on a correlation scale (one band: the band's correlation itself). The filter bank is
also a transformer of its own, :class:`SubBands` (``decoder.stateless_front()``); a decoder takes
its output, sub-band windows of shape (n_trials, n_channels, n_times, n_bands), in place of
windows, so that an offline evaluation filters each trial once instead of once per fold.

Rest / no-control class: with ``rest_label`` set and rest trials in ``y``, ``fit`` learns a
threshold on the best class score from rest and stimulus trials (the threshold that maximises
the accuracy of "rest if the best score is below it, else the best class"). Training-free
decoders threshold their own scores on the training data; calibration-based ones use
out-of-fold scores from an inner stratified cross-validation of the training data, so the
threshold never sees scores of trials the templates were built from. Rest trials are never
used as a template class. ``decision_function`` then has a rest column holding the threshold,
so ``predict`` stays the arg-max.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache, partial
from typing import ClassVar

import mne
import numpy as np
from scipy.linalg import eigh
from scipy.special import softmax
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.model_selection import StratifiedKFold
from sklearn.utils.validation import check_is_fitted

from decoders._validation import (
    as_epochs,
    check_epochs_array,
    check_finite_output,
    check_not_identical,
    check_positive,
    check_trial_labels,
    singular_as_value_error,
)
from decoders.preprocessing import BandpassFilter

_EPS = np.finfo(float).eps


def _check_int(value: int, name: str, minimum: int) -> int:
    """Return ``value`` after checking it is an int >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int, got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}.")
    return int(value)


@lru_cache(maxsize=64)
def _sine_reference_basis(
    freqs: tuple[float, ...], sfreq: float, n_harmonics: int, n_times: int
) -> np.ndarray:
    """Orthonormal bases of the centred sin/cos references, shape (n_classes, n_times, 2H).

    Columns are ordered by harmonic, so dropped (at or above Nyquist) harmonics are the trailing
    columns and zeroing them after the QR leaves the span of the kept ones intact. Cached per
    window length (read-only result) so that repeated single-window decisions cost nothing here.
    """
    times = np.arange(n_times) / sfreq
    harmonics = np.arange(1, n_harmonics + 1)
    hz = np.asarray(freqs)[:, None] * harmonics[None, :]  # (n_classes, H)
    phase = 2 * np.pi * hz[:, None, :] * times[None, :, None]  # (n_classes, T, H)
    refs = np.stack([np.sin(phase), np.cos(phase)], axis=-1).reshape(*phase.shape[:2], -1)
    refs -= refs.mean(axis=1, keepdims=True)
    basis, _ = np.linalg.qr(refs)
    keep = np.repeat(hz < sfreq / 2, 2, axis=1)  # (n_classes, 2H)
    basis = basis * keep[:, None, :]
    basis.flags.writeable = False
    return basis


def _orthonormal_basis(A: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Thin SVD of centred ``A`` (..., n_times, n_cols) with numerically null directions zeroed.

    Returns ``U`` (..., n_times, k), the inverse singular values (..., k) with 0 for dropped
    directions, and ``V`` (..., n_cols, k) such that ``A @ V / s = U``. An SVD rather than a QR:
    QR gives spurious basis vectors for rank-deficient windows (e.g. average-referenced EEG),
    which inflate correlations.
    """
    U, s, Vh = np.linalg.svd(A, full_matrices=False)
    kept = s > s[..., :1] * max(A.shape[-2:]) * _EPS
    inv_s = np.where(kept, 1.0 / np.where(kept, s, 1.0), 0.0)
    return U * kept[..., None, :], inv_s, np.swapaxes(Vh, -1, -2)


def _corr(a: np.ndarray, b: np.ndarray, n_axes: int = 1) -> np.ndarray:
    """Pearson correlation over the last ``n_axes`` axes (flattened), broadcasting the rest."""
    axes = tuple(range(-n_axes, 0))
    a = a - a.mean(axis=axes, keepdims=True)
    b = b - b.mean(axis=axes, keepdims=True)
    num = (a * b).sum(axis=axes)
    den = np.sqrt((a * a).sum(axis=axes) * (b * b).sum(axis=axes))
    return num / np.maximum(den, np.finfo(float).tiny)


def _signed_sqrt(x: np.ndarray) -> np.ndarray:
    return np.sign(x) * np.sqrt(np.abs(x))


def _check_freqs(freqs: Sequence[float], sfreq: float) -> np.ndarray:
    """Stimulus frequencies (n_classes,) in Hz as an array, after checking they are distinct,
    finite, > 0 and below the Nyquist frequency of ``sfreq``."""
    checked = np.asarray(freqs, dtype=float)
    if checked.ndim != 1 or checked.size == 0:
        raise ValueError(f"freqs must be a non-empty 1-D sequence of Hz, got {freqs!r}.")
    if not np.all(np.isfinite(checked) & (checked > 0)):
        raise ValueError(f"freqs must be finite frequencies > 0 Hz, got {freqs!r}.")
    if np.unique(checked).size != checked.size:
        raise ValueError(f"freqs must be distinct, got {freqs!r}.")
    if checked.max() >= sfreq / 2:
        raise ValueError(
            f"Stimulus frequency {checked.max():g} Hz is at or above the Nyquist frequency "
            f"{sfreq / 2:g} Hz (sfreq={sfreq:g} Hz)."
        )
    return checked


def _sub_band_filters(
    freqs: np.ndarray,
    sfreq: float,
    n_bands: int,
    band_step: float | None,
    band_h_freq: float | None,
    causal: bool,
) -> list[BandpassFilter]:
    """Designed sub-band filters ``[m * band_step, band_h_freq]`` Hz, m = 1..n_bands (none for
    one band); see the module docstring for the defaults."""
    if n_bands == 1:
        return []
    step = freqs.min() - 1.0 if band_step is None else band_step
    step = check_positive(step, "band_step")
    h_freq = min(90.0, 0.45 * sfreq) if band_h_freq is None else band_h_freq
    h_freq = check_positive(h_freq, "band_h_freq")
    if n_bands * step >= h_freq:
        raise ValueError(
            f"n_bands={n_bands} sub-bands starting every band_step={step:g} Hz do not "
            f"fit below band_h_freq={h_freq:g} Hz; lower n_bands or band_step."
        )
    return [
        BandpassFilter(sfreq, k * step, h_freq, causal=causal).fit(None)
        for k in range(1, n_bands + 1)
    ]


class SubBands(TransformerMixin, BaseEstimator):
    """The SSVEP decoders' filter bank as a stateless transformer (``stateless_front()``).

    Windows (n_trials, n_channels, n_times) -> sub-band windows (n_trials, n_channels, n_times,
    n_bands), the layout of filter-bank paradigms; a decoder with the same parameters takes them
    in place of windows. Parameters are the decoders' (see :class:`FBCCA`); ``n_bands >= 2``.

    Attributes
    ----------
    band_filters_ : list of BandpassFilter
        The designed sub-band filters.
    """

    def __init__(
        self,
        freqs: Sequence[float],
        sfreq: float,
        n_bands: int = 5,
        band_step: float | None = None,
        band_h_freq: float | None = None,
        causal: bool = False,
    ) -> None:
        self.freqs = freqs
        self.sfreq = sfreq
        self.n_bands = n_bands
        self.band_step = band_step
        self.band_h_freq = band_h_freq
        self.causal = causal

    def fit(self, X: np.ndarray | mne.BaseEpochs | None = None, y=None) -> SubBands:
        """Design the filters (nothing is learnt from ``X``, which is only checked).

        Parameters
        ----------
        X : array, shape (n_trials, n_channels, n_times), or mne.BaseEpochs, or None
        y : None
            Ignored.

        Returns
        -------
        self
        """
        sfreq = check_positive(self.sfreq, "sfreq")
        freqs = _check_freqs(self.freqs, sfreq)
        n_bands = _check_int(self.n_bands, "n_bands", 2)
        self.band_filters_ = _sub_band_filters(
            freqs, sfreq, n_bands, self.band_step, self.band_h_freq, self.causal
        )
        if X is not None:
            self._check_X(X)
        return self

    def transform(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """Filter each window into the sub-bands.

        Parameters
        ----------
        X : array, shape (n_trials, n_channels, n_times), or mne.BaseEpochs

        Returns
        -------
        X_bands : ndarray, shape (n_trials, n_channels, n_times, n_bands)
        """
        check_is_fitted(self, "band_filters_")
        X = self._check_X(X)
        return np.stack([f.transform(X) for f in self.band_filters_], axis=-1)

    def _check_X(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """Windows the filters can process; flat ones are refused, as the decoders refuse them."""
        min_times, why = max((f.window_requirement() for f in self.band_filters_),
                             key=lambda r: r[0])
        return check_epochs_array(X, sfreq=self.sfreq, min_times=min_times, why=why)


# Parameter and attribute descriptions shared by the decoders' docstrings.
_STIMULUS_PARAMS = """freqs : sequence of float, shape (n_classes,)
        Stimulus frequencies in Hz.
    sfreq : float
        Sampling rate in Hz.
    n_harmonics : int
        Harmonics (fundamental included) in each sine reference."""
_CLASSES_ATTRIBUTES = """classes_ : ndarray, shape (n_classes,) or (n_classes + 1,)
        Sorted labels (with ``rest_label`` when a rest threshold was calibrated).
    freqs_ : ndarray, shape (n_classes,)
        Stimulus frequency of each (sorted) stimulus label, in Hz."""


class _SSVEPDecoder(ClassifierMixin, BaseEstimator):
    __doc__ = f"""Shared machinery of the SSVEP decoders (not public; see the module docstring).

    ``__init__`` stores the shared parameters below. Subclasses define ``_trained`` and
    ``_fit_bands`` / ``_score_bands``; public ones repeat the ``__init__`` signature (with their
    own defaults and extra parameters), pass the shared parameters on to it and store their own.

    Parameters
    ----------
    {_STIMULUS_PARAMS}
    labels : sequence | None, shape (n_classes,)
        Label of each frequency; None uses the frequencies.
    temperature : float
        Temperature of the softmax of ``predict_proba``.
    rest_label : hashable | None
        Label of rest (no-control) trials; see the module docstring.
    n_bands : int
        Number of filter-bank sub-bands; 1 uses the window as given (no filtering).
    band_step : float | None
        Lower edge of sub-band ``m`` is ``m * band_step`` Hz; None uses the lowest stimulus
        frequency minus 1 Hz.
    band_h_freq : float | None
        Upper edge of every sub-band in Hz; None uses ``min(90, 0.45 * sfreq)``.
    weight_a, weight_b : float
        Sub-band weights ``m ** -weight_a + weight_b``.
    causal : bool
        Causal (True) or zero-phase (False) sub-band filtering of each window.
    """

    _trained: ClassVar[bool] = True
    _n_inner_folds: ClassVar[int] = 4

    def __init__(
        self,
        freqs: Sequence[float],
        sfreq: float,
        n_harmonics: int = 3,
        labels: Sequence | None = None,
        temperature: float = 0.1,
        rest_label=None,
        n_bands: int = 1,
        band_step: float | None = None,
        band_h_freq: float | None = None,
        weight_a: float = 1.25,
        weight_b: float = 0.25,
        causal: bool = False,
    ) -> None:
        self.freqs = freqs
        self.sfreq = sfreq
        self.n_harmonics = n_harmonics
        self.labels = labels
        self.temperature = temperature
        self.rest_label = rest_label
        self.n_bands = n_bands
        self.band_step = band_step
        self.band_h_freq = band_h_freq
        self.weight_a = weight_a
        self.weight_b = weight_b
        self.causal = causal

    # ----------------------------------------------------------------- fit

    def fit(
        self, X: np.ndarray | mne.BaseEpochs | None = None, y: np.ndarray | None = None
    ) -> _SSVEPDecoder:
        """Check parameters and data, build the filter bank and learn what the method needs.

        Parameters
        ----------
        X : array, shape (n_trials, n_channels, n_times), or mne.BaseEpochs, or None
            Training EEG windows, in any unit. None only for training-free decoders without
            ``rest_label``.
        y : array, shape (n_trials,) | None
            Labels from ``labels`` (and ``rest_label``). Required by calibration-based decoders
            and by ``rest_label``.

        Returns
        -------
        self
        """
        stim_classes = self._check_params()
        self.n_channels_ = None
        self.n_times_ = None
        self.threshold_ = None
        self.classes_ = stim_classes
        if X is None:
            if y is not None:
                raise ValueError("y was given without X; pass the EEG windows X as well.")
            if self._trained or self.rest_label is not None:
                raise ValueError(
                    f"{type(self).__name__} needs training windows X and labels y"
                    + (" (rest_label is set)." if not self._trained else ".")
                )
            self._fit_bands(None, None)
            return self
        X = self._check_X(X)
        if self._trained:
            check_not_identical(X)
        if y is None:
            if self._trained or self.rest_label is not None:
                raise ValueError(
                    f"{type(self).__name__} needs labels y with the training windows"
                    + (" (rest_label is set)." if not self._trained else ".")
                )
            is_rest = np.zeros(X.shape[0], dtype=bool)
        else:
            y = check_trial_labels(y, X.shape[0])
            is_rest = self._check_y(y, stim_classes)
        self.n_channels_, self.n_times_ = X.shape[1], X.shape[2]
        Fb = self._features(self._filter_bank(X))  # once: the rest calibration reuses them
        if self.rest_label is not None:
            self.threshold_ = self._calibrate_threshold(Fb, y, is_rest, stim_classes)
        stim_idx = None if y is None else np.searchsorted(stim_classes, y[~is_rest])
        self._fit_bands(Fb[:, ~is_rest], stim_idx)
        if self.rest_label is not None:
            self.classes_ = np.sort(np.append(stim_classes, self.rest_label))
        return self

    def _check_params(self) -> np.ndarray:
        """Check the shared parameters; set ``freqs_``, band filters and weights."""
        sfreq = check_positive(self.sfreq, "sfreq")
        check_positive(self.temperature, "temperature")
        _check_int(self.n_harmonics, "n_harmonics", 1)
        n_bands = _check_int(self.n_bands, "n_bands", 1)
        freqs = _check_freqs(self.freqs, sfreq)
        labels = freqs if self.labels is None else np.asarray(self.labels)
        if labels.shape != freqs.shape:
            raise ValueError(
                f"labels must have one entry per frequency ({freqs.size}), got {self.labels!r}."
            )
        if np.unique(labels).size != labels.size:
            raise ValueError(f"labels must be distinct, got {self.labels!r}.")
        if self.rest_label is not None and np.isin(self.rest_label, labels):
            raise ValueError(f"rest_label {self.rest_label!r} is also a stimulus label {labels}.")
        order = np.argsort(labels)
        self.freqs_ = freqs[order]
        self.band_filters_ = _sub_band_filters(
            freqs, sfreq, n_bands, self.band_step, self.band_h_freq, self.causal
        )
        m = np.arange(1, n_bands + 1)
        weights = m ** -float(self.weight_a) + float(self.weight_b)
        self.band_weights_ = weights if n_bands > 1 else np.ones(1)
        return labels[order]

    def _check_y(self, y: np.ndarray, stim_classes: np.ndarray) -> np.ndarray:
        """Check label values and per-class trial counts; return the rest-trial mask."""
        known = (
            stim_classes if self.rest_label is None else np.append(stim_classes, self.rest_label)
        )
        unknown = np.setdiff1d(y, known)
        if unknown.size:
            raise ValueError(
                f"y contains labels {unknown.tolist()} that are not in labels "
                f"{stim_classes.tolist()}"
                + ("." if self.rest_label is None else f" or rest_label {self.rest_label!r}.")
            )
        is_rest = (
            np.zeros(y.size, bool) if self.rest_label is None else np.asarray(y == self.rest_label)
        )
        counts = {c: int(np.sum(y == c)) for c in stim_classes.tolist()}
        if self._trained:
            few = {c: n for c, n in counts.items() if n < 2}
            if few:
                raise ValueError(
                    f"{type(self).__name__} needs at least 2 training trials per class; "
                    f"got {few} (label: count)."
                )
        if self.rest_label is not None:
            n_min = 2 if not self._trained else self._n_inner_folds
            if is_rest.sum() < n_min or (self._trained and min(counts.values()) < n_min):
                raise ValueError(
                    f"rest_label={self.rest_label!r} needs at least {n_min} rest trials"
                    + (f" and {n_min} trials per class" if self._trained else "")
                    + f" to calibrate the rest threshold; got {int(is_rest.sum())} rest trials "
                    f"and {counts} (label: count)."
                )
        return is_rest

    def _calibrate_threshold(
        self, Fb: np.ndarray, y: np.ndarray, is_rest: np.ndarray, stim_classes: np.ndarray
    ) -> float:
        """Threshold on the best class score maximising training accuracy with rest trials.

        ``Fb`` (n_bands, n_trials, ...) are the training trials' ``_features``.
        Calibration-based decoders score out-of-fold (inner CV, fitting the bands on each inner
        training split; ``fit`` then fits them on all stimulus trials).
        """
        if self._trained:
            scores = np.empty((Fb.shape[1], stim_classes.size))
            inner = StratifiedKFold(self._n_inner_folds, shuffle=True, random_state=0)
            codes = np.unique(y, return_inverse=True)[1]  # float labels are not "multiclass"
            for train, test in inner.split(codes, codes):
                train = train[~is_rest[train]]
                self._fit_bands(Fb[:, train], np.searchsorted(stim_classes, y[train]))
                scores[test] = self._combine(self._score_bands(Fb[:, test]))
        else:
            scores = self._combine(self._score_bands(Fb))
        best, pred = scores.max(axis=1), stim_classes[scores.argmax(axis=1)]
        cuts = np.sort(best)
        candidates = np.r_[cuts[0] - 1.0, (cuts[1:] + cuts[:-1]) / 2, cuts[-1] + 1.0]
        correct_stim = (pred == y) & ~is_rest
        acc = [np.sum(np.where(best < t, is_rest, correct_stim)) for t in candidates]
        winners = np.flatnonzero(acc == np.max(acc))
        return float(candidates[winners[winners.size // 2]])

    # ----------------------------------------------------------------- decide

    def decision_function(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """Score of each class for each window (higher is more likely).

        Parameters
        ----------
        X : array, shape (n_trials, n_channels, n_times), or mne.BaseEpochs
            EEG windows.

        Returns
        -------
        scores : ndarray, shape (n_trials, n_classes)
            Correlation-scale scores in [-1, 1], columns in the order of ``classes_``. With a
            rest class, its column holds ``threshold_``.
        """
        check_is_fitted(self, "classes_")
        X = self._check_X(X, fitted=True)
        scores = check_finite_output(self._decide(X), "score")
        if self.threshold_ is None:
            return scores
        rest_col = int(np.searchsorted(self.classes_, self.rest_label))
        return np.insert(scores, rest_col, self.threshold_, axis=1)

    def _decide(self, X: np.ndarray) -> np.ndarray:
        """Combined stimulus-class scores (n_trials, n_stim_classes) of checked windows."""
        return self._combine(self._score_bands(self._features(self._filter_bank(X))))

    def _combine(self, band_scores: np.ndarray) -> np.ndarray:
        """Weighted sub-band combination (n_bands, n, K) -> (n, K) of per-band correlations."""
        if band_scores.shape[0] == 1:
            return band_scores[0]
        combined = np.einsum("b,bnk->nk", self.band_weights_, np.sign(band_scores) * band_scores**2)
        return _signed_sqrt(combined / self.band_weights_.sum())

    def predict_proba(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """Softmax of ``decision_function / temperature``.

        A monotonic normalisation (same ranking as ``decision_function``), not a calibrated
        probability.

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
        """Label of the best-scoring class (``rest_label`` when no stimulus beats the threshold).

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

    # ----------------------------------------------------------------- helpers

    def stateless_front(self) -> SubBands | None:
        """This decoder's filter bank as a separate step (None with one band).

        ``front.fit(X).transform(X)`` gives sub-band windows (n_trials, n_channels, n_times,
        n_bands) that this decoder takes as ``X`` in place of the windows: the filtering learns
        nothing, so an evaluation can run it once over all trials instead of once per fold.
        """
        if _check_int(self.n_bands, "n_bands", 1) == 1:
            return None
        return SubBands(
            self.freqs, self.sfreq, self.n_bands, self.band_step, self.band_h_freq, self.causal
        )

    def _check_X(self, X: np.ndarray | mne.BaseEpochs, fitted: bool = False) -> np.ndarray:
        """Check ``X`` (windows, or sub-band windows of ``stateless_front``).

        Windows must hold one cycle of the lowest stimulus frequency (plus TDCA's delays) and
        be long enough for the zero-phase sub-band filters; once ``fitted`` on data, they must
        have the fitted channels and, for calibration-based decoders, the fitted length.
        """
        fmin = float(np.min(self.freqs))
        extra = self._extra_samples()
        min_times = int(np.ceil(self.sfreq / fmin)) + extra
        why = f"one cycle of the lowest stimulus frequency {fmin:g} Hz" + (
            f" plus {extra} delays" if extra else ""
        )
        epochs = as_epochs(X)  # also a cross-validation split of Epochs
        X = X if epochs is None else epochs
        sub_bands = epochs is None and np.asarray(X).ndim == 4
        if self.band_filters_ and not sub_bands:
            requirements = [f.window_requirement() for f in self.band_filters_]
            min_times, why = max([(min_times, why), *requirements], key=lambda r: r[0])
        n_times, n_channels = None, None
        if fitted and self.n_channels_ is not None:
            n_channels = self.n_channels_
            if self._trained:
                n_times = self.n_times_
                why = (f"{type(self).__name__}'s templates, fitted on {self.n_times_}-sample "
                       "windows")
        check = partial(check_epochs_array, sfreq=self.sfreq, min_times=min_times,
                        n_times=n_times, why=why, n_channels=n_channels)
        if not sub_bands:
            return check(X)
        X = np.asarray(X)
        if self.n_bands == 1 or X.shape[-1] != self.n_bands:
            raise ValueError(
                f"4-D X of shape {X.shape} is read as sub-band windows (n_trials, "
                f"n_channels, n_times, n_bands) from stateless_front(), but "
                f"{type(self).__name__} has n_bands={self.n_bands}."
            )
        for band in range(X.shape[-1]):
            check(X[..., band], name=f"X[..., {band}]")
        return X.astype(np.float64, copy=False)

    def _extra_samples(self) -> int:
        return 0

    def _filter_bank(self, X: np.ndarray) -> np.ndarray:
        """Centred sub-band windows, shape (n_bands, n_trials, n_channels, n_times), of checked
        windows (or of sub-band windows from ``stateless_front``, then only centred)."""
        if X.ndim == 4:
            Xb = np.moveaxis(X, -1, 0)
        elif self.band_filters_:
            Xb = np.stack([f.transform(X) for f in self.band_filters_])
        else:
            Xb = X[None]
        return Xb - Xb.mean(axis=-1, keepdims=True)

    def _features(self, Xb: np.ndarray) -> np.ndarray:
        """What ``_fit_bands`` and ``_score_bands`` take, computed once per ``fit``: the
        centred sub-band windows Xb (n_bands, n_trials, n_channels, n_times) themselves."""
        return Xb

    def _reference_basis(self, n_times: int) -> np.ndarray:
        """Cached orthonormal sine-reference bases, shape (n_classes, n_times, 2 * n_harmonics)."""
        return _sine_reference_basis(
            tuple(self.freqs_), float(self.sfreq), int(self.n_harmonics), int(n_times)
        )

    def _fit_bands(self, Xb: np.ndarray | None, y_idx: np.ndarray | None) -> None:
        """Learn per-band state from the ``_features`` Xb (n_bands, n, ...) of stimulus trials
        and their class indices (n,)."""
        raise NotImplementedError

    def _score_bands(self, Xb: np.ndarray) -> np.ndarray:
        """Per-band class correlations (n_bands, n_trials, n_classes) from ``_features``."""
        raise NotImplementedError


class CCA(_SSVEPDecoder):
    __doc__ = f"""Standard (training-free) CCA decoder for SSVEP (Lin et al. 2006).

    The score of a class is the largest canonical correlation between the window and the sine
    reference of its frequency (with ``n_bands > 1``: the filter-bank combination, see the
    module docstring).

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
        Temperature of the softmax that turns scores into ``predict_proba``.
    rest_label : hashable | None
        Label of rest trials in ``y``; when set, ``fit`` calibrates a rest threshold on the best
        correlation and the decoder can answer ``rest_label`` ("none").
    n_bands, band_step, band_h_freq, weight_a, weight_b, causal
        Filter bank (default: none); see :class:`FBCCA`.

    Attributes
    ----------
    {_CLASSES_ATTRIBUTES}
    n_channels_ : int | None
        Number of channels seen in ``fit``; None when fitted without data.
    n_times_ : int | None
        Window length seen in ``fit`` (any length can be decoded); None without data.
    ref_basis_ : ndarray, shape (n_classes, n_times, 2 * n_harmonics) | None
        Orthonormal basis of each centred reference for the window length seen in ``fit``
        (None when fitted without data); columns of dropped harmonics are zero.
    threshold_ : float | None
        Rest threshold on the best score; None without ``rest_label``.
    band_filters_ : list of BandpassFilter
        Sub-band filters (empty for one band).
    band_weights_ : ndarray, shape (n_bands,)
        Sub-band weights.
    """

    _trained = False

    def __init__(
        self,
        freqs: Sequence[float],
        sfreq: float,
        n_harmonics: int = 3,
        labels: Sequence | None = None,
        temperature: float = 0.1,
        rest_label=None,
        n_bands: int = 1,
        band_step: float | None = None,
        band_h_freq: float | None = None,
        weight_a: float = 1.25,
        weight_b: float = 0.25,
        causal: bool = False,
    ) -> None:
        super().__init__(
            freqs, sfreq, n_harmonics, labels, temperature, rest_label, n_bands, band_step,
            band_h_freq, weight_a, weight_b, causal,
        )  # fmt: skip

    def _fit_bands(self, Xb: np.ndarray | None, y_idx: np.ndarray | None) -> None:
        self.ref_basis_ = None if Xb is None else self._reference_basis(Xb.shape[-1])

    def _score_bands(self, Xb: np.ndarray) -> np.ndarray:
        # An orthonormal basis of a window's channel space is X^T W with W the whitening of
        # its (C, C) Gram matrix, so U^T Y = W^T (X Y) never forms the (T, C) basis itself.
        n_bands, n_trials, n_channels, n_times = Xb.shape
        X = Xb.reshape(-1, n_channels, n_times)  # (N, C, T)
        lam, V = np.linalg.eigh(X @ X.swapaxes(-1, -2))  # ascending
        kept = lam > lam[..., -1:] * max(n_channels, n_times) * _EPS  # drops null directions
        W = V * np.where(kept, 1.0 / np.sqrt(np.where(kept, lam, 1.0)), 0.0)[..., None, :]
        XY = X[:, None] @ self._reference_basis(n_times)  # (N, K, C, 2H)
        cross = W.swapaxes(-1, -2)[:, None] @ XY
        corr = np.linalg.svd(cross, compute_uv=False)[..., 0]
        return np.clip(corr, 0.0, 1.0).reshape(n_bands, n_trials, -1)


class FBCCA(CCA):
    """Filter-bank CCA (Chen et al. 2015): CCA in ``n_bands`` sub-bands, weighted.

    Sub-band ``m`` (1-based) is a 4th-order Butterworth band-pass ``[m * band_step,
    band_h_freq]`` Hz applied to each window (zero-phase unless ``causal``), weighted
    ``m ** -weight_a + weight_b``; Chen's defaults are ``band_step = 8`` Hz for 8–15.8 Hz stimuli,
    ``band_h_freq = 88`` Hz, ``a = 1.25``, ``b = 0.25``. Parameters and attributes are those of
    :class:`CCA`; the default ``band_step`` (None) adapts to the stimuli: lowest frequency − 1 Hz.
    """

    def __init__(
        self,
        freqs: Sequence[float],
        sfreq: float,
        n_harmonics: int = 3,
        labels: Sequence | None = None,
        temperature: float = 0.1,
        rest_label=None,
        n_bands: int = 5,
        band_step: float | None = None,
        band_h_freq: float | None = None,
        weight_a: float = 1.25,
        weight_b: float = 0.25,
        causal: bool = False,
    ) -> None:
        super().__init__(
            freqs, sfreq, n_harmonics, labels, temperature, rest_label, n_bands, band_step,
            band_h_freq, weight_a, weight_b, causal,
        )  # fmt: skip


class _TemplateDecoder(_SSVEPDecoder):
    """Calibration-based decoders: class-mean templates (``__init__`` is the base's)."""

    @staticmethod
    def _class_means(Xb: np.ndarray, y_idx: np.ndarray, n_classes: int) -> np.ndarray:
        """Class-mean windows (n_bands, n_classes, C, T) of Xb (n_bands, n, C, T)."""
        onehot = np.eye(n_classes)[y_idx]  # (n, K)
        weights = (onehot / onehot.sum(axis=0)).T  # (K, n)
        n_bands, n = Xb.shape[:2]
        return (weights @ Xb.reshape(n_bands, n, -1)).reshape(n_bands, n_classes, *Xb.shape[2:])


_TEMPLATE_PARAMS = f"""
    Parameters
    ----------
    {_STIMULUS_PARAMS}
    labels : sequence | None, shape (n_classes,)
        Label of each frequency; None uses the frequencies themselves. ``y`` in ``fit`` must use
        these labels (and ``rest_label``).
    temperature : float
        Temperature of the softmax of ``predict_proba``.
    rest_label : hashable | None
        Label of rest trials in ``y``: they are not a template class; a rest threshold on the best
        score is calibrated from out-of-fold scores (inner 4-fold CV), see the module docstring.
    n_bands, band_step, band_h_freq, weight_a, weight_b, causal
        Filter bank, as in :class:`FBCCA` (default: one band, no filtering).

    Attributes
    ----------
    {_CLASSES_ATTRIBUTES}
    n_channels_, n_times_ : int
        Channels and window length seen in ``fit``; windows to decode must have the same length.
    templates_ : ndarray, shape (n_bands, n_classes, n_channels, n_times)
        Centred class-mean training windows per sub-band.
    threshold_ : float | None
        Rest threshold; None without ``rest_label``.
"""


class ECCA(_TemplateDecoder):
    __doc__ = (
        """Extended CCA with individual templates (Chen et al. 2015, PNAS; Nakanishi et al. 2014).

    For a window ``X``, class template ``T`` (mean training window) and sine reference ``Y``,
    four correlations are combined as ``sum_i sign(r_i) r_i^2`` (reported as its signed root):
    ``r1`` = CCA(X, Y); ``r2`` = corr(X w, T w) with w the X-side CCA weights of (X, T);
    ``r3`` = corr(X w, T w) with w the X-side weights of (X, Y); ``r4`` = corr(X w, T w) with w
    the T-side weights of (T, Y), learned in ``fit``.
"""
        + _TEMPLATE_PARAMS
        + """    template_basis_ : ndarray, shape (n_bands, n_classes, n_times, n_channels)
        Orthonormal basis of each template (for r2).
    template_ref_weights_ : ndarray, shape (n_bands, n_classes, n_channels)
        Template-side CCA weights of (template, reference) (for r4).
"""
    )

    def _fit_bands(self, Xb: np.ndarray, y_idx: np.ndarray) -> None:
        self.templates_ = self._class_means(Xb, y_idx, self.freqs_.size)
        Tt = self.templates_.transpose(0, 1, 3, 2)  # (B, K, T, C)
        U, inv_s, V = _orthonormal_basis(Tt)
        self.template_basis_ = U
        P, _, _ = np.linalg.svd(np.einsum("bktc,kth->bkch", U, self._refs()))
        self.template_ref_weights_ = np.einsum("bkcd,bkd->bkc", V, inv_s * P[..., :, 0])

    def _refs(self) -> np.ndarray:
        return self._reference_basis(self.n_times_)

    def _score_bands(self, Xb: np.ndarray) -> np.ndarray:
        Xt = Xb.transpose(0, 1, 3, 2)  # (B, n, T, C)
        Tt = self.templates_.transpose(0, 1, 3, 2)  # (B, K, T, C)
        Ux, inv_sx, Vx = _orthonormal_basis(Xt)
        Ut = self.template_basis_

        def x_weights(cross: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            P, s, _ = np.linalg.svd(cross)
            w = np.einsum("bncd,bnkd->bnkc", Vx, inv_sx[:, :, None, :] * P[..., :, 0])
            return s[..., 0], w

        def corr_xt(w: np.ndarray) -> np.ndarray:
            return _corr(np.einsum("bntc,bnkc->bnkt", Xt, w), np.einsum("bktc,bnkc->bnkt", Tt, w))

        r1, w_xy = x_weights(np.einsum("bntc,kth->bnkch", Ux, self._refs()))
        _, w_xt = x_weights(np.einsum("bntc,bktd->bnkcd", Ux, Ut))
        w_ty = np.broadcast_to(self.template_ref_weights_[:, None], w_xy.shape)
        r = np.stack([np.clip(r1, 0, 1), corr_xt(w_xt), corr_xt(w_xy), corr_xt(w_ty)])
        return _signed_sqrt(np.mean(np.sign(r) * r**2, axis=0))


class TRCA(_TemplateDecoder):
    __doc__ = (
        """Task-related component analysis, ensemble by default (Nakanishi et al. 2018).

    For each class, the spatial filter ``w`` maximises the covariance between its training
    trials relative to their total variance: the top eigenvector of the generalized
    eigenproblem ``S w = lambda Q w`` with ``S = sum_{i != j} X_i X_j^T`` and
    ``Q = sum_i X_i X_i^T`` (:func:`scipy.linalg.eigh`). A window's score for class k is the
    correlation of the filtered window with the filtered class template; the ensemble version
    uses the filters of all classes at once (2-D correlation). The sine reference is not used.
"""
        + _TEMPLATE_PARAMS
        + """    filters_ : ndarray, shape (n_bands, n_channels, n_classes)
        Spatial filter of each class per sub-band.
    ensemble : bool
        (parameter) Use all classes' filters for every class (eTRCA) if True.
"""
    )

    def __init__(
        self,
        freqs: Sequence[float],
        sfreq: float,
        n_harmonics: int = 3,
        labels: Sequence | None = None,
        temperature: float = 0.1,
        rest_label=None,
        n_bands: int = 1,
        band_step: float | None = None,
        band_h_freq: float | None = None,
        weight_a: float = 1.25,
        weight_b: float = 0.25,
        causal: bool = False,
        ensemble: bool = True,
    ) -> None:
        super().__init__(
            freqs, sfreq, n_harmonics, labels, temperature, rest_label, n_bands, band_step,
            band_h_freq, weight_a, weight_b, causal,
        )  # fmt: skip
        self.ensemble = ensemble

    def _fit_bands(self, Xb: np.ndarray, y_idx: np.ndarray) -> None:
        n_classes = self.freqs_.size
        self.templates_ = self._class_means(Xb, y_idx, n_classes)
        n_bands, _, n_channels, _ = Xb.shape
        self.filters_ = np.empty((n_bands, n_channels, n_classes))
        for b in range(n_bands):
            for k in range(n_classes):
                trials = Xb[b, y_idx == k]  # (n_k, C, T)
                total = trials.sum(axis=0)
                Q = (trials @ trials.swapaxes(-1, -2)).sum(axis=0)
                S = total @ total.T - Q
                Q += np.eye(n_channels) * np.trace(Q) * 1e-9  # rank-deficient montages
                with singular_as_value_error(
                    f"TRCA cannot fit class {self.classes_[k]!r} in sub-band {b + 1}: the "
                    "covariance of its training windows is singular"
                ):
                    _, vecs = eigh(S, Q, subset_by_index=[n_channels - 1, n_channels - 1])
                self.filters_[b, :, k] = vecs[:, 0]

    def _score_bands(self, Xb: np.ndarray) -> np.ndarray:
        if self.ensemble:
            Zx = np.einsum("bnct,bcf->bnft", Xb, self.filters_)[:, :, None]  # (B, n, 1, F, T)
            Zt = np.einsum("bkct,bcf->bkft", self.templates_, self.filters_)[:, None]
            return _corr(Zx, Zt, n_axes=2)
        Zx = np.einsum("bnct,bck->bnkt", Xb, self.filters_)
        Zt = np.einsum("bkct,bck->bkt", self.templates_, self.filters_)[:, None]
        return _corr(Zx, Zt)


class TDCA(_TemplateDecoder):
    __doc__ = (
        """Task-discriminant component analysis (Liu et al. 2021).

    Each window is delay-embedded (``n_delays`` copies shifted by 0..n_delays-1 samples, so the
    usable length is ``n_times - n_delays + 1``) and augmented with its projection onto the
    class's sine reference: ``A_k = [X~, X~ P_k]`` with ``P_k = Q_k Q_k^T``. Spatial filters
    ``W`` are the top ``n_components`` eigenvectors of the between-class versus within-class
    scatter of the augmented training windows (``scipy.linalg.eigh``). A window's score for
    class k is the 2-D correlation of ``W^T A_k`` with the class's filtered mean.
"""
        + _TEMPLATE_PARAMS
        + """    filters_ : ndarray, shape (n_bands, n_channels * n_delays, n_components)
        Discriminant filters per sub-band. (Here ``templates_`` holds the filtered augmented
        class means, shape (n_bands, n_classes, n_components, 2 * (n_times - n_delays + 1)).)
    n_delays : int
        (parameter) Number of delays (1 = no embedding).
    n_components : int
        (parameter) Number of discriminant components.
"""
    )

    def __init__(
        self,
        freqs: Sequence[float],
        sfreq: float,
        n_harmonics: int = 3,
        labels: Sequence | None = None,
        temperature: float = 0.1,
        rest_label=None,
        n_bands: int = 1,
        band_step: float | None = None,
        band_h_freq: float | None = None,
        weight_a: float = 1.25,
        weight_b: float = 0.25,
        causal: bool = False,
        n_delays: int = 5,
        n_components: int = 2,
    ) -> None:
        super().__init__(
            freqs, sfreq, n_harmonics, labels, temperature, rest_label, n_bands, band_step,
            band_h_freq, weight_a, weight_b, causal,
        )  # fmt: skip
        self.n_delays = n_delays
        self.n_components = n_components

    def _extra_samples(self) -> int:
        return _check_int(self.n_delays, "n_delays", 1) - 1

    def _features(self, Xb: np.ndarray) -> np.ndarray:
        """Delay embedding (..., C, T) -> (..., C * n_delays, T - n_delays + 1), centred."""
        n_used = Xb.shape[-1] - self.n_delays + 1
        E = np.concatenate([Xb[..., d : d + n_used] for d in range(self.n_delays)], axis=-2)
        return E - E.mean(axis=-1, keepdims=True)

    def _augment(self, Z: np.ndarray) -> np.ndarray:
        """[Z, Z P_k] for every class k: (..., F, T') -> (..., K, F, 2T')."""
        Q = self._reference_basis(Z.shape[-1])  # (K, T', 2H)
        proj = (Z[..., None, :, :] @ Q) @ Q.swapaxes(-1, -2)  # (..., K, F, T')
        Z = np.broadcast_to(Z[..., None, :, :], proj.shape)
        return np.concatenate([Z, proj], axis=-1)

    def _fit_bands(self, E: np.ndarray, y_idx: np.ndarray) -> None:
        n_classes = self.freqs_.size
        n_bands, n_trials, n_features, n_used = E.shape
        n_comp = _check_int(self.n_components, "n_components", 1)
        if n_comp > n_features:
            raise ValueError(
                f"n_components must be <= n_channels * n_delays = {n_features}, got {n_comp}."
            )
        # Augmented trials A_i = [E_i, E_i P_i] with P_i = Q_i Q_i^T (own class's reference),
        # a projection: A_i A_i^T = E_i E_i^T + (E_i Q_i)(E_i Q_i)^T.
        Q = self._reference_basis(n_used)  # (K, T', 2H)
        EQ = E @ Q[y_idx]  # (B, n, F, 2H)
        total = (E @ E.swapaxes(-1, -2) + EQ @ EQ.swapaxes(-1, -2)).sum(axis=1)  # (B, F, F)
        class_E = self._class_means(E, y_idx, n_classes)  # (B, K, F, T')
        means = np.concatenate([class_E, (class_E @ Q) @ Q.swapaxes(-1, -2)], axis=-1)
        counts = np.bincount(y_idx, minlength=n_classes)
        # within-class scatter: sum_i (A_i - M_k)(A_i - M_k)^T
        #   = sum_i A_i A_i^T - sum_k n_k M_k M_k^T (M_k: class means)
        of_means = (counts[:, None, None] * means @ means.swapaxes(-1, -2)).sum(axis=1)
        Sw = (total - of_means) / n_trials
        Hb = means - means.mean(axis=1, keepdims=True)
        Sb = (Hb @ Hb.swapaxes(-1, -2)).sum(axis=1) / n_classes  # (B, F, F)
        self.filters_ = np.empty((n_bands, n_features, n_comp))
        for b in range(n_bands):
            Sw[b] += np.eye(n_features) * np.trace(Sw[b]) * 1e-9
            with singular_as_value_error(
                f"TDCA cannot fit sub-band {b + 1}: the within-class scatter of the training "
                "windows is singular (e.g. identical trials within each class)"
            ):
                _, vecs = eigh(Sb[b], Sw[b], subset_by_index=[n_features - n_comp, n_features - 1])
            self.filters_[b] = vecs
        self.templates_ = self.filters_.swapaxes(-1, -2)[:, None] @ means  # (B, K, m, 2T')

    def _score_bands(self, E: np.ndarray) -> np.ndarray:
        Z = self.filters_.swapaxes(-1, -2)[:, None] @ E  # filter, then augment
        return _corr(self._augment(Z), self.templates_[:, None], n_axes=2)


class FBSpatialLDA(_SSVEPDecoder):
    __doc__ = f"""Filter-bank SSVEP power, learned spatial filters, shrinkage LDA; rest learned.

    Phase-invariant (for stimuli that are not phase-locked to the cue, e.g. ssvep-exo's LEDs)
    and trained. Per sub-band ``b`` and stimulus class ``k`` a window ``X`` (C, T) gives its
    power at the class's frequencies, ``S_k = X Q_k Q_k^T X^T`` (``Q_k``: orthonormal sine
    reference, fundamental and harmonics), and its total ``R = X X^T``. ``fit`` learns, from the
    training windows of class ``k``, the ``n_filters`` spatial filters ``w`` maximising
    ``w^T S_k w / w^T R w`` on their means (generalized eigenvectors, :func:`scipy.linalg.eigh`).
    Features of a window (:meth:`window_features`): ``log(w^T S_k w / w^T R w)`` for every band,
    class and filter (``features`` "filters" or "both") and the log squared CCA correlation of
    each band and class (the window's own best filter, as :class:`FBCCA`; "cca" or "both"); with
    ``covariance=True`` also the tangent-space vector (``C (C + 1) / 2`` values) of the window's
    Ledoit-Wolf covariance (pyRiemann ``Covariances("lwf")``: the window as given, e.g. the
    paradigm's 7-45 Hz band, not the sub-bands) at the Riemannian mean of the training windows'
    covariances (``pyriemann.tangentspace.TangentSpace``, fitted in ``fit``). The covariance
    carries what the power at the stimulus frequencies does not, e.g. the spatial pattern of
    the alpha rhythm and of broadband power, which tells rest from stimulation. All features are
    standardised and classified by linear discriminant analysis with Ledoit-Wolf shrinkage
    (scikit-learn ``lsqr``); rest trials (``rest_label``) are a class of their own, so the rest
    model is learnt, not a threshold.

    Parameters
    ----------
    {_STIMULUS_PARAMS}
    labels : sequence | None, shape (n_classes,)
        Label of each frequency; None uses the frequencies themselves.
    rest_label : hashable | None
        Label of rest trials in ``y`` (a class without spatial filters); None: no rest class.
    n_bands, band_step, band_h_freq, causal
        Filter bank, as in :class:`FBCCA` (default 2 sub-bands; the band weights are unused:
        the LDA weighs the features). The defaults (3 harmonics, 2 bands) were chosen on the
        ssvep-exo developer subjects (``experiments/ssvep_methods_benchmark.py``);
        :class:`FBSpatialLDACV` chooses them per training set instead.
    n_filters : int
        Spatial filters per band and class.
    features : {"both", "filters", "cca"}
        Which SSVEP features the LDA sees ("filters" and "cca" are the ablations).
    covariance : bool
        Add the covariance tangent-space features (then ``X`` must be windows, not sub-band
        windows, and ``stateless_front()`` is None: the filter bank runs inside). Default False
        (the features of the original method); :class:`FBSpatialLDAEnsemble` uses both.
    temperature, weight_a, weight_b
        Unused (the shared signature of the SSVEP decoders); ``predict_proba`` is the LDA's.

    Attributes
    ----------
    {_CLASSES_ATTRIBUTES}
    n_channels_, n_times_ : int
        Channels and window length seen in ``fit``; windows to decode must have that length
        (the features' scale depends on it).
    filters_ : ndarray, shape (n_bands, n_stim_classes, n_channels, n_filters)
        Learned spatial filters.
    tangent_space_ : pyriemann.tangentspace.TangentSpace | None
        Reference point of the covariance features (None without ``covariance``).
    scaler_ : sklearn.preprocessing.StandardScaler
    lda_ : sklearn.discriminant_analysis.LinearDiscriminantAnalysis
    """

    _trained: ClassVar[bool] = True

    def __init__(
        self,
        freqs: Sequence[float],
        sfreq: float,
        n_harmonics: int = 3,
        labels: Sequence | None = None,
        temperature: float = 0.1,
        rest_label=None,
        n_bands: int = 2,
        band_step: float | None = None,
        band_h_freq: float | None = None,
        weight_a: float = 1.25,
        weight_b: float = 0.25,
        causal: bool = False,
        n_filters: int = 1,
        features: str = "both",
        covariance: bool = False,
    ) -> None:
        super().__init__(
            freqs, sfreq, n_harmonics, labels, temperature, rest_label, n_bands, band_step,
            band_h_freq, weight_a, weight_b, causal,
        )  # fmt: skip
        self.n_filters = n_filters
        self.features = features
        self.covariance = covariance

    def fit(self, X: np.ndarray | mne.BaseEpochs, y: np.ndarray) -> FBSpatialLDA:
        """Learn the spatial filters and the classifier.

        Parameters
        ----------
        X : array, shape (n_trials, n_channels, n_times[, n_bands]), or mne.BaseEpochs
            Training windows (or, without ``covariance``, sub-band windows from
            ``stateless_front()``), in any unit.
        y : array, shape (n_trials,)
            Labels from ``labels`` and ``rest_label``; at least 4 trials per class.

        Returns
        -------
        self
        """
        from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
        from sklearn.preprocessing import StandardScaler

        stim_classes = self._check_params()
        n_filters = _check_int(self.n_filters, "n_filters", 1)
        if self.features not in ("both", "filters", "cca"):
            raise ValueError(f"features must be 'both', 'filters' or 'cca', got {self.features!r}.")
        if not isinstance(self.covariance, bool | np.bool_):
            raise TypeError(f"covariance must be a bool, got {self.covariance!r}.")
        if X is None:
            raise ValueError("FBSpatialLDA needs training windows X.")
        X = self._check_X(X)
        if y is None:
            raise ValueError("FBSpatialLDA needs labels y.")
        check_not_identical(X)
        y = check_trial_labels(y, X.shape[0])
        is_rest = self._check_y(y, stim_classes)
        if self.rest_label is None and min(np.sum(y == c) for c in stim_classes) < 2:
            raise ValueError("FBSpatialLDA needs at least 2 training trials per class.")
        if n_filters > X.shape[1]:
            raise ValueError(f"n_filters must be <= n_channels = {X.shape[1]}, got {n_filters}.")
        self.n_channels_, self.n_times_ = X.shape[1], X.shape[2]
        self.threshold_ = None
        S, R = self._powers(self._filter_bank(X))
        n_bands, _, n_classes, n_channels, _ = S.shape
        self.filters_ = np.empty((n_bands, n_classes, n_channels, n_filters))
        for b in range(n_bands):
            for k in range(n_classes):
                own = ~is_rest & (y == stim_classes[k])
                signal, total = S[b, own, k].mean(axis=0), R[b, own].mean(axis=0)
                total = total + np.eye(n_channels) * np.trace(total) * 1e-9
                with singular_as_value_error(
                    f"FBSpatialLDA cannot fit class {stim_classes[k]!r} in sub-band {b + 1}: "
                    "the covariance of its training windows is singular"
                ):
                    _, vecs = eigh(signal, total, subset_by_index=[n_channels - n_filters,
                                                                   n_channels - 1])
                self.filters_[b, k] = vecs
        self.tangent_space_ = None
        F = self._feature_matrix(S, R)
        if self.covariance:
            from pyriemann.tangentspace import TangentSpace

            covs = self._covariances(X)
            self.tangent_space_ = TangentSpace(metric="riemann").fit(covs)
            F = np.hstack([F, self.tangent_space_.transform(covs)])
        self.scaler_ = StandardScaler().fit(F)
        self.lda_ = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")
        self.lda_.fit(self.scaler_.transform(F), y)
        self.classes_ = self.lda_.classes_
        return self

    def _powers(self, Xb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sine-projected and total covariances of centred sub-band windows Xb (B, n, C, T):
        S (B, n, K, C, C) and R (B, n, C, C)."""
        XQ = np.einsum("bnct,kth->bnkch", Xb, self._reference_basis(Xb.shape[-1]))
        return XQ @ XQ.swapaxes(-1, -2), Xb @ Xb.swapaxes(-1, -2)

    def _feature_matrix(self, S: np.ndarray, R: np.ndarray) -> np.ndarray:
        """Features (n_trials, n_features) from ``_powers``; see the class docstring."""
        tiny = np.finfo(float).tiny
        W = self.filters_
        num = np.einsum("bnkcd,bkcf,bkdf->nbkf", S, W, W)
        den = np.einsum("bncd,bkcf,bkdf->nbkf", R, W, W)
        ratio = np.log(np.maximum(num, tiny) / np.maximum(den, tiny)).reshape(len(num), -1)
        features = [] if self.features == "cca" else [ratio]
        if self.features != "filters":  # top generalized eigenvalue of (S_k, R): squared CCA
            lam, V = np.linalg.eigh(R)
            kept = lam > lam[..., -1:] * max(R.shape[-1], self.n_times_) * _EPS
            Wr = V * np.where(kept, 1.0 / np.sqrt(np.where(kept, lam, 1.0)), 0.0)[..., None, :]
            M = Wr.swapaxes(-1, -2)[:, :, None] @ S @ Wr[:, :, None]
            r2 = np.linalg.eigvalsh(M)[..., -1]  # (B, n, K)
            features.append(np.log(np.clip(r2, tiny, 1.0)).transpose(1, 0, 2).reshape(len(num), -1))
        return np.hstack(features)

    def _covariances(self, X: np.ndarray) -> np.ndarray:
        """Ledoit-Wolf covariances (n_trials, n_channels, n_channels) of checked windows."""
        from pyriemann.estimation import Covariances

        return Covariances(estimator="lwf").transform(X)

    def _check_X(self, X: np.ndarray | mne.BaseEpochs, fitted: bool = False) -> np.ndarray:
        X = super()._check_X(X, fitted)
        if self.covariance and X.ndim == 4:
            raise ValueError(
                f"FBSpatialLDA with covariance=True needs windows (n_trials, n_channels, "
                f"n_times), got sub-band windows of shape {X.shape}: the covariance features "
                "are of the window itself (stateless_front() is None then)."
            )
        return X

    def stateless_front(self) -> SubBands | None:
        """The filter bank as a separate step, as the other SSVEP decoders'; None with
        ``covariance`` (its features need the windows themselves) or one band."""
        return None if self.covariance else super().stateless_front()

    def window_features(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """The standardised features the LDA sees, shape (n_trials, n_features):
        ``n_bands * n_stim_classes * n_filters`` filter features, then ``n_bands *
        n_stim_classes`` CCA features (as ``features`` selects), then ``C (C + 1) / 2``
        covariance features with ``covariance``."""
        check_is_fitted(self, "lda_")
        X = self._check_X(X, fitted=True)
        F = self._feature_matrix(*self._powers(self._filter_bank(X)))
        if self.tangent_space_ is not None:
            F = np.hstack([F, self.tangent_space_.transform(self._covariances(X))])
        return self.scaler_.transform(F)

    def decision_function(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """LDA scores, shape (n_trials, n_classes) (``classes_`` order; 2 classes: (n_trials,))."""
        features = self.window_features(X)  # checks that it is fitted first
        return check_finite_output(self.lda_.decision_function(features), "score")

    def predict_proba(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """LDA posterior probabilities, shape (n_trials, n_classes)."""
        features = self.window_features(X)
        return self.lda_.predict_proba(features)

    def predict(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """Most probable label of each window, shape (n_trials,)."""
        features = self.window_features(X)
        return self.lda_.predict(features)


_FBSPATIAL_SETTINGS = (
    {"n_bands": 2, "n_harmonics": 3},
    {"n_bands": 3, "band_step": 8.0, "n_harmonics": 3},
    {"n_bands": 3, "n_harmonics": 2},
)
"""The :class:`FBSpatialLDA` settings that :class:`FBSpatialLDACV` chooses from and
:class:`FBSpatialLDAEnsemble` averages (each with and without ``covariance`` there)."""


def _fbspatial_members(
    owner: BaseEstimator, candidates: Sequence[dict], X, y
) -> tuple[FBSpatialLDA, list[dict], np.ndarray]:
    """Check the candidates and data of an FBSpatialLDA wrapper ``owner``; return the base
    estimator (the owner's shared parameters), the candidates as a list, and ``y`` as an array."""
    candidates = list(candidates) if isinstance(candidates, list | tuple) else candidates
    if not candidates or not all(isinstance(c, dict) for c in candidates):
        raise ValueError(f"candidates must be a non-empty list of parameter mappings, got "
                         f"{owner.candidates!r}.")
    if not (isinstance(X, mne.BaseEpochs) or (isinstance(X, np.ndarray) and X.ndim == 4)):
        check_epochs_array(X, sfreq=owner.sfreq)  # windows, else a clear error
    if y is None:
        raise ValueError(f"{type(owner).__name__} needs labels y.")
    base = FBSpatialLDA(owner.freqs, owner.sfreq, labels=owner.labels,
                        rest_label=owner.rest_label, band_h_freq=owner.band_h_freq)
    unknown = sorted({k for c in candidates for k in c} - set(base.get_params()))
    if unknown:
        raise ValueError(f"candidates name unknown FBSpatialLDA parameter(s) {unknown}.")
    return base, candidates, check_trial_labels(y, len(y))


class FBSpatialLDACV(ClassifierMixin, BaseEstimator):
    """:class:`FBSpatialLDA` with its settings chosen by inner cross-validation of each
    training set (nested: the test trials are never seen by the choice).

    Parameters
    ----------
    freqs, sfreq, labels, rest_label
        As :class:`FBSpatialLDA`.
    candidates : sequence of dict | None
        Settings to choose from (``FBSpatialLDA`` parameters); None: 2 sub-bands with 3
        harmonics, 3 sub-bands from 8 Hz with 3 harmonics, 3 sub-bands with 2 harmonics.
    n_inner : int
        Inner stratified folds (shuffled, seed ``random_state``).
    random_state : int
        Seed of the inner folds.
    band_h_freq : float | None
        Upper edge of the sub-bands (Hz), shared by every candidate.

    Attributes
    ----------
    best_params_ : dict
        The chosen candidate.
    best_estimator_ : FBSpatialLDA
        Refitted on the whole training set.
    classes_ : ndarray
    """

    def __init__(
        self,
        freqs: Sequence[float],
        sfreq: float,
        labels: Sequence | None = None,
        rest_label=None,
        candidates: Sequence[dict] | None = None,
        n_inner: int = 4,
        random_state: int = 0,
        band_h_freq: float | None = None,
    ) -> None:
        self.freqs = freqs
        self.sfreq = sfreq
        self.labels = labels
        self.rest_label = rest_label
        self.candidates = candidates
        self.n_inner = n_inner
        self.random_state = random_state
        self.band_h_freq = band_h_freq

    def fit(self, X: np.ndarray | mne.BaseEpochs, y: np.ndarray) -> FBSpatialLDACV:
        """Choose a candidate by inner CV accuracy (first best wins), refit it on all of X."""
        from sklearn.model_selection import GridSearchCV

        candidates = self.candidates if self.candidates is not None else _FBSPATIAL_SETTINGS
        base, candidates, y_arr = _fbspatial_members(self, candidates, X, y)
        grid = [{k: [v] for k, v in c.items()} for c in candidates]
        n_inner = _check_int(self.n_inner, "n_inner", 2)
        inner = StratifiedKFold(n_inner, shuffle=True, random_state=self.random_state)
        codes = np.unique(y_arr, return_inverse=True)[1]
        search = GridSearchCV(base, grid, cv=list(inner.split(codes, codes)), error_score="raise")
        search.fit(X, y_arr)
        self.best_params_ = search.best_params_
        self.best_estimator_ = search.best_estimator_
        self.classes_ = self.best_estimator_.classes_
        return self

    def decision_function(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """The chosen model's scores, shape (n_trials, n_classes)."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.decision_function(X)

    def predict_proba(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """The chosen model's probabilities, shape (n_trials, n_classes)."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict_proba(X)

    def predict(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """The chosen model's labels, shape (n_trials,)."""
        check_is_fitted(self, "best_estimator_")
        return self.best_estimator_.predict(X)


class FBSpatialLDAEnsemble(ClassifierMixin, BaseEstimator):
    """Average of :class:`FBSpatialLDA` models with different settings (no choice to overfit).

    Each candidate setting is fitted on the whole training set; a window's class probabilities
    are the mean of the members' LDA posteriors. Unlike :class:`FBSpatialLDACV`, nothing is
    chosen, so the few trials of a within-session training set (ssvep-exo: about 26) are not
    spent on an inner CV whose choice is noisy. The default members are the three settings
    :class:`FBSpatialLDACV` chooses from (2 sub-bands with 3 harmonics, 3 sub-bands from 8 Hz
    with 3 harmonics, 3 sub-bands with 2 harmonics), each without and with the covariance
    tangent-space features (``covariance``), six members in all. This default was fixed after
    trying, on the ssvep-exo developer subjects, covariance features alone and in the
    ensemble, inner-CV choices among them and a few other feature sets
    (``experiments/ssvep_methods_benchmark.py`` reports the ablations; the docstring there lists
    what was tried).

    Parameters
    ----------
    freqs, sfreq, labels, rest_label
        As :class:`FBSpatialLDA`.
    candidates : sequence of dict | None
        ``FBSpatialLDA`` parameters of each member; None: the default above.
    band_h_freq : float | None
        Upper edge of the sub-bands (Hz), shared by every member.

    Attributes
    ----------
    estimators_ : list of FBSpatialLDA
        The fitted members, in ``candidates`` order.
    classes_ : ndarray, shape (n_classes,)
        Sorted labels (stimulus labels and ``rest_label``), the same for every member.
    """

    def __init__(
        self,
        freqs: Sequence[float],
        sfreq: float,
        labels: Sequence | None = None,
        rest_label=None,
        candidates: Sequence[dict] | None = None,
        band_h_freq: float | None = None,
    ) -> None:
        self.freqs = freqs
        self.sfreq = sfreq
        self.labels = labels
        self.rest_label = rest_label
        self.candidates = candidates
        self.band_h_freq = band_h_freq

    def fit(self, X: np.ndarray | mne.BaseEpochs, y: np.ndarray) -> FBSpatialLDAEnsemble:
        """Fit every member on all of X.

        Parameters
        ----------
        X : array, shape (n_trials, n_channels, n_times), or mne.BaseEpochs
            Training windows (sub-band windows only when no member has ``covariance``).
        y : array, shape (n_trials,)
            Labels from ``labels`` and ``rest_label``.

        Returns
        -------
        self
        """
        from sklearn.base import clone

        candidates = self.candidates if self.candidates is not None else [
            {**setting, "covariance": covariance}
            for setting in _FBSPATIAL_SETTINGS for covariance in (False, True)
        ]
        base, candidates, y_arr = _fbspatial_members(self, candidates, X, y)
        self.estimators_ = [clone(base).set_params(**c).fit(X, y_arr) for c in candidates]
        self.classes_ = self.estimators_[0].classes_
        return self

    def predict_proba(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """Mean of the members' LDA posteriors, shape (n_trials, n_classes) (rows sum to 1)."""
        check_is_fitted(self, "estimators_")
        return np.mean([e.predict_proba(X) for e in self.estimators_], axis=0)

    def decision_function(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """Log of ``predict_proba``, shape (n_trials, n_classes) (same arg-max)."""
        proba = self.predict_proba(X)
        return check_finite_output(np.log(np.maximum(proba, np.finfo(float).tiny)), "score")

    def predict(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """Most probable label of each window (mean posterior), shape (n_trials,)."""
        proba = self.predict_proba(X)  # checks that it is fitted first
        return self.classes_[np.argmax(proba, axis=1)]
