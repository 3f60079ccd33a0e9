"""Report statistics on scores with a known answer: permutation p-values against full
enumeration, the meta-analysis against MOABB's own functions and Stouffer's formula, chance
levels per test-set size against scipy.stats.binom."""

import itertools
import json

import numpy as np
import pandas as pd
import pytest
from moabb.analysis import meta_analysis as moabb_meta
from scipy import stats

from decoders.benchmark.report import (
    chance_table,
    meta_table,
    natural_order,
    statistics_table,
    write_report,
)
from decoders.benchmark.stats import chance_threshold, meta_analysis, paired_test, sign_flip_p


def _enumerated_p(d, alternative):
    """Sign-flip p-value by brute force over all 2**n flips."""
    flips = np.array(list(itertools.product([-1, 1], repeat=len(d))))
    null = (flips * d).mean(axis=1)
    observed = d.mean()
    if alternative == "greater":
        return np.mean(null >= observed - 1e-12)
    return np.mean(np.abs(null) >= abs(observed) - 1e-12)


def test_sign_flip_p_equals_full_enumeration():
    assert sign_flip_p(np.full(6, 0.1)) == pytest.approx(2 / 2**6)  # only all-up, all-down
    assert sign_flip_p(np.full(6, 0.1), "greater") == pytest.approx(1 / 2**6)
    assert sign_flip_p(np.zeros(5)) == 1.0
    d = np.random.default_rng(1).normal(0.03, 0.05, 9)
    for alternative in ("two-sided", "greater"):
        assert sign_flip_p(d, alternative) == pytest.approx(_enumerated_p(d, alternative))
    d = np.random.default_rng(2).normal(0.02, 0.05, 15)  # 2**15 flips: 10,000 drawn
    assert sign_flip_p(d) == pytest.approx(_enumerated_p(d, "two-sided"), abs=0.02)
    with pytest.raises(ValueError, match="finite"):
        sign_flip_p([0.1, np.nan])


def _scores(datasets, seed=0):
    """Per subject x session scores of pipelines A and B; A better by ``shift`` on average."""
    rng = np.random.default_rng(seed)
    rows = []
    for code, n, shift in datasets:
        for subject in range(1, n + 1):
            base = rng.uniform(0.5, 0.9)
            for session in ("0", "1"):
                for name, plus in (("A", shift), ("B", 0.0)):
                    rows.append({"dataset": code, "subject": subject, "session": session,
                                 "pipeline": name, "score": base + plus + rng.normal(0, 0.03)})
    return pd.DataFrame(rows)


def test_meta_analysis_reproduces_moabb():
    """Per-dataset effects and permutation p-values equal moabb.analysis.meta_analysis's, and
    the combination is its Stouffer / sqrt(n)-weighted effect."""
    scores = _scores([("d1", 6, 0.05), ("d2", 9, 0.02), ("d3", 12, -0.01)])
    ours = meta_analysis(scores, "A", "B").set_index("dataset")
    theirs = moabb_meta.compute_dataset_statistics(scores)
    theirs = theirs[(theirs["pipe1"] == "A") & (theirs["pipe2"] == "B")].set_index("dataset")
    for code in ("d1", "d2", "d3"):
        assert ours.loc[code, "p"] == pytest.approx(theirs.loc[code, "p"])
        assert ours.loc[code, "smd"] == pytest.approx(theirs.loc[code, "smd"])
        assert ours.loc[code, "n_subjects"] == theirs.loc[code, "nsub"]
    combined = ours.loc["combined (Stouffer)"]
    assert combined["p"] == pytest.approx(
        moabb_meta.combine_pvalues(theirs["p"].to_numpy(), theirs["nsub"].to_numpy()))
    assert combined["smd"] == pytest.approx(
        moabb_meta.combine_effects(theirs["smd"].to_numpy(), theirs["nsub"].to_numpy()))
    assert ours.loc["d1", "p"] == pytest.approx(1 / 2**6)  # A above B for all 6 subjects


def test_stouffer_of_two_equal_datasets_is_sqrt2_z():
    """Two identical datasets of n subjects: z = (z1 + z2) / sqrt(2) = sqrt(2) z1."""
    one = _scores([("d1", 8, 0.01)], seed=3)
    two = pd.concat([one, one.assign(dataset="d2")], ignore_index=True)
    table = meta_analysis(two, "A", "B").set_index("dataset")
    p1 = table.loc["d1", "p"]
    expected = stats.norm.sf(np.sqrt(2) * stats.norm.isf(p1))
    assert table.loc["combined (Stouffer)", "p"] == pytest.approx(expected)
    assert table.loc["combined (Stouffer)", "n_subjects"] == 16
    many = _scores([("big", 25, 0.03)], seed=4)  # from 20 subjects: one-sided Wilcoxon
    p = meta_analysis(many, "A", "B").set_index("dataset").loc["big", "p"]
    per_subject = many.groupby(["subject", "pipeline"])["score"].mean().unstack()
    assert p == pytest.approx(stats.wilcoxon(per_subject["A"], per_subject["B"],
                                             alternative="greater").pvalue)
    with pytest.raises(ValueError, match="no dataset"):
        meta_analysis(one, "A", "C")


