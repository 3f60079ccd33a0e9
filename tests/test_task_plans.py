"""Every task's valid plans (``Task.plans``): named, distinct, the first the reference plan,
read from the layout without changing it; a few alternatives reach the goal."""

from __future__ import annotations

import numpy as np
import pytest

from sim.tabletop import MIN_GAP, WORKSPACE
from sim.tasks import TASKS
from sim.tasks.franka import OTHER_SPOT, PUT_DOWN_REACH, _gap_to, _radius
from skills import SKILLS, get_skill

PUT_DOWN = {"pour_tea": "teapot", "cut_banana": "knife", "hockey": "hockey_stick"}
"""Tasks whose tool is put down back, left or right, and the tool."""


def _layout(world) -> list:
    return [world.object_position(n).round(6).tolist() for n in world.object_names()]


@pytest.mark.parametrize("name", sorted(TASKS))
def test_plans_are_named_distinct_and_start_with_the_reference_plan(name):
    task = TASKS[name]
    names = []
    for seed in (0, 5):
        with task.make_world(seed) as world:
            layout, rng = _layout(world), world.rng.bit_generator.state
            plans = task.plans(world)
            reference = task.reference_plan(world)
            assert _layout(world) == layout and world.rng.bit_generator.state == rng
            assert plans and all(isinstance(k, str) and k.strip() for k in plans)
            assert repr(next(iter(plans.values()))) == repr(reference)
            listed = [repr(p) for p in plans.values()]
            assert len(set(listed)) == len(listed), f"{name}: two plans are the same"
            for plan in plans.values():
                for step in plan:
                    assert step.skill in SKILLS and step.object in world.object_names()
                    params = step.resolve(world)
                    for p in get_skill(step.skill).params:
                        if p.kind == "float":
                            assert p.low <= params[p.name] <= p.high, (name, step, p)
            names.append(list(plans))
    assert names[0] == names[1], f"{name}: plan names depend on the seed"
    assert len(names[0]) >= 2, names[0]  # every task leaves a person a choice


@pytest.mark.parametrize("name", sorted(PUT_DOWN))
def test_put_down_spots_are_free_reachable_and_apart(name):
    task, tool = TASKS[name], PUT_DOWN[name]
    (x0, y0), (x1, y1) = WORKSPACE
    word = tool.replace("_", " ")
    for seed in range(3):
        with task.make_world(seed) as world:
            plans = task.plans(world)
            assert list(plans) == [f"{word} back", f"{word} left", f"{word} right"]
            spots = {k: np.array([p[-1].params["x"], p[-1].params["y"]])
                     for k, p in plans.items()}
            here = world.object_position(tool)[:2]
            assert spots[f"{word} back"] == pytest.approx(here)
            assert spots[f"{word} left"][1] >= 0 >= spots[f"{word} right"][1]
            for side in ("left", "right"):
                xy = spots[f"{word} {side}"]
                assert x0 <= xy[0] <= x1 and y0 <= xy[1] <= y1
                assert np.hypot(*xy) <= PUT_DOWN_REACH
                assert np.linalg.norm(xy - here) >= OTHER_SPOT
                for other in world.object_names():
                    if other != tool:  # MIN_GAP apart where the half has room (most layouts)
                        room = _gap_to(world, other, xy[None])[0] - _radius(world, tool)
                        assert room > 0, (seed, side, other, room)
            assert np.linalg.norm(spots[f"{word} left"] - spots[f"{word} right"]) >= OTHER_SPOT


def test_a_put_down_spot_is_the_free_point_nearest_the_middle_of_its_half():
    task = TASKS["wipe_spill"]
    with task.make_world(0) as world:
        world.place_object("sponge", 0.5, 0.15)  # on the middle of the left half
        world.place_object("bowl", 0.4, -0.2)
        world.place_object("spill", 0.6, -0.2)
        world.step(30)
        step = task.plans(world)["bowl left"][1]  # where the bowl goes, off the spill
        chosen = np.array([step.params["x"], step.params["y"]])
        # every point of a 5-mm grid over the left half that is free and reachable
        xs, ys = np.meshgrid(np.arange(0.35, 0.651, 0.005), np.arange(0.0, 0.301, 0.005))
        grid = np.stack([xs.ravel(), ys.ravel()], axis=1)
        room = np.min([_gap_to(world, n, grid) for n in ("sponge", "spill")], axis=0)
        free = (room - _radius(world, "bowl") > MIN_GAP) & (np.hypot(*grid.T) <= PUT_DOWN_REACH)
        nearest = np.linalg.norm(grid[free] - [0.5, 0.15], axis=1).min()
        assert np.linalg.norm(chosen - [0.5, 0.15]) == pytest.approx(nearest, abs=0.01)
        assert _gap_to(world, "sponge", chosen[None])[0] - _radius(world, "bowl") > MIN_GAP
        assert chosen[1] >= 0


def test_gap_to_measures_from_the_turned_footprint():
    with TASKS["cut_banana"].make_world(0) as world:
        world.place_object("cutting_board", 0.5, 0.0, np.pi / 2)  # 0.24 m long, along y now
        world.step(10)
        points = np.array([[0.5, 0.0], [0.5, 0.17], [0.63, 0.0], [0.5 + 0.11, 0.12 + 0.04]])
        assert _gap_to(world, "cutting_board", points) == pytest.approx(
            [0.0, 0.05, 0.05, np.hypot(0.03, 0.04)], abs=2e-3)


@pytest.mark.parametrize(("name", "plan"), [
    ("collect_toy", "block first"),
    ("collect_toy", "ball first"),
    ("open_basket", "lego first"),
    ("open_gift", "book right, present left"),
    ("set_table", "mug first"),
    ("sandwich", "cheese, then beef"),
    ("tic_tac_toe", "corner, fork at the far corners"),
    ("wipe_spill", "bowl right"),
    ("cube_in_tray", "tray left"),
    ("covid_care", "person, left side"),
    ("trash_disposal", "bin, room side"),
    ("pet_dog", "pet first"),
    ("sukiyaki", "beef last, ladle back"),
    ("water_plant", "plant, inner side"),
])
def test_an_alternative_plan_reaches_the_goal(name, plan):
    task = TASKS[name]
    with task.make_world(seed=2) as world:
        assert not task.success(world)
        for step in task.plans(world)[plan]:
            get_skill(step.skill).run(world, step.resolve(world))
        world.step(30)
        assert task.success(world), task.goal_predicates(world)
