"""The Franka Panda (``franka_panda/panda.urdf`` in pybullet_data) as a ``skills.robot.Robot``.

The arm follows Cartesian paths (straight lines between poses, orientations interpolated). A
path is planned in joint space before anything moves: every ``IK_PERIOD`` physics steps along
each line, null-space inverse kinematics solves the joints, seeded with the previous solution;
an unreachable pose is a ``PlanningFailure`` with the arm still. The joints are then position
controlled along the plan, interpolated linearly between solutions. Grasps are assisted, as in
OmniGibson's "assisted grasping": when the closing fingers both touch an object, a fixed
constraint holds it where it is relative to the hand until the fingers open, so tools stay put
while they wipe, cut or pour, and the fingers ease off to rest against it. The fingers move at
most at their URDF velocity limit. A stop on request brakes the arm and fingers to standstill
and holds them, and what the hand holds (``sim.arm.HoldingArm``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pybullet

from sim.arm import REGRIP_SLIP, HoldingArm, pose_in_link, stops_on_request
from sim.world import World
from skills.base import ExecutionFailure, PlanningFailure

ARM_JOINTS = tuple(range(7))
FINGER_JOINTS = (9, 10)
JOINTS = ARM_JOINTS + FINGER_JOINTS
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
FORCES = (87.0, 87.0, 87.0, 87.0, 12.0, 12.0, 12.0, FINGER_FORCE, FINGER_FORCE)
"""Largest motor force or torque of each joint in ``JOINTS``, in N m (fingers N)."""
IK_ITERATIONS = 50
"""Iterations of one inverse-kinematics solve."""
IK_REFINEMENTS = 8
"""Solves at most per planned point (each starts from the last solution)."""
IK_PERIOD = 16
"""Physics steps between two planned joint solutions along a path."""
PATH_DEVIATION = 0.02
"""Largest error of a planned joint solution between waypoints, in m."""
TURN_SPEED = 1.5
"""Angular speed of the gripper while it turns along a path, in rad/s."""
GRASP_FORCE = 300.0
"""Largest force of the assisted-grasp constraint, in N."""
BLOCKED_LAG = 0.05
"""Lag of the gripper behind its waypoint, in m, taken to mean the arm is blocked."""
SETTLE_STEPS = 120
"""Control steps a move may take after the last waypoint to settle within tolerance."""
DEFAULT_GAIN = 0.1
"""PyBullet's default position gain of a position-controlled motor."""
FINGER_SOLVER_ITERATIONS = 30
"""Constraint-solver iterations per physics step while the fingers move."""


@dataclass(frozen=True)
class _Segment:
    """A planned straight line: gripper ``start`` to ``target`` (3,) m and the arm joints
    (n, 7) rad to command at each of its n control steps."""

    start: np.ndarray
    target: np.ndarray
    joints: np.ndarray


HOME_TOLERANCE = 0.02
"""Largest joint error, in rad, at which the arm counts as home."""

