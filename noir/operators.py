"""Operators: where the interface's EEG comes from, and what the person means.

An operator has an intention (the task's reference plan) and produces the EEG a person with that
intention would produce for each cue the interface shows. Every operator has the same interface,
so the downstream code (windowing, decoders, the loop) never knows which one it is talking to.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

import mne

from decoders.cues import Cue
from noir.clock import Clock
from noir.stream import EEGFeed, StreamPaused

if TYPE_CHECKING:  # hints only: EEG-only modules import this one and must not load sim
    from sim.eeg_subject import SyntheticSubject
    from skills import PlanStep

STREAM_RETRIES = 5
"""Times a cue is shown again after bad stream data before the session ends (default)."""

T = TypeVar("T")


class Operator(Protocol):
    """The person in the loop, as the interface sees them."""

    def want_object(self, candidates: Sequence[str]) -> str:
        """The object the person means among ``candidates`` (may be one not offered)."""

    def want_skill(self, obj: str, options: Sequence[str]) -> str:
        """The skill the person means for ``obj`` among ``options``."""

    def interrupt_time(self, obj: str, skill: str) -> float | None:
        """Seconds after the robot starts ``skill`` on ``obj`` at which the person clenches to
        stop it, or None if they let it run."""

    def want_params(self, obj: str, skill: str, defaults: dict[str, Any]) -> dict[str, Any]:
        """The parameters the person means for ``skill`` on ``obj`` (the Where point)."""

    def stop_time(self, reach: float | None) -> float:
        """Seconds after a cursor starts gliding at which the person clenches to stop it:
        when it reaches the target ``reach`` s away, or at once (``None``: wrong way)."""

    def skill_done(self, obj: str, skill: str, succeeded: bool) -> None:
        """Tell the person what the robot just did, so they can move on in their plan."""

    def restart(self) -> None:
        """The task was reset to its start: the person starts their plan again."""

    def eeg(self, cues: Sequence[Cue], stage: str) -> mne.io.BaseRaw:
        """The person's EEG while the interface shows ``cues`` back to back (annotated).

        ``stage`` is what the interface is doing: ``"calibration"``, ``"what"``, ``"how"``,
        ``"confirm"`` or ``"skill"`` (a skill runs while the person watches).
        """


class PlanFollower:
    """The intention of a person who follows a task's reference plan.

    Parameters
    ----------
    plan : sequence of PlanStep
        (object, skill) steps in order (empty for a calibration without a task).
    reaction_time : float
        Seconds the person needs to see that the robot does something they did not ask for
        and clench to stop it.
    """

    def __init__(self, plan: Sequence[PlanStep] = (), reaction_time: float = 0.6) -> None:
        if reaction_time <= 0:
            raise ValueError(f"reaction_time must be > 0 s, got {reaction_time}")
        self.plan = list(plan)
        self.reaction_time = reaction_time
        self.step = 0

    @property
    def goal(self) -> PlanStep:
        """The plan step the person is working on (the last one once the plan is done)."""
        if not self.plan:
            raise ValueError("this operator has no plan, so it has no intention to act on")
        return self.plan[min(self.step, len(self.plan) - 1)]

    def want_object(self, candidates: Sequence[str]) -> str:
        return self.goal.object

    def want_skill(self, obj: str, options: Sequence[str]) -> str:
        return self.goal.skill

    def interrupt_time(self, obj: str, skill: str) -> float | None:
        wanted = (obj, skill) == (self.goal.object, self.goal.skill)
        return None if wanted else self.reaction_time

    def want_params(self, obj: str, skill: str, defaults: dict[str, Any]) -> dict[str, Any]:
        wanted = (obj, skill) == (self.goal.object, self.goal.skill)
        return {**defaults, **self.goal.params} if wanted else dict(defaults)

    def stop_time(self, reach: float | None) -> float:
        return self.reaction_time if reach is None else reach

    def skill_done(self, obj: str, skill: str, succeeded: bool) -> None:
        if succeeded and (obj, skill) == (self.goal.object, self.goal.skill):
            self.step += 1

    def restart(self) -> None:
        self.step = 0


class SimulatedOperator(PlanFollower):
    """A synthetic subject that follows a task's reference plan.

    Parameters
    ----------
    subject : SyntheticSubject
        Generates the EEG (its profile sets how separable the signals are).
    plan, reaction_time
        See :class:`PlanFollower`.
    """

    def __init__(self, subject: SyntheticSubject, plan: Sequence[PlanStep] = (),
                 reaction_time: float = 0.6) -> None:
        super().__init__(plan, reaction_time)
        self.subject = subject

    def eeg(self, cues: Sequence[Cue], stage: str) -> mne.io.BaseRaw:
        # a subject's signals may differ between calibration and task time (noir-like)
        self.subject.session_phase = "calibration" if stage == "calibration" else "task"
        return self.subject.record(cues)


@runtime_checkable
class LiveOperator(Protocol):
    """An operator whose EEG arrives live (``noir.live.StreamOperator``): a motion is watched from
    the stream as the robot moves, not from a window read before it starts."""

    retries: int
    """Times a cue is shown again after bad stream data before the session ends."""

    clock: Clock
    """Paces a watched motion (``noir.clock.WallClock``: the stream arrives in real time)."""

    def feed(self, cues: Sequence[Cue], stage: str, channels: Sequence[str]) -> EEGFeed:
        """Show ``cues`` (the first is the pre-roll, already past) and return the feed that
        reads ``channels`` while the motion runs.

        Raises ``StreamPaused`` if the stream fails before the motion can start."""


def retry_paused(read: Callable[[], T], on_pause: Callable[[str], None],
                 retries: int = STREAM_RETRIES) -> T:
    """``read()``, called again while it raises :class:`StreamPaused` (at most ``retries`` more
    times); ``on_pause(reason)`` is called for every refused attempt.

    Raises
    ------
    StreamPaused
        If the data are still bad after ``retries`` repeats.
    """
    for _ in range(retries):
        try:
            return read()
        except StreamPaused as pause:
            on_pause(str(pause))
    return read()


def eeg_with_retries(operator: Operator, cues: Sequence[Cue], stage: str,
                     on_pause: Callable[[str], None], retries: int = STREAM_RETRIES
                     ) -> mne.io.BaseRaw:
    """``operator.eeg(cues, stage)``, showing the cues again while the stream is bad.

    ``on_pause(reason)`` is called for every refused attempt (the loop logs it and says why).

    Raises
    ------
    StreamPaused
        If the data are still bad after ``retries`` repeats.
    """
    return retry_paused(lambda: operator.eeg(cues, stage), on_pause, retries)
