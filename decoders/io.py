"""Save and load fitted decoders without executing code (skops, not pickle).

A decoder file can come from anyone, so loading it must not run code the file chooses. skops
stores an estimator as a tree of typed nodes (``schema.json`` in a zip) and rebuilds only types
it trusts, but its default trust is wide (every scikit-learn estimator, every numpy and
scipy.special function) and whatever types a caller adds are trusted in every kind of node.
So :func:`load_decoder` reads the tree itself first and accepts a node only if its kind and its
exact module and name are listed in :data:`ALLOWED_NODES`: the decoder classes this project
saves and the scikit-learn, MNE and pyRiemann classes inside them, containers, numpy arrays and
scalars, and two scoring functions that fitted decoders keep (no prefixes, nothing that imports
or calls anything by name). Any other node is refused with its name, before skops imports or
builds anything.

The torch networks (:mod:`decoders.nets`) are not skops files: they save to ``.npz`` with
their own ``save``/``load``.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import skops.io as sio
from sklearn.base import BaseEstimator

from decoders.archive import MAX_TOTAL_BYTES, check_archive

SKOPS_PROTOCOL = 2
"""The skops file protocol whose node kinds :data:`ALLOWED_NODES` was checked against; files
of other protocols are refused (skops' older node kinds read types from other fields)."""

DECODER_CLASSES = frozenset({
    # this project's decoders and their parts
    "decoders.benchmark.pipelines.LedoitWolfCovariances",
    "decoders.benchmark.pipelines.StackBands",
    "decoders.dynamic_stopping.MarginStopping",
    "decoders.emg.MuscleTensionDetector",
    "decoders.motor_imagery.CSPLDA",
    "decoders.motor_imagery.CSPQDA",
    "decoders.motor_imagery.FBCSPSVM",
    "decoders.motor_imagery.RiemannMDM",
    "decoders.motor_imagery.TangentSpaceLR",
    "decoders.motor_imagery.TangentSpaceLRCV",
    "decoders.preprocessing.BandpassFilter",
    "decoders.ssvep.CCA",
    "decoders.ssvep.ECCA",
    "decoders.ssvep.FBCCA",
    "decoders.ssvep.FBSpatialLDA",
    "decoders.ssvep.FBSpatialLDACV",
    "decoders.ssvep.FBSpatialLDAEnsemble",
    "decoders.ssvep.SubBands",
    "decoders.ssvep.TDCA",
    "decoders.ssvep.TRCA",
    # the library classes inside them
    "mne.decoding.csp.CSP",
    "pyriemann.classification.MDM",
    "pyriemann.estimation.Covariances",
    "pyriemann.tangentspace.TangentSpace",
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.discriminant_analysis.LinearDiscriminantAnalysis",
    "sklearn.discriminant_analysis.QuadraticDiscriminantAnalysis",
    "sklearn.feature_selection._univariate_selection.SelectKBest",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.metrics._scorer._Scorer",
    "sklearn.model_selection._search.GridSearchCV",
    "sklearn.model_selection._split.StratifiedKFold",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn.svm._classes.SVC",
})
"""Estimator classes a decoder file may hold (skops ``ObjectNode``), by fully-qualified name."""

SCORE_FUNCTIONS = frozenset({
    "sklearn.feature_selection._mutual_info.mutual_info_classif",  # FBCSPSVM's SelectKBest
    "sklearn.metrics._ranking.roc_auc_score",  # TangentSpaceLRCV's GridSearchCV scorer
})
"""Functions that fitted decoders keep as a reference (used when fitting, never on load or
predict); loading returns the function object, it does not call it."""

NUMPY_SCALARS = frozenset(f"numpy.{t.__name__}" for t in (
    np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
    np.float16, np.float32, np.float64, np.complex64, np.complex128, np.str_,
))
_KEY_TYPES = frozenset(f"builtins.{t}" for t in ("str", "int", "float", "bool"))

ALLOWED_NODES: dict[str, frozenset[str]] = {
    "ObjectNode": DECODER_CLASSES,
    "FunctionNode": SCORE_FUNCTIONS,
    "PartialNode": frozenset({"functools.partial"}),
    "DictNode": frozenset({"builtins.dict"}),
    "ListNode": frozenset({"builtins.list"}),
    "TupleNode": frozenset({"builtins.tuple"}),
    "JsonNode": frozenset({"builtins.str"}),  # JSON text of any value, whatever its type
    "TypeNode": _KEY_TYPES,  # the types of a dict's keys
    "NdArrayNode": frozenset({"numpy.ndarray"}) | NUMPY_SCALARS,
    "MaskedArrayNode": frozenset({"numpy.ma.MaskedArray"}),
}
"""Every kind of skops node a decoder file may hold → the exact ``module.name`` types allowed
in it. A ``CachedNode`` (a second reference to an object already in the file) may name any
of these types."""


def _nodes(tree) -> list[dict]:
    """Every node (a mapping with ``__loader__``) anywhere in a parsed ``schema.json``."""
    found, stack = [], [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "__loader__" in item:
                found.append(item)
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def _node_types(data: bytes, source: Path) -> tuple[list[str], list[str]]:
    """The ``module.name`` of every node of skops ``data`` and the nodes that
    :data:`ALLOWED_NODES` does not allow (as ``"Loader module.name"``), both sorted.

    Raises
    ------
    ValueError
        If ``data`` is not a skops file of protocol :data:`SKOPS_PROTOCOL` or exceeds a limit
        of :mod:`decoders.archive` (the message names ``source``).
    """
    try:
        check_archive(data, source)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            schema = json.loads(archive.read("schema.json"))
    except Exception as err:  # zipfile and json meet a damaged file in many ways
        raise ValueError(f"{source} is not a decoder file written by noir "
                         f"({type(err).__name__}: {err})") from err
    protocol = schema.get("protocol") if isinstance(schema, dict) else None
    if protocol != SKOPS_PROTOCOL or isinstance(protocol, bool):
        raise ValueError(f"{source} is not a decoder file of skops protocol {SKOPS_PROTOCOL} "
                         f"(its protocol: {protocol!r})")
    allowed_anywhere = frozenset().union(*ALLOWED_NODES.values())
    types, refused = set(), set()
    for node in _nodes(schema):
        loader, module, name = (node.get(k) for k in ("__loader__", "__module__", "__class__"))
        if not all(isinstance(v, str) for v in (loader, module, name)) or "." in name:
            refused.add(f"{loader!r} {module!r}.{name!r}")
            continue
        allowed = allowed_anywhere if loader == "CachedNode" else ALLOWED_NODES.get(loader, ())
        types.add(f"{module}.{name}")
        if f"{module}.{name}" not in allowed:
            refused.add(f"{loader} {module}.{name}")
    return sorted(types), sorted(refused)


def save_decoder(decoder: BaseEstimator, path: str | Path) -> Path:
    """Write a fitted ``decoder`` to ``path`` (``.skops``).

    Raises
    ------
    ValueError
        If the decoder holds a type that :func:`load_decoder` would refuse, or one skops
        cannot store (nothing is written then).
    """
    path = Path(path)
    try:
        data = sio.dumps(decoder)
    except Exception as err:  # skops' UnsupportedTypeException and the like
        raise ValueError(f"cannot save {type(decoder).__name__} to {path}: skops cannot store "
                         f"it ({type(err).__name__}: {err})") from err
    _, refused = _node_types(data, path)
    if refused:
        raise ValueError(f"cannot save {type(decoder).__name__} to {path}: it holds types that "
                         f"load_decoder refuses: {refused}")
    path.write_bytes(data)
    return path


def load_decoder(path: str | Path) -> BaseEstimator:
    """Read a decoder written by :func:`save_decoder`; no code from the file runs.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        If the file is not a skops file, exceeds a limit of :mod:`decoders.archive` (a zip
        bomb), holds a node outside :data:`ALLOWED_NODES` (the message names the file and
        the types), cannot be rebuilt, or is not an estimator.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"decoder file {path} not found")
    with path.open("rb") as file:  # one byte more than an archive may be is enough to refuse
        data = file.read(MAX_TOTAL_BYTES + 1)
    types, refused = _node_types(data, path)
    if refused:
        raise ValueError(f"{path} holds types that are not allowed in a decoder file: "
                         f"{refused}; allowed are the exact types of decoders.io.ALLOWED_NODES")
    try:
        decoder = sio.loads(data, trusted=types)
    except Exception as err:  # every node is allowed, but the content is damaged
        raise ValueError(f"{path} is a damaged decoder file ({type(err).__name__}: {err})") \
            from err
    if not isinstance(decoder, BaseEstimator):
        raise ValueError(f"{path} holds a {type(decoder).__name__}, not a decoder")
    return decoder
