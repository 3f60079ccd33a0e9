"""NOIR 2.0's planning variant: the next step from the matched state of one demonstration.

NOIR 2.0 replaced few-shot retrieval by a vision-language model (GPT-4o) that reads one
annotated demonstration (the ordered states, each with the object and skill chosen there),
matches the current scene to one of its states and proposes the step taken from it. Here:

- ``DemoPlanner`` does this with the image encoder: the current top view is matched to every
  state of the remembered demonstrations by embedding similarity, and the steps taken from
  the best-matching states are proposed, best first. Where the VLM reads the progression
  between states, the planner is told how many steps are done and favours the demonstration
  state that far in (``PROGRESS_BONUS``): states that look alike (a ladle held before and
  after stirring) are then told apart. One demonstration is enough.
- ``VLMPlanner`` builds NOIR 2.0's two-part prompt (state understanding, then state inference)
  for a vision-language model that a user plugs in as a function; none is needed or called
  here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from skills.learning.encoder import Encoder, check_images
from skills.learning.memory import Proposal, check_image, load_npz, save_npz

TEMPERATURE = 0.05
"""Softmax temperature over cosine similarities that turns them into confidences."""
PROGRESS_BONUS = 0.05
"""Added to the cosine similarity of each demonstration's state at the current progress."""


class DemoPlanner:
    """Proposes the step a demonstration took from the state most like the current one.

    Parameters
    ----------
    encoder : Encoder
        Embeds top images.
    temperature : float
        Softmax temperature over the best cosine similarity of each step's states.
    """

    def __init__(self, encoder: Encoder, temperature: float = TEMPERATURE) -> None:
        if temperature <= 0:
            raise ValueError(f"temperature must be > 0, got {temperature}")
        self.encoder = encoder
        self.temperature = temperature
        self.embeddings = np.zeros((0, 0), np.float32)
        self.steps: list[tuple[str, str]] = []
        self.demo: list[int] = []  # which demonstration each state belongs to

    def __len__(self) -> int:
        return len(self.steps)

    def demonstrate(self, tops: np.ndarray, steps: Sequence[tuple[str, str]]) -> None:
        """Remember one demonstration: ``tops`` (n, 240, 360, 3) uint8, the scene before each
        of its ``n`` steps, in order, and the (object, skill) ``steps`` taken from them."""
        check_images(tops, "tops")
        if len(tops) != len(steps) or not len(steps):
            raise ValueError(f"a demonstration needs one (object, skill) step per state and at "
                             f"least one state, got {len(tops)} states and {len(steps)} steps")
        emb = self.encoder.embed(tops)
        self.embeddings = emb if not len(self) else np.concatenate([self.embeddings, emb])
        self.demo += [max(self.demo, default=-1) + 1] * len(steps)
        self.steps += [tuple(step) for step in steps]

    def propose(self, top: np.ndarray, done: int = 0) -> list[Proposal]:
        """Every step of the demonstrations once, best first, with softmax confidences over
        the best similarity of the states each was taken from (``[]`` with no demonstration).

        Parameters
        ----------
        top : ndarray, shape (240, 360, 3), uint8
            The current top view.
        done : int
            Steps of the task done so far; each demonstration's state with that index gets
            ``PROGRESS_BONUS``.
        """
        check_image(top, "top")
        if not len(self):
            return []
        sims = self.embeddings @ self.encoder.embed(top[None])[0]
        demo = np.array(self.demo)
        for d in np.unique(demo):
            states = np.flatnonzero(demo == d)
            if done < len(states):
                sims[states[done]] += PROGRESS_BONUS
        names = sorted(set(self.steps))
        best = np.array([max(s for s, step in zip(sims, self.steps, strict=True)
                             if step == name) for name in names])
        p = np.exp((best - best.max()) / self.temperature)
        p /= p.sum()
        return [Proposal(names[k][0], names[k][1], float(p[k]))
                for k in np.argsort(-p, kind="stable")]

    def save(self, path: str | Path) -> None:
        """Write the demonstrations to one ``.npz`` (arrays and a JSON header; no pickle)."""
        meta = {"kind": "DemoPlanner", "encoder": self.encoder.name,
                "temperature": self.temperature, "steps": self.steps, "demo": self.demo}
        save_npz(path, meta, {"embeddings": self.embeddings})

    @classmethod
    def load(cls, path: str | Path, encoder: Encoder) -> DemoPlanner:
        """Read demonstrations written by ``save`` with the encoder they were embedded by."""
        meta, arrays = load_npz(path, "DemoPlanner", encoder)
        planner = cls(encoder, meta["temperature"])
        planner.embeddings = arrays["embeddings"]
        planner.steps = [tuple(step) for step in meta["steps"]]
        planner.demo = list(meta["demo"])
        return planner


