"""Input checks shared by all decoders.

Every decoder takes EEG windows as a NumPy array of shape (n_trials, n_channels, n_times) or as
an :class:`mne.BaseEpochs`. scikit-learn's ``check_array`` only knows 1-D/2-D data, so the 3-D
checks (shape, finite samples with their trial/channel index, sampling rate, window length) are
written here by hand.
"""

from __future__ import annotations

import numbers

import mne
import numpy as np
from scipy import sparse

_EPOCHS_SHAPE = "(n_trials, n_channels, n_times)"


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


def check_epochs_array(
    X: np.ndarray | mne.BaseEpochs,
    *,
    sfreq: float,
    min_times: int | None = None,
    why: str | None = None,
    name: str = "X",
) -> np.ndarray:
    """Validate EEG windows and return them as a float64 array.

    Parameters
    ----------
    X : array-like, shape (n_trials, n_channels, n_times), or mne.BaseEpochs
        EEG windows. For Epochs, the good data channels are used and ``info["sfreq"]`` must
        equal ``sfreq``.
    sfreq : float
        Sampling rate the estimator was configured with, in Hz.
    min_times : int | None
        Minimum number of samples per window, if any.
    why : str | None
        What ``min_times`` is needed for; appended to the error message.
    name : str
        Name of the argument, used in error messages.

    Returns
    -------
    X : ndarray, shape (n_trials, n_channels, n_times)
        Finite float64 data.
    """
    sfreq = check_positive(sfreq, "sfreq")
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
    X = X.astype(np.float64, copy=False)
    bad = ~np.isfinite(X)
    if bad.any():
        trial, channel, _ = np.argwhere(bad)[0]
        raise ValueError(
            f"{name} contains NaN or infinite samples ({int(bad.sum())} in total); "
            f"the first is in trial {trial}, channel {channel}."
        )
    if min_times is not None and X.shape[2] < min_times:
        reason = f" for {why}" if why else ""
        raise ValueError(
            f"{name} windows are {X.shape[2] / sfreq:.3f} s long ({X.shape[2]} samples at "
            f"{sfreq:g} Hz); at least {min_times / sfreq:.3f} s ({min_times} samples) are "
            f"required{reason}."
        )
    return X


def check_n_channels(X: np.ndarray, n_channels: int, name: str = "X") -> None:
    """Raise if ``X`` (n_trials, n_channels, n_times) has not ``n_channels`` channels."""
    if X.shape[1] != n_channels:
        raise ValueError(
            f"{name} has {X.shape[1]} channels, but the estimator was fitted on {n_channels}."
        )


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
