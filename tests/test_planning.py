"""NOIR 2.0's planning variant: next step from one demonstration; the VLM prompt and reply."""

import json

import numpy as np
import pytest

from sim.learning_data import collect_states
from skills.learning import load_encoder
from skills.learning.planning import DemoPlanner, DemoState, VLMPlanner


@pytest.fixture(scope="module")
def demos():
    """Decision states of cook_pasta's reference plan: one demonstration and a new scene."""
    return collect_states("cook_pasta", [0]), collect_states("cook_pasta", [7])


def test_one_demonstration_predicts_each_next_step(demos, tmp_path):
    demo, new = demos
    planner = DemoPlanner(load_encoder())
    planner.demonstrate(np.stack([s.top for s in demo]), [(s.object, s.skill) for s in demo])
    assert len(planner) == len(demo) == 8
    hits = [planner.propose(s.top, done=k)[0] for k, s in enumerate(new)]
    assert [(p.object, p.skill) for p in hits] == [(s.object, s.skill) for s in new]
    assert all(0 < p.confidence <= 1 for p in hits)
    # holding the ladle looks the same before and after stirring: progress tells them apart
    assert planner.propose(new[6].top, done=6)[0].skill == "stir"
    assert planner.propose(new[6].top, done=7)[0].skill == "place"
    planner.save(tmp_path / "demo.npz")
    again = DemoPlanner.load(tmp_path / "demo.npz", load_encoder())
    assert again.propose(new[0].top) == planner.propose(new[0].top)
    with pytest.raises(ValueError, match="one \\(object, skill\\) step per state"):
        planner.demonstrate(np.stack([s.top for s in demo]), [("pasta", "pick")])


def test_vlm_planner_builds_the_two_part_prompt_and_reads_the_ranking(demos):
    demo, new = demos
    seen = {}

    def client(prompt, images):
        seen.update(prompt=prompt, images=images)
        return json.dumps({"index": 1, "ranking": [
            {"obj": "pot", "skill": "place", "likelihood": 3},
            {"obj": "ladle", "skill": "pick", "likelihood": 1}]})

    planner = VLMPlanner(client, "cook pasta")
    planner.demonstrate([DemoState(s.top, s.object, s.skill) for s in demo])
    proposals = planner.propose(new[1].top)
    assert [(p.object, p.skill, p.confidence) for p in proposals] == [
        ("pot", "place", 0.75), ("ladle", "pick", 0.25)]
    assert "Part I" in seen["prompt"] and "Part II" in seen["prompt"]
    assert "State 7:" in seen["prompt"] and "obj = 'ladle', skill = 'place'" in seen["prompt"]
    assert len(seen["images"]) == len(demo) + 1 and seen["images"][-1] is new[1].top

    planner = VLMPlanner(lambda prompt, images: "I think the pot", "cook pasta")
    planner.demonstrate([DemoState(demo[0].top, "pasta", "pick")])
    with pytest.raises(ValueError, match="not the ranking JSON asked for: 'I think the pot'"):
        planner.propose(new[0].top)
    with pytest.raises(ValueError, match="no demonstration"):
        VLMPlanner(client, "x").propose(new[0].top)
