"""Parameterized primitive skills written against an abstract robot (see ``skills.robot``)."""

from __future__ import annotations

from skills.articulated import Close, Open
from skills.base import (
    ExecutionFailure,
    FailureReason,
    InterruptedFailure,
    ObjectInfo,
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
