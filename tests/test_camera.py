"""Cameras: metric depth, segmentation masks and pixel <-> world conversions."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.parametrize("view", ["top", "side"])
def test_frame_shapes_and_masks_match_object_ids(world, view):
    frame = world.capture(view)
    assert frame.rgb.shape == (240, 360, 3) and frame.rgb.dtype == np.uint8
    assert frame.depth.shape == frame.segmentation.shape == (240, 360)
    masks = world.object_masks(frame)
    for name in world.object_names():
        mask = masks[name]
        assert mask.any(), name
        assert np.all(frame.segmentation[mask] == world.object_id(name))
        u, v = frame.world_to_pixel(world.object_top(name))
        assert mask[int(round(v)), int(round(u))], name


def test_pixel_to_world_inverts_world_to_pixel(world):
    frame = world.capture("top")
    for name in world.object_names():
        top = world.object_top(name)
        u, v = frame.world_to_pixel(top)
        np.testing.assert_allclose(frame.pixel_to_world(u, v, plane_z=top[2]), top, atol=1e-6)
        seen = frame.pixel_to_world(u, v)  # rendered depth: a point on the object's surface
        lo, hi = world.object_aabb(name, base_only=True)
        assert np.all(seen >= lo - 0.005) and np.all(seen <= hi + 0.005), name


def test_depth_is_metric(world):
    frame = world.capture("top")
    cam = world.views["top"]
    floor_depth = np.median(frame.depth[frame.segmentation == world.table])
    # the top camera looks straight down from ``distance`` above its target on the table
    assert floor_depth == pytest.approx(cam.distance - world.table_height, abs=0.02)


def test_bad_requests_raise_clear_errors(world):
    with pytest.raises(ValueError, match="views"):
        world.capture("ceiling")
    frame = world.capture("top")
    with pytest.raises(ValueError, match="exactly one"):
        frame.pixel_to_world(10, 10, depth=1.0, plane_z=0.0)
    with pytest.raises(ValueError, match="behind the camera"):
        frame.world_to_pixel(np.array([0.5, 0.0, 5.0]))
