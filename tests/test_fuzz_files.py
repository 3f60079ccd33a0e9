"""Fuzz: files × corruptions (issue 11).

Decoder files (skops zips: bytes flipped, truncated or inserted; ``schema.json`` nodes given
other module/class names, node kinds, fields or ids), user models (``assistant.json`` fields,
``intents.npz``/``points.npz`` bytes and arrays, pickled objects among them), calibration
folders (every file), BrainVision recordings (``noir.eeg_writer.read_recording``) and the
recordings the ``file`` operator reads (FIF, BrainVision, EDF+: truncated, flipped, header
fields changed).

The contract: a ``ValueError`` or ``OSError`` whose message names the file, or a correct load
(an allowed decoder class; a user model; a calibration with finite recordings; an operator
with finite sources that serves a trial) — never another exception type, a hang or NaN data;
and a type or module named in a file never runs (the sentinel, ``os.system``).
"""

from __future__ import annotations

import io
import json
import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

import mne
import numpy as np
import pytest
from _fuzz import SENTINEL_MODULE, byte_damage, case, fuzz_settings, no_code_runs
from hypothesis import given
from hypothesis import strategies as st
from sklearn.base import BaseEstimator, clone
from test_decoder_guards import DECODERS, SSVEP_SFREQ, _good_data

from decoders.dynamic_stopping import MarginStopping
from decoders.io import DECODER_CLASSES, _nodes, load_decoder, save_decoder
from decoders.motor_imagery import FBCSPSVM
from decoders.ssvep import CCA
from noir import recorded
from noir.assist import Assistant
from noir.calibration import Calibration
from noir.config import LoopConfig
from noir.eeg_writer import BrainVisionWriter, read_recording
from noir.recorded import file_operator

SAMPLE = Path(__file__).resolve().parents[1] / "noir" / "sample_sessions" / \
    "cube_in_tray-recorded-seed0"
CALIBRATION = SAMPLE / "calibration"
CALIBRATION_FILES = sorted(p.name for p in CALIBRATION.iterdir())
TYPES = [("os", "system"), ("builtins", "eval"), ("builtins", "__import__"),
         (SENTINEL_MODULE, "run"), ("decoders.benchmark.pipelines", "import_object"),
         ("decoders.io", "load_decoder"), ("importlib", "import_module"), ("pickle", "loads"),
         ("numpy", "load"), ("subprocess", "Popen"), ("functools", "partial"),
         ("sklearn.preprocessing._function_transformer", "FunctionTransformer"),
         ("decoders.ssvep", "CCA"), ("decoders.emg", "MuscleTensionDetector"),
         ("sklearn.svm._classes", "SVC"), ("numpy", "float64"), ("numpy", "ndarray"),
         ("builtins", "dict"), ("builtins", "str"), ("builtins", "int"), ("builtins", "list"),
         ("decoders", "ssvep.CCA"), ("", ""), ("decoders.ssvep.CCA", "fit")]
"""(module, name) pairs a crafted decoder file could name."""
LOADERS = ["ObjectNode", "FunctionNode", "TypeNode", "CachedNode", "JsonNode", "NdArrayNode",
           "ListNode", "DictNode", "TupleNode", "MethodNode", "OperatorFuncNode", "ReduceNode",
           "SetNode", "PartialNode", "BytesNode", "SliceNode", "SparseMatrixNode", "Unknown"]
JSON = st.one_of(
    st.sampled_from([None, True, 0, -1, 2**63, 1e308, "", "os:system", f"{SENTINEL_MODULE}:run",
                     "../../etc/passwd", [], {}, [1, 2], {"a": 1}, "[1, 2]", '"text"', "null"]),
    st.integers(), st.floats(allow_nan=False), st.text(max_size=6))
"""JSON values for fields of files."""


class Files(dict):
    """File contents by name, with a short ``repr`` (hypothesis prints a failing case's
    arguments)."""

    def __repr__(self) -> str:
        return f"<{len(self)} files: {', '.join(self)}>"


def _rezip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


