"""``noir replay RUN --video``: the shipped sample session rendered to mp4 and GIF."""

import json
import math
import shutil

import imageio.v2 as imageio
import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from noir.cli import app
from noir.console.records import SAMPLES
from noir.session import write_manifest
from noir.video import (
    ACCEPTED_CHIP,
    BAND,
    CHIP,
    CONFIRM_ROW,
    CONTENT_ROW,
    DECISION_CHIP,
    DECISION_ROW,
    END_HOLD,
    write_gif,
)

runner = CliRunner()
SAMPLE = SAMPLES / "cube_in_tray-recorded-seed0"
EVENTS = [json.loads(line) for line in (SAMPLE / "events.jsonl").read_text().splitlines()]
CAMERA = (480, 720)  # the sample's 240 x 360 frames, twice as large


def _blue(image):
    """Pixels whose blue exceeds both red and green by more than 60 (the sample's ball)."""
    rgb = np.asarray(image, dtype=int)
    return rgb[..., 2] - rgb[..., :2].max(axis=-1) > 60


def _chip(frame, row):
    """Mean colour of a band row's chip (shape (3,))."""
    top = CAMERA[0] + row
    return frame[top + 4:top + 15, CHIP[0] + 3:CHIP[0] + CHIP[1] - 3].reshape(-1, 3).mean(0)


def test_mp4_shows_the_recorded_session_timed_by_its_events(tmp_path):
    out, speed, fps = tmp_path / "session.mp4", 4.0, 10.0
    result = runner.invoke(app, ["replay", str(SAMPLE), "--video", str(out),
                                 "--speed", str(speed), "--fps", str(fps)])
    assert result.exit_code == 0, result.output
    reader = imageio.get_reader(out)
    assert reader.get_meta_data()["fps"] == fps
    frames = np.stack(list(reader.iter_data()))
    reader.close()
    span = EVENTS[-1]["t"] - EVENTS[0]["t"]
    assert frames.shape[1:] == (CAMERA[0] + BAND, CAMERA[1], 3)
    assert abs(len(frames) / fps - (span / speed + END_HOLD)) <= 1 / fps

    def at(t):  # the first video frame that shows session time t
        return frames[math.ceil((t - EVENTS[0]["t"]) * fps / speed)]

    # the camera area is the record's frame, enlarged: first the start, at the end the last
    for frame, name in ((frames[0], "000-start.png"), (frames[-1], "002-place-tray.png")):
        recorded = Image.open(SAMPLE / "frames" / name).resize(CAMERA[::-1])
        assert np.abs(frame[:CAMERA[0]].astype(int) - np.asarray(recorded)).mean() < 6
    first_decision = next(e for e in EVENTS if e["event"] == "decision")
    first_confirm = next(e for e in EVENTS if e["event"] == "confirm")
    assert first_decision["t"] < first_confirm["t"] and not first_confirm["clench"]
    before = _chip(at(first_decision["t"] - 1.0), DECISION_ROW)
    assert before.max() < 40  # no decision yet: the band's dark background
    shown = _chip(at(first_decision["t"]), DECISION_ROW)
    assert np.abs(shown - DECISION_CHIP).max() < 40
    assert _chip(at(first_decision["t"]), CONFIRM_ROW).max() < 40
    assert np.abs(_chip(at(first_confirm["t"]), CONFIRM_ROW) - ACCEPTED_CHIP).max() < 40
    # during What, the candidates' patches flicker: the first patch's grey changes
    patch = [at(t)[CAMERA[0] + CONTENT_ROW + 12, CHIP[0] + 12].mean()
             for t in np.arange(0.0, first_decision["t"], speed / fps)]
    assert max(patch) - min(patch) > 100


def test_gif_palette_keeps_the_blue_ball_blue(tmp_path):
    frame = np.asarray(Image.open(SAMPLE / "frames" / "000-start.png").convert("RGB"))
    ball = _blue(frame)
    assert ball.sum() > 20  # the sample scene's blue ball
    # Pillow's default (median-cut) palette turned these pixels grey
    out = tmp_path / "frames.gif"
    write_gif(out, [frame, frame[::-1]], 0.1)
    back = imageio.mimread(out)
    assert len(back) == 2
    assert _blue(back[0][..., :3])[ball].all()
    assert np.abs(back[0][..., :3].astype(int) - frame).max() <= 20


def test_gif_of_the_session_keeps_the_ball_blue(tmp_path):
    out = tmp_path / "session.gif"
    result = runner.invoke(app, ["replay", str(SAMPLE), "--video", str(out), "--speed", "20"])
    assert result.exit_code == 0, result.output
    frames = imageio.mimread(out)
    recorded = Image.open(SAMPLE / "frames" / "000-start.png").resize(CAMERA[::-1])
    ball = _blue(recorded)
    assert ball.sum() > 80 and _blue(frames[0][:CAMERA[0], :, :3])[ball].mean() > 0.95


