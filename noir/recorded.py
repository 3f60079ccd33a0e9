"""The ``recorded`` and ``file`` operators: real EEG trials, drawn per intended class.

SSVEP comes from ssvep-exo (Kalunga et al. 2016, CC0; 13 / 17 / 21 Hz LEDs and rest, 8
occipital channels at 256 Hz), motor imagery from PhysioNet EEGMMIDB S001 (Schalk et al. 2004,
ODC-By 1.0; left fist -> Left Hand, right fist -> Right Hand, both feet -> Legs, rest -> Rest,
16 channels at 160 Hz). Both samples ship in ``noir/sample_data`` (see its README), so this
works on a fresh install.

Every class's trials are split once, by seed, into a calibration pool and a task pool: what the
decoders are calibrated on is never drawn at task time. Neither data set has labelled jaw
clenches, so a clench is a real EEGMMIDB stretch plus simulated EMG (broadband 20 Hz to 0.45 of
the sampling rate, strongest over T7/T8, weaker over F7/F8) — the one simulated part, stated in
each annotation as ``clench``.

The ``file`` operator (:func:`file_operator`) does the same with any MNE-readable recording whose
annotations name the cued intention (``ssvep/<Hz>``, ``mi/<class>``, ``rest``, ``clench``, or
other names mapped to those); a file with ``clench`` trials uses them instead of simulated EMG.
A recording that cannot serve (unreadable, NaN or infinite samples, every channel flat, no such
annotations, missing channels, too few or too short trials) raises ``ValueError`` naming the
file and the problem.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import mne
import numpy as np
from scipy.signal import butter, sosfilt

from decoders._validation import RecordingTooLarge, load_samples
from decoders.cues import Cue
from noir.config import LoopConfig
from noir.stream import Mind, PersonOperator

SAMPLE_DATA = Path(str(resources.files("noir") / "sample_data"))
SSVEP_FILE = "ssvep_exo_s04_raw.fif"
MI_FILE = "eegmmidb_s001_raw.fif"
SSVEP_FREQS = (13.0, 17.0, 21.0)
"""The stimulus frequencies of the ssvep-exo recordings (Hz): the loop's candidate slots."""

SSVEP_OFFSET = 1.0
"""Seconds after an SSVEP trial's onset where a decoding window starts (the response settles)."""

EMG_WEIGHTS = {"T7": 1.0, "T8": 1.0, "F7": 0.6, "F8": 0.6}
EMG_RMS = 100e-6
"""RMS of the simulated clench EMG at T7/T8, in volts (a jaw clench gives 100s of µV there)."""


