"""CollectToy, OpenBasket and OpenGift at NOIR's horizons: each sub-goal is required, a lid with
something on it does not open, and the alternative plans reach the goal."""

from __future__ import annotations

import numpy as np
import pytest

from sim.tasks import TASKS
from sim.tasks.franka import BIN_CORNER
from skills import PreconditionFailure, get_skill
from skills.articulated import lying_on_lid


def run(world, steps) -> None:
    for step in steps:
        get_skill(step.skill).run(world, step.resolve(world))
    world.step(30)


def test_open_refuses_a_lid_with_something_on_it():
    with TASKS["open_gift"].make_world(seed=3) as world:
        assert lying_on_lid(world, "gift") == "book"
        t0 = world.sim_time
        with pytest.raises(PreconditionFailure, match="'book' lies on the lid of 'gift'") as err:
            get_skill("open").run(world, {"object": "gift"})
        assert err.value.skill == "open" and world.sim_time == t0
        assert world.object_state("gift")["open"] < 0.1
        x, y = world.object_position("gift")[:2]
        world.place_object("book", x + 0.02, y - 0.25)  # beside the box, on the table
        world.step(30)
        assert lying_on_lid(world, "gift") is None
        get_skill("open").run(world, {"object": "gift"})
        assert world.object_state("gift")["open"] >= 1.2


def test_open_gift_needs_the_book_off_and_the_present_out_on_the_table():
    task = TASKS["open_gift"]
    with task.make_world(seed=3) as world:
        assert task.goal_predicates(world) == {
            "off(book, gift)": False, "off(toy_car, gift)": False, "closed(gift)": True}
        # the present in the closed box, or on its lid, is not out
        x, y = world.object_position("gift")[:2]
        world.place_object("book", x + 0.02, y - 0.25)
        world.step(30)
        assert task.goal_predicates(world)["off(book, gift)"]
        assert not task.goal_predicates(world)["off(toy_car, gift)"]
        world.place_on("toy_car", "book")
        world.step(30)
        assert not task.goal_predicates(world)["off(toy_car, gift)"]  # on the book, not table
        world.place_object("toy_car", x - 0.02, y + 0.25)
        world.step(30)
        assert task.success(world), task.goal_predicates(world)


def test_collect_toy_needs_all_four_toys_in_the_bin_each_over_its_own_quarter():
    task = TASKS["collect_toy"]
    with task.make_world(seed=3) as world:
        plan = task.reference_plan(world)
        assert len(plan) == 8 and task.skill_budget >= 2 * len(plan)
        spots = np.array([[s.params["x"], s.params["y"]] for s in plan if s.skill == "place"])
        off = spots - world.object_position("trash_bin")[:2]
        assert np.hypot(*off.T) == pytest.approx([BIN_CORNER * np.sqrt(2)] * 4)
        apart = np.linalg.norm(spots[:, None] - spots[None], axis=-1)
        assert apart[~np.eye(4, dtype=bool)].min() == pytest.approx(2 * BIN_CORNER)
        run(world, plan[:6])
        goals = task.goal_predicates(world)
        assert goals.pop("inside(ball, trash_bin)") is False
        assert all(goals.values()), goals
        assert not task.success(world)


def test_open_basket_needs_both_toys_in_and_the_lid_closed():
    task = TASKS["open_basket"]
    with task.make_world(seed=3) as world:
        plan = task.reference_plan(world)
        assert [s.skill for s in plan] == ["open", "pick", "place", "pick", "place", "close"]
        run(world, [*plan[:3], plan[-1]])  # the block in, lid closed, the lego left out
        assert task.goal_predicates(world) == {
            "inside(toy_block, basket)": True, "inside(lego, basket)": False,
            "closed(basket)": True}
