"""Replay: re-execute a recorded session from its EEG and compare decisions and outcome.

The replay operator feeds the loop the recorded EEG windows in the recorded order, with the
person's recorded intentions; the decoders are the session's saved ones and the world is
rebuilt from the task and seed. The same EEG through the same decoders gives the same
decisions, so the robot does the same things and the task ends the same way.

A record may come from anyone, so nothing is loaded before it is checked:
:func:`load_record` verifies every file against the record's ``manifest.json``
(``noir.session.verify_record``), checks the fields replay reads in every event, and
accepts only file references that are plain relative paths listed in the manifest. Every
problem found while loading is a :class:`noir.session.CorruptRecord` naming the file (the CLI
exits with 2); a replay whose decisions or outcome differ is a :class:`ReplayDivergence`
(exit 1).
"""

from __future__ import annotations

import math
import types
import typing
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import mne
import numpy as np

from decoders.cues import MI_CLASSES, Cue, Flicker, Glide, Menu, Motion, Proposal, Screen
from noir.assist import ASSISTANT_FOLDER, Assistant
from noir.calibration import Calibration, cued_epochs
from noir.config import MI_DECODERS, SSVEP_DECODERS, LoopConfig
from noir.eeg_writer import read_recording
from noir.loop import InterfaceLoop
from noir.session import (
    CorruptRecord,
    SessionClock,
    SessionRecorder,
    numbered_events,
    read_events,
    record_file,
    shown,
    verify_record,
)
from noir.where import AXIS_BINDING, CONTINUOUS_BINDING
from sim.tasks import TASKS

_WINDOW_EVENTS = ("decision", "confirm", "cursor_glide", "skill_end", "skill_failure")
_SCREEN_EVENTS: dict[type, tuple[str, ...]] = {
    Flicker: ("decision",), Menu: ("decision",), Proposal: ("confirm",),
    Motion: ("skill_end", "skill_failure"), Glide: ("cursor_glide",),
}
"""The events whose window answers each kind of screen."""
TRUTH_FIELDS = ("intended", "wanted_reject", "slipped", "lapsed", "clench_at",
                "intended_object", "intended_skill", "target_px")
"""The fields of an event that say what the person meant (``noir.stream.Operator.truth``)."""

_NUMBER, _NULL = "number", None
_TRUTH_TYPES: dict[str, tuple] = {
    "intended": (str, _NULL), "wanted_reject": (bool,), "slipped": (bool,), "lapsed": (bool,),
    "clench_at": (_NUMBER, _NULL), "intended_object": (str,), "intended_skill": (str,),
    "target_px": (list, _NULL),
}
_FIELDS: dict[str, dict[str, tuple]] = {
    "session_start": {"task": (str,), "seed": (int,), "config": (dict,)},
    "task_end": {"success": (bool,)},
    "stage": {"stage": (str,)},
    "eeg_stream": {"header": (str,), "channels": (list,), "sfreq": (_NUMBER,)},
    "frame": {"path": (str,)},
    "decision": {"stage": (str,), "label": (str,), "eeg": (dict,)},
    "confirm": {"stage": (str,), "clench": (bool,), "eeg": (dict,)},
    "cursor_glide": {"eeg": (dict,)},
    "skill_end": {"eeg": (dict,)},
    "skill_failure": {"reason": (str,)},
    "console_stop": {"step": (int,)},
}
"""The fields replay reads in each kind of event and their JSON types (``"number"``: a
finite int or float, ``None``: null)."""


class ReplayDivergence(RuntimeError):
    """The replayed loop asked for something the record does not hold at that point."""


@dataclass
class SessionRecord:
    """A complete session record whose files and events have been checked.

    Attributes
    ----------
    folder : Path
        The session folder.
    events : list of dict
        ``events.jsonl``, in order; starts with ``session_start``, ends with ``task_end``.
    config : LoopConfig
        The loop's settings from ``session_start``.
    streams : dict of str to mne.io.Raw
        Every EEG stream the events refer to, by header file name.
    """

    folder: Path
    events: list[dict[str, Any]]
    config: LoopConfig
    streams: dict[str, mne.io.BaseRaw]


