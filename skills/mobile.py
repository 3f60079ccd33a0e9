"""Mobile-manipulation skills: ``MoveTo``, ``Drop`` (into a container), ``Pet``, ``Handover``.

They are written against ``MobileRobot`` (a ``skills.robot.Robot`` whose base drives) and work
with the top-down ``skills.primitives.Pick``. Object categories they apply to are those of a
household scene (``sim.household``): Franka tabletop objects never offer them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from skills.base import (
    ExecutionFailure,
    ObjectInfo,
    Param,
    PlanningFailure,
    PreconditionFailure,
    Skill,
    StepBudget,
    top_down_orientation,
)

if TYPE_CHECKING:
    from skills.robot import Scene

REACH_POINT = (0.6, -0.2)
"""Where the robot stands an object it will handle: (forward, left) of the base centre, in m."""
STANDOFF = {"dog": (0.55, -0.2), "person": (0.95, -0.2)}
"""``REACH_POINT`` overrides by category: the dog lies across the reach, the person stands back."""
HEADING_STEPS = (0.0, *(round(sign * 0.3 * k, 1) for k in range(1, 11) for sign in (1.0, -1.0)))
"""Turns of the base heading tried around a preferred one by ``stances``, smallest first, in
rad: 0.3 rad apart, all round the object."""
NAVIGABLE = "navigable"
"""The ability (``ObjectInfo.abilities``) of objects the base can drive up to: everything in a
household scene, nothing on the Franka's table."""
POSE_TOLERANCE = (0.02, 0.05)
"""Largest base error after ``MoveTo``: position in m, heading in rad."""
DROP_CATEGORIES = ("bin", "dog bowl")
"""Categories of the containers ``Drop`` lets go over."""
DROP_HEIGHT = 0.25
"""Height of the held object's bottom above a container's rim when dropped, in m."""
SETTLE_STEPS = 120
"""Control steps a dropped object gets to fall and come to rest."""
STROKE_HALF_LENGTH = 0.15
"""Half the length of a stroke along the dog's back, in m."""
MIN_STROKE = 0.2
"""Shortest stretch of the dog's back the hand must touch for petting to count, in m."""
PRESS_DEPTH = 0.005
"""How far the fingertips reach below the dog's back, in m."""
FINGERTIP_REACH = 0.02
"""Distance from the gripper centre to the fingertips, in m."""
HANDOVER_HEIGHT = 0.85
"""Height of the gripper centre when offering an object to a person, in m."""
PERSON_REACH = 0.5
"""Largest horizontal distance from a person's centre to an object they can take, in m."""
HAND_HEIGHTS = (0.8, 1.3)
"""Heights between which a standing person takes an object comfortably (hip to shoulder), in
m: an object carried in the arm's home pose (about 0.72 m) is not yet offered."""


class MobileRobot(Protocol):
    """A ``skills.robot.Robot`` on a base that drives (see ``sim.tiago.TiagoRobot``)."""

    def base_pose(self) -> np.ndarray:
        """x, y in m and yaw in rad, shape (3,)."""
        ...

    def base_obstacle(self, x: float, y: float) -> str | None:
        """Name of a body the base would hit standing at (x, y) m, or None."""
        ...

    def path_obstacle(self, x: float, y: float) -> tuple[str, np.ndarray] | None:
        """First body (name, base position (2,) m) met driving straight to (x, y) m, or None."""
        ...

    def move_base(
        self,
        x: float,
        y: float,
        yaw: float,
        *,
        should_stop: Callable[[], bool] | None = None,
        max_steps: int | None = None,
    ) -> int:
        """Drive to (x, y) m facing yaw rad; return the control steps used."""
        ...


def _require_mobile(scene: Scene, skill: str) -> None:
    if not hasattr(scene.robot, "move_base"):
        raise PreconditionFailure(
            f"{type(scene.robot).__name__} has no mobile base; {skill!r} needs one", skill=skill
        )


