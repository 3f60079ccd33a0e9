"""Cartesian control of a position-controlled arm with a parallel gripper (any URDF robot).

``CartesianArm`` holds the motions every robot shares, written for any joint layout: straight
gripper lines (``move_ee``, ``follow_path``), ``wait``, ``home`` in joint space, and a gripper
with assisted grasping. A robot loads its URDF and calls ``_setup_arm`` with its joints, links
and limits. A path is planned (``_plan``) before anything moves, then driven (``_execute``): by
default every control step (one physics step) the next waypoint goes through inverse
kinematics and the joints are position controlled (TIAGo, ``sim.tiago``); the Panda
(``sim.panda``) overrides the two with a joint-space plan of the whole path.

``HoldingArm`` is the layer below: stepping under ``should_stop`` and a step limit, the fingers'
ease once a grasp holds, and the stop on request, which brakes the arm and fingers to standstill
where they are and holds them there.

The gripper's *tool frame* follows the Panda's convention whatever the robot: +z points out of
the gripper (the approach direction) and the fingers close along +y.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from sim._quiet import pybullet
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


@dataclass(frozen=True)
class Grasp:
    """An object held by the assisted grasp.

    Attributes
    ----------
    name : str
        Object name.
    body : int
        Its PyBullet body id.
    link : int
        The held link (-1: the base).
    constraint : int
        The fixed constraint that holds it to the hand.
    relative : tuple
        The link's pose in the hand (``ee_link``) frame: position (3,) m and quaternion
        (x, y, z, w).
    """

    name: str
    body: int
    link: int
    constraint: int
    relative: tuple[tuple[float, ...], tuple[float, ...]]


GraspState = tuple[str, int, tuple[float, ...], tuple[float, ...]]
"""A held object as ``grasp_state`` gives it: name, link, position (m) and quaternion in the
hand frame."""


class CartesianArm(HoldingArm):
    """Straight-line gripper motions, joint-space homing and an assisted-grasp gripper.

    A path is checked by ``_plan`` before anything moves (``PlanningFailure``: the arm is still)
    and driven by ``_execute``; here the plan is the waypoints themselves, each reached by
    inverse kinematics at every control step. A robot with its own planner overrides both.
    Grasps are assisted, as in OmniGibson's "assisted grasping": when the closing fingers all
    touch one object (link), a fixed constraint holds it where it is relative to the hand until
    the fingers open, and the fingers ease off to rest against it.

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
        finger_speed: float = FINGER_SPEED,
        finger_solver_iterations: int = 0,
        close_until_touching: bool = False,
        grasp_force: float,
        ee_link: int,
        home: Sequence[float],
        home_speed: float = HOME_JOINT_SPEED,
        tool_position: Sequence[float] = (0.0, 0.0, 0.0),
        tool_orientation: Sequence[float] = (0.0, 0.0, 0.0, 1.0),
        null_space: bool = True,
        speed: float,
        tolerance: float,
    ) -> None:
        """Record the arm layout, put the arm at ``home`` (rad/m, one per arm joint), open.

        The fingers move at most at ``finger_speed`` m/s with at least
        ``finger_solver_iterations`` constraint-solver iterations per physics step (0: the
        world's own); with ``close_until_touching`` closing stops as soon as every finger
        touches one object, otherwise when the fingers stop. ``grasp_force`` (N) is the
        largest force of the assisted grasp's constraint. ``home`` returns at most at
        ``home_speed`` rad/s (m/s) per joint.
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
        self._finger_speed = finger_speed
        self._finger_solver_iterations = finger_solver_iterations
        self._close_until_touching = close_until_touching
        self._grasp_force = grasp_force
        self._grasp: Grasp | None = None
        self._ee_link = ee_link
        self._home_speed = home_speed
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
    def base_pose(self) -> np.ndarray:
        """Base position and heading: x, y in m and yaw in rad, shape (3,)."""
        pos, quat = self._p.getBasePositionAndOrientation(self.body)
        return np.array([pos[0], pos[1], self._p.getEulerFromQuaternion(quat)[2]])

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
        """Name of the object held by the assisted grasp, or None."""
        return None if self._grasp is None else self._grasp.name

    def grasp_state(self) -> GraspState | None:
        """Held object's name, link and pose in the hand frame (position m, quaternion)."""
        if self._grasp is None:
            return None
        info = self._p.getConstraintInfo(self._grasp.constraint)
        return self._grasp.name, info[3], tuple(info[6]), tuple(info[8])

    def set_grasp(self, state: GraspState | None) -> None:
        """Recreate (or drop) the assisted grasp described by ``grasp_state()``."""
        self.release()
        if state is not None:
            name, link, position, orientation = state
            self._attach(name, self.world.body_id(name), link, position, orientation)

    def attach(self, name: str, link: int = -1) -> None:
        """Hold object ``name``'s ``link`` (-1: its base) rigidly where it is now relative to
        the hand (assisted grasp), letting go of what was held."""
        self.release()
        body = self.world.body_id(name)
        self._attach(name, body, link, *self._pose_in_hand(body, link))

    def release(self) -> None:
        """Let go of the held object, if any (the fingers do not move)."""
        if self._grasp is not None:
            self._p.removeConstraint(self._grasp.constraint)
            self._grasp = None

    def _touched_by_every_finger(self) -> tuple[str, int, int] | None:
        """Name, body id and link of the named body link touched by every finger, or None."""
        touching = [
            {(c[2], c[4]) for c in self._p.getContactPoints(bodyA=self.body, linkIndexA=j)}
            for j in self._finger_joints
        ]
        for body, link in sorted(set.intersection(*touching)):
            name = self.world.body_name(body)
            if name is not None and body != self.body:
                return name, body, link
        return None

    def _pose_in_hand(self, body: int, link: int
                      ) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """Pose of ``body``'s ``link`` (-1: its base) in the ``ee_link`` frame: position (3,)
        m and quaternion (x, y, z, w)."""
        return pose_in_link(self._p, self.body, self._ee_link, body, link)

    def _attach(self, name: str, body: int, link: int, position: Sequence[float],
                orientation: Sequence[float]) -> None:
        """Fix ``body``'s ``link`` at pose (``position`` m, ``orientation``) in the hand frame
        (the fingers do not move)."""
        constraint = self._p.createConstraint(
            self.body, self._ee_link, body, link, pybullet.JOINT_FIXED, (0, 0, 0),
            position, (0, 0, 0), orientation,
        )
        self._p.changeConstraint(constraint, maxForce=self._grasp_force)
        self._grasp = Grasp(name, body, link, constraint,
                            (tuple(position), tuple(orientation)))

    def _regrip(self, released: Grasp) -> None:
        """Attach ``released`` again where it is, if within ``REGRIP_SLIP`` of where it was
        held."""
        now = pose_in_link(self._p, self.body, self._ee_link, released.body, released.link)
        if np.linalg.norm(np.subtract(now[0], released.relative[0])) < REGRIP_SLIP:
            self._attach(released.name, released.body, released.link, *now)

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
            Gripper-centre waypoints, in m (n >= 1).
        orientations : ndarray, shape (n, 4)
            Tool-frame quaternions (x, y, z, w) at the waypoints.

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
            raise ValueError(
                f"waypoints must be 3 finite numbers (m) each, shape (n, 3) with n >= 1, "
                f"got {positions!r}"
            )
        if orientations.shape != (len(positions), 4) or not np.all(np.isfinite(orientations)):
            raise ValueError(
                f"need one finite quaternion (x, y, z, w) per waypoint, got {orientations!r}"
            )
        return self._execute(self._plan(positions, orientations), should_stop, max_steps)

    def _plan(self, positions: np.ndarray, orientations: np.ndarray) -> Sequence[Any]:
        """Check that inverse kinematics reaches every waypoint, before anything moves; the
        plan is the (position (3,) m, quaternion (4,)) waypoints.

        Raises
        ------
        PlanningFailure
            A waypoint is out of reach (see ``_check_reachable``).
        """
        for target, orientation in zip(positions, orientations, strict=True):
            self._check_reachable(target, orientation)
        return list(zip(positions, orientations, strict=True))

    def _execute(self, plan: Sequence[Any], should_stop: Callable[[], bool] | None,
                 max_steps: int | None) -> int:
        """Drive the gripper along ``plan`` (from ``_plan``); return the control steps used."""
        steps = 0
        for target, orientation in plan:
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
        """Drive the arm joints back to their start positions (joint space, at most
        ``home_speed`` rad/s or m/s each); return the control steps used.

        Raises
        ------
        ExecutionFailure
            If a joint is still more than ``HOME_TOLERANCE`` (rad or m) from home afterwards.
        """
        n_arm = len(self._arm_joints)
        start = self.joint_positions()[:n_arm]
        largest = float(np.max(np.abs(self._home_q - start)))
        n = max(1, int(np.ceil(largest / self._home_speed / self.world.timestep)))
        for k in range(1, n + SETTLE_STEPS + 1):
            self._command_arm(start + min(1.0, k / n) * (self._home_q - start))
            self._control_step(should_stop, max_steps, k - 1)
            if k >= n and np.max(np.abs(self.joint_positions()[:n_arm] - self._home_q)) \
                    < HOME_TOLERANCE:
                return k
        off = np.abs(self.joint_positions()[:n_arm] - self._home_q)
        worst = int(np.argmax(off))
        prismatic = self._p.getJointInfo(self.body, self._arm_joints[worst])[2] \
            == pybullet.JOINT_PRISMATIC
        raise ExecutionFailure(f"the arm stopped {off[worst]:.2f} {'m' if prismatic else 'rad'} "
                               "from its home pose (blocked?)")

    @stops_on_request
    def open_gripper(
        self,
        *,
        should_stop: Callable[[], bool] | None = None,
        max_steps: int | None = None,
    ) -> int:
        """Release any held object and open the fingers fully; return the control steps used.

        A stop while the fingers open holds the object again if it has not yet left the hand
        (``REGRIP_SLIP``).
        """
        held = self._grasp
        self.release()
        return self._move_fingers(self._finger_open, should_stop, max_steps, held)

    @stops_on_request
    def close_gripper(
        self,
        *,
        should_stop: Callable[[], bool] | None = None,
        max_steps: int | None = None,
    ) -> bool:
        """Close the fingers (see ``_setup_arm``'s ``close_until_touching``); return whether an
        object is held.

        An object link every finger touches is held by the assisted grasp, and the fingers ease
        off (``FINGER_EASE``) to rest against it.
        """
        self._move_fingers(0.0, should_stop, max_steps,
                           until_touching=self._close_until_touching)
        touched = self._touched_by_every_finger()
        if touched is not None and self._grasp is None:
            name, body, link = touched
            self._attach(name, body, link, *self._pose_in_hand(body, link))
            self._ease_fingers()
        return self._grasp is not None

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
        self._set_joints([s[0] for s in saved], [s[1] for s in saved])
        if error >= self.tolerance / 2:
            raise PlanningFailure(
                f"target {np.round(target, 3).tolist()} m is out of reach "
                f"(best inverse-kinematics solution misses it by {error:.3f} m)"
            )

    def _set_joints(self, q: Sequence[float], velocities: Sequence[float] | None = None
                    ) -> None:
        """Put the arm joints at ``q`` at once, with ``velocities`` (None: at rest); no physics
        step."""
        if velocities is None:
            velocities = [0.0] * len(self._arm_joints)
        for j, qj, vj in zip(self._arm_joints, q, velocities, strict=True):
            self._p.resetJointState(self.body, j, qj, vj)

    def _command_arm(self, q: np.ndarray, *, fingers: np.ndarray | None = None,
                     finger_gain: float | None = None, arm_gain: float | None = None) -> None:
        """Position targets: the arm joints to ``q``, the fingers to ``fingers`` (one per
        finger, m; None: ``_finger_target``) at most at the finger speed, with position gains
        ``arm_gain`` and ``finger_gain`` (None: PyBullet's default)."""
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
                force=self._finger_force, maxVelocity=self._finger_speed, **gain,
            )

    def _move_fingers(
        self, opening: float, should_stop: Callable[[], bool] | None, max_steps: int | None,
        released: Grasp | None = None, until_touching: bool = False,
    ) -> int:
        """Drive each finger to ``opening`` m until the fingers stop or, ``until_touching``,
        every finger touches one object; return the steps used.

        The solver runs at least the finger solver iterations of ``_setup_arm`` meanwhile, so
        that closing fingers hold a small object by friction instead of squeezing it out.
        ``released``: the grasp this opening let go, held again if a stop interrupts it (see
        ``_control_step``).
        """
        n_arm = len(self._arm_joints)
        self._finger_target = np.full(len(self._finger_joints), opening)
        self._hold()
        iterations = self._p.getPhysicsEngineParameters()["numSolverIterations"]
        self._p.setPhysicsEngineParameter(
            numSolverIterations=max(iterations, self._finger_solver_iterations))
        steps = 0
        last = self.joint_positions()[n_arm:]
        try:
            for _ in range(SETTLE_STEPS):
                self._control_step(should_stop, max_steps, steps, released)
                steps += 1
                if until_touching and self._touched_by_every_finger() is not None:
                    break
                now = self.joint_positions()[n_arm:]
                if steps >= 10 and np.all(np.abs(now - last) < 1e-5):
                    break
                last = now
        finally:
            self._p.setPhysicsEngineParameter(numSolverIterations=iterations)
        return steps
