"""What the interface decides: per-stage decoder decisions and the resulting robot intent."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Decision:
    """One decoder decision at one interface stage.

    Attributes
    ----------
    stage : str
        ``"what"`` (SSVEP object selection), ``"how"`` (MI skill selection) or
        ``"confirm"`` (EMG jaw clench).
    ranking : list of str
        Candidate labels, most likely first.
    scores : dict
        Decoder score per candidate (probability or correlation, see ``score_kind``).
    score_kind : str
        What ``scores`` holds, e.g. ``"canonical correlation"`` or ``"probability"``.
    window_s : float
        Length of the EEG window the decision was made on, in seconds.
    latency_ms : float
        Wall-clock time the decoder took, in milliseconds.
    """

    stage: str
    ranking: list[str]
    scores: dict[str, float]
    score_kind: str
    window_s: float
    latency_ms: float

    @property
    def label(self) -> str:
        """The top-ranked candidate."""
        return self.ranking[0]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Intent:
    """A fully specified robot command: run ``skill`` with ``params`` (chosen for ``object``)."""

    object: str
    skill: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)
