"""Pipeline registry: declarative names and parameters → scikit-learn estimators.

A pipeline is a chain of steps, each named by import path (``"module:Class"``) with parameters.
Nothing is imported until a pipeline is built, so a registry entry for a decoder that is not yet
written fails only when it is used. New decoders plug in either by a registry entry here or
directly from a config (``steps: [{from: "decoders.ssvep:TRCA", params: {...}}]``).

Data-dependent parameters are filled in from the task (:class:`PipelineContext`) when a step's
constructor has a parameter of that name and the config does not set it: ``sfreq`` (Hz),
``freqs`` (stimulus frequencies of the SSVEP classes, Hz) with ``labels`` (their class names),
``rest_label`` (the one class that is not a frequency, e.g. ``"rest"``; None if not exactly one),
``n_classes``, ``n_channels``, ``n_times`` and ``random_state`` (the evaluation's seed).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import make_pipeline

INPUTS = ("broadband", "filter_bank")


@dataclass(frozen=True)
class PipelineContext:
    """What a pipeline may need to know about its task.

    Attributes
    ----------
    sfreq : float
        Sampling rate of the windows (Hz).
    classes : tuple of str
        Every class label of the task, sorted.
    stim_freqs : dict of str to float
        Stimulus frequency (Hz) of each class that is an SSVEP frequency.
    n_channels, n_times : int
        Window shape.
    random_state : int
        Seed of the evaluation.
    """

    sfreq: float
    classes: tuple[str, ...]
    stim_freqs: dict[str, float]
    n_channels: int
    n_times: int
    random_state: int

    def values(self) -> dict:
        """Values injectable into a step's constructor, by parameter name."""
        freq_classes = [c for c in self.classes if c in self.stim_freqs]
        other = [c for c in self.classes if c not in self.stim_freqs]
        return {
            "rest_label": other[0] if len(other) == 1 else None,
            "sfreq": self.sfreq,
            "freqs": [self.stim_freqs[c] for c in freq_classes],
            "labels": freq_classes,
            "n_classes": len(self.classes),
            "n_channels": self.n_channels,
            "n_times": self.n_times,
            "random_state": self.random_state,
        }


@dataclass(frozen=True)
class PipelineSpec:
    """A declarative pipeline.

    Attributes
    ----------
    steps : tuple of (str, dict)
        ``("module:Class", params)`` per step, in order.
    input : str
        ``"broadband"`` (X of shape (n_trials, n_channels, n_times)) or ``"filter_bank"``
        (X of shape (n_trials, n_channels, n_times, n_bands) from a filter-bank paradigm).
    """

    steps: tuple[tuple[str, Mapping], ...]
    input: str = "broadband"
    description: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.input not in INPUTS:
            raise ValueError(f"Pipeline input must be one of {INPUTS}, got {self.input!r}.")
        if not self.steps:
            raise ValueError("A pipeline needs at least one step.")
        for path, params in self.steps:
            if not isinstance(path, str) or ":" not in path:
                raise ValueError(f"A step must be named 'module:Class', got {path!r}.")
            if not isinstance(params, Mapping):
                raise ValueError(f"Parameters of step {path!r} must be a mapping, got {params!r}.")

    def with_params(self, params: Mapping) -> PipelineSpec:
        """Copy with ``params`` merged into the last step (the classifier)."""
        *head, (path, last) = self.steps
        return PipelineSpec(
            (*head, (path, {**last, **params})), self.input, self.description
        )


def import_object(path: str) -> type:
    """Import ``"module:attr"``; a failure names the path."""
    module, _, attr = path.partition(":")
    try:
        return getattr(importlib.import_module(module), attr)
    except (ImportError, AttributeError) as err:
        raise ValueError(f"Cannot import pipeline step {path!r}: {err}.") from err


def build_pipeline(spec: PipelineSpec, context: PipelineContext) -> BaseEstimator:
    """Instantiate a pipeline for one task.

    Parameters
    ----------
    spec : PipelineSpec
        The pipeline.
    context : PipelineContext
        Task information injected into constructor parameters not set by ``spec``.

    Returns
    -------
    estimator : sklearn estimator
        Unfitted; a :class:`sklearn.pipeline.Pipeline` when there are several steps.
    """
    injectable = context.values()
    steps = []
    for path, params in spec.steps:
        cls = import_object(path)
        accepted = inspect.signature(cls).parameters
        unknown = sorted(set(params) - set(accepted))
        if unknown and not any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
            raise ValueError(
                f"Pipeline step {path!r} has no parameter(s) {unknown}; it accepts "
                f"{sorted(accepted)}."
            )
        kwargs = {k: v for k, v in injectable.items() if k in accepted and k not in params}
        kwargs.update(params)
        steps.append(cls(**kwargs))
    return steps[0] if len(steps) == 1 else make_pipeline(*steps)


