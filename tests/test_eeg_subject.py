"""Tests for the synthetic EEG subject: spectral ground truth of each cue, and the contract."""

import dataclasses

import mne
import numpy as np
import pytest
from scipy.signal import butter, sosfiltfilt, welch
from scipy.stats import fisher_exact

from decoders.cues import MI_CLASSES, Cue
from decoders.emg import MuscleTensionDetector
from decoders.ssvep import CCA
from sim.eeg_subject import (
    DEFAULT_CHANNELS,
    MONTAGE,
    PROFILES,
    SubjectProfile,
    SyntheticSubject,
    sample_population,
)

SFREQ = 256.0
SSVEP_FREQS = (6.0, 7.5, 8.57, 10.0)
NO_BLINKS = dataclasses.replace(
    PROFILES["default"], name="no_blinks", blink_rate=0.0, saccade_rate=0.0
)
OCCIPITAL = ("O1", "Oz", "O2", "PO3", "POz", "PO4", "PO7", "PO8")


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
    for name in ("default", "easy", "hard", "noir-like"):
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
            r"Unknown profile 'nope'; known profiles: \['default', 'easy', 'hard', 'noir-like'\]",
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
        ("task_erd_scale", 1.2, r"task_erd_scale must be in \[0, 1\]"),
        ("lapse_rate", -0.1, r"lapse_rate must be in \[0, 1\]"),
        ("fatigue_per_hour", -1.0, "fatigue_per_hour must be a finite number >= 0"),
        ("saccade_rate", float("nan"), "saccade_rate must be a finite number >= 0"),
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


# -- calibrated profiles, population, operator state -------------------------------------------


def test_builtin_profiles_keep_lapses_and_fatigue_off():
    assert set(PROFILES) == {"default", "easy", "hard", "noir-like"}
    for name, profile in PROFILES.items():
        assert profile.name == name
        assert profile.lapse_rate == 0.0 and profile.fatigue_per_hour == 0.0
        assert profile.saccade_rate > 0
    # only noir-like changes between calibration and task time
    assert [n for n, p in PROFILES.items() if p.task_erd_scale < 1] == ["noir-like"]


def test_population_is_seeded_with_the_stated_spread():
    base = PROFILES["noir-like"]
    population = sample_population(400, seed=1)
    assert population == sample_population(400, seed=1)
    assert population != sample_population(400, seed=2)
    assert [p.name for p in population[:2]] == ["noir-like/s00", "noir-like/s01"]
    assert all(isinstance(p, SubjectProfile) for p in population)  # validated on construction
    log_ssvep = np.log([p.ssvep_amplitude / base.ssvep_amplitude for p in population])
    assert abs(log_ssvep.mean()) < 0.06
    assert 0.30 < log_ssvep.std() < 0.40  # documented sd 0.35
    alpha = np.array([p.alpha_freq for p in population])
    assert alpha.min() >= 8.0 and alpha.max() <= 12.5 and 0.6 < alpha.std() < 0.95
    # illiterate subjects are exactly those whose rest synchronisation shrank (15 % expected)
    illiterate = np.array([p.rest_alpha_gain < base.rest_alpha_gain for p in population])
    assert 0.10 < illiterate.mean() < 0.20
    erd = np.array([p.erd_depth for p in population])
    assert erd[illiterate].max() < erd[~illiterate].min() * 2
    assert np.median(erd[illiterate]) < 0.25 * np.median(erd[~illiterate])
    assert np.all((erd >= 0) & (erd <= 0.95))
    # unchanged parameters
    assert {p.noise_amplitude for p in population} == {base.noise_amplitude}
    assert {p.task_erd_scale for p in population} == {base.task_erd_scale}


def test_population_without_spread_copies_the_base():
    base = PROFILES["default"]
    for profile in sample_population(5, "default", spread=0.0, illiterate_fraction=0.0):
        assert dataclasses.replace(profile, name="default") == base


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"n": 0}, ValueError, "n must be an int >= 1"),
        ({"n": 2.0}, ValueError, "n must be an int >= 1"),
        ({"n": 2, "base": "nope"}, ValueError, "Unknown profile 'nope'"),
        ({"n": 2, "base": 3}, TypeError, "base must be a str or SubjectProfile"),
        ({"n": 2, "spread": -1.0}, ValueError, "spread must be"),
        ({"n": 2, "illiterate_fraction": 1.5}, ValueError, "illiterate_fraction"),
    ],
)
def test_population_validation(kwargs, error, match):
    with pytest.raises(error, match=match):
        sample_population(**kwargs)


