"""Franka tabletop tasks from NOIR's Table 1, each with goal predicates and a reference plan."""

from __future__ import annotations

import itertools
import math

import numpy as np

from sim.objects import CATALOGUE
from sim.tabletop import MIN_GAP, WORKSPACE, TabletopWorld
from sim.tasks.base import (
    Task,
    filled,
    inside,
    is_closed,
    not_held,
    on_top,
    resting,
    sliced,
    stirred,
    wiped,
)
from skills import PlanStep, Wipe
from skills.tools import SWEEP_RANGE


def _table_spot(world: TabletopWorld, obj: str) -> dict[str, float]:
    """Place parameters that put an object back where ``obj`` is now, on the table."""
    x, y = world.object_position(obj)[:2]
    return {"x": float(x), "y": float(y), "z": world.table_height}


SPOT_GRID = 0.01
"""Spacing of the candidate points of ``_free_spot``, in m."""
OTHER_SPOT = 0.12
"""Smallest distance of another put-down spot from where the object stands now, in m."""
PUT_DOWN_REACH = 0.66
"""Largest distance of a put-down spot from the robot's base, in m: the far corners of
``WORKSPACE`` (0.72 m) are out of reach for an object held off-centre (a knife by its handle)."""


def _radius(world: TabletopWorld, obj: str) -> float:
    """Radius of ``obj``'s footprint (its bounding circle in any yaw), in m."""
    return float(np.hypot(*world.object_info(obj).size[:2])) / 2


def _gap_to(world: TabletopWorld, obj: str, points: np.ndarray) -> np.ndarray:
    """Distance of each point (n, 2) m from ``obj``'s footprint (its size turned by its yaw),
    in m, shape (n,)."""
    yaw = world.object_yaw(obj)
    d = points - world.object_position(obj)[:2]
    along = d[:, 0] * math.cos(yaw) + d[:, 1] * math.sin(yaw)
    across = -d[:, 0] * math.sin(yaw) + d[:, 1] * math.cos(yaw)
    half = np.array(world.object_info(obj).size[:2]) / 2
    return np.hypot(np.maximum(np.abs(along) - half[0], 0.0),
                    np.maximum(np.abs(across) - half[1], 0.0))


def _free_spot(world: TabletopWorld, obj: str, side: str,
               away_from: list[np.ndarray]) -> dict[str, float]:
    """Place parameters of a free table point for ``obj`` in the robot's ``side`` ("left" is
    +y) half of ``WORKSPACE``, at least ``OTHER_SPOT`` m from each point (2,) m of
    ``away_from``.

    Candidates lie on a ``SPOT_GRID`` grid over that half of ``WORKSPACE`` (where objects
    start), within ``PUT_DOWN_REACH`` of the robot's base. A free one keeps ``obj``'s footprint
    (its bounding circle: it may turn in the hand) ``MIN_GAP`` m from every other object's
    footprint (``_gap_to``) as they stand now. Of the free candidates, the one nearest the
    middle of the half wins; if none is free, the candidate with the most room (a spot is
    always returned, for any world state).
    """
    (x0, y0), (x1, y1) = WORKSPACE
    middle = (y0 + y1) / 2
    edge = y1 if side == "left" else y0
    xs = np.linspace(x0, x1, round((x1 - x0) / SPOT_GRID) + 1)
    ys = np.linspace(middle, edge, round(abs(edge - middle) / SPOT_GRID) + 1)
    grid = np.stack(np.meshgrid(xs, ys, indexing="ij"), axis=-1).reshape(-1, 2)
    room = np.full(len(grid), np.inf)
    for other in world.object_names():
        if other != obj:
            room = np.minimum(room, _gap_to(world, other, grid) - _radius(world, obj))
    apart = np.hypot(grid[:, 0], grid[:, 1]) <= PUT_DOWN_REACH
    for point in away_from:
        apart &= np.linalg.norm(grid - point, axis=1) >= OTHER_SPOT
    anchor = np.array([(x0 + x1) / 2, (middle + edge) / 2])
    free = apart & (room > MIN_GAP)
    if free.any():
        best = np.flatnonzero(free)[np.argmin(np.linalg.norm(grid[free] - anchor, axis=1))]
    else:
        best = int(np.argmax(np.where(apart, room, -np.inf)))
    return {"x": float(grid[best, 0]), "y": float(grid[best, 1]), "z": world.table_height}


def _put_down_plans(world: TabletopWorld, obj: str, before: list[PlanStep]
                    ) -> dict[str, list[PlanStep]]:
    """``before``, then ``obj`` put down back where it is now ("<obj> back"), or at a free spot
    in the left or right half of the table ("<obj> left", "<obj> right": ``_free_spot``, the
    two and where ``obj`` is now at least ``OTHER_SPOT`` m apart), by name."""
    word = obj.replace("_", " ")
    here = world.object_position(obj)[:2]
    left = _free_spot(world, obj, "left", [here])
    right = _free_spot(world, obj, "right", [here, np.array([left["x"], left["y"]])])
    return {f"{word} back": [*before, PlanStep(obj, "place", _table_spot(world, obj))],
            f"{word} left": [*before, PlanStep(obj, "place", left)],
            f"{word} right": [*before, PlanStep(obj, "place", right)]}


def _move_off(world: TabletopWorld, obj: str) -> dict[str, list[PlanStep]]:
    """Pick ``obj`` and put it down at a free spot in the left or the right half of the table
    (``_free_spot``, at least ``OTHER_SPOT`` m from where it is now), by "<obj> left",
    "<obj> right"."""
    word = obj.replace("_", " ")
    here = world.object_position(obj)[:2]
    return {f"{word} {side}": [PlanStep(obj, "pick"),
                               PlanStep(obj, "place", _free_spot(world, obj, side, [here]))]
            for side in ("left", "right")}


def clear(world: TabletopWorld, patch: str) -> bool:
    """Whether nothing stands on ``patch`` (``Wipe.standing_on``: no object but the held one
    and flat marks overlaps its footprint at or above its bottom)."""
    return not Wipe.standing_on(world, patch)


def _stand_on_middle(world: TabletopWorld, obj: str, patch: str) -> None:
    """Put ``obj`` on the middle of flat ``patch`` (keeping its yaw) and let it settle."""
    x, y = world.object_position(patch)[:2]
    world.place_object(obj, float(x), float(y), world.object_yaw(obj))
    world.step(30)


