"""Camera frames for the console, rendered in a child process from a mirror of the world.

PyBullet's tiny renderer takes 25-35 ms a frame here and holds the GIL while it draws: in the
session's thread 20 frames/s cost most of its time, and a renderer thread would stall it just
the same. :class:`FrameRenderer` builds the same world (task and seed) in a child process
(the same Python, :func:`child`, over two pipes of its own); for each frame the session's
thread only reads every body's pose and joint positions
(:func:`world_state`, well under a millisecond) and hands them over, and the child sets them,
renders and encodes the JPEG while the session goes on. At most one frame is in flight: a
frame asked for while the child is busy is not taken (the caller skips it), so the camera
shows the latest state the renderer could keep up with and the robot never waits for it.

The mirror holds the bodies the task built, in the same order. When the world holds other
bodies (a skill added some, or a reset rebuilt the world with different ones) the state does
not fit and :meth:`FrameRenderer.submit` says so: the caller renders that frame itself.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, BinaryIO

from PIL import Image

JPEG_QUALITY = 80
"""Quality of the camera frames sent to the pages."""
START_TIMEOUT = 60.0
"""Seconds the child may take to build its world before the renderer gives up."""

State = list[tuple[int, tuple[float, ...], tuple[float, ...], list[float]]]
"""(body id, position (3,) m, orientation quaternion (4,), joint positions) of each body."""


def world_state(world: Any) -> State:
    """Every body's base pose and joint positions in ``world`` (a ``sim.world.World``)."""
    client = world.client
    state = []
    for index in range(client.getNumBodies()):
        body = client.getBodyUniqueId(index)
        position, orientation = client.getBasePositionAndOrientation(body)
        joints = client.getNumJoints(body)
        positions = [s[0] for s in client.getJointStates(body, range(joints))] if joints else []
        state.append((body, tuple(position), tuple(orientation), positions))
    return state


def jpeg(rgb: Any, quality: int = JPEG_QUALITY) -> bytes:
    """An (H, W, 3) uint8 image as JPEG bytes."""
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def _send(stream: BinaryIO, header: dict[str, Any], payload: bytes = b"") -> None:
    """One message: a length-prefixed JSON header, then a length-prefixed payload."""
    text = json.dumps(header).encode()
    stream.write(struct.pack("<II", len(text), len(payload)) + text + payload)
    stream.flush()


def _receive(stream: BinaryIO) -> tuple[dict[str, Any], bytes]:
    """The next message of ``_send``; EOFError when the other side is gone."""
    sizes = stream.read(8)
    if len(sizes) < 8:
        raise EOFError
    n_header, n_payload = struct.unpack("<II", sizes)
    header = stream.read(n_header)
    payload = stream.read(n_payload)
    if len(header) < n_header or len(payload) < n_payload:
        raise EOFError
    return json.loads(header), payload


def serve(requests: BinaryIO, replies: BinaryIO, task: str, seed: int, view: str, width: int,
          height: int) -> None:
    """The child: build the world, then render each state read from ``requests`` until it
    closes, the frames to ``replies`` (pipes of their own: PyBullet prints to stdout)."""
    from sim.tasks import TASKS

    with TASKS[task]().make_world(seed) as world:
        _send(replies, {"bodies": [body for body, *_ in world_state(world)]})
        client = world.client
        while True:
            try:
                request, _ = _receive(requests)
            except EOFError:
                return
            start = time.perf_counter()
            for body, position, orientation, joints in request["state"]:
                client.resetBasePositionAndOrientation(body, position, orientation)
                for joint, q in enumerate(joints):
                    client.resetJointState(body, joint, q)
            data = jpeg(world.render(view, width, height))
            _send(replies, {"t": request["t"], "seconds": time.perf_counter() - start}, data)


class FrameRenderer:
    """Renders ``view`` frames of the world of ``task`` (built with ``seed``) in a child
    process (:func:`child`); ``deliver(t, jpeg_bytes,
    seconds_to_render)`` is called from a background thread for each. The child builds its
    world while the session starts: until it is :attr:`ready`, :meth:`submit` takes nothing.
    """

    def __init__(self, task: str, seed: int, deliver: Callable[[float, bytes, float], None],
                 *, view: str = "top", width: int = 360, height: int = 240) -> None:
        requests, to_child = os.pipe()
        from_child, replies = os.pipe()
        self._process = subprocess.Popen(
            [sys.executable, "-c", "import sys; from noir.console.render import child; "
             "child(sys.argv[1:])", str(requests), str(replies), task, str(seed), view,
             str(width), str(height)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, pass_fds=(requests, replies))
        os.close(requests)
        os.close(replies)
        self._requests = os.fdopen(to_child, "wb")
        self._replies = os.fdopen(from_child, "rb")
        self._started = time.monotonic()
        self.bodies: list[int] | None = None  # the mirror's body ids, once it is built
        self._deliver = deliver
        self._idle = threading.Event()
        self._idle.set()
        self._built = threading.Event()
        self._receiver = threading.Thread(target=self._receive, name="noir-console-frames",
                                          daemon=True)
        self._receiver.start()

    @property
    def ready(self) -> bool:
        """Whether the child has built its world (checked without waiting).

        Raises
        ------
        OSError
            If it has not within ``START_TIMEOUT`` s, or ended.
        """
        if self._built.is_set():
            return True
        if time.monotonic() - self._started > START_TIMEOUT or self._process.poll() is not None:
            raise OSError("the console's renderer did not build its world within "
                          f"{START_TIMEOUT:.0f} s (or ended)")
        return False

    @property
    def busy(self) -> bool:
        """Whether a frame is being rendered (the next one would not be taken)."""
        return not self._idle.is_set()

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for the frame being rendered; whether the renderer is
        idle."""
        return self._idle.wait(timeout)

    def submit(self, t: float, state: State) -> bool:
        """Render ``state`` (:func:`world_state`) as the frame of session time ``t``; False if
        the renderer is not ready, busy with the last frame, or ``state`` holds other bodies
        than its world (the frame is not taken)."""
        if not self.ready or self.busy or [body for body, *_ in state] != self.bodies:
            return False
        self._idle.clear()
        try:
            _send(self._requests, {"t": t, "state": state})
        except (OSError, ValueError):  # the child is gone
            return False
        return True

    def _receive(self) -> None:
        try:
            header, _ = _receive(self._replies)
            self.bodies = header["bodies"]
            self._built.set()
            while True:
                header, data = _receive(self._replies)
                self._idle.set()
                self._deliver(header["t"], data, header["seconds"])
        except (EOFError, OSError, ValueError):
            return

    def close(self) -> None:
        """Stop the child (it ends after the frame it is rendering)."""
        with contextlib.suppress(OSError, ValueError):
            self._requests.close()
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._replies.close()


def child(args: list[str]) -> None:
    """The child process's entry: FD_IN FD_OUT TASK SEED VIEW WIDTH HEIGHT."""
    with os.fdopen(int(args[0]), "rb") as fd_in, os.fdopen(int(args[1]), "wb") as fd_out:
        serve(fd_in, fd_out, args[2], int(args[3]), args[4], int(args[5]), int(args[6]))
