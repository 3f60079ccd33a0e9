"""The interface loop: What (SSVEP) -> How (MI) -> Where (MI cursor) -> the skill runs.

One pass of the loop selects an object by SSVEP (in pages of as many objects as there are
flicker frequencies), a skill for it by motor imagery, a point for skills that take one
(``noir.where``), and runs the skill while an online clench monitor can interrupt it. Every
decoded result is shown to the person, who clenches the jaw to reject it; a rejection offers the
next-ranked option. Skill failures are typed and recorded and the loop asks again; an attempt
that gets nowhere resets the task (as NOIR did) and counts a new attempt. The Where stage
sees the loop as a ``noir.where.CursorHost``; what happened is counted in a
``noir.tally.SessionTally``, which also makes the session summary.

Bad stream data (``noir.stream.StreamPaused``) pause a decoding window: the reason is logged
and the cue is shown again. During a motion they stop it, as a clench does, and the record says
why. A stream still bad after the operator's retries ends the session: ``task_end`` says why.
With a live operator (``noir.stream.LiveOperator``) a motion is watched from the stream as
the robot moves, the simulation paced to wall time; a window the decoder refuses counts as bad
data.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import asdict
from typing import Any, TypeVar

import mne
import numpy as np

from decoders.cues import MI_CLASSES, Flicker, Glide, Menu, Motion, Proposal, Screen
from noir.assist import Assistant, Example
from noir.calibration import Calibration
from noir.clock import Clock, SimulatedClock
from noir.config import SSVEP_DECODERS, LoopConfig
from noir.intents import Decision, Intent
from noir.perception import Perception, anchors, keep_on
from noir.session import SessionRecorder
from noir.stream import (
    PRE_ROLL,
    STREAM_RETRIES,
    ClenchWatch,
    LiveOperator,
    Operator,
    RecordedFeed,
    StreamPaused,
    retry_paused,
    watch_screen,
)
from noir.tally import SessionTally, confirm_score, decision_score
from noir.where import needs_point, select_point, takes_grasp_point
from sim.tasks import Task
from sim.world import World
from skills import Skill, SkillFailure, applicable_skills, get_skill

T = TypeVar("T")


class SessionAborted(Exception):
    """The session was aborted (:meth:`InterfaceLoop.abort`); ``run`` ends it."""


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
    new_world : callable, optional
        Builds the task's world afresh, for resets that ``restore_state`` cannot do (bodies
        were added, e.g. cut pieces); the loop then closes the old world and uses the new one.
    assistant : Assistant, optional
        The user's learned model: its confident proposals are offered for confirmation before
        decoding (``noir.assist``). The loop does not change it; the choices of the successful
        attempt are in ``examples`` afterwards, for ``Assistant.learn``.

    Attributes
    ----------
    tally : SessionTally
        What happened so far (decisions, confirmations, time by stage, attempts ...).
    """

    def __init__(
        self,
        world: World,
        task: Task,
        operator: Operator,
        calibration: Calibration,
        recorder: SessionRecorder,
        config: LoopConfig | None = None,
        new_world: Callable[[], World] | None = None,
        assistant: Assistant | None = None,
    ) -> None:
        self.world = world
        self.new_world = new_world
        self.task = task
        self.operator = operator
        self.calibration = calibration
        self.recorder = recorder
        self.clock = recorder.clock
        self.config = config or LoopConfig()
        self.assistant = assistant
        self.live = isinstance(operator, LiveOperator)
        self.retries = operator.retries if self.live else STREAM_RETRIES
        self.pace: Clock = operator.clock if self.live else SimulatedClock()
        self.tally = SessionTally()
        self.examples: list[Example] = []
        self._received: float | None = None  # time.monotonic() the last live window arrived
        self.on_step: Callable[[World], bool | None] | None = None
        """Called before each control step of a motion (e.g. ``noir.console.ConsoleFeed``); a
        true result stops the motion as a clench does."""
        self.aborted = False
        self.watch: ClenchWatch | None = None
        """The running skill's clench watch (its EEG feed), None between motions."""
        self.perception = Perception()
        """The interface's eyes (the top camera): where it sees the objects."""
        self._decision_truth: dict[str, Any] = {}  # what the person meant, for the record only
        self._last_truth: dict[str, Any] = {}

    # -- the loop --------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        """Run until the task's goal holds; return the session summary.

        An attempt ends without success after ``config.max_skill_calls`` skills (None: the
        task's ``skill_budget``) or ``config.max_stage_repeats`` consecutive fully rejected
        selections; the world is then reset to its start and a new attempt begins (as in
        NOIR), up to ``config.max_attempts``. A stream still bad after the operator's retries
        ends the session: ``task_end`` and the summary then carry ``stream_fault``, the reason.
        After :meth:`abort` they carry ``aborted: true``.
        """
        self.recorder.event("task_start", task=self.task.name, objects=self.world.object_names())
        self.recorder.frame("000-start", self.world.render("top"))
        start_state = self.world.save_state()
        attempts = self.tally.attempts
        success, fault, aborted = False, None, False
        self._frames = 0
        while len(attempts) < self.config.max_attempts:
            if attempts:
                start_state = self._reset(start_state)
                self.operator.restart()
                self.recorder.event("task_reset", attempt=len(attempts) + 1)
            self.tally.start_attempt(self.clock.now)
            examples: list[Example] = []
            try:
                self._attempt(examples)
            except StreamPaused as pause:  # the stream stayed bad: end the session
                fault = str(pause)
            except SessionAborted:
                aborted = True
            success = bool(self.task.success(self.world))
            self.tally.end_attempt(success, self.clock.now)
            if success:
                self.examples = examples
            if success or fault is not None or aborted:
                break
        predicates = self.task.goal_predicates(self.world)
        ended = {} if fault is None else {"stream_fault": fault}
        if aborted:
            ended["aborted"] = True
        self.recorder.event("task_end", task=self.task.name, success=success,
                            predicates=predicates, attempts=attempts, **ended)
        summary = self.tally.summary(self.task.name, success, predicates, self.clock.now)
        return {**summary, **ended}

    def _attempt(self, examples: list[Example]) -> None:
        """One attempt at the task, step by step until its goal holds or the attempt gets
        nowhere; ``examples`` receives its successful choices (with an assistant)."""
        rejected_passes = 0
        budget = self.config.max_skill_calls
        budget = self.task.skill_budget if budget is None else budget
        while not self.task.success(self.world):
            if (self.tally.skill_calls >= budget
                    or rejected_passes >= self.config.max_stage_repeats):
                return
            self._safe_point()
            ran = self._step(examples)
            rejected_passes = 0 if ran else rejected_passes + 1

    def _step(self, examples: list[Example]) -> bool:
        """One intent, from the person's choice to the robot's motion: What (SSVEP) -> How
        (MI) -> Where (MI cursor, for a skill that takes a point, and with
        ``config.grasp_point`` for one that may take a grasp point on an object the camera
        sees wholly) -> execute; every stage's result is confirmed (a clench rejects it).
        With an assistant, its confident proposal of object and skill comes first, and a
        learned point starts the cursor.

        Returns False if the person accepted nothing to run (the loop asks again).
        """
        held = self.world.robot.held_object()
        self.perception.look(self.world, held=held)
        top = self.perception.frame.rgb if self.assistant else None
        done = [(ex.object, ex.skill) for ex in examples]
        chosen = self.propose_intent(top, done) if self.assistant else None
        if chosen is None:
            obj = self.select_object()
            self._safe_point()
            name = self.select_skill(obj) if obj is not None else None
            self._safe_point()
            if name is None:
                return False
            chosen = obj, name
        obj, name = chosen
        skill = get_skill(name)
        params, point_px = skill.params_for_object(self.world, obj), None
        plane = self.world.table_height if skill.point_height is None else skill.point_height
        held_from, standing = anchors(self.perception, obj, held, plane)  # as the camera saw them
        seen = self.perception.seen.get(obj)
        # a grasp point is chosen on the image only on an object the camera sees wholly (not
        # e.g. one the mobile robot's own body hides after it drove up to it)
        grasp = self.config.grasp_point and takes_grasp_point(skill) and seen is not None \
            and not seen.partial
        if needs_point(skill) or grasp:
            predicted = self.assistant.predict_point(
                obj, name, top, held_from, standing, done.count(chosen)) \
                if self.assistant else None
            where = select_point(self, obj, skill, params, predicted,
                                 None if seen is None else seen.pixel)
            self.tally.steered(where.travel_px, where.travel_m)
            if where.params is None:  # the person never stopped the cursor
                return False
            params, point_px = where.params, where.cursor_px
        self._safe_point()
        ok = self.execute(Intent(obj, name, params), skill)
        if ok and self.assistant:
            examples.append(Example(top, obj, name, point_px, held_from, standing))
        self.tally.ran_skill(ok)
        self._frames += 1
        self.recorder.frame(f"{self._frames:03d}-{name}-{obj}", self.world.render("top"))
        return True

    def _reset(self, state: int) -> int:
        """Put the world back to its start for a new attempt; return the start state's id."""
        self.perception.forget()
        try:
            self.world.restore_state(state)
            return state
        except ValueError:
            if self.new_world is None:
                raise
        self.world.close()
        self.world = self.new_world()
        return self.world.save_state()

    def abort(self) -> None:
        """End the session at the next safe point (from any thread): between stages, or by
        stopping a running motion as a clench does; ``task_end`` then says ``aborted``."""
        self.aborted = True

    def _safe_point(self) -> None:
        if self.aborted:
            raise SessionAborted

    # -- stages ---------------------------------------------------------------------------
    def propose_intent(self, top: np.ndarray, done: list[tuple[str, str]]
                       ) -> tuple[str, str] | None:
        """Offer the assistant's confident (object, skill) proposal for the scene ``top``
        (shape (240, 360, 3)) after the successful steps ``done``; the person confirms it or
        clenches to reject it. Returns the accepted (object, skill) or None (nothing confident
        enough, or rejected)."""
        objects = self.world.object_names()

        def valid(obj: str, skill: str) -> bool:
            return obj in objects and skill in self.skill_options(obj, limit=None)

        best, ranking, latency = self.assistant.propose(top, valid, done)
        self.recorder.event("proposal", ranking=[asdict(p) for p in ranking[:5]],
                            threshold=self.assistant.threshold, latency_ms=latency,
                            offered=best is not None)
        if best is None:
            return None
        proposal = f"{best.skill}({best.object})"
        screen = Proposal("intent", proposal, self.config.confirm_window, best.object, best.skill)
        if not self.confirm(screen, confidence=best.confidence):
            return None
        n_skills = len(self.skill_options(best.object))
        self.tally.selected("intent", len(objects) * n_skills, proposal, self._last_truth)
        return best.object, best.skill

    def select_object(self) -> str | None:
        """What: SSVEP over the candidate objects. Returns the accepted object or None.

        Objects are offered in pages of at most ``len(config.ssvep_freqs)``, each flickering
        at its own frequency. When the wanted object is not on a page the person looks at
        none of them and rejects what the decoder proposes; the next page follows.
        """
        candidates = self.world.object_names()
        n = len(self.config.ssvep_freqs)
        for first in range(0, len(candidates), n):
            chosen = self._select_on_page(candidates[first:first + n])
            if chosen is not None:
                self.tally.selected("what", len(candidates), chosen, self._decision_truth)
                return chosen
        return None

    def _select_on_page(self, page: list[str]) -> str | None:
        freq_of = dict(zip(page, self.config.ssvep_freqs, strict=False))
        stopping = self.calibration.ssvep_stopping
        longest = self.config.ssvep_stopping[-1] if stopping else self.config.ssvep_window
        self.recorder.event("stage", stage="what", candidates=freq_of)
        decoder = SSVEP_DECODERS[self.config.ssvep_decoder]

        def decode(raw: mne.io.BaseRaw) -> tuple[Any, float, np.ndarray, float]:
            cca = decoder(freqs=list(freq_of.values()), sfreq=raw.info["sfreq"],
                          labels=page).fit()
            X = window(raw, self.config.ssvep_channels, cca.sfreq)
            start = time.perf_counter()
            if stopping:
                used, scores = stopping.decide(cca, X[0], cca.sfreq)
            else:
                used, scores = longest, cca.decision_function(X)[0]
            return cca, used, scores, (time.perf_counter() - start) * 1e3

        raw, (cca, used, scores, latency) = self.decoded(Flicker(freq_of, longest), "what",
                                                         decode)
        if used < raw.times[-1]:  # the person looked only until the decision was taken
            with warnings.catch_warnings():  # the cues ran past the decision: cut below
                warnings.filterwarnings("ignore", "Limited .* annotation", RuntimeWarning)
                raw.crop(tmax=used - 1 / raw.info["sfreq"])
            last = raw.annotations.onset[-1] - raw.first_time
            raw.annotations.duration[-1] = used - last  # the cropped annotations end at used
        self.spend_human_time(used, "what")
        eeg = self.recorder.eeg(raw)
        decision = _ranked("what", [str(c) for c in cca.classes_], scores,
                           "canonical correlation", used, latency)
        self._decide(decision, eeg)
        return self.offer(decision)

    def skill_options(self, obj: str, limit: int | None = 4) -> list[str]:
        """Names of the skills that apply to ``obj`` (the first ``limit`` of them)."""
        return [skill.name for skill in applicable_skills(self.world.object_info(obj))][:limit]

    def select_skill(self, obj: str) -> str | None:
        """How: MI over up to 4 skills that apply to ``obj``. Returns the accepted skill or None."""
        options = self.skill_options(obj)
        if not options:
            self.recorder.event("stage", stage="how", object=obj, options={})
            return None
        binding = dict(zip(MI_CLASSES, options, strict=False))  # MI class -> skill name
        self.recorder.event("stage", stage="how", object=obj, options=binding)
        if len(options) == 1 and self.config.propose_single_skill:  # nothing to decode
            screen = Proposal("how", options[0], self.config.confirm_window, obj)
            chosen = options[0] if self.confirm(screen) else None
            if chosen is not None:
                self.tally.selected("how", 1, chosen, self._last_truth)
            return chosen
        decision = self.decode_mi("how", Menu(binding, self.config.mi_window))
        truth = self._decision_truth
        chosen = self.offer(decision, object=obj)
        if chosen is not None:
            self.tally.selected("how", len(options), chosen, truth)
        return chosen

    def decode_mi(self, stage: str, menu: Menu) -> Decision:
        """Show ``menu``, decode the MI window among its classes and record it.

        ``menu.options`` maps each offered MI class to the option it stands for; the decoder's
        probabilities are renormalised over the offered classes only.
        """
        mi = self.calibration.mi

        def decode(raw: mne.io.BaseRaw) -> tuple[np.ndarray, float]:
            X = window(raw, self.config.mi_channels, mi.sfreq)
            start = time.perf_counter()
            proba = mi.predict_proba(X)[0]
            return proba, (time.perf_counter() - start) * 1e3

        raw, (proba, latency) = self.decoded(menu, stage, decode)
        eeg = self._keep(raw, menu.seconds, stage)
        by_class = dict(zip(mi.classes_, proba, strict=True))
        binding = menu.options
        offered = np.array([by_class[c] for c in binding])
        decision = _ranked(stage, list(binding.values()), offered / offered.sum(), "probability",
                           menu.seconds, latency)
        self._decide(decision, eeg)
        return decision

    def confirm(self, screen: Proposal, **fields: Any) -> bool:
        """Show the proposal; the operator clenches to reject it. True if it was accepted.

        ``fields`` are recorded with the confirmation event. With ``config.early_reject`` the
        clench is watched for as the window runs (``_watch_confirm``).
        """
        if self.config.early_reject:
            return self._watch_confirm(screen, **fields)

        def decode(raw: mne.io.BaseRaw) -> tuple[float, bool, float]:
            X = window(raw, self.config.emg_channels, self.calibration.emg.sfreq)
            start = time.perf_counter()
            score = float(self.calibration.emg.decision_function(X)[0])
            clench = bool(self.calibration.emg.predict(X)[0])
            return score, clench, (time.perf_counter() - start) * 1e3

        raw, (score, clench, latency) = self.decoded(screen, "confirm", decode)
        self._last_truth = self.operator.truth()
        eeg = self._keep(raw, screen.seconds, screen.stage)
        shown = {"proposed_px": screen.cursor_px} if screen.cursor_px is not None else {}
        entry = self.recorder.event(
            "confirm", stage=screen.stage, proposal=screen.proposal, clench=clench,
            score=score, latency_ms=latency, eeg=eeg, **shown, **fields,
            **confirm_score(clench, self._last_truth), **self._decided_after(),
        )
        self.tally.confirmed(entry)
        return not clench

    def _watch_confirm(self, screen: Proposal, **fields: Any) -> bool:
        """``confirm`` with the clench monitor polling the EMG as the window runs
        (``noir.stream.watch_screen``): a decoded clench rejects the proposal there and then
        (the person's time ends at the detection), a stream fault rejects it too (nothing runs
        on it), and a window without either accepts it."""
        watch, elapsed = watch_screen(lambda now: self.clench_watch(screen, now, "confirm"),
                                      screen.seconds)
        clench = watch.stopped_at is not None
        self._last_truth = watch.truth
        self.spend_human_time(elapsed, screen.stage)
        shown = {"proposed_px": screen.cursor_px} if screen.cursor_px is not None else {}
        entry = self.recorder.event(
            "confirm", stage=screen.stage, proposal=screen.proposal, clench=clench,
            seconds=elapsed, **watch.record(self.recorder, elapsed), **shown, **fields,
            **confirm_score(clench, self._last_truth), **self._decided_after(),
        )
        self.tally.confirmed(entry)
        return not clench

    def offer(self, decision: Decision, **shown: Any) -> str | None:
        """Offer the decision's options best first until one is accepted; None if none is.

        ``shown`` says more of what each proposal is about (``noir.where``: the cursor)."""
        for proposal in decision.ranking:
            screen = Proposal(decision.stage, proposal, self.config.confirm_window, **shown)
            if self.confirm(screen):
                return proposal
        return None

    def execute(self, intent: Intent, skill: type[Skill] | None = None) -> bool:
        """Run the intent's skill while watching for a jaw clench that interrupts it.

        ``skill`` is the intent's skill class when the caller has looked it up already. The
        parameters are validated once, before anything starts (a failure is recorded with
        reason ``"parameters"``). The operator's EEG during the motion is decoded every
        ``ClenchMonitor.hop`` seconds; a clench or a stream fault stops the robot
        (``InterruptedFailure``; the record gives the fault's reason). True if the skill
        succeeded.
        """
        if skill is None:
            skill = get_skill(intent.skill)
        try:
            params = skill.validate(self.world, intent.params)
        except (ValueError, TypeError, KeyError) as err:  # e.g. a cursor point out of reach
            self.recorder.event("skill_failure", **intent.to_json(), reason="parameters",
                                message=str(err), sim_time=0.0)
            self.operator.skill_done(intent.object, intent.skill, succeeded=False)
            return False
        start = self.world.sim_time
        watch = self.clench_watch(
            Motion(intent.object, intent.skill, skill.step_budget * self.world.timestep),
            lambda: self.world.sim_time - start, "skill",
        )
        self.recorder.event("skill_start", **intent.to_json())

        def should_stop() -> bool:
            if (self.on_step is not None and self.on_step(self.world)) or self.aborted:
                return True
            return watch.monitor()

        self.watch = watch
        try:
            result = skill.run_validated(self.world, params, should_stop=should_stop)
        except SkillFailure as failure:
            outcome = {"reason": failure.reason.value, "message": str(failure)}
        else:
            outcome = {"steps": result.steps}
        finally:
            self.watch = None
        elapsed = self.world.sim_time - start
        self.tally.moved(elapsed)
        self.clock.advance(elapsed)
        ok = "reason" not in outcome
        self.recorder.event("skill_end" if ok else "skill_failure", **intent.to_json(),
                            **outcome, **watch.record(self.recorder, elapsed), sim_time=elapsed,
                            **watch.truth)
        self.operator.skill_done(intent.object, intent.skill, succeeded=ok)
        return ok

    def clench_watch(self, screen: Motion | Glide | Proposal, now: Callable[[], float],
                     stage: str) -> ClenchWatch:
        """Watch the operator's EMG for up to ``screen.seconds`` for a clench while the robot
        moves, the cursor glides or a proposal shows (``config.early_reject``).

        ``now()`` gives the seconds elapsed since the watch started (the robot's or the
        cursor's clock). The operator's EEG covers ``PRE_ROLL`` seconds before the start,
        which the monitor already holds, so it decodes from the first poll on. A live
        operator's stream is read as the motion runs (paced to wall time); any other
        operator's EEG for the whole duration is read before the start. The watch's
        ``truth`` is what the person meant (for the record).
        """
        channels, sfreq = self.config.emg_channels, self.calibration.emg.sfreq
        if self.live:
            feed = retry_paused(lambda: self.operator.feed(screen, stage, channels, PRE_ROLL),
                                self._paused(stage), self.retries)
            if feed.sfreq != sfreq:
                raise ValueError(f"mismatched sampling rate: the EEG is at {feed.sfreq} Hz, "
                                 f"the decoder expects {sfreq} Hz")
        else:
            raw = self.eeg(screen, stage, PRE_ROLL)
            window(raw, channels, sfreq)  # the channels are there, at the decoder's rate
            feed = RecordedFeed(raw, channels, PRE_ROLL)
        watch = ClenchWatch(self.calibration.emg, feed, now, self.pace)
        watch.truth = self.operator.truth()
        return watch

    def truth(self) -> dict[str, Any]:
        """What the person meant at the last screen (``Operator.truth``), for the record."""
        return self.operator.truth()

    def keep_on(self, obj: str, point: np.ndarray) -> np.ndarray:
        """``point`` (3,) m kept where the held object lies wholly over ``obj``, as the top
        camera saw both (``noir.perception.keep_on``); unchanged when ``obj`` is the held
        object or was never seen."""
        held = self.world.robot.held_object()
        target = self.perception.last(obj)
        if obj == held or target is None:
            return point
        before = self.perception.last(held) if held is not None else None
        return keep_on(point, target, before.size if before is not None else None)

    # -- EEG and the person's time ---------------------------------------------------------
    def spend_human_time(self, seconds: float, decides: str) -> None:
        """The person spent ``seconds`` deciding (looking, imagining, clenching, steering)
        ``decides``: ``"what"``, ``"how"``, ``"where"``, or confirming a proposed ``"intent"``
        (object and skill) or ``"point"``."""
        self.clock.advance(seconds)
        self.tally.spent(seconds, decides)

    def _keep(self, raw: mne.io.BaseRaw, seconds: float, decides: str) -> dict[str, Any]:
        """Record the EEG a cue produced (``seconds`` of human time spent on deciding
        ``decides``); return where it lies in the record."""
        self.spend_human_time(seconds, decides)
        return self.recorder.eeg(raw)

    def _decided_after(self) -> dict[str, float]:
        """Live: ``{"decided_after_ms": wall ms from the arrival of the last sample of the
        window last read (:meth:`decoded`) to now}`` (the decision is written next); else
        nothing."""
        if self._received is None:
            return {}
        return {"decided_after_ms": (time.monotonic() - self._received) * 1e3}

    def _paused(self, stage: str) -> Callable[[str], None]:
        return lambda reason: self.recorder.event("stream_paused", stage=stage, reason=reason)

    def eeg(self, screen: Screen, stage: str, pre_roll: float = 0.0) -> mne.io.BaseRaw:
        """The operator's EEG while ``screen`` shows (``pre_roll`` s before it included); bad
        stream data pause the loop (logged with the reason) and the screen is shown again."""
        return self.decoded(screen, stage, lambda raw: None, pre_roll)[0]

    def decoded(self, screen: Screen, stage: str, decode: Callable[[mne.io.BaseRaw], T],
                pre_roll: float = 0.0) -> tuple[mne.io.BaseRaw, T]:
        """The operator's EEG while ``screen`` shows, and ``decode(raw)``.

        Bad stream data pause the loop (logged with the reason) and the screen is shown again,
        up to ``self.retries`` times. From a live operator, a window that ``decode`` refuses
        (``ValueError``, e.g. a flat channel) is bad stream data too.

        Raises
        ------
        StreamPaused
            If the data are still bad after the retries (``run`` then ends the session).
        """
        def attempt() -> tuple[mne.io.BaseRaw, T]:
            raw = self.operator.respond(screen, stage, pre_roll)
            try:
                return raw, decode(raw)
            except ValueError as err:
                if not self.live:
                    raise
                raise StreamPaused(f"the decoder refused the window: {err}") from err

        raw, result = retry_paused(attempt, self._paused(stage), self.retries)
        self._received = (raw.info.get("temp") or {}).get("received")
        return raw, result

    def _decide(self, decision: Decision, eeg: dict[str, Any]) -> None:
        self._decision_truth = self.operator.truth()
        entry = {**decision.to_json(), "label": decision.label,
                 **decision_score(decision.label, self._decision_truth), "eeg": eeg,
                 **self._decided_after()}
        self.tally.decided(entry)
        self.recorder.event("decision", **entry)


def _ranked(stage: str, labels: Sequence[str], scores: np.ndarray, kind: str, window_s: float,
            latency_ms: float) -> Decision:
    order = np.argsort(-np.asarray(scores), kind="stable")
    return Decision(
        stage=stage, ranking=[labels[i] for i in order],
        scores={labels[i]: float(scores[i]) for i in range(len(labels))},
        score_kind=kind, window_s=window_s, latency_ms=latency_ms,
    )
