"""BrainFlow as a live EEG source: the synthetic board streams every sample once, markers land at
their cue, a recording plays back sample for sample with its channel names, bad boards and
parameters are named in one line.

No hardware and no network: the synthetic and playback boards open no socket; the cyton is
asked for a serial port that does not exist.
"""

import json
import re
import time
from pathlib import Path

import mne
import numpy as np
import pytest

from decoders.cues import Cue
from noir.board import (
    MARKER_CODES,
    MARKER_LIVE,
    MARKER_STOP,
    BoardNotReady,
    BrainFlowSource,
    board_id,
    list_boards,
    marker_code,
    parse_spec,
    write_playback,
)
from noir.stream import StreamOperator, StreamPaused

SAMPLE = Path(__file__).parents[1] / "noir" / "sample_data" / "ssvep_exo_s04_raw.fif"


def _read_for(source, seconds, poll=0.03):
    """Everything ``source`` sends in ``seconds`` of wall time, polled every ``poll`` s."""
    chunks, stamps = [], []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        time.sleep(poll)
        data, ts = source.read(max_samples=1_000_000, timeout=0.0)
        chunks.append(data)
        stamps.append(ts)
    return np.vstack(chunks), np.concatenate(stamps)


def _read_n(source, n, timeout=10.0):
    """The next ``n`` samples of ``source`` (fails if they do not come within ``timeout`` s)."""
    chunks, stamps, got = [], [], 0
    end = time.monotonic() + timeout
    while got < n:
        assert time.monotonic() < end, f"only {got} of {n} samples in {timeout} s"
        data, ts = source.read(max_samples=n - got, timeout=0.1)
        chunks.append(data)
        stamps.append(ts)
        got += len(ts)
    return np.vstack(chunks), np.concatenate(stamps)


def test_synthetic_board_streams_each_sample_once_at_its_rate_in_volts():
    with BrainFlowSource("synthetic") as source:
        assert source.label == "brainflow:synthetic" and source.sfreq == 250.0
        assert source.ch_names[:3] == ["Fz", "C3", "Cz"] and len(source.ch_names) == 16
        assert source.units == "uV" and source.answers_cues is False
        source.read(max_samples=1_000_000, timeout=1.0)  # what came while it started
        before = source.n_read
        start = time.time()
        data, stamps = _read_for(source, 3.0)
        end = time.time()
    # by the board's sample numbers: none lost or repeated
    assert source.n_read == before + len(stamps)
    assert source.n_lost == 0 and source.n_repeated == 0
    # none twice or out of order; the stamps are the board's Unix time, inside the read
    assert np.all(np.diff(stamps) > 0)
    assert start - 0.1 < stamps[0] and stamps[-1] < end + 0.1
    # every sample of the time they span, and as many as the wall time holds at 250 Hz
    spanned = (stamps[-1] - stamps[0]) * source.sfreq + 1
    assert abs(len(stamps) - spanned) <= 0.02 * spanned
    assert abs(len(stamps) - 3.0 * source.sfreq) <= 0.05 * 3.0 * source.sfreq
    # volts: the synthetic board's waves are some 10 µV to 1 mV, not µV numbers
    assert data.shape == (len(stamps), 16)
    assert 1e-5 < np.abs(data).max() < 5e-3
    assert np.all(data.std(axis=0) > 1e-6)


def test_a_read_waits_for_the_first_sample_and_gives_at_most_what_is_asked():
    with BrainFlowSource("synthetic") as source:
        source.read(max_samples=1_000_000, timeout=1.0)
        data, stamps = source.read(max_samples=1_000_000, timeout=0.5)  # waits for one
        assert 1 <= len(stamps) <= 12  # one, or a burst the board sends at once
        time.sleep(0.2)
        data, stamps = source.read(max_samples=3, timeout=0.0)
        assert data.shape == (3, 16) and len(stamps) == 3
        rest, later = source.read(max_samples=1_000_000, timeout=0.0)
        assert later[0] > stamps[-1]
        with pytest.raises(ValueError, match="max_samples=0"):
            source.read(max_samples=0, timeout=0.0)
    with pytest.raises(StreamPaused, match="brainflow:synthetic is closed"):
        source.read(max_samples=1, timeout=0.0)
    source.close()  # again: nothing


def test_markers_land_in_the_marker_channel_at_the_cue():
    with BrainFlowSource("synthetic") as source:
        source.read(max_samples=1_000_000, timeout=1.0)
        sent = []
        for marker in ({"stage": "how", "cues": [["mi", 4.0, "left_hand"]]},
                       {"stage": "move", "cues": [["rest", 0.5, None], ["clench", 1.0, None]],
                        "live": 0.5},
                       {"stage": "end", "cues": []}):
            _, before = source.read(max_samples=1_000_000, timeout=0.5)
            source.mark(marker)
            sent.append((before[-1], marker_code(marker)))
            time.sleep(0.1)
        source.read(max_samples=1_000_000, timeout=0.5)
    assert [code for _, code in source.markers] == [
        MARKER_CODES["mi"], MARKER_CODES["rest"] + MARKER_LIVE, MARKER_STOP]
    for (last_before, code), (stamp, got) in zip(sent, source.markers, strict=True):
        # on the first sample after the mark, or a few samples later on a busy machine
        assert got == code and last_before < stamp < last_before + 0.25


