"""Session bookkeeping: what the interface loop counts as it runs, and the session summary.

The loop decides what happens next; :class:`SessionTally` only keeps count of what happened
(decoded windows, confirmations, accepted selections, the person's time by stage, robot time,
cursor travel, attempts) and turns the counts into the numbers of ``summary.json``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

DECODED_STAGES = ("what", "how", "where")
"""Stages whose EEG windows are decoded into a ranked decision."""

PROPOSAL_KINDS = ("intent", "point")
"""What the assistant proposes (``noir.assist``): confirmed at a stage of the same name."""

SELECTING = ("what", "how", "intent")
"""Stages whose time counts for the practical ITR (choosing an object and a skill)."""

DECODED_SELECTIONS = ("what", "how")
"""Selections the person makes among N decoded options (log2(N) bits each for the ITR); an
``"intent"`` selection is the person accepting the assistant's proposal, a binary choice."""


def _is(label: str, intended: str | None) -> bool | None:
    return None if intended is None else label == intended


def decision_score(label: str, truth: dict[str, Any]) -> dict[str, Any]:
    """The ``decision`` event's scored fields: what the person meant (``truth``, from
    ``noir.stream.Operator.truth``) and whether the decoder's ``label`` is it (None when
    nobody knows what the person meant)."""
    return {**truth, "correct": _is(label, truth.get("intended"))}


def confirm_score(clench: bool, truth: dict[str, Any]) -> dict[str, Any]:
    """The ``confirm`` event's scored fields: what the person meant, and whether the decoded
    ``clench`` is what they did (a slip is the person's error, not the decoder's)."""
    wanted = truth.get("wanted_reject")
    if wanted is None:
        return {**truth, "correct": None}
    return {**truth, "correct": clench == (wanted != truth.get("slipped", False))}


def where_score(cursor_px: tuple[float, float], truth: dict[str, Any]) -> dict[str, Any]:
    """The ``where`` event's scored fields: the point the person meant (``target_px``, from
    the truth of the stage's last screen) and how far the cursor stopped from it, pixels."""
    target = truth.get("target_px")
    if target is None:
        return {}
    return {"target_px": list(target),
            "error_px": float(np.linalg.norm(np.subtract(cursor_px, target)))}


