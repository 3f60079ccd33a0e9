"""NOIR's Tables 3 and 4 on our tasks: few-shot (object, skill) retrieval, one-shot points.

Usage: ``python experiments/learning_tables.py [--repeats 5] [--jobs 2]``; writes
``experiments/results/learning_table3.{txt,csv}`` and ``learning_table4.{txt,csv}``.
Decision states come from ``sim.learning_data.collect_states`` (cached per episode in
``experiments/cache/states``). The default encoder never saw CookPasta (``train_encoder.py``
holds it out) and was trained on seeds >= 1000; every seed here is below 1000.

Table 3 (CookPasta, 5 (object, skill) pairs): ``--repeats`` memories of 15 demonstration
episodes each (15 states per pair, variant ``"position"``, disjoint seeds), each tested on the
same 30 new episodes per variant (``"position"``, ``"pose"``, ``"instance"``, ``"context"``).
Methods: random pair; a classifier (the same frozen encoder + the same MLP size with a softmax
head, cross-entropy); ours (``IntentMemory``); ours on raw pixels (``PixelEncoder``); ours with
the previous step as context (``propose(top, previous)``: the interface knows it). Then the
pooled suite: every Franka task's pairs in one memory (15 demos per task, variant ``"task"``,
the tasks' own randomization), 8 new episodes per task. Also: accuracy above confidence
thresholds, and ms per proposal. One torch thread throughout.

Table 4 (all Franka tasks, every step that takes a point): per repeat, one demonstration
episode (``"position"``) gives the earlier choice of each (object, skill); 8 new episodes per
variant are predicted. Error = distance in top-image pixels to the true point. Methods:
random pixel; a random pixel on an object; pixel similarity (3 x 3 RGB patch cosine); ours
(3 x 3 dense-feature patch cosine); rows split by whether the true point lies on an object
(e.g. a container to place into) or on the free table (a spot to put a tool back, which no
image cue marks). Ours also gets the 3-D point from the side view (``point_from_views``).
"Ours + put-back" is what the interface's assistant predicts (``noir.assist``): where the
earlier choice lay within ``PUT_BACK_PX`` of the spot the held object was picked up from, the
new pick-up spot plus that offset; otherwise ours.
"""

from __future__ import annotations

import argparse
import csv
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from noir.assist import put_back_point
from sim.learning_data import SEG_CLASSES, collect_states
from sim.tasks import TASKS
from sim.tasks.franka import FRANKA_TASKS
from skills.learning import (
    IntentMemory,
    PixelEncoder,
    PointMemory,
    encoder_from_option,
    point_from_views,
)
from skills.learning.dataset import DecisionState, previous_steps

RESULTS = Path(__file__).parent / "results"
CACHE = Path(__file__).parent / "cache" / "states"
PASTA = "cook_pasta"
DEMOS = 15
"""Demonstration episodes per memory (Table 3)."""
PASTA_TESTS = range(500, 530)
SUITE_TESTS = range(500, 508)
TABLE4_TESTS = range(600, 608)
GENERALIZATION = ("position", "pose", "instance", "context")
OBJECT_CLASS = SEG_CLASSES.index("distractor")
"""Segmentation classes from this index on are objects (distractors included)."""


def states(task: str, seeds: range, variant: str) -> list[DecisionState]:
    """Cached decision states."""
    return collect_states(task, seeds, variant, cache=CACHE)


def _fill(job: tuple[str, int, str]) -> None:
    states(job[0], range(job[1], job[1] + 1), job[2])


def prefetch(repeats: int, jobs: int) -> None:
    """Run every episode the tables need (in ``jobs`` processes) into the cache."""
    franka = [t.name for t in FRANKA_TASKS]
    todo = [(PASTA, s, "position") for s in range(repeats * DEMOS)]
    todo += [(PASTA, s, v) for v in GENERALIZATION for s in PASTA_TESTS]
    todo += [(t, s, "task") for t in franka for s in [*range(DEMOS), *SUITE_TESTS]]
    todo += [(t, s, "position") for t in franka for s in range(repeats)]
    todo += [(t, s, v) for t in franka for v in GENERALIZATION for s in TABLE4_TESTS]
    todo = [j for j in dict.fromkeys(todo)
            if not (CACHE / f"{j[0]}-{j[2]}-{j[1]}.npz").exists()]
    with ProcessPoolExecutor(jobs) as pool:
        list(pool.map(_fill, todo))