class WipeSpill(Task):
    """Wipe the spill with the sponge.

    Task
        The bowl whose soup spilled still stands on the spill: move the bowl off (pick it, put
        it down aside), pick the sponge, wipe the spill, put the sponge back. The wipe needs
        the spill clear (``Wipe``'s precondition).
    Randomizations
        Position and yaw of sponge, spill and bowl; the bowl stands on the middle of the
        spill.
    Success
        ``wiped(spill)`` (90 % of its cells covered), ``clear(spill)`` (nothing stands on it)
        and the gripper is empty.
    """

    name = "wipe_spill"
    objects = ("sponge", "spill", "bowl")

    @classmethod
    def arrange(cls, world: TabletopWorld) -> None:
        """Bowl on the spill."""
        _stand_on_middle(world, "bowl", "spill")

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """Spill wiped and clear, sponge put down."""
        return {"wiped(spill)": wiped(world, "spill"), "clear(spill)": clear(world, "spill"),
                "not_held()": not_held(world)}

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """Bowl to a free spot on the left (or right) of the table, then pick the sponge,
        wipe the spill and put the sponge back where it was."""
        wipe = [PlanStep("sponge", "pick"), PlanStep("spill", "wipe"),
                PlanStep("sponge", "place", _table_spot(world, "sponge"))]
        return {name: [*move, *wipe] for name, move in _move_off(world, "bowl").items()}


TOYS = ("toy_car", "toy_block", "lego", "ball")
"""CollectToy's toys, in the reference plan's order."""
BIN_CORNER = 0.035
"""Distance along each of the bin's axes of the point a toy is let go over from the bin's centre,
in m: four toys, one per quarter of the bin's floor (0.144 m wide inside), do not land on each
other."""
BIN_SPOTS = tuple((BIN_CORNER * x, BIN_CORNER * y)
                  for x, y in ((1, 1), (1, -1), (-1, 1), (-1, -1)))
"""Where CollectToy's k-th toy is let go over the bin, from its centre in its frame, in m."""


def _box_spots(world: TabletopWorld, box: str, offsets: list[tuple[float, float]]
               ) -> list[dict[str, float]]:
    """Place parameters over ``box``'s opening at each offset (x, y) m from its centre, in
    ``box``'s frame."""
    centre = world.object_position(box)[:2]
    yaw = world.object_yaw(box)
    turn = np.array([[math.cos(yaw), -math.sin(yaw)], [math.sin(yaw), math.cos(yaw)]])
    top = float(world.object_top(box)[2])
    return [{"x": float(x), "y": float(y), "z": top}
            for x, y in (centre + turn @ np.array(o, dtype=float) for o in offsets)]


class CollectToy(Task):
    """Collect the toys into the bin.

    Task
        Put the four toys lying about (toy car, toy block, lego brick, ball) into the trash bin
        (a toy box here), each picked and let go over its own quarter of the bin.
    Randomizations
        Position and yaw of every object.
    Success
        ``inside(toy, trash_bin)`` for each of the four toys.
    """

    name = "collect_toy"
    objects = (*TOYS, "trash_bin")
    skill_budget = 16

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """Every toy inside the bin."""
        return {f"inside({t}, trash_bin)": inside(world, t, "trash_bin") for t in TOYS}

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """Pick and place each toy into the bin (the k-th toy over ``BIN_SPOTS[k]``): the car,
        the block or the ball first, the others in ``TOYS``'s order."""
        spots = _box_spots(world, "trash_bin", list(BIN_SPOTS))
        plans = {}
        for first in ("toy_car", "toy_block", "ball"):
            order = [first, *(t for t in TOYS if t != first)]
            steps = []
            for toy, spot in zip(order, spots, strict=True):
                steps += [PlanStep(toy, "pick"), PlanStep("trash_bin", "place", spot)]
            plans[f"{first.removeprefix('toy_')} first"] = steps
        return plans


UPRIGHT_TILT = 0.2
"""Largest tilt of a cup or mug counted as upright, in rad."""


TRASH = ("can", "wrapper")
"""The pieces of trash swept onto the dustpan."""


class SweepTrash(Task):
    """Sweep the trash onto the dustpan with the broom.

    Task
        A mug was left standing on the dustpan: move it aside (to the free corner near the
        robot); pick the broom, sweep the can and the wrapper onto the dustpan one by one, put
        the broom back.
    Randomizations
        The dustpan lies across the middle line (y = 0) at a random x (0.48-0.54 m), the mug on
        it; the can 0.15-0.19 m to its left (+y) or right, the wrapper as far to the other side
        (both within 3 cm of the dustpan's x: the broom reaches behind each); the broom in one
        of the corners near the robot; yaw of every object.
    Success
        ``on_top(can, dustpan)``, ``on_top(wrapper, dustpan)``, the mug upright and resting off
        the dustpan, and the gripper is empty.
    """

    name = "sweep_trash"
    objects = ("broom", *TRASH, "dustpan", "mug")

    @classmethod
    def arrange(cls, world: TabletopWorld) -> None:
        """Dustpan across the middle line with the mug on it, a piece of trash on each side,
        the broom in a corner near the robot."""
        rng = world.rng
        x0 = float(rng.uniform(0.48, 0.54))
        side, corner = (float(rng.choice([-1.0, 1.0])) for _ in range(2))
        world.place_object("dustpan", x0, 0.0)
        world.place_object("mug", x0, 0.0, world.object_yaw("mug"))
        for piece, sign in zip(TRASH, (side, -side), strict=True):
            world.place_object(piece, x0 + float(rng.uniform(-0.03, 0.03)),
                               sign * float(rng.uniform(0.15, 0.19)), world.object_yaw(piece))
        world.place_object("broom", float(rng.uniform(0.35, 0.38)),
                           corner * float(rng.uniform(0.12, 0.16)), world.object_yaw("broom"))
        world.step(30)

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """Both pieces on the dustpan, the mug off it, broom put down."""
        mug_down = world.tilt("mug") < UPRIGHT_TILT and resting(world, "mug")
        return {**{f"on_top({p}, dustpan)": on_top(world, p, "dustpan") for p in TRASH},
                "off(mug, dustpan)": mug_down and not on_top(world, "mug", "dustpan"),
                "not_held()": not_held(world)}

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """The mug to the corner near the robot the broom is not in, the broom picked, the can
        then the wrapper (or the wrapper first) swept to the dustpan's centre (the second stops
        against the first, both on the dustpan), the broom put back where it was."""
        x, y = world.object_position("dustpan")[:2]
        broom = world.object_position("broom")[:2]
        mug = [PlanStep("mug", "pick"), PlanStep("mug", "place", {
            "x": float(broom[0]), "y": float(-broom[1]), "z": world.table_height})]
        back = PlanStep("broom", "place", _table_spot(world, "broom"))
        can, wrapper = (PlanStep(p, "sweep", {"x": float(x), "y": float(y)}) for p in TRASH)
        return {"can first": [*mug, PlanStep("broom", "pick"), can, wrapper, back],
                "wrapper first": [*mug, PlanStep("broom", "pick"), wrapper, can, back]}


