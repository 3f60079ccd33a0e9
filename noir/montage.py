"""Montages: which channels of a live stream feed SSVEP, MI and EMG, checked when a session starts.

A :class:`Montage` maps each of the interface's channel names (what ``LoopConfig``'s channel
tuples and the decoders use: ``"O1"``, ``"C3"``, ``"T7"``) to the label of the stream channel
that carries it (``"EXG Channel 0"``, or BrainFlow's ``"O1"``), for each of the three roles, and
says at which rate and in which unit the stream's samples are expected. ``check(source)`` lists
every way a stream disagrees, one line each; :class:`MappedSource` hands the loop only the mapped
channels under their interface names, at the montage's rate.

File format (JSON, so that loading runs no code; UTF-8, at most ``MAX_BYTES``)::

    {
      "name": "openbci-cyton-daisy",         # non-empty text
      "note": "what to wire where",          # text, optional
      "sfreq": 125,                          # the stream's expected rate, Hz (> 0)
      "units": "uV",                         # its samples' unit: "V", "mV" or "uV"
      "rate_mismatch": "refuse",             # another rate: "resample" it or "refuse" it
      "ssvep": {"O1": "O1", "Oz": "Fp1"},    # interface name -> stream channel label
      "mi": {"C3": "C3", "Cz": "Fp2"},
      "emg": {"T7": "T7", "T8": "T8"}
    }

Exactly these fields (``note`` may be left out); every role maps at least one channel. Inside
one role two interface names may not share a stream label (one electrode cannot be two places).
Across roles a stream channel may feed several (a Muse's TP9 for SSVEP and MI); an interface
name in two roles must name the same stream channel in both. Duplicate keys are refused (JSON
would keep only the last).

The shipped montages (:func:`known_montages`) live in ``noir/montages/``; ``--montage`` takes
their name or a file's path (:func:`montage_path`).
"""

from __future__ import annotations

import dataclasses
import difflib
import json
import math
import numbers
from collections.abc import Mapping
from fractions import Fraction
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from scipy.signal import firwin

from noir.stream import StreamMismatch

if TYPE_CHECKING:  # hints only
    from noir.config import LoopConfig
    from noir.stream import StreamSource

__all__ = ["MAX_BYTES", "MappedSource", "Montage", "MontageMismatch", "StreamResampler",
           "known_montages", "load_montage", "montage_path"]

ROLES = ("ssvep", "mi", "emg")
UNITS = ("V", "mV", "uV")
RATE_MISMATCH = ("resample", "refuse")
MAX_BYTES = 1 << 20
"""Largest montage file read (a montage is a few hundred bytes)."""
MAX_FACTOR = 10_000
"""Largest up or down factor of the rational rate ratio the resampler accepts."""
FIELDS = ("name", "note", "sfreq", "units", "rate_mismatch", *ROLES)
MONTAGES = resources.files("noir") / "montages"


class MontageMismatch(StreamMismatch):
    """A stream does not fit a montage: one line per mismatch after the first."""


class _Stream(Protocol):
    """What :meth:`Montage.check` reads of a source (``noir.stream.StreamSource`` has it)."""

    label: str
    sfreq: float
    ch_names: list[str]
    units: str


