"""Input and output checks shared by all decoders.

Every decoder takes EEG windows as a NumPy array of shape (n_trials, n_channels, n_times) or as
an :class:`mne.BaseEpochs`. scikit-learn's ``check_array`` only knows 1-D/2-D data, so the 3-D
checks (shape, sampling rate, channel count, window length, finite samples, flat channels) are
written here by hand, each naming the trial and channel or the value at fault.

The contract every decoder keeps, in ``fit`` and in ``predict``/``predict_proba``/
``decision_function``: a ``ValueError`` that says what is wrong, or a finite result of the
documented shape. Windows are refused when they are not finite, hold a sample beyond
:data:`MAX_ABS_SAMPLE`, have a flat channel (:data:`FLAT_VARIANCE_FLOOR`), are shorter than the
decoder needs (the fitted window, a stimulus cycle, a zero-phase filter's padding) or than 2
samples, have another length than a model needs (templates, network input) or another channel
count than fitted. Degenerate fits (identical training windows, singular covariances) and
non-finite outputs are ``ValueError`` too (:func:`check_not_identical`,
:func:`singular_as_value_error`, :func:`check_finite_output`). Recordings read from files are
bounded before their samples are read (:func:`load_samples`).
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from contextlib import contextmanager

import mne
import numpy as np
from scipy import sparse

_EPOCHS_SHAPE = "(n_trials, n_channels, n_times)"

FLAT_VARIANCE_FLOOR = 1e-20
"""Per-channel variance of a window (signal unit squared: V² or µV²) at or below which the
channel is flat and the window is refused.

The variance is taken about the channel's first sample, so a constant channel (all zeros, a
constant 1 µV, a saturated or disconnected electrode) has variance exactly 0 at any DC offset
and in any unit. 1e-20 is a standard deviation of 1e-10 unit (0.1 nV in volts, 1e-7 nV in
µV), orders of magnitude below any EEG amplifier's noise (about 0.5 µV rms, a variance of 2.5e-13
V²). The smallest real per-channel window variance on the bundled recordings is 7.7e-12 V²
(eegmmidb subject 4 after the 8-32 Hz band-pass; ssvep-exo's narrowest 1-Hz sub-band: 5.2e-9),
8 orders of magnitude above the floor.
"""

MAX_ABS_SAMPLE = 1e15
"""Largest accepted absolute sample value (signal unit): EEG is below 1 V, 1e6 µV or 2^31 ADC
counts. Beyond 1e15 a window is not EEG in any unit; the bound also keeps products of samples
(covariances, filter states) far from float64 overflow."""


MAX_RECORDING_SAMPLES = 2**28
"""Most samples (channels x time points) a recording may hold to be read into memory: 2 GiB as
float64, e.g. 64 channels for 4.5 h at 256 Hz (the largest bundled or ``shared/data`` recording,
``noir/sample_data/eegmmidb_s001_raw.fif``, holds 1.9 million).
A file that declares more, such as a small compressed FIF (``.fif.gz``) that would unpack into
gigabytes, is refused before its samples are read (:func:`load_samples`)."""


class RecordingTooLarge(ValueError):
    """A recording holds more than :data:`MAX_RECORDING_SAMPLES`; the message names it."""


def load_samples(raw: mne.io.BaseRaw, source: str) -> mne.io.BaseRaw:
    """Read the samples of ``raw`` (opened with ``preload=False``) into memory and return it.

    Raises
    ------
    RecordingTooLarge
        If it holds more than :data:`MAX_RECORDING_SAMPLES` (the message names ``source``,
        its channels and time points, and the limit); nothing is read then.
    """
    n_channels, n_times = len(raw.ch_names), raw.n_times
    if n_channels * n_times > MAX_RECORDING_SAMPLES:
        raise RecordingTooLarge(
            f"{source}: {n_channels} channels x {n_times} time points = {n_channels * n_times} "
            f"samples, more than the {MAX_RECORDING_SAMPLES} a recording may hold (2 GiB as "
            "float64): split it into shorter recordings")
    return raw.load_data(verbose="error")


def check_positive(value: float, name: str) -> float:
    """Return ``value`` as a float after checking it is a finite number > 0.

    Parameters
    ----------
    value : float
        The value to check.
    name : str
        Parameter name used in the error message.

    Returns
    -------
    value : float
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}: {value!r}.")
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}.")
    return float(value)


def as_epochs(X) -> mne.BaseEpochs | None:
    """``X`` as Epochs if it is Epochs, or the list of one-epoch Epochs that scikit-learn's
    cross-validation makes of Epochs (it indexes them one epoch at a time); else None."""
    if isinstance(X, mne.BaseEpochs):
        return X
    if isinstance(X, list | tuple) and X and all(isinstance(e, mne.BaseEpochs) for e in X):
        return mne.concatenate_epochs(list(X), verbose="error")
    return None


