"""The experimenter's EEG trace follows a motion as it runs, and the flicker patches sit where
the top camera sees the objects (``noir.console.feed``), in a session run without a browser."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from noir.config import LoopConfig
from noir.console import ConsoleFeed
from noir.console.feed import HEIGHT, TRACE_SLICE, WIDTH
from noir.demo import run_session
from noir.perception import SAMPLE_AT
from noir.session import SessionClock, SessionRecorder, read_events

SAMPLE = Path(__file__).resolve().parents[1] / "noir" / "sample_sessions" / \
    "cube_in_tray-recorded-seed0"
SPEED = 10.0  # x real time: the session is paced, as a person follows it, but quickly


class _WatchedFeed(ConsoleFeed):
    """A console that also keeps, at each What stage, what the top camera's segmentation
    shows (the ground truth of where each object is in the image) and which object is held."""

    def __init__(self) -> None:
        super().__init__(speed=SPEED, renderer="thread")
        self.scenes: list[tuple[dict[str, np.ndarray], str | None]] = []

    def event(self, record):
        if record["event"] == "stage" and record["stage"] == "what":
            world = self._loop.world
            masks = world.object_masks(world.capture("top", WIDTH, HEIGHT))
            self.scenes.append((masks, world.robot.held_object()))
        super().event(record)


@pytest.fixture(scope="module")
def session(tmp_path_factory):
    """A recorded-EEG session paced at ``SPEED`` through the console, no page open: every
    message the console published, in order, the record's folder and its events."""
    feed = _WatchedFeed()
    messages = []
    feed.subscribe(messages.append, view="experimenter")
    summary, folder = run_session(source="recorded", calibration=SAMPLE / "calibration",
                                  folder=tmp_path_factory.mktemp("trace") / "run",
                                  observer=feed)
    feed.close()
    assert summary["success"]
    return SimpleNamespace(feed=feed, messages=messages, folder=folder,
                           events=read_events(folder))


def _end(trace: dict) -> float:
    return trace["t0"] + len(trace["lo"][0]) / trace["rate"]


def _motions(messages: list[dict]) -> list[tuple[dict, list[dict], dict, dict]]:
    """Each motion: its skill_start, the trace messages published while it ran, its end event
    (skill_end or skill_failure) and the message that published that event."""
    motions, start, during = [], None, []
    for m in messages:
        if m["type"] == "event" and m["event"]["event"] == "skill_start":
            start, during = m["event"], []
        elif m["type"] == "trace" and start is not None:
            during.append(m)
        elif m["type"] == "event" and m["event"]["event"] in ("skill_end", "skill_failure") \
                and start is not None:
            motions.append((start, during, m["event"], m))
            start = None
    return motions


def _check_motions(messages: list[dict], events: list[dict], speed: float) -> None:
    """Each motion's EEG was traced while the robot moved (before its end event, spread over
    its wall time at ``speed`` x real time), each moment once, its end sending the rest."""
    motions = _motions(messages)
    assert len(motions) == sum(e["event"] == "skill_start" for e in events) >= 2
    for start, during, end, published in motions:
        moving = [m for m in during if m["event"] == "motion"]
        # sent every TRACE_SLICE s of session time while the robot moved, before skill_end:
        # from where the trace stood when the motion started to less than two slices before
        # its end (the skill_end sends the rest)
        assert len(moving) >= end["sim_time"] / TRACE_SLICE - 2, (len(moving), end)
        assert moving[0]["t0"] <= start["t"] + 1e-4
        assert _end(moving[-1]) > end["t"] - 2 * TRACE_SLICE
        assert all(m["event"] == "motion" for m in during[:len(moving)])
        assert all(m["event"] == end["event"] for m in during[len(moving):])
        # and in wall time as the motion ran, not in one burst at its end
        sent = [m["sent"] for m in moving]
        assert (sent[-1] - sent[0]) / 1e3 >= 0.5 * (end["sim_time"] - 2 * TRACE_SLICE) / speed
        assert published["sent"] >= sent[-1]
        # the motion's slices and those its end sent abut: no moment twice, none skipped
        for before, after in zip(during, during[1:], strict=False):
            assert after["t0"] == pytest.approx(_end(before), abs=1e-4)


