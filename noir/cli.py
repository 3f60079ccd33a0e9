"""The ``noir`` command line."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from noir.bench import bench
from noir.tasks_cli import app as tasks_app

app = typer.Typer(
    help="NOIR-style brain-robot interface: EEG decoders drive robot skills in PyBullet.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(tasks_app, name="tasks")
app.command()(bench)
experiment_app = typer.Typer(help="Reproduce the papers' experiments in simulation.",
                             no_args_is_help=True)
app.add_typer(experiment_app, name="experiment")
console = Console()


@app.callback()
def main() -> None:
    """NOIR-style brain-robot interface: EEG decoders drive robot skills in PyBullet."""


@app.command()
def demo(
    task: str = typer.Option("cube_in_tray", help="Task to run (see `noir tasks list`)."),
    operator: str = typer.Option(
        "recorded", help="Where the EEG comes from: 'recorded' (real EEG trials from the "
        "bundled ssvep-exo and EEGMMIDB samples) or 'simulated' (the synthetic subject)."),
    seed: int = typer.Option(0, help="Seed for the world, the operator's EEG and calibration."),
    profile: str = typer.Option("default", help="Synthetic subject profile (simulated only)."),
    out: Path = typer.Option(Path("runs"), help="Folder that receives the session folder."),
    user: Path = typer.Option(None, help="The person's model folder: the robot proposes what "
                              "it learned there (confirm or clench to reject) and learns from "
                              "this session if it succeeds."),
) -> None:
    """Main job: EEG drives the simulated robot through a task.

    Calibrates the decoders on the operator's EEG, lets that EEG drive the Franka through the
    task, and writes the session record (events, EEG, camera frames, summary)."""
    from noir.demo import default_config, run_session

    config = replace(default_config(operator), learning=True) if user else None
    start = time.perf_counter()
    try:
        with console.status("calibrating and running the session..."):
            summary, folder = run_session(task, operator=operator, seed=seed, profile=profile,
                                          out=out, config=config, user=user)
    except ValueError as err:
        console.print(f"[red]error:[/red] {err}")
        raise typer.Exit(code=2) from err
    elapsed = time.perf_counter() - start

    who = operator if operator == "recorded" else f"simulated, profile {profile}"
    table = Table(title=f"{summary['task']} (seed {seed}, {who} EEG)", show_header=False)
    table.add_row("goal reached", "yes" if summary["success"] else "NO")
    table.add_row("attempts", str(summary["n_attempts"]))
    table.add_row("skill calls (failed)",
                  f"{summary['n_skill_calls']} ({summary['n_skill_failures']})")
    table.add_row("decisions (rejections)",
                  f"{summary['n_decisions']} ({summary['n_rejections']})")
    for stage, acc in summary["decoding_accuracy"].items():
        table.add_row(f"{stage} accuracy", "-" if acc is None else f"{acc:.2f}")
    table.add_row("calibration accuracy MI / EMG",
                  f"{summary['calibration_accuracy']['mi']:.2f} / "
                  f"{summary['calibration_accuracy']['emg']:.2f}")
    table.add_row("simulated time", f"{summary['sim_time_s']:.1f} s "
                  f"(human {summary['human_time_pct']:.0f} %)")
    if user:
        for kind, counts in summary["proposals"].items():
            table.add_row(f"{kind} proposals accepted", f"{counts['accepted']} of "
                          f"{counts['offered']} ({counts['wrongly_accepted']} wrongly)")
    table.add_row("wall time", f"{elapsed:.1f} s")
    console.print(table)
    console.print(f"session record: {folder}")
    if not summary["success"]:
        raise typer.Exit(code=1)


@app.command()
def calibrate(
    profile: str = typer.Option("default", help="Synthetic subject profile."),
    seed: int = typer.Option(0, help="Seed of the subject and of the trial order."),
    trials: int = typer.Option(20, help="Motor-imagery trials per class (4 classes)."),
    out: Path = typer.Option(Path("calibration"), help="Folder that receives the decoders."),
) -> None:
    """Fit and save the decoders on a simulated subject's calibration trials.

    Records cued MI and jaw-clench trials, fits CSP+QDA and the clench detector, and saves them
    (skops files that load without executing code, plus the calibration EEG)."""
    from noir.calibration import calibrate as run_calibration
    from noir.config import LoopConfig
    from noir.operators import SimulatedOperator
    from sim.eeg_subject import PROFILES, SyntheticSubject

    if profile not in PROFILES:
        console.print(f"[red]error:[/red] unknown subject profile {profile!r}; "
                      f"known profiles: {sorted(PROFILES)}")
        raise typer.Exit(code=2)
    if out.exists() and any(out.iterdir()):
        console.print(f"[red]error:[/red] {out} already holds files; choose a new folder")
        raise typer.Exit(code=2)
    operator = SimulatedOperator(SyntheticSubject(profile, seed=seed))
    with console.status("recording calibration trials and fitting decoders..."):
        result = run_calibration(operator, LoopConfig(), n_mi_trials=trials, seed=seed)
    result.save(out)
    report = result.report
    console.print(f"MI CSP+QDA 4-way, 5-fold CV accuracy: {report['mi_accuracy']:.2f} "
                  f"({report['n_mi_trials']} trials)")
    console.print(f"jaw clench detector, 5-fold CV accuracy: {report['emg_accuracy']:.2f} "
                  f"({report['n_emg_trials']} windows)")
    console.print(f"saved to {out}")


@app.command()
def replay(
    run: Path = typer.Argument(..., help="A session folder written by `noir demo`."),
    out: Path = typer.Option(Path("runs"), help="Folder that receives the replayed session."),
    decoder: list[str] = typer.Option(
        [], help="Re-decode the recorded windows instead of re-executing: 'ssvep=NAME' "
        "(cca, fbcca) and/or 'mi=NAME' (csp_qda, csp_lda, fbcsp_svm, mdm, ts_lr; fitted on "
        "the session's calibration EEG). Repeatable."),
) -> None:
    """Re-execute a recorded session, or re-decode its EEG with other decoders.

    Without --decoder: runs the session again from its EEG with its saved decoders and checks
    that the decisions and the task outcome are the same. With --decoder: decodes the recorded
    windows with other decoders and compares their decisions with the recorded ones."""
    from noir.replay import ReplayDivergence, redecode, replay_session

    try:
        if decoder:
            choice = dict(item.split("=", 1) for item in decoder if "=" in item)
            if len(choice) != len(decoder) or not set(choice) <= {"ssvep", "mi"}:
                raise ValueError(f"--decoder takes ssvep=NAME or mi=NAME, got {decoder}")
            _print_redecoded(redecode(run, ssvep=choice.get("ssvep"), mi=choice.get("mi")))
            return
        summary, folder, comparison = replay_session(run, out=out)
    except (FileNotFoundError, ValueError) as err:
        console.print(f"[red]error:[/red] {err}")
        raise typer.Exit(code=2) from err
    except ReplayDivergence as err:
        console.print(f"[red]replay diverged:[/red] {err}")
        raise typer.Exit(code=1) from err
    console.print(
        f"recorded: {comparison['n_recorded']} decisions, success {comparison['recorded_success']}"
        f"\nreplayed: {comparison['n_replayed']} decisions, success "
        f"{comparison['replayed_success']}"
    )
    console.print("identical decisions and outcome" if comparison["identical"]
                  else "[red]the replay differs from the record[/red]")
    console.print(f"replayed session: {folder}")
    if not comparison["identical"]:
        raise typer.Exit(code=1)


def _print_redecoded(rows: list[dict]) -> None:
    table = Table("stage", "intended", "recorded", "re-decoded")
    for row in rows:
        table.add_row(row["stage"], row["intended"], row["recorded"], row["redecoded"])
    console.print(table)
    for stage in sorted({row["stage"] for row in rows}):
        mine = [row for row in rows if row["stage"] == stage]
        before = sum(row["recorded"] == row["intended"] for row in mine) / len(mine)
        after = sum(row["redecoded"] == row["intended"] for row in mine) / len(mine)
        console.print(f"{stage}: accuracy recorded {before:.2f}, re-decoded {after:.2f} "
                      f"({len(mine)} decisions)")


# Options of the ``experiment`` commands.
TasksOption = Annotated[str, typer.Option(
    help="Comma-separated task names (default: every task).")]
SeedsOption = Annotated[int, typer.Option(help="Measured seeds per task and configuration.")]
SubjectsOption = Annotated[int, typer.Option(
    help="Simulated subjects: the noir-like profile, then subjects sampled around it.")]
DemosOption = Annotated[int, typer.Option(
    help="Sessions that build each subject's model per task before the measured ones "
         "(learning configurations).")]
JobsOption = Annotated[int, typer.Option(help="Parallel local workers (joblib).")]
SchedulerOption = Annotated[str | None, typer.Option(
    help="Dask scheduler address (tcp://host:port).")]


@experiment_app.command("table1")
def table1(
    tasks: TasksOption = "",
    seeds: SeedsOption = 2,
    subjects: SubjectsOption = 1,
    demos: DemosOption = 3,
    n_jobs: JobsOption = 1,
    scheduler: SchedulerOption = None,
    out: Path = typer.Option(Path("runs/table1"), help="Folder for sessions, CSV and HTML."),
) -> None:
    """NOIR's Table 1 in simulation, NOIR's protocol and ours side by side.

    Runs the task suite with both configurations and prints them next to the paper's numbers;
    writes table1.csv, table1_runs.csv and table1.html."""
    from noir.experiment import format_table, reductions
    from noir.experiment import table1 as run_table1

    runs, table = run_table1(_task_names(tasks), list(range(seeds)), subjects, out,
                             demos=demos, n_jobs=n_jobs, scheduler=scheduler)
    typer.echo(format_table(table))
    if runs["success"].any():
        cut = reductions(runs)
        console.print(f"ours vs NOIR protocol: completion time -{cut['time_reduction_pct']:.0f} %,"
                      f" human time -{cut['human_time_reduction_pct']:.0f} %")
    console.print(f"written to {out}")


@experiment_app.command("learning")
def learning(
    tasks: TasksOption = "",
    seeds: SeedsOption = 2,
    subjects: SubjectsOption = 1,
    demos: DemosOption = 3,
    n_jobs: JobsOption = 1,
    scheduler: SchedulerOption = None,
    out: Path = typer.Option(Path("runs/learning"), help="Folder for sessions and CSV."),
) -> None:
    """NOIR's Figure 5 in simulation: decoding time and cursor travel with and without the
    robot's learning; writes learning.csv and learning_runs.csv."""
    from noir.experiment import figure5, learning_gains

    _, summary = figure5(_task_names(tasks), list(range(seeds)), subjects, out, demos=demos,
                         n_jobs=n_jobs, scheduler=scheduler)
    typer.echo(summary.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    gains = learning_gains(summary)
    console.print(f"with learning: object+skill decoding time -"
                  f"{gains['object_skill_time_cut_pct']:.0f} %, cursor travel -"
                  f"{gains['cursor_travel_cut_pct']:.0f} %")
    console.print(f"written to {out}")


def _task_names(tasks: str) -> list[str]:
    """Task names from a comma-separated option (every task when empty); exits on unknown."""
    from sim.tasks import TASKS

    names = [t for t in tasks.split(",") if t] or sorted(TASKS)
    unknown = sorted(set(names) - set(TASKS))
    if unknown:
        console.print(f"[red]error:[/red] unknown tasks {unknown}; known: {sorted(TASKS)}")
        raise typer.Exit(code=2)
    return names
