"""Franka tabletop tasks from NOIR's Table 1, each with goal predicates and a reference plan."""

from __future__ import annotations

import math

import numpy as np

from sim.tabletop import MIN_GAP, WORKSPACE, TabletopWorld
from sim.tasks.base import (
    Task,
    filled,
    grated,
    inside,
    is_closed,
    is_open,
    not_held,
    on_top,
    resting,
    sliced,
    stirred,
    wiped,
)
from skills import PlanStep
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


class WipeSpill(Task):
    """Wipe the spill with the sponge.

    Task
        Pick the sponge, wipe the spill, put the sponge down.
    Randomizations
        Position and yaw of sponge, spill and bowl (distractor).
    Success
        ``wiped(spill)`` (90 % of its cells covered) and the gripper is empty.
    """

    name = "wipe_spill"
    objects = ("sponge", "spill", "bowl")

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """Spill wiped, sponge put down."""
        return {"wiped(spill)": wiped(world, "spill"), "not_held()": not_held(world)}

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """Pick sponge, wipe spill, place sponge where it was (or left or right)."""
        return _put_down_plans(world, "sponge",
                               [PlanStep("sponge", "pick"), PlanStep("spill", "wipe")])


class CollectToy(Task):
    """Collect the toys into the bin.

    Task
        Put the toy car and the toy block into the trash bin (a toy box here).
    Randomizations
        Position and yaw of every object.
    Success
        ``inside(toy_car, trash_bin)`` and ``inside(toy_block, trash_bin)``.
    """

    name = "collect_toy"
    objects = ("toy_car", "toy_block", "trash_bin")

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """Both toys inside the bin."""
        return {f"inside({t}, trash_bin)": inside(world, t, "trash_bin")
                for t in ("toy_car", "toy_block")}

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """Pick and place each toy into the bin, the car or the block first."""
        car = [PlanStep("toy_car", "pick"), PlanStep("trash_bin", "place")]
        block = [PlanStep("toy_block", "pick"), PlanStep("trash_bin", "place")]
        return {"car first": car + block, "block first": block + car}


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


SWEEP_WORKSPACE = ((0.4, -0.2), (0.62, 0.2))
"""Where a swept object and its tool start (x, y corners, m): within 0.2 m of the middle line,
so that the tool reaches behind the object when it sweeps it towards the middle."""


class SweepTrash(Task):
    """Sweep the can onto the dustpan with the broom.

    Task
        Pick the broom, sweep the can onto the dustpan area, put the broom down.
    Randomizations
        Position and yaw of broom and can, within 0.2 m of the middle line (y = 0) so that the
        broom reaches behind the can; the dustpan lies 0.2 m to the can's left (+y) or right,
        towards the middle.
    Success
        ``on_top(can, dustpan)`` and the gripper is empty.
    """

    name = "sweep_trash"
    objects = ("broom", "can", "dustpan")
    workspace = SWEEP_WORKSPACE

    @classmethod
    def arrange(cls, world: TabletopWorld) -> None:
        """Dustpan 0.2 m beside the can, towards the middle of the table."""
        _area_beside(world, "can", "dustpan")

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """Can on the dustpan, broom put down."""
        return {"on_top(can, dustpan)": on_top(world, "can", "dustpan"),
                "not_held()": not_held(world)}

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """Pick broom, sweep can towards the dustpan's centre, place broom back (or left or
        right)."""
        return _sweep_onto(world, "broom", "can", "dustpan")


class OpenBasket(Task):
    """Open the basket, put the toy in, close it.

    Task
        Open the basket's lid, put the toy block inside, close the lid.
    Randomizations
        Basket near the middle of the workspace (+-4 cm, yaw +-0.3 rad); toy anywhere.
    Success
        ``inside(toy_block, basket)`` and ``closed(basket)``.
    """

    name = "open_basket"
    objects = ("basket", "toy_block")

    @classmethod
    def arrange(cls, world: TabletopWorld) -> None:
        """Basket near the middle, toy beside it, clear of the lid when it is open."""
        dx, dy = world.rng.uniform(-0.04, 0.04, 2)
        world.place_object("basket", 0.5 + dx, -0.1 + dy, world.object_yaw("basket"))
        world.place_object("toy_block", 0.45 + dy, 0.22 + dx, float(world.rng.uniform(-1, 1)))
        world.step(30)

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """Toy inside, lid closed."""
        return {"inside(toy_block, basket)": inside(world, "toy_block", "basket"),
                "closed(basket)": is_closed(world, "basket")}

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """Open, pick toy, place in basket, close: the only order (the hand must be empty to
        open and close the lid, and the lid open to put the toy in)."""
        return {"open, put in, close": [
            PlanStep("basket", "open"), PlanStep("toy_block", "pick"),
            PlanStep("basket", "place"), PlanStep("basket", "close")]}


class OpenGift(Task):
    """Open the gift box.

    Task
        Open the lid of the gift box.
    Randomizations
        Gift box near the middle of the workspace (+-4 cm, yaw +-0.3 rad); a distractor book.
    Success
        ``open(gift)``: the lid is open by at least 1.2 rad.
    """

    name = "open_gift"
    objects = ("gift", "book")

    @classmethod
    def arrange(cls, world: TabletopWorld) -> None:
        """Gift near the middle, book to its right."""
        dx, dy = world.rng.uniform(-0.04, 0.04, 2)
        world.place_object("gift", 0.5 + dx, 0.0 + dy, world.object_yaw("gift"))
        world.place_object("book", 0.45, -0.22, float(world.rng.uniform(-1, 1)))
        world.step(30)

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """Lid open."""
        return {"open(gift)": is_open(world, "gift")}

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """Open the gift (one step: nothing to vary)."""
        return {"open": [PlanStep("gift", "open")]}


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


