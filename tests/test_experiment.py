"""NOIR's Table 1 in simulation: runs through the executor, tidy outputs, paper columns."""

import io
import math

import pandas as pd
import pytest
from matplotlib.container import BarContainer
from rich.console import Console
from typer.testing import CliRunner

from noir.cli import app
from noir.experiment import (
    FIGURE5_CONFIGS,
    PAPER,
    TABLE1_CONFIGS,
    figure5,
    figure5_figure,
    learning_gains,
    reductions,
    run_suite,
    session_bar,
    table1,
    table1_figure,
    user_folder,
)

PNG = b"\x89PNG\r\n\x1a\n"


def test_table1_runs_both_configurations_and_writes_its_outputs(tmp_path):
    calls = []
    runs, table = table1(["cube_in_tray"], [0], 1, tmp_path, demos=1, n_jobs=2,
                         progress=lambda done, total: calls.append((done, total)))
    assert sorted(runs["config"]) == sorted(TABLE1_CONFIGS) and runs["success"].all()
    # one bar over the sessions: 1 demonstration + 2 measured, counted as they finish
    assert calls == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert set(table["config"]) == set(TABLE1_CONFIGS)
    assert (runs["human_time_pct"] > 0).all() and (runs["human_time_pct"] < 100).all()
    assert (runs["practical_itr_bits_per_min"] > 0).all()
    for name in ("table1.csv", "table1_runs.csv", "table1_demos.csv", "table1.html"):
        assert (tmp_path / name).is_file()
    assert (tmp_path / "table1.png").read_bytes().startswith(PNG)
    page = (tmp_path / "table1.html").read_text()
    assert "<img src='table1.png' alt='Table 1: completion time and human time per task" in page
    assert pd.read_csv(tmp_path / "table1_runs.csv")["session"].tolist() == runs[
        "session"].tolist()
    assert (tmp_path / "runs" / runs["session"][0] / "summary.json").is_file()
    # the learning configuration ran one demonstration first and kept its user model
    demos = pd.read_csv(tmp_path / "table1_demos.csv")
    assert demos["config"].tolist() == ["best"] and demos["seed"].tolist() == [1000]
    assert (user_folder(tmp_path, "cube_in_tray", "best", 0) / "assistant.json").is_file()


