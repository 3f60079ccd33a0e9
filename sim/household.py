"""A room for TIAGo: floor, a counter, a bin, a dog, a person and small items on the counter.

The world is a ``skills.robot.Scene`` (``table_height`` is the counter top). Every household
body is built here from primitive shapes (boxes, cylinders, spheres), so collisions are cheap
and nothing but ``plane.urdf`` is read from disk. World frame: the robot starts at the origin
facing +x; the counter stands ahead, the bin to the left, the dog to the right.

The world records where the robot's hand touched the dog's back (``strokes``), the evidence
that the dog was petted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.camera import CameraView
from sim.tiago import RIGHT_FINGER_JOINTS, TiagoRobot
from sim.world import World
from skills.base import ObjectInfo, UnknownObjectError

Box = tuple[tuple[float, float, float], tuple[float, float, float]]
"""One box of a body: its centre in the body frame and its full size (x, y, z), in m."""


@dataclass(frozen=True)
class HouseholdObject:
    """How to build one household object from boxes.

    Attributes
    ----------
    info : ObjectInfo
        Its static description (``info.size`` is the overall size, in m).
    boxes : tuple of Box
        Its parts; the body frame is at the bottom centre of ``info.size``.
    rgba : tuple of float, shape (4,)
        Colour in [0, 1].
    mass : float
        Mass in kg; 0 makes the body static.
    friction : float
        Lateral friction coefficient.
    stiffness : float or None
        Contact stiffness in N/m (with damping ``stiffness / 20`` N s/m) for a soft body, or
        None for PyBullet's rigid contact.
    """

    info: ObjectInfo
    boxes: tuple[Box, ...]
    rgba: tuple[float, float, float, float]
    mass: float
    friction: float = 1.0
    stiffness: float | None = None


def _bin(size: float, height: float, wall: float = 0.01) -> tuple[Box, ...]:
    half = size / 2 - wall / 2
    return (
        ((0.0, 0.0, wall / 2), (size, size, wall)),
        ((half, 0.0, height / 2), (wall, size, height)),
        ((-half, 0.0, height / 2), (wall, size, height)),
        ((0.0, half, height / 2), (size, wall, height)),
        ((0.0, -half, height / 2), (size, wall, height)),
    )


def _dog() -> tuple[Box, ...]:
    legs = tuple(((x, y, 0.2), (0.06, 0.06, 0.4)) for x in (-0.22, 0.22) for y in (-0.06, 0.06))
    return (((0.0, 0.0, 0.5), (0.6, 0.2, 0.2)), ((0.36, 0.0, 0.55), (0.16, 0.14, 0.1)), *legs)


NAVIGABLE = ("navigable",)
"""Abilities of the objects the base can drive up to (``skills.mobile.MoveTo``)."""

HOUSEHOLD: dict[str, HouseholdObject] = {
    "counter": HouseholdObject(
        ObjectInfo("counter", "furniture", False, False, (0.6, 1.0, 0.55), "brown"),
        (((0.0, 0.0, 0.275), (0.6, 1.0, 0.55)),), (0.55, 0.4, 0.25, 1.0), 0.0,
    ),
    "trash": HouseholdObject(
        ObjectInfo("trash", "trash", True, False, (0.05, 0.05, 0.08), "white", NAVIGABLE),
        (((0.0, 0.0, 0.04), (0.05, 0.05, 0.08)),), (0.95, 0.95, 0.9, 1.0), 0.05,
    ),
    "bin": HouseholdObject(
        ObjectInfo("bin", "bin", False, True, (0.36, 0.36, 0.4), "green", NAVIGABLE),
        _bin(0.36, 0.4), (0.2, 0.55, 0.25, 1.0), 0.0,
    ),
    "dog": HouseholdObject(
        ObjectInfo("dog", "dog", False, False, (0.74, 0.2, 0.6), "golden", NAVIGABLE),
        # Soft, slippery fur: a stroking hand presses lightly and slides.
        _dog(), (0.85, 0.65, 0.3, 1.0), 0.0, friction=0.2, stiffness=1000.0,
    ),
    "person": HouseholdObject(
        ObjectInfo("person", "person", False, False, (0.3, 0.4, 1.6), "blue", NAVIGABLE),
        (((0.0, 0.0, 0.7), (0.25, 0.4, 1.4)), ((0.0, 0.0, 1.5), (0.2, 0.2, 0.2))),
        (0.2, 0.3, 0.7, 1.0), 0.0,
    ),
    "bottle": HouseholdObject(
        ObjectInfo("bottle", "bottle", True, False, (0.05, 0.05, 0.12), "red", NAVIGABLE),
        (((0.0, 0.0, 0.06), (0.05, 0.05, 0.12)),), (0.85, 0.15, 0.15, 1.0), 0.08,
    ),
}
"""Every object a household world can hold, by name."""

LANDMARK_REGIONS: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "counter": ((1.15, -0.3), (1.35, 0.3)),
    "bin": ((-0.2, 1.2), (0.4, 1.5)),
    "dog": ((-0.1, -1.5), (0.5, -1.2)),
    "person": ((-1.4, -0.4), (-1.2, 0.4)),
}
"""Objects standing on the floor: (x, y) low and high corners, in m, where each stands."""
DOG_YAW = 0.3
"""Largest turn of the dog away from the x axis, in rad (the others stand square)."""
COUNTER_ITEM_MARGIN = (0.08, 0.16)
"""Distance of an item on the counter from the robot-facing edge, in m (low, high)."""
STROKE_LINK_LIMIT = 0.01
"""Largest gap between the hand and the dog counted as a touch, in m."""
SOLVER_ITERATIONS = 20
"""Constraint-solver iterations per physics step (PyBullet's default is 50): TIAGo's 29 joint
motors dominate the step time, and 20 iterations still hold a grasp."""
HAND_LINK = RIGHT_FINGER_JOINTS[0]
"""The robot link whose touches on the dog are recorded (a fingertip)."""


class HouseholdWorld(World):
    """TIAGo in a room with named objects at seeded random poses.

    Parameters
    ----------
    objects : sequence of str
        Names from ``HOUSEHOLD``; ``"counter"`` must be among them when an item that stands on
        it (``"trash"``, ``"bottle"``) is.
    seed : int
        Seed of the random poses.
    gui : bool
        Open the PyBullet GUI.

    Attributes
    ----------
    robot : TiagoRobot
    table_height : float
        Height of the counter top, in m.
    travel_height : float
        Lowest gripper height above the counter in pre-grasp poses, in m (TIAGo's top-down
        reach ends about 0.35 m above the counter).
    strokes : list of ndarray
        Points (3,) m where the hand touched the dog, one per control step with a touch.
    """

    travel_height = 0.15

    def __init__(
        self,
        objects: Sequence[str] = ("counter", "trash", "bin", "dog"),
        *,
        seed: int = 0,
        gui: bool = False,
    ) -> None:
        for name in objects:
            if name not in HOUSEHOLD:
                raise UnknownObjectError(name, list(HOUSEHOLD))
        on_counter = [n for n in objects if n not in LANDMARK_REGIONS]
        if on_counter and "counter" not in objects:
            raise ValueError(f"objects {on_counter} stand on the counter; add 'counter'")
        super().__init__(gui=gui, seed=seed)
        self.client.setPhysicsEngineParameter(numSolverIterations=SOLVER_ITERATIONS)
        self.floor = self.load_urdf("plane.urdf")
        self.table_height = HOUSEHOLD["counter"].info.size[2]
        self.robot = TiagoRobot(self)
        self.strokes: list[np.ndarray] = []
        self._saved_extra: dict[int, tuple[str | None, list[np.ndarray]]] = {}
        for name in objects:
            self.register(name, self._build(HOUSEHOLD[name]), HOUSEHOLD[name].info)
        self._place_all(on_counter)
        self.views["top"] = CameraView((0.0, 0.0, 0.0), 4.2, 90.0, -89.9, near=0.1, far=6.0)
        self.views["side"] = CameraView((0.3, 0.0, 0.4), 3.6, -60.0, -35.0, near=0.1, far=8.0)
        self.step(30)
        self._steps = 0
        self.strokes.clear()

    def _build(self, spec: HouseholdObject) -> int:
        """Create ``spec``'s body 5 m below the floor; return its body id."""
        p = self.client
        parts = spec.boxes
        collision, visual = self.box_shapes([[s / 2 for s in size] for _, size in parts],
                                            [list(c) for c, _ in parts], [spec.rgba] * len(parts))
        body = p.createMultiBody(spec.mass, collision, visual, (0.0, 0.0, -5.0))
        p.changeDynamics(body, -1, lateralFriction=spec.friction)
        if spec.stiffness is not None:
            p.changeDynamics(
                body, -1, contactStiffness=spec.stiffness, contactDamping=spec.stiffness / 20
            )
        return body

    def _place_all(self, on_counter: list[str]) -> None:
        names = self.object_names()
        for name, (lo, hi) in LANDMARK_REGIONS.items():
            if name in names:
                x, y = self.rng.uniform(lo, hi)
                yaw = float(self.rng.uniform(-DOG_YAW, DOG_YAW)) if name == "dog" else 0.0
                self.set_object_pose(name, (float(x), float(y), 0.0), yaw)
        if not on_counter:
            return
        cx, cy, _ = self.object_position("counter")
        depth, width = HOUSEHOLD["counter"].info.size[:2]
        edge = cx - depth / 2
        slots = np.linspace(cy - width / 2 + 0.15, cy + width / 2 - 0.15, len(on_counter) + 1)
        lanes = self.rng.permutation(len(on_counter) + 1)[: len(on_counter)]
        for name, lane in zip(on_counter, lanes, strict=True):
            x = edge + float(self.rng.uniform(*COUNTER_ITEM_MARGIN))
            y = float(slots[lane] + self.rng.uniform(-0.05, 0.05))
            self.set_object_pose(name, (x, y, self.table_height + 1e-3),
                                 float(self.rng.uniform(-0.4, 0.4)))

    # -- snapshots ------------------------------------------------------------------------
    def save_state(self) -> int:
        """Snapshot physics, clock, the held object and the strokes; return its id."""
        state = super().save_state()
        self._saved_extra[state] = (self.robot.held_object(), list(self.strokes))
        return state

    def restore_state(self, state: int) -> None:
        """Return to a snapshot of ``save_state``, re-attaching the object held then; the arm
        and fingers hold their restored positions."""
        super().restore_state(state)
        held, strokes = self._saved_extra[state]
        self.robot.hold_still()
        self.robot.release()
        if held is not None:
            self.robot.attach(held)
        self.strokes = list(strokes)

    # -- stepping and petting evidence --------------------------------------------------
    def step(self, n: int = 1) -> None:
        """Advance the physics by ``n`` steps, recording hand contacts with the dog."""
        dog = self._bodies.get("dog")
        for _ in range(n):
            super().step()
            if dog is not None:
                touches = self.client.getClosestPoints(
                    self.robot.body, dog, STROKE_LINK_LIMIT, linkIndexA=HAND_LINK
                )
                if touches:
                    self.strokes.append(np.array(touches[0][6]))
