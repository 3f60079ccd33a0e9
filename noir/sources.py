"""Where the EEG comes from: one source spec for every command that runs the loop.

Grammar (``--source``)::

    simulated[:PROFILE]            the synthetic subject (sim.eeg_subject.PROFILES)
    recorded                       real EEG trials from the bundled samples (noir.recorded)
    file:PATH                      one annotated recording (noir.recorded.file_operator)
    lsl:STREAM[,key=value...]      a live LSL stream (noir.lsl.LSLSource): units (of a stream
                                   that does not declare them), timeout (s to wait for the
                                   stream and for a cue's first sample; default 10), jitter (s
                                   its stamps may stray: for senders that stamp whole chunks)
    brainflow:BOARD[,key=value...] a live BrainFlow board (noir.board.BrainFlowSource), e.g.
                                   brainflow:synthetic, brainflow:cyton,serial_port=/dev/ttyUSB0

Live sources (``lsl``, ``brainflow``) give a ``noir.stream.StreamOperator``: the robot moves in
real time (``noir.clock.WallClock``) and the person sees the cues in the terminal
(:class:`TerminalCues`). A montage (``noir.montage``) maps a stream's channels onto the ones the
decoders read and checks them when the session starts.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from decoders.cues import Cue
from noir.stream import (
    CueDisplay,
    Mind,
    Operator,
    SimulatedOperator,
    StreamMismatch,
    StreamOperator,
    StreamSource,
)

if TYPE_CHECKING:
    from noir.calibration import Calibration
    from noir.config import LoopConfig
    from noir.montage import Montage

KINDS = ("simulated", "recorded", "file", "lsl", "brainflow")
"""The kinds of source, in the order ``noir run --help`` lists them."""
LIVE = ("lsl", "brainflow")
LSL_OPTIONS = {"units": str, "timeout": float, "jitter": float}
"""The ``key=value`` options an ``lsl:`` source takes, and their types."""


@dataclass(frozen=True)
class SourceSpec:
    """A parsed ``--source``: its kind, what it names (profile, path, stream, board) and its
    ``key=value`` options (live sources only), in the order given."""

    kind: str
    name: str = ""
    options: tuple[tuple[str, str], ...] = ()

    @classmethod
    def parse(cls, text: str) -> SourceSpec:
        """Parse ``text`` (see the module's grammar).

        Raises
        ------
        ValueError
            Naming the part that does not fit and what was expected.
        """
        kind, _, rest = text.partition(":")
        if kind not in KINDS:
            raise ValueError(f"source {text!r}: unknown kind {kind!r}; expected one of "
                             f"{', '.join(KINDS)} (e.g. lsl:noir-eeg, brainflow:synthetic)")
        if kind == "recorded" and rest:
            raise ValueError(f"source {text!r}: 'recorded' takes nothing after it")
        if kind == "file":
            if not rest:
                raise ValueError(f"source {text!r}: expected file:PATH")
            return cls(kind, rest)
        if kind in ("simulated", "recorded"):
            if kind == "simulated" and ("," in rest or "=" in rest):
                raise ValueError(f"source {text!r}: expected simulated or simulated:PROFILE")
            return cls(kind, rest or ("default" if kind == "simulated" else ""))
        name, *pairs = rest.split(",")
        if not name:
            raise ValueError(f"source {text!r}: expected {kind}:"
                             f"{'STREAM' if kind == 'lsl' else 'BOARD'}[,key=value...]")
        options = []
        for pair in pairs:
            key, eq, value = pair.partition("=")
            if not (key and eq and value):
                raise ValueError(f"source {text!r}: option {pair!r} is not key=value")
            if any(key == k for k, _ in options):
                raise ValueError(f"source {text!r}: option {key!r} given twice")
            options.append((key, value))
        if kind == "lsl":
            unknown = [k for k, _ in options if k not in LSL_OPTIONS]
            if unknown:
                raise ValueError(f"source {text!r}: unknown lsl option(s) {unknown}; known: "
                                 f"{sorted(LSL_OPTIONS)}")
            for key, value in options:
                if LSL_OPTIONS[key] is float and not _is_number(value):
                    raise ValueError(f"source {text!r}: option {key}={value!r} must be a "
                                     "number")
        return cls(kind, name, tuple(options))

    @property
    def live(self) -> bool:
        """Whether the EEG arrives live from a stream (the loop runs on the wall clock)."""
        return self.kind in LIVE

    def __str__(self) -> str:
        head = self.kind if not self.name else f"{self.kind}:{self.name}"
        return ",".join([head, *(f"{k}={v}" for k, v in self.options)])


def open_stream(spec: SourceSpec, montage: Montage | None = None) -> StreamSource:
    """The live stream ``spec`` names, behind ``montage`` if one is given (checked first).

    Raises
    ------
    ValueError
        If ``spec`` is not live, an option is bad, or the stream does not fit the montage (one
        line per mismatch).
    TimeoutError
        If an LSL stream does not appear.
    """
    options = dict(spec.options)
    if spec.kind == "lsl":
        from noir.lsl import LSLSource

        timeout = _number(spec, "timeout", options.get("timeout", "10"))
        jitter = float(options["jitter"]) if "jitter" in options else 0.0
        source: StreamSource = LSLSource(
            spec.name, timeout=timeout, units=options.get("units"),
            default_units=montage.units if montage is not None else None, jitter=jitter)
    elif spec.kind == "brainflow":
        from noir.board import BrainFlowSource

        source = BrainFlowSource(spec.name, **options)
    else:
        raise ValueError(f"source {spec}: not a live stream (lsl:... or brainflow:...)")
    if montage is None:
        return source
    from noir.montage import MappedSource

    try:
        montage.check(source)
    except ValueError:
        source.close()
        raise
    return MappedSource(source, montage)


def open_operator(spec: SourceSpec, person: Mind | None, *, seed: int = 0,
                  config: LoopConfig | None = None, montage: Montage | None = None,
                  display: CueDisplay | None = None) -> Operator:
    """The operator ``spec`` names, for what ``person`` does (``sim.person.Person``).

    ``seed`` seeds a simulated or recorded operator's EEG; ``config`` says which channels a
    ``file:`` recording must hold; ``montage`` maps a live stream's channels; ``display``
    shows the person each cue a live operator sends (default: :class:`TerminalCues`). A live
    operator holds its stream until ``operator.close()``.
    """
    if spec.kind == "simulated":
        from sim.eeg_subject import PROFILES, SyntheticSubject

        if spec.name not in PROFILES:
            raise ValueError(f"source {spec}: unknown subject profile {spec.name!r}; known "
                             f"profiles: {sorted(PROFILES)}")
        return SimulatedOperator(SyntheticSubject(spec.name, seed=seed), person)
    if spec.kind == "recorded":
        from noir.recorded import RecordedOperator

        return RecordedOperator(person, seed=seed)
    if spec.kind == "file":
        from noir.recorded import file_operator

        path = Path(spec.name)
        if not path.exists():
            raise FileNotFoundError(f"source {spec}: {path} not found")
        return file_operator(path, person, config=config, seed=seed)

    # an lsl source's timeout is also how long a cue waits for its first sample
    timeout = _number(spec, "timeout", dict(spec.options).get("timeout", "10")) \
        if spec.kind == "lsl" else 10.0
    return StreamOperator(open_stream(spec, montage), person, timeout=timeout,
                          display=display or TerminalCues())


def check_stream_fits(operator: StreamOperator, config: LoopConfig,
                      calibration: Calibration | None = None) -> None:
    """Refuse a live stream that cannot drive ``config``'s decoders, before the session starts:
    one line per channel the decoders read that the stream lacks, and a stream rate other than
    the calibration's (a montage resamples; the calibration's decoders were fitted at theirs).

    Raises
    ------
    StreamMismatch
        Listing each mismatch on its own line.
    """

    has = set(operator.ch_names)
    needed = dict.fromkeys([*config.ssvep_channels, *config.mi_channels, *config.emg_channels])
    problems = [f"channel {ch} (read by the decoders) is not in the stream"
                for ch in needed if ch not in has]
    if calibration is not None:
        for name, rate in (("MI", calibration.mi.sfreq), ("clench", calibration.emg.sfreq)):
            if rate != operator.sfreq:
                problems.append(f"the {name} decoder was calibrated at {rate:g} Hz, the stream "
                                f"is at {operator.sfreq:g} Hz (a montage resamples it)")
    if problems:
        raise StreamMismatch(f"{operator.source.label} does not fit the session:\n"
                         + "\n".join(problems))


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _number(spec: SourceSpec, key: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = float("nan")
    if not number > 0:
        raise ValueError(f"source {spec}: option {key}={value!r} must be a number > 0")
    return number


CUE_TEXT = {
    "rest": "relax and look at the centre",
    "clench": "CLENCH your jaw",
    "ssvep": "look at the target flickering at {target:g} Hz",
    "mi": "imagine moving: {target}",
}
"""What the terminal tells the person for each cue kind (``decoders.cues.CUE_KINDS``)."""
MI_TEXT = {"left_hand": "LEFT HAND", "right_hand": "RIGHT HAND", "legs": "LEGS / FEET",
           "rest": "nothing (rest)"}


class TerminalCues:
    """Shows the person each cue in the terminal at its onset (``noir.stream.CueDisplay``, until
    the operator console exists): one line per cue, printed by a timer thread so that a
    window's later cues appear when they start. The cues say what the task's plan wants at
    each step (a cued run, as online BCI evaluations are).

    Parameters
    ----------
    write : callable
        Where a line goes (default ``print``, flushed).
    """

    def __init__(self, write: Callable[[str], None] | None = None) -> None:
        self.write = write or (lambda line: print(line, flush=True))
        self._timers: list[threading.Timer] = []

    def show(self, stage: str, cues: Sequence[Cue]) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers, onset = [], 0.0
        start = time.monotonic()
        for cue in cues:
            target = MI_TEXT[cue.target] if cue.kind == "mi" else cue.target
            text = f"[{stage}] {CUE_TEXT[cue.kind].format(target=target)} ({cue.duration:.1f} s)"
            delay = max(0.0, start + onset - time.monotonic())
            timer = threading.Timer(delay, self.write, args=(text,))
            timer.daemon = True
            timer.start()
            self._timers.append(timer)
            onset += cue.duration

    def close(self) -> None:
        """Cancel the cues not shown yet."""
        for timer in self._timers:
            timer.cancel()

