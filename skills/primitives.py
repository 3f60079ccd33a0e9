"""Primitive tabletop skills: ``Pick`` (from above), ``PickSide``, ``Place``, ``Push``, ``Home``."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from skills.base import (
    APPROACH_HEIGHT,
    FINGER_CLEARANCE,
    GRASP_PARTS,
    ExecutionFailure,
    ObjectInfo,
    Param,
    PlanningFailure,
    PreconditionFailure,
    Skill,
    StepBudget,
    grasp_pose,
    motion_kwargs,
    object_near,
    part_position,
    pre_pose,
    push_line,
    quat_from_axes,
    retreat_home,
    stroke,
    stroke_path,
    top_down_orientation,
)

if TYPE_CHECKING:
    from skills.robot import Scene

LIFT_HEIGHT = 0.15
"""How far above its top surface a picked object's grasp point is lifted, in m."""
RELEASE_GAP = 0.015
"""Gap between the held object's bottom and the target surface when releasing, in m."""
PLACE_TOLERANCE = 0.05
"""Largest horizontal distance of a placed object from its target, in m."""
PUSH_MARGIN = 0.03
"""Gap between the fingers and the object's footprint before a push starts, in m."""
SIDE_GRASP_HEIGHT = 0.045
"""Height of the gripper centre above the table in a side grasp, in m: the level hand's
lower edge clears the table."""
SIDE_MIN_HEIGHT = 0.06
"""Smallest height of an object picked from the side, in m."""
SIDE_MAX_WIDTH = 0.07
"""Largest narrow side of an object picked from the side, in m (the fingers open 0.08 m)."""
GRASP_OFF_OBJECT = 0.02
"""Farthest a chosen grasp point may lie outside its object's footprint, in m (a cursor that
stopped just past the edge): the grasp is then at the edge; farther, the point is not on it."""
GRASP_PART_WITHIN = 0.015
"""How far from a handle's or rim's point a top-down grasp still holds it, in m (the handles
are about 3 cm long)."""


class Pick(Skill):
    """Grasp an object from above (by its handle or rim if it has one), lift it, go home.

    With a grasp point (``x``, ``y``: chosen on the image, NOIR's Pick(x, y, z)) the gripper
    goes down at the point of the object's footprint nearest it, at the height it grasps the
    object by default; a point more than ``GRASP_OFF_OBJECT`` outside the footprint is a
    ``PlanningFailure``, one where the fingers close on nothing an ``ExecutionFailure``.
    Typical duration: 3-4 s of simulated time.
    """

    name = "pick"
    description = "pick the object up"
    params = (Param("object", "object"),)
    grasp_params = (Param("x", "float", "m", -3.0, 3.0), Param("y", "float", "m", -3.0, 3.0))
    step_budget = 1500

    @classmethod
    def applies_to(cls, info: ObjectInfo) -> bool:
        """Graspable objects only."""
        return info.graspable

    @classmethod
    def default_grasp_point(cls, scene: Scene, obj: str) -> np.ndarray:
        """Its handle or rim (``skills.base.GRASP_PARTS``), else the centre of its top
        surface, shape (3,), m."""
        part = _grasp_part(scene, obj)
        return scene.object_top(obj) if part is None else part_position(scene, obj, part)

    @classmethod
    def grasp_within(cls, scene: Scene, obj: str) -> float:
        """``GRASP_PART_WITHIN`` of a handle or rim, else half the narrower side of ``obj``'s
        footprint, in m."""
        if _grasp_part(scene, obj) is not None:
            return GRASP_PART_WITHIN
        return min(scene.object_info(obj).size[:2]) / 2

    @classmethod
    def _check_preconditions(cls, scene: Scene, params: dict[str, Any]) -> None:
        held = scene.robot.held_object()
        obj = params["object"]
        if held is not None and held != obj:
            raise PreconditionFailure(f"already holding {held!r}; place it before picking")
        if "x" in params and held is None:
            grasp_on_footprint(scene, obj, params["x"], params["y"])  # raises if off it
        bottom = 2 * scene.object_position(obj)[2] - scene.object_top(obj)[2]
        if bottom < scene.table_height - 0.02:
            raise PreconditionFailure(
                f"object {obj!r} is below the table top (bottom at z={bottom:.3f} m)"
            )

    @classmethod
    def _execute(
        cls,
        scene: Scene,
        params: dict[str, Any],
        budget: StepBudget,
        should_stop: Callable[[], bool] | None,
    ) -> dict[str, Any]:
        obj = params["object"]
        robot = scene.robot
        zc = scene.object_position(obj)[2]
        resting_z = scene.table_height + scene.object_top(obj)[2] - zc
        if robot.held_object() == obj:  # grasped already (an interrupted pick): just lift
            robot.home(**motion_kwargs(budget, should_stop))
            return {"start_z": resting_z}
        target, yaw = grasp_pose(scene, obj)
        if "x" in params:
            target[:2] = grasp_on_footprint(scene, obj, params["x"], params["y"])
        target[2] = max(target[2], scene.table_height + FINGER_CLEARANCE)
        orn = top_down_orientation(yaw)
        robot.open_gripper(**motion_kwargs(budget, should_stop))
        stroke_path(scene, target[None], orn, budget, should_stop)
        if not robot.close_gripper(**motion_kwargs(budget, should_stop)):
            raise ExecutionFailure(f"the gripper closed on nothing at {obj!r}")
        lift = target + [0.0, 0.0, scene.object_top(obj)[2] - target[2] + LIFT_HEIGHT]
        robot.move_ee(lift, orientation=orn, **motion_kwargs(budget, should_stop))
        robot.home(**motion_kwargs(budget, should_stop))
        return {"start_z": resting_z}

    @classmethod
    def _check_success(cls, scene: Scene, params: dict[str, Any], facts: dict[str, Any]) -> None:
        obj = params["object"]
        held = scene.robot.held_object()
        lifted = scene.object_position(obj)[2] - facts["start_z"]
        if held != obj or lifted < 0.5 * LIFT_HEIGHT:
            raise ExecutionFailure(
                f"{obj!r} not lifted with the gripper (holding {held!r}, raised {lifted:.3f} m)"
            )


