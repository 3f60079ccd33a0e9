"""Session records for the replay view: which ones there are, and what a page needs of one.

A record may come from anyone: it is opened with :func:`noir.replay.load_record`, which checks
it against its manifest, and a page gets only JSON made here and the frames its events name
(plain relative paths listed in the manifest, checked by ``load_record``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

SAMPLES = Path(__file__).resolve().parent.parent / "sample_sessions"
"""The sample sessions shipped with noir."""
MAX_POINTS = 256
"""Most samples per channel of a decision's EEG window sent to a page (a plot, not data)."""
MAX_CHANNELS = 8
"""Most channels of a decision's EEG window sent to a page."""
MARKS = ("decision", "confirm")
"""The events the timeline steps through."""


def find_records(paths: list[Path] | tuple[Path, ...] = ()) -> list[Path]:
    """The shipped sample sessions, then each of ``paths`` that is a record folder (holds
    ``events.jsonl``) or, for a folder of records, its sub-folders that are, by name.

    Raises
    ------
    FileNotFoundError
        If a path does not exist.
    NotADirectoryError
        If a path is a file.
    """
    found = sorted(p for p in SAMPLES.iterdir() if (p / "events.jsonl").is_file())
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"{path} not found: expected a session record or a folder "
                                    "of them")
        if not path.is_dir():
            raise NotADirectoryError(f"{path} is a file: expected a session record folder")
        inside = [path] if (path / "events.jsonl").is_file() else sorted(
            p for p in path.iterdir() if p.is_dir() and (p / "events.jsonl").is_file())
        found += [p for p in inside if p not in found]
    return found


def record_view(folder: Path) -> dict[str, Any]:
    """A checked record as a page shows it.

    Returns
    -------
    dict
        ``name``, ``events`` (the event log), ``frames`` (paths of its camera frames),
        ``marks`` (indices of the decision and confirmation events, in order) and ``windows``
        (by event index: the EEG window of that decision: ``channels``, ``sfreq`` of the
        points, ``uV`` (n_channels, n_points) in µV, decimated to at most ``MAX_POINTS``).

    Raises
    ------
    CorruptRecord, FileNotFoundError
        From :func:`noir.replay.load_record`.
    """
    from noir.replay import load_record  # the loop and the simulator: only when a record opens

    record = load_record(folder)
    windows = {}
    marks = [i for i, e in enumerate(record.events) if e["event"] in MARKS]
    for i in marks:
        eeg = record.events[i].get("eeg")
        if not isinstance(eeg, dict):
            continue
        raw = record.streams[eeg["header"]]
        data = raw.get_data(start=eeg["start"], stop=eeg["start"] + eeg["n"])[:MAX_CHANNELS]
        step = max(1, -(-data.shape[1] // MAX_POINTS))
        windows[str(i)] = {"channels": raw.ch_names[:MAX_CHANNELS],
                           "sfreq": raw.info["sfreq"] / step,
                           "uV": np.round(data[:, ::step] * 1e6, 2).tolist()}
    return {"name": record.folder.name, "events": _finite(record.events),
            "frames": [e["path"] for e in record.events if e["event"] == "frame"],
            "marks": marks, "windows": windows}


def _finite(value: Any) -> Any:
    """``value`` with every NaN or infinity (which JSON lacks) replaced by None."""
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value
