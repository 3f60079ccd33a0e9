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
        x, y = world.object_position("spill")[:2]
        world.place_object("bowl", float(x), float(y), world.object_yaw("bowl"))
        world.step(30)

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


def _beside(world: TabletopWorld, obj: str, support: str, heading: float,
            workspace: tuple[tuple[float, float], tuple[float, float]]) -> dict[str, float]:
    """Place parameters of a table point 0.15 m from ``support``'s centre for ``obj``: the
    first, turning from ``heading`` (rad, from +x) in steps of 30 degrees either way, that
    lies inside ``workspace`` and keeps ``obj``'s footprint ``MIN_GAP`` m from every object
    but ``obj`` and ``support``; ``heading`` itself if none does."""
    centre = world.object_position(support)[:2]
    others = [n for n in world.object_names() if n not in (obj, support)]
    (x0, y0), (x1, y1) = workspace
    for turn in (0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6):
        angle = heading + turn * math.pi / 6
        spot = centre + 0.15 * np.array([math.cos(angle), math.sin(angle)])
        inside_workspace = x0 <= spot[0] <= x1 and y0 <= spot[1] <= y1
        clear = all(np.linalg.norm(spot - world.object_position(n)[:2])
                    - _radius(world, n) - _radius(world, obj) > MIN_GAP for n in others)
        if inside_workspace and clear:
            break
    else:
        spot = centre + 0.15 * np.array([math.cos(heading), math.sin(heading)])
    return {"x": float(spot[0]), "y": float(spot[1]), "z": world.table_height}


def _area_beside(world: TabletopWorld, obj: str, area: str) -> None:
    """Put flat ``area`` 0.2 m beside ``obj``, towards the middle line (y = 0)."""
    x, y = world.object_position(obj)[:2]
    side = -1.0 if y > 0 else 1.0
    world.place_object(area, float(x), float(y + side * 0.2))
    world.step(30)


def _sweep_onto(world: TabletopWorld, tool: str, obj: str, area: str
                ) -> dict[str, list[PlanStep]]:
    """Pick ``tool``, sweep ``obj`` to the centre of ``area``, put ``tool`` down (back, left or
    right: ``_put_down_plans``)."""
    x, y = world.object_position(area)[:2]
    return _put_down_plans(
        world, tool,
        [PlanStep(tool, "pick"), PlanStep(obj, "sweep", {"x": float(x), "y": float(y)})])


UPRIGHT_TILT = 0.2
"""Largest tilt of a cup or mug counted as upright, in rad."""


SWEEP_WORKSPACE = ((0.4, -0.2), (0.62, 0.2))
"""Where a swept object and its tool start (x, y corners, m): within 0.2 m of the middle line,
so that the tool reaches behind the object when it sweeps it towards the middle."""


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


class SetTable(Task):
    """Set the table: the mug and the bowl on the plate side by side.

    Task
        Put the bowl on the plate and the mug on the table next to it.
    Randomizations
        Position and yaw of every object.
    Success
        ``on_top(bowl, plate)`` and the mug within 0.2 m of the plate, upright and resting.
    """

    name = "set_table"
    objects = ("mug", "bowl", "plate")

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """Bowl on plate, mug beside it."""
        near = np.hypot(*(world.object_position("mug")[:2]
                          - world.object_position("plate")[:2])) < 0.2
        return {"on_top(bowl, plate)": on_top(world, "bowl", "plate"),
                "next_to(mug, plate)": bool(near) and not_held(world)}

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """Bowl onto the plate, mug to a spot 0.15 m beside the plate towards the middle of
        the table ("bowl first"); or the mug first, to the first spot 0.15 m from the plate,
        from that direction on, that is inside the workspace and clear of the bowl ("mug
        first")."""
        x, y = world.object_position("plate")[:2]
        side = -0.15 if y > 0 else 0.15
        bowl = [PlanStep("bowl", "pick"), PlanStep("plate", "place")]
        mug = [PlanStep("mug", "pick"),
               PlanStep("mug", "place", {"x": float(x), "y": float(y + side),
                                         "z": world.table_height})]
        mug_first = [PlanStep("mug", "pick"),
                     PlanStep("mug", "place", _beside(world, "mug", "plate", math.copysign(
                         math.pi / 2, side), cls.workspace))]
        return {"bowl first": bowl + mug, "mug first": mug_first + bowl}


class CutBanana(Task):
    """Cut the banana on the cutting board.

    Task
        Pick the knife, cut the banana, put the knife down.
    Randomizations
        Position and yaw of knife and board; the banana lies on the board, turned at random.
    Success
        ``cut(banana)`` (two pieces) and the gripper is empty.
    """

    name = "cut_banana"
    objects = ("knife", "cutting_board", "banana")

    @classmethod
    def arrange(cls, world: TabletopWorld) -> None:
        """Banana on the board."""
        world.place_on("banana", "cutting_board", yaw=world.object_yaw("cutting_board"))
        world.step(30)

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """Banana cut, knife put down."""
        return {"cut(banana)": sliced(world, "banana"), "not_held()": not_held(world)}

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """Pick knife, cut banana, place knife where it was (or left or right)."""
        return _put_down_plans(world, "knife",
                               [PlanStep("knife", "pick"), PlanStep("banana", "cut")])


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
        x, y = world.object_position("cloth")[:2]
        world.place_object("mug", float(x), float(y), world.object_yaw("mug"))
        world.step(30)

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
    """Make a sandwich: bread, a slice of cheese, bread.

    Task
        Put the cheese slice on the bread and the top slice on the cheese.
    Randomizations
        Position and yaw of every object.
    Success
        ``on_top(cheese_slice, bread)`` and ``on_top(bread_top, cheese_slice)``.
    """

    name = "sandwich"
    objects = ("bread", "cheese_slice", "bread_top")

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """Cheese on the bread, top slice on the cheese."""
        return {"on_top(cheese_slice, bread)": on_top(world, "cheese_slice", "bread"),
                "on_top(bread_top, cheese_slice)": on_top(world, "bread_top", "cheese_slice")}

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """Cheese onto the bread, top slice onto the cheese: the only order (the goal fixes
        which slice lies on which)."""
        return {"cheese, then top": [
            PlanStep("cheese_slice", "pick"), PlanStep("bread", "place"),
            PlanStep("bread_top", "pick"), PlanStep("cheese_slice", "place")]}


class Hockey(Task):
    """Score a goal: hit the puck into the goal area with the hockey stick.

    Task
        Pick the stick, sweep the puck onto the goal area, put the stick down.
    Randomizations
        Position and yaw of stick and puck, within 0.2 m of the middle line; the goal lies
        0.2 m beside the puck, towards the middle.
    Success
        ``on_top(puck, goal)`` and the gripper is empty.
    """

    name = "hockey"
    objects = ("hockey_stick", "puck", "goal")
    workspace = SWEEP_WORKSPACE

    @classmethod
    def arrange(cls, world: TabletopWorld) -> None:
        """Goal 0.2 m beside the puck, towards the middle of the table."""
        _area_beside(world, "puck", "goal")

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """Puck in the goal area, stick put down."""
        return {"on_top(puck, goal)": on_top(world, "puck", "goal"),
                "not_held()": not_held(world)}

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """Pick stick, sweep the puck to the goal's centre, place the stick back (or left or
        right)."""
        return _sweep_onto(world, "hockey_stick", "puck", "goal")


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