def load_record(folder: str | Path) -> SessionRecord:
    """Verify and read a complete session record (see the module docstring).

    Raises
    ------
    FileNotFoundError
        If ``folder`` does not exist.
    CorruptRecord
        If anything in the record is missing, changed, truncated, malformed or refers outside
        the record; the message names the file (and line) and what is wrong.
    """
    folder = Path(folder)
    listed = verify_record(folder)
    log = folder / "events.jsonl"
    if "events.jsonl" not in listed:
        raise CorruptRecord(f"{log} not found: every session record has an event log")
    numbered = numbered_events(folder)
    if not numbered or numbered[0][1]["event"] != "session_start":
        raise CorruptRecord(f"{log} does not start with session_start")
    last = numbered[-1][1]
    if last["event"] != "task_end":
        raise CorruptRecord(
            f"{folder} is a truncated record (the session stopped after {shown(last['event'])} at "
            f"t={last['t']} s, before task_end): it cannot be replayed to an outcome"
        )
    announced: dict[str, tuple[str, dict[str, Any]]] = {}  # header -> (where, eeg_stream)
    stage = None
    for line, event in numbered:
        where = f"{log}, line {line}"
        _check_event(event, where)
        kind = event["event"]
        if kind == "stage":
            stage = event["stage"]
        elif kind == "decision" and event["stage"] != stage:
            raise CorruptRecord(f"{where}: a {shown(event['stage'])} decision after a "
                                f"{shown(stage)} stage event")
        elif kind == "frame":
            record_file(folder, event["path"], listed, where)
        elif kind == "eeg_stream":
            header = event["header"]
            record_file(folder, header, listed, where)
            if "/" in header or not header.endswith(".vhdr") or header in announced:
                raise CorruptRecord(f"{where}: header {shown(header)} must be a new .vhdr file "
                                    "name in the session folder")
            announced[header] = (where, event)
        if kind in _WINDOW_EVENTS and "eeg" in event and event["eeg"]["header"] not in announced:
            raise CorruptRecord(f"{where}: EEG from {shown(event['eeg']['header'])}, which no "
                                "earlier eeg_stream event announced")
    start_line, start = numbered[0]
    config = _config(start["config"], f"{log}, line {start_line}")
    if start["task"] not in TASKS:
        raise CorruptRecord(f"{log}, line {start_line}: unknown task {shown(start['task'])}; "
                            f"known tasks: {sorted(TASKS)}")
    if start["seed"] < 0:
        raise CorruptRecord(f"{log}, line {start_line}: seed {start['seed']} is negative")
    streams = {header: _stream(folder / header, *announcement)
               for header, announcement in announced.items()}
    cue_samples = {header: np.sort(np.round(raw.annotations.onset * raw.info["sfreq"]))
                   for header, raw in streams.items()}
    for line, event in numbered:
        if event["event"] in _WINDOW_EVENTS and "eeg" in event:
            header, start, n = event["eeg"]["header"], event["eeg"]["start"], event["eeg"]["n"]
            available = streams[header].n_times
            if start + n > available:
                raise CorruptRecord(
                    f"{log}, line {line}: needs samples {start} to {start + n} of {header}, "
                    f"which holds {available}: the EEG is truncated"
                )
            cues = cue_samples[header]
            if np.searchsorted(cues, start) == np.searchsorted(cues, start + n):
                raise CorruptRecord(
                    f"{log}, line {line}: {folder / header} has no cue marker in samples "
                    f"{start} to {start + n} (every window starts with one): its .vmrk is "
                    "damaged"
                )
    return SessionRecord(folder, [event for _, event in numbered], config, streams)


