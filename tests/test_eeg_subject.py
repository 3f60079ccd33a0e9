"""Tests for the synthetic EEG subject: spectral ground truth of each cue, and the contract."""

import dataclasses

import mne
import numpy as np
import pytest
from scipy.signal import butter, sosfiltfilt, welch

from sim.eeg_subject import (
    DEFAULT_CHANNELS,
    MI_CLASSES,
    MONTAGE,
    PROFILES,
    Cue,
    SubjectProfile,
    SyntheticSubject,
)

SFREQ = 256.0
SSVEP_FREQS = (6.0, 7.5, 8.57, 10.0)
NO_BLINKS = dataclasses.replace(PROFILES["default"], name="no_blinks", blink_rate=0.0)


def segments(raw: mne.io.BaseRaw, description: str, skip: float = 0.0) -> list[np.ndarray]:
    """Data (n_channels, n_times) of each segment annotated ``description``, from ``skip`` s on."""
    data, sfreq = raw.get_data(), raw.info["sfreq"]
    out = []
    for annot in raw.annotations:
        if annot["description"] == description:
            start = round((annot["onset"] + skip) * sfreq)
            out.append(data[:, start : round((annot["onset"] + annot["duration"]) * sfreq)])
    return out


def band_power(
    raw: mne.io.BaseRaw,
    description: str,
    channel: str,
    band: tuple[float, float],
    skip: float = 0.0,
) -> float:
    """Mean Welch power (V^2/Hz) in ``band`` on ``channel`` over segments with ``description``."""
    index = raw.ch_names.index(channel)
    powers = []
    for seg in segments(raw, description, skip):
        freqs, psd = welch(seg[index], fs=raw.info["sfreq"], nperseg=int(2 * raw.info["sfreq"]))
        powers.append(psd[(freqs >= band[0]) & (freqs <= band[1])].mean())
    return float(np.mean(powers))


def cca_correlation(x: np.ndarray, freq: float, sfreq: float, n_harmonics: int = 2) -> float:
    """Largest canonical correlation between ``x`` (n_times, n_channels) and sin/cos references."""
    t = np.arange(x.shape[0]) / sfreq
    refs = np.column_stack(
        [fn(2 * np.pi * h * freq * t) for h in range(1, n_harmonics + 1) for fn in (np.sin, np.cos)]
    )
    qx, _ = np.linalg.qr(x - x.mean(0))
    qy, _ = np.linalg.qr(refs - refs.mean(0))
    return float(np.linalg.svd(qx.T @ qy, compute_uv=False)[0])


@pytest.fixture(scope="module")
def mixed_raw() -> mne.io.RawArray:
    """Eight rounds of every cue type (segments >= 2 s), blink-free, default profile."""
    cues = []
    for _ in range(8):
        cues += [Cue("rest", 4.0), Cue("ssvep", 4.0, 7.5)]
        cues += [Cue("mi", 4.0, name) for name in MI_CLASSES]
        cues += [Cue("clench", 2.0)]
    return SyntheticSubject(NO_BLINKS, seed=1).record(cues)


def test_record_shape_units_montage_and_annotations(mixed_raw):
    cues = [Cue("ssvep", 2.5, 8.57), Cue("mi", 3.0, "legs"), Cue("clench", 0.5), Cue("rest", 1.0)]
    raw = SyntheticSubject(seed=3).record(cues)
    assert raw.ch_names == list(DEFAULT_CHANNELS)
    assert raw.info["sfreq"] == SFREQ
    assert raw.get_data().shape == (len(DEFAULT_CHANNELS), int(7.0 * SFREQ))
    assert set(raw.get_channel_types()) == {"eeg"}
    positions = raw.get_montage().get_positions()["ch_pos"]
    expected = mne.channels.make_standard_montage(MONTAGE).get_positions()["ch_pos"]
    assert set(positions) == set(DEFAULT_CHANNELS)
    oz_fp1 = np.linalg.norm(positions["Oz"] - positions["Fp1"])
    assert oz_fp1 == pytest.approx(np.linalg.norm(expected["Oz"] - expected["Fp1"]))
    assert list(raw.annotations.description) == ["ssvep/8.57", "mi/legs", "clench", "rest"]
    np.testing.assert_allclose(raw.annotations.onset, [0.0, 2.5, 5.5, 6.0])
    np.testing.assert_allclose(raw.annotations.duration, [2.5, 3.0, 0.5, 1.0])
    # EEG scale: background RMS of tens of microvolts, not volts or nanovolts.
    rms = np.sqrt(np.mean(segments(mixed_raw, "rest")[0] ** 2, axis=1))
    assert np.all((rms > 3e-6) & (rms < 60e-6))


