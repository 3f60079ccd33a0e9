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
EEG recorded before the motion (simulated, recorded and replayed operators), :class:`LiveFeed`
reads a live stream as the robot moves. Both follow :class:`EEGFeed`. :class:`ClenchWatch` puts a
feed, a buffer and a monitor together for one watched motion (a skill, a cursor glide) and keeps
why and when it stopped; bad stream data are :class:`StreamPaused`.

Live EEG: a live source (:class:`StreamSource`: ``noir.lsl.LSLSource``, an LSL stream with a
marker stream for the cues; ``noir.board.BrainFlowSource``, any BrainFlow board with markers in
its data) hands out the samples that arrived since the last read, in volts, with their time
stamps, and takes the interface's cue markers. :class:`StreamOperator` puts a source behind the
operator interface: for each decoding window it sends the cue marker, drops what came before it
and reads the window that follows; every window is checked before a decoder sees it
(:func:`check_chunk`, :func:`check_signal`). A stream that stalls, drops samples, jumps in time,
sends NaN, goes flat or saturates raises ``StreamPaused`` with the reason; the loop logs it and
shows the cue again until the data are good (:func:`retry_paused`). While the robot moves, the
clench monitor reads the stream live (:class:`LiveFeed`): new samples are pulled on every
control step, the simulation is paced to wall time, and the same faults stop the robot as a
clench does.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