def check_epochs_array(
    X: np.ndarray | mne.BaseEpochs,
    *,
    sfreq: float,
    min_times: int | None = None,
    n_times: int | None = None,
    why: str | None = None,
    n_channels: int | None = None,
    allow_flat: bool = False,
    name: str = "X",
) -> np.ndarray:
    """Validate EEG windows and return them as a float64 array.

    The checks, in order: an array of real numbers of shape (n_trials, n_channels, n_times);
    ``n_channels`` channels; at least ``min_times`` (or exactly ``n_times``) samples, and at
    least 2 unless ``allow_flat``; finite samples within :data:`MAX_ABS_SAMPLE`; and unless
    ``allow_flat``, no flat channel (variance at or below :data:`FLAT_VARIANCE_FLOOR`). Each
    failure is a ``ValueError`` (``TypeError`` for a non-numeric or sparse ``X``) that names the
    trial and channel, or the value, and what was expected.

    Parameters
    ----------
    X : array-like, shape (n_trials, n_channels, n_times), or mne.BaseEpochs
        EEG windows. For Epochs, the good data channels are used and ``info["sfreq"]`` must
        equal ``sfreq``.
    sfreq : float
        Sampling rate the estimator was configured with, in Hz.
    min_times : int | None
        Minimum number of samples per window, if any.
    n_times : int | None
        Exact number of samples per window, if the fitted model needs one.
    why : str | None
        What ``min_times`` or ``n_times`` is needed for; appended to the error message.
    n_channels : int | None
        Number of channels the estimator was fitted on, if fitted.
    allow_flat : bool
        Accept flat channels and 1-sample windows (a filter can run on them; a decoder
        cannot decode them).
    name : str
        Name of the argument, used in error messages.

    Returns
    -------
    X : ndarray, shape (n_trials, n_channels, n_times)
        Finite float64 data.
    """
    sfreq = check_positive(sfreq, "sfreq")
    epochs = as_epochs(X)  # also a cross-validation split of Epochs
    X = X if epochs is None else epochs
    if isinstance(X, mne.BaseEpochs):
        if not np.isclose(X.info["sfreq"], sfreq):
            raise ValueError(
                f"Mismatched sampling rate: {name} (Epochs) has info['sfreq']="
                f"{X.info['sfreq']:g} Hz but the estimator has sfreq={sfreq:g} Hz."
            )
        X = X.get_data()
    if sparse.issparse(X):
        raise TypeError(
            f"{name} must be a dense array of shape {_EPOCHS_SHAPE}; sparse input is not supported."
        )
    X = np.asarray(X)
    if np.iscomplexobj(X):
        raise ValueError(f"Complex data not supported: {name} must be real, got dtype {X.dtype}.")
    if X.dtype == object:
        try:
            X = X.astype(np.float64)
        except (TypeError, ValueError) as err:
            raise TypeError(f"{name} must contain real numbers, got dtype object.") from err
    if not (np.issubdtype(X.dtype, np.floating) or np.issubdtype(X.dtype, np.integer)):
        raise TypeError(f"{name} must contain real numbers, got dtype {X.dtype}.")
    if X.ndim != 3:
        raise ValueError(
            f"{name} must be a 3-D array of shape {_EPOCHS_SHAPE}, got {X.ndim}-D shape {X.shape}."
        )
    if 0 in X.shape:
        raise ValueError(f"{name} must not be empty, got shape {X.shape} {_EPOCHS_SHAPE}.")
    if n_channels is not None and X.shape[1] != n_channels:
        raise ValueError(
            f"{name} has {X.shape[1]} channels, but the estimator was fitted on {n_channels}."
        )
    _check_length(X.shape[2], sfreq, min_times, n_times, why, allow_flat, name)
    return check_window_values(X, allow_flat=allow_flat, name=name)