BASKET_TOYS = ("toy_block", "lego")
"""OpenBasket's toys, in the reference plan's order."""
BASKET_SPOTS = ((0.035, -0.02), (-0.035, -0.02))
"""Where the first and the second toy are let go over the basket, from its centre in its frame
(x along the hinge, y towards the knob), in m: side by side, 2 cm off the middle towards the
knob, where the hand does not touch the lid standing open."""


class OpenBasket(Task):
    """Open the basket, put the toys in, close it.

    Task
        Open the basket's lid, put the toy block and the lego brick inside (side by side along
        the hinge), close the lid.
    Randomizations
        Basket near the middle of the workspace (+-4 cm, yaw +-0.3 rad); the toys on its left
        (+y), clear of the lid when it is open (+-3 cm each, any yaw).
    Success
        ``inside(toy_block, basket)``, ``inside(lego, basket)`` and ``closed(basket)``.
    """

    name = "open_basket"
    objects = ("basket", *BASKET_TOYS)

    @classmethod
    def arrange(cls, world: TabletopWorld) -> None:
        """Basket near the middle, the toys beside it, clear of the lid when it is open."""
        dx, dy = world.rng.uniform(-0.04, 0.04, 2)
        world.place_object("basket", 0.5 + dx, -0.1 + dy, world.object_yaw("basket"))
        world.place_object("toy_block", 0.45 + dy, 0.22 + dx, float(world.rng.uniform(-1, 1)))
        ex, ey = world.rng.uniform(-0.03, 0.03, 2)
        world.place_object("lego", 0.6 + ex, 0.2 + ey, float(world.rng.uniform(-1, 1)))
        world.step(30)

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """Both toys inside, lid closed."""
        return {**{f"inside({t}, basket)": inside(world, t, "basket") for t in BASKET_TOYS},
                "closed(basket)": is_closed(world, "basket")}

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """Open, pick and place each toy (over ``BASKET_SPOTS``, in turn), close: the block or
        the lego first (the hand must be empty to open and close the lid, and the lid open to
        put a toy in)."""
        spots = _box_spots(world, "basket", list(BASKET_SPOTS))
        plans = {}
        for order in (BASKET_TOYS, BASKET_TOYS[::-1]):
            steps = [PlanStep("basket", "open")]
            for toy, spot in zip(order, spots, strict=True):
                steps += [PlanStep(toy, "pick"), PlanStep("basket", "place", spot)]
            plans[f"{order[0].removeprefix('toy_')} first"] = [
                *steps, PlanStep("basket", "close")]
        return plans


ON_TABLE = 0.005
"""Largest height of an object's bottom above the table top for it to stand on the table, in m."""


def _off_table(world: TabletopWorld, obj: str, box: str) -> bool:
    """Whether ``obj`` rests on the table (its bottom within ``ON_TABLE`` m of the table top),
    not on or in ``box``."""
    bottom = world.object_aabb(obj, base_only=True)[0][2]
    on_table = bottom <= world.table_height + ON_TABLE
    return on_table and resting(world, obj) and not on_top(world, obj, box)


PRESENT_SPOT = 0.025
"""How far from the gift box's centre towards its knob (away from the hinge) the present lies,
in m: the hand, 0.2 m wide along its fingers, reaches down beside the lid standing open."""
LID_REACH = 0.12
"""How far from the gift box's centre the top edge of its lid standing open reaches (towards +y
in the box's frame), in m: the present is put down at least ``OTHER_SPOT`` m from that edge's
ends and middle, where the hand does not push the lid over."""


class OpenGift(Task):
    """Open the gift: take the book off its lid, open it, take the present out, close it.

    Task
        The book lies on the gift box's lid: pick it and put it down beside the box; open the
        lid (a lid with something on it does not open); pick the present (the toy car) out of
        the box and put it on the table; close the empty box.
    Randomizations
        Gift box near the middle of the workspace (+-4 cm, yaw +-0.3 rad); the book on its lid
        (turned +-0.1 rad from it); the present in the box, ``PRESENT_SPOT`` m from its centre
        towards the knob, lying across the hinge (+-0.3 rad): the fingers close across it,
        along the hinge, where the box has room for them.
    Success
        ``off(book, gift)`` and ``off(toy_car, gift)`` (resting on the table, not on or in the
        box) and ``closed(gift)``.
    """

    name = "open_gift"
    objects = ("gift", "book", "toy_car")

    @classmethod
    def arrange(cls, world: TabletopWorld) -> None:
        """Gift near the middle, present inside, book on the lid."""
        dx, dy = world.rng.uniform(-0.04, 0.04, 2)
        yaw = world.object_yaw("gift")
        world.place_object("gift", 0.47 + dx, 0.0 + dy, yaw)
        spot = _box_spots(world, "gift", [(0.0, -PRESENT_SPOT)])[0]
        floor = 2 * CATALOGUE["gift"].boxes[0].half[2]
        world.set_object_pose("toy_car", (spot["x"], spot["y"], world.table_height + floor + 1e-3),
                              yaw + math.pi / 2 + float(world.rng.uniform(-0.3, 0.3)), stop=True)
        lid_top = world.object_top("gift")[2] + 2 * CATALOGUE["gift"].lid.boxes[0].half[2]
        world.set_object_pose("book", (0.47 + dx, 0.0 + dy, lid_top + 1e-3),
                              yaw + float(world.rng.uniform(-0.1, 0.1)), stop=True)
        world.step(30)

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """Book and present out of the box and resting on the table, lid closed."""
        return {"off(book, gift)": _off_table(world, "book", "gift"),
                "off(toy_car, gift)": _off_table(world, "toy_car", "gift"),
                "closed(gift)": is_closed(world, "gift")}

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """Pick the book, put it down on one side of the box (``_free_spot``), open the lid,
        pick the present, put it down on the other side, close the lid: the book left or
        right."""
        here = world.object_position("book")[:2]
        half = CATALOGUE["gift"].info.size[0] / 2
        lid = [np.array([p["x"], p["y"]]) for p in
               _box_spots(world, "gift", [(-half, LID_REACH), (0.0, LID_REACH), (half, LID_REACH)])]
        plans = {}
        for book_side, present_side in (("left", "right"), ("right", "left")):
            book = _free_spot(world, "book", book_side, [here])
            present = _free_spot(world, "toy_car", present_side, [here, *lid])
            plans[f"book {book_side}, present {present_side}"] = [
                PlanStep("book", "pick"), PlanStep("book", "place", book),
                PlanStep("gift", "open"), PlanStep("toy_car", "pick"),
                PlanStep("toy_car", "place", present), PlanStep("gift", "close")]
        return plans


