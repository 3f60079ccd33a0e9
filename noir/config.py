"""The interface's settings: stimulus frequencies, decoding windows and channel sets."""

from __future__ import annotations

from dataclasses import dataclass

# NOIR's flicker frequencies (60-Hz display: 10, 8, 7, 6 frames per cycle)
NOIR_FREQS = (6.0, 7.5, 8.57, 10.0)


@dataclass(frozen=True)
class LoopConfig:
    """Settings of the What -> How -> confirm loop (NOIR's values by default).

    Attributes
    ----------
    ssvep_freqs : tuple of float
        Flicker frequency of each candidate object slot, in Hz (at most this many objects).
    ssvep_window, mi_window, confirm_window : float
        Seconds of EEG per SSVEP decision (NOIR: 10 s), per MI decision (NOIR: 3 s) and per
        confirmation (the EMG detector reads the last 0.5 s of it).
    ssvep_channels, mi_channels, emg_channels : tuple of str
        Channels each decoder reads (visual cortex, sensorimotor cortex, temporal/frontal muscles).
    max_skill_calls : int
        The loop gives up after this many skill executions without reaching the goal.
    max_stage_repeats : int
        The loop gives up after this many consecutive stage decodings that were all rejected.
    """

    ssvep_freqs: tuple[float, ...] = NOIR_FREQS
    ssvep_window: float = 10.0
    mi_window: float = 3.0
    confirm_window: float = 1.0
    ssvep_channels: tuple[str, ...] = ("O1", "Oz", "O2", "PO3", "POz", "PO4", "PO7", "PO8")
    mi_channels: tuple[str, ...] = (
        "FC3", "FCz", "FC4", "C3", "Cz", "C4", "CP3", "CPz", "CP4", "P3", "Pz", "P4",
    )
    emg_channels: tuple[str, ...] = ("T7", "T8", "F7", "F8")
    max_skill_calls: int = 12
    max_stage_repeats: int = 5
