"""Tidy result tables: write, read back with a schema check, summarise."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from decoders.benchmark.evaluations import RESULT_COLUMNS

SUMMARY_METRICS = ["accuracy", "balanced_accuracy", "kappa", "roc_auc", "itr_bits_per_min",
                   "fit_time", "latency"]


def check_results(results: pd.DataFrame, source: str = "results") -> None:
    """Raise ValueError naming ``source`` and the missing columns if the schema is wrong."""
    missing = [c for c in RESULT_COLUMNS if c not in results.columns]
    if missing:
        raise ValueError(f"{source}: missing result column(s) {missing}.")


def save_results(results: pd.DataFrame, path: str | Path) -> Path:
    """Write ``results`` as CSV (columns :data:`RESULT_COLUMNS`, no index)."""
    check_results(results)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    results[RESULT_COLUMNS].to_csv(path, index=False)
    return path


def load_results(path: str | Path) -> pd.DataFrame:
    """Read a results CSV written by :func:`save_results` (subjects and sessions as written)."""
    results = pd.read_csv(path, dtype={"session": str})
    check_results(results, str(path))
    return results


def summarize(results: pd.DataFrame) -> pd.DataFrame:
    """Mean of each metric per dataset × evaluation × pipeline × window, with row counts.

    Returns
    -------
    summary : pandas.DataFrame
        Columns ``dataset, evaluation, pipeline, window``, the means of :data:`SUMMARY_METRICS`
        and ``n_rows`` (subject × session rows averaged).
    """
    check_results(results)
    keys = ["dataset", "evaluation", "pipeline", "window"]
    grouped = results.groupby(keys, sort=True)
    summary = grouped[SUMMARY_METRICS].mean()
    summary["n_rows"] = grouped.size()
    return summary.reset_index()
