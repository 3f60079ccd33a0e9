"""A Gymnasium environment whose action is an intent: an object, a skill and its parameters.

One ``step`` runs one whole skill (hundreds to thousands of physics steps), as one NOIR decision
does. It serves learning and planning over skills without any EEG::

    env = make_env("cube_in_tray")
    obs, info = env.reset(seed=0)
    obs, reward, terminated, truncated, info = env.step(env.action_for("cube", "pick"))

Action (``spaces.Dict``)
    ``"object"``: ``Discrete(n_objects)``, an index into ``env.object_names``;
    ``"skill"``: ``Discrete(n_skills)``, an index into ``env.skill_names``;
    ``"params"``: ``Box(-1, 1, (n_params,), float32)``, the skill's float parameters in the
    order of its ``params``, each mapped linearly from [-1, 1] onto its bounds [low, high]
    (values outside [-1, 1] are clipped; entries past the skill's count are ignored).
    ``n_params`` is the largest float-parameter count among the skills. Object parameters
    come from the chosen object (``Skill.params_for_object``).
Observation (``spaces.Dict``)
    ``"state"``: float32 vector of ``5 * n_objects + 3 + n_predicates`` values: per object, in
    ``object_names`` order, its bounding-box centre x, y, z (m), yaw (rad) and whether it is
    held (0/1); then the gripper centre x, y, z (m); then each goal predicate (0/1), in
    ``predicate_names`` order. ``"image"`` (unless ``image=False``): the top camera's RGB image,
    shape (240, 360, 3), uint8.
Reward
    The change of the fraction of goal predicates that hold (an episode's return is that
    fraction's gain since ``reset``), or with ``sparse=True`` 1 on the step that completes the
    task; minus ``failure_penalty`` when the skill failed.
Episode end
    ``terminated`` when every goal predicate holds; ``truncated`` after ``max_steps`` intents.
    A skill failure ends nothing: ``info["failure"]`` is its reason (``"precondition"``,
    ``"planning"``, ``"execution"``, ``"timeout"``), else None; an intent whose skill does
    not apply to the object fails with reason ``"precondition"``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import gymnasium
import numpy as np
from gymnasium import spaces

from sim.tasks import TASKS, Task
from sim.world import World
from skills import SKILLS, FailureReason, Param, SkillFailure, get_skill

IMAGE_SHAPE = (240, 360, 3)
"""Shape of the image observation and of ``render()``: (height, width, RGB)."""


def get_task(name: str) -> type[Task]:
    """The task class registered as ``name``; ``ValueError`` lists the known tasks."""
    try:
        return TASKS[name]
    except KeyError:
        raise ValueError(f"unknown task {name!r}; known tasks: {sorted(TASKS)}") from None


def _float_params(skill: str) -> list[Param]:
    return [p for p in get_skill(skill).params if p.kind == "float"]


class IntentEnv(gymnasium.Env):
    """A task as a Gymnasium environment with intents as actions (see the module docstring).

    Parameters
    ----------
    task : str
        Name of a registered task (``sim.tasks.TASKS``).
    skills : sequence of str, optional
        The skills the action may choose, in this order; default every skill in
        ``skills.SKILLS``.
    image : bool
        Put the top camera image in the observation.
    sparse : bool
        Reward 1 on success only, instead of the progress in goal predicates.
    failure_penalty : float
        Subtracted from the reward of an intent whose skill failed.
    max_steps : int, optional
        Intents per episode before ``truncated``; default four times the reference plan.
    render_mode : {"rgb_array"}, optional
        With ``"rgb_array"``, ``render()`` returns the top camera image.
    gui : bool
        Build the worlds in the PyBullet GUI.

    Attributes
    ----------
    task : type of Task
    object_names : list of str
        The objects the action's ``"object"`` indexes (the world's objects at start).
    skill_names : list of str
        The skills the action's ``"skill"`` indexes.
    predicate_names : list of str
        The task's goal predicates, in observation order.
    world : World or None
        The current world (None before ``reset`` and after ``close``).

    Raises
    ------
    ValueError
        Unknown task or render mode, or a chosen skill has a float parameter without finite
        bounds.
    UnknownSkillError
        A name in ``skills`` is not in ``skills.SKILLS``.
    """

    metadata = {"render_modes": ["rgb_array"], "render_fps": 4}

    def __init__(
        self,
        task: str,
        *,
        skills: Sequence[str] | None = None,
        image: bool = True,
        sparse: bool = False,
        failure_penalty: float = 0.1,
        max_steps: int | None = None,
        render_mode: str | None = None,
        gui: bool = False,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"render_mode {render_mode!r} is not supported; "
                f"choose from {self.metadata['render_modes']} or None"
            )
        self.task = get_task(task)
        self.skill_names = list(SKILLS) if skills is None else list(skills)
        for name in self.skill_names:
            for p in _float_params(name):  # get_skill raises UnknownSkillError
                if not (np.isfinite(p.low) and np.isfinite(p.high)):
                    raise ValueError(
                        f"skill {name!r}: parameter {p.describe()} has no finite bounds to map "
                        f"actions in [-1, 1] onto; leave the skill out with skills=[...]"
                    )
        self.render_mode = render_mode
        self.image = image
        self.sparse = sparse
        self.failure_penalty = failure_penalty
        self.gui = gui
        probe = self.task.make_world(0)
        try:
            self.object_names = probe.object_names()
            self.predicate_names = list(self.task.goal_predicates(probe))
            plan_length = len(self.task.reference_plan(probe))
        finally:
            probe.close()
        self.max_steps = 4 * plan_length if max_steps is None else max_steps
        n_params = max([len(_float_params(s)) for s in self.skill_names] + [1])
        self.action_space = spaces.Dict({
            "object": spaces.Discrete(len(self.object_names)),
            "skill": spaces.Discrete(len(self.skill_names)),
            "params": spaces.Box(-1.0, 1.0, (n_params,), np.float32),
        })
        n_state = 5 * len(self.object_names) + 3 + len(self.predicate_names)
        observation = {"state": spaces.Box(-np.inf, np.inf, (n_state,), np.float32)}
        if image:
            observation["image"] = spaces.Box(0, 255, IMAGE_SHAPE, np.uint8)
        self.observation_space = spaces.Dict(observation)
        self.world: World | None = None
        self._n_steps = 0
        self._progress = 0.0

    # -- Gymnasium API ------------------------------------------------------------------------
    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        """Build a fresh world: from ``seed``, or from a seed drawn from ``np_random``.

        Returns the observation and ``info`` with ``"world_seed"``, ``"predicates"`` (dict of
        str to bool) and ``"success"``.
        """
        super().reset(seed=seed)
        world_seed = seed if seed is not None else int(self.np_random.integers(2**31))
        self.close()
        self.world = self.task.make_world(world_seed, gui=self.gui)
        self._n_steps = 0
        predicates = self.task.goal_predicates(self.world)
        self._progress = float(np.mean(list(predicates.values())))
        info = {"world_seed": world_seed, "predicates": predicates,
                "success": all(predicates.values())}
        return self._observe(predicates), info

    def step(
        self, action: Mapping[str, Any]
    ) -> tuple[dict[str, np.ndarray], float, bool, bool, dict[str, Any]]:
        """Run the intent ``action`` (see the module docstring) to its end.

        ``info`` holds ``"object"``, ``"skill"``, ``"params"`` (what ran), ``"failure"`` (reason
        or None), ``"message"`` (the failure's explanation, else ``""``), ``"skill_steps"``
        (physics steps used), ``"sim_time"`` (s since reset), ``"predicates"`` and
        ``"success"``.

        Raises
        ------
        RuntimeError
            Called before ``reset``.
        ValueError
            ``"object"`` or ``"skill"`` is out of range.
        """
        world = self._require_world("step")
        obj, skill = self._decode_choice(action)
        t0 = world.sim_time
        failure: str | None = None
        message = ""
        params: dict[str, Any] = {}
        try:
            params = self._params(obj, skill, np.asarray(action["params"], dtype=float))
            get_skill(skill).run(world, params)
        except SkillFailure as err:
            failure, message = err.reason.value, str(err)
        except (ValueError, TypeError) as err:  # the skill does not apply to the object
            failure, message = FailureReason.PRECONDITION.value, str(err)
        self._n_steps += 1
        predicates = self.task.goal_predicates(world)
        success = all(predicates.values())
        progress = float(np.mean(list(predicates.values())))
        reward = float(success) if self.sparse else progress - self._progress
        self._progress = progress
        if failure is not None:
            reward -= self.failure_penalty
        truncated = self._n_steps >= self.max_steps and not success
        info = {
            "object": obj, "skill": skill, "params": params, "failure": failure,
            "message": message, "skill_steps": round((world.sim_time - t0) / world.timestep),
            "sim_time": world.sim_time, "predicates": predicates, "success": success,
        }
        return self._observe(predicates), reward, success, truncated, info

    def render(self) -> np.ndarray | None:
        """The top camera image, shape (240, 360, 3), uint8; None unless ``render_mode``."""
        if self.render_mode is None:
            return None
        return self._require_world("render").render("top")

    def close(self) -> None:
        """Release the current world's physics client."""
        if self.world is not None:
            self.world.close()
            self.world = None

    # -- intents --------------------------------------------------------------------------
    def action_for(
        self, obj: str, skill: str, params: Mapping[str, float] | None = None
    ) -> dict[str, Any]:
        """The action that runs ``skill`` on ``obj`` in the current world.

        Float parameters are the skill's defaults for ``obj`` (``params_for_object``), updated
        with ``params``, normalized to [-1, 1]; e.g. ``env.action_for(s.object, s.skill,
        s.params)`` for a ``PlanStep`` ``s``.

        Raises
        ------
        ValueError
            ``obj`` or ``skill`` is not among ``object_names``/``skill_names``.
        """
        world = self._require_world("action_for")
        for kind, name, known in (("object", obj, self.object_names),
                                  ("skill", skill, self.skill_names)):
            if name not in known:
                raise ValueError(f"{kind} {name!r} is not in this environment; {kind}s: {known}")
        values = get_skill(skill).params_for_object(world, obj) | dict(params or {})
        normalized = np.zeros(self.action_space["params"].shape, np.float32)
        for i, p in enumerate(_float_params(skill)):
            normalized[i] = 2 * (values[p.name] - p.low) / (p.high - p.low) - 1
        return {"object": self.object_names.index(obj), "skill": self.skill_names.index(skill),
                "params": np.clip(normalized, -1.0, 1.0)}

    def _decode_choice(self, action: Mapping[str, Any]) -> tuple[str, str]:
        choice = {}
        for key, names in (("object", self.object_names), ("skill", self.skill_names)):
            index = int(action[key])
            if not 0 <= index < len(names):
                raise ValueError(
                    f"action[{key!r}] = {index} is out of range; "
                    f"valid: 0..{len(names) - 1} for {names}"
                )
            choice[key] = names[index]
        return choice["object"], choice["skill"]

    def _params(self, obj: str, skill: str, normalized: np.ndarray) -> dict[str, Any]:
        """Object defaults of ``skill`` for ``obj`` with the float ones set from the action."""
        params = get_skill(skill).params_for_object(self._require_world("step"), obj)
        unit = (np.clip(normalized, -1.0, 1.0) + 1) / 2
        for p, u in zip(_float_params(skill), unit, strict=False):
            params[p.name] = float(p.low + u * (p.high - p.low))
        return params

    def _observe(self, predicates: dict[str, bool]) -> dict[str, np.ndarray]:
        world = self._require_world("observe")
        held = world.robot.held_object()
        rows = [
            [*world.object_position(name), world.object_yaw(name), float(name == held)]
            for name in self.object_names
        ]
        state = np.concatenate([
            np.ravel(rows), world.robot.ee_position(),
            [float(predicates[name]) for name in self.predicate_names],
        ]).astype(np.float32)
        obs = {"state": state}
        if self.image:
            obs["image"] = world.render("top")
        return obs

    def _require_world(self, what: str) -> World:
        if self.world is None:
            raise RuntimeError(f"{self.task.name}: call reset() before {what}()")
        return self.world


def make_env(task_name: str, **kwargs: Any) -> IntentEnv:
    """An ``IntentEnv`` for task ``task_name``; ``kwargs`` go to ``IntentEnv``."""
    return IntentEnv(task_name, **kwargs)


def register_envs() -> list[str]:
    """Register ``noir/<task>-v0`` with Gymnasium for every task; return the ids.

    Then ``gymnasium.make("noir/cube_in_tray-v0")`` works. Ids already registered are kept.
    """
    ids = []
    for name in TASKS:
        env_id = f"noir/{name}-v0"
        if env_id not in gymnasium.registry:
            gymnasium.register(env_id, entry_point=make_env, kwargs={"task_name": name})
        ids.append(env_id)
    return ids
