"""What a task is: a world builder, named goal predicates and a reference plan."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from sim.tabletop import TabletopWorld

RESTING_SPEED = 0.02
"""Largest speed of an object counted as resting, in m/s."""


@dataclass(frozen=True)
class PlanStep:
    """One step of a plan: run skill ``skill`` with the defaults for object ``object``.

    The parameters come from ``get_skill(skill).params_for_object(world, object)``.
    """

    object: str
    skill: str


def resting(world: TabletopWorld, obj: str) -> bool:
    """Whether ``obj`` is nearly still and not held by the robot."""
    still = float(np.linalg.norm(world.object_velocity(obj))) < RESTING_SPEED
    return still and world.robot.held_object() != obj


def inside(world: TabletopWorld, obj: str, container: str) -> bool:
    """Whether ``obj`` rests with its bounding box within ``container``'s (x, y) and below its rim.

    Parameters
    ----------
    world : TabletopWorld
    obj, container : str
        Object names.
    """
    lo, hi = (np.array(v) for v in world.client.getAABB(world.object_id(obj)))
    clo, chi = (np.array(v) for v in world.client.getAABB(world.object_id(container)))
    within_xy = bool(np.all(lo[:2] >= clo[:2]) and np.all(hi[:2] <= chi[:2]))
    below_rim = clo[2] <= lo[2] and lo[2] < chi[2]
    return within_xy and below_rim and resting(world, obj)


class Task:
    """Base class of tasks: subclasses set ``name`` and ``objects`` and define the goal.

    A subclass docstring states Task / Randomizations / Success.
    """

    name: ClassVar[str]
    objects: ClassVar[tuple[str, ...]]

    @classmethod
    def make_world(cls, seed: int, gui: bool = False) -> TabletopWorld:
        """Build the task's world with object poses drawn from ``seed``."""
        return TabletopWorld(cls.objects, seed=seed, gui=gui)

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """Each named goal condition and whether it holds now."""
        raise NotImplementedError

    @classmethod
    def success(cls, world: TabletopWorld) -> bool:
        """Whether every goal predicate holds."""
        return all(cls.goal_predicates(world).values())

    @classmethod
    def reference_plan(cls, world: TabletopWorld) -> list[PlanStep]:
        """A sequence of (object, skill) choices that reaches the goal from the start."""
        raise NotImplementedError
