"""Cross-subject evaluation with Riemannian re-centering: a calibration-light option.

Each subject's (and session's) EEG is re-centered so that the Riemannian mean of its trial
covariances is the identity (Zanini et al. 2018, "Transfer learning: a Riemannian geometry
framework with applications to brain-computer interfaces", IEEE TBME 65(5)). It is done on the
windows: ``X -> W X`` with ``W = M^{-1/2}``, M the Riemannian mean of the session's covariances
(:class:`pyriemann.preprocessing.Whitening`), so that the covariance of ``W X`` is
``M^{-1/2} C M^{-1/2}`` and every pipeline runs unchanged on re-centered windows.

The reference covariances are sample covariances by default: they transform exactly as the
windows do (``C(A X) = A C(X) A^T``), so a subject's own linear mixing (channel gains, montage
placement) is removed up to a rotation; shrinkage estimators do not transform so.

Calibration-light: M comes from each session's first ``n_calibration`` trials, in recording
order, without their labels (a new user sits through a short unlabelled run). Every subject is
re-centered the same way; the left-out subject's calibration trials are not scored. No label of
the left-out subject is used, and the classifier is fitted on the other subjects only.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pyriemann.estimation import Covariances
from pyriemann.preprocessing import Whitening

from decoders.benchmark.datasets import Dataset
from decoders.benchmark.evaluations import CrossSubjectEvaluation
from decoders.benchmark.paradigms import Paradigm


def recentering_matrix(X: np.ndarray, estimator: str = "scm") -> np.ndarray:
    """The matrix ``W = M^{-1/2}`` that re-centers windows ``X`` (``X -> W X``).

    Parameters
    ----------
    X : ndarray, shape (n_trials, n_channels, n_times)
        Reference windows (labels are not needed).
    estimator : str
        pyRiemann covariance estimator of each window.

    Returns
    -------
    W : ndarray, shape (n_channels, n_channels)
        Symmetric; the Riemannian mean of the covariances of ``W X`` is the identity.
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 3 or len(X) < 2:
        raise ValueError(f"recentering_matrix needs >= 2 windows of shape (n_trials, "
                         f"n_channels, n_times), got shape {X.shape}.")
    covs = Covariances(estimator).transform(X)
    return Whitening(metric="riemann").fit(covs).filters_.T


def calibration_trials(metadata: pd.DataFrame, n_calibration: int) -> np.ndarray:
    """Mask of the first ``n_calibration`` trials of each session (trials in recording order,
    as paradigms return them), shape (n_trials,)."""
    sessions = metadata["session"].to_numpy()
    mask = np.zeros(len(sessions), dtype=bool)
    for session in pd.unique(sessions):
        mask[np.flatnonzero(sessions == session)[:n_calibration]] = True
    return mask


class RecenteredParadigm:
    """A paradigm whose windows come re-centered, per session, by their first trials.

    Parameters
    ----------
    paradigm : Paradigm
        The broadband paradigm that cuts the windows.
    n_calibration : int
        Trials at the start of each session whose windows set its re-centering.
    estimator : str
        pyRiemann covariance estimator.
    """

    def __init__(self, paradigm: Paradigm, n_calibration: int, estimator: str = "scm") -> None:
        self.paradigm = paradigm
        self.n_calibration = n_calibration
        self.estimator = estimator

    @property
    def kind(self) -> str | None:
        return self.paradigm.kind

    def __repr__(self) -> str:
        return f"RecenteredParadigm({self.paradigm!r}, n_calibration={self.n_calibration})"

    def process_recordings(self, dataset: Dataset, subject: int, recordings):
        """:meth:`Paradigm.process_recordings`, then each session's windows ``X -> W X``."""
        X, y, metadata, sfreq = self.paradigm.process_recordings(dataset, subject, recordings)
        sessions = metadata["session"].to_numpy()
        calibration = calibration_trials(metadata, self.n_calibration)
        for session in pd.unique(sessions):
            ix = sessions == session
            if ix.sum() <= self.n_calibration:
                raise ValueError(f"{dataset.code} subject {subject} session {session}: "
                                 f"{int(ix.sum())} trials, not more than the n_calibration="
                                 f"{self.n_calibration} that re-center it.")
            W = recentering_matrix(X[ix & calibration], self.estimator)
            X[ix] = np.einsum("ij,njt->nit", W, X[ix])
        return X, y, metadata, sfreq


class RecenteredCrossSubjectEvaluation(CrossSubjectEvaluation):
    """Leave one subject out on re-centered windows (see the module docstring).

    Parameters
    ----------
    n_calibration : int
        Unlabelled trials at the start of each session that set its re-centering (>= 2); the
        left-out subject's are not scored.
    estimator : str
        pyRiemann covariance estimator for the reference (``"scm"``: exact re-centering).
    **kwargs
        As :class:`~decoders.benchmark.evaluations.CrossSubjectEvaluation`.
    """

    name = "cross-subject-recentered"

    def __init__(self, *, n_calibration: int = 10, estimator: str = "scm", **kwargs) -> None:
        if isinstance(n_calibration, bool) or not isinstance(n_calibration, int) \
                or n_calibration < 2:
            raise ValueError(f"n_calibration must be an int >= 2 trials, got {n_calibration!r}.")
        super().__init__(**kwargs)
        self.n_calibration = n_calibration
        self.estimator = estimator

    def evaluate(self, dataset, paradigm, pipelines, **kwargs) -> pd.DataFrame:
        """:meth:`BaseEvaluation.evaluate` on the paradigm's re-centered windows."""
        wide = sorted(name for name, spec in pipelines.items() if spec.input != "broadband")
        if wide:
            raise ValueError(f"{self.name} re-centers broadband windows; pipeline(s) {wide} take "
                             "filter-bank input.")
        recentered = RecenteredParadigm(paradigm, self.n_calibration, self.estimator)
        return super().evaluate(dataset, recentered, pipelines, **kwargs)

    def _groups(self, data):
        [(parts, folds)] = super()._groups(data)
        calibration = np.concatenate([calibration_trials(d.metadata, self.n_calibration)
                                      for d in data])
        return [(parts, tuple((train, test[~calibration[test]]) for train, test in folds))]
