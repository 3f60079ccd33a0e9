"""Datasets: load raw recordings and their class events, nothing else (MOABB's ``BaseDataset``).

Every dataset returns, for one subject, ``{session: {run: mne.io.Raw}}``. Each Raw is preloaded,
in volts, and carries one annotation per trial whose description is a class name of the
dataset's :attr:`Dataset.event_id` (e.g. ``"13"``, ``"rest"``, ``"left_hand"``). Filtering,
epoching and class selection belong to :mod:`decoders.benchmark.paradigms`.

Every recording is checked when it is loaded; a bad one raises :class:`RecordingError` naming the
file and the problem (unreadable or truncated file, missing channel, channel with NaN/inf
samples, flat channel, class event absent from the recording).

:class:`MOABBDataset` reads a MOABB dataset from the files MOABB has already put on disk and
never downloads (:func:`no_downloads`).

Real data sets are looked up by :func:`decoders.benchmark.data_dirs.dataset_folder`: in
``$NOIR_DATA`` when set, else in ``shared/data`` beside the checkout, then in the user data folder
that ``noir data fetch`` fills.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import socket
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Protocol

import mne
import numpy as np
import pandas as pd

from decoders._validation import RecordingTooLarge, load_samples
from decoders.benchmark.data_dirs import DataNotFoundError, dataset_folder, search_dirs

Recordings = dict[str, dict[str, mne.io.BaseRaw]]
"""``{session: {run: raw}}`` for one subject."""


class RecordingError(ValueError):
    """A recording cannot be used: the message names the file (or recording) and the problem."""


def data_root() -> Path:
    """Deprecated: use :func:`decoders.benchmark.data_dirs.dataset_folder` (or ``search_dirs``).

    Returns the first folder data sets are looked in.
    """
    warnings.warn(
        "decoders.benchmark.datasets.data_root is deprecated: use "
        "decoders.benchmark.data_dirs.dataset_folder(name) or search_dirs().",
        DeprecationWarning, stacklevel=2,
    )
    return search_dirs()[0]


def _dataset_folder(name: str, path: str | os.PathLike | None) -> Path:
    """``path``, or the folder of data set ``name`` found by :func:`dataset_folder`."""
    if path is None:
        return dataset_folder(name)
    folder = Path(path)
    if not folder.is_dir():
        raise DataNotFoundError(f"Dataset folder {str(folder)!r} of {name!r} not found.")
    return folder


def check_raw(
    raw: mne.io.BaseRaw,
    source: str,
    *,
    ch_names: Sequence[str] | None = None,
) -> None:
    """Check a loaded recording: expected channels present, finite samples, no flat channel.

    Parameters
    ----------
    raw : mne.io.BaseRaw
        Preloaded recording.
    source : str
        File name (or other description) of the recording, used in error messages.
    ch_names : sequence of str | None
        Channels the recording must have; None checks nothing about names.

    Raises
    ------
    RecordingError
        Naming ``source`` and the missing channels, the channels with NaN/inf samples, or the
        flat channels (peak-to-peak amplitude exactly 0: all samples identical).
    """
    if ch_names is not None:
        missing = [ch for ch in ch_names if ch not in raw.ch_names]
        if missing:
            raise RecordingError(
                f"{source}: missing channel(s) {missing}; the recording has {raw.ch_names}."
            )
    picks = mne.pick_types(raw.info, eeg=True, eog=True, emg=True, misc=True, exclude=[])
    data = raw.get_data(picks=picks)
    names = [raw.ch_names[i] for i in picks]
    bad = ~np.isfinite(data)
    if bad.any():
        rows = np.flatnonzero(bad.any(axis=1))
        detail = ", ".join(f"{names[i]} ({int(bad[i].sum())} samples)" for i in rows)
        raise RecordingError(f"{source}: NaN or infinite samples in channel(s) {detail}.")
    flat = np.ptp(data, axis=1) == 0
    if flat.any():
        raise RecordingError(
            f"{source}: flat channel(s) {[names[i] for i in np.flatnonzero(flat)]} "
            "(all samples identical)."
        )


def check_events_present(
    recordings: Recordings, event_id: Mapping[str, int], source: str
) -> None:
    """Check that every class of ``event_id`` occurs in at least one run of a subject.

    Parameters
    ----------
    recordings : dict
        ``{session: {run: raw}}`` with class-name annotations.
    event_id : mapping of str to int
        Class name to event code.
    source : str
        Subject/folder description used in the error message.

    Raises
    ------
    RecordingError
        Naming the absent classes and the annotation descriptions that were found.
    """
    raws = [raw for runs in recordings.values() for raw in runs.values()]
    found = {str(d) for raw in raws for d in raw.annotations.description}
    absent = sorted(set(event_id) - found)
    if absent:
        files = [str(f) for raw in raws for f in raw.filenames if f is not None]
        raise RecordingError(
            f"{source}: event(s) {absent} named in the event mapping do not occur in any "
            f"recording {files or ''}; the recordings hold annotations {sorted(found)}."
        )


def _read(reader: Callable[..., mne.io.BaseRaw], path: Path, **kwargs) -> mne.io.BaseRaw:
    """Read a recording with an MNE reader, turning reader failures into RecordingError; one
    holding more than ``MAX_RECORDING_SAMPLES`` is refused before its samples are read."""
    try:
        return load_samples(reader(path, preload=False, verbose="error", **kwargs), str(path))
    except RecordingTooLarge as err:
        raise RecordingError(str(err)) from err
    except Exception as err:  # MNE raises many types for corrupt/truncated files
        raise RecordingError(
            f"{path}: cannot read the recording ({type(err).__name__}: {err}); the file may be "
            "truncated or corrupt."
        ) from err


class Dataset(ABC):
    """A set of recordings with class events.

    Attributes
    ----------
    code : str
        Short dataset name used in result tables.
    event_id : dict of str to int
        Class name to event code; Raw annotations use the class names.
    paradigm : str
        ``"ssvep"`` or ``"imagery"``.
    interval : tuple of float
        Default trial window ``(tmin, tmax)`` in s relative to the trial onset.
    trial_duration : float
        Length of a trial's stimulation/task period in s (used as the annotation duration).
    """

    code: str
    event_id: dict[str, int]
    paradigm: str
    interval: tuple[float, float]

    @property
    @abstractmethod
    def subjects(self) -> list[int]:
        """Subject identifiers available in this dataset."""

    @abstractmethod
    def _load_subject(self, subject: int) -> Recordings:
        """Load one subject's recordings (annotations already renamed to class names)."""

    def get_data(self, subject: int) -> Recordings:
        """Load one subject's recordings.

        Parameters
        ----------
        subject : int
            One of :attr:`subjects`.

        Returns
        -------
        recordings : dict
            ``{session: {run: raw}}``; each Raw is preloaded (volts) with one annotation per trial
            named by a class of :attr:`event_id`.
        """
        if subject not in self.subjects:
            raise ValueError(
                f"{self.code}: unknown subject {subject!r}; available subjects: {self.subjects}."
            )
        recordings = self._load_subject(subject)
        check_events_present(recordings, self.event_id, f"{self.code} subject {subject}")
        return recordings

    @property
    def stim_freqs(self) -> dict[str, float]:
        """Stimulus frequency (Hz) of each SSVEP class whose name is a number (rest excluded)."""
        out = {}
        for name in self.event_id:
            try:
                out[name] = float(name)
            except ValueError:
                continue
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, subjects={self.subjects})"


