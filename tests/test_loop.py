"""The What -> How -> confirm loop, end to end, with a seeded simulated operator."""

import dataclasses
import json

import pytest

import noir.loop
from decoders.cues import Cue
from noir.calibration import calibrate
from noir.config import LoopConfig
from noir.demo import run_session
from noir.eeg_writer import read_recording
from noir.intents import Intent
from noir.loop import InterfaceLoop, window
from noir.session import SessionClock, SessionRecorder, read_events
from noir.stream import STREAM_RETRIES, SimulatedOperator, StreamPaused
from noir.tally import SessionTally
from sim.eeg_subject import SyntheticSubject
from sim.person import REFERENCE, Person
from sim.tasks import TASKS
from skills import PlanStep, Skill


def test_loop_reaches_the_goal_and_writes_the_record(tmp_path):
    summary, folder = run_session("cube_in_tray", source="simulated", seed=3,
                                  folder=tmp_path / "run")
    assert summary["success"] is True
    assert summary["goal_predicates"] == {"inside(cube, tray)": True}

    events = read_events(folder)
    done = [(e["object"], e["skill"]) for e in events if e["event"] == "skill_end"]
    assert done[-2:] == [("cube", "pick"), ("tray", "place")]
    assert events[-1]["event"] == "task_end" and events[-1]["success"] is True

    on_disk = json.loads((folder / "summary.json").read_text())
    assert on_disk["success"] is True
    assert on_disk["n_decisions"] == summary["n_decisions"] >= 4
    assert set(on_disk["decoding_accuracy"]) == {"what", "how", "where", "confirm"}
    assert on_disk["n_attempts"] == 1 and on_disk["attempts"][0]["success"] is True
    assert on_disk["sim_time_s"] == pytest.approx(
        on_disk["human_time_s"] + on_disk["robot_time_s"])
    for frame in on_disk["frames"]:
        assert (folder / frame).is_file()

    # the EEG the interface received is in the record: each decoded window where its event
    # says, with the cues the person answered it with (after their decision time: rest
    # first); plus the EMG watched during each skill
    raw = read_recording(folder / "eeg.vhdr")
    sfreq = raw.info["sfreq"]
    windows = [e for e in events if e["event"] in ("decision", "confirm")]
    for e in windows:
        start, stop = e["eeg"]["start"] / sfreq, (e["eeg"]["start"] + e["eeg"]["n"]) / sfreq
        cues = [a["description"] for a in raw.annotations if start - 1e-6 <= a["onset"] < stop]
        assert any(abs(onset - start) < 1e-6 for onset in raw.annotations.onset)  # a cue starts it
        if e["event"] == "decision":
            meant = {"what": "ssvep/", "how": "mi/", "where": "mi/"}[e["stage"]]
            assert any(c.startswith(meant) for c in cues) != e["lapsed"], (e, cues)
        else:
            acted = e["wanted_reject"] != e["slipped"]
            assert ("clench" in cues) == acted, (e, cues)
    n_samples = sum(e["eeg"]["n"] for e in events if "eeg" in e)  # + skills, cursor glides
    assert raw.n_times == n_samples


class GazingAway(Person):
    """Looks at the wrong object during the first SSVEP window."""

    def __init__(self, plan, eyes, lapse_freq):
        super().__init__(plan, eyes)
        self.lapse_freq = lapse_freq

    def _flicker(self, screen):
        cues = super()._flicker(screen)
        if self.lapse_freq:
            cues = [Cue("ssvep", screen.seconds, self.lapse_freq)]
            self.lapse_freq = None
        return cues


def test_a_wrong_decision_is_rejected_and_corrected(tmp_path):
    config = LoopConfig()
    task = TASKS["cube_in_tray"]()
    with task.make_world(seed=1) as world:
        plan = task.reference_plan(world)
        subject = SyntheticSubject("default", seed=1)
        # the operator wants the cube (slot 0) but gazes at the ball's flicker (slot 3) first
        operator = SimulatedOperator(subject, GazingAway(plan, world, config.ssvep_freqs[3]))
        calibration = calibrate(operator, config, n_mi_trials=10, n_emg_trials=10, seed=1)
        recorder = SessionRecorder(tmp_path / "run", SessionClock())
        loop = InterfaceLoop(world, task, operator, calibration, recorder, config)

        chosen = loop.select_object()

    first = loop.tally.decisions[0]
    assert first["intended"] == "cube" and first["label"] != "cube"
    rejected = [c["proposal"] for c in loop.tally.confirmations if c["clench"]]
    assert rejected and "cube" not in rejected
    assert rejected == first["ranking"][: len(rejected)]
    assert chosen == "cube"
    assert all(c["correct"] for c in loop.tally.confirmations if not c["slipped"])


