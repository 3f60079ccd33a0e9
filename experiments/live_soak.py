"""Live soak: read a stream for minutes exactly as the loop does while the robot moves; count
every sample against the expected number, and the reading's CPU, latency and memory.

For each source the reader is the loop's own live path: a ``noir.stream.StreamOperator`` over the
source, one live feed per motion (``StreamOperator.feed``: the first cue is the 1-s pre-roll,
read at once; the rest arrives as the motion runs), pulled once per control tick paced by
``noir.clock.WallClock`` (the tick is the simulation's: the skills poll ``should_stop`` on every
physics step, ``sim.world.World.timestep`` = 1/240 s), with the stream checks
(``check_chunk``, ``check_signal``) on every chunk, and the motion's EEG taken as the record
takes it (``LiveFeed.raw``). Motions of ``--motion`` s follow each other for ``--minutes``; a
stream fault ends the motion (as it stops the robot) and is counted, and the next motion starts
(as the loop's retry does). Not included: the physics, the clench decoding and the record's
disk writes (the reading alone).

Every sample is counted on its way to the operator (also those that the next cue drops as
stale), by its number:

- ``brainflow``: BrainFlow's synthetic board (250 Hz, 16 channels). Its package row numbers
  each sample 0-255; every sample taken off the board is counted with its number and time
  stamp by a tap on ``get_board_data`` (in a subclass of ``BrainFlowSource``), also those of a
  read that the source refuses. The board's data thread runs in the reading process, so its
  CPU is in the reader's.
- ``lsl``: a producer in its own process (``multiprocessing``, spawn) publishes an LSL outlet
  at 500 Hz x 32 channels float32 on 127.0.0.1 (``LSLAPICFG`` = ``noir/lsl_api.cfg`` in both
  processes), channel 0 a sample counter, all channels declared in uV; it starts once the
  reader is connected and pushes a chunk of ``--lsl-chunk`` s each time its last sample is
  due (wall time), with time stamps ``start + i / 500`` (``lsl``, the way
  ``noir.lsl.LoopbackPerson`` stamps) or liblsl's own (``lsl-auto``: ``push_chunk`` without
  stamps, the last sample stamped at the push and the others back-dated by 1 / 500 s, as an
  app that leaves the stamps to liblsl sends them; ``lsl-auto-jitter``: the same stream read
  as ``lsl:NAME,jitter=0.05``).

Expected = last number - first number + 1 (the counter unwrapped), and (last stamp - first
stamp) x sfreq + 1; lost = numbers skipped, duplicated = numbers repeated or stamps that do
not rise. ``stamp steps over 1.5 sample periods`` counts the time stamps' jitter whether or
not a number is missing (``check_chunk`` calls a step of more than 1.5 periods plus the
source's ``stamp_jitter`` lost samples).

    python experiments/live_soak.py --minutes 10 --parallel
writes experiments/results/live_soak.txt and .csv.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import re
import time
from importlib import resources
from pathlib import Path
from queue import Empty
from typing import Any

from provenance import commit as current_commit

os.environ.setdefault("LSLAPICFG", str(resources.files("noir") / "lsl_api.cfg"))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import psutil  # noqa: E402

RESULTS = Path(__file__).parent / "results"
AUTO_JITTER = 0.05
"""Stamp jitter (s) given to ``lsl-auto-jitter``: the same liblsl-stamped stream as ``lsl-auto``,
read as ``lsl:NAME,jitter=0.05``."""
TICK = 1 / 240
"""The loop's control tick, s: the skills poll the clench watch every physics step."""
LSL_SFREQ, LSL_CHANNELS = 500.0, 32


