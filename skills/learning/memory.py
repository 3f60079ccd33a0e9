"""Few-shot (object, skill) retrieval and one-shot point prediction from earlier choices.

``IntentMemory`` (NOIR's retrieval-based imitation): each remembered decision state is the
encoder's embedding of its top image and the (object, skill) chosen there. A small MLP on the
frozen embeddings (the trainable layers) is fitted with a triplet loss so that states with the
same label sit close; a new state is embedded, every label scores the cosine similarity of its
nearest remembered state, and a softmax of the scores with a temperature calibrated on the
memory (2-fold) gives the confidences.

``PointMemory`` (NOIR's one-shot parameter learning): the latest chosen point of each
(object, skill) is remembered as the 3 x 3 patch of dense features around it; in a new image the
3 x 3 window of features with the highest cosine similarity to it is the prediction (sub-cell
precision from a parabola through the neighbouring scores). ``point_from_views`` turns the top
and side pixels into a 3-D point (NOIR 2.0).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional as F

from decoders.archive import check_archive
from skills.learning.encoder import IMAGE_SHAPE, Encoder

TEMPERATURES = np.geomspace(0.003, 1.0, 60)
"""Softmax temperatures tried when calibrating the confidences."""
TRIPLET_BATCH = 256
"""States per step of ``IntentMemory.fit_head`` (all of them when fewer)."""


def triplet_loss(emb: torch.Tensor, labels: torch.Tensor, margin: float) -> torch.Tensor:
    """Batch-all triplet loss: the mean over every (anchor, positive, negative) of the batch
    with a positive hinge ``d(a, p) - d(a, n) + margin``.

    Parameters
    ----------
    emb : Tensor, shape (n, d)
        L2-normalised embeddings.
    labels : Tensor, shape (n,)
        Integer labels.
    margin : float
    """
    dist = torch.sqrt((2.0 - 2.0 * emb @ emb.T).clamp(min=1e-9))
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(labels), dtype=torch.bool)
    valid = (same & ~eye)[:, :, None] & ~same[:, None, :]
    hinge = F.relu(dist[:, :, None] - dist[:, None, :] + margin)[valid]
    active = hinge > 1e-6
    return hinge[active].mean() if active.any() else hinge.sum()


def hardest_negative_triplet_loss(emb: torch.Tensor, labels: torch.Tensor,
                                  margin: float) -> torch.Tensor:
    """Triplet loss over every (anchor, positive) pair of the batch with the anchor's hardest
    negative: ``mean(relu(d(a, p) - min_n d(a, n) + margin))`` (0 without a pair); O(n^2),
    for large batches.

    Parameters as ``triplet_loss``.
    """
    dist = torch.sqrt((2.0 - 2.0 * emb @ emb.T).clamp(min=1e-9))
    same = labels[:, None] == labels[None, :]
    hardest_neg = (dist + 4.0 * same).amin(dim=1)
    pairs = same & ~torch.eye(len(labels), dtype=torch.bool)
    if not pairs.any():
        return dist.sum() * 0.0
    return F.relu(dist - hardest_neg[:, None] + margin)[pairs].mean()


@dataclass
class Proposal:
    """A proposed (object, skill) with its confidence in [0, 1]."""

    object: str
    skill: str
    confidence: float


@dataclass
class PointPrediction:
    """A predicted point: pixel (u, v) in the top image and, if a side image was given, in it;
    ``similarity`` is the cosine similarity of the best top-view match, in [-1, 1]."""

    top_px: tuple[float, float]
    side_px: tuple[float, float] | None
    similarity: float


def check_image(image: Any, what: str) -> np.ndarray:
    """Return ``image`` if it is one (240, 360, 3) uint8 array, else raise ``ValueError``."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 \
            or image.shape != IMAGE_SHAPE:
        got = (f"{image.dtype} array of shape {image.shape}" if isinstance(image, np.ndarray)
               else type(image).__name__)
        raise ValueError(f"{what} must be a uint8 array of shape {IMAGE_SHAPE}, got {got}")
    return image


