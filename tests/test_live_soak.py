"""The soak experiment, briefly: every sample of a 500 Hz x 32-channel LSL stream and of
BrainFlow's synthetic board reaches the loop's live reader once, none lost or repeated."""

import subprocess
import sys
from pathlib import Path

import pandas as pd


def test_a_short_soak_counts_every_sample_once(tmp_path):
    done = subprocess.run(
        [sys.executable, "experiments/live_soak.py", "--minutes", "0.05", "--motion", "1",
         "--sources", "brainflow", "lsl", "--parallel", "--out", str(tmp_path)],
        capture_output=True, text=True, cwd=Path(__file__).parents[1], timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    table = pd.read_csv(tmp_path / "live_soak.csv").set_index("source")
    assert len(table) == 2
    for source, row in table.iterrows():
        assert row["lost"] == 0 and row["duplicated"] == 0, source
        assert row["received"] == row["expected_by_number"], source
        # about 3 s of samples (the stream runs a little before and after the timed part)
        assert 0.8 * row["expected_by_wall"] <= row["received"] <= row["expected_by_wall"] + 500
    lsl = table.loc[table.index.str.startswith("lsl")].iloc[0]
    assert lsl["first_number"] == 0 and lsl["received"] <= lsl["pushed"]
    assert lsl["faults"] == 0  # good data with regular stamps trips no stream check
    assert "lost 0, duplicated 0" in (tmp_path / "live_soak.txt").read_text()