class PourTea(Task):
    """Pour tea into the cup.

    Task
        Pick the teapot, pour into the cup, put the teapot back.
    Randomizations
        Position and yaw of teapot, cup and plate (distractor).
    Success
        ``filled(cup)`` (6 or more liquid particles in it) and the gripper is empty.
    """

    name = "pour_tea"
    objects = ("teapot", "cup", "plate")

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """Cup filled, teapot put down."""
        return {"filled(cup)": filled(world, "cup"), "not_held()": not_held(world)}

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """Pick teapot, pour into cup, place teapot where it was (or left or right)."""
        return _put_down_plans(world, "teapot",
                               [PlanStep("teapot", "pick"), PlanStep("cup", "pour")])


NEXT_TO = 0.15
"""Farthest an object's centre lies from the plate's edge when it is set beside the plate, in m."""
SETTING_GAP = 0.015
"""Gap between a set object's footprint (``_discs``) and the plate's edge, and the least room
left to the other objects around it, in m."""
SETTING_AREA = ((0.3, -0.4), (0.7, 0.4))
"""Where a set object may be put down (x, y corners, m), within ``PUT_DOWN_REACH`` of the
robot's base."""
SETTING_PLATE = ((0.45, -0.12), (0.55, 0.12))
"""Where the plate of the table setting starts (x, y corners, m): in front of the robot, with
room for the setting on every side."""
SETTING_SIDES = {"knife": 0.0, "mug": 0.0, "cup": math.pi}
"""Where each object of the table setting goes beside the plate, in the order they are given
spots: the preferred direction, in rad from the direction from the plate's centre towards the
middle line (y = 0), turning left. The mug goes beyond the knife."""
KNIFE_DISCS = tuple((dx, 0.015) for dx in np.linspace(-0.075, 0.075, 7))
"""The footprint of a knife put down, as discs: (x offset of the centre, radius), in m. A held
tool is put down lying along x (the hand turns it to its own yaw when it lifts it)."""


def next_to(world: TabletopWorld, obj: str, plate: str = "plate") -> bool:
    """Whether ``obj`` rests on the table beside ``plate``: its centre off the plate's footprint
    and within ``NEXT_TO`` m of it."""
    gap = _gap_to(world, plate, world.object_position(obj)[None, :2])[0]
    return bool(0.0 < gap <= NEXT_TO) and resting(world, obj)


def opposite(world: TabletopWorld, a: str, b: str, plate: str = "plate") -> bool:
    """Whether ``a`` and ``b`` lie on opposite sides of ``plate``: more than 90 degrees apart
    as seen from its centre."""
    centre = world.object_position(plate)[:2]
    return float(np.dot(world.object_position(a)[:2] - centre,
                        world.object_position(b)[:2] - centre)) < 0.0


def _discs(world: TabletopWorld, obj: str) -> tuple[np.ndarray, np.ndarray]:
    """Footprint of ``obj`` put down at the origin, as discs: centres (n, 2) and radii (n,), m."""
    if obj == "knife":
        return (np.array([[dx, 0.0] for dx, _ in KNIFE_DISCS]),
                np.array([r for _, r in KNIFE_DISCS]))
    return np.zeros((1, 2)), np.array([_radius(world, obj)])


def _setting_spots(world: TabletopWorld) -> dict[str, dict[str, float]]:
    """Place parameters of a spot beside the plate for the knife, the mug and the cup, by name.

    They get their spots in that order (``SETTING_SIDES``), each in the first direction,
    turning from its preferred one in steps of 30 degrees either way, where its footprint
    (``_discs``) lies inside ``SETTING_AREA``, ``SETTING_GAP`` m clear of the other objects
    where they stand now (in any order of putting them down, each spot is free when its object
    comes) and of the spots given before, as near the plate as that allows but no farther than
    ``NEXT_TO - SETTING_GAP`` m off its edge; the cup also keeps 120 degrees or more from the
    mug. Where no direction is clear, the one with the most room.
    """
    centre = world.object_position("plate")[:2]
    towards_middle = math.copysign(math.pi / 2, -centre[1])
    (x0, y0), (x1, y1) = SETTING_AREA
    taken: list[tuple[np.ndarray, np.ndarray]] = []
    spots: dict[str, dict[str, float]] = {}
    for obj, side in SETTING_SIDES.items():
        offsets, radii = _discs(world, obj)
        others = [n for n in world.object_names() if n not in (obj, "plate")]
        best, most = None, -np.inf
        for turn in (0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6):
            angle = towards_middle + side + turn * math.pi / 6
            u = np.array([math.cos(angle), math.sin(angle)])
            for d in np.arange(0.08, 0.4, 0.005):
                spot = centre + d * u
                discs = spot + offsets
                off_plate = np.min(_gap_to(world, "plate", discs) - radii)
                off_set = min((np.min(np.linalg.norm(discs[:, None] - q[None], axis=2)
                                      - radii[:, None] - rq[None]) for q, rq in taken),
                              default=np.inf)
                if min(off_plate, off_set) >= SETTING_GAP:
                    break
            room = min([float(np.min(_gap_to(world, n, discs) - radii)) for n in others],
                       default=np.inf)
            mug = spots.get("mug")
            apart = obj != "cup" or float(np.dot(u, [mug["x"] - centre[0], mug["y"] - centre[1]])
                                          ) <= -0.5 * math.dist(centre, (mug["x"], mug["y"]))
            near = _gap_to(world, "plate", spot[None])[0] <= NEXT_TO - SETTING_GAP
            inside = (np.all((x0 <= discs[:, 0]) & (discs[:, 0] <= x1) & (y0 <= discs[:, 1])
                             & (discs[:, 1] <= y1)) and np.hypot(*spot) <= PUT_DOWN_REACH)
            if inside and apart and near and room > most:
                best, most = (spot, discs, radii), room
                if room > SETTING_GAP:
                    break
        spot, discs, radii = best
        taken.append((discs, radii))
        spots[obj] = {"x": float(spot[0]), "y": float(spot[1]), "z": world.table_height}
    return spots