def save_npz(path: str | Path, meta: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """One ``.npz`` with ``arrays`` and ``meta`` as a JSON string (nothing pickled)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, meta=np.array(json.dumps(meta)), **arrays)


def load_npz(path: str | Path, kind: str, encoder: Encoder
             ) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The JSON header and arrays of a ``save_npz`` file holding a ``kind`` built with
    ``encoder``; a clear ``ValueError`` otherwise (never unpickles)."""
    check_archive(path)
    with np.load(path, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays.pop("meta")))
    if meta["kind"] != kind:
        raise ValueError(f"{path} holds a {meta['kind']}, not a {kind}")
    if meta["encoder"] != encoder.name:
        raise ValueError(f"{path} was built with encoder {meta['encoder']!r}; "
                         f"load it with that encoder, not {encoder.name!r}")
    return meta, arrays


def _project(head: dict[str, np.ndarray] | None, emb: np.ndarray) -> np.ndarray:
    """MLP head output (n, dim), L2-normalised; ``emb`` (n, d) itself without a head."""
    if head is None:
        return emb
    out = np.maximum(emb @ head["w1"] + head["b1"], 0.0) @ head["w2"] + head["b2"]
    return (out / np.linalg.norm(out, axis=1, keepdims=True).clip(1e-12)).astype(np.float32)


def _label_scores(sims: np.ndarray, y: np.ndarray, n_labels: int) -> np.ndarray:
    """Each label's best similarity (q, n_labels) from similarities (q, n) to states with
    labels ``y`` (n,); -inf for labels without a state."""
    scores = np.full((len(sims), n_labels), -np.inf)
    for k in np.unique(y):
        scores[:, k] = sims[:, y == k].max(axis=1)
    return scores


def _softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    """Row-wise softmax of ``scores / temperature`` (-inf scores get 0)."""
    logits = scores / temperature
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


