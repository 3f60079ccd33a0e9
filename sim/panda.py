"""The Franka Panda (``franka_panda/panda.urdf`` in pybullet_data) as a ``skills.robot.Robot``.

The motions, the assisted grasp and the stop on request are ``sim.arm.CartesianArm``'s; this
module adds what is the Panda's own: its URDF, joints and limits, its finger geometry, and its
path planner. A path (straight lines between poses, orientations interpolated) is planned in
joint space before anything moves: every ``IK_PERIOD`` physics steps along each line,
null-space inverse kinematics solves the joints, seeded with the previous solution; an
unreachable pose is a ``PlanningFailure`` with the arm still. The joints are then position
controlled along the plan, interpolated linearly between solutions. The fingers move at most at
their URDF velocity limit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from sim.arm import BLOCKED_LAG, SETTLE_STEPS, CartesianArm
from sim.world import World
from skills.base import ExecutionFailure, PlanningFailure

ARM_JOINTS = tuple(range(7))
FINGER_JOINTS = (9, 10)
EE_LINK = 11  # panda_grasptarget: between the fingertips
HOME = (0.0, -0.785, 0.0, -2.356, 0.0, 1.571, 0.785)
"""Arm joint positions at start, in rad: gripper pointing down 0.3 m in front of the base."""
FINGER_OPEN = 0.04
FINGER_FORCE = 40.0
FINGER_SPEED = 0.2
"""Largest finger speed, in m/s: the finger joints' velocity limit in the URDF, which PyBullet's
motor control of several joints at once does not apply. Faster (up to 1 m/s), the fingers
strike what they close on, sink millimetres into it, and the uneven contacts push both fingers
and the object sideways until one finger stops at its joint limit: the object is then held up
to 20 mm off-centre, pressed against that finger."""
ARM_FORCES = (87.0, 87.0, 87.0, 87.0, 12.0, 12.0, 12.0)
"""Largest motor torque of each joint in ``ARM_JOINTS``, in N m."""
IK_ITERATIONS = 50
"""Iterations of one inverse-kinematics solve."""
IK_REFINEMENTS = 8
"""Solves at most per planned point (each starts from the last solution)."""
IK_PERIOD = 16
"""Physics steps between two planned joint solutions along a path."""
PATH_DEVIATION = 0.02
"""Largest error of a planned joint solution between waypoints, in m."""
TURN_SPEED = 1.5
"""Angular speed of the gripper while it turns along a path, and of each joint returning
home, in rad/s."""
GRASP_FORCE = 300.0
"""Largest force of the assisted-grasp constraint, in N."""
FINGER_SOLVER_ITERATIONS = 30
"""Constraint-solver iterations per physics step while the fingers move."""


@dataclass(frozen=True)
class _Segment:
    """A planned straight line: gripper ``start`` to ``target`` (3,) m and the arm joints
    (n, 7) rad to command at each of its n control steps."""

    start: np.ndarray
    target: np.ndarray
    joints: np.ndarray


class PandaRobot(CartesianArm):
    """A Panda arm with its parallel gripper in a ``World``.

    Parameters
    ----------
    world : World
        The world to load the robot into.
    base_position : sequence of float, shape (3,)
        Position of the robot base, in m.
    speed : float
        Cartesian speed of the gripper along a straight move, in m/s.
    tolerance : float
        Largest gripper-centre error accepted at the end of a move, in m.
    """

    def __init__(
        self,
        world: World,
        base_position: Sequence[float] = (0.0, 0.0, 0.0),
        *,
        speed: float = 0.3,
        tolerance: float = 0.01,
    ) -> None:
        self._base = tuple(base_position)
        body = world.load_urdf(
            "franka_panda/panda.urdf", base_position, name="panda", fixed=True
        )
        for j in FINGER_JOINTS:
            world.client.changeDynamics(body, j, lateralFriction=1.5, spinningFriction=0.01)
        self._setup_arm(
            world, body,
            arm_joints=ARM_JOINTS, arm_forces=ARM_FORCES,
            finger_joints=FINGER_JOINTS, finger_open=FINGER_OPEN, finger_force=FINGER_FORCE,
            finger_speed=FINGER_SPEED, finger_solver_iterations=FINGER_SOLVER_ITERATIONS,
            grasp_force=GRASP_FORCE, ee_link=EE_LINK, home=HOME, home_speed=TURN_SPEED,
            null_space=True, speed=speed, tolerance=tolerance,
        )

    # -- state ----------------------------------------------------------------------------
    def _tool_pose(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """The grasp-target link's pose, which is the tool frame, as PyBullet last computed it
        (after the last physics step or joint reset, without forward kinematics)."""
        return self._p.getLinkState(self.body, EE_LINK)[4:6]

    def _pose_in_hand(self, body: int, link: int
                      ) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """Pose of ``body``'s ``link`` (-1: its base) in the grasp-target frame, from the link
        poses as PyBullet last computed them (see ``_tool_pose``)."""
        hand_pos, hand_orn = self._p.getLinkState(self.body, EE_LINK)[4:6]
        if link == -1:
            obj_pos, obj_orn = self._p.getBasePositionAndOrientation(body)
        else:
            obj_pos, obj_orn = self._p.getLinkState(body, link)[4:6]
        inv_pos, inv_orn = self._p.invertTransform(hand_pos, hand_orn)
        return self._p.multiplyTransforms(inv_pos, inv_orn, obj_pos, obj_orn)

    # -- path planning --------------------------------------------------------------------
    def _ik_once(self, position: np.ndarray, orientation: np.ndarray, null_space: bool
                 ) -> np.ndarray:
        """Arm joint positions (7,) rad, searched from the current ones, within joint limits.

        With ``null_space`` the solver pulls the shoulder and elbow towards ``HOME`` with the
        base joint turned to face ``position``, so the elbow stays up wherever the target is,
        and leaves the wrist joints free to turn the gripper; without it, plain damped least
        squares moves the joints least, which converges better near a good start.
        """
        if null_space:
            rest = list(self._ik_options["restPoses"])
            rest[0] = float(np.clip(np.arctan2(position[1] - self._base[1],
                                               position[0] - self._base[0]),
                                    self._arm_lower[0], self._arm_upper[0]))
            rest[4:7] = self.joint_positions()[4:7]
            q = self._p.calculateInverseKinematics(
                self.body, EE_LINK, position, orientation,
                maxNumIterations=IK_ITERATIONS, residualThreshold=1e-4,
                **{**self._ik_options, "restPoses": rest},
            )
        else:
            q = self._p.calculateInverseKinematics(
                self.body, EE_LINK, position, orientation,
                maxNumIterations=IK_ITERATIONS, residualThreshold=1e-4,
            )
        return np.clip(q[:7], self._arm_lower, self._arm_upper)

    def _solve(self, position: np.ndarray, orientation: np.ndarray) -> tuple[np.ndarray, float]:
        """IK from the joints as they are now: ``IK_REFINEMENTS`` solves at most, each from the
        last, alternately with and without the null-space pull (see ``_ik_once``).

        Leaves the joints at the solution; returns it (7,) rad and its position error, in m.
        """
        q, error = self.joint_positions()[:7], np.inf
        for attempt in range(IK_REFINEMENTS):
            q = self._ik_once(position, orientation, null_space=attempt % 2 == 0)
            self._set_joints(q)
            error = float(np.linalg.norm(self.ee_position() - position))
            if error < self.tolerance / 2:
                break
        return q, error

    def _plan(self, positions: np.ndarray, orientations: np.ndarray) -> list[_Segment]:
        """Joint-space plan of straight-line segments through the poses, before anything moves:
        straight lines at ``speed``, turning at ``TURN_SPEED``.

        Every ``IK_PERIOD`` steps along each line the joints are solved by inverse kinematics,
        each solution seeded with the previous one, on the arm itself; the arm is put back
        afterwards.

        Raises
        ------
        PlanningFailure
            A waypoint's solution misses it by ``tolerance / 2`` or more, or a point on a line
            by ``PATH_DEVIATION`` or more.
        """
        saved = self._p.getJointStates(self.body, ARM_JOINTS)
        q_prev = np.array([s[0] for s in saved])
        start, o_start = self.ee_position(), self.ee_orientation()
        segments = []
        try:
            for target, o_target in zip(positions, orientations, strict=True):
                o_target = o_target / np.linalg.norm(o_target)
                if np.dot(o_start, o_target) < 0:
                    o_target = -o_target
                turn = 2 * np.arccos(min(1.0, abs(float(np.dot(o_start, o_target)))))
                n = max(1, int(np.ceil(max(
                    np.linalg.norm(target - start) / self.speed, turn / TURN_SPEED
                ) / self.world.timestep)))
                knots = [*range(IK_PERIOD, n, IK_PERIOD), n]
                solutions = []
                for k in knots:
                    point = start + k / n * (target - start)
                    o = o_start + k / n * (o_target - o_start)
                    q, error = self._solve(point, o / np.linalg.norm(o))
                    limit = self.tolerance / 2 if k == n else PATH_DEVIATION
                    if error >= limit:
                        raise PlanningFailure(
                            f"target {np.round(target, 3).tolist()} m is out of reach: the "
                            f"inverse-kinematics solution for {np.round(point, 3).tolist()} m "
                            f"misses it by {error:.3f} m (limit {limit:.3f} m)"
                        )
                    solutions.append(q)
                steps = np.arange(1, n + 1)
                table = np.vstack([q_prev, *solutions])
                joints = np.stack([np.interp(steps, [0, *knots], table[:, j]) for j in range(7)],
                                  axis=1)
                segments.append(_Segment(start, target, joints))
                start, o_start, q_prev = target, o_target, solutions[-1]
        finally:
            self._set_joints([s[0] for s in saved], [s[1] for s in saved])
        return segments

    def _execute(self, plan: Sequence[_Segment], should_stop: Callable[[], bool] | None,
                 max_steps: int | None) -> int:
        """Drive the joints along the planned segments, then hold the last solution until the
        gripper settles on the last waypoint; return the control steps used."""
        steps = 0
        for segment in plan:
            steps += self._track(segment, should_stop,
                                 None if max_steps is None else max_steps - steps)
        return steps + self._settle(plan[-1].target, plan[-1].joints[-1], should_stop,
                                    None if max_steps is None else max_steps - steps)

    def _track(self, segment: _Segment, should_stop: Callable[[], bool] | None,
               max_steps: int | None) -> int:
        """Drive the joints along ``segment``; return the control steps used."""
        n = len(segment.joints)
        for k in range(1, n + 1):
            self._command_arm(segment.joints[k - 1])
            self._control_step(should_stop, max_steps, k - 1)
            if k % IK_PERIOD == 0 or k == n:
                waypoint = segment.start + k / n * (segment.target - segment.start)
                error = np.linalg.norm(self.ee_position() - waypoint)
                if error > BLOCKED_LAG:
                    self._hold()
                    raise ExecutionFailure(
                        f"arm blocked on the way to {np.round(segment.target, 3).tolist()} m "
                        f"({error:.3f} m behind its waypoint)"
                    )
        return n

    def _settle(
        self,
        target: np.ndarray,
        q: np.ndarray,
        should_stop: Callable[[], bool] | None,
        max_steps: int | None,
    ) -> int:
        """Hold the joints at ``q`` until the gripper is on ``target``; return the steps used."""
        self._command_arm(q)
        error = np.linalg.norm(self.ee_position() - target)
        for k in range(SETTLE_STEPS):
            if error < self.tolerance / 2:
                return k
            self._control_step(should_stop, max_steps, k)
            error = np.linalg.norm(self.ee_position() - target)
        if error > self.tolerance:
            raise ExecutionFailure(
                f"gripper settled {error:.3f} m from {np.round(target, 3).tolist()} m"
            )
        return SETTLE_STEPS
