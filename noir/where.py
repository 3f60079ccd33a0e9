"""Where: an MI-driven cursor in the top camera image picks a skill's (x, y) point.

Two modes, as in the papers:

- ``"axis"`` (NOIR): along one image axis at a time, 2-way MI picks the direction (Left Hand
  towards smaller coordinates, Rest towards larger ones); after the person confirms it the
  cursor glides at ``cursor_speed`` until they clench to stop it; then the other axis.
- ``"continuous"`` (NOIR 2.0): 4-way MI moves the cursor one ``cursor_step`` per decision
  (Left Hand left, Right Hand right, Legs down, Rest up); after each step the person clenches
  to stop once the cursor is close enough.

The cursor's pixel becomes the world point on the surface seen there (the rendered depth), so
the height follows from what is under the cursor; NOIR's third, z axis is not decoded here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.eeg_subject import Cue
from skills import get_skill

if TYPE_CHECKING:
    from noir.loop import InterfaceLoop

IMAGE = (360, 240)
"""Width and height of the top camera image the cursor lives in, pixels."""

AXIS_BINDING = {"left_hand": "towards smaller", "rest": "towards larger"}
CONTINUOUS_BINDING = {"left_hand": "left", "right_hand": "right", "legs": "down", "rest": "up"}
STEP = {"left": (-1, 0), "right": (1, 0), "down": (0, 1), "up": (0, -1)}


def needs_point(skill: str) -> bool:
    """Whether ``skill`` takes a workspace point (float parameters ``x`` and ``y``)."""
    names = {p.name for p in get_skill(skill).params if p.kind == "float"}
    return {"x", "y"} <= names


def select_point(loop: InterfaceLoop, obj: str, skill: str, params: dict[str, Any]
                 ) -> dict[str, Any]:
    """Run the Where stage for ``skill`` on ``obj``; return ``params`` with the chosen x, y."""
    config, world = loop.config, loop.world
    intended = loop.operator.want_params(obj, skill, params)
    z = float(intended.get("z", world.table_height))
    target = world.world_to_pixel(np.array([intended["x"], intended["y"], z]))
    if config.cursor_start == "object":
        start = world.world_to_pixel(np.array([params["x"], params["y"], z]))
    else:
        start = np.array(IMAGE, dtype=float) / 2
    loop.recorder.event("stage", stage="where", object=obj, skill=skill, mode=config.cursor_mode,
                        intended=intended, target_px=target, start_px=start)
    move = _axis if config.cursor_mode == "axis" else _continuous
    cursor, travel, moves = move(loop, np.array(start, dtype=float), target)
    # the surface seen under the cursor (rendered depth) gives the point, height included
    point = world.pixel_to_world(float(cursor[0]), float(cursor[1]))
    chosen = dict(params)
    for p in get_skill(skill).params:
        if p.name in ("x", "y", "z"):
            chosen[p.name] = float(np.clip(point["xyz".index(p.name)], p.low, p.high))
    loop.recorder.event("where", object=obj, skill=skill, cursor_px=cursor,
                        error_px=float(np.linalg.norm(cursor - target)), travel_px=travel,
                        moves=moves, x=chosen["x"], y=chosen["y"], z=chosen.get("z"))
    loop.cursor_travel += travel
    return chosen


def _axis(loop: InterfaceLoop, cursor: np.ndarray, target: np.ndarray
          ) -> tuple[np.ndarray, float, int]:
    config = loop.config
    travel, moves = 0.0, 0
    for axis in (0, 1):
        for _ in range(config.max_cursor_moves):
            gap = target[axis] - cursor[axis]
            if abs(gap) <= config.cursor_tolerance:
                break
            want = AXIS_BINDING["left_hand" if gap < 0 else "rest"]
            intended_class = "left_hand" if gap < 0 else "rest"
            decision = loop.decode_mi("where", Cue("mi", config.mi_window, intended_class),
                                      AXIS_BINDING, want)
            direction = loop.offer(decision, want)
            if direction is None:
                continue
            sign = -1.0 if direction == AXIS_BINDING["left_hand"] else 1.0
            edge = 0.0 if sign < 0 else IMAGE[axis] - 1.0
            longest = abs(edge - cursor[axis]) / config.cursor_speed
            reach = abs(gap) / config.cursor_speed if np.sign(gap) == sign else None
            # the cursor glides until the person's clench is decoded, or to the image edge
            elapsed = _glide(loop, loop.operator.stop_time(reach), longest)
            cursor[axis] += sign * config.cursor_speed * elapsed
            travel += config.cursor_speed * elapsed
            moves += 1
    return cursor, travel, moves


def _glide(loop: InterfaceLoop, clench_at: float, longest: float) -> float:
    """Seconds the cursor moves before the person's clench stops it (at most ``longest``)."""
    hop = 1.0 / 64
    clock = {"t": 0.0}
    watch = loop.clench_watch(clench_at, longest, lambda: clock["t"], "where")
    while clock["t"] < longest and not watch.monitor():
        clock["t"] = min(clock["t"] + hop, longest)
    elapsed = watch.detected_at if watch.detected_at is not None else longest
    loop.spend_human_time(elapsed)
    loop.recorder.event("cursor_glide", seconds=elapsed, **watch.record(loop.recorder, elapsed))
    return elapsed


def _continuous(loop: InterfaceLoop, cursor: np.ndarray, target: np.ndarray
                ) -> tuple[np.ndarray, float, int]:
    config = loop.config
    travel, moves = 0.0, 0
    for _ in range(config.max_cursor_moves):
        gap = target - cursor
        close = float(np.linalg.norm(gap)) <= config.cursor_tolerance
        # the interface keeps moving unless the person clenches to stop
        if not loop.confirm("where", "keep moving", "stop" if close else "keep moving"):
            break
        if abs(gap[0]) >= abs(gap[1]):
            want_class = "left_hand" if gap[0] < 0 else "right_hand"
        else:
            want_class = "legs" if gap[1] > 0 else "rest"
        decision = loop.decode_mi("where", Cue("mi", config.mi_window, want_class),
                                  CONTINUOUS_BINDING, CONTINUOUS_BINDING[want_class])
        step = np.array(STEP[decision.label], dtype=float) * config.cursor_step
        cursor = np.clip(cursor + step, 0, np.array(IMAGE) - 1.0)
        travel += config.cursor_step
        moves += 1
    return cursor, travel, moves