@pytest.fixture(scope="module")
def decoder_files(tmp_path_factory) -> dict[str, bytes]:
    """Decoder files as calibration and the benchmark save them, by name."""
    folder = tmp_path_factory.mktemp("decoders")
    files = {name: (CALIBRATION / name).read_bytes() for name in ("mi.skops", "emg.skops")}
    for name in ("TRCA", "TDCA", "CSP+LDA", "MDM", "TS+LR-CV"):
        X, y = _good_data(name)
        path = save_decoder(clone(DECODERS[name]).fit(X, y), folder / f"{name}.skops")
        files[path.name] = path.read_bytes()
    X, y = _good_data("FBCSP+SVM")
    files["fbcsp.skops"] = save_decoder(FBCSPSVM(128.0).fit(X, y), folder / "f.skops").read_bytes()
    X, y = _good_data("CCA")
    cca = CCA([6.0, 7.5, 8.57, 10.0], SSVEP_SFREQ).fit()
    stopping = MarginStopping((0.5, 1.0), min_trials=2).fit(cca, X, y, SSVEP_SFREQ)
    files["stopping.skops"] = save_decoder(stopping, folder / "s.skops").read_bytes()
    for data in files.values():  # every class and module a file needs is imported now
        load_decoder(_write(folder / "warm.skops", data))
    return Files(files)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@st.composite
