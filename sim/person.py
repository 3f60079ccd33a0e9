"""A simulated person in front of the interface: what they want, and how long they take.

The interface (``noir``) shows screens (:mod:`decoders.cues`: a page of flickering objects, a
menu of motor-imagery options, a proposal to accept or reject, a moving robot, a gliding
cursor) and never knows what the person wants. A :class:`Person` looks at each screen and
answers it with the cues their body then produces (``sim.eeg_subject.SyntheticSubject``,
recorded trials or a live stream turn cues into EEG):

* **perception and decision time** before each answer, growing with the number of options as
  the Hick–Hyman law says: ``a + b * log2(n + 1)`` s for ``n`` options (Hick 1952; Hyman 1953:
  ``b`` about 0.15 s/bit; ``a`` about 0.2 s, the simple visual reaction time, Luce 1986). On
  a flicker page or a menu the person spends that time finding what they mean before they
  look at it or start imagining; a decoding window holds it (human time counts it, as NOIR's
  does). A proposal is a choice between accepting and rejecting (``n = 2``);
* **reaction time of a clench**: after a proposal they reject (the decision time above), when
  the gliding cursor reaches the point they mean (a simple reaction ``simple_rt_s`` after it
  gets there, so the cursor overshoots: the person does not anticipate), and when the robot
  starts a motion they did not ask for (``motion_notice_s`` to see it, then a 1-bit choice);
* each time is drawn from a log-normal distribution around its mean with coefficient of
  variation ``rt_cv`` (reaction times are right-skewed; Luce 1986 reports CVs of 0.1–0.3);
* **lapses**: with probability ``lapse_rate`` a flicker page or a menu gets no answer at all
  (attention elsewhere; lapses of 1–5 % of trials are usual in sustained attention tasks);
* **slips**: with probability ``slip_rate`` the person does the opposite of what they meant to
  a proposal (routine-action error rates of 0.1–1 %, Swain & Guttmann 1983, NUREG/CR-1278);
* **fatigue**: every time grows by ``fatigue_per_hour`` per hour on task (time-on-task slowing
  of a few % to 10 % per hour; Langner & Eickhoff 2013, Psychol. Bull. 139:870);
* **where is close enough**: the person accepts a cursor within ``tolerance_px`` of the point
  they mean, else steers on; where the step must land inside a small region (a plan step's
  ``within``: a tic-tac-toe cell; the part of the object a grasp holds, ``Skill.grasp_within``)
  they stop it in the inner half of that region, if that is tighter. The grasp point they mean
  is the plan step's, or where the skill grasps by default (``Skill.default_grasp_point``);
* **habits**: among a task's valid plans a person has a favourite, chosen with probability
  ``habit_strength`` each session (:func:`choose_plan`), else another at random.

:func:`sample_people` draws subjects who differ in all of these. This module imports no
simulator engine: a person only needs a scene that answers the plan's object queries and the
top camera's projection.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from decoders.cues import Cue, Flicker, Glide, Menu, Motion, Proposal, Screen

if TYPE_CHECKING:
    from skills import PlanStep

CONTINUOUS_STEPS = {"left_hand": (-1, 0), "right_hand": (1, 0), "legs": (0, 1), "rest": (0, -1)}
"""Continuous cursor: the direction (du, dv) each MI class moves it (``noir.where``)."""
AXIS_DIRECTIONS = ("towards smaller", "towards larger")
"""Axis cursor: the two directions, as the interface words them."""
CLENCH_HOLD_S = 1.0
"""How long a person holds a clench that stops a motion or a glide, s (until they see it
stop; the detector needs about 0.25 s of it)."""


class Eyes(Protocol):
    """What a person sees of the scene: the objects where they are, and the top camera's
    projection (``sim.world.World`` is one)."""

    table_height: float

    def world_to_pixel(self, xyz: np.ndarray, view: str = "top") -> np.ndarray:
        """(u, v) pixel of world point ``xyz`` (m) in camera ``view``."""


@dataclass(frozen=True)
class PersonTraits:
    """How fast and how reliably a person answers the interface (see the module docstring for
    the sources).

    Attributes
    ----------
    name : str
    hick_intercept_s, hick_slope_s_per_bit : float
        Hick–Hyman decision time ``a + b * log2(n + 1)`` for ``n`` options, s and s/bit.
    simple_rt_s : float
        Reaction to an awaited event (the cursor reaching the point meant), s.
    motion_notice_s : float
        Time to see that the robot started a motion not asked for, before deciding to stop it.
    rt_cv : float
        Trial-to-trial coefficient of variation of every time (log-normal).
    lapse_rate, slip_rate : float
        Probability of no answer to a flicker page or menu; of the opposite answer to a
        proposal.
    fatigue_per_hour : float
        Relative slowing of every time per hour on task.
    tolerance_px : float
        A cursor within this many pixels of the point meant is close enough.
    habit_strength : float
        Probability of the favourite plan in a session.
    """

    name: str = "reference"
    hick_intercept_s: float = 0.20
    hick_slope_s_per_bit: float = 0.15
    simple_rt_s: float = 0.22
    motion_notice_s: float = 0.15
    rt_cv: float = 0.2
    lapse_rate: float = 0.02
    slip_rate: float = 0.01
    fatigue_per_hour: float = 0.08
    tolerance_px: float = 12.0
    habit_strength: float = 0.7

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name != "name" and not (isinstance(value, float | int)
                                             and math.isfinite(value) and value >= 0):
                raise ValueError(f"PersonTraits.{field.name} must be a finite number >= 0, "
                                 f"got {value!r}")
        for name in ("lapse_rate", "slip_rate", "habit_strength"):
            if getattr(self, name) > 1:
                raise ValueError(f"PersonTraits.{name} is a probability, in [0, 1]; "
                                 f"got {getattr(self, name)}")
        if self.tolerance_px <= 0 or self.simple_rt_s <= 0:
            raise ValueError("PersonTraits.tolerance_px and simple_rt_s must be > 0")

    def decision_time(self, n_options: int) -> float:
        """Mean Hick–Hyman time (s) to choose among ``n_options``."""
        return self.hick_intercept_s + self.hick_slope_s_per_bit * math.log2(n_options + 1)


REFERENCE = PersonTraits()
"""The literature's mean person; subject 0 of every experiment."""


