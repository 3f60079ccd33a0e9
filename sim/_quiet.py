"""Silence what PyBullet's C code prints on file descriptors 1 and 2, and import PyBullet
quietly: the ``sim`` modules that drive the engine take ``pybullet`` and ``BulletClient``
from here (importing ``sim`` alone loads no engine)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def quiet_native_output() -> Iterator[None]:
    """Silence what PyBullet's C code prints on file descriptors 1 and 2 (build time, argv)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 1)
            os.dup2(null.fileno(), 2)
            yield
    finally:
        for fd, copy in zip((1, 2), saved, strict=True):
            os.dup2(copy, fd)
            os.close(copy)


with quiet_native_output():  # PyBullet's C code prints its build time on import
    import pybullet  # noqa: E402
    from pybullet_utils.bullet_client import BulletClient  # noqa: E402

__all__ = ["BulletClient", "pybullet", "quiet_native_output"]