def _check_values(messages: list[dict], events: list[dict], folder: Path) -> dict[str, int]:
    """Each slice (a motion's, sent before the record held them, too) is the min / max of its
    samples in the record's EEG, where its session time puts them; how many were checked."""
    streams = {e["header"]: (e["channels"], e["sfreq"]) for e in events
               if e["event"] == "eeg_stream"}
    data = {}
    for header, (channels, _) in streams.items():
        raw = np.fromfile(folder / Path(header).with_suffix(".eeg"), dtype="<f4")
        data[header] = raw.reshape(-1, len(channels)).T.astype(float)
    checked = {"motion": 0, "other": 0}
    pending, start = [], None
    for m in messages:
        if m["type"] == "trace":
            pending.append(m)
            continue
        if m["type"] != "event":
            continue
        event = m["event"]
        if event["event"] == "skill_start":
            start = event
        if "eeg" not in event:  # the trace of a window goes out just before its event
            assert all(trace["event"] == "motion" for trace in pending), event
            continue
        eeg = event["eeg"]
        channels, sfreq = streams[eeg["header"]]
        window = data[eeg["header"]][:, eeg["start"]:eeg["start"] + eeg["n"]]
        if event["event"] in ("skill_end", "skill_failure"):  # starts pre_roll before it
            t0 = start["t"] - round(event["pre_roll"] * sfreq) / sfreq
        else:  # ends at the event
            t0 = event["t"] - eeg["n"] / sfreq
        for trace in pending:
            assert trace["channels"] == channels
            size = round(sfreq / trace["rate"])
            first = round((trace["t0"] - t0) * sfreq)
            assert trace["t0"] == pytest.approx(t0 + first / sfreq, abs=1e-4)
            n = len(trace["lo"][0])
            assert 0 <= first and first + n * size <= eeg["n"]
            shown = window[:, first:first + n * size].reshape(len(channels), n, size)
            assert trace["lo"] == np.round(shown.min(axis=2), 1).tolist()
            assert trace["hi"] == np.round(shown.max(axis=2), 1).tolist()
            checked["motion" if trace["event"] == "motion" else "other"] += 1
        pending = []
    assert not pending
    return checked


def test_the_trace_follows_a_motion_as_it_runs(session):
    _check_motions(session.messages, session.events, SPEED)


def test_the_trace_shows_each_moment_of_the_session_once_in_order(session):
    traces = [m for m in session.messages if m["type"] == "trace"]
    streams = {e["header"]: e["sfreq"] for e in session.events if e["event"] == "eeg_stream"}
    slowest = 1 / min(streams.values())
    assert len(streams) == 2  # SSVEP at 256 Hz, MI and EMG at 160 Hz
    # the session's EEG, all streams together, from its first moment to its last window's
    # end: each slice starts where the one before ended, never before it (and less than one
    # sample after it: windows of two streams, or a motion's and the next, are not on one
    # sample grid)
    assert traces[0]["t0"] == 0.0
    last = max(e["t"] for e in session.events if "eeg" in e)
    assert _end(traces[-1]) >= last - 1e-4
    for before, after in zip(traces, traces[1:], strict=False):
        assert -1e-4 <= after["t0"] - _end(before) < slowest, (before["t0"], after["t0"])
    # within a stream, in order, never overlapping by more than rounding
    for header in streams:
        channels = next(e["channels"] for e in session.events
                        if e["event"] == "eeg_stream" and e["header"] == header)
        mine = [m for m in traces if m["channels"] == channels]
        for before, after in zip(mine, mine[1:], strict=False):
            assert after["t0"] >= _end(before) - 1e-4, (header, before["t0"], after["t0"])
        assert len(mine) > 20


def test_the_trace_values_are_the_records_eeg_envelopes(session):
    checked = _check_values(session.messages, session.events, session.folder)
    assert checked["motion"] >= 20 and checked["other"] >= 100, checked


