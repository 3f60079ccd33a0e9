"""``noir export-bids``: session records and benchmark data sets as BIDS (mne-bids).

A **session record** (:mod:`noir.session`) is read only through the record's own checks
(:func:`noir.replay.load_record`: manifest, event log, every file an event names) and written as

* ``sub-<s>[/ses-<x>]/eeg/…_task-<task>_acq-<stream>_eeg.vhdr``: each EEG stream of the session
  (``eeg.vhdr`` is ``acq-eeg``, ``eeg-2.vhdr`` is ``acq-eeg2``), BrainVision, with its
  ``…_events.tsv``: the cues as recorded (``trial_type`` ``cue/<marker>``, e.g.
  ``cue/ssvep/13``, ``cue/mi/left_hand``, ``cue/clench``; onset and duration of the cued
  window) and the decisions (``decision/<stage>/<label>``; ``confirm/<stage>/clench`` or
  ``confirm/<stage>/no_clench``), each at the last sample of its window (duration 0);
* ``…_task-calibration_acq-<kind>_eeg.vhdr``: the calibration recordings
  (``calibration/calibration-<kind>.vhdr``), cues as ``cue/<marker>``;
* ``sub-<s>[/ses-<x>]/beh/…_task-<task>_beh.tsv`` + ``.json``: one row per decision and
  confirmation (:data:`BEH_COLUMNS`, described in the sidecar).

A **benchmark data set** (a config's datasets, or a registered dataset name with its default
parameters) is written one recording per subject × session × run
(``sub-<subject:02d>_ses-<session>_task-<code>_run-<n>``), its trials' class names as
``trial_type``; ``decoders.benchmark.bids.BIDSDataset`` reads it back (``README`` gives the
config lines). Data go through mne-bids as float32 µV BrainVision: the round trip is exact to
float32 precision.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import mne
import numpy as np
import pandas as pd
import typer

_LABEL = re.compile(r"[A-Za-z0-9]+")
_CALIBRATION = re.compile(r"calibration/calibration-([a-z0-9]+)\.vhdr")

BEH_COLUMNS: dict[str, dict[str, str]] = {
    "onset": {"Description": "Session time at which the decision was made (end of its EEG "
                             "window), on the session clock.", "Units": "s"},
    "duration": {"Description": "Length of the EEG window the decision was made on.",
                 "Units": "s"},
    "event": {"Description": "decision (a stage's choice) or confirm (the clench check of "
                             "a proposal)."},
    "stage": {"Description": "Interface stage: what (object, SSVEP), how (skill, motor "
                             "imagery), where (parameters, motor imagery)."},
    "intended": {"Description": "What the person meant (simulated or cued operators; n/a "
                                "when unknown)."},
    "decided": {"Description": "The decoded label (decision), or clench / no_clench "
                               "(confirm)."},
    "correct": {"Description": "Whether the decision matched what was meant (n/a when "
                               "unknown).", "Levels": {"True": "matched",
                                                       "False": "did not match"}},
    "score": {"Description": "Decoder score of the decided label (decision) or the clench "
                             "detector's score (confirm)."},
    "score_kind": {"Description": "What the scores are (e.g. canonical correlation, "
                                  "probability)."},
    "latency_ms": {"Description": "Decoder run time on the window.", "Units": "ms"},
    "eeg_acq": {"Description": "acq label of the EEG recording holding the window."},
    "eeg_onset": {"Description": "Start of the window in that recording.", "Units": "s"},
}
"""Columns of the behavioural table and their BIDS sidecar descriptions."""


def _label(value: str, option: str) -> str:
    if not (isinstance(value, str) and _LABEL.fullmatch(value)):
        raise ValueError(f"{option} {value!r} is not a BIDS label: expected letters and digits "
                         "only")
    return value


def _scalar(event: dict[str, Any], name: str, where: str) -> Any:
    """A field of a record's event as a table cell: a string, number, bool or missing."""
    from noir.session import CorruptRecord, shown

    value = event.get(name)
    if value is None or isinstance(value, str | bool):
        return value
    if isinstance(value, int | float) and np.isfinite(value):
        return value
    raise CorruptRecord(f"{where}: {event['event']!r} event's {name!r} must be a string, "
                        f"number or boolean, got {shown(value)}")