def test_missing_channel_is_named():
    raw = SyntheticSubject(ch_names=["Oz", "O1"], seed=0).record([Cue("rest", 1.0)])
    with pytest.raises(ValueError, match=r"\['O2'\] not in the EEG stream"):
        window(raw, ["Oz", "O2"], 256.0)
    with pytest.raises(ValueError, match="mismatched sampling rate.*256.0 Hz.*250.0 Hz"):
        window(raw, ["Oz"], 250.0)


def test_unknown_task_and_profile_are_named(tmp_path):
    with pytest.raises(ValueError, match="unknown task 'cook'.*cube_in_tray"):
        run_session("cook", folder=tmp_path / "a")
    with pytest.raises(ValueError, match="unknown subject profile 'tired'.*default"):
        run_session(profile="tired", folder=tmp_path / "b")


class Interrupting(Person):
    """Clenches ``at`` seconds into every skill."""

    def __init__(self, plan, eyes, at):
        super().__init__(plan, eyes)
        self.at = at

    def _motion(self, screen):
        return self._clench_at(self.at, screen.seconds)


def _loop(tmp_path, operator_factory, seed=0, person=Person):
    config = LoopConfig()
    task = TASKS["cube_in_tray"]()
    world = task.make_world(seed=seed)
    operator = operator_factory(SyntheticSubject("default", seed=seed),
                                person(task.reference_plan(world), world))
    calibration = calibrate(operator, config, n_mi_trials=10, n_emg_trials=10, seed=seed)
    recorder = SessionRecorder(tmp_path / "run", SessionClock())
    return InterfaceLoop(world, task, operator, calibration, recorder, config), world


def test_a_clench_during_a_skill_stops_the_robot(tmp_path):
    loop, world = _loop(tmp_path, SimulatedOperator,
                        person=lambda plan, eyes: Interrupting(plan, eyes, at=1.0))
    with world:
        start = world.sim_time
        assert loop.execute(Intent("cube", "pick", {"object": "cube"})) is False
        stopped = world.sim_time - start
        grasped = world.robot.held_object()
    (failure,) = [e for e in read_events(tmp_path / "run") if e["event"] == "skill_failure"]
    assert failure["reason"] == "interrupted"
    assert failure["clench_at"] == 1.0
    assert 1.0 < failure["detected_at"] <= 1.25
    # the robot stops at the detection and brakes to standstill (within a few tens of ms)
    assert failure["detected_at"] - 2 / 240 <= stopped <= failure["detected_at"] + 0.3
    assert failure["sim_time"] == pytest.approx(stopped)
    assert grasped is None  # stopped on the way down, before the grasp


def test_no_clench_no_interrupt(tmp_path):
    loop, world = _loop(tmp_path, SimulatedOperator)
    with world:
        assert loop.execute(Intent("cube", "pick", {"object": "cube"})) is True
    (end,) = [e for e in read_events(tmp_path / "run") if e["event"] == "skill_end"]
    assert end["clench_at"] is None and end["detected_at"] is None


def test_a_failed_attempt_resets_the_task_and_counts_a_new_attempt(tmp_path):
    """The person rejects everything, so each attempt ends; the world is reset in between."""
    config = LoopConfig(max_stage_repeats=1, max_attempts=2, ssvep_window=2.0)
    task = TASKS["cube_in_tray"]()
    world = task.make_world(seed=0)
    rebuilt = []

    def new_world():
        rebuilt.append(task.make_world(seed=0))
        return rebuilt[-1]

    nobody = Person([PlanStep("nothing here", "pick")], world,  # on no page: rejects all
                    dataclasses.replace(REFERENCE, slip_rate=0.0))
    operator = SimulatedOperator(SyntheticSubject("default", seed=0), nobody)
    calibration = calibrate(operator, config, n_mi_trials=10, n_emg_trials=10, seed=0)
    recorder = SessionRecorder(tmp_path / "run", SessionClock())
    world.restore_state = lambda state: (_ for _ in ()).throw(ValueError("bodies were added"))
    loop = InterfaceLoop(world, task, operator, calibration, recorder, config,
                         new_world=new_world)
    summary = loop.run()
    assert summary["success"] is False and summary["n_attempts"] == 2
    assert len(rebuilt) == 1 and loop.world is rebuilt[0]
    resets = [e for e in read_events(tmp_path / "run") if e["event"] == "task_reset"]
    assert [e["attempt"] for e in resets] == [2]
    loop.world.close()


