"""The Where stage: an MI-driven cursor brings a skill's point to where the person means."""

from types import SimpleNamespace

import numpy as np
import pytest

from noir.config import LoopConfig
from noir.demo import run_session
from noir.intents import Decision
from noir.loop import InterfaceLoop
from noir.perception import Perception
from noir.replay import replay_session
from noir.session import read_events
from noir.where import needs_point, select_point, takes_grasp_point
from sim.person import REFERENCE
from sim.tasks import TASKS
from skills import MoveTo, Pick, PickSide, Place, get_skill


@pytest.mark.parametrize("mode", ["axis", "continuous"])
def test_cursor_reaches_the_intended_point_and_replays(mode, tmp_path):
    config = LoopConfig(cursor_mode=mode)
    summary, folder = run_session(source="simulated", seed=0, config=config,
                                  folder=tmp_path / "run")
    assert summary["success"] is True
    events = read_events(folder)
    (stage,) = [e for e in events if e["event"] == "stage" and e["stage"] == "where"]
    (where,) = [e for e in events if e["event"] == "where"]
    assert stage["skill"] == "place" and stage["start_px"] == [180.0, 120.0]
    assert "target_px" not in stage  # the interface does not know it
    start_gap = np.linalg.norm(np.subtract(where["target_px"], stage["start_px"]))
    tolerance = REFERENCE.tolerance_px  # the person is content within their tolerance
    assert where["error_px"] <= np.hypot(tolerance, tolerance) < start_gap
    assert where["travel_px"] >= start_gap - np.hypot(tolerance, tolerance)
    # the point the robot used is where the cursor stopped
    (place,) = [e for e in events if e["event"] == "skill_end" and e["skill"] == "place"]
    assert place["params"]["x"] == where["x"] and place["params"]["y"] == where["y"]
    assert summary["cursor_travel_px"] == where["travel_px"]
    assert replay_session(folder, out=tmp_path)[2]["identical"]


def test_which_skills_take_a_point():
    assert needs_point(Place) and needs_point(MoveTo) and not needs_point(Pick)
    # a grasp point is optional: the Where stage runs for it only with LoopConfig.grasp_point
    assert takes_grasp_point(Pick) and takes_grasp_point(PickSide)
    assert not takes_grasp_point(Place) and not takes_grasp_point(MoveTo)


def test_a_grasp_point_is_chosen_on_the_object_with_the_cursor_and_replays(tmp_path):
    """With ``grasp_point`` the person also steers where the cube is grasped: the cursor
    starts on the cube as the camera sees it (``cursor_start`` is "center"), they accept it
    within their grasp tolerance, and the robot grasps at that point."""
    from sim.person import Person

    summary, folder = run_session(source="simulated", seed=0, folder=tmp_path / "run",
                                  config=LoopConfig(grasp_point=True))
    assert summary["success"] is True and summary["n_where"] == 2
    events = read_events(folder)
    stages = {e["skill"]: e for e in events if e["event"] == "stage" and e["stage"] == "where"}
    wheres = {e["skill"]: e for e in events if e["event"] == "where"}
    assert set(stages) == set(wheres) == {"pick", "place"}
    assert stages["place"]["start_px"] == [180.0, 120.0]  # cursor_start as configured
    pick = wheres["pick"]
    assert pick["abandoned"] is False and pick["z"] is None
    with TASKS["cube_in_tray"].make_world(0) as world:
        top = world.object_top("cube")
        meant = world.world_to_pixel(top)
        person = Person(TASKS["cube_in_tray"].reference_plan(world), world, REFERENCE)
        tolerance = person.tolerance_px()
        within = Pick.grasp_within(world, "cube")
    assert tolerance < REFERENCE.tolerance_px  # the grasp is tighter than the person's 12 px
    np.testing.assert_allclose(pick["target_px"], meant)
    assert np.linalg.norm(np.subtract(stages["pick"]["start_px"], meant)) < 3.0  # on the cube
    assert pick["error_px"] <= np.hypot(tolerance, tolerance)
    (start,) = [e for e in events if e["event"] == "skill_start" and e["skill"] == "pick"]
    assert start["params"] == {"object": "cube", "x": pick["x"], "y": pick["y"]}
    assert np.hypot(pick["x"] - top[0], pick["y"] - top[1]) <= within
    assert replay_session(folder, out=tmp_path)[2]["identical"]


def test_no_grasp_point_is_asked_for_on_an_object_the_camera_does_not_see_wholly(tmp_path):
    """Once TIAGo stands beside the trash (or the bottle) its own body hides it from the top
    camera: there is no point on it to choose, and the pick grasps where it would without
    one."""
    summary, folder = run_session("trash_disposal", source="simulated", seed=0,
                                  folder=tmp_path / "run", config=LoopConfig(grasp_point=True))
    assert summary["success"] is True
    events = read_events(folder)
    assert [e["skill"] for e in events if e["event"] == "where"] == ["move_to"] * 4
    picks = [e["params"] for e in events if e["event"] == "skill_end" and e["skill"] == "pick"]
    assert picks == [{"object": "trash"}, {"object": "bottle"}]