import mne
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from decoders.cues import Cue, Screen
from decoders.emg import MuscleTensionDetector
from noir.clock import Clock, WallClock

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
FLAT_PTP = 1e-7
"""Peak-to-peak (V) below which a channel is flat if it stays so for ``FLAT_DURATION``: 0.1 µV,
far below any EEG amplifier's noise (about 0.5 µV rms, some 3 µV peak-to-peak). Decoders refuse
flat windows too, with a far lower floor (``decoders._validation.FLAT_VARIANCE_FLOOR``); the
stream refuses them first."""
FLAT_DURATION = 0.05
"""Seconds a channel must stay within ``FLAT_PTP`` to count as flat."""
QUIET = 0.05
"""Seconds without a sample after which a stopped live answer counts as drained."""



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
    """An operator whose EEG arrives live (:class:`StreamOperator`): a motion is watched from
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
        """What the person meant (:meth:`Operator.truth`), for the record only."""
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


# Live streams: any stream of samples (LSL, BrainFlow) as an operator, checked before use.


class StreamMismatch(ValueError):
    """A live stream does not fit the session (its channels, rate or units): the message's
    first line says which stream, each further line one mismatch."""


class StreamSource(Protocol):
    """A live multichannel EEG stream and the way to show it cue markers.

    Attributes
    ----------
    label : str
        What the stream is, for messages and the record (``"lsl:noir-eeg"``,
        ``"brainflow:synthetic"``).
    sfreq : float
        Nominal sampling rate, Hz.
    ch_names : list of str
        Channel labels, in the order of the samples' columns.
    units : str
        The unit the stream's samples come in (``"V"``, ``"mV"``, ``"uV"``); ``read`` has
        already scaled them to volts.
    answers_cues : bool
        True when samples come only in answer to a cue marker (a loopback person): then a cue
        waits for a reader of the markers, and an answer that is no longer wanted is stopped
        and drained. False for a free-running amplifier.
    stamp_jitter : float
        Seconds by which the time stamps may stray from the sample clock (0 for LSL, whose
        stamps are the sender's; BrainFlow's are taken as samples are read in). A step longer
        than 1.5 samples plus this counts as lost samples; a source that numbers its samples
        finds smaller losses itself (``read`` raises ``StreamPaused``).
    """

    label: str
    sfreq: float
    ch_names: list[str]
    units: str
    answers_cues: bool
    stamp_jitter: float

    def read(self, max_samples: int, timeout: float) -> tuple[np.ndarray, np.ndarray]:
        """Up to ``max_samples`` samples that arrived since the last read, shape
        (n, n_channels) in V, and their time stamps (n,) in s on the stream's clock corrected to
        this machine's (LSL) or the board's Unix time (BrainFlow); waits up to ``timeout`` s for
        the first one (n may be 0)."""

    def mark(self, marker: dict[str, Any]) -> None:
        """Send a cue marker (``{"stage": str, "cues": [[kind, duration, target], ...]}``, with
        ``"live"`` for a watched motion; an empty cue list stops an answer).

        Raises ``StreamPaused`` if the marker cannot be delivered."""

    def close(self) -> None:
        """Stop reading and release the stream."""


class CueDisplay(Protocol):
    """Shows the person the cues the interface sends (a terminal, the operator console)."""

    def show(self, stage: str, cues: Sequence[Cue]) -> None:
        """Show ``cues`` back to back from now on (``stage``: what the interface is doing)."""

    def close(self) -> None:
        """Stop showing cues (those still to come are dropped)."""


class StreamOperator(PersonOperator):
    """EEG from a live stream; what the person is asked to do follows their mind.

    Parameters
    ----------
    source : StreamSource
        Where the samples come from (opened; the operator closes it in :meth:`close`).
    person : Mind
        Decides what to do about each screen (``sim.person.Person``); its cues go out as
        markers (a simulated person on the other end answers them) and its truth is scored.
    timeout : float
        Seconds to wait for the first sample after a cue.
    stall : float
        Seconds without a new sample after which the stream counts as stalled.
    retries : int
        Times a cue is shown again after bad stream data; still bad after that, the loop ends
        the session (``task_end`` says why). A stall costs ``stall`` s per try.
    rail : float or None
        The amplifier's input range in V: a sample at or beyond it is saturated. None: only a
        channel that stays at its rail (flat) is refused.
    display : CueDisplay, optional
        Shows the person the cues as their marker goes out (e.g.
        ``noir.sources.TerminalCues``); None: the cues are only sent as markers.
    """

    def __init__(self, source: StreamSource, person: Mind | None = None, *, timeout: float = 10.0,
                 stall: float = 1.0, retries: int = STREAM_RETRIES, rail: float | None = None,
                 display: CueDisplay | None = None) -> None:
        super().__init__(person)
        check_settings(stall, retries, rail)
        if source.sfreq <= 0:
            raise ValueError(f"{source.label} has no regular sampling rate")
        self.source = source
        self.sfreq = source.sfreq
        self.ch_names = list(source.ch_names)
        self.stall = stall
        self.timeout = timeout
        self.retries = retries
        self.rail = rail
        self.clock = WallClock()
        self.display = display
        self._sending = False  # whether the source may still be answering an earlier cue

    def close(self) -> None:
        """Stop an answer still running, the cue display, and release the source."""
        if self._sending and self.source.answers_cues:
            self.source.mark({"stage": "end", "cues": []})
        if self.display is not None:
            self.display.close()
        self.source.close()

    def _show(self, stage: str, cues: Sequence[Cue], live: float | None = None) -> None:
        """Send the marker of ``cues`` (``live``: seconds of them already past, the rest is
        streamed in real time) after dropping anything stale."""
        if self._sending and self.source.answers_cues:
            self._stop_answer(stage)
        self._sending = False
        self.source.read(max_samples=1_000_000, timeout=0.0)  # drop anything stale
        marker: dict[str, Any] = {"stage": stage,
                                  "cues": [[c.kind, c.duration, c.target] for c in cues]}
        if live is not None:
            marker["live"] = live
        self.source.mark(marker)
        if self.display is not None:
            self.display.show(stage, cues)

    def _stop_answer(self, stage: str) -> None:
        """Stop an answer to an earlier cue (a live feed, or a window that failed half-way): an
        empty cue list tells the sender to stop, then what it sent meanwhile is drained (until
        ``QUIET`` s pass without a sample, 5 x at most)."""
        self.source.mark({"stage": stage, "cues": []})
        deadline = time.monotonic() + 5 * QUIET
        while time.monotonic() < deadline:
            _, stamps = self.source.read(max_samples=1_000_000, timeout=QUIET)
            if not len(stamps):
                return

    def _read(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The next ``n`` samples (n, n_channels) and their time stamps (n,).

        Raises
        ------
        StreamPaused
            If the first sample does not come within ``timeout`` s, or a later one within
            ``stall`` s.
        """
        self._sending = True
        chunks, stamps, got = [], [], 0
        last, wait = time.monotonic(), self.timeout
        while got < n:
            data, ts = self.source.read(max_samples=n - got, timeout=0.05)
            if len(ts):
                chunks.append(data)
                stamps.append(ts)
                got += len(ts)
                last, wait = time.monotonic(), self.stall
            elif time.monotonic() - last > wait:
                raise StreamPaused(f"stream stalled: no sample for {wait} s "
                                   f"({got} of {n} samples received)")
        self._sending = False
        return np.vstack(chunks), np.concatenate(stamps)

    def eeg(self, cues: Sequence[Cue], stage: str) -> mne.io.BaseRaw:
        """Show ``cues`` (as a marker) and read the EEG that follows; check it before use.

        The samples' time stamps travel with it (``info["temp"]["stamps"]``, see
        :func:`annotated`) into the session record, and the ``time.monotonic()`` at which its
        last sample arrived (``info["temp"]["received"]``) into the decision's latency.

        Raises
        ------
        StreamPaused
            If the stream stalls, drops samples, jumps in time, sends NaN/inf, goes flat or
            saturates.
        """
        self._show(stage, cues)
        data, stamps = self._read(sum(round(c.duration * self.sfreq) for c in cues))
        received = time.monotonic()
        check_chunk(data, stamps, self.sfreq, self.ch_names, jitter=self.source.stamp_jitter)
        check_signal(data, self.sfreq, self.ch_names, rail=self.rail)
        raw = annotated(data, self.sfreq, self.ch_names, cues, stamps)
        raw.info["temp"]["received"] = received
        return raw

    def feed(self, screen: Screen, stage: str, channels: Sequence[str], pre_roll: float
             ) -> LiveFeed:
        """Show ``screen`` (a motion or a glide) and return its live feed of ``channels``:
        :meth:`cued_feed` of the person's cues, which start with ``pre_roll`` s of rest."""
        return self.cued_feed(self.screen_cues(screen, pre_roll), stage, channels)

    def cued_feed(self, cues: Sequence[Cue], stage: str, channels: Sequence[str]) -> LiveFeed:
        """Show ``cues`` and return the live feed of ``channels`` while they run.

        The first cue is the pre-roll, already past when the motion starts: its samples are
        read now (an answering source streams them at once); the rest arrive as the robot
        moves.

        Raises
        ------
        ValueError
            If a channel is not in the stream (names it and lists what is there).
        StreamPaused
            If the pre-roll's samples are bad or do not arrive.
        """
        missing = [ch for ch in channels if ch not in self.ch_names]
        if missing:
            raise ValueError(f"channel(s) {missing} not in {self.source.label}; it has "
                             f"{self.ch_names}")
        self._show(stage, cues, live=cues[0].duration)
        data, stamps = self._read(round(cues[0].duration * self.sfreq))
        check_chunk(data, stamps, self.sfreq, self.ch_names, jitter=self.source.stamp_jitter)
        check_signal(data, self.sfreq, self.ch_names, rail=self.rail)
        self._sending = True  # until the next cue stops it
        return LiveFeed(self, cues, [self.ch_names.index(ch) for ch in channels], data, stamps)