class ReplayOperator:
    """Plays back a session record's EEG windows, in order, and what the person meant at each.

    Parameters
    ----------
    record : SessionRecord
        A complete record from :func:`load_record`.
    """

    def __init__(self, record: SessionRecord) -> None:
        self.folder = record.folder
        self._streams = record.streams
        self._queue = deque(e for e in record.events
                            if e["event"] in _WINDOW_EVENTS and "eeg" in e)
        self._truth: dict[str, Any] = {}
        self.n_played = 0

    def respond(self, screen: Screen, stage: str, pre_roll: float = 0.0) -> mne.io.BaseRaw:
        """The next recorded window, if the record holds one for ``screen`` there."""
        kinds = _SCREEN_EVENTS[type(screen)]
        if not self._queue:
            raise ReplayDivergence(
                f"the loop asked for more EEG ({kinds}) than {self.folder} recorded"
            )
        event = self._queue[0]
        wanted_stage = screen.stage if isinstance(screen, Proposal) else \
            stage if isinstance(screen, Flicker | Menu) else None
        if event["event"] not in kinds or (wanted_stage and event.get("stage") != wanted_stage):
            raise ReplayDivergence(
                f"window {self.n_played + 1}: the loop is at {kinds} {wanted_stage or ''} but "
                f"the record has {event['event']} {event.get('stage', '')}"
            )
        self._queue.popleft()
        self.n_played += 1
        self._truth = {k: event[k] for k in TRUTH_FIELDS if k in event}
        return self._window(event)

    def truth(self) -> dict[str, Any]:
        """What the person meant at the window just played, as recorded."""
        return dict(self._truth)

    def skill_done(self, obj: str, skill: str, succeeded: bool) -> None:
        """Nothing to do: the record already holds what the person did next."""

    def restart(self) -> None:
        """Nothing to do: the record already holds the next attempt."""

    def eeg(self, cues: Sequence[Cue], stage: str) -> mne.io.BaseRaw:
        """Replay re-runs no calibration (it loads the recorded one)."""
        raise ReplayDivergence(f"the replay was asked for cued EEG at stage {stage!r}; "
                               f"{self.folder} is replayed from its windows only")

    def _window(self, event: dict[str, Any]) -> mne.io.BaseRaw:
        """The EEG an event's window holds, with its cue annotations."""
        where = event["eeg"]
        raw = self._streams[where["header"]]
        start, stop = where["start"], where["start"] + where["n"]
        sfreq = raw.info["sfreq"]
        chunk = mne.io.RawArray(raw.get_data(start=start, stop=stop), raw.info, verbose="error")
        inside = [((sample - start) / sfreq, min(a["duration"], (stop - sample) / sfreq),
                   a["description"])
                  for a in raw.annotations
                  if start <= (sample := round(a["onset"] * sfreq)) < stop]
        chunk.set_annotations(mne.Annotations(*zip(*inside, strict=True)) if inside else None)
        return chunk


class OutsideStops:
    """Re-applies to a replayed loop what stopped the recorded one from outside its decoding.

    - A ``console_stop`` event (``noir.console``: the experimenter's abort, or a live
      session's operator page closed or paused) stopped a motion at its ``step``-th control
      step (``InterfaceLoop.on_step``): the replay stops the same motion at the same step.
    - A record whose ``task_end`` says ``aborted`` ends at the loop's first safe point after
      its last EEG window: the replay aborts (``InterfaceLoop.abort``) once it has recorded
      that window's event (at once, for a record without windows), so it ends there too.

    Raises
    ------
    ReplayDivergence
        If a motion stopped as interrupted with no clench decoded, no stream fault and no
        ``console_stop`` saying at which step (a record made before console stops were
        recorded): the replay cannot know where that motion stopped.
    """

    def __init__(self, record: SessionRecord, loop: InterfaceLoop) -> None:
        self.loop = loop
        self.stops: dict[int, int] = {}  # motion number (from 0) -> control step
        motion = -1
        for line, event in enumerate(record.events, start=1):
            kind = event["event"]
            if kind == "skill_start":
                motion += 1
            elif kind == "console_stop":
                self.stops[motion] = event["step"]
            elif (kind == "skill_failure" and event["reason"] == "interrupted"
                  and event.get("detected_at") is None and "stream_fault" not in event
                  and motion not in self.stops):
                raise ReplayDivergence(
                    f"{record.folder / 'events.jsonl'}, line {line}: a motion was stopped from "
                    "outside the loop (no clench decoded, no stream fault) and no console_stop "
                    "event says at which control step: it cannot be replayed")
        windows = sum(e["event"] in _WINDOW_EVENTS and "eeg" in e for e in record.events)
        self.abort_after = windows if record.events[-1].get("aborted") is True else None
        self.motion, self.steps, self.played = -1, 0, 0
        loop.recorder.listeners.append(self.event)
        loop.on_step = self.step
        if self.abort_after == 0:
            loop.abort()

    def event(self, event: dict[str, Any]) -> None:
        if event["event"] == "skill_start":
            self.motion, self.steps = self.motion + 1, 0
        elif event["event"] in _WINDOW_EVENTS and "eeg" in event:
            self.played += 1
            if self.played == self.abort_after:
                self.loop.abort()

    def step(self, world: Any) -> bool:
        self.steps += 1
        return self.steps == self.stops.get(self.motion)