def schema_edit(draw, data: bytes) -> tuple[str, bytes]:
    """A decoder file whose ``schema.json`` had a node changed (rezipped: a valid zip)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    schema = json.loads(members["schema.json"])
    edits = []
    for _ in range(draw(st.integers(1, 3))):
        nodes = _nodes(schema)
        node = nodes[draw(st.integers(0, len(nodes) - 1))]
        op = draw(st.sampled_from(["type", "type", "loader", "field", "delete", "id",
                                   "protocol", "array"]))
        if op == "type":
            node["__module__"], node["__class__"] = draw(st.sampled_from(TYPES))
        elif op == "loader":
            node["__loader__"] = draw(st.sampled_from(LOADERS))
        elif op == "field":
            node[draw(st.sampled_from([*node, "content", "type", "shape", "file"]))] = \
                draw(JSON)
        elif op == "delete":
            del node[draw(st.sampled_from(sorted(node)))]
        elif op == "id":
            node["__id__"] = draw(st.sampled_from([n.get("__id__") for n in nodes] + [-1, 0]))
        elif op == "protocol":
            schema["protocol"] = draw(st.sampled_from([0, 1, 3, "2", 2.0, None, True]))
        else:  # an array member's bytes
            arrays = sorted(name for name in members if name.endswith(".npy"))
            if arrays:
                name = draw(st.sampled_from(arrays))
                what, members[name] = draw(byte_damage(members[name]))
                op = f"{name} {what}"
        edits.append(f"{op} {node.get('__loader__')} {node.get('__module__')}."
                     f"{node.get('__class__')}")
    members["schema.json"] = json.dumps(schema).encode()
    return "; ".join(edits), _rezip(members)


@pytest.fixture(scope="module")
def guarded(tmp_path_factory):
    with no_code_runs(tmp_path_factory.mktemp("sentinel")) as guard:
        yield guard


def _names_file(err: Exception, path: Path) -> bool:
    return path.name in str(err) or (isinstance(err, OSError) and err.filename is not None
                                     and Path(err.filename).name == path.name)


@fuzz_settings(max_examples=300)
@given(data=st.data())
def test_decoder_files_load_or_are_refused_and_run_nothing(guarded, decoder_files,
                                                           tmp_path_factory, data):
    name = data.draw(st.sampled_from(sorted(decoder_files)))
    if data.draw(st.booleans()):
        what, damaged = data.draw(schema_edit(decoder_files[name]))
    else:
        what, damaged = data.draw(byte_damage(decoder_files[name]))
    path = _write(tmp_path_factory.getbasetemp() / "fuzz-decoder.skops", damaged)
    modules = set(sys.modules)
    with case("files: decoder files (skops)"):
        try:
            decoder = load_decoder(path)
        except (ValueError, OSError) as err:
            assert _names_file(err, path), f"{name}: {what}: {err}"
        else:
            assert isinstance(decoder, BaseEstimator), f"{name}: {what}"
            cls = type(decoder)
            assert f"{cls.__module__}.{cls.__qualname__}" in DECODER_CLASSES, f"{name}: {what}"
    assert set(sys.modules) == modules, f"{name}: {what}: imported {set(sys.modules) - modules}"


# --- user models ------------------------------------------------------------------------------

class Payload:
    """Pickled into an .npz: unpickling it would import the sentinel module."""

    def __reduce__(self):
        return (__import__, (SENTINEL_MODULE,))


@st.composite
def array_edit(draw, data: bytes) -> tuple[str, bytes]:
    """An .npz whose arrays were changed: NaN, another dtype or shape, one dropped or added,
    a pickled object (``np.load`` must refuse it)."""
    with np.load(io.BytesIO(data)) as npz:
        arrays = {name: npz[name] for name in npz.files}
    name = draw(st.sampled_from(sorted(arrays)))
    op = draw(st.sampled_from(["nan", "dtype", "shape", "drop", "add", "pickle", "text"]))
    array = arrays[name]
    if op == "nan" and array.dtype.kind == "f" and array.size:
        array = array.copy()
        array.flat[draw(st.integers(0, array.size - 1))] = np.nan
    elif op == "dtype":
        dtype = draw(st.sampled_from(["int8", "float16", "complex64", "U3"]))
        with np.errstate(all="ignore"):
            array = array.astype(dtype) if array.dtype.kind in "biuf" else array.astype("U3")
    elif op == "shape":
        array = array.reshape(-1)[: draw(st.integers(0, 3))]
    elif op == "text":
        array = np.array(draw(st.sampled_from(['{"a": 1}', "os:system", "[", "null"])))
    if op == "drop":
        del arrays[name]
    elif op == "add":
        arrays["fuzz"] = np.zeros(3)
    else:
        arrays[name] = array
    out = io.BytesIO()
    if op == "pickle":
        np.savez(out, **{**arrays, name: np.array([Payload()], dtype=object)})
    else:
        np.savez(out, **arrays)
    return f"{name}: {op}", out.getvalue()


@fuzz_settings(max_examples=150)
@given(data=st.data())
def test_user_models_load_or_are_refused_and_run_nothing(guarded, user_model,
                                                         tmp_path_factory, data):
    folder = Path(tempfile.mkdtemp(dir=tmp_path_factory.getbasetemp())) / "assistant"
    shutil.copytree(user_model, folder)
    target = data.draw(st.sampled_from(["assistant.json", "intents.npz", "points.npz"]))
    path = folder / target
    original = path.read_bytes()
    kind = data.draw(st.sampled_from(["bytes", "content", "content"]))
    if kind == "bytes":
        what, damaged = data.draw(byte_damage(original))
    elif target == "assistant.json":
        record = json.loads(original)
        key = data.draw(st.sampled_from([*record, "fuzz"]))
        record[key] = data.draw(st.one_of(JSON, st.sampled_from(
            ["default", "pixels", "intents.npz", "points.npz", "x.npz", "../intents.npz",
             "/etc/passwd", "os:abort", "retrieval", "learned", [["cube", "pick", [[1, 2]]]],
             [["cube", "pick", [[1e400, 2]]]], [["cube", "pick", [[1, 2, 3]]]]])))
        what, damaged = f"{key} -> {record[key]!r}", json.dumps(record).encode()
    else:
        what, damaged = data.draw(array_edit(original))
    path.write_bytes(damaged)
    with case("files: user models (assistant/)"):
        try:
            model = Assistant.load(folder)
        except (ValueError, OSError) as err:
            assert str(folder) in str(err) or _names_file(err, path), f"{target}: {what}: {err}"
        else:
            assert isinstance(model, Assistant), f"{target}: {what}"
    shutil.rmtree(folder.parent)


# --- calibration folders and BrainVision recordings -------------------------------------------

@fuzz_settings(max_examples=150)
@given(data=st.data())
def test_calibrations_load_or_are_refused(guarded, tmp_path_factory, data):
    folder = Path(tempfile.mkdtemp(dir=tmp_path_factory.getbasetemp())) / "calibration"
    shutil.copytree(CALIBRATION, folder)
    target = data.draw(st.sampled_from(CALIBRATION_FILES))
    path = folder / target
    if target == "calibration.json" and data.draw(st.booleans()):
        report = json.loads(path.read_bytes())
        key = data.draw(st.sampled_from([*report, "fuzz"]))
        report[key] = data.draw(st.one_of(JSON, st.sampled_from([0.5, 1.0, 1.5, -0.1])))
        what = f"{key} -> {report[key]!r}"
        path.write_text(json.dumps(report))
    elif target.endswith(".skops") and data.draw(st.booleans()):
        what, damaged = data.draw(schema_edit(path.read_bytes()))
        path.write_bytes(damaged)
    elif target.endswith((".vhdr", ".vmrk")) and data.draw(st.booleans()):
        what = _edit_field(data, path)
    else:
        what, damaged = data.draw(byte_damage(path.read_bytes()))
        path.write_bytes(damaged)
    with case("files: calibration folders"):
        try:
            calibration = Calibration.load(folder)
        except (ValueError, OSError) as err:
            assert str(folder) in str(err) or _names_file(err, path), f"{target}: {what}: {err}"
        else:
            for raw in (calibration.mi_raw, calibration.emg_raw):
                assert np.isfinite(raw.get_data()).all(), f"{target}: {what}: NaN loaded"
            assert 0 <= calibration.mi_accuracy <= 1 and 0 <= calibration.emg_accuracy <= 1
    shutil.rmtree(folder.parent)


FIELD_VALUES = ["0", "-1", "1e400", "nan", "inf", "999999999999", "3.9e-300", "", "µV", "V",
                "BS", "Oz,,1,µV", "Oz,,nan,µV", "Oz,,1e400,µV", ",,,", "INT_16", "VECTORIZED",
                "ASCII", "Comment,rest,1,1,0", "Comment,rest,999999999,1,0",
                "Comment,rest,-5,1,0", "Comment,mi/legs,1,-9,0", "Stimulus,S  1,1,1,0",
                "/etc/hostname", "../eeg.eeg", "eeg-2.eeg", "calibration-emg.eeg"]
"""Values for the ``key=value`` fields of BrainVision headers and marker files."""


def _edit_field(data, path: Path) -> str:
    """Change one ``key=value`` line of the text file ``path``; say which."""
    lines = path.read_text(encoding="utf-8").splitlines()
    fields = [i for i, line in enumerate(lines) if "=" in line]
    i = fields[data.draw(st.integers(0, len(fields) - 1))]
    value = data.draw(st.one_of(st.sampled_from(FIELD_VALUES), st.text(max_size=6)))
    key = lines[i].split("=", 1)[0]
    lines[i] = f"{key}={value}"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return f"{key}={value!r}"


# --- recordings for the file operator ---------------------------------------------------------

def _source() -> mne.io.RawArray:
    """16 s of noise (volts) on every channel NOIR reads, with two cued MI and rest trials."""
    config = LoopConfig()
    names = list(dict.fromkeys([*config.ssvep_channels, *config.mi_channels,
                                *config.emg_channels]))
    data = 1e-5 * np.random.default_rng(0).standard_normal((len(names), 16 * 128))
    raw = mne.io.RawArray(data, mne.create_info(names, 128.0, "eeg"), verbose="error")
    raw.set_annotations(mne.Annotations([0.0, 4.0, 8.0, 12.0], [4.0] * 4,
                                        ["mi/left_hand", "rest"] * 2))
    return raw


def _write_edf(raw: mne.io.BaseRaw, path: Path) -> Path:
    """``raw`` as EDF+C (16-bit samples, 1-s records, annotations as TALs): MNE reads EDF but
    writes it only through a package this project does not depend on."""
    sfreq, n_records = int(raw.info["sfreq"]), raw.n_times // int(raw.info["sfreq"])
    data = raw.get_data() * 1e6  # µV
    low, high = data.min(axis=1) - 1, data.max(axis=1) + 1
    digital = np.round((data - low[:, None]) / (high - low)[:, None] * 65535 - 32768)
    labels, tal_bytes = [*raw.ch_names, "EDF Annotations"], 120
    n = len(labels)

    def field(values, width):
        return b"".join(str(v).encode()[:width].ljust(width) for v in values)

    header = (field(["0"], 8) + field(["X X X X"], 80) + field(["Startdate 01-JAN-2020 X X X"], 80)
              + field(["01.01.20", "00.00.00", 256 * (n + 1)], 8) + field(["EDF+C"], 44)
              + field([n_records, 1], 8) + field([n], 4)
              + field(labels, 16) + field([""] * n, 80) + field(["uV"] * (n - 1) + [""], 8)
              + field([f"{v:.2f}" for v in low] + [-1], 8)
              + field([f"{v:.2f}" for v in high] + [1], 8)
              + field([-32768] * n, 8) + field([32767] * n, 8) + field([""] * n, 80)
              + field([sfreq] * (n - 1) + [tal_bytes // 2], 8) + field([""] * n, 32))
    records = []
    for r in range(n_records):
        tal = f"+{r}\x14\x14\x00".encode()
        for a in raw.annotations:
            if r <= a["onset"] < r + 1:
                tal += f"+{a['onset']:g}\x15{a['duration']:g}\x14{a['description']}\x14\x00" \
                    .encode()
        samples = digital[:, r * sfreq:(r + 1) * sfreq].astype("<i2").tobytes()
        records.append(samples + tal.ljust(tal_bytes, b"\x00"))
    path.write_bytes(header + b"".join(records))
    return path


@pytest.fixture(scope="module")
def recordings(tmp_path_factory) -> dict[str, dict[str, bytes]]:
    """The same recording as FIF, BrainVision (noir's writer) and EDF+: format -> files."""
    folder = tmp_path_factory.mktemp("recordings")
    raw = _source()
    raw.save(folder / "rec_raw.fif", verbose="error")
    writer = BrainVisionWriter(folder, raw.ch_names, raw.info["sfreq"], stem="rec")
    writer.append(raw)
    writer.close()
    _write_edf(raw, folder / "rec.edf")
    for name in ("rec_raw.fif", "rec.vhdr", "rec.edf"):  # every format serves a trial
        operator = file_operator(folder / name)
        assert np.isfinite(operator.sources["mi"].get_data()).all()
    formats = {"fif": ["rec_raw.fif"], "brainvision": ["rec.vhdr", "rec.vmrk", "rec.eeg"],
               "edf": ["rec.edf"]}
    return Files({kind: Files({name: (folder / name).read_bytes() for name in names})
                  for kind, names in formats.items()})


def _damaged_recording(data, files: dict[str, bytes], folder: Path) -> tuple[Path, str]:
    """Write ``files`` into ``folder`` with one of them damaged; the main file and what was
    done."""
    target = data.draw(st.sampled_from(sorted(files)))
    for name, content in files.items():
        (folder / name).write_bytes(content)
    if target.endswith((".vhdr", ".vmrk")) and data.draw(st.booleans()):
        what = _edit_field(data, folder / target)
    else:
        what, damaged = data.draw(byte_damage(files[target]))
        (folder / target).write_bytes(damaged)
    main = next(name for name in files if not name.endswith((".vmrk", ".eeg")))
    return folder / main, f"{target}: {what}"


@pytest.mark.parametrize("kind", ["fif", "brainvision", "edf"])
@fuzz_settings(max_examples=60)
@given(data=st.data())
def test_file_operator_serves_or_refuses_any_damaged_recording(guarded, recordings,
                                                                tmp_path_factory, kind, data):
    folder = Path(tempfile.mkdtemp(dir=tmp_path_factory.getbasetemp()))
    path, what = _damaged_recording(data, recordings[kind], folder)
    with case("files: file operator recordings (FIF, BrainVision, EDF)"):
        try:
            operator = file_operator(path)
        except (ValueError, OSError) as err:
            assert str(folder) in str(err) or _names_file(err, path), f"{what}: {err}"
        else:
            for source in operator.sources.values():
                assert np.isfinite(source.get_data()).all(), f"{what}: NaN loaded"
            try:
                trial = operator.eeg([recorded.Cue("mi", 1.0, "left_hand")], "calibration")
            except ValueError:
                pass
            else:
                sfreq = operator.sources["mi"].info["sfreq"]
                assert np.isfinite(trial.get_data()).all(), what
                assert trial.n_times == round(sfreq), what
    shutil.rmtree(folder)


@fuzz_settings(max_examples=100)
@given(data=st.data())
def test_read_recording_reads_or_refuses_any_damaged_recording(recordings, tmp_path_factory,
                                                               data):
    folder = Path(tempfile.mkdtemp(dir=tmp_path_factory.getbasetemp()))
    path, what = _damaged_recording(data, recordings["brainvision"], folder)
    with case("files: BrainVision recordings (read_recording)"):
        try:
            raw = read_recording(path)
        except (ValueError, OSError) as err:
            assert str(folder) in str(err) or _names_file(err, path), f"{what}: {err}"
        else:
            assert np.isfinite(raw.get_data()).all(), f"{what}: NaN loaded"
    shutil.rmtree(folder)