def test_lapsed_cues_carry_no_ssvep():
    profile = dataclasses.replace(NO_BLINKS, name="lapsing", lapse_rate=0.5, ssvep_amplitude=10e-6)
    subject = SyntheticSubject(profile, ch_names=["Oz"], seed=6)
    cues = [Cue("ssvep", 4.0, 7.5), Cue("mi", 1.0, "legs"), Cue("rest", 1.0)] * 30
    raw = subject.record(cues)
    lapses = np.array(subject.last_lapses)
    kinds = np.array([cue.kind for cue in cues])
    assert not lapses[kinds == "rest"].any()
    assert 0.3 < lapses[kinds != "rest"].mean() < 0.7
    ssvep = [seg[0] for seg in segments(raw, "ssvep/7.5", skip=0.5)]
    freqs, psd = welch(np.array(ssvep), fs=SFREQ, nperseg=int(2 * SFREQ))
    peak = psd[:, np.argmin(np.abs(freqs - 7.5))]
    lapsed = lapses[kinds == "ssvep"]
    assert peak[~lapsed].min() > 3 * peak[lapsed].max()  # ground truth, cue by cue


def test_task_phase_scales_imagery_modulation():
    profile = dataclasses.replace(NO_BLINKS, name="task_drop", task_erd_scale=0.0)
    subject = SyntheticSubject(profile, ch_names=["C3", "C4"], seed=7)
    assert subject.session_phase == "calibration"
    cues = [Cue("mi", 4.0, cls) for cls in ("left_hand", "right_hand")] * 10
    skip = profile.erd_onset + profile.erd_ramp
    calibration = subject.record(cues)
    subject.session_phase = "task"
    task = subject.record(cues)

    def lateralisation(raw: mne.io.BaseRaw) -> float:
        mu = (9.5, 13.5)
        return band_power(raw, "mi/left_hand", "C4", mu, skip) / band_power(
            raw, "mi/right_hand", "C4", mu, skip
        )

    assert lateralisation(calibration) < 0.4  # erd_depth 0.7: power ratio 0.09 at the source
    assert 0.7 < lateralisation(task) < 1.4  # no ERD at task time
    with pytest.raises(ValueError, match="session_phase must be one of"):
        subject.session_phase = "rest"


def test_fatigue_decays_ssvep_with_recorded_time():
    profile = dataclasses.replace(
        NO_BLINKS, name="tiring", fatigue_per_hour=20.0, ssvep_amplitude_jitter=0.0
    )
    cues = [Cue("ssvep", 4.0, 7.5)] * 10

    def ssvep_power(subject: SyntheticSubject) -> float:
        raw = subject.record(cues)
        return band_power(raw, "ssvep/7.5", "Oz", (7.25, 7.75), 0.5) - band_power(
            raw, "ssvep/7.5", "Oz", (6.25, 6.75), 0.5
        )

    fresh = SyntheticSubject(profile, ch_names=["Oz"], seed=8)
    tired = SyntheticSubject(profile, ch_names=["Oz"], seed=8)
    tired.record([Cue("rest", 180.0)])  # 0.05 h: amplitude x exp(-1), power x exp(-2)
    assert tired.elapsed == 180.0
    ratio = ssvep_power(tired) / ssvep_power(fresh)
    assert ratio == pytest.approx(np.exp(-2 * 20.0 * 0.05), rel=0.35)
    assert fresh.elapsed == 40.0


