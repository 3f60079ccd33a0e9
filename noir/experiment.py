"""NOIR's Table 1 in simulation: the task suite driven by simulated subjects' EEG.

Each run is one session (``noir.demo.run_session``) of one task, configuration, seed and
simulated subject; runs are independent and go through the benchmark's executor (sequential,
joblib or a Dask cluster). Two configurations are compared:

- ``noir``: NOIR's protocol — 10-s SSVEP windows with CCA, CSP+QDA for skills and the cursor,
  the axis-by-axis cursor starting at the image centre;
- ``best``: ours — FBCCA with dynamic stopping (1–4 s), tangent-space + logistic-regression MI
  on 2-s windows, 0.6-s confirmation windows (the clench detector reads 0.5 s), the continuous
  2-D cursor starting on the selected object.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from decoders.benchmark.evaluations import Executor
from noir.config import LoopConfig
from noir.demo import run_session
from sim.eeg_subject import PROFILES, sample_population

CONFIGS = {
    "noir": LoopConfig(),
    "best": LoopConfig(ssvep_decoder="fbcca", ssvep_stopping=(1.0, 1.5, 2.0, 3.0, 4.0),
                       mi_decoder="ts_lr", mi_window=2.0, confirm_window=0.6,
                       cursor_mode="continuous", cursor_start="object"),
}

# NOIR Table 1 (noir-reference.md §8.2): horizon, attempts, time (min), human time (%)
PAPER = {
    "wipe_spill": ("WipeSpill", 4.33, 1.00, 14.74, 79.02),
    "collect_toy": ("CollectToy", 7.67, 1.33, 25.24, 83.97),
    "sweep_trash": ("SweepTrash", 5.67, 2.33, 20.59, 82.34),
    "clean_book": ("CleanBook", 7.00, 3.33, 27.73, 80.00),
    "iron_cloth": ("IronCloth", 4.67, 2.33, 16.95, 79.56),
    "open_basket": ("OpenBasket", 5.33, 1.67, 15.90, 82.03),
    "pour_tea": ("PourTea", 4.00, 1.67, 13.53, 83.15),
    "set_table": ("SetTable", 8.33, 5.67, 20.91, 81.15),
    "grate_cheese": ("GrateCheese", 7.00, 1.33, 24.98, 81.79),
    "cut_banana": ("CutBanana", 5.33, 1.67, 17.68, 81.21),
    "cook_pasta": ("CookPasta", 8.33, 1.67, 30.06, 83.26),
    "sandwich": ("Sandwich", 9.00, 1.67, 27.87, 82.71),
    "hockey": ("Hockey", 5.00, 1.33, 15.83, 82.00),
    "open_gift": ("OpenGift", 7.00, 2.67, 23.57, 79.90),
    "tic_tac_toe": ("TicTacToe", 14.33, 2.00, 43.08, 80.54),
    "sukiyaki": ("Sukiyaki", 13.00, 1.00, 43.45, 84.85),
    "trash_disposal": ("TrashDisposal", 8.00, 1.00, 7.25, 55.32),
    "covid_care": ("CovidCare", 8.00, 1.00, 8.80, 62.29),
    "water_plant": ("WaterPlant", 4.00, 1.00, 3.00, 87.41),
    "pet_dog": ("PetDog", 6.00, 1.00, 4.58, 87.53),
}


def run_one(item: tuple[str, str, int, int, Path]) -> dict[str, Any]:
    """One session: (task, configuration, seed, subject index, output folder) -> a tidy row."""
    task, config, seed, subject, out = item
    profile = sample_population(subject + 1, seed=1000)[subject] if subject else PROFILES[
        "noir-like"]
    summary, folder = run_session(task, operator="simulated", seed=seed, profile=profile,
                                  config=CONFIGS[config],
                                  folder=out / f"{task}-{config}-seed{seed}-subject{subject}")
    final = summary["attempts"][-1]
    row = {
        "task": task, "config": config, "seed": seed, "subject": subject,
        "success": summary["success"], "attempts": summary["n_attempts"],
        "horizon": final["skill_calls"], "time_min": final["time_s"] / 60,
        "human_time_pct": 100 * final["human_time_s"] / final["time_s"],
        "total_time_min": summary["sim_time_s"] / 60, "cursor_travel_px": summary[
            "cursor_travel_px"], "session": folder.name,
    }
    row.update({f"acc_{stage}": acc for stage, acc in summary["decoding_accuracy"].items()})
    return row


def table1(tasks: list[str], seeds: list[int], subjects: int, out: Path, *, n_jobs: int = 1,
           scheduler: str | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run every task × configuration × seed × subject; return (runs, per-task table).

    ``subjects`` counts simulated subjects: 0 is the ``noir-like`` profile, the others are
    sampled around it (``sim.eeg_subject.sample_population``).
    """
    out.mkdir(parents=True, exist_ok=True)
    items = [(task, config, seed, subject, out / "runs")
             for task in tasks for config in CONFIGS for seed in seeds
             for subject in range(subjects)]
    runs = pd.DataFrame(Executor(n_jobs=n_jobs, scheduler=scheduler).map(run_one, items))
    done = runs[runs["success"]]
    table = done.groupby(["task", "config"]).agg(
        horizon=("horizon", "mean"), attempts=("attempts", "mean"),
        time_min=("time_min", "mean"), human_time_pct=("human_time_pct", "mean"),
        acc_what=("acc_what", "mean"), acc_how=("acc_how", "mean"),
    ).reset_index()
    table["success_rate"] = table.apply(
        lambda r: runs[(runs.task == r.task) & (runs.config == r.config)]["success"].mean(),
        axis=1)
    for k, column in enumerate(("paper_horizon", "paper_attempts", "paper_time_min",
                                "paper_human_time_pct"), start=1):
        table[column] = [PAPER.get(task, (None,) * 5)[k] for task in table["task"]]
    runs.to_csv(out / "table1_runs.csv", index=False)
    table.to_csv(out / "table1.csv", index=False)
    (out / "table1.html").write_text(_html(table, runs), encoding="utf-8")
    return runs, table


