"""Cameras: where they look from, their matrices, and pixel <-> world conversions.

Conventions
-----------
Pixel coordinates ``(u, v)`` are continuous: ``u`` runs along a row (left to right), ``v`` down
the columns (top to bottom), and the centre of pixel ``image[i, j]`` is at ``(u, v) = (j, i)``.
Matrices are 4×4 numpy arrays acting on column vectors (PyBullet's flat, column-major lists
transposed). Depth is metric: the distance in m from the camera plane along the optical axis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from pybullet_utils.bullet_client import BulletClient


@dataclass(frozen=True)
class CameraView:
    """A fixed camera looking at ``target`` (3,) m from ``distance`` m, ``yaw``/``pitch`` in deg.

    ``fov`` is the vertical field of view in deg; ``near``/``far`` clip depth, in m.
    """

    target: tuple[float, float, float]
    distance: float
    yaw: float
    pitch: float
    fov: float = 60.0
    near: float = 0.01
    far: float = 5.0

    def view_matrix(self, client: BulletClient) -> np.ndarray:
        """World-to-camera matrix, shape (4, 4)."""
        flat = client.computeViewMatrixFromYawPitchRoll(
            self.target, self.distance, self.yaw, self.pitch, 0.0, 2
        )
        return np.asarray(flat, dtype=float).reshape(4, 4).T


@dataclass(frozen=True)
class LinkCamera:
    """A camera mounted on a robot link (e.g. TIAGo's head), moving with it.

    The camera looks along the link's +x axis with +z up (the ROS body-frame convention).

    Attributes
    ----------
    body, link : int
        PyBullet body id and link index of the mount.
    fov : float
        Vertical field of view, in deg.
    near, far : float
        Depth clipping planes, in m.
    """

    body: int
    link: int
    fov: float = 58.0
    near: float = 0.05
    far: float = 8.0

    def view_matrix(self, client: BulletClient) -> np.ndarray:
        """World-to-camera matrix from the link's current pose, shape (4, 4)."""
        state = client.getLinkState(self.body, self.link, computeForwardKinematics=True)
        eye = np.asarray(state[4])
        rot = np.asarray(client.getMatrixFromQuaternion(state[5])).reshape(3, 3)
        flat = client.computeViewMatrix(eye, eye + rot[:, 0], rot[:, 2])
        return np.asarray(flat, dtype=float).reshape(4, 4).T


def projection_matrix(fov: float, width: int, height: int, near: float, far: float) -> np.ndarray:
    """OpenGL perspective projection, shape (4, 4), for a vertical ``fov`` in deg.

    Same matrix as PyBullet's ``computeProjectionMatrixFOV(fov, width / height, near, far)``.
    """
    f = 1.0 / np.tan(np.radians(fov) / 2)
    aspect = width / height
    return np.array([
        [f / aspect, 0.0, 0.0, 0.0],
        [0.0, f, 0.0, 0.0],
        [0.0, 0.0, (far + near) / (near - far), 2 * far * near / (near - far)],
        [0.0, 0.0, -1.0, 0.0],
    ])


def metric_depth(zbuffer: np.ndarray, near: float, far: float) -> np.ndarray:
    """Convert an OpenGL depth buffer in [0, 1] to depth along the optical axis, in m."""
    zbuffer = np.asarray(zbuffer, dtype=float)
    return far * near / (far - (far - near) * zbuffer)


@dataclass(frozen=True)
class Frame:
    """One rendered camera frame and the geometry needed to go between pixels and the world.

    Attributes
    ----------
    rgb : ndarray, shape (height, width, 3), uint8
    depth : ndarray, shape (height, width), float
        Depth along the optical axis, in m (``far`` where nothing was hit).
    segmentation : ndarray, shape (height, width), int32
        Body id seen at each pixel, -1 for background.
    view : ndarray, shape (4, 4)
        World-to-camera matrix.
    projection : ndarray, shape (4, 4)
        Camera-to-clip matrix.
    """

    rgb: np.ndarray
    depth: np.ndarray
    segmentation: np.ndarray
    view: np.ndarray
    projection: np.ndarray

    @property
    def width(self) -> int:
        """Image width, in pixels."""
        return int(self.rgb.shape[1])

    @property
    def height(self) -> int:
        """Image height, in pixels."""
        return int(self.rgb.shape[0])

    def world_to_pixel(self, xyz: np.ndarray) -> np.ndarray:
        """Project world points to pixel coordinates; see ``world_to_pixel``."""
        return world_to_pixel(xyz, self.view, self.projection, self.width, self.height)

    def pixel_to_world(
        self, u: float, v: float, *, depth: float | None = None, plane_z: float | None = None
    ) -> np.ndarray:
        """Back-project a pixel; without ``depth`` or ``plane_z`` the rendered depth is used."""
        if depth is None and plane_z is None:
            row = int(np.clip(round(v), 0, self.height - 1))
            col = int(np.clip(round(u), 0, self.width - 1))
            depth = float(self.depth[row, col])
        return pixel_to_world(
            u, v, self.view, self.projection, self.width, self.height,
            depth=depth, plane_z=plane_z,
        )


def world_to_pixel(
    xyz: np.ndarray, view: np.ndarray, projection: np.ndarray, width: int, height: int
) -> np.ndarray:
    """Project world points into an image.

    Parameters
    ----------
    xyz : array_like, shape (3,) or (n, 3)
        Points in the world frame, in m.
    view, projection : ndarray, shape (4, 4)
        World-to-camera and camera-to-clip matrices.
    width, height : int
        Image size, in pixels.

    Returns
    -------
    ndarray, shape (2,) or (n, 2)
        ``(u, v)`` pixel coordinates (may lie outside the image).

    Raises
    ------
    ValueError
        A point is behind the camera.
    """
    pts = np.atleast_2d(np.asarray(xyz, dtype=float))
    if pts.shape[1] != 3:
        raise ValueError(f"world_to_pixel expects points of shape (3,) or (n, 3), got {pts.shape}")
    clip = (projection @ view @ np.c_[pts, np.ones(len(pts))].T).T
    if np.any(clip[:, 3] <= 0):
        raise ValueError(f"point(s) {pts[clip[:, 3] <= 0].tolist()} m are behind the camera")
    ndc = clip[:, :2] / clip[:, 3:4]
    uv = np.c_[(ndc[:, 0] + 1) * width / 2 - 0.5, (1 - ndc[:, 1]) * height / 2 - 0.5]
    return uv[0] if np.ndim(xyz) == 1 else uv


def pixel_to_world(
    u: float,
    v: float,
    view: np.ndarray,
    projection: np.ndarray,
    width: int,
    height: int,
    *,
    depth: float | None = None,
    plane_z: float | None = None,
) -> np.ndarray:
    """Back-project pixel ``(u, v)`` to a world point, shape (3,), in m.

    Give exactly one of ``depth`` (m along the optical axis, e.g. from ``Frame.depth``) or
    ``plane_z`` (intersect the pixel's ray with the horizontal plane ``z = plane_z`` m).

    Raises
    ------
    ValueError
        Neither or both of ``depth``/``plane_z``; or the ray never meets the plane in front of
        the camera.
    """
    if (depth is None) == (plane_z is None):
        raise ValueError("pixel_to_world needs exactly one of depth (m) or plane_z (m)")
    ndc_x = 2 * (u + 0.5) / width - 1
    ndc_y = 1 - 2 * (v + 0.5) / height
    ray_cam = np.array([ndc_x / projection[0, 0], ndc_y / projection[1, 1], -1.0])
    cam_to_world = np.linalg.inv(view)
    origin = cam_to_world[:3, 3]
    if depth is not None:
        return cam_to_world[:3, :3] @ (ray_cam * depth) + origin
    direction = cam_to_world[:3, :3] @ ray_cam
    if abs(direction[2]) < 1e-9:
        raise ValueError(f"pixel ({u}, {v}) looks parallel to the plane z = {plane_z} m")
    t = (plane_z - origin[2]) / direction[2]
    if t <= 0:
        raise ValueError(f"the plane z = {plane_z} m is behind the camera at pixel ({u}, {v})")
    return origin + t * direction
