"""Synthetic EEG subject: a small forward model of the signals a NOIR user produces.

A :class:`SyntheticSubject` turns a sequence of :class:`decoders.cues.Cue` objects (look at a
flicker, imagine a movement, clench the jaw, rest) into one continuous :class:`mne.io.RawArray`.
It is one EEG source among others (recorded files, LSL streams): the cue names it answers live
in :mod:`decoders.cues`, so that the interface's EEG-only modules need not import ``sim``.
``Cue``, ``MI_CLASSES`` and ``CUE_KINDS`` still import from here, with a ``DeprecationWarning``.

Forward model (all amplitudes in volts)
---------------------------------------
Each channel is the sum of

* spatially correlated background EEG with a ``1/f**background_exponent`` power spectrum
  (independent 1/f sources at every electrode, mixed by a Gaussian kernel of inter-electrode
  distance);
* narrow-band, amplitude-modulated rhythms (Gaussian spectral peaks of width
  ``rhythm_bandwidth``): posterior alpha (sources under PO3/PO4), sensorimotor mu and beta
  (sources under C3, Cz, C4);
* a phase-locked SSVEP (fundamental plus decaying harmonics) from a source under Oz during
  ``"ssvep"`` cues;
* event-related desynchronisation (ERD) of mu/beta over the sensorimotor cortex opposite to the
  imagined hand (vertex for legs) during ``"mi"`` cues, and alpha/mu synchronisation for
  ``"mi/rest"``;
* broadband EMG over temporal/frontal channels during ``"clench"`` cues;
* eye blinks (frontal, Poisson-timed), lateral eye movements (horizontal EOG: smoothed steps of
  opposite sign over the left and right fronto-temporal sites, Poisson-timed), line noise, and
  white sensor noise.

Operator state (lapses and fatigue are off in every built-in profile; only ``"noir-like"``
changes between calibration and task time):

* **session phase** -- :attr:`SyntheticSubject.session_phase` is ``"calibration"`` or ``"task"``;
  at task time the imagery modulation (ERD depth and rest synchronisation) is multiplied by
  ``task_erd_scale``, the calibration-to-task non-stationarity behind NOIR's lower task-time MI
  accuracy (divided attention while watching the robot, different visual scene);
* **lapses** -- each "ssvep" or "mi" cue is, with probability ``lapse_rate``, produced with no
  task response at all (attention elsewhere); :attr:`SyntheticSubject.last_lapses` is the ground
  truth of the last recording;
* **fatigue** -- SSVEP amplitude and imagery modulation decay as
  ``exp(-fatigue_per_hour * hours)`` of time recorded so far (:attr:`SyntheticSubject.elapsed`).

Each source reaches the electrodes with gain ``exp(-d**2 / (2 * spread**2))``, ``d`` being the
straight-line distance (m) between the electrode and the source's electrode in MNE's 10-20
montage. ``"standard_1020"`` is a deprecated alias of ``"colin27_1020"`` in MNE >= 1.13; the
positions are identical and this module uses the new name (:data:`MONTAGE`).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from types import MappingProxyType
from typing import Any

import mne
import numpy as np
from scipy.signal import lfilter
from scipy.signal.windows import hann, tukey

import decoders.cues as _cues

MONTAGE: str = "colin27_1020"
DEFAULT_CHANNELS: tuple[str, ...] = (
    "Fp1", "Fp2", "F7", "F3", "Fz", "F4", "F8",
    "FC3", "FCz", "FC4",
    "T7", "C3", "C1", "Cz", "C2", "C4", "T8",
    "CP3", "CPz", "CP4",
    "P7", "P3", "Pz", "P4", "P8",
    "PO7", "PO3", "POz", "PO4", "PO8",
    "O1", "Oz", "O2",
)  # fmt: skip

# Source anatomy: (centre electrode, spatial spread in m). Immutable module constants.
_BACKGROUND_SPREAD_M = 0.04
_ALPHA_SOURCES = (("PO3", 0.045), ("PO4", 0.045))
_SENSORIMOTOR_SOURCES = (("C3", 0.03), ("Cz", 0.03), ("C4", 0.03))
_SSVEP_SOURCE = ("Oz", 0.04)
_BLINK_SOURCE = ("Fpz", 0.06)
# Horizontal EOG: the corneo-retinal dipole seen by lateral frontal sites; left minus right.
_HEOG_SOURCES = (("F9", 0.05), ("F10", 0.05))
_HEOG_RAMP_S = 0.08  # raised-cosine duration of a gaze shift (a saccade, smoothed by the EOG)
_HEOG_HOLD_S = (0.4, 1.5)  # uniform range of the time the gaze stays off centre, s
_HEOG_AMPLITUDE_SPREAD = 0.5  # each excursion's size is saccade_amplitude * U(0.5, 1.5)
# EMG: (electrode, relative gain); every channel also gets _EMG_FLOOR of it.
_EMG_SITES = (("T7", 1.0), ("T8", 1.0), ("F7", 0.8), ("F8", 0.8), ("Fp1", 0.6), ("Fp2", 0.6))
_EMG_SPREAD_M = 0.03
_EMG_FLOOR = 0.05
_EMG_RAMP_S = 0.05  # raised-cosine onset/offset of a clench burst
_EMG_NYQUIST_FRACTION = 0.9  # the EMG band is capped at this fraction of Nyquist
_BLINK_DURATION_S = 0.3
_BLINK_AMPLITUDE_SPREAD = 0.25  # each blink's peak is blink_amplitude * U(0.75, 1.25)
_BACKGROUND_FLAT_BELOW_HZ = 1.0
# Which sensorimotor source (index into _SENSORIMOTOR_SOURCES) desynchronises per MI class.
_ERD_SOURCE = {"left_hand": 2, "right_hand": 0, "legs": 1}
SESSION_PHASES: tuple[str, ...] = ("calibration", "task")


def _is_real(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


@dataclass(frozen=True)
class SubjectProfile:
    """Physiological parameters of a synthetic subject.

    Amplitudes are in volts: RMS for noise-like sources, peak for the SSVEP sinusoid, line noise
    and blinks. A source's amplitude is the one at its centre electrode (spatial gain 1).

    Parameters
    ----------
    name : str
        Profile name.
    noise_amplitude : float
        RMS of independent white sensor noise per channel (V).
    background_amplitude : float
        RMS of the spatially correlated 1/f background per channel (V).
    background_exponent : float
        Background power spectrum falls as ``1/f**background_exponent`` above 1 Hz (flat below).
    alpha_amplitude, alpha_freq : float
        RMS (V) and peak frequency (Hz) of posterior alpha (sources under PO3 and PO4).
    mu_amplitude, mu_freq : float
        RMS (V) and peak frequency (Hz) of sensorimotor mu (sources under C3, Cz, C4).
    beta_amplitude, beta_freq : float
        RMS (V) and peak frequency (Hz) of sensorimotor beta (same sources as mu).
    rhythm_bandwidth : float
        Standard deviation (Hz) of the Gaussian spectral peak of alpha, mu and beta.
    ssvep_amplitude : float
        Peak amplitude (V) of the SSVEP fundamental at Oz.
    ssvep_harmonics : int
        Number of SSVEP components (fundamental included); those at or above Nyquist are dropped.
    ssvep_harmonic_decay : float
        Amplitude ratio between successive harmonics, in [0, 1].
    ssvep_latency : float
        Delay (s) from cue onset to the SSVEP onset.
    ssvep_phase_jitter : float
        Standard deviation (rad) of the per-trial phase of each harmonic.
    ssvep_amplitude_jitter : float
        Standard deviation of the per-trial relative SSVEP amplitude (fraction, >= 0).
    erd_depth : float
        Fraction of mu/beta amplitude lost over the contralateral sensorimotor cortex during
        imagery, in [0, 1] (power keeps ``(1 - erd_depth)**2``).
    erd_onset : float
        Delay (s) from an "mi" cue onset to the start of the ERD (or rest synchronisation).
    erd_ramp : float
        Time (s) the ERD takes to develop and, after the cue, to recover (linear ramp).
    rest_alpha_gain : float
        Amplitude factor (>= 1 for synchronisation) on posterior alpha and sensorimotor mu during
        "mi/rest".
    emg_amplitude : float
        RMS (V) of clench EMG at T7/T8.
    emg_band : tuple of float
        EMG band (Hz), ``(low, high)``; ``high`` is capped at 0.9 x Nyquist.
    blink_rate : float
        Mean number of eye blinks per minute (Poisson).
    blink_amplitude : float
        Mean peak amplitude (V) of a blink at Fpz.
    line_freq : float
        Mains frequency, 50 or 60 Hz.
    line_amplitude : float
        Mean peak amplitude (V) of line noise per channel.
    saccade_rate : float
        Mean number of lateral eye movements per minute (Poisson); each is a gaze excursion to
        one side (random sign) held for U(0.4, 1.5) s, then back to centre.
    saccade_amplitude : float
        Mean peak amplitude (V) of a lateral eye movement's step at F9/F10 (opposite signs on
        the two sides; about 0.7 of it at F7/F8, 0.35 at T7/T8, 0.3 at Fp1/Fp2).
    task_erd_scale : float
        Fraction, in [0, 1], of the imagery modulation (``erd_depth`` and
        ``rest_alpha_gain - 1``) the subject produces when ``session_phase == "task"``; 1 means
        task time is like calibration.
    lapse_rate : float
        Probability, in [0, 1], that an "ssvep" or "mi" cue gets no task response (no SSVEP, no
        ERD or rest synchronisation): the person's attention lapses.
    fatigue_per_hour : float
        SSVEP amplitude and imagery modulation are multiplied by
        ``exp(-fatigue_per_hour * hours)``, ``hours`` being the time recorded by the subject
        before the cue (1/h, >= 0).
    """

    name: str
    noise_amplitude: float = 1.0e-6
    background_amplitude: float = 8.0e-6
    background_exponent: float = 1.0
    alpha_amplitude: float = 6.0e-6
    alpha_freq: float = 10.0
    mu_amplitude: float = 6.0e-6
    mu_freq: float = 11.5
    beta_amplitude: float = 3.0e-6
    beta_freq: float = 21.0
    rhythm_bandwidth: float = 1.0
    ssvep_amplitude: float = 5.0e-6
    ssvep_harmonics: int = 3
    ssvep_harmonic_decay: float = 0.5
    ssvep_latency: float = 0.1
    ssvep_phase_jitter: float = 0.2
    ssvep_amplitude_jitter: float = 0.1
    erd_depth: float = 0.7
    erd_onset: float = 0.5
    erd_ramp: float = 0.5
    rest_alpha_gain: float = 1.8
    emg_amplitude: float = 40.0e-6
    emg_band: tuple[float, float] = (20.0, 120.0)
    blink_rate: float = 12.0
    blink_amplitude: float = 100.0e-6
    line_freq: float = 60.0
    line_amplitude: float = 3.0e-6
    saccade_rate: float = 3.0
    saccade_amplitude: float = 60.0e-6
    task_erd_scale: float = 1.0
    lapse_rate: float = 0.0
    fatigue_per_hour: float = 0.0

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"SubjectProfile name must be a non-empty str, got {self.name!r}")
        non_negative = (
            "noise_amplitude", "background_amplitude", "background_exponent", "alpha_amplitude",
            "mu_amplitude", "beta_amplitude", "ssvep_amplitude", "ssvep_latency",
            "ssvep_phase_jitter", "ssvep_amplitude_jitter", "erd_onset", "erd_ramp",
            "emg_amplitude", "blink_rate", "blink_amplitude", "line_amplitude", "saccade_rate",
            "saccade_amplitude", "fatigue_per_hour",
        )  # fmt: skip
        positive = ("alpha_freq", "mu_freq", "beta_freq", "rhythm_bandwidth", "rest_alpha_gain")
        for field_name in non_negative + positive:
            value = getattr(self, field_name)
            if not _is_real(value) or not math.isfinite(value) or value < 0:
                raise ValueError(
                    f"SubjectProfile.{field_name} must be a finite number >= 0, got {value!r}"
                )
            if field_name in positive and value == 0:
                raise ValueError(f"SubjectProfile.{field_name} must be > 0, got {value!r}")
        if not isinstance(self.ssvep_harmonics, int) or self.ssvep_harmonics < 1:
            raise ValueError(
                f"SubjectProfile.ssvep_harmonics must be an int >= 1, got {self.ssvep_harmonics!r}"
            )
        for field_name in ("ssvep_harmonic_decay", "erd_depth", "task_erd_scale", "lapse_rate"):
            value = getattr(self, field_name)
            if not _is_real(value) or not 0 <= value <= 1:
                raise ValueError(f"SubjectProfile.{field_name} must be in [0, 1], got {value!r}")
        low_high = tuple(self.emg_band) if isinstance(self.emg_band, Sequence) else ()
        if (
            len(low_high) != 2
            or not all(_is_real(v) for v in low_high)
            or not 0 < low_high[0] < low_high[1]
        ):
            raise ValueError(
                "SubjectProfile.emg_band must be (low, high) Hz with 0 < low < high, "
                f"got {self.emg_band!r}"
            )
        object.__setattr__(self, "emg_band", (float(low_high[0]), float(low_high[1])))
        if self.line_freq not in (50, 60):
            raise ValueError(
                f"SubjectProfile.line_freq must be 50 or 60 Hz, got {self.line_freq!r}"
            )


PROFILES: Mapping[str, SubjectProfile] = MappingProxyType(
    {
        "default": SubjectProfile(name="default"),
        "easy": SubjectProfile(
            name="easy",
            noise_amplitude=0.5e-6,
            background_amplitude=6.0e-6,
            ssvep_amplitude=8.0e-6,
            ssvep_phase_jitter=0.1,
            ssvep_amplitude_jitter=0.05,
            erd_depth=0.85,
            rest_alpha_gain=2.0,
            blink_rate=6.0,
        ),
        "noir-like": SubjectProfile(
            name="noir-like",
            background_amplitude=10.0e-6,
            ssvep_amplitude=2.5e-6,
            ssvep_phase_jitter=0.3,
            ssvep_amplitude_jitter=0.4,
            erd_depth=0.19,
            rest_alpha_gain=1.25,
            task_erd_scale=0.55,
            blink_rate=15.0,
            saccade_rate=4.0,
        ),
        "hard": SubjectProfile(
            name="hard",
            noise_amplitude=2.0e-6,
            background_amplitude=12.0e-6,
            alpha_amplitude=9.0e-6,
            ssvep_amplitude=3.0e-6,
            ssvep_phase_jitter=0.5,
            ssvep_amplitude_jitter=0.3,
            erd_depth=0.25,
            erd_onset=0.8,
            rest_alpha_gain=1.15,
            emg_amplitude=25.0e-6,
            blink_rate=25.0,
            line_freq=50.0,
            line_amplitude=8.0e-6,
        ),
    }
)
"""Built-in profiles.

