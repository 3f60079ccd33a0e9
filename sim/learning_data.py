"""Decision states of the tasks' reference plans, labelled with the next step, for learning.

A *decision state* (:class:`skills.learning.dataset.DecisionState`) is the scene just before a
plan step runs: top and side images, their segmentations, and the label a person would choose
there (the step's object and skill and, for skills that take a point, that point in the world
and in both images). This module renders them in the simulator; the state type and its file
format are in ``skills.learning.dataset`` (skills never import ``sim``).

Variants test generalization (NOIR's Table 3 / 4 columns); each starts from
``Task.make_world(seed)`` and changes it with world APIs only:

``"task"``
    The task's own randomization, untouched.
``"position"``
    New object positions (the seed's) with the *demonstration pose range*: every object that
    turns freely (catalogue ``yaw_range`` = pi) and lies on the table gets a yaw within
    +-``DEMO_YAW``.
``"pose"``
    As ``"position"`` but those yaws are drawn from +-[``POSE_YAW``], outside the demonstration
    range (symmetric objects such as a square pot may still look alike).
``"instance"``
    As ``"position"`` with every object recoloured (hue turned by 0.2..0.8, saturation at least
    0.4): other instances of the same objects. Sizes stay (changing them needs new bodies).
``"context"``
    As ``"position"`` on a tinted table with ``DISTRACTORS`` fixed pybullet_data objects
    (duck, teddy, lego, ball, cube) at free spots.
"""

from __future__ import annotations

import colorsys
import math
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np

from sim.objects import CATALOGUE
from sim.tabletop import MIN_GAP, TabletopWorld
from sim.tasks import TASKS
from skills import SkillFailure, get_skill
from skills.learning.dataset import DecisionState, load_states, save_states, takes_point

VARIANTS = ("task", "position", "pose", "instance", "context")
"""Names of the scene variants of ``collect_states``."""
DEMO_YAW = math.pi / 6
"""Largest |yaw| of freely turning objects in the ``"position"`` variant, in rad."""
POSE_YAW = (math.pi / 4, 3 * math.pi / 4)
"""Range of |yaw| of freely turning objects in the ``"pose"`` variant, in rad."""
DISTRACTORS = 3
"""Extra objects in the ``"context"`` variant."""
DISTRACTOR_URDFS = ("duck_vhacd.urdf", "teddy_vhacd.urdf", "lego/lego.urdf",
                    "sphere_small.urdf", "cube_small.urdf")
DISTRACTOR_AREA = ((0.3, -0.32), (0.7, 0.32))
"""(x, y) low and high corners, in m, where distractors may stand."""
SEG_CLASSES = ("background", "robot", "distractor", *sorted(CATALOGUE))
"""Classes of the segmentation maps ``DecisionState.top_seg`` / ``side_seg``: index 0 is the
table and everything unnamed, 1 the Panda, 2 a distractor, then catalogue names (a cut piece
counts as its object)."""


def collect_states(task: str, seeds: Iterable[int], variant: str = "position",
                   cache: str | Path | None = None,
                   observe: Callable[[TabletopWorld, DecisionState], None] | None = None
                   ) -> list[DecisionState]:
    """Run ``task``'s reference plan for each seed and record the state before each step.

    Parameters
    ----------
    task : str
        Name in ``sim.tasks.TASKS``.
    seeds : iterable of int
    variant : str
        One of ``VARIANTS`` (see the module docstring).
    cache : path or None
        Folder of per-episode ``.npz`` files: episodes found there are read instead of run,
        new ones are written there.
    observe : callable or None
        Called as ``observe(world, state)`` with each state of the episodes run here (not
        those read from ``cache``) just after it is recorded, before its step runs: to look
        at the same scene with other sensors.

    Returns
    -------
    list of DecisionState
        In seed then step order. An episode whose step fails keeps the states up to and
        including the failed step's.
    """
    if task not in TASKS:
        raise ValueError(f"unknown task {task!r}; tasks: {sorted(TASKS)}")
    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; expected one of {VARIANTS}")
    states: list[DecisionState] = []
    for seed in seeds:
        file = Path(cache) / f"{task}-{variant}-{seed}.npz" if cache is not None else None
        if file is not None and file.exists():
            states += load_states(file)
            continue
        episode = _run_episode(task, int(seed), variant, observe)
        if file is not None:
            save_states(file, episode)
        states += episode
    return states


