"""Where: an MI-driven cursor in the top camera image picks a skill's (x, y) point.

Two modes, as in the papers:

- ``"axis"`` (NOIR): along one image axis at a time, 2-way MI picks the direction (Left Hand
  towards smaller coordinates, Rest towards larger ones); after the person confirms it the
  cursor glides at ``cursor_speed`` until they clench to stop it; then the other axis.
- ``"continuous"`` (NOIR 2.0): 4-way MI moves the cursor one ``cursor_step`` per decision
  (Left Hand left, Right Hand right, Legs down, Rest up); after each step the person clenches
  to stop once the cursor is close enough.

A start on the object or at a learned point is first proposed as it is (one confirmation).

The cursor's pixel becomes the world point on the surface seen there (the rendered depth), so
the height follows from what is under the cursor; NOIR's third, z axis is not decoded here. A
skill whose point lies on a fixed plane (``Skill.point_height``: a base stance on the floor)
gets the point on that plane instead, whatever stands above it. A skill whose point lies on
the selected object (``Skill.point_on_object``: where ``place`` puts the held object) is kept
where the held object lies wholly on that object.

With robot learning (``noir.assist``) the interface first proposes the point the person chose
for the same object and skill before; they confirm it or clench and steer the cursor from it.

The stage sees the interface only through :class:`CursorHost` (settings, the camera's
pixel <-> world mapping, what the person means, decoding and confirming, clench watches, the
record, human time) and hands back a :class:`CursorResult`; the loop keeps the counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from decoders.cues import Cue

if TYPE_CHECKING:
    from collections.abc import Callable

    from noir.config import LoopConfig
    from noir.intents import Decision
    from noir.operators import Operator
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
        The top camera's pixel <-> world mapping and the objects' geometry.
    operator : Operator
        What the person means: ``want_params``, and ``stop_time`` during a glide.
    recorder : SessionRecorder
        Takes the stage's events and the glides' EEG.
    """

    config: LoopConfig
    world: World
    operator: Operator
    recorder: SessionRecorder

    def decode_mi(self, stage: str, cue: Cue, binding: dict[str, str], intended: str
                  ) -> Decision:
        """Show ``cue``; decode (and record) the MI window among ``binding``'s classes, each
        standing for an option."""

    def offer(self, decision: Decision, intended: str) -> str | None:
        """Offer the decision's options best first; the accepted one, or None."""

    def confirm(self, stage: str, proposal: str, intended: str, **fields: Any) -> bool:
        """Show ``proposal``; True unless the person clenches to reject it."""

    def clench_watch(self, clench_at: float | None, duration: float, now: Callable[[], float],
                     stage: str) -> ClenchWatch:
        """Watch the person's EMG for up to ``duration`` s (``now()``: seconds since the
        start) for a clench at ``clench_at`` s."""

    def spend_human_time(self, seconds: float, decides: str) -> None:
        """The person spent ``seconds`` deciding ``decides``."""


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


