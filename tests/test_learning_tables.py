"""experiments/learning_tables.py: paired bootstrap intervals, perceived put-back anchors, and
tables that lead with the like-for-like comparison."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from sim.world import World

ROOT = Path(__file__).resolve().parents[1]
POSE_QUERIES = ("object_position", "object_pose", "object_top", "object_yaw", "object_aabb",
                "object_velocity", "object_state", "body_id")
"""``World`` methods that read where the simulator has an object."""


@pytest.fixture(scope="module")
def lt():
    spec = importlib.util.spec_from_file_location(
        "learning_tables", ROOT / "experiments" / "learning_tables.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["learning_tables"] = module
    spec.loader.exec_module(module)
    yield module
    sys.modules.pop("learning_tables", None)


def test_bootstrap_interval_covers_the_mean_with_the_binomial_width(lt):
    rng = np.random.default_rng(1)
    hits = (rng.random(600) < 0.7).astype(float)
    boot = lt.bootstrap([0] * 600, range(600), hits[:, None])
    lo, hi = lt.ci(boot[:, 0])
    assert lo < hits.mean() < hi
    half = 1.96 * np.sqrt(0.7 * 0.3 / 600)
    assert (hi - lo) / 2 == pytest.approx(half, rel=0.15)


def test_bootstrap_resamples_episodes_not_rows(lt):
    """Ten identical rows per episode carry one episode's information: the interval is that of
    60 episodes, not of 600 rows."""
    rng = np.random.default_rng(2)
    per_episode = rng.normal(0.0, 1.0, 60)
    rows = np.repeat(per_episode, 10)[:, None]
    lo, hi = lt.ci(lt.bootstrap([0] * 600, np.repeat(np.arange(60), 10), rows)[:, 0])
    naive_lo, naive_hi = lt.ci(lt.bootstrap([0] * 600, range(600), rows)[:, 0])
    assert (hi - lo) == pytest.approx(2 * 1.96 * per_episode.std() / np.sqrt(60), rel=0.2)
    assert (hi - lo) > 2.5 * (naive_hi - naive_lo)


def test_bootstrap_pairs_the_columns(lt):
    """Two methods with a large shared per-query error and a small difference: the paired
    difference's interval is narrow and excludes zero although each mean's is wide."""
    rng = np.random.default_rng(3)
    shared = rng.normal(50, 30, 400)
    cols = np.stack([shared, shared + 2 + rng.normal(0, 1, 400)], axis=1)
    boot = lt.bootstrap([0] * 400, range(400), cols)
    lo, hi = lt.ci(boot[:, 1] - boot[:, 0])
    assert 1.5 < lo < 2 < hi < 2.5
    each_lo, each_hi = lt.ci(boot[:, 0])
    assert each_hi - each_lo > 5 * (hi - lo)
    same = lt.bootstrap([0] * 400, range(400), np.stack([shared, shared], axis=1))
    assert np.array_equal(same[:, 0], same[:, 1])


def test_bootstrap_varies_the_repeats_too(lt):
    """Repeats (memories) that differ widen the interval beyond the episodes' spread."""
    repeats = np.repeat([0, 1, 2, 3], 100)
    episodes = np.tile(np.arange(100), 4)
    values = np.where(repeats % 2 == 0, 0.6, 0.9) + 0.0 * episodes
    lo, hi = lt.ci(lt.bootstrap(repeats, episodes, values[:, None])[:, 0])
    assert lo <= 0.7 and hi >= 0.8  # the episodes alone would give a zero-width interval


def test_bootstrap_refuses_mismatched_input(lt):
    with pytest.raises(ValueError, match="bootstrap needs"):
        lt.bootstrap([0, 0], [1, 2, 3], np.zeros((3, 1)))
    with pytest.raises(ValueError, match="bootstrap needs"):
        lt.bootstrap([], [], np.zeros((0, 2)))


