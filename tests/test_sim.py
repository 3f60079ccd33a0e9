"""World, Panda and tabletop scene: independence, save/restore, rendering, layout, errors,
the body registry and the object queries."""

from __future__ import annotations

import numpy as np
import pytest

from sim.household import HouseholdWorld
from sim.objects import CATALOGUE
from sim.tabletop import WORKSPACE, TabletopWorld
from sim.world import World
from skills import ExecutionFailure, ObjectInfo, Pick, PlanningFailure, UnknownObjectError


def positions(world: TabletopWorld) -> np.ndarray:
    return np.array([world.object_position(n) for n in world.object_names()])


def test_clock_advances_by_the_fixed_timestep():
    with World() as world:
        assert world.sim_time == 0.0
        world.step(240)
        assert world.sim_time == pytest.approx(1.0)


def test_two_worlds_are_independent():
    a, b = TabletopWorld(seed=1), TabletopWorld(seed=2)
    assert a.client._client != b.client._client
    assert not np.allclose(positions(a), positions(b))
    before = positions(b)
    a.place_object("cube", 0.6, 0.25)
    a.step(50)
    np.testing.assert_allclose(positions(b), before)
    a.close()
    b.step(10)  # still alive after the other one closed
    np.testing.assert_allclose(positions(b), before, atol=1e-3)
    b.close()
    assert not b.client.isConnected()


def test_same_seed_gives_the_same_layout():
    with TabletopWorld(seed=5) as a, TabletopWorld(seed=5) as b:
        np.testing.assert_allclose(positions(a), positions(b))


def test_layout_is_in_the_workspace_without_overlap():
    for seed in range(3):
        with TabletopWorld(seed=seed) as world:
            names = world.object_names()
            xy = positions(world)[:, :2]
            assert np.all(xy >= np.array(WORKSPACE[0]) - 1e-3)
            assert np.all(xy <= np.array(WORKSPACE[1]) + 1e-3)
            for i, a in enumerate(names):
                bottom = 2 * world.object_position(a)[2] - world.object_top(a)[2]
                assert bottom == pytest.approx(world.table_height, abs=0.01), a
                for b in names[:i]:  # at least 3 cm of free table between any two
                    ids = world.object_id(a), world.object_id(b)
                    assert not world.client.getClosestPoints(*ids, distance=0.03), (a, b)


def test_catalogue_sizes_match_the_loaded_bodies(world):
    for name in world.object_names():
        world.place_object(name, 0.5, 0.0, 0.0)
        lo, hi = world.object_aabb(name, base_only=True)
        np.testing.assert_allclose(hi - lo, CATALOGUE[name].info.size, atol=0.004, err_msg=name)


def test_registry_looks_bodies_up_by_name_and_id_and_tells_objects_from_props():
    info = ObjectInfo("box", "block", True, False, (0.05, 0.05, 0.05), "red")
    with World() as world:
        prop = world.load_urdf("cube_small.urdf", name="prop")
        box = world.load_urdf("cube_small.urdf", (0.3, 0.0, 0.5))
        world.register("box", box, info)
        assert (world.body_id("prop"), world.body_id("box")) == (prop, box)
        assert (world.body_name(prop), world.body_name(box), world.body_name(99)) == (
            "prop", "box", None)
        assert world.object_names() == ["box"] and world.object_info("box") is info
        assert world.object_id("box") == box
        with pytest.raises(UnknownObjectError, match="'prop'; known objects: box$"):
            world.object_position("prop")  # a named body, but not an object
        with pytest.raises(ValueError, match="already named 'box'"):
            world.register("box", prop)
        assert world.unregister("box") == box
        assert world.object_names() == [] and world.body_name(box) is None
        with pytest.raises(KeyError, match=r"'box'.*\['prop'\]"):
            world.body_id("box")