class GrateCheese(Task):
    """Grate the cheese.

    Task
        Pick the cheese, grate it on the grater, put the rest down.
    Randomizations
        Position and yaw of cheese, grater and plate (distractor).
    Success
        ``grated(cheese)`` (half used up) and the gripper is empty.
    """

    name = "grate_cheese"
    objects = ("cheese", "grater", "plate")

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """Cheese grated, put down."""
        return {"grated(cheese)": grated(world, "cheese"), "not_held()": not_held(world)}

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """Pick cheese, grate, place it on the plate (or on the table: where it was, left or
        right)."""
        grate = [PlanStep("cheese", "pick"), PlanStep("grater", "grate")]
        return {"cheese on the plate": [*grate, PlanStep("plate", "place")],
                **_put_down_plans(world, "cheese", grate)}


class CookPasta(Task):
    """Cook pasta: put it in the pot and stir.

    Task
        Put the pasta in the pot, pick the ladle, stir, put the ladle down.
    Randomizations
        Position and yaw of every object.
    Success
        ``inside(pasta, pot)``, ``stirred(pot)`` and the gripper is empty.
    """

    name = "cook_pasta"
    objects = ("pasta", "pot", "ladle")

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """Pasta in the pot, stirred, ladle put down."""
        return {"inside(pasta, pot)": inside(world, "pasta", "pot"),
                "stirred(pot)": stirred(world, "pot"), "not_held()": not_held(world)}

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """Pasta into the pot, stir with the ladle, ladle back (or left or right)."""
        return _put_down_plans(world, "ladle",
                               [PlanStep("pasta", "pick"), PlanStep("pot", "place"),
                                PlanStep("ladle", "pick"), PlanStep("pot", "stir")])


class IronCloth(Task):
    """Iron the cloth.

    Task
        Pick the iron, iron the whole cloth, put the iron down.
    Randomizations
        Position and yaw of iron and cloth.
    Success
        ``ironed(cloth)`` (90 % covered) and the gripper is empty.
    """

    name = "iron_cloth"
    objects = ("iron", "cloth")

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """Cloth ironed, iron put down."""
        return {"ironed(cloth)": wiped(world, "cloth"), "not_held()": not_held(world)}

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """Pick iron, wipe the cloth, place iron back (or left or right)."""
        return _put_down_plans(world, "iron",
                               [PlanStep("iron", "pick"), PlanStep("cloth", "wipe")])


class CleanBook(Task):
    """Clean the dust off the book.

    Task
        Pick the sponge, wipe the dust on the book's cover, put the sponge down.
    Randomizations
        Position and yaw of sponge and book; the dust lies on the middle of the cover.
    Success
        ``wiped(dust)`` (90 % of its cells covered) and the gripper is empty.
    """

    name = "clean_book"
    objects = ("sponge", "book", "dust")

    @classmethod
    def arrange(cls, world: TabletopWorld) -> None:
        """Dust on the book's cover."""
        world.place_on("dust", "book", yaw=world.object_yaw("book"))
        world.step(30)

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """Dust wiped, sponge put down."""
        return {"wiped(dust)": wiped(world, "dust"), "not_held()": not_held(world)}

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """Pick sponge, wipe the dust, place sponge where it was (or left or right)."""
        return _put_down_plans(world, "sponge",
                               [PlanStep("sponge", "pick"), PlanStep("dust", "wipe")])


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
PIECES = ("x_piece_1", "x_piece_2", "x_piece_3")
LINES: dict[str, tuple[tuple[int, int], ...]] = {
    "middle row from the right": ((0, -1), (0, 0), (0, 1)),
    "middle row from the left": ((0, 1), (0, 0), (0, -1)),
    "middle column": ((-1, 0), (0, 0), (1, 0)),
    "diagonal": ((-1, -1), (0, 0), (1, 1)),
}
"""Lines of the tic-tac-toe plans by name: the cells, in the order the pieces fill them, as
(x, y) offsets from the board's centre, in cells (+x away from the robot, +y to its left)."""


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
    """Whether three board cells are a whole row, column or diagonal."""
    if None in cells or len(set(cells)) != 3:
        return False
    rows, cols = {r for r, _ in cells}, {c for _, c in cells}
    diagonal = all(r == c for r, c in cells) or all(r + c == 2 for r, c in cells)
    return len(rows) == 1 or len(cols) == 1 or diagonal


class TicTacToe(Task):
    """Play tic-tac-toe: three X pieces in a row on the board.

    Task
        Put the three X pieces on the board in one row, column or diagonal of its 3 x 3 cells.
    Randomizations
        Position of the board (not turned) and position and yaw of the pieces beside it.
    Success
        ``three_in_a_row(x_piece_1, x_piece_2, x_piece_3)``: each resting in a cell, together
        filling a row, a column or a diagonal.
    """

    name = "tic_tac_toe"
    objects = ("board", *PIECES)

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """The pieces fill a line of cells."""
        cells = [board_cell(world, p) for p in PIECES]
        return {"three_in_a_row(x_piece_1, x_piece_2, x_piece_3)": three_in_a_row(cells)}

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """Each piece in turn into a cell of a line of the board (``LINES``)."""
        x, y = world.object_position("board")[:2]
        z = float(world.object_top("board")[2])
        return {
            name: [step for piece, (row, col) in zip(PIECES, cells, strict=True)
                   for step in (PlanStep(piece, "pick"), PlanStep("board", "place", {
                       "x": float(x + row * TIC_TAC_TOE_CELL),
                       "y": float(y + col * TIC_TAC_TOE_CELL), "z": z},
                       within=TIC_TAC_TOE_CELL / 2))]
            for name, cells in LINES.items()
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