def test_lateral_eye_movements_are_slow_antisymmetric_steps():
    # saccade_amplitude=0 keeps every random draw, so the difference is the EOG alone.
    moving = dataclasses.replace(NO_BLINKS, name="moving", saccade_rate=30.0)
    still = dataclasses.replace(moving, name="still", saccade_amplitude=0.0)
    cues = [Cue("rest", 60.0)]
    raw = SyntheticSubject(moving, seed=9).record(cues)
    eog = raw.get_data() - SyntheticSubject(still, seed=9).record(cues).get_data()
    at = {ch: eog[raw.ch_names.index(ch)] for ch in ("F7", "F8", "T7", "Fp1", "Cz", "Oz")}
    np.testing.assert_allclose(at["F8"], -at["F7"], rtol=0.01, atol=1e-9)
    assert np.ptp(at["F7"]) > 0.7 * moving.saccade_amplitude
    assert np.abs(at["F7"]).max() > np.abs(at["T7"]).max() > 5 * np.abs(at["Cz"]).max()
    assert np.abs(at["Oz"]).max() < 1e-3 * np.abs(at["F7"]).max()
    # step-like: the signal sits on plateaus (zero slope) most of the time
    slope = np.abs(np.diff(at["F7"]))
    assert np.mean(slope < 1e-3 * slope.max()) > 0.5
    # ... and is slow: under 0.5 % of its power lies above the EMG detector's 30 Hz
    freqs, psd = welch(at["F7"], fs=SFREQ, nperseg=int(2 * SFREQ))
    assert psd[freqs > 30].sum() < 5e-3 * psd.sum()


def test_eye_movements_are_not_read_as_clenches():
    # Same seed with and without eye movements: the windows differ by the EOG alone.
    moving = dataclasses.replace(NO_BLINKS, name="moving", saccade_rate=30.0)
    still = dataclasses.replace(moving, name="still", saccade_amplitude=0.0)
    channels = ["T7", "T8", "F7", "F8"]
    calib = SyntheticSubject(NO_BLINKS, ch_names=channels, seed=10).record([Cue("rest", 1.0)] * 20)
    detector = MuscleTensionDetector(sfreq=SFREQ).fit(
        np.array(segments(calib, "rest")), np.zeros(20, dtype=bool)
    )
    cues = [Cue("rest", 1.0)] * 60
    subject = SyntheticSubject(moving, ch_names=channels, seed=11)
    with_eog = np.array(segments(subject.record(cues), "rest"))
    without = np.array(segments(SyntheticSubject(still, ch_names=channels, seed=11).record(cues),
                                "rest"))  # fmt: skip
    # gaze shifts inside the detector's last 0.5 s, on F7
    analysed = with_eog[:, 2, -int(0.5 * SFREQ) :] - without[:, 2, -int(0.5 * SFREQ) :]
    shifts = np.ptp(analysed, axis=1) > 0.3 * moving.saccade_amplitude
    assert shifts.sum() >= 10
    assert not detector.predict(with_eog).any()
    change = detector.decision_function(with_eog) - detector.decision_function(without)
    assert np.abs(change[shifts]).max() < 0.05  # log-variance: under 5 % more high-passed power
    clench = subject.record([Cue("clench", 1.0)] * 10)
    assert detector.predict(np.array(segments(clench, "clench"))).all()


def test_noir_like_is_harder_than_default_for_short_cca_windows():
    cues = [Cue("ssvep", 2.0, f) for _ in range(8) for f in SSVEP_FREQS]
    targets = np.array([cue.target for cue in cues])
    cca = CCA(SSVEP_FREQS, SFREQ).fit()
    n_correct = {}
    for name in ("default", "noir-like"):
        data = SyntheticSubject(name, ch_names=OCCIPITAL, seed=12).record(cues).get_data()
        windows = data.reshape(len(OCCIPITAL), len(cues), -1).transpose(1, 0, 2)
        n_correct[name] = int(np.sum(cca.predict(windows) == targets))
    assert n_correct["default"] >= 0.8 * len(cues)
    table = [[n_correct[name], len(cues) - n_correct[name]] for name in ("default", "noir-like")]
    assert fisher_exact(table, alternative="greater").pvalue < 0.01


def test_annotations_span_whole_samples():
    raw = SyntheticSubject(ch_names=["Oz"], seed=13).record([Cue("rest", 0.601), Cue("rest", 0.3)])
    np.testing.assert_allclose(raw.annotations.duration, [154 / SFREQ, 77 / SFREQ], atol=1e-5)
    np.testing.assert_allclose(raw.annotations.onset, [0.0, 154 / SFREQ], atol=1e-5)
    assert raw.n_times == 231
