"""Shared fixtures and hooks of the test suite.

- ``world``: a Franka tabletop world (seed 0), built once per test module and reset to its start
  state before each test that asks for it.
- The fuzz suite's case counts are printed at the end of the run.
"""

import sys

import pytest


@pytest.fixture(scope="module")
def _tabletop():
    from sim.tabletop import TabletopWorld  # only the tests that use a world load the simulator

    with TabletopWorld(seed=0) as world:
        yield world, world.save_state()


@pytest.fixture
def world(_tabletop):
    """The module's tabletop world, reset to its start state."""
    world, start = _tabletop
    world.restore_state(start)
    return world


def pytest_terminal_summary(terminalreporter):
    fuzz = sys.modules.get("_fuzz")  # loaded only when fuzz tests ran
    if fuzz is None or not fuzz.CASES:
        return
    terminalreporter.section("fuzz cases")
    for family, count in sorted(fuzz.CASES.items()):
        terminalreporter.write_line(f"{family}: {count}")
    terminalreporter.write_line(f"total: {sum(fuzz.CASES.values())}")
