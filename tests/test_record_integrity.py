"""Session records carry SHA-256 digests; replay refuses any damaged, tampered or foreign record.

Every case starts from the shipped sample session (a real, complete record) and changes one
thing. Records are "resealed" (their manifest rewritten) where the change must be caught by the
checks behind the digests, as a stranger crafting a record would do.
"""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from noir.cli import app
from noir.eeg_writer import read_recording
from noir.replay import load_record, redecode, replay_session
from noir.session import (
    MANIFEST,
    CorruptRecord,
    SessionClock,
    SessionRecorder,
    read_events,
    sha256_file,
    verify_record,
    write_manifest,
)

SAMPLE = Path(__file__).resolve().parents[1] / "noir" / "sample_sessions" / \
    "cube_in_tray-recorded-seed0"
runner = CliRunner()


@pytest.fixture
def record(tmp_path):
    """A private copy of the sample session."""
    return Path(shutil.copytree(SAMPLE, tmp_path / "record"))


def replay_cli(folder, tmp_path, *extra):
    """Exit code and stderr of ``noir replay folder``."""
    result = runner.invoke(app, ["replay", str(folder), "--out", str(tmp_path / "out"), *extra])
    return result.exit_code, result.stderr


def edit_events(folder, line, change):
    """Apply ``change`` to the event on 1-based ``line`` of events.jsonl (returns it)."""
    path = folder / "events.jsonl"
    lines = path.read_text().splitlines()
    lines[line - 1] = change(lines[line - 1])
    path.write_text("\n".join(lines) + "\n")


def first_line(folder, kind, **match):
    """1-based line of the first event of ``kind`` with the fields in ``match``."""
    for number, line in enumerate((folder / "events.jsonl").read_text().splitlines(), 1):
        event = json.loads(line)
        if event["event"] == kind and all(event.get(k) == v for k, v in match.items()):
            return number
    raise AssertionError(f"no {kind} event in {folder}")


def set_field(folder, line, path, value):
    """Set a (nested) field of the event on ``line``; ``path`` is a tuple of keys."""
    def change(text):
        event = json.loads(text)
        target = event
        for key in path[:-1]:
            target = target[key]
        if value is DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value
        return json.dumps(event)
    edit_events(folder, line, change)


DELETE = object()


def test_closing_a_session_writes_the_digest_of_every_file(tmp_path):
    recorder = SessionRecorder(tmp_path / "run", SessionClock())
    recorder.event("x")
    recorder.frame("000", np.zeros((4, 4, 3)))
    (tmp_path / "run" / "calibration").mkdir()
    (tmp_path / "run" / "calibration" / "a.json").write_text("{}")
    assert not (tmp_path / "run" / MANIFEST).exists()  # written when the session closes
    recorder.close()
    manifest = json.loads((tmp_path / "run" / MANIFEST).read_text())
    assert manifest["format"] == "noir-session-manifest/1"
    assert set(manifest["sha256"]) == {"events.jsonl", "frames/000.png", "calibration/a.json"}
    for rel, digest in manifest["sha256"].items():
        assert sha256_file(tmp_path / "run" / rel) == digest
    assert verify_record(tmp_path / "run") == set(manifest["sha256"])
    # the known SHA-256 of "{}" (ground truth from the standard)
    assert manifest["sha256"]["calibration/a.json"] == \
        "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"


def test_the_sample_session_verifies_and_loads():
    assert "events.jsonl" in verify_record(SAMPLE)
    record = load_record(SAMPLE)
    assert record.events[-1]["event"] == "task_end"
    assert set(record.streams) == {"eeg.vhdr", "eeg-2.vhdr"}


@pytest.mark.parametrize("target", ["eeg.eeg", "events.jsonl", "calibration/mi.skops",
                                    "frames/001-pick-cube.png", "summary.json"])
def test_a_changed_byte_anywhere_is_caught_by_its_digest(record, tmp_path, target):
    path = record / target
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    code, err = replay_cli(record, tmp_path)
    assert code == 2
    assert target in err and "SHA-256" in err
    assert len(err.strip().splitlines()) == 1


def test_added_missing_and_linked_files_are_refused(record, tmp_path):
    (record / "notes.txt").write_text("hi")
    code, err = replay_cli(record, tmp_path)
    assert code == 2 and "notes.txt is not listed" in err
    (record / "notes.txt").unlink()

    (record / "frames" / "000-start.png").unlink()
    code, err = replay_cli(record, tmp_path)
    assert code == 2 and "000-start.png is listed" in err and "missing" in err
    shutil.copy(SAMPLE / "frames" / "000-start.png", record / "frames")

    # a listed file replaced by a link to an identical file elsewhere: same bytes, refused
    (record / "eeg.eeg").unlink()
    (record / "eeg.eeg").symlink_to(SAMPLE / "eeg.eeg")
    code, err = replay_cli(record, tmp_path)
    assert code == 2 and "eeg.eeg is a symbolic link" in err


