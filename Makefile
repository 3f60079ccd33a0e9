# Two entry points: `make demo` (main job) and `make test` (test suite).
# Both create .venv when missing and install the project into it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# PyTorch goes in first, as the CPU build from PyTorch's CPU index (PyPI's Linux wheels pull a
# multi-GB CUDA stack; macOS wheels are CPU builds already); its dependencies then come with the
# project's. For a CUDA build instead:
#   make install TORCH=torch==2.13.0 TORCH_INDEX=https://pypi.org/simple
TORCH_VERSION := 2.13.0
TORCH ?= torch==$(TORCH_VERSION)$(if $(filter Darwin,$(shell uname -s)),,+cpu)
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu

.PHONY: demo test install lint clean chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --no-deps "$(TORCH)" --extra-index-url $(TORCH_INDEX) \
	  || { echo "warning: $(TORCH) not found (is $(TORCH_INDEX) reachable?); installing" \
	       "torch==$(TORCH_VERSION) from the default index instead" >&2; \
	       $(BIN)/python -m pip install --quiet "torch==$(TORCH_VERSION)"; }
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/noir demo

# The console's browser tests drive Debian's chromium (Playwright's own browser download is
# not used); installed with apt when missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$sudo apt-get update -qq && $$sudo apt-get install -y -qq chromium; }

test: install chromium
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check noir decoders skills sim experiments tests

clean:
	rm -rf $(VENV) runs .pytest_cache