class RecordedOperator(PersonOperator):
    """Real recorded trials for what the person does at each screen.

    Parameters
    ----------
    person : Mind
        Decides what to do about each screen (``sim.person.Person``).
    seed : int
        Seeds the calibration/task split and every draw.
    calibration_fraction : float
        Share of each class's trials reserved for calibration.
    ssvep, mi : path
        Recordings (any format ``mne.io.read_raw`` reads) for the What stage and for everything
        else (MI, rest, clench); default: the bundled samples in ``noir/sample_data``.
    mapping : dict, optional
        Renames annotations to cue descriptions, e.g. ``{"T1": "mi/left_hand"}``.
    speed : float, optional
        Replay pace: each answer takes ``duration / speed`` s of wall time (1: real time);
        None answers at once.
    """

    def __init__(self, person: Mind | None = None, *, seed: int = 0,
                 calibration_fraction: float = 0.5,
                 ssvep: str | Path = SAMPLE_DATA / SSVEP_FILE,
                 mi: str | Path = SAMPLE_DATA / MI_FILE,
                 mapping: dict[str, str] | None = None, speed: float | None = None) -> None:
        super().__init__(person)
        if not 0 < calibration_fraction < 1:
            raise ValueError(
                f"calibration_fraction must be in (0, 1), got {calibration_fraction}"
            )
        if speed is not None and speed <= 0:
            raise ValueError(f"speed must be > 0 (1: real time), got {speed}")
        self.rng = np.random.default_rng(seed)
        self.speed = speed
        self.sources = {"ssvep": _read(Path(ssvep), mapping), "mi": _read(Path(mi), mapping)}
        # (source, description) -> trial onsets in seconds; calibration trials are drawn
        # without replacement, task trials with replacement, and the two never mix
        self.calibration: dict[tuple[str, str], list[float]] = {}
        self.task: dict[tuple[str, str], list[float]] = {}
        self.trial_seconds: dict[tuple[str, str], float] = {}
        self._n_trials: dict[tuple[str, str], tuple[int, int]] = {}  # (calibration, all)
        for name, raw in self.sources.items():
            for description in sorted(set(raw.annotations.description)):
                if description.startswith(("BAD", "EDGE")):
                    continue
                trials = [a for a in raw.annotations if a["description"] == description]
                onsets = [trials[k]["onset"] for k in self.rng.permutation(len(trials))]
                cut = max(1, round(calibration_fraction * len(onsets)))
                self.calibration[name, description] = onsets[:cut]
                self.task[name, description] = onsets[cut:]
                self.trial_seconds[name, description] = min(a["duration"] for a in trials)
                self._n_trials[name, description] = (cut, len(trials))

    def eeg(self, cues: Sequence[Cue], stage: str) -> mne.io.BaseRaw:
        """Real trials for ``cues``: the What stage from ssvep-exo, the rest from EEGMMIDB.

        Each SSVEP or motor-imagery cue gets a trial of its class; a run of rest/clench cues
        outside the What stage gets one continuous stretch of the recording (no seams for the
        EMG high-pass to see), with simulated EMG from each clench's onset.
        """
        name = "ssvep" if stage == "what" or cues[0].kind == "ssvep" else "mi"
        source = self.sources[name]
        pieces, annotations, onset, i = [], [], 0.0, 0
        while i < len(cues):
            j = i + 1
            stretchable = ("rest",) if ("mi", "clench") in self.task else ("rest", "clench")
            if name == "mi" and cues[i].kind in stretchable:
                while j < len(cues) and cues[j].kind in stretchable:
                    j += 1
                pieces.append(self._stretch(cues[i:j]))
            else:
                pieces.append(self._trial(name, cues[i], calibration=stage == "calibration"))
            for cue in cues[i:j]:
                annotations.append((onset, cue.duration, cue.description))
                onset += cue.duration
            i = j
        raw = mne.io.RawArray(np.concatenate(pieces, axis=1), source.info.copy(), verbose="error")
        raw.set_annotations(mne.Annotations(*zip(*annotations, strict=True)))
        if self.speed:
            time.sleep(onset / self.speed)
        return raw

    def _trial(self, name: str, cue: Cue, *, calibration: bool) -> np.ndarray:
        """One recorded trial of the cue's class, ``cue.duration`` s from its usable start."""
        source = self.sources[name]
        description = "rest" if cue.description in ("rest", "mi/rest") else cue.description
        key = (name, description)
        pool = (self.calibration if calibration else self.task).get(key)
        file = Path(source.filenames[0]).name
        if pool is None:
            known = sorted(d for (n, d) in self.task if n == name)
            raise ValueError(
                f"no recorded trials for cue {cue.description!r} in {file}; it has {known}"
            )
        if not pool and calibration:
            raise ValueError(
                f"all {self._n_trials[key][0]} calibration trials of {description!r} in {file} "
                "are used: ask for fewer calibration trials per class"
            )
        if not pool:
            raise ValueError(
                f"{file} has {self._n_trials[key][1]} trial(s) of {description!r}, all kept for "
                "calibration: the task needs at least one more"
            )
        offset = SSVEP_OFFSET if name == "ssvep" else 0.0
        if offset + cue.duration > self.trial_seconds[key] + 1e-9:
            raise ValueError(
                f"a {cue.duration} s window does not fit in the recorded {description!r} trials "
                f"of {file} ({self.trial_seconds[key]:.2f} s, usable from {offset} s)"
            )
        onset = pool.pop() if calibration else pool[self.rng.integers(len(pool))]
        sfreq = source.info["sfreq"]
        start = round((onset + offset) * sfreq)
        return source.get_data(start=start, stop=start + round(cue.duration * sfreq))

    def _stretch(self, cues: Sequence[Cue]) -> np.ndarray:
        """A continuous EEGMMIDB stretch for rest/clench cues, with simulated clench EMG."""
        source = self.sources["mi"]
        sfreq = source.info["sfreq"]
        lengths = [round(cue.duration * sfreq) for cue in cues]
        n = sum(lengths)
        segments = [(a, b) for a, b in _continuous_segments(source) if b - a > n]
        if not segments:
            raise ValueError(f"no continuous stretch of {n / sfreq:.1f} s in the recording")
        a, b = segments[self.rng.integers(len(segments))]
        start = int(self.rng.integers(a, b - n))
        data = source.get_data(start=start, stop=start + n)
        first = 0
        for cue, length in zip(cues, lengths, strict=True):
            if cue.kind == "clench":
                data[:, first:first + length] += self._emg(source.ch_names, length, sfreq)
            first += length
        return data

    def _emg(self, ch_names: list[str], n_times: int, sfreq: float) -> np.ndarray:
        """Simulated jaw-clench EMG, shape (n_channels, n_times), volts."""
        sos = butter(4, [20.0, 0.45 * sfreq], btype="bandpass", fs=sfreq, output="sos")
        noise = sosfilt(sos, self.rng.standard_normal((len(ch_names), n_times)))
        noise /= noise.std(axis=1, keepdims=True)
        weights = np.array([EMG_WEIGHTS.get(ch, 0.1) for ch in ch_names])
        return EMG_RMS * weights[:, np.newaxis] * noise


