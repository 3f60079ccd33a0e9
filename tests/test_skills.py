"""Skills on the simulated Panda: success and every failure reason of each, parameter errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from noir.config import LoopConfig
from sim.arm import BRAKE_STEPS
from sim.panda import HOME
from sim.tabletop import TabletopWorld
from sim.tasks import TASKS, inside
from sim.tasks.base import on_top
from skills import (
    SKILLS,
    ExecutionFailure,
    FailureReason,
    InterruptedFailure,
    ObjectInfo,
    Pick,
    PickSide,
    Place,
    PlanningFailure,
    PreconditionFailure,
    Push,
    SkillFailure,
    TimeoutFailure,
    UnknownObjectError,
    UnknownSkillError,
    applicable_skills,
    get_skill,
)
from skills.base import part_position, rotate
from skills.primitives import GRASP_PART_WITHIN
from skills.tools import Wipe, footprints_overlap


def pick_cube(world: TabletopWorld):
    return Pick.run(world, {"object": "cube"})


def test_pick_lifts_the_cube(world):
    z0 = world.object_position("cube")[2]
    result = pick_cube(world)
    assert world.robot.held_object() == "cube"
    assert world.object_position("cube")[2] > z0 + 0.1
    assert result.skill == "pick" and result.params == {"object": "cube"}
    assert 100 < result.steps <= Pick.step_budget
    assert result.sim_time == pytest.approx(result.steps * world.timestep)


def test_place_puts_the_cube_in_the_tray(world):
    pick_cube(world)
    params = Place.params_for_object(world, "tray")
    np.testing.assert_allclose([params["x"], params["y"], params["z"]], world.object_top("tray"))
    result = Place.run(world, params)
    world.step(30)
    assert world.robot.held_object() is None
    off = np.hypot(*(world.object_position("cube")[:2] - [params["x"], params["y"]]))
    assert off < 0.05
    assert inside(world, "cube", "tray")
    assert result.steps <= Place.step_budget


def test_place_on_the_table_at_a_point(world):
    pick_cube(world)
    Place.run(world, {"x": 0.62, "y": 0.12, "z": world.table_height})
    world.step(30)
    np.testing.assert_allclose(world.object_position("cube")[:2], [0.62, 0.12], atol=0.02)
    assert world.object_position("cube")[2] == pytest.approx(world.table_height + 0.02, abs=0.005)


@pytest.mark.parametrize("seed", [1, 7])
def test_reference_plan_reaches_the_goal(seed):
    task = TASKS["cube_in_tray"]
    with task.make_world(seed) as world:
        assert task.goal_predicates(world) == {"inside(cube, tray)": False}
        for step in task.reference_plan(world):
            skill = get_skill(step.skill)
            skill.run(world, skill.params_for_object(world, step.object))
        world.step(30)
        assert task.success(world)


def test_pick_out_of_reach_is_a_planning_failure(world):
    x, y = world.object_position("cube")[:2]
    world.place_object("cube", 1.15, 0.0)
    with pytest.raises(PlanningFailure) as err:
        pick_cube(world)
    assert err.value.reason is FailureReason.PLANNING and err.value.skill == "pick"
    assert "out of reach" in str(err.value)
    world.place_object("cube", x, y)
    pick_cube(world)  # the world is still usable
    assert world.robot.held_object() == "cube"


def test_place_with_empty_gripper_is_a_precondition_failure(world):
    with pytest.raises(PreconditionFailure, match="holds nothing") as err:
        Place.run(world, Place.params_for_object(world, "tray"))
    assert err.value.reason is FailureReason.PRECONDITION and err.value.skill == "place"


def test_pick_while_holding_is_a_precondition_failure(world):
    pick_cube(world)
    t0 = world.sim_time
    with pytest.raises(PreconditionFailure, match="already holding 'cube'"):
        Pick.run(world, {"object": "lego"})
    assert world.sim_time == t0  # nothing moved


def test_pick_below_the_table_is_a_precondition_failure(world):
    lego = world.object_id("lego")
    world.client.resetBasePositionAndOrientation(lego, (0.5, 0.0, -0.3), (0.0, 0.0, 0.0, 1.0))
    with pytest.raises(PreconditionFailure, match="'lego' is below the table top"):
        Pick.run(world, {"object": "lego"})


def test_unknown_object_lists_the_known_names(world):
    with pytest.raises(UnknownObjectError) as err:
        Pick.run(world, {"object": "banana"})
    assert "'banana'" in str(err.value)
    for name in ("cube", "tray", "lego", "ball"):
        assert name in str(err.value)
    with pytest.raises(UnknownObjectError):
        Place.params_for_object(world, "banana")


def test_unknown_skill_lists_the_known_names():
    with pytest.raises(UnknownSkillError, match="'throw'.*pick, place"):
        get_skill("throw")
    assert get_skill("pick") is Pick and list(SKILLS)[:2] == ["pick", "place"]


def test_a_registered_skill_is_offered_after_the_built_in_ones(monkeypatch):
    import skills.base

    monkeypatch.setattr(skills.base, "SKILLS", dict(SKILLS))  # the test's own registry

    class Nudge(Push):
        name = "nudge"

    skills.base.register(Nudge)
    skills.base.register(Nudge)  # the same class again: nothing changes
    assert skills.base.get_skill("nudge") is Nudge and list(skills.base.SKILLS)[-1] == "nudge"
    toy = ObjectInfo("car", "toy", True, False, (0.05, 0.03, 0.03), "red")
    assert [s.name for s in skills.base.applicable_skills(toy)][-1] == "nudge"
    assert "nudge" not in SKILLS  # the package's own registry is untouched

    class Impostor(Push):
        name = "pick"

    with pytest.raises(ValueError, match="'pick' is taken by Pick"):
        skills.base.register(Impostor)
    assert skills.base.get_skill("pick") is Pick


@pytest.mark.parametrize(
    ("params", "error", "pattern"),
    [
        ({"x": 2.0, "y": 0.0, "z": 0.1}, ValueError, r"x \(float, m, in \[0.25, 0.8\]\).*2.0"),
        ({"x": 0.5, "y": "left", "z": 0.1}, TypeError, r"y \(float, m.*must be a number"),
        ({"x": 0.5, "y": True, "z": 0.1}, TypeError, r"y .*must be a number"),
        ({"x": 0.5, "y": 0.0}, ValueError, r"missing parameters \['z'\]"),
        ({"x": 0.5, "y": 0.0, "z": 0.1, "w": 1}, ValueError, r"unexpected \['w'\]"),
    ],
)
def test_bad_place_params_are_named(world, params, error, pattern):
    pick_cube(world)
    t0 = world.sim_time
    with pytest.raises(error, match=pattern):
        Place.run(world, params)
    assert world.sim_time == t0
    Place.run(world, Place.params_for_object(world, "tray"))  # still usable
    assert world.robot.held_object() is None


def test_pick_validates_the_object(world):
    with pytest.raises(ValueError, match="'pick' does not apply to object 'tray'.*'cube'"):
        Pick.validate(world, {"object": "tray"})
    with pytest.raises(TypeError, match="object"):
        Pick.validate(world, {"object": 3})


def test_applicable_skills_in_registry_order(world):
    assert applicable_skills(world.object_info("tray")) == [Place]
    assert applicable_skills(world.object_info("cube"))[:2] == [Pick, Place]


def test_failure_message_says_skill_and_reason():
    failure = PlanningFailure("target out of reach", skill="pick")
    assert isinstance(failure, SkillFailure)
    assert str(failure) == "pick: planning failure: target out of reach"


def test_skills_do_not_import_sim_or_noir():
    code = (
        "import sys, skills; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('sim', 'noir', 'pybullet')]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -- every Franka skill: success and each failure reason it can raise -------------------------
# (the mobile skills are tested in test_tiago.py). Not applicable, so not tested: Home has no
# precondition (always possible), plans nothing (a joint-space move, no inverse kinematics) and
# cannot fail in execution (its success check is empty and the Panda's ``home`` never raises,
# even when the arm is blocked short of home).
MOBILE = {"move_to", "drop_into", "pet", "handover"}


def before_step(task_name: str, skill: str) -> tuple[TabletopWorld, dict]:
    """The task's world (seed 3) after its reference plan's steps before ``skill``'s first,
    and that step's parameters."""
    task = TASKS[task_name]
    world = task.make_world(seed=3)
    for step in task.reference_plan(world):
        if step.skill == skill:
            return world, step.resolve(world)
        get_skill(step.skill).run(world, step.resolve(world))
    raise AssertionError(f"{task_name}'s plan does not use {skill}")


