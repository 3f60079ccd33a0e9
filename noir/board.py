"""BrainFlow: live EEG from any BrainFlow board (:class:`BrainFlowSource`), and playback files.

:class:`BrainFlowSource` is a ``noir.stream.StreamSource`` for any board BrainFlow knows, named
as in BrainFlow's ``BoardIds`` (case-insensitive, ``_BOARD`` optional: ``"synthetic"``,
``"cyton"``, ``"cyton_daisy"``, ``"playback"``) or by its numeric id, with the board's
parameters (``BrainFlowInputParams`` fields, e.g. ``serial_port="/dev/ttyUSB0"``).
``noir.stream.StreamOperator`` turns it into the loop's operator. :func:`list_boards` lists the
boards, :func:`parse_spec` reads the text after ``brainflow:`` on the command line.

The board streams freely (it does not answer cues); each cue marker the loop shows is
inserted into the board's marker channel as a number (:func:`marker_code`), and the markers
that come back with the samples are kept in :attr:`BrainFlowSource.markers`.

Time stamps are the board's timestamp row: Unix seconds of this machine's clock when BrainFlow
took the sample in (the synthetic board: when it made it). They jitter with the threads that
make or receive them (the synthetic board: steps of 4 ms, up to some 30 ms on a busy 2-core
machine, caught up by bursts) while no sample is lost; boards that number every sample
(:data:`NUMBERED`) also count the lost ones exactly (``n_lost``).

:func:`write_playback` writes a recording (an MNE Raw, e.g. a session record's EEG read with
``noir.eeg_writer.read_recording``) as a BrainFlow file in the row layout of the board it plays
as, with a sidecar naming its channels; ``BrainFlowSource("playback", file=...,
master_board="synthetic")`` then streams it in real time with the recorded channel names and
time stamps.

Network: the synthetic and playback boards open no socket (checked with ``strace``: no
``socket``/``connect``/``sendto`` call). Boards reached over a network (WiFi shields,
``streaming``, Emotibit, ...) talk to the addresses they are given, and some search the local
network (SSDP or multicast) when they are given none: give their ``ip_address``. BrainFlow's own
loggers (which print to stderr) are switched off; its errors become one line here.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
import warnings
import weakref
from pathlib import Path
from typing import Any

import mne
import numpy as np
from brainflow.board_shim import (
    BoardIds,
    BoardShim,
    BrainFlowError,
    BrainFlowInputParams,
    IpProtocolTypes,
)
from brainflow.data_filter import DataFilter
from brainflow.exit_codes import BrainFlowExitCodes

from decoders.cues import CUE_KINDS
from noir.stream import StreamPaused

log = logging.getLogger(__name__)

__all__ = ["MARKER_CODES", "MARKER_LIVE", "MARKER_STOP", "NUMBERED", "PLAYBACK_FORMAT",
           "BoardNotReady",
           "BrainFlowSource", "board_id", "board_name", "list_boards", "marker_code",
           "parse_spec", "write_playback"]

MARKER_CODES: dict[str, float] = {kind: float(i + 1) for i, kind in enumerate(CUE_KINDS)}
"""Marker code of a cue marker by the kind of its first cue: ssvep 1, mi 2, clench 3, rest 4
(BrainFlow refuses 0, which its marker channel holds between markers)."""
MARKER_STOP = 9.0
"""Marker code of a marker without cues (an answer stopped)."""
MARKER_LIVE = 10.0
"""Added to the code of a marker for a watched motion (``"live"`` in the marker): 11-14."""
PLAYBACK_FORMAT = "noir-brainflow-playback/1"
"""``format`` of a playback file's sidecar (``<file>.json``)."""
BUFFER_SECONDS = 60
"""Seconds of samples the board's ring buffer holds between two reads (older ones are lost:
their gap shows in the time stamps)."""
UV = 1e-6
"""Volts per µV: BrainFlow's EEG and EMG rows are in µV."""
STAMP_JITTER = 0.05
"""Seconds by which a board's time stamps may stray: BrainFlow stamps each sample with this
machine's clock when it reads it in, so steps of up to 29 ms came in bursts from the synthetic
board on a quiet machine with nothing lost (by its sample numbers)."""
NUMBERED_STAMP_JITTER = 0.5
"""The same for a board that numbers its samples (:data:`NUMBERED`), whose lost samples are
found by those numbers: its stamps count as lost samples only beyond 0.5 s, since on a loaded
machine (load average 5-6 on 2 cores) BrainFlow's reader stamped steps of up to 203 ms with
nothing lost (``experiments/results/live_soak.txt``)."""

