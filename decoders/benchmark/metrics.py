"""Scores of a set of predictions: accuracy, balanced accuracy, Cohen's kappa, ROC-AUC, ITR."""

from __future__ import annotations

import math

import numpy as np
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    cohen_kappa_score,
    confusion_matrix,
    roc_auc_score,
)


def itr_bits_per_trial(accuracy: float, n_classes: int) -> float:
    """Wolpaw information transfer rate per selection.

    ``B = log2 N + P log2 P + (1 - P) log2((1 - P) / (N - 1))`` bits, with the limits
    ``B = log2 N`` at ``P = 1`` (where ``P log2 P`` and ``(1 - P) log2(...)`` tend to 0), and
    ``B = 0`` at or below chance (``P <= 1 / N``): Wolpaw's model assumes accuracy above chance,
    and the formula would otherwise give positive bits for below-chance accuracy.

    Parameters
    ----------
    accuracy : float
        Probability ``P`` of a correct selection, in [0, 1].
    n_classes : int
        Number of possible selections ``N`` >= 2.

    Returns
    -------
    bits : float
        Bits per selection, in [0, log2 N].
    """
    if isinstance(n_classes, bool) or int(n_classes) != n_classes or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}.")
    if not 0.0 <= accuracy <= 1.0 or math.isnan(accuracy):
        raise ValueError(f"accuracy must be in [0, 1], got {accuracy!r}.")
    n = int(n_classes)
    p = float(accuracy)
    if p <= 1.0 / n:
        return 0.0
    bits = math.log2(n) + p * math.log2(p)
    if p < 1.0:
        bits += (1.0 - p) * math.log2((1.0 - p) / (n - 1))
    return bits


def itr_bits_per_min(accuracy: float, n_classes: int, trial_seconds: float) -> float:
    """Wolpaw information transfer rate in bits per minute.

    Parameters
    ----------
    accuracy : float
        Probability of a correct selection, in [0, 1].
    n_classes : int
        Number of possible selections >= 2.
    trial_seconds : float
        Time per selection in s: decoding window plus gaze-shift / inter-trial time, > 0.

    Returns
    -------
    itr : float
        Bits per minute (:func:`itr_bits_per_trial` × 60 / ``trial_seconds``).
    """
    if not trial_seconds > 0 or not math.isfinite(trial_seconds):
        raise ValueError(f"trial_seconds must be a finite number > 0, got {trial_seconds!r}.")
    return itr_bits_per_trial(accuracy, n_classes) * 60.0 / trial_seconds


def score_predictions(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    classes: np.ndarray,
    scores: np.ndarray | None,
    trial_seconds: float,
) -> dict:
    """All scores of one pooled set of test predictions.

    Parameters
    ----------
    y_true, y_pred : ndarray, shape (n_test,)
        True and predicted labels.
    classes : ndarray, shape (n_classes,)
        Every label of the task, in the column order of ``scores``.
    scores : ndarray, shape (n_test, n_classes) | None
        Continuous class scores (``decision_function`` or ``predict_proba``); None when the
        pipeline has neither (ROC-AUC is then NaN).
    trial_seconds : float
        Time per selection in s, for the ITR.

    Returns
    -------
    scores : dict
        ``accuracy``, ``balanced_accuracy``, ``kappa``, ``roc_auc`` (two classes only, else
        NaN), ``itr_bits_per_min``, ``confusion`` (nested list, rows = true class, columns =
        predicted class, in ``classes`` order).
    """
    accuracy = accuracy_score(y_true, y_pred)
    roc_auc = float("nan")
    if len(classes) == 2 and scores is not None and len(np.unique(y_true)) == 2:
        roc_auc = roc_auc_score(y_true == classes[1], scores[:, 1] - scores[:, 0])
    return {
        "accuracy": float(accuracy),
        "balanced_accuracy": float(balanced_accuracy_score(y_true, y_pred)),
        "kappa": float(cohen_kappa_score(y_true, y_pred, labels=classes)),
        "roc_auc": float(roc_auc),
        "itr_bits_per_min": itr_bits_per_min(float(accuracy), len(classes), trial_seconds),
        "confusion": confusion_matrix(y_true, y_pred, labels=classes).tolist(),
    }
