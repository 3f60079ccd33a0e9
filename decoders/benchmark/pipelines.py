"""Pipeline registry: declarative names and parameters → scikit-learn estimators.

A pipeline is a chain of steps with parameters. In a config a step is a registered name, a key
of :data:`STEPS` (``steps: [{from: TRCA, params: {...}}]``), and a whole pipeline a key of
:data:`PIPELINES`; nothing else is imported, so a config cannot make the benchmark run code of
its choosing. From Python a step may also be the estimator class itself. A registered step is
imported only when a pipeline using it is built or checked.

Data-dependent parameters are filled in from the task (:class:`PipelineContext`) when a step's
constructor has a parameter of that name and the config does not set it: ``sfreq`` (Hz),
``freqs`` (stimulus frequencies of the SSVEP classes, Hz) with ``labels`` (their class names),
``rest_label`` (the one class that is not a frequency, e.g. ``"rest"``; None if not exactly one),
``n_classes``, ``n_channels``, ``n_times`` and ``random_state`` (the evaluation's seed).
"""

from __future__ import annotations

import importlib
import inspect
import reprlib
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.pipeline import make_pipeline

from decoders._validation import check_window_values

INPUTS = ("broadband", "filter_bank")

_SHOWN = reprlib.Repr()
_SHOWN.maxlevel, _SHOWN.maxstring, _SHOWN.maxother = 2, 120, 120


def shown(value) -> str:
    """A bounded ``repr`` of a value from a config, for error messages (YAML aliases can make
    a structure of billions of items from a few hundred bytes)."""
    return _SHOWN.repr(value)


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


STEPS: dict[str, str] = {
    # SSVEP
    "CCA": "decoders.ssvep:CCA",
    "FBCCA": "decoders.ssvep:FBCCA",
    "ECCA": "decoders.ssvep:ECCA",
    "TRCA": "decoders.ssvep:TRCA",
    "TDCA": "decoders.ssvep:TDCA",
    "FBSpatialLDA": "decoders.ssvep:FBSpatialLDA",
    "FBSpatialLDACV": "decoders.ssvep:FBSpatialLDACV",
    "FBSpatialLDAEnsemble": "decoders.ssvep:FBSpatialLDAEnsemble",
    "SubBands": "decoders.ssvep:SubBands",
    "StackBands": "decoders.benchmark.pipelines:StackBands",
    "LedoitWolfCovariances": "decoders.benchmark.pipelines:LedoitWolfCovariances",
    # motor imagery
    "CSPLDA": "decoders.motor_imagery:CSPLDA",
    "CSPQDA": "decoders.motor_imagery:CSPQDA",
    "FBCSPSVM": "decoders.motor_imagery:FBCSPSVM",
    "RiemannMDM": "decoders.motor_imagery:RiemannMDM",
    "TangentSpaceLR": "decoders.motor_imagery:TangentSpaceLR",
    "TangentSpaceLRCV": "decoders.motor_imagery:TangentSpaceLRCV",
    "EEGNetClassifier": "decoders.nets:EEGNetClassifier",
    "ShallowConvNetClassifier": "decoders.nets:ShallowConvNetClassifier",
    # shared building blocks
    "BandpassFilter": "decoders.preprocessing:BandpassFilter",
    "CSP": "mne.decoding:CSP",
    "Covariances": "pyriemann.estimation:Covariances",
    "TangentSpace": "pyriemann.tangentspace:TangentSpace",
    "MDM": "pyriemann.classification:MDM",
    "LogisticRegression": "sklearn.linear_model:LogisticRegression",
    "LinearDiscriminantAnalysis": "sklearn.discriminant_analysis:LinearDiscriminantAnalysis",
    "SVC": "sklearn.svm:SVC",
}
"""Registered pipeline steps: the name a config uses (the class name) → where the class is
(fixed here, never read from a config)."""

Step = str | type
"""A pipeline step: a key of :data:`STEPS`, or (from Python only) an estimator class."""


def step_class(step: Step) -> type:
    """The estimator class of a registered step name (imported now), or ``step`` itself.

    Raises
    ------
    ValueError
        If ``step`` is neither a key of :data:`STEPS` nor a class (the message lists the
        registered names).
    """
    if isinstance(step, type):
        return step
    if not isinstance(step, str) or step not in STEPS:
        raise ValueError(f"Unknown pipeline step {shown(step)}; registered steps: {sorted(STEPS)}.")
    module, _, name = STEPS[step].partition(":")
    return getattr(importlib.import_module(module), name)


def step_name(step: Step) -> str:
    """How results and messages name a step: its registered name, or the class's name."""
    return step if isinstance(step, str) else step.__name__


