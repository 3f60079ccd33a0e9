"""``noir data``: fetch from a local HTTP server standing in for the public homes, verify hashes.

The server (127.0.0.1 only) serves the reference copy of the data sets (the folder that holds
``ssvep-exo/``...) and answers ``Range`` requests; it can corrupt a file or cut a response short.
The fetched data sets are cut down to a few files so that the tests stay fast.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import shutil
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from typer.testing import CliRunner

from decoders.benchmark.data_dirs import dataset_folder
from noir import data
from noir.cli import app

runner = CliRunner()
SUBSET = {  # a few files per data set, small and large, with brackets and subfolders in names
    "ssvep-exo": ("subject01/record-[2012.07.06-19.02.16]-eve.fif",
                  "subject01/record-[2012.07.06-19.02.16]_raw.fif",
                  "subject01/record-[2012.07.06-19.06.14]-eve.fif"),
    "eegmmidb": ("S001/S001R04.edf.event", "S001/S001R04.edf"),
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        server = self.server
        rel = unquote(urlsplit(self.path).path).lstrip("/")
        asked = self.headers.get("Range")
        server.requests.append((rel, asked))
        name, _, inside = rel.partition("/")
        path = server.roots[name] / inside if name in server.roots else None
        if ".." in Path(rel).parts or path is None or not path.is_file():
            self.send_error(404)
            return
        body = path.read_bytes()
        if rel in server.corrupt:
            body = bytes([body[0] ^ 0xFF]) + body[1:]
        start = int(re.fullmatch(r"bytes=(\d+)-", asked).group(1)) if asked else 0
        if asked:
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        cut = server.cut.pop(rel, None)  # only the first response is cut
        self.wfile.write(body[start:] if cut is None else body[start:start + cut])
        self.close_connection = cut is not None

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    """An HTTP server on 127.0.0.1 serving the data sets found here; ``url`` is its base."""
    srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    srv.roots = {name: dataset_folder(name) for name in SUBSET}
    srv.requests, srv.corrupt, srv.cut = [], set(), {}
    srv.url = f"http://127.0.0.1:{srv.server_address[1]}"
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture
def subset(monkeypatch):
    """The data sets of :data:`SUBSET` cut down to those files (manifest entries unchanged)."""
    for name, paths in SUBSET.items():
        ds = data.DATASETS[name]
        files = tuple(e for e in ds.files if e.path in paths)
        assert len(files) == len(paths)
        monkeypatch.setitem(data.DATASETS, name, dataclasses.replace(ds, files=files))
    return {name: data.DATASETS[name] for name in SUBSET}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


SERVED = pytest.mark.dataset(*SUBSET)  # the server's files


@SERVED
def test_fetch_downloads_every_file_checks_hashes_and_skips_good_files(server, subset,
                                                                        tmp_path):
    done = []
    for name, ds in subset.items():
        folder = data.fetch(name, tmp_path, mirror=server.url, progress=done.append)
        assert folder == tmp_path / name
        for entry in ds.files:
            assert _sha256(folder / entry.path) == entry.sha256
            assert (folder / entry.path).read_bytes() == \
                (server.roots[name] / entry.path).read_bytes()
        assert data.verify(name, folder).files == len(ds.files)
    assert sum(done) == sum(ds.size for ds in subset.values())
    assert {rel for rel, _ in server.requests} == {
        f"{name}/{path}" for name, paths in SUBSET.items() for path in paths}
    assert not list(tmp_path.rglob("*.part")) and not list(tmp_path.rglob("tmp*"))
    requests = len(server.requests)
    data.fetch("ssvep-exo", tmp_path, mirror=server.url)  # all present: nothing downloaded
    assert len(server.requests) == requests


@SERVED
def test_fetch_repairs_a_damaged_file(server, subset, tmp_path):
    name, path = "ssvep-exo", SUBSET["ssvep-exo"][1]
    data.fetch(name, tmp_path, mirror=server.url)
    target = tmp_path / name / path
    damaged = bytearray(target.read_bytes())
    damaged[1000] ^= 1
    target.write_bytes(bytes(damaged))
    server.requests.clear()
    data.fetch(name, tmp_path, mirror=server.url)
    assert server.requests == [(f"{name}/{path}", None)]
    assert _sha256(target) == next(e.sha256 for e in subset[name].files if e.path == path)


@SERVED
def test_hash_mismatch_is_a_clear_error_and_the_file_is_removed(server, subset, tmp_path):
    name, path = "ssvep-exo", SUBSET["ssvep-exo"][1]
    server.corrupt.add(f"{name}/{path}")
    with pytest.raises(ValueError) as err:
        data.fetch(name, tmp_path, mirror=server.url)
    message = str(err.value)
    assert "\n" not in message
    assert str(tmp_path / name / path) in message and "does not match the SHA-256" in message
    assert "removed" in message and server.url in message
    assert not (tmp_path / name / path).exists()
    leftovers = [p.name for p in (tmp_path / name / "subject01").iterdir()]
    assert leftovers == ["record-[2012.07.06-19.02.16]-eve.fif"]  # the good file before it
    result = runner.invoke(app, ["data", "fetch", name, "--dest", str(tmp_path),
                                 "--mirror", server.url])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "does not match the SHA-256" in result.output


@SERVED
def test_an_interrupted_download_resumes(server, subset, tmp_path):
    name, path = "ssvep-exo", SUBSET["ssvep-exo"][1]
    size = next(e.size for e in subset[name].files if e.path == path)
    server.cut[f"{name}/{path}"] = 1_000_000
    data.fetch(name, tmp_path, mirror=server.url)  # resumes within the same call
    asked = [r for rel, r in server.requests if rel == f"{name}/{path}"]
    assert asked == [None, "bytes=1000000-"] and size > 1_000_000
    assert data.verify(name, tmp_path / name).bytes == subset[name].size

    # cut again with no retry: the part stays on disk; the next fetch carries on from it
    other = tmp_path / "again"
    server.cut[f"{name}/{path}"] = 700_000
    with pytest.raises(data.DownloadError, match=r"broke off after 700000 bytes.*resume"):
        data.fetch(name, other, mirror=server.url, retries=0)
    part = other / name / (path + ".part")
    assert part.stat().st_size == 700_000 and not (other / name / path).exists()
    server.requests.clear()
    data.fetch(name, other, mirror=server.url, retries=0)
    assert server.requests == [(f"{name}/{path}", "bytes=700000-"),
                               (f"{name}/{SUBSET[name][2]}", None)]
    assert not part.exists() and data.verify(name, other / name).files == 3


def test_no_network_is_one_line_naming_the_fetch_command(subset, tmp_path, monkeypatch):
    mirror = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(data.DownloadError, match=r"cannot reach 127\.0\.0\.1:\d+ \(.*refused"):
        data.fetch("ssvep-exo", tmp_path / "d", mirror=mirror)
    assert not (tmp_path / "d" / "ssvep-exo").exists()  # no empty folder for the lookup to find

    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("NOIR_DATA", str(empty))
    with pytest.raises(data.DownloadError) as err:
        data.ensure("eegmmidb", mirror=mirror)
    message = " ".join(str(err.value).split())
    assert "\n" not in str(err.value)
    assert message.startswith(f"data set 'eegmmidb' is not found in {empty} and cannot be "
                              "downloaded: cannot reach 127.0.0.1")
    assert "'noir data fetch eegmmidb'" in message and "NOIR_DATA" in message
    assert list(empty.iterdir()) == []

    result = runner.invoke(app, ["data", "fetch", "eegmmidb", "--mirror", mirror])
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert result.output.startswith("error: cannot reach 127.0.0.1")


@SERVED
def test_ensure_fetches_a_missing_data_set_once(server, subset, tmp_path, monkeypatch):
    """What the tests' set-up does (the mirror given by NOIR_DATA_MIRROR, as a user may)."""
    monkeypatch.setenv("NOIR_DATA", str(tmp_path))
    monkeypatch.setenv("NOIR_DATA_MIRROR", server.url)
    folder = data.ensure("eegmmidb")
    assert folder == tmp_path / "eegmmidb" and data.verify("eegmmidb").folder == folder
    requests = len(server.requests)
    assert data.ensure("eegmmidb") == folder
    assert len(server.requests) == requests == len(SUBSET["eegmmidb"])


