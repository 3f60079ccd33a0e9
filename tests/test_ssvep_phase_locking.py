"""Phase locking per class, the template-method warning, the JFPM synthetic set (template
methods above FBCCA, most at short windows) and the report statistics."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from decoders.benchmark.datasets import FileDataset, JFPMSynthetic
from decoders.benchmark.evaluations import WithinSessionEvaluation
from decoders.benchmark.paradigms import SSVEP
from decoders.benchmark.phase_locking import itpc, phase_locking, template_warnings
from decoders.benchmark.pipelines import PIPELINES, PipelineSpec
from decoders.benchmark.report import natural_order, statistics_table, write_report
from decoders.benchmark.run import load_config, run_benchmark
from decoders.benchmark.stats import chance_threshold, mean_ci, paired_test

SFREQ = 256.0


def _sines(rng, n, freq, phase_sd, n_channels=4, n_times=256):
    t = np.arange(n_times) / SFREQ
    phase = rng.normal(0, phase_sd, n) if phase_sd is not None else rng.uniform(0, 2 * np.pi, n)
    X = np.sin(2 * np.pi * freq * t + phase[:, None])[:, None, :].repeat(n_channels, axis=1)
    return X + 0.3 * rng.standard_normal(X.shape)


def test_itpc_is_one_for_locked_and_near_random_level_for_random_phases():
    rng = np.random.default_rng(0)
    assert itpc(_sines(rng, 40, 12.0, 0.05), 12.0, SFREQ).min() > 0.95
    random = itpc(_sines(rng, 400, 12.0, None), 12.0, SFREQ)
    assert np.all(random < 3 * np.sqrt(np.pi / (4 * 400)))
    with pytest.raises(ValueError, match="n_trials >= 2"):
        itpc(np.zeros((1, 2, 10)), 12.0, SFREQ)
    with pytest.raises(ValueError, match="freq must be"):
        itpc(np.ones((3, 2, 10)), 200.0, SFREQ)


def test_phase_locking_table_and_template_warning():
    rng = np.random.default_rng(1)
    X = np.concatenate([_sines(rng, 20, 12.0, 0.05), _sines(rng, 20, 15.0, None)])
    y = np.array(["12"] * 20 + ["15"] * 20)
    meta = pd.DataFrame({"subject": 1, "session": "0"}, index=range(40))
    table = phase_locking(X, y, meta, {"12": 12.0, "15": 15.0}, SFREQ, "toy")
    assert table.set_index("class")["phase_locked"].to_dict() == {"12": True, "15": False}
    trca = {"TRCA": PIPELINES["TRCA"], "CCA": PIPELINES["CCA"]}
    assert template_warnings(trca, table) == []  # half the rows are locked: no warning
    unlocked = table.assign(phase_locked=False)
    (message,) = template_warnings(trca, unlocked)
    assert "toy" in message and "['TRCA']" in message and "not phase-locked" in message
    assert template_warnings({"CCA": PIPELINES["CCA"]}, unlocked) == []


def test_jfpm_template_methods_beat_fbcca_most_at_short_windows():
    """Nakanishi et al. 2018: (e)TRCA above FBCCA on phase-locked JFPM data, the gap widest at
    short windows; the benchmark sees the data as phase-locked and warns about nothing."""
    config = load_config("experiments/bench_configs/jfpm_synthetic.yaml")
    evaluation = WithinSessionEvaluation(n_splits=8, windows=[0.25, 1.0])
    dataset = JFPMSynthetic(subjects=[1, 2], n_blocks=8, snr=0.25)
    results = evaluation.evaluate(dataset, SSVEP(fmin=6, fmax=90, tmin=0.14, tmax=1.14),
                                  config.pipelines)
    acc = results.groupby(["pipeline", "window"])["accuracy"].mean().unstack()
    gap = acc.loc["eTRCA"] - acc.loc["FBCCA"]
    assert (acc.loc["eTRCA"] >= acc.loc["TRCA"]).all()
    assert (acc.loc["TRCA"] > acc.loc["FBCCA"]).all()
    assert gap[0.25] >= 0.3 and gap[0.25] > gap[1.0] > 0, acc
    assert results.attrs["warnings"] == []
    assert all(r["phase_locked"] for r in results.attrs["phase_locking"])


@pytest.mark.dataset("ssvep-exo")
def test_template_method_on_ssvep_exo_is_warned_in_results_and_report(tmp_path):
    config = load_config("experiments/bench_configs/ssvep_exo_4class.yaml")
    pipelines = {"TRCA": PIPELINES["TRCA"], "CCA": PipelineSpec((("CCA", {}),))}
    config = type(config)(**{**config.__dict__, "pipelines": pipelines, "windows": [2.0],
                             "datasets": [type(config.datasets[0])("SSVEPExo", {}, [1, 3])]})
    with pytest.warns(UserWarning, match="ssvep-exo: template method"):
        results = run_benchmark(config)
    (message,) = results.attrs["warnings"]
    assert "['TRCA']" in message
    report = write_report(results, tmp_path).read_text()
    assert "Warning:</b> ssvep-exo: template method" in report and "Phase locking" in report
    assert "ssvep_exo_4class.yaml" in report  # the config is embedded


def test_chance_threshold_is_the_binomial_tail():
    for n, k in ((32, 4), (24, 3), (100, 2)):
        thr = chance_threshold(n, k)
        hits = round(thr * n)
        assert stats.binom.sf(hits - 1, n, 1 / k) <= 0.05 < stats.binom.sf(hits - 2, n, 1 / k)
    assert chance_threshold(32, 4) == 13 / 32
    with pytest.raises(ValueError, match="n_classes"):
        chance_threshold(10, 1)


def test_paired_test_and_ci_known_answers():
    mean, low, high = mean_ci([1.0, 2.0, 3.0])
    assert mean == 2.0 and np.isclose(high - mean, stats.t.ppf(0.975, 2) / np.sqrt(3))
    a = np.arange(10) / 10
    result = paired_test(a + 0.1, a)
    assert np.isclose(result["diff"], 0.1) and result["p_wilcoxon"] < 0.01
    assert paired_test(a, a)["p_wilcoxon"] == 1.0
    with pytest.raises(ValueError, match="same shape"):
        paired_test(a, a[:3])


def _rows(pipeline, accuracies, n_test=32):
    return [{"dataset": "d", "evaluation": "within-session", "subject": s, "session": "0",
             "pipeline": pipeline, "window": 2.0, "accuracy": a, "balanced_accuracy": a,
             "kappa": 0.0, "roc_auc": np.nan, "itr_bits_per_min": 1.0, "fit_time": 0.1,
             "latency": 0.01, "n_train": 96, "n_test": n_test, "n_classes": 4,
             "classes": '["13", "17", "21", "rest"]', "confusion": "[[1, 0, 0, 0], [0, 1, 0, 0], "
             "[0, 0, 1, 0], [0, 0, 0, 1]]"} for s, a in enumerate(accuracies, 1)]


def test_statistics_table_known_answers_and_report_sections(tmp_path):
    good = [0.9, 0.8, 0.85, 0.95, 0.7, 0.75]
    results = pd.DataFrame(_rows("A", good) + _rows("B", [a - 0.1 for a in good]))
    table = statistics_table(results).set_index("pipeline")
    assert table.loc["A", "accuracy"] == pytest.approx(np.mean(good))
    assert table.loc["B", "vs_best"] == "A" and table.loc["B", "diff"] == pytest.approx(-0.1)
    assert table.loc["B", "p_wilcoxon"] == pytest.approx(2 / 2**6)  # all 6 differences agree
    assert table.loc["A", "chance_threshold"] == 13 / 32
    assert table.loc["A", "ci_low"] < np.mean(good) < table.loc["A", "ci_high"]
    report = write_report(results, tmp_path).read_text()
    for section in ("Statistics", "Versions", "scikit-learn", "chance"):
        assert section in report
    assert natural_order(["rest", "10.25", "9.25"]) == [2, 1, 0]
    with pytest.raises(ValueError, match="no rows"):
        write_report(results.iloc[:0], tmp_path)


def test_config_names_a_file_dataset_with_paths_relative_to_it(tmp_path):
    source = JFPMSynthetic(subjects=[1], n_blocks=8)
    raw = source.get_data(1)["0"]["0"]
    raw.save(tmp_path / "s1_raw.fif", verbose="error")
    (tmp_path / "files.yaml").write_text(
        "datasets:\n"
        "  - name: FileDataset\n"
        "    params: {files: {1: {'0': {'0': s1_raw.fif}}}, paradigm: ssvep, interval: [0, 2],\n"
        "             event_id: {'9.25': '9.25', '11.25': '11.25', '13.25': '13.25'}}\n"
        "paradigm: {name: SSVEP, params: {fmin: 6, fmax: 90, tmin: 0.14, tmax: 1.14}}\n"
        "evaluation: {name: within-session, params: {n_splits: 4}}\n"
        "pipelines: [{name: eTRCA, steps: [{from: TRCA}]}]\n")
    results = run_benchmark(load_config(tmp_path / "files.yaml"))
    assert results["accuracy"].iloc[0] >= 0.9 and results["n_test"].iloc[0] == 24
    assert results.attrs["warnings"] == []  # phase-locked: no template warning
    with pytest.raises(ValueError, match="subject 1 must map sessions"):
        FileDataset({1: {"0": 5}}, {"9.25": "9.25"}, paradigm="ssvep", interval=(0, 2))
