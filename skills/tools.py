"""Tool skills: the held object acts on another one (wipe, sweep, pour, stir, cut, grate).

Each needs a held object with a tool ability (``wiper``, ``sweeper``, ``pourable``, ``stirrer``,
``slicer``, ``gratable``) and applies to objects with the matching ability. The effect itself
(cells wiped, particles poured, a body split in two, shreds) is simulated by the world from the
tool's motion; the success check reads ``scene.object_state``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from skills.base import (
    FINGER_CLEARANCE,
    ExecutionFailure,
    ObjectInfo,
    Param,
    PlanningFailure,
    PreconditionFailure,
    Skill,
    StepBudget,
    heading,
    held_tool_target,
    motion_kwargs,
    push_line,
    quat_about,
    quat_conj,
    quat_mul,
    retreat_home,
    stroke,
    stroke_path,
    tool_heading_orientation,
)

if TYPE_CHECKING:
    from skills.robot import Scene

WIPE_LIFT = 0.003
"""Height of a wiper's bottom above the surface it wipes, in m."""
WIPE_ROW = 0.025
"""Distance between two wiping strokes, in m."""
WIPED_ENOUGH = 0.9
"""Fraction of a patch that a wipe must cover."""
SWEEP_MARGIN = 0.03
"""Gap between a sweeper's head and the object before a sweep starts, in m."""
SWEEP_FINISH = 0.03
"""How far short of the point the first, planned part of a sweep stops, in m: the rest is
pushed as measured (the object's and the head's shapes, and how the object slides along the
head, decide where it really stops)."""
SWEEP_RANGE = (0.02, 0.40)
"""Shortest and longest sweep, from the object's centre to the point it is swept to, in m."""
SWEEP_DEFAULT = 0.15
"""Length of the sweep ``Sweep.params_for_object`` proposes, in m."""
POUR_ANGLE = 1.75
"""How far a pourable is tilted, in rad."""
GENTLE_TILTS = (0.2, 0.4, 0.6, 0.8)
"""Tilts, in rad, of the gentle pour where the arm cannot tilt the pourable by ``POUR_ANGLE`` (a
mobile robot's side arm), in steps the wrist follows: a watering can pours past 0.6 rad, a
teapot only past 1.2 rad (``sim``), so a teapot poured gently fails the success check."""
POUR_HEIGHT = 0.06
"""Height of the spout above the target's opening while pouring, in m."""
POUR_HOLD = 240
"""Control steps the pourable stays tilted."""
POURED_ENOUGH = 6
"""Liquid particles that must land in the target."""
STIR_RADIUS = 0.03
"""Radius of the stirring circle, in m."""
STIR_TURNS = 2
"""Turns stirred."""
GRATE_STROKE = 0.04
"""Half length of a grating stroke, in m."""
GRATE_STROKES = 2
"""Strokes over the grater: one pass grates about 0.4-0.5 of a cheese (``sim``)."""
GRATE_LIFT = 0.003
"""Height of the gratable's bottom above the grater, in m."""
FLAT = 0.005
"""Height of an object up to which it is a flat mark (a patch, a target area), in m: a mark
lying on a patch is no obstacle to wiping it."""
BELOW_PATCH = 0.005
"""How far an object's bottom may lie below a patch's bottom and still stand on it, in m: the
support a patch lies on (the book under the dust) lies lower by its own height."""


class ToolSkill(Skill):
    """A skill that acts on ``object`` with the held tool; subclasses set the abilities."""

    tool_ability: ClassVar[str]
    target_ability: ClassVar[str]
    params = (Param("object", "object"),)
    step_budget = 4000

    @classmethod
    def applies_to(cls, info: ObjectInfo) -> bool:
        """Objects with ``target_ability``."""
        return cls.target_ability in info.abilities

    @classmethod
    def _check_preconditions(cls, scene: Scene, params: dict[str, Any]) -> None:
        held = scene.robot.held_object()
        if held is None or cls.tool_ability not in scene.object_info(held).abilities:
            tools = [n for n in scene.object_names()
                     if cls.tool_ability in scene.object_info(n).abilities]
            raise PreconditionFailure(
                f"{cls.name} needs a held {cls.tool_ability} (holding {held!r}); "
                f"pick one of {tools} first"
            )

    @classmethod
    def _progress(cls, scene: Scene, params: dict[str, Any], key: str) -> float:
        return scene.object_state(params["object"])[key]


