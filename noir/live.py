"""Deprecated: the live stream operator and its checks moved to :mod:`noir.stream` (the
interface's EEG, in one module)."""

from noir import stream
from noir._moved import moved_to

__getattr__ = moved_to(stream, __name__, (
    "FLAT_PTP", "FLAT_DURATION", "QUIET", "StreamMismatch", "StreamSource", "CueDisplay",
    "StreamOperator", "LiveFeed", "check_settings", "marker_text", "annotated", "check_chunk",
    "check_signal"))
