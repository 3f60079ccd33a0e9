"""What the interface knows of the objects: what the top camera sees of them.

The interface never asks the simulator where an object is. It looks: one frame of the top camera
(``sim.camera.Frame``: RGB, metric depth, segmentation, view and projection matrices) gives, for
every object whose pixels are in the image, a :class:`Sighting`: where its visible pixels are in
the image, the 3-D points under them (depth back-projected through the camera), how high its top
is and the oriented rectangle its points cover on the table (centre, yaw, size). The cursor's
start, the assistant's anchors (where a held object was picked up, an object's position for a
stance on the floor) and the rectangle a placed object is kept on all come from sightings.

What is still idealised: the segmentation labels are exact (the renderer's body ids, given by
``World.object_masks``: perfect instance segmentation with known names, no missed or merged
objects), and the depth is the renderer's, noiseless and with no holes. The rest is what a real
RGB-D camera with a segmenter would allow: only the visible part of an object is measured, so an
object partly hidden (behind the arm, under another object, at the image edge) is measured from
what shows, and one wholly hidden, held in the gripper or outside the image is not seen at all.

Objects not seen are absent from what :meth:`Perception.look` returns, never guessed; a caller
that needs one then has nothing to start from (the cursor starts at the image centre, the
assistant makes no anchored prediction), or uses :meth:`Perception.last`, the latest sighting
from an earlier look (where a held object was picked up).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from scipy.spatial import ConvexHull, QhullError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sim.camera import Frame
    from sim.world import World

MIN_PIXELS = 4
"""Fewest visible pixels of an object for it to be seen (fewer: too little to place it)."""
SAMPLE_AT = (-0.5, 0.5)
"""Where, in ``sim.camera``'s pixel convention, the renderer's sample of ``image[i, j]`` lies:
at (u, v) = (j - 0.5, i + 0.5). PyBullet's tiny renderer samples at pixel corners (integer
screen coordinates, rows flipped); without this every position comes out 2 mm off (half a
pixel towards +u, -v). A fixed property of the camera, like a calibrated principal point."""
NEARER = 0.01
"""Depth, in m, by which a neighbouring pixel of another body must be nearer the camera for an
object's edge there to count as hidden behind it."""


@dataclass(frozen=True)
class Sighting:
    """One object as one camera frame shows it.

    Attributes
    ----------
    name : str
        The object's name (from the segmentation).
    pixel : tuple of float
        Centroid (u, v) of the object's visible pixels, in ``sim.camera``'s pixel convention
        (what ``Frame.world_to_pixel`` gives; ``SAMPLE_AT``).
    point : tuple of float, shape (3,)
        Median of the 3-D points seen at those pixels (rendered depth, back-projected), in m:
        a point on the object's visible surface.
    top : float
        Height of the highest point seen on the object, in m.
    centre : tuple of float, shape (2,)
        Centre (x, y), in m, of the smallest rectangle on the table that holds every point seen
        on the object (its footprint as seen from above).
    yaw : float
        Direction of that rectangle's longer side, in rad in (-pi/2, pi/2].
    size : tuple of float, shape (2,)
        The rectangle's length and width (length >= width), in m.
    pixels : int
        Number of visible pixels.
    partial : bool
        Part of the object may be hidden: its mask borders a nearer body or the image edge, so
        ``pixel``, ``point`` and the footprint are those of the part in view.
    """

    name: str
    pixel: tuple[float, float]
    point: tuple[float, float, float]
    top: float
    centre: tuple[float, float]
    yaw: float
    size: tuple[float, float]
    pixels: int
    partial: bool


def back_project(frame: Frame, mask: np.ndarray) -> np.ndarray:
    """The 3-D points seen at the pixels of ``mask`` (shape (height, width), bool) through the
    frame's rendered depth, shape (n, 3), in m, in row-major pixel order.

    The same mapping as ``Frame.pixel_to_world(u, v, depth=...)`` at each pixel's sample point
    (``SAMPLE_AT``), for many pixels.
    """
    rows, cols = np.nonzero(mask)
    u, v = cols + SAMPLE_AT[0], rows + SAMPLE_AT[1]
    ndc_x = 2 * (u + 0.5) / frame.width - 1
    ndc_y = 1 - 2 * (v + 0.5) / frame.height
    depth = frame.depth[rows, cols]
    ray = np.stack([ndc_x / frame.projection[0, 0], ndc_y / frame.projection[1, 1],
                    -np.ones_like(ndc_x)], axis=1)
    cam_to_world = np.linalg.inv(frame.view)
    return (ray * depth[:, None]) @ cam_to_world[:3, :3].T + cam_to_world[:3, 3]


