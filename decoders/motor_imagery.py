"""Motor-imagery decoders: band-pass -> spatial features -> linear/quadratic classifier.

Every decoder here is a scikit-learn classifier on EEG windows of shape
(n_trials, n_channels, n_times) (or :class:`mne.BaseEpochs`) that band-passes each window itself
with the causal Butterworth :class:`~decoders.preprocessing.BandpassFilter`, so the same object
decodes offline and online. The pipelines are assembled from the field's libraries; nothing
numerical is written by hand here:

* :class:`CSPLDA` -- ``mne.decoding.CSP`` log-variance -> scikit-learn LDA (the classic baseline);
* :class:`CSPQDA` -- ``mne.decoding.CSP`` -> QDA (NOIR v1);
* :class:`FBCSPSVM` -- filter bank of causal band-passes, ``mne.decoding.CSP`` per band,
  ``SelectKBest(mutual_info_classif)``, linear SVM (NOIR 2.0's filter-bank CSP);
* :class:`RiemannMDM` -- ``pyriemann`` shrunk covariances -> minimum distance to the Riemannian
  mean;
* :class:`TangentSpaceLR` -- ``pyriemann`` shrunk covariances -> tangent space -> logistic
  regression (MOABB's "TS+LR");
* :class:`TangentSpaceLRCV` -- the same with the regularisation ``C`` chosen by an inner
  stratified cross-validation of the training set (nested: test windows never choose ``C``).

The single-band decoders take ``band=None`` for windows that are already band-passed, e.g.
offline by the benchmark paradigm's zero-phase filter of the continuous recording (MOABB's
preprocessing); online, windows arrive raw and the decoder's causal band-pass is what runs.

The shared :class:`MotorImageryClassifier` base validates the input, builds the pipeline
(``_make_pipeline``), fits it and forwards ``predict``/``predict_proba``/``decision_function``.
Neural networks (EEGNet, ShallowConvNet) are in :mod:`decoders.nets`.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import mne
import numpy as np
from mne.decoding import CSP
from pyriemann.classification import MDM
from pyriemann.estimation import Covariances
from pyriemann.tangentspace import TangentSpace
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.discriminant_analysis import (
    LinearDiscriminantAnalysis,
    QuadraticDiscriminantAnalysis,
)
from sklearn.feature_selection import SelectKBest, mutual_info_classif
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.svm import SVC
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from decoders._validation import (
    check_epochs_array,
    check_finite_output,
    check_not_identical,
    check_trial_labels,
    singular_as_value_error,
)
from decoders.preprocessing import BandpassFilter

#: Candidate ``C`` of :class:`TangentSpaceLRCV`: 10^-3 ... 10^3, fixed a priori.
TS_LR_CS: tuple[float, ...] = tuple(10.0**k for k in range(-3, 4))

#: NOIR 2.0-style filter bank: 4-Hz bands from 8 to 32 Hz.
FBCSP_BANDS: tuple[tuple[float, float], ...] = tuple((f, f + 4.0) for f in range(8, 32, 4))


def check_mi_training_set(X: np.ndarray, y: np.ndarray, min_per_class: int = 2) -> np.ndarray:
    """Check motor-imagery training labels and return the sorted classes.

    Call ``sklearn.utils.multiclass.check_classification_targets(y)`` first (before checking
    ``X``), so that a continuous ``y`` is reported as such.

    Parameters
    ----------
    X : ndarray, shape (n_trials, n_channels, n_times)
        Validated training windows.
    y : array-like, shape (n_trials,)
        Class labels.
    min_per_class : int
        Fewest trials each class must have.

    Returns
    -------
    classes : ndarray, shape (n_classes,)
        Sorted class labels (at least two).
    """
    y = check_trial_labels(y, X.shape[0])
    classes, counts = np.unique(y, return_counts=True)
    if classes.size < 2:
        raise ValueError(f"y must contain at least 2 classes, got {classes.tolist()}.")
    if counts.min() < min_per_class:
        too_few = {
            str(c): int(n) for c, n in zip(classes, counts, strict=True) if n < min_per_class
        }
        raise ValueError(
            f"Each class needs at least {min_per_class} training trials; got {too_few}."
        )
    return classes


def _check_band(band: Sequence[float], name: str = "band") -> tuple[float, float]:
    """Return ``band`` as a (low, high) pair; frequencies are checked by ``BandpassFilter``."""
    if isinstance(band, str) or not isinstance(band, Sequence) or len(band) != 2:
        raise ValueError(f"{name} must be a (low, high) pair in Hz, got {band!r}.")
    return float(band[0]), float(band[1])


def _check_n_components(n_components: int, n_channels: int) -> None:
    if isinstance(n_components, bool) or not isinstance(n_components, int | np.integer):
        raise TypeError(f"n_components must be an int, got {n_components!r}.")
    if not 1 <= n_components <= n_channels:
        raise ValueError(
            f"n_components must be between 1 and the number of channels ({n_channels}), "
            f"got {n_components}."
        )


# Parameter and attribute descriptions shared by the classifiers' docstrings.
_SFREQ_BAND_DOC = """sfreq : float
        Sampling rate in Hz.
    band : tuple of float | None
        Band-pass (low, high) in Hz applied to each window; None: none (windows already
        band-passed, e.g. offline by the benchmark paradigm)."""
_CSP_DOC = """n_components : int
        Number of CSP components (features).
    csp_reg : float | str | None
        Covariance regularisation of CSP, passed to ``mne.decoding.CSP(reg=...)``
        (e.g. ``"ledoit_wolf"`` or a shrinkage in [0, 1])."""
_COVARIANCES_DOC = """estimator : str
        Covariance estimator of ``pyriemann.estimation.Covariances`` ("oas", "lwf", "scm", ...)."""
_CAUSAL_DOC = """causal : bool
        Causal band-pass (online-equivalent) if True, zero-phase if False."""
_ATTRIBUTES_DOC = """Attributes
    ----------
    classes_, n_channels_, pipeline_
        See :class:`MotorImageryClassifier`."""


class MotorImageryClassifier(ClassifierMixin, BaseEstimator):
    """Base of the motor-imagery pipelines: validation, fitting and prediction.

    Subclasses store their parameters in ``__init__`` (``sfreq`` among them) and implement
    ``_make_pipeline(n_channels)``, which returns the
    unfitted scikit-learn pipeline on (n_trials, n_channels, n_times) windows, band-pass
    included.

    Attributes
    ----------
    classes_ : ndarray, shape (n_classes,)
        Sorted class labels.
    n_channels_ : int
        Number of channels seen in ``fit``.
    n_times_ : int
        Window length seen in ``fit``; windows to decode must be at least as long.
    pipeline_ : sklearn.pipeline.Pipeline
        The fitted pipeline.
    """

    sfreq: float
    _min_trials_per_class: int = 2

    def _make_pipeline(self, n_channels: int) -> Pipeline:
        raise NotImplementedError

    def fit(self, X: np.ndarray | mne.BaseEpochs, y: np.ndarray) -> MotorImageryClassifier:
        """Fit the pipeline on calibration windows.

        Parameters
        ----------
        X : array, shape (n_trials, n_channels, n_times), or mne.BaseEpochs
            Calibration EEG windows.
        y : array, shape (n_trials,)
            Motor-imagery class of each window (at least two classes, two trials each).

        Returns
        -------
        self : MotorImageryClassifier
        """
        check_classification_targets(y)
        min_times, why = max((f.window_requirement() for f in self._filters()),
                             key=lambda r: r[0], default=(None, None))
        X = check_epochs_array(X, sfreq=self.sfreq, min_times=min_times, why=why)
        classes = check_mi_training_set(X, y, self._min_trials_per_class)
        check_not_identical(X)
        pipeline = self._make_pipeline(X.shape[1])
        name = type(self).__name__
        with (
            mne.utils.use_log_level("warning"),  # CSP reports every covariance at INFO
            singular_as_value_error(
                f"{name} cannot be fitted: a covariance of the training windows is singular "
                "(rank-deficient windows, e.g. duplicated channels or fewer samples than channels)"
            ),
        ):
            self.pipeline_ = pipeline.fit(X, np.asarray(y))
        self.classes_ = classes
        self.n_channels_, self.n_times_ = X.shape[1], X.shape[2]
        return self

    def decision_function(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """Classifier scores.

        Parameters
        ----------
        X : array, shape (n_trials, n_channels, n_times), or mne.BaseEpochs
            EEG windows.

        Returns
        -------
        scores : ndarray, shape (n_trials,) for 2 classes, else (n_trials, n_classes)
            For 2 classes, positive favours ``classes_[1]``. Pipelines whose final step has no
            ``decision_function`` (MDM) return the log-odds ``log p1 - log p0`` (2 classes) or
            the log-probabilities.
        """
        return self._scores(self._features(X))

    def predict_proba(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """Posterior probability of each class.

        Parameters
        ----------
        X : array, shape (n_trials, n_channels, n_times), or mne.BaseEpochs
            EEG windows.

        Returns
        -------
        proba : ndarray, shape (n_trials, n_classes)
            Columns in the order of ``classes_``.
        """
        features = self._features(X)
        return check_finite_output(self.pipeline_[-1].predict_proba(features), "probability")

    def predict(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """Most likely motor-imagery class.

        Parameters
        ----------
        X : array, shape (n_trials, n_channels, n_times), or mne.BaseEpochs
            EEG windows.

        Returns
        -------
        y_pred : ndarray, shape (n_trials,)
            Labels from ``classes_``.
        """
        features = self._features(X)
        self._scores(features)  # raises rather than predict from non-finite scores
        return self.pipeline_[-1].predict(features)

    def _features(self, X: np.ndarray | mne.BaseEpochs) -> np.ndarray:
        """What the pipeline's final classifier takes, from windows checked against the fit:
        the fitted channels, at least the fitted length (shorter windows give other features)."""
        # a model saved before n_times_ existed reads as not fitted (NotFittedError, a ValueError)
        check_is_fitted(self, ["pipeline_", "n_channels_", "n_times_"])
        X = check_epochs_array(
            X, sfreq=self.sfreq, n_channels=self.n_channels_, min_times=self.n_times_,
            why=f"the window length {type(self).__name__} was fitted on",
        )
        with mne.utils.use_log_level("warning"):
            return self.pipeline_[:-1].transform(X)

    def _scores(self, features: np.ndarray) -> np.ndarray:
        """The final classifier's scores (see ``decision_function``), checked finite."""
        final = self.pipeline_[-1]
        if hasattr(final, "decision_function"):
            scores = final.decision_function(features)
        else:
            log_proba = np.log(np.clip(final.predict_proba(features), 1e-300, None))
            scores = log_proba[:, 1] - log_proba[:, 0] if log_proba.shape[1] == 2 else log_proba
        return check_finite_output(scores, "score")

    def _filters(self) -> list[BandpassFilter]:
        """The band-pass filters of the pipeline (none with ``band=None``)."""
        bandpass = self._bandpass()
        return [] if isinstance(bandpass, str) else [bandpass]

    def _bandpass(self) -> BandpassFilter | str:
        """The causal (or zero-phase) band-pass of ``self.band``; ``"passthrough"`` for None."""
        if self.band is None:
            return "passthrough"
        low, high = _check_band(self.band)
        return BandpassFilter(self.sfreq, low, high, causal=self.causal)

    def _csp(self) -> CSP:
        """Log-variance CSP of ``self.n_components`` components, regularised by ``csp_reg``."""
        return CSP(n_components=self.n_components, reg=self.csp_reg, log=True)

    def _csp_pipeline(self, n_channels: int, classifier: BaseEstimator) -> Pipeline:
        """Band-pass -> CSP log-variance -> ``classifier``, after checking ``n_components``."""
        _check_n_components(self.n_components, n_channels)
        return make_pipeline(self._bandpass(), self._csp(), classifier)


