"""Jaw-clench detector on the synthetic subject: false alarms at rest, clenches, eye artefacts.

The basic behaviour (threshold, picks, labels, errors of ``fit``) is tested in test_decoders.py.
"""

import numpy as np
import pytest
from scipy.signal.windows import hann

from decoders.cues import Cue
from decoders.emg import MuscleTensionDetector
from sim.eeg_subject import SyntheticSubject

SFREQ = 256.0
CHANNELS = ("Fp1", "Fp2", "F7", "F8", "T7", "T8", "Cz")
# Horizontal EOG of a gaze shift: opposite signs left/right, largest at F7/F8 (fraction of peak).
HEOG_GAIN = np.array([0.5, -0.5, 1.0, -1.0, 0.3, -0.3, 0.0])


def _windows(data, length=1.0, step=0.5):
    """Windows of ``length`` s every ``step`` s from (n_channels, n_times) data."""
    n, hop = int(length * SFREQ), int(step * SFREQ)
    return np.stack([data[:, i : i + n] for i in range(0, data.shape[1] - n + 1, hop)])


def _fast_eye_movements(n_times, rng, amplitude=150e-6, ramp=0.02, every=2.0):
    """Gaze shifts (steps of random sign) every ``every`` s with ``ramp``-s raised-cosine edges.

    Returns (n_channels, n_times) volts; 150 µV steps in 20 ms are faster and larger than the
    synthetic subject's own eye movements.
    """
    steps = np.zeros(n_times)
    for onset in range(int(SFREQ), n_times - int(SFREQ), int(every * SFREQ)):
        steps[onset:] += rng.choice([-1.0, 1.0]) * amplitude
    edge = hann(int(ramp * SFREQ))
    return np.outer(HEOG_GAIN, np.convolve(steps, edge / edge.sum(), mode="same"))


@pytest.fixture(scope="module")
def recordings():
    subject = SyntheticSubject("default", sfreq=SFREQ, ch_names=CHANNELS, seed=0)
    calibration = subject.record([Cue("rest", 60.0)])
    rest = subject.record([Cue("rest", 120.0)])
    clench = subject.record([Cue("rest", 2.0), Cue("clench", 1.0)] * 10)
    return calibration, rest, clench


@pytest.fixture(scope="module")
def detector(recordings):
    return MuscleTensionDetector(SFREQ).fit(_windows(recordings[0].get_data()))


def test_false_alarm_rate_at_rest_is_low_and_clenches_are_detected(recordings, detector):
    _, rest, clench = recordings
    assert detector.false_alarm_rate(rest) <= 0.5  # per minute, over 2 min with blinks
    windows = _windows(clench.get_data(), step=1.0)  # [rest, rest, clench] x 10, 1 s each
    assert detector.predict(windows[2::3]).all()
    assert not detector.predict(windows[0::3]).any()


def test_blinks_and_lateral_eye_movements_do_not_read_as_clenches(recordings, detector):
    _, rest, _ = recordings
    data = rest.get_data()
    with_eyes = data + _fast_eye_movements(data.shape[1], np.random.default_rng(0))
    # 60 gaze shifts of 150 µV in 120 s: at most one false alarm
    assert detector.false_alarm_rate(with_eyes) <= 0.5
    # The segment median is what makes it robust: the whole-window variance is not.
    whole = MuscleTensionDetector(SFREQ, segment=None).fit(_windows(recordings[0].get_data()))
    assert whole.false_alarm_rate(data) <= 0.5
    assert whole.false_alarm_rate(with_eyes) >= 5.0


def test_false_alarm_rate_counts_each_clench_once(recordings, detector):
    _, _, clench = recordings  # 10 clenches of 1 s in 30 s
    rate = detector.false_alarm_rate(clench, step=0.1, refractory=1.0)
    assert rate == pytest.approx(10 / 0.5)


def test_false_alarm_rate_errors(recordings, detector):
    calibration, _, _ = recordings
    with pytest.raises(ValueError, match=r"(?i)mismatched sampling rate.*128 Hz.*sfreq=256 Hz"):
        detector.false_alarm_rate(calibration.copy().resample(128.0))
    with pytest.raises(ValueError, match=r"0\.500 s long; at least context=1 s"):
        detector.false_alarm_rate(calibration.get_data()[:, :128])
    with pytest.raises(ValueError, match="step must be a finite number > 0"):
        detector.false_alarm_rate(calibration, step=0.0)
    with pytest.raises(ValueError, match="fitted on 7"):
        detector.false_alarm_rate(calibration.get_data()[:3])
    with pytest.raises(ValueError, match="segment must be None or between 2 samples"):
        MuscleTensionDetector(SFREQ, segment=1.0).fit(_windows(calibration.get_data()))