def _run_episode(task: str, seed: int, variant: str,
                 observe: Callable[[TabletopWorld, DecisionState], None] | None = None
                 ) -> list[DecisionState]:
    cls = TASKS[task]
    states = []
    with cls.make_world(seed) as world:
        if variant != "task":
            make_variant(world, variant, seed)
        for k, step in enumerate(cls.reference_plan(world)):
            params = step.resolve(world)
            top, side = world.capture("top"), world.capture("side")
            xyz = top_px = side_px = None
            if takes_point(step.skill):
                x, y = params["x"], params["y"]
                # skills without z (sweep): the height of the surface the top camera sees there
                z = params.get("z", top.pixel_to_world(
                    *top.world_to_pixel(np.array([x, y, world.table_height])))[2])
                xyz = np.array([x, y, z], dtype=float)
                top_px, side_px = top.world_to_pixel(xyz), side.world_to_pixel(xyz)
            states.append(DecisionState(
                task, seed, k, variant, top.rgb, side.rgb, step.object, step.skill,
                top_px, side_px, xyz, _classes(world, top.segmentation),
                _classes(world, side.segmentation)))
            if observe is not None:
                observe(world, states[-1])
            try:
                get_skill(step.skill).run(world, params)
            except SkillFailure:
                break
    return states


def _classes(world: TabletopWorld, segmentation: np.ndarray) -> np.ndarray:
    """Map body ids, shape (h, w), to ``SEG_CLASSES`` indices, uint8."""
    out = np.zeros(segmentation.shape, np.uint8)
    for body in np.unique(segmentation):
        name = world.body_name(int(body))
        if name is None:
            continue
        if name == "panda":
            label = "robot"
        elif name.startswith("distractor"):
            label = "distractor"
        else:
            label = name.removesuffix("_piece")
        out[segmentation == body] = SEG_CLASSES.index(label)
    return out


def make_variant(world: TabletopWorld, variant: str, seed: int) -> None:
    """Change ``world`` (built by ``Task.make_world(seed)``) into scene variant ``variant``."""
    rng = np.random.default_rng([seed, VARIANTS.index(variant)])
    for name in world.object_names():
        on_table = world.object_aabb(name)[0][2] < world.table_height + 0.005
        if CATALOGUE[name].yaw_range < math.pi or not on_table:
            continue
        if variant == "pose":
            yaw = float(rng.uniform(*POSE_YAW) * rng.choice([-1.0, 1.0]))
        else:
            yaw = float(rng.uniform(-DEMO_YAW, DEMO_YAW))
        position = world.object_pose(name)[0]
        quat = world.client.getQuaternionFromEuler((0.0, 0.0, yaw))
        world.client.resetBasePositionAndOrientation(world.object_id(name), position, quat)
    if variant == "instance":
        for name in world.object_names():
            _recolour(world, world.object_id(name), rng)
    if variant == "context":
        world.client.changeVisualShape(world.table, -1,
                                       rgbaColor=(*rng.uniform(0.3, 1.0, 3), 1.0))
        _add_distractors(world, rng)
    world.step(30)


def _recolour(world: TabletopWorld, body: int, rng: np.random.Generator) -> None:
    """Turn the hue of every visual shape of ``body`` by 0.2..0.8, saturation at least 0.4."""
    turn = rng.uniform(0.2, 0.8)
    for shape in world.client.getVisualShapeData(body):
        link, rgba = shape[1], shape[7]
        h, s, v = colorsys.rgb_to_hsv(*rgba[:3])
        rgb = colorsys.hsv_to_rgb((h + turn) % 1.0, max(s, 0.4), v)
        world.client.changeVisualShape(body, link, rgbaColor=(*rgb, rgba[3]))


def _add_distractors(world: TabletopWorld, rng: np.random.Generator) -> None:
    """Fixed pybullet_data objects at spots clear of every object by ``MIN_GAP``."""
    taken = [(world.object_position(n)[:2], float(np.hypot(*world.object_info(n).size[:2])) / 2)
             for n in world.object_names()]
    for k, urdf in enumerate(rng.choice(DISTRACTOR_URDFS, DISTRACTORS, replace=False)):
        for _ in range(200):
            xy = rng.uniform(*DISTRACTOR_AREA)
            if all(np.linalg.norm(xy - q) > r + 0.06 + MIN_GAP for q, r in taken):
                break
        else:
            return
        body = world.load_urdf(str(urdf), (xy[0], xy[1], world.table_height + 0.03),
                               world.client.getQuaternionFromEuler((0, 0, rng.uniform(-3, 3))),
                               name=f"distractor_{k}", fixed=True)
        (x, y, z), quat = world.client.getBasePositionAndOrientation(body)
        bottom = world.client.getAABB(body)[0][2]
        world.client.resetBasePositionAndOrientation(body, (x, y, z + world.table_height - bottom),
                                                     quat)
        _recolour(world, body, rng)
        taken.append((xy, 0.06))
