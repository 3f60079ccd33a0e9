"""The console's web server: pages, the replay API and the live WebSocket (Starlette, uvicorn).

Routes::

    /, /operator, /experimenter, /replay
                                   the pages (static files of this package)
    /static/...                    their scripts and styles
    /api/records                   the records the replay view may open: [{id, name, sample}]
    /api/records/{id}              one of them, checked (``noir.console.records.record_view``)
    /api/records/{id}/frames/...   a camera frame its events name (PNG)
    /ws?view=operator|experimenter a running session's messages (``ConsoleFeed``); the
                                   operator page sends back what it showed and when

Bound to 127.0.0.1, only requests that name it (or localhost) as their host are served (a
web page elsewhere cannot reach the console through DNS rebinding). With a ``token``, every
request must carry ``?token=...`` (required when bound to any other address).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import uvicorn
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from noir.console.feed import ConsoleFeed
from noir.console.records import SAMPLES, find_records, record_view
from noir.session import CorruptRecord

STATIC = Path(__file__).resolve().parent / "static"
LOOPBACK = ("127.0.0.1", "localhost", "::1")
PAGE_HEADERS = {
    # nothing from elsewhere: scripts, styles, images and sockets of this server only
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; connect-src 'self'",
    "X-Content-Type-Options": "nosniff",
}
PAGES = ("index", "operator", "experimenter", "replay")


class TokenGate:
    """ASGI middleware: refuse every request whose ``?token=`` is not ``token``."""

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            given = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [""])
            if not secrets.compare_digest(given[0].encode(), self.token.encode()):
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                    return
                response = PlainTextResponse("a valid ?token= is required", status_code=403)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(records: Sequence[Path] = (), feed: ConsoleFeed | None = None, *,
               token: str | None = None, loopback: bool = True) -> Starlette:
    """The console's ASGI app.

    Parameters
    ----------
    records : sequence of Path
        Records (or folders of records) the replay view may open, after the shipped samples.
    feed : ConsoleFeed, optional
        A running session's feed (``/ws``); None: the console only replays.
    token : str, optional
        Required as ``?token=`` on every request.
    loopback : bool
        Bound to a loopback address: serve only requests for 127.0.0.1 or localhost.
    """
    found = find_records(list(records))
    views: dict[int, dict[str, Any]] = {}

    async def record_list(request: Request) -> Response:
        return JSONResponse([{"id": i, "name": p.name, "sample": p.parent == SAMPLES}
                             for i, p in enumerate(found)])

    async def view_of(request: Request) -> dict[str, Any] | Response:
        rid = request.path_params["rid"]
        if not 0 <= rid < len(found):
            return JSONResponse({"error": f"no record {rid}; there are {len(found)}"}, 404)
        if rid not in views:
            try:
                views[rid] = await run_in_threadpool(record_view, found[rid])
            except (CorruptRecord, OSError) as err:
                return JSONResponse({"error": str(err)}, 422)
        return views[rid]

    async def record(request: Request) -> Response:
        view = await view_of(request)
        return view if isinstance(view, Response) else JSONResponse(view)

    async def frame(request: Request) -> Response:
        view = await view_of(request)
        if isinstance(view, Response):
            return view
        name = request.path_params["name"]
        if name not in view["frames"]:  # only the frames the checked events name
            return JSONResponse({"error": f"{name!r} is not a frame of this record"}, 404)
        data = await run_in_threadpool((found[request.path_params["rid"]] / name).read_bytes)
        return Response(data, media_type="image/png", headers=PAGE_HEADERS)

    async def live(websocket: WebSocket) -> None:
        await websocket.accept()
        if feed is None:
            await websocket.send_text(json.dumps({"type": "idle"}))
            with contextlib.suppress(WebSocketDisconnect):
                while True:
                    await websocket.receive_text()
            return
        await _follow(websocket, feed, websocket.query_params.get("view", "operator"))

    middleware = [Middleware(TrustedHostMiddleware,
                             allowed_hosts=["127.0.0.1", "localhost", "[::1]"])] \
        if loopback else []
    if token:
        middleware.insert(0, Middleware(TokenGate, token=token))
    routes = [
        *(Route(f"/{name}".removesuffix("index"), _page(name)) for name in PAGES),
        Route("/api/records", record_list),
        Route("/api/records/{rid:int}", record),
        Route("/api/records/{rid:int}/frames/{name:path}", frame),
        WebSocketRoute("/ws", live),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(routes=routes, middleware=middleware)


def _page(name: str) -> Any:
    """The route handler of page ``name`` (``static/<name>.html``)."""
    async def page(request: Request) -> Response:
        return FileResponse(STATIC / f"{name}.html", headers=PAGE_HEADERS)

    return page


async def _follow(websocket: WebSocket, feed: ConsoleFeed, view: str) -> None:
    """Forward ``feed``'s messages to one page (of ``view``: ``"operator"``, ...) and hand
    what it sends back to the feed.

    Camera frames do not queue: a frame not yet sent when the next one comes is replaced by
    it (a page that falls behind gets the latest frame, and the messages after it wait for no
    stale image)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
    frame: list[dict[str, Any] | None] = [None]  # the latest frame not yet sent

    def put(message: dict[str, Any]) -> None:  # in the server's loop
        if message["type"] == "frame":
            pending, frame[0] = frame[0], message
            if pending is not None:
                return  # its place in the queue now sends this one
            message = None
        queue.put_nowait(message)

    def send(message: dict[str, Any]) -> None:  # from the session's thread
        with contextlib.suppress(RuntimeError):  # the server's loop has closed
            loop.call_soon_threadsafe(put, message)

    async def receive() -> None:
        while True:
            text = await websocket.receive_text()
            try:
                feed.received(json.loads(text), page=send)
            except ValueError as err:  # a page's bad message: say so, keep going
                await websocket.send_text(json.dumps({"type": "warning", "text": str(err)}))

    for message in feed.subscribe(send, view):  # what happened before the page opened
        put({**message, "backlog": True})
    receiver = asyncio.create_task(receive())
    try:
        while True:
            getter = asyncio.create_task(queue.get())
            done, _ = await asyncio.wait({getter, receiver},
                                         return_when=asyncio.FIRST_COMPLETED)
            if receiver in done:
                getter.cancel()
                break
            message = getter.result()
            if message is None:  # the latest frame
                message, frame[0] = frame[0], None
            await websocket.send_text(json.dumps(message))
    except (WebSocketDisconnect, OSError, RuntimeError):  # the page went away mid-send
        pass
    finally:
        feed.unsubscribe(send)
        receiver.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
            await receiver