def test_a_live_motion_is_traced_as_its_samples_arrive(tmp_path):
    """From an LSL stream the samples of a motion arrive as it runs (``noir.stream.LiveFeed``):
    the trace follows them, with the values the record then holds."""
    from noir.lsl import LoopbackPerson
    from sim.eeg_subject import SyntheticSubject

    stream = "noir-eeg-console-trace"
    feed = ConsoleFeed(renderer="thread")
    messages = []
    feed.subscribe(messages.append, view="experimenter")
    with LoopbackPerson(SyntheticSubject("default", seed=0), stream=stream, speed=40.0):
        summary, folder = run_session(source=f"lsl:{stream}",
                                      config=LoopConfig(ssvep_window=4.0),
                                      folder=tmp_path / "live", observer=feed)
    feed.close()
    events = read_events(folder)
    assert summary["success"] is True
    _check_motions(messages, events, 1.0)  # live: real time
    checked = _check_values(messages, events, folder)
    assert checked["motion"] >= 20, checked


def test_the_stimuli_sit_where_the_top_camera_sees_the_objects(session):
    stimuli = [m["targets"] for m in session.messages if m["type"] == "stimuli"]
    stages = [e for e in session.events if e["event"] == "stage" and e["stage"] == "what"]
    assert len(stimuli) == len(stages) == len(session.feed.scenes) == 2
    freqs = LoopConfig().ssvep_freqs
    held_seen = 0
    for targets, stage, (masks, held) in zip(stimuli, stages, session.feed.scenes,
                                              strict=True):
        # every candidate keeps its slot's frequency and phase
        assert {t["name"]: t["freq"] for t in targets} == stage["candidates"]
        assert [t["phase"] for t in targets] == session.feed._phases[:len(targets)]
        assert len(targets) <= len(freqs)
        for target in targets:
            if target["name"] == held:  # in the gripper: not on the table, no place on it
                assert "u" not in target and "v" not in target
                held_seen += 1
                continue
            # the centre of what the camera sees of it lies on its pixels
            col = round(target["u"] - SAMPLE_AT[0])
            row = round(target["v"] - SAMPLE_AT[1])
            assert masks[target["name"]][row, col], target
    assert held_seen == 1  # the second What stage offers the cube the robot holds


def test_the_stimuli_scale_the_perceived_pixels_and_leave_the_unseen_unplaced(tmp_path):
    """Perception at twice the console's size: its pixels are scaled to the console's image;
    an object it did not see keeps its frequency but gets no place (nor one in the record)."""
    config = LoopConfig()
    recorder = SessionRecorder(tmp_path / "run", SessionClock())
    perception = SimpleNamespace(
        view="top", frame=SimpleNamespace(width=2 * WIDTH, height=2 * HEIGHT),
        seen={"cube": SimpleNamespace(pixel=(99.5, 199.5))})
    loop = SimpleNamespace(live=False, config=config, recorder=recorder, aborted=False,
                           task=SimpleNamespace(name="cube_in_tray"), perception=perception)
    feed = ConsoleFeed(renderer="thread")
    messages = []
    feed.subscribe(messages.append, view="experimenter")
    try:
        feed.attach(loop)
        recorder.event("stage", stage="what", candidates={"cube": 6.0, "tray": 7.5})
        feed.received({"type": "onset", "stage": "what", "at": 0.0, "targets": [
            {"name": "cube", "freq": 6.0, "phase": 0.0},
            {"name": "tray", "freq": 7.5, "phase": config.ssvep_phases[1]}]})
        recorder.event("decision", stage="what", label="cube")
    finally:
        feed.close()
        recorder.close()
    targets = next(m["targets"] for m in messages if m["type"] == "stimuli")
    # (u + 0.5, v + 0.5) run over the image: (100, 200) of 720 x 480 is (50, 100) of 360 x 240
    assert targets == [{"name": "cube", "freq": 6.0, "phase": 0.0, "u": 49.5, "v": 99.5},
                       {"name": "tray", "freq": 7.5, "phase": config.ssvep_phases[1]}]
    onset = next(e for e in read_events(recorder.folder) if e["event"] == "stimulus_onset")
    assert [(t["name"], t.get("u"), t.get("v")) for t in onset["targets"]] == [
        ("cube", 49.5, 99.5), ("tray", None, None)]
    assert "u" not in onset["targets"][1]