@dataclass(frozen=True)
class PipelineSpec:
    """A declarative pipeline.

    Attributes
    ----------
    steps : tuple of (str or type, dict)
        ``(step, params)`` per step, in order; ``step`` is a key of :data:`STEPS` or (from
        Python) an estimator class.
    input : str
        ``"broadband"`` (X of shape (n_trials, n_channels, n_times)) or ``"filter_bank"``
        (X of shape (n_trials, n_channels, n_times, n_bands) from a filter-bank paradigm).
    """

    steps: tuple[tuple[Step, Mapping], ...]
    input: str = "broadband"
    description: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.input not in INPUTS:
            raise ValueError(f"Pipeline input must be one of {INPUTS}, got {shown(self.input)}.")
        if not isinstance(self.steps, tuple) or not self.steps:
            raise ValueError("A pipeline needs a non-empty tuple of (step, params) pairs.")
        for entry in self.steps:
            if not isinstance(entry, tuple) or len(entry) != 2:
                raise ValueError(f"A pipeline step must be a (step, params) pair, got "
                                 f"{shown(entry)}.")
            step, params = entry
            if not isinstance(step, type) and step not in STEPS:
                raise ValueError(f"Unknown pipeline step {shown(step)}; registered steps: "
                                 f"{sorted(STEPS)}.")
            if not isinstance(params, Mapping) or not all(isinstance(k, str) for k in params):
                raise ValueError(f"Parameters of step {step_name(step)!r} must be a mapping "
                                 f"with string keys, got {shown(params)}.")

    def with_params(self, params: Mapping) -> PipelineSpec:
        """Copy with ``params`` merged into the last step (the classifier)."""
        *head, (step, last) = self.steps
        return PipelineSpec(
            (*head, (step, {**last, **params})), self.input, self.description
        )

    def check(self) -> None:
        """Import every step and check that it accepts its parameters.

        Raises
        ------
        ValueError
            Naming the step and the parameters it does not accept.
        """
        for step, params in self.steps:
            accepted = inspect.signature(step_class(step)).parameters
            unknown = sorted(set(params) - set(accepted))
            if unknown and not any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
                raise ValueError(
                    f"Pipeline step {step_name(step)!r} has no parameter(s) {unknown}; it "
                    f"accepts {sorted(accepted)}."
                )


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
    spec.check()
    injectable = context.values()
    steps = []
    for step, params in spec.steps:
        cls = step_class(step)
        accepted = inspect.signature(cls).parameters
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
        for band in range(X.shape[-1]):  # refused as the decoders refuse them (issue 11)
            check_window_values(X[..., band], name=f"X[..., {band}]")
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


STATELESS_STEPS = frozenset({"StackBands", "LedoitWolfCovariances", "Covariances", "SubBands"})
"""Registered steps whose ``fit`` learns nothing (their classes too, when a spec holds
classes), so each trial's output does not depend on the training set: evaluations run a
pipeline's leading stateless steps once over all trials of a task instead of once per fold
(:func:`split_stateless`)."""


def _is_stateless(step: Step) -> bool:
    if isinstance(step, str):
        return step in STATELESS_STEPS
    return any(step is step_class(name) for name in STATELESS_STEPS)


def split_stateless(spec: PipelineSpec) -> tuple[PipelineSpec | None, PipelineSpec]:
    """Split ``spec`` into its leading :data:`STATELESS_STEPS` (None if none) and the rest.

    The rest keeps at least the last step, so it is always a classifier.
    """
    n = 0
    while n < len(spec.steps) - 1 and _is_stateless(spec.steps[n][0]):
        n += 1
    if n == 0:
        return None, spec
    return (PipelineSpec(spec.steps[:n], spec.input, spec.description),
            PipelineSpec(spec.steps[n:], spec.input, spec.description))


_EXTENDED_COV = (("StackBands", {}), ("LedoitWolfCovariances", {}))
_MI_COV = (("Covariances", {"estimator": "oas"}),)