class SSVEPExo(Dataset):
    """SSVEP exoskeleton dataset (Kalunga et al. 2016; MOABB ``Kalunga2016``).

    8 occipital channels at 256 Hz, classes ``"13"``, ``"17"``, ``"21"`` (Hz) and ``"rest"``,
    8 trials per class per session. Each FIF session is one session with one run ``"0"``.

    Parameters
    ----------
    path : path-like | None
        The ``ssvep-exo`` folder; None looks it up (:func:`dataset_folder`).
    drop_duplicate : bool
        The recording ``2012.07.11-15.33.08`` is filed under both subject03 and subject07 (same
        samples and events). True drops the subject07 copy, so that no recording appears twice
        (required for cross-subject evaluation); False keeps both.
    exclude_protocol_issues : bool
        True drops the sessions the dataset authors excluded for protocol issues (subject08
        2013.04.06-16.22.32, subject10 2014.02.26-15.10.48 and -15.50.09, subject11
        2014.02.24-17.56.37 and -18.02.40), as MOABB's copy does.

    Notes
    -----
    The FIF files say volts but hold mV-scale values (about ×1000 too large); they are loaded
    unchanged. Scale-invariant decoders (CCA, covariances) are unaffected.
    """

    code = "ssvep-exo"
    event_id = {"13": 2, "17": 4, "21": 3, "rest": 1}
    paradigm = "ssvep"
    interval = (2.0, 4.0)
    trial_duration = 5.0
    ch_names = ("Oz", "O1", "O2", "PO3", "POz", "PO7", "PO8", "PO4")
    DUPLICATE = ("subject07", "2012.07.11-15.33.08")
    PROTOCOL_ISSUES = (
        ("subject08", "2013.04.06-16.22.32"),
        ("subject10", "2014.02.26-15.10.48"),
        ("subject10", "2014.02.26-15.50.09"),
        ("subject11", "2014.02.24-17.56.37"),
        ("subject11", "2014.02.24-18.02.40"),
    )
    _PATTERN = re.compile(r"record-\[(.+)\]_raw\.fif$")

    def __init__(
        self,
        path: str | os.PathLike | None = None,
        *,
        drop_duplicate: bool = True,
        exclude_protocol_issues: bool = False,
    ) -> None:
        self.folder = _dataset_folder("ssvep-exo", path)
        self.drop_duplicate = drop_duplicate
        self.exclude_protocol_issues = exclude_protocol_issues

    def _sessions(self, subject: int) -> dict[str, Path]:
        name = f"subject{subject:02d}"
        excluded = set()
        if self.drop_duplicate:
            excluded.add(self.DUPLICATE)
        if self.exclude_protocol_issues:
            excluded.update(self.PROTOCOL_ISSUES)
        sessions = {}
        for raw_path in sorted((self.folder / name).glob("record-*_raw.fif")):
            stamp = self._PATTERN.search(raw_path.name).group(1)
            if (name, stamp) not in excluded:
                sessions[stamp] = raw_path
        return sessions

    @property
    def subjects(self) -> list[int]:
        found = sorted(
            int(p.name[len("subject"):])
            for p in self.folder.glob("subject[0-9][0-9]") if p.is_dir()
        )
        return [s for s in found if self._sessions(s)]

    def _load_subject(self, subject: int) -> Recordings:
        out: Recordings = {}
        for stamp, raw_path in self._sessions(subject).items():
            eve_path = raw_path.with_name(raw_path.name.replace("_raw.fif", "-eve.fif"))
            if not eve_path.is_file():
                raise RecordingError(f"{raw_path}: its event file {eve_path.name} is missing.")
            raw = _read(mne.io.read_raw_fif, raw_path)
            check_raw(raw, str(raw_path), ch_names=self.ch_names)
            try:
                events = mne.read_events(eve_path, verbose="error")
            except Exception as err:
                raise RecordingError(
                    f"{eve_path}: cannot read the events ({type(err).__name__}: {err})."
                ) from err
            code_to_name = {code: name for name, code in self.event_id.items()}
            unknown = sorted(set(events[:, 2].tolist()) - set(code_to_name))
            if unknown:
                raise RecordingError(
                    f"{eve_path}: unknown event code(s) {unknown}; expected {code_to_name}."
                )
            raw.set_annotations(
                mne.annotations_from_events(
                    events, raw.info["sfreq"], event_desc=code_to_name,
                    first_samp=raw.first_samp, verbose="error",
                )
            )
            raw.annotations.duration[:] = self.trial_duration
            out[stamp] = {"0": raw}
        return out