class PickSide(Pick):
    """Grasp a tall, narrow object (a cup) from the side, gripper level, fingers closing
    across it at ``SIDE_GRASP_HEIGHT`` (at its centre, or with a grasp point at the point of its
    footprint nearest it); lift it and go home. Preconditions and success check as ``Pick``.
    Typical duration: 3-4 s of simulated time.
    """

    name = "pick_side"
    description = "pick the object up from the side"
    step_budget = 2500

    @classmethod
    def applies_to(cls, info: ObjectInfo) -> bool:
        """Graspable objects at least ``SIDE_MIN_HEIGHT`` tall that fit between the fingers,
        without a handle (objects with one are picked by it from above)."""
        fits = min(info.size[:2]) <= SIDE_MAX_WIDTH and info.size[2] >= SIDE_MIN_HEIGHT
        return info.graspable and fits and "handle" not in [p for p, _ in info.parts]

    @classmethod
    def default_grasp_point(cls, scene: Scene, obj: str) -> np.ndarray:
        """The centre of ``obj``'s top surface, shape (3,), m."""
        return scene.object_top(obj)

    @classmethod
    def grasp_within(cls, scene: Scene, obj: str) -> float:
        """Half the narrower side of ``obj``'s footprint, in m."""
        return min(scene.object_info(obj).size[:2]) / 2

    @classmethod
    def _execute(
        cls,
        scene: Scene,
        params: dict[str, Any],
        budget: StepBudget,
        should_stop: Callable[[], bool] | None,
    ) -> dict[str, Any]:
        obj = params["object"]
        robot = scene.robot
        centre = scene.object_position(obj)
        resting_z = scene.table_height + scene.object_top(obj)[2] - centre[2]
        target = centre.copy()
        if "x" in params:
            target[:2] = grasp_on_footprint(scene, obj, params["x"], params["y"])
        target[2] = scene.table_height + SIDE_GRASP_HEIGHT
        reach = target[:2] - robot.ee_position()[:2]  # approach along the horizontal from here
        forward = np.append(reach / np.linalg.norm(reach), 0.0)
        across = np.array([-forward[1], forward[0], 0.0])
        orn = quat_from_axes(np.cross(across, forward), across, forward)
        before = target - APPROACH_HEIGHT * forward
        robot.open_gripper(**motion_kwargs(budget, should_stop))
        robot.follow_path(np.array([pre_pose(scene, before), before, target]),
                          np.array([orn, orn, orn]), **motion_kwargs(budget, should_stop))
        if not robot.close_gripper(**motion_kwargs(budget, should_stop)):
            raise ExecutionFailure(f"the gripper closed on nothing at {obj!r}")
        lift = target + [0.0, 0.0, LIFT_HEIGHT]
        robot.move_ee(lift, orientation=orn, **motion_kwargs(budget, should_stop))
        robot.home(**motion_kwargs(budget, should_stop))
        return {"start_z": resting_z}