class StackBands(TransformerMixin, BaseEstimator):
    """Filter-bank windows → extended-channel windows (MOABB's ``ExtendedSSVEPSignal``).

    ``(n_trials, n_channels, n_times, n_bands)`` → ``(n_trials, n_bands * n_channels,
    n_times)``, band-major, so that a covariance of the output is the "extended" SSVEP
    covariance of Kalunga et al. 2016.
    """

    def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> StackBands:
        """Nothing to learn."""
        return self

    def __sklearn_is_fitted__(self) -> bool:
        """Stateless: usable without ``fit``."""
        return True

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Stack the bands along the channel axis."""
        X = np.asarray(X)
        if X.ndim != 4:
            raise ValueError(
                f"StackBands needs X of shape (n_trials, n_channels, n_times, n_bands), got "
                f"shape {X.shape}; use a filter-bank paradigm (input: filter_bank)."
            )
        n_trials, n_channels, n_times, n_bands = X.shape
        return X.transpose(0, 3, 1, 2).reshape(n_trials, n_bands * n_channels, n_times)


class LedoitWolfCovariances(TransformerMixin, BaseEstimator):
    """Ledoit-Wolf shrunk covariance of each window, all windows at once.

    The estimate of pyRiemann ``Covariances("lwf")`` (scikit-learn's ``ledoit_wolf`` of each
    window, time samples as observations, centred), vectorised over windows instead of one
    scikit-learn call per window. ``(n_trials, n_channels, n_times)`` →
    ``(n_trials, n_channels, n_channels)``.
    """

    def fit(self, X: np.ndarray, y: np.ndarray | None = None) -> LedoitWolfCovariances:
        """Nothing to learn."""
        return self

    def __sklearn_is_fitted__(self) -> bool:
        """Stateless: usable without ``fit``."""
        return True

    def transform(self, X: np.ndarray) -> np.ndarray:
        """Shrunk covariances (Ledoit & Wolf 2004, scikit-learn's formulas)."""
        X = np.asarray(X, dtype=float)
        if X.ndim != 3:
            raise ValueError(f"LedoitWolfCovariances needs X of shape (n_trials, n_channels, "
                             f"n_times), got shape {X.shape}.")
        _, n_channels, n_times = X.shape
        X = X - X.mean(axis=2, keepdims=True)
        emp = X @ X.transpose(0, 2, 1) / n_times  # empirical covariances
        trace = np.trace(emp, axis1=1, axis2=2)
        mu = trace / n_channels
        beta_ = np.sum(np.sum(X**2, axis=1) ** 2, axis=1)  # sum of the entries of X2 X2^T
        delta_ = np.sum(emp**2, axis=(1, 2))
        beta = (beta_ / n_times - delta_) / (n_channels * n_times)
        delta = (delta_ - 2.0 * mu * trace + n_channels * mu**2) / n_channels
        beta = np.minimum(beta, delta)
        shrinkage = np.divide(beta, delta, out=np.zeros_like(beta), where=delta != 0)
        shrunk = (1.0 - shrinkage)[:, None, None] * emp
        shrunk[:, np.arange(n_channels), np.arange(n_channels)] += (shrinkage * mu)[:, None]
        return shrunk


STATELESS_STEPS = frozenset({
    "decoders.benchmark.pipelines:StackBands",
    "decoders.benchmark.pipelines:LedoitWolfCovariances",
    "pyriemann.estimation:Covariances",
    "decoders.ssvep:SubBands",
})
"""Steps whose ``fit`` learns nothing, so each trial's output does not depend on the training
set: evaluations run a pipeline's leading stateless steps once over all trials of a task instead
of once per fold (:func:`split_stateless`)."""


def split_stateless(spec: PipelineSpec) -> tuple[PipelineSpec | None, PipelineSpec]:
    """Split ``spec`` into its leading :data:`STATELESS_STEPS` (None if none) and the rest.

    The rest keeps at least the last step, so it is always a classifier.
    """
    n = 0
    while n < len(spec.steps) - 1 and spec.steps[n][0] in STATELESS_STEPS:
        n += 1
    if n == 0:
        return None, spec
    return (PipelineSpec(spec.steps[:n], spec.input, spec.description),
            PipelineSpec(spec.steps[n:], spec.input, spec.description))


_EXTENDED_COV = (
    ("decoders.benchmark.pipelines:StackBands", {}),
    ("decoders.benchmark.pipelines:LedoitWolfCovariances", {}),
)
_MI_COV = (("pyriemann.estimation:Covariances", {"estimator": "oas"}),)

PIPELINES: dict[str, PipelineSpec] = {
    # SSVEP
    "CCA": PipelineSpec((("decoders.ssvep:CCA", {}),),
                        description="standard CCA (Lin et al. 2006), training-free"),
    "FBCCA": PipelineSpec((("decoders.ssvep:FBCCA", {}),),
                          description="filter-bank CCA (Chen et al. 2015), training-free"),
    "eCCA": PipelineSpec((("decoders.ssvep:ECCA", {}),),
                         description="extended CCA with individual templates"),
    "TRCA": PipelineSpec((("decoders.ssvep:TRCA", {}),),
                         description="task-related component analysis"),
    "TDCA": PipelineSpec((("decoders.ssvep:TDCA", {}),),
                         description="task-discriminant component analysis"),
    "SSVEP_TS+LR": PipelineSpec(
        (*_EXTENDED_COV, ("pyriemann.tangentspace:TangentSpace", {}),
         ("sklearn.linear_model:LogisticRegression", {"max_iter": 1000})),
        input="filter_bank",
        description="MOABB SSVEP_TS+LR: extended covariances (lwf), tangent space, LR",
    ),
    "SSVEP_MDM": PipelineSpec(
        (*_EXTENDED_COV, ("pyriemann.classification:MDM", {})), input="filter_bank",
        description="MOABB SSVEP_MDM: extended covariances (lwf), minimum distance to mean",
    ),
    # Motor imagery
    "CSP+LDA": PipelineSpec((("decoders.motor_imagery:CSPLDA", {}),)),
    "CSP+QDA": PipelineSpec((("decoders.motor_imagery:CSPQDA", {}),)),
    "FBCSP+SVM": PipelineSpec((("decoders.motor_imagery:FBCSPSVM", {}),)),
    "MDM": PipelineSpec((("decoders.motor_imagery:RiemannMDM", {}),)),
    "TS+LR": PipelineSpec((("decoders.motor_imagery:TangentSpaceLR", {}),)),
    "TS+LR-CV": PipelineSpec((("decoders.motor_imagery:TangentSpaceLRCV", {}),),
                             description="TS+LR, C chosen by inner CV of each training set"),
    "EEGNet": PipelineSpec((("decoders.nets:EEGNetClassifier", {}),)),
    "ShallowConvNet": PipelineSpec((("decoders.nets:ShallowConvNetClassifier", {}),)),
    "pyRiemann_TS+LR": PipelineSpec(
        (*_MI_COV, ("pyriemann.tangentspace:TangentSpace", {}),
         ("sklearn.linear_model:LogisticRegression", {"max_iter": 1000})),
        description="MOABB TS+LR reference: covariances (oas), tangent space, LR",
    ),
}
"""Registered pipelines by the name used in configs and result tables."""


def resolve_pipeline(entry: Mapping) -> tuple[str, PipelineSpec]:
    """Pipeline of one config entry.

    Parameters
    ----------
    entry : mapping
        Either ``{name: <registered name>, params: {...}}`` (params go to the last step) or
        ``{name: <any name>, steps: [{from: "module:Class", params: {...}}, ...],
        input: broadband|filter_bank}``.

    Returns
    -------
    name : str
    spec : PipelineSpec
    """
    allowed = {"name", "params", "steps", "input"}
    extra = sorted(set(entry) - allowed)
    if extra:
        raise ValueError(f"Pipeline entry {dict(entry)!r}: unknown key(s) {extra}; "
                         f"allowed: {sorted(allowed)}.")
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"Pipeline entry {dict(entry)!r} needs a 'name' string.")
    params = entry.get("params") or {}
    if not isinstance(params, Mapping):
        raise ValueError(f"Pipeline {name!r}: params must be a mapping, got {params!r}.")
    if "steps" in entry:
        steps = entry["steps"]
        if not isinstance(steps, Sequence) or isinstance(steps, str) or not steps:
            raise ValueError(f"Pipeline {name!r}: steps must be a non-empty list.")
        parsed = []
        for step in steps:
            if not isinstance(step, Mapping) or "from" not in step:
                raise ValueError(
                    f"Pipeline {name!r}: each step must be a mapping with 'from: module:Class', "
                    f"got {step!r}."
                )
            parsed.append((step["from"], dict(step.get("params") or {})))
        spec = PipelineSpec(tuple(parsed), entry.get("input", "broadband"))
        return name, spec.with_params(params)
    if name not in PIPELINES:
        raise ValueError(
            f"Unknown pipeline {name!r}; registered pipelines: {sorted(PIPELINES)} "
            "(or give 'steps' to define one)."
        )
    return name, PIPELINES[name].with_params(params)