def stances(scene: Scene, obj: str, point: np.ndarray) -> list[tuple[float, float, float]]:
    """Base poses (x m, y m, yaw rad) from which the robot can handle ``obj``, best first for
    a person who pointed at ``point`` (2,) m.

    Each pose puts the object at ``REACH_POINT`` (or its category's ``STANDOFF``) in the base
    frame. A dog is faced across its body, from the side nearer ``point`` first; any other
    object from the side of ``point`` (from where the robot stands when ``point`` is on the
    object), which puts the first pose on the line from the object to ``point``. The headings
    are then turned by ``HEADING_STEPS``, smallest turn first, each side of a dog covering its
    half of the circle. Nothing is checked for collisions here.
    """
    robot: MobileRobot = scene.robot  # type: ignore[assignment]
    info = scene.object_info(obj)
    reach = np.array(STANDOFF.get(info.category, REACH_POINT))
    target = scene.object_position(obj)[:2]
    if info.category == "dog":
        across = scene.object_yaw(obj) + math.pi / 2
        bases = [across, across + math.pi]
    else:
        side = point - target
        if np.hypot(*side) < 1e-3:
            side = robot.base_pose()[:2] - target
        # the heading that puts the base on the line from the object towards ``point``
        bases = [math.atan2(side[1], side[0]) - math.atan2(reach[1], reach[0]) - math.pi]

    def pose(yaw: float) -> tuple[float, float, float]:
        c, s = math.cos(yaw), math.sin(yaw)
        x, y = target - [c * reach[0] - s * reach[1], s * reach[0] + c * reach[1]]
        return float(x), float(y), float((yaw + math.pi) % (2 * math.pi) - math.pi)

    bases.sort(key=lambda base: float(np.hypot(*(np.array(pose(base)[:2]) - point))))
    half_share = math.pi / len(bases)
    return [pose(base + turn) for turn in HEADING_STEPS for base in bases
            if abs(turn) < half_share]


def stance_near(scene: Scene, obj: str, point: np.ndarray) -> tuple[float, float, float]:
    """The first pose of ``stances`` for ``point`` (2,) m that is free and reachable along a
    straight, free path: x m, y m, yaw rad.

    Raises
    ------
    PlanningFailure
        Every candidate pose, or the path to it, would hit something (the obstacles are named).
    """
    robot: MobileRobot = scene.robot  # type: ignore[assignment]
    blockers = set()
    for x, y, yaw in stances(scene, obj, point):
        blocked = robot.path_obstacle(x, y)
        if blocked is None:
            return x, y, yaw
        blockers.add(blocked[0])
    raise PlanningFailure(
        f"no free place for the base next to {obj!r} with a straight free path to it "
        f"(blocked by {sorted(blockers)})"
    )


class MoveTo(Skill):
    """Drive the base to where it can handle ``object``, near the floor spot (x, y) m the
    person pointed at.

    The person selects the object, then points with the Where cursor at the spot on the floor
    where the robot should stand. On the household camera one pixel is about 2 cm of floor, so
    a cursor stopped within the interface's tolerance (12 px) lands up to about 25 cm from the
    spot meant; a base standing there may overlap the counter or leave the object out of the
    arm's reach. As a real mobile manipulator's planner does, the skill therefore treats the
    spot as a wish, not a command: it drives to a collision-free stance, on the spot's side of
    the object and as near the spot as possible, from which the object sits at
    ``REACH_POINT`` (``stance_near``). The spot chooses the side and the approach (which side
    of the dog, which way round the counter); the object fixes the exact pose, so that the
    next skill (pick, pet, drop, hand over) can always start from it.
    """

    name = "move_to"
    description = "drive the robot there"
    params = (
        Param("object", "object"),
        Param("x", "float", "m", -3.0, 3.0),
        Param("y", "float", "m", -3.0, 3.0),
    )
    point_height = 0.0
    step_budget = 4000

    @classmethod
    def applies_to(cls, info: ObjectInfo) -> bool:
        """Objects the robot can drive up to (with the ``NAVIGABLE`` ability)."""
        return NAVIGABLE in info.abilities

    @classmethod
    def params_for_object(cls, scene: Scene, obj: str) -> dict[str, Any]:
        """The first stance of ``stances`` for a person pointing where the robot stands now
        (unchecked: ``run`` moves to the first free one)."""
        _require_mobile(scene, cls.name)
        here = scene.robot.base_pose()[:2]  # type: ignore[attr-defined]
        x, y, _ = stances(scene, obj, here)[0]
        return {"object": obj, "x": x, "y": y}

    @classmethod
    def _check_preconditions(cls, scene: Scene, params: dict[str, Any]) -> None:
        _require_mobile(scene, cls.name)

    @classmethod
    def _execute(
        cls,
        scene: Scene,
        params: dict[str, Any],
        budget: StepBudget,
        should_stop: Callable[[], bool] | None,
    ) -> dict[str, Any]:
        robot: MobileRobot = scene.robot  # type: ignore[assignment]
        x, y, yaw = stance_near(scene, params["object"], np.array([params["x"], params["y"]]))
        robot.move_base(x, y, yaw, should_stop=should_stop, max_steps=budget.left)
        return {"stance": (x, y, yaw)}

    @classmethod
    def _check_success(cls, scene: Scene, params: dict[str, Any], facts: dict[str, Any]) -> None:
        goal_x, goal_y, goal_yaw = facts["stance"]
        x, y, yaw = scene.robot.base_pose()  # type: ignore[attr-defined]
        off = math.hypot(x - goal_x, y - goal_y)
        turn = abs((yaw - goal_yaw + math.pi) % (2 * math.pi) - math.pi)
        if off > POSE_TOLERANCE[0] or turn > POSE_TOLERANCE[1]:
            raise ExecutionFailure(f"base stopped {off:.3f} m and {turn:.3f} rad from the goal")