PIPELINES: dict[str, PipelineSpec] = {
    # SSVEP
    "CCA": PipelineSpec((("CCA", {}),),
                        description="standard CCA (Lin et al. 2006), training-free"),
    "FBCCA": PipelineSpec((("FBCCA", {}),),
                          description="filter-bank CCA (Chen et al. 2015), training-free"),
    "eCCA": PipelineSpec((("ECCA", {}),),
                         description="extended CCA with individual templates"),
    "TRCA": PipelineSpec((("TRCA", {}),),
                         description="task-related component analysis"),
    "TDCA": PipelineSpec((("TDCA", {}),),
                         description="task-discriminant component analysis"),
    "FBSpatialLDA": PipelineSpec(
        (("FBSpatialLDA", {}),),
        description="filter-bank SSVEP power, learned spatial filters + CCA, shrinkage LDA "
                    "with a learned rest class",
    ),
    "FBSpatialLDAEnsemble": PipelineSpec(
        (("FBSpatialLDAEnsemble", {}),),
        description="mean posterior of FBSpatialLDA models: 3 filter-bank settings, each "
                    "without and with covariance tangent-space features",
    ),
    "SSVEP_TS+LR": PipelineSpec(
        (*_EXTENDED_COV, ("TangentSpace", {}), ("LogisticRegression", {"max_iter": 1000})),
        input="filter_bank",
        description="MOABB SSVEP_TS+LR: extended covariances (lwf), tangent space, LR",
    ),
    "SSVEP_MDM": PipelineSpec(
        (*_EXTENDED_COV, ("MDM", {})), input="filter_bank",
        description="MOABB SSVEP_MDM: extended covariances (lwf), minimum distance to mean",
    ),
    # Motor imagery
    "CSP+LDA": PipelineSpec((("CSPLDA", {}),)),
    "CSP+QDA": PipelineSpec((("CSPQDA", {}),)),
    "FBCSP+SVM": PipelineSpec((("FBCSPSVM", {}),)),
    "MDM": PipelineSpec((("RiemannMDM", {}),)),
    "TS+LR": PipelineSpec((("TangentSpaceLR", {}),)),
    "TS+LR-CV": PipelineSpec((("TangentSpaceLRCV", {}),),
                             description="TS+LR, C chosen by inner CV of each training set"),
    "EEGNet": PipelineSpec((("EEGNetClassifier", {}),)),
    "ShallowConvNet": PipelineSpec((("ShallowConvNetClassifier", {}),)),
    "pyRiemann_TS+LR": PipelineSpec(
        (*_MI_COV, ("TangentSpace", {}), ("LogisticRegression", {"max_iter": 1000})),
        description="MOABB TS+LR reference: covariances (oas), tangent space, LR",
    ),
}
"""Registered pipelines by the name used in configs and result tables."""


def _params(value, where: str) -> dict:
    """``value`` (None: no parameters) as a dict with string keys, else ``ValueError``."""
    value = {} if value is None else value
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise ValueError(f"{where} must be a mapping of parameter names to values, got "
                         f"{shown(value)}.")
    return dict(value)


def _keys(entry: Mapping, allowed: set[str], where: str) -> None:
    extra = sorted(set(entry) - allowed, key=repr)
    if extra:
        raise ValueError(f"{where}: unknown key(s) {extra}; allowed: {sorted(allowed)}.")


def resolve_pipeline(entry: Mapping) -> tuple[str, PipelineSpec]:
    """Pipeline of one config entry, checked (its steps are imported to check parameters).

    Parameters
    ----------
    entry : mapping
        Either ``{name: <key of PIPELINES>, params: {...}}`` (params go to the last step) or
        ``{name: <any name>, steps: [{from: <key of STEPS>, params: {...}}, ...],
        input: broadband|filter_bank, params: {...}}``.

    Returns
    -------
    name : str
    spec : PipelineSpec

    Raises
    ------
    ValueError
        On an unknown key, pipeline or step name (the message lists the registered ones), a
        value of the wrong type, or a parameter that the step does not accept.
    """
    if not isinstance(entry, Mapping):
        raise ValueError(f"A pipeline entry must be a mapping, got {shown(entry)}.")
    _keys(entry, {"name", "params", "steps", "input"}, f"Pipeline entry {shown(dict(entry))}")
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise ValueError(f"Pipeline entry {shown(dict(entry))} needs a 'name' string.")
    params = _params(entry.get("params"), f"Pipeline {name!r}: params")
    if "steps" in entry:
        steps = entry["steps"]
        if not isinstance(steps, list) or not steps:
            raise ValueError(f"Pipeline {name!r}: steps must be a non-empty list, got "
                             f"{shown(steps)}.")
        parsed = []
        for i, step in enumerate(steps):
            where = f"Pipeline {name!r}: steps[{i}]"
            if not isinstance(step, Mapping) or "from" not in step:
                raise ValueError(f"{where} must be a mapping with 'from: <step name>' (one of "
                                 f"{sorted(STEPS)}), got {shown(step)}.")
            _keys(step, {"from", "params"}, where)
            if not isinstance(step["from"], str) or step["from"] not in STEPS:
                raise ValueError(f"{where}: unknown step {shown(step['from'])}; registered steps: "
                                 f"{sorted(STEPS)}.")
            parsed.append((step["from"], _params(step.get("params"), f"{where}.params")))
        input_ = entry.get("input", "broadband")
        if not isinstance(input_, str) or input_ not in INPUTS:
            raise ValueError(f"Pipeline {name!r}: input must be one of {list(INPUTS)}, got "
                             f"{shown(input_)}.")
        spec = PipelineSpec(tuple(parsed), input_).with_params(params)
    else:
        if "input" in entry:
            raise ValueError(f"Pipeline {name!r}: 'input' goes with 'steps'; a registered "
                             "pipeline has its own.")
        if name not in PIPELINES:
            raise ValueError(
                f"Unknown pipeline {name!r}; registered pipelines: {sorted(PIPELINES)} "
                "(or give 'steps' to define one)."
            )
        spec = PIPELINES[name].with_params(params)
    spec.check()
    return name, spec
