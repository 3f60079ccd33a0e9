"""The ``lsl`` operator: live EEG from a Lab Streaming Layer stream, checked before use.

The interface sends each cue it shows as a marker on its own LSL stream (``noir-cues``) and then
reads the EEG that follows from the named EEG stream. Every window is checked before a decoder
sees it: a stream that stalls, drops samples, jumps in time, sends NaN, goes flat or saturates
raises :class:`StreamPaused` with the reason, the loop logs it, and the cue is shown again until
the data are good (``noir.operators.retry_paused``).

While the robot moves, the clench monitor reads the stream live (:class:`LiveFeed`): new samples
are pulled on every control step, the simulation is paced to wall time, and the same faults stop
the robot as a clench does.

Unless ``LSLAPICFG`` is already set, this module points liblsl at ``noir/lsl_api.cfg`` before
pylsl is imported: discovery stays on 127.0.0.1 (no multicast or broadcast; the discovery
responder binds 127.0.0.1). liblsl has no setting for the address of an outlet's TCP data port
and UDP time port: they listen on all interfaces, and each outlet logs a warning naming them
(:func:`outlet_ports`).

:class:`LoopbackPerson` is the other end for tests and demos: it answers each cue marker with a
synthetic subject's EEG (faster than real time, or in real time while a motion is watched) and
can inject stream faults.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mne
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from decoders.cues import Cue
from noir.operators import STREAM_RETRIES, PlanFollower
from noir.stream import StreamPaused

if TYPE_CHECKING:  # hints only: an LSL source needs no simulator
    from sim.eeg_subject import SyntheticSubject
    from skills import PlanStep

LSL_CONFIG = Path(str(resources.files("noir") / "lsl_api.cfg"))
os.environ.setdefault("LSLAPICFG", str(LSL_CONFIG))
import pylsl  # noqa: E402  (after LSLAPICFG is set)

log = logging.getLogger(__name__)

CUE_STREAM = "noir-cues"
FAULTS = ("stall", "drop", "jump", "nan", "flat", "saturate")

FLAT_PTP = 1e-7
"""Peak-to-peak (V) below which a channel is flat if it stays so for ``FLAT_DURATION``: 0.1 µV,
far below any EEG amplifier's noise (about 0.5 µV rms, some 3 µV peak-to-peak). Decoders refuse
flat windows too, with a far lower floor (``decoders._validation.FLAT_VARIANCE_FLOOR``); the
stream refuses them first."""
FLAT_DURATION = 0.05
"""Seconds a channel must stay within ``FLAT_PTP`` to count as flat."""
RAIL = 0.1875
"""Input range (V) of the amplifier ``LoopbackPerson`` plays (OpenBCI Cyton's at gain 24)."""
QUIET = 0.05
"""Seconds without a sample after which a stopped live answer counts as drained."""


class LSLOperator(PlanFollower):
    """EEG from a live LSL stream; the intention (for scoring) follows a plan.

    Parameters
    ----------
    plan, reaction_time
        See :class:`noir.operators.PlanFollower`.
    stream : str
        Name of the EEG stream to read (its channel labels name the channels; samples in V).
    timeout : float
        Seconds to wait for the stream to appear, and for the first sample after a cue.
    stall : float
        Seconds without a new sample after which the stream counts as stalled.
    retries : int
        Times a cue is shown again after bad stream data; still bad after that, the loop ends
        the session (``task_end`` says why). A stall costs ``stall`` s per try.
    rail : float or None
        The amplifier's input range in V: a sample at or beyond it is saturated. None: only a
        channel that stays at its rail (flat) is refused.
    """

    def __init__(self, plan: Sequence[PlanStep] = (), reaction_time: float = 0.6, *,
                 stream: str = "noir-eeg", timeout: float = 10.0, stall: float = 1.0,
                 retries: int = STREAM_RETRIES, rail: float | None = None) -> None:
        super().__init__(plan, reaction_time)
        if stall <= 0 or retries < 0 or (rail is not None and not rail > 0):
            raise ValueError(f"stall={stall} s, retries={retries}, rail={rail} V: expected "
                             "stall > 0, retries >= 0 and rail > 0 (or None)")
        found = pylsl.resolve_byprop("name", stream, timeout=timeout)
        if not found:
            raise TimeoutError(f"no LSL stream named {stream!r} appeared within {timeout} s")
        self.inlet = pylsl.StreamInlet(found[0], max_buflen=60)
        info = self.inlet.info(timeout=timeout)
        self.sfreq = info.nominal_srate()
        if self.sfreq <= 0:
            raise ValueError(f"LSL stream {stream!r} has no regular sampling rate")
        self.ch_names = _channel_labels(info)
        self.stall = stall
        self.timeout = timeout
        self.retries = retries
        self.rail = rail
        self.cues = pylsl.StreamOutlet(pylsl.StreamInfo(CUE_STREAM, "Markers", 1, 0, "string",
                                                        f"{CUE_STREAM}/{stream}"))
        _warn_exposed(self.cues)
        self._sending = False  # whether the sender may still be answering an earlier cue
        self.inlet.open_stream(timeout=timeout)

    def _show(self, stage: str, cues: Sequence[Cue], live: float | None = None) -> None:
        """Send the marker of ``cues`` (``live``: seconds of them already past, the rest is
        streamed in real time) after dropping anything stale in the inlet."""
        if self._sending:
            self._stop_sender(stage)
        if not self.cues.wait_for_consumers(self.timeout):
            raise StreamPaused(f"nobody reads the cue stream {CUE_STREAM!r}: no cue can be shown")
        self.inlet.pull_chunk(timeout=0.0, max_samples=1_000_000)  # drop anything stale
        marker: dict[str, Any] = {"stage": stage,
                                  "cues": [[c.kind, c.duration, c.target] for c in cues]}
        if live is not None:
            marker["live"] = live
        self.cues.push_sample([json.dumps(marker)])

    def _stop_sender(self, stage: str) -> None:
        """Stop an answer to an earlier cue (a live feed, or a window that failed half-way): an
        empty cue list tells the sender to stop, then what it sent meanwhile is drained (until
        ``QUIET`` s pass without a sample, 5 x at most)."""
        self._sending = False
        self.cues.push_sample([json.dumps({"stage": stage, "cues": []})])
        deadline = time.monotonic() + 5 * QUIET
        while time.monotonic() < deadline:
            _, stamps = self.inlet.pull_chunk(timeout=QUIET, max_samples=1_000_000)
            if not stamps:
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
        data, stamps = np.empty((0, len(self.ch_names))), np.empty(0)
        last, wait = time.monotonic(), self.timeout
        while len(stamps) < n:
            chunk, ts = self.inlet.pull_chunk(timeout=0.05, max_samples=n - len(stamps))
            if ts:
                data = np.vstack([data, np.asarray(chunk, dtype=float)])
                stamps = np.concatenate([stamps, ts])
                last, wait = time.monotonic(), self.stall
            elif time.monotonic() - last > wait:
                raise StreamPaused(f"stream stalled: no sample for {wait} s "
                                   f"({len(stamps)} of {n} samples received)")
        self._sending = False
        return data, stamps

    def eeg(self, cues: Sequence[Cue], stage: str) -> mne.io.BaseRaw:
        """Show ``cues`` (as a marker) and read the EEG that follows; check it before use.

        Raises
        ------
        StreamPaused
            If the stream stalls, drops samples, jumps in time, sends NaN/inf, goes flat or
            saturates.
        """
        self._show(stage, cues)
        data, stamps = self._read(sum(round(c.duration * self.sfreq) for c in cues))
        check_chunk(data, stamps, self.sfreq, self.ch_names)
        check_signal(data, self.sfreq, self.ch_names, rail=self.rail)
        return _annotated(data, self.sfreq, self.ch_names, cues)

    def feed(self, cues: Sequence[Cue], stage: str, channels: Sequence[str]) -> LiveFeed:
        """Show ``cues`` for a motion and return its live feed of ``channels``.

        The first cue is the pre-roll, already past when the motion starts: its samples are
        read now (the sender streams them at once); the rest arrive as the robot moves.

        Raises
        ------
        ValueError
            If a channel is not in the stream (names it and lists what is there).
        StreamPaused
            If the pre-roll's samples are bad or do not arrive.
        """
        missing = [ch for ch in channels if ch not in self.ch_names]
        if missing:
            raise ValueError(f"channel(s) {missing} not in the EEG stream; it has {self.ch_names}")
        self._show(stage, cues, live=cues[0].duration)
        data, stamps = self._read(round(cues[0].duration * self.sfreq))
        check_chunk(data, stamps, self.sfreq, self.ch_names)
        check_signal(data, self.sfreq, self.ch_names, rail=self.rail)
        self._sending = True  # until the next cue stops it
        return LiveFeed(self, cues, [self.ch_names.index(ch) for ch in channels], data, stamps)


class LiveFeed:
    """A motion's EEG read from the stream as it arrives (``noir.stream.EEGFeed``).

    ``pull(elapsed)`` first waits until ``elapsed`` s of wall time have passed since the
    first pull (so the simulation that calls it every control step runs in real time), then
    takes whatever samples arrived and checks them, joined to what came before.

    Parameters
    ----------
    operator : LSLOperator
        Whose inlet it reads.
    cues : sequence of Cue
        The cues shown for the motion (annotations of the record).
    picks : list of int
        Indices of the channels ``pull`` and ``history`` give.
    history, stamps : ndarray, shape (n, n_channels) and (n,)
        The pre-roll's samples (all channels) and time stamps, already checked.
    """

    def __init__(self, operator: LSLOperator, cues: Sequence[Cue], picks: list[int],
                 history: np.ndarray, stamps: np.ndarray) -> None:
        self._operator = operator
        self._cues = list(cues)
        self._picks = picks
        self.sfreq = operator.sfreq
        self._data = [history]
        self._n = len(history)
        self._n_history = len(history)
        # the last samples received: a flat stretch may begin in them
        self._tail = history[-round(FLAT_DURATION * self.sfreq):]
        self._last_stamp = float(stamps[-1])
        self._last_arrival = time.monotonic()
        self._t0: float | None = None
        self.history = history[:, picks].T

    def pull(self, elapsed: float) -> np.ndarray:
        """New samples of the picked channels, shape (n_channels, n_new).

        Raises
        ------
        StreamPaused
            If no sample came for ``stall`` s, or the new ones are bad (``check_chunk``,
            ``check_signal``); nothing from a bad chunk is kept.
        """
        now = time.monotonic()
        if self._t0 is None:
            self._t0 = now - elapsed
        if self._t0 + elapsed > now:
            time.sleep(self._t0 + elapsed - now)
        op = self._operator
        chunk, ts = op.inlet.pull_chunk(timeout=0.0)
        if not ts:
            if time.monotonic() - self._last_arrival > op.stall:
                raise StreamPaused(f"stream stalled: no sample for {op.stall} s "
                                   f"({self._n - self._n_history} samples after the start)")
            return np.empty((len(self._picks), 0))
        data = np.asarray(chunk, dtype=float)
        check_chunk(data, np.asarray(ts), self.sfreq, op.ch_names, previous=self._last_stamp,
                    first=self._n)
        recent = np.vstack([self._tail, data])
        check_signal(recent, self.sfreq, op.ch_names, first=self._n - len(self._tail),
                     rail=op.rail)
        self._tail = recent[-len(self._tail):]
        self._data.append(data)
        self._n += len(data)
        self._last_stamp = float(ts[-1])
        self._last_arrival = time.monotonic()
        return data[:, self._picks].T

    def raw(self, elapsed: float) -> mne.io.BaseRaw:
        """The samples received up to ``elapsed`` s after the start, all channels, annotated."""
        data = np.vstack(self._data)[: self._n_history + round(elapsed * self.sfreq) + 1]
        return _annotated(data, self.sfreq, self._operator.ch_names, self._cues)


def _annotated(data: np.ndarray, sfreq: float, ch_names: list[str], cues: Sequence[Cue]
               ) -> mne.io.RawArray:
    """``data`` (n_times, n_channels) in V as a Raw annotated with the ``cues`` it covers."""
    raw = mne.io.RawArray(data.T, mne.create_info(ch_names, sfreq, "eeg"), verbose="error")
    end = len(data) / sfreq
    onsets = np.cumsum([0.0] + [c.duration for c in cues[:-1]])
    shown = [(onset, min(c.duration, end - onset), c.description)
             for onset, c in zip(onsets, cues, strict=True) if onset < end]
    raw.set_annotations(mne.Annotations(*zip(*shown, strict=True)))
    return raw


def check_chunk(data: np.ndarray, stamps: np.ndarray, sfreq: float, ch_names: list[str],
                previous: float | None = None, first: int = 0) -> None:
    """Refuse samples (n_times, n_channels) with NaN/inf, or time stamps that skip or go back.

    ``data[0]`` is sample ``first`` of the window (the numbering of the messages);
    ``previous`` is the time stamp of the sample before it, if any.

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
    if np.any(steps <= 0):
        at = int(np.argmax(steps <= 0))
        raise StreamPaused(f"stream time went back or stood still at sample {first + at + 1} "
                           f"({steps[at]:+.3f} s)")
    if np.any(steps > 1.5 / sfreq):
        at = int(np.argmax(steps > 1.5 / sfreq))
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


def outlet_ports(outlet: pylsl.StreamOutlet) -> dict[str, int]:
    """The ports an outlet listens on: ``{"tcp": data port, "udp": time-service port}``
    (IPv4; liblsl binds both to all interfaces)."""
    xml = outlet.get_info().as_xml()
    return {kind: int(re.search(rf"<v4{tag}_port>(\d+)<", xml).group(1))
            for kind, tag in (("tcp", "data"), ("udp", "service"))}


def _warn_exposed(outlet: pylsl.StreamOutlet) -> None:
    ports = outlet_ports(outlet)
    log.warning(
        "LSL outlet %r listens on all network interfaces at TCP port %d and UDP port %d: "
        "liblsl %s cannot bind an outlet's data and time ports to 127.0.0.1 (discovery stays on "
        "loopback). On a shared network, block them in a firewall.",
        outlet.get_info().name(), ports["tcp"], ports["udp"], pylsl.library_version())


def _channel_labels(info: pylsl.StreamInfo) -> list[str]:
    channel = info.desc().child("channels").child("channel")
    labels = []
    for _ in range(info.channel_count()):
        labels.append(channel.child_value("label"))
        channel = channel.next_sibling()
    if any(not label for label in labels):
        raise ValueError(f"LSL stream {info.name()!r} does not label its channels")
    return labels


class LoopbackPerson:
    """Answers the interface's cue markers with a synthetic subject's EEG over LSL.

    A marker for a watched motion (its ``live`` field: seconds of pre-roll) is answered with the
    pre-roll at once and the rest in real time, in chunks of ``chunk`` s, until the cues end or
    the next marker arrives (an empty cue list just stops it). Other markers are answered
    ``speed`` times faster than real time.

    Parameters
    ----------
    subject : SyntheticSubject
        Generates the EEG for each cue.
    stream : str
        Name of the EEG stream it publishes.
    speed : float
        How much faster than real time a decoding window's samples are pushed.
    faults : dict of int to str
        Cue-marker index (0-based, markers with cues) -> fault injected in that answer:
        ``"stall"`` (stop sending), ``"drop"`` (10 samples lost), ``"jump"`` (time stamps leap
        2 s), ``"nan"`` (a NaN sample), ``"flat"`` (every channel holds its value), ``"saturate"``
        (the first channel at the rail, ``RAIL`` V).
    fault_after : float or None
        Seconds into the answer (after the pre-roll of a live one) at which the fault starts;
        None: half-way.
    chunk : float
        Seconds of samples per chunk of a live answer, each pushed once its last sample is due.

    Attributes
    ----------
    onsets : list of (str, float)
        For live answers: ``("clench", t)`` and ``(fault, t)``, with ``t`` the
        ``pylsl.local_clock()`` time (the monotonic clock) at which that sample was due.
    """

    def __init__(self, subject: SyntheticSubject, *, stream: str = "noir-eeg",
                 speed: float = 20.0, faults: dict[int, str] | None = None,
                 fault_after: float | None = None, chunk: float = 1 / 32) -> None:
        unknown = {f for f in (faults or {}).values() if f not in FAULTS}
        if unknown:
            raise ValueError(f"unknown stream faults {sorted(unknown)}; known: {list(FAULTS)}")
        self.subject = subject
        self.stream = stream
        self.speed = speed
        self.faults = dict(faults or {})
        self.fault_after = fault_after
        self.chunk = max(1, round(chunk * subject.sfreq))
        info = pylsl.StreamInfo(stream, "EEG", len(subject.ch_names), subject.sfreq, "float32",
                                f"{stream}-{os.getpid()}")
        channels = info.desc().append_child("channels")
        for name in subject.ch_names:
            channels.append_child("channel").append_child_value("label", name)
        self.outlet = pylsl.StreamOutlet(info)
        _warn_exposed(self.outlet)
        self.n_answered = 0
        self.onsets: list[tuple[str, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> LoopbackPerson:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _serve(self) -> None:
        inlet, pending = None, None
        while not self._stop.is_set():
            if inlet is None:
                found = pylsl.resolve_byprop("source_id", f"{CUE_STREAM}/{self.stream}",
                                             timeout=0.2)
                inlet = pylsl.StreamInlet(found[0]) if found else None
                continue
            if pending is None:
                marker, _ = inlet.pull_sample(timeout=0.1)
                pending = None if marker is None else json.loads(marker[0])
                continue
            message, pending = pending, None
            if not message["cues"]:
                continue  # stop streaming: nothing is streaming now
            cues = [Cue(kind, duration, target) for kind, duration, target in message["cues"]]
            fault = self.faults.get(self.n_answered)
            self.n_answered += 1
            data = self.subject.record(cues).get_data().T
            if "live" in message:
                pending = self._stream(data, cues, round(message["live"] * self.subject.sfreq),
                                       fault, inlet)
            else:
                pending = self._answer(data, fault, inlet)

    def _faulty(self, data: np.ndarray, stamps: np.ndarray, fault: str | None, at: int
                ) -> tuple[np.ndarray, np.ndarray]:
        """``data`` and ``stamps`` with ``fault`` from sample ``at`` on (a stall cuts them)."""
        sfreq = self.subject.sfreq
        if fault == "nan":
            data[at, 0] = np.nan
        elif fault == "jump":
            stamps[at:] += 2.0
        elif fault == "drop":  # 10 samples lost on the way; the stream goes on after them
            stamps[at:] += 10 / sfreq
        elif fault == "flat":
            data[at:] = data[at]
        elif fault == "saturate":
            data[at:, 0] = RAIL
        elif fault == "stall":
            data, stamps = data[:at], stamps[:at]
        return data, stamps

    def _fault_sample(self, n: int) -> int:
        after = n // 2 if self.fault_after is None else round(self.fault_after * self.subject.sfreq)
        return min(after, n - 1)

    def _answer(self, data: np.ndarray, fault: str | None, inlet: pylsl.StreamInlet
                ) -> dict[str, Any] | None:
        """Send a decoding window ``speed`` times faster than real time; return the marker that
        interrupted it, if one did."""
        sfreq = self.subject.sfreq
        start = pylsl.local_clock()
        stamps = start + np.arange(len(data)) / sfreq
        data, stamps = self._faulty(data, stamps, fault, self._fault_sample(len(data)))
        due = start + np.arange(len(data)) / sfreq / self.speed
        return self._send(data, stamps, due, max(1, round(sfreq / 8)), inlet)

    def _stream(self, data: np.ndarray, cues: list[Cue], history: int, fault: str | None,
                inlet: pylsl.StreamInlet) -> dict[str, Any] | None:
        """Send ``history`` samples at once and the rest in real time; return the marker that
        interrupted it, if one did."""
        sfreq = self.subject.sfreq
        start = pylsl.local_clock()
        due = start + (np.arange(len(data)) - history) / sfreq  # when each sample happens
        starts = np.cumsum([0] + [round(c.duration * sfreq) for c in cues[:-1]])
        events = [(int(i), "clench") for i, c in zip(starts, cues, strict=True)
                  if c.kind == "clench" and i >= history]
        at = history + self._fault_sample(len(data) - history)
        if fault is not None:
            events.append((at, fault))
        data, stamps = self._faulty(data, due.copy(), fault, at)
        marker = self._send(data[:history], stamps[:history], np.full(history, start), history,
                            inlet)
        if marker is None:
            marker = self._send(data[history:], stamps[history:], due[history:len(data)],
                                self.chunk, inlet, [(i - history, kind) for i, kind in events])
        if marker is None and fault == "stall" and not self._stop.is_set():
            self.onsets.append(("stall", float(due[at])))  # the samples stopped coming
        return marker

    def _send(self, data: np.ndarray, stamps: np.ndarray, due: np.ndarray, chunk: int,
              inlet: pylsl.StreamInlet, events: Sequence[tuple[int, str]] = ()
              ) -> dict[str, Any] | None:
        """Push ``data`` in chunks, each once ``pylsl.local_clock()`` reaches the ``due`` time
        of its last sample; stop at the first marker that arrives meanwhile and return it.
        ``events`` (sample index, kind) go to ``onsets`` as their sample is pushed."""
        for begin in range(0, len(data), chunk):
            end = min(begin + chunk, len(data))
            marker, _ = inlet.pull_sample(timeout=max(0.0, due[end - 1] - pylsl.local_clock()))
            if marker is not None:
                return json.loads(marker[0])
            if self._stop.is_set():
                return None
            self.outlet.push_chunk(data[begin:end].tolist(), stamps[begin:end].tolist())
            self.onsets += [(kind, float(due[i])) for i, kind in events if begin <= i < end]
        return None