def reductions(runs: pd.DataFrame) -> dict[str, float]:
    """Mean completion time and human time of ``best`` relative to ``noir`` (same runs)."""
    done = runs[runs["success"]]
    human = done["time_min"] * done["human_time_pct"] / 100
    means = done.assign(human_min=human).groupby("config")[["time_min", "human_min"]].mean()
    return {
        "time_reduction_pct": 100 * (1 - means.loc["best", "time_min"]
                                     / means.loc["noir", "time_min"]),
        "human_time_reduction_pct": 100 * (1 - means.loc["best", "human_min"]
                                           / means.loc["noir", "human_min"]),
    }


def _html(table: pd.DataFrame, runs: pd.DataFrame) -> str:
    cut = reductions(runs) if set(runs["config"]) >= {"noir", "best"} else {}
    summary = "".join(f"<li>{k.replace('_', ' ')}: {v:.1f}</li>" for k, v in cut.items())
    return (
        "<!doctype html><meta charset='utf-8'><title>NOIR Table 1 in simulation</title>"
        "<h1>NOIR Table 1 in simulation</h1>"
        f"<p>{len(runs)} sessions; {int(runs['success'].sum())} reached the goal.</p>"
        f"<ul>{summary}</ul>"
        + table.round(2).to_html(index=False, na_rep="–")
        + "<h2>All sessions</h2>" + runs.round(3).to_html(index=False, na_rep="–")
    )


def format_table(table: pd.DataFrame) -> str:
    """The per-task table as text, ours next to the paper's numbers."""
    cols = ["task", "config", "success_rate", "horizon", "paper_horizon", "attempts",
            "paper_attempts", "time_min", "paper_time_min", "human_time_pct",
            "paper_human_time_pct", "acc_what", "acc_how"]
    return table[cols].to_string(index=False, float_format=lambda v: f"{v:.2f}",
                                 na_rep="–")


