"""TIAGo household tasks of NOIR's Table 1: TrashDisposal, CovidCare, WaterPlant and PetDog."""

from __future__ import annotations

import math
from typing import ClassVar

from sim.household import HouseholdWorld
from sim.tasks.base import Task, filled, inside
from skills import PlanStep
from skills.mobile import MIN_STROKE, Pet, stroke_span, within_reach


def petted(world: HouseholdWorld, dog: str) -> bool:
    """Whether the hand has touched at least ``MIN_STROKE`` m along ``dog``'s back."""
    start, end = Pet.stroke_line(world, dog)
    return stroke_span(world.strokes, start, end) >= MIN_STROKE


def handed_over(world: HouseholdWorld, obj: str, person: str) -> bool:
    """Whether ``obj`` is held out within reach of ``person`` (``skills.mobile.within_reach``)."""
    return within_reach(world, obj, person)


STANCE_POINT = 1.0
"""Distance from an object's centre of the floor spot a person points at to choose the side
the robot stands on, in m (``skills.mobile.MoveTo``)."""


def _stand_beside(world: HouseholdWorld, obj: str, direction: float) -> PlanStep:
    """Move to ``obj``, pointing at the floor ``STANCE_POINT`` m from it towards
    ``direction`` (rad, from +x)."""
    x, y = world.object_position(obj)[:2]
    return PlanStep(obj, "move_to", {"x": float(x + STANCE_POINT * math.cos(direction)),
                                     "y": float(y + STANCE_POINT * math.sin(direction))})


class HouseholdTask(Task):
    """A task for TIAGo in ``sim.household.HouseholdWorld``."""

    objects: ClassVar[tuple[str, ...]]

    @classmethod
    def make_world(cls, seed: int, gui: bool = False) -> HouseholdWorld:  # type: ignore[override]
        """Build the household world with object poses drawn from ``seed``."""
        world = HouseholdWorld(cls.objects, seed=seed, gui=gui)
        cls.arrange(world)  # type: ignore[arg-type]
        return world


def _dispose(item: str, bin_step: PlanStep) -> list[PlanStep]:
    """Move to ``item`` on the counter, pick it, move to the bin (``bin_step``), drop it in."""
    return [PlanStep(item, "move_to"), PlanStep(item, "pick"), bin_step,
            PlanStep("bin", "drop_into")]


class TrashDisposal(HouseholdTask):
    """Throw the two pieces of trash on the counter, a crumpled tissue and an empty bottle,
    into the bin.

    Task
        Drive to the counter, pick one piece up, drive to the bin and drop it in; then the same
        for the other piece (the robot carries one thing at a time). The dog is in the room (an
        obstacle for the base).
    Randomizations
        From the seed (``sim.household.HouseholdWorld``): the counter's, the bin's and the
        dog's (x, y) within their regions, the dog's yaw within ±0.3 rad; each piece's place
        0.08-0.16 m from the counter's front edge, its lane along the counter (two of three)
        and its yaw.
    Success
        ``inside(trash, bin)`` and ``inside(bottle, bin)``: each piece's bounding box lies
        within the bin's in (x, y), its bottom is below the rim, it is nearly still and not
        held.
    """

    name = "trash_disposal"
    objects = ("counter", "trash", "bottle", "bin", "dog")
    skill_budget = 16

    @classmethod
    def goal_predicates(cls, world: HouseholdWorld) -> dict[str, bool]:  # type: ignore[override]
        """``{"inside(trash, bin)": ..., "inside(bottle, bin)": ...}``."""
        return {f"inside({item}, bin)": inside(world, item, "bin")  # type: ignore[arg-type]
                for item in ("trash", "bottle")}

    @classmethod
    def plans(cls, world: HouseholdWorld) -> dict[str, list[PlanStep]]:  # type: ignore[override]
        """Dispose of the tissue (``trash``), then the bottle (or the bottle first): move to
        it, pick it, move to the bin, drop it in. At the bin the robot stands on the side
        nearest where it comes from, or the person points at the floor on the bin's room side
        (-y) both times. (Not the counter side, +x, or the back, -x: from there the straight
        drive back to the counter can meet the counter's corner or the bin.)"""
        nearest = PlanStep("bin", "move_to")
        room_side = _stand_beside(world, "bin", -math.pi / 2)
        return {
            "trash first": [*_dispose("trash", nearest), *_dispose("bottle", nearest)],
            "bottle first": [*_dispose("bottle", nearest), *_dispose("trash", nearest)],
            "bin, room side": [*_dispose("trash", room_side), *_dispose("bottle", room_side)],
        }