NUMBERED = (BoardIds.SYNTHETIC_BOARD, BoardIds.CYTON_BOARD)
"""Boards whose package row numbers every sample 0-255 (the synthetic board; OpenBCI Cyton's
sample number), so that lost samples can be counted; a playback file written by
:func:`write_playback` numbers them so too."""

_ALIASES = {"playback": BoardIds.PLAYBACK_FILE_BOARD}
_PLAYERS = (BoardIds.PLAYBACK_FILE_BOARD, BoardIds.STREAMING_BOARD)
"""Boards that play another board's data (``master_board``)."""
_DEFAULTS = vars(BrainFlowInputParams())
"""The board parameters (``BrainFlowInputParams`` fields) and their defaults, which set each
one's type: text, or a whole number (``ip_protocol`` and ``master_board`` also by name)."""
_OPEN: set[tuple[int, str]] = set()
"""The sessions open in this process, by board id and parameters (JSON): BrainFlow knows a
session by exactly these, so a second ``BoardShim`` with the same ones would act on the first
(and its ``__del__`` release it)."""
_LOCK = threading.RLock()  # re-entrant: a finalizer may run inside (garbage collection)


class BoardNotReady(ConnectionError):
    """A BrainFlow board could not be opened or started (not connected, wrong port, in use)."""


@functools.cache
def _brainflow() -> None:
    """Load BrainFlow's libraries with their stderr loggers off.

    On Python < 3.12 BrainFlow finds its libraries with ``pkg_resources`` (setuptools < 81),
    which warns that it is deprecated; that warning is BrainFlow's business, not the user's.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="pkg_resources is deprecated",
                                category=UserWarning)
        BoardShim.disable_board_logger()
        DataFilter.disable_data_logger()


def _short(board: BoardIds) -> str:
    if board == BoardIds.PLAYBACK_FILE_BOARD:
        return "playback"
    return board.name.lower().removesuffix("_board")


def board_name(board: int) -> str:
    """The short name of a board id (``-1`` -> ``"synthetic"``)."""
    return _short(BoardIds(board))


def board_id(board: str | int) -> int:
    """The BrainFlow id of a board given by name (case-insensitive; ``"synthetic"``,
    ``"SYNTHETIC_BOARD"``, ``"cyton_daisy"``, ``"playback"``) or id (``-1``, ``"0"``).

    Raises
    ------
    ValueError
        If no board has that name or id (the message lists the names).
    """
    if isinstance(board, int) and not isinstance(board, bool):
        ids = {b.value for b in BoardIds if b != BoardIds.NO_BOARD}
        if board in ids:
            return board
    elif isinstance(board, str):
        text = board.strip().lower()
        if text.lstrip("-").isdigit():
            return board_id(int(text))
        text = text.removesuffix("_board")
        if text in _ALIASES:
            return _ALIASES[text].value
        for b in BoardIds:
            if b != BoardIds.NO_BOARD and b.name.lower().removesuffix("_board") == text:
                return b.value
    names = ", ".join(_short(b) for b in BoardIds if b != BoardIds.NO_BOARD)
    raise ValueError(f"unknown BrainFlow board {board!r}; known: {names} (or their ids)")


def _channels(board: int) -> tuple[list[int], list[str]]:
    """The data rows of ``board``'s EEG and EMG channels (EMG only where not also EEG), and
    their names (the board's EEG names where it has them, else ``EEG 1``..., ``EMG 1``...)."""
    _brainflow()
    descr = BoardShim.get_board_descr(board)
    eeg = list(descr.get("eeg_channels", []))
    emg = [row for row in descr.get("emg_channels", []) if row not in eeg]
    names = descr.get("eeg_names", "").split(",") if descr.get("eeg_names") else []
    if len(names) != len(eeg) or len(set(names)) != len(names):
        names = [f"EEG {i + 1}" for i in range(len(eeg))]
    return eeg + emg, names + [f"EMG {i + 1}" for i in range(len(emg))]


def list_boards() -> list[dict[str, Any]]:
    """The boards that stream EEG or EMG, by id: ``{"name", "id", "device", "sfreq", "n_eeg",
    "n_channels"}`` (``n_eeg``: EEG channels; ``n_channels``: what :class:`BrainFlowSource`
    streams, EEG and EMG-only channels; ``sfreq``, ``n_eeg`` and ``n_channels`` None for
    ``playback`` and ``streaming``, which play as their ``master_board``)."""
    _brainflow()
    boards = []
    for b in sorted(BoardIds, key=lambda b: b.value):
        if b == BoardIds.NO_BOARD:
            continue
        if b in _PLAYERS:
            boards.append({"name": _short(b), "id": b.value, "device": "plays as master_board",
                           "sfreq": None, "n_eeg": None, "n_channels": None})
            continue
        rows, _ = _channels(b.value)
        if rows:
            boards.append({"name": _short(b), "id": b.value,
                           "device": BoardShim.get_device_name(b.value),
                           "sfreq": float(BoardShim.get_sampling_rate(b.value)),
                           "n_eeg": len(BoardShim.get_board_descr(b.value).get(
                               "eeg_channels", [])),
                           "n_channels": len(rows)})
    return boards


def parse_spec(spec: str) -> tuple[str, dict[str, str]]:
    """Split ``"cyton,serial_port=/dev/ttyUSB0"`` into the board and its parameters (as text;
    :class:`BrainFlowSource` checks them).

    Raises
    ------
    ValueError
        If the board is empty, a parameter is not ``key=value`` or comes twice.
    """
    board, *pairs = spec.split(",")
    if not board.strip():
        raise ValueError(f"brainflow:{spec}: no board named (e.g. brainflow:synthetic)")
    params: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"brainflow:{spec}: {pair!r} is not key=value")
        if key in params:
            raise ValueError(f"brainflow:{spec}: {key} given twice")
        params[key] = value
    return board.strip(), params


