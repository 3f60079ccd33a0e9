"""Parameterized primitive skills written against an abstract robot (see ``skills.robot``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from skills.articulated import Close, Open
from skills.base import (
    ExecutionFailure,
    FailureReason,
    InterruptedFailure,
    Param,
    PlanningFailure,
    PreconditionFailure,
    Skill,
    SkillFailure,
    SkillResult,
    TimeoutFailure,
    UnknownObjectError,
    UnknownSkillError,
)
from skills.mobile import Drop, Handover, MoveTo, Pet
from skills.primitives import Home, Pick, PickSide, Place, Push
from skills.robot import ObjectInfo, Scene
from skills.tools import Cut, Grate, Pour, Stir, Sweep, Wipe

SKILLS: dict[str, type[Skill]] = {
    s.name: s
    for s in (Pick, Place, Push, Sweep, Wipe, Pour, Stir, Cut, Grate, Open, Close, PickSide, Home,
              MoveTo, Drop, Pet, Handover)
}
"""Every skill by name, in the order the interface offers them."""


def get_skill(name: str) -> type[Skill]:
    """Return the skill class called ``name``; raise ``UnknownSkillError`` listing the names."""
    try:
        return SKILLS[name]
    except KeyError:
        raise UnknownSkillError(name, list(SKILLS)) from None


def applicable_skills(info: ObjectInfo) -> list[type[Skill]]:
    """Skills that apply to an object like ``info``, in ``SKILLS`` order."""
    return [s for s in SKILLS.values() if s.applies_to(info)]


@dataclass(frozen=True)
class PlanStep:
    """One step of a plan: run skill ``skill`` with the defaults for object ``object``.

    The parameters come from ``get_skill(skill).params_for_object(scene, object)``, updated
    with ``params`` (the WHERE a person would choose with the cursor, when the object alone
    does not fix it). ``within`` (m), when set, is how far from that point the step still
    does its job where that is tight (the middle of a tic-tac-toe cell): a person aiming
    there stops the cursor well inside it.
    """

    object: str
    skill: str
    params: dict[str, Any] = field(default_factory=dict)
    within: float | None = None

    def resolve(self, scene: Scene) -> dict[str, Any]:
        """The parameters of this step in ``scene`` now."""
        params = get_skill(self.skill).params_for_object(scene, self.object)
        params.update(self.params)
        return params


__all__ = [
    "SKILLS",
    "ExecutionFailure",
    "FailureReason",
    "InterruptedFailure",
    "ObjectInfo",
    "Param",
    "Close",
    "Cut",
    "Grate",
    "Home",
    "Open",
    "Pick",
    "PickSide",
    "Place",
    "PlanStep",
    "Pour",
    "Push",
    "Stir",
    "Sweep",
    "Wipe",
    "PlanningFailure",
    "PreconditionFailure",
    "Skill",
    "SkillFailure",
    "SkillResult",
    "TimeoutFailure",
    "UnknownObjectError",
    "UnknownSkillError",
    "applicable_skills",
    "get_skill",
]