class SetTable(Task):
    """Set the table: the bowl on the plate, the knife, the mug and the cup beside it.

    Task
        Put the bowl on the plate, and the mug, the cup and the knife on the table beside the
        plate, the mug and the cup on opposite sides of it.
    Randomizations
        The plate in front of the robot (``SETTING_PLATE``), the other objects around it;
        yaw of every object.
    Success
        ``on_top(bowl, plate)``; ``next_to(<obj>, plate)`` for the mug, the cup and the knife
        (resting on the table, the centre within ``NEXT_TO`` m of the plate's edge);
        ``opposite(mug, cup)`` (more than 90 degrees apart around the plate's centre).
    """

    name = "set_table"
    objects = ("mug", "bowl", "plate", "cup", "knife")
    skill_budget = 16

    @classmethod
    def arrange(cls, world: TabletopWorld) -> None:
        """Plate in front of the robot (``SETTING_PLATE``), the rest around it, footprints
        ``MIN_GAP`` m apart; the mug, the cup and the knife not beside the plate yet (their
        centres ``MIN_GAP / 2`` m farther than ``NEXT_TO`` off its edge, for the mug's handle,
        which moves its centre off where it was put)."""
        radius = {n: _radius(world, n) for n in cls.objects}
        for _ in range(100):
            spots = {"plate": world.rng.uniform(*SETTING_PLATE)}
            world.place_object("plate", *spots["plate"], world.object_yaw("plate"))
            for name in sorted(radius, key=lambda n: -radius[n])[1:]:  # the plate is largest
                for _ in range(100):
                    xy = world.rng.uniform(*WORKSPACE)
                    apart = all(np.linalg.norm(xy - q) - radius[n] - radius[name] > MIN_GAP
                                for n, q in spots.items())
                    if apart and (name == "bowl" or _gap_to(world, "plate", xy[None])[0]
                                  > NEXT_TO + MIN_GAP / 2):
                        spots[name] = xy
                        break
            if len(spots) == len(radius):
                break
        else:
            raise RuntimeError("no room for the table setting's objects after 100 layouts")
        for name, (x, y) in spots.items():
            world.place_object(name, float(x), float(y), world.object_yaw(name))
        world.step(30)

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """Bowl on the plate, mug, cup and knife beside it, mug and cup on opposite sides."""
        beside = {f"next_to({n}, plate)": next_to(world, n) for n in ("mug", "cup", "knife")}
        return {"on_top(bowl, plate)": on_top(world, "bowl", "plate"), **beside,
                "opposite(mug, cup)": opposite(world, "mug", "cup")}

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """The bowl onto the plate, then the mug, the cup and the knife to their spots beside
        it (``_setting_spots``: the knife next to the plate on the side of the middle of the
        table, the mug beyond it, the cup on the other side) ("bowl first"); the mug and the
        cup first, the bowl after them ("mug first"); or the knife first ("knife first")."""
        spots = _setting_spots(world)

        def setting(order: list[str]) -> list[PlanStep]:
            return [step for n in order for step in (
                PlanStep(n, "pick"),
                PlanStep("plate", "place") if n == "bowl" else PlanStep(n, "place", spots[n]))]
        return {"bowl first": setting(["bowl", "mug", "cup", "knife"]),
                "mug first": setting(["mug", "cup", "bowl", "knife"]),
                "knife first": setting(["knife", "bowl", "mug", "cup"])}


class CutBanana(Task):
    """Cut the banana on the cutting board.

    Task
        Put the banana on the board, pick the knife, cut the banana, put the knife down.
    Randomizations
        Position and yaw of every object: the banana starts on the table, beside the board.
    Success
        ``cut(banana)`` (two pieces), ``on_top(banana, cutting_board)`` (both pieces) and the
        gripper is empty.
    """

    name = "cut_banana"
    objects = ("knife", "cutting_board", "banana")

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """Banana cut on the board, knife put down."""
        pieces = [n for n in ("banana", "banana_piece") if n in world.object_names()]
        return {"cut(banana)": sliced(world, "banana"),
                "on_top(banana, cutting_board)": all(on_top(world, p, "cutting_board")
                                                     for p in pieces),
                "not_held()": not_held(world)}

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """Banana onto the board, pick knife, cut banana, place knife where it was (or left or
        right)."""
        return _put_down_plans(world, "knife", [
            PlanStep("banana", "pick"), PlanStep("cutting_board", "place"),
            PlanStep("knife", "pick"), PlanStep("banana", "cut")])


CHEESE_GRATED = 0.75
"""Fraction of the cheese grated that the task asks for: most of it, two ``grate`` passes
(each grates 0.4-0.5 of it)."""


class GrateCheese(Task):
    """Grate most of the cheese.

    Task
        A cup was left standing on the grater: move it off to the table; pick the cheese,
        grate it in two passes, put the rest on the plate (or on the table).
    Randomizations
        Position and yaw of cheese, grater, plate and cup; the cup stands on the grater's
        middle.
    Success
        ``grated(cheese)`` (``CHEESE_GRATED`` of it used up), the cup upright (``UPRIGHT_TILT``)
        and resting off the grater, and the gripper is empty.
    """

    name = "grate_cheese"
    objects = ("cheese", "grater", "plate", "cup")

    @classmethod
    def arrange(cls, world: TabletopWorld) -> None:
        """Cup on the grater."""
        world.place_on("cup", "grater")
        world.step(30)

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """Most of the cheese grated, cup off the grater and upright, cheese put down."""
        cup_down = world.tilt("cup") < UPRIGHT_TILT and resting(world, "cup")
        return {"grated(cheese)": world.object_state("cheese")["grated"] >= CHEESE_GRATED,
                "off(cup, grater)": cup_down and not on_top(world, "cup", "grater"),
                "not_held()": not_held(world)}

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """The cup to a free spot on the left (or right) of the table, the cheese picked,
        grated twice and put on the plate ("cup left|right, cheese on the plate"); or the cup
        to the left and the cheese back where it was ("cup left, cheese back")."""
        here = world.object_position("cup")[:2]
        left = _free_spot(world, "cup", "left", [here])
        right = _free_spot(world, "cup", "right", [here])
        grate = [PlanStep("cheese", "pick"), PlanStep("grater", "grate"),
                 PlanStep("grater", "grate")]
        on_plate = PlanStep("plate", "place")
        back = PlanStep("cheese", "place", _table_spot(world, "cheese"))
        return {f"cup {side}, cheese {where}": [PlanStep("cup", "pick"),
                                                 PlanStep("cup", "place", spot), *grate, put]
                for side, spot, where, put in (("left", left, "on the plate", on_plate),
                                               ("right", right, "on the plate", on_plate),
                                               ("left", left, "back", back))}


PASTA_OFFSET = 0.035
"""Offset of the pasta's spot from the pot's centre, across the pasta's long side, in m: the
water lies in a heap of particles in the middle, off which a pasta dropped onto it slides
(beyond the place skill's tolerance)."""


def _pasta_spot(world: TabletopWorld) -> dict[str, float]:
    """Place parameters of the pasta's spot in the pot (``PASTA_OFFSET``), at the pot's top."""
    x, y, z = world.object_top("pot")
    across = world.object_yaw("pasta") + math.pi / 2
    return {"x": float(x + PASTA_OFFSET * math.cos(across)),
            "y": float(y + PASTA_OFFSET * math.sin(across)), "z": float(z)}


