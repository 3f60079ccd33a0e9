"""Skills on hinged lids: ``Open`` and ``Close`` swing a lid by its knob around its hinge.

The gripper grasps the knob, then follows the knob's arc about the hinge axis (turning with the
lid), lets go and backs off along its approach axis.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from skills.base import (
    APPROACH_HEIGHT,
    ExecutionFailure,
    ObjectInfo,
    Param,
    PlanningFailure,
    PreconditionFailure,
    Skill,
    StepBudget,
    motion_kwargs,
    part_position,
    quat_about,
    quat_mul,
    rotate,
    top_down_orientation,
)

if TYPE_CHECKING:
    from skills.robot import Scene

OPEN_ANGLE = 1.2
"""Lid angle from which an object counts as open, in rad."""
CLOSED_ANGLE = 0.1
"""Lid angle below which an object counts as closed, in rad."""
ARC_POINTS = 8
"""Waypoints along the lid's arc."""
ON_LID = 0.03
"""Largest height of an object's bottom above a closed lid's rim for it to lie on the lid,
in m (the lid is 0.01 m thick)."""


class Swing(Skill):
    """Swing the lid of ``object`` to ``target_angle`` (subclasses Open and Close)."""

    target_angle: ClassVar[float]
    params = (Param("object", "object"),)
    step_budget = 3000

    @classmethod
    def applies_to(cls, info: ObjectInfo) -> bool:
        """Openable objects (a lid on a hinge)."""
        return "openable" in info.abilities

    @classmethod
    def _check_preconditions(cls, scene: Scene, params: dict[str, Any]) -> None:
        held = scene.robot.held_object()
        if held is not None:
            raise PreconditionFailure(f"holding {held!r}; put it down before using a lid")
        cls._check_lid(scene, params["object"], scene.object_state(params["object"])["open"])

    @classmethod
    def _check_lid(cls, scene: Scene, obj: str, angle: float) -> None:
        raise NotImplementedError

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
        kw = motion_kwargs
        start = scene.object_state(obj)["open"]
        hinge = part_position(scene, obj, "hinge")
        quat = scene.object_pose(obj)[1]
        axis = rotate(quat, np.array([-1.0, 0.0, 0.0]))

        def knob_pose(angle: float) -> tuple[np.ndarray, np.ndarray]:
            turn = quat_about(axis, angle)
            knob = hinge + rotate(turn, part_position(scene, obj, "knob") - hinge)
            return knob, quat_mul(turn, top_down_orientation(scene.object_yaw(obj)))

        knob, orn = knob_pose(start)
        out = rotate(quat_about(axis, start), np.array([0.0, 0.0, APPROACH_HEIGHT]))
        robot.open_gripper(**kw(budget, should_stop))
        robot.follow_path(np.array([knob + out, knob]), np.array([orn, orn]),
                          **kw(budget, should_stop))
        if robot.close_gripper(**kw(budget, should_stop)) is False:
            raise ExecutionFailure(f"missed the knob of {obj!r}")
        arc = [knob_pose(a) for a in np.linspace(start, cls.target_angle, ARC_POINTS)[1:]]
        try:
            robot.follow_path(np.array([p for p, _ in arc]), np.array([q for _, q in arc]),
                              **kw(budget, should_stop))
        except PlanningFailure:  # nothing moved: let go of the knob, leave the lid as it was
            robot.open_gripper(**kw(budget, should_stop))
            raise
        robot.open_gripper(**kw(budget, should_stop))
        back = robot.ee_position() - rotate(robot.ee_orientation(), np.array([0, 0, 0.08]))
        robot.move_ee(back, orientation=robot.ee_orientation(), **kw(budget, should_stop))
        robot.home(**kw(budget, should_stop))
        return {}


def lying_on_lid(scene: Scene, obj: str) -> str | None:
    """The first object (not held) whose centre is over ``obj``'s footprint with its bottom
    between the rim and ``ON_LID`` m above it: lying on the closed lid; None if none is."""
    rim = float(scene.object_top(obj)[2])
    half = np.array(scene.object_info(obj).size[:2]) / 2
    yaw = scene.object_yaw(obj)
    for name in scene.object_names():
        if name in (obj, scene.robot.held_object()):
            continue
        centre = scene.object_position(name)
        bottom = 2 * centre[2] - scene.object_top(name)[2]
        dx, dy = centre[:2] - scene.object_position(obj)[:2]
        along = dx * np.cos(yaw) + dy * np.sin(yaw)
        across = -dx * np.sin(yaw) + dy * np.cos(yaw)
        over = abs(along) <= half[0] and abs(across) <= half[1]
        if over and rim - 0.005 <= bottom <= rim + ON_LID:
            return name
    return None


class Open(Swing):
    """Open a hinged lid (basket, gift box) by its knob; not with something lying on the lid
    (``lying_on_lid``). Typical: 4-6 s."""

    name = "open"
    description = "open the lid"
    target_angle = 1.9

    @classmethod
    def _check_lid(cls, scene: Scene, obj: str, angle: float) -> None:
        if angle > CLOSED_ANGLE:
            raise PreconditionFailure(f"{obj!r} is already open ({angle:.2f} rad)")
        on_lid = lying_on_lid(scene, obj)
        if on_lid is not None:
            raise PreconditionFailure(
                f"{on_lid!r} lies on the lid of {obj!r}; move it off before opening")

    @classmethod
    def _check_success(cls, scene: Scene, params: dict[str, Any], facts: dict[str, Any]) -> None:
        angle = scene.object_state(params["object"])["open"]
        if angle < OPEN_ANGLE:
            raise ExecutionFailure(f"the lid of {params['object']!r} is at {angle:.2f} rad")


class Close(Swing):
    """Close an open hinged lid by its knob. Typical: 4-6 s."""

    name = "close"
    description = "close the lid"
    target_angle = 0.02

    @classmethod
    def _check_lid(cls, scene: Scene, obj: str, angle: float) -> None:
        if angle < CLOSED_ANGLE:
            raise PreconditionFailure(f"{obj!r} is already closed ({angle:.2f} rad)")

    @classmethod
    def _check_success(cls, scene: Scene, params: dict[str, Any], facts: dict[str, Any]) -> None:
        angle = scene.object_state(params["object"])["open"]
        if angle > CLOSED_ANGLE:
            raise ExecutionFailure(f"the lid of {params['object']!r} is still at {angle:.2f} rad")
