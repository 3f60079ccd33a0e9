"""Robot learning in the loop: proposals the person only confirms, per-user models, replay."""

import json
import shutil

import numpy as np
import pytest

from noir.assist import ASSISTANT_FOLDER, Assistant, Example
from noir.config import LoopConfig
from noir.demo import run_session
from noir.replay import replay_session
from noir.session import read_events
from sim.tasks import TASKS
from skills.learning import PixelEncoder, load_encoder

CONFIG = LoopConfig(learning=True, ssvep_window=4.0)


@pytest.fixture(scope="module")
def taught(tmp_path_factory):
    """A user model taught by one successful session, and a second session that uses it."""
    root = tmp_path_factory.mktemp("learning")
    user = root / "user"
    first, _ = run_session("cube_in_tray", source="simulated", seed=0, config=CONFIG,
                           user=user, folder=root / "first")
    second, folder = run_session("cube_in_tray", source="simulated", seed=1, config=CONFIG,
                                 user=user, folder=root / "second")
    return first, second, folder, user


def test_a_learned_model_turns_decoding_into_confirmations(taught):
    first, second, _, _ = taught
    assert first["success"] and second["success"]
    assert first["proposals"]["intent"]["offered"] == 0  # nothing learned yet
    # both steps (pick the cube, place it on the tray) were proposed and confirmed
    assert second["proposals"]["intent"] == {"offered": 2, "accepted": 2, "wrongly_accepted": 0}
    assert second["n_stage_decisions"]["what"] == second["n_stage_decisions"]["how"] == 0
    assert set(second["human_time_by_stage_s"]) <= {"intent", "point", "where"}
    # the tray's point was proposed where it was chosen before; the cursor starts there
    assert second["proposals"]["point"]["offered"] == 1
    assert second["cursor_travel_px"] < first["cursor_travel_px"]
    assert second["human_time_s"] < first["human_time_s"] / 3


def test_the_user_model_persists_without_pickle(taught, tmp_path):
    _, _, folder, user = taught
    for name in ("intents.npz", "points.npz"):
        with np.load(user / name, allow_pickle=False) as data:  # raises if anything pickled
            assert data.files
    meta = json.loads((user / "assistant.json").read_text())
    assert {k: meta[k] for k in ("encoder", "mode")} == {"encoder": None, "mode": "retrieval"}
    # the tray is where the cube goes, not where it came from: two offsets, both far
    ((obj, skill, offsets),) = meta["put_back"]
    assert (obj, skill) == ("tray", "place") and len(offsets) == 2
    assert min(np.hypot(*o) for o in offsets) > 24
    model = Assistant.load(user)
    assert len(model.intents) == 4  # two sessions, two steps each
    with pytest.raises(FileNotFoundError, match="holds no user model"):
        Assistant.load(tmp_path)
    with pytest.raises(ValueError, match=r"threshold must be in \[0, 1\], got 1.5"):
        Assistant(threshold=1.5)


def test_a_session_with_proposals_replays_identically(taught, tmp_path):
    _, second, folder, _ = taught
    assert (folder / ASSISTANT_FOLDER / "assistant.json").is_file()
    summary, _, comparison = replay_session(folder, out=tmp_path)
    assert comparison["identical"]
    assert summary["proposals"] == second["proposals"]


def test_a_wrong_proposal_is_rejected_and_normal_decoding_follows(tmp_path):
    """A model that always proposes picking the lego: the person clenches every time."""
    task = TASKS["cube_in_tray"]()
    with task.make_world(0) as world:
        scene = world.render("top")
    model = Assistant(threshold=0.0)
    model.learn([Example(scene, "lego", "pick")])
    user = model.save(tmp_path / "user")
    summary, folder = run_session("cube_in_tray", source="simulated", seed=0, config=CONFIG,
                                  user=user, update_user=False, folder=tmp_path / "run")
    assert summary["success"]
    intent = summary["proposals"]["intent"]
    assert intent["offered"] >= 2 and intent["accepted"] == 0
    rejected = [e for e in read_events(folder) if e["event"] == "confirm"
                and e["stage"] == "intent"]
    assert all(e["clench"] and e["proposal"] == "pick(lego)" for e in rejected)
    assert summary["n_stage_decisions"]["what"] >= 2
    assert len(Assistant.load(user).intents) == 1  # update_user=False kept it as it was


def test_planning_mode_proposes_the_next_step_of_one_demonstration(tmp_path):
    """NOIR 2.0: one demonstration session is enough to propose every later step."""
    config = LoopConfig(learning=True, intent_model="planning", ssvep_window=4.0)
    user = tmp_path / "user"
    run_session("cube_in_tray", source="simulated", seed=0, config=config, user=user,
                folder=tmp_path / "demo")
    summary, _ = run_session("cube_in_tray", source="simulated", seed=2, config=config,
                             user=user, folder=tmp_path / "run")
    assert summary["success"]
    assert summary["proposals"]["intent"]["accepted"] == 2
    assert summary["proposals"]["intent"]["wrongly_accepted"] == 0
    with pytest.raises(ValueError, match="built in 'planning' mode, not 'retrieval'"):
        Assistant.open(user, 0.5, "retrieval")