def replay_session(
    folder: str | Path, *, out: str | Path = "runs"
) -> tuple[dict[str, Any], Path, dict[str, Any]]:
    """Re-execute the session in ``folder``; return (summary, new folder, comparison).

    The comparison holds the recorded and replayed decision sequences and outcomes, and
    whether they are identical.

    Raises
    ------
    CorruptRecord
        If the record fails any check of :func:`load_record`, or its calibration or user
        model cannot be loaded (the message names the file).
    ReplayDivergence
        If the replayed loop asks for a window the record does not hold there, or fails.
    ValueError
        If ``out`` lies inside ``folder`` (the replay would add files to the record).
    """
    folder = Path(folder)
    record = load_record(folder)
    if Path(out).resolve().is_relative_to(folder.resolve()):
        raise ValueError(f"--out {out} lies inside the session folder {folder}: the replay "
                         "would add files to the record; choose a folder outside it")
    events, config = record.events, record.config
    start = events[0]
    task = TASKS[start["task"]]()
    with _loading(folder / "calibration"):
        calibration = Calibration.load(folder / "calibration")
    assistant = None
    if config.learning:
        with _loading(folder / ASSISTANT_FOLDER):
            assistant = Assistant.load(folder / ASSISTANT_FOLDER, config.propose_threshold)
    operator = ReplayOperator(record)
    target = SessionRecorder.new_folder(out, f"replay-{folder.name}")
    with task.make_world(start["seed"]) as world:
        recorder = SessionRecorder(target, SessionClock())
        recorder.event("session_start", **{**start, "operator": "replay", "replay_of": str(folder)})
        calibration.save(target / "calibration")
        if assistant is not None:
            assistant.save(target / ASSISTANT_FOLDER)
        try:
            loop = InterfaceLoop(world, task, operator, calibration, recorder, config,
                                 assistant=assistant)
            OutsideStops(record, loop)
            summary = loop.run()
        except ReplayDivergence:
            raise
        except Exception as err:  # the record was sound: the re-execution did not follow it
            raise ReplayDivergence(
                f"the replay of {folder} failed after window {operator.n_played} "
                f"({type(err).__name__}: {err})"
            ) from err
        recorder.summary(summary)

    def decisions(evs: list[dict[str, Any]]) -> list[tuple]:
        return [(e["event"], e.get("stage"), e.get("label", e.get("clench", e.get("reason"))))
                for e in evs if e["event"] in _WINDOW_EVENTS]

    recorded, replayed = decisions(events), decisions(read_events(target))
    comparison = {
        "recorded_success": events[-1]["success"],
        "replayed_success": summary["success"],
        "n_recorded": len(recorded),
        "n_replayed": len(replayed),
        "identical": recorded == replayed and events[-1]["success"] == summary["success"],
    }
    return summary, target, comparison


def redecode(folder: str | Path, *, ssvep: str | None = None, mi: str | None = None
             ) -> list[dict[str, Any]]:
    """Decode a session's recorded windows again with other decoders (the robot does not move).

    The record is checked as by :func:`replay_session` first.

    Parameters
    ----------
    ssvep : str, optional
        A key of ``noir.config.SSVEP_DECODERS`` for the What decisions.
    mi : str, optional
        A key of ``noir.config.MI_DECODERS`` for the How and Where decisions, fitted on the
        session's calibration recording.

    Returns
    -------
    rows : list of dict
        One per decision: stage, intended, the recorded label and the new one.
    """
    names = {"ssvep": (ssvep, SSVEP_DECODERS), "mi": (mi, MI_DECODERS)}
    for kind, (name, known) in names.items():
        if name is not None and name not in known:
            raise ValueError(f"unknown {kind} decoder {name!r}; known: {sorted(known)}")
    folder = Path(folder)
    record = load_record(folder)
    config = record.config
    mi_decoder = _fit_mi(folder / "calibration", mi, config) if mi is not None else None
    rows, stage_event = [], None
    for event in record.events:
        if event["event"] == "stage":
            stage_event = event
        if event["event"] != "decision":
            continue
        header, start = event["eeg"]["header"], event["eeg"]["start"]
        raw = record.streams[header]
        label = event["label"]
        picks = config.ssvep_channels if event["stage"] == "what" else config.mi_channels
        with _loading(folder / header):  # e.g. a channel the config names is not recorded
            X = raw.get_data(picks=list(picks), start=start, stop=start + event["eeg"]["n"])[None]
        try:
            if event["stage"] == "what" and ssvep is not None:
                page = stage_event["candidates"]
                decoder = SSVEP_DECODERS[ssvep](freqs=list(page.values()),
                                               sfreq=raw.info["sfreq"], labels=list(page)).fit()
                label = str(decoder.predict(X)[0])
            elif event["stage"] in ("how", "where") and mi_decoder is not None:
                binding = (stage_event["options"] if event["stage"] == "how"
                           else AXIS_BINDING if config.cursor_mode == "axis"
                           else CONTINUOUS_BINDING)
                proba = dict(zip(mi_decoder.classes_, mi_decoder.predict_proba(X)[0],
                                 strict=True))
                label = binding[max(binding, key=lambda c: proba.get(c, 0.0))]
        except ValueError as err:  # the decoder refuses the window (flat, too short...)
            raise ValueError(f"{folder / header}: the {event['stage']} window at "
                             f"t={event['t']} s cannot be re-decoded: {err}") from err
        rows.append({"stage": event["stage"], "intended": event.get("intended"),
                     "recorded": event["label"], "redecoded": label})
    return rows


