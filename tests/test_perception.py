"""Perception: what the top camera (segmentation + depth) tells the interface about objects,
checked against the simulator's truth (which only the tests read)."""

from __future__ import annotations

import numpy as np
import pytest

from noir.assist import Assistant, Example
from noir.perception import (
    Perception,
    Sighting,
    anchors,
    back_project,
    footprint,
    keep_on,
    sight,
)
from sim.tasks import TASKS
from skills import get_skill

TOLERANCE = {"tabletop": 0.004, "household": 0.012}
"""Largest horizontal distance, in m, between a whole object's perceived footprint centre and
its true position: about a pixel of the top camera (4 mm on the table, 2 cm in the household)."""


def truth_yaw(world, name: str) -> float:
    """The true direction of ``name``'s longer horizontal side, in rad."""
    size = world.object_info(name).size
    return world.object_yaw(name) + (0.0 if size[0] >= size[1] else np.pi / 2)


def yaw_gap(a: float, b: float) -> float:
    """Difference of two directions modulo pi, in rad, in [0, pi/2]."""
    return abs((a - b + np.pi / 2) % np.pi - np.pi / 2)


@pytest.mark.parametrize(("task", "scale"), [
    ("cube_in_tray", "tabletop"), ("sandwich", "tabletop"), ("cut_banana", "tabletop"),
    ("hockey", "tabletop"), ("tic_tac_toe", "tabletop"), ("covid_care", "household")])
@pytest.mark.parametrize("seed", [0, 3])
def test_every_object_is_seen_where_the_simulator_has_it(task, scale, seed):
    with TASKS[task].make_world(seed) as world:
        perception = Perception()
        seen = perception.look(world)
        assert list(seen) == world.object_names()  # all in view at the start, in order
        for name, s in seen.items():
            lo, hi = world.object_aabb(name)
            truth = world.object_position(name)
            assert np.hypot(*(np.array(s.centre) - truth[:2])) < TOLERANCE[scale], name
            assert s.top == pytest.approx(hi[2], abs=0.005), name
            assert np.all(np.array(s.point) >= lo - 0.005) and np.all(
                np.array(s.point) <= hi + 0.005), name
            # the pixel centroid lies within the image of the object's bounding box
            corners = np.array([[x, y, z] for x in (lo[0], hi[0]) for y in (lo[1], hi[1])
                                for z in (lo[2], hi[2])])
            box = perception.frame.world_to_pixel(corners)
            assert np.all(box.min(axis=0) - 1 <= s.pixel) and np.all(
                s.pixel <= box.max(axis=0) + 1), name
            assert s.pixels == int(world.object_masks(perception.frame)[name].sum())


@pytest.mark.parametrize("task", ["wipe_spill", "clean_book", "cut_banana", "sandwich",
                                  "hockey", "iron_cloth"])
def test_box_like_footprints_have_the_true_yaw_and_size(task):
    checked = 0
    for seed in range(3):
        with TASKS[task].make_world(seed) as world:
            for name, s in Perception().look(world).items():
                size = world.object_info(name).size
                length, width = max(size[:2]), min(size[:2])
                if length < 1.2 * width or s.partial:
                    continue
                assert np.degrees(yaw_gap(s.yaw, truth_yaw(world, name))) < 2.0, name
                np.testing.assert_allclose(s.size, (length, width), atol=0.006, err_msg=name)
                assert -np.pi / 2 < s.yaw <= np.pi / 2 and s.size[0] >= s.size[1]
                checked += 1
    assert checked >= 3


