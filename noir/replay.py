"""Replay: re-execute a recorded session from its EEG and compare decisions and outcome.

The replay operator feeds the loop the recorded EEG windows in the recorded order, with the
person's recorded intentions; the decoders are the session's saved ones and the world is
rebuilt from the task and seed. The same EEG through the same decoders gives the same
decisions, so the robot does the same things and the task ends the same way.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import mne

from noir.assist import ASSISTANT_FOLDER, Assistant
from noir.calibration import Calibration, cued_epochs
from noir.config import MI_DECODERS, SSVEP_DECODERS, LoopConfig
from noir.eeg_writer import read_recording
from noir.loop import InterfaceLoop
from noir.session import SessionClock, SessionRecorder, read_events
from noir.where import AXIS_BINDING, CONTINUOUS_BINDING
from sim.eeg_subject import Cue
from sim.tasks import TASKS

_WINDOW_EVENTS = ("decision", "confirm", "cursor_glide", "skill_end", "skill_failure")


class ReplayDivergence(RuntimeError):
    """The replayed loop asked for something the record does not hold at that point."""


class ReplayOperator:
    """Plays back a session record's EEG windows and intentions, in order.

    Parameters
    ----------
    folder : path
        A complete session folder (its ``events.jsonl`` ends with ``task_end``).
    """

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        events = read_session(self.folder)
        self._queue = deque(e for e in events if e["event"] in _WINDOW_EVENTS and "eeg" in e)
        self._where = deque(e for e in events
                            if e["event"] == "stage" and e["stage"] == "where")
        self._streams: dict[str, mne.io.BaseRaw] = {}
        self.n_played = 0

    def _next(self, kinds: tuple[str, ...], stage: str | None = None) -> dict[str, Any]:
        if not self._queue:
            raise ReplayDivergence(
                f"the loop asked for more EEG ({kinds}) than {self.folder} recorded"
            )
        event = self._queue[0]
        if event["event"] not in kinds or (stage and event.get("stage") != stage):
            raise ReplayDivergence(
                f"window {self.n_played + 1}: the loop is at {kinds} {stage or ''} but the "
                f"record has {event['event']} {event.get('stage', '')}"
            )
        return event

    def want_object(self, candidates: Sequence[str]) -> str:
        event = self._next(("decision", "confirm"))
        if event["event"] == "confirm" and event["stage"] == "intent":
            return event["intended_object"]
        return self._next(("decision",), "what")["intended"]

    def want_skill(self, obj: str, options: Sequence[str]) -> str:
        event = self._next(("decision", "confirm"))
        if event["event"] == "confirm" and event["stage"] == "intent":
            return event["intended_skill"]
        return self._next(("decision",), "how")["intended"]

    def interrupt_time(self, obj: str, skill: str) -> float | None:
        return self._next(("skill_end", "skill_failure"))["clench_at"]

    def want_params(self, obj: str, skill: str, defaults: dict[str, Any]) -> dict[str, Any]:
        if not self._where:
            raise ReplayDivergence(f"the loop asked for a Where point that {self.folder} lacks")
        return self._where.popleft()["intended"]

    def stop_time(self, reach: float | None) -> float:
        return self._next(("cursor_glide",))["clench_at"]

    def skill_done(self, obj: str, skill: str, succeeded: bool) -> None:
        """Nothing to do: the record already holds what the person did next."""

    def restart(self) -> None:
        """Nothing to do: the record already holds the next attempt."""

    def eeg(self, cues: Sequence[Cue], stage: str) -> mne.io.BaseRaw:
        event = self._next(_WINDOW_EVENTS)
        self._queue.popleft()
        self.n_played += 1
        where = event["eeg"]
        raw = self.stream(where["header"])
        start, stop = where["start"], where["start"] + where["n"]
        sfreq = raw.info["sfreq"]
        chunk = mne.io.RawArray(raw.get_data(start=start, stop=stop), raw.info, verbose="error")
        inside = [((sample - start) / sfreq, min(a["duration"], (stop - sample) / sfreq),
                   a["description"])
                  for a in raw.annotations
                  if start <= (sample := round(a["onset"] * sfreq)) < stop]
        chunk.set_annotations(mne.Annotations(*zip(*inside, strict=True)) if inside else None)
        recorded = [description for _, _, description in inside]
        if not recorded or recorded[0] != cues[0].description:
            raise ReplayDivergence(
                f"window {self.n_played}: the loop showed cue {cues[0].description!r} but "
                f"the record has {recorded[:1]} there"
            )
        return chunk

    def stream(self, header: str) -> mne.io.BaseRaw:
        """The recorded EEG stream ``header`` (read once)."""
        if header not in self._streams:
            self._streams[header] = read_recording(self.folder / header)
        return self._streams[header]


def read_session(folder: str | Path) -> list[dict[str, Any]]:
    """A complete session's events; a clear error for a truncated or foreign record."""
    folder = Path(folder)
    events = read_events(folder)
    if not events or events[0]["event"] != "session_start":
        raise ValueError(f"{folder}/events.jsonl does not start with session_start")
    if events[-1]["event"] != "task_end":
        raise ValueError(
            f"{folder} is a truncated record (the session stopped after "
            f"{events[-1]['event']!r} at t={events[-1]['t']} s, before task_end): it loads, "
            "but cannot be replayed to an outcome"
        )
    return events


