"""Dynamic stopping decides early on clear SSVEPs and waits on weak ones."""

import numpy as np
import pytest

from decoders.dynamic_stopping import MarginStopping
from decoders.ssvep import CCA

SFREQ = 128.0
FREQS = [8.0, 10.0, 12.0, 15.0]


def _trials(rng, n_per_class, amplitude, seconds=4.0):
    t = np.arange(round(seconds * SFREQ)) / SFREQ
    y = np.repeat(FREQS, n_per_class)
    phase = rng.uniform(0, 2 * np.pi, len(y))
    signal = np.sin(2 * np.pi * y[:, None] * t + phase[:, None])
    X = rng.standard_normal((len(y), 4, len(t)))
    X += amplitude * signal[:, None, :] * np.array([1.0, 0.8, 0.6, 0.3])[:, None]
    return X, y


@pytest.mark.parametrize("amplitude", [0.12, 0.5])
def test_stops_when_convincing_and_keeps_accuracy(amplitude):
    rng = np.random.default_rng(0)
    cca = CCA(FREQS, SFREQ, n_harmonics=2).fit()
    X, y = _trials(rng, 20, amplitude)
    stopping = MarginStopping((0.5, 1.0, 2.0, 4.0), target_accuracy=0.95).fit(cca, X, y, SFREQ)
    assert stopping.thresholds_[-1] == -np.inf
    X_new, y_new = _trials(rng, 15, amplitude)
    used, correct = [], []
    for trial, label in zip(X_new, y_new, strict=True):
        seconds, scores = stopping.decide(cca, trial, SFREQ)
        used.append(seconds)
        correct.append(cca.classes_[np.argmax(scores)] == label)
    if amplitude == 0.5:  # a strong response: decided well before the 4-s window
        assert np.mean(used) <= 1.5 and np.mean(correct) >= 0.9
    else:  # a weak one: it waits longer, and is still right more often than chance
        assert np.mean(used) > 1.5 and np.mean(correct) > 0.5


def test_one_candidate_is_decided_by_the_shortest_window():
    """A page with one object (e.g. the fifth of five objects on pages of four): its decoder
    has one class and no margin; the shortest window decides, no error."""
    rng = np.random.default_rng(2)
    stopping = MarginStopping((0.5, 1.0, 2.0, 4.0)).fit(
        CCA(FREQS, SFREQ).fit(), *_trials(rng, 10, 0.5), SFREQ)
    single = CCA(FREQS[:1], SFREQ).fit()
    trial = _trials(rng, 1, 0.5)[0][0]
    seconds, scores = stopping.decide(single, trial, SFREQ)
    assert seconds == 0.5 and scores.shape == (1,)


def test_bad_settings_are_named():
    cca = CCA(FREQS, SFREQ).fit()
    X, y = _trials(np.random.default_rng(1), 5, 0.5, seconds=2.0)
    with pytest.raises(ValueError, match="windows must be increasing"):
        MarginStopping((2.0, 1.0)).fit(cca, X, y, SFREQ)
    with pytest.raises(ValueError, match=r"at least 4\.000 s .* for the longest window of 4 s"):
        MarginStopping((1.0, 4.0)).fit(cca, X, y, SFREQ)
    with pytest.raises(ValueError, match="target_accuracy must be in"):
        MarginStopping((1.0, 2.0), target_accuracy=1.5).fit(cca, X, y, SFREQ)


def _selection_time(stopping, cca, X, y, cost):
    """Mean of (window used + cost x rank of the true class there) over trials, s."""
    times = []
    for trial, label in zip(X, y, strict=True):
        seconds, scores = stopping.decide(cca, trial, SFREQ)
        rank = 1 + np.sum(scores > scores[list(cca.classes_).index(label)])
        times.append(seconds + cost * rank)
    return float(np.mean(times))


def test_least_time_thresholds_beat_the_accuracy_target_and_fixed_windows():
    """With each offered option costing 1 s, early uncertain decisions can pay: the time rule
    must give shorter selections on new trials than a 95 % accuracy target and than any fixed
    window, while still deciding better than chance."""
    rng = np.random.default_rng(3)
    cca = CCA(FREQS, SFREQ, n_harmonics=2).fit()
    windows = (0.5, 1.0, 2.0, 4.0)
    X, y = _trials(rng, 30, 0.15)
    by_time = MarginStopping(windows, confirm_cost=1.0).fit(cca, X, y, SFREQ)
    by_accuracy = MarginStopping(windows, target_accuracy=0.95).fit(cca, X, y, SFREQ)
    assert by_time.thresholds_[-1] == -np.inf
    X_new, y_new = _trials(rng, 30, 0.15)
    time_rule = _selection_time(by_time, cca, X_new, y_new, 1.0)
    assert time_rule < _selection_time(by_accuracy, cca, X_new, y_new, 1.0)
    for w in windows:  # always deciding at w
        fixed = MarginStopping((w,)).fit(cca, X, y, SFREQ)
        assert time_rule <= _selection_time(fixed, cca, X_new, y_new, 1.0) + 0.05
    used = [by_time.decide(cca, t, SFREQ)[0] for t in X_new]
    assert np.mean(used) < 4.0


def test_least_time_thresholds_follow_the_cost_of_an_offer():
    """The dearer a wrong first offer, the longer the rule waits (on the same trials)."""
    rng = np.random.default_rng(4)
    cca = CCA(FREQS, SFREQ, n_harmonics=2).fit()
    X, y = _trials(rng, 30, 0.15)
    windows = (0.5, 1.0, 2.0, 4.0)
    used = {}
    for cost in (0.1, 10.0):
        stopping = MarginStopping(windows, confirm_cost=cost).fit(cca, X, y, SFREQ)
        used[cost] = np.mean([stopping.decide(cca, t, SFREQ)[0] for t in X])
    assert used[0.1] == 0.5  # offers nearly free: always the shortest window
    assert used[10.0] > 2.0


def test_least_time_labels_must_be_classes():
    cca = CCA(FREQS, SFREQ).fit()
    X, y = _trials(np.random.default_rng(5), 5, 0.5, seconds=2.0)
    with pytest.raises(ValueError, match=r"labels \['9.0'\] are not among"):
        MarginStopping((1.0, 2.0), confirm_cost=1.0).fit(cca, X, np.where(y == 8.0, 9.0, y),
                                                         SFREQ)
    with pytest.raises(ValueError, match="confirm_cost"):
        MarginStopping((1.0, 2.0), confirm_cost=0.0).fit(cca, X, y, SFREQ)
