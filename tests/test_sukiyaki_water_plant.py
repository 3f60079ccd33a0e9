"""Sukiyaki and WaterPlant (NOIR's Table 1 tasks 16 and 19): their objects, plans and horizons,
TIAGo's gentle pour and the household world's water."""

from __future__ import annotations

import math

import numpy as np
import pytest

from noir.experiment import PAPER
from sim.household import CAN_POUR_TILT, HOUSEHOLD, HouseholdWorld
from sim.objects import CATALOGUE
from sim.tabletop import TabletopWorld
from sim.tasks import TASKS
from sim.tasks.franka import INGREDIENTS, PAN_SPOT_OFFSET
from skills import FailureReason, PlanningFailure, get_skill
from skills.tools import GENTLE_TILTS, POUR_ANGLE, POURED_ENOUGH


def tilt(world, obj: str) -> float:
    """Angle of ``obj``'s vertical axis from the world's, in rad."""
    up = np.array(world.client.getMatrixFromQuaternion(world.object_pose(obj)[1]))[[2, 5, 8]]
    return math.acos(float(np.clip(up[2], -1.0, 1.0)))


@pytest.mark.parametrize("name", ["sukiyaki", "water_plant"])
def test_every_plan_is_as_long_as_noirs_horizon_within_one_step(name):
    with TASKS[name].make_world(1) as world:
        lengths = [len(plan) for plan in TASKS[name].plans(world).values()]
    assert all(abs(n - PAPER[name][1]) <= 1 for n in lengths), (lengths, PAPER[name])


def test_new_objects_are_built_at_their_catalogue_size():
    names = ("sukiyaki_pan", *INGREDIENTS, "sauce_jug")
    with TabletopWorld(names, seed=0) as world:
        for name in names:
            world.place_object(name, 0.5, 0.0, 0.0)
            lo, hi = world.object_aabb(name, base_only=True)
            np.testing.assert_allclose(hi - lo, CATALOGUE[name].info.size, atol=0.004,
                                       err_msg=name)
    with HouseholdWorld(("counter", "watering_can", "plant"), seed=0) as world:
        for name in ("watering_can", "plant"):
            world.set_object_pose(name, (0.0, 2.0, 0.0))
            lo, hi = world.object_aabb(name)
            np.testing.assert_allclose(hi - lo, HOUSEHOLD[name].info.size, atol=1e-3,
                                       err_msg=name)


def test_each_ingredient_goes_to_its_own_corner_of_the_pan():
    task = TASKS["sukiyaki"]
    with task.make_world(2) as world:
        plans = task.plans(world)
        centre, yaw = world.object_position("sukiyaki_pan")[:2], world.object_yaw("sukiyaki_pan")
        half = np.array(world.object_info("sukiyaki_pan").size[:2]) / 2
        for plan in plans.values():
            spots = {plan[k - 1].object: np.array([s.params["x"], s.params["y"]])
                     for k, s in enumerate(plan)
                     if s.skill == "place" and s.object == "sukiyaki_pan"}
            assert sorted(spots) == sorted(INGREDIENTS)
            for xy in spots.values():
                d = xy - centre
                local = [d[0] * math.cos(yaw) + d[1] * math.sin(yaw),
                         -d[0] * math.sin(yaw) + d[1] * math.cos(yaw)]
                assert np.abs(local) == pytest.approx([PAN_SPOT_OFFSET] * 2)
                assert np.all(np.abs(local) < half)
            gaps = [np.linalg.norm(a - b) for i, a in enumerate(spots.values())
                    for b in list(spots.values())[i + 1:]]
            assert min(gaps) == pytest.approx(2 * PAN_SPOT_OFFSET)


def test_tiago_pours_gently_and_waters_the_plant():
    task = TASKS["water_plant"]
    with task.make_world(0) as world:
        *before, pour = task.reference_plan(world)
        for step in before:
            get_skill(step.skill).run(world, step.resolve(world))
        start = world.save_state()
        assert world.object_state("plant") == {"fill": 0.0} and not task.success(world)
        tilts = []
        get_skill(pour.skill).run(world, pour.resolve(world),
                                  should_stop=lambda: tilts.append(tilt(world, "watering_can")))
        # TIAGo's arm cannot tilt the can by POUR_ANGLE: it tilts it in gentle steps, past
        # where the can pours, and back
        assert CAN_POUR_TILT < max(tilts) < GENTLE_TILTS[-1] + 0.1 < POUR_ANGLE
        assert tilts[-1] < 0.1
        in_plant, left = world.object_state("plant")["fill"], world.object_state("watering_can")
        assert in_plant >= POURED_ENOUGH and left["fill"] + len(world.liquid) == 12
        assert task.success(world)
        with pytest.raises(ValueError, match="liquid was poured since"):
            world.restore_state(start)


def test_pour_out_of_the_arms_reach_is_a_planning_failure():
    task = TASKS["water_plant"]
    with task.make_world(0) as world:  # the can in the hand, the base far from the plant
        for step in task.reference_plan(world)[:2]:
            get_skill(step.skill).run(world, step.resolve(world))
        ee, fill = world.robot.ee_position(), world.object_state("watering_can")
        with pytest.raises(PlanningFailure, match="out of reach") as err:
            get_skill("pour").run(world, {"object": "plant"})
        assert err.value.reason is FailureReason.PLANNING and err.value.skill == "pour"
        assert np.linalg.norm(world.robot.ee_position() - ee) < 0.01
        assert world.object_state("watering_can") == fill and not world.liquid


def test_the_panda_still_pours_at_full_tilt():
    task = TASKS["pour_tea"]
    with task.make_world(3) as world:
        pick, pour, _ = task.reference_plan(world)
        get_skill(pick.skill).run(world, pick.resolve(world))
        tilts = []
        get_skill(pour.skill).run(world, pour.resolve(world),
                                  should_stop=lambda: tilts.append(tilt(world, "teapot")))
    assert max(tilts) == pytest.approx(POUR_ANGLE, abs=0.05)