def test_cue_description_and_normalisation():
    assert Cue("ssvep", 1, 7.5).description == "ssvep/7.5"
    assert Cue("ssvep", 1, 10).description == "ssvep/10"
    assert Cue("ssvep", 1, 10).target == 10.0
    assert Cue("mi", 2.0, "left_hand").description == "mi/left_hand"
    assert Cue("clench", 0.5).description == "clench"
    assert Cue("rest", 0.5).description == "rest"


def test_background_is_one_over_f_with_line_noise():
    raw = SyntheticSubject(NO_BLINKS, seed=2).record([Cue("rest", 20.0)])
    freqs, psd = welch(raw.get_data(picks="Cz")[0], fs=SFREQ, nperseg=int(4 * SFREQ))

    def at(freq: float) -> float:
        return psd[np.argmin(np.abs(freqs - freq))]

    assert at(3.0) > 3 * at(40.0)
    line = PROFILES["default"].line_freq
    assert at(line) > 10 * max(at(line - 2), at(line + 2))


def test_ssvep_peak_at_target_over_occipital_cortex(mixed_raw):
    latency = PROFILES["default"].ssvep_latency

    def on(ch: str, freq: float, desc: str = "ssvep/7.5") -> float:
        return band_power(mixed_raw, desc, ch, (freq - 0.25, freq + 0.25), latency)

    assert on("Oz", 7.5) > 3 * max(on("Oz", 6.5), on("Oz", 8.5))
    assert on("Oz", 7.5) > 5 * on("Oz", 7.5, "rest")
    assert on("Oz", 15.0) > 2 * on("Oz", 15.0, "rest")  # second harmonic
    assert on("O1", 7.5) > on("PO7", 7.5) > on("Cz", 7.5)
    assert on("Cz", 7.5) < 0.3 * on("Oz", 7.5)


def test_motor_imagery_erd_is_lateralised(mixed_raw):
    skip = PROFILES["default"].erd_onset + PROFILES["default"].erd_ramp
    mu = (9.5, 13.5)
    power = {
        (cls, ch): band_power(mixed_raw, f"mi/{cls}", ch, mu, skip)
        for cls in MI_CLASSES
        for ch in ("C3", "Cz", "C4")
    }
    # left hand -> right hemisphere (C4) desynchronises, and vice versa.
    assert power["left_hand", "C4"] / power["left_hand", "C3"] < 0.5
    assert power["right_hand", "C3"] / power["right_hand", "C4"] < 0.5
    assert power["left_hand", "C4"] < 0.5 * power["right_hand", "C4"]
    assert power["right_hand", "C3"] < 0.5 * power["left_hand", "C3"]
    assert power["legs", "Cz"] < 0.5 * min(power["left_hand", "Cz"], power["right_hand", "Cz"])
    # beta desynchronises with mu.
    beta = {cls: band_power(mixed_raw, f"mi/{cls}", "C4", (19, 23), skip) for cls in MI_CLASSES}
    assert beta["left_hand"] < 0.6 * beta["right_hand"]


