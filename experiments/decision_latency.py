"""Median single-window decision latency of every decoder, one thread.

One decision = ``decoder.predict(window)`` on one window. SSVEP: shape (1, 8, 256), 8 channels,
1 s at 256 Hz, 4 targets (6, 7.5, 8.57, 10 Hz), fitted on 40 synthetic windows (10 per target).
Motor imagery: (1, 12, 768), the interface's 12 sensorimotor channels and 3-s window at 256 Hz,
fitted on 40 synthetic windows of 2 classes. Jaw clench: (1, 4, 256), 4 channels, 1-s confirm
window, fitted on 20 rest windows. BLAS/OpenMP threads are limited to 1 with threadpoolctl.
Target: CCA median <= 0.5 ms.

The table is built from ``DECODERS``, a list of ``(name, factory)`` pairs: a factory returns
``(decoder, X_train, y_train, X_window)``, so other paradigms (motor imagery, EMG) add rows by
appending a pair.

Run from the repository root: ``python experiments/decision_latency.py``. Writes
``experiments/results/decision_latency.txt``.
"""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from provenance import commit as current_commit
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from decoders.emg import MuscleTensionDetector  # noqa: E402
from decoders.motor_imagery import (  # noqa: E402
    CSPLDA,
    CSPQDA,
    FBCSPSVM,
    RiemannMDM,
    TangentSpaceLR,
)
from decoders.nets import EEGNetClassifier, ShallowConvNetClassifier  # noqa: E402
from decoders.ssvep import CCA, ECCA, FBCCA, TDCA, TRCA  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
SFREQ = 256.0
N_CHANNELS = 8
SSVEP_FREQS = [6.0, 7.5, 8.57, 10.0]
N_REPEATS = 2000
Case = tuple[object, np.ndarray, np.ndarray | None, np.ndarray]


def _ssvep_windows(n_per_class: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """1-s windows: the target's sinusoid (phase-locked) on 8 channels + unit noise."""
    rng = np.random.default_rng(seed)
    y = np.repeat(SSVEP_FREQS, n_per_class)
    times = np.arange(int(SFREQ)) / SFREQ
    X = 0.5 * np.sin(2 * np.pi * y[:, None, None] * times)
    X = X + rng.standard_normal((y.size, N_CHANNELS, times.size))
    return X, y


def _ssvep_case(make: Callable[[], object]) -> Callable[[], Case]:
    def case() -> Case:
        X, y = _ssvep_windows(10)
        return make(), X, y, X[:1].copy()

    return case


def _mi_case(make: Callable[[], object]) -> Callable[[], Case]:
    """40 windows (12, 768) of 2 classes that differ in the variance of two channels."""
    def case() -> Case:
        rng = np.random.default_rng(1)
        y = np.repeat(["left_hand", "right_hand"], 20)
        X = rng.standard_normal((40, 12, 768))
        X[y == "left_hand", 3] *= 2.0
        X[y == "right_hand", 5] *= 2.0
        return make(), X, y, X[:1].copy()

    return case


def _emg_case() -> Case:
    rest = np.random.default_rng(2).standard_normal((20, 4, int(SFREQ)))
    return MuscleTensionDetector(SFREQ), rest, None, rest[:1].copy()


DECODERS: list[tuple[str, Callable[[], Case]]] = [
    ("SSVEP CCA", _ssvep_case(lambda: CCA(SSVEP_FREQS, SFREQ))),
    ("SSVEP FBCCA (5 bands)", _ssvep_case(lambda: FBCCA(SSVEP_FREQS, SFREQ))),
    ("SSVEP eCCA", _ssvep_case(lambda: ECCA(SSVEP_FREQS, SFREQ))),
    ("SSVEP eTRCA", _ssvep_case(lambda: TRCA(SSVEP_FREQS, SFREQ))),
    ("SSVEP TDCA", _ssvep_case(lambda: TDCA(SSVEP_FREQS, SFREQ))),
    ("MI CSP+QDA", _mi_case(lambda: CSPQDA(SFREQ))),
    ("MI CSP+LDA", _mi_case(lambda: CSPLDA(SFREQ))),
    ("MI FBCSP+SVM", _mi_case(lambda: FBCSPSVM(SFREQ))),
    ("MI MDM", _mi_case(lambda: RiemannMDM(SFREQ))),
    ("MI TS+LR", _mi_case(lambda: TangentSpaceLR(SFREQ))),
    ("MI EEGNet", _mi_case(lambda: EEGNetClassifier(SFREQ, max_epochs=3, random_state=0))),
    ("MI ShallowConvNet",
     _mi_case(lambda: ShallowConvNetClassifier(SFREQ, max_epochs=3, random_state=0))),
    ("EMG clench detector", _emg_case),
]


def median_latency_ms(decoder, window: np.ndarray, n_repeats: int = N_REPEATS) -> np.ndarray:
    """Per-call ``predict`` times in ms (after 20 warm-up calls)."""
    for _ in range(20):
        decoder.predict(window)
    times = np.empty(n_repeats)
    for i in range(n_repeats):
        start = time.perf_counter()
        decoder.predict(window)
        times[i] = time.perf_counter() - start
    return times * 1e3


def main() -> None:
    lines = [
        "Single-window decision latency: predict() on one window (SSVEP (1, 8, 256), MI "
        f"(1, 12, 768), EMG (1, 4, 256)), 1 thread (threadpoolctl), {N_REPEATS} calls each",
        f"commit {current_commit()}; python {platform.python_version()}, numpy {np.__version__}, "
        f"{platform.machine()}; shared machine: timings are noisy",
        f"{'decoder':<24} {'median ms':>10} {'p90 ms':>8}",
    ]
    with threadpool_limits(limits=1):
        for name, case in DECODERS:
            decoder, X, y, window = case()
            decoder.fit(X, y)
            ms = median_latency_ms(decoder, window)
            lines.append(f"{name:<24} {np.median(ms):10.3f} {np.percentile(ms, 90):8.3f}")
            print(lines[-1], flush=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "decision_latency.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