def file_operator(path: str | Path, person: Mind | None = None, *,
                  config: LoopConfig | None = None, **kwargs: Any) -> RecordedOperator:
    """A recorded operator serving every stage from one annotated recording at ``path``.

    The recording must hold every channel that ``config``'s decoders read (default: NOIR's
    settings); ``kwargs`` go to :class:`RecordedOperator`.
    """
    config = config or LoopConfig()
    operator = RecordedOperator(person, ssvep=path, mi=path, **kwargs)
    has = operator.sources["mi"].ch_names
    needed = dict.fromkeys([*config.ssvep_channels, *config.mi_channels, *config.emg_channels])
    missing = [ch for ch in needed if ch not in has]
    if missing:
        raise ValueError(f"{path}: lacks the channels {missing} that the decoders read; "
                         f"it has {has}")
    return operator


def _read(path: Path, mapping: dict[str, str] | None = None) -> mne.io.BaseRaw:
    """The recording at ``path``, checked: finite, not flat, with annotated trials."""
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a folder; expected an EEG recording file")
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found: the recorded operator needs an annotated EEG recording "
            "(the bundled samples are rebuilt by experiments/make_sample_data.py)"
        )
    try:
        raw = load_samples(mne.io.read_raw(path, preload=False, verbose="error"), str(path))
    except RecordingTooLarge:
        raise
    except Exception as err:  # MNE's readers fail in many ways on a damaged file
        raise ValueError(f"{path}: not a readable EEG recording "
                         f"({type(err).__name__}: {err})") from err
    data = raw.get_data()
    finite = np.isfinite(data)
    if not finite.all():
        channels = [ch for ch, ok in zip(raw.ch_names, finite.all(axis=1), strict=True) if not ok]
        raise ValueError(f"{path}: {np.size(finite) - np.count_nonzero(finite)} samples are NaN "
                         f"or infinite (channels {channels})")
    if data.size == 0 or np.all(np.ptp(data, axis=1) == 0):
        raise ValueError(f"{path}: every channel is flat (constant); no EEG was recorded")
    if mapping:
        missing = sorted(set(mapping) - set(raw.annotations.description))
        if missing:
            raise ValueError(f"{path}: the mapping names annotations {missing} that the "
                             f"recording lacks; it has {sorted(set(raw.annotations.description))}")
        raw.annotations.rename(mapping)
    if not [d for d in raw.annotations.description if not d.startswith(("BAD", "EDGE"))]:
        raise ValueError(f"{path}: no annotations mark the cued trials (ssvep/<Hz>, "
                         "mi/<class>, rest, clench, or names mapped to those)")
    return raw


def _continuous_segments(raw: mne.io.BaseRaw) -> list[tuple[int, int]]:
    """(start, stop) sample ranges between the boundaries of concatenated runs."""
    sfreq = raw.info["sfreq"]
    cuts = sorted({round(a["onset"] * sfreq) for a in raw.annotations
                   if a["description"] == "BAD boundary"})
    edges = [0, *cuts, raw.n_times]
    return list(zip(edges[:-1], edges[1:], strict=True))