def lid_open() -> tuple[TabletopWorld, dict]:
    """The open_gift world after ``open``, and the params to close the gift."""
    world, params = before_step("open_gift", "open")
    get_skill("open").run(world, params)
    return world, params


def arm_away() -> tuple[TabletopWorld, dict]:
    """A tabletop with the gripper 0.1 m over the table, 0.25 m to the left: 1.4 rad from home."""
    world = TabletopWorld(seed=0)
    world.robot.move_ee(np.array([0.6, 0.25, world.table_height + 0.1]))
    return world, {}


def at_start(objects: tuple[str, ...] | str, skill: str, obj: str):
    """A builder of a world with ``objects`` (or a task's name), and ``skill``'s default
    parameters for ``obj``."""
    def build() -> tuple[TabletopWorld, dict]:
        world = (TASKS[objects].make_world(seed=3) if isinstance(objects, str)
                 else TabletopWorld(objects, seed=0))
        return world, get_skill(skill).params_for_object(world, obj)
    return build


SCENES = {  # skill: (builder of a world ready for it and its params, the object it acts on)
    "pick": (lambda: before_step("cube_in_tray", "pick"), "cube"),
    "place": (lambda: before_step("cube_in_tray", "place"), "cube"),
    "push": (at_start("collect_toy", "push", "toy_car"), "toy_car"),
    "pick_side": (at_start(("cup", "cube", "mug"), "pick_side", "cup"), "cup"),
    "wipe": (lambda: before_step("wipe_spill", "wipe"), "spill"),
    "sweep": (lambda: before_step("sweep_trash", "sweep"), "can"),
    "pour": (lambda: before_step("pour_tea", "pour"), "cup"),
    "stir": (lambda: before_step("sukiyaki", "stir"), "sukiyaki_pan"),
    "cut": (lambda: before_step("cut_banana", "cut"), "banana"),
    "grate": (lambda: before_step("grate_cheese", "grate"), "grater"),
    "open": (lambda: before_step("open_gift", "open"), "gift"),
    "close": (lid_open, "gift"),
    "home": (arm_away, None),
}
FRANKA = sorted(SCENES)
ACTS_ON_AN_OBJECT = [s for s in FRANKA if s != "home"]
TOOL_CASES = {  # skill: (task, the object the skill acts on)
    "wipe": ("wipe_spill", "spill"),
    "sweep": ("sweep_trash", "can"),
    "pour": ("pour_tea", "cup"),
    "stir": ("cook_pasta", "pot"),
    "cut": ("cut_banana", "banana"),
    "grate": ("grate_cheese", "grater"),
    "open": ("open_gift", "gift"),
}