def _grasp_part(scene: Scene, obj: str) -> str | None:
    """The part of ``obj`` a top-down grasp takes (``GRASP_PARTS``), or None: its centre."""
    names = [p for p, _ in scene.object_info(obj).parts]
    return next((part for part in GRASP_PARTS if part in names), None)


def grasp_on_footprint(scene: Scene, obj: str, x: float, y: float) -> np.ndarray:
    """The point (x, y), shape (2,), m, of ``obj``'s footprint (its ``size`` turned by its
    yaw about its centre) nearest the chosen grasp point (``x``, ``y``) m.

    Raises
    ------
    PlanningFailure
        If (``x``, ``y``) lies more than ``GRASP_OFF_OBJECT`` outside the footprint.
    """
    centre = scene.object_position(obj)[:2]
    yaw = scene.object_yaw(obj)
    turn = np.array([[math.cos(yaw), -math.sin(yaw)], [math.sin(yaw), math.cos(yaw)]])
    local = turn.T @ (np.array([x, y], dtype=float) - centre)
    half = np.array(scene.object_info(obj).size[:2]) / 2
    inside = np.clip(local, -half, half)
    off = float(np.linalg.norm(local - inside))
    if off > GRASP_OFF_OBJECT:
        raise PlanningFailure(
            f"grasp point ({x:.3f}, {y:.3f}) m is not on {obj!r}: {off:.3f} m outside its "
            f"footprint (at most {GRASP_OFF_OBJECT} m)"
        )
    return centre + turn @ inside


class Place(Skill):
    """Put the held object down with its bottom at (x, y, z): onto or into another object.

    Into an open container (a basket, a bin, a pot) the object is let go at the rim, whatever
    ``z`` says: the Where cursor gives the surface it sees, the container's floor, and a hand
    reaching down there would hit the walls or push an open lid over (``container_rim``).
    Typical duration: 3-5 s of simulated time.
    """

    name = "place"
    description = "put the held object here"
    params = (
        Param("x", "float", "m", 0.25, 0.80),
        Param("y", "float", "m", -0.45, 0.45),
        Param("z", "float", "m", 0.0, 0.40),
    )
    point_on_object = True
    step_budget = 1500

    @classmethod
    def applies_to(cls, info: ObjectInfo) -> bool:
        """Every tabletop object: the held object goes onto (or into) it. Household objects
        the base drives to (``"navigable"``) take ``drop_into`` or ``handover`` instead."""
        return "navigable" not in info.abilities

    @classmethod
    def params_for_object(cls, scene: Scene, obj: str) -> dict[str, Any]:
        """The centre of ``obj``'s top surface (or opening)."""
        x, y, z = scene.object_top(obj)
        return {"x": float(x), "y": float(y), "z": float(z)}

    @classmethod
    def _check_preconditions(cls, scene: Scene, params: dict[str, Any]) -> None:
        if scene.robot.held_object() is None:
            raise PreconditionFailure("the gripper holds nothing to place; pick an object first")

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
        centre = scene.object_position(held)
        half_height = scene.object_top(held)[2] - centre[2]
        offset = robot.ee_position() - centre
        bottom = max(params["z"], container_rim(scene, params["x"], params["y"]))
        release = np.array([params["x"], params["y"], bottom + half_height + RELEASE_GAP])
        target = release + offset
        orn = robot.ee_orientation()
        robot.follow_path(np.array([pre_pose(scene, target), target]), np.array([orn, orn]),
                          **motion_kwargs(budget, should_stop))
        robot.open_gripper(**motion_kwargs(budget, should_stop))
        retreat_home(scene, budget, should_stop)
        return {"object": held}

    @classmethod
    def _check_success(cls, scene: Scene, params: dict[str, Any], facts: dict[str, Any]) -> None:
        obj = facts["object"]
        if scene.robot.held_object() is not None:
            raise ExecutionFailure(f"{obj!r} was not released")
        off = np.hypot(*(scene.object_position(obj)[:2] - [params["x"], params["y"]]))
        if off > PLACE_TOLERANCE:
            raise ExecutionFailure(
                f"{obj!r} came to rest {off:.3f} m from the target (tolerance {PLACE_TOLERANCE} m)"
            )


def container_rim(scene: Scene, x: float, y: float) -> float:
    """Height of the rim, in m, of the container (not held) whose footprint holds (x, y) m;
    ``-inf`` when there is none."""
    rim = -math.inf
    for name in scene.object_names():
        info = scene.object_info(name)
        if not info.container or name == scene.robot.held_object():
            continue
        yaw = scene.object_yaw(name)
        dx, dy = np.array([x, y]) - scene.object_position(name)[:2]
        along = dx * math.cos(yaw) + dy * math.sin(yaw)
        across = -dx * math.sin(yaw) + dy * math.cos(yaw)
        if abs(along) <= info.size[0] / 2 and abs(across) <= info.size[1] / 2:
            rim = max(rim, float(scene.object_top(name)[2]))
    return rim


