"""Decision states for intent learning: the scene before a plan step and the choice made there.

:class:`DecisionState` holds a scene's top and side images, their segmentations and the label a
person would choose there (the step's object and skill and, for skills that take a point, that
point in the world and in both images); ``save_states`` / ``load_states`` are its file format.
The states of the tasks' reference plans are rendered in the simulator by
:func:`sim.learning_data.collect_states` (skills never import ``sim``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from decoders.archive import check_archive
from skills import get_skill


@dataclass
class DecisionState:
    """The scene before one plan step and the choice made there.

    Attributes
    ----------
    task : str
    seed : int
    step : int
        Index of the step in the reference plan.
    variant : str
        One of ``sim.learning_data.VARIANTS``.
    top, side : ndarray, shape (240, 360, 3), uint8
        Images of the ``"top"`` and ``"side"`` cameras.
    object, skill : str
        The step's choice.
    top_px, side_px : ndarray, shape (2,), or None
        The step's point as pixel (u, v) in the top and side images; None for skills
        without a point.
    xyz : ndarray, shape (3,), or None
        The step's point (``x``, ``y``, ``z`` parameters), in m.
    top_seg, side_seg : ndarray, shape (240, 360), uint8
        Index into ``sim.learning_data.SEG_CLASSES`` of what each pixel shows.
    """

    task: str
    seed: int
    step: int
    variant: str
    top: np.ndarray
    side: np.ndarray
    object: str
    skill: str
    top_px: np.ndarray | None
    side_px: np.ndarray | None
    xyz: np.ndarray | None
    top_seg: np.ndarray
    side_seg: np.ndarray


def takes_point(skill: str) -> bool:
    """Whether ``skill`` takes a workspace point (float parameters ``x`` and ``y``)."""
    names = {p.name for p in get_skill(skill).params if p.kind == "float"}
    return {"x", "y"} <= names


def previous_steps(states: list[DecisionState]) -> list[tuple[str, str]]:
    """The (object, skill) run before each state of its episode (``("", "")`` for an episode's
    first state), for ``IntentMemory``'s optional ``previous``; ``states`` in episode order."""
    return [("", "") if s.step == 0 else (states[i - 1].object, states[i - 1].skill)
            for i, s in enumerate(states)]


_FIELDS = ("task", "seed", "step", "variant", "object", "skill")


def save_states(file: str | Path, states: list[DecisionState]) -> None:
    """Write ``states`` to one compressed ``.npz`` (no pickled objects)."""
    nan2 = np.full(2, np.nan)
    arrays = {
        "top": np.stack([s.top for s in states]), "side": np.stack([s.side for s in states]),
        "top_seg": np.stack([s.top_seg for s in states]),
        "side_seg": np.stack([s.side_seg for s in states]),
        "top_px": np.stack([nan2 if s.top_px is None else s.top_px for s in states]),
        "side_px": np.stack([nan2 if s.side_px is None else s.side_px for s in states]),
        "xyz": np.stack([np.full(3, np.nan) if s.xyz is None else s.xyz for s in states]),
        **{f: np.array([getattr(s, f) for s in states]) for f in _FIELDS},
    }
    Path(file).parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(file, **arrays)


def load_states(file: str | Path) -> list[DecisionState]:
    """Read states written by ``save_states``."""
    check_archive(file)
    with np.load(file, allow_pickle=False) as data:
        d = {k: data[k] for k in data.files}

    def point(a: np.ndarray) -> np.ndarray | None:
        return None if np.isnan(a).any() else a

    return [DecisionState(str(d["task"][i]), int(d["seed"][i]), int(d["step"][i]),
                          str(d["variant"][i]), d["top"][i], d["side"][i], str(d["object"][i]),
                          str(d["skill"][i]), point(d["top_px"][i]), point(d["side_px"][i]),
                          point(d["xyz"][i]), d["top_seg"][i], d["side_seg"][i])
            for i in range(len(d["task"]))]