class ConsoleServer:
    """Serves an app with uvicorn in a background thread (``noir run --console``, tests).

    Parameters
    ----------
    app : ASGI app
    host : str
    port : int
        0: any free port (``url`` says which).
    token : str, optional
        Added to ``url``.
    """

    def __init__(self, app: ASGIApp, host: str = "127.0.0.1", port: int = 0,
                 token: str | None = None) -> None:
        self.server = uvicorn.Server(uvicorn.Config(app, host=host, port=port,
                                                    log_level="warning", lifespan="off"))
        self.host = host
        self.token = token
        self._thread = threading.Thread(target=self.server.run, name="noir-console",
                                        daemon=True)

    def start(self, timeout: float = 10.0) -> str:
        """Start serving; return the console's URL.

        Raises
        ------
        OSError
            If the server did not start within ``timeout`` s (e.g. the port is taken).
        """
        self._thread.start()
        deadline = threading.Event()
        for _ in range(int(timeout / 0.02)):
            if self.server.started or not self._thread.is_alive():
                break
            deadline.wait(0.02)
        if not self.server.started:
            raise OSError(f"the console did not start on {self.host} (is the port taken?)")
        return self.url

    @property
    def url(self) -> str:
        port = self.server.servers[0].sockets[0].getsockname()[1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{port}/" + (f"?token={self.token}" if self.token else "")

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=5)
