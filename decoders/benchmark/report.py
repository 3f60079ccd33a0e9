"""HTML report of a results table, with matplotlib figures saved as PNG files beside it.

Figures (one set per dataset × evaluation): per-subject accuracy, pipeline comparison, accuracy
and ITR versus window length, and confusion matrices summed over subjects (longest window).
SSVEP results add the phase-locking table and, first, any template-method warning
(``results.attrs``, see :mod:`decoders.benchmark.evaluations`). Every report has a statistics
table (:func:`statistics_table`: CIs, binomial chance threshold, paired Wilcoxon and permutation
tests against the best pipeline), the chance level of every test-set size (:func:`chance_table`),
MOABB's meta-analysis over datasets (:func:`meta_table`), the config (``results.attrs
["config"]``, set by :func:`~decoders.benchmark.run.run_benchmark`) and the package versions.
Confusion matrices list classes in the paradigm's order (its ``events`` in the config), else in
natural order (:func:`natural_order`); every figure names
its window.
"""

from __future__ import annotations

import html
import json
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from decoders.benchmark.phase_locking import summarize_phase_locking
from decoders.benchmark.results import check_results, summarize
from decoders.benchmark.stats import chance_threshold, mean_ci, meta_analysis, paired_test


def natural_order(classes: list[str], events: list[str] | None = None) -> list[int]:
    """Indices that put class names in the paradigm's order: first those in ``events`` (the
    paradigm's classes, e.g. ``["left_hand", "right_hand", "feet"]``) in that order, then the
    rest in natural order: numbers by value (e.g. 9.25 Hz before 10.25 Hz), then the other
    names alphabetically (e.g. rest last)."""
    rank = {str(name): i for i, name in enumerate(events or [])}

    def key(i: int) -> tuple:
        if classes[i] in rank:
            return (0, rank[classes[i]], "")
        try:
            return (1, float(classes[i]), "")
        except ValueError:
            return (2, 0.0, classes[i])
    return sorted(range(len(classes)), key=key)


def _window_text(df: pd.DataFrame) -> str:
    return f"window {df['window'].iloc[0]:g} s"


def _slug(*parts: object) -> str:
    text = "_".join(str(p) for p in parts)
    return "".join(c if c.isalnum() else "-" for c in text)


