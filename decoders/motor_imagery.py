"""Motor-imagery decoders: NOIR's CSP + QDA pipeline.

Band-pass (causal Butterworth, 8-30 Hz) -> common spatial patterns with log-variance features
(``mne.decoding.CSP``, multiclass) -> quadratic discriminant analysis (scikit-learn). Nothing is
written by hand here beyond assembling the pipeline and checking its input.
"""

from __future__ import annotations

import mne
import numpy as np
from mne.decoding import CSP
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.discriminant_analysis import QuadraticDiscriminantAnalysis
from sklearn.pipeline import make_pipeline
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from decoders._validation import check_epochs_array, check_n_channels, check_trial_labels
from decoders.preprocessing import BandpassFilter


class CSPQDA(ClassifierMixin, BaseEstimator):
    """Band-pass -> CSP log-variance -> QDA classifier for motor imagery (NOIR v1).

    Parameters
    ----------
    sfreq : float
        Sampling rate in Hz.
    band : tuple of float
        Causal band-pass (low, high) in Hz applied to each window.
    n_components : int
        Number of CSP components (features).
    csp_reg : float | str | None
        Covariance regularisation of CSP, passed to ``mne.decoding.CSP(reg=...)``
        (e.g. ``"ledoit_wolf"`` or a shrinkage in [0, 1]).
    qda_reg : float
        ``reg_param`` of ``QuadraticDiscriminantAnalysis``, in [0, 1].

    Attributes
    ----------
    classes_ : ndarray, shape (n_classes,)
        Sorted class labels.
    n_channels_ : int
        Number of channels seen in ``fit``.
    pipeline_ : sklearn.pipeline.Pipeline
        The fitted BandpassFilter -> CSP -> QDA pipeline.
    """

    def __init__(
        self,
        sfreq: float,
        band: tuple[float, float] = (8.0, 30.0),
        n_components: int = 4,
        csp_reg: float | str | None = None,
        qda_reg: float = 0.1,
    ) -> None:
        self.sfreq = sfreq
        self.band = band
        self.n_components = n_components
        self.csp_reg = csp_reg
        self.qda_reg = qda_reg

    def fit(self, X: np.ndarray | mne.BaseEpochs, y: np.ndarray) -> CSPQDA:
        """Fit the band-pass -> CSP -> QDA pipeline.

        Parameters
        ----------
        X : array, shape (n_trials, n_channels, n_times), or mne.BaseEpochs
            Calibration EEG windows.
        y : array, shape (n_trials,)
            Motor-imagery class of each window (at least two classes).

        Returns
        -------
        self : CSPQDA
        """
        check_classification_targets(y)
        X = check_epochs_array(X, sfreq=self.sfreq)
        y = check_trial_labels(y, X.shape[0])
        classes = np.unique(y)
        if classes.size < 2:
            raise ValueError(f"y must contain at least 2 classes, got {classes.tolist()}.")
        if len(self.band) != 2:
            raise ValueError(f"band must be a (low, high) pair in Hz, got {self.band!r}.")
        if isinstance(self.n_components, bool) or not isinstance(
            self.n_components, int | np.integer
        ):
            raise TypeError(f"n_components must be an int, got {self.n_components!r}.")
        if not 1 <= self.n_components <= X.shape[1]:
            raise ValueError(
                f"n_components must be between 1 and the number of channels ({X.shape[1]}), "
                f"got {self.n_components}."
            )
        pipeline = make_pipeline(
            BandpassFilter(self.sfreq, self.band[0], self.band[1], causal=True),
            CSP(n_components=self.n_components, reg=self.csp_reg, log=True),
            QuadraticDiscriminantAnalysis(reg_param=self.qda_reg),
        )
        with mne.utils.use_log_level("warning"):  # CSP reports every covariance at INFO
            self.pipeline_ = pipeline.fit(X, y)
        self.classes_ = classes
        self.n_channels_ = X.shape[1]
        return self

    def decision_function(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """QDA decision function (log-posterior based).

        Parameters
        ----------
        X : array, shape (n_trials, n_channels, n_times), or mne.BaseEpochs
            EEG windows.

        Returns
        -------
        scores : ndarray, shape (n_trials,) for 2 classes, else (n_trials, n_classes)
            For 2 classes, positive favours ``classes_[1]``.
        """
        X = self._check_X(X)
        return self.pipeline_.decision_function(X)

    def predict_proba(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """QDA posterior probability of each class.

        Parameters
        ----------
        X : array, shape (n_trials, n_channels, n_times), or mne.BaseEpochs
            EEG windows.

        Returns
        -------
        proba : ndarray, shape (n_trials, n_classes)
            Columns in the order of ``classes_``.
        """
        X = self._check_X(X)
        return self.pipeline_.predict_proba(X)

    def predict(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """Most probable motor-imagery class.

        Parameters
        ----------
        X : array, shape (n_trials, n_channels, n_times), or mne.BaseEpochs
            EEG windows.

        Returns
        -------
        y_pred : ndarray, shape (n_trials,)
            Labels from ``classes_``.
        """
        X = self._check_X(X)
        return self.pipeline_.predict(X)

    def _check_X(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """Check that the decoder is fitted and ``X`` matches the fitted channels."""
        check_is_fitted(self, "pipeline_")
        X = check_epochs_array(X, sfreq=self.sfreq)
        check_n_channels(X, self.n_channels_)
        return X
