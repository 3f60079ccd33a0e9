"""Declarative benchmark configs (YAML) and their execution.

A config names datasets, a paradigm, an evaluation and pipelines; it is loaded with
``yaml.safe_load`` and checked before anything runs (every key, the type of every value).
Everything in it is data or a registered name: datasets, paradigms, evaluations, pipelines
(:data:`~decoders.benchmark.pipelines.PIPELINES`) and pipeline steps
(:data:`~decoders.benchmark.pipelines.STEPS`) are looked up in registries, so a config cannot
import or call anything of its choosing::

    name: ssvep_exo_4class
    datasets:
      - name: SSVEPExo            # a key of the dataset registry
        params: {drop_duplicate: true}
        subjects: [1, 3]          # optional; default: all
      # or a BIDS root (decoders.benchmark.bids.BIDSDataset; root relative to the config):
      # - name: BIDSDataset
      #   params: {root: bids, task: ssvepexo, paradigm: ssvep, interval: [2, 4]}
      # or any MNE-readable files (paths relative to the config's folder):
      # - name: FileDataset
      #   params: {files: {1: {"0": {"0": s1.fif}}}, event_id: {"13": "stim/13"},
      #            paradigm: ssvep, interval: [0, 4]}
    paradigm:
      name: SSVEP                 # SSVEP | FilterBankSSVEP | MotorImagery | LeftRightImagery
      params: {fmin: 7, fmax: 45, events: ["13", "17", "21", "rest"], tmin: 0, tmax: 2}
      filter_bank: null           # optional bands [[low, high], ...] for filter-bank pipelines
    evaluation:
      name: within-session        # within-session | cross-session | cross-subject |
                                  # cross-subject-recentered (params: n_calibration)
      params: {n_splits: 5, random_state: 42, gaze_shift: 1.0}
      windows: [0.5, 1, 2]        # optional window lengths (s)
    pipelines:
      - name: CCA
      - name: SSVEP_TS+LR
        params: {C: 1.0}          # to the last step
      - name: TRCA-2              # a pipeline of registered steps
        steps:
          - {from: TRCA, params: {n_harmonics: 2}}
        input: broadband          # broadband | filter_bank
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from decoders.benchmark.bids import BIDSDataset
from decoders.benchmark.datasets import DATASETS, Dataset
from decoders.benchmark.evaluations import EVALUATIONS
from decoders.benchmark.paradigms import PARADIGMS
from decoders.benchmark.pipelines import PipelineSpec, resolve_pipeline, shown, step_name
from decoders.benchmark.transfer import RecenteredCrossSubjectEvaluation

DatasetFactory = Callable[..., Dataset]
CONFIG_DATASETS: dict[str, DatasetFactory] = {**DATASETS, "BIDSDataset": BIDSDataset}
"""Datasets a config can name: :data:`~decoders.benchmark.datasets.DATASETS` and
:class:`~decoders.benchmark.bids.BIDSDataset`."""
_RELATIVE = ("FileDataset", "BIDSDataset")  # their paths are relative to the config's folder


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
    source: str = "<config>"


def _mapping(value, where: str, source: str, required: tuple[str, ...] = (),
             allowed: tuple[str, ...] | None = ()) -> dict:
    """``value`` as a dict if it is a mapping with string keys, all ``required`` keys and no
    key outside ``required`` + ``allowed`` (``allowed=None``: any key); else ConfigError."""
    if not isinstance(value, Mapping):
        raise ConfigError(f"{source}: {where} must be a mapping, got {shown(value)}.")
    bad = [k for k in value if not isinstance(k, str)]
    if bad:
        raise ConfigError(f"{source}: {where} has non-string key(s) {shown(bad)}.")
    missing = [k for k in required if k not in value]
    if missing:
        raise ConfigError(f"{source}: {where} is missing key(s) {missing}.")
    if allowed is not None:
        extra = sorted(set(value) - set(required) - set(allowed))
        if extra:
            raise ConfigError(f"{source}: {where} has unknown key(s) {extra}; allowed: "
                              f"{sorted(set(required) | set(allowed))}.")
    return dict(value)


def _is_number(value) -> bool:
    """A finite int or float within the float range (the numbers are used as floats)."""
    return isinstance(value, int | float) and not isinstance(value, bool) \
        and abs(value) <= sys.float_info.max


_KINDS: dict[str, tuple[str, Callable[[object], bool]]] = {
    "number": ("a number", _is_number),
    "int": ("an integer", lambda v: isinstance(v, int) and not isinstance(v, bool)),
    "str": ("a string", lambda v: isinstance(v, str)),
    "names": ("a non-empty list of names", lambda v: isinstance(v, list) and bool(v) and all(
        isinstance(x, str) or _is_number(x) for x in v)),
    "numbers": ("a non-empty list of numbers", lambda v: isinstance(v, list) and bool(v)
                and all(_is_number(x) for x in v)),
    "bands": ("a non-empty list of [low, high] pairs in Hz", lambda v: isinstance(v, list)
              and bool(v) and all(isinstance(b, list) and len(b) == 2
                                  and all(_is_number(x) for x in b) for b in v)),
}
"""Value kinds of config fields: description and test. A field of kind ``"number?"`` may also
be null."""

PARADIGM_FIELDS = {
    "fmin": "number?", "fmax": "number?", "filters": "bands?", "events": "names?",
    "tmin": "number", "tmax": "number?", "window": "number?", "channels": "names?",
    "resample": "number?", "phase": "str", "filter_order": "int",
}
"""Keys of ``paradigm.params`` and their kinds (see :class:`~decoders.benchmark.paradigms.
Paradigm`)."""
CONFIG_EVALUATIONS = {**EVALUATIONS, RecenteredCrossSubjectEvaluation.name:
                      RecenteredCrossSubjectEvaluation}
"""Evaluations a config can name: :data:`~decoders.benchmark.evaluations.EVALUATIONS` and
:class:`~decoders.benchmark.transfer.RecenteredCrossSubjectEvaluation`."""
EVALUATION_FIELDS = {"n_splits": "int", "random_state": "int?", "gaze_shift": "number",
                     "n_calibration": "int"}
"""Keys of ``evaluation.params`` and their kinds."""


def _check_fields(values: dict, fields: dict[str, str], where: str, source: str) -> dict:
    """Check the kind of each of ``values`` (keys already checked against ``fields``)."""
    for key, value in values.items():
        kind = fields[key]
        if value is None and kind.endswith("?"):
            continue
        text, test = _KINDS[kind.rstrip("?")]
        if not test(value):
            null = " or null" if kind.endswith("?") else ""
            raise ConfigError(f"{source}: {where}.{key} must be {text}{null}, got {shown(value)}.")
    return values


def parse_config(
    data: Mapping, source: str = "<config>", dataset_names: tuple[str, ...] = ()
) -> BenchConfig:
    """Check a config mapping and return it as a :class:`BenchConfig`.

    Every key and the type of every value is checked; paradigm, evaluation and pipelines are
    built once (steps are imported by registered name only) so that bad values fail here,
    before any data is loaded. Dataset parameters are checked when the dataset is built.

    Parameters
    ----------
    data : mapping
        Parsed YAML.
    source : str
        File name used in error messages.
    dataset_names : tuple of str
        Extra dataset names accepted besides :data:`CONFIG_DATASETS`.

    Raises
    ------
    ConfigError
        Naming ``source``, the key and what was expected.
    """
    top = _mapping(data, "the config", source, ("datasets", "paradigm", "evaluation",
                                                  "pipelines"), ("name",))
    name = top.get("name", Path(source).stem)
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{source}: name must be a non-empty string, got {shown(name)}.")
    known = sorted(set(CONFIG_DATASETS) | set(dataset_names))
    if not isinstance(top["datasets"], list) or not top["datasets"]:
        raise ConfigError(f"{source}: 'datasets' must be a non-empty list.")
    datasets = []
    for i, entry in enumerate(top["datasets"]):
        entry = _mapping(entry, f"datasets[{i}]", source, ("name",), ("params", "subjects"))
        if not isinstance(entry["name"], str) or entry["name"] not in known:
            raise ConfigError(f"{source}: datasets[{i}].name {shown(entry['name'])} is not one of "
                              f"{known}.")
        subjects = entry.get("subjects")
        if subjects is not None and not (_KINDS["numbers"][1](subjects) and all(
                isinstance(s, int) for s in subjects)):
            raise ConfigError(f"{source}: datasets[{i}].subjects must be a non-empty list of "
                              f"integers, got {shown(subjects)}.")
        params = _mapping(entry.get("params") or {}, f"datasets[{i}].params", source,
                          allowed=None)
        datasets.append(DatasetEntry(entry["name"], params, subjects))
    para = _mapping(top["paradigm"], "paradigm", source, ("name",), ("params", "filter_bank"))
    if not isinstance(para["name"], str) or para["name"] not in PARADIGMS:
        raise ConfigError(f"{source}: paradigm.name {shown(para['name'])} is not one of "
                          f"{sorted(PARADIGMS)}.")
    para_params = _check_fields(
        _mapping(para.get("params") or {}, "paradigm.params", source,
                 allowed=tuple(PARADIGM_FIELDS)), PARADIGM_FIELDS, "paradigm.params", source)
    filter_bank = _check_fields({"filter_bank": para.get("filter_bank")},
                                {"filter_bank": "bands?"}, "paradigm", source)["filter_bank"]
    try:
        PARADIGMS[para["name"]](**para_params)
        if filter_bank is not None:
            PARADIGMS[para["name"]](filters=filter_bank)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{source}: paradigm: {err}") from err
    ev = _mapping(top["evaluation"], "evaluation", source, ("name",), ("params", "windows"))
    if not isinstance(ev["name"], str) or ev["name"] not in CONFIG_EVALUATIONS:
        raise ConfigError(f"{source}: evaluation.name {shown(ev['name'])} is not one of "
                          f"{sorted(CONFIG_EVALUATIONS)}.")
    ev_params = _check_fields(
        _mapping(ev.get("params") or {}, "evaluation.params", source,
                 allowed=tuple(EVALUATION_FIELDS)), EVALUATION_FIELDS, "evaluation.params",
        source)
    windows = _check_fields({"windows": ev.get("windows")}, {"windows": "numbers?"},
                            "evaluation", source)["windows"]
    try:
        CONFIG_EVALUATIONS[ev["name"]](windows=windows, **ev_params)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{source}: evaluation: {err}") from err
    if not isinstance(top["pipelines"], list) or not top["pipelines"]:
        raise ConfigError(f"{source}: 'pipelines' must be a non-empty list.")
    pipelines = {}
    for i, entry in enumerate(top["pipelines"]):
        try:
            name_i, spec = resolve_pipeline(entry)
        except ValueError as err:
            raise ConfigError(f"{source}: pipelines[{i}]: {err}") from err
        if name_i in pipelines:
            raise ConfigError(f"{source}: pipelines[{i}]: duplicate pipeline name {name_i!r}.")
        pipelines[name_i] = spec
    return BenchConfig(
        name=name, datasets=datasets, paradigm=para["name"], paradigm_params=para_params,
        filter_bank=filter_bank, evaluation=ev["name"], evaluation_params=ev_params,
        windows=windows, pipelines=pipelines, source=source,
    )


def load_config(path: str | Path, dataset_names: tuple[str, ...] = ()) -> BenchConfig:
    """Read and check a YAML benchmark config (``yaml.safe_load``: no code runs).

    Parameters
    ----------
    path : path-like
        YAML file (UTF-8).
    dataset_names : tuple of str
        Extra dataset names accepted (e.g. ``"Synthetic"`` registered by :mod:`noir.bench`).

    Raises
    ------
    ConfigError
        If the file is missing, not UTF-8 text, not YAML, or not a valid config (the message
        names the file).
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: config file not found.")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not a UTF-8 text file, so not a YAML config ({err}).") \
            from err
    try:
        data = yaml.safe_load(text)
    # ValueError: PyYAML's int() of a number of more than 4300 digits
    except (yaml.YAMLError, ValueError, RecursionError) as err:
        raise ConfigError(f"{path}: not valid YAML ({err}).") from err
    return parse_config(data, str(path), dataset_names)


