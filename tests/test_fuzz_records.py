"""Fuzz: session records × corruptions (issue 11).

Every case copies the shipped sample session and damages it: a file truncated, bytes flipped
or inserted, NaN samples written into the EEG, a field of an event changed to another type or
to another path (absolute, "..", other files of the record), event lines dropped or moved,
header and marker fields changed, the manifest edited, files added, removed or replaced.
Half the cases are "resealed" (the manifest rewritten to match), as a stranger crafting a
record would do, so that the checks behind the digests are reached.

The contract (``noir.replay.load_record``): a :class:`noir.session.CorruptRecord` naming the
record, or a record that loads, with finite EEG and, unless resealed, unchanged bytes —
never another exception type, a hang or NaN data loaded silently. A few cases run the whole
``noir replay`` through the CLI: exit 0, 1 or 2, a one-line message, never a traceback.
"""

from __future__ import annotations

import json
import re
import shutil
import struct
import tempfile
from pathlib import Path

import numpy as np
import pytest
from _fuzz import NUMBER, byte_damage, case, fuzz_settings, key_paths
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from noir.cli import app
from noir.replay import load_record
from noir.session import MANIFEST, CorruptRecord, write_manifest

SAMPLE = Path(__file__).resolve().parents[1] / "noir" / "sample_sessions" / \
    "cube_in_tray-recorded-seed0"
FILES = sorted(p.relative_to(SAMPLE).as_posix() for p in SAMPLE.rglob("*") if p.is_file())
TEXT_FILES = [f for f in FILES if f.endswith((".vhdr", ".vmrk"))]
EEG_FILES = [f for f in FILES if f.endswith(".eeg")]
READ_BY_LOAD = ["events.jsonl", MANIFEST, "eeg.vhdr", "eeg.vmrk", "eeg.eeg", "eeg-2.vhdr",
                "eeg-2.vmrk", "eeg-2.eeg"]
"""The files :func:`load_record` reads (the others only through their digests)."""
EVENTS = [json.loads(line) for line in (SAMPLE / "events.jsonl").read_text().splitlines()]
OUTSIDE = Path(tempfile.gettempdir()) / "noir-fuzz-outside"
"""A path outside any record (absolute path fields point here and at system files)."""

PATHS = ["", ".", "..", "/", "/etc/hostname", "/etc/passwd", str(OUTSIDE / "eeg.vhdr"),
         str(SAMPLE / "eeg.vhdr"), "../eeg.vhdr", "./eeg.vhdr", "frames/../eeg.vhdr",
         "eeg.vhdr", "eeg-2.vhdr", "eeg.eeg", "eeg.vmrk", "eeg-3.vhdr", "summary.json",
         MANIFEST, "events.jsonl", "frames", "frames/", "frames/000-start.png",
         "calibration/mi.skops", "calibration/calibration-mi.vhdr", "eeg.vhdr/",
         "eeg\\vhdr", "eeg.vhdr\x00", "C:\\eeg.vhdr", "~/eeg.vhdr", "eeg.vhdr " * 40,
         "os:system", "fuzz_sentinel_payload:run"]
"""Path-like values for path fields (and any other field)."""
VALUES = st.one_of(
    st.sampled_from(PATHS),
    st.sampled_from([None, True, False, 0, -1, 1, 3, 2**31, 2**64, 10**30, -10**30, 0.5, -0.0,
                     1e308, float("nan"), float("inf"), float("-inf"), [], {}, [None], [1, 2],
                     ["Oz", "O1"], {"header": "eeg.vhdr", "start": 0, "n": 1},
                     {"x": 0.1, "y": "left"}, {"left_hand": "pick"}, "what", "how", "where",
                     "intent", "decision", "task_end", "cube", "pick", "13", "cube_in_tray"]),
    st.integers(), st.floats(), st.text(max_size=6),
    st.lists(st.one_of(st.integers(), st.text(max_size=3)), max_size=3),
    st.dictionaries(st.text(max_size=3), st.one_of(st.integers(), st.text(max_size=3)),
                    max_size=2),
)
def _set(root, path: tuple, op: str, value):
    """``root`` with the item at ``path`` set to ``value``, deleted, or given a new key."""
    if not path:
        return value if op == "set" else root
    parent = root
    for key in path[:-1]:
        parent = parent[key]
    key = path[-1]
    if op == "delete":
        del parent[key]
    elif op == "add key" and isinstance(parent[key], dict):
        parent[key]["fuzz"] = value
    else:
        parent[key] = value
    return root


