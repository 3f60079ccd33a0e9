"""Parameterized primitive skills written against an abstract robot (see ``skills.robot``)."""

from __future__ import annotations

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
from skills.primitives import Pick, Place

SKILLS: dict[str, type[Skill]] = {s.name: s for s in (Pick, Place)}
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
    "Pick",
    "Place",
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