def select_point(host: CursorHost, obj: str, skill: type[Skill], params: dict[str, Any],
                 predicted: PointPrediction | None = None) -> CursorResult:
    """Run the Where stage for ``skill`` on ``obj``: ``params`` with the point the person
    stopped the cursor at, and the top-view pixel (u, v) it stopped at; no parameters if the
    cursor used up ``max_cursor_moves`` before the person stopped it.

    The cursor starts at the ``predicted`` point (``noir.assist``) if there is one, else on
    the selected object (``cursor_start="object"``) or at the image centre. An informed start
    (predicted or on the object) is first proposed as it is: the person confirms it when it is
    within ``cursor_tolerance`` pixels of what they mean, or clenches to reject it and steers
    the cursor from there.
    """
    config, world = host.config, host.world
    intended = host.operator.want_params(obj, skill.name, params)
    plane = skill.point_height
    z = float(intended.get("z", world.table_height if plane is None else plane))
    target = world.world_to_pixel(np.array([intended["x"], intended["y"], z]))
    if predicted is not None:
        start = np.array(predicted.top_px, dtype=float)
    elif config.cursor_start == "object":
        start = world.world_to_pixel(np.array([params["x"], params["y"], z]))
    else:
        start = np.array(IMAGE, dtype=float) / 2
    informed = predicted is not None or config.cursor_start == "object"
    host.recorder.event("stage", stage="where", object=obj, skill=skill.name,
                        mode=config.cursor_mode, learned=predicted is not None,
                        intended=intended, target_px=target, start_px=start)
    if informed and _accepts(host, start, target, predicted):
        cursor, travel, moves, stopped = start, 0.0, 0, True
    else:
        move = _axis if config.cursor_mode == "axis" else _continuous
        cursor, travel, moves, stopped = move(host, start.copy(), target)
    travel_m = travel * _metres_per_pixel(world, cursor, z)
    cursor_px = (float(cursor[0]), float(cursor[1]))
    fields = {"object": obj, "skill": skill.name, "cursor_px": cursor,
              "error_px": float(np.linalg.norm(cursor - target)), "travel_px": travel,
              "travel_m": travel_m, "moves": moves}
    if not stopped:
        host.recorder.event("where", **fields, abandoned=True)
        return CursorResult(None, cursor_px, travel, travel_m)
    # the surface seen under the cursor (rendered depth) gives the point, height included,
    # unless the skill's point lies on a fixed plane (a base stance on the floor)
    point = world.pixel_to_world(cursor_px[0], cursor_px[1], plane_z=plane)
    if skill.point_on_object and obj != world.robot.held_object():
        point = _onto(world, obj, point)
    chosen = dict(params)
    for p in skill.params:
        if p.name in ("x", "y", "z"):
            chosen[p.name] = float(np.clip(point["xyz".index(p.name)], p.low, p.high))
    host.recorder.event("where", **fields, abandoned=False, x=chosen["x"], y=chosen["y"],
                        z=chosen.get("z"))
    return CursorResult(chosen, cursor_px, travel, travel_m)


def _onto(world: World, obj: str, point: np.ndarray) -> np.ndarray:
    """``point`` (3,) m kept where the held object, turned any way, lies wholly over ``obj``'s
    footprint (at ``obj``'s centre when it is too small for that); a moved point gets the
    height of ``obj``'s top.

    The cursor stops within ``cursor_tolerance`` (12 px, about 5 cm on the table) of the point
    meant, more than half a slice of bread (6 cm wide); a slice put down there would overhang
    and slide off. The person chose this object to put the held one on, so the point stays on
    it and the held object is not left hanging over an edge.
    """
    info = world.object_info(obj)
    held = world.robot.held_object()
    margin = float(np.hypot(*world.object_info(held).size[:2])) / 2 if held else 0.0
    centre, yaw = world.object_position(obj), world.object_yaw(obj)
    c, s = np.cos(yaw), np.sin(yaw)
    dx, dy = point[:2] - centre[:2]
    local = np.array([c * dx + s * dy, -s * dx + c * dy])
    half = np.maximum(np.array(info.size[:2]) / 2 - margin, 0.0)
    inside = np.clip(local, -half, half)
    if np.array_equal(inside, local):
        return point
    x, y = centre[:2] + [c * inside[0] - s * inside[1], s * inside[0] + c * inside[1]]
    return np.array([x, y, world.object_top(obj)[2]])


def _accepts(host: CursorHost, proposed: np.ndarray, target: np.ndarray,
             learned: PointPrediction | None) -> bool:
    """Show the proposed point (``learned``, or on the object when None); the person confirms
    it if it is within the cursor tolerance of ``target`` (else clenches). True if accepted.

    A learned point is the assistant's proposal: it is confirmed at stage ``"point"``."""
    close = float(np.linalg.norm(proposed - target)) <= host.config.cursor_tolerance
    wanted = "proposed point" if close else "another point"
    if learned is None:
        return host.confirm("where", "proposed point", wanted, proposed_px=proposed)
    return host.confirm("point", "proposed point", wanted, proposed_px=proposed,
                        similarity=learned.similarity)