def _fit_mi(folder: Path, name: str, config: LoopConfig) -> Any:
    """``MI_DECODERS[name]`` fitted on the calibration's MI recording in ``folder``."""
    with _loading(folder):
        raw = Calibration.load(folder).mi_raw
    classes = []
    for description in raw.annotations.description:
        kind, _, cls = description.partition("/")
        if kind != "mi" or cls not in MI_CLASSES:
            raise CorruptRecord(f"{folder / 'calibration-mi.vmrk'}: cue {shown(description)}, "
                                f"expected 'mi/<class>' with a class of {list(MI_CLASSES)}")
        classes.append(cls)
    cues = [Cue("mi", config.mi_window, cls) for cls in classes]
    with _loading(folder / "calibration-mi.vhdr"):  # e.g. channels or trials missing
        X, labels = cued_epochs(raw, cues, config.mi_channels, config.mi_window)
    try:
        return MI_DECODERS[name](sfreq=raw.info["sfreq"]).fit(
            X, [label.split("/", 1)[1] for label in labels])
    except ValueError as err:  # a degenerate fit says why
        raise ValueError(f"{folder / 'calibration-mi.vhdr'}: cannot fit {name} on its "
                         f"trials: {err}") from err


@contextmanager
def _loading(path: Path) -> Iterator[None]:
    """Any error while reading ``path`` is a :class:`CorruptRecord` that names it."""
    try:
        yield
    except CorruptRecord:
        raise
    except Exception as err:  # a loader meeting a file it cannot read, whatever it raises
        message = str(err) if isinstance(err, ValueError | OSError) else \
            f"{type(err).__name__}: {err}"
        raise CorruptRecord(message if str(path) in message else f"{path}: {message}") from err


def _check_event(event: dict[str, Any], where: str) -> None:
    """Refuse an event whose fields replay reads are missing or of the wrong type."""
    kind = event["event"]
    fields = dict(_FIELDS.get(kind, {}))
    if kind == "skill_failure" and "eeg" in event:  # a skill that ran (not refused params)
        fields.update(eeg=(dict,))
    if kind == "stage" and isinstance(event.get("stage"), str):
        fields.update({"what": {"candidates": (dict,)},
                       "how": {"options": (dict,)}}.get(event["stage"], {}))
    for name, kinds in _TRUTH_TYPES.items():  # optional, but of the right type if there
        if name in event and not any(_is(event[name], k) for k in kinds):
            raise CorruptRecord(f"{where}: {kind!r} event's {name!r} must be "
                                f"{' or '.join(_type_name(k) for k in kinds)}, got "
                                f"{shown(event[name])}")
    target = event.get("target_px")
    if target is not None and not (len(target) == 2 and all(_is(v, _NUMBER) for v in target)):
        raise CorruptRecord(f"{where}: {kind!r} event's 'target_px' must be [u, v] pixels, "
                            f"got {shown(target)}")
    for name, kinds in fields.items():
        if name not in event or not any(_is(event[name], k) for k in kinds):
            raise CorruptRecord(f"{where}: {kind!r} event needs {name!r} of type "
                                f"{' or '.join(_type_name(k) for k in kinds)}, got "
                                f"{shown(event.get(name, 'nothing'))}")
    if "eeg" in fields:
        eeg = event["eeg"]
        if not (_is(eeg.get("header"), str) and _is(eeg.get("start"), int)
                and _is(eeg.get("n"), int) and eeg["start"] >= 0 and eeg["n"] >= 1):
            raise CorruptRecord(f"{where}: {kind!r} event: 'eeg' must be {{'header': file name, "
                                f"'start': sample >= 0, 'n': samples >= 1}}, got {shown(eeg)}")
    if kind == "stage":
        stage, malformed = event["stage"], None
        if stage == "what" and not all(_is(v, _NUMBER) for v in event["candidates"].values()):
            malformed = "candidates"  # label -> flicker frequency
        elif stage == "how" and not all(c in MI_CLASSES and _is(v, str)
                                        for c, v in event["options"].items()):
            malformed = "options"  # MI class -> skill
        if malformed:
            raise CorruptRecord(f"{where}: {stage!r} stage event has a malformed "
                                f"{malformed!r}: {shown(event[malformed])}")
    if kind == "eeg_stream" and not (event["channels"] and event["sfreq"] > 0
                                     and all(_is(c, str) for c in event["channels"])):
        raise CorruptRecord(f"{where}: an eeg_stream event needs channel names and a "
                            f"positive rate, got {shown(event['channels'])} at {event['sfreq']} Hz")


