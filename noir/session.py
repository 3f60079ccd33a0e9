"""Session records: a folder per run with events, EEG, camera frames and a summary.

Layout of a session folder::

    events.jsonl    one JSON object per line, written and flushed as each event happens
    eeg.vhdr/.eeg/.vmrk
                    the EEG the interface received, appended and flushed as it arrives
                    (BrainVision; ``noir.eeg_writer.read_recording`` reads it back). A source
                    with another channel set or rate gets its own ``eeg-2``, ``eeg-3``...
    eeg.stamps      live sources only: each sample's time stamp as it arrived (LSL: seconds on
                    this machine's liblsl clock; BrainFlow: the board's Unix time), raw
                    little-endian float64, one per sample of ``eeg.eeg``
    frames/*.png    rendered camera frames
    calibration/    the session's fitted decoders (skops), accuracies and calibration EEG
    assistant/      with learning: the person's model as the session started
    console.json    with ``noir run --console``: what the pages reported (stimulus onsets, refresh
                    rate, warnings, decision-to-screen latencies, camera frame rates)
    summary.json    task success, decision counts, per-stage accuracy, wall and simulated time
    manifest.json   written when the session closes: ``{"format": "noir-session-manifest/1",
                    "sha256": {relative path: hex digest}}`` for every other file in the folder

Everything is plain JSON, PNG or BrainVision: a record loads without executing code, and a
killed process loses at most what had not yet arrived (its record has no manifest, so it reads
as truncated). :func:`verify_record` checks a closed record against its manifest: no file
missing, added, changed or linked from elsewhere.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import reprlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mne
import numpy as np
from PIL import Image

from noir.eeg_writer import BrainVisionWriter

MANIFEST = "manifest.json"
MANIFEST_FORMAT = "noir-session-manifest/1"


class CorruptRecord(ValueError):
    """A session record is damaged, truncated, tampered with or not a noir record; the
    message names the file and what is wrong."""


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
        self.listeners: list[Callable[[dict[str, Any]], None]] = []
        """Called with each event once it is written (e.g. ``noir.console.ConsoleFeed``)."""
        self._eeg: dict[tuple[tuple[str, ...], float], BrainVisionWriter] = {}
        self._stamps: dict[tuple[tuple[str, ...], float], io.BufferedWriter] = {}

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
        for listener in self.listeners:
            listener(record)
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
        stamps = (raw.info.get("temp") or {}).get("stamps")
        if key not in self._eeg:
            stem = "eeg" if not self._eeg else f"eeg-{len(self._eeg) + 1}"
            self._eeg[key] = BrainVisionWriter(self.folder, raw.ch_names, key[1], stem=stem)
            fields = {"stamps": f"{stem}.stamps"} if stamps is not None else {}
            self.event("eeg_stream", header=f"{stem}.vhdr", channels=raw.ch_names, sfreq=key[1],
                       **fields)
            if stamps is not None:
                self._stamps[key] = (self.folder / f"{stem}.stamps").open("ab")
        writer = self._eeg[key]
        if (stamps is not None) != (key in self._stamps) or (
                stamps is not None and len(stamps) != raw.n_times):
            raise ValueError(f"EEG for {writer.header.name}: every chunk of a live stream needs "
                             f"one time stamp per sample ({raw.n_times} samples, "
                             f"{'no' if stamps is None else len(stamps)} stamps)")
        start = writer.n_samples
        writer.append(raw)
        if stamps is not None:
            self._stamps[key].write(np.asarray(stamps, dtype="<f8").tobytes())
            self._stamps[key].flush()
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
        """Close the event log and EEG streams and write ``manifest.json``."""
        if not self._events.closed:
            self._events.close()
        for writer in self._eeg.values():
            writer.close()
        for stamps in self._stamps.values():
            stamps.close()
        write_manifest(self.folder)


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(folder: str | Path) -> Path:
    """Write ``folder/manifest.json``: the SHA-256 of every other regular file in ``folder``
    (sub-folders included, paths relative with ``/``)."""
    folder = Path(folder)
    digests = {rel: sha256_file(folder / rel) for rel in sorted(_files(folder, strict=False))}
    path = folder / MANIFEST
    path.write_text(json.dumps({"format": MANIFEST_FORMAT, "sha256": digests}, indent=1) + "\n",
                    encoding="utf-8")
    return path


def verify_record(folder: str | Path) -> frozenset[str]:
    """Check a closed session record against its ``manifest.json``; return the listed paths.

    Raises
    ------
    FileNotFoundError
        If ``folder`` does not exist.
    CorruptRecord
        If the manifest is missing (the session never closed: a truncated record) or
        malformed, a listed file is missing or changed, a file is not listed, or the folder
        holds a symbolic link or anything but regular files and folders.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} not found: expected a session folder written by noir")
    manifest = folder / MANIFEST
    if manifest.is_symlink() or not manifest.is_file():
        raise CorruptRecord(_unclosed(folder))
    try:
        content = json.loads(manifest.read_bytes().decode("utf-8"))
    except (ValueError, RecursionError) as err:  # not UTF-8 or JSON; an int of > 4300 digits
        raise CorruptRecord(f"{manifest}: not a JSON manifest ({err})") from err
    if not isinstance(content, dict) or content.get("format") != MANIFEST_FORMAT \
            or not isinstance(content.get("sha256"), dict):
        raise CorruptRecord(f"{manifest}: expected {{'format': {MANIFEST_FORMAT!r}, "
                            "'sha256': {path: digest}}")
    digests = content["sha256"]
    for rel, digest in digests.items():
        if not is_plain_path(rel) or rel == MANIFEST:
            raise CorruptRecord(f"{manifest} lists {shown(rel)}: expected a relative path inside "
                                "the session folder (no '..', no absolute path)")
        if not isinstance(digest, str) or len(digest) != 64 \
                or not set(digest) <= set("0123456789abcdef"):
            raise CorruptRecord(f"{manifest}: the digest of {rel} is {shown(digest)}, expected 64 "
                                "lowercase hex digits (SHA-256)")
    present = _files(folder, strict=True)
    added, missing = sorted(present - set(digests)), sorted(set(digests) - present)
    if added:
        raise CorruptRecord(f"{folder / added[0]} is not listed in {manifest}: a file was "
                            "added after the session closed")
    if missing:
        raise CorruptRecord(f"{folder / missing[0]} is listed in {manifest} but missing")
    for rel in sorted(digests):
        if sha256_file(folder / rel) != digests[rel]:
            raise CorruptRecord(f"{folder / rel} does not match its SHA-256 in {manifest}: "
                                "changed or damaged after the session closed")
    return frozenset(digests)


