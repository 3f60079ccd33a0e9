"""What a task is: a world builder, named goal predicates and its valid plans (the first is the
reference plan)."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

import numpy as np

from sim.tabletop import WORKSPACE, TabletopWorld

if TYPE_CHECKING:
    from skills import PlanStep

RESTING_SPEED = 0.02
"""Largest speed of an object counted as resting, in m/s."""


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
    lo, hi = world.object_aabb(obj, base_only=True)
    clo, chi = world.object_aabb(container, base_only=True)
    within_xy = bool(np.all(lo[:2] >= clo[:2]) and np.all(hi[:2] <= chi[:2]))
    below_rim = clo[2] <= lo[2] and lo[2] < chi[2]
    return within_xy and below_rim and resting(world, obj)


def on_top(world: TabletopWorld, obj: str, support: str) -> bool:
    """Whether ``obj`` rests with its centre over ``support``'s footprint and above its base."""
    lo, hi = world.object_aabb(support)
    x, y, z = world.object_position(obj)
    over = lo[0] < x < hi[0] and lo[1] < y < hi[1]
    return bool(over and z > lo[2]) and resting(world, obj)


def is_open(world: TabletopWorld, obj: str) -> bool:
    """Whether ``obj``'s lid is open by at least 1.2 rad."""
    return world.object_state(obj)["open"] >= 1.2


def is_closed(world: TabletopWorld, obj: str) -> bool:
    """Whether ``obj``'s lid is within 0.1 rad of shut."""
    return world.object_state(obj)["open"] <= 0.1


def wiped(world: TabletopWorld, obj: str) -> bool:
    """Whether at least 90 % of patch ``obj`` was wiped (or ironed)."""
    return world.object_state(obj)["wiped"] >= 0.9


def filled(world: TabletopWorld, obj: str) -> bool:
    """Whether at least 6 liquid particles (half a full pourable) are in ``obj``."""
    return world.object_state(obj)["fill"] >= 6


def sliced(world: TabletopWorld, obj: str) -> bool:
    """Whether ``obj`` was cut in two."""
    return world.object_state(obj)["pieces"] >= 2


def grated(world: TabletopWorld, obj: str) -> bool:
    """Whether at least half of ``obj`` was grated."""
    return world.object_state(obj)["grated"] >= 0.5


def stirred(world: TabletopWorld, obj: str) -> bool:
    """Whether ``obj``'s content was stirred at least one full turn."""
    return world.object_state(obj)["turns"] >= 1.0


def not_held(world: TabletopWorld) -> bool:
    """Whether the gripper is empty."""
    return world.robot.held_object() is None


class Task:
    """Base class of tasks: subclasses set ``name`` and ``objects`` and define the goal.

    A subclass docstring states Task / Randomizations / Success.
    """

    name: ClassVar[str]
    objects: ClassVar[tuple[str, ...]]
    workspace: ClassVar[tuple[tuple[float, float], tuple[float, float]]] = WORKSPACE
    """Low and high (x, y) corners, in m, of where ``objects`` are placed at random."""
    skill_budget: ClassVar[int] = 12
    """Skill executions after which an attempt that has not reached the goal counts as failed
    (the task's limit, as a gym task's ``max_episode_steps``; ``LoopConfig.max_skill_calls``
    overrides it). A task whose plans are longer than 6 steps sets about twice its horizon."""

    @classmethod
    def make_world(cls, seed: int, gui: bool = False) -> TabletopWorld:
        """Build the task's world with object poses drawn from ``seed``."""
        world = TabletopWorld(cls.objects, seed=seed, gui=gui, workspace=cls.workspace)
        cls.arrange(world)
        return world

    @classmethod
    def arrange(cls, world: TabletopWorld) -> None:
        """Task-specific setup after the random layout (e.g. a banana on the board)."""

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """Each named goal condition and whether it holds now."""
        raise NotImplementedError

    @classmethod
    def success(cls, world: TabletopWorld) -> bool:
        """Whether every goal predicate holds."""
        return all(cls.goal_predicates(world).values())

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """Every valid plan from the start of ``world``, by a short descriptive name (e.g.
        "car first", "sponge left"); the first is the reference plan.

        The names are the same for every seed; the plans read the layout (where things stand
        now) and change nothing in ``world``.
        """
        raise NotImplementedError(f"task {cls.name!r} defines no plans")

    @classmethod
    def reference_plan(cls, world: TabletopWorld) -> list[PlanStep]:
        """A sequence of (object, skill) choices that reaches the goal from the start: the
        first of ``plans``."""
        return next(iter(cls.plans(world).values()))
