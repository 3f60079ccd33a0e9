"""The cue vocabulary: what a screen instructs a person to do, and what the decoders tell apart.

A :class:`Cue` is one instructed period of a recording: attend a flicker (``"ssvep"``, decided
by :mod:`decoders.ssvep`), imagine a movement (``"mi"``, one of :data:`MI_CLASSES`, decided by
:mod:`decoders.motor_imagery`), clench the jaw (``"clench"``, :mod:`decoders.emg`) or rest. Its
:attr:`Cue.description` is the annotation text every EEG source writes (``"ssvep/7.5"``,
``"mi/left_hand"``, ``"clench"``, ``"rest"``).

Why here: these names are shared by the interface (``noir``: the loop, calibration, recorded
and live sources, replay) and by the synthetic EEG subject (``sim.eeg_subject``), which answers
cues with signals. The dependency direction is ``noir -> decoders, skills, sim`` and
``sim -> skills``; ``sim`` must not import ``noir``, and an EEG-only module of ``noir`` must not
load ``sim`` (which loads PyBullet). ``decoders`` imports no project package, is already the
EEG package both sides read, and the cue kinds are exactly its decision families, so the names
live here and ``sim.eeg_subject`` is the one ``sim`` module that imports from ``decoders``
(this module only). This module imports nothing from the project.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

MI_CLASSES: tuple[str, ...] = ("left_hand", "right_hand", "legs", "rest")
"""The motor-imagery classes a person imagines (NOIR's four: left hand, right hand, legs, rest)."""
CUE_KINDS: tuple[str, ...] = ("ssvep", "mi", "clench", "rest")
"""The stimulus kinds a :class:`Cue` may have."""


def _is_real(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


@dataclass(frozen=True)
class Cue:
    """One instructed period of a recording.

    Parameters
    ----------
    kind : str
        ``"ssvep"`` (attend a flicker), ``"mi"`` (motor imagery), ``"clench"`` (jaw clench) or
        ``"rest"``.
    duration : float
        Length of the period in seconds, > 0.
    target : float | str | None
        Stimulus frequency in Hz for ``"ssvep"``; one of :data:`MI_CLASSES` for ``"mi"``;
        ``None`` otherwise.
    """

    kind: str
    duration: float
    target: float | str | None = None

    def __post_init__(self) -> None:
        if self.kind not in CUE_KINDS:
            raise ValueError(f"Cue kind must be one of {CUE_KINDS}, got {self.kind!r}")
        if not _is_real(self.duration) or not math.isfinite(self.duration) or self.duration <= 0:
            raise ValueError(
                f"Cue duration must be a finite number of seconds > 0, got {self.duration!r}"
            )
        object.__setattr__(self, "duration", float(self.duration))
        if self.kind == "ssvep":
            if not _is_real(self.target) or not math.isfinite(self.target) or self.target <= 0:
                raise ValueError(
                    "An 'ssvep' Cue needs target = stimulus frequency in Hz (> 0), "
                    f"got {self.target!r}"
                )
            object.__setattr__(self, "target", float(self.target))
        elif self.kind == "mi":
            if self.target not in MI_CLASSES:
                raise ValueError(f"An 'mi' Cue needs target in {MI_CLASSES}, got {self.target!r}")
        elif self.target is not None:
            raise ValueError(f"A {self.kind!r} Cue takes no target, got {self.target!r}")

    @property
    def description(self) -> str:
        """Annotation text: ``"ssvep/7.5"``, ``"mi/left_hand"``, ``"clench"`` or ``"rest"``."""
        if self.kind == "ssvep":
            return f"ssvep/{self.target:g}"
        if self.kind == "mi":
            return f"mi/{self.target}"
        return self.kind


# -- what the interface shows ----------------------------------------------------------------
# The interface (``noir``) shows these; the person in front of it (``sim.person`` for a
# simulated one) decides what to do about them. They carry only what is on the screen, never
# what the person wants.


@dataclass(frozen=True)
class Flicker:
    """What: the objects of a page flicker, each at its frequency, for ``seconds``.

    ``page`` maps object name -> stimulus frequency (Hz)."""

    page: dict[str, float]
    seconds: float


@dataclass(frozen=True)
class Menu:
    """How, or a Where direction: each motor-imagery class stands for an option, shown for
    ``seconds``.

    ``options`` maps MI class -> option; ``cursor_px`` is where the Where cursor stands
    (u, v pixels of the top image) and ``axis`` the image axis it moves along (axis mode), or
    None; ``object`` and ``skill`` what the cursor picks a point for."""

    options: dict[str, str]
    seconds: float
    cursor_px: tuple[float, float] | None = None
    axis: int | None = None
    object: str | None = None
    skill: str | None = None


@dataclass(frozen=True)
class Proposal:
    """A proposal the person accepts (rest) or rejects (clench) within ``seconds``.

    ``stage`` is what it decides: ``"what"``, ``"how"``, ``"where"`` (a direction, a
    proposed start point, "axis done", "keep moving"), ``"intent"`` (a learned object and
    skill), ``"point"`` (a learned point). ``proposal`` is the text shown; ``object`` and
    ``skill`` what it is about; ``cursor_px`` the cursor or the proposed point on the image;
    ``axis`` the cursor's axis (axis mode)."""

    stage: str
    proposal: str
    seconds: float
    object: str | None = None
    skill: str | None = None
    cursor_px: tuple[float, float] | None = None
    axis: int | None = None


@dataclass(frozen=True)
class Motion:
    """The robot runs ``skill`` on ``object`` for at most ``seconds``; a clench stops it."""

    object: str
    skill: str
    seconds: float


@dataclass(frozen=True)
class Glide:
    """The Where cursor glides from ``start_px`` along image ``axis`` (``sign`` -1: towards
    smaller coordinates) at ``speed`` px/s for at most ``seconds``; a clench stops it.
    ``object`` and ``skill``: what it picks a point for."""

    start_px: tuple[float, float]
    axis: int
    sign: float
    speed: float
    seconds: float
    object: str | None = None
    skill: str | None = None


Screen = Flicker | Menu | Proposal | Motion | Glide
"""Everything the interface shows the person during a task."""