@dataclasses.dataclass(frozen=True)
class Montage:
    """Which stream channels feed SSVEP, MI and EMG, and the stream's expected rate and unit.

    Attributes
    ----------
    name : str
        What the montage is called (messages, the source's label).
    sfreq : float
        The stream's expected rate, Hz; also the rate :class:`MappedSource` hands out.
    units : str
        The unit the stream's samples come in: ``"V"``, ``"mV"`` or ``"uV"``.
    ssvep, mi, emg : mapping of str to str
        Interface channel name -> stream channel label, per role (read-only).
    rate_mismatch : str
        A stream at another rate: ``"resample"`` it to ``sfreq`` or ``"refuse"`` it.
    note : str
        Free text for the person wiring the headset.

    Raises
    ------
    ValueError
        Naming the field and what was expected (see the module's file format).
    """

    name: str
    sfreq: float
    units: str
    ssvep: Mapping[str, str]
    mi: Mapping[str, str]
    emg: Mapping[str, str]
    rate_mismatch: str = "refuse"
    note: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ValueError(f"field 'name': expected non-empty text, got {self.name!r}")
        if not isinstance(self.note, str):
            raise ValueError(f"field 'note': expected text, got {self.note!r}")
        if not _is_rate(self.sfreq):
            raise ValueError(f"field 'sfreq': expected a rate in Hz > 0, got {self.sfreq!r}")
        object.__setattr__(self, "sfreq", float(self.sfreq))
        if self.units not in UNITS:
            raise ValueError(f"field 'units': expected one of {list(UNITS)}, got {self.units!r}")
        if self.rate_mismatch not in RATE_MISMATCH:
            raise ValueError(f"field 'rate_mismatch': expected one of {list(RATE_MISMATCH)}, "
                             f"got {self.rate_mismatch!r}")
        seen: dict[str, tuple[str, str]] = {}  # interface name -> (role, stream label)
        for role in ROLES:
            mapping = getattr(self, role)
            if not isinstance(mapping, Mapping) or not mapping:
                raise ValueError(f"field {role!r}: expected an object mapping interface channel "
                                 f"names to stream channel labels (at least one), got {mapping!r}")
            by_label: dict[str, str] = {}
            for name, label in mapping.items():
                for what, text in (("interface channel name", name),
                                   ("stream channel label", label)):
                    if not isinstance(text, str) or not text.strip():
                        raise ValueError(f"field {role!r}: expected a non-empty {what}, "
                                         f"got {text!r}")
                if label in by_label:
                    raise ValueError(f"field {role!r}: {by_label[label]!r} and {name!r} both "
                                     f"map to stream channel {label!r}; expected one each")
                by_label[label] = name
                if name in seen and seen[name][1] != label:
                    raise ValueError(f"field {role!r}: {name!r} maps to {label!r} but to "
                                     f"{seen[name][1]!r} in {seen[name][0]!r}; expected the same")
                seen.setdefault(name, (role, label))
            object.__setattr__(self, role, MappingProxyType(dict(mapping)))

    @classmethod
    def load(cls, path: str | Path) -> Montage:
        """Read a montage file (format: see the module).

        Raises
        ------
        ValueError
            One line naming the file, the field and what was expected.
        OSError
            If the file cannot be read.
        """
        path = Path(path)
        with path.open("rb") as file:
            raw = file.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise ValueError(f"{path}: larger than {MAX_BYTES} bytes; expected a small JSON "
                             "montage")
        try:
            fields = json.loads(raw.decode("utf-8"), object_pairs_hook=_no_duplicates)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise ValueError(f"{path}: not a JSON montage ({err})") from None
        except ValueError as err:  # a duplicate key
            raise ValueError(f"{path}: {err}") from None
        if not isinstance(fields, dict):
            raise ValueError(f"{path}: expected a JSON object with fields {list(FIELDS)}, "
                             f"got {type(fields).__name__}")
        unknown = sorted(set(fields) - set(FIELDS))
        if unknown:
            raise ValueError(f"{path}: unknown field(s) {unknown}; expected only {list(FIELDS)}")
        missing = [f for f in FIELDS if f not in fields and f != "note"]
        if missing:
            raise ValueError(f"{path}: missing field(s) {missing}")
        try:
            return cls(**fields)
        except ValueError as err:
            raise ValueError(f"{path}: {err}") from None

    @property
    def channels(self) -> dict[str, str]:
        """Interface name -> stream label for every role (SSVEP's, then MI's, then EMG's,
        each name once): the channels :class:`MappedSource` hands out, in order."""
        merged: dict[str, str] = {}
        for role in ROLES:
            merged.update(getattr(self, role))
        return merged

    def check(self, source: _Stream) -> None:
        """Say every way ``source`` (label, sfreq, ch_names, units) does not fit the montage.

        A stream at another rate is a mismatch only with ``rate_mismatch="refuse"`` (else
        :class:`MappedSource` resamples it); a stream without a regular rate always is.

        Raises
        ------
        MontageMismatch
            A first line naming the stream and the montage, then one line per mismatch: each
            missing stream channel (the roles it feeds, the closest label present), a channel
            label the stream has twice, the rate, the unit.
        """
        problems = []
        present = list(source.ch_names)
        for label in dict.fromkeys(self.channels.values()):
            feeds = ", ".join(f"{role} {name}" for role in ROLES
                              for name, lab in getattr(self, role).items() if lab == label)
            count = present.count(label)
            if count == 0:
                problems.append(f"channel {label!r} ({feeds}) is not in the stream; "
                                f"closest: {_closest(label, present)}")
            elif count > 1:
                problems.append(f"channel {label!r} ({feeds}) is in the stream {count} times; "
                                "expected once")
        rate = source.sfreq
        if not _is_rate(rate):
            problems.append(f"rate: the stream has no regular sampling rate ({rate!r}); "
                            f"expected {self.sfreq:g} Hz")
        elif not _same_rate(rate, self.sfreq) and self.rate_mismatch == "refuse":
            problems.append(f"rate: the stream runs at {rate:g} Hz, the montage expects "
                            f"{self.sfreq:g} Hz (rate_mismatch 'refuse'; 'resample' would "
                            "resample it)")
        if source.units != self.units:
            problems.append(f"units: the stream's samples are in {source.units!r}, the montage "
                            f"expects {self.units!r}")
        if problems:
            raise MontageMismatch("\n".join(
                [f"{source.label} does not fit montage {self.name!r}:"]
                + [f"  {line}" for line in problems]))

    def config(self, config: LoopConfig) -> LoopConfig:
        """``config`` with its SSVEP, MI and EMG channels set to this montage's interface names."""
        return dataclasses.replace(config, ssvep_channels=tuple(self.ssvep),
                                   mi_channels=tuple(self.mi), emg_channels=tuple(self.emg))


