"""The ``lsl`` operator: live EEG from a Lab Streaming Layer stream, checked before use.

The interface sends each cue it shows as a marker on its own LSL stream (``noir-cues``) and then
reads the EEG that follows from the named EEG stream. Every window is checked before a decoder
sees it: a stream that stalls, drops samples, jumps in time or sends NaN raises
:class:`StreamPaused` with the reason, the loop logs it, and the cue is shown again until the data
are good (``noir.operators.eeg_with_retries``).

Unless ``LSLAPICFG`` is already set, this module points liblsl at ``noir/lsl_api.cfg``, a
loopback-only configuration (no multicast or broadcast discovery), before pylsl is imported.

:class:`LoopbackPerson` is the other end for tests and demos: it answers each cue marker with a
synthetic subject's EEG, faster than real time, and can inject stream faults.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import mne
import numpy as np

from noir.operators import PlanFollower, StreamPaused
from sim.eeg_subject import Cue, SyntheticSubject
from sim.tasks import PlanStep

LSL_CONFIG = Path(str(resources.files("noir") / "lsl_api.cfg"))
os.environ.setdefault("LSLAPICFG", str(LSL_CONFIG))
import pylsl  # noqa: E402  (after LSLAPICFG is set)

CUE_STREAM = "noir-cues"
FAULTS = ("stall", "drop", "jump", "nan")


class LSLOperator(PlanFollower):
    """EEG from a live LSL stream; the intention (for scoring) follows a plan.

    Parameters
    ----------
    plan, reaction_time
        See :class:`noir.operators.PlanFollower`.
    stream : str
        Name of the EEG stream to read (its channel labels name the channels).
    timeout : float
        Seconds to wait for the stream to appear.
    stall : float
        Seconds without a new sample after which the stream counts as stalled.
    """

    def __init__(self, plan: Sequence[PlanStep] = (), reaction_time: float = 0.6, *,
                 stream: str = "noir-eeg", timeout: float = 10.0, stall: float = 1.0) -> None:
        super().__init__(plan, reaction_time)
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
        self.cues = pylsl.StreamOutlet(pylsl.StreamInfo(CUE_STREAM, "Markers", 1, 0, "string",
                                                        f"{CUE_STREAM}-{os.getpid()}"))
        self.inlet.open_stream(timeout=timeout)

    def eeg(self, cues: Sequence[Cue], stage: str) -> mne.io.BaseRaw:
        """Show ``cues`` (as a marker) and read the EEG that follows; check it before use.

        Raises
        ------
        StreamPaused
            If the stream stalls, drops samples, jumps in time or sends NaN/inf.
        """
        if not self.cues.wait_for_consumers(self.timeout):
            raise StreamPaused(f"nobody reads the cue stream {CUE_STREAM!r}: no cue can be shown")
        self.inlet.pull_chunk(timeout=0.0, max_samples=1_000_000)  # drop anything stale
        shown = [[c.kind, c.duration, c.target] for c in cues]
        self.cues.push_sample([json.dumps({"stage": stage, "cues": shown})])
        n = sum(round(c.duration * self.sfreq) for c in cues)
        data, stamps = np.empty((0, len(self.ch_names))), np.empty(0)
        last = time.monotonic()
        while len(stamps) < n:
            chunk, ts = self.inlet.pull_chunk(timeout=0.05, max_samples=n - len(stamps))
            if ts:
                data = np.vstack([data, np.asarray(chunk, dtype=float)])
                stamps = np.concatenate([stamps, ts])
                last = time.monotonic()
            elif time.monotonic() - last > self.stall:
                raise StreamPaused(f"stream stalled: no sample for {self.stall} s "
                                   f"({len(stamps)} of {n} samples received)")
        check_chunk(data, stamps, self.sfreq, self.ch_names)
        raw = mne.io.RawArray(data.T, mne.create_info(self.ch_names, self.sfreq, "eeg"),
                              verbose="error")
        onsets = np.cumsum([0.0] + [c.duration for c in cues[:-1]])
        raw.set_annotations(mne.Annotations(onsets, [c.duration for c in cues],
                                            [c.description for c in cues]))
        return raw


def check_chunk(data: np.ndarray, stamps: np.ndarray, sfreq: float, ch_names: list[str]) -> None:
    """Refuse samples (n_times, n_channels) with NaN/inf, or time stamps that skip or go back.

    Raises
    ------
    StreamPaused
        Naming the channel and sample, or the size and place of the gap.
    """
    bad = ~np.isfinite(data)
    if bad.any():
        sample, channel = np.argwhere(bad)[0]
        raise StreamPaused(f"stream sent NaN/inf: channel {ch_names[channel]}, sample {sample}")
    steps = np.diff(stamps)
    if np.any(steps <= 0):
        at = int(np.argmax(steps <= 0))
        raise StreamPaused(f"stream time went back or stood still at sample {at + 1} "
                           f"({steps[at]:+.3f} s)")
    if np.any(steps > 1.5 / sfreq):
        at = int(np.argmax(steps > 1.5 / sfreq))
        missing = round(steps[at] * sfreq) - 1
        kind = "jumped in time" if steps[at] > 0.5 else "dropped samples"
        raise StreamPaused(f"stream {kind}: {missing} samples missing after sample {at} "
                           f"({steps[at]:.3f} s gap)")


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

    Parameters
    ----------
    subject : SyntheticSubject
        Generates the EEG for each cue.
    stream : str
        Name of the EEG stream it publishes.
    speed : float
        How much faster than real time samples are pushed.
    faults : dict of int to str
        Cue-marker index (0-based) -> fault injected in that answer: ``"stall"`` (stop
        half-way), ``"drop"`` (10 samples lost mid-way), ``"jump"`` (time stamps leap 2 s),
        ``"nan"`` (a NaN sample).
    """

    def __init__(self, subject: SyntheticSubject, *, stream: str = "noir-eeg",
                 speed: float = 20.0, faults: dict[int, str] | None = None) -> None:
        unknown = {f for f in (faults or {}).values() if f not in FAULTS}
        if unknown:
            raise ValueError(f"unknown stream faults {sorted(unknown)}; known: {list(FAULTS)}")
        self.subject = subject
        self.speed = speed
        self.faults = dict(faults or {})
        info = pylsl.StreamInfo(stream, "EEG", len(subject.ch_names), subject.sfreq, "float32",
                                f"{stream}-{os.getpid()}")
        channels = info.desc().append_child("channels")
        for name in subject.ch_names:
            channels.append_child("channel").append_child_value("label", name)
        self.outlet = pylsl.StreamOutlet(info)
        self.n_answered = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> LoopbackPerson:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _serve(self) -> None:
        inlet = None
        while not self._stop.is_set():
            if inlet is None:
                found = pylsl.resolve_byprop("name", CUE_STREAM, timeout=0.2)
                inlet = pylsl.StreamInlet(found[0]) if found else None
                continue
            marker, _ = inlet.pull_sample(timeout=0.1)
            if marker is None:
                continue
            cues = [Cue(kind, duration, target)
                    for kind, duration, target in json.loads(marker[0])["cues"]]
            self._answer(self.subject.record(cues).get_data().T, self.faults.get(self.n_answered))
            self.n_answered += 1

    def _answer(self, data: np.ndarray, fault: str | None) -> None:
        sfreq = self.subject.sfreq
        stamps = pylsl.local_clock() + np.arange(len(data)) / sfreq
        if fault == "nan":
            data[len(data) // 2, 0] = np.nan
        elif fault == "jump":
            stamps[len(data) // 2:] += 2.0
        elif fault == "drop":  # 10 samples lost on the way; the stream goes on after them
            stamps = np.concatenate([stamps[: len(data) // 2],
                                     stamps[len(data) // 2:] + 10 / sfreq])
        elif fault == "stall":
            data, stamps = data[: len(data) // 2], stamps[: len(data) // 2]
        chunk = max(1, round(sfreq / 8))
        for start in range(0, len(data), chunk):
            self.outlet.push_chunk(data[start:start + chunk].tolist(),
                                   stamps[start:start + chunk].tolist())
            time.sleep(chunk / sfreq / self.speed)