class Counter:
    """Counts the samples and their numbers as they come, without keeping them."""

    def __init__(self, sfreq: float, modulo: int | None) -> None:
        self.sfreq, self.modulo = sfreq, modulo
        self.received = self.lost = self.repeated = 0
        self.first_number = self.number = None  # unwrapped
        self.first_stamp = self.stamp = None
        self.stamp_back = self.stamp_gaps = 0
        self.max_step = 0.0

    def add(self, numbers: np.ndarray, stamps: np.ndarray) -> None:
        if not len(stamps):
            return
        self.received += len(stamps)
        numbers = np.asarray(numbers, dtype=np.int64)
        if self.number is not None:
            numbers = np.concatenate([[self.number], numbers])
        steps = np.diff(numbers)
        if self.modulo:
            steps %= self.modulo
        self.lost += int(np.sum(steps[steps > 1] - 1))
        self.repeated += int(np.sum(steps <= 0))
        if self.first_number is None:
            self.first_number = int(numbers[0])
        self.number = int(numbers[0] + steps.sum())  # unwrapped
        stamps = np.asarray(stamps, dtype=float)
        if self.stamp is not None:
            stamps = np.concatenate([[self.stamp], stamps])
        else:
            self.first_stamp = float(stamps[0])
        dt = np.diff(stamps)
        self.stamp_back += int(np.sum(dt <= 0))
        self.stamp_gaps += int(np.sum(dt > 1.5 / self.sfreq))
        self.max_step = max(self.max_step, float(dt.max(initial=0.0)))
        self.stamp = float(stamps[-1])


class Counted:
    """A ``noir.stream.StreamSource`` that counts what ``source`` hands out, by each sample's
    number (``numbers(data)``); with ``numbers`` None, ``count`` is fed elsewhere (a tap on the
    board, which also sees the samples of a read that raises)."""

    def __init__(self, source: Any, count: Counter, numbers: Any = None) -> None:
        self.source, self.count, self.numbers = source, count, numbers
        self.label, self.sfreq, self.units = source.label, source.sfreq, source.units
        self.ch_names, self.answers_cues = list(source.ch_names), source.answers_cues
        self.stamp_jitter = source.stamp_jitter

    def read(self, max_samples: int, timeout: float) -> tuple[np.ndarray, np.ndarray]:
        data, stamps = self.source.read(max_samples, timeout)
        if self.numbers is not None:
            self.count.add(self.numbers(data), stamps)
        return data, stamps

    def mark(self, marker: dict[str, Any]) -> None:
        self.source.mark(marker)

    def close(self) -> None:
        self.source.close()


def open_brainflow() -> Counted:
    """The synthetic board; every sample ``get_board_data`` takes off the board is counted by
    its package number and time stamp (a tap in a subclass of ``BrainFlowSource``)."""
    from brainflow.board_shim import BoardShim

    from noir.board import BrainFlowSource

    board = BoardShim.get_board_descr(-1)  # the synthetic board's rows
    count = Counter(float(BoardShim.get_sampling_rate(-1)), modulo=256)

    class Tap:
        def __init__(self, shim: Any) -> None:
            self._shim = shim

        def __getattr__(self, name: str) -> Any:
            return getattr(self._shim, name)

        def get_board_data(self, *args: Any) -> np.ndarray:
            data = self._shim.get_board_data(*args)
            count.add(data[board["package_num_channel"]], data[board["timestamp_channel"]])
            return data

    class TappedBoard(BrainFlowSource):
        @property
        def _board(self) -> Any:
            return Tap(BrainFlowSource._board.fget(self))

    return Counted(TappedBoard("synthetic"), count)