def test_erd_develops_after_onset(mixed_raw):
    profile = PROFILES["default"]
    sos = butter(4, (9.5, 13.5), btype="bandpass", fs=SFREQ, output="sos")
    c4 = mixed_raw.copy().pick(["C4"]).apply_function(lambda x: sosfiltfilt(sos, x))  # mu band
    early = np.mean([seg[0, : int(0.4 * SFREQ)].var() for seg in segments(c4, "mi/left_hand")])
    skip = profile.erd_onset + profile.erd_ramp
    late = np.mean([seg.var() for seg in segments(c4, "mi/left_hand", skip)])
    assert early > 2 * late


def test_rest_imagery_raises_alpha_and_mu(mixed_raw):
    skip = PROFILES["default"].erd_onset + PROFILES["default"].erd_ramp

    def alpha(desc: str, ch: str) -> float:
        return band_power(mixed_raw, desc, ch, (8.5, 11.5), skip)

    other_imagery = np.mean([alpha(f"mi/{cls}", "POz") for cls in MI_CLASSES if cls != "rest"])
    assert alpha("mi/rest", "POz") > 1.5 * other_imagery
    assert alpha("mi/rest", "POz") > 1.5 * alpha("rest", "POz")
    assert alpha("mi/rest", "C3") > 1.5 * alpha("mi/right_hand", "C3")


def test_clench_emg_is_large_broadband_and_temporal(mixed_raw):
    def power(desc: str, ch: str) -> float:
        return band_power(mixed_raw, desc, ch, (30.0, 100.0))

    for ch in ("T7", "T8"):
        assert power("clench", ch) > 20 * power("rest", ch)
    assert power("clench", "T7") > 20 * power("clench", "Oz")
    assert power("rest", "T7") < 3 * power("rest", "Oz")


def test_blinks_are_frontal():
    blinky = dataclasses.replace(PROFILES["default"], name="blinky", blink_rate=30.0)
    cues = [Cue("rest", 20.0)]
    # Same seed: identical background, so the difference in low-frequency power is the blinks'.
    with_blinks = SyntheticSubject(blinky, seed=4).record(cues)
    without = SyntheticSubject(NO_BLINKS, seed=4).record(cues)

    def low(raw: mne.io.BaseRaw, ch: str) -> float:
        return band_power(raw, "rest", ch, (0.5, 3.0))

    excess = {ch: low(with_blinks, ch) - low(without, ch) for ch in ("Fp1", "F3", "Cz", "Oz")}
    assert excess["Fp1"] > 4 * low(without, "Fp1")
    assert excess["Fp1"] > excess["F3"] > excess["Cz"] > 0
    assert excess["Fp1"] > 100 * abs(excess["Oz"])
    assert np.ptp(with_blinks.get_data(picks="Fp1")) > 80e-6


def test_default_profile_is_separable_by_cca():
    subject = SyntheticSubject("default", ch_names=["O1", "Oz", "O2"], seed=5)
    cues = [Cue("ssvep", 4.0, f) for _ in range(5) for f in SSVEP_FREQS]
    raw = subject.record(cues)
    correct = 0
    data = raw.get_data()
    n = int(4.0 * SFREQ)
    for i, cue in enumerate(cues):
        scores = [cca_correlation(data[:, i * n : (i + 1) * n].T, f, SFREQ) for f in SSVEP_FREQS]
        correct += SSVEP_FREQS[int(np.argmax(scores))] == cue.target
    assert correct / len(cues) >= 0.9


def test_seeded_reproducibility_and_stream_continuation():
    cues = [Cue("ssvep", 1.0, 6.0), Cue("mi", 1.0, "rest"), Cue("clench", 0.5)]
    first = SyntheticSubject(seed=7)
    a1, a2 = first.record(cues).get_data(), first.record(cues).get_data()
    second = SyntheticSubject(seed=7)
    b1, b2 = second.record(cues).get_data(), second.record(cues).get_data()
    np.testing.assert_array_equal(a1, b1)
    np.testing.assert_array_equal(a2, b2)
    assert not np.allclose(a1, a2)
    assert not np.allclose(a1, SyntheticSubject(seed=8).record(cues).get_data())


