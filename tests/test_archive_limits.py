"""Zip bombs: every loader of a zip archive (decoders, networks, learning states, memories,
encoder weights, user models) refuses an archive that declares more than it may decompress to,
naming the file and the limit, before decompressing anything; the files the project writes
still load.

The bombs are real archives built in ``tmp_path``: members of zeros that deflate about
1030:1, ten thousand and one members, central directories that declare gigabytes for a member
whose data is small (what a bomb's directory looks like, without writing gigabytes), and a
``.npy`` header that declares terabytes (numpy allocates it before reading the data).
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest
from numpy.lib import format as npy

from decoders.archive import (
    MAX_DIRECTORY_BYTES,
    MAX_MEMBER_BYTES,
    MAX_MEMBERS,
    MAX_TOTAL_BYTES,
    RATIO_FROM_BYTES,
    check_archive,
)
from decoders.emg import MuscleTensionDetector
from decoders.io import load_decoder, save_decoder
from decoders.nets import EEGNetClassifier
from noir.assist import Assistant
from skills.learning import CNNEncoder, IntentMemory, PixelEncoder
from skills.learning.dataset import DecisionState, load_states, save_states
from skills.learning.encoder import WEIGHTS

SFREQ = 128.0
_MIB = 2**20


def _rewrite(path: Path, extra=lambda archive: None, declare: dict[str, int] | None = None,
             replace: dict[str, bytes] | None = None) -> Path:
    """Rewrite the archive ``path`` with its members as they are (those in ``replace``: with
    new content), then ``extra`` members; the central directory declares the uncompressed
    sizes in ``declare`` (member name → bytes) whatever the members hold."""
    with zipfile.ZipFile(path) as source:
        members = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w") as archive:
        for info, data in members:
            archive.writestr(info, (replace or {}).get(info.filename, data))
        extra(archive)
        for name, size in (declare or {}).items():
            archive.getinfo(name).file_size = size
    return path


def _zeros(archive: zipfile.ZipFile, name: str, size: int,
           method: int = zipfile.ZIP_DEFLATED) -> None:
    """Add member ``name``: ``size`` bytes of zeros, compressed as they stream in."""
    info = zipfile.ZipInfo(name)
    info.compress_type = method
    chunk = bytes(_MIB)
    with archive.open(info, "w") as member:
        for start in range(0, size, _MIB):
            member.write(chunk[:min(_MIB, size - start)])


def _declares_2_gib(path: Path) -> Path:
    with zipfile.ZipFile(path) as archive:
        first = archive.namelist()[0]
    return _rewrite(path, declare={first: 2**31})


def _zeros_5_mib(path: Path) -> Path:
    return _rewrite(path, lambda archive: _zeros(archive, "zeros.npy", 5 * _MIB))


def _many_members(path: Path) -> Path:
    with zipfile.ZipFile(path) as archive:
        n = len(archive.infolist())
    return _rewrite(path, lambda archive: [archive.writestr(f"{i}.npy", b"")
                                           for i in range(MAX_MEMBERS + 1 - n)])


def _lying_header(path: Path) -> Path:
    """The first ``.npy`` member: a header declaring 2**40 float64 (8 TiB), then 8 bytes."""
    header = io.BytesIO()
    npy.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False,
                                        "shape": (2**40,)})
    with zipfile.ZipFile(path) as archive:
        first = next(name for name in archive.namelist() if name.endswith(".npy"))
    return _rewrite(path, replace={first: header.getvalue() + bytes(8)})


BOMBS = {
    "a member declares 2 GiB": (_declares_2_gib,
                                r"member '.+' declares 2048\.0 MiB, more than the 256 MiB"),
    "a member of 5 MiB of zeros": (_zeros_5_mib,
                                   r"member 'zeros\.npy' compresses 10\d\d:1, more than the "
                                   r"1000:1 allowed"),
    "10,001 members": (_many_members, r"holds 10001 members, more than the 10000"),
    "an array header declares 8 TiB": (_lying_header, r"member '.+\.npy' declares an array of "
                                                      r"8388608\.0 MiB but holds \d+ bytes"),
}


# Real files written by the project: each maker writes one into ``folder`` and returns its
# path, its loader, the object written and what must come out of a loaded one the same.

def _decoder(folder: Path):
    rng = np.random.default_rng(0)
    decoder = MuscleTensionDetector(sfreq=256.0).fit(rng.standard_normal((10, 4, 256)))
    probe = rng.standard_normal((6, 4, 256))
    return (save_decoder(decoder, folder / "emg.skops"), load_decoder, decoder,
            lambda d: d.decision_function(probe))


def _net(folder: Path):
    rng = np.random.default_rng(0)
    X, y = rng.standard_normal((8, 4, 256)), np.repeat(["left", "right"], 4)
    net = EEGNetClassifier(SFREQ, max_epochs=1, batch_size=8, validation_fraction=0.0,
                           random_state=0).fit(X, y)
    return net.save(folder / "net.npz"), EEGNetClassifier.load, net, lambda n: n.predict_proba(X)


def _states(folder: Path):
    rng = np.random.default_rng(0)
    image, seg = (lambda: rng.integers(0, 256, (240, 360, 3), np.uint8),
                  lambda: rng.integers(0, 5, (240, 360), np.uint8))
    states = [DecisionState("cook_pasta", 0, step, "position", image(), image(), "pot",
                            "place", np.array([10.0, 20.0]), None, np.array([0.1, 0.2, 0.3]),
                            seg(), seg()) for step in range(2)]
    save_states(folder / "states.npz", states)
    return (folder / "states.npz", load_states, states,
            lambda s: np.stack([np.concatenate([x.top.ravel(), x.side_seg.ravel()]) for x in s]))


def _memory(folder: Path):
    rng = np.random.default_rng(0)
    memory = IntentMemory(PixelEncoder(), auto_fit=False)
    for obj in ("pot", "pasta"):
        memory.add(rng.integers(0, 256, (240, 360, 3), np.uint8), obj, "pick")
    memory.save(folder / "intents.npz")
    return (folder / "intents.npz", lambda path: IntentMemory.load(path, PixelEncoder()),
            memory, lambda m: m.embeddings)


def _encoder(folder: Path):
    for source in (WEIGHTS, WEIGHTS.with_suffix(".json")):
        shutil.copy(source, folder / source.name)
    image = np.random.default_rng(0).integers(0, 256, (1, 240, 360, 3), np.uint8)
    return (folder / WEIGHTS.name, CNNEncoder.from_file, CNNEncoder.from_file(WEIGHTS),
            lambda e: e.embed(image))


LOADERS = {"decoder": _decoder, "net": _net, "states": _states, "memory": _memory,
           "encoder": _encoder}


@pytest.fixture(scope="module", params=sorted(LOADERS))
def written(request, tmp_path_factory):
    """(a file the project wrote, its loader, the object written, what must load the same)."""
    return LOADERS[request.param](tmp_path_factory.mktemp(request.param))


def _copy(path: Path, folder: Path) -> Path:
    """``path`` copied into ``folder`` (with the architecture beside encoder weights)."""
    for source in (path, path.with_suffix(".json")):
        if source.is_file():
            shutil.copy(source, folder / source.name)
    return folder / path.name


def test_files_the_project_writes_load_again(written, tmp_path):
    path, load, original, out = written
    copy = _copy(path, tmp_path)
    check_archive(copy)
    np.testing.assert_array_equal(out(load(copy)), out(original))


@pytest.mark.parametrize("bomb", sorted(BOMBS))
def test_every_loader_refuses_a_zip_bomb_naming_the_file(written, bomb, tmp_path):
    path, load, _, _ = written
    target = _copy(path, tmp_path)
    make, message = BOMBS[bomb]
    make(target)
    with pytest.raises(ValueError, match=message) as err:
        load(target)
    assert str(target) in str(err.value)


@pytest.mark.parametrize("file, bomb", [(f, b) for f in ("intents.npz", "points.npz")
                                        for b in sorted(BOMBS)])
def test_a_user_model_with_a_zip_bomb_is_refused_naming_the_file(user_model, tmp_path, file,
                                                                 bomb):
    folder = shutil.copytree(user_model, tmp_path / "assistant")
    make, message = BOMBS[bomb]
    make(folder / file)
    with pytest.raises(ValueError, match=rf"{re.escape(str(folder / file))} is not a \w+ of "
                                         rf"this user model \(ValueError: .*{message}"):
        Assistant.load(folder)


def test_a_user_model_as_written_loads(user_model):
    for file in ("intents.npz", "points.npz"):
        check_archive(user_model / file)
    assert len(Assistant.load(user_model).intents) == 2


def test_a_real_deflate_bomb_is_refused_before_anything_is_decompressed(tmp_path):
    """256 MiB + 1 of zeros (0.25 MB on disk): refused for its size; 5 MiB of zeros in bzip2
    (850,000:1) for its ratio."""
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w") as archive:
        _zeros(archive, "zeros.npy", MAX_MEMBER_BYTES + 1)
    assert path.stat().st_size < MAX_MEMBER_BYTES / 900
    with pytest.raises(ValueError, match=rf"{re.escape(str(path))}: member 'zeros\.npy' "
                                         r"declares 256\.0 MiB, more than the 256 MiB a member"):
        check_archive(path)
    with zipfile.ZipFile(path, "w") as archive:
        _zeros(archive, "zeros.npy", RATIO_FROM_BYTES + _MIB, zipfile.ZIP_BZIP2)
    with pytest.raises(ValueError, match=r"member 'zeros\.npy' compresses \d{6}:1"):
        check_archive(path)


def test_limits_on_the_whole_archive(tmp_path):
    path = tmp_path / "total.npz"  # three members under the member limit, over the total
    noise = np.random.default_rng(0).bytes(_MIB)  # declared 200:1: under the ratio limit
    with zipfile.ZipFile(path, "w") as archive:
        for name in "abc":
            archive.writestr(f"{name}.npy", noise)
    _rewrite(path, declare={f"{name}.npy": 200 * _MIB for name in "abc"})
    with pytest.raises(ValueError, match=rf"{re.escape(str(path))}'s members declare 600\.0 "
                                         r"MiB in all, more than the 512 MiB"):
        check_archive(path)
    path = tmp_path / "names.npz"  # a central directory too large to parse
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(MAX_DIRECTORY_BYTES // 1000):
            archive.writestr(f"{i:01000d}.npy", b"")
    with pytest.raises(ValueError, match=r"names\.npz declares a central directory of 4\.\d "
                                         r"MiB, more than the 4 MiB allowed"):
        check_archive(path)
    path = tmp_path / "large.npz"  # sparse: nothing is written beyond the first bytes
    with path.open("wb") as file:
        file.write(b"PK\x03\x04")
        file.truncate(MAX_TOTAL_BYTES + 1)
    with pytest.raises(ValueError, match=r"large\.npz is larger than the 512 MiB an archive"):
        check_archive(path)
    with pytest.raises(ValueError, match=r"large\.npz is larger than"):
        load_states(path)


def test_what_is_not_a_zip_archive_is_refused_naming_it(tmp_path):
    np.save(tmp_path / "array.npy", np.zeros(3))  # np.load would return an array
    with pytest.raises(ValueError, match=r"array\.npy is not a zip archive"):
        check_archive(tmp_path / "array.npy")
    with pytest.raises(ValueError, match=r"upload is not a zip archive"):
        check_archive(b"not a zip", "upload")
    data = bytearray(save_decoder(MuscleTensionDetector(sfreq=256.0).fit(
        np.random.default_rng(0).standard_normal((10, 4, 256))), tmp_path / "d.skops")
        .read_bytes())
    with pytest.raises(ValueError, match=r"upload is a damaged zip archive \(BadZipFile"):
        check_archive(bytes(data[:-30]), "upload")  # its end record cut off
    with pytest.raises(FileNotFoundError):
        check_archive(tmp_path / "missing.npz")


def test_the_files_the_project_ships_are_within_the_limits():
    sessions = Path(__file__).parents[1] / "noir" / "sample_sessions"
    shipped = [WEIGHTS, *sessions.rglob("*.skops")]
    assert len(shipped) >= 3
    for path in shipped:
        check_archive(path)
