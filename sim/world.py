"""A PyBullet world that owns its own physics client (no global state).

Several ``World`` objects may live in one process; each has its own
``pybullet_utils.bullet_client.BulletClient`` (DIRECT by default, GUI on request).

``World`` is the project's façade over the engine (with ``sim.camera``; the robots in
``sim.arm``, ``sim.panda`` and ``sim.tiago`` drive their own joints): one registry of named
bodies, looked up by name or by body id, and the object queries of a ``skills.robot.Scene``
(``object_aabb``, ``object_position``, ``object_top``, ``object_yaw``, ``object_pose``,
``object_velocity``) for the registered objects. Code outside ``sim/`` goes through it and
never calls PyBullet.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from types import TracebackType

import numpy as np
import pybullet_data

from sim._quiet import BulletClient, pybullet, quiet_native_output
from sim.camera import (
    CameraView,
    Frame,
    LinkCamera,
    metric_depth,
    pixel_to_world,
    projection_matrix,
    world_to_pixel,
)
from skills.base import ObjectInfo, UnknownObjectError

DEFAULT_VIEWS: dict[str, CameraView | LinkCamera] = {
    "top": CameraView((0.5, 0.0, 0.0), 0.9, 90.0, -89.9),
    "side": CameraView((0.5, 0.0, 0.1), 1.1, 0.0, -25.0),
}
"""Cameras every world starts with: straight down on the workspace, and from the front."""
PYBULLET_API_VERSION: int = pybullet.getAPIVersion()
"""The physics engine's API version (PyBullet's ``getAPIVersion``, a date yyyymmdd plus a digit)."""


class World:
    """A physics world with a fixed time step of 1/240 s.

    Parameters
    ----------
    gui : bool
        Open the PyBullet GUI instead of running headless (DIRECT).
    seed : int
        Seed of ``self.rng``, the generator for every random choice made by this world.

    Attributes
    ----------
    client : BulletClient
        This world's own physics client.
    views : dict of str to CameraView or LinkCamera
        Named cameras for ``capture``/``render``/``segmentation``; add more per world.

    Notes
    -----
    Bodies are registered by name (``register``): a robot or a fixed prop by name alone, an
    object of the scene with its ``ObjectInfo``. ``body_id``/``body_name`` look up any named
    body; ``object_names`` and the ``object_*`` queries see only the objects, and an unknown
    object name raises ``UnknownObjectError`` listing them.
    """

    timestep: float = 1.0 / 240.0

    def __init__(self, *, gui: bool = False, seed: int = 0) -> None:
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        with quiet_native_output():
            self.client = BulletClient(connection_mode=pybullet.GUI if gui else pybullet.DIRECT)
        self.client.setAdditionalSearchPath(pybullet_data.getDataPath())
        self.client.setTimeStep(self.timestep)
        self.client.setGravity(0.0, 0.0, -9.81)
        self.views = dict(DEFAULT_VIEWS)
        self._steps = 0
        self._saved_steps: dict[int, int] = {}
        self._bodies: dict[str, int] = {}  # every named body: name -> body id, in order named
        self._names: dict[int, str] = {}  # the same registry by body id
        self._infos: dict[str, ObjectInfo] = {}  # the named bodies that are objects

    @property
    def sim_time(self) -> float:
        """Simulated time since creation (or of the restored state), in s."""
        return self._steps * self.timestep

    def step(self, n: int = 1) -> None:
        """Advance the physics by ``n`` steps of ``timestep`` s."""
        for _ in range(n):
            self.client.stepSimulation()
        self._steps += n

    def save_state(self) -> int:
        """Snapshot the physics state and clock in memory; return its id."""
        state = self.client.saveState()
        self._saved_steps[state] = self._steps
        return state

    def restore_state(self, state: int) -> None:
        """Return to a snapshot taken by ``save_state`` (bodies must not have been added since)."""
        if state not in self._saved_steps:
            raise ValueError(f"no saved state {state}; saved states: {sorted(self._saved_steps)}")
        self.client.restoreState(stateId=state)
        self._steps = self._saved_steps[state]

    def load_urdf(
        self,
        file: str,
        position: Sequence[float] = (0.0, 0.0, 0.0),
        orientation: Sequence[float] = (0.0, 0.0, 0.0, 1.0),
        *,
        name: str | None = None,
        fixed: bool = False,
        scale: float = 1.0,
    ) -> int:
        """Load a URDF (path relative to ``pybullet_data`` or absolute) and return its body id.

        ``position`` (3,) m and ``orientation`` quaternion (x, y, z, w) place the base; ``name``
        registers the body for ``body_id``/``body_name``.
        """
        try:
            body = self.client.loadURDF(
                file, position, orientation, useFixedBase=fixed, globalScaling=scale
            )
        except pybullet.error as err:
            raise FileNotFoundError(
                f"cannot load URDF {file!r} (looked in the working directory and in "
                f"pybullet_data at {pybullet_data.getDataPath()!r})"
            ) from err
        if name is not None:
            self.register(name, body)
        return body

    # -- the body registry ----------------------------------------------------------------
    def register(self, name: str, body: int, info: ObjectInfo | None = None) -> None:
        """Name body id ``body`` ``name``; with ``info`` it is one of the scene's objects."""
        if name in self._bodies:
            raise ValueError(f"a body is already named {name!r} (body id {self._bodies[name]})")
        self._bodies[name] = body
        self._names[body] = name
        if info is not None:
            self._infos[name] = info

    def unregister(self, name: str) -> int:
        """Forget the body named ``name`` (before removing it); return its body id."""
        body = self.body_id(name)
        del self._bodies[name], self._names[body]
        self._infos.pop(name, None)
        return body

    def body_id(self, name: str) -> int:
        """Body id of the body registered as ``name``."""
        try:
            return self._bodies[name]
        except KeyError:
            raise KeyError(
                f"no body named {name!r}; named bodies: {sorted(self._bodies)}") from None

    def body_name(self, body: int) -> str | None:
        """Name registered for body id ``body``, or None."""
        return self._names.get(body)

    # -- objects ----------------------------------------------------------------------------
    def object_names(self) -> list[str]:
        """Names of the objects (robot and props excluded), in the order they were registered."""
        return [name for name in self._bodies if name in self._infos]

    def object_info(self, name: str) -> ObjectInfo:
        """Static description of ``name``; ``UnknownObjectError`` lists the known names."""
        self.object_id(name)
        return self._infos[name]

    def object_id(self, name: str) -> int:
        """PyBullet body id of object ``name``; ``UnknownObjectError`` lists the known names."""
        if name not in self._infos:
            raise UnknownObjectError(name, self.object_names())
        return self._bodies[name]

    def object_aabb(self, name: str, *, base_only: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """Low and high corners (3,) m of the bounding box of every link of ``name`` (of its
        base link alone with ``base_only``)."""
        body = self.object_id(name)
        if base_only:
            lo, hi = self.client.getAABB(body)
            return np.array(lo), np.array(hi)
        boxes = [self.client.getAABB(body, link)
                 for link in range(-1, self.client.getNumJoints(body))]
        return (np.min([b[0] for b in boxes], axis=0), np.max([b[1] for b in boxes], axis=0))

    def object_position(self, name: str) -> np.ndarray:
        """Centre of the bounding box of the base link, shape (3,), in m."""
        lo, hi = self.object_aabb(name, base_only=True)
        return (lo + hi) / 2

    def object_top(self, name: str) -> np.ndarray:
        """Centre of the top face of the base link's bounding box (a container's opening),
        shape (3,), in m."""
        lo, hi = self.object_aabb(name, base_only=True)
        return np.array([(lo[0] + hi[0]) / 2, (lo[1] + hi[1]) / 2, hi[2]])

    def object_yaw(self, name: str) -> float:
        """Rotation about the vertical axis, in rad."""
        quat = self.client.getBasePositionAndOrientation(self.object_id(name))[1]
        return float(self.client.getEulerFromQuaternion(quat)[2])

    def object_pose(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """Base frame of ``name``: position (3,) m and quaternion (x, y, z, w) (4,)."""
        pos, quat = self.client.getBasePositionAndOrientation(self.object_id(name))
        return np.array(pos), np.array(quat)

    def part_position(self, name: str, part: str) -> np.ndarray:
        """Where part ``part`` of ``name`` (``ObjectInfo.part``) is now, shape (3,), in m."""
        pos, quat = self.object_pose(name)
        return np.array(self.client.multiplyTransforms(
            pos, quat, self.object_info(name).part(part), (0, 0, 0, 1))[0])

    def tilt(self, name: str) -> float:
        """Angle between ``name``'s vertical axis and the world's, in rad."""
        up = np.array(self.client.getMatrixFromQuaternion(self.object_pose(name)[1]))
        return math.acos(float(np.clip(up.reshape(3, 3)[2, 2], -1.0, 1.0)))

    def object_velocity(self, name: str) -> np.ndarray:
        """Linear velocity of the object, shape (3,), in m/s."""
        return np.array(self.client.getBaseVelocity(self.object_id(name))[0])

    def object_state(self, name: str) -> dict[str, float]:
        """What was done to ``name``; a plain world keeps no such state (empty)."""
        self.object_id(name)
        return {}

    def set_object_pose(self, name: str, position: Sequence[float], yaw: float = 0.0, *,
                        stop: bool = False) -> None:
        """Teleport object ``name``: its base frame to ``position`` (3,) m, upright and turned
        ``yaw`` rad about the vertical; ``stop`` also zeroes its velocity."""
        body = self.object_id(name)
        quat = self.client.getQuaternionFromEuler((0.0, 0.0, yaw))
        self.client.resetBasePositionAndOrientation(body, position, quat)
        if stop:
            self.client.resetBaseVelocity(body, (0.0, 0.0, 0.0), (0.0, 0.0, 0.0))

    # -- building bodies ----------------------------------------------------------------------
    def box_shapes(self, half: Sequence[Sequence[float]], centres: Sequence[Sequence[float]],
                   rgba: Sequence[Sequence[float]]) -> tuple[int, int]:
        """Collision and visual shape arrays of n boxes for ``client.createMultiBody``.

        ``half`` (n, 3) half sizes and ``centres`` (n, 3) in the body frame, in m; ``rgba``
        (n, 4) colours in [0, 1].
        """
        col = self.client.createCollisionShapeArray(
            [pybullet.GEOM_BOX] * len(half), halfExtents=half, collisionFramePositions=centres)
        vis = self.client.createVisualShapeArray(
            [pybullet.GEOM_BOX] * len(half), halfExtents=half, visualFramePositions=centres,
            rgbaColors=rgba)
        return col, vis

    def camera_matrices(
        self, view: str = "top", width: int = 360, height: int = 240
    ) -> tuple[np.ndarray, np.ndarray]:
        """World-to-camera and projection matrices of camera ``view`` now, each shape (4, 4)."""
        if view not in self.views:
            raise ValueError(f"unknown view {view!r}; views: {sorted(self.views)}")
        cam = self.views[view]
        proj = projection_matrix(cam.fov, width, height, cam.near, cam.far)
        return cam.view_matrix(self.client), proj

    def capture(self, view: str = "top", width: int = 360, height: int = 240) -> Frame:
        """Render camera ``view`` (tiny renderer): RGB, metric depth and segmentation.

        The returned ``Frame`` also converts between its pixels and world points.
        """
        viewm, proj = self.camera_matrices(view, width, height)
        cam = self.views[view]
        _, _, rgba, zbuf, seg = self._camera_image(viewm, proj, width, height)
        rgba = np.asarray(rgba, dtype=np.uint8).reshape(height, width, 4)
        depth = metric_depth(np.reshape(zbuf, (height, width)), cam.near, cam.far)
        seg = np.asarray(seg, dtype=np.int32).reshape(height, width)
        return Frame(rgba[:, :, :3].copy(), depth, seg, viewm, proj)

    def camera_image(
        self, view: str = "top", width: int = 360, height: int = 240, *,
        shadow: bool | None = None, segmentation: bool = True,
    ) -> tuple:
        """PyBullet's ``getCameraImage`` of camera ``view`` (tiny renderer), as it returns it:
        width, height, then RGBA, z-buffer and segmentation as flat sequences.

        For timing the renderer's options: ``shadow`` None keeps PyBullet's default;
        ``segmentation=False`` skips the segmentation mask. ``capture`` converts the same call.
        """
        options: dict[str, int] = {}
        if shadow is not None:
            options["shadow"] = int(shadow)
        if not segmentation:
            options["flags"] = pybullet.ER_NO_SEGMENTATION_MASK
        return self._camera_image(*self.camera_matrices(view, width, height), width, height,
                                  **options)

    def _camera_image(self, viewm: np.ndarray, proj: np.ndarray, width: int, height: int,
                      **options: int) -> tuple:
        return self.client.getCameraImage(
            width, height, viewm.T.ravel(), proj.T.ravel(),
            renderer=pybullet.ER_TINY_RENDERER, **options,
        )

    def render(self, view: str = "top", width: int = 360, height: int = 240) -> np.ndarray:
        """RGB image from camera ``view`` (see ``views``), shape (height, width, 3), uint8."""
        return self.capture(view, width, height).rgb

    def segmentation(self, view: str = "top", width: int = 360, height: int = 240) -> np.ndarray:
        """Body id seen at each pixel (-1 for background), shape (height, width), int32."""
        return self.capture(view, width, height).segmentation

    def object_masks(self, frame: Frame) -> dict[str, np.ndarray]:
        """Boolean mask, shape (height, width), of every named body in ``frame``, by name."""
        return {name: frame.segmentation == body for name, body in self._bodies.items()}

    def pixel_to_world(
        self,
        u: float,
        v: float,
        view: str = "top",
        *,
        depth: float | None = None,
        plane_z: float | None = None,
        width: int = 360,
        height: int = 240,
    ) -> np.ndarray:
        """World point, shape (3,), in m, seen at pixel (``u``, ``v``) of camera ``view``.

        Give ``depth`` (m along the optical axis) or ``plane_z`` (m, a horizontal plane); with
        neither, the camera renders and the depth at that pixel is used.
        """
        if depth is None and plane_z is None:
            return self.capture(view, width, height).pixel_to_world(u, v)
        viewm, proj = self.camera_matrices(view, width, height)
        return pixel_to_world(u, v, viewm, proj, width, height, depth=depth, plane_z=plane_z)

    def world_to_pixel(
        self, xyz: np.ndarray, view: str = "top", width: int = 360, height: int = 240
    ) -> np.ndarray:
        """Pixel coordinates ``(u, v)``, shape (2,) or (n, 2), of world points ``xyz`` in m."""
        return world_to_pixel(xyz, *self.camera_matrices(view, width, height), width, height)

    def close(self) -> None:
        """Disconnect the physics client; the world is unusable afterwards."""
        if self.client.isConnected():
            self.client.disconnect()

    def __enter__(self) -> World:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