@dataclass(frozen=True)
class DemoState:
    """One annotated state of a demonstration: its views and the step taken from it."""

    top: np.ndarray
    object: str
    skill: str
    gripper: np.ndarray | None = None


VLMClient = Callable[[str, list[np.ndarray]], str]
"""A user's vision-language model: (prompt text, images in the order the prompt names them)
-> the model's reply text."""


class VLMPlanner:
    """NOIR 2.0's planner with a vision-language model the user supplies.

    Parameters
    ----------
    client : callable
        ``client(prompt, images) -> reply`` (``VLMClient``), e.g. a wrapper around a local
        model; it must answer with the JSON the prompt asks for.
    task : str
        The task description given to the model.
    """

    def __init__(self, client: VLMClient, task: str) -> None:
        self.client = client
        self.task = task
        self.demo: list[DemoState] = []

    def demonstrate(self, states: Sequence[DemoState]) -> None:
        """Remember one demonstration (replacing the previous one), its states in order."""
        if not states:
            raise ValueError("a demonstration needs at least one state")
        self.demo = list(states)

    def prompt(self, top: np.ndarray, gripper: np.ndarray | None = None
               ) -> tuple[str, list[np.ndarray]]:
        """The two-part prompt and its images for the current views."""
        if not self.demo:
            raise ValueError("VLMPlanner has no demonstration; call demonstrate() first")
        images: list[np.ndarray] = []
        lines = [f"Task: {self.task}.",
                 "Part I - state understanding. These are the ordered states of one "
                 "demonstration. For each state you see its views and the object and skill "
                 "the person chose there. Describe the gripper-object relations, the objects' "
                 "status and how each state leads to the next."]
        for i, state in enumerate(self.demo):
            views = ["top view"] + (["gripper view"] if state.gripper is not None else [])
            images += [state.top] + ([state.gripper] if state.gripper is not None else [])
            lines.append(f"State {i}: {' and '.join(views)}; obj = {state.object!r}, "
                         f"skill = {state.skill!r}.")
        images.append(check_image(top, "top"))
        query = "top view"
        if gripper is not None:
            images.append(check_image(gripper, "gripper"))
            query += " and gripper view"
        lines.append(
            f"Part II - state inference. The last images are the current {query}. Find the "
            "demonstration state that matches them best and answer only with JSON: "
            '{"index": <matched state>, "ranking": [{"obj": ..., "skill": ..., '
            '"likelihood": ...}, ...]} where the ranking lists the step to take from the '
            "matched state first, then other steps of the demonstration by likelihood.")
        return "\n".join(lines), images

    def propose(self, top: np.ndarray, gripper: np.ndarray | None = None) -> list[Proposal]:
        """Ask the model; its ranking as proposals (likelihoods renormalised to sum to 1).

        Raises
        ------
        ValueError
            If the reply is not the JSON asked for (the reply is quoted).
        """
        reply = self.client(*self.prompt(top, gripper))
        try:
            ranking = json.loads(reply)["ranking"]
            steps = [(str(r["obj"]), str(r["skill"]), float(r["likelihood"])) for r in ranking]
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as err:
            raise ValueError(f"the vision-language model's reply is not the ranking JSON "
                             f"asked for: {reply[:200]!r}") from err
        total = sum(max(lik, 0.0) for _, _, lik in steps) or 1.0
        return [Proposal(obj, skill, max(lik, 0.0) / total) for obj, skill, lik in steps]
