"""Put the cube in the tray."""

from __future__ import annotations

from sim.tabletop import TabletopWorld
from sim.tasks.base import Task, inside
from skills import PlanStep


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
    def reference_plan(cls, world: TabletopWorld) -> list[PlanStep]:
        """Pick the cube, place it on the tray."""
        return [PlanStep("cube", "pick"), PlanStep("tray", "place")]