def _best_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The ``TEMPERATURES`` value minimising the negative log-likelihood of ``truth``."""
    nll = [-np.log(_softmax(scores, t)[np.arange(len(truth)), truth].clip(1e-12)).mean()
           for t in TEMPERATURES]
    return float(TEMPERATURES[int(np.argmin(nll))])


class IntentMemory:
    """Remembered decision states; proposes the (object, skill) of the most similar ones.

    Parameters
    ----------
    encoder : Encoder
        Embeds top images (frozen).
    hidden, dim : int
        Sizes of the MLP head's hidden layer and output.
    margin : float
        Triplet-loss margin (distance between L2-normalised outputs).
    steps : int
        Adam steps of one ``fit_head`` (batches of up to ``TRIPLET_BATCH`` states).
    auto_fit : bool
        ``propose`` refits the head first when states were added since the last fit.
    seed : int
        Seed of the head's initial weights (fits are deterministic).
    history_weight : float
        Added to the similarity of remembered states whose previous step equals the query's
        (when both are known; see ``add`` and ``propose``).

    Notes
    -----
    The previous step is optional context: some states look alike and differ only in what
    was done before (a pot before and after stirring). ``previous`` is the (object, skill)
    run just before the state, ``("", "")`` at the start of a task, None when unknown.
    """

    def __init__(self, encoder: Encoder, *, hidden: int = 128, dim: int = 64,
                 margin: float = 0.3, steps: int = 200, auto_fit: bool = True,
                 seed: int = 0, history_weight: float = 0.5) -> None:
        self.encoder = encoder
        self.hidden, self.dim, self.margin, self.steps = hidden, dim, margin, steps
        self.auto_fit, self.seed, self.history_weight = auto_fit, seed, history_weight
        self.embeddings = np.zeros((0, 0), np.float32)
        self.labels: list[tuple[str, str]] = []
        self.previous: list[tuple[str, str] | None] = []
        self.head: dict[str, np.ndarray] | None = None
        self.temperature = 0.05
        self.stale = False

    def __len__(self) -> int:
        return len(self.labels)

    def add(self, top: np.ndarray, object: str, skill: str,
            previous: tuple[str, str] | None = None) -> None:
        """Remember top image ``top`` (240, 360, 3) uint8 where ``object``/``skill`` was chosen
        (after step ``previous``, if known)."""
        self.add_many(check_image(top, "top")[None], [object], [skill], [previous])

    def add_many(self, tops: np.ndarray, objects: list[str], skills: list[str],
                 previous: list[tuple[str, str] | None] | None = None) -> None:
        """Remember several states at once: ``tops`` (n, 240, 360, 3) uint8 and n labels."""
        previous = [None] * len(objects) if previous is None else previous
        if not len(tops) == len(objects) == len(skills) == len(previous):
            raise ValueError(f"{len(tops)} images but {len(objects)} objects, {len(skills)} "
                             f"skills and {len(previous)} previous steps")
        emb = self.encoder.embed(tops)
        self.embeddings = emb if not len(self) else np.concatenate([self.embeddings, emb])
        self.labels += list(zip(objects, skills, strict=True))
        self.previous += [None if p is None else tuple(p) for p in previous]
        self.stale = True

    def fit_head(self) -> None:
        """Fit the MLP head with a triplet loss (``hardest_negative_triplet_loss``) on the
        remembered states (seconds), then calibrate the confidence temperature.

        Calibration is 2-fold: a head fitted on every other state of each label scores the
        rest against them, and the other way round; the temperature minimising the negative
        log-likelihood of the true labels of those held-out scores is kept. The held-out
        scores are those ``propose`` gives, the previous-step term included (a held-out state
        whose previous step is known is matched to remembered states with the same one):
        calibrated on image similarity alone, the temperature fitted scenes that look alike
        and flattened every proposal, the right ones too. With no label
        remembered twice there is no positive pair: the head is removed and the encoder's
        embeddings are compared directly.
        """
        self.stale = False
        names = sorted(set(self.labels))
        y = np.array([names.index(label) for label in self.labels])
        if len(y) == 0 or np.bincount(y).max() < 2:
            self.head = None
            return
        fold = np.zeros(len(y), int)
        for k in range(len(names)):
            fold[y == k] = np.arange(np.sum(y == k)) % 2
        scores, truth = [], []
        for f in (0, 1):
            train, held = fold != f, fold == f
            if np.bincount(y[train]).max() < 2 or not held.any():
                continue
            head = self._fit(self.embeddings[train], y[train])
            sims = _project(head, self.embeddings[held]) @ _project(
                head, self.embeddings[train]).T
            sims += self.history_weight * self._same_previous(np.flatnonzero(held),
                                                              np.flatnonzero(train))
            scores.append(_label_scores(sims, y[train], len(names)))
            truth.append(y[held])
        self.head = self._fit(self.embeddings, y)
        if scores:
            self.temperature = _best_temperature(np.concatenate(scores), np.concatenate(truth))

    def _same_previous(self, queries: np.ndarray, states: np.ndarray) -> np.ndarray:
        """(len(queries), len(states)) 1.0 where remembered state ``queries[i]``'s previous
        step is known and equals state ``states[j]``'s, else 0.0."""
        return np.array([[float(self.previous[i] is not None
                                and self.previous[i] == self.previous[j]) for j in states]
                         for i in queries])

    def _fit(self, embeddings: np.ndarray, y: np.ndarray) -> dict[str, np.ndarray]:
        """MLP head weights fitted with the triplet loss on ``embeddings`` (n, d), labels y."""
        rng = np.random.default_rng(self.seed)
        d = embeddings.shape[1]
        params = {"w1": rng.normal(0, (2 / d) ** 0.5, (d, self.hidden)),
                  "b1": np.zeros(self.hidden),
                  "w2": rng.normal(0, (1 / self.hidden) ** 0.5, (self.hidden, self.dim)),
                  "b2": np.zeros(self.dim)}
        tensors = {k: torch.tensor(v, dtype=torch.float32, requires_grad=True)
                   for k, v in params.items()}
        opt = torch.optim.Adam(tensors.values(), lr=3e-3)
        x, labels = torch.from_numpy(embeddings), torch.from_numpy(y)
        for _ in range(self.steps):
            batch = (torch.from_numpy(rng.choice(len(y), TRIPLET_BATCH, replace=False))
                     if len(y) > TRIPLET_BATCH else torch.arange(len(y)))
            out = F.normalize(torch.relu(x[batch] @ tensors["w1"] + tensors["b1"])
                              @ tensors["w2"] + tensors["b2"], dim=1)
            loss = hardest_negative_triplet_loss(out, labels[batch], self.margin)
            opt.zero_grad()
            loss.backward()
            opt.step()
        return {k: v.detach().numpy().copy() for k, v in tensors.items()}

    def propose(self, top: np.ndarray, previous: tuple[str, str] | None = None
                ) -> list[Proposal]:
        """Every remembered (object, skill) once, best first, with softmax confidences.

        Parameters
        ----------
        top : ndarray, shape (240, 360, 3), uint8
            The current top image.
        previous : (object, skill), ("", "") or None
            The step run just before, ``("", "")`` at the start of a task, None if unknown.

        Returns
        -------
        list of Proposal
            ``[]`` when the memory is empty.
        """
        check_image(top, "top")
        if not len(self):
            return []
        if self.stale and self.auto_fit:
            self.fit_head()
        names = sorted(set(self.labels))
        y = np.array([names.index(label) for label in self.labels])
        sims = _project(self.head, self.encoder.embed(top[None])) @ _project(
            self.head, self.embeddings).T
        if previous is not None:
            sims += self.history_weight * np.array([p == tuple(previous) for p in self.previous])
        p = _softmax(_label_scores(sims, y, len(names)), self.temperature)[0]
        order = np.argsort(-p, kind="stable")
        return [Proposal(names[k][0], names[k][1], float(p[k])) for k in order]

    def save(self, path: str | Path) -> None:
        """Write the memory to one ``.npz`` (arrays and a JSON header; nothing pickled)."""
        meta = {"kind": "IntentMemory", "encoder": self.encoder.name, "hidden": self.hidden,
                "dim": self.dim, "margin": self.margin, "steps": self.steps,
                "auto_fit": self.auto_fit, "seed": self.seed,
                "history_weight": self.history_weight, "temperature": self.temperature,
                "stale": self.stale, "labels": self.labels, "previous": self.previous}
        save_npz(path, meta, {"embeddings": self.embeddings, **(self.head or {})})

    @classmethod
    def load(cls, path: str | Path, encoder: Encoder) -> IntentMemory:
        """Read a memory written by ``save``; ``encoder`` must be the one it was built with."""
        meta, arrays = load_npz(path, "IntentMemory", encoder)
        memory = cls(encoder, hidden=meta["hidden"], dim=meta["dim"], margin=meta["margin"],
                     steps=meta["steps"], auto_fit=meta["auto_fit"], seed=meta["seed"],
                     history_weight=meta["history_weight"])
        memory.embeddings = arrays.pop("embeddings")
        memory.labels = [tuple(label) for label in meta["labels"]]
        memory.previous = [None if p is None else tuple(p) for p in meta["previous"]]
        memory.head = arrays or None
        memory.temperature, memory.stale = meta["temperature"], meta["stale"]
        return memory


