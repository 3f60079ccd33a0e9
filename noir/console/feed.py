"""What a running session publishes to the console: its events, camera frames and stimuli.

:class:`ConsoleFeed` observes an :class:`noir.loop.InterfaceLoop` (``attach``): every event the
session recorder writes, and every control step of a motion (``InterfaceLoop.on_step``), where
it renders the camera at up to ``fps`` frames per wall-clock second. For a live operator it is
also the cue display (``noir.stream.CueDisplay``): the page shows each cue as it starts.

Pages subscribe through :mod:`noir.console.server`. One operator page at a time is the
*stimulus page* (the first one opened; the next one when it closes): only it reports what it
showed and when (stimulus onsets, the refresh rate it measured, when a decision was on screen),
so two open operator pages do not double the onsets. Each stimulus onset also becomes a
``stimulus_onset`` event of the record and, from an LSL source, a marker on the
``noir-stimuli`` stream stamped with the flip's LSL time. Nothing here steers the robot:
without an operator page (or paused by the experimenter) a simulated or recorded session waits
(``hold``), which freezes the simulation between steps; a live one stops a running motion (as
a clench does) and holds before the next cue, reading and dropping what the stream sends
meanwhile. The experimenter's abort ends the session at the loop's next safe point
(``InterfaceLoop.abort``, called from the loop's thread at its next event or control step).
Every motion the console stops is a ``console_stop`` event of the record (``step``: the
motion's control step, counted from 1, at which it stopped; ``reason``: ``"abort"``, ``"no
page"`` or ``"paused"``), written before the stop takes effect, so that ``noir replay``
stops the same motion at the same step.

The experimenter sees the EEG as a continuous trace (``trace`` messages): each window the loop
records (the windows it decodes, a cursor glide's watched EEG) is sent as a min / max envelope
of ``TRACE_HZ`` points per second, with each channel's quality flags (:func:`quality_flags`)
over the window; a paced session plays each window out at its session time, slice by slice, as
the person produced it. A skill's EEG follows the motion as it runs: every ``TRACE_SLICE`` s of
session time what arrived since is sent (``event`` ``"motion"``), its ``skill_end`` sends the
rest. Each moment of a stream is shown once, in order.

This module needs no web stack (the server imports it, not the other way round).
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from noir.console.render import FrameRenderer, jpeg, world_state
from noir.stream import PRE_ROLL

if TYPE_CHECKING:
    from decoders.cues import Cue
    from noir.loop import InterfaceLoop
    from sim.world import World

WIDTH, HEIGHT = 360, 240
"""Size of the camera image the pages show (the ``top`` view, as the Where stage's pixels)."""
PACE_SLEEP = 0.005
"""Shortest wait (s) worth a sleep when pacing a session (a control step at 4x is 1 ms; the
sleeps of each would add up their overshoot)."""
PACE_BEHIND = 0.25
"""Seconds behind schedule after which pacing moves the schedule instead of catching up."""
FLAT_UV = 0.1
"""Peak-to-peak (µV) below which a channel's window is flat (``noir.stream.FLAT_PTP``)."""
CLIPPED_SHARE = 0.05
"""Share of a window's samples at the channel's largest magnitude above which it is
saturated (an amplifier at its rail repeats the same extreme value)."""
LINE_RATIO = 10.0
"""Power density at 50 or 60 Hz (±1 Hz), over the median density of 1-45 Hz, above which a
channel has line noise (10 dB)."""
TRACE_HZ = 50.0
"""Envelope points (min and max of a bucket of samples) per second of a live EEG trace."""
TRACE_SLICE = 0.2
"""Seconds of session time per trace message while a paced session plays a window out."""
TRACE_KEPT = 10.0
"""Seconds of trace (session time) kept for a page that opens later."""
RECORD_FILE = "console.json"
"""What the pages reported, written into the session record as the task ends (the manifest
then covers it)."""
MAX_POINTS = 256
"""Most samples per channel of an EEG window sent to a page (a plot, not data)."""
STIMULUS_STREAM = "noir-stimuli"
"""The LSL marker stream of stimulus onsets (source id ``noir-stimuli/<EEG stream>``): one JSON
marker ``{"stage", "onset", "targets"}`` per onset, stamped with the flip's time on this
machine's LSL clock (``onset`` repeats it)."""
DRAIN_EVERY = 0.1
"""Seconds between reads that drop a live stream's samples while the session holds."""
LIVE_RENDER_SHARE = 0.25
"""Most of a live motion's wall time spent rendering camera frames (the simulation must keep
up with the stream: a live answer lasts as long as the motion may)."""
FRAME_FLOOR = 15.0
"""Camera frames per wall second below which a paced session waits for the child renderer
(the robot slows, as little as it must, rather than the camera falling under this rate)."""
MIN_FRAMES_PER_CYCLE = 4.0
"""A sinusoid sampled at fewer frames per cycle than this is too coarse to trust (a warning);
at fewer than 2 it cannot be rendered at all."""


def refresh_warnings(freqs: Sequence[float], refresh_hz: float) -> list[str]:
    """Why each of ``freqs`` (Hz) cannot be rendered faithfully at ``refresh_hz``, if it cannot.

    A frame-locked sampled sinusoid needs at least 2 frames per cycle to exist and
    ``MIN_FRAMES_PER_CYCLE`` to look like one.
    """
    if not refresh_hz > 0:
        return [f"the display's refresh rate is {refresh_hz!r} Hz: no stimulus can be rendered"]
    warnings = []
    for freq in freqs:
        per_cycle = refresh_hz / freq
        if per_cycle < 2:
            warnings.append(f"{freq:g} Hz cannot be rendered at {refresh_hz:.1f} Hz (above "
                            f"half the refresh rate)")
        elif per_cycle < MIN_FRAMES_PER_CYCLE:
            warnings.append(f"{freq:g} Hz gets only {per_cycle:.1f} frames per cycle at "
                            f"{refresh_hz:.1f} Hz: the flicker is distorted")
    return warnings


def quality_flags(data: np.ndarray, sfreq: float) -> list[list[str]]:
    """Signal-quality flags of each channel of ``data`` (n_channels, n_times), in µV, at
    ``sfreq`` Hz, judged over the whole window:

    - ``"flat"``: peak-to-peak under ``FLAT_UV`` (0.1 µV): an open or shorted input;
    - ``"saturated"`` (when not flat): more than ``CLIPPED_SHARE`` (5 %) of the samples lie at
      the channel's largest magnitude (within 1e-6 µV + 0.01 % of it): an amplifier at its
      rail repeats its extreme value, EEG almost never does;
    - ``"line noise"``: the Welch power density (1-s segments) peaks within ±1 Hz of 50 or
      60 Hz at more than ``LINE_RATIO`` (10) times the median density of 1-45 Hz; judged only
      for mains frequencies under the Nyquist frequency less 1 Hz, in windows of at least
      1 s (otherwise never flagged).

    Returns one list of flags per channel (empty: nothing wrong found).
    """
    from scipy.signal import welch

    flags: list[list[str]] = [[] for _ in data]
    peak = np.abs(data).max(axis=1, keepdims=True)
    clipped = np.mean(np.isclose(np.abs(data), peak, rtol=0, atol=1e-6 + 1e-4 * peak), axis=1)
    line = np.zeros(len(data), dtype=bool)
    mains = [f for f in (50.0, 60.0) if f + 1 < sfreq / 2]
    if mains and data.shape[1] >= sfreq:
        freqs, density = welch(data, sfreq, nperseg=int(sfreq))
        floor = np.median(density[:, (freqs >= 1) & (freqs <= 45)], axis=1)
        peak = np.max([density[:, np.abs(freqs - f) <= 1].max(axis=1) for f in mains], axis=0)
        line = peak > LINE_RATIO * floor
    for ch, row in enumerate(data):
        if np.ptp(row) < FLAT_UV:
            flags[ch].append("flat")
        elif clipped[ch] > CLIPPED_SHARE:
            flags[ch].append("saturated")
        if line[ch]:
            flags[ch].append("line noise")
    return flags


class ConsoleFeed:
    """A session's messages for the console's pages (thread-safe).

    Parameters
    ----------
    speed : float or None
        Pace a simulated or recorded session to ``speed`` x real time so that a person can
        follow it (None: as fast as it runs; a live session is real time already).
    fps : float
        Camera frames per wall-clock second rendered while the robot moves (paced: while the
        session keeps its schedule, see :meth:`step`).
    hold : bool
        Wait for a page before going on, and while none is open or the experimenter paused. A
        live session stops a motion instead and holds at its next event (before the next cue),
        dropping the stream's samples meanwhile (``DRAIN_EVERY``).
    renderer : str
        Where camera frames are rendered while the robot moves: ``"process"`` (a mirror of the
        world in a child process, :class:`noir.console.render.FrameRenderer`; the session's
        thread only reads the bodies' state; a frame due while the child is busy is skipped,
        unless a paced session's last frame is older than ``1 / FRAME_FLOOR`` s: then the
        session waits for the child) or ``"thread"`` (in the session's thread, which waits for
        each). A frame the child cannot take (not built yet, or the world holds other bodies)
        is rendered in the session's thread.

    Attributes
    ----------
    latencies_ms : list of float
        For each decision or confirmation: wall ms from its publication to the page's first
        frame that showed it.
    motion_frames : int, motion_seconds : float, robot_seconds : float
        Camera frames published while the robot moved, the wall seconds it moved (time held
        without a page not counted) and the simulated seconds of its motions.
    render_ms : list of float
        Wall ms each motion frame took to render and encode (in the child or the thread).
    child_frames : int
        Motion frames the child renderer made (the others: the session's thread).
    step_ms : list of float
        For each motion frame, the wall ms the session's thread spent on it (rendering it, or
        waiting for the child renderer and handing it the bodies' state).
    held : float
        Wall seconds the session waited for a page (closed, or paused).
    paused : bool
        Whether the experimenter paused the session.
    refresh_hz : float or None
        The refresh rate the last page measured.
    onsets : list of dict
        Stimulus onsets the pages reported (stage, page time in ms, targets); each also goes
        into the record as a ``stimulus_onset`` event (see :meth:`received`).
    warnings : list of str
    """

    def __init__(self, *, speed: float | None = None, fps: float = 20.0,
                 hold: bool = False, renderer: str = "process") -> None:
        if speed is not None and not speed > 0:
            raise ValueError(f"console speed must be > 0 (x real time), got {speed}")
        if not fps > 0:
            raise ValueError(f"console fps must be > 0, got {fps}")
        if renderer not in ("process", "thread"):
            raise ValueError(f"console renderer must be 'process' or 'thread', got {renderer!r}")
        self.speed = speed
        self.fps = fps
        self.hold = hold
        self.renderer = renderer
        self.render_ms: list[float] = []
        self.child_frames = 0
        self.step_ms: list[float] = []
        self._renderer: FrameRenderer | None = None
        self.latencies_ms: list[float] = []
        self.motion_frames = 0
        self.motion_seconds = 0.0
        self.robot_seconds = 0.0
        self.refresh_hz: float | None = None
        self.onsets: list[dict[str, Any]] = []
        self.warnings: list[str] = []
        self._lock = threading.Condition()
        self._history: list[dict[str, Any]] = []
        self._frame: dict[str, Any] | None = None
        self._subscribers: list[Callable[[dict[str, Any]], None]] = []
        self._operators: list[Callable[[dict[str, Any]], None]] = []  # first: the stimulus page
        self._traces: deque[dict[str, Any]] = deque()  # the last TRACE_KEPT s of trace
        self._abort = False  # the experimenter asked; the loop's thread calls loop.abort()
        self._steps = 0  # control steps of the running motion so far
        self._paced_t = -np.inf  # the latest session time paced to
        self._traced: dict[str, float] = {}  # EEG header -> session time its trace ends at
        self._motion_traced = -np.inf  # session time the running motion's EEG was last traced
        self._closed = False
        self._loop: InterfaceLoop | None = None
        self._live = False
        self._pending: list[dict[str, Any]] = []  # stimulus onsets not yet in the record
        self._stimuli_outlet: Any = None  # pylsl.StreamOutlet of STIMULUS_STREAM (LSL source)
        self._freqs: list[float] = []
        self._phases: list[float] = []
        self._targets: dict[str, tuple[float, float]] = {}  # name -> patch centre (u, v) px
        self._streams: dict[str, tuple[list[str], float]] = {}  # EEG header -> channels, rate
        self.paused = False
        self.held = 0.0
        self._wall0 = 0.0  # time.monotonic() at session time 0, moved by holds and lags
        # a motion's session time, sim time and wall time at its start, and self.held then
        self._motion: tuple[float, float | None, float, float] | None = None
        self._last_render = -np.inf  # session time of the last frame rendered
        self._last_wall = -np.inf  # and its time.monotonic()
        self._render_cost = 0.0  # wall seconds the last frame took to render

    # -- the session side (the loop's thread) ----------------------------------------------
    def attach(self, loop: InterfaceLoop) -> None:
        """Observe ``loop``: its recorder's events and the control steps of its motions."""
        self._loop = loop
        self._live = loop.live
        if loop.live:
            self.speed = None
            self._open_stimulus_stream(getattr(loop.operator, "source", None))
        self._freqs = [float(f) for f in loop.config.ssvep_freqs]
        self._phases = [float(p) for p in loop.config.ssvep_phases]
        loop.recorder.listeners.append(self.event)
        loop.on_step = self.step
        self.publish({"type": "session", "folder": loop.recorder.folder.name,
                      "task": loop.task.name, "freqs": self._freqs,
                      "confirm_window": loop.config.confirm_window, "speed": self.speed,
                      "live": loop.live, "width": WIDTH, "height": HEIGHT})
        self._check_refresh()  # a page may have measured its display before the session
        if self.renderer == "process":
            self._start_renderer(loop)
        self._hold()
        self._wall0 = time.monotonic()

    def _start_renderer(self, loop: InterfaceLoop) -> None:
        """Start the child renderer for the session's task and seed (its ``session_start``);
        without them (no such event), frames are rendered in the session's thread."""
        log = loop.recorder.folder / "events.jsonl"
        try:
            with log.open(encoding="utf-8") as lines:
                start = json.loads(lines.readline())
            task, seed = start["task"], start["seed"]
        except (OSError, ValueError, KeyError):
            return
        if start.get("event") != "session_start" or task != loop.task.name:
            return

        def deliver(t: float, data: bytes, seconds: float) -> None:  # the renderer's thread
            self._publish_frame(data, "image/jpeg", t, moving=True)
            self.motion_frames += 1
            self.child_frames += 1
            self.render_ms.append(seconds * 1e3)

        self._renderer = FrameRenderer(task, seed, deliver, width=WIDTH, height=HEIGHT)

    def event(self, record: dict[str, Any]) -> None:
        """One recorded event (``SessionRecorder.listeners``): pace, then publish it; the
        stimulus onsets reported since go into the record after it (not after ``task_end``:
        those stay in ``console.json`` only). Live, a ``skill_start`` does not hold (its
        stream already runs): the motion's first step stops the robot instead; a
        ``console_stop`` (written inside a motion's step) never waits."""
        kind = record["event"]
        self._apply_abort()
        if isinstance(record.get("eeg"), dict) and self._loop is not None:
            self._play(record)
        if not (self._live and kind == "skill_start") and kind != "console_stop":
            self._pace(record["t"])
        if kind not in ("stimulus_onset", "task_end") and self._loop is not None:
            with self._lock:
                pending, self._pending = self._pending, []
            for onset in pending:
                self._loop.recorder.event("stimulus_onset", **onset)
        self.publish({"type": "event", "event": _jsonable(record)})
        if kind == "skill_start":
            self._motion = (record["t"], None, time.monotonic(), self.held)
            self._steps = 0
            self._motion_traced = -np.inf
        elif kind in ("skill_end", "skill_failure") and self._motion is not None:
            _, _, wall, held = self._motion
            self.motion_seconds += time.monotonic() - wall - (self.held - held)
            self.robot_seconds += float(record.get("sim_time", 0.0))
            self._motion = None
        elif kind == "frame" and self._loop is not None:
            png = (self._loop.recorder.folder / record["path"]).read_bytes()
            self._publish_frame(png, "image/png", record["t"], moving=False)
        elif kind == "stage" and record.get("stage") == "what" and self._loop is not None:
            self.publish(self._stimuli(record["candidates"]))
        elif kind == "task_end" and self._loop is not None:
            self.save(self._loop.recorder.folder / RECORD_FILE)
            self._stop_renderer()
        elif kind == "eeg_stream":
            self._streams[record["header"]] = (list(record["channels"]), float(record["sfreq"]))

    def step(self, world: World) -> None:
        """One control step of a motion (``InterfaceLoop.on_step``): pace it, trace the EEG
        that arrived (:meth:`_trace_motion`), and render the camera. Paced, every
        ``speed / fps`` s of session time: ``fps`` frames per wall-clock second while on
        schedule; a renderer too slow for that slows the motion, not its frame rate per second
        of robot time. Not paced (live: the robot keeps wall time), when
        ``1 / fps`` s of wall time have passed and rendering took at most ``LIVE_RENDER_SHARE``
        of the wall time since the last frame: a slow renderer drops frames, the robot keeps
        up with the stream.

        Returns True (stop the motion, as a clench does) when the experimenter aborted, or a
        live session would hold (no operator page is open, or the experimenter paused); the
        stop is recorded first (``console_stop``)."""
        self._steps += 1
        reason = "abort" if self._apply_abort() else None
        if reason is None and self._live and self.hold:
            reason = "no page" if not self._operators else "paused" if self.paused else None
        if reason is not None:
            if self._loop is not None:
                self._loop.recorder.event("console_stop", step=self._steps, reason=reason)
            return True
        if self._motion is None:  # a motion outside skill_start/end (not expected)
            return False
        t, sim0, wall, held = self._motion
        if sim0 is None:
            sim0 = world.sim_time
            self._motion = (t, sim0, wall, held)
        now_t = t + world.sim_time - sim0
        now = self._pace(now_t)
        self._trace_motion(now_t)
        if not self._operators:  # nobody watches: no frame is worth its render time
            return False
        due = (now_t - self._last_render >= self.speed / self.fps) if self.speed is not None \
            else (now - self._last_wall >= max(1 / self.fps,
                                               self._render_cost / LIVE_RENDER_SHARE))
        if not due:
            return False
        start = now
        if self._renderer is not None and self._renderer.busy:
            if self.speed is None or now - self._last_wall < 1 / FRAME_FLOOR:
                return False  # busy: the frame is taken at a later step
            self._renderer.wait(1.0)  # paced: slow the robot rather than the camera
            now = time.monotonic()
        self._last_render, self._last_wall = now_t, now
        if self._renderer is None or not self._renderer.submit(now_t, world_state(world)):
            data = jpeg(world.render("top", WIDTH, HEIGHT))
            self.render_ms.append((time.monotonic() - now) * 1e3)
            self._publish_frame(data, "image/jpeg", now_t, moving=True)
            self.motion_frames += 1
        self._render_cost = time.monotonic() - now
        self.step_ms.append((time.monotonic() - start) * 1e3)
        return False

    def show(self, stage: str, cues: Sequence[Cue]) -> None:
        """Show the person ``cues`` (``noir.stream.CueDisplay``, for a live operator): the
        operator page shows each one's instruction when it starts."""
        from noir.sources import CUE_TEXT, MI_TEXT

        shown = []
        for cue in cues:
            target = MI_TEXT[cue.target] if cue.kind == "mi" else cue.target
            shown.append({"kind": cue.kind, "duration": cue.duration,
                          "text": CUE_TEXT[cue.kind].format(target=target)})
        self.publish({"type": "cues", "stage": stage, "cues": shown})

    def _play(self, record: dict[str, Any]) -> None:
        """Send the EEG window ``record`` refers to as trace messages (:meth:`_trace`), read
        back from the record (float32 µV, as ``noir.eeg_writer`` writes it). The window ends at
        the event's session time, except a motion's (``skill_end``, ``skill_failure``), which
        starts its ``pre_roll`` before the motion's ``skill_start`` (as :meth:`_trace_motion`
        placed what it sent of it while the robot moved)."""
        eeg = record["eeg"]
        channels, sfreq = self._streams[eeg["header"]]
        path = self._loop.recorder.folder / Path(eeg["header"]).with_suffix(".eeg")
        with path.open("rb") as stream:
            stream.seek(eeg["start"] * len(channels) * 4)
            data = np.frombuffer(stream.read(eeg["n"] * len(channels) * 4), dtype="<f4")
        data = data.reshape(-1, len(channels)).T.astype(float)  # (n_channels, n_times), µV
        if record["event"] in ("skill_end", "skill_failure") and self._motion is not None \
                and "pre_roll" in record:
            t0 = self._motion[0] - round(record["pre_roll"] * sfreq) / sfreq
        else:
            t0 = record["t"] - data.shape[1] / sfreq
        self._trace(eeg["header"], data, t0, record["t"], record["event"], record.get("stage"),
                    final=True)

    def _trace_motion(self, now_t: float) -> None:
        """While a skill runs (``InterfaceLoop.watch``), every ``TRACE_SLICE`` s of session
        time ``now_t``: trace the EEG of the motion's window that arrived since
        (:meth:`_trace`; sample ``i`` of the window, ``PRE_ROLL`` s of it before the motion,
        at the ``skill_start``'s time less ``PRE_ROLL`` plus ``i / sfreq``), with the values
        the record will hold (float32 µV). Its ``skill_end`` (or ``skill_failure``) sends the
        rest. A motion whose EEG opens a new stream of the record (none of its channel set and
        rate yet) is sent whole when it ends."""
        watch = self._loop.watch
        if watch is None or self._motion is None or now_t < self._motion_traced + TRACE_SLICE:
            return
        raw = watch.feed.raw(watch.now())
        sfreq = float(raw.info["sfreq"])
        header = next((h for h, (channels, rate) in self._streams.items()
                       if channels == raw.ch_names and rate == sfreq), None)
        if header is None:
            return
        self._motion_traced = now_t
        data = np.asarray(raw.get_data() * 1e6, dtype="<f4").astype(float)  # as recorded
        t0 = self._motion[0] - round(PRE_ROLL * sfreq) / sfreq
        self._trace(header, data, t0, now_t, "motion", None, final=False)

    def _trace(self, header: str, data: np.ndarray, t0: float, until: float, event: str,
               stage: str | None, *, final: bool) -> None:
        """Publish what the trace of EEG stream ``header`` does not show yet of a window:
        ``data`` (n_channels, n_times) in µV, sample ``i`` at session time ``t0 + i / sfreq``,
        up to session time ``until`` (the window's event; a motion's window holds one sample
        more, the moment after it, which the next window shows).

        From the first sample at the trace's end on (within half a sample: each moment is
        shown once, in order) to the last one that ends by ``until``: min / max envelopes of
        ``TRACE_HZ`` points per second, in messages of ``TRACE_SLICE`` s, with each channel's
        quality flags judged over the window up to ``until``; paced, each message goes out
        when its session time is due (those already past at once). The last samples that fill
        no whole envelope point wait for the next call, unless ``final`` (the window is whole):
        then they go as one point of their own (its message's ``rate`` says how long it
        lasts)."""
        channels, sfreq = self._streams[header]
        bucket = max(1, round(sfreq / TRACE_HZ))
        traced = self._traced.get(header, t0)
        first = max(0, int(np.ceil((traced - t0) * sfreq - 0.5)))
        ended = min(data.shape[1], int(np.floor((until - t0) * sfreq + 1e-6)))
        new = max(0, ended - first)
        whole = new // bucket * bucket
        rest = new - whole if final else 0
        if whole + rest == 0:
            return
        config = self._loop.config
        groups = {"SSVEP": config.ssvep_channels, "MI": config.mi_channels,
                  "EMG": config.emg_channels}
        header_fields = {
            "type": "trace", "event": event, "stage": stage, "channels": channels,
            "groups": {ch: [g for g, chs in groups.items() if ch in chs] for ch in channels},
            "flags": quality_flags(data[:, :ended], sfreq), "window_s": ended / sfreq}
        shaped = data[:, first:first + whole].reshape(len(channels), -1, bucket)
        parts = [(first, bucket, shaped.min(axis=2), shaped.max(axis=2))]
        if rest:
            tail = data[:, first + whole:ended]
            parts.append((first + whole, rest, tail.min(axis=1, keepdims=True),
                          tail.max(axis=1, keepdims=True)))
        for start, size, lo, hi in parts:
            rate = sfreq / size
            per_slice = max(1, round(TRACE_SLICE * rate))
            for k in range(0, lo.shape[1], per_slice):
                last = min(k + per_slice, lo.shape[1])
                end = t0 + (start + last * size) / sfreq
                if self.speed is not None and end > self._paced_t:
                    self._pace(end)
                self.publish({**header_fields, "rate": rate,
                              "t0": round(t0 + (start + k * size) / sfreq, 4),
                              "lo": np.round(lo[:, k:last], 1).tolist(),
                              "hi": np.round(hi[:, k:last], 1).tolist()})
                self._traced[header] = end

    def _stimuli(self, candidates: dict[str, float]) -> dict[str, Any]:
        """Where each candidate's flicker patch goes: the centre (``u``, ``v``) of what the top
        camera sees of it (the loop's ``perception``, its latest look), in the ``WIDTH`` x
        ``HEIGHT`` camera image. A candidate the camera does not see (held in the gripper,
        hidden, outside the image) keeps its frequency and phase but gets no ``u``, ``v``: the
        page puts its patch in its slot along the image's bottom edge, off any object."""
        perception = self._loop.perception
        frame = perception.frame
        targets = []
        for slot, (name, freq) in enumerate(candidates.items()):
            target = {"name": name, "freq": float(freq), "phase": self._phases[slot]}
            seen = perception.seen.get(name)
            if seen is not None and perception.view == "top" and frame is not None:
                u, v = seen.pixel  # sim.camera's pixels: u + 0.5 runs over 0 .. frame.width
                target["u"] = round((u + 0.5) * WIDTH / frame.width - 0.5, 1)
                target["v"] = round((v + 0.5) * HEIGHT / frame.height - 0.5, 1)
            targets.append(target)
        self._targets = {t["name"]: (t["u"], t["v"]) for t in targets if "u" in t}
        return {"type": "stimuli", "targets": targets}

    def _pace(self, t: float) -> float:
        """Wait until session time ``t`` (s) is due at ``speed``, and while a held session has
        no page; return ``time.monotonic()``. More than ``PACE_BEHIND`` s behind schedule,
        the schedule moves: what follows keeps its pace (a cue shown late is still shown for
        its whole duration)."""
        self._hold()
        now = time.monotonic()
        self._paced_t = max(self._paced_t, t)
        if self.speed is not None:
            due = self._wall0 + t / self.speed
            if due - now > PACE_SLEEP:
                time.sleep(due - now)
                now = time.monotonic()
            elif now - due > PACE_BEHIND:  # far behind: go on from here, do not rush
                self._wall0 += now - due
        return now

    def _hold(self) -> None:
        """While ``hold`` and no page is open or the experimenter paused, wait (the wall
        clock of pacing waits too). Live, the stream is read meanwhile and what it sends is
        dropped, every ``DRAIN_EVERY`` s (the next cue drops what is left)."""
        if not self.hold:
            return

        def go() -> bool:
            return bool((self._operators and not self.paused) or self._closed or self._abort
                        or (self._loop is not None and self._loop.aborted))

        with self._lock:
            if go():
                return
            start = time.monotonic()
            source = getattr(self._loop.operator, "source", None) if self._live else None
            while not self._lock.wait_for(go, timeout=DRAIN_EVERY if source else None):
                self._lock.release()
                try:
                    source.read(max_samples=1_000_000, timeout=0.0)
                finally:
                    self._lock.acquire()
            self.held += time.monotonic() - start
            self._wall0 += time.monotonic() - start

    def _publish_frame(self, data: bytes, mime: str, t: float, *, moving: bool) -> None:
        self.publish({"type": "frame", "mime": mime, "t": round(t, 4), "moving": moving,
                      "data": base64.b64encode(data).decode("ascii")})

    def save(self, path: Path) -> None:
        """Write what the pages reported as JSON: the stimulus onsets (``at``: ms since the
        epoch, this machine's clock), the refresh rate, warnings, decision-to-screen latencies
        (ms) and the camera's frame rate while the robot moved."""
        with self._lock:
            report = {"onsets": list(self.onsets), "refresh_hz": self.refresh_hz,
                      "warnings": list(self.warnings), "latencies_ms": list(self.latencies_ms),
                      "motion_fps": self.motion_fps, "robot_fps": self.robot_fps}
        path.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")

    # -- the pages' side (the server's thread) ---------------------------------------------
    def publish(self, message: dict[str, Any]) -> None:
        """Send ``message`` to every page; keep it for pages that open later (the latest frame
        only)."""
        with self._lock:
            message = {**message, "seq": len(self._history), "sent": time.time() * 1e3}
            if message["type"] == "frame":
                self._frame = message
            elif message["type"] == "trace":
                self._traces.append(message)
                while message["t0"] - self._traces[0]["t0"] > TRACE_KEPT:
                    self._traces.popleft()
            else:
                self._history.append(message)
            for send in self._subscribers:
                send(message)

    def subscribe(self, send: Callable[[dict[str, Any]], None], view: str = "operator"
                  ) -> list[dict[str, Any]]:
        """Call ``send(message)`` (from any thread; it must not block) for each new message;
        return what was published so far (the last ``TRACE_KEPT`` s of trace, the latest
        frame last). An operator page (``view``) counts as open until :meth:`unsubscribe`;
        each operator page is told whether it is the stimulus page (``{"type": "role",
        "stimuli": bool}``), now and whenever that changes."""
        with self._lock:
            self._subscribers.append(send)
            if view == "operator":
                self._operators.append(send)
                self._roles()
            self._lock.notify_all()
            return [*self._history, *self._traces, *([self._frame] if self._frame else [])]

    def unsubscribe(self, send: Callable[[dict[str, Any]], None]) -> None:
        with self._lock:
            self._subscribers.remove(send)
            if send in self._operators:
                self._operators.remove(send)
                self._roles()

    def _roles(self) -> None:
        """Tell each operator page whether it is the stimulus page (the first one open)."""
        for k, send in enumerate(self._operators):
            send({"type": "role", "stimuli": k == 0})

    def stimulus_page(self, page: Callable[[dict[str, Any]], None] | None) -> bool:
        """Whether ``page`` (a subscriber's ``send``) is the stimulus page; None (a caller
        that is no page, e.g. a test) is."""
        with self._lock:
            return page is None or bool(self._operators and self._operators[0] is page)

    def _stop_renderer(self) -> None:
        renderer, self._renderer = self._renderer, None
        if renderer is not None:
            renderer.close()

    def close(self) -> None:
        """The session is over (or goes on without pages): stop holding, stop the renderer,
        and drop the cues still to come (``noir.stream.CueDisplay``)."""
        self._stop_renderer()
        with self._lock:
            self._closed = True
            self._lock.notify_all()
            outlet, self._stimuli_outlet = self._stimuli_outlet, None
        del outlet  # closes the noir-stimuli stream
        self.publish({"type": "cues", "stage": "end", "cues": []})

    def received(self, message: dict[str, Any],
                 page: Callable[[dict[str, Any]], None] | None = None) -> None:
        """What a page (``page``: its ``send``, see :meth:`subscribe`) sent: ``{"type":
        "shown", "seq", "at"}`` (ms, epoch), ``{"type": "refresh", "hz"}``, ``{"type":
        "onset", "stage", "at", "targets"}`` (these three from the stimulus page only),
        ``{"type": "pause"}`` / ``{"type": "resume"}`` or ``{"type": "abort"}`` (the
        experimenter).

        An onset (``at``: the flip of the stimuli's first frame, ms since the epoch on this
        machine's clock) is kept in :attr:`onsets`, written to the record at the loop's next
        event as ``stimulus_onset`` (``stage``, ``targets`` [{name, freq, phase, u, v}]: ``u``,
        ``v`` the patch's centre in the ``WIDTH`` x ``HEIGHT`` camera image, absent for an
        object the camera did not see (:meth:`_stimuli`); ``page_ms``,
        ``monotonic``: the flip on this process's ``time.monotonic()``, ``delay_ms``: flip to
        receipt, and from an LSL source ``lsl_clock``: the flip on ``pylsl.local_clock()``),
        and pushed at once on ``noir-stimuli`` from an LSL source.

        Raises
        ------
        ValueError
            For any other message (named), fields of the wrong type, or a report from an
            operator page that is not the stimulus page.
        """
        kind = message.get("type") if isinstance(message, dict) else None
        if kind in ("shown", "refresh", "onset") and not self.stimulus_page(page):
            raise ValueError(f"console: a {kind!r} report from an operator page that is not "
                             "the stimulus page (another one opened first); ignored")
        try:
            if kind == "shown":
                seq, at = int(message["seq"]), float(message["at"])
                with self._lock:
                    shown = self._history[seq] if 0 <= seq < len(self._history) else None
                if shown is not None and shown["type"] == "event" \
                        and shown["event"]["event"] in ("decision", "confirm"):
                    self.latencies_ms.append(at - shown["sent"])
            elif kind == "refresh":
                self.refresh_hz = float(message["hz"])
                self._check_refresh()
            elif kind == "abort":
                if self._loop is None:
                    raise ValueError("console: no session is running to abort")
                with self._lock:
                    self._abort = True
                    self.paused = False
                    self._lock.notify_all()
                self.publish({"type": "aborting"})
            elif kind in ("pause", "resume"):
                with self._lock:
                    self.paused = kind == "pause" and self.hold
                    self._lock.notify_all()
                self.publish({"type": "paused", "paused": self.paused})
            elif kind == "onset":
                onset = {"stage": str(message["stage"]), "at": float(message["at"]),
                         "targets": [{"name": str(t["name"]), "freq": float(t["freq"]),
                                      "phase": float(t["phase"])} for t in message["targets"]]}
                self._onset(onset)
            else:
                raise ValueError(f"console: unknown message type {kind!r} from a page; "
                                 "expected shown, refresh, onset, pause, resume or abort")
        except (KeyError, TypeError) as err:
            raise ValueError(f"console: malformed {kind!r} message from a page ({err})") from err

    def _apply_abort(self) -> bool:
        """In the loop's thread: pass the experimenter's abort on to the loop (it ends the
        session at its next safe point); whether the session is aborting."""
        if self._abort and self._loop is not None and not self._loop.aborted:
            self._loop.abort()
        return self._abort

    def _onset(self, onset: dict[str, Any]) -> None:
        """Keep a page's stimulus onset, queue it for the record (each target with its centre
        ``u``, ``v`` in the camera image, as the page placed it), push its LSL marker."""
        delay = time.time() - onset["at"] / 1e3  # s from the flip to now
        targets = [{**t, **dict(zip(("u", "v"), self._targets[t["name"]], strict=True))}
                   if t["name"] in self._targets else t for t in onset["targets"]]
        event = {"stage": onset["stage"], "targets": targets, "page_ms": onset["at"],
                 "monotonic": time.monotonic() - delay, "delay_ms": delay * 1e3}
        with self._lock:
            outlet = self._stimuli_outlet
            if outlet is not None:
                from noir.lsl import pylsl

                event["lsl_clock"] = pylsl.local_clock() - delay
                outlet.push_sample([json.dumps({"stage": onset["stage"],
                                                "onset": event["lsl_clock"],
                                                "targets": targets})],
                                   event["lsl_clock"])
            self.onsets.append(onset)
            self._pending.append(event)

    def _open_stimulus_stream(self, source: Any) -> None:
        """Open the ``noir-stimuli`` marker outlet when ``source`` is (or wraps, as a
        montage does) an LSL stream."""
        while source is not None and not source.label.startswith("lsl:") \
                and hasattr(source, "source"):
            source = source.source
        if source is None or not source.label.startswith("lsl:"):
            return
        from noir.lsl import _warn_exposed, pylsl

        stream = source.label.removeprefix("lsl:")
        self._stimuli_outlet = pylsl.StreamOutlet(pylsl.StreamInfo(
            STIMULUS_STREAM, "Markers", 1, 0, "string", f"{STIMULUS_STREAM}/{stream}"))
        _warn_exposed(self._stimuli_outlet)

    def _check_refresh(self) -> None:
        """Warn the pages of each session frequency the display cannot render faithfully."""
        if self.refresh_hz is None:
            return
        for warning in refresh_warnings(self._freqs, self.refresh_hz):
            if warning not in self.warnings:
                self.warnings.append(warning)
                self.publish({"type": "warning", "text": warning})

    @property
    def motion_fps(self) -> float:
        """Camera frames per wall-clock second while the robot moved (0 before any motion)."""
        return self.motion_frames / self.motion_seconds if self.motion_seconds else 0.0

    @property
    def robot_fps(self) -> float:
        """Camera frames per second of the robot's motion, at ``speed`` (what a person sees
        when the session keeps its pace; 0 before any motion)."""
        return self.motion_frames * (self.speed or 1.0) / self.robot_seconds \
            if self.robot_seconds else 0.0


def _jsonable(record: dict[str, Any]) -> dict[str, Any]:
    """``record`` as plain JSON types (numpy numbers and arrays converted)."""
    def convert(value: Any) -> Any:
        if isinstance(value, np.generic | np.ndarray):
            return value.tolist()
        return str(value)

    return json.loads(json.dumps(record, default=convert))