def footprint(xy: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """Smallest-area rectangle holding the points ``xy`` (n, 2), m: centre (2,), yaw of the
    longer side in (-pi/2, pi/2] rad, size (2,) (length >= width) in m.

    Found over the directions of the convex hull's edges (the best rectangle has a side along
    one); points all on a line (or one point) give a rectangle of width 0 along it.
    """
    try:
        corners = xy[ConvexHull(xy).vertices]
    except (QhullError, ValueError):  # fewer than 3 points, or all on a line
        corners = xy
    edges = np.diff(np.vstack([corners, corners[:1]]), axis=0)
    angles = np.unique(np.mod(np.arctan2(edges[:, 1], edges[:, 0]), np.pi / 2))
    best = None
    for a in angles:
        c, s = np.cos(a), np.sin(a)
        local = corners @ np.array([[c, -s], [s, c]])  # coordinates along (c, s) and (-s, c)
        lo, hi = local.min(axis=0), local.max(axis=0)
        area = float(np.prod(hi - lo))
        if best is None or area < best[0] - 1e-12:
            best = area, a, lo, hi
    _, a, lo, hi = best
    c, s = np.cos(a), np.sin(a)
    mid = (lo + hi) / 2
    centre = np.array([c * mid[0] - s * mid[1], s * mid[0] + c * mid[1]])
    size = hi - lo
    if size[1] > size[0]:
        a, size = a + np.pi / 2, size[::-1]
    yaw = float(np.mod(a + np.pi / 2, np.pi) - np.pi / 2)
    if yaw == -np.pi / 2:
        yaw = np.pi / 2
    return centre, yaw, size


def sight(frame: Frame, mask: np.ndarray, name: str, min_pixels: int = MIN_PIXELS
          ) -> Sighting | None:
    """What ``frame`` shows of the object whose pixels are ``mask`` (shape (height, width),
    bool); None if fewer than ``min_pixels`` pixels of it are visible."""
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != frame.depth.shape:
        raise ValueError(f"the mask of {name!r} has shape {mask.shape}; the frame's is "
                         f"{frame.depth.shape}")
    pixels = int(mask.sum())
    if pixels < max(min_pixels, 1):
        return None
    rows, cols = np.nonzero(mask)
    points = back_project(frame, mask)
    centre, yaw, size = footprint(points[:, :2])
    return Sighting(
        name=name,
        pixel=(float(cols.mean() + SAMPLE_AT[0]), float(rows.mean() + SAMPLE_AT[1])),
        point=tuple(float(p) for p in np.median(points, axis=0)),
        top=float(points[:, 2].max()),
        centre=(float(centre[0]), float(centre[1])),
        yaw=yaw,
        size=(float(size[0]), float(size[1])),
        pixels=pixels,
        partial=_partial(frame, mask),
    )


def _partial(frame: Frame, mask: np.ndarray) -> bool:
    """Whether ``mask`` touches the image edge or a pixel of another body nearer the camera."""
    if mask[0].any() or mask[-1].any() or mask[:, 0].any() or mask[:, -1].any():
        return True
    depth, seg = frame.depth, frame.segmentation
    for shift in ((0, 1), (0, -1), (1, 0), (-1, 0)):
        near = np.roll(mask, shift, axis=(0, 1))  # pixels next to the object ...
        other = near & ~mask & (seg != -1)  # ... of another body ...
        nearer = np.roll(depth, shift, axis=(0, 1)) - depth > NEARER  # ... nearer the camera
        if np.any(other & nearer):
            return True
    return False


def sightings(frame: Frame, masks: Mapping[str, np.ndarray], min_pixels: int = MIN_PIXELS
              ) -> dict[str, Sighting]:
    """The sighting of every object of ``masks`` (name -> mask, shape (height, width), bool)
    that ``frame`` shows in at least ``min_pixels`` pixels, by name, in the order of ``masks``."""
    seen = {name: sight(frame, mask, name, min_pixels) for name, mask in masks.items()}
    return {name: s for name, s in seen.items() if s is not None}


class Perception:
    """The interface's eyes: the latest sightings of the objects from one camera.

    Parameters
    ----------
    view : str
        The world's camera to look through (``World.views``).
    min_pixels : int
        Fewest visible pixels of an object for it to be seen.

    Attributes
    ----------
    frame : Frame or None
        The frame of the latest ``look`` (its ``rgb`` is the scene the assistant sees).
    seen : dict of str to Sighting
        What the latest ``look`` returned.
    """

    def __init__(self, view: str = "top", min_pixels: int = MIN_PIXELS) -> None:
        if isinstance(min_pixels, bool) or not isinstance(min_pixels, int) or min_pixels < 1:
            raise ValueError(f"min_pixels must be a whole number >= 1, got {min_pixels!r}")
        self.view = view
        self.min_pixels = min_pixels
        self.frame: Frame | None = None
        self.seen: dict[str, Sighting] = {}
        self._last: dict[str, Sighting] = {}

    def look(self, world: World, held: str | None = None) -> dict[str, Sighting]:
        """Capture the camera and see the objects: their sightings by name, those not seen
        (wholly hidden, outside the image) absent.

        ``held`` names the object in the gripper (the robot's own state, not the simulator's
        poses): it is not on the table, so it is not reported (its ``last`` sighting stays the
        one from before it was picked up). Only ``World.capture`` and ``World.object_masks``
        (segmentation) and the objects' names are used, never their poses.
        """
        frame = world.capture(self.view)
        masks = world.object_masks(frame)
        names = [n for n in world.object_names() if n != held]
        seen = sightings(frame, {n: masks[n] for n in names}, self.min_pixels)
        self.frame, self.seen = frame, seen
        self._last.update(seen)
        return seen

    def last(self, name: str) -> Sighting | None:
        """The latest sighting of ``name`` in any look since the last ``forget`` (None: never
        seen): for a held object, where it was before it was picked up."""
        return self._last.get(name)

    def forget(self) -> None:
        """Drop every sighting (a new attempt starts from a reset world)."""
        self._last.clear()
        self.frame, self.seen = None, {}


def keep_on(point: np.ndarray, target: Sighting, held_size: tuple[float, float] | None
            ) -> np.ndarray:
    """``point`` (3,) m moved, if need be, to where a held object of footprint ``held_size``
    (length, width in m, from its sighting before it was picked up; None: a point) lies wholly
    over ``target``'s footprint, turned any way (at the footprint's centre when it is too small
    for that); a moved point gets ``target.top`` as its height.

    The perceived counterpart of keeping a ``place`` point on the object it is put on: only the
    two sightings are used.
    """
    point = np.asarray(point, dtype=float)
    if point.shape != (3,) or not np.all(np.isfinite(point)):
        raise ValueError(f"point must be 3 finite coordinates in m, got {point.tolist()}")
    margin = float(np.hypot(*held_size)) / 2 if held_size is not None else 0.0
    c, s = np.cos(target.yaw), np.sin(target.yaw)
    dx, dy = point[:2] - np.asarray(target.centre)
    local = np.array([c * dx + s * dy, -s * dx + c * dy])
    half = np.maximum(np.asarray(target.size) / 2 - margin, 0.0)
    inside = np.clip(local, -half, half)
    if np.array_equal(inside, local):
        return point
    x, y = np.asarray(target.centre) + [c * inside[0] - s * inside[1],
                                        s * inside[0] + c * inside[1]]
    return np.array([x, y, target.top])


def anchors(perception: Perception, obj: str, held: str | None, z: float
            ) -> tuple[tuple[float, float] | None, tuple[float, float] | None]:
    """What the camera saw for ``noir.assist.Assistant.predict_point`` and ``Example``: where
    ``held`` (the object in the gripper, or None) stood in its last sighting before it was
    picked up, and where ``obj`` stands in ``perception``'s latest look, each as the top-view
    pixel (u, v) of its footprint's centre on the plane at height ``z`` m (the plane the
    skill's point lies on); None for one not seen.

    On the point's own plane, not at the centroid of the visible pixels (which sits on the
    object's top, shifted by the parallax of its height): a point the person chose there keeps
    the same pixel offset from the anchor wherever the object stands.
    """
    def on_plane(sighting: Sighting | None) -> tuple[float, float] | None:
        if sighting is None:
            return None
        u, v = perception.frame.world_to_pixel(np.array([*sighting.centre, z]))
        return float(u), float(v)

    return on_plane(perception.last(held) if held is not None else None), \
        on_plane(perception.seen.get(obj))
