"""Primitive tabletop skills: top-down ``Pick`` and ``Place``."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from skills.base import (
    ExecutionFailure,
    ObjectInfo,
    Param,
    PreconditionFailure,
    Skill,
    StepBudget,
)

if TYPE_CHECKING:
    from skills.robot import Scene

APPROACH_HEIGHT = 0.10
"""Height of the pre-grasp / pre-place pose above the target, in m."""
LIFT_HEIGHT = 0.15
"""How far above its top surface a picked object's grasp point is lifted, in m."""
FINGER_CLEARANCE = 0.012
"""Lowest gripper-centre height above the table, so the fingertips miss it, in m."""
RELEASE_GAP = 0.015
"""Gap between the held object's bottom and the target surface when releasing, in m."""
PLACE_TOLERANCE = 0.05
"""Largest horizontal distance of a placed object from its target, in m."""


def top_down_orientation(yaw: float) -> np.ndarray:
    """Quaternion (x, y, z, w), shape (4,), of a gripper pointing down, rotated ``yaw`` rad."""
    return np.array([math.cos(yaw / 2), math.sin(yaw / 2), 0.0, 0.0])


class Pick(Skill):
    """Grasp an object from above and lift it."""

    name = "pick"
    description = "pick the object up"
    params = (Param("object", "object"),)
    step_budget = 1500

    @classmethod
    def applies_to(cls, info: ObjectInfo) -> bool:
        """Graspable objects only."""
        return info.graspable

    @classmethod
    def params_for_object(cls, scene: Scene, obj: str) -> dict[str, Any]:
        """``{"object": obj}``."""
        scene.object_info(obj)
        return {"object": obj}

    @classmethod
    def _check_preconditions(cls, scene: Scene, params: dict[str, Any]) -> None:
        held = scene.robot.held_object()
        if held is not None:
            raise PreconditionFailure(f"already holding {held!r}; place it before picking")
        obj = params["object"]
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
        x, y, zc = scene.object_position(obj)
        top = scene.object_top(obj)[2]
        # Boxes look the same every quarter turn: grasp with the smallest wrist rotation.
        yaw = (scene.object_yaw(obj) + math.pi / 4) % (math.pi / 2) - math.pi / 4
        orn = top_down_orientation(yaw)
        grasp_z = max(zc, scene.table_height + FINGER_CLEARANCE)
        kw = {"should_stop": should_stop}
        robot.open_gripper(max_steps=budget.left, **kw)
        robot.move_ee(np.array([x, y, top + APPROACH_HEIGHT]), orientation=orn,
                      max_steps=budget.left, **kw)
        robot.move_ee(np.array([x, y, grasp_z]), orientation=orn, max_steps=budget.left, **kw)
        if not robot.close_gripper(max_steps=budget.left, **kw):
            raise ExecutionFailure(f"the gripper closed on nothing at {obj!r}")
        robot.move_ee(np.array([x, y, top + LIFT_HEIGHT]), orientation=orn,
                      max_steps=budget.left, **kw)
        return {"start_z": zc}

    @classmethod
    def _check_success(cls, scene: Scene, params: dict[str, Any], facts: dict[str, Any]) -> None:
        obj = params["object"]
        held = scene.robot.held_object()
        lifted = scene.object_position(obj)[2] - facts["start_z"]
        if held != obj or lifted < 0.5 * LIFT_HEIGHT:
            raise ExecutionFailure(
                f"{obj!r} not lifted with the gripper (holding {held!r}, raised {lifted:.3f} m)"
            )


class Place(Skill):
    """Put the held object down with its bottom at (x, y, z): onto or into another object."""

    name = "place"
    description = "put the held object here"
    params = (
        Param("x", "float", "m", 0.25, 0.80),
        Param("y", "float", "m", -0.45, 0.45),
        Param("z", "float", "m", 0.0, 0.40),
    )
    step_budget = 1500

    @classmethod
    def applies_to(cls, info: ObjectInfo) -> bool:
        """Every object: the held object goes onto (or into) it."""
        return True

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
        release = np.array([params["x"], params["y"], params["z"] + half_height + RELEASE_GAP])
        target = release + offset
        above = target + [0.0, 0.0, APPROACH_HEIGHT]
        above[2] = max(above[2], robot.ee_position()[2])
        kw = {"should_stop": should_stop}
        robot.move_ee(above, max_steps=budget.left, **kw)
        robot.move_ee(target, max_steps=budget.left, **kw)
        robot.open_gripper(max_steps=budget.left, **kw)
        robot.move_ee(target + [0.0, 0.0, APPROACH_HEIGHT], max_steps=budget.left, **kw)
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