def replay_session(
    folder: str | Path, *, out: str | Path = "runs"
) -> tuple[dict[str, Any], Path, dict[str, Any]]:
    """Re-execute the session in ``folder``; return (summary, new folder, comparison).

    The comparison holds the recorded and replayed decision sequences and outcomes, and
    whether they are identical.
    """
    folder = Path(folder)
    events = read_session(folder)
    start = events[0]
    config = LoopConfig(**{k: tuple(v) if isinstance(v, list) else v
                           for k, v in start["config"].items()})
    task = TASKS[start["task"]]()
    calibration = Calibration.load(folder / "calibration")
    assistant = Assistant.load(folder / ASSISTANT_FOLDER, config.propose_threshold) \
        if config.learning else None
    operator = ReplayOperator(folder)
    target = SessionRecorder.new_folder(out, f"replay-{folder.name}")
    with task.make_world(start["seed"]) as world:
        recorder = SessionRecorder(target, SessionClock())
        recorder.event("session_start", **{**start, "operator": "replay", "replay_of": str(folder)})
        calibration.save(target / "calibration")
        if assistant is not None:
            assistant.save(target / ASSISTANT_FOLDER)
        summary = InterfaceLoop(world, task, operator, calibration, recorder, config,
                                assistant=assistant).run()
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
    folder = Path(folder)
    events = read_session(folder)
    config = LoopConfig(**{k: tuple(v) if isinstance(v, list) else v
                           for k, v in events[0]["config"].items()})
    names = {"ssvep": (ssvep, SSVEP_DECODERS), "mi": (mi, MI_DECODERS)}
    for kind, (name, known) in names.items():
        if name is not None and name not in known:
            raise ValueError(f"unknown {kind} decoder {name!r}; known: {sorted(known)}")
    mi_decoder = None
    if mi is not None:
        calibration = Calibration.load(folder / "calibration")
        raw = calibration.mi_raw
        cues = [Cue("mi", config.mi_window, d.split("/", 1)[1])
                for d in raw.annotations.description]
        X, labels = cued_epochs(raw, cues, config.mi_channels, config.mi_window)
        mi_decoder = MI_DECODERS[mi](sfreq=raw.info["sfreq"]).fit(
            X, [label.split("/", 1)[1] for label in labels])
    streams = ReplayOperator(folder)
    rows, stage_event = [], None
    for event in events:
        if event["event"] == "stage":
            stage_event = event
        if event["event"] != "decision":
            continue
        raw = streams.stream(event["eeg"]["header"])
        start = event["eeg"]["start"]
        picks = config.ssvep_channels if event["stage"] == "what" else config.mi_channels
        X = raw.get_data(picks=list(picks), start=start, stop=start + event["eeg"]["n"])[None]
        label = event["label"]
        if event["stage"] == "what" and ssvep is not None:
            page = stage_event["candidates"]
            decoder = SSVEP_DECODERS[ssvep](freqs=list(page.values()), sfreq=raw.info["sfreq"],
                                           labels=list(page)).fit()
            label = str(decoder.predict(X)[0])
        elif event["stage"] in ("how", "where") and mi_decoder is not None:
            binding = (stage_event["options"] if event["stage"] == "how"
                       else AXIS_BINDING if config.cursor_mode == "axis" else CONTINUOUS_BINDING)
            proba = dict(zip(mi_decoder.classes_, mi_decoder.predict_proba(X)[0], strict=True))
            label = binding[max(binding, key=proba.get)]
        rows.append({"stage": event["stage"], "intended": event["intended"],
                     "recorded": event["label"], "redecoded": label})
    return rows
