"""The robot's half of the decision: proposals learned from the person's earlier choices.

An ``Assistant`` holds one user's model (NOIR §9): a few-shot memory of scenes and the
(object, skill) the person chose there (``skills.learning.IntentMemory``; or, in NOIR 2.0's
``"planning"`` mode, the ordered demonstrations of ``skills.learning.DemoPlanner``) and a
one-shot memory of the point they chose for each (object, skill)
(``skills.learning.PointMemory``). A point that the person keeps choosing where the object in
the hand was picked up ("put it back") has no image cue there; for such an (object, skill) the
assistant predicts the pick-up spot itself instead. Likewise a point on a fixed plane (where a
mobile base should stand on the floor, ``Skill.point_height``) is predicted as the object's
position plus the person's usual offset from it: one patch of floor looks like any other, so
image matching has nothing to go by there. Both anchors are what the top camera saw
(``noir.perception.anchors`` gives them, each the pixel of a footprint's centre on the point's
plane): the held object's in its last sighting before it was picked up, and the object's in the
latest look, never simulator poses.
The loop asks it before decoding: a confident proposal is shown and the person only confirms it
(no clench) or rejects it (a clench: normal decoding follows). It learns from every successful
attempt and is saved per user in a folder that loads without executing code (npz + JSON): the
record names its image encoder by a registered name (``skills.learning.ENCODERS``) or as the
file name of weights kept in the folder itself, never as something to import.
"""

from __future__ import annotations

import json
import math
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from skills import get_skill
from skills.learning import (
    CNNEncoder,
    IntentMemory,
    PointMemory,
    PointPrediction,
    Proposal,
    load_encoder,
)
from skills.learning.encoder import ENCODERS, EncoderSpec
from skills.learning.planning import DemoPlanner

MODES = {"retrieval": IntentMemory, "planning": DemoPlanner}
"""How the (object, skill) is proposed: few-shot retrieval over every remembered state
(NOIR), or the next step of the best-matching demonstration state (NOIR 2.0)."""
PUT_BACK_PX = 24.0
"""Largest median distance, in top-view pixels (about 10 cm on the table), between the points
chosen for an (object, skill) and where the held object was picked up, for the assistant to
predict "put it back" (the cursor tolerance is 12 px)."""
KEEP = 3
"""Latest choices remembered per (object, skill)."""
NO_STEP = ("", "")
"""The step before the first one of a task (``IntentMemory``'s convention)."""
MEMORY_ERRORS = (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError,
                 EOFError, RecursionError, zipfile.BadZipFile)
"""What the memories' loaders raise on a damaged ``.npz`` (``load`` reports it as a
``ValueError`` naming the file; a missing or unreadable file stays an ``OSError``)."""
MODEL_FILE = "assistant.json"
ASSISTANT_FOLDER = "assistant"
"""Where a session folder keeps the user model the session started with (for replay)."""


@dataclass(frozen=True)
class Example:
    """One choice the person made: the top view before it, what they chose and the point.

    Attributes
    ----------
    top : ndarray, shape (240, 360, 3), uint8
    object, skill : str
    point_px : tuple of float, optional
        Top-view pixel (u, v) of the chosen point, for skills that take one.
    held_from_px : tuple of float, optional
        Top-view pixel (u, v) where the object in the hand at that moment was picked up (its
        ``Sighting.pixel`` before the pick; ``noir.perception.anchors``).
    object_px : tuple of float, optional
        Top-view pixel (u, v) of the chosen object at that moment (its ``Sighting.pixel``;
        ``noir.perception.anchors``).
    """

    top: np.ndarray
    object: str
    skill: str
    point_px: tuple[float, float] | None = None
    held_from_px: tuple[float, float] | None = None
    object_px: tuple[float, float] | None = None