def _cells(px: tuple[float, float], grid: tuple[int, int]) -> tuple[float, float]:
    """Pixel (u, v) of a 240 x 360 image to continuous cell coordinates (column, row)."""
    h, w = grid
    return ((px[0] + 0.5) * w / IMAGE_SHAPE[1] - 0.5, (px[1] + 0.5) * h / IMAGE_SHAPE[0] - 0.5)


def _pixels(cell: tuple[float, float], grid: tuple[int, int]) -> tuple[float, float]:
    """Inverse of ``_cells``."""
    h, w = grid
    return ((cell[0] + 0.5) * IMAGE_SHAPE[1] / w - 0.5, (cell[1] + 0.5) * IMAGE_SHAPE[0] / h - 0.5)


def sample_patch(fmap: np.ndarray, px: tuple[float, float]) -> np.ndarray:
    """The 3 x 3 cells of feature map ``fmap`` (h, w, c) centred on pixel ``px`` (u, v),
    bilinearly interpolated (edges repeated): shape (3, 3, c)."""
    h, w, _ = fmap.shape
    cu, cv = _cells(px, (h, w))
    patch = np.empty((3, 3, fmap.shape[2]), np.float32)
    for i, dv in enumerate((-1, 0, 1)):
        for j, du in enumerate((-1, 0, 1)):
            u, v = np.clip(cu + du, 0, w - 1), np.clip(cv + dv, 0, h - 1)
            u0, v0 = min(int(u), w - 2), min(int(v), h - 2)
            a, b = u - u0, v - v0
            patch[i, j] = ((1 - a) * (1 - b) * fmap[v0, u0] + a * (1 - b) * fmap[v0, u0 + 1]
                           + (1 - a) * b * fmap[v0 + 1, u0] + a * b * fmap[v0 + 1, u0 + 1])
    return patch