def test_records_without_grasp_point_read_as_before():
    from dataclasses import asdict

    from noir.replay import _config
    from noir.session import CorruptRecord

    old = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(LoopConfig()).items()
           if k != "grasp_point"}
    assert _config(old, "events.jsonl:1") == LoopConfig()
    assert _config({**old, "grasp_point": True}, "events.jsonl:1").grasp_point is True
    with pytest.raises(CorruptRecord, match="'grasp_point' is 'yes'"):
        _config({**old, "grasp_point": "yes"}, "events.jsonl:1")


def test_config_names_bad_cursor_settings():
    with pytest.raises(ValueError, match="cursor_mode must be 'axis' or 'continuous'"):
        LoopConfig(cursor_mode="joystick")
    with pytest.raises(ValueError, match="cursor_start must be"):
        LoopConfig(cursor_start="corner")
    with pytest.raises(ValueError, match="grasp_point must be True or False, got 1"):
        LoopConfig(grasp_point=1)


class StoppedCursor:
    """A ``CursorHost`` for ``select_point``: the cursor starts on the pixel it is given and
    the person accepts it there at once (the other host methods are not reached); the point is
    kept on the object as the loop does, from what its top camera saw."""

    def __init__(self, world, perception=None) -> None:
        self.world = world
        self.config = LoopConfig(cursor_mode="continuous", cursor_start="object")
        self.recorder = SimpleNamespace(event=lambda *args, **fields: None)
        self.perception = perception or Perception()
        self.perception.look(world, held=world.robot.held_object())

    def confirm(self, screen, **fields) -> bool:
        return True  # no clench: the proposed start is the point

    def truth(self):
        return {}

    def keep_on(self, obj, point):
        return InterfaceLoop.keep_on(self, obj, point)


def start_at(world, params, z=None):
    """The top-image pixel of a skill's point (what the test means)."""
    z = params.get("z", world.table_height) if z is None else z
    return tuple(map(float, world.world_to_pixel(np.array([params["x"], params["y"], z]))))


@pytest.fixture(scope="module")
def trash_world():
    world = TASKS["trash_disposal"].make_world(0)
    yield world
    world.close()


def test_a_base_stance_is_a_floor_point_even_over_the_counter(trash_world):
    world = trash_world
    stance = MoveTo.params_for_object(world, "trash")
    counter = world.object_position("counter")
    for x, y in [(stance["x"], stance["y"]), (counter[0], counter[1])]:
        params = {**stance, "x": float(x), "y": float(y)}
        px = start_at(world, params, z=0.0)
        chosen = select_point(StoppedCursor(world), "trash", MoveTo, params, object_px=px).params
        # not the counter top or the robot seen there, 0.55-1.1 m up (10-25 cm of parallax)
        assert (chosen["x"], chosen["y"]) == pytest.approx((x, y), abs=0.01)


def test_a_place_point_keeps_the_held_slice_wholly_on_the_bread():
    with TASKS["sandwich"].make_world(0) as world:
        seen_before = Perception()
        seen_before.look(world)  # the slice as the camera saw it before it was picked up
        get_skill("pick").run(world, {"object": "cheese_slice"})
        bread = Place.params_for_object(world, "bread")
        yaw = world.object_yaw("bread")
        across = np.array([-np.sin(yaw), np.cos(yaw)])  # along the bread's 6-cm side
        for off in (0.02, 0.05):  # on the bread near its edge, and beside it
            x, y = np.array([bread["x"], bread["y"]]) + off * across
            params = {**bread, "x": float(x), "y": float(y)}
            host = StoppedCursor(world, seen_before)
            chosen = select_point(host, "bread", Place, params,
                                  object_px=start_at(world, params)).params
            # a 7 x 5 cm slice fits wholly on a 9 x 6 cm slice only at its middle (as seen)
            assert (chosen["x"], chosen["y"]) == pytest.approx((bread["x"], bread["y"]), abs=0.006)
            assert chosen["z"] == pytest.approx(world.object_top("bread")[2], abs=0.004)


def test_a_place_point_on_a_wide_object_stays_where_the_cursor_stopped():
    with TASKS["tic_tac_toe"].make_world(0) as world:
        get_skill("pick").run(world, {"object": "x_piece_1"})
        board = Place.params_for_object(world, "board")
        params = {**board, "y": board["y"] + 0.08}  # the middle row's side cell
        chosen = select_point(StoppedCursor(world), "board", Place, params,
                              object_px=start_at(world, params)).params
        assert (chosen["x"], chosen["y"]) == pytest.approx((params["x"], params["y"]), abs=0.003)