def test_marker_codes_are_documented_numbers_and_bad_markers_are_named():
    assert MARKER_CODES == {"ssvep": 1.0, "mi": 2.0, "clench": 3.0, "rest": 4.0}
    assert marker_code({"stage": "what", "cues": [["ssvep", 4.0, 7.5]]}) == 1.0
    assert marker_code({"stage": "m", "cues": [["clench", 1.0, None]], "live": 0.5}) == 13.0
    for bad in ({"stage": "x"}, {"cues": [["wink", 1.0, None]]}, "ssvep"):
        with pytest.raises(ValueError, match="cue marker"):
            marker_code(bad)


@pytest.mark.parametrize(("board", "params", "message"), [
    ("synthetik", {}, r"unknown BrainFlow board 'synthetik'; known: playback, streaming, "
                      r"synthetic, cyton"),
    (99999, {}, "unknown BrainFlow board 99999"),
    ("synthetic", {"serial": "/dev/ttyUSB0"},
     r"brainflow:synthetic: unknown parameter\(s\) \['serial'\]; known: serial_port, "),
    ("cyton", {"ip_port": "80x"}, r"brainflow:cyton: ip_port='80x': expected a whole number"),
    ("cyton", {"ip_port": 70000}, "ip_port=70000: expected a whole number 0-65535"),
    ("cyton", {"timeout": True}, "timeout=True: expected a whole number"),
    ("cyton", {"ip_protocol": "sctp"}, "ip_protocol='sctp': expected one of"),
    ("cyton", {"serial_port": 3}, "serial_port=3: expected text"),
    ("synthetic", {"master_board": "cyton"}, "master_board .* is only for playback"),
    ("playback", {"file": "x.csv"}, r"brainflow:playback: master_board .* is needed"),
    ("playback", {"master_board": "playback", "file": "x"}, "must be a real board"),
    ("playback", {"master_board": "synthetik"}, "unknown BrainFlow board 'synthetik'"),
    ("playback", {"master_board": "synthetic"}, "needs file=PATH"),
    ("shimmer3", {}, "board shimmer3 has no EEG or EMG channels"),
])
def test_unknown_boards_parameters_and_bad_values_are_named(board, params, message):
    with pytest.raises(ValueError, match=message):
        BrainFlowSource(board, **params)


def test_board_names_ids_and_the_list_of_boards():
    assert board_id("synthetic") == board_id("SYNTHETIC_BOARD") == board_id("-1") == -1
    assert board_id("Cyton") == board_id(0) == 0 and board_id("cyton_daisy") == 2
    assert board_id("playback") == board_id("playback_file") == -3
    boards = {b["name"]: b for b in list_boards()}
    assert boards["synthetic"] == {"name": "synthetic", "id": -1, "device": "Synthetic",
                                   "sfreq": 250.0, "n_eeg": 16, "n_channels": 16}
    assert boards["callibri_emg"]["n_eeg"] == 0 and boards["callibri_emg"]["n_channels"] == 1
    assert boards["cyton"]["n_channels"] == 8 and boards["cyton_daisy"]["sfreq"] == 125.0
    assert boards["playback"]["sfreq"] is None
    assert "shimmer3" not in boards  # no EEG or EMG
    assert all(board_id(name) == b["id"] for name, b in boards.items())


def test_parse_spec_splits_the_command_line_text():
    assert parse_spec("synthetic") == ("synthetic", {})
    assert parse_spec("cyton,serial_port=/dev/ttyUSB0") == ("cyton",
                                                            {"serial_port": "/dev/ttyUSB0"})
    assert parse_spec("playback,file=a=b.csv,master_board=synthetic")[1] == {
        "file": "a=b.csv", "master_board": "synthetic"}
    for bad, message in ((",x=1", "no board named"), ("cyton,serial_port", "not key=value"),
                         ("cyton,a=1,a=2", "a given twice")):
        with pytest.raises(ValueError, match=message):
            parse_spec(bad)


def test_a_cyton_on_a_missing_serial_port_fails_in_one_line():
    with pytest.raises(BoardNotReady) as err:
        BrainFlowSource("cyton", serial_port="/dev/noir-no-such-port")
    message = str(err.value)
    assert isinstance(err.value, OSError) and "\n" not in message
    assert message.startswith("brainflow:cyton (serial_port='/dev/noir-no-such-port'): "
                              "cannot open the board: the port cannot be opened")
    assert err.value.__cause__ is None and err.value.__context__ is None
    with pytest.raises(BoardNotReady, match="cannot open the board: BrainFlow refuses"):
        BrainFlowSource("cyton")  # no port at all