class EEGMMIDB(Dataset):
    """PhysioNet EEG Motor Movement/Imagery dataset (MOABB ``PhysionetMI``), imagery runs.

    64 channels at 160 Hz (10-10 names after ``mne.datasets.eegbci.standardize``). One session
    ``"0"`` per subject, one run per EDF file. T1/T2 are mapped per run: runs 4, 8, 12 (left vs
    right fist imagery) give ``"left_hand"``/``"right_hand"``, runs 6, 10, 14 (both fists vs both
    feet imagery) give ``"hands"``/``"feet"``; T0 is ``"rest"``.

    Parameters
    ----------
    path : path-like | None
        The ``eegmmidb`` folder; None looks it up (:func:`dataset_folder`).
    tasks : sequence of str
        ``"left_right"`` and/or ``"hands_feet"``. :attr:`subjects` lists the subjects that have
        every run of these tasks.
    """

    code = "eegmmidb"
    paradigm = "imagery"
    interval = (0.0, 3.0)
    trial_duration = 4.1
    TASK_RUNS = {"left_right": (4, 8, 12), "hands_feet": (6, 10, 14)}
    TASK_LABELS = {"left_right": ("left_hand", "right_hand"), "hands_feet": ("hands", "feet")}
    _ALL_EVENTS = {"rest": 1, "left_hand": 2, "right_hand": 3, "hands": 4, "feet": 5}

    def __init__(
        self, path: str | os.PathLike | None = None, *, tasks: Sequence[str] = ("left_right",)
    ) -> None:
        self.folder = _dataset_folder("eegmmidb", path)
        tasks = tuple(tasks)
        unknown = [t for t in tasks if t not in self.TASK_RUNS]
        if unknown or not tasks:
            raise ValueError(
                f"EEGMMIDB tasks must be a non-empty subset of {sorted(self.TASK_RUNS)}, "
                f"got {list(tasks)}."
            )
        self.tasks = tasks
        names = {"rest"} | {lab for t in tasks for lab in self.TASK_LABELS[t]}
        self.event_id = {k: v for k, v in self._ALL_EVENTS.items() if k in names}

    def _run_files(self, subject: int) -> dict[int, tuple[Path, str]]:
        folder = self.folder / f"S{subject:03d}"
        return {
            run: (folder / f"S{subject:03d}R{run:02d}.edf", task)
            for task in self.tasks for run in self.TASK_RUNS[task]
        }

    @property
    def subjects(self) -> list[int]:
        found = sorted(int(p.name[1:]) for p in self.folder.glob("S[0-9][0-9][0-9]") if p.is_dir())
        return [s for s in found if all(p.is_file() for p, _ in self._run_files(s).values())]

    def _load_subject(self, subject: int) -> Recordings:
        runs = {}
        for run, (path, task) in sorted(self._run_files(subject).items()):
            raw = _read(mne.io.read_raw_edf, path)
            mne.datasets.eegbci.standardize(raw)
            check_raw(raw, str(path))
            left, right = self.TASK_LABELS[task]
            mapping = {"T0": "rest", "T1": left, "T2": right}
            unknown = sorted(set(raw.annotations.description) - set(mapping))
            if unknown:
                raise RecordingError(
                    f"{path}: unexpected annotation(s) {unknown}; expected {sorted(mapping)}."
                )
            raw.annotations.rename(mapping)
            runs[str(run)] = raw
        return {"0": runs}