@st.composite
def json_edit(draw, document):
    """An edit of a JSON ``document``: a (nested) value set to another, deleted or added."""
    document = json.loads(json.dumps(document))
    path = draw(st.sampled_from(key_paths(document)))
    op = draw(st.sampled_from(["set", "set", "set", "delete", "add key"]))
    return _set(document, path, op, draw(VALUES))


PATH_FIELDS = [(i, path) for i, event in enumerate(EVENTS) for path in key_paths(event)
               if path[-1:] in (("header",), ("path",))]
"""(line index, key path) of every field of the sample's events that names a file."""


@st.composite
def corruption(draw, files: list[str] = FILES):
    """A description of one damage to a record and a function that applies it."""
    kind = draw(st.sampled_from(
        ["bytes", "bytes", "bytes", "nan samples", "event field", "event field",
         "path field", "path field", "event line", "event order", "header field",
         "long number", "manifest", "file"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    target = draw(st.sampled_from(files))
    if kind == "bytes":  # truncated, flipped, inserted...
        what, damaged = draw(byte_damage((SAMPLE / target).read_bytes()))

        def apply(folder):
            (folder / target).write_bytes(damaged)
        return f"{target}: {what}", apply
    if kind == "nan samples":
        eeg = draw(st.sampled_from(EEG_FILES))
        value = draw(st.sampled_from([float("nan"), float("inf"), -float("inf"), 3e38]))

        def apply(folder):
            data = bytearray((folder / eeg).read_bytes())
            at = 4 * int(rng.integers(len(data) // 4))
            data[at:at + 4] = struct.pack("<f", value)
            (folder / eeg).write_bytes(bytes(data))
        return f"a {value} sample in {eeg}", apply
    if kind in ("event field", "path field"):
        if kind == "path field":
            line, path = PATH_FIELDS[draw(st.integers(0, len(PATH_FIELDS) - 1))]
            event = _set(json.loads(json.dumps(EVENTS[line])), path, "set",
                         draw(st.one_of(st.sampled_from(PATHS), VALUES)))
        else:
            line = draw(st.integers(0, len(EVENTS) - 1))
            event = draw(json_edit(EVENTS[line]))

        def apply(folder):
            lines = (folder / "events.jsonl").read_text().splitlines()
            lines[line] = json.dumps(event)
            (folder / "events.jsonl").write_text("\n".join(lines) + "\n")
        return f"events.jsonl line {line + 1} -> {json.dumps(event)[:200]}", apply
    if kind == "event line":
        line = draw(st.integers(0, len(EVENTS) - 1))
        op = draw(st.sampled_from(["drop", "duplicate", "blank", "replace"]))
        text = json.dumps(draw(VALUES))

        def apply(folder):
            lines = (folder / "events.jsonl").read_text().splitlines()
            lines[line:line + 1] = {"drop": [], "duplicate": [lines[line]] * 2, "blank": [" "],
                                    "replace": [text]}[op]
            (folder / "events.jsonl").write_text("\n".join(lines) + "\n")
        return f"{op} events.jsonl line {line + 1} ({text[:40]})", apply
    if kind == "event order":
        a, b = (draw(st.integers(0, len(EVENTS) - 1)) for _ in range(2))

        def apply(folder):
            lines = (folder / "events.jsonl").read_text().splitlines()
            lines[a], lines[b] = lines[b], lines[a]
            (folder / "events.jsonl").write_text("\n".join(lines) + "\n")
        return f"swap events.jsonl lines {a + 1} and {b + 1}", apply
    if kind == "header field":
        text_file = draw(st.sampled_from(TEXT_FILES))
        value = draw(st.one_of(st.sampled_from(
            ["0", "-1", "1e400", "nan", "inf", "999999999999", "3.9e-300", "", "µV", "V", "BS",
             "Oz,,1,µV", "Oz,,nan,µV", "Oz,,1e400,µV", ",,,", "INT_16", "VECTORIZED",
             "Comment,rest,1,1,0", "Comment,rest,999999999,1,0", "Comment,rest,-5,1,0",
             "Comment,ssvep/13,1,-9,0", "Stimulus,S  1,1,1,0"] + PATHS),
            st.text(max_size=8)))

        def apply(folder):
            lines = (folder / text_file).read_text(encoding="utf-8").splitlines()
            fields = [i for i, line in enumerate(lines) if "=" in line] or [0]
            i = fields[int(rng.integers(len(fields)))]
            key = lines[i].split("=", 1)[0]
            lines[i] = f"{key}={value}"
            (folder / text_file).write_text("\n".join(lines) + "\n", encoding="utf-8")
        return f"{text_file}: a field -> {value!r}", apply
    if kind == "long number":  # Python's int() refuses more than 4300 digits
        text_file = draw(st.sampled_from([f for f in files if f.endswith((".json", ".jsonl",
                                                                           ".vhdr", ".vmrk"))]))

        def apply(folder):  # an integer, or a digest of the manifest, becomes 5000 nines
            data = (folder / text_file).read_bytes()
            numbers = [*NUMBER.finditer(data), *re.finditer(rb'"[0-9a-f]{64}"', data)]
            at = numbers[int(rng.integers(len(numbers)))]
            (folder / text_file).write_bytes(data[:at.start()] + b"9" * 5000 + data[at.end():])
        return f"a 5000-digit number in {text_file}", apply
    if kind == "manifest":
        manifest = json.loads((SAMPLE / MANIFEST).read_text())
        edited = draw(json_edit(manifest))

        def apply(folder):
            (folder / MANIFEST).write_text(json.dumps(edited))
        return f"manifest -> {json.dumps(edited)[:200]}", apply
    op = draw(st.sampled_from(["delete", "add", "folder", "link", "empty"]))

    def apply(folder):
        path = folder / target
        if op == "add":
            (folder / "frames" / "extra.png").write_bytes(b"\x89PNG")
            return
        path.unlink()
        if op == "folder":
            path.mkdir()
        elif op == "link":
            path.symlink_to(folder / FILES[int(rng.integers(len(FILES)))])
        elif op == "empty":
            path.write_bytes(b"")
    return f"{op} {target}", apply


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    """Where the damaged copies go; a header outside every record at :data:`OUTSIDE`."""
    OUTSIDE.mkdir(exist_ok=True)
    shutil.copy(SAMPLE / "eeg.vhdr", OUTSIDE / "eeg.vhdr")
    yield tmp_path_factory.mktemp("records")
    shutil.rmtree(OUTSIDE)


def _damaged(workdir: Path, damage, reseal: bool) -> Path:
    """A copy of the sample session with ``damage`` applied (and the manifest rewritten)."""
    folder = Path(tempfile.mkdtemp(dir=workdir)) / "record"
    shutil.copytree(SAMPLE, folder)
    damage(folder)
    if reseal and (folder / MANIFEST).is_file():
        write_manifest(folder)
    return folder


def _unchanged(folder: Path) -> bool:
    """Whether ``folder`` holds the files of the sample with the same bytes, and no other (the
    manifest with the same content: it is JSON, not hashed itself)."""
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))
    if files != sorted(p.relative_to(SAMPLE).as_posix() for p in SAMPLE.rglob("*")):
        return False
    try:
        manifest = json.loads((folder / MANIFEST).read_bytes())
    except ValueError:
        return False
    return manifest == json.loads((SAMPLE / MANIFEST).read_bytes()) and all(
        (folder / f).read_bytes() == (SAMPLE / f).read_bytes() for f in FILES if f != MANIFEST)


@fuzz_settings(max_examples=400)
@given(damage=corruption(READ_BY_LOAD + FILES), reseal=st.sampled_from([True, True, True, False]))
def test_load_record_refuses_or_loads_any_damaged_record(workdir, damage, reseal):
    what, apply = damage
    folder = _damaged(workdir, apply, reseal)
    with case("records: load_record", seconds=20):
        try:
            record = load_record(folder)
        except CorruptRecord as err:
            assert str(folder) in str(err), f"{what}: the message does not name the record: {err}"
            return
        assert reseal or _unchanged(folder), f"{what}: a changed record loaded"
        for header, raw in record.streams.items():
            assert np.isfinite(raw.get_data()).all(), f"{what}: NaN loaded from {header}"
        assert record.events[0]["event"] == "session_start"
        assert record.events[-1]["event"] == "task_end"
    shutil.rmtree(folder.parent)


@fuzz_settings(max_examples=14)
@given(damage=corruption(["events.jsonl", "eeg.vhdr", "eeg-2.vmrk", "summary.json",
                          "calibration/mi.skops", "calibration/emg.skops",
                          "calibration/calibration.json", "calibration/calibration-mi.vhdr",
                          "calibration/calibration-emg.vmrk", "calibration/calibration-mi.eeg"]))
def test_noir_replay_exits_0_1_or_2_on_any_damaged_record(workdir, damage):
    what, apply = damage
    folder = _damaged(workdir, apply, reseal=True)
    with case("records: noir replay (CLI)", seconds=60):
        result = CliRunner().invoke(app, ["replay", str(folder), "--out",
                                          str(folder.parent / "out")])
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        f"{what}: {type(result.exception).__name__}: {result.exception}"
    assert result.exit_code in (0, 1, 2), f"{what}: exit {result.exit_code}"
    if result.exit_code:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(("error: ", "replay diverged: ")), \
            f"{what}: {result.stderr}"
    shutil.rmtree(folder.parent)