def produce(stream: str, ready: Any, stop: Any, out: Any, chunk_s: float, stamps_kind: str
            ) -> None:
    """The LSL producer's process: 500 Hz x 32 channels, channel 0 counts the samples."""
    import pylsl

    info = pylsl.StreamInfo(stream, "EEG", LSL_CHANNELS, LSL_SFREQ, "float32",
                            f"{stream}-{os.getpid()}")
    channels = info.desc().append_child("channels")
    for name in ["COUNTER"] + [f"EEG {i}" for i in range(1, LSL_CHANNELS)]:
        channel = channels.append_child("channel")
        channel.append_child_value("label", name)
        channel.append_child_value("unit", "uV")
    outlet = pylsl.StreamOutlet(info)
    ready.set()
    if not outlet.wait_for_consumers(60):
        out.put({"error": "no reader connected within 60 s"})
        return
    rng = np.random.default_rng(0)
    n = max(1, round(chunk_s * LSL_SFREQ))
    cpu0, wall0 = time.process_time(), time.monotonic()
    start, pushed, late = pylsl.local_clock(), 0, []
    while not stop.is_set():
        due = start + (pushed + n - 1) / LSL_SFREQ
        wait = due - pylsl.local_clock()
        if wait > 0:
            time.sleep(wait)
        late.append(pylsl.local_clock() - due)
        data = rng.normal(0.0, 10.0, (n, LSL_CHANNELS)).astype(np.float32)  # 10 uV rms
        data[:, 0] = np.arange(pushed, pushed + n)
        if stamps_kind == "exact":
            outlet.push_chunk(data, (start + np.arange(pushed, pushed + n) / LSL_SFREQ).tolist())
        else:
            outlet.push_chunk(data)
        pushed += n
    out.put({"pushed": pushed, "cpu_pct": 100 * (time.process_time() - cpu0)
             / (time.monotonic() - wall0), "push_late_p99_ms": 1e3 * np.quantile(late, 0.99)})