def _param(board: str, key: str, value: Any) -> Any:
    """``value`` as the type of parameter ``key`` (text may spell a number or a name)."""
    default = _DEFAULTS[key]
    if key == "master_board":
        return board_id(value)
    if key == "ip_protocol" and isinstance(value, str) and not value.strip().isdigit():
        names = {p.name.lower(): p.value for p in IpProtocolTypes} | {"none": 0}
        if value.strip().lower() in names:
            return names[value.strip().lower()]
        raise ValueError(f"brainflow:{board}: ip_protocol={value!r}: expected one of "
                         f"{sorted(names)} or 0-2")
    if isinstance(default, str):
        if not isinstance(value, str) or "\0" in value:
            raise ValueError(f"brainflow:{board}: {key}={value!r}: expected text")
        return value
    number = int(value) if isinstance(value, str) and value.strip().isdigit() else value
    if key == "ip_protocol":
        limit = max(IpProtocolTypes).value
    elif key.startswith("ip_port"):
        limit = 65535
    else:
        limit = 2**31 - 1  # a C int
    if not isinstance(number, int) or isinstance(number, bool) or not 0 <= number <= limit:
        raise ValueError(f"brainflow:{board}: {key}={value!r}: expected a whole number "
                         f"0-{limit}")
    return number


