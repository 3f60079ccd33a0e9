"""The ``noir`` command line.

Bad input ends in one line on stderr, ``error: <what is wrong>``, and exit code 2, whether
typer's own checks of an option find it or library code raises ``ValueError`` or ``OSError``
(``FileNotFoundError``, ``PermissionError``...) deeper in; options are checked before any
long work starts (a live stream that does not fit: one line per mismatch). Other
exceptions are bugs and keep their traceback.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.table import Table
from typer.core import TyperGroup

from noir.bench import bench
from noir.bids import export_bids
from noir.console.cli import PORT as CONSOLE_PORT
from noir.console.cli import console as console_command
from noir.console.cli import opened as opened_console
from noir.data_cli import app as data_app
from noir.tasks_cli import (
    MAX_SEED,
    folder_to_write,
    known_task,
    scheduler_address,
    worker_count,
)
from noir.tasks_cli import app as tasks_app


class OneLineErrors(TyperGroup):
    """The root command: bad input gives ``error: <message>`` on stderr, nothing else.

    Usage errors keep their exit code (2; 1 for other typer errors); ``ValueError`` and
    ``OSError`` exit with 2.
    """

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except typer.TyperException as err:  # typer's checks of the command line
            code = err.exit_code
            if type(err).__name__ != "NoArgsIsHelpError":  # typer printed the help already
                ctx = getattr(err, "ctx", None)
                hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
                _error(err.format_message() + hint)
        except (ValueError, OSError) as err:
            code = 2
            for line in _lines(err):
                _error(line)
        except typer.Abort:
            code = 1
            _error("aborted")
        code = code if isinstance(code, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


def _message(err: ValueError | OSError) -> str:
    """What went wrong, naming the file of an OSError raised by the system."""
    if isinstance(err, OSError) and err.filename is not None and err.strerror:
        return f"{err.filename}: {err.strerror}"
    return str(err) or type(err).__name__


def _lines(err: ValueError | OSError) -> list[str]:
    """The error's message as lines: one, or one per mismatch of a live stream that does not
    fit the session or its montage (``noir.stream.StreamMismatch``)."""
    from noir.stream import StreamMismatch

    if isinstance(err, StreamMismatch):
        return [line for line in str(err).splitlines() if line.strip()]
    return [_message(err)]


def _error(message: str) -> None:
    """One line on stderr, whatever line breaks ``message`` holds."""
    typer.echo(f"{typer.style('error:', fg='red')} {' '.join(message.split())}", err=True)


app = typer.Typer(
    cls=OneLineErrors,
    help="NOIR-style brain-robot interface: EEG decoders drive robot skills in PyBullet.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(tasks_app, name="tasks")
app.add_typer(data_app, name="data")
app.command()(bench)
app.command("console")(console_command)
app.command("export-bids")(export_bids)
experiment_app = typer.Typer(help="Reproduce the papers' experiments in simulation.",
                             no_args_is_help=True)
app.add_typer(experiment_app, name="experiment")
console = Console()


@app.callback()
def main() -> None:
    """NOIR-style brain-robot interface: EEG decoders drive robot skills in PyBullet."""


def _known_profile(name: str) -> str:
    """Option callback: ``name`` is a synthetic subject profile."""
    from sim.eeg_subject import PROFILES

    if name not in PROFILES:
        raise typer.BadParameter(
            f"unknown subject profile {name!r}; known profiles: {sorted(PROFILES)}")
    return name


def _holds_files(path: Path) -> bool:
    return path.is_dir() and any(path.iterdir())


def _new_folder(path: Path) -> Path:
    """Option callback: a folder to write that is new or empty (nothing gets overwritten)."""
    if _holds_files(path):
        raise typer.BadParameter(f"{path} already holds files; choose a new or empty folder")
    return folder_to_write(path)


def _source(text: str) -> str:
    """Option callback: ``text`` is a source spec (``noir.sources``)."""
    from noir.sources import SourceSpec

    try:
        SourceSpec.parse(text)
    except ValueError as err:
        raise typer.BadParameter(str(err)) from err
    return text


def _calibration_folder(path: Path | None) -> Path | None:
    """Option callback: an existing calibration folder (``noir calibrate --out``)."""
    if path is not None and not (path / "calibration.json").is_file():
        raise typer.BadParameter(f"{path} is not a calibration folder (no calibration.json); "
                                 "make one with `noir calibrate --out`")
    return path


def _windows(text: str | None) -> tuple[float, ...] | None:
    """Option callback: growing SSVEP window lengths in s, comma-separated (``1,2,4``)."""
    if text is None:
        return None
    try:
        windows = tuple(float(part) for part in text.split(","))
    except ValueError:
        windows = ()
    if not windows or any(not 0 < w <= 60 for w in windows) \
            or any(b <= a for a, b in zip(windows, windows[1:], strict=False)):
        raise typer.BadParameter(f"{text!r}: expected growing window lengths in s, "
                                 "comma-separated, each in (0, 60] (e.g. 1,2,4)")
    return windows


STOPPING_HELP = ("Dynamic stopping for SSVEP: growing window lengths in s (e.g. 1,2,4); the "
                 "What decision is taken at the first that is convincing (thresholds "
                 "calibrated on cued SSVEP trials for the least expected selection time: the "
                 "window plus one confirmation per option offered).")
SOURCE_HELP = ("Where the EEG comes from: simulated[:PROFILE] | recorded | file:PATH | "
               "lsl:STREAM[,units=uV] | brainflow:BOARD[,key=value...] (e.g. "
               "brainflow:synthetic, brainflow:cyton,serial_port=/dev/ttyUSB0). "
               "`noir sources` lists what this machine has.")
MONTAGE_HELP = ("Live sources: which stream channels feed SSVEP, MI and EMG - a shipped "
                "montage's name or a montage JSON file (`noir sources` lists them).")


@app.command()
def demo(
    task: str = typer.Option("cube_in_tray", callback=known_task,
                             help="Task to run (see `noir tasks list`)."),
    operator: Literal["recorded", "simulated"] = typer.Option(
        "recorded", help="Where the EEG comes from: 'recorded' (real EEG trials from the "
        "bundled ssvep-exo and EEGMMIDB samples) or 'simulated' (the synthetic subject). "
        "`noir run --source` takes any source."),
    seed: int = typer.Option(0, min=0, max=MAX_SEED,
                             help="Seed for the world, the operator's EEG and calibration."),
    profile: str = typer.Option("default", callback=_known_profile,
                                help="Synthetic subject profile (simulated only)."),
    out: Path = typer.Option(Path("runs"), callback=folder_to_write,
                             help="Folder that receives the session folder."),
    user: Path = typer.Option(None, callback=folder_to_write,
                              help="The person's model folder: the robot proposes what it "
                              "learned there (confirm or clench to reject) and learns from "
                              "this session if it succeeds."),
) -> None:
    """Main job: EEG drives the simulated robot through a task.

    Calibrates the decoders on the operator's EEG, lets that EEG drive the Franka through the
    task, and writes the session record (events, EEG, camera frames, summary)."""
    source = f"simulated:{profile}" if operator == "simulated" else operator
    _run(task, source, seed, out, user, calibration=None, montage=None)


@app.command()
def run(
    task: str = typer.Option("cube_in_tray", callback=known_task,
                             help="Task to run (see `noir tasks list`)."),
    source: str = typer.Option("recorded", callback=_source, help=SOURCE_HELP),
    seed: int = typer.Option(0, min=0, max=MAX_SEED,
                             help="Seed for the world (and a simulated or recorded EEG)."),
    calibration: Path = typer.Option(
        None, callback=_calibration_folder, help="Use this calibration (`noir calibrate "
        "--out`) instead of calibrating first; the record keeps a copy."),
    montage: str = typer.Option(None, help=MONTAGE_HELP),
    ssvep_stopping: str = typer.Option(None, callback=_windows, help=STOPPING_HELP +
                                       " With --calibration, it must have been calibrated so."),
    out: Path = typer.Option(Path("runs"), callback=folder_to_write,
                             help="Folder that receives the session folder."),
    user: Path = typer.Option(None, callback=folder_to_write,
                              help="The person's model folder (see `noir demo --help`)."),
    with_console: bool = typer.Option(False, "--console", help="Follow the session in the "
                                      "browser (`noir console`'s operator view)."),
    console_port: int = typer.Option(CONSOLE_PORT, min=0, max=65535,
                                     help="--console: the port (0: any free one)."),
) -> None:
    """Run a task from any EEG source: simulated, recorded, a file, or live (LSL, BrainFlow).

    Live, the person sees the cues in this terminal, the robot moves in real time and a jaw
    clench stops it; the session record keeps the EEG as it arrived, with its time stamps,
    and `noir replay` reproduces its decisions."""
    with opened_console(with_console, port=console_port) as observer:
        _run(task, source, seed, out, user, calibration=calibration, montage=montage,
             observer=observer, ssvep_stopping=ssvep_stopping)


def _run(task: str, source: str, seed: int, out: Path, user: Path | None, *,
         calibration: Path | None, montage: str | None, observer: Any = None,
         ssvep_stopping: tuple[float, ...] | None = None) -> None:
    """Run one session and print its summary table; exit 1 if the goal was not reached."""
    from noir.demo import default_config, run_session
    from noir.sources import SourceSpec

    spec = SourceSpec.parse(source)
    config = None
    if user or ssvep_stopping:
        config = replace(default_config(spec.kind), learning=bool(user),
                         ssvep_stopping=ssvep_stopping)
    start = time.perf_counter()
    if spec.live:  # the person reads the cues in the terminal: no spinner over them
        console.print(f"live session from {spec}: follow the cues below")
        summary, folder = run_session(task, source=source, seed=seed, out=out, config=config,
                                      user=user, calibration=calibration, montage=montage,
                                      observer=observer)
    else:
        with console.status("calibrating and running the session..."):
            summary, folder = run_session(task, source=source, seed=seed, out=out,
                                          config=config, user=user, calibration=calibration,
                                          montage=montage, observer=observer)
    elapsed = time.perf_counter() - start

    who = f"simulated, profile {spec.name}" if spec.kind == "simulated" else str(spec)
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
    if summary.get("stream_fault"):
        console.print(f"[red]the stream ended the session:[/red] {summary['stream_fault']}")
    console.print(f"session record: {folder}")
    if not summary["success"]:
        raise typer.Exit(code=1)


@app.command()
def sources(
    wait: float = typer.Option(1.0, min=0.1, max=30.0,
                               help="Seconds to look for LSL streams."),
) -> None:
    """List what `--source` can name here: LSL streams, BrainFlow boards, shipped montages."""
    from noir.board import list_boards
    from noir.lsl import list_streams
    from noir.montage import known_montages

    streams = Table(title=f"LSL streams on this machine (looked {wait:g} s; lsl:NAME)")
    for column in ("name", "type", "channels", "rate (Hz)", "host", "source id"):
        streams.add_column(column)
    for stream in list_streams(wait):
        streams.add_row(*(str(stream[k]) for k in ("name", "type", "channels", "sfreq", "host",
                                                   "source_id")))
    console.print(streams if streams.row_count else "no LSL stream found")
    boards = Table(title="BrainFlow boards (brainflow:NAME[,key=value...])")
    for column in ("name", "id", "rate (Hz)", "EEG channels"):
        boards.add_column(column)
    for board in list_boards():
        boards.add_row(str(board["name"]), str(board["id"]), str(board["sfreq"]),
                       str(board["n_eeg"]))
    console.print(boards)
    console.print("montages (--montage NAME): " + ", ".join(known_montages()))


@app.command()
def calibrate(
    source: str = typer.Option(None, callback=lambda v: v and _source(v), help=SOURCE_HELP +
                               " Default: simulated:PROFILE."),
    profile: str = typer.Option("default", callback=_known_profile,
                                help="Synthetic subject profile (without --source)."),
    seed: int = typer.Option(0, min=0, max=MAX_SEED,
                             help="Seed of the subject and of the trial order."),
    trials: int = typer.Option(20, min=5, max=500, help="Motor-imagery trials per class (4 "
                               "classes; at least 5 for the 5-fold accuracy)."),
    montage: str = typer.Option(None, help=MONTAGE_HELP),
    ssvep_stopping: str = typer.Option(None, callback=_windows, help=STOPPING_HELP),
    out: Path = typer.Option(Path("calibration"), callback=_new_folder,
                             help="Folder that receives the decoders (new or empty)."),
) -> None:
    """Fit and save the decoders on a person's cued calibration trials, from any source.

    Records cued MI and jaw-clench trials (live: the cues appear in this terminal, one line
    each as it starts), fits CSP+QDA and the clench detector, and saves them (skops files that
    load without executing code, plus the calibration EEG). `noir run --calibration` uses
    them."""
    from noir.calibration import calibrate as run_calibration
    from noir.config import LoopConfig
    from noir.montage import load_montage
    from noir.sources import SourceSpec, open_operator
    from noir.stream import StreamOperator, StreamPaused

    spec = SourceSpec.parse(source or f"simulated:{profile}")
    mapping = load_montage(montage) if montage else None
    config = LoopConfig(ssvep_stopping=ssvep_stopping)
    config = mapping.config(config) if mapping else config
    operator = open_operator(spec, None, seed=seed, config=config, montage=mapping)
    try:
        if spec.live:
            console.print(f"calibrating from {spec}: follow the cues below")
            result = run_calibration(operator, config, n_mi_trials=trials, seed=seed)
        else:
            with console.status("recording calibration trials and fitting decoders..."):
                result = run_calibration(operator, config, n_mi_trials=trials, seed=seed)
    except StreamPaused as pause:
        raise ConnectionError(f"{spec}: calibration stopped: {pause}") from pause
    finally:
        if isinstance(operator, StreamOperator):
            operator.close()
    result.save(out)
    report = result.report
    console.print(f"MI CSP+QDA 4-way, 5-fold CV accuracy: {report['mi_accuracy']:.2f} "
                  f"({report['n_mi_trials']} trials)")
    console.print(f"jaw clench detector, 5-fold CV accuracy: {report['emg_accuracy']:.2f} "
                  f"({report['n_emg_trials']} windows)")
    if result.ssvep_stopping is not None:
        console.print(f"SSVEP dynamic stopping over windows {list(ssvep_stopping)} s, "
                      "calibrated on cued SSVEP trials")
    console.print(f"saved to {out}")


@app.command()
def replay(
    run: Path = typer.Argument(..., help="A session folder written by `noir demo`."),
    out: Path = typer.Option(Path("runs"), callback=folder_to_write,
                             help="Folder that receives the replayed session."),
    decoder: list[str] = typer.Option(
        [], help="Re-decode the recorded windows instead of re-executing: 'ssvep=NAME' "
        "(cca, fbcca) and/or 'mi=NAME' (csp_qda, csp_lda, fbcsp_svm, mdm, ts_lr; fitted on "
        "the session's calibration EEG). Repeatable."),
    video: Path | None = typer.Option(
        None, help="Render the recorded session (camera frames, stimuli, decisions) to this "
        ".mp4 or .gif instead of re-executing it."),
    speed: float = typer.Option(1.0, help="--video: session seconds per video second."),
    fps: float = typer.Option(10.0, help="--video: frames per second."),
) -> None:
    """Re-execute a recorded session, or re-decode its EEG with other decoders.

    Without --decoder: runs the session again from its EEG with its saved decoders and checks
    that the decisions and the task outcome are the same. With --decoder: decodes the recorded
    windows with other decoders and compares their decisions with the recorded ones."""
    from noir.replay import ReplayDivergence, redecode, replay_session

    try:
        if video is not None:
            from noir.video import render_session

            if decoder:
                raise ValueError("--video renders the record as it is; it does not take "
                                 "--decoder")
            info = render_session(run, video, fps=fps, speed=speed)
            console.print(f"video: {video} ({info['frames']} frames, {info['seconds']:.1f} s, "
                          f"{info['size'][0]}x{info['size'][1]} px)")
            return
        if decoder:
            choice = dict(item.split("=", 1) for item in decoder if "=" in item)
            if len(choice) != len(decoder) or not set(choice) <= {"ssvep", "mi"}:
                raise ValueError(f"--decoder takes ssvep=NAME or mi=NAME, got {decoder}")
            _print_redecoded(redecode(run, ssvep=choice.get("ssvep"), mi=choice.get("mi")))
            return
        summary, folder, comparison = replay_session(run, out=out)
    except (OSError, ValueError) as err:  # corrupt, tampered or truncated (CorruptRecord)
        typer.echo(f"error: {' '.join(str(err).splitlines())}", err=True)
        raise typer.Exit(code=2) from err
    except ReplayDivergence as err:
        typer.echo(f"replay diverged: {' '.join(str(err).splitlines())}", err=True)
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


def _experiment_out(ctx: typer.Context, path: Path | None) -> Path:
    """Option callback for an experiment's ``--out``: a given folder must be new or empty;
    without one, ``runs/<command>`` or, if an earlier run is there, the first free
    ``runs/<command>-2``, ``-3``..."""
    if path is None:
        path, k = Path("runs", ctx.info_name), 1
        while _holds_files(path):
            k += 1
            path = Path("runs", f"{ctx.info_name}-{k}")
    return _new_folder(path)


# Options of the ``experiment`` commands.
TasksOption = Annotated[str, typer.Option(
    help="Comma-separated task names (default: every task).")]
SeedsOption = Annotated[int, typer.Option(
    min=1, help="Seeds per task and subject of the configurations without learning.")]
SubjectsOption = Annotated[int, typer.Option(
    min=1, help="Simulated subjects: 0 is the noir-like EEG profile and the reference person, "
                "the others are sampled around them.")]
SessionsOption = Annotated[int, typer.Option(
    min=1, help="Sessions of each learning curve per task and subject (session 1 starts with "
                "no model; all are counted).")]
JobsOption = Annotated[int, typer.Option(
    callback=worker_count, help="Parallel local workers (joblib; -1: every core).")]
SchedulerOption = Annotated[str | None, typer.Option(
    callback=scheduler_address, help="Dask scheduler address (tcp://host:port).")]


@experiment_app.command("table1")
def table1(
    tasks: TasksOption = "",
    seeds: SeedsOption = 3,
    subjects: SubjectsOption = 4,
    sessions: SessionsOption = 5,
    n_jobs: JobsOption = 1,
    scheduler: SchedulerOption = None,
    out: Path = typer.Option(
        None, callback=_experiment_out, show_default=False,
        help="New or empty folder for sessions, CSV, PNG and HTML (default: runs/table1, or "
             "runs/table1-2, -3... when an earlier run is there)."),
) -> None:
    """NOIR's Table 1 in simulation: the NOIR protocol, ours and its ablations, and both
    protocols with learning (as curves over sessions 1..N), with bootstrap 95 % intervals and
    paired tests vs the NOIR protocol; writes table1.txt, table1.csv, table1_compare.csv,
    table1_runs.csv, table1.png and table1.html (a progress bar over the sessions on a
    terminal)."""
    from noir.experiment import session_bar
    from noir.experiment import table1 as run_table1

    with session_bar("table1: sessions") as progress:
        _, text = run_table1(_task_names(tasks), list(range(seeds)), subjects, out,
                             sessions=sessions, n_jobs=n_jobs, scheduler=scheduler,
                             progress=progress)
    typer.echo(text)
    console.print(f"written to {out}")


@experiment_app.command("learning")
def learning(
    tasks: TasksOption = "",
    seeds: SeedsOption = 3,
    subjects: SubjectsOption = 4,
    sessions: SessionsOption = 5,
    n_jobs: JobsOption = 1,
    scheduler: SchedulerOption = None,
    out: Path = typer.Option(
        None, callback=_experiment_out, show_default=False,
        help="New or empty folder for sessions, CSV, PNG and HTML (default: runs/learning, or "
             "runs/learning-2, -3... when an earlier run is there)."),
) -> None:
    """Learning curves over sessions 1..N (the cold start counted) vs the NOIR protocol, and
    NOIR's Figure 5 (decoding time and cursor travel with and without the robot's learning);
    writes learning.txt, learning.csv, learning_runs.csv, learning.png, figure5.csv,
    figure5.png and learning.html (a progress bar over the sessions on a terminal)."""
    from noir.experiment import learning as run_learning
    from noir.experiment import session_bar

    with session_bar("learning: sessions") as progress:
        _, text = run_learning(_task_names(tasks), list(range(seeds)), subjects, out,
                               sessions=sessions, n_jobs=n_jobs, scheduler=scheduler,
                               progress=progress)
    typer.echo(text)
    console.print(f"written to {out}")


def _task_names(tasks: str) -> list[str]:
    """Task names from ``--tasks``, comma-separated; every task when it is empty."""
    from sim.tasks import TASKS

    if not tasks:
        return sorted(TASKS)
    names = [name.strip() for name in tasks.split(",") if name.strip()]
    unknown = sorted(set(names) - set(TASKS))
    if unknown or not names:
        raise typer.BadParameter(f"unknown tasks {unknown or [tasks]}; known: {sorted(TASKS)}",
                                 param_hint="'--tasks'")
    if len(set(names)) < len(names):
        raise typer.BadParameter(f"{tasks!r} names a task twice", param_hint="'--tasks'")
    return names
