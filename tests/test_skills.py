"""Pick and Place on the simulated Panda: success, every failure reason, parameter errors."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from sim.tabletop import TabletopWorld
from sim.tasks import TASKS, inside
from skills import (
    SKILLS,
    FailureReason,
    InterruptedFailure,
    Pick,
    Place,
    PlanningFailure,
    PreconditionFailure,
    SkillFailure,
    TimeoutFailure,
    UnknownObjectError,
    UnknownSkillError,
    applicable_skills,
    get_skill,
)


@pytest.fixture(scope="module")
def _world():
    with TabletopWorld(seed=0) as world:
        yield world, world.save_state()


@pytest.fixture
def world(_world):
    """The module's world, reset to its start state before each test."""
    world, start = _world
    world.restore_state(start)
    return world


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


def test_should_stop_interrupts_within_one_step(world):
    calls = []

    def stop_on_tenth_call() -> bool:
        calls.append(world.sim_time)
        return len(calls) >= 10

    t0 = world.sim_time
    with pytest.raises(InterruptedFailure) as err:
        Pick.run(world, {"object": "cube"}, should_stop=stop_on_tenth_call)
    assert err.value.reason is FailureReason.INTERRUPTED
    assert len(calls) == 10
    assert round((world.sim_time - t0) / world.timestep) == 9
    ee = world.robot.ee_position()
    world.step(120)  # the arm holds still after the interrupt
    assert np.linalg.norm(world.robot.ee_position() - ee) < 0.02


def test_step_budget_exceeded_is_a_timeout(world):
    class HastyPick(Pick):
        step_budget = 50

    t0 = world.sim_time
    with pytest.raises(TimeoutFailure) as err:
        HastyPick.run(world, {"object": "cube"})
    assert err.value.reason is FailureReason.TIMEOUT
    assert round((world.sim_time - t0) / world.timestep) == 50


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
    assert get_skill("pick") is Pick and list(SKILLS) == ["pick", "place"]


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
    assert applicable_skills(world.object_info("cube")) == [Pick, Place]


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