class MuseSSVEP(Dataset):
    """Muse headband SSVEP recordings (NeuroTechX eeg-notebooks), 30 Hz vs 20 Hz.

    CSV files ``data/visual/SSVEP/subjectN/sessionM/*.csv`` with columns ``timestamps, TP9, AF7,
    AF8, TP10, Right AUX, Marker0``; EEG in µV (converted to V), treated as uniformly sampled at
    256 Hz (the LSL timestamps are rounded and sometimes non-monotonic). ``Right AUX`` is renamed
    ``POz`` as in the original notebook (it carries no SSVEP for subject4, probably unattached).
    Marker 1 is the onset of a 30 Hz stimulus (class ``"30"``), 2 of a 20 Hz one (``"20"``).
    Each session folder is a session; its files, sorted by name, are runs ``"0"``, ``"1"``...

    Parameters
    ----------
    path : path-like | None
        The ``muse-ssvep`` folder; None looks it up (:func:`dataset_folder`).
    """

    code = "muse-ssvep"
    event_id = {"30": 1, "20": 2}
    paradigm = "ssvep"
    interval = (1.0, 3.0)
    trial_duration = 3.0
    sfreq = 256.0
    COLUMNS = ("timestamps", "TP9", "AF7", "AF8", "TP10", "Right AUX", "Marker0")
    EEG_COLUMNS = ("TP9", "AF7", "AF8", "TP10", "Right AUX")

    def __init__(self, path: str | os.PathLike | None = None) -> None:
        self.folder = _dataset_folder("muse-ssvep", path)
        self._root = self.folder / "data" / "visual" / "SSVEP"

    @property
    def subjects(self) -> list[int]:
        return sorted(
            int(p.name[len("subject"):]) for p in self._root.glob("subject*")
            if p.is_dir() and p.name[len("subject"):].isdigit()
        )

    def read_csv(self, path: Path) -> mne.io.RawArray:
        """Read one Muse CSV file as a Raw in volts with class annotations.

        Parameters
        ----------
        path : Path
            CSV file.

        Returns
        -------
        raw : mne.io.RawArray
            5 EEG channels (TP9, AF7, AF8, TP10, POz) at 256 Hz, shape (5, n_samples).
        """
        try:
            table = pd.read_csv(path)
        except Exception as err:
            raise RecordingError(
                f"{path}: cannot read the CSV ({type(err).__name__}: {err})."
            ) from err
        missing = [c for c in self.COLUMNS if c not in table.columns]
        if missing:
            raise RecordingError(
                f"{path}: missing column(s) {missing}; expected {list(self.COLUMNS)}."
            )
        try:
            data = table[list(self.EEG_COLUMNS)].to_numpy(dtype=float).T * 1e-6
            markers = table["Marker0"].to_numpy(dtype=float)
        except ValueError as err:
            raise RecordingError(f"{path}: non-numeric values ({err}).") from err
        names = ["TP9", "AF7", "AF8", "TP10", "POz"]
        raw = mne.io.RawArray(
            data, mne.create_info(names, self.sfreq, "eeg"), verbose="error"
        )
        check_raw(raw, str(path))
        code_to_name = {code: name for name, code in self.event_id.items()}
        unknown = sorted(set(np.unique(markers[np.isfinite(markers)]).tolist()) - {0, 1, 2})
        if unknown or not np.all(np.isfinite(markers)):
            raise RecordingError(
                f"{path}: Marker0 must hold 0, 1 or 2, found {unknown or 'NaN'}."
            )
        onsets = np.flatnonzero(markers > 0)
        raw.set_annotations(
            mne.Annotations(
                onset=onsets / self.sfreq,
                duration=np.full(onsets.size, self.trial_duration),
                description=[code_to_name[int(markers[i])] for i in onsets],
            ),
            emit_warning=False,  # the last trial may outlast the file; paradigms report it
        )
        return raw

    def _load_subject(self, subject: int) -> Recordings:
        out: Recordings = {}
        folder = self._root / f"subject{subject}"
        for session in sorted(p for p in folder.iterdir() if p.is_dir()):
            files = sorted(session.glob("*.csv"))
            out[session.name] = {str(i): self.read_csv(f) for i, f in enumerate(files)}
        return out


