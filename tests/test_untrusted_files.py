"""Files a user receives never run code: crafted decoder files, user models and bench configs
are refused with a ValueError that names the file and what is wrong, and a sentinel proves that
nothing they name was imported or called."""

from __future__ import annotations

import itertools
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from typer.testing import CliRunner

from decoders.benchmark.run import load_config
from decoders.emg import MuscleTensionDetector
from decoders.io import load_decoder, save_decoder
from noir.assist import Assistant
from noir.calibration import Calibration
from noir.cli import app
from skills.learning import load_encoder

_ids = itertools.count(1)


@pytest.fixture
def sentinel(tmp_path, monkeypatch) -> Path:
    """A file that exists only if a payload ran; ``sentinel_payload`` is an importable module
    that creates it when imported."""
    path = tmp_path / "ran"
    module = tmp_path / "modules"
    module.mkdir()
    (module / "sentinel_payload.py").write_text(
        f"from pathlib import Path\nPath({str(path)!r}).touch()\nx = 1\n")
    monkeypatch.syspath_prepend(str(module))
    yield path
    assert not path.exists(), "a payload ran"


def _node(loader: str, name: str, **fields) -> dict:
    module, _, cls = name.rpartition(".")
    return {"__class__": cls, "__module__": module, "__loader__": loader, **fields,
            "__id__": next(_ids)}


def _json(value) -> dict:
    return _node("JsonNode", "builtins.str", content=json.dumps(value), is_json=True)


def _dict_with_key_type(key_type: dict, key: str) -> dict:
    """A dict whose one key is rebuilt by calling ``key_type(key)`` when skops loads it."""
    return _node("DictNode", "builtins.dict", content={key: _json(1)},
                 key_types=_node("ListNode", "builtins.list", content=[key_type]))


def _crafted(tmp_path: Path, name: str, edit) -> Path:
    """A decoder file written by ``save_decoder`` whose schema ``edit(schema)`` changed."""
    rest = np.random.default_rng(0).standard_normal((10, 4, 256))
    good = save_decoder(MuscleTensionDetector(sfreq=256.0).fit(rest), tmp_path / "good.skops")
    with zipfile.ZipFile(good) as archive:
        files = {n: archive.read(n) for n in archive.namelist()}
    schema = json.loads(files["schema.json"])
    edit(schema)
    files["schema.json"] = json.dumps(schema).encode()
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in files.items():
            archive.writestr(member, data)
    return path


def _add_attribute(schema: dict, value: dict) -> None:
    """Give the root estimator one more attribute, ``payload_``."""
    attrs = schema["content"]
    attrs["content"]["payload_"] = value
    attrs["key_types"]["content"].append(_node("TypeNode", "builtins.str"))


def _payloads(sentinel: Path) -> dict[str, tuple[object, str]]:
    """Schema edits that would run code if the file were loaded as skops' trust lets it."""
    touch = f"touch {sentinel}"
    return {
        # the step importer of the benchmark registry: imported any "module:function"
        "importer": (lambda s: _add_attribute(s, _dict_with_key_type(
            _node("TypeNode", "decoders.benchmark.pipelines.import_object"),
            "sentinel_payload:x")), "decoders.benchmark.pipelines.import_object"),
        "os.system key type": (lambda s: _add_attribute(s, _dict_with_key_type(
            _node("TypeNode", "os.system"), touch)), "TypeNode os.system"),
        "eval key type": (lambda s: _add_attribute(s, _dict_with_key_type(
            _node("TypeNode", "builtins.eval"), f"open({str(sentinel)!r}, 'w')")),
            "TypeNode builtins.eval"),
        "os.system function": (lambda s: _add_attribute(s, _node("FunctionNode", "os.system")),
                               "FunctionNode os.system"),
        "root class os.system": (lambda s: s.update(__module__="os", __class__="system"),
                                 "ObjectNode os.system"),
        "cached os.system": (lambda s: _add_attribute(s, _node("CachedNode", "os.system")),
                             "CachedNode os.system"),
        "dotted name": (lambda s: _add_attribute(s, _dict_with_key_type(
            {"__class__": "pipelines.import_object", "__module__": "decoders.benchmark",
             "__loader__": "TypeNode", "__id__": next(_ids)}, "sentinel_payload:x")),
            "pipelines.import_object"),
        "numpy scalar type os.system": (lambda s: s["content"]["content"].update(
            threshold_=_node("NdArrayNode", "os.system", type="json", content=[],
                             shape=_node("TupleNode", "builtins.tuple", content=[]))),
            "NdArrayNode os.system"),
        "sklearn function transformer": (lambda s: _add_attribute(s, _node(
            "ObjectNode", "sklearn.preprocessing._function_transformer.FunctionTransformer")),
            "ObjectNode sklearn.preprocessing._function_transformer.FunctionTransformer"),
    }