def test_a_put_back_point_follows_where_the_held_object_was_picked_up(tmp_path):
    with TASKS["cook_pasta"].make_world(0) as world:
        scene = world.render("top")
    model = Assistant()
    model.learn([Example(scene, "ladle", "place", (100.0, 50.0), held_from_px=(104.0, 47.0)),
                 Example(scene, "pot", "place", (300.0, 200.0), held_from_px=(100.0, 50.0))])
    put_back = model.predict_point("ladle", "place", scene, held_from_px=(200.0, 150.0))
    # the pick-up spot itself: the 5-px offset of the earlier choice is pointing error
    assert put_back.top_px == pytest.approx((200.0, 150.0)) and put_back.similarity == 1.0
    # chosen far from where the held object came from: matched in the image instead
    matched = model.predict_point("pot", "place", scene, held_from_px=(200.0, 150.0))
    assert np.linalg.norm(np.subtract(matched.top_px, (300.0, 200.0))) < 4.0
    assert model.predict_point("ladle", "place", scene).top_px != put_back.top_px
    again = Assistant.load(model.save(tmp_path / "user"))
    assert again.predict_point("ladle", "place", scene, (200.0, 150.0)) == put_back


def test_each_repetition_of_a_pair_in_a_task_has_its_own_point():
    with TASKS["tic_tac_toe"].make_world(0) as world:
        scene = world.render("top")
    model = Assistant()
    cells = [(150.0, 120.0), (170.0, 120.0)]
    model.learn([Example(scene, "x_piece_1", "pick"), Example(scene, "board", "place", cells[0]),
                 Example(scene, "x_piece_2", "pick"), Example(scene, "board", "place", cells[1])])
    for before, cell in enumerate(cells):
        predicted = model.predict_point("board", "place", scene, occurrence=before)
        assert np.linalg.norm(np.subtract(predicted.top_px, cell)) < 4.0
    assert model.predict_point("board", "place", scene, occurrence=2) is None

def test_a_stance_point_on_the_floor_follows_the_object(tmp_path):
    with TASKS["pet_dog"].make_world(0) as world:
        scene = world.render("top")
    model = Assistant()
    model.learn([Example(scene, "dog", "move_to", (120.0, 80.0), object_px=(100.0, 90.0)),
                 Example(scene, "dog", "pet", None, object_px=(100.0, 90.0))])
    stance = model.predict_point("dog", "move_to", scene, object_px=(200.0, 150.0))
    assert stance.top_px == pytest.approx((220.0, 140.0)) and stance.similarity == 1.0
    # without the object's position: the image match of the earlier choice
    assert model.predict_point("dog", "move_to", scene).top_px != stance.top_px
    again = Assistant.load(model.save(tmp_path / "user"))
    assert again.predict_point("dog", "move_to", scene, object_px=(200.0, 150.0)) == stance
    # a point on an object's surface (not a fixed plane) keeps the image match
    model.learn([Example(scene, "bin", "drop_into", (300.0, 60.0), object_px=(290.0, 70.0))])
    assert model.relative.keys() == {("dog", "move_to")}


def test_the_record_names_its_encoder_by_registered_name_or_a_file_in_the_folder(tmp_path):
    with TASKS["cube_in_tray"].make_world(0) as world:
        scene = world.render("top")
    example = [Example(scene, "cube", "pick")]
    # a registered name is recorded as such
    pixels = Assistant("pixels")
    pixels.learn(example)
    meta = json.loads((pixels.save(tmp_path / "pixels") / "assistant.json").read_text())
    assert meta["encoder"] == "pixels"
    assert Assistant.load(tmp_path / "pixels").intents.encoder.name == "pixels"
    # weights of your own are copied into the folder and recorded by plain file name, so the
    # folder loads wherever it is moved
    load_encoder().save(tmp_path / "weights" / "mine.npz")
    mine = Assistant(tmp_path / "weights" / "mine.npz")
    mine.learn(example)
    mine.save(tmp_path / "user")
    assert json.loads((tmp_path / "user" / "assistant.json").read_text())["encoder"] \
        == "mine.npz"
    shutil.rmtree(tmp_path / "weights")
    (tmp_path / "user").rename(tmp_path / "moved")
    again = Assistant.load(tmp_path / "moved")
    assert again.intents.encoder.name == "cnn:mine"
    assert again.propose(scene, lambda o, s: True, [])[1] == mine.propose(
        scene, lambda o, s: True, [])[1]
    # an encoder object of your own is recorded by its name and passed in again from Python
    custom = Assistant(MyPixels())
    custom.learn(example)
    custom.save(tmp_path / "custom")
    with pytest.raises(ValueError, match=r"assistant.json: encoder 'my-pixels' is neither a "
                                         r"registered name \['default', 'pixels'\] nor"):
        Assistant.load(tmp_path / "custom")
    assert len(Assistant.load(tmp_path / "custom", encoder=MyPixels).intents) == 1


class MyPixels(PixelEncoder):
    """An encoder of the user's own (not registered)."""

    name = "my-pixels"
