"""The bench's pipelines as plain scikit-learn classifiers: in MOABB's evaluations, in
``cross_val_score`` on arrays or ``mne.Epochs``.

The bench builds each pipeline per task from what it knows about the task (sampling rate,
classes, stimulus frequencies, window shape: :class:`~decoders.benchmark.pipelines.
PipelineContext`). :class:`BenchPipeline` learns those facts from the training data in ``fit``
instead, so the same registered pipeline runs unchanged wherever only ``(X, y)`` arrive::

    from moabb.evaluations import WithinSessionEvaluation
    from moabb.paradigms import LeftRightImagery
    from decoders.benchmark.moabb_interop import moabb_pipelines

    evaluation = WithinSessionEvaluation(paradigm=LeftRightImagery(), datasets=[dataset],
                                         return_epochs=True)  # Epochs carry the sampling rate
    results = evaluation.process(moabb_pipelines(["CSP+LDA", "TS+LR"]))

With MOABB's arrays (``return_epochs=False``) give ``sfreq`` (MOABB scales arrays to µV; the
bench's pipelines do not depend on the unit). MOABB encodes labels as integers; SSVEP
pipelines need the class names, which are the stimulus frequencies (``"13"``), so run SSVEP
evaluations with ``mne_labels=True`` or pass ``stim_freqs``.

The reverse direction, MOABB's datasets in the bench, is
:class:`decoders.benchmark.datasets.MOABBDataset`.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from decoders._validation import as_epochs
from decoders.benchmark.pipelines import (
    PIPELINES,
    PipelineContext,
    PipelineSpec,
    build_pipeline,
    step_class,
    step_name,
)


def _last_step_has(method: str):
    def check(self) -> bool:
        return hasattr(step_class(self._spec().steps[-1][0]), method)
    return check


class BenchPipeline(ClassifierMixin, BaseEstimator):
    """A bench pipeline whose task facts come from the training data.

    Parameters
    ----------
    pipeline : str | PipelineSpec
        A registered pipeline (key of :data:`~decoders.benchmark.pipelines.PIPELINES`, e.g.
        ``"TS+LR"``) or a spec.
    sfreq : float | None
        Sampling rate of array windows (Hz). Epochs carry their own (``info["sfreq"]``; a
        different ``sfreq`` here is an error). Needed only when a step takes ``sfreq``.
    stim_freqs : mapping of label to float | None
        Stimulus frequency (Hz) of each SSVEP class label; None: labels that are numbers
        (``"13"``, ``"9.25"``) are frequencies. Integer labels are never frequencies.
    random_state : int
        Seed given to the steps that take one (the bench gives its evaluation's seed).

    Attributes
    ----------
    estimator_ : sklearn estimator
        The pipeline built for the training data and fitted on it.
    classes_ : ndarray, shape (n_classes,)
        Class labels, sorted.
    context_ : PipelineContext
        The task facts the pipeline was built with.

    Notes
    -----
    X is an array of shape (n_trials, n_channels, n_times), or (..., n_bands) for a pipeline of
    ``input="filter_bank"`` (MOABB's ``FilterBankSSVEP`` layout), or ``mne.Epochs`` (also the
    list of one-epoch Epochs that scikit-learn's CV makes of Epochs). Built as the bench builds
    it, the pipeline gives the bench's predictions on the same windows and folds.
    """

    def __init__(
        self,
        pipeline: str | PipelineSpec = "TS+LR",
        *,
        sfreq: float | None = None,
        stim_freqs: Mapping | None = None,
        random_state: int = 42,
    ) -> None:
        self.pipeline = pipeline
        self.sfreq = sfreq
        self.stim_freqs = stim_freqs
        self.random_state = random_state

    def _spec(self) -> PipelineSpec:
        if isinstance(self.pipeline, PipelineSpec):
            return self.pipeline
        if not isinstance(self.pipeline, str) or self.pipeline not in PIPELINES:
            raise ValueError(f"BenchPipeline: unknown pipeline {self.pipeline!r}; registered "
                             f"pipelines: {sorted(PIPELINES)} (or give a PipelineSpec).")
        return PIPELINES[self.pipeline]

    def _needs(self, name: str) -> bool:
        """True if a step takes ``name`` in its constructor and its params do not set it."""
        return any(name in inspect.signature(step_class(step)).parameters and name not in params
                   for step, params in self._spec().steps)

    def _windows(self, X) -> tuple[np.ndarray, float | None]:
        """``X`` as an array, and its sampling rate (Epochs: theirs; arrays: ``sfreq``)."""
        epochs = as_epochs(X)
        if epochs is None:
            return np.asarray(X), self.sfreq
        sfreq = float(epochs.info["sfreq"])
        if self.sfreq is not None and not np.isclose(sfreq, self.sfreq):
            raise ValueError(f"BenchPipeline: the Epochs have info['sfreq']={sfreq:g} Hz but "
                             f"sfreq={self.sfreq:g} Hz was given.")
        return epochs.get_data(), sfreq

    def _frequencies(self, classes: tuple) -> dict:
        if self.stim_freqs is not None:
            return {c: float(f) for c, f in self.stim_freqs.items() if c in classes}
        out = {}
        for c in classes:
            if isinstance(c, str):
                try:
                    out[c] = float(c)
                except ValueError:
                    continue
        return out

    def fit(self, X, y) -> BenchPipeline:
        """Build the pipeline for this data and fit it.

        Parameters
        ----------
        X : ndarray, shape (n_trials, n_channels, n_times[, n_bands]), or mne.Epochs
            Training windows.
        y : array-like, shape (n_trials,)
            Class labels.

        Returns
        -------
        self : BenchPipeline
        """
        spec = self._spec()
        X, sfreq = self._windows(X)
        y = np.asarray(y)
        if X.ndim not in (3, 4) or len(y) != len(X):
            raise ValueError(f"BenchPipeline({step_name(spec.steps[-1][0])}): X must have shape "
                             f"(n_trials, n_channels, n_times[, n_bands]) with one label per "
                             f"trial; got X of shape {X.shape} and {len(y)} labels.")
        if (X.ndim == 4) != (spec.input == "filter_bank"):
            want = "4-D filter-bank windows" if spec.input == "filter_bank" else "3-D windows"
            raise ValueError(f"BenchPipeline({self.pipeline!r}) takes {want} (input "
                             f"{spec.input!r}); got X of shape {X.shape}.")
        if sfreq is None and self._needs("sfreq"):
            raise ValueError(f"BenchPipeline({self.pipeline!r}): X is an array, so sfreq (Hz) "
                             "must be given; or pass mne.Epochs (MOABB: return_epochs=True).")
        classes = tuple(np.unique(y).tolist())
        freqs = self._frequencies(classes)
        if not freqs and self._needs("freqs"):
            raise ValueError(
                f"BenchPipeline({self.pipeline!r}) needs stimulus frequencies, but no class "
                f"label {list(classes)} is one; give stim_freqs={{label: Hz}}, or run MOABB with "
                "mne_labels=True so that the labels are the class names (e.g. '13')."
            )
        self.context_ = PipelineContext(
            sfreq=float("nan") if sfreq is None else float(sfreq), classes=classes,
            stim_freqs=freqs, n_channels=X.shape[1], n_times=X.shape[2],
            random_state=self.random_state,
        )
        self.estimator_ = build_pipeline(spec, self.context_).fit(X, y)
        self.classes_ = np.asarray(self.estimator_.classes_)
        return self

    def _fitted_windows(self, X) -> np.ndarray:
        check_is_fitted(self)
        X, sfreq = self._windows(X)
        if sfreq is not None and np.isfinite(self.context_.sfreq) \
                and not np.isclose(sfreq, self.context_.sfreq):
            raise ValueError(f"BenchPipeline: X has sfreq {sfreq:g} Hz, the pipeline was "
                             f"fitted at {self.context_.sfreq:g} Hz.")
        return X

    def predict(self, X) -> np.ndarray:
        """Class labels of windows ``X`` (as in :meth:`fit`), shape (n_trials,)."""
        return self.estimator_.predict(self._fitted_windows(X))

    @available_if(_last_step_has("decision_function"))
    def decision_function(self, X) -> np.ndarray:
        """The pipeline's ``decision_function`` of windows ``X``."""
        return self.estimator_.decision_function(self._fitted_windows(X))

    @available_if(_last_step_has("predict_proba"))
    def predict_proba(self, X) -> np.ndarray:
        """The pipeline's ``predict_proba`` of windows ``X``, shape (n_trials, n_classes)."""
        return self.estimator_.predict_proba(self._fitted_windows(X))


def moabb_pipelines(
    names: Iterable[str], *, sfreq: float | None = None, stim_freqs: Mapping | None = None,
    random_state: int = 42,
) -> dict[str, BenchPipeline]:
    """``{name: BenchPipeline(name, ...)}`` for MOABB's ``evaluation.process(pipelines)``."""
    return {name: BenchPipeline(name, sfreq=sfreq, stim_freqs=stim_freqs,
                                random_state=random_state) for name in names}