def _bids_path(root: Path, subject: str, session: str | None, task: str, **entities):
    from mne_bids import BIDSPath

    return BIDSPath(subject=subject, session=session, task=task, datatype="eeg", root=root,
                    **entities)


def _write_eeg(raw: mne.io.BaseRaw, path, annotations: mne.Annotations) -> Path:
    """Write ``raw`` with ``annotations`` (onsets in s from its first sample) as BrainVision."""
    from mne_bids import write_raw_bids

    raw = raw.copy().set_annotations(annotations)
    write_raw_bids(raw, path, allow_preload=True, format="BrainVision", readme=False,
                   verbose="error")
    return Path(path.fpath)


def _readme(root: Path, text: str) -> list[Path]:
    """Write ``root/README`` unless the root has one already (returned if written)."""
    readme = root / "README"
    if readme.exists():
        return []
    readme.write_text(text, encoding="utf-8")
    return [readme]


def _refuse_existing(paths: Sequence[Path]) -> None:
    for path in paths:
        if path.exists():
            raise FileExistsError(f"{path} already exists: export into a new BIDS root or "
                                  "choose another subject/session label")


def record_annotations(record, header: str) -> mne.Annotations:
    """Cues and decisions of one EEG stream of a checked record (see the module docstring).

    Parameters
    ----------
    record : noir.replay.SessionRecord
    header : str
        The stream's header file name (e.g. ``"eeg.vhdr"``).
    """
    raw = record.streams[header]
    sfreq = raw.info["sfreq"]
    cues = raw.annotations
    onsets, durations = list(cues.onset), list(cues.duration)
    names = [f"cue/{d}" for d in cues.description]
    for event in record.events:
        eeg = event.get("eeg")
        if event["event"] not in ("decision", "confirm") or eeg["header"] != header:
            continue
        if event["event"] == "decision":
            name = f"decision/{event['stage']}/{event['label']}"
        else:
            name = f"confirm/{event['stage']}/{'clench' if event['clench'] else 'no_clench'}"
        onsets.append((eeg["start"] + eeg["n"] - 1) / sfreq)
        durations.append(0.0)
        names.append(name)
    order = np.argsort(onsets, kind="stable")
    return mne.Annotations(np.asarray(onsets)[order], np.asarray(durations)[order],
                           np.asarray(names, dtype=object)[order])


def behaviour_table(record) -> pd.DataFrame:
    """One row per decision and confirmation of a checked record (:data:`BEH_COLUMNS`)."""
    rows = []
    for number, event in enumerate(record.events, start=1):
        kind = event["event"]
        if kind not in ("decision", "confirm"):
            continue
        where = f"{record.folder / 'events.jsonl'}, event {number}"
        eeg = event["eeg"]
        sfreq = record.streams[eeg["header"]].info["sfreq"]
        if kind == "decision":
            decided = event["label"]
            scores = event.get("scores")
            score = _scalar(scores, decided, where) if isinstance(scores, dict) else None
        else:
            decided = "clench" if event["clench"] else "no_clench"
            score = _scalar(event, "score", where)
        rows.append({
            "onset": event["t"], "duration": eeg["n"] / sfreq, "event": kind,
            "stage": event["stage"], "intended": _scalar(event, "intended", where),
            "decided": decided, "correct": _scalar(event, "correct", where), "score": score,
            "score_kind": _scalar(event, "score_kind", where),
            "latency_ms": _scalar(event, "latency_ms", where),
            "eeg_acq": _acq(eeg["header"]), "eeg_onset": eeg["start"] / sfreq,
        })
    return pd.DataFrame(rows, columns=list(BEH_COLUMNS))


def _acq(header: str) -> str:
    """``eeg.vhdr`` -> ``eeg``, ``eeg-2.vhdr`` -> ``eeg2``."""
    return re.sub(r"[^A-Za-z0-9]", "", header.removesuffix(".vhdr"))