class CSPLDA(MotorImageryClassifier):
    __doc__ = f"""Band-pass -> CSP log-variance -> LDA classifier.

    Parameters
    ----------
    {_SFREQ_BAND_DOC}
    {_CSP_DOC}
    shrinkage : float | str | None
        ``shrinkage`` of ``LinearDiscriminantAnalysis(solver="lsqr")`` (None, "auto" or [0, 1]).
    {_CAUSAL_DOC}

    {_ATTRIBUTES_DOC}
    """

    def __init__(
        self,
        sfreq: float,
        band: tuple[float, float] = (8.0, 30.0),
        n_components: int = 6,
        csp_reg: float | str | None = None,
        shrinkage: float | str | None = None,
        causal: bool = True,
    ) -> None:
        self.sfreq = sfreq
        self.band = band
        self.n_components = n_components
        self.csp_reg = csp_reg
        self.shrinkage = shrinkage
        self.causal = causal

    def _make_pipeline(self, n_channels: int) -> Pipeline:
        return self._csp_pipeline(
            n_channels, LinearDiscriminantAnalysis(solver="lsqr", shrinkage=self.shrinkage)
        )


class CSPQDA(MotorImageryClassifier):
    __doc__ = f"""Band-pass -> CSP log-variance -> QDA classifier for motor imagery (NOIR v1).

    Parameters
    ----------
    {_SFREQ_BAND_DOC}
    {_CSP_DOC}
    qda_reg : float
        ``reg_param`` of ``QuadraticDiscriminantAnalysis``, in [0, 1].
    {_CAUSAL_DOC}

    {_ATTRIBUTES_DOC}
    """

    def __init__(
        self,
        sfreq: float,
        band: tuple[float, float] = (8.0, 30.0),
        n_components: int = 4,
        csp_reg: float | str | None = None,
        qda_reg: float = 0.1,
        causal: bool = True,
    ) -> None:
        self.sfreq = sfreq
        self.band = band
        self.n_components = n_components
        self.csp_reg = csp_reg
        self.qda_reg = qda_reg
        self.causal = causal

    def _make_pipeline(self, n_channels: int) -> Pipeline:
        return self._csp_pipeline(n_channels, QuadraticDiscriminantAnalysis(reg_param=self.qda_reg))


