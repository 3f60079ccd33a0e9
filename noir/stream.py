"""The interface's EEG: the operator who answers each screen with it, and how it is read online
while the robot moves.

An operator answers what the interface shows (a screen) with EEG. The interface never knows what
the person wants: a mind (``sim.person.Person`` for a simulated person) decides what to do about
each screen, and a body turns that into EEG (a synthetic subject, recorded trials, a live
stream). Every operator has the same interface, so the downstream code (windowing, decoders,
the loop) never knows which one it is talking to.

While a motion runs, a skill polls the clench monitor every control step (its ``should_stop``):
the monitor decodes the latest EMG window every ``hop`` seconds from a ring buffer and reports a
clench as soon as the detector sees one. It reads from a feed: :class:`RecordedFeed` hands out
EEG recorded before the motion (simulated, recorded and replayed operators), ``noir.live.LiveFeed``
reads a live stream as the robot moves. Both follow :class:`EEGFeed`. :class:`ClenchWatch` puts a
feed, a buffer and a monitor together for one watched motion (a skill, a cursor glide) and keeps
why and when it stopped; bad stream data are :class:`StreamPaused`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

import mne
import numpy as np

from decoders.cues import Cue, Screen
from decoders.emg import MuscleTensionDetector
from noir.clock import Clock

if TYPE_CHECKING:  # hints only: EEG-only modules import this one and must not load sim
    from noir.session import SessionRecorder
    from sim.eeg_subject import SyntheticSubject

PRE_ROLL = 1.0
"""Seconds of EEG before a watched motion starts that the clench monitor already holds."""
WATCH_HOP = 1 / 64
"""Seconds of a watched screen's clock (a cursor glide, a proposal) between two polls of the
clench monitor (``watch_screen``)."""
STREAM_RETRIES = 5
"""Times a cue is shown again after bad stream data before the session ends (default)."""


class StreamPaused(RuntimeError):
    """The EEG gave data that must not drive the robot (a stalled, gappy, jumping, NaN, flat or
    saturated stream); the message says why. A decoding window is cued again once the data are
    good; a motion being watched stops."""


class EEGFeed(Protocol):
    """The EEG of one watched motion (a skill, a cursor glide), sample by sample.

    Attributes
    ----------
    sfreq : float
        Sampling rate, Hz.
    history : ndarray, shape (n_channels, n_history)
        The samples from before the motion started (the monitor's pre-roll).
    """

    sfreq: float
    history: np.ndarray

    def pull(self, elapsed: float) -> np.ndarray:
        """The samples after the last pull up to ``elapsed`` s after the motion started,
        shape (n_channels, n_new); a live feed waits for wall time to reach ``elapsed``.

        Raises :class:`StreamPaused` when the stream fails (live feeds only)."""

    def raw(self, elapsed: float) -> mne.io.BaseRaw:
        """The feed's EEG, all channels, from the history's start to ``elapsed`` s after the
        motion started (annotated with the cues), for the session record."""


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


class RecordedFeed:
    """A motion's EEG recorded beforehand, handed out as if it arrived while the robot moves.

    Parameters
    ----------
    raw : mne.io.BaseRaw
        The operator's EEG for the motion, starting ``pre_roll`` s before it.
    channels : sequence of str
        The channels ``pull`` and ``history`` give, in this order.
    pre_roll : float
        Seconds of ``raw`` before the motion started.
    """

    def __init__(self, raw: mne.io.BaseRaw, channels: Sequence[str], pre_roll: float) -> None:
        self._raw = raw
        self.sfreq = raw.info["sfreq"]
        self._data = raw.get_data(picks=list(channels))
        self._pre_roll = pre_roll
        self._fed = round(pre_roll * self.sfreq)
        self.history = self._data[:, :self._fed]

    def pull(self, elapsed: float) -> np.ndarray:
        until = min(round(self._pre_roll * self.sfreq) + round(elapsed * self.sfreq),
                    self._data.shape[1])
        chunk = self._data[:, self._fed:until]
        self._fed = max(self._fed, until)
        return chunk

    def raw(self, elapsed: float) -> mne.io.BaseRaw:
        end = min(self._pre_roll + elapsed, self._raw.times[-1])
        return self._raw.copy().crop(tmax=end)


class RingBuffer:
    """The latest ``capacity`` samples of a multichannel signal.

    Parameters
    ----------
    n_channels : int
    capacity : int
        Samples kept; older ones are overwritten.
    """

    def __init__(self, n_channels: int, capacity: int) -> None:
        if n_channels < 1 or capacity < 1:
            raise ValueError(
                f"n_channels={n_channels}, capacity={capacity}: both must be >= 1"
            )
        self._data = np.zeros((n_channels, capacity))
        self.n_pushed = 0

    @property
    def capacity(self) -> int:
        return self._data.shape[1]

    def push(self, chunk: np.ndarray) -> None:
        """Append ``chunk`` of shape (n_channels, n_times)."""
        chunk = np.asarray(chunk, dtype=float)
        if chunk.ndim != 2 or chunk.shape[0] != self._data.shape[0]:
            raise ValueError(
                f"chunk must have shape ({self._data.shape[0]}, n_times), got {chunk.shape}"
            )
        chunk = chunk[:, -self.capacity:]
        n = chunk.shape[1]
        idx = (self.n_pushed + np.arange(n)) % self.capacity
        self._data[:, idx] = chunk
        self.n_pushed += n

    def latest(self, n_times: int) -> np.ndarray:
        """The last ``n_times`` samples, oldest first, shape (n_channels, n_times).

        Raises
        ------
        ValueError
            If fewer than ``n_times`` samples were pushed or the buffer is smaller.
        """
        if n_times > min(self.n_pushed, self.capacity):
            raise ValueError(
                f"asked for the last {n_times} samples but only "
                f"{min(self.n_pushed, self.capacity)} are available"
            )
        idx = (self.n_pushed - n_times + np.arange(n_times)) % self.capacity
        return self._data[:, idx]


class ClenchMonitor:
    """Decodes jaw clenches from a live EMG buffer; callable as a skill's ``should_stop``.

    Parameters
    ----------
    detector : MuscleTensionDetector
        Fitted detector; its ``window`` is the decoded window length.
    buffer : RingBuffer
        Filled by ``feed`` with the EMG channels the detector was fitted on.
    feed : callable
        ``feed()`` pushes every sample up to "now" into ``buffer``.
    hop : float
        Seconds between two decodings (the detection latency is about hop plus the time the
        clench needs to dominate the window's variance).
    settle : float
        Seconds of signal before the decoded window given to the detector so that its
        high-pass filter has settled.
    origin : int
        Index of the sample that counts as time zero (samples pushed before it are context).

    Attributes
    ----------
    detected_at : int or None
        Samples from ``origin`` to the end of the first window decoded as a clench.
    """

    def __init__(self, detector: MuscleTensionDetector, buffer: RingBuffer,
                 feed: Callable[[], None], hop: float = 1 / 32, settle: float = 0.25,
                 origin: int = 0) -> None:
        if hop <= 0 or settle < 0:
            raise ValueError(f"hop={hop} s, settle={settle} s: expected hop > 0 and settle >= 0")
        self.detector = detector
        self.buffer = buffer
        self.feed = feed
        self.hop_samples = max(1, round(hop * detector.sfreq))
        self.window_samples = round((detector.window + settle) * detector.sfreq)
        if self.window_samples > buffer.capacity:
            raise ValueError(
                f"the buffer holds {buffer.capacity} samples; the monitor needs "
                f"{self.window_samples} (window {detector.window} s + settle {settle} s)"
            )
        self.origin = origin
        self._next = max(self.window_samples, origin)
        self.detected_at: int | None = None

    def __call__(self) -> bool:
        if self.detected_at is not None:
            return True
        self.feed()
        while self.buffer.n_pushed >= self._next:
            end = self._next
            lag = self.buffer.n_pushed - end
            if self.window_samples + lag > self.buffer.capacity:
                raise ValueError(
                    f"the EMG buffer ({self.buffer.capacity} samples) overflowed before it "
                    "was decoded: poll the monitor more often or enlarge the buffer"
                )
            window = self.buffer.latest(self.window_samples + lag)[:, : self.window_samples]
            if self.detector.predict(window[np.newaxis])[0]:
                self.detected_at = end - self.origin
                return True
            self._next += self.hop_samples
        return False


class ClenchWatch:
    """Watches a motion: stops it when the operator's clench is decoded or the stream fails.

    Parameters
    ----------
    detector : MuscleTensionDetector
        The fitted clench detector.
    feed : EEGFeed
        The EMG channels from ``PRE_ROLL`` s before the start (the monitor already holds them).
    now : callable
        Seconds since the start (the robot's or the cursor's clock).
    clock : Clock
        Paces the motion: each poll reads the feed once the clock lets ``now()`` happen
        (``noir.clock.WallClock`` for a live feed: the samples that arrived by then).

    Attributes
    ----------
    fault, fault_at : str or None, float or None
        Why and when (s after the start) a stream fault stopped the motion.
    stopped_wall, stopped_clock : float or None
        ``time.monotonic()`` and ``now()`` when the watch first said stop (for latencies in
        wall time; the motion brakes to standstill after that).
    """

    def __init__(self, detector: MuscleTensionDetector, feed: EEGFeed,
                 now: Callable[[], float], clock: Clock) -> None:
        self.feed = feed
        self.truth: dict[str, Any] = {}
        """What the person meant (``noir.stream.Operator.truth``), for the record only."""
        self.now = now
        self.live = clock.live
        self._pace = clock.motion()
        self.fault: str | None = None
        self.fault_at: float | None = None
        self.stopped_wall: float | None = None
        self.stopped_clock: float | None = None
        history = feed.history
        self._buffer = RingBuffer(history.shape[0], capacity=round(2 * feed.sfreq))
        self._buffer.push(history)
        self._clench = ClenchMonitor(detector, self._buffer, self._pull,
                                     origin=history.shape[1])

    def _pull(self) -> None:
        elapsed = self.now()
        self._pace(elapsed)
        self._buffer.push(self.feed.pull(elapsed))

    def monitor(self) -> bool:
        """True once the motion must stop (a skill's ``should_stop``)."""
        if self.fault is None and not self._poll():
            return False
        if self.stopped_wall is None:
            self.stopped_wall, self.stopped_clock = time.monotonic(), self.now()
        return True

    def _poll(self) -> bool:
        """Poll the clench monitor; a stream fault stops the motion too (and is kept)."""
        try:
            return self._clench()
        except StreamPaused as pause:
            reason = str(pause)
        except ValueError as err:
            if not self.live:
                raise
            reason = f"the clench detector refused the stream's EMG: {err}"
        self.fault, self.fault_at = reason, self.now()
        return True

    @property
    def detected_at(self) -> float | None:
        """Seconds after the start at which the monitor decoded the clench, or None."""
        detected = self._clench.detected_at
        return None if detected is None else detected / self.feed.sfreq

    @property
    def stopped_at(self) -> float | None:
        """Seconds after the start at which the watch stopped the motion (clench or fault)."""
        return self.fault_at if self.fault is not None else self.detected_at

    def record(self, recorder: SessionRecorder, elapsed: float) -> dict[str, Any]:
        """Append the EEG up to ``elapsed`` s after the start; return the event fields."""
        eeg = recorder.eeg(self.feed.raw(elapsed))
        fields = {"detected_at": self.detected_at, "eeg": eeg, "pre_roll": PRE_ROLL}
        if self.fault is not None:
            fields.update(stream_fault=self.fault, fault_at=self.fault_at)
        return fields


def watch_screen(start: Callable[[Callable[[], float]], ClenchWatch], seconds: float
                 ) -> tuple[ClenchWatch, float]:
    """Watch a screen that shows for at most ``seconds`` (a cursor glide, a proposal): the
    watch ``start(now)`` makes is polled every ``WATCH_HOP`` s of the screen's clock ``now()``
    until it says stop or the time is up. Returns the watch and the seconds the screen showed
    (to the clench's detection or a stream fault, else ``seconds``)."""
    clock = {"t": 0.0}
    watch = start(lambda: clock["t"])
    while clock["t"] < seconds and not watch.monitor():
        clock["t"] = min(clock["t"] + WATCH_HOP, seconds)
    return watch, watch.stopped_at if watch.stopped_at is not None else seconds