class Scenes:
    """Each skill's ready world, built once and restored to its start for every test."""

    def __init__(self) -> None:
        self._ready: dict[str, tuple[TabletopWorld, dict, int]] = {}

    def __call__(self, skill: str) -> tuple[TabletopWorld, dict]:
        if skill in self._ready:
            world, params, start = self._ready.pop(skill)
            try:
                world.restore_state(start)
                self._ready[skill] = world, params, start
                return world, dict(params)
            except ValueError:  # liquid, shreds or pieces were added: build it again
                world.close()
        world, params = SCENES[skill][0]()
        self._ready[skill] = world, params, world.save_state()
        return world, dict(params)

    def close(self) -> None:
        for world, _, _ in self._ready.values():
            world.close()


@pytest.fixture(scope="module")
def scenes():
    ready = Scenes()
    yield ready
    ready.close()


def steps_since(world: TabletopWorld, t0: float) -> int:
    return round((world.sim_time - t0) / world.timestep)


def teleport_on_first_poll(world: TabletopWorld, obj: str):
    """A ``should_stop`` that moves ``obj`` 0.15 m along x (towards x = 0.5 m) when first
    polled, out of the hand if it is held (it slips), then never stops."""
    polls = []

    def should_stop() -> bool:
        if not polls:
            if world.robot.held_object() == obj:
                world.robot.set_grasp(None)
            x, y = world.object_position(obj)[:2]
            world.place_object(obj, x - 0.15 if x > 0.5 else x + 0.15, y)
        polls.append(1)
        return False

    return should_stop


def test_every_franka_skill_has_a_scene():
    assert set(SCENES) == set(SKILLS) - MOBILE


