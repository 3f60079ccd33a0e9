"""``noir bench``: run a declarative benchmark config and write ``results.csv`` + an HTML report.

Also provides :func:`synthetic_dataset`, the benchmark dataset built from the synthetic EEG
subject (:mod:`sim.eeg_subject`); it lives here because :mod:`decoders` does not import
:mod:`sim`. Configs name it ``Synthetic``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from decoders.benchmark.datasets import SyntheticDataset
from decoders.benchmark.report import write_report
from decoders.benchmark.results import save_results, summarize
from decoders.benchmark.run import load_config, run_benchmark
from decoders.cues import Cue
from noir.tasks_cli import folder_to_write, scheduler_address, worker_count
from sim.eeg_subject import SyntheticSubject

SSVEP_CHANNELS = ("PO7", "PO3", "POz", "PO4", "PO8", "O1", "Oz", "O2")
MI_CHANNELS = ("FC3", "FCz", "FC4", "C3", "C1", "Cz", "C2", "C4", "CP3", "CPz", "CP4")


def synthetic_dataset(
    *,
    kind: str = "ssvep",
    classes: Sequence[float | str] | None = None,
    subjects: Sequence[int] = (1, 2),
    n_sessions: int = 1,
    n_trials_per_class: int = 10,
    trial_seconds: float = 3.0,
    rest_seconds: float = 1.0,
    profile: str = "default",
    sfreq: float = 256.0,
    ch_names: Sequence[str] | None = None,
    seed: int = 0,
) -> SyntheticDataset:
    """A benchmark dataset recorded from seeded synthetic subjects.

    Each run is ``n_trials_per_class`` cued trials per class in a seeded random order, each
    followed by a rest cue. Subject ``s``, session ``k`` is ``SyntheticSubject(profile,
    seed=seed * 100003 + s * 101 + k)``.

    Parameters
    ----------
    kind : str
        ``"ssvep"`` (classes are stimulus frequencies in Hz, default 6, 7.5, 8.57, 10) or
        ``"imagery"`` (classes among ``left_hand, right_hand, legs, rest``; default left and
        right hand).
    classes : sequence | None
        Class targets (see ``kind``).
    subjects : sequence of int
    n_sessions : int
    n_trials_per_class : int
    trial_seconds, rest_seconds : float
        Length of each cued trial and of the rest after it (s).
    profile : str
        :data:`sim.eeg_subject.PROFILES` key.
    sfreq : float
        Sampling rate (Hz).
    ch_names : sequence of str | None
        Channels; default occipital (SSVEP) or sensorimotor (imagery) 10-20 channels.
    seed : int
        Base seed.

    Returns
    -------
    dataset : SyntheticDataset
        Class names ``"7.5"`` etc. (SSVEP) or ``"left_hand"`` etc. (imagery); trial window
        (0.5, ``trial_seconds``) s after the cue.
    """
    if kind == "ssvep":
        targets = [float(c) for c in (classes or (6.0, 7.5, 8.57, 10.0))]
        cue_kind, names = "ssvep", [f"{t:g}" for t in targets]
        channels = ch_names or SSVEP_CHANNELS
    elif kind == "imagery":
        targets = [str(c) for c in (classes or ("left_hand", "right_hand"))]
        cue_kind, names = "mi", targets
        channels = ch_names or MI_CHANNELS
    else:
        raise ValueError(f"kind must be 'ssvep' or 'imagery', got {kind!r}.")
    cues = [Cue(cue_kind, trial_seconds, t) for t in targets]
    event_id = {name: cue.description for name, cue in zip(names, cues, strict=True)}

    def make_recorder(subject: int, session: int) -> SyntheticSubject:
        return SyntheticSubject(profile, sfreq=sfreq, ch_names=channels,
                                seed=seed * 100003 + subject * 101 + session)

    def make_cues(subject: int, session: int, run: int) -> list[Cue]:
        rng = np.random.default_rng([seed, subject, session, run])
        order = rng.permutation(np.repeat(np.arange(len(cues)), n_trials_per_class))
        out = []
        for i in order:
            out += [cues[i], Cue("rest", rest_seconds)]
        return out

    return SyntheticDataset(
        make_recorder, make_cues, event_id, subjects=subjects, n_sessions=n_sessions,
        paradigm=kind, interval=(0.5, trial_seconds), code=f"synthetic-{kind}",
    )


EXTRA_DATASETS = {"Synthetic": synthetic_dataset}
"""Datasets that :mod:`decoders.benchmark` cannot build itself, by config name."""


def bench(
    config: Annotated[Path, typer.Argument(help="YAML benchmark config.")],
    out: Annotated[Path, typer.Option(help="Folder for results.csv and report.",
                                      callback=folder_to_write)] = Path("bench-results"),
    n_jobs: Annotated[
        int, typer.Option("--n-jobs", help="Parallel joblib workers (-1: all cores).",
                          callback=worker_count)
    ] = 1,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask scheduler address (tcp://host:port); runs the work there.",
                     callback=scheduler_address),
    ] = None,
) -> None:
    """Run an offline decoding benchmark from a YAML config.

    Datasets x paradigm x evaluation x pipelines; writes results.csv and report.html (with PNG
    figures) into OUT. A bad config, dataset or scheduler address raises ``ValueError`` (or
    ``FileNotFoundError`` for missing data) naming it; the ``noir`` command line prints that
    as one line."""
    console = Console()
    cfg = load_config(config, tuple(EXTRA_DATASETS))
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console) as progress:

        def stage(name: str, total: int):
            task = progress.add_task(name, total=total)
            return lambda: progress.advance(task)

        results = run_benchmark(cfg, n_jobs=n_jobs, scheduler=scheduler,
                                extra_datasets=EXTRA_DATASETS, progress=stage)
    csv = save_results(results, out / "results.csv")
    report = write_report(results, out, title=cfg.name)
    summary = summarize(results)
    console.print(summary.to_string(index=False, float_format=lambda v: f"{v:.3g}"),
                  soft_wrap=True)
    console.print(f"results: {csv}\nreport: {report}")