class Drop(Skill):
    """Hold the carried object over a container and let go."""

    name = "drop_into"
    description = "drop the held object into it"
    params = (Param("container", "object"),)
    step_budget = 1500

    @classmethod
    def applies_to(cls, info: ObjectInfo) -> bool:
        """Bins and dog bowls (``DROP_CATEGORIES``) the robot can drive up to (``NAVIGABLE``)."""
        return (info.container and info.category in DROP_CATEGORIES
                and NAVIGABLE in info.abilities)

    @classmethod
    def _check_preconditions(cls, scene: Scene, params: dict[str, Any]) -> None:
        if scene.robot.held_object() is None:
            raise PreconditionFailure("the gripper holds nothing to drop; pick an object first")

    @classmethod
    def _execute(
        cls,
        scene: Scene,
        params: dict[str, Any],
        budget: StepBudget,
        should_stop: Callable[[], bool] | None,
    ) -> dict[str, Any]:
        robot = scene.robot
        held = robot.held_object()
        below = robot.ee_position()[2] - (2 * scene.object_position(held)[2]
                                           - scene.object_top(held)[2])
        x, y, rim = scene.object_top(params["container"])
        kw = {"should_stop": should_stop}
        robot.move_ee(np.array([x, y, rim + DROP_HEIGHT + below]), max_steps=budget.left, **kw)
        robot.open_gripper(max_steps=budget.left, **kw)
        robot.wait(SETTLE_STEPS, max_steps=budget.left, **kw)
        return {"object": held}

    @classmethod
    def _check_success(cls, scene: Scene, params: dict[str, Any], facts: dict[str, Any]) -> None:
        obj, container = facts["object"], params["container"]
        x, y, rim = scene.object_top(container)
        half = np.array(scene.object_info(container).size[:2]) / 2
        pos = scene.object_position(obj)
        inside = bool(np.all(np.abs(pos[:2] - (x, y)) < half)) and pos[2] < rim
        if not inside:
            raise ExecutionFailure(f"{obj!r} landed outside {container!r} at {pos.round(3)} m")


class Pet(Skill):
    """Stroke the dog along its back with the closed hand, then take the arm home."""

    name = "pet"
    description = "stroke its back"
    params = (Param("object", "object"),)
    step_budget = 2000

    @classmethod
    def applies_to(cls, info: ObjectInfo) -> bool:
        """Dogs."""
        return info.category == "dog"

    @classmethod
    def _check_preconditions(cls, scene: Scene, params: dict[str, Any]) -> None:
        held = scene.robot.held_object()
        if held is not None:
            raise PreconditionFailure(f"holding {held!r}; put it down before petting")

    @classmethod
    def stroke_line(cls, scene: Scene, obj: str) -> tuple[np.ndarray, np.ndarray]:
        """Start and end of the stroke on the back of ``obj`` (tail to neck), each (3,) m."""
        yaw = scene.object_yaw(obj)
        axis = np.array([math.cos(yaw), math.sin(yaw), 0.0])
        centre = scene.object_top(obj)
        return centre - STROKE_HALF_LENGTH * axis, centre + STROKE_HALF_LENGTH * axis

    @classmethod
    def _execute(
        cls,
        scene: Scene,
        params: dict[str, Any],
        budget: StepBudget,
        should_stop: Callable[[], bool] | None,
    ) -> dict[str, Any]:
        robot = scene.robot
        start, end = cls.stroke_line(scene, params["object"])
        lift = np.array([0.0, 0.0, 0.1])
        touch = np.array([0.0, 0.0, FINGERTIP_REACH - PRESS_DEPTH])
        yaw = robot.base_pose()[2]  # type: ignore[attr-defined]
        orn = top_down_orientation(yaw)
        kw = {"should_stop": should_stop}
        robot.close_gripper(max_steps=budget.left, **kw)
        t0 = scene.sim_time
        robot.move_ee(start + touch + lift, orientation=orn, max_steps=budget.left, **kw)
        robot.move_ee(start + touch, orientation=orn, max_steps=budget.left, **kw)
        robot.move_ee(end + touch, orientation=orn, max_steps=budget.left, **kw)
        robot.move_ee(end + touch + lift, orientation=orn, max_steps=budget.left, **kw)
        robot.open_gripper(max_steps=budget.left, **kw)
        robot.home(max_steps=budget.left, **kw)  # arm in, clear of what the base passes next
        return {"since": t0, "line": (start, end)}

    @classmethod
    def _check_success(cls, scene: Scene, params: dict[str, Any], facts: dict[str, Any]) -> None:
        start, end = facts["line"]
        span = stroke_span(getattr(scene, "strokes", []), start, end)
        if span < MIN_STROKE:
            raise ExecutionFailure(
                f"the hand touched only {span:.3f} m of {params['object']!r}'s back "
                f"(at least {MIN_STROKE} m needed)"
            )