class PetDog(HouseholdTask):
    """Give the dog a treat in its bowl and pet it.

    Task
        Drive to the counter, pick the treat (a chew toy stuffed with food) up, drive to the
        dog's bowl (on a raised stand, by the wall) and drop it in; drive up beside the dog
        and stroke its back with the hand.
    Randomizations
        From the seed: the counter's, the dog's and the bowl's (x, y) within their regions,
        the dog's yaw within ±0.3 rad; the treat's place 0.08-0.16 m from the counter's front
        edge, its lane along the counter and its yaw.
    Success
        ``inside(treat, dog_bowl)`` (as in ``TrashDisposal``) and ``petted(dog)``: the hand
        touched (within 1 cm) a stretch of at least 0.2 m along the dog's back.
    """

    name = "pet_dog"
    objects = ("counter", "treat", "dog", "dog_bowl")

    @classmethod
    def goal_predicates(cls, world: HouseholdWorld) -> dict[str, bool]:  # type: ignore[override]
        """``{"inside(treat, dog_bowl)": ..., "petted(dog)": ...}``."""
        return {"inside(treat, dog_bowl)": inside(world, "treat", "dog_bowl"),  # type: ignore[arg-type]
                "petted(dog)": petted(world, "dog")}

    @classmethod
    def plans(cls, world: HouseholdWorld) -> dict[str, list[PlanStep]]:  # type: ignore[override]
        """Move to the treat, pick it, move to the bowl, drop it in, move to the dog, pet it;
        or pet the dog first, then point at the floor in front of the counter (-x of the
        treat) to go back to it (left to itself the base would come from the dog's side and
        reach along the counter's edge). The base stands across the dog
        (``skills.mobile.stances``) and drives straight, so the dog's far side is out of
        reach, and the stroke runs tail to neck."""
        def feed(to_treat: PlanStep) -> list[PlanStep]:
            return [to_treat, PlanStep("treat", "pick"), PlanStep("dog_bowl", "move_to"),
                    PlanStep("dog_bowl", "drop_into")]

        pet = [PlanStep("dog", "move_to"), PlanStep("dog", "pet")]
        return {"treat first": [*feed(PlanStep("treat", "move_to")), *pet],
                "pet first": [*pet, *feed(_stand_beside(world, "treat", math.pi))]}


