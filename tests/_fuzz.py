"""Shared pieces of the fuzz suite (``tests/test_fuzz_*.py``, issue 11).

Every family runs under :func:`fuzz_settings` (deterministic: the same cases on every run and
machine, so CI is reproducible) and counts its cases in :data:`CASES`; ``tests/conftest.py``
prints the counts at the end of the pytest run. :func:`case` also turns a case that runs
longer than its time limit into a failure (a hang), with an exception that no library code's
``except Exception`` can swallow.
"""

from __future__ import annotations

import os
import re
import signal
import struct
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

CASES: Counter[str] = Counter()
"""Cases run per family (``"<family>: <what>"``), for the end-of-run summary."""


def fuzz_settings(max_examples: int) -> settings:
    """Deterministic hypothesis settings for CI: a fixed number of derandomized examples, no
    example database, no per-example deadline (the :func:`case` guard catches hangs)."""
    return settings(max_examples=max_examples, derandomize=True, database=None, deadline=None,
                    print_blob=False,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])


class Hang(BaseException):
    """A fuzz case ran past its time limit (a BaseException: nothing under test catches it)."""


@contextmanager
def case(family: str, seconds: float = 30.0) -> Iterator[None]:
    """Count one case of ``family``; raise :class:`Hang` if it runs past ``seconds``."""
    CASES[family] += 1

    def hang(signum, frame):
        raise Hang(f"a case of {family} ran longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, hang)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


SENTINEL_MODULE = "fuzz_sentinel_payload"
"""A module that files under test name (as "module:attr" and dotted names); importing it
creates :func:`sentinel_flag` — proof that a file made the library import code."""


def install_sentinel(folder: Path) -> Path:
    """Put the sentinel module on ``sys.path`` (in ``folder``); return the file it would
    create when imported."""
    flag = folder / "payload-ran"
    (folder / f"{SENTINEL_MODULE}.py").write_text(
        f"from pathlib import Path\nPath({str(flag)!r}).touch()\n"
        "def run(*args, **kwargs):\n    pass\n")
    sys.path.insert(0, str(folder))
    return flag


def assert_nothing_ran(flag: Path) -> None:
    """Fail if the sentinel module was imported or its flag file exists."""
    assert SENTINEL_MODULE not in sys.modules, "a file made the library import the sentinel"
    assert not flag.exists(), "the sentinel payload ran"


@contextmanager
def no_code_runs(folder: Path) -> Iterator[tuple[Path, list]]:
    """The sentinel module on ``sys.path`` (in ``folder``) and ``os.system``/``os.popen``/
    ``os.abort`` replaced by recorders, for a whole fuzz family; yields the sentinel's flag and
    the list of recorded calls, and fails at the end if anything ran."""
    flag = install_sentinel(folder)
    called: list = []
    saved = {name: getattr(os, name) for name in ("system", "popen", "abort")}
    for name in saved:
        setattr(os, name, lambda *args, _name=name: called.append((_name, args)))
    try:
        yield flag, called
    finally:
        for name, function in saved.items():
            setattr(os, name, function)
        sys.path.remove(str(folder))
    assert_nothing_ran(flag)
    assert not called, f"a file made the library call {called}"


INSERTS = [b"\x00", b"\n", b"\r\n", b"\xff\xfe", b'"', b"{", b"}", b"NaN", b",", b"=", b"/",
           b"\xed\xa0\x80", "\u2028".encode(), b"9" * 5000, b"[" * 5000, b"\x7f\xc0\x00\x00"]
"""Bytes inserted into files (besides random ones): JSON and INI syntax, invalid UTF-8, a
line separator, a 5000-digit number, deep nesting, a float32 NaN."""
NUMBER = re.compile(rb"(?<=[:=,\[ ])\d+(?=[,}\]\r\n])")
"""An integer in JSON, YAML or INI text (where a 5000-digit one goes: beyond Python's int())."""


@st.composite
def byte_damage(draw, data: bytes) -> tuple[str, bytes]:
    """``data`` truncated, with bytes flipped or inserted, with a 5000-digit number in place of
    an integer, or with a float32 NaN/inf written at an aligned offset; and what was done."""
    kind = draw(st.sampled_from(["truncate", "flip", "insert", "long number", "float32"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    size = len(data)
    at = int(rng.choice([0, 1, size // 2, max(size - 1, 0), max(size - 3, 0),
                         rng.integers(size + 1)]))
    if kind == "truncate":
        return f"truncated to {at} of {size} bytes", data[:at]
    if kind == "flip":
        damaged = bytearray(data)
        for mask in draw(st.lists(st.integers(1, 255), min_size=1, max_size=4)):
            if damaged:
                damaged[rng.integers(size)] ^= mask
        return "bytes flipped", bytes(damaged)
    if kind == "insert":
        chunk = draw(st.one_of(st.sampled_from(INSERTS), st.binary(min_size=1, max_size=8)))
        return f"{chunk[:12]!r} inserted at {at}", data[:at] + chunk + data[at:]
    if kind == "long number":
        numbers = list(NUMBER.finditer(data))
        if numbers:
            number = numbers[int(rng.integers(len(numbers)))]
            return "a 5000-digit number", data[:number.start()] + b"9" * 5000 + \
                data[number.end():]
        return "9s appended", data + b"9" * 5000
    value = draw(st.sampled_from([float("nan"), float("inf"), -float("inf"), 3e38]))
    at = 4 * (at // 4)
    return f"float32 {value} at {at}", data[:at] + struct.pack("<f", value) + data[at + 4:]


def key_paths(value, prefix=()) -> list[tuple]:
    """Every key path into a parsed JSON/YAML tree (mappings and lists), the tree itself first."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += key_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += key_paths(item, (*prefix, i))
    return found
