"""Where: an MI-driven cursor in the top camera image picks a skill's (x, y) point.

Two modes, as in the papers:

- ``"axis"`` (NOIR): along one image axis at a time, the person first says whether the axis is
  done (a clench: not yet); if not, 2-way MI picks the direction (Left Hand towards smaller
  coordinates, Rest towards larger ones), and after they confirm it the cursor glides at
  ``cursor_speed`` until they clench to stop it (a reaction after it reaches their point: it
  overshoots); each turn back on the same axis halves the speed. Then the other axis.
- ``"continuous"`` (NOIR 2.0): 4-way MI moves the cursor one ``cursor_step`` per decision
  (Left Hand left, Right Hand right, Legs down, Rest up); after each step the person clenches
  to stop once the cursor is where they want it.

The interface never knows the point the person means nor how close is close enough: it moves
the cursor and the person stops it and says when it is done. A start on the object (where the
top camera sees it, ``noir.perception``) or at a learned point is first proposed as it is (one
confirmation).

With ``LoopConfig.grasp_point`` a grasping skill (``Skill.grasp_params``: ``pick``) takes its
grasp point from the cursor too (NOIR's Pick(x, y, z)); the cursor then starts on the object, as
the camera sees it, whatever ``cursor_start`` says: the grasp is on that object.

The cursor's pixel becomes the world point on the surface seen there (the rendered depth), so
the height follows from what is under the cursor; NOIR's third, z axis is not decoded here. A
skill whose point lies on a fixed plane (``Skill.point_height``: a base stance on the floor)
gets the point on that plane instead, whatever stands above it. A skill whose point lies on
the selected object (``Skill.point_on_object``: where ``place`` puts the held object) is kept
where the held object, as the camera saw it, lies wholly on that object as the camera sees it.

With robot learning (``noir.assist``) the interface first proposes the point the person chose
for the same object and skill before; they confirm it or clench and steer the cursor from it.

The stage sees the interface only through :class:`CursorHost` (settings, the camera's
pixel <-> world mapping, decoding and confirming, clench watches, the record, human time) and
hands back a :class:`CursorResult`; the loop keeps the counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from decoders.cues import Glide, Menu, Proposal
from noir.stream import watch_screen
from noir.tally import where_score

if TYPE_CHECKING:
    from collections.abc import Callable

    from noir.config import LoopConfig
    from noir.intents import Decision
    from noir.session import SessionRecorder
    from noir.stream import ClenchWatch
    from sim.world import World
    from skills import Skill
    from skills.learning import PointPrediction

IMAGE = (360, 240)
"""Width and height of the top camera image the cursor lives in, pixels."""

AXIS_BINDING = {"left_hand": "towards smaller", "rest": "towards larger"}
CONTINUOUS_BINDING = {"left_hand": "left", "right_hand": "right", "legs": "down", "rest": "up"}
STEP = {"left": (-1, 0), "right": (1, 0), "down": (0, 1), "up": (0, -1)}


class CursorHost(Protocol):
    """What the Where stage uses of the interface (``noir.loop.InterfaceLoop`` is one).

    Attributes
    ----------
    config : LoopConfig
        The cursor settings (``cursor_*``, ``max_cursor_moves``) and the MI window.
    world : World
        The top camera's pixel <-> world mapping (rendered depth).
    recorder : SessionRecorder
        Takes the stage's events and the glides' EEG.
    """

    config: LoopConfig
    world: World
    recorder: SessionRecorder

    def decode_mi(self, stage: str, menu: Menu) -> Decision:
        """Show ``menu``; decode (and record) the MI window among its classes, each standing
        for an option."""

    def offer(self, decision: Decision, **shown: Any) -> str | None:
        """Offer the decision's options best first; the accepted one, or None."""

    def confirm(self, screen: Proposal, **fields: Any) -> bool:
        """Show the proposal; True unless the person clenches to reject it."""

    def clench_watch(self, screen: Glide, now: Callable[[], float], stage: str
                     ) -> ClenchWatch:
        """Watch the person's EMG while the cursor glides (``now()``: seconds since the
        start)."""

    def spend_human_time(self, seconds: float, decides: str) -> None:
        """The person spent ``seconds`` deciding ``decides``."""

    def truth(self) -> dict[str, Any]:
        """What the person meant at the last screen, for the record only."""

    def keep_on(self, obj: str, point: np.ndarray) -> np.ndarray:
        """``point`` (3,) m kept where the held object lies wholly over ``obj`` (as the camera
        sees them)."""


