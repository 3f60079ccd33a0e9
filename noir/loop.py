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
from noir.session import SessionRecorder
from noir.stream import ClenchMonitor, RingBuffer
from sim.eeg_subject import MI_CLASSES, Cue
from sim.tasks import Task
from sim.world import World
from skills import Skill, SkillFailure, applicable_skills, get_skill

PRE_ROLL = 1.0
"""Seconds of EEG before a skill starts that the clench monitor already holds."""


def window(raw: mne.io.BaseRaw, channels: Sequence[str], sfreq: float) -> np.ndarray:
    """The whole of ``raw`` on ``channels`` as one trial, shape (1, n_channels, n_times).

    Raises
    ------
    ValueError
        If a channel is missing from the recording (names it and lists what is there), or the
        recording's sampling rate is not the decoder's ``sfreq``.
    """
    missing = [ch for ch in channels if ch not in raw.ch_names]
    if missing:
        raise ValueError(
            f"channel(s) {missing} not in the EEG stream; it has {raw.ch_names}"
        )
    if raw.info["sfreq"] != sfreq:
        raise ValueError(
            f"mismatched sampling rate: the EEG is at {raw.info['sfreq']} Hz, "
            f"the decoder expects {sfreq} Hz"
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
        self.decisions: list[dict[str, Any]] = []
        self.confirmations: list[dict[str, Any]] = []
        self.human_time = 0.0
        self.robot_time = 0.0

    # -- EEG ----------------------------------------------------------------------------
    def _record(self, cue: Cue) -> tuple[mne.io.BaseRaw, dict[str, Any]]:
        """Show one cue to the operator; record the EEG it produced (human time)."""
        raw = self.operator.eeg([cue])
        self.clock.advance(cue.duration)
        self.human_time += cue.duration
        return raw, self.recorder.eeg(raw)

    def _decide(self, decision: Decision, intended: str, eeg: dict[str, Any]) -> None:
        entry = {**decision.to_json(), "label": decision.label, "intended": intended,
                 "correct": decision.label == intended, "eeg": eeg}
        self.decisions.append(entry)
        self.recorder.event("decision", **entry)

    # -- stages ---------------------------------------------------------------------------
    def confirm(self, stage: str, proposal: str, intended: str) -> bool:
        """Show ``proposal``; the operator clenches to reject it. True if it was accepted."""
        wants_reject = proposal != intended
        raw, eeg = self._record(
            Cue("clench" if wants_reject else "rest", self.config.confirm_window)
        )
        X = window(raw, self.config.emg_channels, self.calibration.emg.sfreq)
        start = time.perf_counter()
        score = float(self.calibration.emg.decision_function(X)[0])
        clench = bool(self.calibration.emg.predict(X)[0])
        latency = (time.perf_counter() - start) * 1e3
        entry = self.recorder.event(
            "confirm", stage=stage, proposal=proposal, intended=intended,
            clench=clench, wanted_reject=wants_reject, correct=clench == wants_reject,
            score=score, latency_ms=latency, eeg=eeg,
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
        raw, eeg = self._record(cue)
        cca = CCA(freqs=[freq_of[c] for c in candidates], sfreq=raw.info["sfreq"],
                  labels=candidates)
        X = window(raw, self.config.ssvep_channels, cca.sfreq)
        start = time.perf_counter()
        scores = cca.fit().decision_function(X)[0]
        latency = (time.perf_counter() - start) * 1e3
        decision = _ranked("what", list(cca.classes_), scores, "canonical correlation",
                           self.config.ssvep_window, latency)
        self._decide(decision, intended, eeg)
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
        raw, eeg = self._record(cue)
        mi = self.calibration.mi
        X = window(raw, self.config.mi_channels, mi.sfreq)
        start = time.perf_counter()
        proba = mi.predict_proba(X)[0]
        latency = (time.perf_counter() - start) * 1e3
        by_class = dict(zip(mi.classes_, proba, strict=True))
        offered = np.array([by_class[c] for c in binding])
        offered = offered / offered.sum()  # the decision is among the offered classes only
        decision = _ranked("how", options, offered, "probability", self.config.mi_window, latency)
        self._decide(decision, intended, eeg)
        for proposal in decision.ranking:
            if self.confirm("how", proposal, intended):
                return proposal
        return None

    def execute(self, intent: Intent) -> bool:
        """Run the intent's skill while watching for a jaw clench that interrupts it.

        The operator's EEG during the motion is decoded every ``ClenchMonitor.hop`` seconds;
        a clench stops the robot (``InterruptedFailure``). True if the skill succeeded.
        """
        skill = get_skill(intent.skill)
        monitor, emg, clench_at = self._clench_monitor(skill, intent)
        self.recorder.event("skill_start", **intent.to_json())
        start = self.world.sim_time
        try:
            result = skill.run(self.world, intent.params, should_stop=monitor)
        except SkillFailure as failure:
            outcome = {"reason": failure.reason.value, "message": str(failure)}
        else:
            outcome = {"steps": result.steps}
        elapsed = self.world.sim_time - start
        self.robot_time += elapsed
        self.clock.advance(elapsed)
        eeg = self.recorder.eeg(emg.crop(tmax=min(PRE_ROLL + elapsed, emg.times[-1])))
        detected = monitor.detected_at
        clench = {
            "clench_at": clench_at,
            "detected_at": None if detected is None else detected / emg.info["sfreq"],
        }
        ok = "reason" not in outcome
        self.recorder.event("skill_end" if ok else "skill_failure", **intent.to_json(),
                            **outcome, **clench, sim_time=elapsed, eeg=eeg, pre_roll=PRE_ROLL)
        self.operator.skill_done(intent.object, intent.skill, succeeded=ok)
        return ok

    def _clench_monitor(
        self, skill: type[Skill], intent: Intent
    ) -> tuple[ClenchMonitor, mne.io.BaseRaw, float | None]:
        """A clench monitor over the operator's EMG while ``skill`` runs.

        Returns the monitor, the operator's EEG from ``PRE_ROLL`` seconds before the skill's
        start to the end of its step budget, and when (s after the start) the operator
        clenches, if they do. The monitor already holds the pre-roll, so it decodes from the
        first control step on.
        """
        budget = skill.step_budget * self.world.timestep
        clench_at = self.operator.interrupt_time(intent.object, intent.skill)
        cues = [Cue("rest", PRE_ROLL)]
        if clench_at is None or clench_at >= budget:
            clench_at = None
            cues.append(Cue("rest", budget))
        else:
            cues += [Cue("rest", clench_at), Cue("clench", budget - clench_at)]
        raw = self.operator.eeg(cues)
        emg = window(raw, self.config.emg_channels, self.calibration.emg.sfreq)[0]
        sfreq = raw.info["sfreq"]
        pre_roll = round(PRE_ROLL * sfreq)
        buffer = RingBuffer(emg.shape[0], capacity=round(2 * sfreq))
        buffer.push(emg[:, :pre_roll])
        start = self.world.sim_time
        fed = pre_roll

        def feed() -> None:
            nonlocal fed
            now = min(pre_roll + round((self.world.sim_time - start) * sfreq), emg.shape[1])
            buffer.push(emg[:, fed:now])
            fed = now

        monitor = ClenchMonitor(self.calibration.emg, buffer, feed, origin=pre_roll)
        return monitor, raw, clench_at

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
