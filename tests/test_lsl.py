"""The lsl operator over a loopback stream: a task completes; bad data never drive the robot;
what LSL makes reachable beyond this machine.

LSLAPICFG points at the project's loopback configuration (``noir/lsl_api.cfg``) before pylsl is
imported: no discovery traffic leaves 127.0.0.1.
"""

import ipaddress
import multiprocessing
import os
import socket
import struct
from concurrent.futures import ProcessPoolExecutor
from importlib import resources
from pathlib import Path

os.environ["LSLAPICFG"] = str(resources.files("noir") / "lsl_api.cfg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from decoders.cues import Cue  # noqa: E402
from noir.calibration import calibrate  # noqa: E402
from noir.config import LoopConfig  # noqa: E402
from noir.loop import InterfaceLoop  # noqa: E402
from noir.lsl import (  # noqa: E402
    RAIL,
    LoopbackPerson,
    LSLOperator,
    check_chunk,
    check_signal,
    outlet_ports,
)
from noir.session import SessionClock, SessionRecorder, read_events  # noqa: E402
from noir.stream import StreamPaused  # noqa: E402
from sim.eeg_subject import SyntheticSubject  # noqa: E402
from sim.person import Person  # noqa: E402
from sim.tasks import TASKS  # noqa: E402


def test_a_task_completes_from_a_loopback_stream_despite_faults(tmp_path):
    config = LoopConfig(ssvep_window=4.0)
    task = TASKS["cube_in_tray"]()
    # faults in the first task-time answers (after the 3 calibration recordings)
    faults = {3: "stall", 4: "nan", 6: "jump", 8: "drop"}
    with task.make_world(seed=0) as world, LoopbackPerson(
        SyntheticSubject("default", seed=0), stream="noir-eeg-test", speed=40.0, faults=faults
    ) as person:
        operator = LSLOperator(Person(task.reference_plan(world), world), stream="noir-eeg-test",
                               stall=0.5)
        calibration = calibrate(operator, config, n_mi_trials=10, n_emg_trials=10, seed=0)
        recorder = SessionRecorder(tmp_path / "run", SessionClock())
        summary = InterfaceLoop(world, task, operator, calibration, recorder, config).run()
        recorder.close()
    assert summary["success"] is True
    assert person.n_answered > 3 + len(faults)
    events = read_events(tmp_path / "run")
    paused = [e["reason"] for e in events if e["event"] == "stream_paused"]
    assert any("stalled" in r for r in paused) and any("NaN" in r for r in paused)
    assert any("jumped in time" in r for r in paused)
    assert any("dropped samples" in r for r in paused)
    # each pause came before the window that was decoded instead: no decision used bad data
    assert len(paused) == len(faults)


def test_check_chunk_names_each_problem():
    sfreq, names = 100.0, ["C3", "C4"]
    stamps = np.arange(50) / sfreq
    good = np.zeros((50, 2))
    check_chunk(good, stamps, sfreq, names)
    bad = good.copy()
    bad[7, 1] = np.nan
    with pytest.raises(StreamPaused, match="NaN/inf: channel C4, sample 7"):
        check_chunk(bad, stamps, sfreq, names)
    with pytest.raises(StreamPaused, match="dropped samples: 5 samples missing after sample 19"):
        check_chunk(good[:45], np.delete(stamps, range(20, 25)), sfreq, names)
    with pytest.raises(StreamPaused, match="jumped in time"):
        check_chunk(good, np.where(np.arange(50) < 25, stamps, stamps + 3), sfreq, names)
    with pytest.raises(StreamPaused, match="went back"):
        check_chunk(good, np.where(np.arange(50) < 25, stamps, stamps - 1), sfreq, names)
    # a chunk joined to the sample before it, numbered within its window
    check_chunk(good[:10], stamps[20:30], sfreq, names, previous=stamps[19], first=20)
    with pytest.raises(StreamPaused, match="dropped samples: 2 samples missing after sample 19"):
        check_chunk(good[:10], stamps[22:32], sfreq, names, previous=stamps[19], first=20)
    with pytest.raises(StreamPaused, match="NaN/inf: channel C4, sample 27"):
        check_chunk(bad[:10], stamps[20:30], sfreq, names, previous=stamps[19], first=20)


def test_a_stamp_jitter_lets_loosely_stamped_chunks_through_but_not_lost_samples():
    """A sender that lets liblsl stamp whole chunks: stamps step back a little at a chunk's
    start; with the source's jitter that passes, a real gap still does not."""
    sfreq, names = 500.0, ["a", "b"]
    stamps = np.arange(64) / sfreq
    stamps[32:] -= 0.004  # the second chunk stamped 4 ms early
    data = np.zeros((64, 2))
    with pytest.raises(StreamPaused, match="went back or stood still.*jitter"):
        check_chunk(data, stamps, sfreq, names)
    check_chunk(data, stamps, sfreq, names, jitter=0.05)
    gap = np.concatenate([stamps[:32], stamps[32:] + 0.1])
    with pytest.raises(StreamPaused, match="dropped samples"):
        check_chunk(data, gap, sfreq, names, jitter=0.05)


def test_check_signal_names_flat_and_saturated_channels():
    sfreq, names = 256.0, ["C3", "C4", "Cz"]
    rng = np.random.default_rng(0)
    eeg = rng.normal(0, 10e-6, (256, 3))  # 10 µV of noise
    check_signal(eeg, sfreq, names, rail=RAIL)
    flat = eeg.copy()
    flat[100:, 1] = 0.0  # C4 disconnected from sample 100 on
    with pytest.raises(StreamPaused, match="flat: channel C4 stays at 0 µV .* from sample 100"):
        check_signal(flat, sfreq, names)
    # a dozen constant samples (47 ms) are not yet flat; 13 (51 ms) are
    check_signal(np.vstack([eeg[:100], np.repeat(eeg[100:101], 12, axis=0)]), sfreq, names)
    with pytest.raises(StreamPaused, match="flat: channel C3 .* from sample 1100"):
        check_signal(np.vstack([eeg[:100], np.repeat(eeg[100:101], 13, axis=0)]), sfreq, names,
                     first=1000)
    railed = eeg.copy()
    railed[50:, 2] = RAIL
    with pytest.raises(StreamPaused, match=f"saturated: channel Cz at {RAIL} V .* sample 50"):
        check_signal(railed, sfreq, names, rail=RAIL)
    # without the amplifier's range, a channel that stays at its rail is flat
    with pytest.raises(StreamPaused, match="flat: channel Cz stays at 1.875e\\+05 µV"):
        check_signal(railed, sfreq, names)


def test_unknown_fault_and_missing_stream_are_named():
    with pytest.raises(ValueError, match="unknown stream faults"):
        LoopbackPerson(SyntheticSubject(seed=0), stream="x", faults={0: "melt"})
    with pytest.raises(TimeoutError, match="no LSL stream named 'absent'"):
        LSLOperator(stream="absent", timeout=0.5)
    with pytest.raises(ValueError, match="rail=0 V"):
        LSLOperator(stream="absent", rail=0)


def _sockets() -> dict[str, tuple[str, str, str, int, str, int]]:
    """This process's sockets by inode: (protocol, state, local ip, port, remote ip, port)."""
    inodes = set()
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = {}
    for proto in ("tcp", "udp", "tcp6", "udp6"):
        for line in Path(f"/proc/self/net/{proto}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] not in inodes:
                continue
            ends = []
            for end in fields[1:3]:
                address, port = end.split(":")
                raw = bytes.fromhex(address)
                if len(raw) == 4:
                    ip = socket.inet_ntoa(struct.pack("<I", int(address, 16)))
                else:
                    ip = socket.inet_ntop(socket.AF_INET6, b"".join(
                        raw[i:i + 4][::-1] for i in range(0, 16, 4)))
                ends += [ip, int(port, 16)]
            found[fields[9]] = (proto, fields[3], *ends)
    return found


def _sockets_of_one_session() -> tuple[dict, set]:
    """In a fresh process (no LSL object of another test alive): the sockets a loopback
    person and an operator open for one cue, and the outlets' own data and time ports."""
    before = set(_sockets())
    with LoopbackPerson(SyntheticSubject(seed=0), stream="noir-eeg-ports") as person:
        operator = LSLOperator(stream="noir-eeg-ports", timeout=5.0)
        operator.eeg([Cue("rest", 0.5)], "what")  # a cue goes out and the EEG comes back
        created = {k: v for k, v in _sockets().items() if k not in before}
        exposed = {(proto, port) for outlet in (person.outlet, operator.source.cues)
                   for proto, port in outlet_ports(outlet).items()}
    return created, exposed


def test_lsl_is_reachable_beyond_loopback_only_at_the_outlets_data_and_time_ports():
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=spawn) as pool:
        created, exposed = pool.submit(_sockets_of_one_session).result(timeout=120)
    assert created
    assert not [s for s in created.values() if s[0].endswith("6")]  # IPv6 disabled
    for proto, state, ip, port, remote, _ in created.values():
        if proto == "tcp" and state != "0A":  # a connection, not a listening socket
            assert ipaddress.ip_address(ip).is_loopback and ipaddress.ip_address(remote).is_loopback
        elif not ipaddress.ip_address(ip).is_loopback:
            # liblsl binds these to every interface and has no setting for it (README)
            assert ip == "0.0.0.0" and (proto, port) in exposed, (proto, ip, port)
    bound_everywhere = {(s[0], s[3]) for s in created.values() if s[2] == "0.0.0.0"}
    assert bound_everywhere == exposed  # the two ports of each outlet, nothing else
    # each outlet's discovery responder (UDP port 16571) listens on loopback only
    responders = [s for s in created.values() if s[0] == "udp" and s[3] == 16571]
    assert len(responders) == 2 and all(s[2] == "127.0.0.1" for s in responders)