class FileDataset(Dataset):
    """Any set of MNE-readable recordings whose trials are marked by annotations.

    Parameters
    ----------
    files : mapping
        ``{subject: {session: {run: path}}}`` (subjects int, sessions and runs str); each file
        is read with :func:`mne.io.read_raw`.
    event_id : mapping of str to str
        Class name to the annotation description that marks its trials in the files, e.g.
        ``{"left_hand": "T1", "right_hand": "T2"}``.
    paradigm : str
        ``"ssvep"`` or ``"imagery"``.
    interval : tuple of float
        Default trial window ``(tmin, tmax)`` in s relative to the annotation onset.
    ch_names : sequence of str | None
        Channels every file must have.
    code : str
        Dataset name used in result tables.
    base : path-like | None
        Folder that relative paths in ``files`` are relative to (a benchmark config passes its
        own folder); None: the working directory.
    """

    def __init__(
        self,
        files: Mapping[int, Mapping[str, Mapping[str, str | os.PathLike]]],
        event_id: Mapping[str, str],
        *,
        paradigm: str,
        interval: tuple[float, float],
        ch_names: Sequence[str] | None = None,
        code: str = "files",
        base: str | os.PathLike | None = None,
    ) -> None:
        if paradigm not in ("ssvep", "imagery"):
            raise ValueError(f"paradigm must be 'ssvep' or 'imagery', got {paradigm!r}.")
        if not isinstance(event_id, Mapping) or not event_id:
            raise ValueError("event_id must map at least one class name to an annotation.")
        if not (isinstance(interval, Sequence) and len(interval) == 2
                and all(isinstance(t, int | float) for t in interval)):
            raise ValueError(f"interval must be (tmin, tmax) in s, got {interval!r}.")
        root = Path(base) if base is not None else Path()
        self.files = {}
        if not isinstance(files, Mapping) or not files:
            raise ValueError("files must map subjects to {session: {run: path}}, got "
                             f"{type(files).__name__}.")
        for subject, sessions in files.items():
            if isinstance(subject, bool) or not isinstance(subject, int | str) \
                    or not str(subject).isdigit():
                raise ValueError(f"files: subject {subject!r} must be a non-negative integer.")
            if not isinstance(sessions, Mapping) or not all(
                    isinstance(runs, Mapping) and runs
                    and all(isinstance(p, str | os.PathLike) for p in runs.values())
                    for runs in sessions.values()):
                raise ValueError(f"files: subject {subject} must map sessions to {{run: path}}, "
                                 f"got {sessions!r}.")
            self.files[int(subject)] = {
                str(session): {str(run): root / Path(path) for run, path in runs.items()}
                for session, runs in sessions.items()
            }
        self.descriptions = {str(k): str(v) for k, v in event_id.items()}
        self.event_id = {name: i + 1 for i, name in enumerate(self.descriptions)}
        self.paradigm = paradigm
        self.interval = (float(interval[0]), float(interval[1]))
        self.ch_names = None if ch_names is None else tuple(ch_names)
        self.code = code

    @property
    def subjects(self) -> list[int]:
        return sorted(self.files)

    def _load_subject(self, subject: int) -> Recordings:
        out: Recordings = {}
        rename = {desc: name for name, desc in self.descriptions.items()}
        for session, runs in self.files[subject].items():
            out[session] = {}
            for run, path in runs.items():
                if not path.is_file():
                    raise RecordingError(f"{path}: file not found.")
                raw = _read(mne.io.read_raw, path)
                check_raw(raw, str(path), ch_names=self.ch_names)
                raw.annotations.rename({d: n for d, n in rename.items()
                                        if d in raw.annotations.description})
                out[session][run] = raw
        return out


class Recorder(Protocol):
    """Anything that turns a cue sequence into an annotated Raw (e.g. ``SyntheticSubject``)."""

    def record(self, cues: Sequence) -> mne.io.BaseRaw:
        """Record the cues back-to-back; annotations name each cue."""


class SyntheticDataset(Dataset):
    """Recordings generated on demand by seeded recorders (e.g. the synthetic EEG subject).

    This module does not import :mod:`sim`; :func:`noir.bench.synthetic_dataset` builds one from
    ``sim.eeg_subject.SyntheticSubject``.

    Parameters
    ----------
    make_recorder : callable
        ``make_recorder(subject, session)`` returns a :class:`Recorder`, seeded so that the same
        arguments give the same recording.
    make_cues : callable
        ``make_cues(subject, session, run)`` returns the cue sequence of one run.
    event_id : mapping of str to str
        Class name to the annotation description the recorder writes for its trials, e.g.
        ``{"7.5": "ssvep/7.5"}`` or ``{"left_hand": "mi/left_hand"}``.
    subjects : sequence of int
        Subject identifiers.
    n_sessions, n_runs : int
        Sessions per subject and runs per session.
    paradigm : str
        ``"ssvep"`` or ``"imagery"``.
    interval : tuple of float
        Default trial window ``(tmin, tmax)`` in s relative to the cue onset.
    code : str
        Dataset name used in result tables.
    """

    def __init__(
        self,
        make_recorder: Callable[[int, int], Recorder],
        make_cues: Callable[[int, int, int], Sequence],
        event_id: Mapping[str, str],
        *,
        subjects: Sequence[int],
        n_sessions: int = 1,
        n_runs: int = 1,
        paradigm: str,
        interval: tuple[float, float],
        code: str = "synthetic",
    ) -> None:
        if paradigm not in ("ssvep", "imagery"):
            raise ValueError(f"paradigm must be 'ssvep' or 'imagery', got {paradigm!r}.")
        if n_sessions < 1 or n_runs < 1:
            raise ValueError(
                f"n_sessions and n_runs must be >= 1, got {n_sessions} and {n_runs}."
            )
        self.make_recorder = make_recorder
        self.make_cues = make_cues
        self.descriptions = {str(k): str(v) for k, v in event_id.items()}
        self.event_id = {name: i + 1 for i, name in enumerate(self.descriptions)}
        self._subjects = [int(s) for s in subjects]
        self.n_sessions = int(n_sessions)
        self.n_runs = int(n_runs)
        self.paradigm = paradigm
        self.interval = (float(interval[0]), float(interval[1]))
        self.code = code

    @property
    def subjects(self) -> list[int]:
        return list(self._subjects)

    def _load_subject(self, subject: int) -> Recordings:
        rename = {desc: name for name, desc in self.descriptions.items()}
        out: Recordings = {}
        for session in range(self.n_sessions):
            recorder = self.make_recorder(subject, session)
            runs = {}
            for run in range(self.n_runs):
                raw = recorder.record(self.make_cues(subject, session, run))
                source = f"{self.code} subject {subject} session {session} run {run}"
                check_raw(raw, source)
                raw.annotations.rename(
                    {d: n for d, n in rename.items() if d in raw.annotations.description}
                )
                runs[str(run)] = raw
            out[str(session)] = runs
        return out


