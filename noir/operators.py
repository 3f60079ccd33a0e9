"""Operators: where the interface's EEG comes from, and what the person means.

An operator has an intention (the task's reference plan) and produces the EEG a person with that
intention would produce for each cue the interface shows. Every operator has the same interface,
so the downstream code (windowing, decoders, the loop) never knows which one it is talking to.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import mne

from sim.eeg_subject import Cue, SyntheticSubject
from sim.tasks import PlanStep


class Operator(Protocol):
    """The person in the loop, as the interface sees them."""

    def want_object(self, candidates: Sequence[str]) -> str:
        """The object the person means among ``candidates`` (may be one not offered)."""

    def want_skill(self, obj: str, options: Sequence[str]) -> str:
        """The skill the person means for ``obj`` among ``options``."""

    def interrupt_time(self, obj: str, skill: str) -> float | None:
        """Seconds after the robot starts ``skill`` on ``obj`` at which the person clenches to
        stop it, or None if they let it run."""

    def skill_done(self, obj: str, skill: str, succeeded: bool) -> None:
        """Tell the person what the robot just did, so they can move on in their plan."""

    def eeg(self, cues: Sequence[Cue]) -> mne.io.BaseRaw:
        """The person's EEG while the interface shows ``cues`` back to back (annotated)."""


class SimulatedOperator:
    """A synthetic subject that follows a task's reference plan.

    Parameters
    ----------
    subject : SyntheticSubject
        Generates the EEG (its profile sets how separable the signals are).
    plan : sequence of PlanStep
        The person's intention: (object, skill) steps in order.
    reaction_time : float
        Seconds the person needs to see that the robot does something they did not ask for
        and clench to stop it.
    """

    def __init__(self, subject: SyntheticSubject, plan: Sequence[PlanStep],
                 reaction_time: float = 0.6) -> None:
        if not plan:
            raise ValueError("plan is empty: a simulated operator needs at least one step")
        if reaction_time <= 0:
            raise ValueError(f"reaction_time must be > 0 s, got {reaction_time}")
        self.subject = subject
        self.plan = list(plan)
        self.reaction_time = reaction_time
        self.step = 0

    @property
    def goal(self) -> PlanStep:
        """The plan step the person is working on (the last one once the plan is done)."""
        return self.plan[min(self.step, len(self.plan) - 1)]

    def want_object(self, candidates: Sequence[str]) -> str:
        return self.goal.object

    def want_skill(self, obj: str, options: Sequence[str]) -> str:
        return self.goal.skill

    def interrupt_time(self, obj: str, skill: str) -> float | None:
        wanted = (obj, skill) == (self.goal.object, self.goal.skill)
        return None if wanted else self.reaction_time

    def skill_done(self, obj: str, skill: str, succeeded: bool) -> None:
        if succeeded and (obj, skill) == (self.goal.object, self.goal.skill):
            self.step += 1

    def eeg(self, cues: Sequence[Cue]) -> mne.io.BaseRaw:
        return self.subject.record(cues)