@pytest.mark.parametrize("payload", list(_payloads(Path("x"))))
def test_crafted_decoder_file_is_refused_and_runs_nothing(tmp_path, sentinel, payload):
    edit, named = _payloads(sentinel)[payload]
    path = _crafted(tmp_path, "evil.skops", edit)
    with pytest.raises(ValueError, match=r"evil\.skops holds types that are not allowed.*"
                       + named.replace(".", r"\.")):
        load_decoder(path)


def test_old_skops_protocol_is_refused(tmp_path, sentinel):
    # protocol 0 nodes import the module named in their content, not in __module__
    path = _crafted(tmp_path, "old.skops", lambda s: s.update(protocol=0))
    with pytest.raises(ValueError, match=r"old\.skops is not a decoder file of skops protocol "
                                         r"2 \(its protocol: 0\)"):
        load_decoder(path)


def test_skops_default_trust_is_not_ours(tmp_path):
    # skops trusts every scikit-learn estimator and numpy ufunc by default: a function
    # transformer calls its function on every window it is given
    path = tmp_path / "ufunc.skops"
    sio.dump(make_pipeline(FunctionTransformer(np.exp)).fit(np.ones((2, 2))), path)
    assert sio.get_untrusted_types(file=path) == []
    with pytest.raises(ValueError, match=r"ufunc\.skops holds types .*'FunctionNode numpy\.exp'"
                                         r".*FunctionTransformer"):
        load_decoder(path)


def test_damaged_decoder_file_gives_value_error(tmp_path):
    def drop_attributes(schema):
        del schema["content"]["content"]
    path = _crafted(tmp_path, "damaged.skops", drop_attributes)
    with pytest.raises(ValueError, match=r"damaged\.skops is a damaged decoder file"):
        load_decoder(path)
    text = _crafted(tmp_path, "list.skops", lambda s: s.clear() or s.update(
        protocol=2, **_node("ListNode", "builtins.list", content=[])))
    with pytest.raises(ValueError, match=r"list\.skops holds a list, not a decoder"):
        load_decoder(text)


@pytest.mark.parametrize("offset, bits, error", [
    (10, 0x63, "NotImplementedError"),  # compression method 99
    (8, 0x01, "RuntimeError"),  # encrypted
    (42, 0xFF, "ValueError|BadZipFile"),  # the member's data offset
])
def test_a_zip_that_zipfile_cannot_read_names_the_file(tmp_path, offset, bits, error):
    """Found by fuzzing: zip headers that zipfile answers with NotImplementedError,
    RuntimeError, EOFError or a bare ValueError escaped load_decoder, naming no file."""
    rest = np.random.default_rng(0).standard_normal((10, 4, 256))
    path = save_decoder(MuscleTensionDetector(sfreq=256.0).fit(rest), tmp_path / "z.skops")
    data = bytearray(path.read_bytes())
    for entry in re.finditer(b"PK\x01\x02", bytes(data)):  # every central directory entry
        data[entry.start() + offset] |= bits
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=rf"z\.skops is not a decoder file written by noir "
                                         rf"\(({error}):"):
        load_decoder(path)


