"""Statistics for benchmark tables: chance level, confidence intervals, paired tests.

- :func:`chance_threshold`: the accuracy that a classifier guessing at random (each of
  ``n_classes`` equally likely) exceeds with probability ``alpha`` on ``n_test`` trials
  (binomial; Combrisson & Jerbi 2015) — with 32 trials and 4 classes, 40.6 % at alpha = 0.05.
- :func:`mean_ci`: mean and Student-t confidence interval over subjects.
- :func:`paired_test`: two pipelines on the same subjects (same folds): the mean difference, its
  t interval, the two-sided exact Wilcoxon signed-rank p-value (:func:`scipy.stats.wilcoxon`)
  and the two-sided sign-flip permutation p-value (:func:`sign_flip_p`).
- :func:`meta_analysis`: MOABB's meta-analysis of two pipelines over datasets (Jayaram & Barachant
  2018; ``moabb.analysis.meta_analysis``), implemented here with SciPy so that reports need no
  MOABB: per dataset the standardised mean difference over subjects and a one-sided p-value
  (exact sign-flip permutation below 20 subjects, Wilcoxon from 20), combined over datasets by
  Stouffer's method with weights sqrt(n_subjects).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

PERMUTATION_RESAMPLES = 10_000
"""Sign flips drawn by :func:`sign_flip_p`; all 2**n are enumerated when 2**n is at most this
(n <= 13 subjects), as MOABB."""


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
    return {"diff": mean, "low": low, "high": high, "p_wilcoxon": p,
            "p_permutation": sign_flip_p(d), "n": int(d.size)}


def sign_flip_p(d, alternative: str = "two-sided", seed: int = 0) -> float:
    """Permutation p-value of the mean of paired differences ``d`` under random sign flips.

    Exact (every one of the 2**n flips) when 2**n <= :data:`PERMUTATION_RESAMPLES`, else that
    many seeded random flips (:func:`scipy.stats.permutation_test`). ``alternative``:
    ``"two-sided"``, ``"greater"`` (mean > 0) or ``"less"``. 1.0 when every difference is 0.
    """
    d = np.asarray(d, dtype=float)
    if d.ndim != 1 or d.size < 1 or not np.isfinite(d).all():
        raise ValueError(f"sign_flip_p needs >= 1 finite differences, got {d.tolist()!r}.")
    if np.all(d == 0):
        return 1.0
    result = stats.permutation_test(
        (d,), np.mean, permutation_type="samples", alternative=alternative,
        n_resamples=PERMUTATION_RESAMPLES, random_state=seed, vectorized=False,
    )
    return float(result.pvalue)


def meta_analysis(scores: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
    """MOABB-style meta-analysis: is pipeline ``a`` better than ``b`` over datasets?

    Parameters
    ----------
    scores : pandas.DataFrame
        Columns ``dataset, subject, pipeline, score``; a subject's sessions are averaged first.
    a, b : str
        The two pipelines.

    Returns
    -------
    table : pandas.DataFrame
        One row per dataset and a last row ``dataset="combined (Stouffer)"``; columns
        ``dataset, n_subjects, smd, p`` and ``significant`` (p < 0.05). ``smd``: mean of the
        per-subject differences a - b over their SD (ddof 1; 0 if all equal, +-inf if constant
        and not 0); combined: the sqrt(n_subjects)-weighted mean of the datasets' SMDs. ``p``:
        one-sided, that a > b: exact sign-flip permutation of the mean difference below 20
        subjects (:func:`sign_flip_p`, capped at 1 - 2**-n), one-sided Wilcoxon from 20;
        combined by Stouffer's method weighted by sqrt(n_subjects)
        (:func:`scipy.stats.combine_pvalues`). Subjects without both pipelines are left out.
    """
    missing = {"dataset", "subject", "pipeline", "score"} - set(scores.columns)
    if missing:
        raise ValueError(f"meta_analysis: scores lack column(s) {sorted(missing)}.")
    rows = []
    for code, part in scores.groupby("dataset", sort=True):
        table = part.groupby(["subject", "pipeline"])["score"].mean().unstack("pipeline")
        if a not in table or b not in table:
            continue
        both = table[[a, b]].dropna()
        d = (both[a] - both[b]).to_numpy()
        if d.size < 2:
            continue
        if np.all(d == d[0]):
            smd = 0.0 if d[0] == 0 else float(np.copysign(np.inf, d[0]))
        else:
            smd = float(d.mean() / d.std(ddof=1))
        if d.size < 20:
            p = min(sign_flip_p(d, "greater"), 1 - 2.0 ** -d.size)
        else:
            p = 0.5 if np.all(d == 0) else float(
                stats.wilcoxon(both[a], both[b], alternative="greater").pvalue)
            p = min(max(p, np.finfo(float).tiny), 1 - np.finfo(float).eps)
        rows.append({"dataset": code, "n_subjects": int(d.size), "smd": smd, "p": p})
    if not rows:
        raise ValueError(f"meta_analysis: no dataset has >= 2 subjects scored with both {a!r} "
                         f"and {b!r}.")
    table = pd.DataFrame(rows)
    weights = np.sqrt(table["n_subjects"].to_numpy(dtype=float))
    if len(table) == 1:
        p = float(table["p"].iloc[0])
    else:
        p = float(stats.combine_pvalues(table["p"], method="stouffer", weights=weights).pvalue)
    smd = float(np.sum(weights / weights.sum() * table["smd"]))
    table.loc[len(table)] = {"dataset": "combined (Stouffer)",
                             "n_subjects": int(table["n_subjects"].sum()), "smd": smd, "p": p}
    table["significant"] = table["p"] < 0.05
    return table