def classifier(train_emb: np.ndarray, train_y: np.ndarray, n_classes: int, seed: int,
               hidden: int = 128, steps: int = 300) -> torch.nn.Module:
    """The frozen embeddings + an MLP with a softmax head, trained with cross-entropy."""
    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(train_emb.shape[1], hidden), torch.nn.ReLU(),
                              torch.nn.Linear(hidden, n_classes))
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    x, y = torch.from_numpy(train_emb), torch.from_numpy(train_y)
    for _ in range(steps):
        loss = F.cross_entropy(net(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return net


def retrieval(encoders: dict[str, object], demos: list[DecisionState],
              tests: dict[str, list[DecisionState]], seed: int
              ) -> tuple[dict[tuple[str, str], float], list[tuple[float, bool]]]:
    """Accuracy of each method on each test set; (confidence, correct) of ours (cnn)."""
    labels = sorted({(s.object, s.skill) for s in demos})
    rng = np.random.default_rng(seed)
    acc: dict[tuple[str, str], float] = {}
    confidences: list[tuple[float, bool]] = []
    cnn = encoders["cnn"]
    demo_emb = cnn.embed(np.stack([s.top for s in demos]))
    y = np.array([labels.index((s.object, s.skill)) for s in demos])
    clf = classifier(demo_emb, y, len(labels), seed)
    memories = {}
    for name, encoder in encoders.items():
        memory = IntentMemory(encoder, seed=seed)
        memory.add_many(np.stack([s.top for s in demos]), [s.object for s in demos],
                        [s.skill for s in demos], previous_steps(demos))
        memory.fit_head()
        memories[name] = memory
    for variant, test in tests.items():
        truth = [(s.object, s.skill) for s in test]
        acc[("random", variant)] = float(np.mean(
            [labels[k] == t for k, t in zip(rng.integers(len(labels), size=len(test)), truth,
                                            strict=True)]))
        with torch.no_grad():
            pred = clf(torch.from_numpy(cnn.embed(np.stack([s.top for s in test])))).argmax(1)
        acc[("classifier", variant)] = float(np.mean(
            [labels[k] == t for k, t in zip(pred.tolist(), truth, strict=True)]))
        for name, memory in memories.items():
            hits = []
            for s, t in zip(test, truth, strict=True):
                best = memory.propose(s.top)[0]
                hits.append((best.object, best.skill) == t)
                if name == "cnn":
                    confidences.append((best.confidence, hits[-1]))
            acc[(f"ours ({name})", variant)] = float(np.mean(hits))
        history = [memories["cnn"].propose(s.top, p)[0]
                   for s, p in zip(test, previous_steps(test), strict=True)]
        acc[("ours (cnn) + previous step", variant)] = float(np.mean(
            [(b.object, b.skill) == t for b, t in zip(history, truth, strict=True)]))
    return acc, confidences


def proposal_ms(memory: IntentMemory, top: np.ndarray) -> float:
    """Median wall time of ``memory.propose(top)``, in ms."""
    memory.propose(top)
    times = []
    for _ in range(30):
        t0 = time.perf_counter()
        memory.propose(top)
        times.append(time.perf_counter() - t0)
    return 1000 * float(np.median(times))


def table3(cnn: object, repeats: int) -> tuple[list[str], list[dict[str, object]]]:
    """Table 3 lines and csv rows."""
    encoders = {"cnn": cnn, "pixels": PixelEncoder()}
    tests = {v: states(PASTA, PASTA_TESTS, v) for v in GENERALIZATION}
    rows, confs = [], []
    results = defaultdict(list)
    for r in range(repeats):
        demos = states(PASTA, range(r * DEMOS, (r + 1) * DEMOS), "position")
        acc, conf = retrieval(encoders, demos, tests, seed=r)
        confs += conf
        for (method, variant), a in acc.items():
            results[(method, variant)].append(a)
            rows.append({"setting": PASTA, "method": method, "variant": variant, "repeat": r,
                         "accuracy": a, "n_test": len(tests[variant])})
    methods = ["random", "classifier", "ours (pixels)", "ours (cnn)",
               "ours (cnn) + previous step"]
    n_pairs = len({(s.object, s.skill) for s in tests["position"]})
    lines = [f"Table 3 analogue: CookPasta, {n_pairs} (object, skill) pairs, {DEMOS} demos per "
             f"pair, {repeats} memories x {len(PASTA_TESTS)} new episodes per variant "
             f"(accuracy of the top proposal, mean +- std over memories)",
             f"{'method':28s}" + "".join(f"{v:>16s}" for v in GENERALIZATION)]
    for m in methods:
        lines.append(f"{m:28s}" + "".join(
            f"{np.mean(results[(m, v)]):>10.3f}+-{np.std(results[(m, v)]):.2f}"
            for v in GENERALIZATION))
    c = np.array(confs, dtype=float)
    lines.append("ours (cnn), position + pose + instance + context: accuracy when the top "
                 "proposal's confidence >= threshold (share of states)")
    for th in (0.0, 0.5, 0.7, 0.9):
        keep = c[:, 0] >= th
        lines.append(f"  >= {th:.1f}: {c[keep, 1].mean():.3f} ({keep.mean():.2f})")

    franka = [t.name for t in FRANKA_TASKS]
    demos = [s for t in franka for s in states(t, range(DEMOS), "task")]
    suite = {"task": [s for t in franka for s in states(t, SUITE_TESTS, "task")]}
    acc, _ = retrieval({"cnn": cnn}, demos, suite, seed=0)
    n_pairs = len({(s.object, s.skill) for s in demos})
    lines.append(f"Pooled Franka suite: {len(franka)} tasks, {n_pairs} (object, skill) pairs in "
                 f"one memory of {len(demos)} states ({DEMOS} demos per task, the tasks' own "
                 f"randomization), {len(suite['task'])} test states; the encoder saw all tasks "
                 f"but CookPasta in training (other seeds)")
    for m in ("random", "classifier", "ours (cnn)", "ours (cnn) + previous step"):
        lines.append(f"  {m:28s} {acc[(m, 'task')]:.3f}")
        rows.append({"setting": "franka_suite", "method": m, "variant": "task", "repeat": 0,
                     "accuracy": acc[(m, "task")], "n_test": len(suite["task"])})
    small = IntentMemory(cnn)
    pasta = states(PASTA, range(DEMOS), "position")
    small.add_many(np.stack([s.top for s in pasta]), [s.object for s in pasta],
                   [s.skill for s in pasta])
    big = IntentMemory(cnn)
    big.add_many(np.stack([s.top for s in demos]), [s.object for s in demos],
                 [s.skill for s in demos])
    t0 = time.perf_counter()
    big.fit_head()
    fit_s = time.perf_counter() - t0
    top = tests["position"][0].top
    lines.append(f"ms per proposal (1 torch thread, median of 30): {proposal_ms(small, top):.1f} "
                 f"with {len(small)} states, {proposal_ms(big, top):.1f} with {len(big)}; "
                 f"fit_head on {len(big)} states: {fit_s:.1f} s")
    return lines, rows


def held_from(episode: list[DecisionState]) -> dict[tuple[int, int], tuple[float, float]]:
    """(seed, step) -> top-view pixel where the object in the hand was picked up (its mask's
    centroid in the state before the pick), for the states of ``episode`` taken while holding
    it."""
    origins, origin = {}, None
    for s in sorted(episode, key=lambda s: (s.seed, s.step)):
        if s.step == 0:
            origin = None
        if origin is not None:
            origins[(s.seed, s.step)] = origin
        if s.skill == "place":
            origin = None
        if s.skill in ("pick", "pick_side"):
            mask = np.argwhere(s.top_seg == SEG_CLASSES.index(s.object))
            origin = tuple(float(a) for a in mask.mean(axis=0)[::-1]) if len(mask) else None
    return origins


def table4(cnn: object, repeats: int) -> tuple[list[str], list[dict[str, object]]]:
    """Table 4 lines and csv rows."""
    encoders = {"pixel similarity": PixelEncoder(), "ours": cnn}
    geometry = TASKS[PASTA].make_world(0)
    rng = np.random.default_rng(0)
    rows = []
    for task in (t.name for t in FRANKA_TASKS):
        episodes = {v: states(task, TABLE4_TESTS, v) for v in GENERALIZATION}
        tests = {v: [s for s in ep if s.top_px is not None] for v, ep in episodes.items()}
        test_origins = {v: held_from(ep) for v, ep in episodes.items()}
        for r in range(repeats):
            memories = {m: PointMemory(e) for m, e in encoders.items()}
            demo = states(task, range(r, r + 1), "position")
            demo_origins = held_from(demo)
            offsets = {}
            for s in demo:
                if s.top_px is not None:
                    for memory in memories.values():
                        memory.add(s.object, s.skill, s.top, s.top_px, s.side, s.side_px)
                    origin = demo_origins.get((s.seed, s.step))
                    if origin is not None:
                        offsets[(s.object, s.skill)] = [tuple(np.subtract(s.top_px, origin))]
            for variant, test in tests.items():
                for s in test:
                    on_object = s.top_seg[tuple(np.round(s.top_px[::-1]).astype(int).clip(
                        0, [239, 359]))] >= OBJECT_CLASS
                    objects = np.argwhere(s.top_seg >= OBJECT_CLASS)[:, ::-1]
                    guesses = {"random": rng.uniform([0, 0], [359, 239]),
                               "sample on objects": objects[rng.integers(len(objects))]}
                    xyz_error = z_error = np.nan
                    for m, memory in memories.items():
                        pred = memory.predict(s.object, s.skill, s.top, s.side)
                        if pred is None:
                            break
                        guesses[m] = np.array(pred.top_px)
                        if m == "ours":
                            xyz = point_from_views(geometry, pred.top_px, pred.side_px)
                            xyz_error = float(np.linalg.norm(xyz - s.xyz))
                            z_error = float(abs(xyz[2] - s.xyz[2]))
                    else:
                        back = put_back_point(offsets.get((s.object, s.skill), []),
                                              test_origins[variant].get((s.seed, s.step)))
                        guesses["ours + put-back"] = guesses["ours"] if back is None \
                            else np.array(back)
                        for m, g in guesses.items():
                            rows.append({"task": task, "variant": variant, "repeat": r,
                                         "object": s.object, "skill": s.skill, "seed": s.seed,
                                         "step": s.step, "on_object": bool(on_object),
                                         "method": m,
                                         "error_px": float(np.linalg.norm(g - s.top_px)),
                                         "xyz_error_m": xyz_error if m == "ours" else np.nan,
                                         "z_error_m": z_error if m == "ours" else np.nan})
    geometry.close()
    methods = ["random", "sample on objects", "pixel similarity", "ours", "ours + put-back"]
    lines = [f"Table 4 analogue: one-shot point prediction, all {len(FRANKA_TASKS)} Franka tasks, "
             f"{repeats} earlier choices (episodes) x {len(TABLE4_TESTS)} new episodes per "
             f"variant; error in top-image pixels (240 x 360), mean +- std over predictions"]
    for where, keep in (("all points", lambda r: True),
                        ("points on objects", lambda r: r["on_object"]),
                        ("points on the free table", lambda r: not r["on_object"])):
        sel = [r for r in rows if keep(r)]
        n = len([r for r in sel if r["method"] == "ours"])
        lines.append(f"{where} ({n} predictions)")
        lines.append(f"  {'method':18s}" + "".join(f"{v:>16s}" for v in GENERALIZATION))
        for m in methods:
            cells = []
            for v in GENERALIZATION:
                e = [r["error_px"] for r in sel if r["method"] == m and r["variant"] == v]
                cells.append(f"{np.mean(e):>9.1f}+-{np.std(e):<5.1f}")
            lines.append(f"  {m:18s}" + "".join(cells))
    on = [r for r in rows if r["on_object"] and r["variant"] == "position"]
    ratio = (np.mean([r["error_px"] for r in on if r["method"] == "pixel similarity"])
             / np.mean([r["error_px"] for r in on if r["method"] == "ours"]))
    every = [r for r in rows if r["variant"] == "position"]
    ratio_all = (np.mean([r["error_px"] for r in every if r["method"] == "pixel similarity"])
                 / np.mean([r["error_px"] for r in every if r["method"] == "ours + put-back"]))
    ours = [r for r in rows if r["method"] == "ours" and r["on_object"]]
    xyz_mm = 1000 * np.median([r["xyz_error_m"] for r in ours])
    z_mm = 1000 * np.median([r["z_error_m"] for r in ours])
    lines += [f"points on objects, position: pixel similarity / ours error = {ratio:.1f}",
              f"all points, position: pixel similarity / ours + put-back error = "
              f"{ratio_all:.1f}",
              f"ours, points on objects, 3-D point from the top and side predictions "
              f"(point_from_views): median error {xyz_mm:.0f} mm, of the height {z_mm:.0f} mm "
              f"(top view: about 4.3 mm per pixel on the table)"]
    return lines, rows


def write(name: str, lines: list[str], rows: list[dict[str, object]]) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.txt").write_text("\n".join(lines) + "\n")
    with open(RESULTS / f"{name}.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    print("\n".join(lines), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--encoder", default=None,
                        help="registered name, .npz or module:factory (default: bundled)")
    parser.add_argument("--table4-only", action="store_true", help="skip Table 3")
    args = parser.parse_args()
    torch.set_num_threads(1)  # batch-1 inference: faster than 2 threads on a shared machine
    t0 = time.perf_counter()
    prefetch(args.repeats, args.jobs)
    print(f"episodes ready in {time.perf_counter() - t0:.0f} s", flush=True)
    cnn = encoder_from_option(args.encoder)
    if not args.table4_only:
        write("learning_table3", *table3(cnn, args.repeats))
    write("learning_table4", *table4(cnn, min(args.repeats, 3)))


if __name__ == "__main__":
    main()
