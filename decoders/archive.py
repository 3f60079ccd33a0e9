"""Refuse zip archives (``.npz``, ``.skops``) that would take far more memory than they look.

Every archive this project reads may come from a stranger, and a small zip can declare
members that decompress to gigabytes, or a central directory of millions of entries.
:func:`check_archive` reads the archive's directory and refuses such a file before anything
is decompressed. That suffices because Python's ``zipfile`` stops reading a member at its
declared ``file_size`` (and checks its CRC), so what the directory declares bounds what any
later reader (``np.load``, ``skops.io.loads``) gets from the archive. Then it reads the
header of each ``.npy`` member, because numpy allocates the array a header declares before
reading its data: a few bytes can ask for terabytes (a ``MemoryError`` naming no file).

The limits are far above the largest files this project writes, measured on the 1,065
archives in its folders (mostly the experiments' state caches) and those its tests write
(fitted decoders, assistant memories): the largest holds 4.15 MB in 13 members (a learning
state file, ``experiments/cache/states/tic_tac_toe-*.npz``; its largest member 1.56 MB,
0.95 MB on disk), the most members is 20 (a fitted CSP+QDA in ``.skops``: 47.6 kB), the
encoder weights hold 0.31 MB in 16 members, an assistant memory about 0.16 MB, and the highest
compression ratio of a member is 289:1 (a mostly empty segmentation mask of 0.78 MB).
"""

from __future__ import annotations

import io
import math
import zipfile
from pathlib import Path

from numpy.lib import format as npy

MAX_MEMBERS = 10_000
"""Most members an archive may hold: 500 times the most measured (20), because an assistant's
point memory writes two members per remembered choice."""
MAX_DIRECTORY_BYTES = 4 * 2**20
"""Largest central directory read at all: 10,000 entries of 46 bytes plus a name of up to
about 350 bytes. Parsing one costs ``zipfile`` about 10 bytes of memory per byte and 0.1 s per
MB (a 50 MB directory of a million empty members took 470 MB and 5 s), so it is checked first."""
MAX_MEMBER_BYTES = 256 * 2**20
"""Largest declared uncompressed size of one member (256 MiB, over 150 times the largest
measured member, 1.56 MB)."""
MAX_TOTAL_BYTES = 512 * 2**20
"""Largest sum of the members' declared sizes, and largest archive on disk (512 MiB, over
120 times the largest measured total, 4.15 MB)."""
MAX_RATIO = 1000
"""Largest uncompressed : compressed ratio of a member of :data:`RATIO_FROM_BYTES` or more
(measured at most 289:1). Deflate reaches at most about 1030:1 (64 MiB of zeros), so this
refuses a large member of one repeated byte and bzip2/LZMA bombs (zeros: 850,000:1 and
6,800:1); the size limits bound every other member."""
RATIO_FROM_BYTES = 4 * 2**20
"""Members smaller than this (4 MiB) may compress at any ratio: whatever they hold, they are
harmless, and an empty mask or zeroed weights may well be all zeros."""

_ZIP_STARTS = (b"PK\x03\x04", b"PK\x05\x06")  # a member's header or an empty archive's end
_DAMAGED = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            NotImplementedError)
"""What ``zipfile`` raises on a damaged archive."""
_NPY_HEADERS = {(1, 0): npy.read_array_header_1_0, (2, 0): npy.read_array_header_2_0}
_MIB = 2**20


def check_archive(source: str | Path | bytes, name: str | Path | None = None) -> None:
    """Raise ``ValueError`` if the zip archive ``source`` (a path or its bytes) is not one, or
    exceeds a limit of this module; decompresses no array data.

    ``name`` (default: ``source`` itself when it is a path) is the file the message names.

    Raises
    ------
    ValueError
        If ``source`` does not start like a zip archive (what ``np.load`` also requires), is
        damaged, or its size, member count, central directory, a member's declared size, the
        members' total or a member's compression ratio exceeds its limit, or a ``.npy``
        member declares an array larger than the member; the message names the file, the
        value and the limit.
    OSError
        If the path ``source`` cannot be read (``FileNotFoundError`` if it does not exist).
    """
    if name is None:
        name = "the archive" if isinstance(source, bytes) else source
    with (io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")) as fp:
        if fp.read(4) not in _ZIP_STARTS:
            raise ValueError(f"{name} is not a zip archive (.npz or .skops)")
        if fp.seek(0, io.SEEK_END) > MAX_TOTAL_BYTES:
            raise ValueError(f"{name} is larger than the {MAX_TOTAL_BYTES / _MIB:.0f} MiB "
                             f"an archive may be")
        try:
            # The end record that ZipFile reads first: how large the central directory is.
            end = zipfile._EndRecData(fp)
            directory = 0 if end is None else end[zipfile._ECD_SIZE]
            archive = zipfile.ZipFile(fp) if directory <= MAX_DIRECTORY_BYTES else None
        except _DAMAGED as err:
            raise ValueError(f"{name} is a damaged zip archive "
                             f"({type(err).__name__}: {err})") from err
        if archive is None:
            raise ValueError(f"{name} declares a central directory of {directory / _MIB:.1f} "
                             f"MiB, more than the {MAX_DIRECTORY_BYTES / _MIB:.0f} MiB allowed")
        with archive:
            members = archive.infolist()
            _check_sizes(members, name)
            for member in members:
                nbytes = _array_bytes(archive, member)
                if nbytes is not None and nbytes > member.file_size:
                    raise ValueError(f"{name}: member {member.filename!r} declares an array of "
                                     f"{nbytes / _MIB:.1f} MiB but holds {member.file_size} "
                                     f"bytes")


def _check_sizes(members: list[zipfile.ZipInfo], name: str | Path) -> None:
    """Refuse the member count, a member's declared size or ratio, or the total, over its
    limit (``ValueError`` naming ``name``)."""
    if len(members) > MAX_MEMBERS:
        raise ValueError(f"{name} holds {len(members)} members, more than the "
                         f"{MAX_MEMBERS} an archive may hold")
    total = 0
    for member in members:
        if member.file_size > MAX_MEMBER_BYTES:
            raise ValueError(f"{name}: member {member.filename!r} declares "
                             f"{member.file_size / _MIB:.1f} MiB, more than the "
                             f"{MAX_MEMBER_BYTES / _MIB:.0f} MiB a member may hold")
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size >= RATIO_FROM_BYTES and ratio > MAX_RATIO:
            raise ValueError(f"{name}: member {member.filename!r} compresses "
                             f"{ratio:.0f}:1, more than the {MAX_RATIO}:1 allowed for "
                             f"members of {RATIO_FROM_BYTES / _MIB:.0f} MiB or more")
        total += member.file_size
    if total > MAX_TOTAL_BYTES:
        raise ValueError(f"{name}'s members declare {total / _MIB:.1f} MiB in all, more "
                         f"than the {MAX_TOTAL_BYTES / _MIB:.0f} MiB an archive may hold")


def _array_bytes(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> int | None:
    """Bytes of data the ``.npy`` header of ``member`` declares (numpy allocates that much
    before it reads any); None for a member that is no ``.npy`` of version 1.0 or 2.0 or
    cannot be read: what reads the archive next reports those."""
    if not member.filename.endswith(".npy"):
        return None
    try:
        with archive.open(member) as data:  # decompresses the header only
            read = _NPY_HEADERS[npy.read_magic(data)]
            shape, _, dtype = read(data)
    except Exception:  # damaged in one of many ways (zipfile, header): np.load reports it
        return None
    return math.prod(shape) * dtype.itemsize
