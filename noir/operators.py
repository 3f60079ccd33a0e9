"""Operators: where the interface's EEG comes from, and what the person means.

An operator answers what the interface shows (a screen) with EEG. The interface never knows what
the person wants: a mind (``sim.person.Person`` for a simulated person) decides what to do about
each screen, and a body turns that into EEG (a synthetic subject, recorded trials, a live
stream). Every operator has the same interface, so the downstream code (windowing, decoders,
the loop) never knows which one it is talking to.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

import mne

from decoders.cues import Cue, Screen
from noir.clock import Clock
from noir.stream import EEGFeed, StreamPaused

if TYPE_CHECKING:  # hints only: EEG-only modules import this one and must not load sim
    from sim.eeg_subject import SyntheticSubject

STREAM_RETRIES = 5
"""Times a cue is shown again after bad stream data before the session ends (default)."""

T = TypeVar("T")


class Operator(Protocol):
    """The person in the loop, as the interface sees them: EEG in answer to what it shows.

    The interface never learns what the person wants: it shows screens
    (:mod:`decoders.cues`) and decodes the EEG that comes back.
    """

    def respond(self, screen: Screen, stage: str, pre_roll: float = 0.0) -> mne.io.BaseRaw:
        """The person's EEG while ``screen`` shows (annotated), ``pre_roll`` s before it
        included; ``stage`` is what the interface is doing (``"what"``, ``"how"``,
        ``"confirm"``, ``"skill"``, ``"where"``)."""

    def truth(self) -> dict[str, Any]:
        """What the person meant at the last screen (``intended``, ``wanted_reject``,
        ``clench_at`` ...), for the session record and its scores only; empty when nobody
        knows (a real person)."""

    def skill_done(self, obj: str, skill: str, succeeded: bool) -> None:
        """The robot finished ``skill`` on ``obj`` (the person saw it)."""

    def restart(self) -> None:
        """The task was reset to its start: the person starts their plan again."""

    def eeg(self, cues: Sequence[Cue], stage: str) -> mne.io.BaseRaw:
        """The person's EEG while they are told to do ``cues`` back to back (calibration)."""


class Mind(Protocol):
    """What a person does about each screen (``sim.person.Person``; a replayed record)."""

    truth: dict[str, Any]

    def cues(self, screen: Screen) -> list[Cue]:
        """The cues the person's body then produces, filling ``screen.seconds``."""

    def skill_done(self, obj: str, skill: str, succeeded: bool) -> None: ...

    def restart(self) -> None: ...


class PersonOperator:
    """An operator with a mind (what to do about each screen) and a body (``eeg``: the EEG of
    cues); subclasses give the body.

    Parameters
    ----------
    person : Mind or None
        Decides what to do about each screen (None: an operator for cued periods only, e.g. a
        calibration).
    """

    def __init__(self, person: Mind | None = None) -> None:
        self.person = person

    def _mind(self) -> Mind:
        if self.person is None:
            raise ValueError("this operator has no person to answer the interface's screens "
                             "(it was made for cued periods only, e.g. a calibration)")
        return self.person

    def screen_cues(self, screen: Screen, pre_roll: float = 0.0) -> list[Cue]:
        """The person's cues for ``screen``, with ``pre_roll`` s of rest before it."""
        cues = self._mind().cues(screen)
        return [Cue("rest", pre_roll), *cues] if pre_roll > 0 else cues

    def respond(self, screen: Screen, stage: str, pre_roll: float = 0.0) -> mne.io.BaseRaw:
        return self.eeg(self.screen_cues(screen, pre_roll), stage)

    def truth(self) -> dict[str, Any]:
        return dict(self.person.truth) if self.person is not None else {}

    def skill_done(self, obj: str, skill: str, succeeded: bool) -> None:
        self._mind().skill_done(obj, skill, succeeded)

    def restart(self) -> None:
        self._mind().restart()

    def eeg(self, cues: Sequence[Cue], stage: str) -> mne.io.BaseRaw:
        raise NotImplementedError


class SimulatedOperator(PersonOperator):
    """A synthetic subject's EEG for what a simulated person does.

    Parameters
    ----------
    subject : SyntheticSubject
        Generates the EEG (its profile sets how separable the signals are).
    person : Mind
        What the person wants and how fast they answer (``sim.person.Person``).
    """

    def __init__(self, subject: SyntheticSubject, person: Mind | None = None) -> None:
        super().__init__(person)
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

    def feed(self, screen: Screen, stage: str, channels: Sequence[str], pre_roll: float
             ) -> EEGFeed:
        """Show ``screen`` (a motion or a glide; ``pre_roll`` s before it are already past) and
        return the feed that reads ``channels`` while it runs.

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
