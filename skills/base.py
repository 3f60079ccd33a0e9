"""What a skill is (parameters, preconditions, typed failures, a step budget, a success
check), the registry of skills, plan steps, and the motion patterns skills share.

A skill is a small parameterized controller written against the abstract
:class:`skills.robot.Scene`/:class:`skills.robot.Robot` protocols. ``Skill.run`` checks
preconditions, executes, respects ``step_budget`` and verifies a success check; any failure is a
:class:`SkillFailure` whose ``reason`` says why, so the interface can ask the person again.
:data:`SKILLS` holds every skill by name (``skills`` registers the built-in ones with
:func:`register`); :class:`PlanStep` is one step of a task's plan.

Motion patterns: quaternions are (x, y, z, w) numpy arrays. A gripper "pointing down with yaw
psi" has its x axis horizontal at angle psi and its approach (z) axis pointing down.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Literal

import numpy as np

from skills.robot import ObjectInfo, Scene

APPROACH_HEIGHT = 0.10
"""Height of the pre-grasp / pre-place / pre-contact pose above the target, in m."""
FINGER_CLEARANCE = 0.012
"""Lowest gripper-centre height above the table, so the fingertips miss it, in m."""
GRASP_PARTS = ("handle", "rim")
"""Parts grasped instead of the object's centre, in order of preference."""


class FailureReason(StrEnum):
    """Why a skill failed."""

    PRECONDITION = "precondition"
    PLANNING = "planning"
    EXECUTION = "execution"
    TIMEOUT = "timeout"
    INTERRUPTED = "interrupted"