@pytest.mark.parametrize("skill", FRANKA)
def test_skill_succeeds(scenes, skill):
    world, params = scenes(skill)
    result = get_skill(skill).run(world, params)
    assert result.skill == skill and result.params == params
    assert 0 < result.steps <= get_skill(skill).step_budget
    assert result.sim_time == pytest.approx(result.steps * world.timestep)
    if skill == "home":  # its success check is the robot's motion: check the arm is home
        np.testing.assert_allclose(world.robot.joint_positions()[:7], HOME, atol=0.02)


@pytest.mark.parametrize("skill", sorted(TOOL_CASES))
def test_tool_skill_needs_its_tool_in_hand(skill):
    task_name, obj = TOOL_CASES[skill]
    with TASKS[task_name].make_world(seed=3) as world:
        t0 = world.sim_time
        if skill == "open":
            world.client.resetJointState(world.object_id(obj), 0, 1.5)
            pattern = "already open"
        else:
            pattern = "needs a held"
        with pytest.raises(PreconditionFailure, match=pattern) as err:
            get_skill(skill).run(world, get_skill(skill).params_for_object(world, obj))
        assert err.value.skill == skill and world.sim_time == t0


def test_close_needs_an_open_lid_and_push_needs_an_object():
    with TASKS["open_gift"].make_world(seed=3) as world:
        with pytest.raises(PreconditionFailure, match="'gift' is already closed"):
            get_skill("close").run(world, {"object": "gift"})
    with TASKS["collect_toy"].make_world(seed=3) as world:
        params = get_skill("push").params_for_object(world, "toy_car")
        params.update(x=0.28, y=0.0)  # in front of the workspace, where nothing starts
        with pytest.raises(PreconditionFailure, match="no object within 0.05 m"):
            get_skill("push").run(world, params)