def test_numbers_beyond_python_int_limit_name_the_file(tmp_path, user_model):
    """Found by fuzzing: a 5000-digit integer (Python's int() stops at 4300 digits) in a
    decoder's schema.json, an assistant.json or a calibration.json escaped as a bare
    ValueError that named no file."""
    long = "9" * 5000
    crafted = _crafted(tmp_path, "crafted.skops", lambda s: s.update(protocol=long))
    path = tmp_path / "long.skops"
    with zipfile.ZipFile(crafted) as source, zipfile.ZipFile(path, "w") as archive:
        for member in source.namelist():
            data = source.read(member)
            archive.writestr(member, data.replace(f'"{long}"'.encode(), long.encode()))
    with pytest.raises(ValueError, match=r"long\.skops is not a decoder file written by noir "
                                         r"\(ValueError: Exceeds the limit"):
        load_decoder(path)
    folder = _tampered(user_model, tmp_path)
    (folder / "assistant.json").write_text(f'{{"encoder": null, "mode": {long}}}')
    with pytest.raises(ValueError, match=r"assistant.json is not a user model record"):
        Assistant.load(folder)
    calibration = tmp_path / "calibration"
    shutil.copytree(Path(__file__).resolve().parents[1] / "noir" / "sample_sessions"
                    / "cube_in_tray-recorded-seed0" / "calibration", calibration)
    (calibration / "calibration.json").write_text(f'{{"mi_accuracy": {long}}}')
    with pytest.raises(ValueError, match=r"calibration.json: not a JSON calibration report"):
        Calibration.load(calibration)


# --- user models (assistant/assistant.json) ---------------------------------------------------

def _tampered(user_model: Path, tmp_path: Path, **changes) -> Path:
    folder = tmp_path / "assistant"
    shutil.copytree(user_model, folder)
    record = json.loads((folder / "assistant.json").read_text())
    (folder / "assistant.json").write_text(json.dumps({**record, **changes}))
    return folder


def test_a_saved_user_model_loads(user_model):
    assert len(Assistant.load(user_model).intents) == 2


@pytest.mark.parametrize("encoder", [
    "sentinel_payload:x", "skills.learning.encoder:PixelEncoder", "/tmp/x.npz",
    "../assistant/x.npz", "sub/x.npz", "..", "", "x.json",
])
def test_a_record_cannot_name_code_or_files_outside_its_folder(user_model, tmp_path, sentinel,
                                                                  encoder):
    folder = _tampered(user_model, tmp_path, encoder=encoder)
    with pytest.raises(ValueError, match=rf"assistant.json: encoder {re.escape(repr(encoder))} "
                                         r"is neither a registered name \['default', 'pixels'\]"
                                         r" nor the name of an .npz file in"):
        Assistant.load(folder)


