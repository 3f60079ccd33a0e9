"""Tabletop tasks with named goal predicates and reference plans."""

from __future__ import annotations

from sim.tasks.base import PlanStep, Task, inside, resting
from sim.tasks.cube_in_tray import CubeInTray
from sim.tasks.franka import FRANKA_TASKS
from sim.tasks.tiago_household import TIAGO_TASKS

TASKS: dict[str, type[Task]] = {t.name: t for t in (CubeInTray, *FRANKA_TASKS, *TIAGO_TASKS)}
"""Every task by name."""

__all__ = ["TASKS", "CubeInTray", "PlanStep", "Task", "inside", "resting"]
