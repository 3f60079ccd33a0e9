"""Calibration: record cued trials from an operator and fit the interface's decoders.

SSVEP CCA needs no calibration (NOIR). Motor imagery (CSP+QDA) and the jaw-clench detector
are fitted on cued trials, as in NOIR's ~10-minute calibration.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import mne
import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_val_score

from decoders.emg import MuscleTensionDetector
from decoders.motor_imagery import CSPQDA
from noir.config import LoopConfig
from noir.operators import Operator
from sim.eeg_subject import MI_CLASSES, Cue


@dataclass
class Calibration:
    """Fitted decoders plus their calibration accuracies (5-fold CV on the calibration trials)."""

    mi: CSPQDA
    emg: MuscleTensionDetector
    mi_accuracy: float
    emg_accuracy: float
    n_mi_trials: int
    n_emg_trials: int
    duration_s: float


def cued_epochs(
    raw: mne.io.BaseRaw, cues: list[Cue], channels: Sequence[str], window: float
) -> tuple[np.ndarray, list[str]]:
    """Cut one window per cue from an annotated recording.

    Returns
    -------
    X : ndarray, shape (n_cues, n_channels, n_times)
        The first ``window`` seconds of each cue's segment.
    y : list of str
        Each cue's annotation description.
    """
    descriptions = sorted({cue.description for cue in cues})
    event_id = {desc: code for code, desc in enumerate(descriptions, start=1)}
    events, _ = mne.events_from_annotations(raw, event_id=event_id, verbose="error")
    if len(events) != len(cues):
        raise ValueError(
            f"expected {len(cues)} cue annotations in the calibration recording, found {len(events)}"
        )
    epochs = mne.Epochs(
        raw, events, event_id, tmin=0.0, tmax=window - 1.0 / raw.info["sfreq"],
        baseline=None, picks=list(channels), preload=True, verbose="error",
    )
    labels = {code: desc for desc, code in event_id.items()}
    return epochs.get_data(copy=False), [labels[code] for code in epochs.events[:, 2]]


def calibrate(
    operator: Operator,
    config: LoopConfig,
    *,
    n_mi_trials: int = 20,
    n_emg_trials: int = 20,
    seed: int = 0,
) -> Calibration:
    """Run the MI and EMG calibration with ``operator`` and fit the decoders.

    Parameters
    ----------
    n_mi_trials : int
        Trials per MI class (4 classes, ``config.mi_window`` seconds each).
    n_emg_trials : int
        Rest windows and clench windows each (``config.confirm_window`` seconds each).
    """
    if n_mi_trials < 5 or n_emg_trials < 5:
        raise ValueError(
            f"n_mi_trials={n_mi_trials}, n_emg_trials={n_emg_trials}: need at least 5 of each "
            "for the 5-fold calibration accuracy"
        )
    rng = np.random.default_rng(seed)
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)

    mi_cues = [Cue("mi", config.mi_window, cls) for cls in MI_CLASSES for _ in range(n_mi_trials)]
    mi_cues = [mi_cues[i] for i in rng.permutation(len(mi_cues))]
    raw = operator.eeg(mi_cues)
    X, labels = cued_epochs(raw, mi_cues, config.mi_channels, config.mi_window)
    y = np.array([label.split("/", 1)[1] for label in labels])
    mi = CSPQDA(sfreq=raw.info["sfreq"])
    mi_accuracy = float(cross_val_score(mi, X, y, cv=folds).mean())
    mi.fit(X, y)

    emg_cues = [Cue("rest", config.confirm_window)] * n_emg_trials
    emg_cues += [Cue("clench", config.confirm_window)] * n_emg_trials
    emg_cues = [emg_cues[i] for i in rng.permutation(len(emg_cues))]
    raw = operator.eeg(emg_cues)
    X, labels = cued_epochs(raw, emg_cues, config.emg_channels, config.confirm_window)
    y = np.array([label == "clench" for label in labels])
    emg = MuscleTensionDetector(sfreq=raw.info["sfreq"])
    emg_accuracy = float(cross_val_score(emg, X, y, cv=folds).mean())
    emg.fit(X, y)

    duration = len(mi_cues) * config.mi_window + len(emg_cues) * config.confirm_window
    return Calibration(
        mi=mi, emg=emg, mi_accuracy=mi_accuracy, emg_accuracy=emg_accuracy,
        n_mi_trials=len(mi_cues), n_emg_trials=len(emg_cues), duration_s=duration,
    )