def sample_people(n: int, seed: int = 0) -> list[PersonTraits]:
    """``n`` people: the first is :data:`REFERENCE`, the others drawn around it (times with a
    between-subject CV of 0.15, lapse and slip rates from 0.5x to 2x, tolerance from 9 to 16 px,
    habit strength from 0.5 to 0.9), reproducibly from ``seed``."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    rng = np.random.default_rng(seed)
    people = [REFERENCE]
    for i in range(1, n):
        times = rng.lognormal(0.0, 0.15, size=4)
        people.append(dataclasses.replace(
            REFERENCE, name=f"person-{i}",
            hick_intercept_s=REFERENCE.hick_intercept_s * times[0],
            hick_slope_s_per_bit=REFERENCE.hick_slope_s_per_bit * times[1],
            simple_rt_s=REFERENCE.simple_rt_s * times[2],
            motion_notice_s=REFERENCE.motion_notice_s * times[3],
            lapse_rate=REFERENCE.lapse_rate * 2 ** rng.uniform(-1, 1),
            slip_rate=REFERENCE.slip_rate * 2 ** rng.uniform(-1, 1),
            tolerance_px=float(rng.uniform(9.0, 16.0)),
            habit_strength=float(rng.uniform(0.5, 0.9)),
        ))
    return people


def choose_plan(plans: Mapping[str, Sequence[PlanStep]], favourite: int,
                traits: PersonTraits, rng: np.random.Generator) -> tuple[str, list[PlanStep]]:
    """The plan a person with favourite plan number ``favourite`` (taken modulo the number of
    plans) follows this session: the favourite with probability ``traits.habit_strength``,
    else one of the others at random. Returns (name, steps)."""
    if not plans:
        raise ValueError("a task needs at least one plan")
    names = list(plans)
    best = names[favourite % len(names)]
    others = [name for name in names if name != best]
    name = best if not others or rng.random() < traits.habit_strength else str(
        rng.choice(others))
    return name, list(plans[name])


class Person:
    """A person who follows a plan and answers every screen the interface shows.

    Parameters
    ----------
    plan : sequence of PlanStep
        (object, skill[, point]) steps in order (empty: no task, e.g. calibration only).
    eyes : Eyes, optional
        The scene they look at (for where the plan's points are in the top image); needed
        only for the Where stage.
    traits : PersonTraits
    seed : int
        Seeds every time, lapse and slip.

    Attributes
    ----------
    truth : dict
        What the person meant at the last screen (``intended``, ``wanted_reject``,
        ``clench_at`` ...): for the session record and its scores, never for the interface.
    elapsed : float
        Seconds of screens seen so far (for fatigue).
    """

    def __init__(self, plan: Sequence[PlanStep] = (), eyes: Eyes | None = None,
                 traits: PersonTraits = REFERENCE, seed: int = 0) -> None:
        self.plan = list(plan)
        self.eyes = eyes
        self.traits = traits
        self.rng = np.random.default_rng(seed)
        self.step = 0
        self.truth: dict[str, Any] = {}
        self.elapsed = 0.0

    # -- what they want -------------------------------------------------------------------
    @property
    def goal(self) -> PlanStep:
        """The plan step the person is working on (the last one once the plan is done)."""
        if not self.plan:
            raise ValueError("this person has no plan, so no intention to act on")
        return self.plan[min(self.step, len(self.plan) - 1)]

    def target_px(self, obj: str | None = None, skill: str | None = None) -> np.ndarray | None:
        """Where the current step's point is in the top image, (u, v) pixels; None when the
        cursor is for another object or skill (``obj``, ``skill``: what it is for, if known)
        or the step takes no point."""
        if self.eyes is None:
            raise ValueError("this person has no eyes on the scene, so no point to aim at")
        goal = self.goal
        if (obj is not None and obj != goal.object) or (skill is not None and skill != goal.skill):
            return None
        point = self._goal_point()
        return None if point is None else np.asarray(self.eyes.world_to_pixel(point), dtype=float)

    def _goal_point(self) -> np.ndarray | None:
        """The current step's point (x, y, z) in m, or None if it takes none; a grasp point
        (``Skill.grasp_params``) on the object's surface, where the skill grasps by default
        unless the step says."""
        from skills import get_skill  # the skills registry (no simulator engine)

        goal = self.goal
        skill = get_skill(goal.skill)
        params = goal.resolve(self.eyes)
        if skill.grasp_params:
            grasp = skill.default_grasp_point(self.eyes, goal.object)
            params = {"x": grasp[0], "y": grasp[1], "z": grasp[2], **params}
        if "x" not in params or "y" not in params:
            return None
        plane = skill.point_height
        z = float(params.get("z", self.eyes.table_height if plane is None else plane))
        return np.array([params["x"], params["y"], z])

    def _within(self) -> float | None:
        """How far (m) from the current step's point it still does its job, where that is
        tight: the step's ``within``, or how far from it a grasp still holds the object
        (``Skill.grasp_within``), whichever is less; None if neither applies."""
        from skills import get_skill

        goal = self.goal
        skill = get_skill(goal.skill)
        if not skill.grasp_params:
            return goal.within
        grasp = skill.grasp_within(self.eyes, goal.object)
        return grasp if goal.within is None else min(goal.within, grasp)

    def tolerance_px(self) -> float:
        """How close (top-image pixels) the cursor must be to the current step's point: the
        person's ``tolerance_px``, or half of how far from it the step still does its job
        (:meth:`_within`) seen at the point if that is less."""
        within = self._within()
        point = None if within is None else self._goal_point()
        if point is None:
            return self.traits.tolerance_px
        seen = np.linalg.norm(np.subtract(self.eyes.world_to_pixel(point + [within, 0.0, 0.0]),
                                          self.eyes.world_to_pixel(point)))
        return min(self.traits.tolerance_px, float(seen) / 2)

    def skill_done(self, obj: str, skill: str, succeeded: bool) -> None:
        """The person saw the robot finish ``skill`` on ``obj``: on to the next step if it was
        the one meant and it worked."""
        if self.plan and succeeded and (obj, skill) == (self.goal.object, self.goal.skill):
            self.step += 1

    def restart(self, eyes: Eyes | None = None) -> None:
        """The task was reset to its start (``eyes``: a new scene, if it was rebuilt)."""
        self.step = 0
        if eyes is not None:
            self.eyes = eyes

    # -- timing ---------------------------------------------------------------------------
    def _time(self, mean: float) -> float:
        """One draw of a time with mean ``mean`` s, slowed by fatigue."""
        t = self.traits
        sigma = math.sqrt(math.log1p(t.rt_cv ** 2))
        draw = mean * float(self.rng.lognormal(-sigma ** 2 / 2, sigma))
        return draw * (1 + t.fatigue_per_hour * self.elapsed / 3600)

    def _respond_after(self, delay: float, seconds: float, act: Cue | None) -> list[Cue]:
        """Rest for ``delay`` s, then ``act`` for the rest of ``seconds`` (rest throughout if
        the delay outlasts the screen or there is nothing to do)."""
        if act is None or delay >= seconds - 1e-3:
            return [Cue("rest", seconds)]
        if delay <= 0:
            return [Cue(act.kind, seconds, act.target)]
        return [Cue("rest", delay), Cue(act.kind, seconds - delay, act.target)]

    # -- answering screens -----------------------------------------------------------------
    def cues(self, screen: Screen) -> list[Cue]:
        """What the person does while ``screen`` shows (back-to-back cues filling its
        ``seconds``); :attr:`truth` says what they meant."""
        handler = {Flicker: self._flicker, Menu: self._menu, Proposal: self._proposal,
                   Motion: self._motion, Glide: self._glide}[type(screen)]
        cues = handler(screen)
        if isinstance(screen, Glide) or getattr(screen, "cursor_px", None) is not None:
            target = self.target_px(screen.object, screen.skill)
            self.truth["target_px"] = None if target is None else [float(c) for c in target]
        self.elapsed += screen.seconds
        return cues

    def _flicker(self, screen: Flicker) -> list[Cue]:
        wanted = self.goal.object
        self.truth = {"intended": wanted}
        freq = screen.page.get(wanted)
        delay = self._time(self.traits.decision_time(len(screen.page)))
        lapse = self.rng.random() < self.traits.lapse_rate
        self.truth["lapsed"] = bool(lapse)
        act = Cue("ssvep", 1.0, freq) if freq is not None and not lapse else None
        return self._respond_after(delay, screen.seconds, act)

    def _menu(self, screen: Menu) -> list[Cue]:
        wanted = self._wanted_option(screen)
        self.truth = {"intended": wanted}
        chosen = next((c for c, option in screen.options.items() if option == wanted), None)
        delay = self._time(self.traits.decision_time(len(screen.options)))
        lapse = self.rng.random() < self.traits.lapse_rate
        self.truth["lapsed"] = bool(lapse)
        act = Cue("mi", 1.0, chosen) if chosen is not None and not lapse else None
        return self._respond_after(delay, screen.seconds, act)

    def _wanted_option(self, screen: Menu) -> str:
        """The option the person means on a menu: the plan's skill, or the cursor direction
        that brings the cursor towards the point they mean."""
        if screen.cursor_px is None:
            return self.goal.skill
        target = self.target_px(screen.object, screen.skill)
        if target is None:  # a cursor for something not meant: no direction wanted
            return "none"
        gap = target - np.asarray(screen.cursor_px, dtype=float)
        if screen.axis is not None:
            return AXIS_DIRECTIONS[int(gap[screen.axis] >= 0)]
        wanted = ("left_hand" if gap[0] < 0 else "right_hand") if abs(gap[0]) >= abs(gap[1]) \
            else ("legs" if gap[1] > 0 else "rest")
        return screen.options.get(wanted, wanted)

    def _proposal(self, screen: Proposal) -> list[Cue]:
        intended = self._wanted_answer(screen)
        wanted_reject = screen.proposal != intended
        slipped = bool(self.rng.random() < self.traits.slip_rate)
        self.truth = {"intended": intended, "wanted_reject": wanted_reject, "slipped": slipped}
        if screen.stage == "intent":
            self.truth.update(intended_object=self.goal.object, intended_skill=self.goal.skill)
        if wanted_reject == slipped:  # accept: rest throughout
            self.truth["clench_at"] = None
            return [Cue("rest", screen.seconds)]
        delay = self._time(self.traits.decision_time(2))
        self.truth["clench_at"] = delay if delay < screen.seconds else None
        return self._respond_after(delay, screen.seconds, Cue("clench", 1.0))

    def _wanted_answer(self, screen: Proposal) -> str:
        """The answer the person means to ``screen``, in its words: the proposal itself to
        accept it, anything else to reject it."""
        goal = self.goal
        if screen.stage == "what":
            return goal.object
        if screen.stage == "how":
            return goal.skill
        if screen.stage == "intent":
            return f"{goal.skill}({goal.object})"
        cursor = np.asarray(screen.cursor_px, dtype=float)
        target = self.target_px(screen.object, screen.skill)
        if target is None:  # a point for something not meant: get past it, stop the robot then
            return {"axis done": "axis done", "keep moving": "stop",
                    "proposed point": "proposed point"}.get(screen.proposal, "none")
        gap = target - cursor
        tolerance = self.tolerance_px()
        close = float(np.linalg.norm(gap)) <= tolerance
        if screen.proposal in AXIS_DIRECTIONS:
            return AXIS_DIRECTIONS[int(gap[screen.axis] >= 0)]
        if screen.proposal == "axis done":
            return "axis done" if abs(gap[screen.axis]) <= tolerance else "keep steering"
        if screen.proposal == "keep moving":
            return "stop" if close else "keep moving"
        return screen.proposal if close else "another point"  # a proposed point

    def _motion(self, screen: Motion) -> list[Cue]:
        wanted = bool(self.plan) and (screen.object, screen.skill) == (self.goal.object,
                                                                       self.goal.skill)
        at = None if wanted else self._time(self.traits.motion_notice_s
                                            + self.traits.decision_time(2))
        return self._clench_at(at, screen.seconds)

    def _glide(self, screen: Glide) -> list[Cue]:
        target = self.target_px(screen.object, screen.skill)
        gap = 0.0 if target is None else float(target[screen.axis] - screen.start_px[screen.axis])
        if gap * screen.sign > 0:  # towards the point: clench a reaction after it gets there
            at = abs(gap) / screen.speed + self._time(self.traits.simple_rt_s)
        else:  # the wrong way (or already there): a decision to stop it
            at = self._time(self.traits.decision_time(2))
        return self._clench_at(at, screen.seconds)

    def _clench_at(self, at: float | None, seconds: float) -> list[Cue]:
        """Rest, a clench held ``CLENCH_HOLD_S`` from ``at`` s (None: none), rest again."""
        if at is not None and at >= seconds:
            at = None
        self.truth = {"clench_at": at}
        if at is None:
            return [Cue("rest", seconds)]
        cues = self._respond_after(at, min(seconds, at + CLENCH_HOLD_S), Cue("clench", 1.0))
        if at + CLENCH_HOLD_S < seconds:
            cues.append(Cue("rest", seconds - at - CLENCH_HOLD_S))
        return cues


class ScheduledClench(Person):
    """A person who clenches at a preset time into chosen skills, whatever they meant (for
    measuring how fast a clench stops the robot).

    Attributes
    ----------
    schedule : dict of str to float
        Skill name -> seconds after its start at which the person clenches.
    """

    def __init__(self, plan: Sequence[PlanStep] = (), eyes: Eyes | None = None,
                 traits: PersonTraits = REFERENCE, seed: int = 0) -> None:
        super().__init__(plan, eyes, traits, seed)
        self.schedule: dict[str, float] = {}

    def _motion(self, screen: Motion) -> list[Cue]:
        return self._clench_at(self.schedule.get(screen.skill), screen.seconds)