def test_a_board_already_open_is_refused_and_the_open_one_keeps_streaming():
    with BrainFlowSource("synthetic") as first:
        with pytest.raises(BoardNotReady, match="already open in this process"):
            BrainFlowSource("synthetic")
        first.read(max_samples=1_000_000, timeout=1.0)
        _, stamps = first.read(max_samples=1_000_000, timeout=1.0)
        assert len(stamps)
    with BrainFlowSource("synthetic"):  # closed: it opens again
        pass


def _sine_raw(n_channels=3, seconds=2.0, sfreq=250.0):
    t = np.arange(round(seconds * sfreq)) / sfreq
    data = np.array([(i + 1) * 10e-6 * np.sin(2 * np.pi * (7.5 + i) * t)
                     for i in range(n_channels)])
    info = mne.create_info([f"S{i}" for i in range(n_channels)], sfreq, "eeg")
    return mne.io.RawArray(data, info, verbose="error")


def _play(file, master, n):
    """Stream ``file`` as ``master``; the samples, stamps, names and seconds it took."""
    start = time.monotonic()
    with BrainFlowSource("playback", file=str(file), master_board=master) as source:
        data, stamps = _read_n(source, n)
        took = time.monotonic() - start
        names = source.ch_names
        # the end of the file: the samples stop
        assert not len(source.read(max_samples=1_000_000, timeout=0.2)[1])
    return data, stamps, names, took


def test_a_sine_plays_back_sample_for_sample_in_real_time(tmp_path):
    raw = _sine_raw()
    file = write_playback(raw, tmp_path / "sine.csv", "synthetic")
    data, stamps, names, took = _play(file, "synthetic", raw.n_times)
    assert names == ["S0", "S1", "S2"]
    np.testing.assert_allclose(data, raw.get_data().T, rtol=1.2e-7, atol=1e-12)
    # the file's own time stamps (meas_date unset: from 0), in real time
    np.testing.assert_allclose(stamps, raw.times, atol=1e-6)
    assert 0.8 * 2.0 < took < 2.0 + 1.5


def test_a_real_recording_plays_back_with_its_channel_names(tmp_path):
    """An ssvep-exo window (8 channels, 256 Hz) played as a 256-Hz 8-channel board."""
    raw = mne.io.read_raw_fif(SAMPLE, preload=True, verbose="error").crop(10.0, 11.5,
                                                                         include_tmax=False)
    stamps = 1_700_000_000.0 + np.arange(raw.n_times) / 256.0
    file = write_playback(raw, tmp_path / "exo.csv", "crown", stamps=stamps)
    data, got_stamps, names, _ = _play(file, "crown", raw.n_times)
    assert names == ["Oz", "O1", "O2", "PO3", "POz", "PO7", "PO8", "PO4"]
    np.testing.assert_allclose(data, raw.get_data().T, rtol=1.2e-7, atol=1e-12)
    np.testing.assert_allclose(got_stamps, stamps, atol=1e-6)


def test_samples_lost_or_repeated_on_the_way_are_counted_by_their_numbers(tmp_path):
    file = write_playback(_sine_raw(seconds=0.6), tmp_path / "s.csv", "synthetic")
    lines = file.read_text().splitlines(keepends=True)
    # 3 samples lost after sample 49, sample 100 twice (numbers 0-255 wrap at 256)
    file.write_text("".join(lines[:50] + lines[53:101] + lines[100:]))
    with BrainFlowSource("playback", file=str(file), master_board="synthetic") as source:
        _, stamps = _read_n(source, 50)
        with pytest.raises(StreamPaused, match="sample numbers skip 3 samples"):
            _read_n(source, 150 - 3 + 1 - 50)  # the read that holds the gap is refused
    assert source.n_lost == 3
    crown = write_playback(_sine_raw(seconds=0.2, sfreq=256.0), tmp_path / "c.csv", "crown")
    with BrainFlowSource("playback", file=str(crown), master_board="crown") as other:
        assert other.n_lost is None  # a board that does not number each sample


def test_without_a_sidecar_a_playback_file_has_the_boards_channels(tmp_path):
    file = write_playback(_sine_raw(seconds=0.2), tmp_path / "s.csv", "synthetic")
    Path(f"{file}.json").unlink()
    with BrainFlowSource("playback", file=str(file), master_board="synthetic") as source:
        assert len(source.ch_names) == 16 and source.ch_names[0] == "Fz"


