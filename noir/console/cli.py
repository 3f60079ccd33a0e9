"""``noir console`` and ``noir run --console``."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from noir.console.feed import ConsoleFeed

PORT = 8765


def bind_policy(host: str, token: str | None) -> tuple[bool, str | None]:
    """Whether ``host`` is a loopback address, and the token it needs (one is made for any
    other address when none is given)."""
    from noir.console.server import LOOPBACK

    loopback = host in LOOPBACK
    return loopback, token or (None if loopback else secrets.token_urlsafe(16))


def console(
    records: list[Path] = typer.Argument(
        None, help="Session records (or folders of them) to offer for replay, after the "
        "shipped samples."),
    host: str = typer.Option("127.0.0.1", help="Address to bind; anything but loopback "
                              "needs the token printed (or --token) in the URL."),
    port: int = typer.Option(PORT, min=0, max=65535, help="Port (0: any free one)."),
    token: str = typer.Option(None, help="Require ?token=TOKEN on every request."),
) -> None:
    """Serve the operator console: replay session records in the browser.

    Opens nothing by itself: visit the printed URL. `noir run --console` serves the same
    console with the running session's live view."""
    from noir.console.records import find_records
    from noir.console.server import ConsoleServer, create_app

    find_records(records or [])  # a bad path fails before serving
    loopback, token = bind_policy(host, token)
    server = ConsoleServer(create_app(records or [], token=token, loopback=loopback), host,
                           port, token)
    url = server.start()
    typer.echo(f"noir console: {url} (Ctrl+C stops it)")
    try:
        server._thread.join()
    except KeyboardInterrupt:
        server.stop()


@contextmanager
def opened(enabled: bool, port: int = PORT, speed: float = 1.0) -> Iterator[ConsoleFeed | None]:
    """The console serving a session's feed while the block runs (``noir run --console``);
    None when not ``enabled``.

    A simulated or recorded session runs at ``speed`` x real time and waits for the operator
    page (and while it is closed); a live one runs as it comes.
    """
    if not enabled:
        yield None
        return
    from noir.console.server import ConsoleServer, create_app

    feed = ConsoleFeed(speed=speed, hold=True)
    server = ConsoleServer(create_app(feed=feed), "127.0.0.1", port)
    url = server.start()
    typer.echo(f"operator console: {url}operator (the session starts when it is open)")
    try:
        yield feed
    finally:
        feed.close()
        server.stop()