class SessionTally:
    """The counts of one session, in the order things happened.

    Attributes
    ----------
    decisions : list of dict
        Every decoded window: the ``decision`` event's fields (stage, ranking, scores, label,
        intended, correct, eeg).
    confirmations : list of dict
        Every ``confirm`` event as recorded (stage, proposal, intended, clench, correct, ...).
        A confirmation at stage ``"intent"`` or ``"point"`` is the person's answer to a
        proposal of the assistant.
    selections : list of dict
        Every accepted selection: ``stage``, ``n_options`` and whether it was what the person
        meant (``correct``). At ``"what"`` and ``"how"`` the person chose among ``n_options``;
        at ``"intent"`` the assistant chose among them and the person only accepted (the
        practical ITR counts that answer as one binary choice, from ``confirmations``).
    stage_time : dict of str to float
        Seconds the person spent deciding, by what they decided (``"what"``, ``"how"``,
        ``"where"``, ``"intent"``, ``"point"``), in the order first spent.
    robot_time : float
        Seconds the robot moved.
    cursor_travel_px, cursor_travel_m : float
        How far the Where cursor moved, all Where stages together, in top-view pixels and in
        metres.
    n_where : int
        Where stages run (finished or abandoned).
    attempts : list of dict
        The finished attempts: ``success``, ``skill_calls``, ``skill_failures``, ``time_s``
        and ``human_time_s``.
    """

    def __init__(self) -> None:
        self.decisions: list[dict[str, Any]] = []
        self.confirmations: list[dict[str, Any]] = []
        self.selections: list[dict[str, Any]] = []
        self.stage_time: dict[str, float] = {}
        self.robot_time = 0.0
        self.cursor_travel_px = 0.0
        self.cursor_travel_m = 0.0
        self.n_where = 0
        self.attempts: list[dict[str, Any]] = []
        self._calls = {"skill_calls": 0, "skill_failures": 0}
        self._started = (0.0, 0.0)

    # -- counting -------------------------------------------------------------------------
    def decided(self, entry: dict[str, Any]) -> None:
        """A window was decoded (``entry``: the ``decision`` event's fields)."""
        self.decisions.append(entry)

    def confirmed(self, entry: dict[str, Any]) -> None:
        """The person answered a proposal (``entry``: the ``confirm`` event)."""
        self.confirmations.append(entry)

    def selected(self, stage: str, n_options: int, chosen: str, truth: dict[str, Any]) -> None:
        """``chosen`` among ``n_options`` was accepted at ``stage`` (for the practical ITR);
        ``truth`` is what the person meant (``noir.stream.Operator.truth``)."""
        self.selections.append({"stage": stage, "n_options": n_options,
                                "correct": _is(chosen, truth.get("intended"))})

    def spent(self, seconds: float, decides: str) -> None:
        """The person spent ``seconds`` deciding ``decides``."""
        self.stage_time[decides] = self.stage_time.get(decides, 0.0) + seconds

    def moved(self, seconds: float) -> None:
        """The robot moved for ``seconds``."""
        self.robot_time += seconds

    def steered(self, travel_px: float, travel_m: float) -> None:
        """A Where stage ended (the cursor stopped or was abandoned) after the cursor moved
        ``travel_px`` pixels, ``travel_m`` m on the table."""
        self.cursor_travel_px += travel_px
        self.cursor_travel_m += travel_m
        self.n_where += 1

    def start_attempt(self, now: float) -> None:
        """An attempt at the task starts at ``now`` s of session time."""
        self._calls = {"skill_calls": 0, "skill_failures": 0}
        self._started = (now, self.human_time)

    def ran_skill(self, succeeded: bool) -> None:
        """The current attempt ran a skill."""
        self._calls["skill_calls"] += 1
        self._calls["skill_failures"] += not succeeded

    @property
    def skill_calls(self) -> int:
        """Skills run in the current attempt so far."""
        return self._calls["skill_calls"]

    def end_attempt(self, success: bool, now: float) -> None:
        """The current attempt ended at ``now`` s of session time."""
        self.attempts.append({
            "success": success, **self._calls, "time_s": now - self._started[0],
            "human_time_s": self.human_time - self._started[1],
        })

    # -- results --------------------------------------------------------------------------
    @property
    def human_time(self) -> float:
        """Seconds the person spent deciding so far, all stages together."""
        return sum(self.stage_time.values())

    def practical_itr(self) -> float:
        """Bits per minute the person sent while choosing objects and skills.

        A selection among N options that the person made (an object by SSVEP, a skill by MI,
        each confirmed) sends log2(N) bits if it was what they meant, none if not: Wolpaw's
        bits per selection for an error-free choice among N equally likely options (Wolpaw et
        al. 2002, Clin. Neurophysiol. 113:767, with P = 1), with errors counted by their
        outcome instead of through the accuracy term. An answer to the assistant's proposal of
        an object and skill is one binary choice: 1 bit if it was what the person meant
        (accepting a right proposal, rejecting a wrong one), none if not; the N options the
        assistant chose among are not the person's bits. The time is all the person's time at
        those stages (``SELECTING``: windows, confirmations, rejections, further pages,
        proposals), so errors cost their correction time, as in a practical (online) ITR
        (Yuan et al. 2013, J. Neural Eng. 10:026014). The Where stage is not counted.

        Returns
        -------
        float
            Bits per minute; 0.0 when no time was spent selecting.
        """
        bits = sum(np.log2(s["n_options"]) for s in self.selections
                   if s["stage"] in DECODED_SELECTIONS and s["correct"])
        bits += sum(bool(c["correct"]) for c in self.confirmations if c["stage"] == "intent")
        seconds = sum(self.stage_time.get(k, 0.0) for k in SELECTING)
        return float(60 * bits / seconds) if seconds else 0.0

    def summary(self, task: str, success: bool, predicates: dict[str, bool],
                sim_time: float) -> dict[str, Any]:
        """The session summary (``summary.json``) after ``sim_time`` s of session time."""
        confirms = self.confirmations
        accuracy, single = {}, {}
        for stage in DECODED_STAGES:
            # a window decoded among one option decides nothing: not counted in the accuracy
            mine = [d for d in self.decisions if d["stage"] == stage]
            correct = [d["correct"] for d in mine
                       if len(d["ranking"]) > 1 and d["correct"] is not None]
            accuracy[stage] = float(np.mean(correct)) if correct else None
            single[stage] = len(mine) - len(correct)
        scored = [c["correct"] for c in confirms if c["correct"] is not None]
        accuracy["confirm"] = float(np.mean(scored)) if scored else None
        proposals = {}
        for kind in PROPOSAL_KINDS:
            answers = [c for c in confirms if c["stage"] == kind]
            proposals[kind] = {
                "offered": len(answers),
                "accepted": sum(not c["clench"] for c in answers),
                "wrongly_accepted": sum(not c["clench"] and c.get("intended") is not None
                                        and c["proposal"] != c["intended"] for c in answers),
            }
        human = self.human_time
        return {
            "task": task,
            "success": success,
            "goal_predicates": predicates,
            "n_decisions": len(self.decisions) + len(confirms),
            "n_stage_decisions": {s: sum(d["stage"] == s for d in self.decisions)
                                  for s in DECODED_STAGES},
            "n_single_option_decisions": single,
            "n_confirmations": len(confirms),
            "n_rejections": sum(c["clench"] for c in confirms),
            "n_attempts": len(self.attempts),
            "attempts": self.attempts,
            "n_skill_calls": sum(a["skill_calls"] for a in self.attempts),
            "n_skill_failures": sum(a["skill_failures"] for a in self.attempts),
            "decoding_accuracy": accuracy,
            "sim_time_s": sim_time,
            "human_time_s": human,
            "robot_time_s": self.robot_time,
            "human_time_pct": 100.0 * human / sim_time if sim_time else None,
            "human_time_by_stage_s": dict(sorted(self.stage_time.items())),
            "cursor_travel_px": self.cursor_travel_px,
            "cursor_travel_m": self.cursor_travel_m,
            "n_where": self.n_where,
            "proposals": proposals,
            "practical_itr_bits_per_min": self.practical_itr(),
        }