class JFPMSynthetic(Dataset):
    """Synthetic phase-locked SSVEP subjects: joint frequency-phase modulation (JFPM).

    The layout of Nakanishi et al.'s 12-target set: class ``k`` flickers at ``9.25 + 0.5 k`` Hz
    with phase ``k * pi / 2`` (mod 2 pi), each trial's stimulus starts at its cue, so responses
    are phase-locked to the cue (the ground truth that template methods need). Subject ``s``
    has its own response (seeded): a latency of 130-160 ms, 3 harmonics with individual
    amplitudes and phases (a non-sinusoidal waveform the sine references miss) and a spatial
    pattern on the 8 channels; each trial adds a small phase jitter (SD 0.1 rad) and amplitude
    change (SD 10 %). Noise: 32 sources with a 1/f spectrum plus a random-phase 10-Hz alpha
    rhythm, mixed into all channels (the same mixing for a subject's sessions). Each session is
    ``n_blocks`` blocks of every class once in a seeded order; a trial is ``trial_seconds`` of
    stimulation and 1 s of rest.

    Parameters
    ----------
    subjects : sequence of int
        Subject identifiers (seeds).
    n_sessions, n_blocks : int
        Sessions per subject and trials per class per session.
    snr : float
        Amplitude of the response's fundamental relative to the noise's SD per channel.
    trial_seconds : float
        Stimulation per trial (s).
    sfreq : float
        Sampling rate (Hz).
    seed : int
        Base seed.
    """

    code = "jfpm-synthetic"
    paradigm = "ssvep"
    ch_names = ("PO7", "PO3", "POz", "PO4", "PO8", "O1", "Oz", "O2")
    FREQS = tuple(9.25 + 0.5 * k for k in range(12))

    def __init__(
        self,
        subjects: Sequence[int] = (1, 2, 3),
        *,
        n_sessions: int = 1,
        n_blocks: int = 6,
        snr: float = 0.25,
        trial_seconds: float = 2.0,
        sfreq: float = 256.0,
        seed: int = 0,
    ) -> None:
        for name, value, low in (("n_sessions", n_sessions, 1), ("n_blocks", n_blocks, 2)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"JFPMSynthetic: {name} must be an int >= {low}, got {value!r}.")
        if not (snr > 0 and trial_seconds > 0.5 and sfreq > 4 * max(self.FREQS)):
            raise ValueError(
                f"JFPMSynthetic: need snr > 0, trial_seconds > 0.5 s and sfreq > "
                f"{4 * max(self.FREQS):g} Hz, got snr={snr!r}, trial_seconds={trial_seconds!r}, "
                f"sfreq={sfreq!r}."
            )
        self._subjects = [int(s) for s in subjects]
        self.n_sessions, self.n_blocks = n_sessions, n_blocks
        self.snr, self.trial_seconds, self.sfreq, self.seed = snr, trial_seconds, sfreq, seed
        self.event_id = {f"{f:g}": k + 1 for k, f in enumerate(self.FREQS)}
        self.interval = (0.0, float(trial_seconds))

    @property
    def subjects(self) -> list[int]:
        return list(self._subjects)

    def phases(self) -> np.ndarray:
        """Stimulus phase of each class (rad), shape (12,)."""
        return (np.arange(len(self.FREQS)) * np.pi / 2) % (2 * np.pi)

    def _load_subject(self, subject: int) -> Recordings:
        rng = np.random.default_rng([self.seed, subject])
        n_ch, sf = len(self.ch_names), self.sfreq
        latency = rng.uniform(0.13, 0.16)
        amps = np.array([1.0, *rng.uniform(0.3, 0.7, 2)])
        harm_phase = rng.uniform(0, 2 * np.pi, 3)
        pattern = np.abs(rng.normal(1.0, 0.3, (3, n_ch))) * rng.choice([1, 1, 1, -1], (3, n_ch))
        mixing = rng.standard_normal((n_ch, 4 * n_ch)) / np.sqrt(4 * n_ch)
        alpha_pattern = rng.standard_normal(n_ch)
        out: Recordings = {}
        for session in range(self.n_sessions):
            srng = np.random.default_rng([self.seed, subject, session, 1])
            order = np.concatenate([srng.permutation(len(self.FREQS))
                                    for _ in range(self.n_blocks)])
            trial_n, gap_n = int(round(self.trial_seconds * sf)), int(sf)
            n_times = gap_n + len(order) * (trial_n + gap_n)
            noise = np.fft.rfft(srng.standard_normal((4 * n_ch, n_times)), axis=1)
            f = np.fft.rfftfreq(n_times, 1 / sf)
            noise = np.fft.irfft(noise / np.sqrt(np.maximum(f, 1.0)), n_times, axis=1)
            data = mixing @ (noise / noise.std(axis=1, keepdims=True))
            t_all = np.arange(n_times) / sf
            alpha = np.sin(2 * np.pi * 10 * t_all + np.cumsum(srng.normal(0, 0.05, n_times)))
            data += 0.5 * alpha_pattern[:, None] * alpha
            onsets = []
            for i, k in enumerate(order):
                start = gap_n + i * (trial_n + gap_n)
                onsets.append(start / sf)
                t = np.arange(trial_n) / sf - latency
                jitter = srng.normal(0, 0.1)
                gain = 1 + srng.normal(0, 0.1)
                resp = np.zeros((n_ch, trial_n))
                for h in range(3):
                    wave = np.sin(2 * np.pi * (h + 1) * self.FREQS[k] * t
                                  + (h + 1) * (self.phases()[k] + jitter) + harm_phase[h])
                    resp += amps[h] * pattern[h][:, None] * wave * (t >= 0)
                data[:, start:start + trial_n] += self.snr * gain * resp
            info = mne.create_info(list(self.ch_names), sf, "eeg")
            raw = mne.io.RawArray(data * 1e-5, info, verbose="error")
            names = [f"{self.FREQS[k]:g}" for k in order]
            raw.set_annotations(mne.Annotations(onsets, self.trial_seconds, names))
            out[str(session)] = {"0": raw}
        return out