def test_figure5_measures_decoding_time_and_cursor_travel_with_and_without_learning(tmp_path):
    calls = []
    runs, summary = figure5(["cube_in_tray"], [0], 1, tmp_path, demos=1,
                            progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (3, 3) and len(calls) == 4
    assert sorted(summary["config"]) == sorted(FIGURE5_CONFIGS) and runs["success"].all()
    by = summary.set_index("config")
    assert by.loc["noir", "intent_offered"] == 0 < by.loc["noir+learning", "intent_accepted"]
    gains = learning_gains(summary)
    assert gains["object_skill_time_cut_pct"] > 50
    assert (tmp_path / "learning.csv").is_file() and (tmp_path / "learning_runs.csv").is_file()
    assert (tmp_path / "learning.png").read_bytes().startswith(PNG)
    page = (tmp_path / "learning.html").read_text()
    assert "<img src='learning.png' alt='Figure 5: object and skill decoding time" in page
    assert "object skill time cut pct" in page


def test_the_figures_name_what_they_show():
    runs = pd.DataFrame({
        "task": ["pour_tea"] * 4 + ["cube_in_tray"] * 2,
        "config": ["noir", "noir", "best", "best", "noir", "best"], "success": [True] * 6,
        "time_min": [1.0, 1.2, 0.2, 0.3, 0.8, 0.1], "human_time_pct": [80.0] * 4 + [50.0] * 2,
    })
    fig = table1_figure(runs, demos=3)
    time_ax, human_ax = fig.axes
    assert "Table 1" in time_ax.get_title()
    assert time_ax.get_ylabel().startswith("completion time (min)")
    assert human_ax.get_ylabel().startswith("human time (min)")
    assert [t.get_text() for t in human_ax.get_xticklabels()] == ["cube_in_tray", "pour_tea"]
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["NOIR protocol, simulated",
                      "ours (after 3 demonstration sessions, not counted), simulated",
                      "NOIR paper (Table 1)"]
    # bar heights: the simulated means, and the paper's minutes (human: time x its %)
    noir, ours, paper = ([p.get_height() for p in bars] for bars in human_ax.containers
                         if isinstance(bars, BarContainer))
    assert noir == pytest.approx([0.4, 0.88]) and ours == pytest.approx([0.05, 0.2])
    assert math.isnan(paper[0]) and paper[1] == pytest.approx(13.53 * 0.8315)
    summary = pd.DataFrame({
        "config": ["noir", "noir+learning"], "object_skill_time_s": [15.0, 2.0],
        "object_skill_time_sd": [1.0, 0.5], "cursor_travel_cm": [30.0, 6.0],
        "cursor_travel_sd": [10.0, float("nan")],
    })
    fig = figure5_figure(summary, demos=3)
    assert "Figure 5" in fig.get_suptitle()
    left, right = fig.axes
    assert left.get_ylabel() == "object + skill decoding time per skill call (s)"
    assert right.get_ylabel() == "cursor travel per Where stage (cm)"
    ours, paper = ([p.get_height() for p in bars] for bars in right.containers
                   if isinstance(bars, BarContainer))
    assert (ours, paper) == ([30.0, 6.0], [9.0, 5.3])


def test_the_session_bar_shows_on_a_terminal_and_is_silent_elsewhere():
    for terminal in (True, False):
        out = io.StringIO()
        console = Console(file=out, force_terminal=terminal, width=80)
        with session_bar("table1: sessions", console) as progress:
            for done in range(4):
                progress(done, 3)
        assert ("table1: sessions" in out.getvalue() and "3/3" in out.getvalue()) is terminal
        assert terminal or out.getvalue() == ""


def test_reductions_compare_mean_times():
    runs = pd.DataFrame({
        "config": ["noir", "noir", "best", "best"], "success": [True] * 4,
        "time_min": [10.0, 20.0, 5.0, 5.0], "human_time_pct": [80.0, 80.0, 50.0, 50.0],
    })
    cut = reductions(runs)
    assert cut["time_reduction_pct"] == pytest.approx(100 * (1 - 5 / 15))
    assert cut["human_time_reduction_pct"] == pytest.approx(100 * (1 - 2.5 / 12))
    # a configuration without a successful session has no mean: no number rather than a crash
    runs["success"] = [True, True, False, False]
    assert all(math.isnan(v) for v in reductions(runs).values())
    summary = pd.DataFrame({"config": ["noir"], "object_skill_time_s": [9.0],
                            "cursor_travel_cm": [3.0]})
    assert all(math.isnan(v) for v in learning_gains(summary).values())


@pytest.mark.parametrize(("args", "error"), [
    ((["cook"], ["noir"], [0], 1), "unknown tasks \\['cook'\\]"),
    (([], ["noir"], [0], 1), "unknown tasks \\[\\]"),
    ((["cube_in_tray"], ["ours"], [0], 1), "unknown configurations \\['ours'\\]"),
    ((["cube_in_tray"] * 2, ["noir"], [0], 1), "a task is repeated"),
    ((["cube_in_tray"], ["noir"], [1, 1], 1), "a seed is repeated"),
    ((["cube_in_tray"], ["noir"], [], 1), "seeds must be one or more integers >= 0"),
    ((["cube_in_tray"], ["noir"], [-1], 1), "seeds must be one or more integers >= 0"),
    ((["cube_in_tray"], ["noir"], [0], 0), "need subjects >= 1"),
])
def test_run_suite_refuses_a_bad_plan_before_any_session(tmp_path, args, error):
    with pytest.raises(ValueError, match=error):
        run_suite(*args, tmp_path / "out")
    assert not any(tmp_path.iterdir())


def test_run_suite_never_writes_over_an_earlier_run(tmp_path):
    (tmp_path / "table1.csv").write_text("earlier")
    with pytest.raises(FileExistsError, match="already holds files"):
        run_suite(["cube_in_tray"], ["noir"], [0], 1, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["table1.csv"]


def test_paper_numbers_and_unknown_tasks():
    assert PAPER["wipe_spill"] == ("WipeSpill", 4.33, 1.00, 14.74, 79.02)
    result = CliRunner().invoke(app, ["experiment", "table1", "--tasks", "cook"])
    assert result.exit_code == 2 and "unknown tasks ['cook']" in result.output
