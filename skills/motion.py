"""Motion patterns shared by skills: poses of parts and held tools, approach/stroke/retreat.

Quaternions are (x, y, z, w) numpy arrays. A gripper "pointing down with yaw psi" has its x axis
horizontal at angle psi and its approach (z) axis pointing down.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from skills.base import StepBudget

if TYPE_CHECKING:
    from skills.robot import Scene

APPROACH_HEIGHT = 0.10
"""Height of the pre-grasp / pre-place / pre-contact pose above the target, in m."""
FINGER_CLEARANCE = 0.012
"""Lowest gripper-centre height above the table, so the fingertips miss it, in m."""
GRASP_PARTS = ("handle", "rim")
"""Parts grasped instead of the object's centre, in order of preference."""


def quat_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product ``a * b`` of quaternions (x, y, z, w): rotate by ``b``, then ``a``."""
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return np.array([
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
        aw * bw - ax * bx - ay * by - az * bz,
    ])


def quat_conj(q: np.ndarray) -> np.ndarray:
    """Inverse of a unit quaternion."""
    return np.array([-q[0], -q[1], -q[2], q[3]])


def quat_about(axis: np.ndarray, angle: float) -> np.ndarray:
    """Rotation by ``angle`` rad about ``axis`` (3,), as a quaternion."""
    axis = np.asarray(axis, dtype=float) / np.linalg.norm(axis)
    return np.append(axis * math.sin(angle / 2), math.cos(angle / 2))


def quat_from_axes(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Quaternion (x, y, z, w) of the frame whose axes are the orthonormal, right-handed
    ``x``, ``y``, ``z`` (3,) in world coordinates."""
    r = np.column_stack([x, y, z])
    d = np.diag(r)
    w = math.sqrt(max(0.0, 1.0 + d.sum())) / 2
    size = [math.sqrt(max(0.0, 1.0 + 2 * d[i] - d.sum())) / 2 for i in range(3)]
    signs = (r[2, 1] - r[1, 2], r[0, 2] - r[2, 0], r[1, 0] - r[0, 1])
    return np.array([*(math.copysign(s, g) for s, g in zip(size, signs, strict=True)), w])


