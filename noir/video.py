"""Session video: a recorded session rendered as an mp4 or a GIF, without re-running it.

Each video frame shows the record's latest camera frame (``frames/*.png``, as its ``frame``
events list them) and, in a band below it, what the interface showed and decided at that moment
of the session: during What the candidates' SSVEP patches (see below), during How the skill
options by motor-imagery class, during Where the cursor and (when the record knows it) the point
the person meant on the image,
the skill that runs and how it ended, the latest decision (label highlighted, scores) and
confirmation (accepted or rejected), and the outcome. Frames are timed by the events' session
time ``t``: frame ``k`` shows the session at ``t0 + k * speed / fps``; the last state is held
for ``END_HOLD`` s, so a video lasts ``(t_end - t0) / speed + END_HOLD`` s (to a frame).

The SSVEP patches flicker as on the operator page, ``0.5 * (1 + sin(2 pi f t + phase))`` from
the What stage's start, each target at its frequency and phase (the session's
``ssvep_phases`` by slot, or what a console session's ``stimulus_onset`` recorded), in the
band and, where the record says where the page put them (a console session's
``stimulus_onset`` targets carry ``u``, ``v``), as discs on the camera image too. A video
cannot show a flicker faster than it has frames for: when ``f * speed`` exceeds
``fps / FRAMES_PER_CYCLE`` for the fastest target, every flicker is slowed by the same factor
(their ratios and phases kept, the band says by how much), so each one flickers visibly with
at least ``FRAMES_PER_CYCLE`` frames per cycle instead of aliasing (at 10 frames/s a 10-Hz
patch sampled as it is would not flicker at all).

A record may come from anyone: it is opened only with :func:`noir.replay.load_record`
(checked against its manifest), the frames it names are read as PNG only and of bounded size,
and every event field drawn here is type-checked; a bad one is a ``ValueError`` that names
the event.
"""

from __future__ import annotations

import importlib.util
import math
import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from noir.session import CorruptRecord, shown

SUFFIXES = (".mp4", ".gif")
"""File types :func:`render_session` writes."""
SCALE = 2
"""Camera frames are shown at this many times their size (rounded up to whole 16 px blocks)."""
BAND = 128
"""Height in px of the overlay band under the camera image."""
END_HOLD = 2.0
"""Seconds of video that hold the session's final state (the outcome)."""
MAX_FRAME_SIDE = 4096
"""Largest width or height, in px, of a record's camera frame that is read."""
MAX_VIDEO_S = 3600.0
"""Longest video, in s, that is rendered (a record's time span over ``speed``)."""

DECISION_CHIP = (255, 200, 0)
"""Fill of the chip before the latest decision (the row ``DECISION_ROW`` of the band)."""
ACCEPTED_CHIP, REJECTED_CHIP = (40, 200, 60), (230, 40, 40)
"""Fill of the chip before the latest confirmation (row ``CONFIRM_ROW``)."""
STAGE_ROW, CONTENT_ROW, DECISION_ROW, CONFIRM_ROW = 6, 34, 72, 100
"""Top y, in px from the band's top, of its four rows (each 22 px high)."""
CHIP = (8, 16)
"""Left x and width, in px, of a row's chip."""
FRAMES_PER_CYCLE = 4.0
"""Fewest video frames per flicker cycle of an SSVEP patch (the fastest is slowed to this)."""
PATCH_RADIUS = 28
"""Radius in px of a target's disc on the enlarged camera image (the page's 56-px patch)."""
_STAGE_TITLES = {
    "what": "WHAT: look at the object you want",
    "how": "HOW: imagine the movement of a skill",
    "where": "WHERE: steer the cursor, clench to stop",
    "intent": "PROPOSAL: clench to reject",
}
_NUMBER = (int, float)


