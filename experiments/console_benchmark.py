"""Console benchmark: camera frames per wall-clock second while the robot moves, and the time
from a decision to the page's first frame that shows it, in headless Chromium.

Runs the shipped recorded sample task (``cube_in_tray``, its calibration) paced at ``--speed``
x real time with the console (an operator and an experimenter page, Debian's chromium through
Playwright), once per renderer (``process``: camera frames rendered by a mirror of the world in
a child process; ``thread``: in the session's thread, as before) and repeat, interleaved so
that both meet the same machine load. ``--load N`` adds N busy processes for the whole run.

    python experiments/console_benchmark.py --repeats 2 --load 0
    python experiments/console_benchmark.py --repeats 2 --load 2

Writes ``experiments/results/console_benchmark[-loadN].csv`` (one row per session) and ``.txt``
(the commit, the machine's load, the medians).
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
from playwright.sync_api import sync_playwright
from provenance import commit as current_commit

from noir.console import ConsoleFeed
from noir.console.server import ConsoleServer, create_app
from noir.demo import run_session

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "noir" / "sample_sessions" / "cube_in_tray-recorded-seed0"


def _busy() -> None:
    while True:
        pass


def one_session(browser, renderer: str, speed: float, folder: Path) -> dict:
    """Run the sample task in the console with ``renderer``; what the feed and page saw."""
    feed = ConsoleFeed(speed=speed, hold=True, renderer=renderer)
    server = ConsoleServer(create_app(feed=feed))
    url = server.start()
    result = {}

    def session() -> None:
        result["summary"], result["folder"] = run_session(
            source="recorded", calibration=SAMPLE / "calibration", folder=folder, observer=feed)

    runner = threading.Thread(target=session)
    operator, experimenter = browser.new_page(), browser.new_page()
    try:
        runner.start()
        operator.goto(url + "operator")
        experimenter.goto(url + "experimenter")
        operator.wait_for_selector("body[data-ended]", timeout=600_000)
        times = operator.evaluate("window.frameTimes")
    finally:
        feed.close()
        runner.join(timeout=120)
        server.stop()
        operator.close()
        experimenter.close()
    # frames the page got while the robot moved, per wall second, motion by motion: a run of
    # moving frames ends where a still frame (or a gap of over 1 s) comes
    runs, current = [], []
    for at, _, moving in times:
        if moving and current and at - current[-1] < 1000:
            current.append(at)
        else:
            if len(current) > 1:
                runs.append(current)
            current = [at] if moving else []
    if len(current) > 1:
        runs.append(current)
    page_frames = sum(len(r) - 1 for r in runs)
    page_seconds = sum((r[-1] - r[0]) / 1e3 for r in runs)
    lat = np.array(feed.latencies_ms)
    return {
        "renderer": renderer, "speed": speed, "success": result["summary"]["success"],
        "motion_frames": feed.motion_frames,
        "motion_fps_wall": round(feed.motion_fps, 2),
        "page_fps_wall": round(page_frames / page_seconds, 2) if page_seconds else 0.0,
        "robot_fps": round(feed.robot_fps, 2),
        "motion_slowdown": round(feed.motion_seconds * speed / feed.robot_seconds, 2),
        "render_ms_p50": round(float(np.median(feed.render_ms)), 1),
        "render_ms_p95": round(float(np.percentile(feed.render_ms, 95)), 1),
        "session_thread_ms_per_frame_p50": round(float(np.median(feed.step_ms)), 2),
        "latency_ms_p50": round(float(np.median(lat)), 1),
        "latency_ms_p95": round(float(np.percentile(lat, 95)), 1),
        "latency_ms_max": round(float(lat.max()), 1), "n_latencies": len(lat),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=2.0)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--renderers", default="process,thread")
    parser.add_argument("--load", type=int, default=0, help="busy processes to add")
    parser.add_argument("--out", type=Path, default=ROOT / "experiments" / "results")
    parser.add_argument("--commit", help="the commit measured (default: the checkout's)")
    args = parser.parse_args()
    os.environ.setdefault("LSLAPICFG", str(ROOT / "noir" / "lsl_api.cfg"))
    commit = args.commit or current_commit(["noir/console"])
    busy = [multiprocessing.Process(target=_busy, daemon=True) for _ in range(args.load)]
    for process in busy:
        process.start()
    load_before = os.getloadavg()[0]
    rows = []
    try:
        with sync_playwright() as playwright, tempfile.TemporaryDirectory() as tmp:
            browser = playwright.chromium.launch(executable_path=shutil.which("chromium"),
                                                 headless=True)
            for repeat in range(args.repeats):
                for renderer in args.renderers.split(","):
                    start = time.monotonic()
                    row = one_session(browser, renderer, args.speed,
                                      Path(tmp) / f"{renderer}-{repeat}")
                    row.update(repeat=repeat, loadavg_1min=round(os.getloadavg()[0], 2),
                               wall_s=round(time.monotonic() - start, 1))
                    rows.append(row)
                    print(row, flush=True)
            browser.close()
    finally:
        for process in busy:
            process.kill()
    stem = "console_benchmark" + (f"-load{args.load}" if args.load else "")
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / f"{stem}.csv").open("w", newline="") as table:
        writer = csv.DictWriter(table, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    lines = [f"console benchmark at commit {commit}",
             f"sample task cube_in_tray (recorded), speed {args.speed}x, {args.repeats} "
             f"repeats, {args.load} busy processes added, {os.cpu_count()} CPUs, load average "
             f"{load_before:.1f} at the start", ""]
    for renderer in args.renderers.split(","):
        mine = [r for r in rows if r["renderer"] == renderer]
        med = {k: float(np.median([r[k] for r in mine])) for k in (
            "page_fps_wall", "motion_fps_wall", "robot_fps", "motion_slowdown",
            "render_ms_p50", "session_thread_ms_per_frame_p50", "latency_ms_p50",
            "latency_ms_p95")}
        lines.append(f"{renderer:8s} camera {med['page_fps_wall']:.1f} frames/s wall on the page "
                     f"({med['motion_fps_wall']:.1f} published), {med['robot_fps']:.1f} per s "
                     f"of robot motion, motion slowed {med['motion_slowdown']:.2f}x; render "
                     f"{med['render_ms_p50']:.0f} ms, session thread "
                     f"{med['session_thread_ms_per_frame_p50']:.1f} ms per frame; decision -> "
                     f"page {med['latency_ms_p50']:.0f} ms p50, {med['latency_ms_p95']:.0f} ms "
                     "p95 (medians over the repeats)")
    (args.out / f"{stem}.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