def test_a_held_object_is_absent_and_remembered_where_it_was_picked_up():
    with TASKS["cube_in_tray"].make_world(0) as world:
        perception = Perception()
        before = perception.look(world)["cube"]
        get_skill("pick").run(world, {"object": "cube"})
        assert world.robot.held_object() == "cube"
        seen = perception.look(world, held="cube")
        assert "cube" not in seen and {"tray", "lego", "ball"} <= set(seen)
        assert perception.last("cube") == before
        # the held cube is in view under the gripper: only ``held`` keeps it out
        assert "cube" in Perception().look(world)
        # anchors: the footprints' centres on the given plane, where the camera saw them
        table = world.table_height
        held_from, tray = anchors(perception, "tray", "cube", table)
        project = perception.frame.world_to_pixel
        np.testing.assert_allclose(held_from, project(np.r_[before.centre, table]))
        np.testing.assert_allclose(tray, project(np.r_[seen["tray"].centre, table]))
        # on the plane under the cube, not at its visible top: parallax moves the centroid
        assert np.linalg.norm(np.subtract(before.pixel, held_from)) > 0.5
        # within a pixel of the cube's true place on the table (truth: the test's only)
        truth = world.world_to_pixel(np.r_[world.object_position("tray")[:2], table])
        assert np.linalg.norm(np.subtract(tray, truth)) < 1.0
        perception.forget()
        assert perception.last("cube") is None and perception.seen == {}


def test_hidden_and_out_of_view_objects_are_absent_not_guessed():
    with TASKS["cube_in_tray"].make_world(0) as world:
        x, y, _ = world.object_position("tray")
        world.set_object_pose("lego", (x, y, 0.0))
        world.set_object_pose("tray", (x, y, 0.05))  # floating over the lego (not stepped)
        world.set_object_pose("ball", (2.5, 0.0, 0.0))  # outside the top camera's view
        seen = Perception().look(world)
        assert set(seen) == {"cube", "tray"}
    with TASKS["cut_banana"].make_world(0) as world:
        world.place_on("banana", "cutting_board")  # the banana lies on the board
        world.step(30)
        seen = Perception().look(world)
        assert seen["cutting_board"].partial and not seen["banana"].partial
        assert not seen["knife"].partial


def test_objects_under_the_fewest_pixels_are_not_seen():
    with TASKS["covid_care"].make_world(0) as world:
        few = Perception().look(world)["bottle"].pixels
        assert "bottle" not in Perception(min_pixels=few + 1).look(world)
    with pytest.raises(ValueError, match="min_pixels"):
        Perception(min_pixels=0)