def footprint(scene: Scene, obj: str) -> np.ndarray:
    """Corners (4, 2) m of ``obj``'s footprint: its ``size`` turned by its yaw about its
    centre, counter-clockwise."""
    yaw = scene.object_yaw(obj)
    turn = np.array([[math.cos(yaw), -math.sin(yaw)], [math.sin(yaw), math.cos(yaw)]])
    hx, hy = np.array(scene.object_info(obj).size[:2]) / 2
    local = np.array([[-hx, -hy], [hx, -hy], [hx, hy], [-hx, hy]])
    return scene.object_position(obj)[:2] + local @ turn.T


def footprints_overlap(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two convex footprints (corners (n, 2) m, in order round them) share area: no
    edge normal of either separates them (the separating axis test)."""
    for corners in (a, b):
        edges = np.roll(corners, -1, axis=0) - corners
        for normal in np.stack([-edges[:, 1], edges[:, 0]], axis=1):
            pa, pb = a @ normal, b @ normal
            if pa.max() <= pb.min() or pb.max() <= pa.min():
                return False
    return True


class Wipe(ToolSkill):
    """Wipe a patch (a spill, a cloth to iron) with the held wiper in rows over all of it.

    Precondition: besides the held wiper, nothing stands on the patch (no object but flat
    marks, ``FLAT``, whose footprint overlaps the patch's and whose bottom is not below the
    patch's, ``BELOW_PATCH``): the wiper cannot pass through a bowl on a spill or a mug on
    a cloth, so the person moves it off first. Success: at least ``WIPED_ENOUGH`` of the
    patch's cells were covered. Typical: 8-10 s.
    """

    name = "wipe"
    description = "wipe it with the held sponge or iron"
    tool_ability = "wiper"
    target_ability = "wipeable"

    @classmethod
    def _check_preconditions(cls, scene: Scene, params: dict[str, Any]) -> None:
        super()._check_preconditions(scene, params)
        patch = params["object"]
        standing = cls.standing_on(scene, patch)
        if standing:
            raise PreconditionFailure(
                f"{', '.join(map(repr, standing))} {'stands' if len(standing) == 1 else 'stand'}"
                f" on {patch!r}; move {'it' if len(standing) == 1 else 'them'} off first")

    @classmethod
    def standing_on(cls, scene: Scene, patch: str) -> list[str]:
        """Objects (not the held one, not flat marks) standing on ``patch``, in
        ``scene.object_names`` order."""
        area = footprint(scene, patch)
        bottom = 2 * scene.object_position(patch)[2] - scene.object_top(patch)[2]
        held = scene.robot.held_object()
        found = []
        for name in scene.object_names():
            if name in (patch, held) or scene.object_info(name).size[2] <= FLAT:
                continue
            lowest = 2 * scene.object_position(name)[2] - scene.object_top(name)[2]
            if lowest >= bottom - BELOW_PATCH and footprints_overlap(
                    area, footprint(scene, name)):
                found.append(name)
        return found

    @classmethod
    def _execute(
        cls,
        scene: Scene,
        params: dict[str, Any],
        budget: StepBudget,
        should_stop: Callable[[], bool] | None,
    ) -> dict[str, Any]:
        patch = params["object"]
        yaw = scene.object_yaw(patch)
        sx, sy = scene.object_info(patch).size[:2]
        orn = tool_heading_orientation(scene, yaw, symmetric=True)
        n_rows = int(math.ceil(sy / WIPE_ROW)) + 1
        centre, z = scene.object_position(patch), scene.object_top(patch)[2] + WIPE_LIFT
        points = []
        for k, v in enumerate(np.linspace(-sy / 2 + 0.01, sy / 2 - 0.01, n_rows)):
            for u in ((-sx / 2, sx / 2) if k % 2 == 0 else (sx / 2, -sx / 2)):
                points.append([centre[0] + u * math.cos(yaw) - v * math.sin(yaw),
                               centre[1] + u * math.sin(yaw) + v * math.cos(yaw), z])
        path = np.array([held_tool_target(scene, None, p, orn) for p in points])
        stroke(scene, path, orn, budget, should_stop)
        return {}

    @classmethod
    def _check_success(cls, scene: Scene, params: dict[str, Any], facts: dict[str, Any]) -> None:
        wiped = cls._progress(scene, params, "wiped")
        if wiped < WIPED_ENOUGH:
            raise ExecutionFailure(
                f"only {wiped:.0%} of {params['object']!r} wiped (need {WIPED_ENOUGH:.0%})")


class Sweep(ToolSkill):
    """Sweep ``object`` to the point (x, y) on the table with the held broom or stick: the
    tool's head, just above the table, leads from behind the object to the point. Typical:
    4-6 s.

    The person selects the object, then points with the Where cursor at where it should go:
    the Where stage decodes a point and nothing else, so the point is the destination (a
    direction and a distance could not be chosen at all). The object itself, not the cursor,
    says where the stroke starts: a cursor stopped within the interface's tolerance (12 px,
    about 5 cm of table on the top camera) would otherwise start the stroke beside the object
    and miss it. The cursor's error only moves the destination, by as much as it is off (the
    dustpan and the goal are 12-20 cm across), and the last ``SWEEP_FINISH`` m are pushed as
    measured, so the object stops at the point within about 1 cm. A tighter stopping
    tolerance would not do instead: 12 px is already less than one 20-px step of the
    continuous cursor, and every extra correction costs the person a 2-3 s decision.
    """

    name = "sweep"
    description = "sweep it there with the held broom"
    tool_ability = "sweeper"
    target_ability = ""
    params = (
        Param("object", "object"),
        Param("x", "float", "m", 0.25, 0.80),
        Param("y", "float", "m", -0.45, 0.45),
    )

    @classmethod
    def applies_to(cls, info: ObjectInfo) -> bool:
        """Small loose things on the floor of the table: trash and pucks."""
        return info.category in ("trash", "puck")

    @classmethod
    def params_for_object(cls, scene: Scene, obj: str) -> dict[str, Any]:
        """``SWEEP_DEFAULT`` m from the object's centre towards the table's middle line."""
        x, y = scene.object_position(obj)[:2]
        towards_middle = -1.0 if y > 0 else 1.0
        return {"object": obj, "x": float(x), "y": float(y + towards_middle * SWEEP_DEFAULT)}

    @classmethod
    def _check_preconditions(cls, scene: Scene, params: dict[str, Any]) -> None:
        super()._check_preconditions(scene, params)
        shortest, longest = SWEEP_RANGE
        distance = cls._direction_distance(scene, params)[1]
        if not shortest <= distance <= longest:
            raise PreconditionFailure(
                f"({params['x']:.3f}, {params['y']:.3f}) m is {distance:.3f} m from "
                f"{params['object']!r}; a sweep goes {shortest}-{longest} m")

    @classmethod
    def _direction_distance(cls, scene: Scene, params: dict[str, Any]) -> tuple[float, float]:
        """Heading (rad) and length (m) of the sweep from the object's centre to (x, y)."""
        dx, dy = np.array([params["x"], params["y"]]) - scene.object_position(params["object"])[:2]
        return math.atan2(dy, dx), math.hypot(dx, dy)

    @classmethod
    def _execute(
        cls,
        scene: Scene,
        params: dict[str, Any],
        budget: StepBudget,
        should_stop: Callable[[], bool] | None,
    ) -> dict[str, Any]:
        obj = params["object"]
        goal = np.array([params["x"], params["y"]])
        direction, distance = cls._direction_distance(scene, params)
        unit = np.array([math.cos(direction), math.sin(direction)])
        begin = scene.object_position(obj)[:2]
        point = np.array([*begin, scene.table_height + FINGER_CLEARANCE / 3])
        start, end = push_line(scene, obj, point, direction, distance - SWEEP_FINISH,
                               SWEEP_MARGIN)
        orn = tool_heading_orientation(scene, direction)
        path = np.array([held_tool_target(scene, "head", p, orn) for p in (start, end)])
        stroke_path(scene, path, orn, budget, should_stop)
        # The head now rests against the object, short of the point by how the object lay
        # against it; if the object went along, push it the rest of the way, as measured.
        rest = goal - scene.object_position(obj)[:2]
        followed = (distance - np.dot(rest, unit)) >= 0.5 * (distance - SWEEP_FINISH)
        if followed and np.dot(rest, unit) > 0:
            finish = scene.robot.ee_position() + [*rest, 0.0]
            scene.robot.move_ee(finish, orientation=orn, **motion_kwargs(budget, should_stop))
        retreat_home(scene, budget, should_stop)
        return {"start": begin, "direction": direction, "distance": distance}

    @classmethod
    def _check_success(cls, scene: Scene, params: dict[str, Any], facts: dict[str, Any]) -> None:
        moved = scene.object_position(params["object"])[:2] - facts["start"]
        along = float(np.dot(moved, [math.cos(facts["direction"]), math.sin(facts["direction"])]))
        if along < 0.5 * facts["distance"]:
            raise ExecutionFailure(
                f"{params['object']!r} moved {along:.3f} m along the sweep "
                f"(asked for {facts['distance']:.3f} m)")


