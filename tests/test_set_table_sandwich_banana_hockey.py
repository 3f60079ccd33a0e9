"""SetTable, Sandwich, CutBanana and Hockey at NOIR's horizons: their sub-goals (the setting's
spots, the sandwich's stack, the banana carried to the board, the puck carried to a shooting
spot) are needed, and their goal predicates read them."""

from __future__ import annotations

import numpy as np
import pytest

from noir.experiment import PAPER
from sim.tasks import TASKS
from sim.tasks.franka import (
    NEXT_TO,
    PUT_DOWN_REACH,
    SETTING_AREA,
    SETTING_GAP,
    SHOT,
    _discs,
    _gap_to,
    _setting_spots,
)
from skills import PreconditionFailure, get_skill
from skills.tools import SWEEP_RANGE

NAMES = ["set_table", "sandwich", "cut_banana", "hockey"]


def run(world, steps) -> None:
    for step in steps:
        get_skill(step.skill).run(world, step.resolve(world))
    world.step(30)


@pytest.mark.parametrize("name", NAMES)
def test_every_plan_is_as_long_as_noirs_horizon_within_one_step(name):
    with TASKS[name].make_world(1) as world:
        plans = TASKS[name].plans(world)
    assert len(plans) >= 2
    lengths = [len(plan) for plan in plans.values()]
    assert all(abs(n - PAPER[name][1]) <= 1 for n in lengths), (lengths, PAPER[name])
    assert TASKS[name].skill_budget >= max(lengths)


def test_set_table_spots_are_beside_the_plate_free_and_reachable():
    task = TASKS["set_table"]
    (x0, y0), (x1, y1) = SETTING_AREA
    for seed in range(10):
        with task.make_world(seed) as world:
            spots = {n: np.array([p["x"], p["y"]]) for n, p in _setting_spots(world).items()}
            centre = world.object_position("plate")[:2]
            placed = []
            for name, xy in spots.items():
                offsets, radii = _discs(world, name)
                discs = xy + offsets
                assert 0 < _gap_to(world, "plate", xy[None])[0] <= NEXT_TO - SETTING_GAP
                assert np.all(_gap_to(world, "plate", discs) - radii >= SETTING_GAP - 1e-9)
                assert np.all((discs >= [x0, y0]) & (discs <= [x1, y1]))
                assert np.hypot(*xy) <= PUT_DOWN_REACH
                for other in world.object_names():  # free of where everything starts
                    if other not in (name, "plate"):
                        assert np.min(_gap_to(world, other, discs) - radii) > SETTING_GAP, (
                            seed, name, other)
                for q, rq in placed:  # and of each other
                    gaps = np.linalg.norm(discs[:, None] - q[None], axis=2) - radii[:, None] - rq
                    assert gaps.min() >= SETTING_GAP - 1e-9, (seed, name)
                placed.append((discs, radii))
            mug, cup = spots["mug"] - centre, spots["cup"] - centre
            assert np.dot(mug, cup) <= -0.5 * np.linalg.norm(mug) * np.linalg.norm(cup) + 1e-9


def test_set_table_starts_with_nothing_set():
    task = TASKS["set_table"]
    for seed in range(10):
        with task.make_world(seed) as world:
            goals = task.goal_predicates(world)
            del goals["opposite(mug, cup)"]  # where they start: either way
            assert not any(goals.values()), (seed, goals)


def test_set_table_predicates_read_the_setting():
    task = TASKS["set_table"]
    with task.make_world(0) as world:
        x, y = world.object_position("plate")[:2]
        for name, (dx, dy) in {"mug": (0.0, 0.15), "cup": (0.0, -0.15),
                               "knife": (-0.2, 0.0), "bowl": (0.3, 0.3)}.items():
            world.place_object(name, x + dx, y + dy, 0.0)
        world.place_on("bowl", "plate")
        world.step(60)
        assert task.success(world), task.goal_predicates(world)
        world.place_object("cup", x + 0.15, y + 0.05, 0.0)  # the mug's side: not opposite
        world.place_object("knife", x - 0.3, y - 0.25, 0.0)  # too far from the plate
        world.step(60)
        goals = task.goal_predicates(world)
        assert not goals["opposite(mug, cup)"] and not goals["next_to(knife, plate)"]
        assert goals["next_to(cup, plate)"] and goals["on_top(bowl, plate)"]
        world.place_on("mug", "plate", dx=0.03)  # on the plate is not beside it
        world.step(60)
        assert not task.goal_predicates(world)["next_to(mug, plate)"]


def test_sandwich_needs_the_bread_on_the_plate_and_both_fillings_under_the_top():
    task = TASKS["sandwich"]
    with task.make_world(0) as world:
        for below, food in [("plate", "bread"), ("bread", "cheese_slice"),
                            ("cheese_slice", "beef"), ("beef", "bread_top")]:
            world.place_on(food, below, yaw=world.object_yaw("bread"))
            world.step(60)
        assert task.success(world), task.goal_predicates(world)  # cheese under the beef too
        x, y = world.object_position("plate")[:2]
        world.place_object("beef", x, y + 0.2)  # the filling left out
        world.step(120)
        goals = task.goal_predicates(world)
        assert not goals["on_top(beef, bread)"] and not goals["on_top(bread_top, beef)"]
        assert goals["on_top(bread, plate)"] and goals["on_top(cheese_slice, bread)"]


def test_a_banana_cut_on_the_table_is_not_cut_on_the_board():
    task = TASKS["cut_banana"]
    with task.make_world(3) as world:
        assert not task.goal_predicates(world)["on_top(banana, cutting_board)"]
        plan = task.reference_plan(world)
        assert [s.skill for s in plan[:2]] == ["pick", "place"]
        run(world, plan[2:])  # knife, cut, knife down: the banana still on the table
        goals = task.goal_predicates(world)
        assert goals["cut(banana)"] and goals["not_held()"]
        assert not goals["on_top(banana, cutting_board)"] and not task.success(world)


def test_the_puck_starts_out_of_the_sticks_reach_of_the_goal():
    task = TASKS["hockey"]
    for seed in range(8):
        with task.make_world(seed) as world:
            goal = world.object_position("goal")[:2]
            puck = world.object_position("puck")[:2]
            assert np.linalg.norm(puck - goal) > SWEEP_RANGE[1]
            assert abs(goal[1]) >= 0.2 and np.sign(goal[1]) != np.sign(puck[1])
            plan = task.reference_plan(world)
            spot = np.array([plan[1].params["x"], plan[1].params["y"]])
            assert np.linalg.norm(spot - goal) == pytest.approx(SHOT)
            assert abs(spot[1]) < abs(goal[1])  # towards the middle of the table
            sweep = plan[3]
            assert sweep.skill == "sweep"
            assert (sweep.params["x"], sweep.params["y"]) == pytest.approx(tuple(goal))
    with task.make_world(0) as world:  # the stick alone cannot score from the start
        pick_stick, sweep = task.reference_plan(world)[2:4]
        run(world, [pick_stick])
        with pytest.raises(PreconditionFailure, match=r"a sweep goes 0.02-0.4 m"):
            get_skill("sweep").run(world, sweep.resolve(world))