class FBCSPSVM(MotorImageryClassifier):
    __doc__ = f"""Filter-bank CSP -> mutual-information feature selection -> linear SVM (NOIR 2.0).

    Each band of ``bands`` has its own band-pass and CSP (log-variance of ``n_components``
    components); the ``k_best`` features with the highest mutual information with the class
    (``SelectKBest(mutual_info_classif)``) feed a linear SVM.

    Parameters
    ----------
    sfreq : float
        Sampling rate in Hz.
    bands : sequence of (float, float)
        Filter-bank pass-bands in Hz (default: :data:`FBCSP_BANDS`, 4-Hz bands 8-32 Hz).
    n_components : int
        CSP components per band.
    k_best : int
        Number of selected features, at most ``len(bands) * n_components``.
    csp_reg : float | str | None
        Covariance regularisation of each CSP (``mne.decoding.CSP(reg=...)``).
    C : float
        SVM regularisation.
    causal : bool
        Causal band-passes (online-equivalent) if True, zero-phase if False.
    random_state : int | None
        Seed of the mutual-information estimate.

    Notes
    -----
    Probabilities come from a sigmoid calibration of the SVM scores on 3 internal folds
    (``CalibratedClassifierCV(ensemble=False)``), so each class needs at least 3 trials;
    ``predict`` is the most probable class.

    {_ATTRIBUTES_DOC}
    selected_bands_ : ndarray of int, shape (k_best,)
        Index into ``bands`` of each selected feature.
    """

    def __init__(
        self,
        sfreq: float,
        bands: Sequence[tuple[float, float]] = FBCSP_BANDS,
        n_components: int = 4,
        k_best: int = 8,
        csp_reg: float | str | None = None,
        C: float = 1.0,
        causal: bool = True,
        random_state: int | None = 0,
    ) -> None:
        self.sfreq = sfreq
        self.bands = bands
        self.n_components = n_components
        self.k_best = k_best
        self.csp_reg = csp_reg
        self.C = C
        self.causal = causal
        self.random_state = random_state

    _min_trials_per_class = 3

    def fit(self, X: np.ndarray | mne.BaseEpochs, y: np.ndarray) -> FBCSPSVM:
        """Fit the filter bank, the feature selection and the SVM (see the base class)."""
        super().fit(X, y)
        support = self.pipeline_.named_steps["selectkbest"].get_support(indices=True)
        self.selected_bands_ = support // self.n_components
        return self

    def _filters(self) -> list[BandpassFilter]:
        if isinstance(self.bands, str) or len(self.bands) == 0:
            raise ValueError(f"bands must be a non-empty sequence of (low, high) pairs, got "
                             f"{self.bands!r}.")
        bands = [_check_band(band, "each of bands") for band in self.bands]
        return [BandpassFilter(self.sfreq, low, high, causal=self.causal) for low, high in bands]

    def _make_pipeline(self, n_channels: int) -> Pipeline:
        _check_n_components(self.n_components, n_channels)
        filters = self._filters()
        n_features = len(filters) * self.n_components
        if isinstance(self.k_best, bool) or not isinstance(self.k_best, int | np.integer) or not (
            1 <= self.k_best <= n_features
        ):
            raise ValueError(
                f"k_best must be an int between 1 and len(bands) * n_components ({n_features}), "
                f"got {self.k_best!r}."
            )
        bank = FeatureUnion(
            [(f"band_{f.l_freq:g}_{f.h_freq:g}", make_pipeline(f, self._csp())) for f in filters]
        )
        score = partial(mutual_info_classif, random_state=self.random_state)
        return make_pipeline(
            bank,
            SelectKBest(score, k=self.k_best),
            CalibratedClassifierCV(SVC(kernel="linear", C=self.C), cv=3, ensemble=False),
        )