@pytest.mark.parametrize("case", ["not a record", "suffix", "inside the record", "tampered",
                                  "bad scores", "not a png"])
def test_bad_input_is_one_line_and_exit_2(tmp_path, case):
    record = tmp_path / "record"
    shutil.copytree(SAMPLE, record)
    out, expected = tmp_path / "out.mp4", None
    if case == "not a record":
        record = tmp_path / "empty"
        record.mkdir()
        expected = "empty"
    elif case == "suffix":
        out, expected = tmp_path / "out.avi", "use one of the suffixes ['.mp4', '.gif']"
    elif case == "inside the record":
        out, expected = record / "frames" / "out.mp4", "lies inside the session folder"
    elif case == "tampered":
        frame = record / "frames" / "001-pick-cube.png"
        Image.open(frame).transpose(Image.Transpose.FLIP_LEFT_RIGHT).save(frame)
        expected = "001-pick-cube.png"
    elif case == "bad scores":  # resealed: only the video reads a decision's scores
        events = [dict(e) for e in EVENTS]
        i = next(i for i, e in enumerate(events) if e["event"] == "decision")
        events[i]["scores"] = {"cube": "high"}
        (record / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
        write_manifest(record)
        expected = f"events.jsonl, event {i + 1}: 'decision' event needs 'scores'"
    else:  # resealed
        (record / "frames" / "002-place-tray.png").write_text("not an image")
        write_manifest(record)
        expected = "002-place-tray.png"
    result = runner.invoke(app, ["replay", str(record), "--video", str(out)])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and expected in lines[0], lines
    assert not out.exists() and not list(tmp_path.glob("*.part.*"))


def _console_record(tmp_path):
    """A recorded session run with the console, a page answering each stimulus onset (the
    record's ``stimulus_onset`` events place the patches)."""
    from noir.console import ConsoleFeed
    from noir.demo import run_session

    feed = ConsoleFeed()

    def page(message):  # the stimulus page: each flicker's onset, as the browser reports it
        if message["type"] == "stimuli":
            feed.received({"type": "onset", "stage": "what", "at": message["sent"],
                           "targets": message["targets"]})

    feed.subscribe(page)
    _, folder = run_session(source="recorded", calibration=SAMPLE / "calibration",
                            folder=tmp_path / "run", observer=feed)
    return folder


def test_patches_flicker_within_the_video_band_where_the_page_put_them(tmp_path):
    from noir.video import FRAMES_PER_CYCLE, PATCH_RADIUS

    folder = _console_record(tmp_path)
    events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
    stage = next(e for e in events if e["event"] == "stage" and e["stage"] == "what")
    onset = next(e for e in events if e["event"] == "stimulus_onset")
    decision = next(e for e in events if e["event"] == "decision")
    out, fps, speed = tmp_path / "session.mp4", 10.0, 4.0
    result = runner.invoke(app, ["replay", str(folder), "--video", str(out), "--fps", str(fps),
                                 "--speed", str(speed)])
    assert result.exit_code == 0, result.output
    frames = np.stack(list(imageio.get_reader(out).iter_data())).astype(float)
    first, last = (math.ceil((t - events[0]["t"]) * fps / speed)
                   for t in (stage["t"], decision["t"]))
    times = (np.arange(first, last) * speed / fps + events[0]["t"]) - stage["t"]
    # 13, 17, 21 Hz cannot be shown at 10 frames/s: all are slowed alike, the fastest to
    # fps / FRAMES_PER_CYCLE, so each flickers with >= 4 frames per cycle, phases kept
    slow = fps / (FRAMES_PER_CYCLE * max(t["freq"] for t in onset["targets"]) * speed)
    for target in onset["targets"]:
        # the disc on the camera image, where the page put it (the image is shown 2x)
        u, v = round(2 * target["u"]), round(2 * target["v"])
        grey = frames[first:last, v - 4:v + 4, u - 4:u + 4].mean(axis=(1, 2, 3)) / 255
        wanted = 0.5 * (1 + np.sin(2 * np.pi * target["freq"] * slow * times + target["phase"]))
        assert np.abs(grey - wanted).max() < 0.08, (target, grey, wanted)
        # beside it, outside the disc, the scene is not flickering
        assert frames[first:last, v, u + PATCH_RADIUS + 6].std(axis=0).max() < 8
    Image.fromarray(frames[first + 1].astype(np.uint8)).save(tmp_path / "what.png")  # artifact
