"""The abstract robot and scene that skills are written against, and the object descriptions
(:class:`ObjectInfo`) a scene gives. This module imports nothing from the project; the skill
machinery (``skills.base``) builds on it.

Simulated robots (``sim.panda.PandaRobot``) and worlds (``sim.tabletop.TabletopWorld``)
implement these protocols; skills never import ``sim``. All positions are in the world frame, in
m; the table top is the plane ``z = scene.table_height``. One control step is one physics step
(``scene.timestep`` s).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class ObjectInfo:
    """Static description of an object in a scene.

    Attributes
    ----------
    name : str
        Unique name in the scene (e.g. ``"cube"``).
    category : str
        Kind of object (e.g. ``"block"``, ``"container"``).
    graspable : bool
        Whether a parallel gripper can pick it up.
    container : bool
        Whether things can be placed inside it.
    size : tuple of float, shape (3,)
        Axis-aligned extent in its own frame (x, y, z), in m.
    color : str
        Colour name, as a person would say it.
    abilities : tuple of str
        What it affords, BEHAVIOR-style: ``"openable"``, ``"fillable"``, ``"pourable"``,
        ``"wipeable"``, ``"wiper"``, ``"sliceable"``, ``"slicer"``, ``"gratable"``,
        ``"grater"``, ``"stirrable"``, ``"stirrer"``, ``"sweeper"``.
    parts : tuple of (str, tuple of float)
        Named points in the object's base frame, in m: ``"handle"`` (where the gripper centre
        goes to grasp it), a tool's working point (``"blade"``, ``"head"``, ``"tip"``,
        ``"spout"``), a lid's ``"knob"`` and ``"hinge"``.
    grasp_yaw : float
        Gripper yaw relative to the object's yaw when grasping, in rad (0: the fingers close
        along the object's y axis).
    """

    name: str
    category: str
    graspable: bool
    container: bool
    size: tuple[float, float, float]
    color: str
    abilities: tuple[str, ...] = ()
    parts: tuple[tuple[str, tuple[float, float, float]], ...] = ()
    grasp_yaw: float = 0.0

    def part(self, name: str) -> tuple[float, float, float]:
        """Position of part ``name`` in the base frame, in m; ``KeyError`` lists the parts."""
        for part, position in self.parts:
            if part == name:
                return position
        raise KeyError(
            f"object {self.name!r} has no part {name!r}; parts: {[p for p, _ in self.parts]}"
        )



class Robot(Protocol):
    """A manipulator with a parallel gripper, controlled in Cartesian space.

    Every motion method polls ``should_stop()`` each control step and raises
    ``TimeoutFailure`` once it has used ``max_steps`` control steps.

    When ``should_stop()`` returns True the robot stops all motion before it raises
    ``InterruptedFailure``: the arm and fingers brake to standstill where they are (every joint
    slower than its standstill speed, see ``at_standstill``), so that the failure happens at the
    time of standstill, and they stay held there through later physics steps until the next
    motion. Nothing held is let go: an object that an interrupted opening has just let go is
    held again if it has not yet left the hand.
    """

    def base_pose(self) -> np.ndarray:
        """Where the arm's base stands: x, y in m and yaw in rad, shape (3,)."""
        ...

    def ee_position(self) -> np.ndarray:
        """Gripper centre (between the fingertips), shape (3,), in m."""
        ...

    def ee_orientation(self) -> np.ndarray:
        """Gripper orientation quaternion (x, y, z, w), shape (4,)."""
        ...

    def joint_positions(self) -> np.ndarray:
        """Arm and finger joint positions, shape (n_joints,), in rad (fingers in m)."""
        ...

    def joint_velocities(self) -> np.ndarray:
        """Speeds of the joints of ``joint_positions``, shape (n_joints,), in rad/s (m/s)."""
        ...

    def at_standstill(self) -> bool:
        """Whether every arm and finger joint is slower than its standstill speed (the sim
        robots: 0.01 rad/s for revolute joints, 1 mm/s for prismatic ones, fingers included)."""
        ...

    def follow_path(
        self,
        positions: np.ndarray,
        orientations: np.ndarray,
        *,
        should_stop: Callable[[], bool] | None = None,
        max_steps: int | None = None,
    ) -> int:
        """Move the gripper centre through poses (positions (n, 3) m, quaternions (n, 4)).

        Straight lines between waypoints, orientation interpolated; every waypoint is checked
        for reachability first (``PlanningFailure`` before anything moves). Returns the control
        steps used; raises like ``move_ee``.
        """
        ...

    def wait(
        self,
        n_steps: int,
        *,
        should_stop: Callable[[], bool] | None = None,
        max_steps: int | None = None,
    ) -> int:
        """Hold the current pose for ``n_steps`` control steps; return the steps used."""
        ...

    def home(
        self,
        *,
        should_stop: Callable[[], bool] | None = None,
        max_steps: int | None = None,
    ) -> int:
        """Return the gripper to its start pose, clear of the top camera; return the steps."""
        ...

    def move_ee(
        self,
        target: np.ndarray,
        *,
        orientation: np.ndarray | None = None,
        should_stop: Callable[[], bool] | None = None,
        max_steps: int | None = None,
    ) -> int:
        """Move the gripper centre to ``target`` (3,) m along a straight line.

        ``orientation`` is a quaternion (x, y, z, w), shape (4,); None keeps the gripper
        pointing down. Returns the control steps used. Raises ``PlanningFailure`` if inverse
        kinematics cannot reach the target within tolerance and ``ExecutionFailure`` if the arm
        stalls or is blocked.
        """
        ...

    def open_gripper(
        self,
        *,
        should_stop: Callable[[], bool] | None = None,
        max_steps: int | None = None,
    ) -> int:
        """Open the fingers fully; return the control steps used."""
        ...

    def close_gripper(
        self,
        *,
        should_stop: Callable[[], bool] | None = None,
        max_steps: int | None = None,
    ) -> bool:
        """Close the fingers; return whether an object is held between them."""
        ...

    def held_object(self) -> str | None:
        """Name of the object held between the fingers, or None."""
        ...


class Scene(Protocol):
    """A world with one robot and named objects."""

    robot: Robot
    timestep: float
    table_height: float
    travel_height: float
    """Lowest gripper height above the table top in pre-grasp / pre-place poses, in m (what
    the gripper holds clears the objects; the arm still reaches the workspace pointing down)."""

    @property
    def sim_time(self) -> float:
        """Simulated time since the world was built, in s."""
        ...

    def step(self, n: int = 1) -> None:
        """Advance the physics by ``n`` steps of ``timestep`` s."""
        ...

    def object_names(self) -> list[str]:
        """Names of all objects (robot and table excluded), in a stable order."""
        ...

    def object_info(self, name: str) -> ObjectInfo:
        """Static description; raises ``UnknownObjectError`` listing the known names."""
        ...

    def object_position(self, name: str) -> np.ndarray:
        """Centre of the object's bounding box, shape (3,), in m."""
        ...

    def object_yaw(self, name: str) -> float:
        """Rotation of the object about the vertical axis, in rad."""
        ...

    def object_top(self, name: str) -> np.ndarray:
        """Centre of the top surface (or the opening of a container), shape (3,), in m."""
        ...

    def object_pose(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Base frame: position (3,) m and quaternion (x, y, z, w) (4,); parts are in it."""
        ...

    def object_state(self, name: str) -> dict[str, float]:
        """What was done to ``name``: ``open`` (rad), ``wiped`` (fraction), ``fill``
        (particles), ``pieces``, ``grated`` (fraction), ``turns``; keys by its abilities."""
        ...
