"""The interface never reads what the person wants nor where the simulator has the objects.

It shows screens and decodes EEG; what the person meant reaches only the record (for scores),
through ``Operator.truth``. Three guards:

- static: the interface's modules name none of the simulator's pose queries and none of the
  fields that carry the person's intention;
- at run time: no pose query of the world is called from an interface module during whole
  sessions (the robot's skills and the task's goal check, outside the interface, may);
- by behaviour: a session whose operator hides what the person meant makes exactly the same
  decisions, proposals, confirmations and robot motions as one that tells it.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from noir.config import LoopConfig
from noir.demo import run_session
from noir.session import read_events
from noir.stream import PersonOperator
from sim.world import World

ROOT = Path(__file__).resolve().parents[1]
INTERFACE = ("noir.loop", "noir.where", "noir.assist", "noir.perception")
"""The modules that decide what the interface shows and does."""
POSE_QUERIES = ("object_position", "object_pose", "object_top", "object_yaw", "object_aabb",
                "object_velocity", "object_state", "set_object_pose", "body_id")
"""``World`` methods that read (or set) where the simulator has an object."""
INTENTION = ("intended", "target_px", "clench_at", "wanted_reject", "slipped",
             "intended_object", "intended_skill", "want_object", "want_skill", "want_params",
             "goal", "plan", "tolerance_px")
"""Names and event fields that carry what the person means."""


def names_in(module: str) -> set[str]:
    """Every attribute name and string constant in ``module``'s source."""
    path = ROOT / (module.replace(".", "/") + ".py")
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.add(node.value)
        elif isinstance(node, ast.Name):
            found.add(node.id)
    return found


@pytest.mark.parametrize("module", INTERFACE)
def test_interface_modules_name_no_pose_query_and_no_intention(module):
    names = names_in(module)
    assert names & set(POSE_QUERIES) == set(), f"{module} reads simulator poses"
    assert names & set(INTENTION) == set(), f"{module} handles what the person means"


@pytest.mark.parametrize("module", ["noir.console.feed", "noir.console.server", "noir.video"])
def test_the_console_places_what_it_shows_from_the_camera_not_the_simulator(module):
    """The operator's screen (flicker patches, cursor) and the session video show objects where
    the top camera sees them (``noir.perception``), as a real console could."""
    assert names_in(module) & set(POSE_QUERIES) == set(), f"{module} reads simulator poses"


def test_the_static_guard_sees_a_pose_query():
    """The guard above can fail: the task module reads poses and names them."""
    assert "object_position" in names_in("sim.tasks.base")


@pytest.fixture()
def pose_calls(monkeypatch):
    """(module that called, query) for every pose query of any world while the test runs."""
    calls: list[tuple[str, str]] = []
    for query in POSE_QUERIES:
        original = getattr(World, query)

        def spy(self, *args, _original=original, _query=query, **kwargs):
            calls.append((sys._getframe(1).f_globals.get("__name__", ""), _query))
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(World, query, spy)
    return calls


@pytest.mark.parametrize(("task", "config"), [
    ("cube_in_tray", LoopConfig(cursor_start="object")),
    ("trash_disposal", LoopConfig(learning=True, ssvep_window=4.0)),
])
def test_no_interface_module_reads_poses_during_a_session(task, config, pose_calls, tmp_path):
    summary, _ = run_session(task, source="simulated", seed=0, config=config,
                             folder=tmp_path / "run")
    callers = {module for module, _ in pose_calls}
    assert pose_calls, "the spy saw no pose query at all"  # skills and the goal check do
    assert callers & set(INTERFACE) == set(), sorted(callers)
    assert summary["n_skill_calls"] >= 1


class Unknowing(PersonOperator):
    """Wraps an operator and hides what its person meant (as a real person's would be)."""

    def __init__(self, operator: PersonOperator) -> None:
        super().__init__(operator.person)
        self.inner = operator

    def eeg(self, cues, stage):
        return self.inner.eeg(cues, stage)

    def truth(self):
        return {}


def behaviour(folder: Path) -> list[tuple]:
    """What the interface did, in order: decisions, answers, cursor stops, robot motions."""
    keep = {"decision": ("stage", "label", "ranking"), "confirm": ("stage", "proposal", "clench"),
            "cursor_glide": ("seconds",), "where": ("cursor_px", "abandoned"),
            "skill_start": ("object", "skill", "params"), "skill_end": ("object", "skill"),
            "skill_failure": ("object", "skill", "reason"), "task_end": ("success",)}
    return [(e["event"], *(str(e.get(k)) for k in keep[e["event"]]))
            for e in read_events(folder) if e["event"] in keep]


def test_hiding_what_the_person_meant_changes_nothing_the_interface_does(tmp_path,
                                                                        monkeypatch):
    import noir.demo

    config = replace(LoopConfig(), ssvep_window=4.0)
    summary, told = run_session("cube_in_tray", source="simulated", seed=5, config=config,
                                folder=tmp_path / "told")
    made = noir.demo.SimulatedOperator
    monkeypatch.setattr(noir.demo, "SimulatedOperator",
                        lambda subject, person: Unknowing(made(subject, person)))
    monkeypatch.setattr(noir.demo, "open_operator",
                        lambda spec, person, **kw: Unknowing(
                            made(noir.demo.SyntheticSubject(spec.name, seed=kw["seed"]), person)))
    hidden_summary, hidden = run_session("cube_in_tray", source="simulated", seed=5,
                                         config=config, folder=tmp_path / "hidden")
    assert behaviour(told) == behaviour(hidden)
    assert len(behaviour(told)) > 10 and summary["success"] == hidden_summary["success"]
    # the told record has the person's intentions for its scores; the hidden one has none
    assert any("intended" in e for e in read_events(told))
    assert not any("intended" in e for e in read_events(hidden))
    assert hidden_summary["decoding_accuracy"]["what"] is None
