"""``noir data``: list the real data sets, fetch them from their public homes, verify them.

``noir data list`` says what each data set is, its licence, citation, size and where it is found
now; ``noir data fetch NAME... | --all`` downloads what is missing or damaged (SHA-256 checked,
resumable, with a progress bar); ``noir data verify [NAME...]`` hashes what is on disk. Bad input
and failed downloads end in one line (``noir.cli``'s contract): the library raises ``ValueError``
or ``OSError`` with the message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from noir import data

app = typer.Typer(
    help="The real data sets: list them, fetch them from their public homes, verify them.",
    no_args_is_help=True,
    add_completion=False,
)
console = Console(highlight=False, soft_wrap=True)


def _mb(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:.1f} MB"


@app.command("list")
def list_datasets() -> None:
    """Each data set: what it is, licence, citation, size, public home, where it is found now."""
    for ds in data.DATASETS.values():
        found = data.find_dataset(ds.name)
        if found is None:
            where = f"not found; get it with 'noir data fetch {ds.name}'"
        else:
            missing = data.missing_files(ds, found)
            where = str(found) + (
                f" (incomplete: {len(missing)} of {len(ds.files)} files missing or of the wrong "
                f"size; 'noir data fetch {ds.name}' completes it)" if missing else ""
            )
        console.print(f"[bold]{ds.name}[/bold]  {escape(ds.description)}")
        for label, value in (("size", f"{_mb(ds.size)} in {len(ds.files)} files"),
                             ("licence", ds.licence), ("cite", ds.citation), ("home", ds.home),
                             ("found", where)):
            console.print(f"  {label + ':':9}{escape(value)}")


@app.command()
def fetch(
    names: Annotated[list[str] | None, typer.Argument(
        help="Data sets to fetch (see 'noir data list').", show_default=False)] = None,
    all_: Annotated[bool, typer.Option("--all", help="Fetch every data set.")] = False,
    dest: Annotated[Path | None, typer.Option(
        help="Folder that will hold the data set folders [default: where the copy is found, "
        "else $NOIR_DATA, else the user data folder].", file_okay=False)] = None,
    mirror: Annotated[str | None, typer.Option(
        help="Base URL laid out like a data folder (URL/NAME/FILE) to download from instead "
        "of the public homes.", envvar="NOIR_DATA_MIRROR")] = None,
) -> None:
    """Download the files that are missing or damaged; every file's SHA-256 is checked."""
    if all_ == bool(names):
        raise ValueError("give data set names or --all (one of the two).")
    chosen = list(data.DATASETS) if all_ else list(dict.fromkeys(names))
    data.check_mirror(mirror)
    for name in chosen:
        data.get(name)  # every name is checked before anything is downloaded
    for name in chosen:
        ds = data.get(name)
        columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                   TransferSpeedColumn(), TimeRemainingColumn())
        err_console = Console(stderr=True)
        with Progress(*columns, console=err_console, transient=True,
                      disable=not err_console.is_terminal) as bar:
            task = bar.add_task(name, total=ds.size)
            folder = data.fetch(name, dest, mirror=mirror,
                                progress=lambda n, task=task: bar.advance(task, n))
        console.print(f"{name}: {len(ds.files)} files, {_mb(ds.size)}, SHA-256 checked, "
                      f"in {escape(str(folder))}")


@app.command()
def verify(
    names: Annotated[list[str] | None, typer.Argument(
        help="Data sets to verify [default: every data set found].", show_default=False)] = None,
    path: Annotated[Path | None, typer.Option(
        help="Folder that holds the data set folders [default: the lookup].")] = None,
) -> None:
    """Hash every file of the data sets on disk and compare with the shipped manifest."""
    if path is not None and not path.is_dir():
        raise NotADirectoryError(f"--path {str(path)!r} is not a folder.")
    if names:
        chosen = list(dict.fromkeys(names))
        for name in chosen:
            data.get(name)
    else:
        chosen = [name for name in data.DATASETS if ((path / name).is_dir() if path else
                                                     data.find_dataset(name) is not None)]
        if not chosen:
            raise FileNotFoundError(
                f"no data set found in {path or ' or '.join(map(str, data.search_dirs()))}; "
                "get them with 'noir data fetch --all'."
            )
    failures, files, n_bytes = [], 0, 0
    for name in chosen:
        try:
            result = data.verify(name, path / name if path else None)
        except (ValueError, FileNotFoundError) as err:
            failures.append(str(err))
            continue
        files, n_bytes = files + result.files, n_bytes + result.bytes
        console.print(f"{name}: {result.files} files, {_mb(result.bytes)} match the manifest "
                      f"({escape(str(result.folder))})")
    if failures:
        raise ValueError(" | ".join(failures))
    console.print(f"all {files} files ({n_bytes} bytes) match")
