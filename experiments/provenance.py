"""The commit a result was made at: the first line of every file in ``experiments/results/``
names it (``commit()``), so that a reader can check out the code that made it."""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def commit(paths: Iterable[str | Path] = (".",)) -> str:
    """The checkout's short HEAD, with ``-dirty`` when a tracked file under ``paths`` (relative
    to the repository root, or absolute; default: all) differs from it, results files
    (``experiments/results/``) aside: a result written by code that is not committed says so.
    ``unknown`` outside a git checkout."""
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True, check=False).stdout.strip()
    if not head:
        return "unknown"
    changed = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no", "--",
         *(str(p) for p in paths), ":(exclude)experiments/results"],
        cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()
    return f"{head}-dirty" if changed else head