_REFUSED: contextvars.ContextVar[list | None] = contextvars.ContextVar("noir_refused", default=None)
"""While :func:`no_downloads` runs in this thread/context: the list of refused fetches."""
_GUARD_INSTALLED = False


class DownloadRefused(OSError):
    """A download was attempted inside :func:`no_downloads`."""


def _install_guard() -> None:
    """Wrap socket connects/lookups and MOABB's file fetch (pooch ``retrieve``) once; the
    wrappers act only inside :func:`no_downloads` (a context variable), elsewhere they call
    the originals."""
    global _GUARD_INSTALLED
    if _GUARD_INSTALLED:
        return
    from moabb.datasets import download

    def refuse(what: str) -> None:
        refused = _REFUSED.get()
        if refused is not None:
            refused.append(what)
            raise DownloadRefused(f"download refused (the bench reads data from disk only): "
                                  f"{what}")

    connect, connect_ex = socket.socket.connect, socket.socket.connect_ex
    getaddrinfo = socket.getaddrinfo

    def guarded_connect(sock, address, *args):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            refuse(f"network connection to {address}")
        return connect(sock, address, *args)

    def guarded_connect_ex(sock, address, *args):
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            refuse(f"network connection to {address}")
        return connect_ex(sock, address, *args)

    def guarded_getaddrinfo(host, *args, **kwargs):
        refuse(f"name lookup of {host!r}")
        return getaddrinfo(host, *args, **kwargs)

    retrieve = download.retrieve

    def guarded_retrieve(url, known_hash, fname=None, path=None, *args, **kwargs):
        from pooch.utils import unique_file_name

        if _REFUSED.get() is not None and path is not None:
            target = Path(path) / (fname or unique_file_name(url))
            if not target.is_file():
                refuse(f"file {str(target)!r} is not on disk (MOABB would fetch {url})")
        return retrieve(url, known_hash, fname, path, *args, **kwargs)

    socket.socket.connect, socket.socket.connect_ex = guarded_connect, guarded_connect_ex
    socket.getaddrinfo = guarded_getaddrinfo
    download.retrieve = guarded_retrieve
    _GUARD_INSTALLED = True


@contextlib.contextmanager
def no_downloads() -> Iterator[list[str]]:
    """Refuse every download and network connection in this thread while the block runs.

    Yields the list of refused attempts (a file MOABB wanted to fetch, a host it tried to
    reach); each attempt raises :class:`DownloadRefused` where it is made. Other threads and
    code outside the block are unaffected. MOABB's optional NEMAR mirror is switched off for
    the block (``MOABB_DOWNLOAD_PROVIDER=upstream``) unless the user configured a provider, so
    data in MOABB's usual layout is read without asking NEMAR first.
    """
    _install_guard()
    refused: list[str] = []
    token = _REFUSED.set(refused)
    provider_unset = mne.get_config("MOABB_DOWNLOAD_PROVIDER") is None
    if provider_unset:
        os.environ["MOABB_DOWNLOAD_PROVIDER"] = "upstream"
    try:
        yield refused
    finally:
        _REFUSED.reset(token)
        if provider_unset:
            os.environ.pop("MOABB_DOWNLOAD_PROVIDER", None)


def moabb_data_folder() -> str:
    """Where MOABB looks for its data sets: MNE's ``MNE_DATA`` setting, else ``~/mne_data``
    (a data set's own ``MNE_DATASETS_<NAME>_PATH`` setting overrides it)."""
    return mne.get_config("MNE_DATA") or str(Path.home() / "mne_data")


def moabb_dataset_classes() -> dict[str, type]:
    """MOABB's dataset classes by name (MOABB's own registry plus ``FakeDataset``): the exact
    allow-list of names a config may give :class:`MOABBDataset`."""
    from moabb.datasets import FakeDataset, utils

    utils._init_dataset()
    return {**utils.dataset_dict, "FakeDataset": FakeDataset}