def test_os_abort_in_a_record_does_not_kill_replay(user_model, tmp_path):
    folder = _tampered(user_model, tmp_path, encoder="os:abort")
    done = subprocess.run([sys.executable, "-c", "import sys; from noir.assist import Assistant;"
                           f"\ntry: Assistant.load({str(folder)!r})"
                           "\nexcept ValueError as e: print(e); sys.exit(7)"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 7, done.stderr  # os.abort() would end it with SIGABRT
    assert "encoder 'os:abort' is neither a registered name" in done.stdout


def test_an_encoder_file_linked_from_outside_the_folder_is_refused(user_model, tmp_path):
    outside = tmp_path / "elsewhere" / "mine.npz"
    load_encoder().save(outside)
    folder = _tampered(user_model, tmp_path, encoder="mine.npz")
    (folder / "mine.npz").symlink_to(outside)
    (folder / "mine.json").symlink_to(outside.with_suffix(".json"))
    with pytest.raises(ValueError, match=r"encoder file 'mine.npz' leads outside"):
        Assistant.load(folder)


@pytest.mark.parametrize("text, message", [
    (b"{not json", r"assistant.json is not a user model record \(JSON\)"),
    (bytes(range(256)), r"assistant.json is not a user model record \(JSON\)"),
    (b"[1, 2]", r"assistant.json must hold \{\"encoder\".*got list"),
    (b'{"mode": "retrieval"}', r"assistant.json must hold .*got \['mode'\]"),
    (b'{"encoder": null, "mode": "retrieval", "code": "os:abort"}',
     r"assistant.json must hold .*got \['code', 'encoder', 'mode'\]"),
    (b'{"encoder": 5, "mode": "retrieval"}', r"assistant.json: encoder must be null or a name"),
    (b'{"encoder": null, "mode": "dreaming"}', r"assistant.json: mode must be one of"),
    (b'{"encoder": null, "mode": ["retrieval"]}', r"assistant.json: mode must be one of"),
    (b'{"encoder": null, "mode": "retrieval", "put_back": "tray"}',
     r"assistant.json: put_back must be a list of \[object, skill"),
    (b'{"encoder": null, "mode": "retrieval", "relative": [["dog", "pet", [[1, NaN]]]]}',
     r"assistant.json: relative must be a list .* finite pixel offsets"),
    (b'{"encoder": null, "mode": "retrieval", "put_back": [["tray", "place"]]}',
     r"assistant.json: put_back must be"),
])
def test_a_corrupt_record_names_the_file_and_what_was_expected(user_model, tmp_path, text,
                                                                 message):
    folder = _tampered(user_model, tmp_path)
    (folder / "assistant.json").write_bytes(text)
    with pytest.raises(ValueError, match=message):
        Assistant.load(folder)


@pytest.mark.parametrize("file", ["intents.npz", "points.npz"])
@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty npz", "wrong kind"])
def test_a_corrupt_memory_names_the_file(user_model, tmp_path, file, damage):
    folder = _tampered(user_model, tmp_path)
    path = folder / file
    if damage == "garbage":
        path.write_bytes(b"\x93NUMPY garbage" * 50)
    elif damage == "truncated":
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    elif damage == "empty npz":
        np.savez(path)
    else:
        other = folder / ("points.npz" if file == "intents.npz" else "intents.npz")
        shutil.copy(other, path)
    with pytest.raises(ValueError, match=rf"{file} is not a \w+ of this user model"):
        Assistant.load(folder)


# --- bench configs -----------------------------------------------------------------------------

CONFIG = """\
datasets:
  - name: Synthetic
    params: {{classes: [7.5, 10.0], subjects: [1], n_trials_per_class: 4, trial_seconds: 2.0,
             rest_seconds: 0.5, ch_names: [O1, Oz, O2]}}
paradigm: {{name: SSVEP, params: {{tmax: 1.5}}}}
evaluation: {{name: within-session, params: {{n_splits: 2}}}}
pipelines:
  - name: evil
    steps: [{{from: "{step}", params: {params}}}]
"""


@pytest.mark.parametrize("step, params", [
    ("sentinel_payload:x", "{{}}"),
    ("os:system", "{{command: 'touch {sentinel}'}}"),
    ("builtins:eval", "{{source: 'open(\"{sentinel}\", \"w\")'}}"),
    ("decoders.benchmark.pipelines:import_object", "{{path: 'sentinel_payload:x'}}"),
])
def test_a_bench_config_step_cannot_name_code(tmp_path, sentinel, step, params):
    config = tmp_path / "evil.yaml"
    config.write_text(CONFIG.format(step=step, params=params.format(sentinel=sentinel)))
    with pytest.raises(ValueError, match=rf"evil.yaml: pipelines\[0\]: .*unknown step "
                                         rf"'{re.escape(step)}'; registered steps: \["):
        load_config(config, ("Synthetic",))
    result = CliRunner().invoke(app, ["bench", str(config), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    (line,) = result.output.strip().splitlines()
    assert line.startswith(f"error: {config}: pipelines[0]: ")
    assert not (tmp_path / "out").exists()