class FailingStream(SimulatedOperator):
    """Its stream gives ``good`` task windows, then stays bad (the calibration is fine)."""

    def __init__(self, subject, plan, good):
        super().__init__(subject, plan)
        self.good = good

    def eeg(self, cues, stage):
        if stage != "calibration":
            if self.good == 0:
                raise StreamPaused("stream stalled: no sample for 1.0 s (0 of 256 received)")
            self.good -= 1
        return super().eeg(cues, stage)


def test_a_stream_that_stays_bad_ends_the_session_with_task_end(tmp_path):
    loop, world = _loop(tmp_path, lambda s, p: FailingStream(s, p, good=2))
    with world:
        summary = loop.run()
    events = read_events(tmp_path / "run")
    paused = [e for e in events if e["event"] == "stream_paused"]
    assert len(paused) == STREAM_RETRIES  # the cue was shown again, then the session ended
    assert {e["reason"] for e in paused} == {"stream stalled: no sample for 1.0 s (0 of 256 "
                                              "received)"}
    assert [e["event"] for e in events].count("decision") == 1  # the What window decoded
    end = events[-1]
    assert end["event"] == "task_end" and end["success"] is False
    assert end["stream_fault"] == paused[0]["reason"]
    assert summary["success"] is False and summary["stream_fault"] == end["stream_fault"]
    assert summary["n_attempts"] == 1 and summary["attempts"][0]["success"] is False


def test_each_step_looks_its_skill_up_once_and_validates_its_parameters_once(tmp_path,
                                                                            monkeypatch):
    looked_up, validated = [], []
    lookup = noir.loop.get_skill
    validate = Skill.__dict__["validate"].__func__
    monkeypatch.setattr(noir.loop, "get_skill", lambda name: looked_up.append(name) or lookup(name))
    monkeypatch.setattr(Skill, "validate", classmethod(
        lambda cls, scene, params: validated.append(cls.name) or validate(cls, scene, params)))
    loop, world = _loop(tmp_path, SimulatedOperator)
    with world:
        summary = loop.run()
    ran = [e["skill"] for e in read_events(tmp_path / "run") if e["event"] == "skill_start"]
    assert summary["success"] and "place" in ran  # a step with a Where stage among them
    assert looked_up == validated == ran


def test_the_tally_summarises_what_it_counted():
    tally = SessionTally()
    tally.start_attempt(0.0)
    tally.decided({"stage": "what", "ranking": ["cube", "tray"], "correct": True})
    tally.decided({"stage": "how", "ranking": ["pick", "push"], "correct": False})
    tally.confirmed({"stage": "what", "proposal": "cube", "intended": "cube", "clench": False,
                     "correct": True})
    # the assistant's proposals: a wrong intent the person let through, a point they rejected
    tally.confirmed({"stage": "intent", "proposal": "pick(ball)", "intended": "pick(cube)",
                     "clench": False, "correct": False})
    tally.confirmed({"stage": "point", "proposal": "proposed point", "intended": "another point",
                     "clench": True, "correct": True})
    tally.selected("what", 4, "cube", {"intended": "cube"})
    tally.selected("how", 2, "push", {"intended": "pick"})
    tally.selected("intent", 8, "pick(cube)", {"intended": "pick(cube)"})
    for seconds, stage in [(3.0, "what"), (1.0, "how"), (2.0, "intent"), (4.0, "where")]:
        tally.spent(seconds, stage)
    tally.moved(5.0)
    tally.ran_skill(True)
    tally.ran_skill(False)
    assert tally.skill_calls == 2
    tally.end_attempt(True, 15.0)
    summary = tally.summary("cube_in_tray", True, {"inside(cube, tray)": True}, 15.0)
    assert summary["n_decisions"] == 5 and summary["n_confirmations"] == 3
    assert summary["n_stage_decisions"] == {"what": 1, "how": 1, "where": 0}
    assert summary["n_rejections"] == 1
    assert summary["decoding_accuracy"] == {"what": 1.0, "how": 0.0, "where": None,
                                            "confirm": pytest.approx(2 / 3)}
    assert summary["proposals"] == {
        "intent": {"offered": 1, "accepted": 1, "wrongly_accepted": 1},
        "point": {"offered": 1, "accepted": 0, "wrongly_accepted": 0},
    }
    assert summary["attempts"] == [{"success": True, "skill_calls": 2, "skill_failures": 1,
                                    "time_s": 15.0, "human_time_s": 10.0}]
    assert summary["n_skill_calls"] == 2 and summary["n_skill_failures"] == 1
    assert (summary["human_time_s"], summary["robot_time_s"]) == (10.0, 5.0)
    assert summary["human_time_pct"] == pytest.approx(100 * 10 / 15)
    assert list(summary["human_time_by_stage_s"]) == ["how", "intent", "what", "where"]
    # log2(4) = 2 bits meant and accepted (the wrongly accepted intent sent none), in 6 s of
    # selecting (Where not counted)
    assert summary["practical_itr_bits_per_min"] == pytest.approx(20.0)