def match_patch(fmap: np.ndarray, patch: np.ndarray) -> tuple[tuple[float, float], float]:
    """Slide ``patch`` (3, 3, c) over ``fmap`` (h, w, c); return the pixel (u, v) of the best
    window's centre (sub-cell by a parabola through the neighbouring scores) and its cosine
    similarity."""
    h, w, _ = fmap.shape
    padded = np.pad(fmap, ((1, 1), (1, 1), (0, 0)), mode="edge")
    dot = np.zeros((h, w), np.float32)
    norm2 = np.zeros((h, w), np.float32)
    for i in range(3):
        for j in range(3):
            window = padded[i:i + h, j:j + w]
            dot += window @ patch[i, j]
            norm2 += np.einsum("hwc,hwc->hw", window, window)
    sim = dot / (np.sqrt(norm2) * np.linalg.norm(patch)).clip(1e-12)
    r, c = np.unravel_index(int(np.argmax(sim)), sim.shape)

    def vertex(lo: float, mid: float, hi: float) -> float:
        curve = lo - 2 * mid + hi
        return float(np.clip(0.5 * (lo - hi) / curve, -0.5, 0.5)) if curve < 0 else 0.0

    dc = vertex(sim[r, c - 1], sim[r, c], sim[r, c + 1]) if 0 < c < w - 1 else 0.0
    dr = vertex(sim[r - 1, c], sim[r, c], sim[r + 1, c]) if 0 < r < h - 1 else 0.0
    return _pixels((c + dc, r + dr), (h, w)), float(sim[r, c])


