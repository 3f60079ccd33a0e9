"""Deprecated: the operators moved to :mod:`noir.stream` (the interface's EEG, in one module)."""

from noir import stream
from noir._moved import moved_to

__getattr__ = moved_to(stream, __name__, (
    "STREAM_RETRIES", "Operator", "Mind", "PersonOperator", "SimulatedOperator", "LiveOperator",
    "retry_paused", "eeg_with_retries"))
