"""Declarative benchmark configs (YAML) and their execution.

A config names datasets, a paradigm, an evaluation and pipelines; it is loaded with
``yaml.safe_load`` (no code is executed) and checked before anything runs::

    name: ssvep_exo_4class
    datasets:
      - name: SSVEPExo            # a key of the dataset registry
        params: {drop_duplicate: true}
        subjects: [1, 3]          # optional; default: all
    paradigm:
      name: SSVEP                 # SSVEP | FilterBankSSVEP | MotorImagery | LeftRightImagery
      params: {fmin: 7, fmax: 45, events: ["13", "17", "21", "rest"], tmin: 0, tmax: 2}
      filter_bank: null           # optional bands [[low, high], ...] for filter-bank pipelines
    evaluation:
      name: within-session        # within-session | cross-session | cross-subject
      params: {n_splits: 5, random_state: 42, gaze_shift: 1.0}
      windows: [0.5, 1, 2]        # optional window lengths (s)
    pipelines:
      - name: CCA
      - name: SSVEP_TS+LR
        params: {C: 1.0}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from decoders.benchmark.datasets import DATASETS, Dataset
from decoders.benchmark.evaluations import EVALUATIONS
from decoders.benchmark.paradigms import PARADIGMS
from decoders.benchmark.pipelines import PipelineSpec, resolve_pipeline

DatasetFactory = Callable[..., Dataset]


class ConfigError(ValueError):
    """A benchmark config is invalid; the message names the file and the key."""


@dataclass(frozen=True)
class DatasetEntry:
    """One dataset of a config."""

    name: str
    params: dict
    subjects: list[int] | None


@dataclass(frozen=True)
class BenchConfig:
    """A checked benchmark config (see the module docstring for the YAML layout)."""

    name: str
    datasets: list[DatasetEntry]
    paradigm: str
    paradigm_params: dict
    filter_bank: list[list[float]] | None
    evaluation: str
    evaluation_params: dict
    windows: list[float] | None
    pipelines: dict[str, PipelineSpec]


def _mapping(value, where: str, source: str, required: tuple[str, ...] = (),
             allowed: tuple[str, ...] = ()) -> dict:
    if not isinstance(value, Mapping):
        raise ConfigError(f"{source}: {where} must be a mapping, got {value!r}.")
    missing = [k for k in required if k not in value]
    if missing:
        raise ConfigError(f"{source}: {where} is missing key(s) {missing}.")
    extra = sorted(set(value) - set(required) - set(allowed))
    if extra:
        raise ConfigError(f"{source}: {where} has unknown key(s) {extra}; allowed: "
                          f"{sorted(set(required) | set(allowed))}.")
    return dict(value)


def parse_config(
    data: Mapping, source: str = "<config>", dataset_names: tuple[str, ...] = ()
) -> BenchConfig:
    """Check a config mapping and return it as a :class:`BenchConfig`.

    Parameters
    ----------
    data : mapping
        Parsed YAML.
    source : str
        File name used in error messages.
    dataset_names : tuple of str
        Extra dataset names accepted besides :data:`~decoders.benchmark.datasets.DATASETS`.
    """
    top = _mapping(data, "the config", source, ("datasets", "paradigm", "evaluation",
                                                  "pipelines"), ("name",))
    known = sorted(set(DATASETS) | set(dataset_names))
    if not isinstance(top["datasets"], list) or not top["datasets"]:
        raise ConfigError(f"{source}: 'datasets' must be a non-empty list.")
    datasets = []
    for i, entry in enumerate(top["datasets"]):
        entry = _mapping(entry, f"datasets[{i}]", source, ("name",), ("params", "subjects"))
        if entry["name"] not in known:
            raise ConfigError(f"{source}: datasets[{i}].name {entry['name']!r} is not one of "
                              f"{known}.")
        subjects = entry.get("subjects")
        if subjects is not None and (not isinstance(subjects, list) or not subjects or not all(
                isinstance(s, int) and not isinstance(s, bool) for s in subjects)):
            raise ConfigError(f"{source}: datasets[{i}].subjects must be a non-empty list of "
                              f"integers, got {subjects!r}.")
        params = _mapping(entry.get("params") or {}, f"datasets[{i}].params", source,
                          allowed=tuple(entry.get("params") or {}))
        datasets.append(DatasetEntry(entry["name"], params, subjects))
    para = _mapping(top["paradigm"], "paradigm", source, ("name",), ("params", "filter_bank"))
    if para["name"] not in PARADIGMS:
        raise ConfigError(f"{source}: paradigm.name {para['name']!r} is not one of "
                          f"{sorted(PARADIGMS)}.")
    para_params = dict(para.get("params") or {})
    try:
        PARADIGMS[para["name"]](**para_params)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{source}: paradigm.params: {err}") from err
    ev = _mapping(top["evaluation"], "evaluation", source, ("name",), ("params", "windows"))
    if ev["name"] not in EVALUATIONS:
        raise ConfigError(f"{source}: evaluation.name {ev['name']!r} is not one of "
                          f"{sorted(EVALUATIONS)}.")
    ev_params = dict(ev.get("params") or {})
    bad = sorted(set(ev_params) - {"n_splits", "random_state", "gaze_shift"})
    if bad:
        raise ConfigError(f"{source}: evaluation.params has unknown key(s) {bad}; allowed: "
                          "['gaze_shift', 'n_splits', 'random_state'].")
    try:
        EVALUATIONS[ev["name"]](windows=ev.get("windows"), **ev_params)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{source}: evaluation: {err}") from err
    if not isinstance(top["pipelines"], list) or not top["pipelines"]:
        raise ConfigError(f"{source}: 'pipelines' must be a non-empty list.")
    pipelines = {}
    for i, entry in enumerate(top["pipelines"]):
        if not isinstance(entry, Mapping):
            raise ConfigError(f"{source}: pipelines[{i}] must be a mapping, got {entry!r}.")
        try:
            name, spec = resolve_pipeline(entry)
        except ValueError as err:
            raise ConfigError(f"{source}: pipelines[{i}]: {err}") from err
        if name in pipelines:
            raise ConfigError(f"{source}: pipelines[{i}]: duplicate pipeline name {name!r}.")
        pipelines[name] = spec
    return BenchConfig(
        name=str(top.get("name", Path(source).stem)), datasets=datasets,
        paradigm=para["name"], paradigm_params=para_params, filter_bank=para.get("filter_bank"),
        evaluation=ev["name"], evaluation_params=ev_params, windows=ev.get("windows"),
        pipelines=pipelines,
    )


def load_config(path: str | Path, dataset_names: tuple[str, ...] = ()) -> BenchConfig:
    """Read and check a YAML benchmark config (``yaml.safe_load``: no code runs).

    Parameters
    ----------
    path : path-like
        YAML file.
    dataset_names : tuple of str
        Extra dataset names accepted (e.g. ``"Synthetic"`` registered by :mod:`noir.bench`).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found.")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as err:
        raise ConfigError(f"{path}: not valid YAML ({err}).") from err
    return parse_config(data, str(path), dataset_names)


