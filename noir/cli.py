"""The ``noir`` command line."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(
    help="NOIR-style brain-robot interface: EEG decoders drive robot skills in PyBullet.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()


@app.callback()
def main() -> None:
    """NOIR-style brain-robot interface: EEG decoders drive robot skills in PyBullet."""


@app.command()
def demo(
    task: str = typer.Option("cube_in_tray", help="Task to run (see sim.tasks.TASKS)."),
    seed: int = typer.Option(0, help="Seed for the world, the simulated subject and calibration."),
    profile: str = typer.Option("default", help="Synthetic subject profile."),
    out: Path = typer.Option(Path("runs"), help="Folder that receives the session folder."),
) -> None:
    """Main job: calibrate a simulated subject, let its EEG drive the Franka through a task,
    and write the session record (events, EEG, camera frames, summary)."""
    from noir.demo import run_session

    start = time.perf_counter()
    try:
        with console.status("calibrating and running the session..."):
            summary, folder = run_session(task, seed=seed, profile=profile, out=out)
    except ValueError as err:
        console.print(f"[red]error:[/red] {err}")
        raise typer.Exit(code=2) from err
    elapsed = time.perf_counter() - start

    table = Table(title=f"{summary['task']} (seed {seed}, profile {profile})", show_header=False)
    table.add_row("goal reached", "yes" if summary["success"] else "NO")
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
    """Record cued MI and jaw-clench trials from a simulated subject, fit CSP+QDA and the clench
    detector, and save them (skops files that load without executing code, plus the EEG)."""
    from noir.calibration import calibrate as run_calibration
    from noir.config import LoopConfig
    from sim.eeg_subject import PROFILES, SyntheticSubject

    if profile not in PROFILES:
        console.print(f"[red]error:[/red] unknown subject profile {profile!r}; "
                      f"known profiles: {sorted(PROFILES)}")
        raise typer.Exit(code=2)
    if out.exists() and any(out.iterdir()):
        console.print(f"[red]error:[/red] {out} already holds files; choose a new folder")
        raise typer.Exit(code=2)
    subject = SyntheticSubject(profile, seed=seed)
    with console.status("recording calibration trials and fitting decoders..."):
        result = run_calibration(subject.record, LoopConfig(), n_mi_trials=trials, seed=seed)
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
) -> None:
    """Re-execute a recorded session from its EEG with its saved decoders, and check that the
    decisions and the task outcome are the same."""
    from noir.replay import ReplayDivergence, replay_session

    try:
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
