"""Montages: files load or are refused in one line; a stream is checked against them; the mapped
source renames exactly and resamples a known multi-sine without losing a sample."""

import json
from fractions import Fraction

import numpy as np
import pytest
from scipy.signal import firwin, resample_poly

from noir.config import LoopConfig
from noir.montage import (
    MappedSource,
    Montage,
    MontageMismatch,
    StreamResampler,
    known_montages,
    load_montage,
    montage_path,
)
from noir.stream import StreamPaused, check_chunk
from sim.eeg_subject import SyntheticSubject

GOOD = {
    "name": "test-cap",
    "note": "a test",
    "sfreq": 250,
    "units": "uV",
    "rate_mismatch": "refuse",
    "ssvep": {"O1": "EXG Channel 0", "Oz": "EXG Channel 1"},
    "mi": {"C3": "EXG Channel 2", "C4": "EXG Channel 3", "Oz": "EXG Channel 1"},
    "emg": {"T7": "EXG Channel 4", "C4x": "EXG Channel 3"},
}


class FakeSource:
    """A stream (``noir.stream.StreamSource``) playing ``data`` (n, n_channels) and ``stamps``
    in chunks of random sizes (1 to ``max_chunk`` samples)."""

    def __init__(self, ch_names, sfreq=250.0, units="uV", data=None, stamps=None,
                 answers_cues=False, max_chunk=40, seed=0):
        self.label = "fake:stream"
        self.ch_names = list(ch_names)
        self.sfreq = sfreq
        self.units = units
        self.answers_cues = answers_cues
        self.stamp_jitter = 0.0
        self.data = data
        self.stamps = stamps
        self.max_chunk = max_chunk
        self.rng = np.random.default_rng(seed)
        self.at = 0
        self.marks = []
        self.closed = False

    def read(self, max_samples, timeout):
        n = min(max_samples, int(self.rng.integers(1, self.max_chunk + 1)),
                len(self.data) - self.at)
        chunk = slice(self.at, self.at + n)
        self.at += n
        return self.data[chunk], self.stamps[chunk]

    def mark(self, marker):
        self.marks.append(marker)

    def close(self):
        self.closed = True


def write(tmp_path, fields, name="cap.json"):
    path = tmp_path / name
    path.write_text(json.dumps(fields) if not isinstance(fields, str) else fields)
    return path


def test_a_good_file_loads(tmp_path):
    montage = Montage.load(write(tmp_path, GOOD))
    assert montage.name == "test-cap" and montage.note == "a test"
    assert montage.sfreq == 250.0 and isinstance(montage.sfreq, float)
    assert montage.units == "uV" and montage.rate_mismatch == "refuse"
    assert dict(montage.ssvep) == GOOD["ssvep"] and dict(montage.emg) == GOOD["emg"]
    # SSVEP's, then MI's, then EMG's names, each once
    assert list(montage.channels) == ["O1", "Oz", "C3", "C4", "T7", "C4x"]
    with pytest.raises(TypeError):
        montage.mi["C3"] = "EXG Channel 7"  # read-only
    no_note = {k: v for k, v in GOOD.items() if k != "note"}
    assert Montage.load(write(tmp_path, no_note)).note == ""


