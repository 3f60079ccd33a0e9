"""NOIR's Table 1 and Figure 5 in simulation: the task suite driven by simulated subjects' EEG.

Each run is one session (``noir.demo.run_session``) of one task, configuration, seed and
simulated subject; runs are independent and go through the benchmark's executor (sequential,
joblib or a Dask cluster). The configurations:

- ``noir``: NOIR's protocol — 10-s SSVEP windows with CCA, CSP+QDA for skills and the cursor,
  the axis-by-axis cursor starting at the image centre;
- ``noir+learning``: the same with NOIR's robot learning (``noir.assist``): proposals of the
  object, skill and point learned from the person's earlier sessions, which they confirm;
- ``best``: ours — FBCCA with dynamic stopping (1–4 s), tangent-space + logistic-regression MI
  on 2-s windows, 0.6-s confirmation windows (the clench detector reads 0.5 s), the
  axis-by-axis cursor starting on the selected object (proposed as it is first), and robot
  learning. (NOIR 2.0's continuous cursor needs 4-way MI, which the ``noir-like`` subject
  decodes at about 0.5: it wanders; 2-way MI at about 0.8 steers the axis cursor reliably.)

A learning configuration first builds each subject's model for each task from ``demos``
sessions on seeds of their own (``DEMO_SEED`` onwards), run one after the other with learning
on, as a person would use the system; the measured sessions then start from that model.
"""

from __future__ import annotations

import html
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from decoders.benchmark.evaluations import Executor
from decoders.benchmark.stats import mean_ci
from noir.config import LoopConfig
from noir.demo import run_session
from sim.eeg_subject import PROFILES, SubjectProfile, sample_population
from sim.tasks import TASKS

_NOIR = LoopConfig()
CONFIGS = {
    "noir": _NOIR,
    "noir+learning": replace(_NOIR, learning=True),
    "best": LoopConfig(ssvep_decoder="fbcca", ssvep_stopping=(1.0, 1.5, 2.0, 3.0, 4.0),
                       mi_decoder="ts_lr", mi_window=2.0, confirm_window=0.6,
                       cursor_start="object", learning=True),
}
TABLE1_CONFIGS = ("noir", "best")
FIGURE5_CONFIGS = ("noir", "noir+learning")
DEMO_SEED = 1000
"""Seeds of the sessions that build a learning configuration's user models start here (the
measured sessions use seeds from 0)."""

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

PAPER_FIGURE5 = {
    "noir": {"object_skill_time_s": (45.6, 14.6), "cursor_travel_cm": (9.0, 7.5)},
    "noir+learning": {"object_skill_time_s": (18.0, 13.3), "cursor_travel_cm": (5.3, 3.3)},
}
"""NOIR Figure 5 (noir-reference.md §9.2, read from the bars, ±1 %): (mean, sd) of object and
skill decoding time (s) and cursor distance (cm), without and with robot learning."""

OnProgress = Callable[[int, int], None]
"""``progress(done, total)``: sessions finished so far of all the sessions a run will hold."""


def subject_profile(subject: int) -> SubjectProfile:
    """Simulated subject ``subject``: 0 is the ``noir-like`` profile, the others are sampled
    around it (``sim.eeg_subject.sample_population``)."""
    return sample_population(subject + 1, seed=1000)[subject] if subject else PROFILES[
        "noir-like"]


def run_one(item: tuple[str, str, int, int, Path, Path | None]) -> dict[str, Any]:
    """One session: (task, configuration, seed, subject index, output folder, user model
    folder or None) -> a tidy row. The session reads the user model but does not change it."""
    task, config, seed, subject, out, user = item
    summary, folder = run_session(task, source="simulated", seed=seed,
                                  profile=subject_profile(subject), config=CONFIGS[config],
                                  folder=out / f"{task}-{config}-seed{seed}-subject{subject}",
                                  user=user, update_user=False)
    return _row(summary, folder, task, config, seed, subject)


def build_user(item: tuple[str, str, int, int, Path]) -> list[dict[str, Any]]:
    """Build a subject's model for a task: (task, configuration, subject, demos, output folder)
    -> the rows of the ``demos`` sessions, run in order, each learning from the ones before.

    The model goes to ``out / "users" / f"{task}-{config}-subject{subject}"``."""
    task, config, subject, demos, out = item
    user = user_folder(out, task, config, subject)
    shutil.rmtree(user, ignore_errors=True)
    rows = []
    for seed in range(DEMO_SEED, DEMO_SEED + demos):
        summary, folder = run_session(
            task, source="simulated", seed=seed, profile=subject_profile(subject),
            config=CONFIGS[config], user=user,
            folder=out / "demos" / f"{task}-{config}-seed{seed}-subject{subject}")
        rows.append(_row(summary, folder, task, config, seed, subject))
    return rows