def rotate(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Vector ``v`` (3,) rotated by quaternion ``q``."""
    return quat_mul(quat_mul(q, np.append(v, 0.0)), quat_conj(q))[:3]


def heading(q: np.ndarray) -> float:
    """Angle of the rotated x axis in the horizontal plane, in rad."""
    x = rotate(q, np.array([1.0, 0.0, 0.0]))
    return math.atan2(x[1], x[0])


def top_down_orientation(yaw: float) -> np.ndarray:
    """Quaternion (x, y, z, w), shape (4,), of a gripper pointing down, rotated ``yaw`` rad."""
    return np.array([math.cos(yaw / 2), math.sin(yaw / 2), 0.0, 0.0])


def wrap_half_turn(angle: float) -> float:
    """``angle`` rad wrapped into [-pi/2, pi/2): a parallel gripper is the same turned by pi."""
    return (angle + math.pi / 2) % math.pi - math.pi / 2


def part_position(scene: Scene, obj: str, part: str) -> np.ndarray:
    """World position (3,) m of part ``part`` of ``obj`` (see ``ObjectInfo.parts``)."""
    position, quat = scene.object_pose(obj)
    return position + rotate(quat, np.array(scene.object_info(obj).part(part)))


def grasp_pose(scene: Scene, obj: str) -> tuple[np.ndarray, float]:
    """Gripper-centre target (3,) m and gripper yaw (rad) to grasp ``obj`` from above."""
    info = scene.object_info(obj)
    yaw = scene.object_yaw(obj) + info.grasp_yaw
    names = [p for p, _ in info.parts]
    for part in GRASP_PARTS:
        if part in names:
            return part_position(scene, obj, part), wrap_half_turn(yaw)
    return scene.object_position(obj), wrap_half_turn(yaw)


def held_tool_target(scene: Scene, part: str | None, target: np.ndarray,
                     orientation: np.ndarray) -> np.ndarray:
    """Gripper position (3,) m that puts the held object's ``part`` at ``target`` (3,) m.

    ``part`` None means the base frame's origin (the bottom centre of a procedural object).
    The held object is rigid in the hand, so its part keeps its offset in the gripper frame
    while the gripper turns to ``orientation``.
    """
    robot = scene.robot
    ee, q = robot.ee_position(), robot.ee_orientation()
    held = robot.held_object()
    point = scene.object_pose(held)[0] if part is None else part_position(scene, held, part)
    local = rotate(quat_conj(q), point - ee)
    return np.asarray(target, dtype=float) - rotate(orientation, local)


def tool_heading_orientation(scene: Scene, desired: float, symmetric: bool = False
                             ) -> np.ndarray:
    """Gripper orientation, pointing down, that turns the held object's x axis to ``desired``
    rad (or to ``desired + pi`` if ``symmetric`` and that is the smaller wrist turn)."""
    robot = scene.robot
    held_quat = scene.object_pose(robot.held_object())[1]
    turn = (desired - heading(held_quat) + math.pi) % (2 * math.pi) - math.pi
    if symmetric:
        turn = wrap_half_turn(turn)
    return quat_mul(quat_about(np.array([0.0, 0.0, 1.0]), turn), robot.ee_orientation())


def motion_kwargs(budget: StepBudget, should_stop: Callable[[], bool] | None) -> dict[str, Any]:
    """Keyword arguments of a robot motion: the interrupt check and the steps left."""
    return {"should_stop": should_stop, "max_steps": budget.left}


def retreat_home(scene: Scene, budget: StepBudget,
                 should_stop: Callable[[], bool] | None) -> None:
    """Lift the gripper ``APPROACH_HEIGHT`` straight up, then go home, clear of the camera."""
    robot = scene.robot
    up = robot.ee_position() + [0.0, 0.0, APPROACH_HEIGHT]
    robot.move_ee(up, orientation=robot.ee_orientation(), **motion_kwargs(budget, should_stop))
    robot.home(**motion_kwargs(budget, should_stop))


def stroke_path(scene: Scene, path: np.ndarray, orientation: np.ndarray, budget: StepBudget,
                should_stop: Callable[[], bool] | None) -> None:
    """Approach ``path[0]`` from its ``pre_pose`` and follow the gripper ``path`` (n, 3) m,
    as one motion: ``PlanningFailure`` if any pose is out of reach, before moving."""
    poses = np.vstack([pre_pose(scene, path[0])[None], path])
    scene.robot.follow_path(poses, np.repeat(orientation[None], len(poses), axis=0),
                            **motion_kwargs(budget, should_stop))


def pre_pose(scene: Scene, target: np.ndarray) -> np.ndarray:
    """Gripper position (3,) m to come down onto ``target`` (3,) m from: ``APPROACH_HEIGHT``
    above it, and at least ``scene.travel_height`` above the table."""
    above = np.asarray(target, dtype=float) + [0.0, 0.0, APPROACH_HEIGHT]
    above[2] = max(above[2], scene.table_height + scene.travel_height)
    return above


def stroke(scene: Scene, path: np.ndarray, orientation: np.ndarray, budget: StepBudget,
           should_stop: Callable[[], bool] | None) -> None:
    """``stroke_path``, then retreat home."""
    stroke_path(scene, path, orientation, budget, should_stop)
    retreat_home(scene, budget, should_stop)


def object_near(scene: Scene, x: float, y: float, radius: float = 0.05) -> str | None:
    """The graspable object whose centre is nearest (x, y) m and within ``radius`` m, or None."""
    best, best_d = None, radius
    for name in scene.object_names():
        if scene.object_info(name).graspable and name != scene.robot.held_object():
            d = float(np.hypot(*(scene.object_position(name)[:2] - [x, y])))
            if d < best_d:
                best, best_d = name, d
    return best


def push_line(scene: Scene, obj: str, point: np.ndarray, direction: float,
              distance: float, margin: float) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (3,) m of a contact point that moves ``obj`` ``distance`` m along
    ``direction`` rad from ``point``, starting ``margin`` m behind its footprint."""
    unit = np.array([math.cos(direction), math.sin(direction), 0.0])
    radius = horizontal_radius(scene, obj)
    return point - (radius + margin) * unit, point + (distance - radius) * unit


def horizontal_radius(scene: Scene, obj: str) -> float:
    """Half the diagonal of ``obj``'s footprint, in m."""
    return float(np.hypot(*scene.object_info(obj).size[:2])) / 2