@pytest.mark.parametrize("manifest", [
    "not json", "null", "[]", '{"format": "other", "sha256": {}}',
    '{"format": "noir-session-manifest/1", "sha256": {"../events.jsonl": "' + "0" * 64 + '"}}',
    '{"format": "noir-session-manifest/1", "sha256": {"events.jsonl": 5}}',
])
def test_a_malformed_manifest_is_refused(record, tmp_path, manifest):
    (record / MANIFEST).write_text(manifest)
    code, err = replay_cli(record, tmp_path)
    assert code == 2 and MANIFEST in err


@pytest.mark.parametrize("line", ["null", "[1, 2]", '"text"', "5"])
def test_an_event_line_that_is_not_an_object_is_corrupt(record, tmp_path, line):
    edit_events(record, 3, lambda _: line)
    write_manifest(record)
    code, err = replay_cli(record, tmp_path)
    assert code == 2
    assert "events.jsonl, line 3: expected a JSON object" in err


def test_a_text_header_is_corrupt(record, tmp_path):
    (record / "eeg.vhdr").write_text("hello, I am not a BrainVision header\n")
    write_manifest(record)
    code, err = replay_cli(record, tmp_path)
    assert code == 2 and "eeg.vhdr: not a BrainVision header" in err
    with pytest.raises(ValueError, match="eeg.vhdr: not a BrainVision header"):
        read_recording(record / "eeg.vhdr")


@pytest.mark.parametrize("data_file", ["/etc/hostname", "../eeg.eeg", "eeg-2.eeg"])
def test_a_header_pointing_at_other_data_is_corrupt(record, tmp_path, data_file):
    header = record / "eeg.vhdr"
    header.write_text(header.read_text().replace("DataFile=eeg.eeg", f"DataFile={data_file}"))
    write_manifest(record)
    code, err = replay_cli(record, tmp_path)
    assert code == 2 and "eeg.vhdr: DataFile=" in err and "expected 'eeg.eeg'" in err


@pytest.mark.parametrize("header", ["eeg-9.vhdr", "eeg-2.vhdr", 5, None, "summary.json"])
def test_a_tampered_header_field_is_corrupt(record, tmp_path, header):
    line = first_line(record, "decision", stage="what")
    set_field(record, line, ("eeg", "header"), header)
    write_manifest(record)
    code, err = replay_cli(record, tmp_path)
    assert code == 2 and f"events.jsonl, line {line}" in err


def test_an_absolute_header_cannot_make_replay_read_eeg_outside_the_record(record, tmp_path):
    """Found: replay read EEG from the absolute path and reported 'identical'."""
    outside = Path(shutil.copytree(SAMPLE, tmp_path / "outside"))
    for line in (first_line(record, "eeg_stream"), first_line(record, "decision", stage="what")):
        event = json.loads((record / "events.jsonl").read_text().splitlines()[line - 1])
        key = ("header",) if event["event"] == "eeg_stream" else ("eeg", "header")
        set_field(record, line, key, str(outside / "eeg.vhdr"))
    write_manifest(record)
    code, err = replay_cli(record, tmp_path)
    assert code == 2
    assert "expected a relative path inside the session folder" in err
    for name in ("../outside/eeg.vhdr", "./eeg.vhdr", "frames/../eeg.vhdr"):
        set_field(record, first_line(record, "eeg_stream"), ("header",), name)
        write_manifest(record)
        assert replay_cli(record, tmp_path)[0] == 2


def test_a_header_linking_outside_the_record_is_corrupt(record, tmp_path):
    (record / "frames" / "link.vhdr").symlink_to(SAMPLE / "eeg.vhdr")
    code, err = replay_cli(record, tmp_path)
    assert code == 2 and "link.vhdr is a symbolic link" in err


