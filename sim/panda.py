"""The Franka Panda (``franka_panda/panda.urdf`` in pybullet_data) as a ``skills.robot.Robot``.

The arm follows straight Cartesian lines: every control step (one physics step) the next
waypoint goes through null-space inverse kinematics and the joints are position controlled.
Objects are held by friction between the fingers (no constraints).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pybullet

from sim.world import World
from skills.base import ExecutionFailure, InterruptedFailure, PlanningFailure, TimeoutFailure

ARM_JOINTS = tuple(range(7))
FINGER_JOINTS = (9, 10)
EE_LINK = 11  # panda_grasptarget: between the fingertips
HOME = (0.0, -0.785, 0.0, -2.356, 0.0, 1.571, 0.785)
"""Arm joint positions at start, in rad: gripper pointing down 0.3 m in front of the base."""
ARM_FORCES = (87.0, 87.0, 87.0, 87.0, 12.0, 12.0, 12.0)
FINGER_OPEN = 0.04
FINGER_FORCE = 40.0
IK_ITERATIONS_PLAN = 100
"""IK iterations when checking that a target is reachable (five refinements follow)."""
IK_ITERATIONS_TRACK = 10
"""IK iterations per control step when following waypoints (each starts next to the last)."""
BLOCKED_LAG = 0.05
"""Lag of the gripper behind its waypoint, in m, taken to mean the arm is blocked."""
SETTLE_STEPS = 120
"""Control steps a move may take after the last waypoint to settle within tolerance."""


class PandaRobot:
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
        self.body = world.load_urdf(
            "franka_panda/panda.urdf", base_position, name="panda", fixed=True
        )
        info = [self._p.getJointInfo(self.body, j) for j in ARM_JOINTS + FINGER_JOINTS]
        self._lower = [i[8] for i in info]
        self._upper = [i[9] for i in info]
        self._ranges = [u - lo for lo, u in zip(self._lower, self._upper)]
        self._rest = list(HOME) + [FINGER_OPEN, FINGER_OPEN]
        for j, q in zip(ARM_JOINTS + FINGER_JOINTS, self._rest):
            self._p.resetJointState(self.body, j, q)
        for j in FINGER_JOINTS:
            self._p.changeDynamics(self.body, j, lateralFriction=1.5, spinningFriction=0.01)
        self._finger_target = FINGER_OPEN
        self._command_arm(np.array(HOME))

    # -- state ----------------------------------------------------------------------------
    def ee_position(self) -> np.ndarray:
        """Gripper centre (between the fingertips), shape (3,), in m."""
        return np.array(self._p.getLinkState(self.body, EE_LINK)[4])

    def ee_orientation(self) -> np.ndarray:
        """Gripper orientation quaternion (x, y, z, w), shape (4,)."""
        return np.array(self._p.getLinkState(self.body, EE_LINK)[5])

    def joint_positions(self) -> np.ndarray:
        """Seven arm joints (rad) then two finger joints (m), shape (9,)."""
        states = self._p.getJointStates(self.body, ARM_JOINTS + FINGER_JOINTS)
        return np.array([s[0] for s in states])

    def held_object(self) -> str | None:
        """Name of the named body touched by both fingers, or None."""
        touching = [
            {c[2] for c in self._p.getContactPoints(bodyA=self.body, linkIndexA=j)}
            for j in FINGER_JOINTS
        ]
        for body in sorted(touching[0] & touching[1] - {self.body}):
            name = self.world.body_name(body)
            if name is not None:
                return name
        return None

    # -- motion ---------------------------------------------------------------------------
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
        target = np.asarray(target, dtype=float)
        if target.shape != (3,) or not np.all(np.isfinite(target)):
            raise ValueError(f"move_ee target must be 3 finite numbers (m), got {target!r}")
        if orientation is None:
            yaw = self._p.getEulerFromQuaternion(self.ee_orientation())[2]
            orientation = np.array(self._p.getQuaternionFromEuler((np.pi, 0.0, yaw)))
        self._check_reachable(target, orientation)
        start = self.ee_position()
        step_length = self.speed * self.world.timestep
        n_travel = max(1, int(np.ceil(np.linalg.norm(target - start) / step_length)))
        steps = 0
        for k in range(1, n_travel + SETTLE_STEPS + 1):
            waypoint = start + min(1.0, k / n_travel) * (target - start)
            self._command_arm(self._ik(waypoint, orientation, IK_ITERATIONS_TRACK))
            self._control_step(should_stop, max_steps, steps)
            steps += 1
            error = np.linalg.norm(self.ee_position() - waypoint)
            if k > n_travel and error < self.tolerance / 2:
                return steps
            if error > BLOCKED_LAG:
                self._hold()
                raise ExecutionFailure(
                    f"arm blocked on the way to {np.round(target, 3).tolist()} m "
                    f"({error:.3f} m behind its waypoint)"
                )
        if error > self.tolerance:
            raise ExecutionFailure(
                f"gripper settled {error:.3f} m from {np.round(target, 3).tolist()} m"
            )
        return steps

    def open_gripper(
        self,
        *,
        should_stop: Callable[[], bool] | None = None,
        max_steps: int | None = None,
    ) -> int:
        """Open the fingers fully (8 cm); return the control steps used."""
        return self._move_fingers(FINGER_OPEN, should_stop, max_steps)

    def close_gripper(
        self,
        *,
        should_stop: Callable[[], bool] | None = None,
        max_steps: int | None = None,
    ) -> bool:
        """Close the fingers until they stop; return whether an object is held."""
        self._move_fingers(0.0, should_stop, max_steps)
        return self.held_object() is not None

    # -- internals ------------------------------------------------------------------------
    def _ik(self, position: np.ndarray, orientation: np.ndarray, iterations: int) -> np.ndarray:
        """Arm joint positions (7,) rad, searched from the current ones; null space pulls home."""
        q = self._p.calculateInverseKinematics(
            self.body, EE_LINK, position, orientation,
            lowerLimits=self._lower, upperLimits=self._upper, jointRanges=self._ranges,
            restPoses=self._rest, maxNumIterations=iterations, residualThreshold=1e-4,
        )
        return np.array(q[:7])

    def _check_reachable(self, target: np.ndarray, orientation: np.ndarray) -> None:
        """Solve IK for ``target`` on a scratch copy of the joints; raise PlanningFailure."""
        saved = self._p.getJointStates(self.body, ARM_JOINTS)
        error = np.inf
        for _ in range(5):
            q = self._ik(target, orientation, IK_ITERATIONS_PLAN)
            for j, qj in zip(ARM_JOINTS, q):
                self._p.resetJointState(self.body, j, qj)
            error = np.linalg.norm(self.ee_position() - target)
            if error < self.tolerance / 2:
                break
        for j, s in zip(ARM_JOINTS, saved):
            self._p.resetJointState(self.body, j, s[0], s[1])
        if error >= self.tolerance / 2:
            raise PlanningFailure(
                f"target {np.round(target, 3).tolist()} m is out of reach "
                f"(best inverse-kinematics solution misses it by {error:.3f} m)"
            )

    def _command_arm(self, q: np.ndarray) -> None:
        self._p.setJointMotorControlArray(
            self.body, ARM_JOINTS, pybullet.POSITION_CONTROL,
            targetPositions=q, forces=ARM_FORCES,
        )
        self._p.setJointMotorControlArray(
            self.body, FINGER_JOINTS, pybullet.POSITION_CONTROL,
            targetPositions=[self._finger_target] * 2, forces=[FINGER_FORCE] * 2,
        )

    def _hold(self) -> None:
        """Stop where the arm is now."""
        self._command_arm(self.joint_positions()[:7])

    def _control_step(
        self, should_stop: Callable[[], bool] | None, max_steps: int | None, used: int
    ) -> None:
        """Step the physics once, unless asked to stop or ``used`` reached ``max_steps``."""
        if should_stop is not None and should_stop():
            self._hold()
            raise InterruptedFailure("stopped on request")
        if max_steps is not None and used >= max_steps:
            self._hold()
            raise TimeoutFailure(f"step budget used up ({used} control steps in this motion)")
        self.world.step()

    def _move_fingers(
        self, opening: float, should_stop: Callable[[], bool] | None, max_steps: int | None
    ) -> int:
        """Drive each finger to ``opening`` m until the fingers stop; return the steps used."""
        self._finger_target = opening
        self._hold()
        steps = 0
        last = self.joint_positions()[7:]
        for _ in range(SETTLE_STEPS):
            self._control_step(should_stop, max_steps, steps)
            steps += 1
            now = self.joint_positions()[7:]
            if steps >= 10 and np.all(np.abs(now - last) < 1e-5):
                break
            last = now
        return steps