def _rows(dataset, pipeline, accuracies, n_tests, n_classes=4):
    return [{"dataset": dataset, "evaluation": "within-session", "subject": s, "session": "0",
             "pipeline": pipeline, "window": 1.0, "accuracy": a, "balanced_accuracy": a,
             "kappa": 0.0, "roc_auc": np.nan, "itr_bits_per_min": 1.0, "fit_time": 0.1,
             "latency": 0.01, "n_train": 96, "n_test": n, "n_classes": n_classes,
             "classes": json.dumps(["9.25", "10.25", "11.25", "rest"][:n_classes]),
             "confusion": json.dumps(np.eye(n_classes, dtype=int).tolist())}
            for s, (a, n) in enumerate(zip(accuracies, n_tests, strict=True), 1)]


def test_chance_level_per_test_set_size():
    """Each test-set size gets its own binomial threshold; rows count as above chance by
    their own size (13/32 = 0.406 passes for 32 trials, 0.40 fails for 20: 9/20 = 0.45)."""
    results = pd.DataFrame(_rows("d", "A", [0.40625, 0.40, 0.9], [32, 20, 20]))
    table = chance_table(results).set_index("n_test")
    assert table["n_rows"].to_dict() == {20: 2, 32: 1}
    for n, threshold in table["threshold"].items():
        k = round(threshold * n)
        assert stats.binom.sf(k - 1, n, 0.25) <= 0.05 < stats.binom.sf(k - 2, n, 0.25)
    assert table.loc[32, "threshold"] == 13 / 32 and table.loc[20, "threshold"] == 9 / 20
    assert chance_threshold(20, 2) == 15 / 20  # P(K >= 15) = 0.021, P(K >= 14) = 0.058
    assert statistics_table(results)["above_chance"].iloc[0] == "2/3"


def test_report_has_paired_permutation_meta_analysis_and_chance_sections(tmp_path):
    good = [0.9, 0.8, 0.85, 0.95, 0.7, 0.75]
    results = pd.DataFrame(
        _rows("d1", "A", good, [32] * 6) + _rows("d1", "B", [a - 0.1 for a in good], [32] * 6)
        + _rows("d2", "A", good[:4], [24] * 4)
        + _rows("d2", "B", [a - 0.05 for a in good[:4]], [24] * 4))
    table = statistics_table(results).set_index(["dataset", "pipeline"])
    assert table.loc[("d1", "B"), "p_permutation"] == pytest.approx(2 / 2**6)
    assert table.loc[("d1", "B"), "p_wilcoxon"] == pytest.approx(2 / 2**6)
    meta = meta_table(results).set_index("dataset")
    assert meta.loc["d1", "p"] == pytest.approx(1 / 2**6)
    assert meta.loc["d2", "p"] == pytest.approx(1 / 2**4)
    assert meta.loc["combined (Stouffer)", "pipeline"] == "A"
    assert meta.loc["combined (Stouffer)", "p"] == pytest.approx(stats.combine_pvalues(
        [1 / 2**6, 1 / 2**4], method="stouffer", weights=np.sqrt([6, 4])).pvalue)
    text = write_report(results, tmp_path).read_text()
    for section in ("Chance level per test-set size", "Meta-analysis over datasets",
                    "p_permutation", "above_chance", "moabb"):
        assert section in text


def test_paired_test_reports_both_p_values():
    a = np.array([0.9, 0.8, 0.7, 0.85, 0.95, 0.75, 0.6])
    b = a - np.array([0.1, 0.05, -0.02, 0.08, 0.03, 0.04, 0.06])
    result = paired_test(a, b)
    assert result["p_wilcoxon"] == pytest.approx(stats.wilcoxon(a, b).pvalue)
    assert result["p_permutation"] == pytest.approx(_enumerated_p(a - b, "two-sided"))


def test_class_order_is_the_paradigms():
    """Confusion matrices follow the paradigm's events, then numbers by value, rest last."""
    classes = ["feet", "left_hand", "right_hand", "rest"]
    assert natural_order(classes, ["left_hand", "right_hand", "feet"]) == [1, 2, 0, 3]
    assert natural_order(["rest", "10.25", "9.25"]) == [2, 1, 0]
    assert natural_order(["21", "13", "rest", "17"], ["13", "17", "21", "rest"]) == [1, 3, 0, 2]
