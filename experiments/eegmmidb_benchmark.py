"""Left- vs right-hand imagery on PhysioNet EEGMMIDB: every motor-imagery pipeline vs references.

Protocol (MOABB's within-session evaluation): runs 4, 8 and 12 of each subject are one session;
epochs 0-3 s after each T1 (left fist) / T2 (right fist) imagery cue (481 samples, t = 3 s
included, as MOABB), all 64 channels, 160 Hz; 5-fold stratified CV (shuffled, seed 42), the same
folds for every row; ROC-AUC (MOABB's two-class score) and accuracy per subject. Epochs come from
``decoders.benchmark``'s ``LeftRightImagery`` paradigm, which filters each continuous run:

* online rows (our pipeline names): raw 0-3 s windows (paradigm without filter); each pipeline
  band-passes the window causally itself, as it does online;
* ``offline`` rows: the paradigm's offline mode, a 4th-order Butterworth 8-32 Hz applied
  zero-phase (forward-backward) to each continuous run before epoching: MOABB's LeftRightImagery
  preprocessing, and the very epochs of the MOABB reference. Zero-phase filtering uses later
  samples, so it cannot run online. Our single-band pipelines run with ``band=None`` (no second
  filter); FBCSP and the networks, which choose their own bands, are online rows only.

``TS+LR-CV`` is ``TangentSpaceLR`` with ``C`` chosen among 1e-3 ... 1e3 by an inner 5-fold CV of
each training fold (nested; test folds never choose it). All other hyper-parameters are fixed.

Reference rows:

* ``ref TS+LR (MOABB)``: ``pyriemann Covariances("oas") -> TangentSpace(metric="riemann") ->
  LogisticRegression(C=1)`` on the offline epochs (checked equal to MOABB's own
  ``raw.filter(8, 32, method="iir")`` of the recording);
* ``ref TS+LR causal 8-32``: the same pipeline on the paradigm's online mode (the same filter
  applied once, forwards, to the continuous run): separates the cost of causality from that of
  filtering each window on its own;
* ``ref MNE CSP(6)+LDA 7-35``: the data README's sanity pipeline with MNE's own offline filter
  (``raw.filter(7, 35)``, FIR zero-phase) and ``mne.decoding.CSP(6)`` + scikit-learn LDA; our
  online ``CSP+LDA 7-35`` row (same band and components, causal filter on the window) is checked
  against it (mean ROC-AUC and accuracy within 1 point).

Run from the repository root: ``python experiments/eegmmidb_benchmark.py`` (20-60 min on two
busy cores, mostly the networks). Writes ``experiments/results/eegmmidb_benchmark.csv`` (one row
per subject x pipeline) and ``.txt`` (tables and checks).
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
from provenance import commit as current_commit
from pyriemann.estimation import Covariances
from pyriemann.tangentspace import TangentSpace
from sklearn.base import clone
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, roc_auc_score
from sklearn.model_selection import StratifiedKFold
from sklearn.pipeline import make_pipeline

from decoders.benchmark.datasets import EEGMMIDB
from decoders.benchmark.paradigms import LeftRightImagery
from decoders.motor_imagery import (
    CSPLDA,
    CSPQDA,
    FBCSPSVM,
    RiemannMDM,
    TangentSpaceLR,
    TangentSpaceLRCV,
)
from decoders.nets import EEGNetClassifier, ShallowConvNetClassifier

SFREQ = 160.0
SUBJECTS = (1, 2, 3, 4)
EVENT_ID = {"left_hand": 2, "right_hand": 3}
RESULTS = Path(__file__).resolve().parent / "results"


def pipelines() -> dict[str, object]:
    """Our online pipelines (raw windows in, causal band-pass inside) by row name."""
    return {
        "CSP+LDA": CSPLDA(SFREQ),
        "CSP+LDA 7-35": CSPLDA(SFREQ, band=(7.0, 35.0), n_components=6),
        "CSP+QDA": CSPQDA(SFREQ),
        "FBCSP+SVM": FBCSPSVM(SFREQ, csp_reg="ledoit_wolf"),
        "MDM": RiemannMDM(SFREQ),
        "TS+LR": TangentSpaceLR(SFREQ),
        "TS+LR-CV": TangentSpaceLRCV(SFREQ),
        "EEGNet-8,2": EEGNetClassifier(SFREQ, max_epochs=150, patience=20, random_state=0),
        "ShallowConvNet": ShallowConvNetClassifier(
            SFREQ, max_epochs=150, patience=20, random_state=0
        ),
    }


def offline_pipelines() -> dict[str, object]:
    """Our single-band pipelines without their own filter, for the offline (8-32 Hz) epochs."""
    return {
        "offline CSP+LDA": CSPLDA(SFREQ, band=None),
        "offline CSP+QDA": CSPQDA(SFREQ, band=None),
        "offline MDM": RiemannMDM(SFREQ, band=None),
        "offline TS+LR": TangentSpaceLR(SFREQ, band=None),
        "offline TS+LR-CV": TangentSpaceLRCV(SFREQ, band=None),
    }


def reference_ts_lr():
    """MOABB's TS+LR pipeline (pyRiemann + scikit-learn)."""
    return make_pipeline(
        Covariances("oas"), TangentSpace(metric="riemann"), LogisticRegression(C=1.0)
    )


def paradigm_epochs(
    dataset: EEGMMIDB, subject: int, recordings, band: tuple[float, float] | None, phase: str
) -> tuple[np.ndarray, np.ndarray]:
    """0-3 s epochs (volts) and class names from the LeftRightImagery paradigm.

    ``band`` None: no filter (raw windows); else a 4th-order Butterworth band-pass of each
    continuous run, ``phase="zero"`` (offline) or ``"forward"`` (causal).
    """
    low, high = band if band is not None else (None, None)
    paradigm = LeftRightImagery(low, high, phase=phase)
    X, y, _, sfreq = paradigm.process_recordings(dataset, subject, recordings)
    assert sfreq == SFREQ
    return X, y