def render_session(folder: str | Path, out: str | Path, *, fps: float = 10.0,
                   speed: float = 1.0) -> dict[str, Any]:
    """Render the session record ``folder`` to the video file ``out`` (.mp4 or .gif).

    Parameters
    ----------
    fps : float
        Video frames per second (a GIF stores its frame time in 10 ms steps).
    speed : float
        Session seconds per video second.

    Returns
    -------
    dict
        ``frames`` (count), ``seconds`` (video duration, frames / fps) and ``size``
        (width, height) in px.

    Raises
    ------
    ValueError
        If ``out`` has another suffix, lies inside ``folder`` or in a folder that does not
        exist, ``fps`` or ``speed`` is out of range, the video would be too long, or the
        record is corrupt (:class:`noir.session.CorruptRecord`, naming the file or event).
    FileNotFoundError
        If ``folder`` does not exist.
    """
    folder, out = Path(folder), Path(out)
    suffix = out.suffix.lower()
    if suffix not in SUFFIXES:
        raise ValueError(f"cannot write video {str(out)!r}: use one of the suffixes "
                         f"{list(SUFFIXES)}")
    if suffix == ".mp4" and importlib.util.find_spec("imageio_ffmpeg") is None:
        raise ValueError(f"writing {str(out)!r} needs the imageio-ffmpeg package "
                         "(pip install imageio-ffmpeg); or write a .gif")
    if not (0 < fps <= 60):
        raise ValueError(f"fps {fps}: expected more than 0 and at most 60 frames per second")
    if not (0 < speed <= 1000):
        raise ValueError(f"speed {speed}: expected more than 0 and at most 1000 session "
                         "seconds per video second")
    if out.resolve().is_relative_to(folder.resolve()):
        raise ValueError(f"video {str(out)!r} lies inside the session folder {str(folder)!r}: "
                         "it would add a file to the record; write it outside")
    if out.is_dir() or not out.parent.is_dir():
        raise ValueError(f"cannot write video {str(out)!r}: expected a file in an existing "
                         "folder")
    from noir.replay import load_record  # the loop and the simulator: only when rendering

    record = load_record(folder)
    events = record.events
    t0, t_end = events[0]["t"], events[-1]["t"]
    for i in range(1, len(events)):
        if events[i]["t"] < events[i - 1]["t"]:
            raise CorruptRecord(f"{_where(folder, i)}: time t={events[i]['t']} s runs back "
                                f"from t={events[i - 1]['t']} s")
    seconds = (t_end - t0) / speed + END_HOLD
    if seconds > MAX_VIDEO_S:
        raise ValueError(f"{folder}: the session spans {t_end - t0:.0f} s, a video of "
                         f"{seconds:.0f} s at speed {speed}; at most {MAX_VIDEO_S:.0f} s: "
                         "raise --speed")
    n = max(1, math.ceil(seconds * fps))
    times = [min(t0 + k * speed / fps, t_end) for k in range(n)]
    scene = _Scene(folder, events, record.config.ssvep_phases, fps / speed)
    part = out.with_name(f"{out.stem}.part{out.suffix}")
    try:
        frames = (scene.at(t) for t in times)
        if suffix == ".gif":
            write_gif(part, frames, 1 / fps)
        else:
            _write_mp4(part, frames, fps)
        os.replace(part, out)
    finally:
        part.unlink(missing_ok=True)
    return {"frames": n, "seconds": n / fps, "size": scene.size}


def write_gif(path: str | Path, frames: Iterator[np.ndarray] | Sequence[np.ndarray],
              seconds: float) -> None:
    """Write RGB frames, each (height, width, 3) uint8, as a looping GIF, ``seconds`` apart.

    Each frame gets its own 256-colour palette by octree quantization, which keeps small,
    saturated objects: the median-cut palette that Pillow picks by default weighs colours by
    their pixel count and turned the sample scenes' blue ball grey.
    """
    images = [Image.fromarray(np.asarray(frame, dtype=np.uint8), "RGB").quantize(
        256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE) for frame in frames]
    if not images:
        raise ValueError(f"no frames to write to {path}")
    images[0].save(path, format="GIF", save_all=True, append_images=images[1:],
                   duration=round(1000 * seconds), loop=0, optimize=False, disposal=1)


def _write_mp4(path: Path, frames: Iterator[np.ndarray], fps: float) -> None:
    """H.264 mp4 through imageio-ffmpeg's ffmpeg (frame sizes are multiples of 16 px)."""
    import imageio.v2 as imageio

    with imageio.get_writer(path, format="FFMPEG", fps=fps, codec="libx264", quality=7,
                            macro_block_size=16, ffmpeg_log_level="error") as writer:
        for frame in frames:
            writer.append_data(frame)


def _where(folder: Path, index: int) -> str:
    return f"{folder / 'events.jsonl'}, event {index + 1}"


