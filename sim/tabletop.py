"""A table, a Panda at its edge and catalogue objects: a ``World`` that is a ``skills.robot.Scene``.

World frame: the Panda base is at the origin on the table top (``z = table_height``, about 0 m),
facing +x; objects start inside the reachable workspace ``WORKSPACE``.

The world also simulates what tools do to things, checked every ``EFFECT_PERIOD`` physics steps
from geometry and motion (no scripted outcomes): a held wiper (sponge, iron) close above a
wipeable patch wipes the cells it covers; a held pourable tilted past ``POUR_TILT`` pours liquid
particles from its spout; a held slicer whose blade goes down through a sliceable object splits
it in two bodies; a held gratable rubbed over a grater sheds shreds and is used up; a held
stirrer whose tip circles inside a stirrable container counts turns. ``object_state`` reports
these, and how far lids are open.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from sim.objects import CATALOGUE, ObjectSpec
from sim.panda import PandaRobot
from sim.world import World
from skills.base import ObjectInfo, UnknownObjectError

WORKSPACE = ((0.35, -0.3), (0.65, 0.3))
"""(x, y) low and high corners, in m, where objects are placed at random by default."""
MIN_GAP = 0.06
"""Smallest distance between the footprints (bounding circles) of two objects, in m: room
for the hand, which is about 0.2 m wide along the finger axis."""
SOLVER_ITERATIONS = 10
"""Constraint-solver iterations per physics step (PyBullet's default of 50 is slower)."""
EFFECT_PERIOD = 4
"""Physics steps between two checks of tool effects."""
WIPE_REACH = 0.01
"""Largest height of a wiper's bottom above a patch for it to wipe, in m."""
WIPE_CELLS = 8
"""A wipeable patch is a grid of ``WIPE_CELLS`` x ``WIPE_CELLS`` cells."""
POUR_TILT = 1.2
"""Tilt of a pourable's vertical axis beyond which liquid flows, in rad."""
POUR_PERIOD = 8
"""Physics steps between two liquid particles leaving a spout."""
LIQUID_PARTICLES = 12
"""Liquid particles in a full pourable."""
PARTICLE_RADIUS = 0.008
"""Radius of a liquid particle, in m."""
SLICE_DEPTH = 0.4
"""Fraction of a sliceable's height from its bottom that a blade must reach to cut it."""
GRATE_REACH = 0.01
"""Largest height of a gratable's bottom above a grater's top for it to be grated, in m."""
SHRED_EVERY = 0.03
"""Distance rubbed over a grater per shred, in m; each shred uses 1/10 of the gratable."""
EFFECT_GROUP = 4
"""Collision group of effect bodies (liquid, shreds): they touch everything but each other,
which saves the solver the contacts of a pile of particles."""
LID_FRICTION = 0.5
"""Torque holding a hinged lid where it was left, in N m."""


class TabletopWorld(World):
    """A Panda on a table with named objects at seeded random, non-overlapping poses.

    Parameters
    ----------
    objects : sequence of str
        Catalogue names (see ``sim.objects.CATALOGUE``) of the objects to add.
    seed : int
        Seed of the random object poses.
    gui : bool
        Open the PyBullet GUI.
    workspace : tuple of (x, y) pairs
        Low and high corners, in m, of the area where objects are placed at random.

    Attributes
    ----------
    robot : PandaRobot
    table_height : float
        Height of the table top, in m.
    travel_height : float
        Lowest gripper height above the table in pre-grasp / pre-place poses, in m: what the
        gripper holds clears the objects, and the Panda still reaches the far corners
        pointing down.
    """

    travel_height = 0.35

    def __init__(
        self,
        objects: Sequence[str] = ("cube", "tray", "lego", "ball"),
        *,
        seed: int = 0,
        gui: bool = False,
        workspace: tuple[tuple[float, float], tuple[float, float]] = WORKSPACE,
    ) -> None:
        for name in objects:
            if name not in CATALOGUE:
                raise UnknownObjectError(name, list(CATALOGUE))
        super().__init__(gui=gui, seed=seed)
        self.workspace = workspace
        self.client.setPhysicsEngineParameter(numSolverIterations=SOLVER_ITERATIONS,
                                              enableConeFriction=0)
        self.table = self.load_urdf("table/table.urdf", (0.5, 0.0, -0.625), fixed=True)
        self.table_height = float(self.client.getAABB(self.table)[1][2])
        self.robot = PandaRobot(self, (0.0, 0.0, self.table_height))
        self._bottom: dict[str, float] = {}
        self._effects: dict[str, dict[str, Any]] = {}
        self._spawned: list[tuple[int, str]] = []  # body id and kind of effect bodies
        self._snapshots: dict[int, tuple[Any, ...]] = {}
        self._particle_shapes: dict[str, tuple[int, int]] = {}
        for name in objects:
            self._add(name, CATALOGUE[name])
        self._scatter()
        self.step(60)
        self._steps = 0

    # -- building -------------------------------------------------------------------------
    def _add(self, name: str, spec: ObjectSpec) -> None:
        """Build catalogue object ``name`` at 1 m above the origin and register it."""
        if spec.urdf:
            body = self.load_urdf(spec.urdf, (0.0, 0.0, 1.0), scale=spec.scale)
            self.client.changeVisualShape(body, -1, rgbaColor=spec.rgba)
            self.client.changeDynamics(body, -1, rollingFriction=1e-3, spinningFriction=1e-3)
        else:  # boxes do not roll: no rolling friction, which costs solver time
            body = self._build(spec)
        self.register(name, body, spec.info)
        if not spec.collides:
            self.client.setCollisionFilterGroupMask(body, -1, 0, 0)
        self._bottom[name] = 1.0 - float(self.object_aabb(name, base_only=True)[0][2])
        abilities = spec.info.abilities
        if "wipeable" in abilities:
            self._effects[name] = {"cells": np.zeros((WIPE_CELLS, WIPE_CELLS), bool),
                                   "rgba": spec.rgba}
        elif "pourable" in abilities:
            self._effects[name] = {"fill": LIQUID_PARTICLES}
        elif "gratable" in abilities:
            self._effects[name] = {"grated": 0.0, "rubbed": 0.0, "last": None}
        elif "stirrable" in abilities:
            self._effects[name] = {"turns": 0.0, "last": None}
        elif "sliceable" in abilities:
            self._effects[name] = {"pieces": [name]}
        self._separate_blades()

    def _build(self, spec: ObjectSpec, boxes: tuple | None = None) -> int:
        """Create a compound body of ``spec.boxes`` (and its hinged lid) at z = 1 m."""
        boxes = spec.boxes if boxes is None else boxes
        col, vis = self._shapes(boxes, spec.rgba)
        kwargs: dict[str, Any] = {}
        if spec.lid is not None:
            lcol, lvis = self._shapes(spec.lid.boxes, spec.rgba)
            kwargs = dict(
                linkMasses=[0.1], linkCollisionShapeIndices=[lcol],
                linkVisualShapeIndices=[lvis], linkPositions=[spec.lid.hinge],
                linkOrientations=[(0, 0, 0, 1)], linkInertialFramePositions=[(0, 0, 0)],
                linkInertialFrameOrientations=[(0, 0, 0, 1)], linkParentIndices=[0],
                linkJointTypes=[self.client.JOINT_REVOLUTE], linkJointAxis=[(-1.0, 0.0, 0.0)],
            )
        body = self.client.createMultiBody(spec.mass, col, vis, (0.0, 0.0, 1.0),
                                           useMaximalCoordinates=spec.lid is None, **kwargs)
        if spec.lid is not None:
            self.client.changeDynamics(body, 0, jointLowerLimit=0.0,
                                       jointUpperLimit=spec.lid.max_angle)
            self._lid_friction(body)
        return body

    def _shapes(self, boxes: Sequence[Any], rgba: Sequence[float]) -> tuple[int, int]:
        """Collision and visual shape arrays of ``boxes``."""
        return self.box_shapes([b.half for b in boxes], [b.centre for b in boxes],
                               [b.rgba or rgba for b in boxes])

    def _lid_friction(self, body: int) -> None:
        self.client.setJointMotorControl2(body, 0, self.client.VELOCITY_CONTROL,
                                          targetVelocity=0.0, force=LID_FRICTION)

    def _separate_blades(self) -> None:
        """Let blades pass through what they slice (the cut is an effect, not a collision)."""
        names = self.object_names()
        blades = [n for n in names if "slicer" in self._infos[n].abilities]
        for blade in blades:
            for name in names:
                if "sliceable" in self._infos[name].abilities:
                    self.client.setCollisionFilterPair(
                        self._bodies[blade], self._bodies[name], -1, -1, 0)

    def _scatter(self) -> None:
        """Put every object on the table at a random pose, footprints apart by ``MIN_GAP``."""
        radius = {n: float(np.hypot(*self.object_info(n).size[:2])) / 2
                  for n in self.object_names()}
        for _ in range(100):
            spots = self._draw_layout(radius)
            if spots is not None:
                break
        else:
            raise RuntimeError(
                f"no room for objects {list(radius)} in workspace {self.workspace} m with gaps of "
                f"{MIN_GAP} m after 100 layouts; use fewer or smaller objects"
            )
        for name, xy in spots.items():
            limit = CATALOGUE[name].yaw_range
            yaw = float(self.rng.uniform(-limit, limit))
            self.place_object(name, float(xy[0]), float(xy[1]), yaw)

    def _draw_layout(self, radius: dict[str, float]) -> dict[str, np.ndarray] | None:
        """Draw (x, y) spots, largest footprint first; None if an object finds no room."""
        spots: dict[str, np.ndarray] = {}
        for name in sorted(radius, key=lambda n: -radius[n]):
            for _ in range(100):
                xy = self.rng.uniform(*self.workspace)
                near = [np.linalg.norm(xy - q) - radius[n] for n, q in spots.items()]
                if all(d - radius[name] > MIN_GAP for d in near):
                    spots[name] = xy
                    break
            else:
                return None
        return spots

    # -- Scene (names, info and pose queries are ``World``'s) ---------------------------------
    def object_state(self, name: str) -> dict[str, float]:
        """What tools did to ``name``; keys depend on its abilities.

        ``open`` (lid angle, rad) for openables, ``wiped`` (fraction of cells) for wipeables,
        ``fill`` (liquid particles) for pourables and fillables, ``pieces`` (bodies) for
        sliceables, ``grated`` (fraction used up) for gratables, ``turns`` (stirring turns)
        for stirrables; ``{}`` for others.
        """
        body = self.object_id(name)
        abilities = self._infos[name].abilities
        state: dict[str, float] = {}
        if "openable" in abilities:
            state["open"] = float(self.client.getJointState(body, 0)[0])
        effect = self._effects.get(name, {})
        if "wipeable" in abilities:
            state["wiped"] = float(effect["cells"].mean())
        if "pourable" in abilities:
            state["fill"] = float(effect["fill"])
        if "fillable" in abilities:
            lo, hi = self.object_aabb(name)
            inside = [p for p in self._particle_positions()
                      if np.all(p[:2] > lo[:2]) and np.all(p[:2] < hi[:2]) and lo[2] < p[2] < hi[2]]
            state["fill"] = float(len(inside))
        if "sliceable" in abilities and name in self._effects:
            state["pieces"] = float(len(effect["pieces"]))
        if "gratable" in abilities:
            state["grated"] = float(effect["grated"])
        if "stirrable" in abilities:
            state["turns"] = float(effect["turns"])
        return state

    # -- arranging ------------------------------------------------------------------------
    def place_object(self, name: str, x: float, y: float, yaw: float = 0.0) -> None:
        """Teleport ``name`` upright onto the table at (``x``, ``y``) m, turned ``yaw`` rad."""
        self._teleport(name, x, y, self.table_height, yaw)

    def place_on(self, name: str, support: str, dx: float = 0.0, dy: float = 0.0,
                 yaw: float | None = None) -> None:
        """Teleport ``name`` onto ``support``'s top, offset (``dx``, ``dy``) m from its centre."""
        x, y, z = self.object_top(support)
        yaw = self.object_yaw(name) if yaw is None else yaw
        self._teleport(name, x + dx, y + dy, z, yaw)

    def _teleport(self, name: str, x: float, y: float, z: float, yaw: float) -> None:
        self.set_object_pose(name, (x, y, z + self._bottom[name] + 1e-3), yaw, stop=True)

    # -- time and snapshots ---------------------------------------------------------------
    def step(self, n: int = 1) -> None:
        """Advance the physics by ``n`` steps, applying tool effects every ``EFFECT_PERIOD``."""
        for _ in range(n):
            super().step(1)
            if self._steps % EFFECT_PERIOD == 0 and self._effects:
                self._apply_effects()

    def save_state(self) -> int:
        """Snapshot physics, clock, tool effects and the grasp; return its id."""
        state = super().save_state()
        self._snapshots[state] = (copy.deepcopy(self._effects), self.robot.grasp_state(),
                                  dict(self._bodies), list(self._spawned))
        return state

    def restore_state(self, state: int) -> None:
        """Return to a snapshot of ``save_state`` (the arm and fingers hold their restored
        positions); refused if bodies were added or cut since."""
        if state in self._snapshots:
            effects, grasp, bodies, spawned = self._snapshots[state]
            if bodies != self._bodies or spawned != self._spawned:
                raise ValueError(
                    f"cannot restore state {state}: bodies were added since it was saved "
                    f"(liquid, shreds or cut pieces); build a new world instead"
                )
        held = self.robot.grasp_state()
        self.robot.set_grasp(None)  # PyBullet cannot restore with a grasp on a rigid body
        try:
            super().restore_state(state)
        except ValueError:
            self.robot.set_grasp(held)
            raise
        self._effects = copy.deepcopy(effects)
        self.robot.hold_still()
        self.robot.set_grasp(grasp)
        for name, effect in self._effects.items():
            if "cells" in effect:
                self._recolour(name)
            if "openable" in self._infos[name].abilities:
                self._lid_friction(self._bodies[name])

    # -- tool effects ---------------------------------------------------------------------
    def _apply_effects(self) -> None:
        held = self.robot.held_object()
        if held is None:
            return
        abilities = self._infos[held].abilities
        targets = [n for n in self._effects if n != held]
        if "wiper" in abilities:
            for name in targets:
                if "cells" in self._effects[name]:
                    self._wipe(held, name)
        if "pourable" in abilities:
            self._pour(held)
        if "slicer" in abilities:
            for name in targets:
                if "pieces" in self._effects[name] and len(self._effects[name]["pieces"]) == 1:
                    self._slice(held, name)
        if "gratable" in abilities:
            self._grate(held)
        if "stirrer" in abilities:
            for name in targets:
                if "turns" in self._effects[name]:
                    self._stir(held, name)

    def _wipe(self, tool: str, patch: str) -> None:
        lo, hi = self.object_aabb(tool)
        if lo[2] > self.object_top(patch)[2] + WIPE_REACH:
            return
        pos, quat = self.object_pose(patch)
        sx, sy = self._infos[patch].size[:2]
        u = (np.arange(WIPE_CELLS) + 0.5) / WIPE_CELLS - 0.5
        gx, gy = np.meshgrid(u * sx, u * sy, indexing="ij")
        yaw = self.client.getEulerFromQuaternion(quat)[2]
        wx = pos[0] + gx * math.cos(yaw) - gy * math.sin(yaw)
        wy = pos[1] + gx * math.sin(yaw) + gy * math.cos(yaw)
        under = (wx > lo[0]) & (wx < hi[0]) & (wy > lo[1]) & (wy < hi[1])
        cells = self._effects[patch]["cells"]
        if np.any(under & ~cells):
            cells |= under
            self._recolour(patch)

    def _recolour(self, patch: str) -> None:
        """Fade a wipeable patch as it gets wiped (transparent when done)."""
        effect = self._effects[patch]
        r, g, b, _ = effect["rgba"]
        alpha = 1.0 - float(effect["cells"].mean())
        self.client.changeVisualShape(self._bodies[patch], -1, rgbaColor=(r, g, b, alpha))

    def _pour(self, pourer: str) -> None:
        effect = self._effects[pourer]
        if effect["fill"] <= 0 or self._steps % POUR_PERIOD:
            return
        if self.tilt(pourer) < POUR_TILT:
            return
        start = self.part_position(pourer, "spout") - [0.0, 0.0, 0.015]
        body = self._spawn("liquid", start, PARTICLE_RADIUS, (0.3, 0.5, 1.0, 1.0), 0.002)
        self.client.setCollisionFilterPair(body, self._bodies[pourer], -1, -1, 0)
        effect["fill"] -= 1

    def _spawn(self, kind: str, position: np.ndarray, size: float,
               rgba: tuple[float, float, float, float], mass: float) -> int:
        """Add an effect body (a liquid sphere or a shred cube of radius/half size ``size``)
        that collides with everything but other effect bodies."""
        if kind not in self._particle_shapes:
            if kind == "liquid":
                col = self.client.createCollisionShape(self.client.GEOM_SPHERE, radius=size)
                vis = self.client.createVisualShape(self.client.GEOM_SPHERE, radius=size,
                                                    rgbaColor=rgba)
            else:
                col = self.client.createCollisionShape(self.client.GEOM_BOX, halfExtents=[size] * 3)
                vis = self.client.createVisualShape(self.client.GEOM_BOX, halfExtents=[size] * 3,
                                                    rgbaColor=rgba)
            self._particle_shapes[kind] = (col, vis)
        col, vis = self._particle_shapes[kind]
        body = self.client.createMultiBody(mass, col, vis, position.tolist(),
                                           useMaximalCoordinates=True)
        self.client.setCollisionFilterGroupMask(body, -1, EFFECT_GROUP, ~EFFECT_GROUP)
        self._spawned.append((body, kind))
        return body

    def _particle_positions(self) -> list[np.ndarray]:
        """Where each liquid particle is now, shape (3,) each, in m."""
        return [np.array(self.client.getBasePositionAndOrientation(body)[0])
                for body, kind in self._spawned if kind == "liquid"]

    def _slice(self, knife: str, food: str) -> None:
        blade = self.part_position(knife, "blade")
        pos, quat = self.object_pose(food)
        yaw = self.client.getEulerFromQuaternion(quat)[2]
        axis = np.array([math.cos(yaw), math.sin(yaw)])
        along = float(np.dot(blade[:2] - pos[:2], axis))
        across = float(np.dot(blade[:2] - pos[:2], [-axis[1], axis[0]]))
        sx, sy, sz = self._infos[food].size
        if abs(along) > sx / 2 - 0.02 or abs(across) > sy / 2 + 0.005:
            return
        if blade[2] > pos[2] + SLICE_DEPTH * sz:
            return
        self._split(food, along, pos, yaw)

    def _split(self, food: str, along: float, pos: np.ndarray, yaw: float) -> None:
        """Replace ``food`` by two bodies cut at ``along`` m from its centre, 6 mm apart."""
        spec = CATALOGUE[food]
        sx, sy, sz = spec.info.size
        info = self._infos[food]
        self.client.removeBody(self.unregister(food))
        axis = np.array([math.cos(yaw), math.sin(yaw), 0.0])
        piece = f"{food}_piece"
        lengths = {food: sx / 2 + along, piece: sx / 2 - along}
        centres = {food: -sx / 2 + lengths[food] / 2 - 0.003,
                   piece: sx / 2 - lengths[piece] / 2 + 0.003}
        for name in (food, piece):
            size = (lengths[name], sy, sz)
            boxes = ((type(spec.boxes[0]))((size[0] / 2, sy / 2, sz / 2), (0.0, 0.0, sz / 2)),)
            self.register(name, self._build(spec, boxes), ObjectInfo(
                name, info.category, True, False, size, info.color,
                abilities=info.abilities if name == food else ()))
            self.set_object_pose(name, (pos + centres[name] * axis).tolist(), yaw)
            self._bottom[name] = self._bottom[food]
        self._effects[food]["pieces"] = [food, piece]
        self._separate_blades()

    def _grate(self, food: str) -> None:
        effect = self._effects[food]
        lo, hi = self.object_aabb(food)
        centre = (lo + hi) / 2
        for grater in (n for n in self.object_names() if "grater" in self._infos[n].abilities):
            glo, ghi = self.object_aabb(grater)
            over = np.all(centre[:2] > glo[:2]) and np.all(centre[:2] < ghi[:2])
            if over and lo[2] < ghi[2] + GRATE_REACH and effect["grated"] < 1.0:
                if effect["last"] is not None:
                    effect["rubbed"] += float(np.linalg.norm(centre[:2] - effect["last"]))
                effect["last"] = centre[:2]
                while effect["rubbed"] >= SHRED_EVERY and effect["grated"] < 1.0:
                    effect["rubbed"] -= SHRED_EVERY
                    effect["grated"] = round(effect["grated"] + 0.1, 6)
                    spot = np.array([centre[0], centre[1], ghi[2] + 0.004])
                    spot[:2] += self.rng.uniform(-0.02, 0.02, 2)
                    self._spawn("shred", spot, 0.004, (1.0, 0.85, 0.3, 1.0), 0.001)
                return
        effect["last"] = None

    def _stir(self, tool: str, pot: str) -> None:
        effect = self._effects[pot]
        tip = self.part_position(tool, "tip")
        lo, hi = self.object_aabb(pot)
        centre = (lo + hi) / 2
        if np.all(tip[:2] > lo[:2]) and np.all(tip[:2] < hi[:2]) and tip[2] < hi[2]:
            angle = math.atan2(tip[1] - centre[1], tip[0] - centre[0])
            if effect["last"] is not None:
                turn = (angle - effect["last"] + math.pi) % (2 * math.pi) - math.pi
                effect["turns"] += abs(turn) / (2 * math.pi)
            effect["last"] = angle
        else:
            effect["last"] = None