def export_record(folder: str | Path, root: str | Path, *, subject: str = "01",
                  session: str | None = None, task: str | None = None) -> list[Path]:
    """Write a session record into the BIDS root ``root`` (see the module docstring).

    Parameters
    ----------
    folder : path
        A closed session record.
    root : path
        The BIDS root (created if missing; may already hold other subjects or sessions).
    subject, session : str
        BIDS labels (letters and digits); no session: none in the file names.
    task : str | None
        BIDS task label; None: the record's task without its underscores (``cubeintray``).

    Returns
    -------
    written : list of Path
        The EEG headers and the behavioural table written, and ``README`` (unless the root
        had one: it is kept).

    Raises
    ------
    noir.session.CorruptRecord
        If the record fails any of its checks (nothing is written then).
    FileExistsError
        If a file to write exists already.
    ValueError
        If a label is not a BIDS label.
    """
    from noir.eeg_writer import read_recording
    from noir.replay import load_record
    from noir.session import record_file, verify_record

    subject = _label(subject, "--subject")
    session = None if session is None else _label(session, "--session")
    record = load_record(folder)
    task = _label(task if task is not None else
                  re.sub(r"[^A-Za-z0-9]", "", record.events[0]["task"]), "--task")
    listed = verify_record(record.folder)
    calibration = {m.group(1): name for name in sorted(listed)
                   if (m := _CALIBRATION.fullmatch(name))}
    root = Path(root)
    eeg = {header: _bids_path(root, subject, session, task, acquisition=_acq(header))
           for header in record.streams}
    calib = {kind: _bids_path(root, subject, session, "calibration", acquisition=kind)
             for kind in calibration}
    beh = _bids_path(root, subject, session, task).update(datatype="beh", suffix="beh",
                                                          extension=".tsv")
    _refuse_existing([Path(p.copy().update(suffix="eeg", extension=".vhdr").fpath)
                      for p in (*eeg.values(), *calib.values())] + [Path(beh.fpath)])
    table = behaviour_table(record)  # checks the fields it reads before anything is written
    calib_raws = {kind: read_recording(record_file(record.folder, name, listed, "manifest"))
                  for kind, name in calibration.items()}
    written = []
    for header, path in eeg.items():
        written.append(_write_eeg(record.streams[header], path,
                                  record_annotations(record, header)))
    for kind, raw in calib_raws.items():
        cues = raw.annotations
        written.append(_write_eeg(raw, calib[kind], mne.Annotations(
            cues.onset, cues.duration, [f"cue/{d}" for d in cues.description])))
    beh_file = Path(beh.fpath)
    beh_file.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(beh_file, sep="\t", index=False, na_rep="n/a")
    sidecar = {"TaskName": task, **BEH_COLUMNS}
    beh_file.with_suffix(".json").write_text(json.dumps(sidecar, indent=2) + "\n",
                                             encoding="utf-8")
    written.append(beh_file)
    return written + _readme(root, (
        "Session records of noir (a NOIR-style brain-robot interface), exported by noir "
        "export-bids.\n\n"
        "eeg/: each EEG stream of a session (acq-eeg, acq-eeg2, ...) and its calibration "
        "recordings (task-calibration, acq-<kind>); events.tsv: the cues as recorded "
        "(cue/...) and the decisions (decision/<stage>/<label>, confirm/<stage>/clench or "
        "no_clench) at the last sample of their windows.\n"
        "beh/: one row per decision and confirmation (columns described in the JSON "
        "sidecar).\n"))


