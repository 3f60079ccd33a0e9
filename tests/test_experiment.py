"""NOIR's Table 1 in simulation: runs through the executor, tidy outputs, paper columns."""

import math

import pandas as pd
import pytest
from typer.testing import CliRunner

from noir.cli import app
from noir.experiment import (
    FIGURE5_CONFIGS,
    PAPER,
    TABLE1_CONFIGS,
    figure5,
    learning_gains,
    reductions,
    run_suite,
    table1,
    user_folder,
)


def test_table1_runs_both_configurations_and_writes_its_outputs(tmp_path):
    runs, table = table1(["cube_in_tray"], [0], 1, tmp_path, demos=1, n_jobs=2)
    assert sorted(runs["config"]) == sorted(TABLE1_CONFIGS) and runs["success"].all()
    assert set(table["config"]) == set(TABLE1_CONFIGS)
    assert (runs["human_time_pct"] > 0).all() and (runs["human_time_pct"] < 100).all()
    assert (runs["practical_itr_bits_per_min"] > 0).all()
    for name in ("table1.csv", "table1_runs.csv", "table1_demos.csv", "table1.html"):
        assert (tmp_path / name).is_file()
    assert pd.read_csv(tmp_path / "table1_runs.csv")["session"].tolist() == runs[
        "session"].tolist()
    assert (tmp_path / "runs" / runs["session"][0] / "summary.json").is_file()
    # the learning configuration ran one demonstration first and kept its user model
    demos = pd.read_csv(tmp_path / "table1_demos.csv")
    assert demos["config"].tolist() == ["best"] and demos["seed"].tolist() == [1000]
    assert (user_folder(tmp_path, "cube_in_tray", "best", 0) / "assistant.json").is_file()


def test_figure5_measures_decoding_time_and_cursor_travel_with_and_without_learning(tmp_path):
    runs, summary = figure5(["cube_in_tray"], [0], 1, tmp_path, demos=1)
    assert sorted(summary["config"]) == sorted(FIGURE5_CONFIGS) and runs["success"].all()
    by = summary.set_index("config")
    assert by.loc["noir", "intent_offered"] == 0 < by.loc["noir+learning", "intent_accepted"]
    gains = learning_gains(summary)
    assert gains["object_skill_time_cut_pct"] > 50
    assert (tmp_path / "learning.csv").is_file() and (tmp_path / "learning_runs.csv").is_file()


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
