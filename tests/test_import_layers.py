"""Import layers: EEG-only modules load no simulator, skills load neither sim nor noir, no import
circles, PyBullet only under ``sim/``; moved names still import from their old place, with a
``DeprecationWarning``.

The runtime checks import each module in a fresh interpreter and look at ``sys.modules``; the
static checks read every ``import`` statement of the packages (``TYPE_CHECKING`` blocks and
function bodies included) with :mod:`ast`.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from collections import defaultdict
from importlib import resources
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("noir", "decoders", "skills", "sim")
ENGINE = ("pybullet", "pybullet_data", "pybullet_utils")


def loaded_after_import(module: str) -> list[str]:
    """Top-level names of the project packages and PyBullet in ``sys.modules`` after a fresh
    interpreter imports ``module``, with the full module names."""
    code = (f"import sys, json, {module}; "
            "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
            f"{PACKAGES + ENGINE!r})))")
    env = {**os.environ, "LSLAPICFG": str(resources.files("noir") / "lsl_api.cfg")}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.splitlines()[-1])


@pytest.mark.parametrize("module", [
    "decoders", "decoders.cues", "noir.calibration", "noir.recorded", "noir.eeg_writer",
    "noir.session", "noir.lsl", "noir.live", "noir.board", "noir.montage", "noir.sources",
    "noir.clock", "noir.stream",
])
def test_eeg_only_modules_load_no_simulator(module):
    loaded = loaded_after_import(module)
    engine_or_sim = [m for m in loaded if m.split(".")[0] in ("sim", *ENGINE)]
    assert engine_or_sim == [], f"import {module} loads {engine_or_sim}"
    if module.startswith("decoders"):
        assert all(m.split(".")[0] == "decoders" for m in loaded), loaded


@pytest.mark.parametrize("module", ["skills", "skills.learning", "skills.learning.dataset"])
def test_skills_load_neither_sim_nor_noir(module):
    loaded = loaded_after_import(module)
    assert all(m.split(".")[0] == "skills" or m in ("decoders", "decoders.archive")
               for m in loaded), f"import {module} loads {loaded}"


def test_the_import_guard_sees_the_simulator():
    """The runtime check above can fail: a module that needs the simulator shows it."""
    loaded = loaded_after_import("sim.tasks")
    assert "pybullet" in loaded and "sim.world" in loaded


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module name an ``import`` statement of ``path`` names (``from a import b`` gives
    ``a`` and ``a.b``), relative imports resolved."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package
                for _ in range(node.level - 1):
                    anchor = anchor.rpartition(".")[0]
                base = f"{anchor}.{base}" if base else anchor
            found |= {base, *(f"{base}.{alias.name}" for alias in node.names)}
    return found


def project_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports (a name is resolved to its longest module)."""
    modules = {module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}

    def resolve(name: str) -> str:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name

    graph: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        graph[name] = {t for t in map(resolve, imports_of(path)) if t and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in list(graph):
        if v not in index:
            visit(v)
    return found


def test_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    assert cycles(project_graph()) == []


def test_layers():
    """``decoders`` and ``skills`` import no other project package, except that ``skills``
    reads its archives through ``decoders.archive``'s limits; ``sim`` imports no ``noir``
    and, of ``decoders``, only the cue vocabulary (``decoders.cues``)."""
    bad = []
    for module, targets in project_graph().items():
        top = module.split(".")[0]
        for target in targets:
            other = target.split(".")[0]
            if other == top:
                continue
            allowed = (top == "noir"
                       or (top == "sim" and (other == "skills" or target == "decoders.cues"))
                       or (top == "skills" and target == "decoders.archive"))
            if not allowed:
                bad.append(f"{module} -> {target}")
    assert bad == []


def test_pybullet_is_imported_only_under_sim():
    files = [p for folder in ("noir", "decoders", "skills", "experiments", "tests")
             for p in (ROOT / folder).rglob("*.py")]
    offenders = sorted(str(p.relative_to(ROOT)) for p in files
                       if any(name.split(".")[0] in ENGINE for name in imports_of(p)))
    assert offenders == []


def test_moved_names_still_import_with_a_warning():
    import decoders.cues
    import skills

    with pytest.warns(DeprecationWarning, match="decoders.cues"):
        from sim.eeg_subject import Cue
    with pytest.warns(DeprecationWarning, match="decoders.cues"):
        from sim.eeg_subject import MI_CLASSES
    with pytest.warns(DeprecationWarning, match="from skills"):
        from sim.tasks import PlanStep
    assert Cue is decoders.cues.Cue and MI_CLASSES is decoders.cues.MI_CLASSES
    assert PlanStep is skills.PlanStep
    import noir.operators
    import noir.stream

    with pytest.warns(DeprecationWarning, match="import it from noir.stream"):
        from noir.operators import SimulatedOperator
    assert SimulatedOperator is noir.stream.SimulatedOperator
    with pytest.raises(AttributeError, match="no attribute 'Operators'"):
        noir.operators.Operators  # noqa: B018
    import noir.live

    with pytest.warns(DeprecationWarning, match="noir.live.StreamOperator moved"):
        from noir.live import StreamOperator
    assert StreamOperator is noir.stream.StreamOperator
    import sim.eeg_subject

    with pytest.raises(AttributeError, match="no attribute 'Cues'"):
        sim.eeg_subject.Cues  # noqa: B018