def test_footprints_overlap_only_where_they_share_area():
    square = np.array([[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])

    def diamond(c: float) -> np.ndarray:  # half-diagonal 0.8 m, centred at (c, c)
        return np.array([[c - 0.8, c], [c, c - 0.8], [c + 0.8, c], [c, c + 0.8]])

    # (1.6, 1.6): bounding boxes overlap, but its edge x + y = 2.4 passes the corner (1, 1)
    assert not footprints_overlap(square, diamond(1.6))
    assert footprints_overlap(square, diamond(1.3)) and footprints_overlap(diamond(1.3), square)
    assert not footprints_overlap(square, square + [1.0, 0.0])  # touching along an edge
    assert footprints_overlap(square, square + [0.9, 0.9])


def test_wipe_needs_the_patch_clear_and_names_what_stands_on_it():
    """A bowl on the spill stops the wipe before anything moves; a flat mark on the spill and
    the book under the dust do not count; once the bowl is off, the wipe runs."""
    with TabletopWorld(("sponge", "spill", "bowl", "dustpan"), seed=0) as world:
        world.place_object("spill", 0.5, -0.15, 0.3)
        world.place_object("bowl", 0.53, -0.13)  # overlaps the spill's footprint
        world.place_object("dustpan", 0.45, -0.2)  # a flat mark, over part of the spill
        world.place_object("sponge", 0.5, 0.2)
        world.step(30)
        Pick.run(world, {"object": "sponge"})
        assert Wipe.standing_on(world, "spill") == ["bowl"]
        t0, ee = world.sim_time, world.robot.ee_position()
        with pytest.raises(PreconditionFailure, match="'bowl' stands on 'spill'") as err:
            Wipe.run(world, {"object": "spill"})
        assert err.value.skill == "wipe" and world.sim_time == t0
        assert world.robot.ee_position() == pytest.approx(ee)
        assert world.object_state("spill")["wiped"] == 0.0
        world.place_object("bowl", 0.5, -0.33)  # 0.05 m clear of the turned spill
        world.step(30)
        assert Wipe.standing_on(world, "spill") == []
        Wipe.run(world, {"object": "spill"})
    with TASKS["clean_book"].make_world(seed=0) as world:  # the cup, not the book beneath
        assert Wipe.standing_on(world, "dust") == ["cup"]


@pytest.mark.parametrize("skill", ACTS_ON_AN_OBJECT)
def test_out_of_reach_is_a_planning_failure(scenes, skill):
    world, params = scenes(skill)
    obj = SCENES[skill][1]
    if skill == "place":  # the far corner of its bounds, high up
        params = {"x": 0.8, "y": 0.45, "z": 0.4}
    elif skill == "push":  # from the table's far edge, further away
        world.place_object(obj, 0.78, 0.0)
        params.update(x=0.78, y=0.0, direction=0.0, distance=0.3)
    elif skill == "sweep":  # from the table's far edge towards the robot: the head starts beyond
        world.place_object(obj, 0.78, 0.0)
        params.update(x=0.5, y=0.0)
    else:
        world.place_object(obj, 1.2, 0.0)
    held, ee = world.robot.held_object(), world.robot.ee_position()
    with pytest.raises(PlanningFailure, match="out of reach") as err:
        get_skill(skill).run(world, params)
    assert err.value.reason is FailureReason.PLANNING and err.value.skill == skill
    assert world.robot.held_object() == held  # at most the fingers moved
    assert np.linalg.norm(world.robot.ee_position() - ee) < 0.01


@pytest.mark.parametrize("skill", ACTS_ON_AN_OBJECT)
def test_skill_fails_in_execution_when_its_object_moves_away(scenes, skill):
    world, params = scenes(skill)
    should_stop = teleport_on_first_poll(world, SCENES[skill][1])
    with pytest.raises(SkillFailure) as err:
        get_skill(skill).run(world, params, should_stop=should_stop)
    assert err.value.reason is FailureReason.EXECUTION and err.value.skill == skill


@pytest.mark.parametrize("skill", FRANKA)
def test_should_stop_brakes_to_standstill_and_holds(scenes, skill):
    world, params = scenes(skill)
    robot = world.robot
    n = get_skill(skill).step_budget // 10  # well inside a successful run
    polls = []
    t0 = world.sim_time
    with pytest.raises(InterruptedFailure, match="stopped on request") as err:
        get_skill(skill).run(world, params,
                             should_stop=lambda: polls.append(1) or len(polls) >= n)
    assert err.value.reason is FailureReason.INTERRUPTED and err.value.skill == skill
    # the skill stops polling at once; the failure comes at standstill, after braking
    braked = steps_since(world, t0) - (n - 1)
    assert len(polls) == n and 0 <= braked < BRAKE_STEPS
    assert robot.at_standstill()
    ee, q, held = robot.ee_position(), robot.joint_positions(), robot.held_object()
    for _ in range(240):  # 1 s: the arm and fingers hold still, nothing is let go
        world.step()
        assert np.all(np.abs(robot.joint_velocities()) < robot.standstill_speeds)
    assert np.linalg.norm(robot.ee_position() - ee) < 1e-3
    assert np.max(np.abs(robot.joint_positions()[7:] - q[7:])) < 1e-4
    assert robot.held_object() == held


@pytest.mark.parametrize("skill", FRANKA)
def test_step_budget_exceeded_is_a_timeout(scenes, skill):
    world, params = scenes(skill)

    class Hasty(get_skill(skill)):
        step_budget = get_skill(skill).step_budget // 10

    t0 = world.sim_time
    with pytest.raises(TimeoutFailure) as err:
        Hasty.run(world, params)
    assert err.value.reason is FailureReason.TIMEOUT and err.value.skill == skill
    assert steps_since(world, t0) == Hasty.step_budget


def cursor_tolerance_m(world: TabletopWorld) -> float:
    """The Where cursor's stopping tolerance (``LoopConfig.cursor_tolerance`` pixels of the top
    camera) as a distance on the table, in m."""
    z = world.table_height
    u, v = world.world_to_pixel(np.array([0.5, 0.0, z]))
    here = world.pixel_to_world(u, v, plane_z=z)
    there = world.pixel_to_world(u + LoopConfig().cursor_tolerance, v, plane_z=z)
    return float(np.linalg.norm(there - here))


@pytest.mark.parametrize("corner", [(1, 1), (1, -1), (-1, 1), (-1, -1)])
def test_sweep_to_a_point_off_by_the_cursor_tolerance_lands_on_the_dustpan(scenes, corner):
    world, params = scenes("sweep")
    off = cursor_tolerance_m(world)  # about 5 cm; on each axis, as the axis-mode cursor stops
    assert 0.04 < off < 0.06
    params.update(x=params["x"] + corner[0] * off, y=params["y"] + corner[1] * off)
    get_skill("sweep").run(world, params)
    world.step(120)
    assert on_top(world, "can", "dustpan")


def test_sweep_pushes_the_object_to_the_point_not_past_it(scenes):
    world, params = scenes("sweep")
    can = world.object_position("can")[:2]
    along = np.sign(params["y"] - can[1])  # the sweep runs along y here, within 3 cm of x
    params.update(y=params["y"] + along * 0.03)  # 3 cm further along the sweep
    assert abs(params["y"] - can[1]) > 0.1 and abs(params["x"] - can[0]) < 0.03
    get_skill("sweep").run(world, params)
    assert world.object_position("can")[1] == pytest.approx(params["y"], abs=0.01)


def test_place_into_a_container_lets_go_at_the_rim_not_on_its_floor():
    with TASKS["open_basket"].make_world(seed=0) as world:
        open_step, pick_step, place_step = TASKS["open_basket"].reference_plan(world)[:3]
        for step in (open_step, pick_step):
            get_skill(step.skill).run(world, step.resolve(world))
        lid = world.object_state("basket")["open"]
        point = place_step.resolve(world)
        point["z"] = 0.01  # the basket's floor, as the Where cursor sees it
        get_skill("place").run(world, point)
        # the hand stayed above the rim, clear of the open lid (it used to push it to 2.2 rad)
        assert world.object_state("basket")["open"] == pytest.approx(lid, abs=0.05)
        assert inside(world, "toy_block", "basket")
        get_skill("close").run(world, {"object": "basket"})


def test_push_moves_a_toy_along_the_direction():
    with TASKS["collect_toy"].make_world(seed=3) as world:
        params = get_skill("push").params_for_object(world, "toy_car")
        start = world.object_position("toy_car")[:2]
        result = get_skill("push").run(world, params)
        moved = world.object_position("toy_car")[:2] - start
        along = moved @ [np.cos(params["direction"]), np.sin(params["direction"])]
        assert along > 0.05 and result.steps <= get_skill("push").step_budget


def test_pick_fails_in_execution_when_the_object_moves_away(world):
    with pytest.raises(SkillFailure, match="closed on nothing at 'cube'") as err:
        Pick.run(world, {"object": "cube"}, should_stop=teleport_on_first_poll(world, "cube"))
    assert err.value.reason is FailureReason.EXECUTION
    assert world.robot.held_object() is None


# -- grasp points (NOIR's Pick(x, y, z)) -----------------------------------------------------
def _along_cube_x(world: TabletopWorld, vector: np.ndarray) -> float:
    """``vector`` (2,) m along the cube's own x axis (the fingers close along its y axis)."""
    yaw = world.object_yaw("cube")
    return float(vector @ [np.cos(yaw), np.sin(yaw)])


@pytest.mark.parametrize("offset", [0.0, 0.012, -0.012])
def test_pick_at_a_chosen_point_grasps_the_cube_there(world, offset):
    """The point is ``offset`` m from the cube's centre along its x axis (across the fingers'
    closing direction, where the grasp keeps it): the cube hangs that far from the gripper."""
    yaw = world.object_yaw("cube")
    x, y = world.object_position("cube")[:2] + offset * np.array([np.cos(yaw), np.sin(yaw)])
    result = Pick.run(world, {"object": "cube", "x": x, "y": y})
    assert result.params == {"object": "cube", "x": x, "y": y}
    assert world.robot.held_object() == "cube"
    held_at = _along_cube_x(world, world.robot.ee_position()[:2]
                            - world.object_position("cube")[:2])
    assert held_at == pytest.approx(offset, abs=0.004)


def test_pick_without_a_point_grasps_where_it_did_and_says_so(world):
    top = world.object_top("cube")
    np.testing.assert_allclose(Pick.default_grasp_point(world, "cube"), top)
    assert Pick.grasp_within(world, "cube") == pytest.approx(0.02)  # half the 4-cm side
    pick_cube(world)
    off = world.robot.ee_position()[:2] - world.object_position("cube")[:2]
    assert np.linalg.norm(off) < 0.004


def test_a_grasp_point_off_the_object_is_a_planning_failure(world):
    yaw = world.object_yaw("cube")
    x, y = world.object_position("cube")[:2] + 0.05 * np.array([np.cos(yaw), np.sin(yaw)])
    t0 = world.sim_time
    with pytest.raises(PlanningFailure) as err:  # 3 cm beyond the 2-cm half side
        Pick.run(world, {"object": "cube", "x": x, "y": y})
    assert err.value.skill == "pick" and "not on 'cube'" in str(err.value)
    assert f"({x:.3f}, {y:.3f}) m" in str(err.value) and "0.030 m outside" in str(err.value)
    assert world.sim_time == t0  # refused before anything moved


def test_a_grasp_point_needs_both_coordinates(world):
    with pytest.raises(ValueError, match=r"missing parameters \['y'\].*optional grasp point"):
        Pick.validate(world, {"object": "cube", "x": 0.5})
    with pytest.raises(ValueError, match=r"x \(float, m, in \[-3.0, 3.0\]\).*9.0"):
        Pick.validate(world, {"object": "cube", "x": 9.0, "y": 0.0})


def test_a_grasp_point_on_the_teapot_holds_only_at_its_handle():
    """The teapot is grasped by its handle: a point on the spout's end, on the object but
    where nothing is at the handle's height, closes the fingers on nothing."""
    with TASKS["pour_tea"].make_world(0) as world:
        handle = Pick.default_grasp_point(world, "teapot")
        np.testing.assert_allclose(handle, part_position(world, "teapot", "handle"))
        assert Pick.grasp_within(world, "teapot") == GRASP_PART_WITHIN
        start = world.save_state()
        yaw = world.object_yaw("teapot")
        spout = handle[:2] + 0.065 * np.array([np.cos(yaw), np.sin(yaw)])
        with pytest.raises(ExecutionFailure, match="closed on nothing at 'teapot'"):
            Pick.run(world, {"object": "teapot", "x": spout[0], "y": spout[1]})
        world.restore_state(start)
        Pick.run(world, {"object": "teapot", "x": handle[0], "y": handle[1]})
        assert world.robot.held_object() == "teapot"


# -- PickSide --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def _cup_world():
    with TabletopWorld(("cup", "cube", "mug"), seed=0) as world:
        yield world, world.save_state()


@pytest.fixture
def cup_world(_cup_world):
    world, start = _cup_world
    world.restore_state(start)
    return world


def test_pick_side_holds_the_cup_upright_across_the_level_hand(cup_world):
    z0 = cup_world.object_position("cup")[2]
    result = PickSide.run(cup_world, {"object": "cup"})
    assert cup_world.robot.held_object() == "cup"
    assert cup_world.object_position("cup")[2] > z0 + 0.1
    name, _, _, orientation = cup_world.robot.grasp_state()
    up_in_hand = rotate(np.array(orientation), np.array([0.0, 0.0, 1.0]))
    assert name == "cup" and up_in_hand[0] < -0.95  # the cup's axis along the hand's -x
    assert result.steps <= PickSide.step_budget


def test_pick_side_applies_to_tall_narrow_objects_without_a_handle(cup_world):
    assert [PickSide.applies_to(cup_world.object_info(n)) for n in ("cup", "cube", "mug")] == [
        True, False, False]
    with pytest.raises(ValueError, match="'pick_side' does not apply to object 'mug'.*'cup'"):
        PickSide.run(cup_world, {"object": "mug"})


def test_pick_side_failure_reasons(cup_world):
    Pick.run(cup_world, {"object": "cube"})
    with pytest.raises(PreconditionFailure, match="already holding 'cube'"):
        PickSide.run(cup_world, {"object": "cup"})
    cup_world.robot.open_gripper()
    cup_world.place_object("cup", 1.2, 0.0)
    t0 = cup_world.sim_time
    with pytest.raises(PlanningFailure, match="out of reach"):
        PickSide.run(cup_world, {"object": "cup"})
    assert round((cup_world.sim_time - t0) / cup_world.timestep) < 130  # only the fingers moved
    cup_world.place_object("cup", 0.5, -0.15)
    with pytest.raises(SkillFailure, match="closed on nothing at 'cup'") as err:
        PickSide.run(cup_world, {"object": "cup"},
                     should_stop=teleport_on_first_poll(cup_world, "cup"))
    assert err.value.reason is FailureReason.EXECUTION


def test_home_blocked_on_its_way_is_an_execution_failure():
    with TabletopWorld(seed=0) as world:
        world.robot.move_ee(np.array([0.6, 0.25, world.table_height + 0.1]))
        above = world.robot.ee_position() + [0.0, 0.0, 0.12]
        lid = world.client.createMultiBody(
            0, world.client.createCollisionShape(world.client.GEOM_BOX,
                                                 halfExtents=[0.15, 0.15, 0.01]),
            basePosition=above.tolist())
        with pytest.raises(ExecutionFailure, match="rad from its home pose"):
            get_skill("home").run(world, {})
        world.client.removeBody(lid)
        get_skill("home").run(world, {})  # the world stays usable
        assert np.max(np.abs(world.robot.joint_positions()[:7] - HOME)) < 0.02