class Pour(ToolSkill):
    """Pour from the held teapot or watering can into a cup, pot or plant: the spout goes
    ``POUR_HEIGHT`` above the opening and the vessel tilts by ``POUR_ANGLE``; an arm that
    cannot tilt it so far (TIAGo's) tilts it gently, by ``GENTLE_TILTS``. Typical: 4-5 s.
    """

    name = "pour"
    description = "pour the held teapot into it"
    tool_ability = "pourable"
    target_ability = "fillable"

    @classmethod
    def _check_preconditions(cls, scene: Scene, params: dict[str, Any]) -> None:
        super()._check_preconditions(scene, params)
        held = scene.robot.held_object()
        if scene.object_state(held)["fill"] <= 0:
            raise PreconditionFailure(f"{held!r} is empty")

    @classmethod
    def _execute(
        cls,
        scene: Scene,
        params: dict[str, Any],
        budget: StepBudget,
        should_stop: Callable[[], bool] | None,
    ) -> dict[str, Any]:
        robot = scene.robot
        held = robot.held_object()
        before = cls._progress(scene, params, "fill")
        mouth = scene.object_top(params["object"]) + [0.0, 0.0, POUR_HEIGHT]
        # The spout points across the line from the robot's base to the target: the vessel
        # stays at the target's distance from the robot while it tilts.
        base = robot.base_pose()[:2]
        spout = math.atan2(mouth[1] - base[1], mouth[0] - base[0]) + math.pi / 2
        upright = tool_heading_orientation(scene, spout, symmetric=True)
        spout = heading(quat_mul(upright, quat_conj(robot.ee_orientation()))) + heading(
            scene.object_pose(held)[1])
        tilt_axis = np.cross([0.0, 0.0, 1.0], [math.cos(spout), math.sin(spout), 0.0])
        over = held_tool_target(scene, "spout", mouth + [0.0, 0.0, 0.05], upright)
        kw = motion_kwargs
        for tilts in ((POUR_ANGLE,), GENTLE_TILTS):
            orientations = [upright, *(quat_mul(quat_about(tilt_axis, a), upright) for a in tilts)]
            path = [over, *(held_tool_target(scene, "spout", mouth, o) for o in orientations[1:])]
            try:
                robot.follow_path(np.array(path), np.array(orientations),
                                  **kw(budget, should_stop))
                break
            except PlanningFailure:  # nothing moved
                if tilts is GENTLE_TILTS:
                    raise
        robot.wait(POUR_HOLD, **kw(budget, should_stop))
        robot.follow_path(np.array(path[-2::-1]), np.array(orientations[-2::-1]),
                          **kw(budget, should_stop))
        robot.home(**kw(budget, should_stop))
        return {"before": before}

    @classmethod
    def _check_success(cls, scene: Scene, params: dict[str, Any], facts: dict[str, Any]) -> None:
        poured = cls._progress(scene, params, "fill") - facts["before"]
        if poured < POURED_ENOUGH:
            raise ExecutionFailure(
                f"{poured:.0f} particles landed in {params['object']!r} (need {POURED_ENOUGH})")