class LiveFeed:
    """A motion's EEG read from the stream as it arrives (an :class:`EEGFeed`).

    ``pull(elapsed)`` takes whatever samples arrived and checks them, joined to what came
    before (the loop paces its calls to wall time with ``noir.clock.WallClock``, so the samples
    are those that arrived by then).

    Parameters
    ----------
    operator : StreamOperator
        Whose source it reads.
    cues : sequence of Cue
        The cues shown for the motion (annotations of the record).
    picks : list of int
        Indices of the channels ``pull`` and ``history`` give.
    history, stamps : ndarray, shape (n, n_channels) and (n,)
        The pre-roll's samples (all channels) and time stamps, already checked.
    """

    def __init__(self, operator: StreamOperator, cues: Sequence[Cue], picks: list[int],
                 history: np.ndarray, stamps: np.ndarray) -> None:
        self._operator = operator
        self._cues = list(cues)
        self._picks = picks
        self.sfreq = operator.sfreq
        self._data = [history]
        self._stamps = [stamps]
        self._n = len(history)
        self._n_history = len(history)
        # the last samples received: a flat stretch may begin in them
        self._tail = history[-round(FLAT_DURATION * self.sfreq):]
        self._last_stamp = float(stamps[-1])
        self._last_arrival = time.monotonic()
        self.history = history[:, picks].T

    def pull(self, elapsed: float) -> np.ndarray:
        """New samples of the picked channels, shape (n_channels, n_new).

        Raises
        ------
        StreamPaused
            If no sample came for ``stall`` s, or the new ones are bad (``check_chunk``,
            ``check_signal``); nothing from a bad chunk is kept.
        """
        op = self._operator
        data, ts = op.source.read(max_samples=1_000_000, timeout=0.0)
        if not len(ts):
            if time.monotonic() - self._last_arrival > op.stall:
                raise StreamPaused(f"stream stalled: no sample for {op.stall} s "
                                   f"({self._n - self._n_history} samples after the start)")
            return np.empty((len(self._picks), 0))
        check_chunk(data, ts, self.sfreq, op.ch_names, previous=self._last_stamp,
                    first=self._n, jitter=op.source.stamp_jitter)
        recent = np.vstack([self._tail, data])
        check_signal(recent, self.sfreq, op.ch_names, first=self._n - len(self._tail),
                     rail=op.rail)
        self._tail = recent[-len(self._tail):]
        self._data.append(data)
        self._stamps.append(ts)
        self._n += len(data)
        self._last_stamp = float(ts[-1])
        self._last_arrival = time.monotonic()
        return data[:, self._picks].T

    def raw(self, elapsed: float) -> mne.io.BaseRaw:
        """The samples received up to ``elapsed`` s after the start, all channels, annotated,
        with their time stamps."""
        n = self._n_history + round(elapsed * self.sfreq) + 1
        return annotated(np.vstack(self._data)[:n], self.sfreq, self._operator.ch_names,
                         self._cues, np.concatenate(self._stamps)[:n])