class MappedSource:
    """A live source (``noir.stream.StreamSource``) seen through a montage.

    Hands out only the montage's channels, renamed to their interface names (a stream channel
    that feeds two names appears under each), at the montage's rate: a stream at another rate
    is resampled on the fly (:class:`StreamResampler`) when the montage allows it. ``mark``,
    ``close``, ``answers_cues`` and ``stamp_jitter`` are the source's.

    Resampling holds back ``delay`` s of samples (the filter's look-ahead): a window read after
    a cue starts that much before it, and a clench reaches the loop that much later.

    Parameters
    ----------
    source : StreamSource
        The opened stream (this object closes it in :meth:`close`).
    montage : Montage
        Checked against ``source`` first.

    Attributes
    ----------
    delay : float
        Seconds of samples the resampler holds back; 0 without resampling.

    Raises
    ------
    MontageMismatch
        If the stream does not fit (:meth:`Montage.check`).
    ValueError
        If the stream must be resampled but answers cues: such a source sends exactly each
        window's samples and then pauses, so the resampler's held-back samples would never
        come out (or come out in the next window).
    """

    def __init__(self, source: StreamSource, montage: Montage) -> None:
        montage.check(source)
        self.source = source
        self.montage = montage
        self.label = f"{source.label} via montage {montage.name}"
        self.sfreq = montage.sfreq
        self.units = source.units
        self.answers_cues = source.answers_cues
        self.stamp_jitter = source.stamp_jitter
        channels = montage.channels
        self.ch_names = list(channels)
        labels = list(dict.fromkeys(channels.values()))  # each stream channel resampled once
        self._picks = [list(source.ch_names).index(label) for label in labels]
        self._columns = [labels.index(label) for label in channels.values()]
        self._resampler = None
        self.delay = 0.0
        if not _same_rate(source.sfreq, montage.sfreq):
            if source.answers_cues:
                raise ValueError(
                    f"{source.label} answers cues at {source.sfreq:g} Hz and montage "
                    f"{montage.name!r} runs at {montage.sfreq:g} Hz: a stream that answers cues "
                    "cannot be resampled live; run it at the montage's rate")
            self._resampler = StreamResampler(source.sfreq, montage.sfreq, len(labels))
            self.delay = self._resampler.latency / montage.sfreq
        self._held = np.empty((0, len(labels)))  # resampled beyond what the last read took
        self._held_stamps = np.empty(0)

    def read(self, max_samples: int, timeout: float) -> tuple[np.ndarray, np.ndarray]:
        """Up to ``max_samples`` new samples of the mapped channels, (n, n_channels) in V at the
        montage's rate, and their time stamps (n,) in s; waits up to ``timeout`` s for the
        stream (see ``noir.stream.StreamSource.read``)."""
        if self._resampler is None:
            data, stamps = self.source.read(max_samples, timeout)
            return data[:, [self._picks[c] for c in self._columns]], stamps
        if len(self._held) < max_samples:
            wanted = math.ceil((max_samples - len(self._held)) * self.source.sfreq / self.sfreq)
            data, stamps = self.source.read(max(1, wanted), timeout)
            new, new_stamps = self._resampler.push(data[:, self._picks], stamps)
            self._held = np.vstack([self._held, new])
            self._held_stamps = np.concatenate([self._held_stamps, new_stamps])
        data, stamps = self._held[:max_samples], self._held_stamps[:max_samples]
        self._held, self._held_stamps = self._held[max_samples:], self._held_stamps[max_samples:]
        return data[:, self._columns], stamps

    def mark(self, marker: dict[str, Any]) -> None:
        self.source.mark(marker)

    def close(self) -> None:
        self.source.close()