def test_write_playback_refuses_what_the_board_cannot_play(tmp_path):
    with pytest.raises(ValueError, match="at 256 Hz, board synthetic at 250 Hz: resample"):
        write_playback(_sine_raw(sfreq=256.0), tmp_path / "a.csv", "synthetic")
    with pytest.raises(ValueError, match="9 channels; board cyton has 8 EEG channels"):
        write_playback(_sine_raw(n_channels=9), tmp_path / "a.csv", "cyton")
    bad = _sine_raw()
    bad._data[1, 5] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        write_playback(bad, tmp_path / "a.csv", "synthetic")
    with pytest.raises(ValueError, match="expected 500 finite rising time stamps"):
        write_playback(_sine_raw(), tmp_path / "a.csv", "synthetic", stamps=np.zeros(500))
    with pytest.raises(ValueError, match="not playback"):
        write_playback(_sine_raw(), tmp_path / "a.csv", "playback")


@pytest.mark.parametrize(("change", "message"), [
    ({"board": "cyton"}, "written for board 'cyton' at 250.0 Hz, played as 'synthetic'"),
    ({"extra": 1}, "expected a JSON object with exactly"),
    ({"ch_names": ["S0", "S0"]}, "1-16 unique non-empty names"),
    ({"ch_names": [f"E{i}" for i in range(17)]}, "1-16 unique non-empty names"),
    (None, "not a readable playback sidecar"),
])
def test_a_bad_playback_sidecar_is_named(tmp_path, change, message):
    file = write_playback(_sine_raw(seconds=0.2), tmp_path / "s.csv", "synthetic")
    sidecar = Path(f"{file}.json")
    meta = json.loads(sidecar.read_text())
    sidecar.write_text("{" if change is None else json.dumps(meta | change))
    with pytest.raises(ValueError, match=message):
        BrainFlowSource("playback", file=str(file), master_board="synthetic")


def test_a_missing_playback_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="playback file .*nope.csv' not found"):
        BrainFlowSource("playback", file=str(tmp_path / "nope.csv"), master_board="synthetic")


def test_a_stream_operator_reads_checked_annotated_windows_from_a_playback_board(tmp_path):
    raw = _sine_raw(seconds=3.0)
    file = write_playback(raw, tmp_path / "sine.csv", "synthetic")
    operator = StreamOperator(BrainFlowSource("playback", file=str(file),
                                              master_board="synthetic"), stall=0.5)
    try:
        window = operator.eeg([Cue("rest", 0.4), Cue("ssvep", 0.6, 7.5)], "what")
    finally:
        operator.close()
    assert window.ch_names == ["S0", "S1", "S2"] and window.n_times == 250
    assert list(window.annotations.description) == ["rest", "ssvep/7.5"]
    stamps = window.info["temp"]["stamps"]
    # a window of consecutive recorded samples, from where the stream was when the cue came
    first = round(stamps[0] * 250)
    np.testing.assert_allclose(stamps, raw.times[first:first + 250], atol=1e-6)
    np.testing.assert_allclose(window.get_data(), raw.get_data()[:, first:first + 250],
                               rtol=1.2e-7, atol=1e-12)
    # the cue's marker (its first cue: rest) on the window's first sample, or the one after it
    # if the board sent a sample between the drop of stale samples and the marker
    assert [code for _, code in operator.source.markers] == [MARKER_CODES["rest"]]
    assert operator.source.markers[0][0] in stamps[:2]


def test_a_stream_operator_reads_the_synthetic_board_despite_its_stamp_jitter():
    """BrainFlow stamps samples as it reads them in (steps of up to ~30 ms in bursts): the
    windows pass the stream checks; lost samples are found by the sample numbers instead."""
    operator = StreamOperator(BrainFlowSource("synthetic"))
    try:
        for _ in range(4):
            raw = operator.eeg([Cue("rest", 1.0)], "what")
            assert raw.n_times == 250
        assert operator.source.n_lost == 0
    finally:
        operator.close()


def test_a_session_playback_reads_only_files_the_record_lists(tmp_path):
    """An event that names an EEG header outside the record is refused, never read."""
    import shutil

    from noir.board import write_session_playback
    from noir.session import CorruptRecord, write_manifest

    sample = sorted(p for p in (Path(__file__).parents[1] / "noir" / "sample_sessions").iterdir()
                    if p.is_dir())[0]
    record = tmp_path / "record"
    shutil.copytree(sample, record)
    events = re.sub(r'"header": "eeg(-2)?\.vhdr"', '"header": "../eeg.vhdr"',
                    (record / "events.jsonl").read_text())
    (record / "events.jsonl").write_text(events)
    (record / "manifest.json").unlink()
    write_manifest(record)  # re-signed: the manifest itself is fine
    with pytest.raises(CorruptRecord, match=r"\.\./eeg\.vhdr"):
        write_session_playback(record, tmp_path / "out.csv")