class MOABBDataset(Dataset):
    """A MOABB dataset, read from the files already on disk; nothing is downloaded.

    MOABB's loader runs inside :func:`no_downloads`: when a file is missing, loading stops with
    :class:`~decoders.benchmark.data_dirs.DataNotFoundError` naming the dataset, the subject,
    the folder MOABB reads (:func:`moabb_data_folder`) and the missing file; get the files once
    with MOABB (``dataset.download()``) or point ``MNE_DATA`` at them. Trials are MOABB's
    events (stim channel, else annotations), named by the dataset's class names; stim
    channels are dropped.

    Parameters
    ----------
    dataset : str | moabb.datasets.base.BaseDataset
        A MOABB dataset, or the name of its class (one of :func:`moabb_dataset_classes`, e.g.
        ``"PhysionetMI"``, ``"Kalunga2016"``, ``"FakeDataset"``).
    **params
        Constructor parameters of the named class (e.g. ``imagined=True``); only with a name.
    """

    def __init__(self, dataset, **params) -> None:
        from moabb.datasets.base import BaseDataset

        if isinstance(dataset, str):
            classes = moabb_dataset_classes()
            if dataset not in classes:
                raise ValueError(f"MOABBDataset: unknown MOABB dataset {dataset!r}; known: "
                                 f"{sorted(classes)}.")
            try:
                dataset = classes[dataset](**params)
            except (TypeError, ValueError) as err:
                raise ValueError(f"MOABBDataset: {dataset}({params}): {err}") from err
        elif params:
            raise ValueError("MOABBDataset: parameters go with a dataset name, not an instance; "
                             f"got {sorted(params)}.")
        if not isinstance(dataset, BaseDataset):
            raise ValueError(f"MOABBDataset needs a MOABB dataset or its name, got "
                             f"{type(dataset).__name__}.")
        if dataset.paradigm not in ("ssvep", "imagery"):
            raise ValueError(f"MOABBDataset: {dataset.code} is a {dataset.paradigm!r} dataset; the "
                             "bench reads 'ssvep' and 'imagery' datasets.")
        self.moabb = dataset
        self.code = dataset.code
        self.paradigm = dataset.paradigm
        self.interval = (float(dataset.interval[0]), float(dataset.interval[1]))
        self.codes = {name: (list(c) if isinstance(c, list | tuple) else [int(c)])
                      for name, c in dataset.event_id.items()}
        self.event_id = {name: i + 1 for i, name in enumerate(self.codes)}

    @property
    def subjects(self) -> list[int]:
        return list(self.moabb.subject_list)

    def _class_events(self, raw: mne.io.BaseRaw) -> np.ndarray:
        """MOABB's trial events of ``raw`` (codes of ``self.event_id``), as MOABB finds them."""
        code_of = {c: self.event_id[name] for name, codes in self.codes.items() for c in codes}
        stim = mne.pick_types(raw.info, meg=False, stim=True)
        if len(stim):
            events = mne.find_events(raw, shortest_event=0, verbose="error")
        else:  # MOABB's annotations start at interval[0] after the trial onset
            names = {name: codes[0] for name, codes in self.codes.items()}
            present = {k: v for k, v in names.items() if k in set(raw.annotations.description)}
            if not present:
                return np.zeros((0, 3), dtype=int)
            events, _ = mne.events_from_annotations(raw, event_id=present, verbose="error")
            events[:, 0] -= int(self.interval[0] * raw.info["sfreq"])
        events = events[np.isin(events[:, 2], list(code_of))]
        events[:, 2] = [code_of[c] for c in events[:, 2]]
        return events

    def _load_subject(self, subject: int) -> Recordings:
        with no_downloads() as refused:
            try:
                data = self.moabb.get_data([subject])[subject]
            except Exception as err:
                if not refused:
                    raise
                raise DataNotFoundError(
                    f"MOABB dataset {self.code!r} subject {subject}: its files are not all on "
                    f"disk in {moabb_data_folder()!r} (MOABB's data folder: MNE_DATA, or "
                    f"MNE_DATASETS_<NAME>_PATH); {refused[0]}. The bench never downloads: get "
                    "the data once with MOABB (dataset.download()) or set MNE_DATA to the "
                    "folder that holds it."
                ) from err
        out: Recordings = {}
        names = {code: name for name, code in self.event_id.items()}
        for session, runs in data.items():
            out[str(session)] = {}
            for run, raw in runs.items():
                source = f"MOABB {self.code} subject {subject} session {session} run {run}"
                events = self._class_events(raw)
                raw = raw.copy().load_data(verbose="error")
                raw.drop_channels([raw.ch_names[i] for i in mne.pick_types(
                    raw.info, meg=False, stim=True)])
                check_raw(raw, source)
                raw.set_annotations(mne.annotations_from_events(
                    events, raw.info["sfreq"], event_desc=names, first_samp=raw.first_samp,
                    verbose="error"))
                raw.annotations.duration[:] = self.interval[1]
                out[str(session)][str(run)] = raw
        return out


DATASETS: dict[str, type[Dataset]] = {
    "SSVEPExo": SSVEPExo,
    "EEGMMIDB": EEGMMIDB,
    "MuseSSVEP": MuseSSVEP,
    "JFPMSynthetic": JFPMSynthetic,
    "FileDataset": FileDataset,
    "MOABB": MOABBDataset,
}
"""Dataset classes by the name used in benchmark configs."""
