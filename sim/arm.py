"""Cartesian control of a position-controlled arm with a parallel gripper (any URDF robot).

The gripper follows straight Cartesian lines: every control step (one physics step) the next
waypoint goes through null-space inverse kinematics and the joints are position controlled.
A subclass loads its robot and calls ``_setup_arm`` with its joints and links. This is the
Panda's motion logic (``sim.panda``) written for any joint layout, so TIAGo reuses it.

``HoldingArm`` is what both share: stepping under ``should_stop`` and a step limit, the fingers'
ease once a grasp holds, and the stop on request, which brakes the arm and fingers to standstill
where they are and holds them there.

The gripper's *tool frame* follows the Panda's convention whatever the robot: +z points out of
the gripper (the approach direction) and the fingers close along +y.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import Any

import numpy as np
import pybullet

from sim.world import World
from skills.base import ExecutionFailure, InterruptedFailure, PlanningFailure, TimeoutFailure

IK_ITERATIONS_PLAN = 100
"""IK iterations of one refinement when checking that a target is reachable."""
IK_REFINEMENTS = 5
"""Refinements (IK runs, each from the last solution) per start when checking reachability."""
IK_ITERATIONS_TRACK = 10
"""IK iterations per control step when following waypoints (each starts next to the last)."""
BLOCKED_LAG = 0.05
"""Lag of the gripper behind its waypoint, in m, taken to mean the arm is blocked."""
HOME_JOINT_SPEED = 1.0
"""Largest joint speed when returning home, in rad/s (m/s for prismatic joints)."""
SETTLE_STEPS = 120
"""Control steps a move may take after the last waypoint to settle within tolerance."""
HOME_TOLERANCE = 0.02
"""Largest joint error (rad, or m for the torso) at which the arm counts as home."""
FINGER_SPEED = 0.1
"""Largest finger speed, in m/s. Without a limit, position control of light fingers at the end
of a long chain (TIAGo's, 0.11 kg) oscillates with growing amplitude and flings them past their
joint limits."""
STANDSTILL_SPEED = 0.01
"""Largest speed of a revolute joint at standstill, in rad/s."""
STANDSTILL_LINEAR_SPEED = 0.001
"""Largest speed of a prismatic joint (fingers, TIAGo's torso lift) at standstill, in m/s."""
BRAKE_SOLVER_ITERATIONS = 50
"""Constraint-solver iterations per physics step from a stop until the next motion: with the
worlds' few iterations the zero-speed motors do not converge under gravity, the arm creeps on
and the fingers chatter on what they touch."""
BRAKE_STEPS = 120
"""Most physics steps (0.5 s) a stop brakes for before it gives up waiting for standstill."""
FINGER_HOLD_GAIN = 1.0
"""Position gain of the finger motors from a stop on (PyBullet's default is 0.1): fingers that
have just closed on an object are pushed back open by the contact; this pulls them back."""
ARM_HOLD_GAIN = 1.0
"""Position gain of the arm motors from a stop on (PyBullet's default is 0.1): a load on the
stopped arm (a tool pressed into what it works on) moves it less from where it is held."""
FINGER_EASE = 0.003
"""How far each finger opens again from where it stopped once the assisted grasp holds what it
closed on, in m: the constraint holds the object, so the fingers rest against it instead of
squeezing it (a squeezed light object chatters between position-controlled fingers and is
pressed millimetres deep into them)."""
BACK_OFF_TOLERANCE = 1e-4
"""Penetration, in m, beyond which a stopped finger's target moves out to the surface of what it
presses into (and braking goes on)."""
REGRIP_SLIP = 0.003
"""How far, in m, an object let go by an opening that a stop interrupts may have moved in the
hand and still be held again where it is."""


class StopRequested(Exception):
    """``should_stop()`` returned True inside a motion; ``released`` is what the motion had
    let go (an opening's grasp) or None."""

    def __init__(self, released: Any = None) -> None:
        super().__init__("stop requested")
        self.released = released


def stops_on_request(motion: Callable[..., Any]) -> Callable[..., Any]:
    """Make a public motion method of a ``HoldingArm`` stop on request.

    When ``should_stop()`` returns True inside ``motion`` (``StopRequested``), the robot holds
    again what the motion let go if it has not left the hand (``_regrip``), brakes to
    standstill (``stop``) and only then raises ``InterruptedFailure``: the failure happens at
    the time of standstill. Each motion first ends the hold of an earlier stop (``_resume``).
    """

    @functools.wraps(motion)
    def stoppable(self: HoldingArm, *args: Any, **kwargs: Any) -> Any:
        self._resume()
        try:
            return motion(self, *args, **kwargs)
        except StopRequested as request:
            if request.released is not None:
                self._regrip(request.released)
            steps = self.stop()
            still = "" if self.at_standstill() else ", still moving"
            raise InterruptedFailure(
                f"stopped on request (braked {steps * self.world.timestep * 1e3:.0f} ms{still})"
            ) from None

    return stoppable


class HoldingArm:
    """Control steps and the stop on request, for a position-controlled arm with fingers.

    A subclass sets ``world``, ``body``, ``_p`` (the physics client), ``_arm_joints``,
    ``_finger_joints`` and ``_finger_target`` (m, shape (n_fingers,): each finger's own
    target), implements ``_command_arm(q, fingers=, finger_gain=, arm_gain=)`` (position
    targets ``q`` for the arm joints, ``fingers`` for the fingers, one each, None:
    ``_finger_target``; the position gains None: PyBullet's default), ``held_object`` and
    ``_regrip``, and decorates its public motions with ``stops_on_request``.
    """

    world: World
    body: int
    _p: Any
    _arm_joints: tuple[int, ...]
    _finger_joints: tuple[int, ...]
    _finger_target: np.ndarray
    _resume_iterations: int | None = None
    """Solver iterations to go back to when the next motion starts after a stop, or None."""

    def _command_arm(self, q: np.ndarray, *, fingers: np.ndarray | None = None,
                     finger_gain: float | None = None, arm_gain: float | None = None) -> None:
        raise NotImplementedError

    def held_object(self) -> str | None:
        """Name of the object in the hand, or None."""
        raise NotImplementedError

    def _regrip(self, released: Any) -> None:
        """Hold again what an interrupted opening let go (``released``, as the opening saved
        it), if it is still within ``REGRIP_SLIP`` of where it was in the hand."""
        raise NotImplementedError

    def joint_positions(self) -> np.ndarray:
        """Arm joints (rad, or m for prismatic ones) then finger joints (m), shape (n,)."""
        states = self._p.getJointStates(self.body, self._arm_joints + self._finger_joints)
        return np.array([s[0] for s in states])

    def joint_velocities(self) -> np.ndarray:
        """Speeds of the joints of ``joint_positions``, shape (n,), in rad/s (m/s)."""
        states = self._p.getJointStates(self.body, self._arm_joints + self._finger_joints)
        return np.array([s[1] for s in states])

    def to_hand_frame(self, point: Sequence[float]) -> np.ndarray:
        """World point ``point`` (3,) m in the gripper-centre frame (the subclass's
        ``ee_position`` and ``ee_orientation``), shape (3,), in m."""
        inv = pybullet.invertTransform(self.ee_position(), self.ee_orientation())
        return np.array(pybullet.multiplyTransforms(*inv, point, (0, 0, 0, 1))[0])

    @cached_property
    def standstill_speeds(self) -> np.ndarray:
        """Per joint of ``joint_positions``: the largest speed at standstill,
        ``STANDSTILL_SPEED`` rad/s (``STANDSTILL_LINEAR_SPEED`` m/s for prismatic joints)."""
        return np.array([
            STANDSTILL_LINEAR_SPEED
            if self._p.getJointInfo(self.body, j)[2] == pybullet.JOINT_PRISMATIC
            else STANDSTILL_SPEED
            for j in self._arm_joints + self._finger_joints
        ])

    @cached_property
    def _finger_upper(self) -> np.ndarray:
        """Upper joint limit (most open) of each finger, shape (n_fingers,), in m."""
        return np.array([self._p.getJointInfo(self.body, j)[9] for j in self._finger_joints])

    def at_standstill(self) -> bool:
        """Whether every arm and finger joint is slower than ``standstill_speeds``."""
        return bool(np.all(np.abs(self.joint_velocities()) < self.standstill_speeds))

    def _hold(self) -> None:
        """Stop where the arm is now."""
        self._command_arm(self.joint_positions()[: len(self._arm_joints)])

    def hold_still(self) -> None:
        """Command the arm joints and the fingers to stay where they are now.

        For use after a physics snapshot is restored: PyBullet's snapshots hold joint positions
        and velocities but not motor targets, so without this the arm and fingers would head
        for the last targets commanded before the restore.
        """
        self._resume()
        self._finger_target = self.joint_positions()[len(self._arm_joints):]
        self._hold()

    def _ease_fingers(self) -> None:
        """Each finger to ``FINGER_EASE`` more open than where it is now, within its joint
        limit: for when the assisted grasp has just taken hold of what the fingers closed on."""
        opened = self.joint_positions()[len(self._arm_joints):] + FINGER_EASE
        self._finger_target = np.minimum(opened, self._finger_upper)
        self._hold()

    def stop(self) -> int:
        """Brake the arm and fingers to standstill where they are, and hold them there.

        Each physics step the arm joints are commanded to stay where they are at that moment
        (a zero-speed target within each joint's force: the motors brake; position gain
        ``ARM_HOLD_GAIN``) and the fingers where they were when the stop began, with position
        gain ``FINGER_HOLD_GAIN``; a finger
        pressed into a body (the simulation's contact penetration, e.g. fingers that have just
        struck what they close on) is held at that body's surface instead (within its joint
        limit), so that it does not squeeze and bounce. Braking ends at standstill
        (``at_standstill`` on two steps in a row, no finger target moved) or after
        ``BRAKE_STEPS`` steps; the joints stay held there through later physics steps until
        the next motion. From the stop to the next motion the solver runs
        ``BRAKE_SOLVER_ITERATIONS`` iterations per step. Nothing held is let go.

        Returns
        -------
        int
            Physics steps used.
        """
        iterations = self._p.getPhysicsEngineParameters()["numSolverIterations"]
        if self._resume_iterations is None:
            self._resume_iterations = iterations
        self._p.setPhysicsEngineParameter(
            numSolverIterations=max(iterations, BRAKE_SOLVER_ITERATIONS))
        n_arm = len(self._arm_joints)
        fingers = self.joint_positions()[n_arm:]
        steps, was_still = 0, False
        while True:
            q = self.joint_positions()
            depth = self._finger_penetration()
            surface = np.minimum(q[n_arm:] + depth, self._finger_upper)
            back_off = (depth > BACK_OFF_TOLERANCE) & (surface > fingers + BACK_OFF_TOLERANCE)
            fingers = np.where(back_off, surface, fingers)
            self._finger_target = fingers
            self._command_arm(q[:n_arm], fingers=fingers, finger_gain=FINGER_HOLD_GAIN,
                              arm_gain=ARM_HOLD_GAIN)
            still = self.at_standstill() and not back_off.any()
            if (still and was_still) or steps >= BRAKE_STEPS:
                return steps
            was_still = still
            self.world.step()
            steps += 1

    def _finger_penetration(self) -> np.ndarray:
        """How deep each finger is in another body, shape (n_fingers,), in m (0: none)."""
        depth = np.zeros(len(self._finger_joints))
        for i, j in enumerate(self._finger_joints):
            for contact in self._p.getContactPoints(bodyA=self.body, linkIndexA=j):
                if contact[2] != self.body:
                    depth[i] = max(depth[i], -contact[8])
        return depth

    def _resume(self) -> None:
        """End the hold of a stop: the solver runs its usual iterations again."""
        if self._resume_iterations is not None:
            self._p.setPhysicsEngineParameter(numSolverIterations=self._resume_iterations)
            self._resume_iterations = None

    def _control_step(
        self, should_stop: Callable[[], bool] | None, max_steps: int | None, used: int,
        released: Any = None,
    ) -> None:
        """Step the physics once, unless asked to stop (``StopRequested``, carrying what the
        motion let go: see ``stops_on_request``) or ``used`` reached ``max_steps``."""
        if should_stop is not None and should_stop():
            raise StopRequested(released)
        if max_steps is not None and used >= max_steps:
            self._hold()
            raise TimeoutFailure(f"step budget used up ({used} control steps in this motion)")
        self.world.step()


def pose_in_link(client: Any, body: int, link: int, other: int, other_link: int
                 ) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Pose of ``other``'s link (-1: its base) in ``body``'s ``link`` frame: position (3,) m
    and quaternion (x, y, z, w)."""
    frame = client.getLinkState(body, link, computeForwardKinematics=True)[4:6]
    if other_link == -1:
        pose = client.getBasePositionAndOrientation(other)
    else:
        pose = client.getLinkState(other, other_link, computeForwardKinematics=True)[4:6]
    inv_pos, inv_orn = client.invertTransform(*frame)
    return client.multiplyTransforms(inv_pos, inv_orn, *pose)


class CartesianArm(HoldingArm):
    """Straight-line gripper motions, gripper open/close and contact-based grasp detection.

    Attributes set by ``_setup_arm``: ``body`` (PyBullet id), ``speed`` (m/s), ``tolerance`` (m).
    """

    world: World
    body: int
    speed: float
    tolerance: float

    def _setup_arm(
        self,
        world: World,
        body: int,
        *,
        arm_joints: Sequence[int],
        arm_forces: Sequence[float],
        finger_joints: Sequence[int],
        finger_open: float,
        finger_force: float,
        ee_link: int,
        home: Sequence[float],
        tool_position: Sequence[float] = (0.0, 0.0, 0.0),
        tool_orientation: Sequence[float] = (0.0, 0.0, 0.0, 1.0),
        null_space: bool = True,
        speed: float,
        tolerance: float,
    ) -> None:
        """Record the arm layout, put the arm at ``home`` (rad/m, one per arm joint), open.

        ``tool_position`` (3,) m and ``tool_orientation`` (x, y, z, w) place the tool frame
        (the gripper centre) in ``ee_link``'s frame. ``null_space`` selects PyBullet's
        null-space inverse kinematics (rest poses, joint ranges); otherwise damped least squares
        moves only ``arm_joints`` (every other joint is damped still), which suits robots with
        many joints outside the arm's chain. Either way solutions are clipped to joint limits.
        """
        self.world = world
        self._p = world.client
        self.body = body
        self.speed = speed
        self.tolerance = tolerance
        self._arm_joints = tuple(arm_joints)
        self._arm_forces = tuple(arm_forces)
        self._finger_joints = tuple(finger_joints)
        self._finger_open = finger_open
        self._finger_force = finger_force
        self._ee_link = ee_link
        self._tool_position = tuple(float(v) for v in tool_position)
        self._tool_orientation = tuple(float(v) for v in tool_orientation)
        movable = [
            j for j in range(self._p.getNumJoints(body))
            if self._p.getJointInfo(body, j)[2] != pybullet.JOINT_FIXED
        ]
        self._ik_slots = [movable.index(j) for j in self._arm_joints]
        for j, q in zip(self._arm_joints, home, strict=True):
            self._p.resetJointState(body, j, q)
        for j in self._finger_joints:
            self._p.resetJointState(body, j, finger_open)
        info = [self._p.getJointInfo(body, j) for j in self._arm_joints]
        self._arm_lower = np.array([i[8] for i in info])
        self._arm_upper = np.array([i[9] for i in info])
        if null_space:
            info = [self._p.getJointInfo(body, j) for j in movable]
            lower = [i[8] for i in info]
            upper = [i[9] for i in info]
            self._ik_options = {
                "lowerLimits": lower,
                "upperLimits": upper,
                "jointRanges": [u - lo for lo, u in zip(lower, upper, strict=True)],
                "restPoses": [s[0] for s in self._p.getJointStates(body, movable)],
            }
        else:
            self._ik_options = {
                "jointDamping": [0.05 if j in self._arm_joints else 1e3 for j in movable],
            }
        self._finger_target = np.full(len(self._finger_joints), finger_open)
        self._command_arm(np.asarray(home, dtype=float))
        self._home_q = np.asarray(home, dtype=float)

    # -- state ----------------------------------------------------------------------------
    def ee_position(self) -> np.ndarray:
        """Gripper centre (between the fingertips), shape (3,), in m."""
        return np.array(self._tool_pose()[0])

    def ee_orientation(self) -> np.ndarray:
        """Tool-frame orientation quaternion (x, y, z, w), shape (4,)."""
        return np.array(self._tool_pose()[1])

    def _tool_pose(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        link = self._p.getLinkState(self.body, self._ee_link, computeForwardKinematics=True)
        return self._p.multiplyTransforms(
            link[4], link[5], self._tool_position, self._tool_orientation
        )

    def held_object(self) -> str | None:
        """Name of the named body touched by every finger, or None."""
        return self._touched_by_every_finger()

    def _touched_by_every_finger(self) -> str | None:
        """Name of the named body touched by every finger, or None."""
        touching = [
            {c[2] for c in self._p.getContactPoints(bodyA=self.body, linkIndexA=j)}
            for j in self._finger_joints
        ]
        for body in sorted(set.intersection(*touching) - {self.body}):
            name = self.world.body_name(body)
            if name is not None:
                return name
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

        ``orientation`` (x, y, z, w) of the tool frame defaults to the current gripper yaw,
        pointing down. Returns the control steps used; raises like ``follow_path``.
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
        """Move the gripper centre along straight lines through waypoints.

        Parameters
        ----------
        positions : ndarray, shape (n, 3)
            Gripper-centre waypoints, in m.
        orientations : ndarray, shape (n, 4)
            Tool-frame quaternions (x, y, z, w), held from the start of each segment.

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
        if positions.ndim != 2 or positions.shape[1] != 3 or not np.all(np.isfinite(positions)):
            raise ValueError(f"waypoints must be finite, shape (n, 3) in m, got {positions!r}")
        if orientations.shape != (len(positions), 4):
            raise ValueError(
                f"need one quaternion (x, y, z, w) per waypoint, got shape {orientations.shape}"
            )
        for target, orientation in zip(positions, orientations, strict=True):
            self._check_reachable(target, orientation)
        steps = 0
        for target, orientation in zip(positions, orientations, strict=True):
            steps += self._segment(target, orientation, should_stop,
                                   None if max_steps is None else max_steps - steps)
        return steps

    def _segment(
        self,
        target: np.ndarray,
        orientation: np.ndarray,
        should_stop: Callable[[], bool] | None,
        max_steps: int | None,
    ) -> int:
        """One straight line from the current gripper centre to ``target``; the steps used."""
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
        """Move the arm joints back to their start positions (joint space, at most
        ``HOME_JOINT_SPEED`` rad/s or m/s each); return the control steps used.

        Raises
        ------
        ExecutionFailure
            If a joint is still more than ``HOME_TOLERANCE`` (rad or m) from home afterwards.
        """
        start = self.joint_positions()[: len(self._arm_joints)]
        largest = float(np.max(np.abs(self._home_q - start)))
        n = max(1, int(np.ceil(largest / (HOME_JOINT_SPEED * self.world.timestep))))
        for k in range(1, n + 1):
            self._command_arm(start + (k / n) * (self._home_q - start))
            self._control_step(should_stop, max_steps, k - 1)
        for k in range(n + 1, n + SETTLE_STEPS + 1):
            if np.max(np.abs(self.joint_positions()[: len(self._arm_joints)] - self._home_q)) \
                    < HOME_TOLERANCE:
                return k - 1
            self._control_step(should_stop, max_steps, k - 1)
        off = float(np.max(np.abs(self.joint_positions()[: len(self._arm_joints)]
                                  - self._home_q)))
        raise ExecutionFailure(f"the arm stopped {off:.2f} from its home pose (blocked?)")

    @stops_on_request
    def open_gripper(
        self,
        *,
        should_stop: Callable[[], bool] | None = None,
        max_steps: int | None = None,
    ) -> int:
        """Open the fingers fully; return the control steps used."""
        return self._move_fingers(self._finger_open, should_stop, max_steps)

    @stops_on_request
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
        """Arm joint positions putting the tool frame at ``position``/``orientation``.

        The search starts from the current joint positions; the result is clipped to the
        joint limits.
        """
        inv_pos, inv_orn = self._p.invertTransform(self._tool_position, self._tool_orientation)
        link_pos, link_orn = self._p.multiplyTransforms(position, orientation, inv_pos, inv_orn)
        q = self._p.calculateInverseKinematics(
            self.body, self._ee_link, link_pos, link_orn,
            maxNumIterations=iterations, residualThreshold=1e-4, **self._ik_options,
        )
        return np.clip([q[i] for i in self._ik_slots], self._arm_lower, self._arm_upper)

    def _check_reachable(self, target: np.ndarray, orientation: np.ndarray) -> None:
        """Solve IK for ``target`` on a scratch copy of the joints; raise PlanningFailure.

        The search starts from the current joints, then again from the home pose; the joints
        are left where they were.
        """
        saved = self._p.getJointStates(self.body, self._arm_joints)
        error = np.inf
        for start in ([s[0] for s in saved], self._home_q):
            self._set_joints(start)
            for _ in range(IK_REFINEMENTS):
                self._set_joints(self._ik(target, orientation, IK_ITERATIONS_PLAN))
                error = min(error, float(np.linalg.norm(self.ee_position() - target)))
                if error < self.tolerance / 2:
                    break
            if error < self.tolerance / 2:
                break
        for j, s in zip(self._arm_joints, saved, strict=True):
            self._p.resetJointState(self.body, j, s[0], s[1])
        if error >= self.tolerance / 2:
            raise PlanningFailure(
                f"target {np.round(target, 3).tolist()} m is out of reach "
                f"(best inverse-kinematics solution misses it by {error:.3f} m)"
            )

    def _set_joints(self, q: Sequence[float]) -> None:
        """Put the arm joints at ``q`` at once (no physics step)."""
        for j, qj in zip(self._arm_joints, q, strict=True):
            self._p.resetJointState(self.body, j, qj)

    def _command_arm(self, q: np.ndarray, *, fingers: np.ndarray | None = None,
                     finger_gain: float | None = None, arm_gain: float | None = None) -> None:
        """Position targets: the arm joints to ``q``, the fingers to ``fingers`` (one per
        finger, m; None: ``_finger_target``), with position gains ``arm_gain`` and
        ``finger_gain`` (None: PyBullet's default)."""
        gains = {} if arm_gain is None else {"positionGains": [arm_gain] * len(self._arm_joints)}
        self._p.setJointMotorControlArray(
            self.body, self._arm_joints, pybullet.POSITION_CONTROL,
            targetPositions=q, forces=self._arm_forces, **gains,
        )
        gain = {} if finger_gain is None else {"positionGain": finger_gain}
        if fingers is None:
            fingers = self._finger_target
        for j, target in zip(self._finger_joints, fingers, strict=True):
            self._p.setJointMotorControl2(
                self.body, j, pybullet.POSITION_CONTROL, targetPosition=float(target),
                force=self._finger_force, maxVelocity=FINGER_SPEED, **gain,
            )

    def _move_fingers(
        self, opening: float, should_stop: Callable[[], bool] | None, max_steps: int | None,
        released: Any = None, until: Callable[[], bool] | None = None,
    ) -> int:
        """Drive each finger to ``opening`` m until the fingers stop, or ``until()`` holds
        after a step; return the steps used.

        ``released``: what this opening let go, held again if a stop interrupts it (see
        ``_control_step``).
        """
        n_arm = len(self._arm_joints)
        self._finger_target = np.full(len(self._finger_joints), opening)
        self._hold()
        steps = 0
        last = self.joint_positions()[n_arm:]
        for _ in range(SETTLE_STEPS):
            self._control_step(should_stop, max_steps, steps, released)
            steps += 1
            if until is not None and until():
                break
            now = self.joint_positions()[n_arm:]
            if steps >= 10 and np.all(np.abs(now - last) < 1e-5):
                break
            last = now
        return steps