def _rows(lt):
    """Table 4 rows of two tasks with known errors: ours 10 px, pixel similarity 30 px, the
    put-back heuristic 2 px (free table) or ours' error (on objects)."""
    rows = []
    for task in ("a", "b"):
        for variant in lt.GENERALIZATION:
            for seed in range(3):
                for step, on_object in ((1, True), (2, False)):
                    for method, error in ((lt.RANDOM_PX, 100.0), (lt.ON_OBJECTS, 50.0),
                                          (lt.PIXEL_SIMILARITY, 30.0), (lt.OURS, 10.0 + seed),
                                          (lt.PUT_BACK, 10.0 + seed if on_object else 2.0)):
                        rows.append({"task": task, "variant": variant, "repeat": 0,
                                     "seed": seed, "step": step, "on_object": on_object,
                                     "method": method, "put_back_used": not on_object,
                                     "error_px": error, "xyz_error_m": 0.05, "z_error_m": 0.01})
    return rows


def test_table4_leads_with_image_only_methods_and_labels_the_heuristic(lt):
    lines = lt.table4_lines(_rows(lt), 1, 3)
    text = "\n".join(lines)
    like = next(i for i, line in enumerate(lines) if line.startswith("Like for like"))
    heuristic = next(i for i, line in enumerate(lines) if line.startswith("Heuristic"))
    assert like == 1 < heuristic
    assert lt.PUT_BACK not in "\n".join(lines[:heuristic])
    position = lines[like + 3].split()
    assert position[:3] == ["position", "12", "11.0"]  # n and ours' mean error
    assert "30.0 [30.0, 30.0]" in lines[like + 3]  # pixel similarity, the same every query
    assert "2.73 [" in lines[like + 3]  # ratio 30 / 11
    assert "position, points on the free table: 2.0 [2.0, 2.0] px" in text


def test_perceived_anchor_is_where_the_camera_saw_the_tool_before_the_pick(
        lt, tmp_path, monkeypatch):
    """WipeSpill's reference plan puts the sponge back where it was: the perceived pick-up
    pixel is within 3 px of that (true) point; nothing is held before a pick; no pose is read
    while the interface looks; the cache gives the same back."""
    monkeypatch.setattr(lt, "CACHE", tmp_path)
    looking, during, outside = [False], [], []
    look = lt.look_before

    def watched(*args):
        looking[0] = True
        try:
            look(*args)
        finally:
            looking[0] = False

    monkeypatch.setattr(lt, "look_before", watched)
    for query in POSE_QUERIES:
        original = getattr(World, query)

        def spy(self, *args, _original=original, _query=query, **kwargs):
            (during if looking[0] else outside).append(_query)
            return _original(self, *args, **kwargs)
        monkeypatch.setattr(World, query, spy)

    states, held = lt.perceived("wipe_spill", [600], "position")
    assert during == []
    assert outside, "the spy saw no pose query at all"  # the plan and the skills do
    assert [s.skill for s in states] == ["pick", "place", "pick", "wipe", "place"]
    assert set(held) == {(600, 1), (600, 3), (600, 4)}  # the bowl, then the sponge in hand
    assert np.linalg.norm(np.subtract(held[(600, 4)], states[4].top_px)) < 3.0
    again, held_again = lt.perceived("wipe_spill", [600], "position")
    assert held_again == held and np.array_equal(again[2].top, states[2].top)


def test_a_damaged_anchor_file_is_refused_with_its_name(lt, tmp_path):
    file = tmp_path / "x.held.json"
    for content in ("[null, [1, 2]", json.dumps([None, [1, "2"], None]), json.dumps([None]),
                    json.dumps([None, [1, float("nan")], None])):
        file.write_text(content)
        with pytest.raises(ValueError, match="x.held.json"):
            lt._read_held(file, 3)
    file.write_text(json.dumps([None, [1, 2.5], None]))
    assert lt._read_held(file, 3) == [None, (1.0, 2.5), None]
