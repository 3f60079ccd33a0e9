"""Tabletop and household tasks with named goal predicates and their valid plans
(``Task.plans``; the first is the reference plan).

``PlanStep`` moved to :mod:`skills` (a skill call with parameters resolved against a scene);
``sim.tasks.PlanStep`` still imports, with a ``DeprecationWarning``.
"""

from __future__ import annotations

import warnings
from typing import Any

from sim.tasks.base import Task, inside, resting
from sim.tasks.cube_in_tray import CubeInTray
from sim.tasks.franka import FRANKA_TASKS
from sim.tasks.tiago_household import TIAGO_TASKS
from skills import PlanStep as _PlanStep

TASKS: dict[str, type[Task]] = {t.name: t for t in (CubeInTray, *FRANKA_TASKS, *TIAGO_TASKS)}
"""Every task by name."""

__all__ = ["TASKS", "CubeInTray", "Task", "inside", "resting"]


def __getattr__(name: str) -> Any:
    """``PlanStep`` moved to :mod:`skills` (deprecated here)."""
    if name == "PlanStep":
        warnings.warn("sim.tasks.PlanStep moved: import it from skills (the old path will be "
                      "removed)", DeprecationWarning, stacklevel=2)
        return _PlanStep
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
