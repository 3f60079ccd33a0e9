"""HTML report of a results table, with matplotlib figures saved as PNG files beside it.

Figures (one set per dataset × evaluation): per-subject accuracy, pipeline comparison, accuracy
and ITR versus window length, and confusion matrices summed over subjects (longest window).
SSVEP results add the phase-locking table and, first, any template-method warning
(``results.attrs``, see :mod:`decoders.benchmark.evaluations`).
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from decoders.benchmark.phase_locking import summarize_phase_locking
from decoders.benchmark.results import check_results, summarize


def _slug(*parts: object) -> str:
    text = "_".join(str(p) for p in parts)
    return "".join(c if c.isalnum() else "-" for c in text)


def _per_subject(df: pd.DataFrame, path: Path) -> None:
    table = df.groupby(["subject", "pipeline"])["accuracy"].mean().unstack("pipeline")
    fig = Figure(figsize=(max(6.0, 0.8 * len(table)), 4))
    ax = fig.subplots()
    table.plot.bar(ax=ax)
    ax.set_ylabel("accuracy (mean over sessions)")
    ax.set_ylim(0, 1)
    ax.set_title("Per-subject accuracy (longest window)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def _comparison(df: pd.DataFrame, path: Path) -> None:
    names = sorted(df["pipeline"].unique())
    fig = Figure(figsize=(max(5, 1.2 * len(names)), 4))
    ax = fig.subplots()
    ax.boxplot([df.loc[df["pipeline"] == n, "accuracy"] for n in names])
    ax.set_xticks(range(1, len(names) + 1), names, rotation=20)
    ax.set_ylabel("accuracy per subject × session")
    ax.set_ylim(0, 1)
    ax.set_title("Pipeline comparison (longest window)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def _versus_window(summary: pd.DataFrame, path: Path) -> None:
    fig = Figure(figsize=(10, 4))
    ax_acc, ax_itr = fig.subplots(1, 2)
    for name, part in summary.groupby("pipeline"):
        ax_acc.plot(part["window"], part["accuracy"], marker="o", label=name)
        ax_itr.plot(part["window"], part["itr_bits_per_min"], marker="o", label=name)
    ax_acc.set_xlabel("window (s)")
    ax_acc.set_ylabel("mean accuracy")
    ax_acc.set_ylim(0, 1)
    ax_itr.set_xlabel("window (s)")
    ax_itr.set_ylabel("mean ITR (bits/min)")
    ax_acc.legend(fontsize=8)
    fig.suptitle("Accuracy and ITR vs window length")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def _confusions(df: pd.DataFrame, path: Path) -> None:
    names = sorted(df["pipeline"].unique())
    fig = Figure(figsize=(3.2 * len(names), 3.2))
    axes = fig.subplots(1, len(names), squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        part = df[df["pipeline"] == name]
        classes = json.loads(part["classes"].iloc[0])
        total = np.sum([np.array(json.loads(c)) for c in part["confusion"]], axis=0)
        rates = total / np.maximum(total.sum(axis=1, keepdims=True), 1)
        ax.imshow(rates, vmin=0, vmax=1, cmap="Blues")
        for (i, j), v in np.ndenumerate(total):
            ax.text(j, i, str(v), ha="center", va="center",
                    color="white" if rates[i, j] > 0.5 else "black", fontsize=8)
        ax.set_xticks(range(len(classes)), classes, rotation=45, fontsize=8)
        ax.set_yticks(range(len(classes)), classes, fontsize=8)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("predicted")
    axes[0][0].set_ylabel("true")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def write_report(results: pd.DataFrame, out_dir: str | Path, title: str = "Benchmark") -> Path:
    """Write ``report.html`` and its PNG figures into ``out_dir``.

    Parameters
    ----------
    results : pandas.DataFrame
        Tidy results (:data:`~decoders.benchmark.evaluations.RESULT_COLUMNS`).
    out_dir : path-like
        Output folder (created if needed).
    title : str
        Report title.

    Returns
    -------
    path : Path
        The HTML file.
    """
    check_results(results)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = summarize(results)
    parts = [f"<h1>{html.escape(title)}</h1>"]
    parts += [f"<p class=\"warning\"><b>Warning:</b> {html.escape(w)}</p>"
              for w in results.attrs.get("warnings", [])]
    parts += ["<h2>Summary (mean over subject × session rows)</h2>",
              summary.to_html(index=False, float_format=lambda v: f"{v:.3g}")]
    if results.attrs.get("phase_locking"):
        locking = summarize_phase_locking(pd.DataFrame(results.attrs["phase_locking"]))
        parts += ["<h2>Phase locking to the cues (inter-trial phase coherence at the stimulus "
                  "frequency, best channel; template methods need it)</h2>",
                  locking.to_html(index=False, float_format=lambda v: f"{v:.3g}")]
    for (code, evaluation), df in results.groupby(["dataset", "evaluation"], sort=True):
        longest = df[df["window"] == df["window"].max()]
        figures = {
            "per-subject accuracy": (_per_subject, longest),
            "pipeline comparison": (_comparison, longest),
            "accuracy and ITR vs window": (
                _versus_window,
                summary[(summary["dataset"] == code) & (summary["evaluation"] == evaluation)],
            ),
            "confusion matrices": (_confusions, longest),
        }
        parts.append(f"<h2>{html.escape(str(code))} — {html.escape(str(evaluation))}</h2>")
        for caption, (plot, data) in figures.items():
            name = _slug(code, evaluation, caption) + ".png"
            plot(data, out_dir / name)
            parts.append(f"<h3>{html.escape(caption)}</h3><img src=\"{name}\" "
                         f"alt=\"{html.escape(caption)}\">")
    body = "\n".join(parts)
    path = out_dir / "report.html"
    path.write_text(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><style>body{{font-family:sans-serif;margin:2em}}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}"
        f"</style></head><body>\n{body}\n</body></html>\n"
    )
    return path