class BrainFlowSource:
    """Any BrainFlow board as a live EEG stream (``noir.stream.StreamSource``).

    Parameters
    ----------
    board : str or int
        The board's name or id (:func:`board_id`).
    **params
        Its ``BrainFlowInputParams``: ``serial_port``, ``mac_address``, ``ip_address``,
        ``ip_port``, ``ip_protocol`` (0-2 or ``udp``/``tcp``), ``other_info``, ``timeout`` (s),
        ``serial_number``, ``file``, ``master_board`` (a board name or id; only for
        ``playback`` and ``streaming``), and their ``_aux``/``_anc`` variants. Values may be
        text (as on the command line) or typed.

    Attributes
    ----------
    label : str
        ``"brainflow:<name>"``.
    sfreq : float
        The board's sampling rate (Hz; ``BoardShim.get_sampling_rate``).
    ch_names : list of str
        The EEG channels (the board's names, else ``EEG 1``...) and EMG channels that are not
        also EEG (``EMG 1``...); for a playback file with a sidecar, its recorded names.
    units : str
        ``"uV"``, the unit of BrainFlow's EEG rows; :meth:`read` gives volts.
    markers : list of (float, float)
        ``(time stamp, code)`` of each marker read back from the marker channel so far.
    stamp_jitter : float
        :data:`NUMBERED_STAMP_JITTER` on a board that numbers its samples, else
        :data:`STAMP_JITTER` (``noir.stream.StreamSource``).
    n_read, n_lost, n_repeated : int
        Samples read so far; and, on a board that numbers every sample (:data:`NUMBERED`),
        samples its numbers skipped (lost between the board and here, or by the ring buffer)
        and repeated (None on other boards). Losses of 256 or more in a row are counted
        modulo 256.

    A playback board streams the file's own time stamps (``old_timestamps``) once, in real
    time, from the moment it is first read or cued (:meth:`read`, :meth:`mark`: a session's
    recording plays from its first cue); at the end of the file the samples stop (the stream
    stalls).

    Raises
    ------
    ValueError
        An unknown board or parameter, a value of the wrong type, a board without EEG or EMG
        channels, ``master_board`` missing or misplaced, a bad playback sidecar.
    FileNotFoundError
        If the playback ``file`` does not exist.
    BoardNotReady
        If the board cannot be opened or started (named with its port or address).
    """

    answers_cues = False

    def __init__(self, board: str | int, **params: Any) -> None:
        _brainflow()
        self.board_id = board_id(board)
        name = board_name(self.board_id)
        self.label = f"brainflow:{name}"
        unknown = sorted(set(params) - set(_DEFAULTS))
        if unknown:
            raise ValueError(f"{self.label}: unknown parameter(s) {unknown}; known: "
                             f"{', '.join(_DEFAULTS)}")
        self.params = {key: _param(name, key, value) for key, value in params.items()}
        playing = self.board_id in {b.value for b in _PLAYERS}
        if playing != ("master_board" in self.params):
            raise ValueError(f"{self.label}: master_board (the board whose data it plays) is "
                             f"{'needed' if playing else 'only for playback and streaming'}")
        self.data_board = self.params.get("master_board", self.board_id)
        if self.data_board in {b.value for b in _PLAYERS}:
            raise ValueError(f"{self.label}: master_board must be a real board, not "
                             f"{board_name(self.data_board)}")
        rows, self.ch_names = _channels(self.data_board)
        if not rows:
            raise ValueError(f"{self.label}: board {board_name(self.data_board)} has no EEG or "
                             "EMG channels")
        self.sfreq = float(BoardShim.get_sampling_rate(self.data_board))
        if self.board_id == BoardIds.PLAYBACK_FILE_BOARD:
            rows, self.ch_names = self._playback(rows)
        self._rows = rows
        self._stamp_row = BoardShim.get_timestamp_channel(self.data_board)
        self._marker_row = BoardShim.get_marker_channel(self.data_board)
        self._poll = max(1e-3, 0.5 / self.sfreq)
        self.units = "uV"
        self.markers: list[tuple[float, float]] = []
        self.n_read = 0
        numbered = self.data_board in {b.value for b in NUMBERED}
        self._number_row = BoardShim.get_package_num_channel(self.data_board) if numbered else None
        self.n_lost: int | None = 0 if numbered else None
        self.stamp_jitter = NUMBERED_STAMP_JITTER if numbered else STAMP_JITTER
        self.n_repeated: int | None = 0 if numbered else None
        self._last_number: float | None = None
        self._streaming = False
        inputs = BrainFlowInputParams()
        for key, value in self.params.items():
            setattr(inputs, key, value)
        key = (self.board_id, inputs.to_json())
        with _LOCK:
            if key in _OPEN:
                raise BoardNotReady(f"{self.label} ({self._where()}): already open in this "
                                    "process (close it first)")
            # the session lives in this list, which only the finalizer empties: released on
            # close(), on garbage collection or at exit (before Python tears down what
            # BoardShim's own __del__ needs)
            self._held = [BoardShim(self.board_id, inputs)]
            self._open()
            _OPEN.add(key)
        self._release = weakref.finalize(self, _release, self._held, key, self.label)

    def _playback(self, rows: list[int]) -> tuple[list[int], list[str]]:
        """The rows and names of a playback file's channels: its sidecar's, else all."""
        if not self.params.get("file"):
            raise ValueError(f"{self.label}: needs file=PATH (e.g. one written by "
                             "noir.board.write_playback)")
        file = Path(self.params["file"])
        if not file.is_file():
            raise FileNotFoundError(f"{self.label}: playback file {str(file)!r} not found")
        sidecar = _sidecar(file)
        if not sidecar.exists():
            return rows, self.ch_names
        n_eeg = len(BoardShim.get_board_descr(self.data_board).get("eeg_channels", []))
        names = _read_sidecar(sidecar, board_name(self.data_board), self.sfreq, n_eeg)
        return rows[:len(names)], names  # the first EEG rows, as write_playback fills them

    @property
    def _board(self) -> BoardShim:
        if not self._held:
            raise StreamPaused(f"{self.label} is closed")
        return self._held[0]

    def _open(self) -> None:
        """Prepare the session and start streaming (the playback board with the file's own
        time stamps), or release it and raise ``BoardNotReady``."""
        # no local reference to the board: the traceback of a BoardNotReady would keep it
        steps = [("open the board", lambda: self._board.prepare_session())]
        if self.board_id == BoardIds.PLAYBACK_FILE_BOARD:
            steps.append(("configure playback",
                          lambda: self._board.config_board("old_timestamps")))
        else:  # a playback starts when it is first read or cued
            steps.append(("start streaming", self._start))
        for i, (what, step) in enumerate(steps):
            _, error = _attempt(step)
            if error:
                if i:  # prepared: release it
                    _release(self._held, None, self.label)
                self._held.clear()
                raise BoardNotReady(f"{self.label} ({self._where()}): cannot {what}: {error}")

    def _start(self) -> None:
        self._board.start_stream(max(BUFFER_SECONDS * round(self.sfreq), 1))
        self._streaming = True

    def _start_playback(self) -> None:
        _, error = _attempt(self._start)
        if error:
            raise StreamPaused(f"{self.label}: cannot start streaming: {error}")

    def _where(self) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in self.params.items()) or "no parameters"

    def read(self, max_samples: int, timeout: float) -> tuple[np.ndarray, np.ndarray]:
        """Up to ``max_samples`` samples that arrived since the last read, in order, each once:
        (n, n_channels) in V and their time stamps (n,) in Unix s (the board's timestamp
        channel); waits up to ``timeout`` s for the first one (n may be 0).

        Raises
        ------
        ValueError
            If ``max_samples`` < 1.
        StreamPaused
            If the board's session is closed or gone, or its sample numbers show samples lost
            since the last read.
        """
        if max_samples < 1:
            raise ValueError(f"{self.label}: max_samples={max_samples}: expected >= 1")
        board, deadline = self._board, time.monotonic() + timeout
        if not self._streaming:  # a playback starts when it is first read or cued
            self._start_playback()
        n, error = _attempt(board.get_board_data_count)
        while not error and not n and time.monotonic() < deadline:
            time.sleep(min(self._poll, max(0.0, deadline - time.monotonic())))
            n, error = _attempt(board.get_board_data_count)
        if not error and n:
            data, error = _attempt(board.get_board_data, min(n, max_samples))
        if error:
            raise StreamPaused(f"{self.label}: cannot read the board: {error}")
        if not n:
            return np.empty((0, len(self._rows))), np.empty(0)
        stamps = data[self._stamp_row]
        lost = self.n_lost
        self._count(data)
        if self.n_lost is not None and self.n_lost > lost:
            raise StreamPaused(f"stream dropped samples: the board's sample numbers skip "
                               f"{self.n_lost - lost} samples ({self.label})")
        marked = np.flatnonzero(data[self._marker_row])
        self.markers += [(float(stamps[i]), float(data[self._marker_row, i])) for i in marked]
        return data[self._rows].T * UV, stamps.copy()

    def _count(self, data: np.ndarray) -> None:
        """Count the samples of ``data`` (rows, n) and, by their numbers, those lost and
        repeated since the last one read."""
        self.n_read += data.shape[1]
        if self._number_row is None:
            return
        numbers = data[self._number_row]
        if self._last_number is not None:
            numbers = np.concatenate([[self._last_number], numbers])
        steps = np.diff(numbers) % 256
        self.n_lost += int(np.sum(steps[steps > 1] - 1))
        self.n_repeated += int(np.sum(steps == 0))
        self._last_number = float(numbers[-1])

    def mark(self, marker: dict[str, Any]) -> None:
        """Insert the cue marker's code (:func:`marker_code`) into the board's marker channel;
        it lands on the next sample the board sends.

        Raises
        ------
        ValueError
            If the marker is not a cue marker (:func:`marker_code`).
        StreamPaused
            If the board refuses it (closed, not streaming).
        """
        code = marker_code(marker)
        if not self._streaming:
            self._start_playback()
        _, error = _attempt(self._board.insert_marker, code)
        if error:
            raise StreamPaused(f"{self.label}: cannot insert marker {code:g}: {error}")

    def close(self) -> None:
        """Stop the stream and release the board (again: nothing)."""
        self._release()

    def __enter__(self) -> BrainFlowSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _attempt(call: Any, *args: Any) -> tuple[Any, str | None]:
    """``call(*args)``, and None; or None and what went wrong if BrainFlow raised (the
    exception is not kept: its traceback would keep the board alive)."""
    try:
        return call(*args), None
    except BrainFlowError as err:
        return None, _explain(err)