def soak(kind: str, minutes: float, motion: float, tick: float, lsl_chunk: float,
         out: Any) -> None:
    """Read ``kind`` for ``minutes``; put its row on ``out``."""
    from decoders.cues import Cue
    from noir.clock import WallClock
    from noir.stream import PRE_ROLL, StreamOperator, StreamPaused

    row: dict[str, Any] = {"source": kind}
    producer = None
    if kind.startswith("lsl"):
        lsl_stamps = "auto" if kind.startswith("lsl-auto") else "exact"
        jitter = AUTO_JITTER if kind == "lsl-auto-jitter" else 0.0
        ctx = mp.get_context("spawn")
        ready, stop, got = ctx.Event(), ctx.Event(), ctx.Queue()
        stream = f"noir-soak-{os.getpid()}"  # its own: soaks may run side by side
        producer = ctx.Process(target=produce,
                               args=(stream, ready, stop, got, lsl_chunk, lsl_stamps))
        producer.start()
        ready.wait(60)
        from noir.lsl import LSLSource

        source = Counted(LSLSource(stream, timeout=30, jitter=jitter),
                         Counter(LSL_SFREQ, modulo=None), lambda data: np.rint(data[:, 0] * 1e6))
        row["source"] = f"lsl ({lsl_stamps} stamps, chunks of {lsl_chunk * 1e3:g} ms" + (
            f", lsl:NAME,jitter={jitter:g})" if jitter else ")")
    else:
        source = open_brainflow()
    operator = StreamOperator(source, timeout=10.0, stall=1.0)
    channels = source.ch_names[1:3]  # two channels, as the clench watch reads EMG
    me = psutil.Process()
    rss0, load0 = me.memory_info().rss, os.getloadavg()[0]
    # per tick: pull time and lateness, s (allocated now: the memory measured is the reader's)
    n_max = round(60 * minutes / tick) + 1000
    pulls, lateness = np.full(n_max, np.nan), np.full(n_max, np.nan)  # pages touched now
    n_pulls = n_ticks = 0
    faults, motions, rss_warm = [], 0, None
    cpu0, wall0 = time.process_time(), time.monotonic()
    deadline = wall0 + 60 * minutes
    while time.monotonic() < deadline:
        if rss_warm is None and time.monotonic() > wall0 + 6 * minutes:  # a tenth in
            rss_warm = me.memory_info().rss
        motions += 1
        try:
            feed = operator.cued_feed([Cue("rest", PRE_ROLL), Cue("rest", motion)], "soak",
                                      channels)
        except StreamPaused as pause:
            faults.append(f"pre-roll: {pause}")
            continue
        pace, elapsed = WallClock().motion(), 0.0
        begin = time.monotonic()
        for k in range(round(motion / tick)):
            elapsed = k * tick
            pace(elapsed)
            t = time.perf_counter()
            lateness[n_ticks], n_ticks = time.monotonic() - begin - elapsed, n_ticks + 1
            try:
                feed.pull(elapsed)
            except StreamPaused as pause:
                faults.append(f"motion: {pause}")
                break
            pulls[n_pulls], n_pulls = time.perf_counter() - t, n_pulls + 1
            if time.monotonic() >= deadline:
                break
        feed.raw(elapsed)  # the motion's EEG, as the record takes it
    # what arrived until now counts too (the loop's next cue would drop it as stale)
    source.read(max_samples=1_000_000, timeout=0.0)
    wall = time.monotonic() - wall0
    row.update(cpu_pct=100 * (time.process_time() - cpu0) / wall, wall_s=wall)
    rss1, load1 = me.memory_info().rss, os.getloadavg()[0]
    operator.close()
    c = source.count
    row.update(
        sfreq=source.sfreq, n_channels=len(source.ch_names), tick_ms=1e3 * tick,
        stamp_jitter_ms=1e3 * source.stamp_jitter,
        motion_s=motion, motions=motions, received=c.received,
        expected_by_number=(c.number - c.first_number + 1) if c.received else 0,
        lost=c.lost, duplicated=c.repeated + c.stamp_back, numbers_repeated=c.repeated,
        stamps_not_rising=c.stamp_back,
        expected_by_stamps=round((c.stamp - c.first_stamp) * source.sfreq) + 1
        if c.received else 0,
        expected_by_wall=round(wall * source.sfreq), first_number=c.first_number,
        stamp_gaps=c.stamp_gaps, max_stamp_step_ms=1e3 * c.max_step,
        faults=len(faults), fault_kinds=fault_kinds(faults),
        faults_on_stamps_only=c.lost == 0 and c.repeated == 0 and all(
            "dropped samples" in f or "went back or stood still" in f for f in faults),
        fault_example=faults[0] if faults else "",
        pull_p50_ms=1e3 * np.quantile(pulls[:n_pulls], 0.5),
        pull_p99_ms=1e3 * np.quantile(pulls[:n_pulls], 0.99),
        pull_max_ms=1e3 * pulls[:n_pulls].max(),
        tick_late_p99_ms=1e3 * np.quantile(lateness[:n_ticks], 0.99),
        tick_late_max_ms=1e3 * lateness[:n_ticks].max(), n_ticks=n_ticks,
        rss_start_mb=rss0 / 2**20, rss_tenth_mb=(rss_warm or rss1) / 2**20,
        rss_end_mb=rss1 / 2**20, load_start=load0, load_end=load1,
        producer_cpu_pct=np.nan, pushed=np.nan)
    if producer is not None:
        stop.set()
        result = got.get(timeout=30)
        producer.join(timeout=30)
        if "error" in result:
            raise RuntimeError(f"LSL producer: {result['error']}")
        row.update(producer_cpu_pct=result["cpu_pct"], pushed=result["pushed"],
                   producer_late_p99_ms=result["push_late_p99_ms"])
    out.put(row)


def collect(queue: Any, work: list) -> list[dict[str, Any]]:
    """The rows the soak processes ``work`` put on ``queue``, once they are done.

    Raises
    ------
    RuntimeError
        If one of them ends without its row.
    """
    rows = []
    while len(rows) < len(work):
        try:
            rows.append(queue.get(timeout=1.0))
        except Empty:
            failed = [p for p in work if p.exitcode not in (None, 0)]
            if failed:
                raise RuntimeError(f"a soak process failed (exit {failed[0].exitcode}): see "
                                   "its traceback above") from None
    for process in work:
        process.join()
    return rows


