"""Left- vs right-hand imagery on PhysioNet EEGMMIDB: every motor-imagery pipeline vs references.

Protocol (MOABB's within-session evaluation): runs 4, 8 and 12 of each subject are one session;
epochs 0-3 s after each T1 (left fist) / T2 (right fist) imagery cue, all 64 channels, 160 Hz;
5-fold stratified CV (shuffled, seed 42), the same folds for every pipeline; ROC-AUC (MOABB's
two-class score) and accuracy per subject.

Our pipelines (``decoders.motor_imagery``, ``decoders.nets``) receive the raw 0-3 s windows and
band-pass them causally themselves, as online. Reference rows:

* ``ref TS+LR (MOABB)``: MOABB's TS+LR as its LeftRightImagery paradigm runs it: the continuous
  recording is band-passed 8-32 Hz (``raw.filter(method="iir")``, zero-phase), then epoched 0-3 s,
  ``pyriemann Covariances("oas") -> TangentSpace(metric="riemann") -> LogisticRegression(C=1)``;
* ``ref MNE CSP(6)+LDA 7-35``: the data README's sanity pipeline with MNE's own offline filter
  (``raw.filter(7, 35)``, FIR zero-phase) and ``mne.decoding.CSP(6)`` + scikit-learn LDA; our
  ``CSP+LDA 7-35`` row (same band and components, causal filter on the window) is checked against
  it (mean ROC-AUC and accuracy within 1 point).

Run from the repository root: ``python experiments/eegmmidb_benchmark.py`` (about 20 min on two
busy cores). Writes ``experiments/results/eegmmidb_benchmark.csv`` (one row per subject x
pipeline) and ``.txt`` (tables and checks).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import mne
import numpy as np
import pandas as pd
import torch
from mne.decoding import CSP
from pyriemann.estimation import Covariances
from pyriemann.tangentspace import TangentSpace
from sklearn.base import clone
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline

from decoders.benchmark.datasets import EEGMMIDB
from decoders.motor_imagery import CSPLDA, CSPQDA, FBCSPSVM, RiemannMDM, TangentSpaceLR
from decoders.nets import EEGNetClassifier, ShallowConvNetClassifier

SFREQ = 160.0
SUBJECTS = (1, 2, 3, 4)
EVENT_ID = {"left_hand": 2, "right_hand": 3}
RESULTS = Path(__file__).resolve().parent / "results"


def pipelines() -> dict[str, object]:
    """Our pipelines (raw windows in) by row name."""
    return {
        "CSP+LDA": CSPLDA(SFREQ),
        "CSP+LDA 7-35": CSPLDA(SFREQ, band=(7.0, 35.0), n_components=6),
        "CSP+QDA": CSPQDA(SFREQ),
        "FBCSP+SVM": FBCSPSVM(SFREQ, csp_reg="ledoit_wolf"),
        "MDM": RiemannMDM(SFREQ),
        "TS+LR": TangentSpaceLR(SFREQ),
        "EEGNet-8,2": EEGNetClassifier(SFREQ, max_epochs=150, patience=20, random_state=0),
        "ShallowConvNet": ShallowConvNetClassifier(
            SFREQ, max_epochs=150, patience=20, random_state=0
        ),
    }


def references() -> dict[str, tuple[tuple[float, float], object]]:
    """Reference pipelines: (band filtered on the continuous recording, pipeline)."""
    return {
        "ref TS+LR (MOABB)": (
            (8.0, 32.0),
            make_pipeline(
                Covariances("oas"), TangentSpace(metric="riemann"), LogisticRegression(C=1.0)
            ),
        ),
        "ref MNE CSP(6)+LDA 7-35": (
            (7.0, 35.0),
            make_pipeline(CSP(n_components=6), LinearDiscriminantAnalysis()),
        ),
    }


def load_subject(subject: int) -> mne.io.BaseRaw:
    """Runs 4, 8, 12 of one subject concatenated, annotations renamed to class names."""
    runs = EEGMMIDB().get_data(subject)["0"]
    return mne.concatenate_raws([runs[r] for r in sorted(runs, key=int)])


def epoch(raw: mne.io.BaseRaw, n_times: int) -> tuple[np.ndarray, np.ndarray]:
    """Windows of ``n_times`` samples from each imagery cue; labels are the class names."""
    events, _ = mne.events_from_annotations(raw, event_id=EVENT_ID, verbose="error")
    epochs = mne.Epochs(
        raw, events, EVENT_ID, tmin=0.0, tmax=(n_times - 1) / SFREQ, baseline=None,
        preload=True, verbose="error",
    )
    names = {code: name for name, code in EVENT_ID.items()}
    return epochs.get_data(copy=False), np.array([names[c] for c in epochs.events[:, 2]])


def scores(clf, X: np.ndarray, y: np.ndarray, folds) -> tuple[float, float, float]:
    """Mean ROC-AUC, mean accuracy and fit+predict time (s) over the folds."""
    aucs, accs, start = [], [], time.perf_counter()
    for train, test in folds:
        fitted = clone(clf).fit(X[train], y[train])
        score = fitted.decision_function(X[test])
        positive = y[test] == fitted.classes_[1]
        aucs.append(roc_auc_score(positive, score))
        accs.append(accuracy_score(y[test], fitted.predict(X[test])))
    return float(np.mean(aucs)), float(np.mean(accs)), time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, nargs="+", default=list(SUBJECTS))
    parser.add_argument("--out", type=Path, default=RESULTS / "eegmmidb_benchmark")
    args = parser.parse_args()
    torch.set_num_threads(2)
    mne.set_log_level("error")
    rows = []
    for subject in args.subjects:
        raw = load_subject(subject)
        n_times = int(3 * SFREQ) + 1  # MOABB's epochs include t = 3 s: same windows for all
        X, y = epoch(raw, n_times=n_times)
        folds = list(StratifiedKFold(5, shuffle=True, random_state=42).split(X, y))
        for name, clf in pipelines().items():
            auc, acc, seconds = scores(clf, X, y, folds)
            rows.append((subject, name, auc, acc, seconds))
            print(f"S{subject:03d} {name:28s} AUC {auc:.3f} acc {acc:.3f} ({seconds:.0f} s)",
                  flush=True)
        for name, (band, clf) in references().items():
            X_ref, y_ref = epoch(
                raw.copy().filter(*band, method="iir" if "MOABB" in name else "fir"),
                n_times=n_times,
            )
            assert np.array_equal(y_ref, y)
            auc, acc, seconds = scores(clf, X_ref, y_ref, folds)
            rows.append((subject, name, auc, acc, seconds))
            print(f"S{subject:03d} {name:28s} AUC {auc:.3f} acc {acc:.3f} ({seconds:.0f} s)",
                  flush=True)
    table = pd.DataFrame(rows, columns=["subject", "pipeline", "roc_auc", "accuracy", "time_s"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out.with_suffix(".csv"), index=False, float_format="%.4f")
    report = summarise(table)
    args.out.with_suffix(".txt").write_text(report)
    print(report)


def summarise(table: pd.DataFrame) -> str:
    """Per-subject tables of ROC-AUC and accuracy, means, and the acceptance checks."""
    order = list(dict.fromkeys(table["pipeline"]))
    lines = [__doc__.splitlines()[0], ""]
    for metric in ("roc_auc", "accuracy"):
        wide = table.pivot(index="pipeline", columns="subject", values=metric).loc[order]
        wide.columns = [f"S{s:03d}" for s in wide.columns]
        wide["mean"] = wide.mean(axis=1)
        lines += [f"{metric} (5-fold stratified CV, runs 4/8/12, 0-3 s)",
                  wide.to_string(float_format="%.3f"), ""]
    means = table.groupby("pipeline")[["roc_auc", "accuracy"]].mean()
    ours = [p for p in order if not p.startswith("ref ")]
    best = means.loc[ours, "roc_auc"].idxmax()
    reference = means.loc["ref TS+LR (MOABB)", "roc_auc"]
    ours_csp = means.loc["CSP+LDA 7-35"]
    mne_csp = means.loc["ref MNE CSP(6)+LDA 7-35"]
    best_ok = means.loc[best, "roc_auc"] >= reference
    csp_ok = (ours_csp - mne_csp).abs().max() <= 0.01
    lines += [
        f"best pipeline: {best}, mean ROC-AUC {means.loc[best, 'roc_auc']:.3f} vs MOABB TS+LR "
        f"reference {reference:.3f}: {'PASS' if best_ok else 'FAIL'}",
        f"CSP+LDA 7-35 vs MNE CSP(6)+LDA 7-35: mean ROC-AUC {ours_csp['roc_auc']:.3f} vs "
        f"{mne_csp['roc_auc']:.3f}, accuracy {ours_csp['accuracy']:.3f} vs "
        f"{mne_csp['accuracy']:.3f}: {'PASS' if csp_ok else 'FAIL'} (within 1 point)",
        "data README sanity figures (CSP(6)+LDA 7-35 Hz accuracy): "
        "S001 0.60, S002 0.87, S003 0.49, S004 0.53",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