def config_summary(config: BenchConfig) -> dict:
    """The config as plain data (for reports): source, datasets, paradigm, evaluation, and each
    pipeline's steps with their parameters."""
    return {
        "name": config.name, "source": config.source,
        "datasets": [{"name": d.name, "params": d.params, "subjects": d.subjects}
                     for d in config.datasets],
        "paradigm": {"name": config.paradigm, "params": config.paradigm_params,
                     "filter_bank": config.filter_bank},
        "evaluation": {"name": config.evaluation, "params": config.evaluation_params,
                       "windows": config.windows},
        "pipelines": {name: {"input": spec.input,
                             "steps": [[step_name(step), dict(params)]
                                       for step, params in spec.steps]}
                      for name, spec in config.pipelines.items()},
    }


def build_dataset(
    config: BenchConfig, entry: DatasetEntry,
    extra_datasets: Mapping[str, DatasetFactory] | None = None,
) -> Dataset:
    """The dataset of one entry of ``config`` (FileDataset/BIDSDataset paths relative to the
    config's folder).

    Raises
    ------
    ConfigError
        If the name is unknown or the dataset refuses its parameters (naming the config).
    """
    factories = {**CONFIG_DATASETS, **(extra_datasets or {})}
    if entry.name not in factories:
        raise ConfigError(f"{config.source}: dataset {entry.name!r} is not one of "
                          f"{sorted(factories)}.")
    params = dict(entry.params)
    if entry.name in _RELATIVE and "base" not in params:
        params["base"] = Path(config.source).parent
    try:
        return factories[entry.name](**params)
    except (TypeError, ValueError) as err:
        raise ConfigError(f"{config.source}: dataset {entry.name!r}: bad params "
                          f"{entry.params}: {err}") from err


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
        Dataset factories by name, besides :data:`CONFIG_DATASETS`.
    progress : callable | None
        ``progress(stage, total) -> tick`` (see ``BaseEvaluation.evaluate``); ``stage`` is
        prefixed with the dataset code.

    Returns
    -------
    results : pandas.DataFrame
        Rows of every dataset (see :data:`~decoders.benchmark.evaluations.RESULT_COLUMNS`);
        ``attrs["phase_locking"]`` and ``attrs["warnings"]`` as the evaluations set them (each
        warning is also issued as a ``UserWarning``), ``attrs["config"]``
        (:func:`config_summary`).
    """
    paradigm = PARADIGMS[config.paradigm](**config.paradigm_params)
    evaluation = CONFIG_EVALUATIONS[config.evaluation](
        windows=config.windows, n_jobs=n_jobs, scheduler=scheduler, **config.evaluation_params
    )
    frames = []
    for entry in config.datasets:
        dataset = build_dataset(config, entry, extra_datasets)
        stage = (lambda s, n, code=dataset.code: progress(f"{code}: {s}", n)) if progress else None
        frames.append(evaluation.evaluate(
            dataset, paradigm, config.pipelines, subjects=entry.subjects,
            filters=config.filter_bank, progress=stage,
        ))
    results = pd.concat(frames, ignore_index=True)
    results.attrs = {
        "phase_locking": [r for f in frames for r in f.attrs.get("phase_locking", [])],
        "warnings": [w for f in frames for w in f.attrs.get("warnings", [])],
        "config": config_summary(config),
    }
    for message in results.attrs["warnings"]:
        warnings.warn(message, UserWarning, stacklevel=2)
    return results