def put_back_point(offsets: Sequence[tuple[float, float]],
                   held_from_px: tuple[float, float] | None) -> tuple[float, float] | None:
    """``held_from_px`` itself if the person puts things back: the median length of
    ``offsets`` (earlier chosen points minus where the held object was picked up, pixels) is
    within ``PUT_BACK_PX``; else None.

    The spot itself, not the spot plus the median offset: the chosen points scatter around it
    by how far from it the person let the cursor stop (their pointing error, which they
    accepted), and copying that scatter would put every prediction as far off again.
    """
    if held_from_px is None or not offsets \
            or np.median(np.linalg.norm(offsets, axis=1)) > PUT_BACK_PX:
        return None
    return float(held_from_px[0]), float(held_from_px[1])


class Assistant:
    """One user's learned proposals.

    Parameters
    ----------
    encoder : None, str, path, Encoder or callable
        What ``skills.learning.load_encoder`` loads (None: the bundled default encoder).
    threshold : float
        Smallest confidence, in [0, 1], of an (object, skill) proposal that is shown.
    mode : str
        A key of ``MODES``.
    """

    def __init__(self, encoder: EncoderSpec = None, threshold: float = 0.5,
                 mode: str = "retrieval") -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be in [0, 1], got {threshold}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {sorted(MODES)}, got {mode!r}")
        # a registered name (None: the default) is how the record names the encoder; for
        # another encoder ``save`` decides
        self.encoder_name = encoder if encoder is None or (
            isinstance(encoder, str) and encoder in ENCODERS) else ""
        self.threshold = threshold
        self.mode = mode
        encoder = load_encoder(encoder)
        self.intents: IntentMemory | DemoPlanner = MODES[mode](encoder)
        self.points = PointMemory(encoder, KEEP)
        # (object, skill) -> the latest chosen points minus the pick-up spot, in pixels
        self.put_back: dict[tuple[str, str], list[tuple[float, float]]] = {}
        # (object, skill) of a point on a fixed plane -> the latest chosen points minus the
        # object's position, in pixels
        self.relative: dict[tuple[str, str], list[tuple[float, float]]] = {}

    def propose(self, top: np.ndarray, valid: Callable[[str, str], bool],
                done: Sequence[tuple[str, str]]
                ) -> tuple[Proposal | None, list[Proposal], float]:
        """The best proposal for scene ``top`` that ``valid(object, skill)`` accepts, if its
        confidence reaches ``threshold``; also the whole ranking and the time taken in ms.

        ``done`` lists the (object, skill) steps done so far in this attempt: scenes that look
        alike are told apart by the step before (retrieval) or by how far the task is
        (planning).
        """
        start = time.perf_counter()
        if isinstance(self.intents, DemoPlanner):
            proposals = self.intents.propose(top, len(done))
        else:
            proposals = self.intents.propose(top, tuple(done[-1]) if done else NO_STEP)
        ranking = [p for p in proposals if valid(p.object, p.skill)]
        latency = (time.perf_counter() - start) * 1e3
        best = ranking[0] if ranking and ranking[0].confidence >= self.threshold else None
        return best, ranking, latency

    def predict_point(self, obj: str, skill: str, top: np.ndarray,
                      held_from_px: tuple[float, float] | None = None,
                      object_px: tuple[float, float] | None = None, occurrence: int = 0
                      ) -> PointPrediction | None:
        """Where the person will want ``skill`` on ``obj`` in scene ``top`` (None: never seen).

        If they put things back for this (object, skill) (``PUT_BACK_PX``) and the object in
        the hand was picked up at ``held_from_px``: that spot plus their median offset; for a
        point on a fixed plane, ``obj``'s pixel ``object_px`` plus their median offset from it
        (both with similarity 1; both pixels as the camera saw them,
        ``noir.perception.anchors``); otherwise the image match of ``PointMemory`` for this
        ``occurrence`` (how many times the pair was done before in this attempt).
        """
        back = put_back_point(self.put_back.get((obj, skill), []), held_from_px)
        if back is not None:
            return PointPrediction(back, None, 1.0)
        offsets = self.relative.get((obj, skill))
        if offsets and object_px is not None:
            u, v = np.add(object_px, np.median(offsets, axis=0))
            return PointPrediction((float(u), float(v)), None, 1.0)
        return self.points.predict(obj, skill, top, occurrence=occurrence)

    def learn(self, examples: list[Example]) -> None:
        """Remember the choices of a successful attempt, in order (``"retrieval"``: and refit
        the trainable layers; ``"planning"``: as one more demonstration)."""
        if not examples:
            return
        done: list[tuple[str, str]] = []
        for ex in examples:
            done.append((ex.object, ex.skill))
            if ex.point_px is None:
                continue
            self.points.add(ex.object, ex.skill, ex.top, ex.point_px,
                            occurrence=done.count(done[-1]) - 1)
            anchors = [(self.put_back, ex.held_from_px)]
            if get_skill(ex.skill).point_height is not None:
                anchors.append((self.relative, ex.object_px))
            for memory, anchor in anchors:
                if anchor is None:
                    continue
                offsets = memory.setdefault((ex.object, ex.skill), [])
                offsets.append(tuple(float(a - b) for a, b in zip(ex.point_px, anchor,
                                                                  strict=True)))
                del offsets[:-KEEP]
        if isinstance(self.intents, DemoPlanner):
            self.intents.demonstrate(np.stack([ex.top for ex in examples]),
                                     [(ex.object, ex.skill) for ex in examples])
            return
        self.intents.add_many(np.stack([ex.top for ex in examples]),
                              [ex.object for ex in examples], [ex.skill for ex in examples],
                              [NO_STEP] + [(ex.object, ex.skill) for ex in examples[:-1]])
        self.intents.fit_head()

    def save(self, folder: str | Path) -> Path:
        """Write the model to ``folder`` (created); returns it.

        A registered encoder is recorded by name; a ``CNNEncoder`` of other weights has them
        copied into ``folder`` (``<stem>.npz`` + ``.json``) and recorded by that file name;
        any other encoder is recorded by its ``name``, and ``load`` then needs it passed in.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        encoder = self.intents.encoder
        name = self.encoder_name
        if name == "" and isinstance(encoder, CNNEncoder):
            name = f"{encoder.name.removeprefix('cnn:')}.npz"
            if name in ("intents.npz", "points.npz"):
                raise ValueError(f"encoder weights named {name} would overwrite the model's "
                                 f"own {name}; rename the weights")
            encoder.save(folder / name)
        elif name == "":
            name = encoder.name
        self.intents.save(folder / "intents.npz")
        self.points.save(folder / "points.npz")
        meta = {"encoder": name, "mode": self.mode,
                **{key: [[obj, skill, offsets] for (obj, skill), offsets in memory.items()]
                   for key, memory in (("put_back", self.put_back),
                                       ("relative", self.relative))}}
        (folder / MODEL_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")
        return folder

    @classmethod
    def load(cls, folder: str | Path, threshold: float = 0.5,
             encoder: EncoderSpec = None) -> Assistant:
        """Read a model written by ``save``; proposals need ``threshold`` confidence.

        ``encoder`` (from Python) replaces the encoder the record names; it must be the one
        the model was built with. Nothing named in the folder's files is imported.

        Raises
        ------
        FileNotFoundError
            If ``folder`` holds no ``assistant.json`` or a file it names is missing.
        ValueError
            If a file of the model is damaged or not what it should be (the message names
            the file and what was expected).
        """
        folder = Path(folder)
        meta_file = folder / MODEL_FILE
        if not meta_file.is_file():
            raise FileNotFoundError(f"{folder} holds no user model ({MODEL_FILE} is missing)")
        meta = _read_record(meta_file)
        name = meta["encoder"]
        if encoder is None:
            encoder = _recorded_encoder(name, folder, meta_file)
        assistant = cls(encoder, threshold, meta["mode"])
        encoder = assistant.intents.encoder
        for attr, kind, file in (("intents", MODES[meta["mode"]], "intents.npz"),
                                 ("points", PointMemory, "points.npz")):
            path = folder / file
            try:
                setattr(assistant, attr, kind.load(path, encoder))
            except MEMORY_ERRORS as err:
                if isinstance(err, FileNotFoundError | PermissionError):
                    raise
                raise ValueError(f"{path} is not a {kind.__name__} of this user model "
                                 f"({type(err).__name__}: {err})") from err
        assistant.put_back, assistant.relative = (
            {(obj, skill): [tuple(o) for o in offsets] for obj, skill, offsets in meta[key]}
            for key in ("put_back", "relative"))
        return assistant

    @classmethod
    def open(cls, folder: str | Path, threshold: float, mode: str) -> Assistant:
        """The user model in ``folder`` if there is one, else a new empty one.

        Raises
        ------
        ValueError
            If the model in ``folder`` was built in another ``mode``.
        """
        if not (Path(folder) / MODEL_FILE).is_file():
            return cls(threshold=threshold, mode=mode)
        assistant = cls.load(folder, threshold)
        if assistant.mode != mode:
            raise ValueError(f"the user model in {folder} was built in {assistant.mode!r} "
                             f"mode, not {mode!r}")
        return assistant


def _read_record(path: Path) -> dict[str, Any]:
    """The checked content of an ``assistant.json``; ``ValueError`` naming ``path`` if it is
    not one (``put_back`` and ``relative`` default to empty lists)."""
    try:
        meta = json.loads(path.read_bytes().decode("utf-8"))
    except (ValueError, RecursionError) as err:  # not UTF-8 or JSON; an int of > 4300 digits
        raise ValueError(f"{path} is not a user model record (JSON): {err}") from err
    expected = (f'{{"encoder": null or a name, "mode": one of {sorted(MODES)}, "put_back" and '
                f'"relative": [[object, skill, [[du, dv], ...]], ...]}}')
    if not isinstance(meta, dict) or not {"encoder", "mode"} <= set(meta) \
            or not set(meta) <= {"encoder", "mode", "put_back", "relative"}:
        raise ValueError(f"{path} must hold {expected}, got "
                         f"{sorted(meta) if isinstance(meta, dict) else type(meta).__name__}")
    if meta["encoder"] is not None and not isinstance(meta["encoder"], str):
        raise ValueError(f"{path}: encoder must be null or a name, got {meta['encoder']!r}")
    if not isinstance(meta["mode"], str) or meta["mode"] not in MODES:
        raise ValueError(f"{path}: mode must be one of {sorted(MODES)}, got {meta['mode']!r}")

    def offset(o: Any) -> bool:
        return isinstance(o, list) and len(o) == 2 and all(
            isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
            for v in o)

    for key in ("put_back", "relative"):
        entries = meta.setdefault(key, [])  # models saved before "relative" lack it
        if not isinstance(entries, list) or not all(
                isinstance(e, list) and len(e) == 3 and isinstance(e[0], str)
                and isinstance(e[1], str) and isinstance(e[2], list)
                and all(offset(o) for o in e[2]) for e in entries):
            raise ValueError(f"{path}: {key} must be a list of [object, skill, [[du, dv], "
                             f"...]] with finite pixel offsets, got {entries!r}")
    return meta


def _recorded_encoder(name: str | None, folder: Path, record: Path) -> str | Path | None:
    """What ``load_encoder`` should load for the encoder ``name`` of ``record``: a registered
    name, or an ``.npz`` given as a plain file name inside ``folder``."""
    if name is None or name in ENCODERS:
        return name
    plain = name == Path(name).name and name not in (".", "..") and "\\" not in name
    if not (plain and name.endswith(".npz")):
        raise ValueError(f"{record}: encoder {name!r} is neither a registered name "
                         f"{sorted(ENCODERS)} nor the name of an .npz file in {folder}; an "
                         "encoder of your own must be passed to Assistant.load from Python")
    path = folder / name
    for file in (path, path.with_suffix(".json")):
        if file.resolve().parent != folder.resolve():
            raise ValueError(f"{record}: encoder file {file.name!r} leads outside {folder}")
    return path
