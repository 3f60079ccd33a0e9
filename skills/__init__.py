"""Parameterized primitive skills written against an abstract robot (see ``skills.robot``)."""

from __future__ import annotations

from skills.articulated import Close, Open
from skills.base import (
    SKILLS,
    ExecutionFailure,
    FailureReason,
    InterruptedFailure,
    Param,
    PlanningFailure,
    PlanStep,
    PreconditionFailure,
    Skill,
    SkillFailure,
    SkillResult,
    TimeoutFailure,
    UnknownObjectError,
    UnknownSkillError,
    applicable_skills,
    get_skill,
    register,
)
from skills.mobile import Drop, Handover, MoveTo, Pet
from skills.primitives import Home, Pick, PickSide, Place, Push
from skills.robot import ObjectInfo
from skills.tools import Cut, Grate, Pour, Stir, Sweep, Wipe

register(Pick, Place, Push, Sweep, Wipe, Pour, Stir, Cut, Grate, Open, Close, PickSide, Home,
         MoveTo, Drop, Pet, Handover)

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
    "register",
]
