"""Statistics for benchmark tables: chance level, confidence intervals, paired tests.

- :func:`chance_threshold`: the accuracy that a classifier guessing at random (each of
  ``n_classes`` equally likely) exceeds with probability ``alpha`` on ``n_test`` trials
  (binomial; Combrisson & Jerbi 2015) — with 32 trials and 4 classes, 40.6 % at alpha = 0.05.
- :func:`mean_ci`: mean and Student-t confidence interval over subjects.
- :func:`paired_test`: two pipelines on the same subjects (same folds): the mean difference, its
  t interval, and the two-sided exact Wilcoxon signed-rank p-value (:func:`scipy.stats.wilcoxon`).
"""

from __future__ import annotations

import numpy as np
from scipy import stats


def chance_threshold(n_test: int, n_classes: int, alpha: float = 0.05) -> float:
    """Smallest accuracy whose probability under random guessing is at most ``alpha``.

    Parameters
    ----------
    n_test : int
        Test trials scored.
    n_classes : int
        Classes (guessing probability ``1 / n_classes``).
    alpha : float
        Significance level.

    Returns
    -------
    accuracy : float
        ``k / n_test`` for the smallest ``k`` with ``P(K >= k) <= alpha``, K ~ Binomial(n_test,
        1 / n_classes).
    """
    if not (isinstance(n_test, int | np.integer) and n_test >= 1):
        raise ValueError(f"n_test must be an int >= 1, got {n_test!r}.")
    if not (isinstance(n_classes, int | np.integer) and n_classes >= 2):
        raise ValueError(f"n_classes must be an int >= 2, got {n_classes!r}.")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}.")
    k = np.arange(n_test + 2)
    tail = stats.binom.sf(k - 1, n_test, 1.0 / n_classes)  # P(K >= k)
    return float(k[np.argmax(tail <= alpha)] / n_test) if (tail <= alpha).any() else np.inf


def mean_ci(values, level: float = 0.95) -> tuple[float, float, float]:
    """Mean and ``level`` Student-t confidence interval ``(mean, low, high)`` of ``values``."""
    v = np.asarray(values, dtype=float)
    if v.ndim != 1 or v.size < 2 or not np.isfinite(v).all():
        raise ValueError(f"mean_ci needs >= 2 finite values, got {v.tolist()!r}.")
    half = stats.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / np.sqrt(v.size)
    return float(v.mean()), float(v.mean() - half), float(v.mean() + half)


def paired_test(a, b, level: float = 0.95) -> dict[str, float]:
    """Compare paired scores ``a`` and ``b`` (e.g. per-subject accuracies of two pipelines).

    Returns
    -------
    result : dict
        ``diff`` (mean of a - b), ``low``/``high`` (its t interval), ``p_wilcoxon`` (two-sided,
        exact for small samples; 1.0 when every difference is 0), ``n``.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired_test needs scores of the same shape, got {a.shape} and "
                         f"{b.shape}.")
    d = a - b
    mean, low, high = mean_ci(d, level)
    p = 1.0 if np.all(d == 0) else float(stats.wilcoxon(a, b).pvalue)
    return {"diff": mean, "low": low, "high": high, "p_wilcoxon": p, "n": int(d.size)}
