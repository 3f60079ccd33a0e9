"""Tabletop tasks: every reference plan reaches its goal (one seed each), goals start false."""

from __future__ import annotations

import pytest

from sim.tasks import TASKS
from sim.tasks.franka import GAMES, board_cell, clear, three_in_a_row
from skills import (
    PlanStep,
    PreconditionFailure,
    SkillFailure,
    UnknownObjectError,
    UnknownSkillError,
    get_skill,
)


def run_plan(task, world) -> None:
    for step in task.reference_plan(world):
        get_skill(step.skill).run(world, step.resolve(world))
    world.step(30)


@pytest.mark.parametrize("name", sorted(TASKS))
def test_reference_plan_reaches_every_goal_predicate(name):
    task = TASKS[name]
    with task.make_world(seed=3) as world:
        start = task.goal_predicates(world)
        assert not task.success(world), f"{name} succeeds before anything was done: {start}"
        run_plan(task, world)
        goals = task.goal_predicates(world)
        assert set(goals) == set(start)
        assert all(goals.values()), goals
        assert task.success(world)


def test_every_task_documents_task_randomizations_and_success():
    for task in TASKS.values():
        for heading in ("Task", "Randomizations", "Success"):
            assert heading in (task.__doc__ or ""), f"{task.name} lacks {heading!r}"


@pytest.mark.parametrize(("name", "tool", "patch", "obstacle"), [
    ("wipe_spill", "sponge", "spill", "bowl"),
    ("iron_cloth", "iron", "cloth", "mug"),
    ("clean_book", "sponge", "dust", "cup"),
])
def test_a_wiping_task_needs_the_object_on_its_patch_moved_first(name, tool, patch, obstacle):
    """The obstacle starts on the patch (``clear`` is false); wiping with the tool in hand
    before moving it off is refused, naming it; off the patch, the patch is clear."""
    task = TASKS[name]
    with task.make_world(seed=4) as world:
        assert not clear(world, patch)
        get_skill("pick").run(world, {"object": tool})
        with pytest.raises(PreconditionFailure, match=f"'{obstacle}' stands on '{patch}'"):
            get_skill("wipe").run(world, {"object": patch})
        x, y = world.object_position(patch)[:2]
        world.place_object(obstacle, x, y + (0.25 if y < 0 else -0.25))
        world.step(30)
        assert clear(world, patch)
        if name == "clean_book":  # the goal wants the cup back on the book
            assert not task.goal_predicates(world)["on_top(cup, book)"]
        else:
            assert task.goal_predicates(world)[f"clear({patch})"]


def test_a_layout_depends_on_the_seed_only():
    task = TASKS["set_table"]
    with task.make_world(4) as a, task.make_world(4) as b, task.make_world(5) as c:
        where = [[w.object_position(n).round(4).tolist() for n in task.objects]
                 for w in (a, b, c)]
    assert where[0] == where[1] != where[2]


def test_bad_plan_steps_are_named_and_leave_the_world_usable():
    task = TASKS["cube_in_tray"]
    with task.make_world(seed=0) as world:
        with pytest.raises(UnknownSkillError, match="'throw'.*pick"):
            PlanStep("cube", "throw").resolve(world)
        with pytest.raises(UnknownObjectError, match="'papaya'.*cube"):
            PlanStep("papaya", "pick").resolve(world)
        params = PlanStep("tray", "place", {"z": 0.9}).resolve(world)
        with pytest.raises(ValueError, match=r"z \(float, m, in \[0.0, 0.4\]\).*0.9"):
            get_skill("place").run(world, params)
        with pytest.raises(SkillFailure, match="place: precondition failure"):
            get_skill("place").run(world, PlanStep("tray", "place").resolve(world))
        run_plan(task, world)
        assert task.success(world)


@pytest.mark.parametrize(
    ("cells", "line"),
    [
        ([(1, 0), (1, 1), (1, 2)], True),
        ([(0, 2), (1, 2), (2, 2)], True),
        ([(2, 0), (1, 1), (0, 2)], True),
        ([(0, 0), (1, 1), (2, 2)], True),
        ([(0, 0), (0, 1), (1, 2)], False),
        ([(0, 0), (0, 0), (0, 1)], False),
        ([(0, 0), (0, 1), None], False),
        ([(0, 0), (2, 1), (0, 1), (0, 2)], True),  # three of four
        ([(0, 0), (2, 1), (0, 1), None], False),
    ],
)
def test_three_in_a_row_accepts_whole_lines_only(cells, line):
    assert three_in_a_row(cells) is line


@pytest.mark.parametrize("game", sorted(GAMES))
def test_each_game_is_a_legal_game_that_x_wins_on_the_seventh_move(game):
    cells = [(row + 1, col + 1) for row, col in GAMES[game]]
    assert len(cells) == 7 and len(set(cells)) == 7
    x_moves, o_moves = cells[0::2], cells[1::2]
    assert three_in_a_row(x_moves)
    assert not three_in_a_row(x_moves[:3])  # no earlier win
    assert not three_in_a_row(o_moves)


def test_board_cell_reads_where_a_piece_rests():
    with TASKS["tic_tac_toe"].make_world(seed=0) as world:
        x, y = world.object_position("board")[:2]
        world.place_object("x_piece_1", x + 0.08, y - 0.08)
        world.place_object("x_piece_2", x - 0.01, y + 0.02)
        world.step(60)
        assert board_cell(world, "x_piece_1") == (2, 0)
        assert board_cell(world, "x_piece_2") == (1, 1)
        assert board_cell(world, "x_piece_3") is None  # beside the board


@pytest.mark.parametrize("name", sorted(TASKS))
def test_world_restores_its_start_after_a_skill(name):
    """The interface resets a failed attempt by restoring the start state."""
    task = TASKS[name]
    with task.make_world(seed=1) as world:
        start = world.save_state()
        where = {n: world.object_position(n) for n in world.object_names()}
        step = task.reference_plan(world)[0]
        get_skill(step.skill).run(world, step.resolve(world))
        world.restore_state(start)
        assert world.robot.held_object() is None
        for n, position in where.items():
            assert world.object_position(n) == pytest.approx(position, abs=1e-6), n
        run_plan(task, world)
        assert task.success(world)


@pytest.mark.parametrize(("name", "skipped", "unmet", "false_at_start"), [
    ("cook_pasta", (0, 1, 2), "filled(pot)", "filled(pot)"),  # no water poured
    ("grate_cheese", (4,), "grated(cheese)", "off(cup, grater)"),  # one grating pass
    ("sweep_trash", (4,), "on_top(wrapper, dustpan)", "off(mug, dustpan)"),  # wrapper left
])
def test_the_reference_plan_without_a_sub_goal_s_steps_misses_that_goal_only(
        name, skipped, unmet, false_at_start):
    task = TASKS[name]
    with task.make_world(seed=3) as world:
        assert not task.goal_predicates(world)[false_at_start]
        plan = [s for i, s in enumerate(task.reference_plan(world)) if i not in skipped]
        for step in plan:
            get_skill(step.skill).run(world, step.resolve(world))
        world.step(30)
        goals = task.goal_predicates(world)
        assert not goals[unmet]
        assert all(v for k, v in goals.items() if k != unmet), goals
