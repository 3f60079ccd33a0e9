"""Put the cube in the tray."""

from __future__ import annotations

from sim.tabletop import TabletopWorld
from sim.tasks.base import Task, inside
from skills import PlanStep

TRAY_SIDE = 0.05
"""Offset of the left and right put-down points from the tray's middle, in m: the tray's flat
floor reaches about 0.085 m from its centre (its walls slope in from 0.125 m), which leaves
room for the cube's half diagonal (0.028 m)."""


class CubeInTray(Task):
    """Put the red cube in the tray.

    Task
        Pick the cube up and place it into the tray; the lego brick and the ball are distractors.
    Randomizations
        The (x, y) position and yaw of every object inside the workspace, without overlap
        (``sim.tabletop.TabletopWorld``), from the seed.
    Success
        ``inside(cube, tray)``: the cube's bounding box lies within the tray's in (x, y), its
        bottom is below the tray's rim, it is nearly still and not held.
    """

    name = "cube_in_tray"
    objects = ("cube", "tray", "lego", "ball")

    @classmethod
    def goal_predicates(cls, world: TabletopWorld) -> dict[str, bool]:
        """``{"inside(cube, tray)": ...}``."""
        return {"inside(cube, tray)": inside(world, "cube", "tray")}

    @classmethod
    def plans(cls, world: TabletopWorld) -> dict[str, list[PlanStep]]:
        """Pick the cube, place it in the middle of the tray, or ``TRAY_SIDE`` m to the left
        (+y) or right of the middle."""
        x, y = world.object_position("tray")[:2]
        return {"tray middle": [PlanStep("cube", "pick"), PlanStep("tray", "place")],
                **{f"tray {side}": [PlanStep("cube", "pick"), PlanStep("tray", "place", {
                    "x": float(x), "y": float(y + sign * TRAY_SIDE)})]
                   for side, sign in (("left", 1), ("right", -1))}}
