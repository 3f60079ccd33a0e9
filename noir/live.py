"""Live EEG: any stream of samples (LSL, BrainFlow) as an operator of the loop, checked before use.

A live source (:class:`StreamSource`) hands out the samples that arrived since the last read,
in volts, with their time stamps, and takes the interface's cue markers. :class:`StreamOperator`
puts a source behind the loop's operator interface: for each decoding window it sends the cue
marker, drops what came before it and reads the window that follows; every window is checked
before a decoder sees it (:func:`check_chunk`, :func:`check_signal`). A stream that stalls,
drops samples, jumps in time, sends NaN, goes flat or saturates raises ``StreamPaused`` with
the reason; the loop logs it and shows the cue again until the data are good
(``noir.stream.retry_paused``).

While the robot moves, the clench monitor reads the stream live (:class:`LiveFeed`): new
samples are pulled on every control step, the simulation is paced to wall time, and the same
faults stop the robot as a clench does.

The sources: ``noir.lsl.LSLSource`` (an LSL stream, with a marker stream for the cues) and
``noir.board.BrainFlowSource`` (any BrainFlow board, markers inserted into its data).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any, Protocol

import mne
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from decoders.cues import Cue, Screen
from noir.clock import WallClock
from noir.stream import STREAM_RETRIES, Mind, PersonOperator, StreamPaused

FLAT_PTP = 1e-7
"""Peak-to-peak (V) below which a channel is flat if it stays so for ``FLAT_DURATION``: 0.1 µV,
far below any EEG amplifier's noise (about 0.5 µV rms, some 3 µV peak-to-peak). Decoders refuse
flat windows too, with a far lower floor (``decoders._validation.FLAT_VARIANCE_FLOOR``); the
stream refuses them first."""
FLAT_DURATION = 0.05
"""Seconds a channel must stay within ``FLAT_PTP`` to count as flat."""
QUIET = 0.05
"""Seconds without a sample after which a stopped live answer counts as drained."""


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
    """A motion's EEG read from the stream as it arrives (``noir.stream.EEGFeed``).

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