class CookPasta(Task):
    """Cook pasta: water into the pot, the pasta in, stirred.

    Task
        Pick the teapot (the kettle), pour water into the pot and put the teapot back where it
        was; put the pasta in the pot; pick the ladle, stir, put the ladle down.
    Randomizations
        Position and yaw of every object.
    Success
        ``filled(pot)`` (6 or more water particles in it), ``inside(pasta, pot)``,
        ``stirred(pot)`` and the gripper is empty.
    """

    name = "cook_pasta"
    objects = ("pasta", "pot", "ladle", "teapot")
    skill_budget = 16

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """Water and pasta in the pot, stirred, ladle put down."""
        return {"filled(pot)": filled(world, "pot"),
                "inside(pasta, pot)": inside(world, "pasta", "pot"),
                "stirred(pot)": stirred(world, "pot"), "not_held()": not_held(world)}

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """Water poured from the teapot (put back where it was), the pasta in beside the
        water's heap (``_pasta_spot``), stirred with the ladle, which is put back (or left or
        right): "water first, ladle back|left|right"; or the pasta in before the water
        ("pasta first, ladle back")."""
        water = [PlanStep("teapot", "pick"), PlanStep("pot", "pour"),
                 PlanStep("teapot", "place", _table_spot(world, "teapot"))]
        pasta = [PlanStep("pasta", "pick"), PlanStep("pot", "place", _pasta_spot(world))]
        stir = [PlanStep("ladle", "pick"), PlanStep("pot", "stir")]
        first = {name.replace("ladle", "water first, ladle"): plan for name, plan in
                 _put_down_plans(world, "ladle", [*water, *pasta, *stir]).items()}
        last = _put_down_plans(world, "ladle", [*pasta, *water, *stir])["ladle back"]
        return {**first, "pasta first, ladle back": last}


class IronCloth(Task):
    """Iron the cloth.

    Task
        A mug was left standing on the cloth: move the mug off (pick it, put it down aside),
        pick the iron, iron the whole cloth, put the iron back. Ironing needs the cloth clear
        (``Wipe``'s precondition).
    Randomizations
        Position and yaw of iron, cloth and mug; the mug stands on the middle of the cloth.
    Success
        ``ironed(cloth)`` (90 % covered), ``clear(cloth)`` (nothing stands on it) and the
        gripper is empty.
    """

    name = "iron_cloth"
    objects = ("iron", "cloth", "mug")

    @classmethod
    def arrange(cls, world: TabletopWorld) -> None:
        """Mug on the cloth."""
        _stand_on_middle(world, "mug", "cloth")

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """Cloth ironed and clear, iron put down."""
        return {"ironed(cloth)": wiped(world, "cloth"), "clear(cloth)": clear(world, "cloth"),
                "not_held()": not_held(world)}

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """Mug to a free spot on the left (or right) of the table, then pick the iron, iron
        (wipe) the cloth and put the iron back where it was."""
        iron = [PlanStep("iron", "pick"), PlanStep("cloth", "wipe"),
                PlanStep("iron", "place", _table_spot(world, "iron"))]
        return {name: [*move, *iron] for name, move in _move_off(world, "mug").items()}


CUP_ON_BOOK = 0.035
"""Distance of the cup's centre from the book's centre along the book, in m: the cup (6 cm
across) stands on one end of the dust (12 cm long) and wholly on the cover (15 cm long)."""


class CleanBook(Task):
    """Clean the dust off the book.

    Task
        A cup stands on the book's cover, on one end of the dust: move the cup off (pick it,
        put it down aside), pick the sponge, wipe the dust, put the sponge back, and put the
        cup back on the book (tidy up; the wipe needs the cover clear, ``Wipe``'s
        precondition). The book stays where it is: the dust is a mark fixed in the world (it
        would not go along with a moved book), so shelving the book is not part of the task.
    Randomizations
        Position and yaw of sponge, book and cup; the dust lies on the middle of the cover,
        the cup ``CUP_ON_BOOK`` m from the cover's middle, towards either end at random.
    Success
        ``wiped(dust)`` (90 % of its cells covered), ``on_top(cup, book)`` and the gripper is
        empty.
    """

    name = "clean_book"
    objects = ("sponge", "book", "dust", "cup")
    skill_budget = 14

    @classmethod
    def arrange(cls, world: TabletopWorld) -> None:
        """Dust on the book's cover, the cup on one end of it."""
        yaw = world.object_yaw("book")
        world.place_on("dust", "book", yaw=yaw)
        along = CUP_ON_BOOK * (1.0 if world.rng.random() < 0.5 else -1.0)
        world.place_on("cup", "book", along * math.cos(yaw), along * math.sin(yaw))
        world.step(30)

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """Dust wiped, cup back on the book, sponge put down."""
        return {"wiped(dust)": wiped(world, "dust"), "on_top(cup, book)": on_top(
            world, "cup", "book"), "not_held()": not_held(world)}

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """Cup to a free spot on the left (or right) of the table; pick the sponge, wipe the
        dust, put the sponge back where it was; the cup back onto the middle of the book."""
        clean = [PlanStep("sponge", "pick"), PlanStep("dust", "wipe"),
                 PlanStep("sponge", "place", _table_spot(world, "sponge")),
                 PlanStep("cup", "pick"), PlanStep("book", "place")]
        return {name: [*move, *clean] for name, move in _move_off(world, "cup").items()}


class Sandwich(Task):
    """Make a sandwich on the plate: bread, beef, a slice of cheese, bread.

    Task
        Put the bread on the plate, the beef and the cheese slice on the bread (in either
        order, each on the one before) and the top slice on them.
    Randomizations
        Position and yaw of every object.
    Success
        ``on_top(bread, plate)``, both fillings on the bread (``on_top(beef, bread)``,
        ``on_top(cheese_slice, bread)``) and the top slice over both (``on_top(bread_top,
        beef)``, ``on_top(bread_top, cheese_slice)``), all resting.
    """

    name = "sandwich"
    objects = ("plate", "bread", "beef", "cheese_slice", "bread_top")
    skill_budget = 16

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """Bread on the plate, the fillings on the bread, the top slice over the fillings."""
        pairs = [("bread", "plate"), ("beef", "bread"), ("cheese_slice", "bread"),
                 ("bread_top", "beef"), ("bread_top", "cheese_slice")]
        return {f"on_top({a}, {b})": on_top(world, a, b) for a, b in pairs}

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """Bread onto the plate, each filling onto what was put down last, the top slice last:
        the beef first ("beef, then cheese") or the cheese first ("cheese, then beef")."""
        def stack(order: tuple[str, ...]) -> list[PlanStep]:
            return [step for below, food in zip(("plate", *order[:-1]), order, strict=True)
                    for step in (PlanStep(food, "pick"), PlanStep(below, "place"))]
        return {"beef, then cheese": stack(("bread", "beef", "cheese_slice", "bread_top")),
                "cheese, then beef": stack(("bread", "cheese_slice", "beef", "bread_top"))}