class _Scene:
    """The session's state at any session time, drawn as a video frame."""

    def __init__(self, folder: Path, events: list[dict[str, Any]],
                 phases: Sequence[float], frames_per_s: float) -> None:
        """``phases``: each SSVEP slot's phase (rad); ``frames_per_s``: video frames per
        second of session time (``fps / speed``)."""
        self.folder, self.events = folder, events
        self.phases, self.frames_per_s = list(phases), frames_per_s
        paths = [(i, e["path"]) for i, e in enumerate(events) if e["event"] == "frame"]
        self._images: dict[str, Image.Image] = {}
        first = self._frame(*paths[0]) if paths else None
        w, h = first.size if first is not None else (360, 240)
        self.camera = (16 * math.ceil(SCALE * w / 16), 16 * math.ceil(SCALE * h / 16))
        self.frame_scale = (self.camera[0] / w, self.camera[1] / h)
        self.size = (self.camera[0], self.camera[1] + BAND)
        self.font = ImageFont.load_default(size=15)
        self._index, self._state = 0, _State()

    def _frame(self, index: int, name: str) -> Image.Image:
        """The record's camera frame ``name`` (checked by ``load_record``), as RGB."""
        if name not in self._images:
            path = self.folder / name
            try:
                with Image.open(path, formats=["PNG"]) as image:
                    if max(image.size) > MAX_FRAME_SIDE:
                        raise CorruptRecord(f"{path}: {image.size[0]}x{image.size[1]} px; "
                                            f"frames are at most {MAX_FRAME_SIDE} px a side")
                    self._images[name] = image.convert("RGB")
            except CorruptRecord:
                raise
            except Exception as err:  # PIL's errors for a file that is not a PNG
                raise CorruptRecord(f"{path} ({_where(self.folder, index)}): not a readable "
                                    f"PNG image ({err})") from err
        return self._images[name]

    def at(self, t: float) -> np.ndarray:
        """The video frame at session time ``t`` s, shape (height, width, 3) uint8."""
        while self._index < len(self.events) and self.events[self._index]["t"] <= t:
            self._apply(self._index, self.events[self._index])
            self._index += 1
        s = self._state
        canvas = Image.new("RGB", self.size, (16, 16, 20))
        if s.frame is not None:
            canvas.paste(self._frame(*s.frame).resize(self.camera, Image.Resampling.BILINEAR))
        draw = ImageDraw.Draw(canvas)
        if s.stage == "where":
            self._marker(draw, s.target_px, (255, 255, 255), "intended", ring=True)
            self._marker(draw, s.cursor_px, (255, 200, 0), "cursor", ring=False)
        levels = [0.5 * (1 + math.sin(2 * math.pi * freq * s.slow * (t - s.since) + phase))
                  for _, freq, phase, _ in s.targets] if s.stage == "what" else []
        placed = [(name, freq, px[0] * self.frame_scale[0], px[1] * self.frame_scale[1], level)
                  for (name, freq, _, px), level in zip(s.targets, levels, strict=True)
                  if px is not None]  # where the operator page put it
        for _, _, u, v, level in placed:
            grey = round(255 * level)
            draw.ellipse((u - PATCH_RADIUS, v - PATCH_RADIUS, u + PATCH_RADIUS, v + PATCH_RADIUS),
                         fill=(grey, grey, grey), outline=(0, 0, 0), width=2)
        for name, freq, u, v, _ in placed:  # labels over every disc
            self._text(draw, (u - PATCH_RADIUS, v + PATCH_RADIUS + 2), f"{name} {freq:g} Hz",
                       (255, 255, 255))
        top = self.camera[1]
        self._text(draw, (CHIP[0], top + STAGE_ROW), s.title, (230, 230, 230))
        self._text(draw, (self.size[0] - 110, top + STAGE_ROW), f"t = {t:6.1f} s",
                   (150, 150, 150))
        y = top + CONTENT_ROW
        if s.stage == "what" and s.targets:
            x = CHIP[0]
            for (name, freq, _, _), level in zip(s.targets, levels, strict=True):
                grey = round(255 * level)
                draw.rectangle((x, y, x + 24, y + 24), fill=(grey, grey, grey),
                               outline=(120, 120, 120))
                x = self._text(draw, (x + 30, y + 4), f"{name} {freq:g} Hz", (230, 230, 230))
                x += 24
            if s.slow < 1:
                self._text(draw, (x, y + 4), f"(flicker shown {1 / s.slow:.1f}x slower)",
                           (150, 150, 150))
        elif s.content:
            self._text(draw, (CHIP[0], y + 4), s.content, (200, 220, 255))
        for row, line, chip in ((DECISION_ROW, s.decision, DECISION_CHIP),
                                (CONFIRM_ROW, s.confirm, s.confirm_chip)):
            if line:
                draw.rectangle((CHIP[0], top + row, CHIP[0] + CHIP[1], top + row + 18),
                               fill=chip)
                self._text(draw, (CHIP[0] + CHIP[1] + 8, top + row + 1), line, (230, 230, 230))
        return np.asarray(canvas)

    def _text(self, draw: ImageDraw.ImageDraw, at: tuple[float, float], text: str,
              fill: tuple[int, int, int]) -> float:
        """Draw one line (clipped to the frame by PIL); returns the x where it ends."""
        text = "".join(c if c.isprintable() else "?" for c in text[:200])
        draw.text(at, text, font=self.font, fill=fill)
        return at[0] + draw.textlength(text, font=self.font)

    def _marker(self, draw: ImageDraw.ImageDraw, px: tuple[float, float] | None,
                colour: tuple[int, int, int], label: str, *, ring: bool) -> None:
        if px is None:
            return
        u, v = px[0] * self.frame_scale[0], px[1] * self.frame_scale[1]
        if ring:
            draw.ellipse((u - 9, v - 9, u + 9, v + 9), outline=colour, width=2)
        else:
            draw.line((u - 12, v, u + 12, v), fill=colour, width=3)
            draw.line((u, v - 12, u, v + 12), fill=colour, width=3)
        self._text(draw, (u + 12, v - 20), label, colour)

    def _apply(self, index: int, e: dict[str, Any]) -> None:
        """Update the state with event ``index``."""
        s, kind = self._state, e["event"]

        def get(name: str, check: Callable[[Any], bool], expected: str) -> Any:
            value = e.get(name)
            if not check(value):
                raise CorruptRecord(f"{_where(self.folder, index)}: {kind!r} event needs "
                                    f"{name!r} as {expected}, got {shown(value)}")
            return value

        if kind == "frame":
            s.frame = (index, e["path"])
        elif kind == "stage":
            s.stage, s.since = e["stage"], e["t"]
            s.title = _STAGE_TITLES.get(s.stage, f"{s.stage.upper()}")
            s.targets, s.content, s.cursor_px, s.target_px = [], "", None, None
            if s.stage == "what":
                self._stimuli(index, e["candidates"])  # label -> Hz, checked by load_record
            elif s.stage == "how":
                obj = get("object", _is_str, "a string")
                s.title = f"{_STAGE_TITLES['how']} on {obj}"
                s.content = "   ".join(f"{cls.replace('_', ' ')} -> {skill}"
                                       for cls, skill in e["options"].items()) or "no skill"
            elif s.stage == "where":
                s.cursor_px = get("start_px", _is_px_or_none, "[u, v] px")
                s.content = "steer the cursor to the point"
        if s.stage == "where" and "target_px" in e:  # what the person meant, when the record
            s.target_px = get("target_px", _is_px_or_none, "[u, v] px")  # knows it
        if kind == "decision":
            scores = get("scores", _is_scores, "an object of label -> number")
            kind_of = get("score_kind", _is_str_or_none, "a string") or "score"
            ranked = sorted(scores.items(), key=lambda item: -item[1])[:4]
            s.decision = (f"decided ({e['stage']}): {e['label']}    " + "  ".join(
                f"{label} {value:.2f}" for label, value in ranked) + f"  ({kind_of})")
        elif kind == "confirm":
            proposal = get("proposal", _is_str, "a string")
            s.confirm = (f"rejected by a clench: {proposal}" if e["clench"]
                         else f"confirmed: {proposal}")
            s.confirm_chip = REJECTED_CHIP if e["clench"] else ACCEPTED_CHIP
        elif kind == "where":
            s.cursor_px = get("cursor_px", _is_px_or_none, "[u, v] px") or s.cursor_px
            if e.get("abandoned") is True:
                s.content = "Where abandoned"
        elif kind == "skill_start":
            call = self._call(get)
            s.stage, s.title, s.content = "skill", f"ROBOT: {call} running", "clench to stop"
        elif kind in ("skill_end", "skill_failure"):
            call = self._call(get)
            seconds = get("sim_time", _is_number_or_none, "a number")
            took = f" after {seconds:.1f} s" if seconds is not None else ""
            s.stage = "skill"
            s.title = f"ROBOT: {call} " + ("done" if kind == "skill_end"
                                           else f"failed ({e['reason']})") + took
            s.content = ""
        elif kind == "task_reset":
            s.stage, s.title, s.content = "reset", "the task starts again", ""
        elif kind == "task_end":
            predicates = get("predicates", _is_predicates, "an object of name -> bool")
            s.stage = "end"
            s.title = "OUTCOME: " + ("success" if e["success"] else "FAILURE")
            s.content = "   ".join(f"{name}: {'yes' if holds else 'no'}"
                                   for name, holds in (predicates or {}).items())

    def _stimuli(self, index: int, candidates: dict[str, float]) -> None:
        """The What stage (event ``index``) flickers ``candidates``: each slot's phase, and
        where the page put each target when the stage's ``stimulus_onset`` says."""
        phases = dict(zip(candidates, self.phases, strict=False))
        placed: dict[str, tuple[float, float]] = {}
        for later in range(index + 1, len(self.events)):
            e = self.events[later]
            if e["event"] == "stage":
                break
            if e["event"] == "stimulus_onset" and e.get("stage") == "what":
                targets = e.get("targets")
                if not (isinstance(targets, list) and all(_is_target(t) for t in targets)):
                    raise CorruptRecord(f"{_where(self.folder, later)}: 'stimulus_onset' "
                                        "event needs 'targets' as [{name, freq, phase, u, v}], "
                                        f"got {shown(targets)}")
                for target in targets:
                    phases[target["name"]] = target["phase"]
                    if "u" in target:
                        placed[target["name"]] = (target["u"], target["v"])
                break
        s = self._state
        s.targets = [(name, freq, phases.get(name, 0.0), placed.get(name))
                     for name, freq in candidates.items()]
        fastest = max((freq for _, freq, _, _ in s.targets), default=0.0)
        s.slow = min(1.0, self.frames_per_s / (FRAMES_PER_CYCLE * fastest)) if fastest > 0 \
            else 1.0

    @staticmethod
    def _call(get: Callable[..., Any]) -> str:
        return (f"{get('skill', _is_str, 'a string')}"
                f"({get('object', _is_str, 'a string')})")