class RiemannMDM(MotorImageryClassifier):
    __doc__ = f"""Band-pass -> shrunk covariance -> minimum distance to Riemannian class means.

    Covariances, class means and distances are pyRiemann's.

    Parameters
    ----------
    {_SFREQ_BAND_DOC}
    {_COVARIANCES_DOC}
    metric : str
        Metric of ``pyriemann.classification.MDM``.
    {_CAUSAL_DOC}

    {_ATTRIBUTES_DOC}
    """

    def __init__(
        self,
        sfreq: float,
        band: tuple[float, float] = (8.0, 30.0),
        estimator: str = "oas",
        metric: str = "riemann",
        causal: bool = True,
    ) -> None:
        self.sfreq = sfreq
        self.band = band
        self.estimator = estimator
        self.metric = metric
        self.causal = causal

    def _make_pipeline(self, n_channels: int) -> Pipeline:
        return make_pipeline(
            self._bandpass(), Covariances(estimator=self.estimator), MDM(metric=self.metric)
        )


class TangentSpaceLR(MotorImageryClassifier):
    __doc__ = f"""Band-pass -> shrunk covariance -> Riemannian tangent space -> logistic regression.

    Parameters
    ----------
    {_SFREQ_BAND_DOC}
    {_COVARIANCES_DOC}
    metric : str
        Metric of the tangent-space reference point (``pyriemann.tangentspace.TangentSpace``).
    C : float
        Inverse regularisation strength of ``LogisticRegression``.
    {_CAUSAL_DOC}

    {_ATTRIBUTES_DOC}
    """

    def __init__(
        self,
        sfreq: float,
        band: tuple[float, float] = (8.0, 30.0),
        estimator: str = "oas",
        metric: str = "riemann",
        C: float = 1.0,
        causal: bool = True,
    ) -> None:
        self.sfreq = sfreq
        self.band = band
        self.estimator = estimator
        self.metric = metric
        self.C = C
        self.causal = causal

    def _make_pipeline(self, n_channels: int) -> Pipeline:
        return make_pipeline(
            self._bandpass(),
            Covariances(estimator=self.estimator),
            TangentSpace(metric=self.metric),
            LogisticRegression(C=self.C, max_iter=1000),
        )