def test_a_truncated_eeg_file_is_corrupt_not_diverged(record, tmp_path):
    """Found: a truncated eeg.eeg was reported as 'diverged' (exit 1)."""
    data = (record / "eeg-2.eeg").read_bytes()
    (record / "eeg-2.eeg").write_bytes(data[:len(data) // 2])
    code, err = replay_cli(record, tmp_path)
    assert code == 2 and "eeg-2.eeg does not match its SHA-256" in err
    write_manifest(record)  # resealed: the windows the events name are not all there
    code, err = replay_cli(record, tmp_path)
    assert code == 2 and "the EEG is truncated" in err and "eeg-2.vhdr" in err
    (record / "eeg-2.eeg").write_bytes(data[:-3])  # cut inside the last sample
    write_manifest(record)
    code, err = replay_cli(record, tmp_path)
    assert code == 2 and "eeg-2.eeg" in err and "not a whole number of samples" in err


def test_a_marker_file_without_the_windows_cues_is_corrupt(record, tmp_path):
    """Found by fuzzing: a cut .vmrk made replay report 'diverged' instead of corrupt."""
    last = max(e["eeg"]["start"] for e in read_events(record)
               if "eeg" in e and e["eeg"]["header"] == "eeg.vhdr")
    markers = (record / "eeg.vmrk").read_text().splitlines()
    kept = [m for m in markers  # the last window's cues are lost (positions count from 1)
            if not m.startswith("Mk") or int(m.split(",")[2]) <= last]
    assert len(kept) < len(markers)
    (record / "eeg.vmrk").write_text("\n".join(kept) + "\n")
    write_manifest(record)
    code, err = replay_cli(record, tmp_path)
    assert code == 2 and "eeg.vhdr has no cue marker in samples" in err


def test_a_number_too_long_for_python_is_corrupt(record, tmp_path):
    """Found by fuzzing: a 5000-digit integer (beyond Python's int() limit of 4300 digits) in
    events.jsonl or manifest.json escaped as a bare ValueError that named no file."""
    set_field(record, 1, ("seed",), 12345)
    log = record / "events.jsonl"
    log.write_text(log.read_text().replace('"seed": 12345', '"seed": ' + "9" * 5000))
    write_manifest(record)
    with pytest.raises(CorruptRecord, match=r"events.jsonl, line 1: not a JSON object "
                                            r"\(Exceeds the limit \(4300 digits\)"):
        load_record(record)
    code, err = replay_cli(record, tmp_path)
    assert code == 2 and "events.jsonl, line 1" in err
    manifest = record / MANIFEST
    manifest.write_text(manifest.read_text().replace('"sha256": {',
                                                     f'"n": {"9" * 5000}, "sha256": {{'))
    with pytest.raises(CorruptRecord, match=r"manifest.json: not a JSON manifest"):
        load_record(record)


BAD_FIELDS = [
    ("decision", {"stage": "what"}, ("label",), 5),
    ("decision", {"stage": "what"}, ("intended",), 5),
    ("confirm", {"stage": "what"}, ("wanted_reject",), "yes"),
    ("where", {}, ("target_px",), ["left", 3]),
    ("decision", {"stage": "what"}, ("eeg",), None),
    ("decision", {"stage": "what"}, ("eeg", "start"), "0"),
    ("decision", {"stage": "what"}, ("eeg", "start"), -1),
    ("decision", {"stage": "what"}, ("eeg", "n"), 0),
    ("decision", {"stage": "how"}, ("stage",), "where"),
    ("confirm", {"stage": "what"}, ("clench",), 1),
    ("cursor_glide", {}, ("clench_at",), "soon"),
    ("skill_end", {}, ("clench_at",), float("nan")),
    ("stage", {"stage": "what"}, ("candidates",), ["cube"]),
    ("stage", {"stage": "what"}, ("candidates", "cube"), "13 Hz"),
    ("stage", {"stage": "how"}, ("options",), None),
    ("stage", {"stage": "how"}, ("options",), {"tongue": "pick"}),
    ("eeg_stream", {}, ("channels",), []),
    ("eeg_stream", {}, ("sfreq",), 0),
    ("eeg_stream", {}, ("channels",), ["Oz", "O1"]),
    ("frame", {}, ("path",), "/etc/hostname"),
    ("frame", {}, ("path",), "frames/999.png"),
    ("task_end", {}, ("success",), "yes"),
    ("session_start", {}, ("seed",), -1),
    ("session_start", {}, ("seed",), 0.5),
    ("session_start", {}, ("task",), "os:system"),
    ("session_start", {}, ("config", "ssvep_window"), "ten"),
    ("session_start", {}, ("config", "ssvep_freqs"), [13.0, None]),
    ("session_start", {}, ("config", "learning"), "no"),
    ("session_start", {}, ("config", "encoder"), "os:system"),
    ("session_start", {}, ("config", "mi_decoder"), "bert"),
    ("session_start", {}, ("t",), "0"),
    ("session_start", {}, ("event",), 7),
]


@pytest.mark.parametrize(("kind", "match", "path", "value"), BAD_FIELDS,
                         ids=[f"{k}-{'.'.join(p)}-{v!r}" for k, _, p, v in BAD_FIELDS])
def test_events_with_missing_or_wrong_typed_fields_are_corrupt(record, tmp_path, kind, match,
                                                               path, value):
    line = first_line(record, kind, **match)
    set_field(record, line, path, value)
    write_manifest(record)
    with pytest.raises(CorruptRecord, match=rf"events.jsonl, line {line}: "):
        load_record(record)
    code, err = replay_cli(record, tmp_path)
    assert code == 2 and f"events.jsonl, line {line}" in err
    assert len(err.strip().splitlines()) == 1


def test_a_folder_that_is_not_a_record_is_refused(record, tmp_path):
    (tmp_path / "empty").mkdir()
    code, err = replay_cli(tmp_path / "empty", tmp_path)
    assert code == 2 and "is not a session record" in err
    code, err = replay_cli(tmp_path / "missing", tmp_path)
    assert code == 2 and "missing not found" in err
    (record / "events.jsonl").unlink()
    write_manifest(record)
    code, err = replay_cli(record, tmp_path)
    assert code == 2 and "events.jsonl not found" in err


def test_a_record_without_task_end_is_a_truncated_record(record, tmp_path):
    """A killed session: no task_end, no manifest."""
    lines = (record / "events.jsonl").read_text().splitlines()
    (record / "events.jsonl").write_text("\n".join(lines[:12]) + "\n")
    (record / MANIFEST).unlink()
    code, err = replay_cli(record, tmp_path)
    assert code == 2
    assert "truncated record" in err and "no manifest.json" in err and "before task_end" in err
    write_manifest(record)  # closed without task_end (the loop never finished)
    code, err = replay_cli(record, tmp_path)
    assert code == 2 and "truncated record" in err and "before task_end" in err


@pytest.mark.parametrize(("target", "content", "message"), [
    ("calibration/mi.skops", b"PK\x03\x04 not a zip", "mi.skops"),
    ("calibration/mi.skops", None, "mi.skops holds a MuscleTensionDetector"),
    ("calibration/calibration.json", b'{"mi_accuracy": "high", "emg_accuracy": 1}',
     "calibration.json: expected an object"),
    ("calibration/calibration.json", b"[", "calibration.json: not a JSON"),
    ("calibration/calibration-mi.vhdr", b"\xff\xfe binary", "calibration-mi.vhdr: not a text"),
])
def test_a_bad_calibration_file_is_corrupt_and_named(record, tmp_path, target, content,
                                                     message):
    path = record / target
    if content is None:  # a valid decoder file of the wrong kind
        shutil.copy(record / "calibration" / "emg.skops", path)
    else:
        path.write_bytes(content)
    write_manifest(record)
    code, err = replay_cli(record, tmp_path)
    assert code == 2 and message in err
    assert len(err.strip().splitlines()) == 1
    if target.endswith("mi.skops") or target.endswith("calibration.json"):
        code, err = replay_cli(record, tmp_path, "--decoder", "mi=csp_lda")
        assert code == 2 and message in err


def test_a_bad_user_model_is_corrupt_and_named(record, tmp_path):
    """A learning session's assistant/ folder is loaded through Assistant.load."""
    set_field(record, 1, ("config", "learning"), True)
    (record / "assistant").mkdir()
    (record / "assistant" / "assistant.json").write_text(
        '{"encoder": "no_such_module:factory", "mode": 1}')
    write_manifest(record)
    code, err = replay_cli(record, tmp_path)
    assert code == 2 and "assistant" in err
    assert len(err.strip().splitlines()) == 1


def test_redecode_follows_the_same_rules(record, tmp_path):
    line = first_line(record, "decision", stage="how")
    set_field(record, line, ("eeg", "header"), str(SAMPLE / "eeg-2.vhdr"))
    with pytest.raises(CorruptRecord, match="events.jsonl does not match its SHA-256"):
        redecode(record, ssvep="cca")
    write_manifest(record)
    code, err = replay_cli(record, tmp_path, "--decoder", "ssvep=cca")
    assert code == 2 and f"events.jsonl, line {line}" in err


def test_a_changed_decision_is_a_divergence_not_corruption(record, tmp_path):
    """A consistent record whose decisions the replay does not reproduce: exit 1."""
    line = first_line(record, "decision", stage="what")
    set_field(record, line, ("label",), "tray")
    write_manifest(record)
    code, _ = replay_cli(record, tmp_path)
    assert code == 1
    _, _, comparison = replay_session(record, out=tmp_path / "api")
    assert comparison["identical"] is False


def test_the_replay_may_not_write_inside_the_record(record):
    code, err = replay_cli(record, record)
    assert code == 2 and "lies inside the session folder" in err
    verify_record(record)  # nothing was added
