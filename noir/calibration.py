"""Calibration: record cued trials from an operator and fit the interface's decoders.

SSVEP CCA needs no calibration (NOIR). Motor imagery (CSP+QDA by default) and the jaw-clench
detector are fitted on cued trials, as in NOIR's ~10-minute calibration; with dynamic stopping,
a few SSVEP trials set its thresholds.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import mne
import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.utils.validation import check_is_fitted

from decoders.cues import MI_CLASSES, Cue
from decoders.dynamic_stopping import MarginStopping
from decoders.emg import MuscleTensionDetector
from decoders.io import load_decoder, save_decoder
from noir.config import MI_DECODERS, SSVEP_DECODERS, LoopConfig
from noir.eeg_writer import BrainVisionWriter, read_recording
from noir.stream import Operator, eeg_with_retries


@dataclass
class Calibration:
    """Fitted decoders, their calibration accuracies (5-fold CV) and the calibration EEG.

    ``save(folder)`` writes ``mi.skops`` and ``emg.skops`` (loaded without executing code),
    ``calibration.json`` and the two cued recordings (``calibration-mi``/``-emg`` BrainVision),
    so that other decoders can be fitted on the same trials later.
    """

    mi: BaseEstimator
    emg: MuscleTensionDetector
    mi_accuracy: float
    emg_accuracy: float
    mi_raw: mne.io.BaseRaw
    emg_raw: mne.io.BaseRaw
    ssvep_stopping: MarginStopping | None = None
    ssvep_raw: mne.io.BaseRaw | None = None

    @property
    def report(self) -> dict[str, float | int]:
        """Accuracies and trial counts, as stored in ``calibration.json``."""
        return {
            "mi_accuracy": self.mi_accuracy, "emg_accuracy": self.emg_accuracy,
            "n_mi_trials": len(self.mi_raw.annotations),
            "n_emg_trials": len(self.emg_raw.annotations),
            "duration_s": sum(raw.n_times / raw.info["sfreq"]
                              for raw in (self.mi_raw, self.emg_raw)),
        }

    def save(self, folder: str | Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        save_decoder(self.mi, folder / "mi.skops")
        save_decoder(self.emg, folder / "emg.skops")
        recordings = [("calibration-mi", self.mi_raw), ("calibration-emg", self.emg_raw)]
        if self.ssvep_stopping is not None:
            save_decoder(self.ssvep_stopping, folder / "ssvep-stopping.skops")
            recordings.append(("calibration-ssvep", self.ssvep_raw))
        for name, raw in recordings:
            writer = BrainVisionWriter(folder, raw.ch_names, raw.info["sfreq"], stem=name)
            writer.append(raw)
            writer.close()
        (folder / "calibration.json").write_text(json.dumps(self.report, indent=2) + "\n")
        return folder

    @classmethod
    def load(cls, folder: str | Path) -> Calibration:
        """Read a calibration written by :meth:`save`.

        Raises
        ------
        FileNotFoundError
            If ``calibration.json`` or a decoder or recording it needs is missing.
        ValueError
            If a file is not what :meth:`save` writes (a decoder of another kind, an unfitted
            one, accuracies that are not numbers in [0, 1], an unreadable recording...);
            the message names the file.
        """
        folder = Path(folder)
        report = folder / "calibration.json"
        if not report.is_file():
            raise FileNotFoundError(f"{report} not found: {folder} is not a saved calibration")
        accuracies = _read_accuracies(report)
        stopping = folder / "ssvep-stopping.skops"
        with_stopping = stopping.is_file()
        return cls(
            mi=_read_decoder(folder / "mi.skops", tuple(MI_DECODERS.values())),
            emg=_read_decoder(folder / "emg.skops", (MuscleTensionDetector,)),
            mi_accuracy=accuracies["mi_accuracy"],
            emg_accuracy=accuracies["emg_accuracy"],
            mi_raw=read_recording(folder / "calibration-mi.vhdr"),
            emg_raw=read_recording(folder / "calibration-emg.vhdr"),
            ssvep_stopping=_read_decoder(stopping, (MarginStopping,)) if with_stopping else None,
            ssvep_raw=read_recording(folder / "calibration-ssvep.vhdr") if with_stopping
            else None,
        )


def _read_accuracies(path: Path) -> dict[str, float]:
    """``calibration.json``'s accuracies; a ValueError naming ``path`` if they are not numbers
    in [0, 1]."""
    try:
        report = json.loads(path.read_bytes().decode("utf-8"))
    except (ValueError, RecursionError) as err:  # not UTF-8 or JSON; an int of > 4300 digits
        raise ValueError(f"{path}: not a JSON calibration report ({err})") from err
    keys = ("mi_accuracy", "emg_accuracy")
    if not isinstance(report, dict) or not all(
            isinstance(report.get(k), int | float) and not isinstance(report.get(k), bool)
            and 0.0 <= report[k] <= 1.0 for k in keys):
        raise ValueError(f"{path}: expected an object with {list(keys)}, numbers in [0, 1]")
    return {k: float(report[k]) for k in keys}


def _read_decoder(path: Path, kinds: tuple[type, ...]) -> BaseEstimator:
    """A fitted decoder of one of ``kinds`` from ``path`` (a ValueError naming it otherwise)."""
    try:
        decoder = load_decoder(path)
    except (ValueError, OSError):
        raise
    except Exception as err:  # skops rebuilding objects from a file that may be hostile
        raise ValueError(f"{path}: not a decoder file written by noir "
                         f"({type(err).__name__}: {err})") from err
    if not isinstance(decoder, kinds):
        raise ValueError(f"{path} holds a {type(decoder).__name__}, expected one of "
                         f"{[kind.__name__ for kind in kinds]}")
    try:
        check_is_fitted(decoder)
    except NotFittedError as err:
        raise ValueError(f"{path} holds an unfitted {type(decoder).__name__}") from err
    return decoder


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
            f"expected {len(cues)} cue annotations in the calibration recording, "
            f"found {len(events)}"
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
    n_ssvep_trials: int = 6,
    seed: int = 0,
) -> Calibration:
    """Record cued MI and EMG trials and fit the decoders.

    Parameters
    ----------
    operator : Operator
        Gives the person's annotated EEG while the cues are shown (stage ``"calibration"``).
    n_mi_trials : int
        Trials per MI class (4 classes, ``config.mi_window`` seconds each).
    n_emg_trials : int
        Rest windows and clench windows each (``config.confirm_window`` seconds each).
    n_ssvep_trials : int
        SSVEP trials per frequency slot for the dynamic-stopping thresholds (only when
        ``config.ssvep_stopping`` is set; CCA itself needs no calibration).
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
    mi_raw = _record(operator, mi_cues)
    X, labels = cued_epochs(mi_raw, mi_cues, config.mi_channels, config.mi_window)
    y = np.array([label.split("/", 1)[1] for label in labels])
    mi = MI_DECODERS[config.mi_decoder](sfreq=mi_raw.info["sfreq"])
    mi_accuracy = float(cross_val_score(mi, X, y, cv=folds).mean())
    mi.fit(X, y)

    emg_cues = [Cue("rest", config.confirm_window)] * n_emg_trials
    emg_cues += [Cue("clench", config.confirm_window)] * n_emg_trials
    emg_cues = [emg_cues[i] for i in rng.permutation(len(emg_cues))]
    emg_raw = _record(operator, emg_cues)
    X, labels = cued_epochs(emg_raw, emg_cues, config.emg_channels, config.confirm_window)
    y = np.array([label == "clench" for label in labels])
    emg = MuscleTensionDetector(sfreq=emg_raw.info["sfreq"])
    emg_accuracy = float(cross_val_score(emg, X, y, cv=folds).mean())
    emg.fit(X, y)

    calibration = Calibration(mi=mi, emg=emg, mi_accuracy=mi_accuracy,
                              emg_accuracy=emg_accuracy, mi_raw=mi_raw, emg_raw=emg_raw)
    if config.ssvep_stopping:
        longest = config.ssvep_stopping[-1]
        ssvep_cues = [Cue("ssvep", longest, f) for f in config.ssvep_freqs
                      for _ in range(n_ssvep_trials)]
        ssvep_cues = [ssvep_cues[i] for i in rng.permutation(len(ssvep_cues))]
        ssvep_raw = _record(operator, ssvep_cues)
        X, labels = cued_epochs(ssvep_raw, ssvep_cues, config.ssvep_channels, longest)
        sfreq = ssvep_raw.info["sfreq"]
        decoder = SSVEP_DECODERS[config.ssvep_decoder]
        cca = decoder(freqs=list(config.ssvep_freqs), sfreq=sfreq).fit()
        y = np.array([float(label.split("/", 1)[1]) for label in labels])
        calibration.ssvep_raw = ssvep_raw
        rule = ({"confirm_cost": config.confirm_window} if config.ssvep_stopping_accuracy is None
                else {"target_accuracy": config.ssvep_stopping_accuracy})
        calibration.ssvep_stopping = MarginStopping(config.ssvep_stopping, **rule).fit(
            cca, X, y, sfreq)
    return calibration


def _record(operator: Operator, cues: list[Cue]) -> mne.io.BaseRaw:
    """The calibration EEG for ``cues``; a bad stream repeats them (with a warning saying why)."""
    return eeg_with_retries(
        operator, cues, "calibration",
        lambda reason: warnings.warn(f"calibration paused: {reason}", stacklevel=3),
    )
