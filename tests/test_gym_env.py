"""``sim.gym_env.IntentEnv``: the Gymnasium contract, intents as actions, rewards and errors."""

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from sim.gym_env import IntentEnv, make_env, register_envs
from sim.tasks import TASKS
from skills import SKILLS, UnknownSkillError

TASK = "cube_in_tray"


@pytest.fixture(scope="module")
def env():
    """A state-only environment, shared (every test resets it)."""
    env = make_env(TASK, image=False)
    yield env
    env.close()


# The state holds positions in m with no bound (an object pushed off the table keeps falling),
# and the checker can only try other render modes on an env made by gymnasium.make.
@pytest.mark.filterwarnings("ignore:.*Box observation space m..imum value is -?infinity")
@pytest.mark.filterwarnings("ignore:.*Not able to test alternative render modes")
def test_passes_gymnasium_env_checker():
    env = make_env(TASK, render_mode="rgb_array")
    check_env(env.unwrapped, skip_render_check=False)
    frame = env.render()
    assert frame.shape == (240, 360, 3) and frame.dtype == np.uint8 and frame.std() > 0
    env.close()
    assert env.world is None


def test_spaces_follow_the_task_and_the_skills(env):
    n_objects = len(env.object_names)
    assert env.action_space["object"].n == n_objects
    assert env.skill_names == list(SKILLS) and env.action_space["skill"].n == len(SKILLS)
    most = max(sum(p.kind == "float" for p in s.params) for s in SKILLS.values())
    assert env.action_space["params"].shape == (most,)
    assert env.observation_space["state"].shape == (5 * n_objects + 3 + 1,)
    assert "image" not in env.observation_space.spaces
    assert env.predicate_names == ["inside(cube, tray)"]
    assert env.max_steps == 4 * 2


def test_reference_plan_as_actions_succeeds(env):
    obs, info = env.reset(seed=0)
    assert info["world_seed"] == 0 and not info["success"]
    cube = env.object_names.index("cube")
    plan = env.task.reference_plan(env.world)
    rewards = []
    for i, step in enumerate(plan):
        obs, reward, terminated, truncated, info = env.step(
            env.action_for(step.object, step.skill, step.params))
        rewards.append(reward)
        assert info["failure"] is None and info["skill"] == step.skill and info["skill_steps"] > 0
        assert terminated == (i == len(plan) - 1) and not truncated
        if step.skill == "pick":
            assert obs["state"][5 * cube + 4] == 1.0  # held flag
    assert sum(rewards) == pytest.approx(1.0)
    assert obs["state"][-1] == 1.0 and info["predicates"] == {"inside(cube, tray)": True}
    cube_xy = obs["state"][5 * cube: 5 * cube + 2]
    tray = env.object_names.index("tray")
    assert np.linalg.norm(cube_xy - obs["state"][5 * tray: 5 * tray + 2]) < 0.1


def test_params_map_onto_bounds_and_failures_are_info(env):
    env.reset(seed=1)
    place = SKILLS["place"]
    params = np.full(env.action_space["params"].shape, 5.0, np.float32)  # extra: ignored
    params[:3] = [-1.0, 1.0, 0.0]
    action = {"object": 0, "skill": env.skill_names.index("place"), "params": params}
    obs, reward, terminated, truncated, info = env.step(action)
    x, y, z = place.params
    assert info["params"] == pytest.approx({"x": x.low, "y": y.high, "z": (z.low + z.high) / 2})
    assert info["failure"] == "precondition" and "holds nothing" in info["message"]
    assert reward == pytest.approx(-env.failure_penalty)
    assert not terminated and not truncated and info["skill_steps"] == 0


def test_inapplicable_skill_is_a_precondition_failure(env):
    env.reset(seed=0)
    action = env.action_for("cube", "pick")
    action["object"] = env.object_names.index("tray")  # a tray cannot be picked
    *_, info = env.step(action)
    assert info["failure"] == "precondition" and "does not apply" in info["message"]


def test_truncated_after_max_steps():
    env = make_env(TASK, image=False, max_steps=2, sparse=True, failure_penalty=0.5)
    env.reset(seed=0)
    home = env.action_for("cube", "home")
    place = env.action_for("tray", "place")  # nothing held: fails
    _, reward, _, truncated, info = env.step(home)
    assert reward == 0.0 and not truncated and info["failure"] is None
    _, reward, terminated, truncated, info = env.step(place)
    assert reward == -0.5 and truncated and not terminated
    env.close()


def test_seeds_change_the_layout_and_reset_reproduces_it(env):
    first, _ = env.reset(seed=3)
    other, _ = env.reset(seed=4)
    again, _ = env.reset(seed=3)
    np.testing.assert_array_equal(first["state"], again["state"])
    assert not np.allclose(first["state"], other["state"])


def test_bad_input_names_the_choices(env):
    with pytest.raises(ValueError, match=r"unknown task 'cook'; known tasks: .*cube_in_tray"):
        make_env("cook")
    with pytest.raises(UnknownSkillError, match="known skills: .*pick"):
        IntentEnv(TASK, skills=["pick", "juggle"])
    with pytest.raises(ValueError, match="render_mode 'human'"):
        IntentEnv(TASK, render_mode="human")
    env.reset(seed=0)
    with pytest.raises(ValueError, match=r"action\['skill'\] = 99 is out of range"):
        env.step({"object": 0, "skill": 99, "params": np.zeros(5)})
    with pytest.raises(ValueError, match="object 'duck' is not in this environment"):
        env.action_for("duck", "pick")
    fresh = IntentEnv(TASK, skills=["pick", "place"], image=False)
    assert fresh.action_space["params"].shape == (3,)
    with pytest.raises(RuntimeError, match="call reset"):
        fresh.step(fresh.action_space.sample())


def test_register_envs_makes_gymnasium_ids():
    ids = register_envs()
    assert f"noir/{TASK}-v0" in ids and len(ids) == len(TASKS)
    env = gymnasium.make(f"noir/{TASK}-v0", image=False)
    obs, _ = env.reset(seed=0)
    assert obs["state"].shape == env.observation_space["state"].shape
    env.close()