``"default"`` (clearly separable), ``"easy"``, ``"hard"``, and ``"noir-like"``: tuned with
``experiments/calibrate_profiles.py`` so that NOIR's decoders, used as the interface uses them,
score NOIR's Table 2 accuracies (see ``experiments/results/calibrate_profiles.txt``). Lapses and
fatigue are off in every built-in profile.
"""

# Inter-subject spread of sample_population at spread=1: log-normal sd of multiplicative factors.
_POPULATION_LOG_SD: Mapping[str, float] = MappingProxyType(
    {
        "ssvep_amplitude": 0.35,
        "background_amplitude": 0.2,
        "alpha_amplitude": 0.3,
        "mu_amplitude": 0.3,
        "erd_depth": 0.3,
        "emg_amplitude": 0.3,
        "blink_rate": 0.4,
        "saccade_rate": 0.4,
    }
)
_POPULATION_FREQ_SD_HZ = 0.8  # sd of individual alpha and mu peak frequencies at spread=1
_ALPHA_FREQ_RANGE_HZ = (8.0, 12.5)
_MU_FREQ_RANGE_HZ = (9.0, 13.5)
_MAX_ERD_DEPTH = 0.95
_ILLITERATE_RESIDUAL = 0.2  # a BCI-illiterate subject keeps U(0, 0.2) of the imagery modulation


def sample_population(
    n: int,
    base: str | SubjectProfile = "noir-like",
    *,
    spread: float = 1.0,
    illiterate_fraction: float = 0.15,
    seed: int | None = 0,
) -> list[SubjectProfile]:
    """Draw ``n`` subject profiles around ``base`` with realistic inter-subject variability.

    Each subject's parameters are the base's multiplied by independent log-normal factors
    ``exp(N(0, (spread * sd)**2))`` with ``sd`` = 0.35 for the SSVEP amplitude (so the SSVEP SNR
    spans about a factor 2 either way over the middle 95 % of subjects), 0.3 for alpha, mu, EMG
    amplitude and ERD depth (capped at 0.95), 0.2 for the background amplitude and 0.4 for blink
    and eye-movement rates; individual alpha and mu peak frequencies move by ``N(0, (spread *
    0.8 Hz)**2)``, clipped to 8-12.5 Hz and 9-13.5 Hz. With probability ``illiterate_fraction`` a
    subject is "BCI-illiterate" for motor imagery (about 15-30 % of people in the MI
    literature): ERD depth and rest synchronisation shrink to U(0, 0.2) of the drawn values, so
    MI decoding is near chance. Other parameters (noise, line noise, task-time scale, lapses,
    fatigue) are the base's.

    Parameters
    ----------
    n : int
        Number of subjects, >= 1.
    base : str | SubjectProfile
        A key of :data:`PROFILES` or a profile to vary around.
    spread : float
        Multiplier (>= 0) of every sd above; 0 gives copies of ``base`` (up to illiteracy).
    illiterate_fraction : float
        Probability, in [0, 1], that a subject is BCI-illiterate for motor imagery.
    seed : int | None
        Seed of the draws; the same seed gives the same population.

    Returns
    -------
    profiles : list of SubjectProfile
        Named ``"<base>/s00"``, ``"<base>/s01"``, ...
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be an int >= 1, got {n!r}")
    if isinstance(base, str):
        if base not in PROFILES:
            raise ValueError(f"Unknown profile {base!r}; known profiles: {sorted(PROFILES)}")
        base = PROFILES[base]
    elif not isinstance(base, SubjectProfile):
        raise TypeError(f"base must be a str or SubjectProfile, got {type(base).__name__}")
    if not _is_real(spread) or not math.isfinite(spread) or spread < 0:
        raise ValueError(f"spread must be a finite number >= 0, got {spread!r}")
    if not _is_real(illiterate_fraction) or not 0 <= illiterate_fraction <= 1:
        raise ValueError(f"illiterate_fraction must be in [0, 1], got {illiterate_fraction!r}")
    rng = np.random.default_rng(seed)
    profiles = []
    for i in range(n):
        factors = {
            field: float(np.exp(spread * sd * rng.standard_normal()))
            for field, sd in _POPULATION_LOG_SD.items()
        }
        changes = {field: getattr(base, field) * factor for field, factor in factors.items()}
        changes["erd_depth"] = min(changes["erd_depth"], _MAX_ERD_DEPTH)
        rest_alpha_gain = base.rest_alpha_gain
        freq_shifts = spread * _POPULATION_FREQ_SD_HZ * rng.standard_normal(2)
        changes["alpha_freq"] = float(
            np.clip(base.alpha_freq + freq_shifts[0], *_ALPHA_FREQ_RANGE_HZ)
        )
        changes["mu_freq"] = float(np.clip(base.mu_freq + freq_shifts[1], *_MU_FREQ_RANGE_HZ))
        if rng.random() < illiterate_fraction:
            residual = _ILLITERATE_RESIDUAL * rng.random()
            changes["erd_depth"] *= residual
            rest_alpha_gain = 1 + (rest_alpha_gain - 1) * residual
        profiles.append(
            dataclasses.replace(
                base, name=f"{base.name}/s{i:02d}", rest_alpha_gain=rest_alpha_gain, **changes
            )
        )
    return profiles


