"""The real data sets: what they are, where they are, fetching them, checking them.

Three data sets back the real-data decoders, benchmarks and tests:

- ``ssvep-exo``: the SSVEP exoskeleton set (Kalunga et al. 2016), from its GitHub repository;
- ``eegmmidb``: PhysioNet's EEG Motor Movement/Imagery set, subjects S001-S004, from PhysioNet
  (the URLs MNE's ``eegbci`` fetcher uses);
- ``muse-ssvep``: Muse headband SSVEP runs from NeuroTechX's eeg-notebooks v0.1 repository.

``data_manifest.json`` (shipped in the package) lists every file of each data set with its
SHA-256 and size; it was made from the reference copy's ``SHA256SUMS`` files, whose files are
byte-identical to the public releases. :func:`fetch` downloads what is missing or damaged with
``pooch`` (a resumable HTTP downloader: an interrupted file continues from its ``.part`` with a
``Range`` request), checks every hash and removes a file whose hash does not match.
:func:`verify` hashes what is on disk. Where a data set is looked for:
:mod:`decoders.benchmark.data_dirs` (``$NOIR_DATA``, else ``shared/data`` beside the checkout,
then the user data folder).

Errors are one line: ``ValueError`` for a bad name, option or hash, :class:`DownloadError`
(an ``OSError``) when a file cannot be downloaded.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path, PurePosixPath
from urllib.parse import quote, urlsplit

import pooch

from decoders.benchmark.data_dirs import (
    DATA_ENV_VAR,
    dataset_folder,
    fetch_dir,
    find_dataset,
    search_dirs,
)

MIRROR_ENV_VAR = "NOIR_DATA_MIRROR"
"""Environment variable: a default for :func:`fetch`'s ``mirror``."""
MANIFEST = "data_manifest.json"
"""Package data file: ``{data set: {relative path: {"sha256": hex, "size": bytes}}}``."""
CHUNK = 1 << 16
"""Bytes read per chunk while downloading."""

Progress = Callable[[int], None]
"""Called with the number of bytes just downloaded (or found complete on disk)."""


class DownloadError(OSError):
    """A file cannot be downloaded (no network, refused, HTTP error, connection cut)."""


@dataclass(frozen=True)
class FileEntry:
    """One file of a data set.

    Attributes
    ----------
    path : str
        POSIX path relative to the data set folder.
    sha256 : str
        Lower-case hex SHA-256 of the file.
    size : int
        Size in bytes.
    """

    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class DataSet:
    """A data set: what it is, its terms, its public home and its files.

    Attributes
    ----------
    name : str
        Folder name (``ssvep-exo``...).
    description, licence, citation : str
    home : str
        Web page of the public release.
    base_url : str
        A file's URL is ``base_url`` + its quoted relative path.
    files : tuple of FileEntry
    """

    name: str
    description: str
    licence: str
    citation: str
    home: str
    base_url: str
    files: tuple[FileEntry, ...]

    @property
    def size(self) -> int:
        """Total size of the files, in bytes."""
        return sum(entry.size for entry in self.files)

    def url(self, entry: FileEntry, mirror: str | None = None) -> str:
        """Where ``entry`` is downloaded from: the public home, or ``mirror/<name>/<path>``."""
        base = self.base_url if mirror is None else f"{mirror.rstrip('/')}/{self.name}/"
        return base + quote(entry.path)


_HEX64 = re.compile(r"[0-9a-f]{64}")