def test_a_single_applicable_skill_is_proposed_without_a_decoding_window(tmp_path):
    """With ``propose_single_skill`` (ours), the tray's only skill (place) is proposed for
    confirmation at once; NOIR's protocol decodes an MI window among that one option."""
    task = TASKS["cube_in_tray"]()
    for propose, folder in ((True, "ours"), (False, "noir")):
        config = LoopConfig(propose_single_skill=propose)
        with task.make_world(seed=0) as world:
            person = Person([PlanStep("tray", "place")], world)
            operator = SimulatedOperator(SyntheticSubject("default", seed=0), person)
            calibration = calibrate(operator, config, n_mi_trials=10, n_emg_trials=10, seed=0)
            recorder = SessionRecorder(tmp_path / folder, SessionClock())
            loop = InterfaceLoop(world, task, operator, calibration, recorder, config)
            assert loop.select_skill("tray") == "place"
            recorder.close()
        events = read_events(tmp_path / folder)
        decided = [e for e in events if e["event"] == "decision"]
        (answer,) = [e for e in events if e["event"] == "confirm"]
        assert answer["proposal"] == "place" and answer["clench"] is False
        assert len(decided) == (0 if propose else 1)
        assert loop.tally.selections == [{"stage": "how", "n_options": 1, "correct": True}]
        spent = loop.tally.stage_time["how"]
        assert spent == pytest.approx(config.confirm_window + (0 if propose
                                                               else config.mi_window))


@pytest.mark.parametrize(("budget", "override", "calls"), [(1, None, [1, 1]), (1, 2, [2])])
def test_an_attempt_ends_at_the_tasks_skill_budget_unless_the_config_sets_one(
        tmp_path, budget, override, calls):
    """cube_in_tray takes 2 skills: with a budget of 1 every attempt ends after its first
    skill; ``LoopConfig.max_skill_calls`` overrides the task's budget."""

    class Short(TASKS["cube_in_tray"]):
        skill_budget = budget

    config = LoopConfig(max_skill_calls=override, max_attempts=2)
    task = Short()
    world = task.make_world(seed=0)
    operator = SimulatedOperator(SyntheticSubject("default", seed=0),
                                 Person(task.reference_plan(world), world,
                                        dataclasses.replace(REFERENCE, slip_rate=0.0,
                                                            lapse_rate=0.0)))
    calibration = calibrate(operator, config, n_mi_trials=10, n_emg_trials=10, seed=0)
    recorder = SessionRecorder(tmp_path / "run", SessionClock())
    summary = InterfaceLoop(world, task, operator, calibration, recorder, config).run()
    world.close()
    assert [a["skill_calls"] for a in summary["attempts"]] == calls
    assert summary["success"] is (override is not None)


def test_a_skill_budget_below_one_is_refused():
    with pytest.raises(ValueError, match="max_skill_calls must be at least 1"):
        LoopConfig(max_skill_calls=0)


def test_early_rejection_ends_a_rejected_proposal_at_the_decoded_clench(tmp_path):
    """With ``early_reject`` a clench withdraws the proposal when the monitor decodes it (about
    0.2 s after its onset, which follows the person's decision time), not at the end of the
    window; an accepted proposal takes the whole window; the record replays identically."""
    from noir.replay import replay_session

    config = LoopConfig(early_reject=True)
    summary, folder = run_session("cube_in_tray", source="simulated", seed=1, config=config,
                                  folder=tmp_path / "run")
    assert summary["success"] is True
    confirms = [e for e in read_events(folder) if e["event"] == "confirm"]
    rejected = [e for e in confirms if e["clench"]]
    accepted = [e for e in confirms if not e["clench"]]
    assert rejected and accepted
    for e in rejected:  # the person clenched, and the monitor caught it within 0.4 s
        assert e["clench_at"] is not None
        assert e["clench_at"] < e["seconds"] == e["detected_at"] < e["clench_at"] + 0.4
        assert e["seconds"] < config.confirm_window
    for e in accepted:
        assert e["seconds"] == config.confirm_window and e["detected_at"] is None
    spent = sum(summary["human_time_by_stage_s"].values())
    windows = [e["window_s"] for e in read_events(folder) if e["event"] == "decision"]
    glides = [e["seconds"] for e in read_events(folder) if e["event"] == "cursor_glide"]
    assert spent == pytest.approx(sum(windows) + sum(glides) + sum(e["seconds"] for e in confirms))
    assert replay_session(folder, out=tmp_path)[2]["identical"]
