"""Which project modules one intent passes through, from the EEG sample to the robot's motion.

One intent = one turn of the loop (``InterfaceLoop._step``): What (SSVEP) -> confirm -> How (MI)
-> confirm -> Where (MI cursor, for skills that take a point) -> confirm -> the skill runs
while the clench monitor watches. A profiler records every project module whose code runs
during the turn (``sys.setprofile``: function calls, so a module counts once any function of
it runs). The modules are then split by role: the data path (the EEG source, the loop, the
decoders, the clench monitor, the cursor, the skill and the robot), the camera's path that
joins it at the loop (the image and the objects perception finds in it: what the What stage
offers and where the skill's object is; no EEG sample passes through it), the record that
watches from the side (events, EEG files, counters), the How menu (a skills module of which
only ``applies_to`` ran), shared types and helpers (cue and intent types, input checks,
filters, the clock), the cue display of a live session (the terminal's or the console's
``show``: how the screen reaches the person), and the simulated person's mind (``sim.person``:
what they do about each screen, before the EEG sample exists).

The sessions: cube_in_tray (Panda) with simulated and with recorded EEG, trash_disposal (TIAGo)
with simulated EEG, and cube_in_tray live: a simulated session's EEG streamed back in real time
through BrainFlow's playback board (the live path: ``noir.board`` and the stream operator in
place of the synthetic subject).

Run from the repository root: ``python experiments/intent_path.py``. Writes
``experiments/results/intent_path.txt``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

from provenance import commit as current_commit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from noir.board import write_session_playback  # noqa: E402
from noir.config import LoopConfig  # noqa: E402
from noir.demo import run_session  # noqa: E402
from noir.loop import InterfaceLoop  # noqa: E402

PACKAGES = ("noir", "decoders", "skills", "sim")
RECORD = {"noir.session", "noir.eeg_writer", "noir.tally"}
PERSON = {"sim.person"}
DISPLAY_SHOW = {"show"}
"""A module of which only this ran showed the person the cues (``noir.stream.CueDisplay``: the
terminal, the console): the screen's way to the person, not a step of the EEG sample."""
CAMERA = {"noir.perception", "sim.camera"}
"""The camera's path: the image and the objects found in it, which join the EEG's at the loop."""
"""The simulated person's mind: what they do about each screen, before any EEG sample exists."""
MENU_CHECK = {"applies_to", "<genexpr>", "<listcomp>"}
"""A skills module of which only these ran (``applies_to`` and comprehensions in it) was only
asked whether its skills apply (the menu)."""
SHARED = {"decoders.cues", "noir.intents", "decoders._validation", "decoders.preprocessing",
          "noir.clock", "sim.tasks.base", "sim.tabletop", "sim.household"}
"""Types, input checks and filters shared by the stages; the clock; the scene's queries."""


def traced_turns(source: str, task: str, seed: int, **session: Any) -> list[dict[str, set[str]]]:
    """Run one session (``noir.demo.run_session`` with ``session``'s keyword arguments); return,
    per loop turn, the modules whose code ran and the names of the functions of each that ran."""
    turns: list[dict[str, set[str]]] = []
    original = InterfaceLoop._step

    def step(self, *args, **kwargs):
        seen: dict[str, set[str]] = {}

        def profile(frame, event, arg):
            if event == "call":
                module = frame.f_globals.get("__name__", "")
                if module.split(".")[0] in PACKAGES:
                    seen.setdefault(module, set()).add(frame.f_code.co_name)

        sys.setprofile(profile)
        try:
            return original(self, *args, **kwargs)
        finally:
            sys.setprofile(None)
            turns.append(seen)

    InterfaceLoop._step = step
    try:
        with tempfile.TemporaryDirectory() as tmp:
            run_session(task, source=source, seed=seed, folder=Path(tmp) / "s", **session)
    finally:
        InterfaceLoop._step = original
    return turns


def live_turns(tmp: Path) -> list[dict[str, set[str]]]:
    """The turns of a live session: a simulated session's EEG streamed back in real time through
    BrainFlow's playback board (as ``tests/test_live_playback.py``), with its calibration."""
    config = LoopConfig(ssvep_window=4.0)
    _, folder = run_session("cube_in_tray", source="simulated", seed=0, config=config,
                            folder=tmp / "recorded")
    file = write_session_playback(folder, tmp / "session.csv", "freeeeg128")
    return traced_turns(f"brainflow:playback,file={file},master_board=freeeeg128",
                        "cube_in_tray", 0, config=config, calibration=folder / "calibration")


def role(module: str, functions: set[str]) -> str:
    if module in RECORD:
        return "record"
    if module in PERSON:
        return "person"
    if module in CAMERA:
        return "camera"
    if functions <= DISPLAY_SHOW:
        return "display"
    if module in SHARED:
        return "shared"
    if module.split(".")[0] == "skills" and functions <= MENU_CHECK:
        return "menu"
    return "path"


def main() -> None:
    commit = current_commit()
    lines = [f"modules one intent passes through (commit {commit}; one loop turn, profiled)", ""]
    with tempfile.TemporaryDirectory() as tmp:
        runs = [(source, task, traced_turns(source, task, 0))
                for source, task in (("simulated", "cube_in_tray"), ("recorded", "cube_in_tray"),
                                     ("simulated", "trash_disposal"))]
        runs.append(("live", "cube_in_tray", live_turns(Path(tmp))))
    for source, task, turns in runs:
        for i, seen in enumerate(turns):
            by_role: dict[str, list[str]] = {}
            for module in sorted(seen):
                by_role.setdefault(role(module, seen[module]), []).append(module)
            lines.append(f"{task}, {source} EEG, turn {i + 1}: {len(seen)} modules ran; "
                         f"data path {len(by_role.get('path', []))}")
            for name in ("path", "camera", "record", "menu", "shared", "display", "person"):
                lines.append(f"  {name:7s} {len(by_role.get(name, [])):2d}: "
                             + " ".join(by_role.get(name, [])))
        lines.append("")
    out = Path(__file__).parent / "results" / "intent_path.txt"
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
