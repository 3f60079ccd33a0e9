"""A table, a Panda at its edge and catalogue objects: a ``World`` that is a ``skills.robot.Scene``.

World frame: the Panda base is at the origin on the table top (``z = table_height``, about 0 m),
facing +x; objects start inside the reachable workspace ``WORKSPACE``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.objects import CATALOGUE
from sim.panda import PandaRobot
from sim.world import World
from skills.base import ObjectInfo, UnknownObjectError

WORKSPACE = ((0.35, -0.3), (0.65, 0.3))
"""(x, y) low and high corners, in m, where objects are placed at random."""
MIN_GAP = 0.06
"""Smallest distance between the footprints (bounding circles) of two objects, in m: room
for the hand, which is about 0.2 m wide along the finger axis."""


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

    Attributes
    ----------
    robot : PandaRobot
    table_height : float
        Height of the table top, in m.
    """

    def __init__(
        self,
        objects: Sequence[str] = ("cube", "tray", "lego", "ball"),
        *,
        seed: int = 0,
        gui: bool = False,
    ) -> None:
        for name in objects:
            if name not in CATALOGUE:
                raise UnknownObjectError(name, list(CATALOGUE))
        super().__init__(gui=gui, seed=seed)
        self.table = self.load_urdf("table/table.urdf", (0.5, 0.0, -0.625), fixed=True)
        self.table_height = float(self.client.getAABB(self.table)[1][2])
        self.robot = PandaRobot(self, (0.0, 0.0, self.table_height))
        self._bodies: dict[str, int] = {}
        self._bottom: dict[str, float] = {}
        for name in objects:
            spec = CATALOGUE[name]
            body = self.load_urdf(spec.urdf, (0.0, 0.0, 1.0), name=name, scale=spec.scale)
            self.client.changeVisualShape(body, -1, rgbaColor=spec.rgba)
            self.client.changeDynamics(body, -1, rollingFriction=1e-3, spinningFriction=1e-3)
            self._bodies[name] = body
            self._bottom[name] = 1.0 - self.client.getAABB(body)[0][2]
        self._scatter()
        self.step(60)
        self._steps = 0

    def _scatter(self) -> None:
        """Put every object on the table at a random pose, footprints apart by ``MIN_GAP``."""
        radius = {n: float(np.hypot(*self.object_info(n).size[:2])) / 2 for n in self._bodies}
        for _ in range(100):
            spots = self._draw_layout(radius)
            if spots is not None:
                break
        else:
            raise RuntimeError(
                f"no room for objects {list(radius)} in workspace {WORKSPACE} m with gaps of "
                f"{MIN_GAP} m after 100 layouts; use fewer or smaller objects"
            )
        for name, xy in spots.items():
            yaw = float(self.rng.uniform(-np.pi, np.pi))
            self.place_object(name, float(xy[0]), float(xy[1]), yaw)

    def _draw_layout(self, radius: dict[str, float]) -> dict[str, np.ndarray] | None:
        """Draw (x, y) spots, largest footprint first; None if an object finds no room."""
        spots: dict[str, np.ndarray] = {}
        for name in sorted(radius, key=lambda n: -radius[n]):
            for _ in range(100):
                xy = self.rng.uniform(*WORKSPACE)
                near = [np.linalg.norm(xy - q) - radius[n] for n, q in spots.items()]
                if all(d - radius[name] > MIN_GAP for d in near):
                    spots[name] = xy
                    break
            else:
                return None
        return spots

    # -- Scene ----------------------------------------------------------------------------
    def object_names(self) -> list[str]:
        """Object names in the order they were added."""
        return list(self._bodies)

    def object_info(self, name: str) -> ObjectInfo:
        """Static description of ``name``; ``UnknownObjectError`` lists the known names."""
        self._body(name)
        return CATALOGUE[name].info

    def object_id(self, name: str) -> int:
        """PyBullet body id of object ``name``."""
        return self._body(name)

    def object_position(self, name: str) -> np.ndarray:
        """Centre of the bounding box, shape (3,), in m."""
        lo, hi = self.client.getAABB(self._body(name))
        return (np.array(lo) + np.array(hi)) / 2

    def object_top(self, name: str) -> np.ndarray:
        """Centre of the bounding box's top face, shape (3,), in m."""
        lo, hi = self.client.getAABB(self._body(name))
        return np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, hi[2]])

    def object_yaw(self, name: str) -> float:
        """Rotation about the vertical axis, in rad."""
        quat = self.client.getBasePositionAndOrientation(self._body(name))[1]
        return float(self.client.getEulerFromQuaternion(quat)[2])

    def object_velocity(self, name: str) -> np.ndarray:
        """Linear velocity of the object, shape (3,), in m/s."""
        return np.array(self.client.getBaseVelocity(self._body(name))[0])

    def place_object(self, name: str, x: float, y: float, yaw: float = 0.0) -> None:
        """Teleport ``name`` upright onto the table at (``x``, ``y``) m, turned ``yaw`` rad."""
        body = self._body(name)
        z = self.table_height + self._bottom[name] + 1e-3
        quat = self.client.getQuaternionFromEuler((0.0, 0.0, yaw))
        self.client.resetBasePositionAndOrientation(body, (x, y, z), quat)
        self.client.resetBaseVelocity(body, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0))

    def _body(self, name: str) -> int:
        try:
            return self._bodies[name]
        except KeyError:
            raise UnknownObjectError(name, self.object_names()) from None