BAD = {
    "unknown field": ({**GOOD, "reference": "A1"}, "unknown field(s) ['reference']"),
    "missing field": ({k: v for k, v in GOOD.items() if k != "units"},
                      "missing field(s) ['units']"),
    "rate as text": ({**GOOD, "sfreq": "250"}, "field 'sfreq': expected a rate in Hz > 0"),
    "rate as bool": ({**GOOD, "sfreq": True}, "field 'sfreq'"),
    "rate zero": ({**GOOD, "sfreq": 0}, "field 'sfreq'"),
    "bad units": ({**GOOD, "units": "microvolts"},
                  "field 'units': expected one of ['V', 'mV', 'uV'], got 'microvolts'"),
    "bad rate_mismatch": ({**GOOD, "rate_mismatch": "ignore"}, "field 'rate_mismatch'"),
    "name empty": ({**GOOD, "name": " "}, "field 'name'"),
    "note not text": ({**GOOD, "note": 3}, "field 'note'"),
    "role a list": ({**GOOD, "mi": ["C3", "C4"]}, "field 'mi': expected an object"),
    "role empty": ({**GOOD, "emg": {}}, "field 'emg': expected an object"),
    "label not text": ({**GOOD, "emg": {"T7": 4}}, "field 'emg': expected a non-empty stream"),
    "empty name": ({**GOOD, "ssvep": {"": "EXG Channel 0"}},
                   "field 'ssvep': expected a non-empty interface channel name"),
    "two names one label": ({**GOOD, "ssvep": {"O1": "EXG Channel 0", "O2": "EXG Channel 0"}},
                            "field 'ssvep': 'O1' and 'O2' both map to stream channel "
                            "'EXG Channel 0'"),
    "one name two labels": ({**GOOD, "emg": {"Oz": "EXG Channel 5"}},
                            "field 'emg': 'Oz' maps to 'EXG Channel 5' but to 'EXG Channel 1' "
                            "in 'ssvep'"),
    "duplicate key": (json.dumps(GOOD)[:-1] + ', "emg": {"T7": "EXG Channel 4"}}',
                      "duplicate key(s) ['emg']"),
    "not json": ("{name: noir}", "not a JSON montage"),
    "not an object": ("[1, 2]", "expected a JSON object"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_each_bad_file_is_refused_in_one_line_naming_file_and_field(tmp_path, case):
    fields, expected = BAD[case]
    path = write(tmp_path, fields)
    with pytest.raises(ValueError) as err:
        Montage.load(path)
    message = str(err.value)
    assert message.startswith(f"{path}: ") and expected in message
    assert "\n" not in message


def test_a_file_not_utf8_or_too_large_is_refused(tmp_path):
    path = tmp_path / "latin.json"
    path.write_bytes(b'{"name": "caf\xe9"}')
    with pytest.raises(ValueError, match="not a JSON montage"):
        Montage.load(path)
    path = write(tmp_path, " " * (1 << 20) + json.dumps(GOOD))
    with pytest.raises(ValueError, match="larger than"):
        Montage.load(path)


def test_check_says_nothing_when_the_stream_fits(tmp_path):
    montage = Montage.load(write(tmp_path, GOOD))
    source = FakeSource([f"EXG Channel {i}" for i in range(8)], sfreq=250.0, units="uV")
    assert montage.check(source) is None
    # another rate is not a mismatch when the montage resamples
    resampling = Montage(**{**GOOD, "rate_mismatch": "resample"})
    assert resampling.check(FakeSource(source.ch_names, sfreq=500.0)) is None


def test_check_lists_each_mismatch_on_its_own_line(tmp_path):
    montage = Montage.load(write(tmp_path, GOOD))
    # channels 1 and 4 missing (a lower-case and a re-numbered label are there instead),
    # 500 Hz while the montage refuses another rate, mV while it expects uV
    source = FakeSource(["EXG Channel 0", "exg channel 1", "EXG Channel 2", "EXG Channel 3",
                         "EXG Channel 14"], sfreq=500.0, units="mV")
    with pytest.raises(MontageMismatch) as err:
        montage.check(source)
    lines = str(err.value).splitlines()
    assert lines[0] == "fake:stream does not fit montage 'test-cap':"
    assert lines[1:] == [
        "  channel 'EXG Channel 1' (ssvep Oz, mi Oz) is not in the stream; "
        "closest: 'exg channel 1'",
        "  channel 'EXG Channel 4' (emg T7) is not in the stream; closest: 'EXG Channel 14'",
        "  rate: the stream runs at 500 Hz, the montage expects 250 Hz (rate_mismatch "
        "'refuse'; 'resample' would resample it)",
        "  units: the stream's samples are in 'mV', the montage expects 'uV'",
    ]
    assert isinstance(err.value, ValueError)


def test_check_refuses_a_doubled_label_and_an_irregular_rate_even_when_resampling():
    montage = Montage(**{**GOOD, "rate_mismatch": "resample"})
    names = [f"EXG Channel {i}" for i in range(5)] + ["EXG Channel 3"]
    with pytest.raises(MontageMismatch) as err:
        montage.check(FakeSource(names, sfreq=0.0))
    lines = str(err.value).splitlines()
    assert lines[1:] == [
        "  channel 'EXG Channel 3' (mi C4, emg C4x) is in the stream 2 times; expected once",
        "  rate: the stream has no regular sampling rate (0.0); expected 250 Hz",
    ]


def test_config_takes_the_montage_channels():
    montage = Montage(**GOOD)
    config = montage.config(LoopConfig(ssvep_window=4.0))
    assert config.ssvep_channels == ("O1", "Oz")
    assert config.mi_channels == ("C3", "C4", "Oz")
    assert config.emg_channels == ("T7", "C4x")
    assert config.ssvep_window == 4.0 and config.mi_decoder == LoopConfig().mi_decoder


def test_mapped_source_hands_out_the_mapped_channels_renamed_exactly():
    names = [f"EXG Channel {i}" for i in range(8)]
    rng = np.random.default_rng(1)
    data, stamps = rng.standard_normal((1000, 8)), 10 + np.arange(1000) / 250
    source = FakeSource(names, data=data, stamps=stamps)
    mapped = MappedSource(source, Montage(**GOOD))
    assert mapped.ch_names == ["O1", "Oz", "C3", "C4", "T7", "C4x"]
    assert mapped.label == "fake:stream via montage test-cap"
    assert mapped.sfreq == 250.0 and mapped.units == "uV" and mapped.answers_cues is False
    chunks, times = [], []
    while source.at < len(data):
        chunk, ts = mapped.read(max_samples=25, timeout=0.0)
        assert chunk.shape[1] == 6 and len(chunk) <= 25
        chunks.append(chunk)
        times.append(ts)
    # exactly the stream's columns 0, 1, 2, 3, 4, 3 (C4 and C4x are one electrode)
    np.testing.assert_array_equal(np.vstack(chunks), data[:, [0, 1, 2, 3, 4, 3]])
    np.testing.assert_array_equal(np.concatenate(times), stamps)
    mapped.mark({"stage": "what", "cues": []})
    mapped.close()
    assert source.marks == [{"stage": "what", "cues": []}] and source.closed


def test_mapped_source_checks_the_stream_first():
    with pytest.raises(MontageMismatch, match="'EXG Channel 4' \\(emg T7\\) is not in"):
        MappedSource(FakeSource([f"EXG Channel {i}" for i in range(4)]), Montage(**GOOD))


def test_a_source_that_answers_cues_is_not_resampled():
    montage = Montage(**{**GOOD, "rate_mismatch": "resample"})
    source = FakeSource([f"EXG Channel {i}" for i in range(5)], sfreq=500.0, answers_cues=True)
    with pytest.raises(ValueError, match="answers cues at 500 Hz .* cannot be resampled live"):
        MappedSource(source, montage)


FREQS, AMPLITUDES = (6.0, 10.0, 40.0), (20e-6, 10e-6, 5e-6)
ALIASED = 200.0  # Hz: above 125 Hz, it would fold to 50 Hz at 250 Hz


def multisine(t):
    """The test signal (V) at times ``t`` (s): three passband sines and one the resampler
    must remove (``ALIASED``, 10 µV)."""
    wave = sum(a * np.sin(2 * np.pi * f * t + f) for f, a in zip(FREQS, AMPLITUDES, strict=True))
    return wave + 10e-6 * np.sin(2 * np.pi * ALIASED * t)


def test_mapped_source_resamples_500_to_250_hz_over_small_chunks():
    """The filter (Kaiser beta 5, 10 zero crossings: ``resample_poly``'s) passes 0-100 Hz with
    gain 1 +- 0.0021 and attenuates 150 Hz and above to < 0.0016 (scipy.signal.freqz of it), so
    each sine comes out within 0.5 % of its amplitude and the 200 Hz one leaves < 0.5 % of its
    own at 50 Hz; beyond that, rounding only."""
    n = 60 * 500 + 7  # one minute at 500 Hz, in 1-40 sample chunks (about 1,500 of them)
    t = np.arange(n) / 500
    t0 = 1000.0  # the stream's clock at its first sample
    data = np.column_stack([multisine(t), -multisine(t), np.zeros(n), np.zeros(n),
                            multisine(t), np.zeros(n), np.zeros(n), np.zeros(n)])
    names = [f"EXG Channel {i}" for i in range(8)]
    source = FakeSource(names, sfreq=500.0, data=data, stamps=t0 + t, seed=3)
    mapped = MappedSource(source, Montage(**{**GOOD, "rate_mismatch": "resample"}))
    chunks, times = [], []
    while source.at < n:
        chunk, ts = mapped.read(max_samples=8, timeout=0.0)  # 1/32 s at 250 Hz
        assert len(chunk) <= 8
        chunks.append(chunk)
        times.append(ts)
    while len(chunk := mapped.read(max_samples=8, timeout=0.0)[0]):
        chunks.append(chunk)  # what was resampled beyond the last read's 8
    out, stamps = np.vstack(chunks), np.concatenate(times)
    # every output sample once: 250 Hz for the span of input, less the samples held back
    covered = (n - 1) // 2 + 1  # output samples at or before the last input sample
    assert abs(len(out) - (covered - mapped._resampler.latency)) <= 1
    # stamps rise by 1/250 s, interpolated from the stream's
    assert np.all(np.diff(stamps) > 0)
    np.testing.assert_allclose(stamps, t0 + np.arange(len(stamps)) / 250, rtol=0, atol=1e-9)
    # the renaming survives resampling: O1 = the stream's channel 0, Oz = its channel 1 ...
    np.testing.assert_array_equal(out[:, 1], -out[:, 0])
    np.testing.assert_array_equal(out[:, 4], out[:, 0])
    np.testing.assert_array_equal(out[:, 2], 0.0)
    # amplitudes and frequencies: 50 s of output from the 2nd second (an integer number of
    # cycles of each sine: the FFT bins are 0.02 Hz and exact)
    segment = out[250: 250 + 50 * 250, 0]
    spectrum = 2 * np.abs(np.fft.rfft(segment)) / len(segment)
    bins = np.fft.rfftfreq(len(segment), 1 / 250)
    for f, a in zip(FREQS, AMPLITUDES, strict=True):
        assert abs(spectrum[np.argmin(np.abs(bins - f))] / a - 1) < 0.005, f
    peaks = np.sort(bins[np.argsort(spectrum)[-3:]])
    np.testing.assert_array_equal(peaks, FREQS)
    assert spectrum[np.argmin(np.abs(bins - (250 - ALIASED)))] < 0.005 * 10e-6
    # in time: each output sample is the passband signal at its own stamp
    passband = multisine(stamps - t0) - 10e-6 * np.sin(2 * np.pi * ALIASED * (stamps - t0))
    assert np.max(np.abs(out[250:, 0] - passband[250:])) < 0.005 * sum(AMPLITUDES)


@pytest.mark.parametrize("rates", [(500, 250), (500, 256), (125, 256), (250, 256), (1000, 256),
                                   (256, 512)])
def test_the_stream_resampler_equals_resample_poly_chunk_by_chunk(rates):
    """Chunked (1-40 samples at a time) and whole, the output is scipy's ``resample_poly``
    with the same filter: no sample lost, doubled or shifted at a chunk boundary."""
    fin, fout = rates
    rng = np.random.default_rng(fin + fout)
    n = 4000
    x = rng.standard_normal((n, 3))
    resampler = StreamResampler(fin, fout, 3)
    ratio = Fraction(fout, fin)
    assert (resampler.up, resampler.down) == (ratio.numerator, ratio.denominator)
    out, at = [], 0
    while at < n:
        step = int(rng.integers(1, 41))
        out.append(resampler.push(x[at:at + step], at + np.arange(len(x[at:at + step])))[0])
        at += step
    out = np.vstack(out)
    half = 10 * max(resampler.up, resampler.down)
    h = firwin(2 * half + 1, 1 / max(resampler.up, resampler.down), window=("kaiser", 5.0))
    expected = resample_poly(x, resampler.up, resampler.down, axis=0, window=h)
    np.testing.assert_allclose(out, expected[:len(out)], rtol=0, atol=1e-12)
    covered = (n - 1) * resampler.up // resampler.down + 1
    assert abs(len(out) - (covered - resampler.latency)) <= 1


def test_dropped_input_samples_show_in_the_output_stamps():
    """Samples lost before the resampler leave a gap in the output stamps that
    ``noir.stream.check_chunk`` refuses (the resampler does not hide it)."""
    stamps = np.arange(2000) / 500.0
    stamps[1000:] += 10 / 500  # 10 samples lost after sample 999
    resampler = StreamResampler(500, 256, 1)
    out, out_stamps = resampler.push(np.zeros((2000, 1)), stamps)
    with pytest.raises(StreamPaused, match="dropped samples"):
        check_chunk(out, out_stamps, 256.0, ["O1"])


def test_an_unusable_rate_ratio_is_refused():
    with pytest.raises(ValueError, match="cannot resample 500 Hz to 256.0001 Hz"):
        StreamResampler(500, 256.0001, 1)


def test_the_shipped_montages_load_and_fit_their_streams():
    assert set(known_montages()) >= {"noir-default", "openbci-cyton-daisy", "muse"}
    for name in known_montages():
        assert load_montage(name).name == name
    default = load_montage("noir-default")
    subject = SyntheticSubject("default", seed=0)
    stream = FakeSource(subject.ch_names, sfreq=subject.sfreq, units="V")
    assert default.check(stream) is None
    # it is the interface's default channel set, one to one
    assert default.config(LoopConfig()) == LoopConfig()
    assert all(name == label for name, label in default.channels.items())
    # BrainFlow's labels of the Cyton + Daisy inputs (BoardShim.get_eeg_names(CYTON_DAISY))
    cyton = ["Fp1", "Fp2", "C3", "C4", "P7", "P8", "O1", "O2",
             "F7", "F8", "F3", "F4", "T7", "T8", "P3", "P4"]
    assert load_montage("openbci-cyton-daisy").check(FakeSource(cyton, 125.0, "uV")) is None
    assert len(set(load_montage("openbci-cyton-daisy").channels.values())) == 16
    assert load_montage("muse").check(
        FakeSource(["TP9", "AF7", "AF8", "TP10"], 256.0, "uV")) is None


def test_montage_path_takes_a_name_or_a_file(tmp_path):
    assert montage_path("muse").name == "muse.json"
    path = write(tmp_path, GOOD)
    assert montage_path(str(path)) == path
    with pytest.raises(FileNotFoundError, match="'nope': no such file .* shipped: \\["):
        montage_path("nope")
