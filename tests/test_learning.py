"""Intent learning: retrieval of (object, skill), one-shot points, encoders, persistence."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sim.learning_data import SEG_CLASSES, collect_states
from skills.learning import (
    CNNEncoder,
    IntentMemory,
    PixelEncoder,
    PointMemory,
    Proposal,
    encoder_from_option,
    load_encoder,
    point_from_views,
)
from skills.learning.dataset import load_states, previous_steps, save_states
from skills.learning.encoder import WEIGHTS
from skills.learning.memory import save_npz


@pytest.fixture(scope="module")
def encoder() -> CNNEncoder:
    return load_encoder()


@pytest.fixture(scope="module")
def demos():
    """CookPasta (never seen by the bundled encoder): 3 demonstration episodes, 8 states each."""
    return collect_states("cook_pasta", range(3), "position")


@pytest.fixture(scope="module")
def tests():
    """A new CookPasta episode."""
    return collect_states("cook_pasta", [901], "position")


@pytest.fixture(scope="module")
def memory(encoder, demos) -> IntentMemory:
    memory = IntentMemory(encoder)
    memory.add_many(np.stack([s.top for s in demos]), [s.object for s in demos],
                    [s.skill for s in demos], previous_steps(demos))
    memory.fit_head()
    return memory


def test_bundled_encoder_shapes_and_norms(encoder, tests):
    tops = np.stack([s.top for s in tests[:2]])
    emb, dense = encoder.embed(tops), encoder.dense(tops)
    assert emb.dtype == np.float32 and emb.shape[0] == 2
    np.testing.assert_allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-5)
    assert dense.dtype == np.float32 and dense.shape[:3] == (2, 60, 90)
    assert WEIGHTS.stat().st_size < 5e6


def test_retrieval_finds_the_next_step_on_new_scenes(memory, tests):
    """CookPasta's 8 steps on a new layout, from 3 demonstrations. Its three picks (teapot,
    pasta, ladle) start from scenes that differ only in what lies in the pot: from the image
    alone 4 of the 8 steps are ranked first (chance, 1 in 8, would give 1) and 7 among the
    first three; with the step before, 7 of 8 are right (the pasta's pick, after the teapot
    is put back, is still taken for the ladle's: water in the pot came before the ladle's
    pick in every demonstration, and the image outweighs the step before)."""
    truth = [(s.object, s.skill) for s in tests]
    image_only = [memory.propose(s.top) for s in tests]
    with_history = [memory.propose(s.top, p)[0]
                    for s, p in zip(tests, previous_steps(tests), strict=True)]
    ranked = [[(q.object, q.skill) for q in p] for p in image_only]
    assert sum(r[0] == t for r, t in zip(ranked, truth, strict=True)) >= 4
    assert sum(t in r[:3] for r, t in zip(ranked, truth, strict=True)) >= 7
    assert sum((p.object, p.skill) == t for p, t in zip(with_history, truth, strict=True)) >= 7
    proposals = image_only[0]
    assert len(proposals) == 8 == len({(p.object, p.skill) for p in proposals})
    assert all(0.0 <= p.confidence <= 1.0 for p in proposals)
    assert sum(p.confidence for p in proposals) == pytest.approx(1.0)
    assert [p.confidence for p in proposals] == sorted((p.confidence for p in proposals),
                                                       reverse=True)


def test_confidence_is_calibrated_on_the_scores_proposals_use(encoder, demos):
    """Scenes that say nothing of the step (each state's image drawn at random), told apart
    only by the step before: the temperature is fitted on the scores ``propose`` gives
    (previous step included), so the right next step is proposed with confidence; fitted on
    image similarity alone (as it was), proposals came out flat, below the assistant's 0.5
    threshold."""
    plan = [("pasta", "pick"), ("pot", "place"), ("ladle", "stir")]
    previous = [("", ""), *plan[:-1]]
    rng = np.random.default_rng(0)
    memory = IntentMemory(encoder)
    for _ in range(4):
        memory.add_many(np.stack([demos[k].top for k in rng.choice(len(demos), 3)]),
                        [o for o, _ in plan], [k for _, k in plan], previous)
    memory.fit_head()
    for step, before in zip(plan, previous, strict=True):
        best = memory.propose(demos[-1].top, before)[0]
        assert (best.object, best.skill) == step and best.confidence > 0.5


def test_empty_memory_proposes_nothing(encoder, tests):
    assert IntentMemory(encoder).propose(tests[0].top) == []


def test_single_state_per_label_uses_the_encoder_alone(encoder, demos):
    memory = IntentMemory(encoder)
    for s in demos[:2]:
        memory.add(s.top, s.object, s.skill)
    best = memory.propose(demos[0].top)[0]
    assert memory.head is None
    assert isinstance(best, Proposal) and (best.object, best.skill) == ("teapot", "pick")


def test_intent_memory_round_trip_without_pickle(memory, tests, tmp_path):
    path = tmp_path / "intent.npz"
    memory.save(path)
    with np.load(path, allow_pickle=False) as data:
        assert "embeddings" in data.files
    loaded = IntentMemory.load(path, memory.encoder)
    assert len(loaded) == len(memory)
    assert loaded.propose(tests[0].top) == memory.propose(tests[0].top)
    with pytest.raises(ValueError, match="built with encoder"):
        IntentMemory.load(path, PixelEncoder())


@pytest.fixture(scope="module")
def sukiyaki_states():
    """Sukiyaki (added after the bundled encoder was trained: never seen by it): 3
    demonstration episodes and a new one."""
    return collect_states("sukiyaki", range(3), "position"), collect_states(
        "sukiyaki", [901], "position")


def test_point_prediction_lands_in_the_pan(encoder, sukiyaki_states):
    """One earlier choice of the beef's corner of the pan (the first place into it) predicts
    it in a new layout. (On CookPasta, whose pasta now goes in beside the water's heap, 2 of 3
    single choices match a patch of table instead: a known miss, measured in Table 4.)"""
    demos, tests = sukiyaki_states
    target = next(s for s in tests if (s.object, s.skill) == ("sukiyaki_pan", "place"))
    pan = target.top_seg == SEG_CLASSES.index("sukiyaki_pan")
    top_errors, side_errors = [], []
    for seed in range(3):
        first = next(s for s in demos
                     if s.seed == seed and (s.object, s.skill) == ("sukiyaki_pan", "place"))
        points = PointMemory(encoder)
        points.add("sukiyaki_pan", "place", first.top, first.top_px, first.side, first.side_px)
        pred = points.predict("sukiyaki_pan", "place", target.top, target.side)
        u, v = np.round(pred.top_px).astype(int)
        assert pan[v, u]
        top_errors.append(np.linalg.norm(np.array(pred.top_px) - target.top_px))
        side_errors.append(np.linalg.norm(np.array(pred.side_px) - target.side_px))
    assert np.median(top_errors) < 12.0 and np.median(side_errors) < 40.0
    assert points.predict("sukiyaki_pan", "stir", target.top) is None


def test_several_choices_predict_the_median_of_their_matches(encoder, demos, tests):
    target = next(s for s in tests if (s.object, s.skill) == ("pot", "place"))
    firsts = [s for s in demos if (s.object, s.skill) == ("pot", "place")]
    points = PointMemory(encoder, keep=2)
    singles = []
    for first in firsts:
        points.add("pot", "place", first.top, first.top_px)
        one = PointMemory(encoder)
        one.add("pot", "place", first.top, first.top_px)
        singles.append(one.predict("pot", "place", target.top).top_px)
    assert len(firsts) == 3 and len(points.entries[("pot", "place", 0)]) == 2  # oldest forgotten
    pred = points.predict("pot", "place", target.top)
    np.testing.assert_allclose(pred.top_px, np.median(singles[1:], axis=0))
    with pytest.raises(ValueError, match="keep must be >= 1, got 0"):
        PointMemory(encoder, keep=0)


def test_point_memory_round_trip(encoder, demos, tmp_path):
    points = PointMemory(encoder)
    s = next(s for s in demos if s.top_px is not None)
    points.add(s.object, s.skill, s.top, s.top_px)
    points.save(tmp_path / "points.npz")
    loaded = PointMemory.load(tmp_path / "points.npz", encoder)
    assert loaded.predict(s.object, s.skill, s.top) == points.predict(s.object, s.skill, s.top)


def test_repeated_choices_are_kept_apart_by_occurrence(encoder, demos, tmp_path):
    # the same (object, skill) done twice in a task at two spots: each repetition is
    # predicted from its own earlier choice, not from the median of both
    s = next(s for s in demos if (s.object, s.skill) == ("pot", "place"))
    other = (s.top_px[0] + 60.0, s.top_px[1] + 30.0)
    points = PointMemory(encoder)
    points.add(s.object, s.skill, s.top, s.top_px, occurrence=0)
    points.add(s.object, s.skill, s.top, other, occurrence=1)
    first = points.predict(s.object, s.skill, s.top, occurrence=0)
    second = points.predict(s.object, s.skill, s.top, occurrence=1)
    assert np.linalg.norm(np.subtract(first.top_px, s.top_px)) < 4.0
    assert np.linalg.norm(np.subtract(second.top_px, other)) < 4.0
    assert points.predict(s.object, s.skill, s.top, occurrence=2) is None
    points.save(tmp_path / "points.npz")
    loaded = PointMemory.load(tmp_path / "points.npz", encoder)
    assert loaded.predict(s.object, s.skill, s.top, occurrence=1) == second
    # a memory saved before occurrences were kept (4 fields per entry) loads as occurrence 0
    with np.load(tmp_path / "points.npz", allow_pickle=False) as data:
        meta = json.loads(str(data["meta"]))
        arrays = {k: data[k] for k in data.files if k != "meta"}
    meta["entries"] = [row[:4] for row in meta["entries"]]
    save_npz(tmp_path / "old.npz", meta, arrays)
    old = PointMemory.load(tmp_path / "old.npz", encoder)
    assert sorted(old.entries) == [(s.object, s.skill, 0)]


def test_point_from_views_recovers_the_height():
    from sim.tasks import TASKS

    with TASKS["cook_pasta"].make_world(3) as world:
        xyz = world.object_top("pot")
        top_px, side_px = world.world_to_pixel(xyz, "top"), world.world_to_pixel(xyz, "side")
        np.testing.assert_allclose(point_from_views(world, top_px, side_px), xyz, atol=0.003)
        surface = point_from_views(world, top_px)
        assert surface[2] < xyz[2]  # no side view: the pot's floor seen from above


def test_bad_images_are_refused(encoder, memory):
    with pytest.raises(ValueError, match="uint8"):
        memory.propose(np.zeros((240, 360, 3), np.float32))
    with pytest.raises(ValueError, match=r"\(240, 360, 3\)"):
        memory.add(np.zeros((120, 180, 3), np.uint8), "pot", "stir")
    with pytest.raises(ValueError, match="shape"):
        encoder.embed(np.zeros((240, 360, 3), np.uint8))


def test_encoder_specs(tmp_path):
    assert load_encoder().name == load_encoder("default").name == "cnn:encoder"
    assert isinstance(load_encoder("pixels"), PixelEncoder)
    assert isinstance(load_encoder(PixelEncoder), PixelEncoder)  # a factory, from Python
    pixels = PixelEncoder()
    assert load_encoder(pixels) is pixels
    # text names registered encoders or .npz files only: an import path is not imported
    for text in ("skills.learning.encoder:PixelEncoder", "os:abort", "not an encoder"):
        with pytest.raises(ValueError, match=rf"unknown encoder '{text}': expected a "
                                             r"registered name \['default', 'pixels'\]"):
            load_encoder(text)
    with pytest.raises(TypeError, match="Encoder attributes"):
        load_encoder(dict)
    with pytest.raises(FileNotFoundError, match="encoder weights"):
        load_encoder(tmp_path / "missing.npz")
    copy = tmp_path / "mine.npz"
    load_encoder().save(copy)
    mine = load_encoder(copy)
    assert mine.name == "cnn:mine"
    with np.load(copy, allow_pickle=False) as data:
        assert len(data.files) > 0


def test_typed_encoder_option_imports_factories():
    # a command-line option a person types may name "module:factory"
    assert isinstance(encoder_from_option("skills.learning.encoder:PixelEncoder"),
                      PixelEncoder)
    assert encoder_from_option(None).name == "cnn:encoder"
    with pytest.raises(ValueError, match="'module:factory'"):
        encoder_from_option("not an encoder")
    with pytest.raises(ValueError, match="cannot import"):
        encoder_from_option("skills.learning.encoder:NoSuchThing")
    with pytest.raises(TypeError, match="Encoder attributes"):
        encoder_from_option("collections:OrderedDict")


@pytest.mark.parametrize("damage, message", [
    (lambda npz, arch: arch.write_text("{"), r"mine.json is not an encoder architecture"),
    (lambda npz, arch: arch.write_bytes(b"\xff\xfe"), r"mine.json is not an encoder arch"),
    (lambda npz, arch: arch.write_text('{"widths": ' + "9" * 5000 + "}"),
     r"mine.json is not an encoder arch"),  # beyond Python's int-conversion limit
    (lambda npz, arch: arch.write_text('{"widths": [24, 48], "dense_dim": 32}'),
     r"mine.json must hold .*got \{'widths'"),
    (lambda npz, arch: arch.write_text('{"widths": [100000000, 1], "dense_dim": 1, '
                                       '"embed_dim": 1}'), r"integers from 1 to 1024"),
    (lambda npz, arch: arch.write_text('{"widths": [8, 8], "dense_dim": 8, "embed_dim": 8}'),
     r"mine.npz does not hold the finite float32 weights of the architecture in mine.json"),
    (lambda npz, arch: npz.write_bytes(npz.read_bytes()[:1000]), r"mine.npz is not an encoder"),
    (lambda npz, arch: npz.write_bytes(b"garbage" * 100), r"mine.npz is not an encoder"),
    (lambda npz, arch: np.savez(npz, **{k: np.full_like(v, np.nan) for k, v in
                                        np.load(npz).items()}), r"finite float32 weights"),
])
def test_damaged_encoder_weights_name_the_file(tmp_path, damage, message):
    weights = tmp_path / "mine.npz"
    load_encoder().save(weights)
    damage(weights, weights.with_suffix(".json"))
    with pytest.raises(ValueError, match=message):
        load_encoder(weights)


def test_states_round_trip(demos, tmp_path):
    save_states(tmp_path / "states.npz", demos[:5])
    loaded = load_states(tmp_path / "states.npz")
    assert [(s.object, s.skill, s.step) for s in loaded] == \
        [(s.object, s.skill, s.step) for s in demos[:5]]
    np.testing.assert_array_equal(loaded[1].top, demos[1].top)
    assert loaded[0].top_px is None and np.allclose(loaded[2].xyz, demos[2].xyz)