def _release(held: list[BoardShim], key: tuple[int, str] | None, label: str) -> None:
    """Release the board session in ``held`` (stopping its stream), let it go, and forget it
    as open (``key``)."""
    while held:
        board = held.pop()
        prepared, error = _attempt(board.is_prepared)
        if prepared:
            _, error = _attempt(board.release_session)
        if error:  # a session already gone has nothing to release
            log.debug("%s: release: %s", label, error)
    with _LOCK:
        _OPEN.discard(key)


def _explain(err: BrainFlowError) -> str:
    """BrainFlow's exit code in words, with what usually causes it."""
    try:
        code = BrainFlowExitCodes(err.exit_code)
    except ValueError:
        return f"BrainFlow error {err.exit_code}"
    hints = {
        BrainFlowExitCodes.UNABLE_TO_OPEN_PORT_ERROR: "the port cannot be opened (is the board "
        "or its dongle plugged in, the port right and free?)",
        BrainFlowExitCodes.PORT_ALREADY_OPEN_ERROR: "the port is already open",
        BrainFlowExitCodes.BOARD_NOT_READY_ERROR: "the board does not answer (is it on?)",
        BrainFlowExitCodes.SYNC_TIMEOUT_ERROR: "the board does not answer in time (is it on?)",
        BrainFlowExitCodes.INVALID_ARGUMENTS_ERROR: "BrainFlow refuses these parameters (a "
        "port, address or file this board needs may be missing)",
        BrainFlowExitCodes.ANOTHER_BOARD_IS_CREATED_ERROR: "this board is already open in this "
        "process",
        BrainFlowExitCodes.BOARD_NOT_CREATED_ERROR: "the board's session is closed",
        BrainFlowExitCodes.UNSUPPORTED_BOARD_ERROR: "BrainFlow does not support this board here",
    }
    return f"{hints.get(code, 'BrainFlow error')} [{code.name}]"