@dataclass(frozen=True)
class CursorResult:
    """What one Where stage gave: the chosen point, or none if the cursor was abandoned.

    Attributes
    ----------
    params : dict or None
        The skill's parameters with the chosen point (``x``, ``y`` and, where the skill takes
        it, ``z``, m); None if the cursor used up ``max_cursor_moves`` before the person
        stopped it (the loop then asks again).
    cursor_px : tuple of float
        Where the cursor stopped in the top camera image, (u, v) pixels.
    travel_px, travel_m : float
        How far the cursor moved, in pixels and in metres on the plane of the point.
    """

    params: dict[str, Any] | None
    cursor_px: tuple[float, float]
    travel_px: float
    travel_m: float


def needs_point(skill: type[Skill]) -> bool:
    """Whether ``skill`` takes a workspace point (float parameters ``x`` and ``y``)."""
    names = {p.name for p in skill.params if p.kind == "float"}
    return {"x", "y"} <= names


def takes_grasp_point(skill: type[Skill]) -> bool:
    """Whether ``skill`` may take the point it grasps its object at (optional ``x`` and ``y``,
    ``Skill.grasp_params``)."""
    return {"x", "y"} <= {p.name for p in skill.grasp_params}


def select_point(host: CursorHost, obj: str, skill: type[Skill], params: dict[str, Any],
                 predicted: PointPrediction | None = None,
                 object_px: tuple[float, float] | None = None) -> CursorResult:
    """Run the Where stage for ``skill`` on ``obj``: ``params`` with the point the person
    stopped the cursor at, and the top-view pixel (u, v) it stopped at; no parameters if the
    cursor used up ``max_cursor_moves`` before the person was content with it.

    The cursor starts at the ``predicted`` point (``noir.assist``) if there is one, else on
    the selected object as the camera sees it (``cursor_start="object"`` or a grasp point,
    ``object_px``) or at the image centre. An informed start (predicted or on the object) is
    first proposed as it is: the person confirms it, or clenches to reject it and steers the
    cursor from there. The interface never knows the point the person means: they stop the
    cursor, and say when it is where they want it.
    """
    config, world = host.config, host.world
    plane = skill.point_height
    z = world.table_height if plane is None else plane
    grasp = takes_grasp_point(skill) and not needs_point(skill)  # a point on the object
    on_object = (config.cursor_start == "object" or grasp) and object_px is not None
    if predicted is not None:
        start = np.array(predicted.top_px, dtype=float)
    elif on_object:
        start = np.array(object_px, dtype=float)
    else:
        start = np.array(IMAGE, dtype=float) / 2
    informed = predicted is not None or on_object
    host.recorder.event("stage", stage="where", object=obj, skill=skill.name,
                        mode=config.cursor_mode, learned=predicted is not None, start_px=start)
    if informed and _accepts(host, start, obj, skill.name, predicted):
        cursor, travel, moves, stopped = start, 0.0, 0, True
    else:
        move = _axis if config.cursor_mode == "axis" else _continuous
        cursor, travel, moves, stopped = move(host, start.copy(), obj, skill.name)
    travel_m = travel * _metres_per_pixel(world, cursor, z)
    cursor_px = (float(cursor[0]), float(cursor[1]))
    fields = {"object": obj, "skill": skill.name, "cursor_px": cursor, "travel_px": travel,
              "travel_m": travel_m, "moves": moves, **where_score(cursor_px, host.truth())}
    if not stopped:
        host.recorder.event("where", **fields, abandoned=True)
        return CursorResult(None, cursor_px, travel, travel_m)
    # the surface seen under the cursor (rendered depth) gives the point, height included,
    # unless the skill's point lies on a fixed plane (a base stance on the floor)
    point = world.pixel_to_world(cursor_px[0], cursor_px[1], plane_z=plane)
    if skill.point_on_object:
        point = host.keep_on(obj, point)
    chosen = dict(params)
    for p in (*skill.params, *skill.grasp_params):
        if p.name in ("x", "y", "z"):
            chosen[p.name] = float(np.clip(point["xyz".index(p.name)], p.low, p.high))
    host.recorder.event("where", **fields, abandoned=False, x=chosen["x"], y=chosen["y"],
                        z=chosen.get("z"))
    return CursorResult(chosen, cursor_px, travel, travel_m)