class SyntheticSubject:
    """A seeded synthetic EEG subject that answers cues with a continuous recording.

    Parameters
    ----------
    profile : str | SubjectProfile
        A key of :data:`PROFILES` or a custom profile.
    sfreq : float
        Sampling frequency (Hz); its Nyquist frequency must exceed the profile's line frequency,
        rhythm frequencies and the low edge of its EMG band.
    ch_names : sequence of str | None
        Channel names from MNE's 10-20 montage (:data:`MONTAGE`); ``None`` uses
        :data:`DEFAULT_CHANNELS`.
    seed : int | None
        Seed of the subject's random stream. Successive :meth:`record` calls continue the stream,
        so a whole session is reproducible from the seed.
    """

    def __init__(
        self,
        profile: str | SubjectProfile = "default",
        *,
        sfreq: float = 256.0,
        ch_names: Sequence[str] | None = None,
        seed: int | None = 0,
    ) -> None:
        if isinstance(profile, str):
            if profile not in PROFILES:
                raise ValueError(f"Unknown profile {profile!r}; known profiles: {sorted(PROFILES)}")
            profile = PROFILES[profile]
        elif not isinstance(profile, SubjectProfile):
            raise TypeError(
                f"profile must be a str or SubjectProfile, got {type(profile).__name__}"
            )
        if not _is_real(sfreq) or not math.isfinite(sfreq) or sfreq <= 0:
            raise ValueError(f"sfreq must be a finite number of Hz > 0, got {sfreq!r}")
        nyquist = sfreq / 2
        for what, freq, limit in (
            ("line_freq", profile.line_freq, nyquist),
            ("alpha_freq", profile.alpha_freq, nyquist),
            ("mu_freq", profile.mu_freq, nyquist),
            ("beta_freq", profile.beta_freq, nyquist),
            ("the EMG band's low edge", profile.emg_band[0], _EMG_NYQUIST_FRACTION * nyquist),
        ):
            if freq >= limit:
                raise ValueError(
                    f"sfreq={sfreq:g} Hz is too low for profile {profile.name!r}: {what} "
                    f"({freq:g} Hz) must be below {limit:g} Hz (Nyquist = {nyquist:g} Hz)"
                )
        montage = mne.channels.make_standard_montage(MONTAGE)
        positions = montage.get_positions()["ch_pos"]
        if isinstance(ch_names, str):
            raise TypeError(
                f"ch_names must be a sequence of channel names, not the str {ch_names!r}"
            )
        names = DEFAULT_CHANNELS if ch_names is None else tuple(ch_names)
        if len(names) == 0:
            raise ValueError("ch_names must name at least one channel, got an empty sequence")
        for name in names:
            if not isinstance(name, str):
                raise TypeError(f"ch_names must hold str channel names, got {name!r}")
            if name not in positions:
                raise ValueError(
                    f"Unknown channel {name!r} in ch_names: every channel must be in MNE's "
                    f"'standard_1020' montage (named {MONTAGE!r} in MNE >= 1.13), e.g. 'Cz', 'Oz'"
                )
        if len(set(names)) != len(names):
            raise ValueError(f"ch_names must be unique, got {list(names)}")

        self._profile = profile
        self._sfreq = float(sfreq)
        self._ch_names = names
        self._info = mne.create_info(list(names), self._sfreq, "eeg")
        self._info.set_montage(montage)
        self._rng = np.random.default_rng(seed)

        xyz = np.array([positions[name] for name in self._ch_names])  # (n_channels, 3), m

        def gain(centre: str, spread: float) -> np.ndarray:
            distance = np.linalg.norm(xyz - positions[centre], axis=1)
            return np.exp(-(distance**2) / (2 * spread**2))

        distances = np.linalg.norm(xyz[:, None, :] - xyz[None, :, :], axis=-1)
        kernel = np.exp(-(distances**2) / (2 * _BACKGROUND_SPREAD_M**2))
        # (n_channels, n_channels): unit-RMS background per channel from unit-RMS sources.
        self._background_mixing = kernel / np.linalg.norm(kernel, axis=1, keepdims=True)
        # (n_channels, 8): columns = alpha PO3, alpha PO4, mu C3/Cz/C4, beta C3/Cz/C4.
        sources = _ALPHA_SOURCES + _SENSORIMOTOR_SOURCES * 2
        self._rhythm_mixing = np.column_stack([gain(c, s) for c, s in sources])
        self._ssvep_gain = gain(*_SSVEP_SOURCE)  # (n_channels,)
        self._blink_gain = gain(*_BLINK_SOURCE)  # (n_channels,)
        self._heog_gain = gain(*_HEOG_SOURCES[0]) - gain(*_HEOG_SOURCES[1])  # (n_channels,)
        emg = np.max([w * gain(c, _EMG_SPREAD_M) for c, w in _EMG_SITES], axis=0)
        self._emg_gain = np.maximum(emg, _EMG_FLOOR)  # (n_channels,)
        self._session_phase = SESSION_PHASES[0]
        self._elapsed = 0.0
        self._last_lapses: tuple[bool, ...] = ()

    @property
    def profile(self) -> SubjectProfile:
        """The subject's physiological parameters."""
        return self._profile

    @property
    def sfreq(self) -> float:
        """Sampling frequency (Hz)."""
        return self._sfreq

    @property
    def ch_names(self) -> tuple[str, ...]:
        """Channel names, in data order."""
        return self._ch_names

    @property
    def session_phase(self) -> str:
        """``"calibration"`` (the initial value) or ``"task"``; applies to later recordings.

        At task time the imagery modulation is scaled by the profile's ``task_erd_scale``.
        """
        return self._session_phase

    @session_phase.setter
    def session_phase(self, phase: str) -> None:
        if phase not in SESSION_PHASES:
            raise ValueError(f"session_phase must be one of {SESSION_PHASES}, got {phase!r}")
        self._session_phase = phase

    @property
    def elapsed(self) -> float:
        """Total duration (s) of everything this subject has recorded; drives fatigue."""
        return self._elapsed

    @property
    def last_lapses(self) -> tuple[bool, ...]:
        """For each cue of the last :meth:`record` call, whether the subject's attention lapsed.

        Only "ssvep" and "mi" cues can lapse; empty before the first recording.
        """
        return self._last_lapses

    def record(self, cues: Sequence[_cues.Cue]) -> mne.io.RawArray:
        """Record the subject performing ``cues`` back-to-back.

        Parameters
        ----------
        cues : sequence of decoders.cues.Cue
            The instructed periods, in order.

        Returns
        -------
        raw : mne.io.RawArray
            EEG in volts, shape ``(n_channels, n_samples)`` with ``n_samples`` the sum of
            ``round(cue.duration * sfreq)``; the 10-20 montage is set and ``raw.annotations`` holds
            one annotation per cue spanning its segment (onset and duration in s, the cue's
            duration rounded to whole samples). Annotations are the
            instructions; whether the subject followed each one is in :attr:`last_lapses`.
        """
        if isinstance(cues, _cues.Cue):
            raise TypeError("cues must be a sequence of Cue; wrap a single cue in a list")
        cues = tuple(cues)
        if len(cues) == 0:
            raise ValueError("cues must hold at least one Cue, got an empty sequence")
        sfreq, prof = self._sfreq, self._profile
        lengths = []
        for i, cue in enumerate(cues):
            if not isinstance(cue, _cues.Cue):
                raise TypeError(f"cues[{i}] must be a Cue, got {type(cue).__name__}")
            if cue.kind == "ssvep" and cue.target >= sfreq / 4:
                raise ValueError(
                    f"cues[{i}] ({cue.description}): SSVEP target must be below sfreq/4 = "
                    f"{sfreq / 4:g} Hz so that its second harmonic stays below Nyquist"
                )
            n_samples = round(cue.duration * sfreq)
            if n_samples < 1:
                raise ValueError(
                    f"cues[{i}] duration {cue.duration:g} s is shorter than one sample "
                    f"at {sfreq:g} Hz"
                )
            lengths.append(n_samples)
        starts = np.concatenate([[0], np.cumsum(lengths)])
        n_times = int(starts[-1])
        lapses = np.zeros(len(cues), dtype=bool)
        if prof.lapse_rate > 0:  # no draw when off, so lapse-free profiles keep their stream
            can_lapse = np.array([cue.kind in ("ssvep", "mi") for cue in cues])
            lapses = can_lapse & (self._rng.random(len(cues)) < prof.lapse_rate)
        hours = (self._elapsed + starts[:-1] / sfreq) / 3600  # time recorded before each cue
        # Fraction of the task response produced per cue (fatigue, lapses), then for imagery.
        engagement = np.exp(-prof.fatigue_per_hour * hours) * ~lapses
        imagery = engagement * (prof.task_erd_scale if self._session_phase == "task" else 1.0)

        freqs = np.fft.rfftfreq(n_times, 1 / sfreq)
        one_over_f = np.maximum(freqs, _BACKGROUND_FLAT_BELOW_HZ) ** (-prof.background_exponent / 2)
        one_over_f[0] = 0.0
        one_over_f = np.broadcast_to(one_over_f, (len(self._ch_names), freqs.size))
        background = self._shaped_noise(one_over_f, n_times)
        data = prof.background_amplitude * (self._background_mixing @ background)
        data += self._rhythm_mixing @ self._rhythms(cues, starts, freqs, imagery)
        data += np.outer(self._ssvep_gain, self._ssvep(cues, starts, engagement))
        data += np.outer(self._heog_gain, self._eye_movements(n_times))
        data += np.outer(self._blink_gain, self._blinks(n_times))
        data += self._emg(cues, starts)
        data += self._line_noise(n_times)
        data += prof.noise_amplitude * self._rng.standard_normal(data.shape)

        raw = mne.io.RawArray(data, self._info.copy(), verbose=False)
        self._elapsed += n_times / sfreq
        self._last_lapses = tuple(bool(lapse) for lapse in lapses)
        with warnings.catch_warnings():  # the last segment ends on the last sample's end,
            # which sample counts divided by the rate may overshoot by a rounding error
            warnings.filterwarnings("ignore", "Limited .* annotation", RuntimeWarning)
            raw.set_annotations(
                mne.Annotations(
                    onset=starts[:-1] / sfreq,
                    duration=np.diff(starts) / sfreq,  # the segment: the cue's rounded to samples
                    description=[cue.description for cue in cues],
                )
            )
        return raw

    def _shaped_noise(self, shapes: np.ndarray, n_times: int) -> np.ndarray:
        """Gaussian noise (n_rows, n_times) of expected RMS 1 with amplitude spectra ``shapes``.

        ``shapes`` has shape (n_rows, n_times // 2 + 1), on the ``numpy.fft.rfftfreq`` grid. The
        scale is set from the expected power, not the realised one, so the power of a short
        recording fluctuates from recording to recording as real band power does.
        """
        real, imag = self._rng.standard_normal((2, *shapes.shape))
        spectra = real + 1j * imag
        noise = np.fft.irfft(spectra * shapes, n=n_times, axis=1)
        # E[x**2] of irfft: the DC (and, for even n_times, Nyquist) bin keeps only its real part
        # (variance shape**2); every other bin contributes 4 * shape**2; all divided by n**2.
        weights = np.full(shapes.shape[1], 4.0)
        weights[0] = 1.0
        if n_times % 2 == 0:
            weights[-1] = 1.0
        rms = np.sqrt(shapes**2 @ weights) / n_times
        return noise / np.where(rms > 0, rms, 1.0)[:, None]

    def _rhythms(
        self, cues: Sequence[_cues.Cue], starts: np.ndarray, freqs: np.ndarray, imagery: np.ndarray
    ) -> np.ndarray:
        """Rhythm sources (8, n_times) in V: alpha PO3/PO4, mu C3/Cz/C4, beta C3/Cz/C4.

        Narrow-band noise with ERD during "mi" cues and alpha/mu synchronisation during "mi/rest";
        ``imagery`` (n_cues,) scales each cue's modulation (1 = the profile's full modulation).
        """
        prof = self._profile
        peaks = [prof.alpha_freq] * 2 + [prof.mu_freq] * 3 + [prof.beta_freq] * 3
        shapes = np.exp(-0.5 * ((freqs - np.array(peaks)[:, None]) / prof.rhythm_bandwidth) ** 2)
        amplitudes = [prof.alpha_amplitude] * 2 + [prof.mu_amplitude] * 3
        amplitudes += [prof.beta_amplitude] * 3
        target = np.ones((8, int(starts[-1])))  # amplitude gain each source heads for
        for cue, start, stop, scale in zip(cues, starts[:-1], starts[1:], imagery, strict=True):
            if cue.kind != "mi":
                continue
            onset = min(start + round(prof.erd_onset * self._sfreq), stop)
            if cue.target == "rest":  # alpha (2) and mu (3) sources synchronise
                target[0:5, onset:stop] = 1 + (prof.rest_alpha_gain - 1) * scale
            else:
                source = _ERD_SOURCE[cue.target]
                target[[2 + source, 5 + source], onset:stop] = 1 - prof.erd_depth * scale
        ramp = max(1, round(prof.erd_ramp * self._sfreq))
        gains = 1 + lfilter(np.full(ramp, 1 / ramp), 1.0, target - 1, axis=1)
        return self._shaped_noise(shapes, target.shape[1]) * gains * np.array(amplitudes)[:, None]

    def _ssvep(
        self, cues: Sequence[_cues.Cue], starts: np.ndarray, engagement: np.ndarray
    ) -> np.ndarray:
        """SSVEP source waveform (n_times,) in V at Oz; ``engagement`` (n_cues,) scales each cue."""
        prof, sfreq = self._profile, self._sfreq
        out = np.zeros(int(starts[-1]))
        harmonics = np.arange(1, prof.ssvep_harmonics + 1)
        for cue, start, stop, gain in zip(cues, starts[:-1], starts[1:], engagement, strict=True):
            if cue.kind != "ssvep":
                continue
            t = np.arange(stop - start) / sfreq - prof.ssvep_latency  # s since response onset
            k = harmonics[harmonics * cue.target < sfreq / 2]
            scale = max(0.0, 1 + prof.ssvep_amplitude_jitter * self._rng.standard_normal())
            amplitudes = prof.ssvep_amplitude * gain * scale * prof.ssvep_harmonic_decay ** (k - 1)
            phases = prof.ssvep_phase_jitter * self._rng.standard_normal(k.size)
            wave = amplitudes @ np.sin(2 * np.pi * cue.target * np.outer(k, t) + phases[:, None])
            out[start:stop] = np.where(t >= 0, wave, 0.0)
        return out

    def _blinks(self, n_times: int) -> np.ndarray:
        """Blink waveform (n_times,) in V at Fpz: Poisson-timed Hann bumps."""
        prof = self._profile
        n_blinks = self._rng.poisson(prof.blink_rate * n_times / self._sfreq / 60)
        impulses = np.zeros(n_times)
        times = self._rng.integers(0, n_times, n_blinks)
        sizes = 1 + _BLINK_AMPLITUDE_SPREAD * self._rng.uniform(-1, 1, n_blinks)
        np.add.at(impulses, times, prof.blink_amplitude * sizes)
        bump = hann(max(3, round(_BLINK_DURATION_S * self._sfreq)))
        # Centre each bump on its blink time.
        return np.convolve(impulses, bump, mode="full")[bump.size // 2 : bump.size // 2 + n_times]

    def _eye_movements(self, n_times: int) -> np.ndarray:
        """Horizontal EOG (n_times,) in V at F9 (F10 sees its negative): Poisson gaze excursions.

        Each lateral eye movement is a step of random sign held for U(0.4, 1.5) s, then a step
        back; both steps are smoothed to raised-cosine transitions of ``_HEOG_RAMP_S``.
        """
        prof, sfreq = self._profile, self._sfreq
        n_moves = self._rng.poisson(prof.saccade_rate * n_times / sfreq / 60)
        onsets = self._rng.integers(0, n_times, n_moves)
        returns = np.minimum(
            onsets + np.round(self._rng.uniform(*_HEOG_HOLD_S, n_moves) * sfreq), n_times
        ).astype(int)
        sizes = prof.saccade_amplitude * self._rng.choice((-1.0, 1.0), n_moves)
        sizes *= 1 + _HEOG_AMPLITUDE_SPREAD * self._rng.uniform(-1, 1, n_moves)
        steps = np.zeros(n_times + 1)
        np.add.at(steps, onsets, sizes)
        np.add.at(steps, returns, -sizes)
        gaze = np.cumsum(steps[:n_times])
        ramp = hann(max(3, round(_HEOG_RAMP_S * sfreq)))
        smooth = np.convolve(gaze, ramp / ramp.sum(), mode="full")
        return smooth[ramp.size // 2 : ramp.size // 2 + n_times]

    def _emg(self, cues: Sequence[_cues.Cue], starts: np.ndarray) -> np.ndarray:
        """Clench EMG (n_channels, n_times) in V: tapered band-limited bursts during "clench"."""
        prof, sfreq = self._profile, self._sfreq
        out = np.zeros((len(self._ch_names), int(starts[-1])))
        high = min(prof.emg_band[1], _EMG_NYQUIST_FRACTION * sfreq / 2)
        for cue, start, stop in zip(cues, starts[:-1], starts[1:], strict=True):
            if cue.kind != "clench":
                continue
            n = stop - start
            freqs = np.fft.rfftfreq(n, 1 / sfreq)
            band = ((freqs >= prof.emg_band[0]) & (freqs <= high)).astype(float)
            burst = self._shaped_noise(np.broadcast_to(band, (out.shape[0], freqs.size)), n)
            taper = tukey(n, alpha=min(1.0, 2 * _EMG_RAMP_S * sfreq / n))
            out[:, start:stop] = (prof.emg_amplitude * self._emg_gain)[:, None] * burst * taper
        return out

    def _line_noise(self, n_times: int) -> np.ndarray:
        """Line noise (n_channels, n_times) in V, with a random gain per channel."""
        prof = self._profile
        t = np.arange(n_times) / self._sfreq
        gains = prof.line_amplitude * self._rng.uniform(0.5, 1.5, len(self._ch_names))
        phase = self._rng.uniform(0, 2 * np.pi)
        return np.outer(gains, np.sin(2 * np.pi * prof.line_freq * t + phase))


_MOVED = ("Cue", "MI_CLASSES", "CUE_KINDS")


def __getattr__(name: str) -> Any:
    """``Cue``, ``MI_CLASSES`` and ``CUE_KINDS`` moved to :mod:`decoders.cues` (deprecated here)."""
    if name in _MOVED:
        warnings.warn(f"sim.eeg_subject.{name} moved: import it from decoders.cues "
                      "(the old path will be removed)", DeprecationWarning, stacklevel=2)
        return getattr(_cues, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