class CovidCare(HouseholdTask):
    """Throw the used tissue on the counter into the bin, then bring the bottle of hand
    sanitizer on the counter to the person.

    Task
        Drive to the counter, pick the tissue up, drive to the bin and drop it in; drive back to
        the counter, pick the bottle up, drive to the person and hold it out to them.
    Randomizations
        From the seed: the counter's, the bin's and the person's (x, y) within their regions;
        the tissue's and the bottle's places 0.08-0.16 m from the counter's front edge, their
        lanes along the counter (two of three) and their yaws.
    Success
        ``inside(trash, bin)`` (as in ``TrashDisposal``) and ``handed_over(bottle, person)``:
        the bottle is in the gripper, its centre within 0.5 m (horizontally) of the person's
        centre and 0.8-1.3 m above the floor (held out: carried, it hangs lower).
    """

    name = "covid_care"
    objects = ("counter", "trash", "bottle", "bin", "person")
    skill_budget = 16

    @classmethod
    def goal_predicates(cls, world: HouseholdWorld) -> dict[str, bool]:  # type: ignore[override]
        """``{"inside(trash, bin)": ..., "handed_over(bottle, person)": ...}``."""
        return {"inside(trash, bin)": inside(world, "trash", "bin"),  # type: ignore[arg-type]
                "handed_over(bottle, person)": handed_over(world, "bottle", "person")}

    @classmethod
    def plans(cls, world: HouseholdWorld) -> dict[str, list[PlanStep]]:  # type: ignore[override]
        """Dispose of the tissue (move to it, pick it, move to the bin, drop it in), then move
        to the bottle, pick it, move to the person, hand it over; the robot stands in front of
        the person (+x, the side it comes from: "person, front") or the person points at the
        floor on their left (+y) or right (-y). The bottle comes last: the person takes it from
        the gripper."""
        tissue = _dispose("trash", PlanStep("bin", "move_to"))
        fetch = [*tissue, PlanStep("bottle", "move_to"), PlanStep("bottle", "pick")]
        give = PlanStep("person", "handover")
        return {
            "person, front": [*fetch, PlanStep("person", "move_to"), give],
            "person, left side": [*fetch, _stand_beside(world, "person", math.pi / 2), give],
            "person, right side": [*fetch, _stand_beside(world, "person", -math.pi / 2), give],
        }


class WaterPlant(HouseholdTask):
    """Water the plant with the watering can on the counter.

    Task
        Drive to the counter, pick the watering can up by its handle, drive to the plant and
        pour the water onto its soil.
    Randomizations
        From the seed: the counter's, the bin's (an obstacle for the base) and the plant's
        (x, y) within their regions; the can's place 0.08-0.16 m from the counter's front
        edge, its lane along the counter and its yaw (spout to the right, -y, within ±0.4 rad).
    Success
        ``watered(plant)``: 6 or more of the can's 12 water particles lie within the plant's
        pot.
    """

    name = "water_plant"
    objects = ("counter", "watering_can", "bin", "plant")

    @classmethod
    def arrange(cls, world: HouseholdWorld) -> None:  # type: ignore[override]
        """Turn the can a quarter turn right, its spout to the right (-y): the hand that grasps
        the handle from above then holds the spout on its right, the side TIAGo's wrist tilts
        down."""
        position, _ = world.object_pose("watering_can")
        world.set_object_pose("watering_can", position,
                              world.object_yaw("watering_can") - math.pi / 2, stop=True)
        world.step(30)

    @classmethod
    def goal_predicates(cls, world: HouseholdWorld) -> dict[str, bool]:  # type: ignore[override]
        """``{"watered(plant)": ...}``."""
        return {"watered(plant)": filled(world, "plant")}  # type: ignore[arg-type]

    @classmethod
    def plans(cls, world: HouseholdWorld) -> dict[str, list[PlanStep]]:  # type: ignore[override]
        """Move to the can, pick it, move to the plant, pour onto it; at the plant the robot
        stands on the side nearest where it comes from ("plant, nearest side"), or the person
        points at the floor beside the plant's front side (+x, towards the counter) or its
        inner side (+y, towards the middle of the room)."""
        fetch = [PlanStep("watering_can", "move_to"), PlanStep("watering_can", "pick")]
        pour = PlanStep("plant", "pour")
        return {
            "plant, nearest side": [*fetch, PlanStep("plant", "move_to"), pour],
            "plant, front side": [*fetch, _stand_beside(world, "plant", 0.0), pour],
            "plant, inner side": [*fetch, _stand_beside(world, "plant", math.pi / 2), pour],
        }


TIAGO_TASKS: tuple[type[HouseholdTask], ...] = (TrashDisposal, PetDog, CovidCare, WaterPlant)
"""Every TIAGo task, in NOIR's Table 1 order."""