def run_benchmark(
    config: BenchConfig,
    *,
    n_jobs: int = 1,
    scheduler: str | None = None,
    extra_datasets: Mapping[str, DatasetFactory] | None = None,
    progress: Callable[[str, int], Callable[[], None]] | None = None,
) -> pd.DataFrame:
    """Run every dataset of a config.

    Parameters
    ----------
    config : BenchConfig
    n_jobs : int
        joblib workers.
    scheduler : str | None
        Dask scheduler address (``tcp://host:port``); overrides ``n_jobs``.
    extra_datasets : mapping of str to callable | None
        Dataset factories by name, besides :data:`~decoders.benchmark.datasets.DATASETS`.
    progress : callable | None
        ``progress(stage, total) -> tick`` (see ``BaseEvaluation.evaluate``); ``stage`` is
        prefixed with the dataset code.

    Returns
    -------
    results : pandas.DataFrame
        Rows of every dataset (see :data:`~decoders.benchmark.evaluations.RESULT_COLUMNS`).
    """
    factories = {**DATASETS, **(extra_datasets or {})}
    paradigm = PARADIGMS[config.paradigm](**config.paradigm_params)
    evaluation = EVALUATIONS[config.evaluation](
        windows=config.windows, n_jobs=n_jobs, scheduler=scheduler, **config.evaluation_params
    )
    frames = []
    for entry in config.datasets:
        if entry.name not in factories:
            raise ConfigError(f"dataset {entry.name!r} is not one of {sorted(factories)}.")
        try:
            dataset = factories[entry.name](**entry.params)
        except TypeError as err:
            raise ConfigError(f"dataset {entry.name!r}: bad params {entry.params}: {err}") from err
        stage = (lambda s, n, code=dataset.code: progress(f"{code}: {s}", n)) if progress else None
        frames.append(evaluation.evaluate(
            dataset, paradigm, config.pipelines, subjects=entry.subjects,
            filters=config.filter_bank, progress=stage,
        ))
    return pd.concat(frames, ignore_index=True)