def export_dataset(dataset, root: str | Path, *, subjects: Sequence[int] | None = None,
                   task: str | None = None) -> list[Path]:
    """Write a benchmark dataset (``decoders.benchmark.datasets.Dataset``) as a BIDS root.

    Parameters
    ----------
    dataset : Dataset
    root : path
        The BIDS root (created if missing).
    subjects : sequence of int | None
        None: all of the dataset's.
    task : str | None
        BIDS task label; None: the dataset's code without other characters than letters and
        digits.

    Returns
    -------
    written : list of Path
        The EEG headers written, and ``README`` (unless the root had one: it is kept).
    """
    from decoders.benchmark.datasets import check_events_present

    task = _label(task if task is not None else re.sub(r"[^A-Za-z0-9]", "", dataset.code),
                  "--task")
    root = Path(root)
    subjects = dataset.subjects if subjects is None else list(subjects)
    written = []
    for subject in subjects:
        recordings = dataset.get_data(subject)
        check_events_present(recordings, dataset.event_id, f"{dataset.code} subject {subject}")
        sessions = {str(s): re.sub(r"[^A-Za-z0-9]", "", str(s)) or "0" for s in recordings}
        if len(set(sessions.values())) != len(sessions):
            raise ValueError(f"{dataset.code} subject {subject}: sessions {list(sessions)} "
                             "do not give distinct BIDS labels")
        for name, runs in recordings.items():
            for index, raw in enumerate(runs.values(), start=1):
                path = _bids_path(root, f"{subject:02d}", sessions[name], task, run=index)
                _refuse_existing([Path(path.copy().update(suffix="eeg",
                                                          extension=".vhdr").fpath)])
                written.append(_write_eeg(raw, path, raw.annotations))
    return written + _readme(root, (
        f"{dataset.code}: exported by noir export-bids.\n\n"
        f"Paradigm: {dataset.paradigm}; trial window {list(dataset.interval)} s from each "
        f"event's onset; classes (trial_type): {list(dataset.event_id)}.\n"
        "Runs are numbered in the order of the source's runs within each session.\n\n"
        "Benchmark config lines (noir bench):\n\n"
        "datasets:\n"
        "  - name: BIDSDataset\n"
        f"    params: {{root: {root.name}, task: {task}, paradigm: {dataset.paradigm}, "
        f"interval: {list(dataset.interval)},\n"
        f"             event_id: {json.dumps({c: c for c in dataset.event_id})}}}\n"))


def _datasets(source: str) -> list:
    """The datasets ``source`` names: a benchmark config's, or a registered dataset's."""
    from decoders.benchmark.run import CONFIG_DATASETS, build_dataset, load_config
    from noir.bench import EXTRA_DATASETS

    path = Path(source)
    if path.suffix in (".yaml", ".yml"):
        config = load_config(path, tuple(EXTRA_DATASETS))
        return [(build_dataset(config, entry, EXTRA_DATASETS), entry.subjects)
                for entry in config.datasets]
    factories = {**CONFIG_DATASETS, **EXTRA_DATASETS}
    if source in factories:
        try:
            return [(factories[source](), None)]
        except TypeError as err:  # e.g. BIDSDataset, FileDataset: nothing to default to
            raise ValueError(f"dataset {source!r} needs parameters ({err}); name it in a "
                             "benchmark config (.yaml)") from err
    raise ValueError(f"{source!r} is neither a session folder, a benchmark config (.yaml) nor "
                     f"a dataset name ({sorted(factories)})")


def export(source: str, root: str | Path, *, subject: str = "01", session: str | None = None,
           task: str | None = None) -> list[Path]:
    """:func:`export_record` for a folder, else :func:`export_dataset` of each dataset that
    ``source`` names (a config with several writes each into ``root/<task>``)."""
    if Path(source).is_dir():
        return export_record(source, root, subject=subject, session=session, task=task)
    datasets = _datasets(source)
    written = []
    for dataset, subjects in datasets:
        label = task if task is not None else re.sub(r"[^A-Za-z0-9]", "", dataset.code)
        target = Path(root) / label if len(datasets) > 1 else Path(root)
        written += export_dataset(dataset, target, subjects=subjects, task=label)
    return written


def export_bids(
    source: Annotated[str, typer.Argument(
        help="A session record folder, a benchmark config (.yaml) or a dataset name.")],
    out: Annotated[Path, typer.Argument(help="The BIDS root to write (created if missing).")],
    subject: Annotated[str, typer.Option(help="BIDS subject label of a session record.")] = "01",
    session: Annotated[str | None, typer.Option(
        help="BIDS session label of a session record (default: none).")] = None,
    task: Annotated[str | None, typer.Option(
        help="BIDS task label (default: the record's task or the dataset's code).")] = None,
) -> None:
    """Write a session record or benchmark data as BIDS (mne-bids): EEG as BrainVision,
    events.tsv with cues and decisions, decisions as a behavioural table."""
    written = export(source, out, subject=subject, session=session, task=task)
    for path in written:
        typer.echo(str(path))
