"""Session records: a folder per run with events, EEG, camera frames and a summary.

Layout of a session folder::

    events.jsonl    one JSON object per line, written and flushed as each event happens
    eeg.vhdr/.eeg/.vmrk
                    the EEG the interface received, appended and flushed as it arrives
                    (BrainVision; ``noir.eeg_writer.read_recording`` reads it back). A source
                    with another channel set or rate gets its own ``eeg-2``, ``eeg-3``...
    frames/*.png    rendered camera frames
    summary.json    task success, decision counts, per-stage accuracy, wall and simulated time

Everything is plain JSON, PNG or BrainVision: a record loads without executing code, and a
killed process loses at most what had not yet arrived.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mne
import numpy as np
from PIL import Image

from noir.eeg_writer import BrainVisionWriter


class SessionClock:
    """Simulated session time in seconds: advanced by EEG windows and robot motion."""

    def __init__(self) -> None:
        self.now = 0.0

    def advance(self, seconds: float) -> float:
        """Move the clock forward by ``seconds`` (>= 0) and return the new time."""
        if seconds < 0:
            raise ValueError(f"cannot advance the session clock by {seconds} s: expected >= 0")
        self.now += seconds
        return self.now


class SessionRecorder:
    """Writes one session folder as the session happens.

    Parameters
    ----------
    folder : path
        The session folder; created if missing. An existing non-empty folder is refused so
        that nothing already recorded is overwritten.
    clock : SessionClock
        The session's simulated clock; every event is stamped with its time.
    """

    def __init__(self, folder: str | Path, clock: SessionClock) -> None:
        self.folder = Path(folder)
        if self.folder.exists() and any(self.folder.iterdir()):
            raise FileExistsError(
                f"session folder {self.folder} already holds files; choose a new folder "
                "so that no earlier record is overwritten"
            )
        (self.folder / "frames").mkdir(parents=True, exist_ok=True)
        self.clock = clock
        self._wall_start = time.perf_counter()
        self._events = (self.folder / "events.jsonl").open("a", encoding="utf-8")
        self.n_events = 0
        self.frames: list[str] = []
        self._eeg: dict[tuple[tuple[str, ...], float], BrainVisionWriter] = {}

    @staticmethod
    def new_folder(root: str | Path, name: str) -> Path:
        """A fresh, timestamped folder path ``root/YYYYmmdd-HHMMSS-name`` (suffixed if taken)."""
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        base = Path(root) / f"{stamp}-{name}"
        folder, k = base, 1
        while folder.exists():
            folder = base.with_name(f"{base.name}-{k}")
            k += 1
        return folder

    @property
    def wall_time(self) -> float:
        """Seconds of wall-clock time since the recorder was created."""
        return time.perf_counter() - self._wall_start

    def event(self, kind: str, **data: Any) -> dict[str, Any]:
        """Append one event (flushed at once) and return it."""
        record = {"t": round(self.clock.now, 4), "wall": round(self.wall_time, 4), "event": kind}
        record.update(data)
        self._events.write(json.dumps(record, default=_to_json) + "\n")
        self._events.flush()
        self.n_events += 1
        return record

    def frame(self, name: str, rgb: np.ndarray) -> Path:
        """Save an (H, W, 3) uint8 image as ``frames/<name>.png`` and log it."""
        path = self.folder / "frames" / f"{name}.png"
        Image.fromarray(np.asarray(rgb, dtype=np.uint8)).save(path)
        rel = str(path.relative_to(self.folder))
        self.frames.append(rel)
        self.event("frame", path=rel)
        return path

    def eeg(self, raw: mne.io.BaseRaw) -> dict[str, Any]:
        """Append ``raw`` to the EEG stream of its channel set and rate.

        Returns where it went: ``{"header": file name, "start": first sample, "n": samples}``.

        The first chunk of a new channel set or rate opens a new stream (``eeg.vhdr``,
        ``eeg-2.vhdr``, ...) and logs an ``eeg_stream`` event.
        """
        key = (tuple(raw.ch_names), float(raw.info["sfreq"]))
        if key not in self._eeg:
            stem = "eeg" if not self._eeg else f"eeg-{len(self._eeg) + 1}"
            self._eeg[key] = BrainVisionWriter(self.folder, raw.ch_names, key[1], stem=stem)
            self.event("eeg_stream", header=f"{stem}.vhdr", channels=raw.ch_names, sfreq=key[1])
        writer = self._eeg[key]
        start = writer.n_samples
        writer.append(raw)
        return {"header": writer.header.name, "start": start, "n": writer.n_samples - start}

    @property
    def eeg_headers(self) -> list[str]:
        """Header file names of the EEG streams written so far."""
        return [writer.header.name for writer in self._eeg.values()]

    def summary(self, summary: dict[str, Any]) -> Path:
        """Write ``summary.json`` and close the event log."""
        path = self.folder / "summary.json"
        path.write_text(json.dumps(summary, indent=2, default=_to_json) + "\n", encoding="utf-8")
        self.close()
        return path

    def close(self) -> None:
        if not self._events.closed:
            self._events.close()
        for writer in self._eeg.values():
            writer.close()


def read_events(folder: str | Path) -> list[dict[str, Any]]:
    """Read a session's ``events.jsonl`` back into a list of dicts.

    Raises
    ------
    FileNotFoundError
        If the folder has no ``events.jsonl``.
    ValueError
        If a line is not valid JSON (names the file and line number).
    """
    path = Path(folder) / "events.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: expected a session folder written by noir")
    events = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}, line {number}: not a JSON object ({err.msg})") from err
    return events


def _to_json(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to a session record")