def test_object_queries_agree_with_each_other_and_with_a_teleport():
    with TabletopWorld(("gift", "cube"), seed=0) as world:
        assert world.object_names() == ["gift", "cube"]
        assert world.body_name(world.robot.body) == "panda"
        assert "panda" not in world.object_names()
        world.set_object_pose("cube", (0.5, 0.1, 0.3), 0.4)
        position, quat = world.object_pose("cube")
        np.testing.assert_allclose(position, (0.5, 0.1, 0.3))
        assert world.object_yaw("cube") == pytest.approx(0.4)
        assert np.linalg.norm(quat) == pytest.approx(1.0)
        lo, hi = world.object_aabb("cube")
        np.testing.assert_allclose(world.object_position("cube"), (lo + hi) / 2)
        np.testing.assert_allclose(world.object_top("cube"), [*((lo + hi) / 2)[:2], hi[2]])
        world.step(24)  # falls: 0.1 s at 9.81 m/s^2
        assert world.object_velocity("cube")[2] == pytest.approx(-0.981, abs=0.02)
        world.set_object_pose("cube", (0.5, 0.1, 0.3), stop=True)
        np.testing.assert_allclose(world.object_velocity("cube"), 0.0)
        base, whole = world.object_aabb("gift", base_only=True), world.object_aabb("gift")
        assert whole[1][2] > base[1][2] + 0.005  # the lid (a link) is above the open box
        np.testing.assert_allclose(whole[0], np.minimum(base[0], whole[0]))
        for query in (world.object_aabb, world.object_position, world.object_top,
                      world.object_yaw, world.object_pose, world.object_velocity,
                      world.object_state, world.object_info, world.object_id):
            with pytest.raises(UnknownObjectError, match="'panda'; known objects: gift, cube$"):
                query("panda")


def test_household_objects_are_registered_in_order_beside_the_robot():
    with HouseholdWorld(("counter", "trash", "bin"), seed=0) as world:
        assert world.object_names() == ["counter", "trash", "bin"]
        assert world.body_name(world.robot.body) == "tiago"
        assert world.object_info("trash").category == "trash" and world.object_state("bin") == {}
        lo, hi = world.object_aabb("counter")
        np.testing.assert_allclose(hi - lo, world.object_info("counter").size, atol=1e-3)
        assert world.object_pose("trash")[0][2] == pytest.approx(world.table_height, abs=2e-3)
        with pytest.raises(UnknownObjectError, match="'dog'; known objects: counter, trash, bin$"):
            world.object_top("dog")


def test_save_restore_round_trip(world):
    state = world.save_state()
    t0, objs, joints = world.sim_time, positions(world), world.robot.joint_positions()
    Pick.run(world, {"object": "cube"})
    world.place_object("lego", 0.4, -0.25)
    world.step(20)
    assert world.robot.held_object() == "cube"
    world.restore_state(state)
    assert world.sim_time == t0
    assert world.robot.held_object() is None
    np.testing.assert_allclose(positions(world), objs, atol=1e-9)
    np.testing.assert_allclose(world.robot.joint_positions(), joints, atol=1e-9)
    with pytest.raises(ValueError, match="no saved state 9999"):
        world.restore_state(9999)


def test_after_a_restore_the_arm_stays_where_it_was_restored(world):
    """Snapshots keep joint positions, not motor targets: the arm must not head back to the
    target it was last commanded to before the restore."""
    state = world.save_state()
    joints = world.robot.joint_positions()
    Pick.run(world, {"object": "cube"})  # last commands: arm up with the cube, fingers shut
    world.restore_state(state)
    world.step(240)
    np.testing.assert_allclose(world.robot.joint_positions(), joints, atol=2e-3)


def test_restore_recreates_the_grasp_where_it_was(world):
    Pick.run(world, {"object": "cube"})
    grasp = world.robot.grasp_state()
    assert grasp[0] == "cube" and abs(grasp[3][3]) < 0.5  # upside down in the hand's frame
    state = world.save_state()
    world.robot.open_gripper()
    world.step(120)  # the cube falls
    world.restore_state(state)
    name, link, position, orientation = world.robot.grasp_state()
    assert (name, link) == grasp[:2]
    np.testing.assert_allclose(position, grasp[2], atol=1e-6)
    np.testing.assert_allclose(orientation, grasp[3], atol=1e-6)
    offset = world.object_position("cube") - world.robot.ee_position()
    world.robot.move_ee(world.robot.ee_position() + [0.1, 0.05, -0.1])
    world.step(30)
    np.testing.assert_allclose(world.object_position("cube") - world.robot.ee_position(),
                               offset, atol=0.005)


