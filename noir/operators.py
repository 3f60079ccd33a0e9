"""Deprecated: the operators moved to :mod:`noir.stream` (the interface's EEG, in one module)."""

from __future__ import annotations

import warnings
from typing import Any

from noir import stream as _stream

_MOVED = ("STREAM_RETRIES", "Operator", "Mind", "PersonOperator", "SimulatedOperator",
          "LiveOperator", "retry_paused", "eeg_with_retries")


def __getattr__(name: str) -> Any:
    """The operator names, from :mod:`noir.stream` (deprecated here)."""
    if name in _MOVED:
        warnings.warn(f"noir.operators.{name} moved: import it from noir.stream "
                      "(the old path will be removed)", DeprecationWarning, stacklevel=2)
        return getattr(_stream, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