def stroke_span(points: list[np.ndarray], start: np.ndarray, end: np.ndarray) -> float:
    """Length, in m, of the stretch of the line start→end covered by touch ``points`` (3,)."""
    if not points:
        return 0.0
    axis = (end - start) / np.linalg.norm(end - start)
    along = [float(np.dot(p - start, axis)) for p in points]
    return max(along) - min(along)


class Handover(Skill):
    """Offer the held object to a person: hold it out towards them at chest height.

    The object is offered at ``REACH_POINT`` in front of the base, ``HANDOVER_HEIGHT`` m up;
    the person must stand within ``PERSON_REACH`` of that point (``MoveTo`` the person first).
    """

    name = "handover"
    description = "hand the held object to this person"
    params = (Param("person", "object"),)
    step_budget = 1500

    @classmethod
    def applies_to(cls, info: ObjectInfo) -> bool:
        """People."""
        return info.category == "person"

    @classmethod
    def handover_point(cls, scene: Scene) -> np.ndarray:
        """Where the gripper offers the object, shape (3,), in m: ahead of the base."""
        x, y, yaw = scene.robot.base_pose()  # type: ignore[attr-defined]
        c, s = math.cos(yaw), math.sin(yaw)
        fx, fy = REACH_POINT
        return np.array([x + c * fx - s * fy, y + s * fx + c * fy, HANDOVER_HEIGHT])

    @classmethod
    def _check_preconditions(cls, scene: Scene, params: dict[str, Any]) -> None:
        _require_mobile(scene, cls.name)
        if scene.robot.held_object() is None:
            raise PreconditionFailure("the gripper holds nothing to hand over; pick it first")
        gap = _reach_gap(scene, params["person"], cls.handover_point(scene))
        if gap > PERSON_REACH:
            raise PreconditionFailure(
                f"{params['person']!r} stands {gap:.2f} m from where the object would be offered "
                f"(at most {PERSON_REACH} m); move to {params['person']!r} first"
            )

    @classmethod
    def _execute(
        cls,
        scene: Scene,
        params: dict[str, Any],
        budget: StepBudget,
        should_stop: Callable[[], bool] | None,
    ) -> dict[str, Any]:
        robot = scene.robot
        robot.move_ee(cls.handover_point(scene), should_stop=should_stop, max_steps=budget.left)
        return {"object": robot.held_object()}

    @classmethod
    def _check_success(cls, scene: Scene, params: dict[str, Any], facts: dict[str, Any]) -> None:
        obj, person = facts["object"], params["person"]
        if not within_reach(scene, obj, person):
            where = scene.object_position(obj).round(3)
            raise ExecutionFailure(f"{obj!r} at {where} m is not within reach of {person!r}")


def _reach_gap(scene: Scene, person: str, point: np.ndarray) -> float:
    """Horizontal distance, in m, from ``person``'s centre to ``point`` (3,) m."""
    return float(np.linalg.norm(scene.object_position(person)[:2] - point[:2]))


def within_reach(scene: Scene, obj: str, person: str) -> bool:
    """Whether ``obj`` is held out within ``PERSON_REACH`` of ``person`` at ``HAND_HEIGHTS``.

    The object must still be in the gripper (the person takes it from there).
    """
    centre = scene.object_position(obj)
    low, high = HAND_HEIGHTS
    near = _reach_gap(scene, person, centre) <= PERSON_REACH
    return scene.robot.held_object() == obj and near and low <= centre[2] <= high