class StreamResampler:
    """Resamples a multichannel stream chunk by chunk, as ``scipy.signal.resample_poly`` would
    resample it whole, with time stamps for the output samples.

    The ratio ``out_rate / in_rate`` is taken as the fraction up/down; the filter is
    ``resample_poly``'s (and MNE's polyphase resampling's): a Kaiser-windowed (beta 5) sinc with
    10 zero crossings on each side of the narrower Nyquist frequency. Output sample ``j`` is at
    input position ``j * down / up`` (input sample 0 and output sample 0 coincide; before the
    first sample the stream counts as zero, as ``resample_poly`` pads it). An output sample comes
    out once every input sample its filter reaches has arrived: ``latency`` output samples (within
    one; about 10 samples of the slower rate) are held back.

    Parameters
    ----------
    in_rate, out_rate : float
        Rates in Hz.
    n_channels : int
        Columns of the chunks.

    Attributes
    ----------
    up, down : int
        The rate ratio ``out_rate / in_rate`` in lowest terms.
    latency : float
        Output samples held back at any time (within one).

    Raises
    ------
    ValueError
        If the ratio is not a fraction with up and down at most ``MAX_FACTOR``.
    """

    def __init__(self, in_rate: float, out_rate: float, n_channels: int) -> None:
        ratio = (Fraction(out_rate).limit_denominator(MAX_FACTOR)
                 / Fraction(in_rate).limit_denominator(MAX_FACTOR))
        up, down = ratio.numerator, ratio.denominator
        if max(up, down) > MAX_FACTOR or not math.isclose(up / down, out_rate / in_rate,
                                                          rel_tol=1e-9):
            raise ValueError(f"cannot resample {in_rate:.10g} Hz to {out_rate:.10g} Hz: expected "
                             f"rates whose ratio is a fraction with terms up to {MAX_FACTOR}")
        self.up, self.down = up, down
        half = 10 * max(up, down)
        h = firwin(2 * half + 1, 1 / max(up, down), window=("kaiser", 5.0)) * up
        self._half = half
        self._taps = 2 * half // up + 1  # input samples under the filter of one output sample
        # output j reads inputs first(j) .. first(j) + taps - 1 with weights that repeat with
        # period `up` in j: weights[j % up]
        j = np.arange(up)
        first = self._first(j)
        k = half + j[:, None] * down - (first[:, None] + np.arange(self._taps)) * up
        self._weights = np.where((k >= 0) & (k <= 2 * half), h[np.clip(k, 0, 2 * half)], 0.0)
        self.latency = ((self._taps - 1) * up - half) / down
        self._next = 0  # the next output sample
        self._start = int(first[0])  # input index of _data[0] (negative: the zero padding)
        self._data = np.zeros((-self._start, n_channels))
        self._stamps = np.empty(0)  # stamps of inputs _stamp0 ...
        self._stamp0 = 0
        self._received = 0

    def _first(self, j: np.ndarray) -> np.ndarray:
        """The first input sample under the filter of output samples ``j``:
        ceil((j * down - half) / up)."""
        return -((self._half - j * self.down) // self.up)

    def ready(self, received: int) -> int:
        """How many output samples can be made once ``received`` input samples arrived."""
        # the last input output j reads, first(j) + taps - 1, must have arrived
        return max(0, ((received - self._taps) * self.up + self._half) // self.down + 1)

    def push(self, data: np.ndarray, stamps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Take the next input samples (n, n_channels) and their time stamps (n,); return the
        output samples that are now complete (m, n_channels) and theirs (m,), interpolated
        from the input stamps."""
        self._data = np.vstack([self._data, data])
        self._stamps = np.concatenate([self._stamps, stamps])
        self._received += len(data)
        j = np.arange(self._next, self.ready(self._received))
        if not len(j):
            return np.empty((0, self._data.shape[1])), np.empty(0)
        rows = self._first(j)[:, None] - self._start + np.arange(self._taps)
        out = np.einsum("jk,jkc->jc", self._weights[j % self.up], self._data[rows])
        position = j * self.down / self.up  # in input samples
        out_stamps = np.interp(position, self._stamp0 + np.arange(len(self._stamps)),
                               self._stamps)
        self._next = int(j[-1]) + 1
        keep = int(self._first(np.array([self._next]))[0])  # the next output's first input
        self._data = self._data[keep - self._start:]
        self._start = keep
        drop = max(0, int(self._next * self.down // self.up) - self._stamp0)  # floor(position)
        self._stamps = self._stamps[drop:]
        self._stamp0 += drop
        return out, out_stamps


def known_montages() -> list[str]:
    """Names of the shipped montages (``noir/montages/NAME.json``)."""
    return sorted(p.name.removesuffix(".json") for p in MONTAGES.iterdir()
                  if p.name.endswith(".json"))


def montage_path(spec: str) -> Path:
    """The file of a shipped montage's name, or ``spec`` as a path to a montage file.

    Raises
    ------
    FileNotFoundError
        If ``spec`` is neither, naming the shipped montages.
    """
    if spec in known_montages():
        return Path(str(MONTAGES / f"{spec}.json"))
    path = Path(spec)
    if not path.is_file():
        raise FileNotFoundError(f"montage {spec!r}: no such file and no shipped montage of that "
                                f"name; shipped: {known_montages()}")
    return path


def load_montage(spec: str) -> Montage:
    """A shipped montage by name, or a montage file by path (``--montage``)."""
    return Montage.load(montage_path(spec))


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise ValueError(f"duplicate key(s) {repeated}; expected each once")
    return dict(pairs)


def _closest(label: str, present: list[str]) -> str:
    """The stream label most like ``label`` (case-insensitive), quoted, or 'none'."""
    lower = {name.lower(): name for name in reversed(present)}
    match = difflib.get_close_matches(label.lower(), list(lower), n=1, cutoff=0.0)
    return repr(lower[match[0]]) if match else "none (the stream has no channels)"


def _is_rate(value: Any) -> bool:
    """Whether ``value`` is a finite number > 0 (not a bool)."""
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and math.isfinite(value) and value > 0)


def _same_rate(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9)