def _is(value: Any, kind: Any) -> bool:
    if kind is _NULL:
        return value is None
    if kind == _NUMBER:
        return isinstance(value, int | float) and not isinstance(value, bool) \
            and math.isfinite(value)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _type_name(kind: Any) -> str:
    return "null" if kind is _NULL else kind if isinstance(kind, str) else kind.__name__


def _config(values: dict[str, Any], where: str) -> LoopConfig:
    """The ``LoopConfig`` of a ``session_start`` event (JSON lists become tuples)."""
    hints = typing.get_type_hints(LoopConfig)
    for name, value in values.items():
        if name not in hints:
            raise CorruptRecord(f"{where}: unknown config field {shown(name)}")
        if not _conforms(value, hints[name]):
            raise CorruptRecord(f"{where}: config field {name!r} is {shown(value)}, expected "
                                f"{hints[name]}")
    try:
        return LoopConfig(**{k: tuple(v) if isinstance(v, list) else v
                             for k, v in values.items()})
    except ValueError as err:
        raise CorruptRecord(f"{where}: {err}") from err


def _conforms(value: Any, hint: Any) -> bool:
    """Whether a JSON value fits a ``LoopConfig`` annotation (tuples are JSON lists)."""
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        return any(_conforms(value, h) for h in typing.get_args(hint))
    if origin is tuple:
        item = typing.get_args(hint)[0]
        return isinstance(value, list) and all(_conforms(v, item) for v in value)
    if hint is type(None):
        return value is None
    return _is(value, _NUMBER if hint is float else hint)


def _stream(header: Path, where: str, announced: dict[str, Any]) -> mne.io.BaseRaw:
    """The EEG stream ``header``, checked against its ``eeg_stream`` event at ``where``."""
    with _loading(header):
        raw = read_recording(header)
    data = header.with_suffix(".eeg")
    size, n_channels = data.stat().st_size, len(raw.ch_names)
    if size != raw.n_times * n_channels * 4:
        raise CorruptRecord(f"{data}: {size} bytes is not a whole number of samples of "
                            f"{n_channels} float32 channels: the file is truncated")
    if raw.ch_names != announced["channels"] \
            or not math.isclose(raw.info["sfreq"], announced["sfreq"]):
        raise CorruptRecord(f"{where}: announces {announced['channels']} at "
                            f"{announced['sfreq']} Hz, but {header} holds {raw.ch_names} at "
                            f"{raw.info['sfreq']} Hz")
    if "stamps" in announced:
        _check_stamps(header, announced["stamps"], raw.n_times, where)
    return raw


def _check_stamps(header: Path, name: Any, n_times: int, where: str) -> None:
    """A live stream's time stamps (``<stem>.stamps``): one finite float64 per sample (each
    window's rise, as the loop checked when it arrived; a loopback person that answers faster
    than real time stamps its windows ahead of the wall, so they need not rise across windows)."""
    if name != header.with_suffix(".stamps").name:
        raise CorruptRecord(f"{where}: the time stamps of {header.name} must be in "
                            f"{header.with_suffix('.stamps').name}, not {shown(name)}")
    path = header.with_suffix(".stamps")
    if not path.is_file() or path.stat().st_size != 8 * n_times:
        raise CorruptRecord(f"{path}: expected {n_times} float64 time stamps (one per sample), "
                            f"found {path.stat().st_size if path.is_file() else 'no'} bytes")
    stamps = np.fromfile(path, dtype="<f8")
    if not np.isfinite(stamps).all():
        raise CorruptRecord(f"{path}: time stamps must be finite numbers")