def _load_manifest(text: str) -> dict[str, tuple[FileEntry, ...]]:
    """Parse and check the manifest: relative paths inside the folder, 64-hex hashes, sizes."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"{MANIFEST}: not valid JSON ({err}).") from err
    if not isinstance(raw, dict):
        raise ValueError(f"{MANIFEST}: expected an object of data sets.")
    out = {}
    for name, files in raw.items():
        if not isinstance(files, dict) or not files:
            raise ValueError(f"{MANIFEST}: {name!r} must map file paths to hashes and sizes.")
        entries = []
        for path, meta in files.items():
            parts = PurePosixPath(path).parts
            ok = (isinstance(meta, dict) and set(meta) == {"sha256", "size"}
                  and isinstance(meta["sha256"], str) and _HEX64.fullmatch(meta["sha256"])
                  and type(meta["size"]) is int and meta["size"] >= 0)
            if not parts or path.startswith("/") or ".." in parts or "\\" in path or not ok:
                raise ValueError(
                    f"{MANIFEST}: bad entry {path!r} of {name!r}; expected a relative path "
                    "inside the folder with {'sha256': 64 hex digits, 'size': bytes}."
                )
            entries.append(FileEntry(path, meta["sha256"], meta["size"]))
        out[name] = tuple(entries)
    return out


_FILES = _load_manifest(resources.files("noir").joinpath(MANIFEST).read_text())

DATASETS: dict[str, DataSet] = {
    ds.name: ds
    for ds in (
        DataSet(
            name="ssvep-exo",
            description="SSVEP exoskeleton set (MOABB Kalunga2016): 8 occipital channels at "
            "256 Hz, LEDs at 13/17/21 Hz + rest, 9 subjects, 26 sessions (MNE FIF).",
            licence="CC0-1.0",
            citation="E. K. Kalunga, S. Chevallier, Q. Barthelemy, 'Online SSVEP-based BCI "
            "using Riemannian geometry', Neurocomputing 191, 2016, "
            "doi:10.1016/j.neucom.2016.01.007",
            home="https://github.com/sylvchev/dataset-ssvep-exoskeleton",
            base_url="https://raw.githubusercontent.com/sylvchev/dataset-ssvep-exoskeleton/"
            "faf331c1707135a62fcf08db6575d1553c56e196/",
            files=_FILES["ssvep-exo"],
        ),
        DataSet(
            name="eegmmidb",
            description="PhysioNet EEG Motor Movement/Imagery 1.0.0 (MOABB PhysionetMI): 64 "
            "channels at 160 Hz, subjects S001 (all 14 runs) and S002-S004 (runs 1-4, 7, 8, "
            "11, 12) (EDF+).",
            licence="ODC-By-1.0",
            citation="G. Schalk et al., 'BCI2000: A General-Purpose Brain-Computer Interface "
            "(BCI) System', IEEE Trans. Biomed. Eng. 51(6):1034-1043, 2004; A. Goldberger et "
            "al., 'PhysioBank, PhysioToolkit, and PhysioNet', Circulation 101(23):e215-e220, "
            "2000",
            home="https://physionet.org/content/eegmmidb/1.0.0/",
            base_url="https://physionet.org/files/eegmmidb/1.0.0/",
            files=_FILES["eegmmidb"],
        ),
        DataSet(
            name="muse-ssvep",
            description="Muse 2016 headband SSVEP, 30 Hz vs 20 Hz pattern reversal (NeuroTechX "
            "eeg-notebooks v0.1): TP9, AF7, AF8, TP10 + AUX at 256 Hz, 3 subjects, 20 runs "
            "(CSV).",
            licence="the repository's licence (BSD-3-Clause in the LICENSE kept with the "
            "reference copy; MIT in later commits)",
            citation="NeuroTechX eeg-notebooks v0.1, "
            "https://github.com/NeuroTechX/eeg-notebooks_v0.1 (no paper)",
            home="https://github.com/NeuroTechX/eeg-notebooks_v0.1",
            base_url="https://raw.githubusercontent.com/NeuroTechX/eeg-notebooks_v0.1/"
            "5ee39e4f91080937ead13c208a65089cbb13b7f6/",
            files=_FILES["muse-ssvep"],
        ),
    )
}


def get(name: str) -> DataSet:
    """The data set called ``name``; ValueError naming the known ones otherwise."""
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; known: {', '.join(DATASETS)}.")
    return DATASETS[name]


def missing_files(ds: DataSet, folder: Path) -> list[FileEntry]:
    """Files of ``ds`` absent from ``folder`` or of the wrong size (a cheap check, no hashing)."""
    out = []
    for entry in ds.files:
        path = folder / entry.path
        if not path.is_file() or path.stat().st_size != entry.size:
            out.append(entry)
    return out


def check_mirror(mirror: str | None) -> None:
    """ValueError unless ``mirror`` is None or an http(s) URL."""
    if mirror is not None and urlsplit(mirror).scheme not in ("http", "https"):
        raise ValueError(f"mirror {mirror!r} ({MIRROR_ENV_VAR} or --mirror) must be an http:// "
                         "or https:// URL.")


class _ResumableDownloader:
    """A pooch downloader: HTTP GET into ``part``, resumed with a ``Range`` request.

    The bytes received stay in ``part`` when the connection breaks; the download continues from
    there (up to ``retries`` times in this call, or in a later call). Once the server has sent
    the whole body, ``part`` becomes pooch's output file (pooch then checks the hash).
    """

    def __init__(self, part: Path, timeout: float, retries: int,
                 progress: Progress | None) -> None:
        self.part = part
        self.timeout = timeout
        self.retries = retries
        self.progress = progress

    def __call__(self, url: str, output_file: str, pooch_obj: object) -> None:
        have = self.part.stat().st_size if self.part.is_file() else 0
        if have and self.progress:
            self.progress(have)
        for attempt in range(self.retries + 1):
            start = self.part.stat().st_size if self.part.is_file() else 0
            try:
                if self._get(url, start):
                    os.replace(self.part, output_file)
                    return
                reason = "the connection closed early"
            except (http.client.HTTPException, TimeoutError, ConnectionError) as err:
                reason = f"{type(err).__name__}: {err}"
            received = self.part.stat().st_size if self.part.is_file() else 0
            if received == start or attempt == self.retries:
                raise DownloadError(
                    f"{url}: download broke off after {received} bytes ({reason}); run the "
                    "fetch again to resume it."
                )

    def _get(self, url: str, start: int) -> bool:
        """Append the body of ``url`` from byte ``start`` to ``part``; True when it is whole."""
        headers = {"User-Agent": "noir-bci"}
        if start:
            headers["Range"] = f"bytes={start}-"
        try:
            response = urllib.request.urlopen(
                urllib.request.Request(url, headers=headers), timeout=self.timeout
            )
        except urllib.error.HTTPError as err:
            if err.code == 416 and start:  # the part holds more than the file: start again
                self.part.unlink()
                return self._get(url, 0)
            raise DownloadError(f"{url}: HTTP {err.code} {err.reason}.") from err
        except urllib.error.URLError as err:
            raise DownloadError(
                f"cannot reach {urlsplit(url).netloc} ({err.reason}) for {url}."
            ) from err
        except TimeoutError as err:
            raise DownloadError(f"{url}: no answer within {self.timeout} s.") from err
        with response:
            resumed = start and response.status == 206 and response.headers.get(
                "Content-Range", "").startswith(f"bytes {start}-")
            length = response.headers.get("Content-Length")
            expected = int(length) if length and length.isdigit() else None
            if start and not resumed and self.progress:
                self.progress(-start)  # the server sends the whole file again
            received = 0
            with open(self.part, "ab" if resumed else "wb") as out:
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    received += len(chunk)
                    if self.progress:
                        self.progress(len(chunk))
        return expected is None or received == expected


def fetch(
    name: str,
    dest: str | os.PathLike | None = None,
    *,
    mirror: str | None = None,
    progress: Progress | None = None,
    timeout: float = 30.0,
    retries: int = 3,
) -> Path:
    """Download the files of data set ``name`` that are missing or damaged, checking each hash.

    Parameters
    ----------
    name : str
        A key of :data:`DATASETS`.
    dest : path-like | None
        Folder that will hold the ``name`` folder. None: the folder of the copy the lookup finds
        (so that fetching completes or repairs it), else ``$NOIR_DATA`` or the user data folder.
    mirror : str | None
        Base URL laid out like a data folder (``<mirror>/<name>/<path>``) to download from
        instead of the public home; None: ``$NOIR_DATA_MIRROR`` if set.
    progress : callable | None
        Called with each number of bytes downloaded or found good on disk.
    timeout : float
        Seconds to wait for a server to answer.
    retries : int
        Times a broken download is resumed within this call.

    Returns
    -------
    folder : Path
        ``dest/name``, with every file of the manifest.

    Raises
    ------
    DownloadError
        A file cannot be downloaded; what was received stays in ``<file>.part`` for next time.
    ValueError
        A downloaded file's SHA-256 differs from the manifest (the file is removed), or a bad
        name or mirror.
    """
    ds = get(name)
    if mirror is None:
        mirror = os.environ.get(MIRROR_ENV_VAR) or None
    check_mirror(mirror)
    if dest is None:
        found = find_dataset(name)
        dest = found.parent if found is not None else fetch_dir()
    folder = Path(dest) / name
    logger = pooch.get_logger()
    level = logger.level
    logger.setLevel(logging.WARNING)  # pooch logs a line per file
    try:
        _fetch_files(ds, folder, mirror, progress, timeout, retries)
    finally:
        logger.setLevel(level)
        _remove_empty_folders(folder)
    return folder


def _remove_empty_folders(folder: Path) -> None:
    """Remove the empty folders under ``folder`` and ``folder`` itself if empty (a failed fetch
    leaves no folder that the lookup would take for a data set)."""
    if not folder.is_dir():
        return
    for sub in sorted((p for p in folder.rglob("*") if p.is_dir()), reverse=True):
        if not any(sub.iterdir()):
            sub.rmdir()
    if not any(folder.iterdir()):
        folder.rmdir()


def _fetch_files(ds: DataSet, folder: Path, mirror: str | None, progress: Progress | None,
                 timeout: float, retries: int) -> None:
    """Download the files of ``ds`` missing or damaged in ``folder`` (see :func:`fetch`)."""
    for entry in ds.files:
        target = folder / entry.path
        if target.is_file() and target.stat().st_size == entry.size \
                and pooch.file_hash(str(target)) == entry.sha256:
            if progress:
                progress(entry.size)
            continue
        url = ds.url(entry, mirror)
        part = target.with_name(target.name + ".part")
        try:
            pooch.retrieve(
                url, known_hash=f"sha256:{entry.sha256}", fname=target.name,
                path=target.parent,
                downloader=_ResumableDownloader(part, timeout, retries, progress),
            )
        except ValueError as err:  # pooch's hash check; it has removed the download
            raise ValueError(
                f"{target}: the file downloaded from {url} does not match the SHA-256 of the "
                f"manifest ({entry.sha256}); it was removed. The server may hold a different "
                f"version; try again, or fetch it from another mirror."
            ) from err


@dataclass(frozen=True)
class Verified:
    """A data set whose files all match the manifest: where, how many files, how many bytes."""

    name: str
    folder: Path
    files: int
    bytes: int


def verify(name: str, folder: str | os.PathLike | None = None) -> Verified:
    """Hash every file of data set ``name`` and compare with the manifest.

    Parameters
    ----------
    name : str
    folder : path-like | None
        The data set folder; None looks it up.

    Raises
    ------
    ValueError
        Naming the folder and the files that are missing or differ (size or SHA-256).
    FileNotFoundError
        The data set is nowhere to be found.
    """
    ds = get(name)
    folder = dataset_folder(name) if folder is None else Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"data set folder {str(folder)!r} not found.")
    problems = []
    for entry in ds.files:
        path = folder / entry.path
        if not path.is_file():
            problems.append(f"{entry.path} missing")
        elif path.stat().st_size != entry.size:
            problems.append(f"{entry.path} has {path.stat().st_size} bytes, not {entry.size}")
        elif (digest := pooch.file_hash(str(path))) != entry.sha256:
            problems.append(f"{entry.path} SHA-256 {digest[:16]}... is not {entry.sha256[:16]}...")
    if problems:
        shown = "; ".join(problems[:3]) + (f"; and {len(problems) - 3} more" if
                                           len(problems) > 3 else "")
        raise ValueError(
            f"{name} at {folder}: {len(problems)} of {len(ds.files)} files do not match the "
            f"manifest: {shown}. 'noir data fetch {name} --dest {folder.parent}' downloads "
            "them again."
        )
    return Verified(name, folder, len(ds.files), ds.size)


def ensure(name: str, *, mirror: str | None = None, timeout: float = 30.0) -> Path:
    """The folder of a complete copy of data set ``name``, fetched first where it is missing.

    Raises
    ------
    DownloadError
        One line naming the data set, why it could not be downloaded and the command that
        gets it.
    """
    ds = get(name)
    found = find_dataset(name)
    if found is not None and not missing_files(ds, found):
        return found
    try:
        return fetch(name, mirror=mirror, timeout=timeout)
    except DownloadError as err:
        where = "incomplete at " + str(found) if found is not None else "not found in " + \
            " or ".join(str(root) for root in search_dirs())
        raise DownloadError(
            f"data set {name!r} is {where} and cannot be downloaded: {err} Get it with "
            f"'noir data fetch {name}' on a machine with network access, or set {DATA_ENV_VAR} "
            f"to a folder that holds {name}/."
        ) from err