SHOT = 0.2
"""Distance of the hockey puck's shooting spot from the goal's centre, towards the middle line
(y = 0), in m."""
SHOT_FAR = 0.04
"""How much farther than the longest sweep (``skills.tools.SWEEP_RANGE``) the hockey puck
starts from the goal's centre, at least, in m."""
SHOT_LANE = 0.08
"""Half width of the hockey shot's lane (the puck's and the stick head's path), and how far it
reaches behind the shooting spot, in m."""


def _box_gap(points: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Distance of each point (n, 2) m from the axis-aligned box [``lo``, ``hi``] (2,) m, in m,
    shape (n,)."""
    return np.linalg.norm(np.maximum(np.maximum(lo - points, points - hi), 0.0), axis=1)


class Hockey(Task):
    """Score a goal: put the puck at a shooting spot, hit it into the goal with the stick.

    Task
        Pick the puck and put it down at a shooting spot in front of the goal (``SHOT`` m from
        the goal's centre, towards the middle of the table), pick the stick, sweep the puck
        onto the goal area, put the stick down.
    Randomizations
        The goal near one side of the table (0.2-0.25 m from the middle line); the puck on the
        other side, farther from the goal than a sweep reaches (``skills.tools.SWEEP_RANGE``),
        so it must be carried to the shooting spot first; the stick clear of the puck and of
        the shot's lane; yaws of puck and stick.
    Success
        ``on_top(puck, goal)`` and the gripper is empty.
    """

    name = "hockey"
    objects = ("hockey_stick", "puck", "goal")

    @classmethod
    def arrange(cls, world: TabletopWorld) -> None:
        """Goal at a side, puck out of the stick's reach of it, stick clear of both."""
        rng = world.rng
        (x0, y0), (x1, y1) = WORKSPACE
        stick, puck = _radius(world, "hockey_stick"), _radius(world, "puck")
        for _ in range(1000):
            side = float(rng.choice([-1.0, 1.0]))
            goal = np.array([rng.uniform(0.42, 0.58), side * rng.uniform(0.2, 0.25)])
            start = np.array([rng.uniform(0.38, 0.62), -side * rng.uniform(0.22, 0.28)])
            tool = np.array([rng.uniform(x0, x1), rng.uniform(y0, y1)])
            spot_y = goal[1] - side * SHOT
            lane = (np.array([goal[0] - SHOT_LANE, min(spot_y - side * SHOT_LANE, goal[1])]),
                    np.array([goal[0] + SHOT_LANE, max(spot_y - side * SHOT_LANE, goal[1])]))
            if (np.linalg.norm(start - goal) > SWEEP_RANGE[1] + SHOT_FAR
                    and np.linalg.norm(tool - start) - stick - puck > MIN_GAP / 2
                    and _box_gap(tool[None], *lane)[0] - stick > MIN_GAP / 2):
                break
        else:  # about 1 draw in 20 fits: 1000 misses never happen
            raise RuntimeError("no hockey layout found in 1000 draws")
        world.place_object("goal", float(goal[0]), float(goal[1]))
        world.place_object("puck", float(start[0]), float(start[1]), world.object_yaw("puck"))
        world.place_object("hockey_stick", float(tool[0]), float(tool[1]),
                           world.object_yaw("hockey_stick"))
        world.step(30)

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """Puck in the goal area, stick put down."""
        return {"on_top(puck, goal)": on_top(world, "puck", "goal"),
                "not_held()": not_held(world)}

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """Pick the puck, place it at the shooting spot, pick the stick, sweep the puck to the
        goal's centre, place the stick back (or left or right)."""
        x, y = world.object_position("goal")[:2]
        spot = {"x": float(x), "y": float(y - math.copysign(SHOT, y)), "z": world.table_height}
        return _put_down_plans(world, "hockey_stick", [
            PlanStep("puck", "pick"), PlanStep("puck", "place", spot),
            PlanStep("hockey_stick", "pick"),
            PlanStep("puck", "sweep", {"x": float(x), "y": float(y)})])


TIC_TAC_TOE_CELL = 0.08
"""Side of a cell of the 3 x 3 tic-tac-toe board, in m."""
X_PIECES = ("x_piece_1", "x_piece_2", "x_piece_3", "x_piece_4")
O_PIECES = ("o_piece_1", "o_piece_2", "o_piece_3")
Cell = tuple[int, int]
GAMES: dict[str, tuple[Cell, ...]] = {
    "centre, fork on the left": ((0, 0), (1, 0), (1, 1), (-1, -1), (-1, 1), (0, 1), (1, -1)),
    "centre, fork on the right": ((0, 0), (1, 0), (1, -1), (-1, 1), (-1, -1), (0, -1), (1, 1)),
    "corner, fork at the far corners": ((-1, -1), (0, 0), (1, 1), (-1, 1), (1, -1), (1, 0),
                                        (0, -1)),
}
"""Whole games of the tic-tac-toe plans by name: the cells of the seven moves in the order
they are made, X first and then alternately O, as (x, y) offsets from the board's centre, in
cells (+x away from the robot, +y to its left). X makes a fork with its third piece, O blocks
one threat and X completes the other line with its fourth: X wins on the seventh move, no
earlier, and O has no line."""

PIECE_SPOTS = ((0.40, 0.2), (0.48, 0.2), (0.56, 0.2), (0.44, 0.27), (0.40, -0.2), (0.48, -0.2),
               (0.56, -0.2))
"""Where the pieces start, (x, y) in m (y from the board's middle): four to the left of the
board, three to its right, 5 cm or more from its edge and 8 cm apart."""


def board_cell(world: TabletopWorld, obj: str, board: str = "board") -> tuple[int, int] | None:
    """(row, column) of the board cell under ``obj``'s centre (row along the board's x axis,
    both in 0..2), or None if it is off the board or not resting on it."""
    centre, yaw = world.object_pose(board)[0], world.object_yaw(board)
    d = world.object_position(obj)[:2] - centre[:2]
    u = d[0] * math.cos(yaw) + d[1] * math.sin(yaw)
    v = -d[0] * math.sin(yaw) + d[1] * math.cos(yaw)
    row, col = (int(math.floor(w / TIC_TAC_TOE_CELL + 1.5)) for w in (u, v))
    if not (0 <= row <= 2 and 0 <= col <= 2) or not on_top(world, obj, board):
        return None
    return row, col


def three_in_a_row(cells: list[tuple[int, int] | None]) -> bool:
    """Whether three of ``cells`` (board cells, None for a piece off the board) are a whole
    row, column or diagonal."""
    for trio in itertools.combinations([c for c in cells if c is not None], 3):
        rows, cols = {r for r, _ in trio}, {c for _, c in trio}
        if len(set(trio)) != 3:
            continue
        diagonal = all(r == c for r, c in trio) or all(r + c == 2 for r, c in trio)
        if len(rows) == 1 or len(cols) == 1 or diagonal:
            return True
    return False


class TicTacToe(Task):
    """Play a whole game of tic-tac-toe, the robot moving both players' pieces.

    Task
        Make the seven moves of a game (X, O, X, O, X, O, X: the person plays X and moves
        their opponent's O pieces as the opponent calls them), each a pick of a piece and a
        place into a cell of the 3 x 3 board, so that X wins with its fourth piece.
    Randomizations
        Position of the board near the middle (+-3 cm, not turned); the seven pieces in a
        random order on seven spots beside it (+-1 cm, any yaw).
    Success
        ``three_in_a_row(x_piece_*)``: three X pieces resting in cells that fill a row, a
        column or a diagonal; ``all_on_board``: all seven pieces resting in seven different
        cells; ``no_line(o_piece_*)``: the O pieces fill no line.
    """

    name = "tic_tac_toe"
    objects = ("board", *X_PIECES, *O_PIECES)
    skill_budget = 28

    @classmethod
    def arrange(cls, world: TabletopWorld) -> None:
        """Board near the middle (+-3 cm), the pieces in a random order on the spots of
        ``PIECE_SPOTS`` beside it (+-1 cm, any yaw): every cell and piece within reach."""
        dx, dy = world.rng.uniform(-0.03, 0.03, 2)
        world.place_object("board", 0.5 + dx, dy)
        pieces = X_PIECES + O_PIECES
        for piece, k in zip(pieces, world.rng.permutation(len(pieces)), strict=True):
            sx, sy = np.array(PIECE_SPOTS[k]) + world.rng.uniform(-0.01, 0.01, 2)
            world.place_object(piece, float(sx), float(dy + sy), float(world.rng.uniform(-1, 1)))
        world.step(30)

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """X has a line, every piece is in its own cell, O has none."""
        x_cells = [board_cell(world, p) for p in X_PIECES]
        o_cells = [board_cell(world, p) for p in O_PIECES]
        cells = x_cells + o_cells
        return {"three_in_a_row(x_piece_*)": three_in_a_row(x_cells),
                "all_on_board": None not in cells and len(set(cells)) == len(cells),
                "no_line(o_piece_*)": not three_in_a_row(o_cells)}

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """The seven moves of each game of ``GAMES``: the next X or O piece picked and placed
        into the move's cell (the person aims within half a cell of its middle)."""
        x, y = world.object_position("board")[:2]
        z = float(world.object_top("board")[2])
        movers = [p for pair in itertools.zip_longest(X_PIECES, O_PIECES) for p in pair if p]
        return {
            name: [step for piece, (row, col) in zip(movers, cells, strict=True)
                   for step in (PlanStep(piece, "pick"), PlanStep("board", "place", {
                       "x": float(x + row * TIC_TAC_TOE_CELL),
                       "y": float(y + col * TIC_TAC_TOE_CELL), "z": z},
                       within=TIC_TAC_TOE_CELL / 2))]
            for name, cells in GAMES.items()
        }


INGREDIENTS = ("beef", "tofu", "mushroom", "noodles")
"""What goes into the sukiyaki pan, in the reference plan's order."""
PAN_SPOTS = {"beef": (1, 1), "tofu": (1, -1), "mushroom": (-1, 1), "noodles": (-1, -1)}
"""Corner of the pan each ingredient is put in: signs of its (x, y) offset in the pan's frame."""
PAN_SPOT_OFFSET = 0.055
"""Offset of an ingredient's spot from the pan's centre along each of the pan's axes, in m:
in the corners, clear of the ladle, which stirs a 3-cm circle in the middle."""


def _pan_spot(world: TabletopWorld, food: str, pan: str = "sukiyaki_pan") -> dict[str, float]:
    """Place parameters of ``food``'s corner of ``pan`` (``PAN_SPOTS``), at the pan's top."""
    x, y, z = world.object_top(pan)
    yaw = world.object_yaw(pan)
    u, v = (PAN_SPOT_OFFSET * sign for sign in PAN_SPOTS[food])
    return {"x": float(x + u * math.cos(yaw) - v * math.sin(yaw)),
            "y": float(y + u * math.sin(yaw) + v * math.cos(yaw)), "z": float(z)}


class Sukiyaki(Task):
    """Cook sukiyaki: the ingredients and the sauce into the pan, stirred.

    Task
        Put the beef, the tofu, the mushroom and the noodles into the pan, each in a corner;
        pour the sauce in from the jug and put the jug back; stir with the ladle and put the
        ladle down.
    Randomizations
        Position and yaw of every object.
    Success
        ``inside(<ingredient>, sukiyaki_pan)`` for the four ingredients, ``filled(sukiyaki_pan)``
        (6 or more sauce particles in it), ``stirred(sukiyaki_pan)`` and the gripper is empty.
    """

    name = "sukiyaki"
    objects = ("sukiyaki_pan", *INGREDIENTS, "sauce_jug", "ladle")
    skill_budget = 28

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """Every ingredient in the pan, sauce poured, stirred, ladle put down."""
        goals = {f"inside({food}, sukiyaki_pan)": inside(world, food, "sukiyaki_pan")
                 for food in INGREDIENTS}
        return {**goals, "filled(sukiyaki_pan)": filled(world, "sukiyaki_pan"),
                "stirred(sukiyaki_pan)": stirred(world, "sukiyaki_pan"),
                "not_held()": not_held(world)}

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """Each ingredient into its corner of the pan, the sauce poured (and the jug put back
        where it was), then stirred with the ladle, which is put back (or left or right):
        the beef first, then the sauce and the rest ("beef first, ladle back|left|right");
        or the beef last, the sauce after it ("beef last, ladle back")."""
        def add(food: str) -> list[PlanStep]:
            return [PlanStep(food, "pick"), PlanStep("sukiyaki_pan", "place",
                                                     _pan_spot(world, food))]
        sauce = [PlanStep("sauce_jug", "pick"), PlanStep("sukiyaki_pan", "pour"),
                 PlanStep("sauce_jug", "place", _table_spot(world, "sauce_jug"))]
        stir = [PlanStep("ladle", "pick"), PlanStep("sukiyaki_pan", "stir")]
        beef, rest = add("beef"), [s for food in INGREDIENTS[1:] for s in add(food)]
        first = {name.replace("ladle", "beef first, ladle"): plan for name, plan in
                 _put_down_plans(world, "ladle", [*beef, *sauce, *rest, *stir]).items()}
        last = _put_down_plans(world, "ladle", [*rest, *beef, *sauce, *stir])["ladle back"]
        return {**first, "beef last, ladle back": last}


FRANKA_TASKS: tuple[type[Task], ...] = (
    WipeSpill, CollectToy, SweepTrash, CleanBook, IronCloth, OpenBasket, PourTea, SetTable,
    GrateCheese, CutBanana, CookPasta, Sandwich, Hockey, OpenGift, TicTacToe, Sukiyaki,
)
"""The Franka tasks, in Table 1 order."""