def check_window_values(
    X: np.ndarray, *, allow_flat: bool = False, name: str = "X"
) -> np.ndarray:
    """Check the samples of windows: finite, within :data:`MAX_ABS_SAMPLE`, no flat channel.

    Parameters
    ----------
    X : ndarray, shape (n_trials, n_channels, n_times)
        Real-valued windows.
    allow_flat : bool
        Skip the flat-channel check (:data:`FLAT_VARIANCE_FLOOR`).
    name : str
        Name of the argument, used in error messages.

    Returns
    -------
    X : ndarray, shape (n_trials, n_channels, n_times)
        The windows as float64.
    """
    X = np.asarray(X).astype(np.float64, copy=False)
    if X.ndim != 3 or 0 in X.shape:
        raise ValueError(
            f"{name} must be a non-empty array of shape {_EPOCHS_SHAPE}, got shape {X.shape}."
        )
    bad = ~np.isfinite(X)
    if bad.any():
        trial, channel, _ = np.argwhere(bad)[0]
        raise ValueError(
            f"{name} contains NaN or infinite samples ({int(bad.sum())} in total); "
            f"the first is in trial {trial}, channel {channel}."
        )
    huge = np.abs(X) > MAX_ABS_SAMPLE
    if huge.any():
        trial, channel, sample = np.argwhere(huge)[0]
        raise ValueError(
            f"{name} trial {trial}, channel {channel} has a sample of "
            f"{X[trial, channel, sample]:.3g}, beyond +-{MAX_ABS_SAMPLE:g}: not EEG in any unit "
            "(volts, microvolts or ADC counts)."
        )
    if not allow_flat:
        # About the first sample, so that a constant channel has variance exactly 0 at any offset.
        variance = (X - X[:, :, :1]).var(axis=2)
        flat = variance <= FLAT_VARIANCE_FLOOR
        if flat.any():
            trial, channel = np.argwhere(flat)[0]
            raise ValueError(
                f"{name} trial {trial}, channel {channel} is flat: variance "
                f"{variance[trial, channel]:.3g} is at or below the floor "
                f"{FLAT_VARIANCE_FLOOR:g} (signal unit squared; {int(flat.sum())} flat "
                "channel-windows in total); a constant or disconnected channel carries no EEG."
            )
    return X


def _check_length(
    n: int, sfreq: float, min_times: int | None, n_times: int | None, why: str | None,
    allow_flat: bool, name: str,
) -> None:
    """Raise if windows of ``n`` samples are not ``n_times`` long or shorter than ``min_times``
    (or than 2 samples: one sample has no variance, so it is flat)."""
    if n_times is not None and n != n_times:
        raise ValueError(
            f"{name} windows are {n / sfreq:.3f} s long ({n} samples at {sfreq:g} Hz); exactly "
            f"{n_times / sfreq:.3f} s ({n_times} samples) are required"
            + (f" for {why}." if why else ".")
        )
    if not allow_flat and n < 2 and (min_times is None or min_times < 2):
        min_times, why = 2, "a variance (one sample is flat)"
    if min_times is not None and n < min_times:
        raise ValueError(
            f"{name} windows are {n / sfreq:.3f} s long ({n} samples at {sfreq:g} Hz); at least "
            f"{min_times / sfreq:.3f} s ({min_times} samples) are required"
            + (f" for {why}." if why else ".")
        )


def check_finite_output(values: np.ndarray, what: str) -> np.ndarray:
    """Return ``values`` (n_trials, ...) after checking they are all finite.

    The last guard of every ``predict``/``predict_proba``/``decision_function``: a decoder
    raises rather than return NaN or infinity.
    """
    values = np.asarray(values)
    bad = ~np.isfinite(values)
    if bad.any():
        trial = int(np.argwhere(bad)[0][0])
        raise ValueError(
            f"The {what} of trial {trial} is not finite ({values[trial]}): the window is "
            "outside what the model can decode (e.g. far larger than its training data)."
        )
    return values


def check_not_identical(X: np.ndarray, name: str = "X") -> None:
    """Raise if every training window of ``X`` (n_trials, n_channels, n_times) is the same."""
    if X.shape[0] > 1 and np.all(X == X[:1]):
        raise ValueError(
            f"All {X.shape[0]} training windows of {name} are identical; there is nothing to "
            "learn from them."
        )


@contextmanager
def singular_as_value_error(what: str) -> Iterator[None]:
    """Turn a ``LinAlgError`` raised inside into a ``ValueError`` that says what was singular.

    Parameters
    ----------
    what : str
        What failed and why it can, e.g. "TRCA: the covariance of the training windows of class
        8 Hz is singular (rank-deficient windows)".
    """
    try:
        yield
    except np.linalg.LinAlgError as err:
        raise ValueError(f"{what}; numpy/scipy said: {err}") from err


def check_trial_labels(y: np.ndarray, n_trials: int, name: str = "y") -> np.ndarray:
    """Check that ``y`` holds one label per trial (label values are checked by the caller).

    Parameters
    ----------
    y : array-like, shape (n_trials,)
        Class labels.
    n_trials : int
        Number of trials in the matching ``X``.
    name : str
        Name of the argument, used in error messages.

    Returns
    -------
    y : ndarray, shape (n_trials,)
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of shape (n_trials,), got shape {y.shape}.")
    if y.shape[0] != n_trials:
        raise ValueError(f"{name} has {y.shape[0]} labels but X has {n_trials} trials.")
    return y