class _State:
    """What the interface shows at a moment of the session."""

    def __init__(self) -> None:
        self.frame: tuple[int, str] | None = None
        self.stage, self.since, self.title, self.content = "", 0.0, "session start", ""
        self.targets: list[tuple[str, float, float, tuple[float, float] | None]] = []
        """(name, Hz, phase in rad, centre (u, v) px on the camera frame or None) of each
        What target."""
        self.slow = 1.0  # the flicker's slow-down factor (<= 1) for the video's frame rate
        self.cursor_px = self.target_px = None
        self.decision = self.confirm = ""
        self.confirm_chip = ACCEPTED_CHIP


def _is_str(value: Any) -> bool:
    return isinstance(value, str)


def _is_str_or_none(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _is_number(value: Any) -> bool:
    return isinstance(value, _NUMBER) and not isinstance(value, bool) and math.isfinite(value)


def _is_number_or_none(value: Any) -> bool:
    return value is None or _is_number(value)


def _is_px_or_none(value: Any) -> bool:
    return value is None or (isinstance(value, list) and len(value) == 2
                             and all(_is_number(v) and abs(v) < 1e5 for v in value))


def _is_target(value: Any) -> bool:
    """A ``stimulus_onset`` target: name, freq, phase and, together, u and v px."""
    return (isinstance(value, dict) and _is_str(value.get("name"))
            and all(_is_number(value.get(k)) for k in ("freq", "phase"))
            and ("u" not in value and "v" not in value
                 or _is_px_or_none([value.get("u"), value.get("v")])))


def _is_scores(value: Any) -> bool:
    return isinstance(value, dict) and all(_is_number(v) for v in value.values())


def _is_predicates(value: Any) -> bool:
    return value is None or (isinstance(value, dict)
                             and all(isinstance(v, bool) for v in value.values()))
