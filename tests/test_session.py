"""Session records: events are flushed as they happen, nothing recorded is overwritten."""

import json

import mne
import numpy as np
import pytest
from PIL import Image

from noir.eeg_writer import BrainVisionWriter, read_recording
from noir.session import CorruptRecord, SessionClock, SessionRecorder, read_events


def test_events_are_flushed_line_by_line(tmp_path):
    clock = SessionClock()
    recorder = SessionRecorder(tmp_path / "run", clock)
    recorder.event("stage", stage="what")
    clock.advance(2.5)
    recorder.event("decision", scores={"cube": np.float64(0.4)}, arr=np.arange(2))
    # read while the recorder is still open: both lines are already on disk
    events = read_events(tmp_path / "run")
    assert [e["event"] for e in events] == ["stage", "decision"]
    assert events[1]["t"] == 2.5
    assert events[1]["scores"] == {"cube": 0.4}
    assert events[1]["arr"] == [0, 1]
    recorder.close()


def test_frame_eeg_and_summary_round_trip(tmp_path):
    recorder = SessionRecorder(tmp_path / "run", SessionClock())
    rgb = np.zeros((240, 360, 3), np.uint8)
    rgb[:, :180, 0] = 255
    path = recorder.frame("000-start", rgb)
    assert np.array_equal(np.asarray(Image.open(path)), rgb)
    info = mne.create_info(["Oz", "O1"], 256.0, "eeg")
    raw = mne.io.RawArray(np.random.default_rng(0).normal(size=(2, 512)) * 1e-5, info,
                          verbose="error")
    raw.set_annotations(mne.Annotations([0.5], [1.0], ["ssvep/7.5"]))
    assert recorder.eeg(raw) == {"header": "eeg.vhdr", "start": 0, "n": 512}
    assert recorder.eeg(raw) == {"header": "eeg.vhdr", "start": 512, "n": 512}
    other = mne.io.RawArray(np.zeros((1, 160)), mne.create_info(["C3"], 160.0, "eeg"),
                            verbose="error")
    assert recorder.eeg(other)["header"] == "eeg-2.vhdr"
    back = read_recording(tmp_path / "run" / "eeg.vhdr")
    np.testing.assert_allclose(back.get_data(), np.tile(raw.get_data(), 2), atol=1e-12)
    assert list(back.annotations.onset) == [0.5, 2.5]
    assert set(back.annotations.description) == {"ssvep/7.5"}
    assert recorder.eeg_headers == ["eeg.vhdr", "eeg-2.vhdr"]
    summary = json.loads(recorder.summary({"success": True}).read_text())
    assert summary == {"success": True}
    frames = [e for e in read_events(tmp_path / "run") if e["event"] == "frame"]
    assert [e["path"] for e in frames] == ["frames/000-start.png"]


def test_existing_record_is_never_overwritten(tmp_path):
    recorder = SessionRecorder(tmp_path / "run", SessionClock())
    recorder.event("x")
    recorder.close()
    with pytest.raises(FileExistsError, match="already holds files"):
        SessionRecorder(tmp_path / "run", SessionClock())
    assert SessionRecorder.new_folder(tmp_path, "a") != SessionRecorder.new_folder(tmp_path, "b")


def test_corrupt_event_log_names_file_and_line(tmp_path):
    (tmp_path / "events.jsonl").write_text('{"event": "a", "t": 0}\n{"event": \n')
    with pytest.raises(ValueError, match=r"events.jsonl, line 2"):
        read_events(tmp_path)
    with pytest.raises(FileNotFoundError, match="session folder"):
        read_events(tmp_path / "missing")


@pytest.mark.parametrize(("line", "message"), [
    ("null", "expected a JSON object, got null"),
    ("[1, 2]", "expected a JSON object, got list"),
    ('{"t": 1.0}', "a string 'event' and a finite number 't'"),
    ('{"event": "a", "t": "now"}', "a string 'event' and a finite number 't'"),
    ('{"event": "a", "t": NaN}', "a string 'event' and a finite number 't'"),
    ("[" * 100000, "not a JSON object"),
])
def test_event_lines_must_be_events(tmp_path, line, message):
    (tmp_path / "events.jsonl").write_text('{"event": "a", "t": 0}\n' + line + "\n")
    with pytest.raises(CorruptRecord, match=rf"events.jsonl, line 2: .*{message}"):
        read_events(tmp_path)
    (tmp_path / "events.jsonl").write_bytes(b'{"event": "\xff", "t": 0}\n')
    with pytest.raises(CorruptRecord, match="events.jsonl: not UTF-8"):
        read_events(tmp_path)


def _recording(folder, data):
    info = mne.create_info(["Oz", "O1"], 100.0, "eeg")
    writer = BrainVisionWriter(folder, info.ch_names, 100.0)
    writer.append(mne.io.RawArray(data, info, verbose="error"))
    writer.close()
    return folder / "eeg.vhdr"


def test_read_recording_refuses_what_the_writer_does_not_write(tmp_path):
    header = _recording(tmp_path, np.ones((2, 50)) * 1e-6)
    assert read_recording(header).n_times == 50
    original = header.read_text()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    for line, bad in [("DataFile=eeg.eeg", f"DataFile={tmp_path}/eeg.eeg"),
                      ("DataFile=eeg.eeg", "DataFile=../eeg.eeg"),
                      ("MarkerFile=eeg.vmrk", "MarkerFile=/etc/hostname"),
                      ("BinaryFormat=IEEE_FLOAT_32", "BinaryFormat=INT_16")]:
        header.write_text(original.replace(line, bad))
        with pytest.raises(ValueError, match=r"eeg.vhdr: \w+=.*expected"):
            read_recording(header)
    header.write_bytes(b"\xff\xfe\x00binary")
    with pytest.raises(ValueError, match="eeg.vhdr: not a text BrainVision header"):
        read_recording(header)
    header.write_text(original.replace("SamplingInterval=10000.0", "SamplingInterval=0"))
    with pytest.raises(ValueError, match="eeg.vhdr: not a readable BrainVision recording"):
        read_recording(header)
    nan = _recording(outside, np.full((2, 10), np.nan))
    with pytest.raises(ValueError, match="non-finite samples"):
        read_recording(nan)


def test_clock_refuses_to_go_back():
    with pytest.raises(ValueError, match="expected >= 0"):
        SessionClock().advance(-1)
