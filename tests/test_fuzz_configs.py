"""Fuzz: bench configs × mutations (issue 11).

Every case starts from a shipped config (``experiments/bench_configs/*.yaml``) and changes it:
keys dropped or added, values of other types, unknown or ``"module:attr"`` step and pipeline
names, huge or non-finite numbers, shared (aliased) structures, PyYAML's Python tags, binary
bytes, a truncated or byte-flipped file.

The contract (``decoders.benchmark.run.load_config``): a ``ValueError`` whose message names
the file, or a checked config whose steps are all registered and whose numbers are finite;
and nothing a config names is ever imported or run: the sentinel module is never imported,
``os.system`` is never called, and loading a config imports no module at all.
"""

from __future__ import annotations

import math
import re
import reprlib
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from _fuzz import SENTINEL_MODULE, assert_nothing_ran, case, fuzz_settings, key_paths, no_code_runs
from hypothesis import given
from hypothesis import strategies as st

from decoders.benchmark.pipelines import STEPS, PipelineSpec, step_class
from decoders.benchmark.run import BenchConfig, load_config

CONFIGS = sorted((Path(__file__).resolve().parents[1] / "experiments" / "bench_configs")
                 .glob("*.yaml"))
ORIGINALS = {path.name: yaml.safe_load(path.read_text()) for path in CONFIGS}
CODE = ["os:system", "os.system", "builtins:eval", "builtins.exec", "subprocess:Popen",
        f"{SENTINEL_MODULE}:run", SENTINEL_MODULE, f"{SENTINEL_MODULE}.run",
        "decoders.benchmark.pipelines:import_object", "decoders.ssvep:CCA",
        "sklearn.svm:SVC", "importlib:import_module", "__import__", "os:abort"]
"""Names of code, as a config could try to give them."""
KEYS = ["name", "params", "steps", "from", "input", "subjects", "filter_bank", "windows",
        "n_splits", "random_state", "gaze_shift", "tmin", "tmax", "fmin", "fmax", "events",
        "filters", "window", "channels", "resample", "phase", "filter_order", "kind",
        "classes", "__class__", "!!python/object", "C", "n_harmonics", ""]


def _aliased(depth: int = 9, width: int = 10) -> list:
    """A "billion laughs" structure: ``width ** depth`` items through shared references (YAML
    writes it with anchors and aliases in a few hundred bytes)."""
    item: list = ["lol"] * width
    for _ in range(depth - 1):
        item = [item] * width
    return item


VALUES = st.one_of(
    st.sampled_from(CODE),
    st.sampled_from([None, True, False, 0, -1, 1, 5, 2**31, 2**64, 10**30, 10**400, -10**400,
                     0.5, -0.0, 1e308, math.nan, math.inf, -math.inf, "", "zero", "causal",
                     "broadband", "filter_bank", "CCA", "TRCA", "SSVEP", "Synthetic",
                     "within-session", [], {}, [None], [1, 2], [[1, 2]], [[8, 12], [12, 8]],
                     [[0, 1]], ["13", "17"], {"from": "CCA"}, {"from": "os:system"},
                     [{"from": "TRCA"}], b"\x00\xff binary", "x" * 10000]),
    st.integers(), st.floats(), st.text(max_size=6),
    st.lists(st.one_of(st.integers(), st.floats(), st.text(max_size=3)), max_size=3),
    st.dictionaries(st.sampled_from(KEYS), st.one_of(st.integers(), st.sampled_from(CODE)),
                    max_size=2),
)
NUMBERS = st.one_of(
    st.sampled_from([0, -1, 10**400, -10**400, 10**400, 2**63, math.nan, math.inf, -math.inf,
                     1e308, -1e-308, 0.5, [], [math.nan], [10**400], [[0.0, math.inf]],
                     [[10**400, 1.0]]]),
    st.integers(), st.floats())
"""Values for number fields: huge, non-finite, negative, zero, lists of those."""
TEXT_EDITS = ["!!python/object/apply:os.system ['touch {flag}']",
              f"!!python/name:{SENTINEL_MODULE}.run", f"!!python/module:{SENTINEL_MODULE}",
              f"!!python/object/new:{SENTINEL_MODULE}.run []", "!!binary AAEC",
              "&a [*a]", "*undefined", "{", "- - -", "\t", "\x00", "%YAML 9.9", "\ufeff",
              "9" * 5000, "[" * 5000, "key: value: other", "? [1, 2]\n: x", "<<: *x"]
"""Raw YAML put in place of a value or inserted anywhere: Python tags (only ``yaml.load``
would run them), broken syntax, a 5000-digit number, deep nesting, a list key."""


def _get(tree, path: tuple):
    for key in path:
        tree = tree[key]
    return tree


