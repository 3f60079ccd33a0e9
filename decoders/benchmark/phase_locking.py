"""Is an SSVEP data set phase-locked to its cues? Inter-trial phase coherence per class.

Template methods (eCCA's template terms, TRCA/eTRCA, TDCA) average training trials of a class
into a template; that only keeps the response when every trial starts at the same stimulus
phase (a stimulus started by the cue, e.g. joint frequency-phase modulation). With LEDs that
flicker on regardless of the cue (ssvep-exo) the phases are random, the templates average out
and those methods fall to chance, while the phase-invariant ones (CCA, FBCCA, FBSpatialLDA) do
not. :func:`phase_locking` measures it; the benchmark warns when a template method runs on data
that is not phase-locked (:func:`template_warnings`).

Measure: for a class at stimulus frequency ``f`` and the ``n`` trials of one subject (all
sessions: a stimulus locked to its cues is locked in every session), each
channel's Fourier coefficient at ``f`` over the window (time from the window's start, at a fixed
delay from the cue) gives a phase per trial; the inter-trial phase coherence of a channel is
``ITPC = |mean_trials exp(i phase)|`` (1: identical phases, about ``sqrt(pi / (4 n))`` for
random ones). The subject's class is phase-locked when the Rayleigh test of the best channel,
Bonferroni-corrected over channels, gives ``p = n_channels * exp(-n ITPC^2) < alpha`` (with
8 channels and alpha = 0.05 that needs ``n >= 6`` trials and ITPC near 1, or more trials).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

TEMPLATE_STEPS = frozenset({"ECCA", "TRCA", "TDCA"})
"""Registered steps whose class templates need phase-locked trials."""

PHASE_LOCKING_COLUMNS = ["dataset", "subject", "class", "freq", "n_trials", "itpc",
                         "itpc_random", "p_value", "phase_locked"]


def itpc(X: np.ndarray, freq: float, sfreq: float) -> np.ndarray:
    """Inter-trial phase coherence of each channel at ``freq``.

    Parameters
    ----------
    X : ndarray, shape (n_trials, n_channels, n_times)
        Windows at a fixed delay from their cues.
    freq, sfreq : float
        Frequency of interest and sampling rate (Hz).

    Returns
    -------
    itpc : ndarray, shape (n_channels,)
        In [0, 1].
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 3 or X.shape[0] < 2:
        raise ValueError(f"itpc needs windows of shape (n_trials >= 2, n_channels, n_times), "
                         f"got shape {X.shape}.")
    if not 0 < freq < sfreq / 2:
        raise ValueError(f"itpc: freq must be in (0, {sfreq / 2:g}) Hz, got {freq!r}.")
    t = np.arange(X.shape[-1]) / sfreq
    coef = (X - X.mean(axis=-1, keepdims=True)) @ np.exp(-2j * np.pi * freq * t)
    unit = coef / np.maximum(np.abs(coef), np.finfo(float).tiny)
    return np.abs(unit.mean(axis=0))


def phase_locking(
    X: np.ndarray, y: np.ndarray, metadata: pd.DataFrame, stim_freqs: Mapping[str, float],
    sfreq: float, dataset: str = "", alpha: float = 0.05,
) -> pd.DataFrame:
    """Phase locking of each stimulus class of each subject (see module docstring).

    Parameters
    ----------
    X : ndarray, shape (n_trials, n_channels, n_times[, n_bands])
        Windows (filter-bank windows are summed over bands).
    y : ndarray, shape (n_trials,)
        Class names; classes not in ``stim_freqs`` (e.g. rest) are skipped.
    metadata : pandas.DataFrame
        Column ``subject`` of each trial.
    stim_freqs : mapping of str to float
        Stimulus frequency (Hz) of each SSVEP class.
    sfreq : float
    dataset : str
        Dataset code for the table.
    alpha : float
        Level of the Rayleigh test.

    Returns
    -------
    table : pandas.DataFrame
        One row per subject × class, columns :data:`PHASE_LOCKING_COLUMNS` (``itpc``
        of the best channel, ``itpc_random`` its expected value for random phases).
    """
    X = np.asarray(X, dtype=float)
    if X.ndim == 4:
        X = X.sum(axis=-1)
    rows = []
    keys = metadata["subject"].to_numpy()
    for subject in pd.unique(keys):
        key = subject
        for name in sorted(set(y[keys == key]) & set(stim_freqs)):
            idx = (keys == key) & (y == name)
            n = int(idx.sum())
            if n < 2:
                continue
            best = float(itpc(X[idx], stim_freqs[name], sfreq).max())
            p = min(1.0, X.shape[1] * float(np.exp(-n * best**2)))
            rows.append({"dataset": dataset, "subject": subject,
                         "class": name, "freq": float(stim_freqs[name]), "n_trials": n,
                         "itpc": best, "itpc_random": float(np.sqrt(np.pi / (4 * n))),
                         "p_value": p, "phase_locked": p < alpha})
    return pd.DataFrame(rows, columns=PHASE_LOCKING_COLUMNS)


def summarize_phase_locking(table: pd.DataFrame) -> pd.DataFrame:
    """Per dataset × class: mean ITPC, its random-phase level, and the share of subjects whose
    class is phase-locked (columns ``dataset, class, freq, itpc, itpc_random, locked_fraction,
    n_subjects``)."""
    grouped = table.groupby(["dataset", "class", "freq"], sort=False)
    out = grouped.agg(itpc=("itpc", "mean"), itpc_random=("itpc_random", "mean"),
                      locked_fraction=("phase_locked", "mean"), n_subjects=("itpc", "size"))
    return out.reset_index().sort_values(["dataset", "freq"], kind="stable")


def template_warnings(
    pipelines: Mapping[str, object], table: pd.DataFrame, min_locked: float = 0.5
) -> list[str]:
    """A warning per template pipeline and dataset whose classes are mostly not phase-locked.

    Parameters
    ----------
    pipelines : mapping of str to PipelineSpec
        Pipelines by name (a pipeline is a template method if one of its steps is in
        :data:`TEMPLATE_STEPS`).
    table : pandas.DataFrame
        :func:`phase_locking` rows.
    min_locked : float
        A dataset is phase-locked if at least this share of its subject × class rows is.
    """
    from decoders.benchmark.pipelines import step_name

    templates = [name for name, spec in pipelines.items()
                 if any(step_name(step) in TEMPLATE_STEPS for step, _ in spec.steps)]
    out = []
    for code, part in table.groupby("dataset", sort=True):
        share = float(part["phase_locked"].mean())
        if not templates or share >= min_locked:
            continue
        out.append(
            f"{code}: template method(s) {templates} ran on data that is not phase-locked to the "
            f"cues (best-channel ITPC at the stimulus frequency {part['itpc'].mean():.2f} vs "
            f"{part['itpc_random'].mean():.2f} for random phases; Rayleigh p < 0.05 in "
            f"{share:.0%} of subject x class rows): their class templates average the response "
            "out, so their scores say nothing about the method; use phase-invariant decoders "
            "(CCA, FBCCA, FBSpatialLDA) on such data."
        )
    return out