def marker_code(marker: dict[str, Any]) -> float:
    """The number a cue marker becomes in a board's marker channel.

    The kind of its first cue (:data:`MARKER_CODES`: ssvep 1, mi 2, clench 3, rest 4),
    plus :data:`MARKER_LIVE` (10) for a watched motion; :data:`MARKER_STOP` (9) for a marker
    without cues.

    Raises
    ------
    ValueError
        If the marker has no ``cues`` list or its first cue's kind is unknown.
    """
    cues = marker.get("cues") if isinstance(marker, dict) else None
    if not isinstance(cues, list):
        raise ValueError(f"cue marker {marker!r}: expected a dict with a 'cues' list")
    if not cues:
        return MARKER_STOP
    kind = cues[0][0] if isinstance(cues[0], list | tuple) and cues[0] else None
    if kind not in MARKER_CODES:
        raise ValueError(f"cue marker {marker!r}: first cue's kind {kind!r} is not one of "
                         f"{list(MARKER_CODES)}")
    return MARKER_CODES[kind] + (MARKER_LIVE if "live" in marker else 0.0)


def _sidecar(file: Path) -> Path:
    return file.with_name(file.name + ".json")


def _read_sidecar(sidecar: Path, board: str, sfreq: float, n_rows: int) -> list[str]:
    """The channel names a playback sidecar gives, checked against the board it plays as.

    Raises
    ------
    ValueError
        If it is not JSON, not exactly ``{"format", "board", "sfreq", "ch_names"}``, or does
        not fit the board (name, rate, at most ``n_rows`` unique non-empty names).
    """
    try:
        meta = json.loads(sidecar.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{sidecar}: not a readable playback sidecar ({err})") from None
    keys = {"format", "board", "sfreq", "ch_names"}
    if not isinstance(meta, dict) or set(meta) != keys or meta["format"] != PLAYBACK_FORMAT:
        raise ValueError(f"{sidecar}: expected a JSON object with exactly {sorted(keys)} and "
                         f"format {PLAYBACK_FORMAT!r}")
    names = meta["ch_names"]
    if meta["board"] != board or meta["sfreq"] != sfreq:
        raise ValueError(f"{sidecar}: written for board {meta['board']!r} at {meta['sfreq']!r} "
                         f"Hz, played as {board!r} at {sfreq:g} Hz")
    if (not isinstance(names, list) or not 0 < len(names) <= n_rows
            or not all(isinstance(n, str) and n for n in names) or len(set(names)) != len(names)):
        raise ValueError(f"{sidecar}: ch_names must be 1-{n_rows} unique non-empty names")
    return names


def write_playback(raw: mne.io.BaseRaw, file: str | Path, board: str | int = "synthetic", *,
                   stamps: np.ndarray | None = None) -> Path:
    """Write ``raw`` as a BrainFlow file that the playback board streams as ``board``.

    The file has ``board``'s row layout (``DataFilter.write_file``: one sample per line, µV):
    the channels in its first EEG rows, the sample number (mod 256) in its package row, the
    time stamps in its timestamp row. A sidecar ``<file>.json`` names the channels, so that
    ``BrainFlowSource("playback", file=file, master_board=board)`` streams exactly them.

    Parameters
    ----------
    raw : mne.io.BaseRaw
        The recording, in V, at ``board``'s sampling rate (resample it first otherwise), with
        at most as many channels as ``board`` has EEG channels.
    file : str or Path
        Where to write (overwritten).
    board : str or int
        The board it plays as.
    stamps : ndarray, shape (n_times,), optional
        Time stamps (s, rising; a live record's ``eeg.stamps`` is
        ``np.fromfile(path, "<f8")``); default: ``raw.info["temp"]["stamps"]`` (a live
        window's), else the recording's start (``meas_date``, else 0) plus ``i / sfreq``.

    Returns
    -------
    Path
        ``file``.

    Raises
    ------
    ValueError
        If the rate or channel count does not fit the board, the data are not finite, or the
        stamps do not rise one per sample.
    """
    _brainflow()
    file = Path(file)
    master = board_id(board)
    if master in {b.value for b in _PLAYERS}:
        raise ValueError(f"write_playback: board must be a real board, not {board_name(master)}")
    descr = BoardShim.get_board_descr(master)
    eeg_rows = list(descr.get("eeg_channels", []))
    sfreq = float(BoardShim.get_sampling_rate(master))
    name = board_name(master)
    if raw.info["sfreq"] != sfreq:
        raise ValueError(f"write_playback: the recording is at {raw.info['sfreq']:g} Hz, board "
                         f"{name} at {sfreq:g} Hz: resample it first "
                         f"(raw.copy().resample({sfreq:g}))")
    if not 0 < len(raw.ch_names) <= len(eeg_rows):
        raise ValueError(f"write_playback: {len(raw.ch_names)} channels; board {name} has "
                         f"{len(eeg_rows)} EEG channels")
    data = raw.get_data()
    if not np.isfinite(data).all():
        raise ValueError("write_playback: the recording has NaN or infinite samples")
    if stamps is None:
        stamps = (raw.info.get("temp") or {}).get("stamps")
    if stamps is None:
        start = raw.info["meas_date"].timestamp() if raw.info["meas_date"] else 0.0
        stamps = start + raw.first_time + np.arange(raw.n_times) / sfreq
    stamps = np.asarray(stamps, dtype=float)
    if (stamps.shape != (raw.n_times,) or not np.isfinite(stamps).all()
            or not (np.diff(stamps) > 0).all()):
        raise ValueError(f"write_playback: expected {raw.n_times} finite rising time stamps, "
                         f"got shape {stamps.shape}")
    out = np.zeros((descr["num_rows"], raw.n_times))
    out[descr["package_num_channel"]] = np.arange(raw.n_times) % 256
    out[eeg_rows[:len(raw.ch_names)]] = data / UV
    out[descr["timestamp_channel"]] = stamps
    file.parent.mkdir(parents=True, exist_ok=True)
    DataFilter.write_file(np.ascontiguousarray(out), str(file), "w")
    _sidecar(file).write_text(json.dumps({"format": PLAYBACK_FORMAT, "board": name,
                                          "sfreq": sfreq, "ch_names": list(raw.ch_names)}),
                              encoding="utf-8")
    return file


def write_session_playback(record: str | Path, file: str | Path, board: str | int = "freeeeg128",
                           *, gap: float = 1.0) -> Path:
    """Write a session record's EEG as a playback file in which each window comes at its cue.

    A live loop reads a free-running stream from the moment it shows a cue. So that a loop
    showing the same cues reads the same windows, the windows of ``record`` (every event's
    ``eeg``, in order) are laid out on the file's time line ``gap`` s apart: the playback
    board starts at the first cue and streams the file's time stamps in real time, so each
    later window begins after the loop, done with the one before, has shown its cue (if the
    loop takes less than ``gap`` s between windows).

    Parameters
    ----------
    record : path
        A closed session record with one EEG stream (checked against its manifest).
    file : path
        The playback file to write (``write_playback``; its sidecar names the channels).
    board : str or int
        The board it plays as; its rate must be the record's (default: FreeEEG128, 256 Hz,
        the synthetic subject's).
    gap : float
        Seconds of silence between two windows.

    Raises
    ------
    ValueError
        If the record has no or several EEG streams, or its windows do not cover its EEG one
        after the other (e.g. samples that no event names).
    """
    from noir.eeg_writer import read_recording
    from noir.session import read_events, record_file, verify_record

    record = Path(record)
    listed = verify_record(record)
    windows = [e["eeg"] for e in read_events(record) if isinstance(e.get("eeg"), dict)]
    headers = sorted({str(w.get("header")) for w in windows})
    if len(headers) != 1:
        raise ValueError(f"{record}: a playback file holds one EEG stream; the record's "
                         f"windows are in {headers or 'none'}")
    # an event names the file: only a plain path listed in the manifest is read
    raw = read_recording(record_file(record, headers[0], listed, "events.jsonl"))
    starts = [w["start"] for w in windows]
    ends = [w["start"] + w["n"] for w in windows]
    if starts != [0, *ends[:-1]] or ends[-1] != raw.n_times:
        raise ValueError(f"{record}: the events' windows do not cover {headers[0]} one after "
                         f"the other ({len(windows)} windows, {raw.n_times} samples)")
    sfreq = raw.info["sfreq"]
    stamps, onset = np.empty(raw.n_times), 0.0
    for start, end in zip(starts, ends, strict=True):
        stamps[start:end] = onset + np.arange(end - start) / sfreq
        onset = stamps[end - 1] + 1 / sfreq + gap
    return write_playback(raw, file, board, stamps=stamps)