class SkillFailure(Exception):
    """A skill could not do its job; ``reason`` says why and ``skill`` names the skill.

    Parameters
    ----------
    message : str
        Human-readable explanation of what went wrong.
    skill : str
        Name of the failing skill; ``""`` when raised by the robot, filled in by ``Skill.run``.
    """

    reason: ClassVar[FailureReason]

    def __init__(self, message: str, *, skill: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.skill = skill

    def __str__(self) -> str:
        prefix = f"{self.skill}: " if self.skill else ""
        return f"{prefix}{self.reason.value} failure: {self.message}"


class PreconditionFailure(SkillFailure):
    """The world is not in a state where the skill can start (e.g. gripper already full)."""

    reason = FailureReason.PRECONDITION


class PlanningFailure(SkillFailure):
    """No motion reaches the target (e.g. inverse kinematics out of reach)."""

    reason = FailureReason.PLANNING


class ExecutionFailure(SkillFailure):
    """The motion ran but the result is wrong (stall, collision, grasp missed, check failed)."""

    reason = FailureReason.EXECUTION


class TimeoutFailure(SkillFailure):
    """The skill used up its step budget."""

    reason = FailureReason.TIMEOUT


class InterruptedFailure(SkillFailure):
    """``should_stop()`` returned True (e.g. the person clenched their jaw)."""

    reason = FailureReason.INTERRUPTED


class UnknownObjectError(KeyError):
    """An object name that the scene does not contain."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(name)
        self.name = name
        self.known = known

    def __str__(self) -> str:
        return f"unknown object {self.name!r}; known objects: {', '.join(self.known)}"


class UnknownSkillError(KeyError):
    """A skill name that the registry does not contain."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(name)
        self.name = name
        self.known = known

    def __str__(self) -> str:
        return f"unknown skill {self.name!r}; known skills: {', '.join(self.known)}"


@dataclass(frozen=True)
class Param:
    """One skill parameter.

    Attributes
    ----------
    name : str
        Parameter name (key in the params dict).
    kind : {"object", "float"}
        An object name in the scene, or a real number.
    unit : str
        Unit of a float parameter (``"m"``, ``"rad"``); ``""`` for objects.
    low, high : float
        Inclusive bounds of a float parameter, in ``unit``.
    """

    name: str
    kind: Literal["object", "float"]
    unit: str = ""
    low: float = -math.inf
    high: float = math.inf

    def describe(self) -> str:
        """Return e.g. ``"x (float, m, in [0.25, 0.75])"``."""
        if self.kind == "object":
            return f"{self.name} (object name)"
        return f"{self.name} (float, {self.unit}, in [{self.low}, {self.high}])"


@dataclass(frozen=True)
class SkillResult:
    """What a successful skill run did.

    Attributes
    ----------
    skill : str
        Skill name.
    params : dict
        The validated parameters it ran with.
    steps : int
        Control steps used (one physics step each).
    sim_time : float
        Simulated time used, in s.
    """

    skill: str
    params: dict[str, Any] = field(default_factory=dict)
    steps: int = 0
    sim_time: float = 0.0


class Skill:
    """Base class of parameterized primitive skills.

    Subclasses set the class variables and implement ``applies_to``, ``params_for_object``,
    ``_check_preconditions``, ``_execute`` and ``_check_success``.

    Attributes
    ----------
    point_height : float or None
        For a skill with ``x``/``y`` parameters: height, in m, of the horizontal plane its
        point lies on (0 for a base stance on the floor), whatever the top camera sees there;
        None: the point is on the surface seen under the cursor (``noir.where``).
    point_on_object : bool
        For a skill with ``x``/``y`` parameters: whether its point lies on the object the
        person selected, unless that is the held object (``place``: the object it is put on),
        so that the interface keeps the point on that object.
    grasp_params : tuple of Param
        Optional parameters ``x``, ``y`` (m) of the point where a grasping skill takes hold of
        its object (NOIR's Pick(x, y, z): chosen on the image); left out, the skill grasps
        where ``default_grasp_point`` says. Empty for skills that grasp nothing.
    """

    name: ClassVar[str]
    description: ClassVar[str]
    params: ClassVar[tuple[Param, ...]]
    step_budget: ClassVar[int]
    point_height: ClassVar[float | None] = None
    point_on_object: ClassVar[bool] = False
    grasp_params: ClassVar[tuple[Param, ...]] = ()

    @classmethod
    def applies_to(cls, info: ObjectInfo) -> bool:
        """Whether the person may choose this skill for an object like ``info``."""
        raise NotImplementedError

    @classmethod
    def params_for_object(cls, scene: Scene, obj: str) -> dict[str, Any]:
        """Default parameters when the person selected object ``obj``.

        A skill whose only parameter is an object takes ``obj`` itself (``UnknownObjectError``
        if the scene has none of that name); other skills override this.
        """
        if len(cls.params) == 1 and cls.params[0].kind == "object":
            scene.object_info(obj)
            return {cls.params[0].name: obj}
        raise NotImplementedError(f"skill {cls.name!r} must define params_for_object")

    @classmethod
    def default_grasp_point(cls, scene: Scene, obj: str) -> np.ndarray:
        """For a skill with ``grasp_params``: where it takes hold of ``obj`` when no point is
        chosen, as the top camera sees it (a point on the object's surface), shape (3,), m."""
        raise NotImplementedError(f"skill {cls.name!r} takes no grasp point")

    @classmethod
    def grasp_within(cls, scene: Scene, obj: str) -> float:
        """For a skill with ``grasp_params``: how far, in m, a grasp point may lie from
        ``default_grasp_point`` and still hold ``obj``."""
        raise NotImplementedError(f"skill {cls.name!r} takes no grasp point")

    @classmethod
    def validate(cls, scene: Scene, params: Mapping[str, Any]) -> dict[str, Any]:
        """Check names, types and bounds of ``params``; return a clean copy.

        Raises
        ------
        ValueError
            Missing or unexpected parameter, value out of bounds, or the skill does not apply.
        TypeError
            Wrong type (e.g. a string where metres are expected).
        UnknownObjectError
            An object parameter names no object in the scene.
        """
        expected = [p.describe() for p in cls.params]
        if cls.grasp_params:
            expected.append(f"optional grasp point {[p.describe() for p in cls.grasp_params]}")
        missing = [p.name for p in cls.params if p.name not in params]
        grasp = [p for p in cls.grasp_params if p.name in params]
        if grasp and len(grasp) < len(cls.grasp_params):  # a point needs all its coordinates
            missing += [p.name for p in cls.grasp_params if p.name not in params]
        unexpected = sorted(set(params) - {p.name for p in (*cls.params, *cls.grasp_params)})
        if missing or unexpected:
            raise ValueError(
                f"skill {cls.name!r}: missing parameters {missing}, unexpected {unexpected}; "
                f"expected {expected}"
            )
        clean: dict[str, Any] = {}
        for p in (*cls.params, *grasp):
            value = params[p.name]
            if p.kind == "object":
                if not isinstance(value, str):
                    raise TypeError(
                        f"skill {cls.name!r}: parameter {p.describe()} must be a str, "
                        f"got {type(value).__name__}"
                    )
                info = scene.object_info(value)  # raises UnknownObjectError
                if not cls.applies_to(info):
                    names = scene.object_names()
                    fits = [n for n in names if cls.applies_to(scene.object_info(n))]
                    raise ValueError(
                        f"skill {cls.name!r} does not apply to object {value!r}; "
                        f"applicable: {fits}"
                    )
                clean[p.name] = value
            else:
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    raise TypeError(
                        f"skill {cls.name!r}: parameter {p.describe()} must be a number, "
                        f"got {type(value).__name__} {value!r}"
                    )
                value = float(value)
                if not (p.low <= value <= p.high):
                    raise ValueError(
                        f"skill {cls.name!r}: parameter {p.describe()} out of bounds: {value}"
                    )
                clean[p.name] = value
        return clean

    @classmethod
    def run(
        cls,
        scene: Scene,
        params: Mapping[str, Any],
        *,
        should_stop: Callable[[], bool] | None = None,
    ) -> SkillResult:
        """Validate, check preconditions, execute within ``step_budget`` and verify success.

        Parameters
        ----------
        scene : Scene
            The world to act in.
        params : mapping
            Parameter values by name (see ``params``).
        should_stop : callable, optional
            Polled every control step; returning True interrupts the skill.

        Returns
        -------
        SkillResult

        Raises
        ------
        SkillFailure
            One of its subclasses; ``.reason`` says why.
        """
        return cls.run_validated(scene, cls.validate(scene, params), should_stop=should_stop)

    @classmethod
    def run_validated(
        cls,
        scene: Scene,
        clean: dict[str, Any],
        *,
        should_stop: Callable[[], bool] | None = None,
    ) -> SkillResult:
        """``run`` with parameters that ``validate`` returned, not checked again (for a caller
        that validated them before starting anything, as the interface loop does)."""
        t0 = scene.sim_time
        try:
            cls._check_preconditions(scene, clean)
            budget = StepBudget(scene, t0, cls.step_budget)
            facts = cls._execute(scene, clean, budget, should_stop)
            cls._check_success(scene, clean, facts)
        except SkillFailure as failure:
            failure.skill = failure.skill or cls.name
            raise
        return SkillResult(cls.name, clean, _steps(scene, t0), scene.sim_time - t0)

    @classmethod
    def _check_preconditions(cls, scene: Scene, params: dict[str, Any]) -> None:
        raise NotImplementedError

    @classmethod
    def _execute(
        cls,
        scene: Scene,
        params: dict[str, Any],
        budget: StepBudget,
        should_stop: Callable[[], bool] | None,
    ) -> dict[str, Any]:
        """Do the motion; return facts the success check needs (e.g. which object was held)."""
        raise NotImplementedError

    @classmethod
    def _check_success(cls, scene: Scene, params: dict[str, Any], facts: dict[str, Any]) -> None:
        raise NotImplementedError


def _steps(scene: Scene, t0: float) -> int:
    return round((scene.sim_time - t0) / scene.timestep)


class StepBudget:
    """Control steps left to a running skill, derived from the scene clock."""

    def __init__(self, scene: Scene, t0: float, total: int) -> None:
        self._scene = scene
        self._t0 = t0
        self.total = total

    @property
    def left(self) -> int:
        """Control steps still available (>= 0)."""
        return max(0, self.total - _steps(self._scene, self._t0))


SKILLS: dict[str, type[Skill]] = {}
"""Every skill by name, in the order the interface offers them (see :func:`register`)."""


def register(*skills: type[Skill]) -> None:
    """Add ``skills`` to :data:`SKILLS`, after those already there (importing ``skills``
    registers the built-in ones; a project's own skill class is offered once registered).

    Raises
    ------
    ValueError
        If another class already has a skill's ``name``.
    """
    for skill in skills:
        if SKILLS.get(skill.name, skill) is not skill:
            raise ValueError(f"skill name {skill.name!r} is taken by "
                             f"{SKILLS[skill.name].__qualname__}; choose another name")
        SKILLS[skill.name] = skill


def get_skill(name: str) -> type[Skill]:
    """Return the skill class called ``name``; raise ``UnknownSkillError`` listing the names."""
    try:
        return SKILLS[name]
    except KeyError:
        raise UnknownSkillError(name, list(SKILLS)) from None


def applicable_skills(info: ObjectInfo) -> list[type[Skill]]:
    """Skills that apply to an object like ``info``, in ``SKILLS`` order."""
    return [s for s in SKILLS.values() if s.applies_to(info)]


@dataclass(frozen=True)
class PlanStep:
    """One step of a plan: run skill ``skill`` with the defaults for object ``object``.

    The parameters come from ``get_skill(skill).params_for_object(scene, object)``, updated
    with ``params`` (the WHERE a person would choose with the cursor, when the object alone
    does not fix it). ``within`` (m), when set, is how far from that point the step still
    does its job where that is tight (the middle of a tic-tac-toe cell): a person aiming
    there stops the cursor well inside it.
    """

    object: str
    skill: str
    params: dict[str, Any] = field(default_factory=dict)
    within: float | None = None

    def resolve(self, scene: Scene) -> dict[str, Any]:
        """The parameters of this step in ``scene`` now."""
        params = get_skill(self.skill).params_for_object(scene, self.object)
        params.update(self.params)
        return params


# Motion patterns shared by skills: poses of parts and held tools, approach/stroke/retreat.

def quat_mul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Hamilton product ``a * b`` of quaternions (x, y, z, w): rotate by ``b``, then ``a``."""
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return np.array([
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
        aw * bw - ax * bx - ay * by - az * bz,
    ])


def quat_conj(q: np.ndarray) -> np.ndarray:
    """Inverse of a unit quaternion."""
    return np.array([-q[0], -q[1], -q[2], q[3]])


def quat_about(axis: np.ndarray, angle: float) -> np.ndarray:
    """Rotation by ``angle`` rad about ``axis`` (3,), as a quaternion."""
    axis = np.asarray(axis, dtype=float) / np.linalg.norm(axis)
    return np.append(axis * math.sin(angle / 2), math.cos(angle / 2))


def quat_from_axes(x: np.ndarray, y: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Quaternion (x, y, z, w) of the frame whose axes are the orthonormal, right-handed
    ``x``, ``y``, ``z`` (3,) in world coordinates."""
    r = np.column_stack([x, y, z])
    d = np.diag(r)
    w = math.sqrt(max(0.0, 1.0 + d.sum())) / 2
    size = [math.sqrt(max(0.0, 1.0 + 2 * d[i] - d.sum())) / 2 for i in range(3)]
    signs = (r[2, 1] - r[1, 2], r[0, 2] - r[2, 0], r[1, 0] - r[0, 1])
    return np.array([*(math.copysign(s, g) for s, g in zip(size, signs, strict=True)), w])


def rotate(q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Vector ``v`` (3,) rotated by quaternion ``q``."""
    return quat_mul(quat_mul(q, np.append(v, 0.0)), quat_conj(q))[:3]


def heading(q: np.ndarray) -> float:
    """Angle of the rotated x axis in the horizontal plane, in rad."""
    x = rotate(q, np.array([1.0, 0.0, 0.0]))
    return math.atan2(x[1], x[0])


def top_down_orientation(yaw: float) -> np.ndarray:
    """Quaternion (x, y, z, w), shape (4,), of a gripper pointing down, rotated ``yaw`` rad."""
    return np.array([math.cos(yaw / 2), math.sin(yaw / 2), 0.0, 0.0])


def wrap_half_turn(angle: float) -> float:
    """``angle`` rad wrapped into [-pi/2, pi/2): a parallel gripper is the same turned by pi."""
    return (angle + math.pi / 2) % math.pi - math.pi / 2


def part_position(scene: Scene, obj: str, part: str) -> np.ndarray:
    """World position (3,) m of part ``part`` of ``obj`` (see ``ObjectInfo.parts``)."""
    position, quat = scene.object_pose(obj)
    return position + rotate(quat, np.array(scene.object_info(obj).part(part)))


def grasp_pose(scene: Scene, obj: str) -> tuple[np.ndarray, float]:
    """Gripper-centre target (3,) m and gripper yaw (rad) to grasp ``obj`` from above."""
    info = scene.object_info(obj)
    yaw = scene.object_yaw(obj) + info.grasp_yaw
    names = [p for p, _ in info.parts]
    for part in GRASP_PARTS:
        if part in names:
            return part_position(scene, obj, part), wrap_half_turn(yaw)
    return scene.object_position(obj), wrap_half_turn(yaw)


def held_tool_target(scene: Scene, part: str | None, target: np.ndarray,
                     orientation: np.ndarray) -> np.ndarray:
    """Gripper position (3,) m that puts the held object's ``part`` at ``target`` (3,) m.

    ``part`` None means the base frame's origin (the bottom centre of a procedural object).
    The held object is rigid in the hand, so its part keeps its offset in the gripper frame
    while the gripper turns to ``orientation``.
    """
    robot = scene.robot
    ee, q = robot.ee_position(), robot.ee_orientation()
    held = robot.held_object()
    point = scene.object_pose(held)[0] if part is None else part_position(scene, held, part)
    local = rotate(quat_conj(q), point - ee)
    return np.asarray(target, dtype=float) - rotate(orientation, local)


def tool_heading_orientation(scene: Scene, desired: float, symmetric: bool = False
                             ) -> np.ndarray:
    """Gripper orientation, pointing down, that turns the held object's x axis to ``desired``
    rad (or to ``desired + pi`` if ``symmetric`` and that is the smaller wrist turn)."""
    robot = scene.robot
    held_quat = scene.object_pose(robot.held_object())[1]
    turn = (desired - heading(held_quat) + math.pi) % (2 * math.pi) - math.pi
    if symmetric:
        turn = wrap_half_turn(turn)
    return quat_mul(quat_about(np.array([0.0, 0.0, 1.0]), turn), robot.ee_orientation())


def motion_kwargs(budget: StepBudget, should_stop: Callable[[], bool] | None) -> dict[str, Any]:
    """Keyword arguments of a robot motion: the interrupt check and the steps left."""
    return {"should_stop": should_stop, "max_steps": budget.left}


def retreat_home(scene: Scene, budget: StepBudget,
                 should_stop: Callable[[], bool] | None) -> None:
    """Lift the gripper ``APPROACH_HEIGHT`` straight up, then go home, clear of the camera."""
    robot = scene.robot
    up = robot.ee_position() + [0.0, 0.0, APPROACH_HEIGHT]
    robot.move_ee(up, orientation=robot.ee_orientation(), **motion_kwargs(budget, should_stop))
    robot.home(**motion_kwargs(budget, should_stop))


def stroke_path(scene: Scene, path: np.ndarray, orientation: np.ndarray, budget: StepBudget,
                should_stop: Callable[[], bool] | None) -> None:
    """Approach ``path[0]`` from its ``pre_pose`` and follow the gripper ``path`` (n, 3) m,
    as one motion: ``PlanningFailure`` if any pose is out of reach, before moving."""
    poses = np.vstack([pre_pose(scene, path[0])[None], path])
    scene.robot.follow_path(poses, np.repeat(orientation[None], len(poses), axis=0),
                            **motion_kwargs(budget, should_stop))


def pre_pose(scene: Scene, target: np.ndarray) -> np.ndarray:
    """Gripper position (3,) m to come down onto ``target`` (3,) m from: ``APPROACH_HEIGHT``
    above it, and at least ``scene.travel_height`` above the table."""
    above = np.asarray(target, dtype=float) + [0.0, 0.0, APPROACH_HEIGHT]
    above[2] = max(above[2], scene.table_height + scene.travel_height)
    return above


def stroke(scene: Scene, path: np.ndarray, orientation: np.ndarray, budget: StepBudget,
           should_stop: Callable[[], bool] | None) -> None:
    """``stroke_path``, then retreat home."""
    stroke_path(scene, path, orientation, budget, should_stop)
    retreat_home(scene, budget, should_stop)


def object_near(scene: Scene, x: float, y: float, radius: float = 0.05) -> str | None:
    """The graspable object whose centre is nearest (x, y) m and within ``radius`` m, or None."""
    best, best_d = None, radius
    for name in scene.object_names():
        if scene.object_info(name).graspable and name != scene.robot.held_object():
            d = float(np.hypot(*(scene.object_position(name)[:2] - [x, y])))
            if d < best_d:
                best, best_d = name, d
    return best


def push_line(scene: Scene, obj: str, point: np.ndarray, direction: float,
              distance: float, margin: float) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (3,) m of a contact point that moves ``obj`` ``distance`` m along
    ``direction`` rad from ``point``, starting ``margin`` m behind its footprint."""
    unit = np.array([math.cos(direction), math.sin(direction), 0.0])
    radius = horizontal_radius(scene, obj)
    return point - (radius + margin) * unit, point + (distance - radius) * unit


def horizontal_radius(scene: Scene, obj: str) -> float:
    """Half the diagonal of ``obj``'s footprint, in m."""
    return float(np.hypot(*scene.object_info(obj).size[:2])) / 2