class RunawayCursor:
    """A ``CursorHost`` whose person keeps the continuous cursor moving right and never
    clenches to stop it; keeps the events the stage records and the menus it shows."""

    def __init__(self, world, config: LoopConfig) -> None:
        self.world = world
        self.config = config
        self.events: list[tuple[str, dict]] = []
        self.recorder = SimpleNamespace(event=lambda kind, **fields: self.events.append(
            (kind, fields)))
        self.menus = []

    def decode_mi(self, stage, menu):
        self.menus.append(menu)
        return Decision(stage, ["right", "left", "down", "up"], {}, "probability", 1.0, 0.0)

    def confirm(self, screen, **fields) -> bool:
        return True  # "keep moving" accepted: no clench

    def truth(self):
        return {}


def test_a_cursor_never_stopped_is_abandoned_with_its_travel():
    config = LoopConfig(cursor_mode="continuous", max_cursor_moves=5)
    with TASKS["cube_in_tray"].make_world(0) as world:
        host = RunawayCursor(world, config)
        params = Place.params_for_object(world, "tray")
        result = select_point(host, "tray", Place, params)
        u, v = 180.0 + 5 * config.cursor_step, 120.0
        z = world.table_height  # travel is measured on the table (the point's height is
        # the person's, unknown to the interface)
        metres = np.linalg.norm(world.pixel_to_world(u + 1, v, plane_z=z)
                                - world.pixel_to_world(u, v, plane_z=z))
    assert len(host.menus) == 5 and all(m.cursor_px is not None for m in host.menus)
    assert result.params is None  # no point: the loop asks again
    assert result.cursor_px == (u, v)
    assert result.travel_px == 5 * config.cursor_step
    assert result.travel_m == pytest.approx(5 * config.cursor_step * metres)
    kind, where = host.events[-1]
    assert kind == "where" and where["abandoned"] is True and "x" not in where
    assert where["travel_px"] == result.travel_px and where["moves"] == 5


def test_a_person_aiming_into_a_tic_tac_toe_cell_stops_the_cursor_inside_it():
    """The person's 12-px tolerance is about 5 cm on the table, more than the 4 cm from a
    cell's middle to its edge: aiming into a cell, they are content only in its inner half."""
    from sim.person import Person
    from sim.tasks.franka import TIC_TAC_TOE_CELL

    with TASKS["tic_tac_toe"].make_world(0) as world:
        plan = next(iter(TASKS["tic_tac_toe"].plans(world).values()))
        person = Person(plan, world, REFERENCE)
        # picking a piece: the person aims inside the inner half of where a grasp holds it
        piece = plan[0].object
        point = Pick.default_grasp_point(world, piece)
        grasp_px = np.linalg.norm(world.world_to_pixel(point + [Pick.grasp_within(world, piece),
                                                                0.0, 0.0])
                                  - world.world_to_pixel(point))
        assert person.tolerance_px() == pytest.approx(min(REFERENCE.tolerance_px, grasp_px / 2))
        np.testing.assert_allclose(person.target_px(piece, "pick"), world.world_to_pixel(point))
        person.skill_done(plan[0].object, plan[0].skill, True)  # now: place into a cell
        target = person.target_px("board", "place")
        cell_px = np.linalg.norm(world.world_to_pixel(np.array([TIC_TAC_TOE_CELL, 0, 0])
                                                      + person._goal_point())
                                 - target)
        assert person.tolerance_px() == pytest.approx(cell_px / 4, rel=1e-3)  # half of half a cell
        assert person.tolerance_px() < REFERENCE.tolerance_px
        # the cursor 1.3 x that from the point, along an axis: not done; 0.9 x: done
        for factor, answer in ((1.3, "keep steering"), (0.9, "axis done")):
            cursor = target + [factor * person.tolerance_px(), 0.0]
            screen = SimpleNamespace(stage="where", proposal="axis done", object="board",
                                     skill="place", cursor_px=cursor, axis=0)
            assert person._wanted_answer(screen) == answer


def test_learning_proposes_the_grasp_point_chosen_before(tmp_path):
    """A grasp point is remembered like any other point (``noir.assist``): the next session
    proposes it, on the cube where it now stands, and the person accepts it."""
    config = LoopConfig(learning=True, ssvep_window=4.0, grasp_point=True)
    user = tmp_path / "user"
    run_session(source="simulated", seed=0, config=config, user=user, folder=tmp_path / "a")
    summary, folder = run_session(source="simulated", seed=1, config=config, user=user,
                                  folder=tmp_path / "b")
    assert summary["success"] is True
    assert summary["proposals"]["point"] == {"offered": 2, "accepted": 2, "wrongly_accepted": 0}
    events = read_events(folder)
    (stage,) = [e for e in events if e["event"] == "stage" and e.get("skill") == "pick"
                and e["stage"] == "where"]
    (where,) = [e for e in events if e["event"] == "where" and e["skill"] == "pick"]
    assert stage["learned"] is True and where["moves"] == 0
    with TASKS["cube_in_tray"].make_world(1) as world:
        top = world.object_top("cube")
        within = Pick.grasp_within(world, "cube")
    assert np.hypot(where["x"] - top[0], where["y"] - top[1]) <= within