def check_settings(stall: float, retries: int, rail: float | None) -> None:
    """Refuse stream settings :class:`StreamOperator` cannot use (named in the message)."""
    if stall <= 0 or retries < 0 or (rail is not None and not rail > 0):
        raise ValueError(f"stall={stall} s, retries={retries}, rail={rail} V: expected "
                         "stall > 0, retries >= 0 and rail > 0 (or None)")


def marker_text(marker: dict[str, Any]) -> str:
    """A cue marker as the one-line JSON text sent on a marker stream."""
    return json.dumps(marker)


def annotated(data: np.ndarray, sfreq: float, ch_names: list[str], cues: Sequence[Cue],
              stamps: np.ndarray | None = None) -> mne.io.RawArray:
    """``data`` (n_times, n_channels) in V as a Raw annotated with the ``cues`` it covers.

    ``stamps`` (n_times,), the samples' time stamps in s, ride along in ``info["temp"]``
    (MNE's place for data that is not saved with the Raw) as ``{"stamps": stamps}``: the
    session recorder writes them beside the EEG.
    """
    raw = mne.io.RawArray(data.T, mne.create_info(ch_names, sfreq, "eeg"), verbose="error")
    if stamps is not None:
        raw.info["temp"] = {"stamps": np.asarray(stamps, dtype=float)}
    end = len(data) / sfreq
    onsets = np.cumsum([0.0] + [c.duration for c in cues[:-1]])
    shown = [(onset, min(c.duration, end - onset), c.description)
             for onset, c in zip(onsets, cues, strict=True) if onset < end]
    raw.set_annotations(mne.Annotations(*zip(*shown, strict=True)))
    return raw