class Push(Skill):
    """Push an object with the closed fingers: from (x, y, z) along ``direction`` by ``distance``.

    The fingers start ``PUSH_MARGIN`` behind the object's footprint and travel ``distance`` m
    past the point, so the object moves about ``distance`` m. Typical duration: 4-5 s.
    """

    name = "push"
    description = "push the object along a direction"
    params = (
        Param("x", "float", "m", 0.25, 0.80),
        Param("y", "float", "m", -0.45, 0.45),
        Param("z", "float", "m", 0.0, 0.40),
        Param("direction", "float", "rad", -math.pi, math.pi),
        Param("distance", "float", "m", 0.02, 0.30),
    )
    step_budget = 3000

    @classmethod
    def applies_to(cls, info: ObjectInfo) -> bool:
        """Things that slide well when pushed: toys and pucks."""
        return info.category in ("toy", "puck")

    @classmethod
    def params_for_object(cls, scene: Scene, obj: str) -> dict[str, Any]:
        """At the object's centre, low on its side; away from the robot, by 0.1 m."""
        x, y, z = scene.object_position(obj)
        z = max(z, scene.table_height + FINGER_CLEARANCE)
        return {"x": float(x), "y": float(y), "z": float(z),
                "direction": float(math.atan2(y, x)), "distance": 0.1}

    @classmethod
    def _check_preconditions(cls, scene: Scene, params: dict[str, Any]) -> None:
        held = scene.robot.held_object()
        if held is not None:
            raise PreconditionFailure(f"holding {held!r}; pushing needs an empty gripper")
        if object_near(scene, params["x"], params["y"]) is None:
            raise PreconditionFailure(
                f"no object within 0.05 m of ({params['x']:.3f}, {params['y']:.3f}) m to push"
            )

    @classmethod
    def _execute(
        cls,
        scene: Scene,
        params: dict[str, Any],
        budget: StepBudget,
        should_stop: Callable[[], bool] | None,
    ) -> dict[str, Any]:
        obj = object_near(scene, params["x"], params["y"])
        point = np.array([params["x"], params["y"], params["z"]])
        start, end = push_line(scene, obj, point, params["direction"], params["distance"],
                               PUSH_MARGIN)
        scene.robot.close_gripper(**motion_kwargs(budget, should_stop))
        orn = top_down_orientation(params["direction"] + math.pi / 2)
        start_xy = scene.object_position(obj)[:2]
        stroke(scene, np.array([start, end]), orn, budget, should_stop)
        return {"object": obj, "start": start_xy}

    @classmethod
    def _check_success(cls, scene: Scene, params: dict[str, Any], facts: dict[str, Any]) -> None:
        moved = scene.object_position(facts["object"])[:2] - facts["start"]
        along = float(np.dot(moved, [math.cos(params["direction"]), math.sin(params["direction"])]))
        if along < 0.5 * params["distance"]:
            raise ExecutionFailure(
                f"{facts['object']!r} moved {along:.3f} m along the push "
                f"(asked for {params['distance']:.3f} m)"
            )


class Home(Skill):
    """Move the arm back to its start pose, out of the top camera's view. Typical: 1-2 s."""

    name = "home"
    description = "move the arm out of the way"
    params = ()
    step_budget = 1000

    @classmethod
    def applies_to(cls, info: ObjectInfo) -> bool:
        """No object: the interface offers it apart from the per-object menu."""
        return False

    @classmethod
    def params_for_object(cls, scene: Scene, obj: str) -> dict[str, Any]:
        """``{}``: going home takes no parameters."""
        scene.object_info(obj)
        return {}

    @classmethod
    def _check_preconditions(cls, scene: Scene, params: dict[str, Any]) -> None:
        """Always possible."""

    @classmethod
    def _execute(
        cls,
        scene: Scene,
        params: dict[str, Any],
        budget: StepBudget,
        should_stop: Callable[[], bool] | None,
    ) -> dict[str, Any]:
        scene.robot.home(**motion_kwargs(budget, should_stop))
        return {}

    @classmethod
    def _check_success(cls, scene: Scene, params: dict[str, Any], facts: dict[str, Any]) -> None:
        """``home`` raises if it does not arrive."""