class Stir(ToolSkill):
    """Stir inside a pot with the held ladle: ``STIR_TURNS`` circles near its bottom.

    Typical: 4-5 s.
    """

    name = "stir"
    description = "stir it with the held ladle"
    tool_ability = "stirrer"
    target_ability = "stirrable"

    @classmethod
    def _execute(
        cls,
        scene: Scene,
        params: dict[str, Any],
        budget: StepBudget,
        should_stop: Callable[[], bool] | None,
    ) -> dict[str, Any]:
        pot = params["object"]
        before = cls._progress(scene, params, "turns")
        centre = scene.object_position(pot)
        z = 2 * centre[2] - scene.object_top(pot)[2] + 0.02
        orn = scene.robot.ee_orientation()
        angles = np.linspace(0.0, 2 * math.pi * STIR_TURNS, 12 * STIR_TURNS + 1)
        tips = [[centre[0] + STIR_RADIUS * math.cos(a), centre[1] + STIR_RADIUS * math.sin(a), z]
                for a in angles]
        stroke(scene, np.array([held_tool_target(scene, "tip", t, orn) for t in tips]), orn,
               budget, should_stop)
        return {"before": before}

    @classmethod
    def _check_success(cls, scene: Scene, params: dict[str, Any], facts: dict[str, Any]) -> None:
        turns = cls._progress(scene, params, "turns") - facts["before"]
        if turns < STIR_TURNS - 0.5:
            raise ExecutionFailure(f"stirred {turns:.1f} turns in {params['object']!r}")


