"""The interface loop: What (SSVEP) -> How (MI) -> confirm/reject (EMG) -> the skill runs.

One pass of the loop selects an object by SSVEP, a skill for it by motor imagery, and runs the
skill with the parameters it derives from the object (the MI "Where" cursor arrives later). Every
decoded result is shown to the person, who clenches the jaw to reject it; a rejection offers the
next-ranked option. Skill failures are typed and recorded, and the loop asks again.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import mne
import numpy as np

from decoders.ssvep import CCA
from noir.calibration import Calibration
from noir.config import LoopConfig
from noir.intents import Decision, Intent
from noir.operators import Operator
from noir.session import SessionClock, SessionRecorder
from sim.eeg_subject import MI_CLASSES, Cue
from sim.tasks import Task
from sim.world import World
from skills import SkillFailure, applicable_skills, get_skill


def window(raw: mne.io.BaseRaw, channels: Sequence[str]) -> np.ndarray:
    """The whole of ``raw`` on ``channels`` as one trial, shape (1, n_channels, n_times).

    Raises
    ------
    ValueError
        If a channel is missing from the recording (names it and lists what is there).
    """
    missing = [ch for ch in channels if ch not in raw.ch_names]
    if missing:
        raise ValueError(
            f"channel(s) {missing} not in the EEG stream; it has {raw.ch_names}"
        )
    return raw.get_data(picks=list(channels))[np.newaxis]


class InterfaceLoop:
    """Drives one task to its goal from an operator's EEG.

    Parameters
    ----------
    world : World
        The simulated robot world (a ``skills`` Scene).
    task : Task
        Gives the goal predicates that end the loop.
    operator : Operator
        Source of EEG and of the person's intention.
    calibration : Calibration
        Fitted MI and EMG decoders.
    recorder : SessionRecorder
        Where events, frames, EEG and the summary go.
    config : LoopConfig
    """

    def __init__(
        self,
        world: World,
        task: Task,
        operator: Operator,
        calibration: Calibration,
        recorder: SessionRecorder,
        config: LoopConfig | None = None,
    ) -> None:
        self.world = world
        self.task = task
        self.operator = operator
        self.calibration = calibration
        self.recorder = recorder
        self.clock = recorder.clock
        self.config = config or LoopConfig()
        self.eeg: list[mne.io.BaseRaw] = []
        self.decisions: list[dict[str, Any]] = []
        self.confirmations: list[dict[str, Any]] = []
        self.human_time = 0.0
        self.robot_time = 0.0

    # -- EEG ----------------------------------------------------------------------------
    def _record(self, cue: Cue) -> mne.io.BaseRaw:
        """Show one cue to the operator and keep the EEG it produced."""
        raw = self.operator.eeg([cue])
        if raw.info["sfreq"] != self.config.sfreq:
            raise ValueError(
                f"mismatched sampling rate: the operator's EEG is at {raw.info['sfreq']} Hz, "
                f"the decoders expect {self.config.sfreq} Hz"
            )
        self.eeg.append(raw)
        self.clock.advance(cue.duration)
        self.human_time += cue.duration
        return raw

    def _decide(self, decision: Decision, intended: str) -> None:
        entry = {**decision.to_json(), "label": decision.label, "intended": intended,
                 "correct": decision.label == intended}
        self.decisions.append(entry)
        self.recorder.event("decision", **entry)

    # -- stages ---------------------------------------------------------------------------
    def confirm(self, stage: str, proposal: str, intended: str) -> bool:
        """Show ``proposal``; the operator clenches to reject it. True if it was accepted."""
        wants_reject = proposal != intended
        raw = self._record(Cue("clench" if wants_reject else "rest", self.config.confirm_window))
        X = window(raw, self.config.emg_channels)
        start = time.perf_counter()
        score = float(self.calibration.emg.decision_function(X)[0])
        clench = bool(self.calibration.emg.predict(X)[0])
        latency = (time.perf_counter() - start) * 1e3
        entry = self.recorder.event(
            "confirm", stage=stage, proposal=proposal, intended=intended,
            clench=clench, wanted_reject=wants_reject, correct=clench == wants_reject,
            score=score, latency_ms=latency,
        )
        self.confirmations.append(entry)
        return not clench

    def select_object(self) -> str | None:
        """What: SSVEP over the candidate objects. Returns the accepted object or None."""
        candidates = self.world.object_names()
        freqs = self.config.ssvep_freqs
        if len(candidates) > len(freqs):
            raise ValueError(
                f"{len(candidates)} candidate objects but only {len(freqs)} flicker frequencies "
                f"{list(freqs)}: add frequencies to LoopConfig.ssvep_freqs"
            )
        freq_of = dict(zip(candidates, freqs, strict=False))
        intended = self.operator.want_object(candidates)
        target = freq_of.get(intended)
        cue = Cue("ssvep", self.config.ssvep_window, target) if target else Cue(
            "rest", self.config.ssvep_window
        )
        self.recorder.event("stage", stage="what", candidates=freq_of, intended=intended)
        X = window(self._record(cue), self.config.ssvep_channels)
        cca = CCA(freqs=[freq_of[c] for c in candidates], sfreq=self.config.sfreq,
                  labels=candidates)
        start = time.perf_counter()
        scores = cca.fit().decision_function(X)[0]
        latency = (time.perf_counter() - start) * 1e3
        decision = _ranked("what", list(cca.classes_), scores, "canonical correlation",
                           self.config.ssvep_window, latency)
        self._decide(decision, intended)
        for proposal in decision.ranking:
            if self.confirm("what", proposal, intended):
                return proposal
        return None

    def select_skill(self, obj: str) -> str | None:
        """How: MI over up to 4 skills that apply to ``obj``. Returns the accepted skill or None."""
        options = [skill.name for skill in applicable_skills(self.world.object_info(obj))][:4]
        if not options:
            self.recorder.event("stage", stage="how", object=obj, options={}, intended=None)
            return None
        binding = dict(zip(MI_CLASSES, options, strict=False))  # MI class -> skill name
        intended = self.operator.want_skill(obj, options)
        intended_class = next((c for c, s in binding.items() if s == intended), None)
        cue = Cue("mi", self.config.mi_window, intended_class) if intended_class else Cue(
            "rest", self.config.mi_window
        )
        self.recorder.event("stage", stage="how", object=obj, options=binding, intended=intended)
        X = window(self._record(cue), self.config.mi_channels)
        mi = self.calibration.mi
        start = time.perf_counter()
        proba = mi.predict_proba(X)[0]
        latency = (time.perf_counter() - start) * 1e3
        by_class = dict(zip(mi.classes_, proba, strict=True))
        offered = np.array([by_class[c] for c in binding])
        offered = offered / offered.sum()  # the decision is among the offered classes only
        decision = _ranked("how", options, offered, "probability", self.config.mi_window, latency)
        self._decide(decision, intended)
        for proposal in decision.ranking:
            if self.confirm("how", proposal, intended):
                return proposal
        return None

    def execute(self, intent: Intent) -> bool:
        """Run the intent's skill; record its outcome. True if it succeeded."""
        self.recorder.event("skill_start", **intent.to_json())
        start = self.world.sim_time
        try:
            result = get_skill(intent.skill)().run(self.world, intent.params)
        except SkillFailure as failure:
            elapsed = self.world.sim_time - start
            self.robot_time += elapsed
            self.clock.advance(elapsed)
            self.recorder.event("skill_failure", **intent.to_json(), reason=failure.reason.value,
                                message=str(failure), sim_time=elapsed)
            self.operator.skill_done(intent.object, intent.skill, succeeded=False)
            return False
        self.robot_time += result.sim_time
        self.clock.advance(result.sim_time)
        self.recorder.event("skill_end", **intent.to_json(), steps=result.steps,
                            sim_time=result.sim_time)
        self.operator.skill_done(intent.object, intent.skill, succeeded=True)
        return True

    # -- the loop --------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        """Run until the task's goal holds or a limit is hit; return the session summary."""
        self.recorder.event("task_start", task=self.task.name, objects=self.world.object_names())
        self.recorder.frame("000-start", self.world.render("top"))
        skill_calls = failures = rejected_passes = 0
        while not self.task.success(self.world):
            if skill_calls >= self.config.max_skill_calls:
                break
            if rejected_passes >= self.config.max_stage_repeats:
                break
            obj = self.select_object()
            skill = self.select_skill(obj) if obj is not None else None
            if skill is None:
                rejected_passes += 1
                continue
            rejected_passes = 0
            params = get_skill(skill).params_for_object(self.world, obj)
            ok = self.execute(Intent(obj, skill, params))
            skill_calls += 1
            failures += not ok
            self.recorder.frame(f"{skill_calls:03d}-{skill}-{obj}", self.world.render("top"))
        success = bool(self.task.success(self.world))
        predicates = self.task.goal_predicates(self.world)
        self.recorder.event("task_end", task=self.task.name, success=success,
                            predicates=predicates)
        return self._summary(success, predicates, skill_calls, failures)

    def _summary(self, success: bool, predicates: dict[str, bool], skill_calls: int,
                 failures: int) -> dict[str, Any]:
        confirms = self.confirmations
        accuracy = {}
        for stage in ("what", "how"):
            correct = [d["correct"] for d in self.decisions if d["stage"] == stage]
            accuracy[stage] = float(np.mean(correct)) if correct else None
        accuracy["confirm"] = float(np.mean([c["correct"] for c in confirms])) if confirms else None
        total = self.clock.now
        return {
            "task": self.task.name,
            "success": success,
            "goal_predicates": predicates,
            "n_decisions": len(self.decisions) + len(confirms),
            "n_stage_decisions": {s: sum(d["stage"] == s for d in self.decisions)
                                  for s in ("what", "how")},
            "n_confirmations": len(confirms),
            "n_rejections": sum(c["clench"] for c in confirms),
            "n_skill_calls": skill_calls,
            "n_skill_failures": failures,
            "decoding_accuracy": accuracy,
            "sim_time_s": total,
            "human_time_s": self.human_time,
            "robot_time_s": self.robot_time,
            "human_time_pct": 100.0 * self.human_time / total if total else None,
        }


def _ranked(stage: str, labels: Sequence[str], scores: np.ndarray, kind: str, window_s: float,
            latency_ms: float) -> Decision:
    order = np.argsort(-np.asarray(scores), kind="stable")
    return Decision(
        stage=stage, ranking=[labels[i] for i in order],
        scores={labels[i]: float(scores[i]) for i in range(len(labels))},
        score_kind=kind, window_s=window_s, latency_ms=latency_ms,
    )