def user_folder(out: Path, task: str, config: str, subject: int) -> Path:
    """Where ``build_user`` keeps a subject's model of a task."""
    return out / "users" / f"{task}-{config}-subject{subject}"


def _row(summary: dict[str, Any], folder: Path, task: str, config: str, seed: int,
         subject: int) -> dict[str, Any]:
    final = summary["attempts"][-1]
    by_stage = summary["human_time_by_stage_s"]
    calls = max(summary["n_skill_calls"], 1)
    row = {
        "task": task, "config": config, "seed": seed, "subject": subject,
        "success": summary["success"], "attempts": summary["n_attempts"],
        "horizon": final["skill_calls"], "time_min": final["time_s"] / 60,
        "human_time_pct": 100 * final["human_time_s"] / final["time_s"],
        "total_time_min": summary["sim_time_s"] / 60,
        "object_skill_time_s": sum(by_stage.get(k, 0.0) for k in ("what", "how", "intent"))
        / calls,
        "cursor_travel_px": summary["cursor_travel_px"],
        "cursor_travel_cm": 100 * summary["cursor_travel_m"],
        "n_where": summary["n_where"],
        "practical_itr_bits_per_min": summary["practical_itr_bits_per_min"],
        "session": folder.name,
    }
    for kind, counts in summary["proposals"].items():
        row.update({f"{kind}_{k}": v for k, v in counts.items()})
    row.update({f"acc_{stage}": acc for stage, acc in summary["decoding_accuracy"].items()})
    row.update({f"single_option_{stage}": n
                for stage, n in summary["n_single_option_decisions"].items()})
    return row


