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
