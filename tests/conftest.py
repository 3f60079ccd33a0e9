"""Test-suite hooks: the fuzz suite's case counts are printed at the end of the run."""

import sys


def pytest_terminal_summary(terminalreporter):
    fuzz = sys.modules.get("_fuzz")  # loaded only when fuzz tests ran
    if fuzz is None or not fuzz.CASES:
        return
    terminalreporter.section("fuzz cases")
    for family, count in sorted(fuzz.CASES.items()):
        terminalreporter.write_line(f"{family}: {count}")
    terminalreporter.write_line(f"total: {sum(fuzz.CASES.values())}")
