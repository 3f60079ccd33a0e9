"""What a skill is: parameters, preconditions, typed failures, a step budget and a success check.

A skill is a small parameterized controller written against the abstract
:class:`skills.robot.Scene`/:class:`skills.robot.Robot` protocols. ``Skill.run`` checks
preconditions, executes, respects ``step_budget`` and verifies a success check; any failure is a
:class:`SkillFailure` whose ``reason`` says why, so the interface can ask the person again.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from skills.robot import ObjectInfo, Scene

if TYPE_CHECKING:
    import numpy as np


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
