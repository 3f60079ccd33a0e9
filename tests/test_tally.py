"""Session metrics on known event sequences: the practical ITR counts the bits the person sent,
per-stage accuracy counts only decisions among two or more options."""

import math

import pytest

from noir.tally import SessionTally, confirm_score, decision_score


def _answer(tally: SessionTally, proposal: str, intended: str, clench: bool) -> None:
    """The person answers the assistant's (object, skill) proposal."""
    tally.confirmed({"stage": "intent", "proposal": proposal, "intended": intended,
                     "clench": clench, "correct": clench == (proposal != intended)})


def _summary(tally: SessionTally) -> dict:
    tally.start_attempt(0.0)
    tally.end_attempt(True, 60.0)
    return tally.summary("cube_in_tray", True, {}, 60.0)


def test_accepting_a_proposal_is_one_bit_not_the_options_the_assistant_chose_among():
    tally = SessionTally()
    # step 1: the assistant proposes pick(cube) among 5 objects x 4 skills; the person accepts
    _answer(tally, "pick(cube)", "pick(cube)", clench=False)
    tally.selected("intent", 20, "pick(cube)", {"intended": "pick(cube)"})
    tally.spent(2.0, "intent")
    # step 2: a wrong proposal, rejected (a binary choice too), then the person selects the
    # object among 4 and the skill among 2 themselves
    _answer(tally, "pick(ball)", "place(tray)", clench=True)
    tally.spent(1.0, "intent")
    tally.selected("what", 4, "tray", {"intended": "tray"})
    tally.spent(3.0, "what")
    tally.selected("how", 2, "place", {"intended": "place"})
    tally.spent(2.0, "how")
    tally.spent(10.0, "where")  # not a selection of object or skill: not in the ITR's time
    # 1 (accept) + 1 (reject) + log2(4) + log2(2) = 5 bits in 8 s; the old count credited
    # log2(20) for the accepted proposal and nothing for the rejection (54.9 bits/min)
    assert _summary(tally)["practical_itr_bits_per_min"] == pytest.approx(60 * 5 / 8)


def test_wrong_answers_and_wrong_selections_send_no_bits():
    tally = SessionTally()
    _answer(tally, "pick(ball)", "pick(cube)", clench=False)  # a wrong proposal let through
    tally.selected("intent", 20, "pick(ball)", {"intended": "pick(cube)"})
    _answer(tally, "pick(cube)", "pick(cube)", clench=True)  # a right one rejected by mistake
    tally.spent(2.0, "intent")
    tally.selected("what", 4, "ball", {"intended": "cube"})  # an object they did not mean
    tally.spent(4.0, "what")
    assert _summary(tally)["practical_itr_bits_per_min"] == 0.0
    tally = SessionTally()
    assert _summary(tally)["practical_itr_bits_per_min"] == 0.0  # no time spent selecting


def test_single_option_decisions_are_left_out_of_the_accuracy_and_counted():
    tally = SessionTally()
    for _ in range(3):  # the only skill that applies: nothing to decide
        tally.decided({"stage": "how", "ranking": ["pick"], "correct": True})
    tally.decided({"stage": "how", "ranking": ["pick", "push"], "correct": True})
    tally.decided({"stage": "how", "ranking": ["push", "pick"], "correct": False})
    tally.decided({"stage": "what", "ranking": ["cube"], "correct": False})
    for ranking, correct in ((["cube", "tray", "ball"], True), (["tray", "cube"], False),
                             (["cube", "tray"], True), (["cube", "ball"], True)):
        tally.decided({"stage": "what", "ranking": ranking, "correct": correct})
    summary = _summary(tally)
    accuracy = summary["decoding_accuracy"]
    # the old definition gave how 4/5 = 0.8 and what 3/5 = 0.6
    assert accuracy["how"] == pytest.approx(0.5)
    assert accuracy["what"] == pytest.approx(0.75)
    assert accuracy["where"] is None
    assert summary["n_single_option_decisions"] == {"what": 1, "how": 3, "where": 0}
    assert summary["n_stage_decisions"] == {"what": 5, "how": 5, "where": 0}


def test_a_stage_with_only_single_option_decisions_has_no_accuracy():
    tally = SessionTally()
    tally.decided({"stage": "how", "ranking": ["pick"], "correct": True})
    summary = _summary(tally)
    assert summary["decoding_accuracy"]["how"] is None
    assert summary["n_single_option_decisions"]["how"] == 1
    assert not any(isinstance(v, float) and math.isnan(v)
                   for v in summary["decoding_accuracy"].values())


def test_nobody_knows_what_a_real_person_meant_so_nothing_is_scored():
    """A live session without a simulated mind has no truth: its selections and answers are
    counted but neither right nor wrong, and the accuracies are left empty."""
    tally = SessionTally()
    tally.decided({"stage": "what", "ranking": ["cube", "tray"], "correct": None})
    tally.confirmed({"stage": "what", "proposal": "cube", "clench": False, "correct": None})
    tally.selected("what", 2, "cube", {})
    tally.spent(3.0, "what")
    summary = _summary(tally)
    assert summary["decoding_accuracy"]["what"] is None
    assert summary["decoding_accuracy"]["confirm"] is None
    assert summary["practical_itr_bits_per_min"] == 0.0
    assert tally.selections == [{"stage": "what", "n_options": 2, "correct": None}]


def test_a_slip_is_the_persons_error_not_the_decoders():
    """The person meant to accept but clenched (a slip): the decoder that saw the clench was
    right; one that saw none would have been wrong."""
    slipped = {"intended": "cube", "wanted_reject": False, "slipped": True}
    assert confirm_score(True, slipped)["correct"] is True
    assert confirm_score(False, slipped)["correct"] is False
    assert confirm_score(False, {**slipped, "slipped": False})["correct"] is True
    assert confirm_score(True, {})["correct"] is None
    assert decision_score("cube", {"intended": "tray"}) == {"intended": "tray", "correct": False}