@st.composite
def mutated(draw, flag: Path) -> tuple[str, bytes]:
    """A description of a mutated config and its bytes."""
    name = draw(st.sampled_from(sorted(ORIGINALS)))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    tree = yaml.safe_load(yaml.safe_dump(ORIGINALS[name]))
    edits = []
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(key_paths(tree)[1:]))
        op = draw(st.sampled_from(["set", "set", "set", "delete", "add", "step", "number",
                                   "number", "aliased"]))
        value = draw(VALUES)
        numbers = [p for p in key_paths(tree) if isinstance(_get(tree, p), int | float | list)
                   and any(_numbers(_get(tree, p)))]
        if op == "number" and numbers:  # a number (or a list of them) becomes another
            path, value = draw(st.sampled_from(numbers)), draw(NUMBERS)
        elif op == "step":  # a pipeline of one step, named as code or as an unknown step
            path, value = ("pipelines",), [{"name": "evil", "steps": [
                {"from": draw(st.sampled_from(CODE + ["TRCA", "NoSuchStep"])),
                 "params": {"command": f"touch {flag}"}}]}]
        elif op == "aliased":
            value = _aliased()
        edits.append(f"{op} {'.'.join(map(str, path))} {reprlib.repr(value)}")
        if not path:
            tree = value if op in ("set", "aliased") else tree
            if op == "aliased":
                break
            continue
        parent = tree
        try:
            for key in path[:-1]:
                parent = parent[key]
            if op == "delete":
                del parent[path[-1]]
            elif op == "add" and isinstance(parent, dict):
                parent[draw(st.sampled_from(KEYS))] = value
            else:
                parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):  # an earlier edit changed the tree there
            continue
        if op == "aliased":  # the last edit: the tree is too large to walk now
            break
    text = yaml.safe_dump(tree, allow_unicode=True).encode()
    kind = draw(st.sampled_from(["tree"] * 4 + ["text edit", "long number", "truncate", "flip",
                                                 "binary"]))
    if kind == "text edit":
        edit = draw(st.sampled_from(TEXT_EDITS)).replace("{flag}", str(flag)).encode()
        at = int(rng.integers(len(text) + 1))
        where = draw(st.sampled_from(["anywhere", "value", "number"]))
        starts = {"value": [m.end() for m in re.finditer(rb"(: |- )", text)],
                  "number": [m.start() for m in re.finditer(rb"(?<=[:\-\[,] )\d", text)]}
        if where != "anywhere" and starts[where]:
            at = starts[where][int(rng.integers(len(starts[where])))]
        text = text[:at] + edit + text[at:]
        edits.append(f"text {edit[:40]!r} at {where}")
    elif kind == "long number":  # Python's int() refuses more than 4300 digits
        starts = [m.start() for m in re.finditer(rb"(?<=[:\-\[,] )\d", text)] or [0]
        at = starts[int(rng.integers(len(starts)))]
        text = text[:at] + b"9" * 5000 + text[at:]
        edits.append("a 5000-digit number")
    elif kind == "truncate":
        text = text[:int(rng.integers(len(text) + 1))]
        edits.append(f"truncated to {len(text)} bytes")
    elif kind == "flip":
        data = bytearray(text)
        for _ in range(draw(st.integers(1, 4))):
            data[rng.integers(len(data))] ^= int(rng.integers(1, 256))
        text = bytes(data)
        edits.append("flipped bytes")
    elif kind == "binary":
        text = draw(st.sampled_from([rng.bytes(200), text.decode().encode("utf-16"),
                                     b"\xef\xbb\xbf" + text, b"", b"\x00" * 64]))
        edits.append(f"binary {text[:12]!r}")
    return f"{name}: {'; '.join(edits)}", text


def _numbers(value):
    """Every number in a parsed config value."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _numbers(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _numbers(item)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield value


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    """No code may run (:func:`_fuzz.no_code_runs`), and every registered step is imported
    first, so that loading a config imports no module at all."""
    for step in STEPS:
        step_class(step)
    for path in CONFIGS:
        load_config(path, ("Synthetic",))
    with no_code_runs(tmp_path_factory.mktemp("sentinel")) as (flag, called):
        yield flag, called


@fuzz_settings(max_examples=500)
@given(data=st.data())
def test_load_config_refuses_or_checks_any_mutated_config(guarded, tmp_path_factory, data):
    flag, called = guarded
    what, text = data.draw(mutated(flag))
    path = tmp_path_factory.getbasetemp() / "fuzz-config.yaml"
    path.write_bytes(text)
    modules = set(sys.modules)
    with case("configs: load_config", seconds=10):
        try:
            config = load_config(path, ("Synthetic",))
        except ValueError as err:
            assert str(path) in str(err), f"{what}: the message does not name the file: {err}"
        else:
            assert isinstance(config, BenchConfig) and config.pipelines, what
            for spec in config.pipelines.values():
                assert isinstance(spec, PipelineSpec), what
                assert all(isinstance(step, str) and step in STEPS for step, _ in spec.steps)
            numbers = [*_numbers(config.paradigm_params), *_numbers(config.evaluation_params),
                       *_numbers(config.windows), *_numbers(config.filter_bank)]
            assert all(math.isfinite(n) for n in numbers if isinstance(n, float)), \
                f"{what}: accepted {numbers}"
    assert set(sys.modules) == modules, f"{what}: imported {set(sys.modules) - modules}"
    assert_nothing_ran(flag)
    assert not called, f"{what}: called {called}"