def _metres_per_pixel(world: World, px: np.ndarray, z: float) -> float:
    """Size of one top-view pixel at ``px`` on the horizontal plane at height ``z``, in m."""
    u, v = float(px[0]), float(px[1])
    here = world.pixel_to_world(u, v, plane_z=z)
    return float(np.linalg.norm(world.pixel_to_world(u + 1, v, plane_z=z) - here))


def _axis(host: CursorHost, cursor: np.ndarray, target: np.ndarray
          ) -> tuple[np.ndarray, float, int, bool]:
    """Steer axis by axis; return (cursor, travel px, moves, whether the person stopped it
    within ``cursor_tolerance`` on both axes)."""
    config = host.config
    travel, moves = 0.0, 0
    for axis in (0, 1):
        for _ in range(config.max_cursor_moves):
            gap = target[axis] - cursor[axis]
            if abs(gap) <= config.cursor_tolerance:
                break
            want = AXIS_BINDING["left_hand" if gap < 0 else "rest"]
            intended_class = "left_hand" if gap < 0 else "rest"
            decision = host.decode_mi("where", Cue("mi", config.mi_window, intended_class),
                                      AXIS_BINDING, want)
            direction = host.offer(decision, want)
            if direction is None:
                continue
            sign = -1.0 if direction == AXIS_BINDING["left_hand"] else 1.0
            edge = 0.0 if sign < 0 else IMAGE[axis] - 1.0
            longest = abs(edge - cursor[axis]) / config.cursor_speed
            reach = abs(gap) / config.cursor_speed if np.sign(gap) == sign else None
            # the cursor glides until the person's clench is decoded, or to the image edge
            elapsed = _glide(host, host.operator.stop_time(reach), longest)
            cursor[axis] += sign * config.cursor_speed * elapsed
            travel += config.cursor_speed * elapsed
            moves += 1
    stopped = bool(np.all(np.abs(target - cursor) <= config.cursor_tolerance))
    return cursor, travel, moves, stopped


def _glide(host: CursorHost, clench_at: float, longest: float) -> float:
    """Seconds the cursor moves before the person's clench stops it (at most ``longest``)."""
    hop = 1.0 / 64
    clock = {"t": 0.0}
    watch = host.clench_watch(clench_at, longest, lambda: clock["t"], "where")
    while clock["t"] < longest and not watch.monitor():
        clock["t"] = min(clock["t"] + hop, longest)
    elapsed = watch.stopped_at if watch.stopped_at is not None else longest
    host.spend_human_time(elapsed, "where")
    host.recorder.event("cursor_glide", seconds=elapsed, **watch.record(host.recorder, elapsed))
    return elapsed


def _continuous(host: CursorHost, cursor: np.ndarray, target: np.ndarray
                ) -> tuple[np.ndarray, float, int, bool]:
    """Step in 2-D, each step followed by the person's chance to stop the cursor; return
    (cursor, travel px, moves, whether the person clenched to stop)."""
    config = host.config
    travel = 0.0
    for moves in range(1, config.max_cursor_moves + 1):
        gap = target - cursor
        if abs(gap[0]) >= abs(gap[1]):
            want_class = "left_hand" if gap[0] < 0 else "right_hand"
        else:
            want_class = "legs" if gap[1] > 0 else "rest"
        decision = host.decode_mi("where", Cue("mi", config.mi_window, want_class),
                                  CONTINUOUS_BINDING, CONTINUOUS_BINDING[want_class])
        step = np.array(STEP[decision.label], dtype=float) * config.cursor_step
        cursor = np.clip(cursor + step, 0, np.array(IMAGE) - 1.0)
        travel += config.cursor_step
        close = float(np.linalg.norm(target - cursor)) <= config.cursor_tolerance
        # the interface keeps moving unless the person clenches to stop
        if not host.confirm("where", "keep moving", "stop" if close else "keep moving"):
            return cursor, travel, moves, True
    return cursor, travel, config.max_cursor_moves, False