def shown(value: object) -> str:
    """A short ``repr`` of a value taken from a record, for error messages."""
    return reprlib.repr(value)


def is_plain_path(name: object) -> bool:
    """Whether ``name`` is a relative ``/``-separated path that stays inside its folder."""
    return (isinstance(name, str) and name != "" and not name.startswith("/")
            and "\\" not in name and "\0" not in name
            and all(part not in ("", ".", "..") for part in name.split("/")))


def record_file(folder: str | Path, name: object, listed: frozenset[str], where: str) -> Path:
    """The file ``name`` that ``where`` (e.g. "events.jsonl, line 5") refers to: a plain
    relative path listed in the manifest, resolving inside ``folder``.

    Raises
    ------
    CorruptRecord
        Naming ``where`` and the reference, otherwise.
    """
    folder = Path(folder)
    if not is_plain_path(name):
        raise CorruptRecord(f"{where}: refers to {shown(name)}; expected a relative path inside "
                            f"the session folder {folder} (no '..', no absolute path)")
    path = folder / name
    if name not in listed or not path.resolve().is_relative_to(folder.resolve()):
        raise CorruptRecord(f"{where}: refers to {shown(name)}, which is not a file of the "
                            f"session record ({MANIFEST} does not list it)")
    return path


def _files(folder: Path, *, strict: bool) -> set[str]:
    """Relative paths of the regular files under ``folder``, ``manifest.json`` excepted.

    ``strict``: a symbolic link or special file is a :class:`CorruptRecord`; otherwise skipped.
    """
    found = set()

    def refuse(err: OSError) -> None:
        raise CorruptRecord(f"{err.filename}: cannot be read ({err.strerror})") from err

    for root, dirs, files in os.walk(folder, onerror=refuse):
        for name in dirs + files:
            path = Path(root) / name
            if path.is_symlink() or not (path.is_dir() if name in dirs else path.is_file()):
                if strict:
                    raise CorruptRecord(f"{path} is a symbolic link or special file: a session "
                                        "record holds only its own regular files")
            elif name in files:
                found.add(path.relative_to(folder).as_posix())
    found.discard(MANIFEST)
    return found


def _unclosed(folder: Path) -> str:
    """Why a folder without a manifest cannot be replayed (what its event log says)."""
    if not (folder / "events.jsonl").is_file():
        return f"{folder} is not a session record: it has neither {MANIFEST} nor events.jsonl"
    what = f"{folder} is a truncated record: it has no {MANIFEST}, so the session never closed"
    try:
        events = read_events(folder)
    except ValueError:
        return f"{what} (killed or still recording; its events.jsonl is damaged too)"
    if not events:
        return f"{what} (its events.jsonl is empty)"
    last = events[-1]
    return f"{what} (it stopped after {shown(last['event'])} at t={last['t']} s, before task_end)" \
        if last["event"] != "task_end" else f"{what} (killed while closing)"


def read_events(folder: str | Path) -> list[dict[str, Any]]:
    """Read a session's ``events.jsonl`` back into a list of dicts.

    Raises
    ------
    FileNotFoundError
        If the folder has no ``events.jsonl``.
    CorruptRecord
        If a line is not a JSON object with a string ``event`` and a finite number ``t``
        (names the file and line number).
    """
    return [event for _, event in numbered_events(folder)]


def numbered_events(folder: str | Path) -> list[tuple[int, dict[str, Any]]]:
    """``events.jsonl`` as (line number, event) pairs; errors as in :func:`read_events`."""
    path = Path(folder) / "events.jsonl"
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: expected a session folder written by noir")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise CorruptRecord(f"{path}: not UTF-8 text ({err.reason} at byte {err.start})") from err
    events = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except (ValueError, RecursionError) as err:  # not JSON; an int of > 4300 digits
            why = "nested too deeply" if isinstance(err, RecursionError) else \
                getattr(err, "msg", str(err))
            raise CorruptRecord(f"{path}, line {number}: not a JSON object ({why})") from err
        if not isinstance(event, dict):
            raise CorruptRecord(f"{path}, line {number}: expected a JSON object, got "
                                f"{type(event).__name__ if event is not None else 'null'}")
        t = event.get("t")
        if not isinstance(event.get("event"), str) or isinstance(t, bool) \
                or not isinstance(t, int | float) or not math.isfinite(t):
            raise CorruptRecord(f"{path}, line {number}: expected an event with a string "
                                "'event' and a finite number 't'")
        events.append((number, event))
    return events


def _to_json(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to a session record")