class Cut(ToolSkill):
    """Cut a banana (or other sliceable) in two with the held knife: the blade goes down
    across it at its middle, to just above what it lies on. Typical: 3-4 s.
    """

    name = "cut"
    description = "cut it with the held knife"
    tool_ability = "slicer"
    target_ability = "sliceable"

    @classmethod
    def _check_preconditions(cls, scene: Scene, params: dict[str, Any]) -> None:
        super()._check_preconditions(scene, params)
        if cls._progress(scene, params, "pieces") > 1:
            raise PreconditionFailure(f"{params['object']!r} is already cut")

    @classmethod
    def _execute(
        cls,
        scene: Scene,
        params: dict[str, Any],
        budget: StepBudget,
        should_stop: Callable[[], bool] | None,
    ) -> dict[str, Any]:
        food = params["object"]
        first = tool_heading_orientation(scene, scene.object_yaw(food) + math.pi / 2, True)
        flipped = quat_mul(quat_about(np.array([0.0, 0.0, 1.0]), math.pi), first)
        x, y, z = scene.object_pose(food)[0]
        top = scene.object_top(food)[2]
        for orn in (first, flipped):  # the blade cuts either way round: try the other if needed
            path = [held_tool_target(scene, "blade", np.array([x, y, h]), orn)
                    for h in (top + 0.01, z + 0.004)]
            try:
                stroke_path(scene, np.array(path), orn, budget, should_stop)
                break
            except PlanningFailure:  # nothing moved
                if orn is flipped:
                    raise
        retreat_home(scene, budget, should_stop)
        return {}

    @classmethod
    def _check_success(cls, scene: Scene, params: dict[str, Any], facts: dict[str, Any]) -> None:
        if cls._progress(scene, params, "pieces") < 2:
            raise ExecutionFailure(f"the blade went down but {params['object']!r} is not cut")


class Grate(ToolSkill):
    """Rub the held cheese back and forth over a grater, ``GRATE_STROKES`` strokes.

    Shreds fall on the grater; one pass grates about 0.4-0.5 of a cheese. Typical: 3-4 s.
    """

    name = "grate"
    description = "grate the held cheese on it"
    tool_ability = "gratable"
    target_ability = "grater"

    @classmethod
    def _execute(
        cls,
        scene: Scene,
        params: dict[str, Any],
        budget: StepBudget,
        should_stop: Callable[[], bool] | None,
    ) -> dict[str, Any]:
        grater = params["object"]
        cheese = scene.robot.held_object()
        before = scene.object_state(cheese)["grated"]
        yaw = scene.object_yaw(grater)
        x, y, z = scene.object_top(grater)
        # a gratable tilted in the hand reaches below its base frame's origin, by ``sag`` m
        sag = scene.object_pose(cheese)[0][2] - (2 * scene.object_position(cheese)[2]
                                                 - scene.object_top(cheese)[2])
        orn = scene.robot.ee_orientation()
        ends = [(-1) ** k * GRATE_STROKE for k in range(GRATE_STROKES + 1)]
        path = [held_tool_target(scene, None, np.array(
            [x + u * math.cos(yaw), y + u * math.sin(yaw), z + GRATE_LIFT + sag]), orn)
            for u in ends]
        stroke(scene, np.array(path), orn, budget, should_stop)
        return {"before": before, "cheese": cheese}

    @classmethod
    def _check_success(cls, scene: Scene, params: dict[str, Any], facts: dict[str, Any]) -> None:
        grated = scene.object_state(facts["cheese"])["grated"] - facts["before"]
        if grated < 0.3:
            raise ExecutionFailure(f"only {grated:.0%} of {facts['cheese']!r} grated")
