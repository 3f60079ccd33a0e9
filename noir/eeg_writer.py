"""Append-only EEG recording in the BrainVision format, flushed as samples arrive.

A session's EEG must survive a killed process: samples are appended to a binary file and
cue markers to a text file as they arrive, and both are flushed at once, so a crash loses
only what had not arrived yet. The header (channels, sampling rate) is written first; the
number of samples follows from the size of the data file. MNE reads the files back with
``mne.io.read_raw_brainvision``.

Written by hand because no maintained library writes BrainVision incrementally (``pybv``
writes a whole recording at once).
"""

from __future__ import annotations

import os
from pathlib import Path

import mne
import numpy as np

_VOLTS_TO_MICROVOLTS = 1e6
_HEADER_LINE = "Brain Vision Data Exchange Header File Version 1.0"
_HEADER_SIZE_LIMIT = 1 << 20  # bytes; the writer's headers are about 1 kB


class BrainVisionWriter:
    """Streams EEG chunks to ``<stem>.vhdr`` / ``<stem>.eeg`` / ``<stem>.vmrk`` in ``folder``.

    Parameters
    ----------
    folder : path
        Existing folder that receives the three files.
    ch_names : list of str
        Channel names, fixed for the whole recording.
    sfreq : float
        Sampling rate in Hz, fixed for the whole recording.
    stem : str
        File name without extension.
    """

    def __init__(self, folder: str | Path, ch_names: list[str], sfreq: float,
                 stem: str = "eeg") -> None:
        self.ch_names = list(ch_names)
        self.sfreq = float(sfreq)
        self.n_samples = 0
        self.n_markers = 0
        folder = Path(folder)
        self.header = folder / f"{stem}.vhdr"
        channels = "\n".join(f"Ch{i}={name},,1,µV" for i, name in enumerate(self.ch_names, 1))
        self.header.write_text(
            f"{_HEADER_LINE}\n\n"
            "[Common Infos]\nCodepage=UTF-8\n"
            f"DataFile={stem}.eeg\nMarkerFile={stem}.vmrk\n"
            "DataFormat=BINARY\nDataOrientation=MULTIPLEXED\n"
            f"NumberOfChannels={len(self.ch_names)}\n"
            f"SamplingInterval={1e6 / self.sfreq}\n\n"
            "[Binary Infos]\nBinaryFormat=IEEE_FLOAT_32\n\n"
            f"[Channel Infos]\n{channels}\n",
            encoding="utf-8",
        )
        self._data = (folder / f"{stem}.eeg").open("ab")
        self._markers = (folder / f"{stem}.vmrk").open("a", encoding="utf-8")
        self._markers.write(
            "Brain Vision Data Exchange Marker File, Version 1.0\n\n"
            f"[Common Infos]\nCodepage=UTF-8\nDataFile={stem}.eeg\n\n[Marker Infos]\n"
        )
        self._flush()

    def append(self, raw: mne.io.BaseRaw) -> None:
        """Append all of ``raw`` (same channels and rate) and its annotations as markers.

        Raises
        ------
        ValueError
            If the channels or the sampling rate differ from the recording's.
        """
        if raw.ch_names != self.ch_names:
            raise ValueError(
                f"cannot append channels {raw.ch_names} to a recording of {self.ch_names}"
            )
        if raw.info["sfreq"] != self.sfreq:
            raise ValueError(
                f"mismatched sampling rate: cannot append {raw.info['sfreq']} Hz data "
                f"to a {self.sfreq} Hz recording"
            )
        data = raw.get_data().T * _VOLTS_TO_MICROVOLTS  # (n_times, n_channels), µV
        self._data.write(np.ascontiguousarray(data, dtype="<f4").tobytes())
        for annot in raw.annotations:
            start = self.n_samples + round(annot["onset"] * self.sfreq) + 1  # 1-based
            size = max(1, round(annot["duration"] * self.sfreq))
            description = annot["description"].replace(",", r"\1")
            self.n_markers += 1
            self._markers.write(f"Mk{self.n_markers}=Comment,{description},{start},{size},0\n")
        self.n_samples += data.shape[0]
        self._flush()

    def _flush(self) -> None:
        for stream in (self._data, self._markers):
            stream.flush()
            os.fsync(stream.fileno())

    def close(self) -> None:
        for stream in (self._data, self._markers):
            if not stream.closed:
                stream.close()


def read_recording(header: str | Path) -> mne.io.BaseRaw:
    """Read a recording written by :class:`BrainVisionWriter`, annotations as written.

    A data file cut short by a crash is read up to its last complete sample (MNE ignores a
    partly written sample).

    Raises
    ------
    FileNotFoundError
        If ``header`` does not exist.
    ValueError
        If ``header`` is not a header as the writer writes it (BrainVision 1.0, float32
        multiplexed samples, data and marker files ``<stem>.eeg``/``<stem>.vmrk`` beside it),
        MNE cannot read the files, or a sample is not finite. The message names the file.
    """
    header = Path(header)
    if not header.is_file():
        raise FileNotFoundError(f"{header} not found: expected a BrainVision header (.vhdr)")
    _check_header(header)
    try:
        raw = mne.io.read_raw_brainvision(
            header, preload=True, ignore_marker_types=True, verbose="error"
        )
    except Exception as err:  # MNE's parser meets a file it cannot read: say which
        raise ValueError(f"{header}: not a readable BrainVision recording "
                         f"({type(err).__name__}: {err})") from err
    if not np.isfinite(raw.get_data()).all():
        raise ValueError(f"{header}: the recording holds non-finite samples (NaN or inf)")
    return raw


def _check_header(header: Path) -> None:
    """Refuse a ``.vhdr`` that the writer would not have written (names the file)."""
    expected = {"DataFile": f"{header.stem}.eeg", "MarkerFile": f"{header.stem}.vmrk",
                "DataFormat": "BINARY", "DataOrientation": "MULTIPLEXED",
                "BinaryFormat": "IEEE_FLOAT_32"}
    with header.open("rb") as stream:
        data = stream.read(_HEADER_SIZE_LIMIT + 1)
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError as err:
        raise ValueError(f"{header}: not a text BrainVision header ({err.reason})") from err
    if len(data) > _HEADER_SIZE_LIMIT or not lines or lines[0].strip() != _HEADER_LINE:
        raise ValueError(f"{header}: not a BrainVision header (expected a first line "
                         f"{_HEADER_LINE!r} and at most {_HEADER_SIZE_LIMIT} bytes)")
    fields = dict(line.strip().split("=", 1) for line in lines if "=" in line)
    for key, value in expected.items():
        if fields.get(key) != value:
            raise ValueError(f"{header}: {key}={fields.get(key)!r}, expected {value!r} "
                             "(as written by noir.eeg_writer)")