class PointMemory:
    """The points chosen for each (object, skill), as dense-feature patches.

    One earlier choice is enough (one-shot, as NOIR). With several, each is matched in the new
    image and the prediction is their median, pixel axis by axis: a person's choices scatter
    within the cursor tolerance around what they mean, and the median of a few is closer to it
    than any one of them. Choices are kept apart by ``occurrence``, the number of times the
    same (object, skill) was done before in the task (three pieces onto one board go to three
    cells; their median would be none of them).

    Parameters
    ----------
    encoder : Encoder
        Gives the dense feature maps.
    keep : int
        Latest choices remembered per (object, skill).
    """

    def __init__(self, encoder: Encoder, keep: int = 3) -> None:
        if keep < 1:
            raise ValueError(f"keep must be >= 1, got {keep}")
        self.encoder = encoder
        self.keep = keep
        self.entries: dict[tuple[str, str, int], list[dict[str, Any]]] = {}

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, object: str, skill: str, top: np.ndarray, point_px: tuple[float, float],
            side: np.ndarray | None = None, side_px: tuple[float, float] | None = None,
            occurrence: int = 0) -> None:
        """Remember that ``point_px`` (u, v) of ``top`` was chosen (and ``side_px`` of
        ``side``, both (240, 360, 3) uint8) for ``object``/``skill`` at its ``occurrence``; the
        oldest of more than ``keep`` choices is forgotten."""
        check_image(top, "top")
        if (side is None) != (side_px is None):
            raise ValueError("give both side and side_px, or neither")
        entry = {"top_px": tuple(map(float, point_px)),
                 "top_patch": sample_patch(self.encoder.dense(top[None])[0], point_px),
                 "side_px": None, "side_patch": None}
        if side is not None:
            check_image(side, "side")
            entry["side_px"] = tuple(map(float, side_px))
            entry["side_patch"] = sample_patch(self.encoder.dense(side[None])[0], side_px)
        choices = self.entries.setdefault((object, skill, int(occurrence)), [])
        choices.append(entry)
        del choices[:-self.keep]

    def predict(self, object: str, skill: str, top: np.ndarray,
                side: np.ndarray | None = None, occurrence: int = 0) -> PointPrediction | None:
        """Where ``object``/``skill``'s point is in ``top`` (and ``side``, if given and side
        points were remembered) at its ``occurrence``: the median of the remembered choices'
        matches, with their mean similarity; None if that was never chosen."""
        check_image(top, "top")
        choices = self.entries.get((object, skill, int(occurrence)))
        if not choices:
            return None
        fmap = self.encoder.dense(top[None])[0]
        matches = [match_patch(fmap, c["top_patch"]) for c in choices]
        top_px = tuple(float(v) for v in np.median([px for px, _ in matches], axis=0))
        similarity = float(np.mean([sim for _, sim in matches]))
        side_px = None
        sides = [c["side_patch"] for c in choices if c["side_patch"] is not None]
        if side is not None and sides:
            side_map = self.encoder.dense(check_image(side, "side")[None])[0]
            side_px = tuple(float(v) for v in np.median(
                [match_patch(side_map, patch)[0] for patch in sides], axis=0))
        return PointPrediction(top_px, side_px, similarity)

    def save(self, path: str | Path) -> None:
        """Write the memory to one ``.npz`` (arrays and a JSON header; nothing pickled)."""
        rows, arrays = [], {}
        for (obj, skill, occurrence), choices in self.entries.items():
            for c in choices:
                k = len(rows)
                rows.append([obj, skill, c["top_px"], c["side_px"], occurrence])
                arrays[f"top_patch_{k}"] = c["top_patch"]
                if c["side_patch"] is not None:
                    arrays[f"side_patch_{k}"] = c["side_patch"]
        meta = {"kind": "PointMemory", "encoder": self.encoder.name, "keep": self.keep,
                "entries": rows}
        save_npz(path, meta, arrays)

    @classmethod
    def load(cls, path: str | Path, encoder: Encoder) -> PointMemory:
        """Read a memory written by ``save``; ``encoder`` must be the one it was built with."""
        meta, arrays = load_npz(path, "PointMemory", encoder)
        memory = cls(encoder, meta["keep"])
        for k, (obj, skill, top_px, side_px, *occurrence) in enumerate(meta["entries"]):
            # files written before occurrences were kept have 4 fields: occurrence 0
            key = (obj, skill, occurrence[0] if occurrence else 0)
            memory.entries.setdefault(key, []).append({
                "top_px": tuple(top_px), "top_patch": arrays[f"top_patch_{k}"],
                "side_px": None if side_px is None else tuple(side_px),
                "side_patch": arrays.get(f"side_patch_{k}")})
        return memory


def point_from_views(world: Any, top_px: tuple[float, float],
                     side_px: tuple[float, float] | None = None) -> np.ndarray:
    """The 3-D point, shape (3,), in m, chosen as ``top_px`` in the top image (NOIR 2.0).

    With ``side_px`` (point A in the side image): of the points on the top camera's ray through
    ``top_px`` (the vertical line through the predicted (x, y) for a camera looking straight
    down), the one whose side-view projection is closest to A, searched at 1 mm steps of
    height from 2 cm below to 50 cm above the table. Without it: the surface seen at
    ``top_px`` (rendered depth).

    Parameters
    ----------
    world : World
        Has ``"top"`` and ``"side"`` views (``sim.world.World``).
    """
    u, v = map(float, top_px)
    if side_px is None:
        return world.pixel_to_world(u, v, "top")
    table = float(getattr(world, "table_height", 0.0))
    low = world.pixel_to_world(u, v, "top", plane_z=table - 0.02)
    high = world.pixel_to_world(u, v, "top", plane_z=table + 0.5)
    points = low + np.linspace(0.0, 1.0, 521)[:, None] * (high - low)
    error = np.linalg.norm(world.world_to_pixel(points, "side") - np.asarray(side_px), axis=1)
    return points[int(np.argmin(error))]
