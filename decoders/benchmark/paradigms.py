"""Paradigms: turn a dataset's raw recordings into trials ``X``, labels ``y`` and metadata.

A paradigm band-pass filters each continuous recording (or applies a filter bank), cuts one
window per trial, keeps the selected classes and channels, and optionally resamples. Defaults
follow MOABB: SSVEP 7–45 Hz, motor imagery 8–32 Hz, 4th-order Butterworth IIR filters.

Filtering choice
----------------
``phase="zero"`` (default, as MOABB) runs each IIR filter forwards and backwards
(:func:`mne.filter.filter_data`, as :meth:`mne.io.Raw.filter`): no phase distortion, but
every sample depends on later samples, so it is an offline-only choice. ``phase="forward"`` runs
the same filter once, causally, which is what an online decoder sees; use it to measure what the
robot will get. Filtering is done on the continuous recording before epoching, so the windows
have no filter edge effects. Filtering and epoching work on the recording's sample array, without
MNE Raw/Epochs copies; the windows are those ``mne.Epochs`` would cut (same samples and values).

Window convention
-----------------
As MNE and MOABB, a window ``[tmin, tmax]`` includes both ends: ``round((tmax - tmin) * sfreq)
+ 1`` samples. ``tmin``/``tmax`` are relative to the start of the dataset's trial interval
(``dataset.interval[0]``, e.g. 2 s after the cue for ssvep-exo), again as MOABB.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import mne
import numpy as np
import pandas as pd

from decoders.benchmark.datasets import Dataset, RecordingError, Recordings

_PHASES = ("zero", "forward")


class Paradigm:
    """Raw recordings → (X, y, metadata).

    Parameters
    ----------
    fmin, fmax : float | None
        Band-pass edges in Hz (None: no high-pass / no low-pass). Ignored when ``filters`` is
        given.
    filters : sequence of (float, float) | None
        Filter bank: one ``(low, high)`` band in Hz per output band. X then has shape
        ``(n_trials, n_channels, n_times, n_bands)`` (MOABB's filter-bank layout).
    events : sequence of str | None
        Classes to keep (names of ``dataset.event_id``); None keeps the paradigm's default
        classes (:attr:`default_events`) or, if that is None, every class of the dataset.
    tmin : float
        Window start in s, relative to ``dataset.interval[0]``.
    tmax : float | None
        Window end in s relative to ``dataset.interval[0]``; None ends at ``dataset.interval[1]``.
        Exclusive with ``window``.
    window : float | None
        Window length in s (``tmax = tmin + window``).
    channels : sequence of str | None
        Channels to keep, in this order; None keeps every EEG channel.
    resample : float | None
        Sampling rate (Hz) of the output windows; None keeps the recording's.
    phase : str
        ``"zero"`` (forward-backward, offline) or ``"forward"`` (causal).
    filter_order : int
        Butterworth order of each band-pass filter (applied once per direction).
    """

    kind: str | None = None
    default_events: tuple[str, ...] | None = None

    def __init__(
        self,
        fmin: float | None = None,
        fmax: float | None = None,
        *,
        filters: Sequence[Sequence[float]] | None = None,
        events: Sequence[str] | None = None,
        tmin: float = 0.0,
        tmax: float | None = None,
        window: float | None = None,
        channels: Sequence[str] | None = None,
        resample: float | None = None,
        phase: str = "zero",
        filter_order: int = 4,
    ) -> None:
        if phase not in _PHASES:
            raise ValueError(f"phase must be one of {_PHASES}, got {phase!r}.")
        if tmax is not None and window is not None:
            raise ValueError(f"Give tmax or window, not both (tmax={tmax}, window={window}).")
        if window is not None and window <= 0:
            raise ValueError(f"window must be > 0 s, got {window}.")
        if filters is not None:
            filters = [tuple(float(f) for f in band) for band in filters]
            for band in filters:
                if len(band) != 2 or not 0 < band[0] < band[1]:
                    raise ValueError(
                        f"Each filter-bank band must be (low, high) with 0 < low < high Hz, "
                        f"got {band}."
                    )
        if fmin is not None and fmax is not None and not fmin < fmax:
            raise ValueError(f"fmin must be < fmax, got fmin={fmin}, fmax={fmax}.")
        if resample is not None and resample <= 0:
            raise ValueError(f"resample must be > 0 Hz, got {resample}.")
        self.fmin = fmin
        self.fmax = fmax
        self.filters = filters
        self.events = None if events is None else [str(e) for e in events]
        self.tmin = float(tmin)
        self.tmax = None if tmax is None else float(tmax)
        self.window = None if window is None else float(window)
        self.channels = None if channels is None else list(channels)
        self.resample = resample
        self.phase = phase
        self.filter_order = filter_order

    def __repr__(self) -> str:
        band = f"filters={self.filters}" if self.filters else f"{self.fmin}-{self.fmax} Hz"
        return (f"{type(self).__name__}({band}, events={self.events}, tmin={self.tmin}, "
                f"tmax={self.tmax}, window={self.window}, phase={self.phase!r})")

    def used_events(self, dataset: Dataset) -> dict[str, int]:
        """Class name → event code of the classes this paradigm keeps for ``dataset``."""
        names = self.events if self.events is not None else self.default_events
        if names is None:
            return dict(dataset.event_id)
        absent = [n for n in names if n not in dataset.event_id]
        if absent:
            raise ValueError(
                f"{dataset.code}: event(s) {absent} requested by the paradigm are not in the "
                f"dataset's classes {sorted(dataset.event_id)}."
            )
        return {n: dataset.event_id[n] for n in names}

    def interval(self, dataset: Dataset) -> tuple[float, float]:
        """Window ``(tmin, tmax)`` in s relative to the trial onset for ``dataset``."""
        start = dataset.interval[0] + self.tmin
        if self.window is not None:
            stop = start + self.window
        elif self.tmax is not None:
            stop = dataset.interval[0] + self.tmax
        else:
            stop = dataset.interval[1]
        if not stop > start:
            raise ValueError(
                f"{dataset.code}: empty window [{start}, {stop}] s after the trial onset."
            )
        return start, stop

    @property
    def filter_bank(self) -> bool:
        """True when X has a trailing band axis."""
        return self.filters is not None

    def bands(self, dataset: Dataset) -> list[tuple[float | None, float | None]]:
        """Band-pass edges (Hz) of each output band."""
        return list(self.filters) if self.filters is not None else [(self.fmin, self.fmax)]

    def process_raw(
        self, raw: mne.io.BaseRaw, dataset: Dataset, source: str
    ) -> tuple[np.ndarray, np.ndarray] | None:
        """Filter and epoch one recording.

        Parameters
        ----------
        raw : mne.io.BaseRaw
            Preloaded recording with class-name annotations (not modified).
        dataset : Dataset
            The dataset it comes from (event mapping, trial interval).
        source : str
            Description of the recording for messages.

        Returns
        -------
        X : ndarray, shape (n_trials, n_channels, n_times[, n_bands])
            Windows in the recording's unit (volts).
        y : ndarray of str, shape (n_trials,)
            Class names.
        None is returned when the recording holds no trial of the selected classes.
        """
        event_id = self.used_events(dataset)
        present = {k: v for k, v in event_id.items() if k in set(raw.annotations.description)}
        if not present:
            return None
        events, _ = mne.events_from_annotations(raw, event_id=present, verbose="error")
        if self.channels is not None:
            missing = [c for c in self.channels if c not in raw.ch_names]
            if missing:
                raise RecordingError(
                    f"{source}: channel(s) {missing} requested by the paradigm are missing; "
                    f"the recording has {raw.ch_names}."
                )
        data = raw.get_data(picks=self.channels if self.channels is not None else "eeg")
        sfreq = raw.info["sfreq"]
        tmin, tmax = self.interval(dataset)
        # Window samples as mne.Epochs cuts them: event sample + round(t * sfreq), t in [tmin, tmax]
        offsets = np.arange(round(tmin * sfreq), round(tmax * sfreq) + 1)
        starts = events[:, 0] - raw.first_samp + offsets[0]
        fits = (starts >= 0) & (starts + offsets.size <= data.shape[1])
        if not fits.all():
            warnings.warn(
                f"{source}: {int((~fits).sum())} of {len(events)} trials dropped because the "
                f"window [{tmin:g}, {tmax:g}] s does not fit inside the recording.",
                stacklevel=2,
            )
        samples = starts[fits, None] + np.arange(offsets.size)  # (n_trials, n_times)
        iir_params = {"order": self.filter_order, "ftype": "butter", "output": "sos"}
        per_band = []
        for low, high in self.bands(dataset):
            filtered = data
            if low is not None or high is not None:  # Raw.filter's call, on the whole run
                filtered = mne.filter.filter_data(
                    data, sfreq, low, high, method="iir", iir_params=dict(iir_params),
                    phase=self.phase, verbose="error",
                )
            X = filtered[:, samples].transpose(1, 0, 2)  # (n_trials, n_channels, n_times)
            if self.resample is not None and self.resample != sfreq:  # as Epochs.resample
                X = mne.filter.resample(X, self.resample, sfreq, npad="auto", window="auto",
                                        pad="edge", method="fft", verbose="error")
            per_band.append(X)
        code_to_name = {v: k for k, v in present.items()}
        y = np.array([code_to_name[c] for c in events[fits, 2]], dtype=object)
        X = np.stack(per_band, axis=-1) if self.filter_bank else per_band[0]
        return X, y

    def get_data(
        self, dataset: Dataset, subjects: Sequence[int] | None = None
    ) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
        """Trials of ``subjects`` (all of the dataset's by default).

        Returns
        -------
        X : ndarray, shape (n_trials, n_channels, n_times[, n_bands])
            Windows (volts), trials in subject, session, run, time order.
        y : ndarray of str, shape (n_trials,)
            Class names.
        metadata : pandas.DataFrame, shape (n_trials, 3)
            Columns ``subject``, ``session``, ``run``.
        """
        subjects = dataset.subjects if subjects is None else list(subjects)
        parts = [self.process_recordings(dataset, s, dataset.get_data(s)) for s in subjects]
        rates = {p[3] for p in parts}
        if len(rates) != 1:
            raise ValueError(f"{dataset.code}: subjects have different sampling rates {rates}; "
                             "set resample.")
        X = np.concatenate([p[0] for p in parts])
        y = np.concatenate([p[1] for p in parts])
        metadata = pd.concat([p[2] for p in parts], ignore_index=True)
        return X, y, metadata

    def process_recordings(
        self, dataset: Dataset, subject: int, recordings: Recordings
    ) -> tuple[np.ndarray, np.ndarray, pd.DataFrame, float]:
        """Trials of one subject from its loaded recordings.

        Parameters
        ----------
        dataset : Dataset
        subject : int
        recordings : dict
            ``dataset.get_data(subject)``: ``{session: {run: raw}}``.

        Returns
        -------
        X : ndarray, shape (n_trials, n_channels, n_times[, n_bands])
        y : ndarray of str, shape (n_trials,)
        metadata : pandas.DataFrame, columns ``subject``, ``session``, ``run``
        sfreq : float
            Sampling rate of X (Hz).
        """
        if self.kind is not None and dataset.paradigm != self.kind:
            raise ValueError(
                f"{type(self).__name__} needs a {self.kind!r} dataset; {dataset.code} is "
                f"{dataset.paradigm!r}."
            )
        Xs, ys, rows, rates = [], [], [], set()
        for session, runs in recordings.items():
            for run, raw in runs.items():
                source = f"{dataset.code} subject {subject} session {session} run {run}"
                if raw.filenames and raw.filenames[0] is not None:
                    source += f" ({raw.filenames[0]})"
                out = self.process_raw(raw, dataset, source)
                if out is None:
                    continue
                Xs.append(out[0])
                ys.append(out[1])
                rows += [(subject, session, run)] * len(out[1])
                rates.add(self.resample or raw.info["sfreq"])
        if not Xs:
            raise ValueError(
                f"{dataset.code} subject {subject}: no trial of classes "
                f"{sorted(self.used_events(dataset))}."
            )
        if len(rates) != 1:
            raise ValueError(f"{dataset.code} subject {subject}: runs have different sampling "
                             f"rates {rates}; set resample.")
        metadata = pd.DataFrame(rows, columns=["subject", "session", "run"])
        return np.concatenate(Xs), np.concatenate(ys), metadata, float(rates.pop())


class SSVEP(Paradigm):
    """SSVEP paradigm: 7–45 Hz band-pass (MOABB ``SSVEP``), all classes by default."""

    kind = "ssvep"

    def __init__(self, fmin: float | None = 7.0, fmax: float | None = 45.0, **kwargs) -> None:
        super().__init__(fmin, fmax, **kwargs)


class FilterBankSSVEP(SSVEP):
    """SSVEP with one narrow band per stimulus frequency (MOABB ``FilterBankSSVEP``).

    Without ``filters`` the bands are ``[f - 0.5, f + 0.5]`` Hz around each selected class
    whose name is a frequency, in class order. X has shape (n_trials, n_channels, n_times,
    n_bands).
    """

    def bands(self, dataset: Dataset) -> list[tuple[float | None, float | None]]:
        if self.filters is not None:
            return list(self.filters)
        freqs = dataset.stim_freqs
        return [(freqs[n] - 0.5, freqs[n] + 0.5) for n in self.used_events(dataset) if n in freqs]

    @property
    def filter_bank(self) -> bool:
        return True


class MotorImagery(Paradigm):
    """Motor-imagery paradigm: 8–32 Hz band-pass (MOABB ``MotorImagery``)."""

    kind = "imagery"

    def __init__(self, fmin: float | None = 8.0, fmax: float | None = 32.0, **kwargs) -> None:
        super().__init__(fmin, fmax, **kwargs)


class LeftRightImagery(MotorImagery):
    """Left- vs right-hand imagery (MOABB ``LeftRightImagery``)."""

    default_events = ("left_hand", "right_hand")


PARADIGMS: dict[str, type[Paradigm]] = {
    "SSVEP": SSVEP,
    "FilterBankSSVEP": FilterBankSSVEP,
    "MotorImagery": MotorImagery,
    "LeftRightImagery": LeftRightImagery,
}
"""Paradigm classes by the name used in benchmark configs."""
