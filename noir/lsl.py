"""LSL: live EEG from a Lab Streaming Layer stream (:class:`LSLSource`), cues on a marker stream.

The interface sends each cue it shows as a JSON marker on its own LSL stream (``noir-cues``) and
reads the EEG that follows from the named EEG stream; ``noir.stream.StreamOperator`` checks every
window and watches motions live. :class:`LSLOperator` is that operator on an LSL stream.

Why pylsl and not mne-lsl's ``StreamLSL``: the loop must see every sample once, in order, with
its own time stamp, to refuse a window with a gap, a jump or a duplicate (and to count lost
samples in the soak test); ``StreamLSL`` keeps a ring buffer of the latest window that is read
by window length, so samples lost between two reads would go unseen. The inlet here is
pylsl's, with liblsl's clock-offset correction.

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
import socket
import threading
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from decoders.cues import Cue
from noir.stream import (
    STREAM_RETRIES,
    Mind,
    StreamOperator,
    StreamPaused,
    check_chunk,
    check_settings,
    check_signal,
    marker_text,
)

if TYPE_CHECKING:  # hints only: an LSL source needs no simulator
    from sim.eeg_subject import SyntheticSubject

LSL_CONFIG = Path(str(resources.files("noir") / "lsl_api.cfg"))
os.environ.setdefault("LSLAPICFG", str(LSL_CONFIG))
import pylsl  # noqa: E402  (after LSLAPICFG is set)

log = logging.getLogger(__name__)

__all__ = ["CUE_STREAM", "FAULTS", "RAIL", "LSLOperator", "LSLSource", "LoopbackPerson",
           "check_chunk", "check_signal", "list_streams", "outlet_ports"]

CUE_STREAM = "noir-cues"
FAULTS = ("stall", "drop", "jump", "nan", "flat", "saturate")
RAIL = 0.1875
"""Input range (V) of the amplifier ``LoopbackPerson`` plays (OpenBCI Cyton's at gain 24)."""
UNIT_SCALE = {"V": 1.0, "mV": 1e-3, "uV": 1e-6}
"""Volts per unit of the units a stream may declare (names normalised by ``_stream_units``)."""
UNIT_NAMES = {"v": "V", "volt": "V", "volts": "V", "mv": "mV", "millivolt": "mV",
              "millivolts": "mV", "uv": "uV", "µv": "uV", "μv": "uV", "microvolt": "uV",
              "microvolts": "uV"}


class LSLSource:
    """An LSL EEG stream (``noir.stream.StreamSource``), with a marker stream for the cues.

    Parameters
    ----------
    stream : str
        Name of the EEG stream to read (its channel labels name the channels).
    timeout : float
        Seconds to wait for the stream to appear.
    units : str or None
        The unit of the samples (``"V"``, ``"mV"``, ``"uV"``): a stream that declares its
        channels' unit must agree with it.
    default_units : str or None
        The unit to take when the stream does not say and ``units`` is None (a montage's).
    jitter : float
        Seconds by which the stream's time stamps may stray (``noir.stream.StreamSource``): 0
        for a sender that stamps each sample (``LoopbackPerson``); a sender that lets liblsl
        stamp whole chunks at push time needs about a chunk's length (e.g. 0.05).

    A stream from another machine has its clock offset to this one corrected (liblsl's
    ``proc_clocksync``; one on this machine already shares its clock); jitter is not smoothed,
    so that a gap or jump stays visible to the checks. (Discovery stays on 127.0.0.1 unless
    ``LSLAPICFG`` names other peers.) The cue markers go out
    on ``noir-cues`` (JSON text). A stream published by :class:`LoopbackPerson` answers the cues
    (its ``<noir><answers_cues>`` description says so): then a cue waits for the person to read
    the marker stream.
    """

    def __init__(self, stream: str = "noir-eeg", *, timeout: float = 10.0,
                 units: str | None = None, default_units: str | None = None,
                 jitter: float = 0.0) -> None:
        if not 0 <= jitter <= 1:
            raise ValueError(f"jitter={jitter} s: expected 0 to 1 s")
        found = pylsl.resolve_byprop("name", stream, timeout=timeout)
        if not found:
            raise TimeoutError(f"no LSL stream named {stream!r} appeared within {timeout} s "
                               "(`noir sources` lists the streams on this machine)")
        self.label = f"lsl:{stream}"
        self.timeout = timeout
        # a stream from this machine shares its clock; one from elsewhere is corrected (this
        # opens a UDP socket for liblsl's time queries, so only then)
        remote = found[0].hostname() != socket.gethostname()
        self.inlet = pylsl.StreamInlet(found[0], max_buflen=60, processing_flags=(
            pylsl.proc_clocksync if remote else pylsl.proc_none))
        info = self.inlet.info(timeout=timeout)
        self.sfreq = info.nominal_srate()
        self.ch_names = _channel_labels(info)
        self.units = _stream_units(info, units, default_units)
        self._scale = UNIT_SCALE[self.units]
        self.answers_cues = info.desc().child("noir").child_value("answers_cues") == "true"
        self.stamp_jitter = jitter
        self.cues = pylsl.StreamOutlet(pylsl.StreamInfo(CUE_STREAM, "Markers", 1, 0, "string",
                                                        f"{CUE_STREAM}/{stream}"))
        _warn_exposed(self.cues)
        self.inlet.open_stream(timeout=timeout)

    def read(self, max_samples: int, timeout: float) -> tuple[np.ndarray, np.ndarray]:
        chunk, stamps = self.inlet.pull_chunk(timeout=timeout, max_samples=max_samples)
        if not stamps:
            return np.empty((0, len(self.ch_names))), np.empty(0)
        return np.asarray(chunk, dtype=float) * self._scale, np.asarray(stamps, dtype=float)

    def mark(self, marker: dict[str, Any]) -> None:
        if self.answers_cues and not self.cues.wait_for_consumers(self.timeout):
            raise StreamPaused(f"nobody reads the cue stream {CUE_STREAM!r}: no cue can be shown")
        self.cues.push_sample([marker_text(marker)])

    def close(self) -> None:
        self.inlet.close_stream()


class LSLOperator(StreamOperator):
    """EEG from a live LSL stream (:class:`LSLSource`) for what ``person`` does.

    ``stream`` and ``timeout`` go to :class:`LSLSource`; the rest is
    :class:`noir.stream.StreamOperator`'s.
    """

    def __init__(self, person: Mind | None = None, *, stream: str = "noir-eeg",
                 timeout: float = 10.0, stall: float = 1.0, retries: int = STREAM_RETRIES,
                 rail: float | None = None) -> None:
        check_settings(stall, retries, rail)  # before waiting for the stream
        super().__init__(LSLSource(stream, timeout=timeout), person, timeout=timeout,
                         stall=stall, retries=retries, rail=rail)


def list_streams(wait: float = 1.0) -> list[dict[str, Any]]:
    """The LSL streams visible from here within ``wait`` s (discovery stays on 127.0.0.1 with
    the project's ``LSLAPICFG``): name, type, channel count, rate (Hz), host, source id."""
    return [{"name": info.name(), "type": info.type(), "channels": info.channel_count(),
             "sfreq": info.nominal_srate(), "host": info.hostname(),
             "source_id": info.source_id()} for info in pylsl.resolve_streams(wait_time=wait)]


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


def _stream_units(info: pylsl.StreamInfo, given: str | None, default: str | None) -> str:
    """The one unit of the stream's channels: what they declare (``<unit>``), else ``given``,
    else ``default``.

    Raises
    ------
    ValueError
        If channels declare different or unknown units, disagree with ``given``, or neither
        says.
    """
    declared, channel = set(), info.desc().child("channels").child("channel")
    for _ in range(info.channel_count()):
        unit = channel.child_value("unit").strip()
        if unit:
            if unit.lower() not in UNIT_NAMES:
                raise ValueError(f"LSL stream {info.name()!r}: unknown unit {unit!r} of channel "
                                 f"{channel.child_value('label')!r}; known: {sorted(UNIT_SCALE)}")
            declared.add(UNIT_NAMES[unit.lower()])
        channel = channel.next_sibling()
    for unit in (given, default):
        if unit is not None and unit not in UNIT_SCALE:
            raise ValueError(f"unknown unit {unit!r}; known: {sorted(UNIT_SCALE)}")
    if len(declared) > 1:
        raise ValueError(f"LSL stream {info.name()!r} mixes units {sorted(declared)}")
    if declared and given is not None and declared != {given}:
        raise ValueError(f"LSL stream {info.name()!r} is in {declared.pop()}, not {given}")
    if declared:
        return declared.pop()
    if given is None and default is None:
        raise ValueError(f"LSL stream {info.name()!r} does not say the unit of its samples: "
                         "give it (units=uV in the source, or the montage's units)")
    return given or default


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
            channel = channels.append_child("channel")
            channel.append_child_value("label", name)
            channel.append_child_value("unit", "V")
        info.desc().append_child("noir").append_child_value("answers_cues", "true")
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