def test_after_a_restore_the_fingers_hold_the_grasp_as_it_was(world):
    """Restoring a grasp leaves each finger where the snapshot had it: the fingers do not ease
    off again (they used to open another 3 mm at the first motion after each restore)."""
    Pick.run(world, {"object": "cube"})
    fingers = world.robot.joint_positions()[7:]
    state = world.save_state()
    world.robot.wait(30)
    world.restore_state(state)
    world.robot.wait(60)
    np.testing.assert_allclose(world.robot.joint_positions()[7:], fingers, atol=2e-4)
    assert world.robot.held_object() == "cube"


def test_render_and_segmentation_agree_with_body_ids(world):
    image = world.render("top")
    assert image.shape == (240, 360, 3) and image.dtype == np.uint8
    assert image.std() > 10
    seg = world.segmentation("top")
    assert seg.shape == (240, 360)
    ids = {world.object_id(n) for n in world.object_names()}
    visible = set(np.unique(seg).tolist())
    assert ids <= visible
    assert visible <= ids | {world.table, world.robot.body, -1}
    red = image[seg == world.object_id("cube")].astype(int)  # the cube is red
    assert np.mean(red[:, 0] - red[:, 1:].max(axis=1)) > 50
    assert world.render("side", width=64, height=48).shape == (48, 64, 3)


def test_unknown_view_is_named(world):
    with pytest.raises(ValueError, match="'front'.*side.*top"):
        world.render("front")


def test_missing_urdf_names_the_file():
    with World() as world, pytest.raises(FileNotFoundError, match="no_such_thing.urdf"):
        world.load_urdf("no_such_thing.urdf")


def test_unknown_catalogue_object_lists_the_catalogue():
    with pytest.raises(UnknownObjectError, match="'papaya'.*cube, tray"):
        TabletopWorld(("cube", "papaya"))


def test_move_ee_reaches_the_target(world):
    target = np.array([0.45, 0.1, 0.2])
    steps = world.robot.move_ee(target)
    assert 0 < steps < 400
    assert np.linalg.norm(world.robot.ee_position() - target) < world.robot.tolerance


def test_move_ee_refuses_bad_and_unreachable_targets(world):
    with pytest.raises(ValueError, match="3 finite numbers"):
        world.robot.move_ee(np.array([0.5, 0.0]))
    t0 = world.sim_time
    with pytest.raises(PlanningFailure, match="out of reach"):
        world.robot.move_ee(np.array([1.5, 0.0, 0.2]))
    assert world.sim_time == t0


def test_move_ee_into_the_table_is_an_execution_failure(world):
    with pytest.raises(ExecutionFailure):
        world.robot.move_ee(np.array([0.5, 0.0, -0.05]))


def test_closing_on_nothing_holds_nothing(world):
    world.robot.move_ee(np.array([0.45, 0.25, 0.2]))
    assert world.robot.close_gripper() is False
    assert world.robot.held_object() is None
    assert world.robot.joint_positions()[7:].max() < 0.002


def test_restore_while_holding_a_procedural_object():
    with TabletopWorld(("sponge", "bowl"), seed=1) as world:
        start = world.save_state()
        where = world.object_position("sponge")
        Pick.run(world, {"object": "sponge"})
        held = world.save_state()
        world.restore_state(start)
        assert world.robot.held_object() is None
        np.testing.assert_allclose(world.object_position("sponge"), where, atol=1e-6)
        world.restore_state(held)
        assert world.robot.held_object() == "sponge"
        with pytest.raises(ValueError, match="no saved state 777"):
            world.restore_state(777)
        assert world.robot.held_object() == "sponge"  # still held after the refused restore
