"""The ``noir`` command line: every command has --help, and the demo runs end to end."""

import json

import pytest
from typer.testing import CliRunner

from noir.cli import app

runner = CliRunner()


@pytest.mark.parametrize("args", [["--help"], ["demo", "--help"]])
def test_help(args):
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_demo_prints_summary_and_writes_the_session(tmp_path):
    result = runner.invoke(app, ["demo", "--seed", "2", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "goal reached" in result.output and "yes" in result.output
    (folder,) = tmp_path.iterdir()
    assert str(folder.name) in result.output.replace("\n", "")
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["success"] is True and summary["seed"] == 2


def test_demo_rejects_an_unknown_task(tmp_path):
    result = runner.invoke(app, ["demo", "--task", "cook", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "unknown task 'cook'" in result.output
    assert not any(tmp_path.iterdir())