def _per_subject(df: pd.DataFrame, path: Path) -> None:
    table = df.groupby(["subject", "pipeline"])["accuracy"].mean().unstack("pipeline")
    fig = Figure(figsize=(max(6.0, 0.8 * len(table)), 4))
    ax = fig.subplots()
    table.plot.bar(ax=ax)
    n_test = int(df["n_test"].min())
    ax.axhline(chance_threshold(n_test, int(df["n_classes"].iloc[0])), color="k", ls="--",
               lw=1, label=f"chance, p < 0.05 ({n_test} test trials)")
    ax.set_ylabel("accuracy (mean over sessions)")
    ax.set_ylim(0, 1)
    ax.set_title(f"Per-subject accuracy ({_window_text(df)})")
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
    ax.set_title(f"Pipeline comparison ({_window_text(df)})")
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
    fig.suptitle("Accuracy and ITR vs window length (window from the paradigm's start)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def _confusions(df: pd.DataFrame, path: Path, events: list[str] | None = None) -> None:
    names = sorted(df["pipeline"].unique())
    fig = Figure(figsize=(3.2 * len(names), 3.2))
    axes = fig.subplots(1, len(names), squeeze=False)
    for ax, name in zip(axes[0], names, strict=True):
        part = df[df["pipeline"] == name]
        classes = json.loads(part["classes"].iloc[0])
        total = np.sum([np.array(json.loads(c)) for c in part["confusion"]], axis=0)
        order = natural_order(classes, events)
        classes, total = [classes[i] for i in order], total[np.ix_(order, order)]
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
    fig.suptitle(f"Confusion matrices, summed over subjects ({_window_text(df)})", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def _paradigm_events(config) -> list[str] | None:
    """The classes a config's paradigm names (``paradigm.params.events``), in its order."""
    try:
        events = config["paradigm"]["params"]["events"]
    except (KeyError, TypeError):
        return None
    return [str(e) for e in events] if isinstance(events, list) else None


def versions() -> dict[str, str]:
    """Versions of Python and of the packages that the benchmark's numbers depend on."""
    import platform
    from importlib import metadata

    out = {"python": platform.python_version()}
    for name in ("noir-bci", "numpy", "scipy", "scikit-learn", "mne", "pyriemann", "pandas",
                 "moabb"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def statistics_table(results: pd.DataFrame) -> pd.DataFrame:
    """Per dataset × evaluation × window × pipeline: subject-mean accuracy with its 95 % CI,
    the binomial chance threshold, and the paired comparison with the window's best pipeline.

    Returns
    -------
    table : pandas.DataFrame
        Columns ``dataset, evaluation, window, pipeline, n_subjects, accuracy, ci_low, ci_high,
        chance_level, chance_threshold`` (for the fewest test trials of a row), ``above_chance``
        (subject × session rows at or above the threshold of their own test-set size, e.g.
        ``"7/8"``), ``vs_best, diff, diff_low, diff_high, p_wilcoxon, p_permutation`` (CIs NaN
        with one subject).
    """
    rows = []
    keys = ["dataset", "evaluation", "window"]
    for (code, evaluation, window), part in results.groupby(keys, sort=True):
        per_subject = part.groupby(["pipeline", "subject"])["accuracy"].mean().unstack("pipeline")
        best = per_subject.mean().idxmax()
        n_classes = int(part["n_classes"].iloc[0])
        threshold = chance_threshold(int(part["n_test"].min()), n_classes)
        for name in per_subject.mean().sort_values(ascending=False).index:
            acc = per_subject[name].dropna()
            row = {"dataset": code, "evaluation": evaluation, "window": window,
                   "pipeline": name, "n_subjects": acc.size, "accuracy": acc.mean(),
                   "ci_low": np.nan, "ci_high": np.nan, "chance_level": 1 / n_classes,
                   "chance_threshold": threshold,
                   "above_chance": _above_chance(part[part["pipeline"] == name]),
                   "vs_best": best, "diff": np.nan, "diff_low": np.nan, "diff_high": np.nan,
                   "p_wilcoxon": np.nan, "p_permutation": np.nan}
            if acc.size >= 2:
                _, row["ci_low"], row["ci_high"] = mean_ci(acc)
                if name != best:
                    both = per_subject[[name, best]].dropna()
                    test = paired_test(both[name], both[best])
                    row.update(diff=test["diff"], diff_low=test["low"], diff_high=test["high"],
                               p_wilcoxon=test["p_wilcoxon"], p_permutation=test["p_permutation"])
            rows.append(row)
    return pd.DataFrame(rows)


def _above_chance(rows: pd.DataFrame) -> str:
    """``"k/n"``: rows whose accuracy reaches the binomial threshold of their own test set."""
    hits = sum(acc >= chance_threshold(int(n), int(k))
               for acc, n, k in rows[["accuracy", "n_test", "n_classes"]].itertuples(index=False))
    return f"{hits}/{len(rows)}"


def chance_table(results: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """The chance level of every test-set size in the results (Combrisson & Jerbi 2015).

    Returns
    -------
    table : pandas.DataFrame
        One row per dataset × evaluation × classes × test-set size: ``dataset, evaluation,
        n_classes, n_test, n_rows`` (subject × session rows with that many test trials),
        ``chance_level`` (1 / n_classes) and ``threshold`` (the accuracy that guessing reaches
        with probability at most ``alpha``, :func:`~decoders.benchmark.stats.chance_threshold`).
    """
    keys = ["dataset", "evaluation", "n_classes", "n_test"]
    rows = results.drop_duplicates(["dataset", "evaluation", "subject", "session"])
    table = rows.groupby(keys, sort=True).size().rename("n_rows").reset_index()
    table["chance_level"] = 1 / table["n_classes"]
    table["threshold"] = [chance_threshold(int(n), int(k), alpha)
                          for n, k in table[["n_test", "n_classes"]].itertuples(index=False)]
    return table


def meta_table(results: pd.DataFrame) -> pd.DataFrame:
    """MOABB's meta-analysis over datasets: per evaluation × window, the best pipeline (highest
    mean over datasets of the subject-mean accuracy) against each other one.

    Returns
    -------
    table : pandas.DataFrame
        Columns ``evaluation, window, pipeline, vs`` and those of
        :func:`~decoders.benchmark.stats.meta_analysis` (one row per dataset, then the
        Stouffer combination); empty when no pair has 2 subjects on a dataset.
    """
    parts = []
    for (evaluation, window), part in results.groupby(["evaluation", "window"], sort=True):
        scores = part.rename(columns={"accuracy": "score"})
        means = scores.groupby(["dataset", "pipeline"])["score"].mean().unstack("pipeline")
        best = means.mean().idxmax()
        for other in means.mean().sort_values(ascending=False).index.drop(best):
            try:
                table = meta_analysis(scores, best, other)
            except ValueError:  # fewer than 2 subjects with both pipelines on every dataset
                continue
            parts.append(table.assign(evaluation=evaluation, window=window, pipeline=best,
                                      vs=other))
    if not parts:
        return pd.DataFrame()
    table = pd.concat(parts, ignore_index=True)
    return table[["evaluation", "window", "pipeline", "vs", *table.columns[:-4]]]


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
    if results.empty:
        raise ValueError("write_report: the results table has no rows.")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = summarize(results)
    parts = [f"<h1>{html.escape(title)}</h1>"]
    parts += [f"<p class=\"warning\"><b>Warning:</b> {html.escape(w)}</p>"
              for w in results.attrs.get("warnings", [])]
    parts += ["<h2>Summary (mean over subject × session rows)</h2>",
              summary.to_html(index=False, float_format=lambda v: f"{v:.3g}"),
              "<h2>Statistics (accuracy per subject, mean over its sessions)</h2>",
              "<p>CI: 95 % Student-t interval over subjects. Chance: the accuracy that random "
              "guessing reaches with probability at most 0.05 on the fewest test trials of a "
              "subject × session row (binomial); above_chance counts the rows at or above the "
              "threshold of their own test-set size. Paired: each pipeline minus the best one, "
              "on the same subjects and folds (mean difference, 95 % t interval, exact "
              "two-sided Wilcoxon signed-rank p, two-sided sign-flip permutation p).</p>",
              statistics_table(results).to_html(index=False, float_format=lambda v: f"{v:.3g}"),
              "<h2>Chance level per test-set size (binomial, p &lt; 0.05)</h2>",
              chance_table(results).to_html(index=False, float_format=lambda v: f"{v:.3g}")]
    meta = meta_table(results)
    if not meta.empty:
        parts += ["<h2>Meta-analysis over datasets (MOABB-style)</h2>",
                  "<p>Best pipeline against each other one: per dataset the standardised mean "
                  "difference of subject accuracies (smd) and the one-sided p that the best is "
                  "better (exact sign-flip permutation below 20 subjects, Wilcoxon from 20); "
                  "combined over datasets by Stouffer's method weighted by sqrt(subjects).</p>",
                  meta.to_html(index=False, float_format=lambda v: f"{v:.3g}")]
    if results.attrs.get("phase_locking"):
        locking = summarize_phase_locking(pd.DataFrame(results.attrs["phase_locking"]))
        parts += ["<h2>Phase locking to the cues (inter-trial phase coherence at the stimulus "
                  "frequency, best channel; template methods need it)</h2>",
                  locking.to_html(index=False, float_format=lambda v: f"{v:.3g}")]
    for (code, evaluation), df in results.groupby(["dataset", "evaluation"], sort=True):
        longest = df[df["window"] == df["window"].max()]
        events = _paradigm_events(results.attrs.get("config"))
        figures = {
            "per-subject accuracy": (_per_subject, longest),
            "pipeline comparison": (_comparison, longest),
            "accuracy and ITR vs window": (
                _versus_window,
                summary[(summary["dataset"] == code) & (summary["evaluation"] == evaluation)],
            ),
            "confusion matrices": (partial(_confusions, events=events), longest),
        }
        parts.append(f"<h2>{html.escape(str(code))} — {html.escape(str(evaluation))}</h2>")
        for caption, (plot, data) in figures.items():
            name = _slug(code, evaluation, caption) + ".png"
            plot(data, out_dir / name)
            parts.append(f"<h3>{html.escape(caption)}</h3><img src=\"{name}\" "
                         f"alt=\"{html.escape(caption)}\">")
    config = results.attrs.get("config")
    if config:
        parts += ["<h2>Config</h2>",
                  f"<pre>{html.escape(json.dumps(config, indent=1, default=str))}</pre>"]
    parts += ["<h2>Versions</h2>", pd.DataFrame(sorted(versions().items()),
                                                 columns=["package", "version"]
                                                 ).to_html(index=False)]
    body = "\n".join(parts)
    path = out_dir / "report.html"
    path.write_text(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
        f"<title>{html.escape(title)}</title><style>body{{font-family:sans-serif;margin:2em}}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px}"
        f"</style></head><body>\n{body}\n</body></html>\n"
    )
    return path
