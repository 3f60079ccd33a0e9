"""A room for TIAGo: floor, a counter, a bin, a dog and its bowl, a person, a potted plant and
small items on the counter.

The world is a ``skills.robot.Scene`` (``table_height`` is the counter top). Every household
body is built here from primitive shapes (boxes, cylinders, spheres), so collisions are cheap
and nothing but ``plane.urdf`` is read from disk. World frame: the robot starts at the origin
facing +x; the counter stands ahead, the bin to the left, the dog to the right.

The world records where the robot's hand touched the dog's back (``strokes``), the evidence
that the dog was petted. A held pourable (the watering can) tilted past ``CAN_POUR_TILT`` pours
liquid particles from its spout, as on the Franka's table (``sim.tabletop``); ``object_state``
counts them (``fill``) in the can and in a fillable object (the plant's pot).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim._quiet import pybullet
from sim.camera import CameraView
from sim.tabletop import EFFECT_GROUP, LIQUID_PARTICLES, PARTICLE_RADIUS, POUR_PERIOD
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


def _feeder(size: float, stand: float, rim: float, wall: float = 0.01) -> tuple[Box, ...]:
    """A raised dog feeder: a square stand ``stand`` m tall carrying a bowl ``size`` m wide
    whose walls rise ``rim`` m above the stand."""
    walls = tuple(((x, y, stand + z), dims) for (x, y, z), dims in _bin(size, rim, wall)[1:])
    return (((0.0, 0.0, stand / 2), (size, size, stand)), *walls)


def _planter(size: float, height: float, soil: float, wall: float = 0.015) -> tuple[Box, ...]:
    """A square pot ``size`` m wide and ``height`` m tall, open at the top, with soil up to
    ``soil`` m."""
    return (((0.0, 0.0, soil / 2), (size, size, soil)), *_bin(size, height, wall)[1:])


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
    "watering_can": HouseholdObject(
        # Low, so that the hand holding it by the handle rises a pick's lift to go home.
        ObjectInfo("watering_can", "watering can", True, False, (0.16, 0.09, 0.084), "green",
                   (*NAVIGABLE, "pourable"),
                   parts=(("handle", (0.0, 0.0, 0.072)), ("spout", (0.115, 0.0, 0.05))),
                   grasp_yaw=math.pi / 2),
        (((0.0, 0.0, 0.03), (0.09, 0.09, 0.06)), ((0.08, 0.0, 0.05), (0.07, 0.016, 0.014)),
         ((0.0, 0.0, 0.072), (0.02, 0.06, 0.024))), (0.2, 0.6, 0.3, 1.0), 0.2,
    ),
    "plant": HouseholdObject(
        # A pot as tall as a plant stand: TIAGo's arm reaches a tilted can at this height.
        ObjectInfo("plant", "plant", False, True, (0.32, 0.32, 0.62), "terracotta",
                   (*NAVIGABLE, "fillable")),
        _planter(0.32, 0.62, 0.47), (0.75, 0.4, 0.25, 1.0), 0.0,
    ),
    "treat": HouseholdObject(
        # A rubber chew toy stuffed with food, as tall as the trash: the arm grasps it from
        # above (a flat biscuit lies too low for TIAGo's reach over the counter).
        ObjectInfo("treat", "dog treat", True, False, (0.07, 0.05, 0.08), "orange", NAVIGABLE),
        (((0.0, 0.0, 0.04), (0.07, 0.05, 0.08)),), (0.95, 0.5, 0.1, 1.0), 0.05,
    ),
    "dog_bowl": HouseholdObject(
        # On a raised stand, as a big dog's bowl often is: TIAGo's arm does not reach the floor.
        ObjectInfo("dog_bowl", "dog bowl", False, True, (0.26, 0.26, 0.36), "blue", NAVIGABLE),
        _feeder(0.26, 0.3, 0.06), (0.25, 0.35, 0.8, 1.0), 0.0,
    ),
}
"""Every object a household world can hold, by name."""

LANDMARK_REGIONS: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {
    "counter": ((1.15, -0.3), (1.35, 0.3)),
    "bin": ((-0.2, 1.2), (0.4, 1.5)),
    # the dog lies clear of the counter's corner: the base stands across it, beside its back
    "dog": ((-0.3, -1.5), (0.3, -1.2)),
    "person": ((-1.4, -0.4), (-1.2, 0.4)),
    "plant": ((-0.9, -1.3), (-0.5, -0.9)),
    # by the wall on the bin's side, where the base reaches it from the room's open middle
    "dog_bowl": ((-0.9, 0.8), (-0.6, 1.1)),
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
CAN_POUR_TILT = 0.6
"""Tilt of a watering can's vertical axis beyond which water flows, in rad: its spout leaves the
body near the bottom, so it pours at a smaller tilt than a teapot (``sim.tabletop.POUR_TILT``)."""


class HouseholdWorld(World):
    """TIAGo in a room with named objects at seeded random poses.

    Parameters
    ----------
    objects : sequence of str
        Names from ``HOUSEHOLD``; ``"counter"`` must be among them when an item that stands on
        it (``"trash"``, ``"bottle"``, ``"treat"``, ``"watering_can"``) is.
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
    liquid : list of int
        Body ids of the liquid particles poured so far.
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
        self.liquid: list[int] = []
        self._fill = {n: LIQUID_PARTICLES for n in objects
                      if "pourable" in HOUSEHOLD[n].info.abilities}
        self._saved_extra: dict[int, tuple[str | None, list[np.ndarray], dict[str, int],
                                           list[int]]] = {}
        for name in objects:
            self.register(name, self._build(HOUSEHOLD[name]), HOUSEHOLD[name].info)
        if self._fill:
            self._drop_shapes = (
                self.client.createCollisionShape(pybullet.GEOM_SPHERE, radius=PARTICLE_RADIUS),
                self.client.createVisualShape(pybullet.GEOM_SPHERE, radius=PARTICLE_RADIUS,
                                              rgbaColor=(0.3, 0.5, 1.0, 1.0)))
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

    def object_state(self, name: str) -> dict[str, float]:
        """``fill``: liquid particles left in a pourable, or lying within a fillable object's
        bounding box; ``{}`` for others."""
        abilities = self.object_info(name).abilities
        if "pourable" in abilities:
            return {"fill": float(self._fill[name])}
        if "fillable" in abilities:
            lo, hi = self.object_aabb(name)
            where = [np.array(self.client.getBasePositionAndOrientation(b)[0])
                     for b in self.liquid]
            return {"fill": float(sum(bool(np.all(p > lo) and np.all(p < hi)) for p in where))}
        return {}

    # -- snapshots ------------------------------------------------------------------------
    def save_state(self) -> int:
        """Snapshot physics, clock, the held object, the strokes and the liquid; return its
        id."""
        state = super().save_state()
        self._saved_extra[state] = (self.robot.held_object(), list(self.strokes),
                                    dict(self._fill), list(self.liquid))
        return state

    def restore_state(self, state: int) -> None:
        """Return to a snapshot of ``save_state``, re-attaching the object held then; the arm
        and fingers hold their restored positions. Refused if liquid was poured since."""
        if state in self._saved_extra and self._saved_extra[state][3] != self.liquid:
            raise ValueError(f"cannot restore state {state}: liquid was poured since it was "
                             "saved; build a new world instead")
        super().restore_state(state)
        held, strokes, fill, _ = self._saved_extra[state]
        self.robot.hold_still()
        self.robot.release()
        if held is not None:
            self.robot.attach(held)
        self.strokes = list(strokes)
        self._fill = dict(fill)

    # -- stepping, petting evidence and pouring ------------------------------------------
    def step(self, n: int = 1) -> None:
        """Advance the physics by ``n`` steps, recording hand contacts with the dog and
        pouring from a held, tilted pourable."""
        dog = self._bodies.get("dog")
        for _ in range(n):
            super().step()
            if self._fill and self._steps % POUR_PERIOD == 0:
                self._pour()
            if dog is not None:
                touches = self.client.getClosestPoints(
                    self.robot.body, dog, STROKE_LINK_LIMIT, linkIndexA=HAND_LINK
                )
                if touches:
                    self.strokes.append(np.array(touches[0][6]))

    def _pour(self) -> None:
        """One liquid particle from the spout of the held pourable, if it is tilted past
        ``CAN_POUR_TILT`` and not empty."""
        held = self.robot.held_object()
        if held not in self._fill or self._fill[held] <= 0:
            return
        if self.tilt(held) < CAN_POUR_TILT:
            return
        spout = self.part_position(held, "spout")
        body = self.client.createMultiBody(0.002, *self._drop_shapes,
                                           [spout[0], spout[1], spout[2] - 0.015],
                                           useMaximalCoordinates=True)
        self.client.setCollisionFilterGroupMask(body, -1, EFFECT_GROUP, ~EFFECT_GROUP)
        self.client.setCollisionFilterPair(body, self.object_id(held), -1, -1, 0)
        self.liquid.append(body)
        self._fill[held] -= 1