def check_chunk(data: np.ndarray, stamps: np.ndarray, sfreq: float, ch_names: list[str],
                previous: float | None = None, first: int = 0, jitter: float = 0.0) -> None:
    """Refuse samples (n_times, n_channels) with NaN/inf, or time stamps that skip or go back.

    ``data[0]`` is sample ``first`` of the window (the numbering of the messages);
    ``previous`` is the time stamp of the sample before it, if any. With ``jitter`` (the
    source's ``stamp_jitter``) 0, every step must be positive and at most ``1.5 / sfreq`` s;
    otherwise a step may go back by up to ``jitter`` s (a sender that stamps whole chunks) and
    counts as lost samples beyond ``1.5 / sfreq + jitter`` s.

    Raises
    ------
    StreamPaused
        Naming the channel and sample, or the size and place of the gap.
    """
    bad = ~np.isfinite(data)
    if bad.any():
        sample, channel = np.argwhere(bad)[0]
        raise StreamPaused(f"stream sent NaN/inf: channel {ch_names[channel]}, "
                           f"sample {first + sample}")
    if previous is not None:
        stamps, first = np.concatenate([[previous], stamps]), first - 1
    steps = np.diff(stamps)
    back = steps <= 0 if jitter == 0 else steps < -jitter
    if np.any(back):
        at = int(np.argmax(back))
        raise StreamPaused(f"stream time went back or stood still at sample {first + at + 1} "
                           f"({steps[at]:+.3f} s; a sender that stamps whole chunks needs a "
                           "stamp jitter, e.g. lsl:NAME,jitter=0.05)")
    if np.any(steps > 1.5 / sfreq + jitter):
        at = int(np.argmax(steps > 1.5 / sfreq + jitter))
        missing = round(steps[at] * sfreq) - 1
        kind = "jumped in time" if steps[at] > 0.5 else "dropped samples"
        raise StreamPaused(f"stream {kind}: {missing} samples missing after sample {first + at} "
                           f"({steps[at]:.3f} s gap)")


def check_signal(data: np.ndarray, sfreq: float, ch_names: list[str], first: int = 0,
                 rail: float | None = None) -> None:
    """Refuse a saturated or flat channel in samples (n_times, n_channels) in V.

    Saturated: a sample at or beyond ``rail`` V in magnitude (the amplifier's input range;
    None: not checked). Flat: a channel whose peak-to-peak stays below ``FLAT_PTP`` for
    ``FLAT_DURATION`` s (a disconnected, frozen or railed channel). ``data[0]`` is sample
    ``first`` of the window.

    Raises
    ------
    StreamPaused
        Naming the channel, the value and the sample.
    """
    if rail is not None:
        over = np.abs(data) >= rail
        if over.any():
            sample, channel = np.argwhere(over)[0]
            raise StreamPaused(
                f"stream saturated: channel {ch_names[channel]} at {data[sample, channel]:.4g} V "
                f"(input range +-{rail:g} V) at sample {first + sample}")
    n = max(2, round(FLAT_DURATION * sfreq))
    if len(data) < n:
        return
    windows = sliding_window_view(data, n, axis=0)  # (n_times - n + 1, n_channels, n)
    flat = windows.max(axis=2) - windows.min(axis=2) < FLAT_PTP
    if flat.any():
        sample, channel = np.argwhere(flat)[0]
        raise StreamPaused(
            f"stream flat: channel {ch_names[channel]} stays at "
            f"{data[sample, channel] * 1e6:.4g} µV (peak-to-peak < {FLAT_PTP * 1e6:g} µV for "
            f"{n} samples) from sample {first + sample}")
