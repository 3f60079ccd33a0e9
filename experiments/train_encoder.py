"""Train the default image encoder of ``skills.learning`` on rendered scenes of the task suite.

Usage: ``python experiments/train_encoder.py [--seeds 30] [--variant-seeds 15] [--iters 400]
[--jobs 2] [--threads 2] [--holdout cook_pasta] [--out skills/learning/weights/encoder.npz]``.

Data: the decision states (``sim.learning_data.collect_states``) of every Franka task
except ``--holdout`` (kept unseen for the few-shot tables): ``--seeds`` episodes of variant
``"task"`` (seeds from 1000) and ``--variant-seeds`` of ``"instance"`` and ``"context"`` each
(seeds from 2000; domain randomization: recoloured objects, tinted tables, distractors); the tables
use seeds below 1000. Top and side images at half resolution. The simulator
labels them for free: the segmentation (which catalogue object each pixel shows), each
object pixel's offset from its object's centre, and the next step's (object, skill).

Losses on ``ConvNet``: cross-entropy of a 1x1 segmentation head on the dense map (top and
side images), smooth-L1 of a 1x1 offset head on object cells (sharpens where a feature sits
within its object: point matching), and a batch-all triplet loss on the embeddings of top
images with the (object, skill) label. Images get random colour changes (table tints,
channel permutations, gains).
Adam with ``--threads`` torch threads (the scenes are rendered first, by ``--jobs`` processes,
so the fit has the cores to itself). Writes the weights (``.npz`` + ``.json``) and
``experiments/results/learning_encoder_training.txt`` (with the wall time of the whole run).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch
from provenance import commit as current_commit
from torch import nn
from torch.nn import functional as F

from sim.learning_data import SEG_CLASSES, collect_states
from sim.tasks.franka import FRANKA_TASKS
from skills.learning.encoder import WEIGHTS, CNNEncoder, ConvNet, downsample, to_tensor
from skills.learning.memory import triplet_loss

RESULTS = Path(__file__).parent / "results"
CACHE = Path(__file__).parent / "cache"
GRID = 4
"""Pixels per dense cell side (240 x 360 images, 60 x 90 cells)."""
OFFSET_SCALE = 32.0
"""Pixels per unit of the offset target."""
NO_OFFSET = ("background", "robot", "distractor")
WIDTHS, DENSE_DIM, EMBED_DIM = [24, 48], 32, 96


def episode_arrays(task: str, seed: int, variant: str) -> dict[str, np.ndarray]:
    """One episode's training arrays: half-resolution images, cell labels, offsets, labels."""
    states = collect_states(task, [seed], variant)
    out: dict[str, list[np.ndarray]] = {k: [] for k in ("top", "side", "top_seg", "side_seg",
                                                        "top_off", "side_off", "label")}
    for s in states:
        for view in ("top", "side"):
            seg = getattr(s, f"{view}_seg")
            out[view].append(downsample(getattr(s, view)[None])[0])
            cells = seg[GRID // 2::GRID, GRID // 2::GRID]
            out[f"{view}_seg"].append(cells)
            out[f"{view}_off"].append(_offsets(seg, cells))
        out["label"].append(np.array(f"{s.object}/{s.skill}"))
    return {k: np.stack(v) for k, v in out.items()}


def _offsets(seg: np.ndarray, cells: np.ndarray) -> np.ndarray:
    """Offset (du, dv) of each cell centre from its object's centroid / OFFSET_SCALE, shape
    (60, 90, 2), float16; NaN off objects."""
    h, w = cells.shape
    v, u = np.mgrid[0:h, 0:w] * GRID + GRID // 2
    out = np.full((h, w, 2), np.nan, np.float16)
    for c in np.unique(cells):
        if SEG_CLASSES[c] in NO_OFFSET:
            continue
        rows, cols = np.nonzero(seg == c)
        on = cells == c
        out[on, 0] = (u[on] - cols.mean()) / OFFSET_SCALE
        out[on, 1] = (v[on] - rows.mean()) / OFFSET_SCALE
    return out


def collect(tasks: list[str], seeds: range, variant: str, jobs: int) -> dict[str, np.ndarray]:
    """Training arrays of every (task, seed) in ``variant``, concatenated; cached in
    ``experiments/cache``."""
    key = hashlib.sha1(",".join(tasks).encode()).hexdigest()[:8]
    file = CACHE / f"encoder_train_{key}_{variant}_{seeds.start}_{seeds.stop}.npz"
    if file.exists():
        with np.load(file, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    jobs_list = [(t, s, variant) for t in tasks for s in seeds]
    with ProcessPoolExecutor(jobs) as pool:
        parts = list(pool.map(episode_arrays, *zip(*jobs_list, strict=True)))
    arrays = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    CACHE.mkdir(exist_ok=True)
    np.savez(file, **arrays)
    return arrays


def tint_table(images: np.ndarray, seg: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Half of the (n, 120, 180, 3) uint8 images with the table (class 0 cells, not the white
    surroundings; ``seg`` (n, 60, 90)) tinted by per-channel gains in [0.3, 1.0]."""
    out = images.astype(np.float32)
    table = (np.repeat(np.repeat(seg, 2, axis=1), 2, axis=2) == 0) & (out.sum(axis=3) < 740)
    for k in np.flatnonzero(rng.random(len(images)) < 0.5):
        out[k][table[k]] *= rng.uniform(0.3, 1.0, 3)
    return out.round().astype(np.uint8)


def jitter(x: torch.Tensor, rng: np.random.Generator) -> torch.Tensor:
    """Colour changes of normalised images (n, 3, h, w): the RGB channels of half of them
    permuted, per-channel gains in [0.6, 1.4] on half of them."""
    n = len(x)
    rgb = x * 0.25 + 0.5
    order = np.array([rng.permutation(3) if rng.random() < 0.5 else np.arange(3)
                      for _ in range(n)])
    rgb = rgb[torch.arange(n)[:, None], torch.from_numpy(order)]
    gains = np.where(rng.random((n, 1, 1, 1)) < 0.5, rng.uniform(0.6, 1.4, (n, 3, 1, 1)), 1.0)
    return (rgb * torch.from_numpy(gains).float() - 0.5) / 0.25


def train(data: dict[str, np.ndarray], iters: int, seed: int, log: list[str]) -> ConvNet:
    """Fit ``ConvNet`` with the three losses; append progress lines to ``log``."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = ConvNet(WIDTHS, DENSE_DIM, EMBED_DIM)
    seg_head, off_head = nn.Conv2d(DENSE_DIM, len(SEG_CLASSES), 1), nn.Conv2d(DENSE_DIM, 2, 1)
    params = [*net.parameters(), *seg_head.parameters(), *off_head.parameters()]
    opt = torch.optim.Adam(params, lr=2e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, iters)
    names, labels = np.unique(data["label"], return_inverse=True)
    by_label = [np.flatnonzero(labels == k) for k in range(len(names))]
    weights = torch.ones(len(SEG_CLASSES))
    weights[0] = 0.2
    t0 = time.perf_counter()
    for it in range(iters):
        chosen = rng.choice(len(names), 8, replace=False)
        top = np.concatenate([rng.choice(by_label[k], 3) for k in chosen])
        side = rng.choice(len(labels), 8, replace=False)
        cells = np.concatenate([data["top_seg"][top], data["side_seg"][side]])
        images = tint_table(np.concatenate([data["top"][top], data["side"][side]]), cells, rng)
        x = jitter(to_tensor(images), rng)
        seg = torch.from_numpy(cells.astype(np.int64))
        off = torch.from_numpy(np.concatenate([data["top_off"][top],
                                               data["side_off"][side]]).astype(np.float32))
        dense, emb = net(x)
        seg_loss = F.cross_entropy(seg_head(dense), seg, weight=weights)
        pred_off = off_head(dense).permute(0, 2, 3, 1)
        on = ~torch.isnan(off[..., 0])
        off_loss = F.smooth_l1_loss(pred_off[on], off[on])
        trip = triplet_loss(emb[:len(top)], torch.from_numpy(labels[top]), 0.3)
        loss = seg_loss + off_loss + trip
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if it % 50 == 0 or it == iters - 1:
            line = (f"iter {it:4d}  seg {seg_loss.item():.3f}  offset {off_loss.item():.3f}  "
                    f"triplet {trip.item():.3f}  {time.perf_counter() - t0:6.1f} s")
            log.append(line)
            print(line, flush=True)
    return net


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--variant-seeds", type=int, default=15)
    parser.add_argument("--iters", type=int, default=400)
    parser.add_argument("--jobs", type=int, default=2, help="rendering processes")
    parser.add_argument("--threads", type=int, default=2, help="torch threads of the fit")
    parser.add_argument("--holdout", nargs="*", default=["cook_pasta"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=WEIGHTS)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    tasks = [t.name for t in FRANKA_TASKS if t.name not in args.holdout]
    t0 = time.perf_counter()
    parts = [collect(tasks, range(1000, 1000 + args.seeds), "task", args.jobs)]
    parts += [collect(tasks, range(2000, 2000 + args.variant_seeds), v, args.jobs)
              for v in ("instance", "context")]
    data = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    t_data = time.perf_counter() - t0
    log = [f"commit {current_commit()}; tasks: {', '.join(tasks)} "
           f"(held out: {', '.join(args.holdout) or 'none'})",
           f"variant task seeds 1000..{999 + args.seeds}, variants instance and context seeds "
           f"2000..{1999 + args.variant_seeds}: {len(data['label'])} decision states, "
           f"{len(np.unique(data['label']))} (object, skill) labels; "
           f"collected (or read from cache) in {t_data:.0f} s"]
    t1 = time.perf_counter()
    net = train(data, args.iters, args.seed, log)
    t_train = time.perf_counter() - t1
    CNNEncoder(net, args.out.stem).save(args.out)
    size = args.out.stat().st_size / 1e6
    log.append(f"training: {args.iters} iterations of 24 top + 8 side images in {t_train:.0f} s "
               f"({args.threads} torch threads); weights {size:.2f} MB")
    log.append(f"whole run: {time.perf_counter() - t0:.0f} s wall ({args.jobs} rendering "
               f"processes, {os.cpu_count()} cores)")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "learning_encoder_training.txt").write_text("\n".join(log) + "\n")
    print("\n".join(log[-2:]))


if __name__ == "__main__":
    main()