@pytest.mark.dataset(*data.DATASETS)
def test_verify_passes_on_the_reference_copy():
    total_files = total_bytes = 0
    for name in data.DATASETS:
        result = data.verify(name)
        assert result.files == len(data.DATASETS[name].files)
        total_files, total_bytes = total_files + result.files, total_bytes + result.bytes
    assert (total_files, total_bytes) == (124, 168_417_866)
    result = runner.invoke(app, ["data", "verify", "ssvep-exo", "eegmmidb"])
    assert result.exit_code == 0, result.output
    assert "all 104 files (148065110 bytes) match" in result.output


@pytest.mark.dataset("ssvep-exo")
def test_verify_names_each_tampered_or_missing_file(subset, tmp_path):
    copy = tmp_path / "ssvep-exo"
    shutil.copytree(dataset_folder("ssvep-exo") / "subject01", copy / "subject01")
    tampered = copy / SUBSET["ssvep-exo"][1]
    content = bytearray(tampered.read_bytes())
    content[-1] ^= 0x01  # same size, different hash
    tampered.write_bytes(bytes(content))
    (copy / SUBSET["ssvep-exo"][2]).unlink()
    with pytest.raises(ValueError) as err:
        data.verify("ssvep-exo", copy)
    message = str(err.value)
    assert message.startswith(f"ssvep-exo at {copy}: 2 of 3 files do not match the manifest")
    assert f"{SUBSET['ssvep-exo'][1]} SHA-256" in message
    assert f"{SUBSET['ssvep-exo'][2]} missing" in message
    result = runner.invoke(app, ["data", "verify", "--path", str(tmp_path)])
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert "2 of 3 files do not match" in result.output


def test_the_manifest_only_names_files_inside_the_folder():
    good = '{"x": {"a/b.fif": {"sha256": "' + "0" * 64 + '", "size": 3}}}'
    assert data._load_manifest(good)["x"][0] == data.FileEntry("a/b.fif", "0" * 64, 3)
    for path in ("../evil", "/etc/passwd", "a/../../b", "a\\\\b", ""):
        with pytest.raises(ValueError, match="bad entry"):
            data._load_manifest(good.replace("a/b.fif", path))
    for meta in ('{"sha256": "xyz", "size": 3}', '{"sha256": "' + "0" * 64 + '", "size": -1}',
                 '{"sha256": "' + "0" * 64 + '", "size": 3, "url": "http://x"}'):
        with pytest.raises(ValueError, match="bad entry"):
            data._load_manifest('{"x": {"a": ' + meta + '}}')


def test_bad_names_and_options_are_one_line():
    for args, expected in ((["data", "fetch", "nope"], "unknown data set 'nope'"),
                           (["data", "fetch"], "give data set names or --all"),
                           (["data", "fetch", "--all", "eegmmidb"], "give data set names or"),
                           (["data", "fetch", "eegmmidb", "--mirror", "ftp://x"],
                            "must be an http:// or https:// URL"),
                           (["data", "verify", "nope"], "unknown data set 'nope'")):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and result.output.count("\n") == 1, (args, result.output)
        assert expected in result.output, (args, result.output)