def test_back_projection_matches_the_cameras_pixel_to_world(world):
    frame = world.capture("top")
    mask = world.object_masks(frame)["tray"]
    points = back_project(frame, mask)
    rows, cols = np.nonzero(mask)
    for k in (0, len(rows) // 2, len(rows) - 1):
        u, v = cols[k] - 0.5, rows[k] + 0.5  # where the renderer samples (SAMPLE_AT)
        np.testing.assert_allclose(
            points[k], frame.pixel_to_world(u, v, depth=frame.depth[rows[k], cols[k]]),
            atol=1e-9)
    with pytest.raises(ValueError, match="'tray' has shape"):
        sight(frame, mask[:10], "tray")


@pytest.mark.parametrize("yaw", [0.0, 0.4, -1.2, np.pi / 2])
def test_footprint_of_a_turned_rectangle(yaw):
    grid = np.stack(np.meshgrid(np.linspace(-0.1, 0.1, 21), np.linspace(-0.03, 0.03, 7)),
                    axis=-1).reshape(-1, 2)
    c, s = np.cos(yaw), np.sin(yaw)
    xy = grid @ np.array([[c, s], [-s, c]]) + (0.5, -0.2)
    centre, found, size = footprint(xy)
    np.testing.assert_allclose(centre, (0.5, -0.2), atol=1e-9)
    np.testing.assert_allclose(size, (0.2, 0.06), atol=1e-9)
    assert yaw_gap(found, yaw) < 1e-9 and -np.pi / 2 < found <= np.pi / 2
    # points on a line, and a single point
    centre, found, size = footprint(np.array([[0.0, 0.0], [0.1, 0.1], [0.2, 0.2]]))
    np.testing.assert_allclose(centre, (0.1, 0.1), atol=1e-12)
    assert size[1] == pytest.approx(0.0, abs=1e-12) and found == pytest.approx(np.pi / 4)
    centre, _, size = footprint(np.array([[0.3, 0.4]]))
    np.testing.assert_allclose(centre, (0.3, 0.4))
    np.testing.assert_allclose(size, 0)


def test_keep_on_clamps_a_point_so_the_held_object_lies_on_the_target():
    target = Sighting("board", (0.0, 0.0), (0.5, 0.0, 0.02), 0.02, (0.5, 0.0), np.pi / 2,
                      (0.24, 0.16), 100, False)
    inside = np.array([0.52, 0.05, 0.02])
    np.testing.assert_array_equal(keep_on(inside, target, (0.06, 0.08)), inside)
    # the board's long side runs along y: 0.12 - 0.05 m (half the held diagonal) from centre
    np.testing.assert_allclose(keep_on(np.array([0.5, 0.3, 0.0]), target, (0.06, 0.08)),
                               (0.5, 0.07, 0.02), atol=1e-12)
    np.testing.assert_allclose(keep_on(np.array([0.7, 0.0, 0.0]), target, None),
                               (0.58, 0.0, 0.02), atol=1e-12)
    # too small for the held object: its centre
    np.testing.assert_allclose(keep_on(np.array([0.7, 0.3, 0.0]), target, (0.3, 0.3)),
                               (0.5, 0.0, 0.02), atol=1e-12)
    with pytest.raises(ValueError, match="3 finite"):
        keep_on(np.array([0.1, np.nan, 0.0]), target, None)


def test_keep_on_keeps_a_real_place_point_over_the_true_target():
    with TASKS["grate_cheese"].make_world(1) as world:
        perception = Perception()
        perception.look(world)
        get_skill("pick").run(world, {"object": "cheese"})
        plate = perception.look(world, held="cheese")["plate"]
        held = perception.last("cheese").size
        true_size = world.object_info("cheese").size
        margin = np.hypot(*true_size[:2]) / 2
        centre, yaw = world.object_position("plate"), world.object_yaw("plate")
        half = np.array(world.object_info("plate").size[:2]) / 2
        for dx, dy in [(0.2, 0.0), (-0.1, 0.15), (0.0, -0.3), (0.01, 0.0)]:
            point = keep_on(np.array([centre[0] + dx, centre[1] + dy, 0.0]), plate, held)
            c, s = np.cos(yaw), np.sin(yaw)
            d = point[:2] - centre[:2]
            local = np.array([c * d[0] + s * d[1], -s * d[0] + c * d[1]])
            assert np.all(np.abs(local) <= half - margin + 0.004), (dx, dy)
            if (dx, dy) != (0.01, 0.0):
                assert point[2] == pytest.approx(world.object_top("plate")[2], abs=0.003)


def test_the_assistant_puts_back_where_the_camera_saw_the_object_picked_up():
    """Anchors from sightings: a put-back point learned on one layout follows the object to
    where it is seen on another."""
    model = Assistant()
    for seed, learn in ((0, True), (2, False)):
        with TASKS["cook_pasta"].make_world(seed) as world:
            perception = Perception()
            perception.look(world)
            top = perception.frame.rgb
            # where the ladle stands on the table, in the top view (truth: the test's only)
            table = world.table_height
            truth = world.world_to_pixel(np.r_[world.object_position("ladle")[:2], table])
            get_skill("pick").run(world, {"object": "ladle"})
            perception.look(world, held="ladle")
            held_from, _ = anchors(perception, "pot", "ladle", table)
            if learn:  # the person put the ladle back, the cursor stopped 3 px right of it
                model.learn([Example(top, "ladle", "pick"),
                             Example(top, "ladle", "place", (truth[0] + 3.0, truth[1]),
                                     held_from_px=held_from)])
                continue
            predicted = model.predict_point("ladle", "place", top, held_from_px=held_from)
            assert predicted.similarity == 1.0
            assert np.linalg.norm(np.subtract(predicted.top_px, truth)) < 2.0