def test_channel_subset_and_profiles():
    for name in ("default", "easy", "hard"):
        subject = SyntheticSubject(name, ch_names=("Oz", "C3"), sfreq=512.0)
        assert subject.profile is PROFILES[name]
        raw = subject.record([Cue("rest", 1.0)])
        assert raw.ch_names == ["Oz", "C3"]
        assert raw.get_data().shape == (2, 512)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"profile": "nope"},
            r"Unknown profile 'nope'; known profiles: \['default', 'easy', 'hard'\]",
        ),
        ({"ch_names": ["Oz", "XYZ"]}, r"Unknown channel 'XYZ'.*standard_1020"),
        ({"ch_names": ["Oz", "Oz"]}, "unique"),
        ({"ch_names": []}, "at least one channel"),
        ({"sfreq": 100.0}, r"sfreq=100 Hz is too low.*line_freq \(60 Hz\)"),
        ({"sfreq": -1.0}, "sfreq must be"),
    ],
)
def test_subject_validation(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SyntheticSubject(**kwargs)


def test_subject_type_errors():
    with pytest.raises(TypeError, match="profile must be"):
        SyntheticSubject(3)
    with pytest.raises(TypeError, match="ch_names"):
        SyntheticSubject(ch_names="Oz")
    with pytest.raises(TypeError, match="ch_names must hold str"):
        SyntheticSubject(ch_names=["Oz", 3])
    subject = SyntheticSubject()
    with pytest.raises(TypeError, match="wrap a single cue"):
        subject.record(Cue("rest", 1.0))
    with pytest.raises(TypeError, match=r"cues\[1\] must be a Cue"):
        subject.record([Cue("rest", 1.0), "rest"])


def test_record_validation():
    subject = SyntheticSubject(sfreq=128.0, ch_names=["Oz"])
    with pytest.raises(ValueError, match=r"cues\[0\].*below sfreq/4 = 32 Hz"):
        subject.record([Cue("ssvep", 1.0, 32.0)])
    with pytest.raises(ValueError, match="at least one Cue"):
        subject.record([])
    with pytest.raises(ValueError, match="shorter than one sample"):
        subject.record([Cue("rest", 0.001)])


@pytest.mark.parametrize(
    ("args", "match"),
    [
        (("blink", 1.0), "kind must be one of"),
        (("rest", 0.0), "duration must be"),
        (("rest", float("inf")), "duration must be"),
        (("ssvep", 1.0), "stimulus frequency"),
        (("ssvep", 1.0, -7.5), "stimulus frequency"),
        (("ssvep", 1.0, "7.5"), "stimulus frequency"),
        (("mi", 1.0, "tongue"), r"target in \('left_hand'"),
        (("clench", 1.0, 5.0), "takes no target"),
    ],
)
def test_cue_validation(args, match):
    with pytest.raises(ValueError, match=match):
        Cue(*args)


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("erd_depth", 1.5, r"erd_depth must be in \[0, 1\]"),
        ("noise_amplitude", -1e-6, "noise_amplitude must be a finite number >= 0"),
        ("alpha_freq", 0.0, "alpha_freq must be > 0"),
        ("line_freq", 55.0, "line_freq must be 50 or 60"),
        ("emg_band", (120.0, 20.0), "emg_band"),
        ("ssvep_harmonics", 0, "ssvep_harmonics"),
    ],
)
def test_profile_validation(field, value, match):
    with pytest.raises(ValueError, match=match):
        dataclasses.replace(PROFILES["default"], **{field: value})


def test_emg_band_needs_sampling_rate():
    profile = SubjectProfile(name="fast_emg", emg_band=(70.0, 150.0), line_freq=50.0)
    with pytest.raises(ValueError, match="EMG band's low edge"):
        SyntheticSubject(profile, sfreq=150.0)
    raw = SyntheticSubject(profile, sfreq=200.0, ch_names=["T7"]).record([Cue("clench", 1.0)])
    assert np.isfinite(raw.get_data()).all()