class PandaRobot(HoldingArm):
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
        self.world = world
        self.speed = speed
        self.tolerance = tolerance
        self._p = world.client
        self._base = tuple(base_position)
        self._arm_joints = ARM_JOINTS
        self._finger_joints = FINGER_JOINTS
        self.body = world.load_urdf(
            "franka_panda/panda.urdf", base_position, name="panda", fixed=True
        )
        info = [self._p.getJointInfo(self.body, j) for j in JOINTS]
        self._lower = [i[8] for i in info]
        self._upper = [i[9] for i in info]
        self._ranges = [u - lo for lo, u in zip(self._lower, self._upper, strict=True)]
        self._rest = list(HOME) + [FINGER_OPEN, FINGER_OPEN]
        for j, q in zip(JOINTS, self._rest, strict=True):
            self._p.resetJointState(self.body, j, q)
        for j in FINGER_JOINTS:
            self._p.changeDynamics(self.body, j, lateralFriction=1.5, spinningFriction=0.01)
        self._finger_target = np.full(2, FINGER_OPEN)
        self._command_arm(np.array(HOME))
        self._grasp: tuple[str, int] | None = None  # held object's name, constraint id

    # -- state ----------------------------------------------------------------------------
    def ee_position(self) -> np.ndarray:
        """Gripper centre (between the fingertips), shape (3,), in m."""
        return np.array(self._p.getLinkState(self.body, EE_LINK)[4])

    def ee_orientation(self) -> np.ndarray:
        """Gripper orientation quaternion (x, y, z, w), shape (4,)."""
        return np.array(self._p.getLinkState(self.body, EE_LINK)[5])

    def held_object(self) -> str | None:
        """Name of the object held by the assisted grasp, or None."""
        return None if self._grasp is None else self._grasp[0]

    def grasp_state(self) -> tuple[str, int, tuple[float, ...], tuple[float, ...]] | None:
        """Held object's name, link and pose in the hand frame (position m, quaternion)."""
        if self._grasp is None:
            return None
        info = self._p.getConstraintInfo(self._grasp[1])
        return self._grasp[0], info[3], tuple(info[6]), tuple(info[8])

    def set_grasp(self, state: tuple[str, int, tuple[float, ...], tuple[float, ...]] | None
                  ) -> None:
        """Recreate (or drop) the assisted grasp described by ``grasp_state()``."""
        if self._grasp is not None:
            self._p.removeConstraint(self._grasp[1])
            self._grasp = None
        if state is not None:
            name, link, position, orientation = state
            self._attach(name, self.world.body_id(name), link, position, orientation)

    def _touched_by_both_fingers(self) -> tuple[str, int, int] | None:
        """Name, body id and link of the named body touched by both fingers, or None."""
        touching = [
            {(c[2], c[4]) for c in self._p.getContactPoints(bodyA=self.body, linkIndexA=j)}
            for j in FINGER_JOINTS
        ]
        for body, link in sorted(touching[0] & touching[1]):
            name = self.world.body_name(body)
            if name is not None and body != self.body:
                return name, body, link
        return None

    # -- motion ---------------------------------------------------------------------------
    @stops_on_request
    def move_ee(
        self,
        target: np.ndarray,
        *,
        orientation: np.ndarray | None = None,
        should_stop: Callable[[], bool] | None = None,
        max_steps: int | None = None,
    ) -> int:
        """Move the gripper centre to ``target`` (3,) m along a straight line.

        ``orientation`` (x, y, z, w) defaults to the current gripper yaw, pointing down.
        Returns the control steps used.

        Raises
        ------
        PlanningFailure
            Inverse kinematics cannot reach ``target`` within ``tolerance``.
        ExecutionFailure
            The gripper lags its waypoint by ``BLOCKED_LAG`` (blocked), or does not settle.
        InterruptedFailure, TimeoutFailure
            ``should_stop()`` returned True, or ``max_steps`` were used.
        """
        if orientation is None:
            yaw = self._p.getEulerFromQuaternion(self.ee_orientation())[2]
            orientation = np.array(self._p.getQuaternionFromEuler((np.pi, 0.0, yaw)))
        return self.follow_path(
            np.asarray(target, dtype=float)[None], np.asarray(orientation, dtype=float)[None],
            should_stop=should_stop, max_steps=max_steps,
        )

    @stops_on_request
    def follow_path(
        self,
        positions: np.ndarray,
        orientations: np.ndarray,
        *,
        should_stop: Callable[[], bool] | None = None,
        max_steps: int | None = None,
    ) -> int:
        """Move the gripper through poses: straight lines at ``speed``, turning at ``TURN_SPEED``.

        Parameters
        ----------
        positions : ndarray, shape (n, 3)
            Gripper-centre waypoints, in m.
        orientations : ndarray, shape (n, 4)
            Gripper quaternions (x, y, z, w) at the waypoints.

        Returns
        -------
        int
            Control steps used.

        Raises
        ------
        PlanningFailure
            Inverse kinematics cannot reach a waypoint within ``tolerance`` (nothing moved).
        ExecutionFailure
            The gripper lags its waypoint by ``BLOCKED_LAG`` (blocked), or does not settle.
        InterruptedFailure, TimeoutFailure
            ``should_stop()`` returned True, or ``max_steps`` were used.
        """
        positions = np.asarray(positions, dtype=float)
        orientations = np.asarray(orientations, dtype=float)
        if (positions.ndim != 2 or positions.shape[1] != 3 or len(positions) == 0
                or not np.all(np.isfinite(positions))):
            raise ValueError(f"move_ee target must be 3 finite numbers (m), got {positions!r}")
        if orientations.shape != (len(positions), 4) or not np.all(np.isfinite(orientations)):
            raise ValueError(
                f"need one finite quaternion (x, y, z, w) per waypoint, got {orientations!r}"
            )
        segments = self._plan(positions, orientations)
        steps = 0
        for segment in segments:
            steps += self._track(segment, should_stop,
                                 None if max_steps is None else max_steps - steps)
        return steps + self._settle(positions[-1], segments[-1].joints[-1], should_stop,
                                    None if max_steps is None else max_steps - steps)

    @stops_on_request
    def wait(
        self,
        n_steps: int,
        *,
        should_stop: Callable[[], bool] | None = None,
        max_steps: int | None = None,
    ) -> int:
        """Hold the current pose for ``n_steps`` control steps; return the steps used."""
        self._hold()
        for k in range(n_steps):
            self._control_step(should_stop, max_steps, k)
        return n_steps

    @stops_on_request
    def home(
        self,
        *,
        should_stop: Callable[[], bool] | None = None,
        max_steps: int | None = None,
    ) -> int:
        """Drive the arm joints back to their start positions (``HOME``), out of the top
        camera's way; return the control steps used.

        Raises
        ------
        ExecutionFailure
            If a joint is still more than ``HOME_TOLERANCE`` rad from home afterwards.
        """
        start = self.joint_positions()[:7]
        turn = float(np.max(np.abs(np.array(HOME) - start)))
        n = max(1, int(np.ceil(turn / TURN_SPEED / self.world.timestep)))
        for k in range(1, n + SETTLE_STEPS + 1):
            self._command_arm(start + min(1.0, k / n) * (np.array(HOME) - start))
            self._control_step(should_stop, max_steps, k - 1)
            if k >= n and np.max(np.abs(self.joint_positions()[:7] - HOME)) < HOME_TOLERANCE:
                return k
        off = float(np.max(np.abs(self.joint_positions()[:7] - HOME)))
        raise ExecutionFailure(f"the arm stopped {off:.2f} rad from its home pose (blocked?)")

    @stops_on_request
    def open_gripper(
        self,
        *,
        should_stop: Callable[[], bool] | None = None,
        max_steps: int | None = None,
    ) -> int:
        """Release any held object and open the fingers fully (8 cm); return the steps used.

        A stop while the fingers open holds the object again if it has not yet left the hand
        (``sim.arm.REGRIP_SLIP``).
        """
        held = self.grasp_state()
        self.set_grasp(None)
        return self._move_fingers(FINGER_OPEN, should_stop, max_steps, held)

    def _regrip(self, released: tuple[str, int, tuple[float, ...], tuple[float, ...]]) -> None:
        """Attach ``released`` (a ``grasp_state()``) again where it is, if within
        ``REGRIP_SLIP`` of where it was held."""
        name, link, position, _ = released
        body = self.world.body_id(name)
        now = pose_in_link(self._p, self.body, EE_LINK, body, link)
        if np.linalg.norm(np.subtract(now[0], position)) < REGRIP_SLIP:
            self._attach(name, body, link, *now)

    @stops_on_request
    def close_gripper(
        self,
        *,
        should_stop: Callable[[], bool] | None = None,
        max_steps: int | None = None,
    ) -> bool:
        """Close the fingers until they stop; return whether an object is held.

        An object both fingers touch is held by the assisted grasp, and the fingers ease off
        (``sim.arm.FINGER_EASE``) to rest against it.
        """
        self._move_fingers(0.0, should_stop, max_steps)
        touched = self._touched_by_both_fingers()
        if touched is not None and self._grasp is None:
            name, body, link = touched
            hand_pos, hand_orn = self._p.getLinkState(self.body, EE_LINK)[4:6]
            if link == -1:
                obj_pos, obj_orn = self._p.getBasePositionAndOrientation(body)
            else:
                obj_pos, obj_orn = self._p.getLinkState(body, link)[4:6]
            inv_pos, inv_orn = self._p.invertTransform(hand_pos, hand_orn)
            rel_pos, rel_orn = self._p.multiplyTransforms(inv_pos, inv_orn, obj_pos, obj_orn)
            self._attach(name, body, link, rel_pos, rel_orn)
            self._ease_fingers()
        return self.held_object() is not None

    def _attach(self, name: str, body: int, link: int, position: Sequence[float],
                orientation: Sequence[float]) -> None:
        """Fix ``body``'s ``link`` at pose (``position`` m, ``orientation``) in the hand frame
        (the fingers do not move)."""
        constraint = self._p.createConstraint(
            self.body, EE_LINK, body, link, pybullet.JOINT_FIXED, (0, 0, 0),
            position, (0, 0, 0), orientation,
        )
        self._p.changeConstraint(constraint, maxForce=GRASP_FORCE)
        self._grasp = (name, constraint)

    # -- internals ------------------------------------------------------------------------
    def _ik(self, position: np.ndarray, orientation: np.ndarray, null_space: bool
            ) -> np.ndarray:
        """Arm joint positions (7,) rad, searched from the current ones, within joint limits.

        With ``null_space`` the solver pulls the shoulder and elbow towards ``HOME`` with the
        base joint turned to face ``position``, so the elbow stays up wherever the target is,
        and leaves the wrist joints free to turn the gripper; without it, plain damped least
        squares moves the joints least, which converges better near a good start.
        """
        if null_space:
            rest = list(self._rest)
            rest[0] = float(np.clip(np.arctan2(position[1] - self._base[1],
                                               position[0] - self._base[0]),
                                    self._lower[0], self._upper[0]))
            rest[4:7] = self.joint_positions()[4:7]
            q = self._p.calculateInverseKinematics(
                self.body, EE_LINK, position, orientation,
                lowerLimits=self._lower, upperLimits=self._upper, jointRanges=self._ranges,
                restPoses=rest, maxNumIterations=IK_ITERATIONS, residualThreshold=1e-4,
            )
        else:
            q = self._p.calculateInverseKinematics(
                self.body, EE_LINK, position, orientation,
                maxNumIterations=IK_ITERATIONS, residualThreshold=1e-4,
            )
        return np.clip(q[:7], self._lower[:7], self._upper[:7])

    def _solve(self, position: np.ndarray, orientation: np.ndarray) -> tuple[np.ndarray, float]:
        """IK from the joints as they are now: ``IK_REFINEMENTS`` solves at most, each from the
        last, alternately with and without the null-space pull (see ``_ik``).

        Leaves the joints at the solution; returns it (7,) rad and its position error, in m.
        """
        q, error = self.joint_positions()[:7], np.inf
        for attempt in range(IK_REFINEMENTS):
            q = self._ik(position, orientation, null_space=attempt % 2 == 0)
            self._set_arm(q)
            error = float(np.linalg.norm(self.ee_position() - position))
            if error < self.tolerance / 2:
                break
        return q, error

    def _set_arm(self, q: Sequence[float], velocities: Sequence[float] | None = None) -> None:
        """Teleport the arm joints to ``q`` rad (with ``velocities`` rad/s, else at rest)."""
        velocities = [0.0] * 7 if velocities is None else velocities
        for j, qj, vj in zip(ARM_JOINTS, q, velocities, strict=True):
            self._p.resetJointState(self.body, j, qj, vj)

    def _plan(self, positions: np.ndarray, orientations: np.ndarray) -> list[_Segment]:
        """Joint-space plan of straight-line segments through the poses, before anything moves.

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
            self._set_arm([s[0] for s in saved], [s[1] for s in saved])
        return segments

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

    def _command_arm(self, q: np.ndarray, *, fingers: np.ndarray | None = None,
                     finger_gain: float | None = None, arm_gain: float | None = None) -> None:
        """Position-control targets: the arm joints to ``q`` rad, the fingers to ``fingers``
        (2,) m (None: ``_finger_target``) at most at ``FINGER_SPEED``, with position gains
        ``arm_gain`` and ``finger_gain`` (None: PyBullet's default, ``DEFAULT_GAIN``)."""
        gains = {} if arm_gain is None else {"positionGains": [arm_gain] * len(ARM_JOINTS)}
        self._p.setJointMotorControlArray(
            self.body, ARM_JOINTS, pybullet.POSITION_CONTROL,
            targetPositions=q, forces=FORCES[: len(ARM_JOINTS)], **gains,
        )
        if fingers is None:
            fingers = self._finger_target
        for j, target in zip(FINGER_JOINTS, fingers, strict=True):
            self._p.setJointMotorControl2(
                self.body, j, pybullet.POSITION_CONTROL, targetPosition=float(target),
                force=FINGER_FORCE, maxVelocity=FINGER_SPEED,
                positionGain=DEFAULT_GAIN if finger_gain is None else finger_gain,
            )

    def _move_fingers(
        self, opening: float, should_stop: Callable[[], bool] | None, max_steps: int | None,
        released: tuple[str, int, tuple[float, ...], tuple[float, ...]] | None = None,
    ) -> int:
        """Drive each finger to ``opening`` m until the fingers stop; return the steps used.

        The solver runs at least ``FINGER_SOLVER_ITERATIONS`` iterations meanwhile, so that
        closing fingers hold a small object by friction instead of squeezing it out.
        ``released``: the grasp this opening let go, held again if a stop interrupts it.
        """
        self._finger_target = np.full(2, opening)
        self._hold()
        iterations = self._p.getPhysicsEngineParameters()["numSolverIterations"]
        self._p.setPhysicsEngineParameter(
            numSolverIterations=max(iterations, FINGER_SOLVER_ITERATIONS))
        steps = 0
        last = self.joint_positions()[7:]
        try:
            for _ in range(SETTLE_STEPS):
                self._control_step(should_stop, max_steps, steps, released)
                steps += 1
                now = self.joint_positions()[7:]
                if steps >= 10 and np.all(np.abs(now - last) < 1e-5):
                    break
                last = now
        finally:
            self._p.setPhysicsEngineParameter(numSolverIterations=iterations)
        return steps
