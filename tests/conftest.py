"""Shared fixtures and hooks of the test suite.

- ``world``: a Franka tabletop world (seed 0), built once per test module and reset to its start
  state before each test that asks for it.
- ``user_model``: a saved user model folder (the assistant's ``.npz`` + JSON).
- The fuzz suite's case counts are printed at the end of the run.
- ``@pytest.mark.dataset(NAME, ...)``: the test reads these real data sets. One missing from
  every place the lookup tries (``$NOIR_DATA``, ``shared/data`` beside the checkout, the user
  data folder) is fetched once per run, hashes checked; where that fails (no network) each such
  test fails with one line naming the data set and ``noir data fetch NAME``.
"""

import sys

import pytest


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "dataset(*names): the test reads these real data sets (fetched when missing)")


_DATASETS: dict[str, str | None] = {}
"""Data sets checked in this run: None when present, else the one-line reason they are not."""


@pytest.fixture(autouse=True)
def _datasets(request):
    """Make sure the data sets named by the test's ``dataset`` marker are present."""
    marker = request.node.get_closest_marker("dataset")
    for name in marker.args if marker else ():
        if name not in _DATASETS:
            from noir.data import ensure

            try:
                ensure(name)
                _DATASETS[name] = None
            except (OSError, ValueError) as err:
                _DATASETS[name] = " ".join(str(err).split())
        if _DATASETS[name] is not None:
            pytest.fail(_DATASETS[name], pytrace=False)


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


@pytest.fixture(scope="module")
def user_model(tmp_path_factory):
    """A user model saved by the assistant (``assistant/``): two remembered choices, one with a
    point and a put-back anchor."""
    from noir.assist import Assistant, Example
    from sim.tasks import TASKS

    with TASKS["cube_in_tray"].make_world(0) as world:
        scene = world.render("top")
    model = Assistant()
    model.learn([Example(scene, "cube", "pick"), Example(scene, "tray", "place", (200.0, 120.0),
                                                         held_from_px=(100.0, 80.0))])
    return model.save(tmp_path_factory.mktemp("user") / "assistant")


def pytest_terminal_summary(terminalreporter):
    fuzz = sys.modules.get("_fuzz")  # loaded only when fuzz tests ran
    if fuzz is None or not fuzz.CASES:
        return
    terminalreporter.section("fuzz cases")
    for family, count in sorted(fuzz.CASES.items()):
        terminalreporter.write_line(f"{family}: {count}")
    terminalreporter.write_line(f"total: {sum(fuzz.CASES.values())}")