def load_subject(recordings) -> mne.io.BaseRaw:
    """Runs 4, 8, 12 of one subject concatenated (class-name annotations)."""
    runs = recordings["0"]
    return mne.concatenate_raws([runs[r].copy() for r in sorted(runs, key=int)])


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
    dataset = EEGMMIDB()
    rows, checks = [], []

    def run(subject, name, clf, X, y, folds):
        auc, acc, seconds = scores(clf, X, y, folds)
        rows.append((subject, name, auc, acc, seconds))
        print(f"S{subject:03d} {name:28s} AUC {auc:.3f} acc {acc:.3f} ({seconds:.0f} s)",
              flush=True)

    for subject in args.subjects:
        recordings = dataset.get_data(subject)
        X, y = paradigm_epochs(dataset, subject, recordings, None, "zero")
        X_off, y_off = paradigm_epochs(dataset, subject, recordings, (8.0, 32.0), "zero")
        X_causal, y_causal = paradigm_epochs(dataset, subject, recordings, (8.0, 32.0), "forward")
        raw = load_subject(recordings)
        X_mne, y_mne = epoch(raw.copy().filter(8.0, 32.0, method="iir"), n_times=X.shape[2])
        X_fir, y_fir = epoch(raw.copy().filter(7.0, 35.0), n_times=X.shape[2])
        for other in (y_off, y_causal, y_mne, y_fir):
            assert np.array_equal(other, y)
        checks.append(float(np.max(np.abs(X_off - X_mne)) / np.max(np.abs(X_mne))))
        folds = list(StratifiedKFold(5, shuffle=True, random_state=42).split(X, y))
        for name, clf in pipelines().items():
            run(subject, name, clf, X, y, folds)
        for name, clf in offline_pipelines().items():
            run(subject, name, clf, X_off, y, folds)
        run(subject, "ref TS+LR (MOABB)", reference_ts_lr(), X_off, y, folds)
        run(subject, "ref TS+LR causal 8-32", reference_ts_lr(), X_causal, y, folds)
        run(subject, "ref MNE CSP(6)+LDA 7-35",
            make_pipeline(CSP(n_components=6), LinearDiscriminantAnalysis()), X_fir, y, folds)
    table = pd.DataFrame(rows, columns=["subject", "pipeline", "roc_auc", "accuracy", "time_s"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out.with_suffix(".csv"), index=False, float_format="%.4f")
    report = summarise(table, max(checks))
    args.out.with_suffix(".txt").write_text(report)
    print(report)


def summarise(table: pd.DataFrame, offline_vs_mne: float) -> str:
    """Per-subject tables of ROC-AUC and accuracy, means, and the acceptance checks."""
    order = list(dict.fromkeys(table["pipeline"]))
    lines = [__doc__.splitlines()[0], f"commit {current_commit()}", ""]
    for metric in ("roc_auc", "accuracy"):
        wide = table.pivot(index="pipeline", columns="subject", values=metric).loc[order]
        wide.columns = [f"S{s:03d}" for s in wide.columns]
        wide["mean"] = wide.mean(axis=1)
        lines += [f"{metric} (5-fold stratified CV, runs 4/8/12, 0-3 s)",
                  wide.to_string(float_format="%.3f"), ""]
    means = table.groupby("pipeline")[["roc_auc", "accuracy"]].mean()
    ours = [p for p in order if not p.startswith("ref ")]
    online = [p for p in ours if not p.startswith("offline ")]
    reference = means.loc["ref TS+LR (MOABB)", "roc_auc"]


    ours_csp = means.loc["CSP+LDA 7-35"]
    mne_csp = means.loc["ref MNE CSP(6)+LDA 7-35"]
    csp_ok = (ours_csp - mne_csp).abs().max() <= 0.01
    same = means.loc["offline TS+LR"] - means.loc["ref TS+LR (MOABB)"]
    best = means.loc[ours, "roc_auc"].idxmax()
    best_ok = means.loc[best, "roc_auc"] >= reference
    online_best = means.loc[online, "roc_auc"].idxmax()
    lines += [
        f"best pipeline: {best}, mean ROC-AUC {means.loc[best, 'roc_auc']:.3f} vs MOABB TS+LR "
        f"reference {reference:.3f} (same epochs and folds): {'PASS' if best_ok else 'FAIL'}",
        f"best online-equivalent (causal) pipeline: {online_best}, mean ROC-AUC "
        f"{means.loc[online_best, 'roc_auc']:.3f} (reference pipeline on causally filtered "
        f"epochs: {means.loc['ref TS+LR causal 8-32', 'roc_auc']:.3f})",
        f"offline TS+LR - ref TS+LR (MOABB), same epochs and folds: ROC-AUC "
        f"{same['roc_auc']:+.3f}, accuracy {same['accuracy']:+.3f}; offline epochs vs MNE "
        f"raw.filter(8, 32, method='iir'): max relative difference {offline_vs_mne:.1e}",
        f"CSP+LDA 7-35 vs MNE CSP(6)+LDA 7-35: mean ROC-AUC {ours_csp['roc_auc']:.3f} vs "
        f"{mne_csp['roc_auc']:.3f}, accuracy {ours_csp['accuracy']:.3f} vs "
        f"{mne_csp['accuracy']:.3f}: {'PASS' if csp_ok else 'FAIL'} (within 1 point)",
        "data README sanity figures (CSP(6)+LDA 7-35 Hz accuracy): "
        "S001 0.60, S002 0.87, S003 0.49, S004 0.53",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
