# Two entry points: `make demo` (main job) and `make test` (test suite).
# Both create .venv when missing and install the project into it.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test install lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

install: $(VENV)/.installed

demo: install
	$(BIN)/noir demo

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check noir decoders skills sim experiments tests

clean:
	rm -rf $(VENV) runs .pytest_cache