class TangentSpaceLRCV(MotorImageryClassifier):
    __doc__ = f"""Tangent-space logistic regression whose ``C`` is chosen by inner cross-validation.

    :class:`TangentSpaceLR` whose logistic regression is a ``GridSearchCV`` over ``Cs``: on the
    training windows only, a shuffled stratified ``n_folds``-fold split scores each candidate by
    ROC-AUC (one-vs-rest for more than two classes); the best ``C`` (the first in ``Cs`` among
    ties) is refitted on all training windows. Inside an outer cross-validation this is nested:
    test windows never choose ``C``.

    Parameters
    ----------
    {_SFREQ_BAND_DOC}
    {_COVARIANCES_DOC}
    metric : str
        Metric of the tangent-space reference point (``pyriemann.tangentspace.TangentSpace``).
    Cs : sequence of float
        Candidate inverse regularisation strengths (default :data:`TS_LR_CS`, 1e-3 to 1e3).
    n_folds : int
        Inner folds (>= 2); each class needs at least ``n_folds`` training windows.
    {_CAUSAL_DOC}
    random_state : int | None
        Seed of the inner fold shuffle.

    {_ATTRIBUTES_DOC}
    C_ : float
        The chosen ``C``.
    """

    def __init__(
        self,
        sfreq: float,
        band: tuple[float, float] | None = (8.0, 30.0),
        estimator: str = "oas",
        metric: str = "riemann",
        Cs: Sequence[float] = TS_LR_CS,
        n_folds: int = 5,
        causal: bool = True,
        random_state: int | None = 0,
    ) -> None:
        self.sfreq = sfreq
        self.band = band
        self.estimator = estimator
        self.metric = metric
        self.Cs = Cs
        self.n_folds = n_folds
        self.causal = causal
        self.random_state = random_state

    @property
    def _min_trials_per_class(self) -> int:
        """Every inner fold needs a window of each class."""
        if isinstance(self.n_folds, bool) or not isinstance(self.n_folds, int | np.integer) or (
            self.n_folds < 2
        ):
            raise ValueError(f"n_folds must be an int >= 2, got {self.n_folds!r}.")
        return int(self.n_folds)

    def fit(self, X: np.ndarray | mne.BaseEpochs, y: np.ndarray) -> TangentSpaceLRCV:
        """Choose ``C`` and fit the pipeline (see the base class)."""
        super().fit(X, y)
        self.C_ = float(self.pipeline_[-1].best_params_["C"])
        return self

    def _make_pipeline(self, n_channels: int) -> Pipeline:
        try:
            Cs = np.asarray(self.Cs, dtype=float)
        except (TypeError, ValueError):  # not numbers: reported below
            Cs = np.array([])
        if Cs.ndim != 1 or Cs.size == 0 or not np.all(np.isfinite(Cs) & (Cs > 0)):
            raise ValueError(f"Cs must be a non-empty sequence of finite numbers > 0, got "
                             f"{self.Cs!r}.")
        inner = StratifiedKFold(self.n_folds, shuffle=True, random_state=self.random_state)
        return make_pipeline(
            self._bandpass(),
            Covariances(estimator=self.estimator),
            TangentSpace(metric=self.metric),
            GridSearchCV(LogisticRegression(max_iter=1000), {"C": Cs.tolist()}, cv=inner,
                         scoring="roc_auc_ovr"),
        )