def fault_kinds(faults: list[str]) -> str:
    """How many faults of each kind (``"motion: stream dropped samples"``: 3, ...)."""
    kinds = pd.Series([where + ": " + re.split(r":| at sample| \(", what)[0]
                       for where, what in (f.split(": ", 1) for f in faults)])
    return str(kinds.value_counts().to_dict()) if len(kinds) else "{}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="minutes per source")
    parser.add_argument("--sources", nargs="+",
                        default=["brainflow", "lsl", "lsl-auto", "lsl-auto-jitter"],
                        choices=["brainflow", "lsl", "lsl-auto", "lsl-auto-jitter"])
    parser.add_argument("--parallel", action="store_true",
                        help="soak the sources at the same time (each in its own process)")
    parser.add_argument("--motion", type=float, default=5.0, help="seconds per motion")
    parser.add_argument("--tick", type=float, default=TICK, help="control tick, s")
    parser.add_argument("--lsl-chunk", type=float, default=1 / 32, help="LSL chunk, s")
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the results")
    args = parser.parse_args()
    commit = current_commit()
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    work = [ctx.Process(target=soak, args=(kind, args.minutes, args.motion, args.tick,
                                           args.lsl_chunk, queue))
            for kind in args.sources]
    rows = []
    for process in work:
        process.start()
        if not args.parallel:
            rows += collect(queue, [process])
    if args.parallel:
        rows = collect(queue, work)
    table = pd.DataFrame(rows)
    args.out.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out / "live_soak.csv", index=False)
    lines = [
        f"live soak (commit {commit}, {os.cpu_count()} CPUs, load average "
        f"{table['load_start'].max():.1f} at the start, {table['load_end'].max():.1f} at the "
        f"end; sources {'in parallel' if args.parallel else 'one after the other'}, "
        f"{args.minutes:g} min each)",
        f"reader: StreamOperator.feed per motion of {args.motion:g} s (+ 1 s pre-roll), "
        f"LiveFeed.pull every {1e3 * args.tick:.2f} ms control tick paced by WallClock, "
        "check_chunk + check_signal on every chunk; no physics, decoding or disk writes",
    ]
    for r in rows:
        lines += [
            "",
            f"{r['source']}: {r['sfreq']:g} Hz x {r['n_channels']} channels, "
            f"{r['wall_s']:.0f} s, {r['motions']} motions, {r['n_ticks']} ticks",
            f"  samples received {r['received']}, expected {r['expected_by_number']} by their "
            f"numbers ({r['expected_by_stamps']} by the stamps, {r['expected_by_wall']} by "
            f"the wall time); lost {r['lost']}, duplicated {r['duplicated']}"
            + (f" ({r['numbers_repeated']} numbers repeated, {r['stamps_not_rising']} stamps "
               "not rising)" if r["duplicated"] else "")
            + (f"; first number {r['first_number']}, pushed {r['pushed']:.0f}"
               if r["source"].startswith("lsl") else ""),
            f"  stamp steps over 1.5 sample periods: {r['stamp_gaps']} (largest "
            f"{r['max_stamp_step_ms']:.1f} ms; the source's stamp_jitter "
            f"{r['stamp_jitter_ms']:g} ms)",
            f"  stream faults raised: {r['faults']}"
            + (f" {r['fault_kinds']}, e.g. {r['fault_example']!r}" if r["faults"] else "")
            + ("; all on time stamps while the numbers skip and repeat none: the checks "
               "tripped on the stamps' jitter, no sample was lost"
               if r["faults"] and r["faults_on_stamps_only"] else ""),
            f"  reader CPU {r['cpu_pct']:.1f} % of one core"
            + (f"; producer CPU {r['producer_cpu_pct']:.1f} %" if r["source"].startswith("lsl")
               else " (the board's data thread included)"),
            f"  pull per tick: p50 {r['pull_p50_ms']:.3f} ms, p99 {r['pull_p99_ms']:.3f} ms, "
            f"max {r['pull_max_ms']:.1f} ms; tick later than its wall time: p99 "
            f"{r['tick_late_p99_ms']:.2f} ms, max {r['tick_late_max_ms']:.1f} ms",
            f"  memory (RSS): {r['rss_start_mb']:.0f} MB at the start, {r['rss_tenth_mb']:.0f} "
            f"MB a tenth in, {r['rss_end_mb']:.0f} MB at the end",
        ]
    text = "\n".join(lines) + "\n"
    (args.out / "live_soak.txt").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
