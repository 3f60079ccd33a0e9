"""A recording from a file is bounded before its samples are read: a small compressed FIF
that would unpack into more than ``MAX_RECORDING_SAMPLES`` is refused, naming the file."""

from __future__ import annotations

import mne
import numpy as np
import pytest

import decoders._validation
from decoders._validation import RecordingTooLarge
from decoders.benchmark.datasets import RecordingError, _read
from noir.recorded import _read as read_for_operator

SFREQ = 256.0


def write_zeros(path, n_channels: int, seconds: float):
    """A FIF of zeros (compresses about a thousandfold when ``path`` ends in .gz)."""
    info = mne.create_info([f"EEG{i}" for i in range(n_channels)], SFREQ, "eeg")
    data = np.zeros((n_channels, round(seconds * SFREQ)))
    mne.io.RawArray(data, info, verbose="error").save(path, verbose="error")
    return path


@pytest.fixture
def small_limit(monkeypatch):
    """A limit of 1 million samples."""
    monkeypatch.setattr(decoders._validation, "MAX_RECORDING_SAMPLES", 1_000_000)


def test_a_compressed_fif_that_unpacks_beyond_the_limit_is_refused_before_reading(
        tmp_path, small_limit, monkeypatch):
    bomb = write_zeros(tmp_path / "bomb_raw.fif.gz", 8, 600)  # 1.23 M samples
    assert bomb.stat().st_size < 200_000  # a small file on disk

    def no_reading(self, *args, **kwargs):
        raise AssertionError("the samples of a refused recording were read")

    monkeypatch.setattr(mne.io.BaseRaw, "load_data", no_reading)
    with pytest.raises(RecordingTooLarge, match=r"bomb_raw\.fif\.gz: 8 channels x 153600 time "
                                                 r"points = 1228800 samples, more than the "
                                                 r"1000000"):
        read_for_operator(bomb)
    with pytest.raises(RecordingError, match=r"bomb_raw\.fif\.gz: 8 channels x 153600"):
        _read(mne.io.read_raw, bomb)


def test_a_recording_within_the_limit_reads_as_before(tmp_path, small_limit):
    path = tmp_path / "ok_raw.fif.gz"
    info = mne.create_info(["C3", "C4"], SFREQ, "eeg")
    data = np.random.default_rng(0).normal(0, 1e-5, (2, 4 * 256))
    mne.io.RawArray(data, info, verbose="error").save(path, verbose="error")
    raw = _read(mne.io.read_raw, path)
    expected = mne.io.read_raw(path, preload=True, verbose="error").get_data()
    assert raw.preload and np.array_equal(raw.get_data(), expected)
