"""Cross-subject evaluation with Riemannian re-centering, on subjects with a known answer: the
same class effect seen through very different channel gains (electrode impedances)."""

import mne
import numpy as np
import pytest
from pyriemann.estimation import Covariances
from pyriemann.preprocessing import Whitening

from decoders.benchmark.datasets import Dataset
from decoders.benchmark.evaluations import CrossSubjectEvaluation
from decoders.benchmark.paradigms import MotorImagery
from decoders.benchmark.pipelines import PIPELINES
from decoders.benchmark.run import ConfigError, parse_config, run_benchmark
from decoders.benchmark.transfer import RecenteredCrossSubjectEvaluation, recentering_matrix


class GainSubjects(Dataset):
    """6 channels of white noise; class "a" doubles the SD of channel 0, "b" of channel 1.
    Subject s sees it through its own channel gains (log-uniform over 0.1-10; channel 0 ten
    times channel 1 for odd subjects, a tenth for even ones), the same for all its trials:
    re-centering removes them exactly; pooled subjects without it do not."""

    code = "gain-subjects"
    paradigm = "imagery"
    interval = (0.0, 1.0)
    event_id = {"a": 1, "b": 2}

    @property
    def subjects(self):
        return [1, 2, 3, 4]

    def _load_subject(self, subject):
        rng = np.random.default_rng(subject)
        gains = 10 ** rng.uniform(-1, 1, 6)
        gains[:2] = (3.0, 0.3) if subject % 2 else (0.3, 3.0)
        sfreq, n_trials, trial = 100.0, 40, 150
        data = rng.standard_normal((6, n_trials * trial + 100))
        labels = rng.permutation(["a", "b"] * (n_trials // 2))
        onsets = 50 + np.arange(n_trials) * trial
        for onset, label in zip(onsets, labels, strict=True):
            data[0 if label == "a" else 1, onset:onset + 101] *= 2.0
        raw = mne.io.RawArray(gains[:, None] * data * 1e-5,
                              mne.create_info(6, sfreq, "eeg"), verbose="error")
        raw.set_annotations(mne.Annotations(onsets / sfreq, 1.0, labels))
        return {"0": {"0": raw}}


def test_recentering_matrix_gives_identity_mean():
    X = np.random.default_rng(0).standard_normal((30, 4, 200)) * np.array([1, 2, 3, 4])[:, None]
    W = recentering_matrix(X, "scm")
    covs = Covariances("scm").transform(np.einsum("ij,njt->nit", W, X))
    np.testing.assert_allclose(Whitening(metric="riemann").fit(covs).filters_, np.eye(4),
                               atol=1e-6)  # the re-centered mean is the identity
    with pytest.raises(ValueError, match=">= 2 windows"):
        recentering_matrix(X[:1])


def test_recentered_cross_subject_recovers_what_gains_hide():
    dataset, paradigm = GainSubjects(), MotorImagery(fmin=None, fmax=None)
    pipelines = {"MDM": PIPELINES["MDM"]}
    plain = CrossSubjectEvaluation().evaluate(dataset, paradigm, pipelines)
    recentered = RecenteredCrossSubjectEvaluation(n_calibration=10).evaluate(
        dataset, paradigm, pipelines)
    assert (recentered["evaluation"] == "cross-subject-recentered").all()
    assert (recentered["n_test"] == 30).all()  # the 10 calibration trials are not scored
    assert recentered["accuracy"].min() >= 0.9
    assert plain["accuracy"].max() <= 0.7  # chance 0.5
    with pytest.raises(ValueError, match="n_calibration=40"):
        RecenteredCrossSubjectEvaluation(n_calibration=40).evaluate(dataset, paradigm, pipelines)
    with pytest.raises(ValueError, match="n_calibration must be an int >= 2"):
        RecenteredCrossSubjectEvaluation(n_calibration=1)


def test_config_names_the_recentered_evaluation():
    config = {"datasets": [{"name": "GainSubjects"}],
              "paradigm": {"name": "MotorImagery", "params": {"fmin": None, "fmax": None}},
              "evaluation": {"name": "cross-subject-recentered", "params": {"n_calibration": 8}},
              "pipelines": [{"name": "MDM"}]}
    parsed = parse_config(config, "gains.yaml", dataset_names=("GainSubjects",))
    results = run_benchmark(parsed, extra_datasets={"GainSubjects": GainSubjects})
    assert (results["n_test"] == 32).all() and results["accuracy"].min() >= 0.9
    config["evaluation"]["params"]["n_calibration"] = 1
    with pytest.raises(ConfigError, match="gains.yaml: evaluation: n_calibration must be"):
        parse_config(config, "gains.yaml", dataset_names=("GainSubjects",))
