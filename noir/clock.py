"""How the simulation keeps time with the person: as fast as possible, or with the wall.

A motion the person watches (a skill, a cursor glide) runs in simulation steps; before each
control step reads the person's EEG, the loop asks its clock to pace that step
(:meth:`Clock.motion` gives one pacing function per motion). :class:`SimulatedClock` never waits
(experiments and tests: deterministic, as fast as the machine goes); :class:`WallClock` lets a
step that is ``elapsed`` s into the motion happen no earlier than ``elapsed`` s of wall time
after the motion's first step (live sources: the robot moves as fast as the person sees it,
and the EEG read at each step is the EEG that has arrived by then).

The session's simulated seconds are counted apart from this, by ``noir.session.SessionClock``,
on either clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    """Paces the simulation steps of a motion."""

    live: bool
    """Whether the clock follows the wall (a live source)."""

    def motion(self) -> Callable[[float], None]:
        """A new motion's pacing: call it with the seconds of the motion about to be simulated
        (``elapsed`` >= 0, not decreasing); it returns when that step may run."""


class SimulatedClock:
    """Steps run at once: simulated time is free (deterministic experiments and tests)."""

    live = False

    def motion(self) -> Callable[[float], None]:
        return lambda elapsed: None


class WallClock:
    """Steps run in real time: ``elapsed`` s into a motion waits for ``elapsed`` s of wall time
    since the motion's first step (``time.monotonic``)."""

    live = True

    def motion(self) -> Callable[[float], None]:
        start: list[float] = []

        def wait(elapsed: float) -> None:
            now = time.monotonic()
            if not start:
                start.append(now - elapsed)
            if start[0] + elapsed > now:
                time.sleep(start[0] + elapsed - now)

        return wait
