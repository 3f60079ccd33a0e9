"""A BIDS root as a benchmark dataset (read with mne-bids).

Any EEG BIDS root whose ``*_events.tsv`` mark the trials works, e.g. what ``noir export-bids``
writes: each recording of one task (``sub-<label>[/ses-<label>]/eeg/*_task-<task>_*_eeg.*``) is
read with :func:`mne_bids.read_raw_bids`; its ``trial_type`` values become annotations, which
``event_id`` maps to class names (as :class:`~decoders.benchmark.datasets.FileDataset`). A
subject is the integer of its BIDS label (``sub-01`` is subject 1); a session is its BIDS
session label (``"0"`` without one); a run is the recording's ``run``/``acq`` labels.

In a benchmark config (paths relative to the config's folder)::

    datasets:
      - name: BIDSDataset
        params: {root: bids/ssvep, task: jfpmsynthetic, paradigm: ssvep, interval: [0, 2]}
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from decoders._validation import RecordingTooLarge, load_samples
from decoders.benchmark.datasets import Dataset, RecordingError, Recordings, check_raw

_LABEL = re.compile(r"[A-Za-z0-9]+")


class BIDSDataset(Dataset):
    """The EEG recordings of one task in a BIDS root.

    Parameters
    ----------
    root : path-like
        The BIDS root (holds ``dataset_description.json``).
    task : str
        BIDS task label of the recordings to use.
    paradigm : str
        ``"ssvep"`` or ``"imagery"``.
    interval : (float, float)
        Trial window ``(tmin, tmax)`` in s relative to each event's onset.
    event_id : mapping of str to str | None
        Class name to the ``trial_type`` that marks its trials, e.g. ``{"13": "cue/ssvep/13"}``;
        None: every ``trial_type`` of the task's events files is a class of its own name
        (numbers in numeric order first, e.g. stimulus frequencies, then names).
    acquisition : str | None
        Only recordings with this ``acq`` label (e.g. one stream of a session record).
    code : str | None
        Dataset name in result tables; None: ``bids-<task>``.
    base : path-like | None
        Folder a relative ``root`` is relative to (a benchmark config passes its own).

    Raises
    ------
    ValueError
        If the root, a label or a parameter is not as described (the message names it), the
        root holds no EEG recording of the task, or a subject label is not an integer.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        task: str,
        *,
        paradigm: str,
        interval: Sequence[float],
        event_id: Mapping[str, str] | None = None,
        acquisition: str | None = None,
        code: str | None = None,
        base: str | os.PathLike | None = None,
    ) -> None:
        from mne_bids import find_matching_paths

        if paradigm not in ("ssvep", "imagery"):
            raise ValueError(f"BIDSDataset: paradigm must be 'ssvep' or 'imagery', got "
                             f"{paradigm!r}.")
        if not (isinstance(interval, Sequence) and len(interval) == 2
                and all(isinstance(t, int | float) and not isinstance(t, bool)
                        for t in interval)):
            raise ValueError(f"BIDSDataset: interval must be (tmin, tmax) in s, got "
                             f"{interval!r}.")
        for name, label in (("task", task), ("acquisition", acquisition)):
            if label is not None and not (isinstance(label, str) and _LABEL.fullmatch(label)):
                raise ValueError(f"BIDSDataset: {name} must be a BIDS label (letters and "
                                 f"digits), got {label!r}.")
        self.root = Path(base or "") / Path(root)
        if not (self.root / "dataset_description.json").is_file():
            raise ValueError(f"{self.root}: not a BIDS root (no dataset_description.json).")
        paths = find_matching_paths(self.root, tasks=task, acquisitions=acquisition,
                                    datatypes="eeg", suffixes="eeg",
                                    extensions=[".vhdr", ".edf", ".bdf", ".set", ".fif"])
        if not paths:
            raise ValueError(f"{self.root}: no EEG recording of task {task!r}"
                             + (f" with acq-{acquisition}" if acquisition else "") + ".")
        self.paths: dict[int, list] = {}
        for path in paths:
            if not path.subject.isdigit():
                raise ValueError(f"{path.fpath}: subject label {path.subject!r} is not an "
                                 "integer; the benchmark numbers its subjects.")
            self.paths.setdefault(int(path.subject), []).append(path)
        if event_id is None:
            types = set()
            for path in paths:
                types |= set(_events_table(path)["trial_type"].astype(str))
            event_id = {t: t for t in sorted(types - {"n/a"}, key=_natural)}
        if not isinstance(event_id, Mapping) or not event_id:
            raise ValueError("BIDSDataset: event_id must map at least one class name to a "
                             "trial_type.")
        self.descriptions = {str(k): str(v) for k, v in event_id.items()}
        self.event_id = {name: i + 1 for i, name in enumerate(self.descriptions)}
        self.paradigm = paradigm
        self.interval = (float(interval[0]), float(interval[1]))
        self.task, self.acquisition = task, acquisition
        self.code = code or f"bids-{task}"

    @property
    def subjects(self) -> list[int]:
        return sorted(self.paths)

    def _load_subject(self, subject: int) -> Recordings:
        from mne_bids import read_raw_bids

        rename = {desc: name for name, desc in self.descriptions.items()}
        out: Recordings = {}
        for path in sorted(self.paths[subject], key=lambda p: str(p.fpath)):
            try:
                raw = load_samples(read_raw_bids(path, verbose="error"), str(path.fpath))
            except RecordingTooLarge as err:
                raise RecordingError(str(err)) from err
            except Exception as err:  # readers raise many types for bad files
                raise RecordingError(f"{path.fpath}: cannot read the recording "
                                     f"({type(err).__name__}: {err}).") from err
            check_raw(raw, str(path.fpath))
            raw.annotations.rename({d: n for d, n in rename.items()
                                    if d in raw.annotations.description})
            run = "-".join(x for x in (path.acquisition, path.run) if x) or "0"
            out.setdefault(path.session or "0", {})[run] = raw
        return out


def _natural(name: str) -> tuple:
    """Sort key: numbers by value, before other names."""
    try:
        return (0, float(name), name)
    except ValueError:
        return (1, 0.0, name)


def _events_table(path) -> pd.DataFrame:
    """The ``*_events.tsv`` beside a recording (empty without one)."""
    events = path.copy().update(suffix="events", extension=".tsv").fpath
    if not Path(events).is_file():
        return pd.DataFrame({"trial_type": []})
    table = pd.read_csv(events, sep="\t", dtype=str, keep_default_na=False)
    if "trial_type" not in table:
        raise ValueError(f"{events}: no trial_type column; the benchmark needs one to find "
                         "the trials.")
    return table