def run_suite(tasks: list[str], configs: list[str], seeds: list[int], subjects: int, out: Path,
              *, demos: int = 3, n_jobs: int = 1, scheduler: str | None = None,
              progress: OnProgress | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run every task × configuration × seed × subject; return (measured runs, demo runs).

    Learning configurations first build their user models from ``demos`` sessions per task
    and subject (``build_user``), in parallel over tasks and subjects. ``out`` must be new or
    empty, so that no earlier result is overwritten. ``progress(done, total)`` is called as
    sessions finish (demonstration and measured sessions together, e.g. ``session_bar``).

    Raises
    ------
    ValueError
        On an unknown task or configuration, a repeated task, configuration or seed, no
        seeds, a negative seed, fewer than one subject or a negative ``demos``.
    FileExistsError
        If ``out`` already holds files.
    """
    _check_suite(tasks, configs, seeds, subjects, demos)
    if out.is_dir() and any(out.iterdir()):
        raise FileExistsError(f"{out} already holds files; an experiment writes into a new or "
                              "empty folder")
    out.mkdir(parents=True, exist_ok=True)
    executor = Executor(n_jobs=n_jobs, scheduler=scheduler)
    learners = [c for c in configs if CONFIGS[c].learning]
    demo_items = [(task, config, subject, demos, out) for task in tasks for config in learners
                  for subject in range(subjects)]
    items = [(task, config, seed, subject, out / "runs",
              user_folder(out, task, config, subject) if config in learners else None)
             for task in tasks for config in configs for seed in seeds
             for subject in range(subjects)]
    total, done = len(demo_items) * demos + len(items), 0

    def tick(sessions: int) -> Callable[[], None]:
        def advance() -> None:
            nonlocal done
            done += sessions
            if progress is not None:
                progress(done, total)
        return advance

    if progress is not None:
        progress(0, total)
    demo_rows = [row for rows in executor.map(build_user, demo_items, tick(demos))
                 for row in rows]
    return (pd.DataFrame(executor.map(run_one, items, tick(1))), pd.DataFrame(demo_rows))


@contextmanager
def session_bar(description: str, console: Console | None = None) -> Iterator[OnProgress]:
    """A progress bar over a run's sessions (rich, on stderr by default); yields the
    ``progress(done, total)`` callback for ``run_suite``. Silent when the console is not a
    terminal (a pipe, a file, a test)."""
    console = console or Console(stderr=True)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), TimeRemainingColumn(), console=console,
                  disable=not console.is_terminal) as bar:
        task = bar.add_task(description, total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _check_suite(tasks: list[str], configs: list[str], seeds: list[int], subjects: int,
                 demos: int) -> None:
    for name, values, known in (("tasks", tasks, TASKS), ("configurations", configs, CONFIGS)):
        unknown = sorted(set(values) - set(known))
        if unknown or not values:
            raise ValueError(f"unknown {name} {unknown or values}; known: {sorted(known)}")
    for name, values in (("task", tasks), ("configuration", configs), ("seed", seeds)):
        if len(set(values)) < len(values):
            raise ValueError(f"a {name} is repeated in {values}: its sessions would collide")
    if not seeds or min(seeds) < 0:
        raise ValueError(f"seeds must be one or more integers >= 0, got {seeds}")
    if subjects < 1 or demos < 0:
        raise ValueError(f"need subjects >= 1 and demos >= 0, got {subjects} and {demos}")


def table1(tasks: list[str], seeds: list[int], subjects: int, out: Path, *, demos: int = 3,
           n_jobs: int = 1, scheduler: str | None = None, progress: OnProgress | None = None
           ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """NOIR's Table 1: ``TABLE1_CONFIGS`` over the tasks; return (runs, per-task table) and
    write table1_runs.csv, table1_demos.csv, table1.csv, table1.png (``table1_figure``) and
    table1.html (the table and the figure) to ``out``.

    ``subjects`` counts simulated subjects (``subject_profile``); ``progress`` as in
    ``run_suite``.
    """
    runs, demo_runs = run_suite(tasks, list(TABLE1_CONFIGS), seeds, subjects, out, demos=demos,
                                n_jobs=n_jobs, scheduler=scheduler, progress=progress)
    table = table1_table(runs)
    runs.to_csv(out / "table1_runs.csv", index=False)
    demo_runs.to_csv(out / "table1_demos.csv", index=False)
    table.to_csv(out / "table1.csv", index=False)
    table1_figure(runs, demos).savefig(out / "table1.png", dpi=100)
    (out / "table1.html").write_text(_html(table, runs), encoding="utf-8")
    return runs, table


def table1_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Per task and configuration: Table 1's columns (means over successful sessions), the
    success rate, decoding accuracies (decisions among two or more options), practical ITR
    (bits the person sent, ``SessionTally.practical_itr``) and the paper's figures."""
    done = runs[runs["success"]]
    table = done.groupby(["task", "config"]).agg(
        horizon=("horizon", "mean"), attempts=("attempts", "mean"),
        time_min=("time_min", "mean"), human_time_pct=("human_time_pct", "mean"),
        acc_what=("acc_what", "mean"), acc_how=("acc_how", "mean"),
        practical_itr=("practical_itr_bits_per_min", "mean"),
    ).reset_index()
    table["success_rate"] = table.apply(
        lambda r: runs[(runs.task == r.task) & (runs.config == r.config)]["success"].mean(),
        axis=1)
    for k, column in enumerate(("paper_horizon", "paper_attempts", "paper_time_min",
                                "paper_human_time_pct"), start=1):
        table[column] = [PAPER.get(task, (None,) * 5)[k] for task in table["task"]]
    return table


def figure5(tasks: list[str], seeds: list[int], subjects: int, out: Path, *, demos: int = 3,
            n_jobs: int = 1, scheduler: str | None = None, progress: OnProgress | None = None
            ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """NOIR's Figure 5: object+skill decoding time and cursor travel without and with robot
    learning (``FIGURE5_CONFIGS``); return (runs, summary) and write learning_runs.csv,
    learning_demos.csv, learning.csv, learning.png (``figure5_figure``) and learning.html to
    ``out``.

    The summary is ``figure5_summary``'s; ``progress`` as in ``run_suite``.
    """
    runs, demo_runs = run_suite(tasks, list(FIGURE5_CONFIGS), seeds, subjects, out,
                                demos=demos, n_jobs=n_jobs, scheduler=scheduler,
                                progress=progress)
    summary = figure5_summary(runs)
    runs.to_csv(out / "learning_runs.csv", index=False)
    demo_runs.to_csv(out / "learning_demos.csv", index=False)
    summary.to_csv(out / "learning.csv", index=False)
    figure5_figure(summary, demos).savefig(out / "learning.png", dpi=100)
    (out / "learning.html").write_text(_learning_html(summary, runs), encoding="utf-8")
    return runs, summary


def figure5_summary(runs: pd.DataFrame) -> pd.DataFrame:
    """Per configuration: object+skill decoding time per skill call (s) and cursor travel per
    Where stage (cm), mean and standard deviation over successful sessions; proposals
    offered, accepted and wrongly accepted; success rate."""
    done = runs[runs["success"]].assign(
        cursor_cm_per_where=lambda d: d["cursor_travel_cm"] / d["n_where"].clip(lower=1))
    summary = done.groupby("config").agg(
        sessions=("success", "size"),
        object_skill_time_s=("object_skill_time_s", "mean"),
        object_skill_time_sd=("object_skill_time_s", "std"),
        cursor_travel_cm=("cursor_cm_per_where", "mean"),
        cursor_travel_sd=("cursor_cm_per_where", "std"),
    )
    counts = runs.groupby("config")[[c for c in runs if c.startswith(("intent_", "point_"))]]
    summary = summary.join(counts.sum()).reset_index()
    summary["success_rate"] = [runs[runs.config == c]["success"].mean()
                               for c in summary["config"]]
    return summary


def learning_gains(summary: pd.DataFrame) -> dict[str, float]:
    """Cut in object+skill decoding time and cursor travel with learning, in %; NaN when a
    configuration has no successful session or no cursor travel without learning."""
    by = summary.set_index("config").reindex(list(FIGURE5_CONFIGS))
    base, learned = by.loc[FIGURE5_CONFIGS[0]], by.loc[FIGURE5_CONFIGS[1]]
    return {
        "object_skill_time_cut_pct": 100 * (1 - learned.object_skill_time_s
                                            / base.object_skill_time_s),
        "cursor_travel_cut_pct": 100 * (1 - learned.cursor_travel_cm / base.cursor_travel_cm)
        if base.cursor_travel_cm > 0 else float("nan"),
    }


def reductions(runs: pd.DataFrame) -> dict[str, float]:
    """Cut in mean completion time and human time of ``best`` relative to ``noir`` (same
    runs, successful sessions), in %; NaN when a configuration has no successful session."""
    done = runs[runs["success"]]
    human = done["time_min"] * done["human_time_pct"] / 100
    means = done.assign(human_min=human).groupby("config")[["time_min", "human_min"]].mean(
    ).reindex(["noir", "best"])
    return {
        "time_reduction_pct": 100 * (1 - means.loc["best", "time_min"]
                                     / means.loc["noir", "time_min"]),
        "human_time_reduction_pct": 100 * (1 - means.loc["best", "human_min"]
                                           / means.loc["noir", "human_min"]),
    }


CONFIG_NAMES = {"noir": "NOIR protocol", "noir+learning": "NOIR protocol + learning",
                "best": "ours"}
"""How plots and pages name the configurations."""


def _mean_ci(values: pd.Series) -> tuple[float, float]:
    """Mean and half-width of its 95 % Student-t interval (0 for fewer than 2 values)."""
    values = values.dropna()
    if values.size < 2:
        return float(values.mean()) if values.size else float("nan"), 0.0
    mean, low, _ = mean_ci(values.to_numpy())
    return mean, mean - low


def table1_figure(runs: pd.DataFrame, demos: int) -> Figure:
    """Table 1 as bars: completion time and human time (min) per task for each configuration
    in ``runs`` (mean over successful sessions, 95 % t interval) and the paper's NOIR.

    ``demos``: the demonstration sessions each learning configuration had per task and
    subject before the measured ones (not counted in its times; named in the title).
    """
    done = runs[runs["success"]].assign(
        human_min=lambda d: d["time_min"] * d["human_time_pct"] / 100)
    tasks = sorted(done["task"].unique())
    configs = [c for c in CONFIG_NAMES if c in set(done["config"])]
    fig = Figure(figsize=(max(8.0, 0.6 * len(tasks) + 2), 7))
    axes = fig.subplots(2, 1, sharex=True)
    x = np.arange(len(tasks))
    width = 0.8 / (len(configs) + 1)
    for ax, column, label in ((axes[0], "time_min", "completion time (min)"),
                              (axes[1], "human_min", "human time (min)")):
        for k, config in enumerate(configs):
            mine = done[done["config"] == config]
            stats = [_mean_ci(mine[mine["task"] == t][column]) for t in tasks]
            name = CONFIG_NAMES[config] + (
                f" (after {demos} demonstration sessions, not counted)"
                if CONFIGS[config].learning else "") + ", simulated"
            ax.bar(x + k * width, [m for m, _ in stats], width, yerr=[h for _, h in stats],
                   capsize=2, label=name)
        paper = [PAPER[t][3] * (PAPER[t][4] / 100 if column == "human_min" else 1)
                 if t in PAPER else np.nan for t in tasks]
        ax.bar(x + len(configs) * width, paper, width, color="0.6", hatch="//",
               label="NOIR paper (Table 1)")
        ax.set_yscale("log")  # the paper's minutes are 10-100 times the simulated ones
        ax.set_ylabel(label + ", log scale")
    axes[0].set_title("NOIR Table 1 in simulation: mean over successful sessions, 95 % t "
                      "interval")
    axes[1].set_xticks(x + width * len(configs) / 2, tasks, rotation=60, ha="right")
    fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=3, fontsize=8)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def figure5_figure(summary: pd.DataFrame, demos: int) -> Figure:
    """NOIR Figure 5 as a figure: object+skill decoding time per skill call (s) and cursor
    travel per Where stage (cm) without and with robot learning (``figure5_summary``: mean
    and standard deviation over successful sessions), beside the paper's bars
    (``PAPER_FIGURE5``). ``demos``: sessions each learner had before (named in the title)."""
    by = summary.set_index("config")
    configs = [c for c in FIGURE5_CONFIGS if c in by.index]
    fig = Figure(figsize=(9, 4))
    axes = fig.subplots(1, 2)
    panels = ((axes[0], "object_skill_time_s", "object_skill_time_sd",
               "object + skill decoding time per skill call (s)"),
              (axes[1], "cursor_travel_cm", "cursor_travel_sd",
               "cursor travel per Where stage (cm)"))
    x = np.arange(len(configs))
    for ax, column, sd_col, label in panels:
        mean = [by.loc[c, column] for c in configs]
        sd = [by.loc[c, sd_col] for c in configs]
        ax.bar(x - 0.2, mean, 0.4, yerr=np.nan_to_num(sd), capsize=3, label="simulated")
        ax.bar(x + 0.2, [PAPER_FIGURE5[c][column][0] for c in configs], 0.4,
               yerr=[PAPER_FIGURE5[c][column][1] for c in configs], capsize=3, color="0.6",
               hatch="//", label="NOIR paper (Figure 5)")
        ax.set_xticks(x, ["without learning" if not CONFIGS[c].learning else
                          f"with learning\n(after {demos} demonstration sessions)"
                          for c in configs])
        ax.set_ylabel(label)
    axes[0].legend(fontsize=8)
    fig.suptitle("NOIR Figure 5 in simulation: mean ± sd over successful sessions")
    fig.tight_layout()
    return fig


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<h1>{html.escape(title)}</h1>{body}")


def _html(table: pd.DataFrame, runs: pd.DataFrame) -> str:
    cut = reductions(runs) if set(runs["config"]) >= {"noir", "best"} else {}
    summary = "".join(f"<li>{k.replace('_', ' ')}: {v:.1f}</li>" for k, v in cut.items())
    return _page(
        "NOIR Table 1 in simulation",
        f"<p>{len(runs)} sessions; {int(runs['success'].sum())} reached the goal.</p>"
        f"<ul>{summary}</ul>"
        "<img src='table1.png' alt='Table 1: completion time and human time per task, NOIR "
        "protocol and ours in simulation beside the paper'>"
        "<p>acc_what, acc_how: decoding accuracy of windows decoded among 2 or more options; "
        "practical_itr: bits per minute the person sent choosing objects and skills.</p>"
        + table.round(2).to_html(index=False, na_rep="–")
        + "<h2>All sessions</h2>" + runs.round(3).to_html(index=False, na_rep="–"))


def _learning_html(summary: pd.DataFrame, runs: pd.DataFrame) -> str:
    gains = learning_gains(summary) if set(summary["config"]) >= set(FIGURE5_CONFIGS) else {}
    cuts = "".join(f"<li>{k.replace('_', ' ')}: {v:.1f}</li>" for k, v in gains.items())
    return _page(
        "NOIR Figure 5 in simulation",
        f"<p>{len(runs)} sessions; {int(runs['success'].sum())} reached the goal.</p>"
        f"<ul>{cuts}</ul>"
        "<img src='learning.png' alt='Figure 5: object and skill decoding time and cursor "
        "travel without and with robot learning, simulated beside the paper'>"
        + summary.round(2).to_html(index=False, na_rep="–")
        + "<h2>All sessions</h2>" + runs.round(3).to_html(index=False, na_rep="–"))


def format_table(table: pd.DataFrame) -> str:
    """The per-task table as text, ours next to the paper's numbers."""
    cols = ["task", "config", "success_rate", "horizon", "paper_horizon", "attempts",
            "paper_attempts", "time_min", "paper_time_min", "human_time_pct",
            "paper_human_time_pct", "acc_what", "acc_how", "practical_itr"]
    return table[cols].to_string(index=False, float_format=lambda v: f"{v:.2f}",
                                 na_rep="–")


