"""BIDS export (noir export-bids) and a BIDS root as a benchmark dataset, round-tripped."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from mne_bids import BIDSPath, read_raw_bids
from typer.testing import CliRunner

from decoders.benchmark.bids import BIDSDataset
from decoders.benchmark.datasets import JFPMSynthetic
from decoders.benchmark.evaluations import WithinSessionEvaluation
from decoders.benchmark.paradigms import SSVEP
from decoders.benchmark.pipelines import resolve_pipeline
from decoders.benchmark.run import load_config, run_benchmark
from noir.bids import behaviour_table, export, export_dataset, export_record, record_annotations
from noir.replay import load_record
from noir.session import CorruptRecord

SAMPLE = Path(__file__).resolve().parents[1] / "noir" / "sample_sessions" / \
    "cube_in_tray-recorded-seed0"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    root = tmp_path_factory.mktemp("bids") / "record"
    written = export_record(SAMPLE, root, subject="07", session="a")
    return root, written, load_record(SAMPLE)


def _same_annotations(read, expected, sfreq):
    assert list(read.description) == list(expected.description)
    np.testing.assert_allclose(read.onset, expected.onset, atol=0.5 / sfreq)
    np.testing.assert_allclose(read.duration, expected.duration, atol=0.5 / sfreq)


def test_record_round_trip_eeg_and_events(exported):
    root, written, record = exported
    assert len(record.streams) >= 2  # the sample has an SSVEP and an MI/EMG stream
    for header, raw in record.streams.items():
        acq = header.removesuffix(".vhdr").replace("-", "")
        path = BIDSPath(subject="07", session="a", task="cubeintray", acquisition=acq,
                        datatype="eeg", root=root)
        back = read_raw_bids(path, verbose="error")
        assert back.ch_names == raw.ch_names and back.info["sfreq"] == raw.info["sfreq"]
        np.testing.assert_allclose(back.get_data(), raw.get_data(), rtol=1e-6, atol=1e-12)
        expected = record_annotations(record, header)
        _same_annotations(back.annotations, expected, raw.info["sfreq"])
        # every cue as recorded, every decision and confirmation of this stream
        assert sum(d.startswith("cue/") for d in expected.description) == \
            len(raw.annotations)
        windows = [e for e in record.events if e["event"] in ("decision", "confirm")
                   and e["eeg"]["header"] == header]
        decided = [d for d in back.annotations.description if not d.startswith("cue/")]
        assert len(decided) == len(windows) > 0
        for event, name in zip(windows, decided, strict=True):
            label = event["label"] if event["event"] == "decision" else \
                "clench" if event["clench"] else "no_clench"
            assert name == f"{event['event']}/{event['stage']}/{label}"


def test_record_decisions_as_a_behavioural_table(exported):
    root, written, record = exported
    beh = root / "sub-07" / "ses-a" / "beh" / "sub-07_ses-a_task-cubeintray_beh.tsv"
    assert beh in written and beh.with_suffix(".json").is_file()
    table = pd.read_csv(beh, sep="\t", keep_default_na=False)
    windows = [e for e in record.events if e["event"] in ("decision", "confirm")]
    assert len(table) == len(windows)
    np.testing.assert_allclose(table["onset"], [e["t"] for e in windows])
    assert list(table["stage"]) == [e["stage"] for e in windows]
    assert list(table["decided"]) == [
        e["label"] if e["event"] == "decision" else "clench" if e["clench"] else "no_clench"
        for e in windows]
    assert list(table["correct"].astype(str)) == [str(e.get("correct", "n/a"))
                                                  for e in windows]
    pd.testing.assert_frame_equal(table[["event", "eeg_acq"]],
                                  behaviour_table(record)[["event", "eeg_acq"]])


def test_calibration_recordings_exported(exported):
    root, _, _ = exported
    path = BIDSPath(subject="07", session="a", task="calibration", acquisition="mi",
                    datatype="eeg", root=root)
    back = read_raw_bids(path, verbose="error")
    assert len(back.annotations) > 0
    assert all(d.startswith("cue/mi/") or d == "cue/rest" for d in back.annotations.description)


def test_a_tampered_record_is_refused_before_anything_is_written(tmp_path):
    record = tmp_path / "record"
    shutil.copytree(SAMPLE, record)
    with (record / "eeg.eeg").open("ab") as f:
        f.write(b"\0\0\0\0")
    with pytest.raises(CorruptRecord, match=r"eeg\.eeg"):
        export_record(record, tmp_path / "bids")
    assert not (tmp_path / "bids").exists()


def test_bad_labels_and_existing_files(exported, tmp_path):
    root, _, _ = exported
    with pytest.raises(ValueError, match=r"--subject '0-7' is not a BIDS label"):
        export_record(SAMPLE, tmp_path / "x", subject="0-7")
    with pytest.raises(FileExistsError, match="already exists"):
        export_record(SAMPLE, root, subject="07", session="a")
    with pytest.raises(ValueError, match="neither a session folder"):
        export("no-such-thing", tmp_path / "y")
    with pytest.raises(ValueError, match="'BIDSDataset' needs parameters"):
        export("BIDSDataset", tmp_path / "y")


@pytest.fixture(scope="module")
def jfpm():
    """Phase-locked synthetic SSVEP: 2 subjects, 2 sessions, 12 classes x 3 trials."""
    return JFPMSynthetic(subjects=(1, 2), n_sessions=2, n_blocks=3, trial_seconds=1.0, snr=1.0)


def test_dataset_round_trip_read_as_a_bids_dataset(jfpm, tmp_path):
    root = tmp_path / "jfpm"
    written = export_dataset(jfpm, root)
    assert (root / "README").is_file() and len(written) == 2 * 2 + 1
    bids = BIDSDataset(root, "jfpmsynthetic", paradigm="ssvep", interval=jfpm.interval)
    assert bids.subjects == jfpm.subjects and bids.event_id == jfpm.event_id
    assert bids.stim_freqs == jfpm.stim_freqs
    for subject in jfpm.subjects:
        original, back = jfpm.get_data(subject), bids.get_data(subject)
        assert list(back) == list(original)  # sessions "0", "1"
        for session, runs in original.items():
            (raw,), (read,) = runs.values(), back[session].values()
            np.testing.assert_allclose(read.get_data(), raw.get_data(), rtol=1e-6, atol=1e-12)
            _same_annotations(read.annotations, raw.annotations, raw.info["sfreq"])
    para = SSVEP(fmin=6, fmax=40, tmin=0.14, tmax=0.89)
    pipes = dict([resolve_pipeline({"name": "CCA"}), resolve_pipeline({"name": "TRCA"})])
    cols = ["subject", "session", "pipeline", "accuracy", "confusion"]
    expected = WithinSessionEvaluation(n_splits=3).evaluate(jfpm, para, pipes)
    got = WithinSessionEvaluation(n_splits=3).evaluate(bids, para, pipes)
    pd.testing.assert_frame_equal(got[cols], expected[cols])
    assert (expected["accuracy"] > 0.5).all()  # 12 classes: chance is 1/12

    # the bench reads the root from a config (relative path): the lines the README gives
    readme = (root / "README").read_text()
    lines = readme[readme.index("datasets:\n"):]
    assert "root: jfpm, task: jfpmsynthetic, paradigm: ssvep, interval: [0.0, 1.0]" in lines
    config = tmp_path / "bench.yaml"
    config.write_text(
        lines + "    subjects: [2]\n"
        "paradigm: {name: SSVEP, params: {fmin: 6, fmax: 40, tmin: 0.14, tmax: 0.89}}\n"
        "evaluation: {name: within-session, params: {n_splits: 3}}\n"
        "pipelines: [{name: CCA}, {name: TRCA}]\n")
    results = run_benchmark(load_config(config))
    pd.testing.assert_frame_equal(results[cols], expected[expected["subject"] == 2][cols]
                                  .reset_index(drop=True))


def test_bids_dataset_refuses_what_it_cannot_read(tmp_path, jfpm):
    with pytest.raises(ValueError, match="not a BIDS root"):
        BIDSDataset(tmp_path, "x", paradigm="ssvep", interval=(0, 1))
    export_dataset(JFPMSynthetic(subjects=(1,), n_blocks=2, trial_seconds=1.0), tmp_path / "r")
    with pytest.raises(ValueError, match="no EEG recording of task 'other'"):
        BIDSDataset(tmp_path / "r", "other", paradigm="ssvep", interval=(0, 1))
    with pytest.raises(ValueError, match="task must be a BIDS label"):
        BIDSDataset(tmp_path / "r", "a_b", paradigm="ssvep", interval=(0, 1))
    with pytest.raises(ValueError, match="paradigm must be"):
        BIDSDataset(tmp_path / "r", "jfpmsynthetic", paradigm="p300", interval=(0, 1))


def test_noir_export_bids_cli(tmp_path):
    from noir.cli import app

    out = tmp_path / "bids"
    result = CliRunner().invoke(app, ["export-bids", str(SAMPLE), str(out), "--subject", "02"])
    assert result.exit_code == 0, result.output
    assert "sub-02_task-cubeintray_beh.tsv" in result.output
    assert (out / "sub-02" / "eeg" / "sub-02_task-cubeintray_acq-eeg_events.tsv").is_file()
    bad = CliRunner().invoke(app, ["export-bids", str(SAMPLE), str(out), "--subject", "0_2"])
    assert bad.exit_code == 2
    assert bad.output.strip().splitlines() == [
        "error: --subject '0_2' is not a BIDS label: expected letters and digits only"]
