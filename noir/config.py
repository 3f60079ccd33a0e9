"""The interface's settings: stimulus frequencies, decoding windows and channel sets."""

from __future__ import annotations

import math
from dataclasses import dataclass

from decoders.motor_imagery import CSPLDA, CSPQDA, FBCSPSVM, RiemannMDM, TangentSpaceLR
from decoders.ssvep import CCA, FBCCA

# NOIR's flicker frequencies (60-Hz display: 10, 8, 7, 6 frames per cycle)
NOIR_FREQS = (6.0, 7.5, 8.57, 10.0)
# their phases (rad): joint frequency-phase modulation, a quarter cycle apart
NOIR_PHASES = (0.0, 0.5 * math.pi, math.pi, 1.5 * math.pi)

SSVEP_DECODERS = {"cca": CCA, "fbcca": FBCCA}
"""Training-free SSVEP decoders the What stage can use, by name."""

MI_DECODERS = {
    "csp_qda": CSPQDA, "csp_lda": CSPLDA, "fbcsp_svm": FBCSPSVM, "mdm": RiemannMDM,
    "ts_lr": TangentSpaceLR,
}
"""Motor-imagery decoders calibration can fit, by name (all take ``sfreq``)."""


@dataclass(frozen=True)
class LoopConfig:
    """Settings of the What -> How -> confirm loop (NOIR's values by default).

    Attributes
    ----------
    ssvep_freqs : tuple of float
        Flicker frequency of each candidate object slot, in Hz (at most this many objects).
    ssvep_phases : tuple of float
        Flicker phase of each slot at the stimulus onset, in rad (at least one per frequency;
        the console's patches show ``0.5 * (1 + sin(2 pi f t + phase))``).
    ssvep_stopping : tuple of float, optional
        Dynamic stopping for SSVEP: growing window lengths (s) re-evaluated until the decision
        is convincing (``decoders.dynamic_stopping``); the last one replaces ``ssvep_window``.
        None: NOIR's fixed window.
    ssvep_stopping_accuracy : float or None
        How the dynamic-stopping thresholds are calibrated. None: for the least expected
        selection time (the window used plus one ``confirm_window`` per option offered before
        the wanted one); a float in (0, 1]: the accuracy early decisions must reach on the
        calibration trials.
    ssvep_decoder : str
        ``"cca"`` (NOIR's standard CCA) or ``"fbcca"`` (filter-bank CCA); both training-free.
    mi_decoder : str
        Motor-imagery decoder fitted at calibration: a key of ``MI_DECODERS`` (NOIR:
        ``"csp_qda"``; NOIR 2.0: ``"fbcsp_svm"``).
    ssvep_window, mi_window, confirm_window : float
        Seconds of EEG per SSVEP decision (NOIR: 10 s), per MI decision (NOIR: 3 s) and per
        confirmation (the EMG detector reads the last 0.5 s of it).
    early_reject : bool
        Whether a proposal is withdrawn as soon as the person's clench is decoded (the clench
        monitor polls the EMG as during a motion), instead of at the end of
        ``confirm_window`` (NOIR). Accepting still takes the whole window.
    ssvep_channels, mi_channels, emg_channels : tuple of str
        Channels each decoder reads (visual cortex, sensorimotor cortex, temporal/frontal muscles).
    cursor_mode : str
        ``"axis"`` (NOIR: 2-way MI per image axis, clench to stop) or ``"continuous"``
        (NOIR 2.0: 4-way MI steps in 2-D). See ``noir.where``.
    cursor_speed : float
        Axis mode: how fast the cursor glides, pixels per second.
    cursor_step : float
        Continuous mode: pixels moved per MI decision.
    cursor_tolerance : float
        Pixels from the intended point at which the person stops the cursor.
    cursor_start : str
        ``"center"`` of the image or the selected ``"object"``.
    max_cursor_moves : int
        Cursor decisions per axis (axis mode) or in all (continuous mode) before giving up.
    max_skill_calls : int or None
        An attempt ends after this many skill executions without reaching the goal (None: the
        task's own limit, ``sim.tasks.Task.skill_budget``: 12 for most tasks).
    max_stage_repeats : int
        An attempt ends after this many consecutive selections that were all rejected.
    max_attempts : int
        Attempts (the world reset to its start between them) before the session gives up.
    learning : bool
        Whether the robot proposes the object, skill and point it learned from the person's
        earlier choices (``noir.assist``), so that they only confirm.
    propose_threshold : float
        Smallest confidence, in [0, 1], of an (object, skill) proposal that is shown.
    propose_single_skill : bool
        When only one skill applies to the selected object, propose it for confirmation at once
        instead of decoding an MI window among one option (ours; NOIR's protocol decodes it).
    intent_model : str
        How the (object, skill) is learned: ``"retrieval"`` (NOIR: few-shot retrieval over
        every remembered scene) or ``"planning"`` (NOIR 2.0: the next step of the matching
        state of a demonstration). See ``noir.assist.MODES``.
    grasp_point : bool
        Whether the person also chooses where a grasping skill (``pick``, ``pick_side``) takes
        hold of the object, with the Where cursor starting on it (NOIR's Pick(x, y, z); learning
        proposes the point as for other skills); False: the skill grasps where the object's
        geometry says (its handle, rim or centre). See ``noir.where``.
    """

    ssvep_freqs: tuple[float, ...] = NOIR_FREQS
    ssvep_phases: tuple[float, ...] = NOIR_PHASES
    ssvep_window: float = 10.0
    ssvep_stopping: tuple[float, ...] | None = None
    ssvep_stopping_accuracy: float | None = None
    ssvep_decoder: str = "cca"
    mi_decoder: str = "csp_qda"
    mi_window: float = 3.0
    confirm_window: float = 1.0
    early_reject: bool = False
    ssvep_channels: tuple[str, ...] = ("O1", "Oz", "O2", "PO3", "POz", "PO4", "PO7", "PO8")
    mi_channels: tuple[str, ...] = (
        "FC3", "FCz", "FC4", "C3", "Cz", "C4", "CP3", "CPz", "CP4", "P3", "Pz", "P4",
    )
    emg_channels: tuple[str, ...] = ("T7", "T8", "F7", "F8")
    cursor_mode: str = "axis"
    cursor_speed: float = 40.0
    cursor_step: float = 20.0
    cursor_tolerance: float = 12.0
    cursor_start: str = "center"
    max_cursor_moves: int = 12
    max_skill_calls: int | None = None
    max_stage_repeats: int = 5
    max_attempts: int = 3
    learning: bool = False
    propose_threshold: float = 0.5
    intent_model: str = "retrieval"
    propose_single_skill: bool = False
    grasp_point: bool = False

    def __post_init__(self) -> None:
        if len(self.ssvep_phases) < len(self.ssvep_freqs) or not all(
                math.isfinite(p) for p in self.ssvep_phases):
            raise ValueError(f"ssvep_phases must give a finite phase (rad) for each of the "
                             f"{len(self.ssvep_freqs)} ssvep_freqs, got {self.ssvep_phases}")
        if self.ssvep_stopping_accuracy is not None and not 0 < self.ssvep_stopping_accuracy <= 1:
            raise ValueError(f"ssvep_stopping_accuracy must be in (0, 1] or None (least expected "
                             f"time), got {self.ssvep_stopping_accuracy!r}")
        if self.ssvep_decoder not in SSVEP_DECODERS:
            raise ValueError(f"ssvep_decoder must be one of {sorted(SSVEP_DECODERS)}, "
                             f"got {self.ssvep_decoder!r}")
        if self.mi_decoder not in MI_DECODERS:
            raise ValueError(f"mi_decoder must be one of {sorted(MI_DECODERS)}, "
                             f"got {self.mi_decoder!r}")
        if self.cursor_mode not in ("axis", "continuous"):
            raise ValueError(
                f"cursor_mode must be 'axis' or 'continuous', got {self.cursor_mode!r}"
            )
        if self.intent_model not in ("retrieval", "planning"):
            raise ValueError(f"intent_model must be 'retrieval' or 'planning', "
                             f"got {self.intent_model!r}")
        if self.max_skill_calls is not None and self.max_skill_calls < 1:
            raise ValueError(f"max_skill_calls must be at least 1 or None (the task's limit), "
                             f"got {self.max_skill_calls}")
        if not isinstance(self.grasp_point, bool):
            raise ValueError(f"grasp_point must be True or False, got {self.grasp_point!r}")
        if not isinstance(self.early_reject, bool):
            raise ValueError(f"early_reject must be True or False, got {self.early_reject!r}")
        if self.cursor_start not in ("center", "object"):
            raise ValueError(
                f"cursor_start must be 'center' or 'object', got {self.cursor_start!r}"
            )