def _accepts(host: CursorHost, proposed: np.ndarray, obj: str, skill: str,
             learned: PointPrediction | None) -> bool:
    """Show the proposed point (``learned``, or on the object when None); True if the person
    accepts it.

    A learned point is the assistant's proposal: it is confirmed at stage ``"point"``."""
    px = (float(proposed[0]), float(proposed[1]))
    if learned is None:
        return host.confirm(Proposal("where", "proposed point", host.config.confirm_window,
                                     obj, skill, px))
    return host.confirm(Proposal("point", "proposed point", host.config.confirm_window,
                                 obj, skill, px), similarity=learned.similarity)


def _metres_per_pixel(world: World, px: np.ndarray, z: float) -> float:
    """Size of one top-view pixel at ``px`` on the horizontal plane at height ``z``, in m."""
    u, v = float(px[0]), float(px[1])
    here = world.pixel_to_world(u, v, plane_z=z)
    return float(np.linalg.norm(world.pixel_to_world(u + 1, v, plane_z=z) - here))


def _axis(host: CursorHost, cursor: np.ndarray, obj: str, skill: str
          ) -> tuple[np.ndarray, float, int, bool]:
    """Steer axis by axis: on each axis the person picks a direction (2-way MI, confirmed),
    the cursor glides until they clench, and they say whether the axis is done (a clench:
    not yet, steer again; each turn back on the same axis halves the glide speed). Return
    (cursor, travel px, moves, whether the person was content on both axes)."""
    config = host.config
    travel, moves = 0.0, 0
    for axis in (0, 1):
        speed, last_sign, done = config.cursor_speed, 0.0, False
        for _ in range(config.max_cursor_moves):
            shown = {"object": obj, "skill": skill, "cursor_px": _px(cursor), "axis": axis}
            if host.confirm(Proposal("where", "axis done", config.confirm_window, **shown)):
                done = True
                break
            menu = Menu(AXIS_BINDING, config.mi_window, _px(cursor), axis, obj, skill)
            direction = host.offer(host.decode_mi("where", menu), **shown)
            if direction is None:
                continue
            sign = -1.0 if direction == AXIS_BINDING["left_hand"] else 1.0
            if last_sign and sign != last_sign:
                speed /= 2  # turning back: finer
            last_sign = sign
            edge = 0.0 if sign < 0 else IMAGE[axis] - 1.0
            longest = abs(edge - cursor[axis]) / speed
            # the cursor glides until the person's clench is decoded, or to the image edge
            elapsed = _glide(host, Glide(_px(cursor), axis, sign, speed, longest, obj, skill)) \
                if longest > 0 else 0.0
            cursor[axis] += sign * speed * elapsed
            travel += speed * elapsed
            moves += 1
        if not done:
            return cursor, travel, moves, False
    return cursor, travel, moves, True


def _px(cursor: np.ndarray) -> tuple[float, float]:
    return float(cursor[0]), float(cursor[1])


def _glide(host: CursorHost, screen: Glide) -> float:
    """Seconds the cursor moves before the person's clench stops it (at most
    ``screen.seconds``)."""
    watch, elapsed = watch_screen(lambda now: host.clench_watch(screen, now, "where"),
                                  screen.seconds)
    host.spend_human_time(elapsed, "where")
    host.recorder.event("cursor_glide", seconds=elapsed, **watch.record(host.recorder, elapsed),
                        **watch.truth)
    return elapsed


def _continuous(host: CursorHost, cursor: np.ndarray, obj: str, skill: str
                ) -> tuple[np.ndarray, float, int, bool]:
    """Step in 2-D, each step followed by the person's chance to stop the cursor; return
    (cursor, travel px, moves, whether the person clenched to stop)."""
    config = host.config
    travel = 0.0
    for moves in range(1, config.max_cursor_moves + 1):
        menu = Menu(CONTINUOUS_BINDING, config.mi_window, _px(cursor), None, obj, skill)
        decision = host.decode_mi("where", menu)
        step = np.array(STEP[decision.label], dtype=float) * config.cursor_step
        cursor = np.clip(cursor + step, 0, np.array(IMAGE) - 1.0)
        travel += config.cursor_step
        # the interface keeps moving unless the person clenches to stop
        if not host.confirm(Proposal("where", "keep moving", config.confirm_window, obj, skill,
                                     _px(cursor))):
            return cursor, travel, moves, True
    return cursor, travel, config.max_cursor_moves, False
