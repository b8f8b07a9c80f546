# Two targets a newcomer needs: `make run` (set up, then serve the mock) and `make test`
# (set up, then run every check CI runs). Both create .venv on first use. `make test-fast` is the
# quick tier for the edit loop: in-process tests only, every module reached (docs/testing.md).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pytest arguments of the two tiers (bench/bench_suite.py reads them from here).
# Full: every test, on every core (pytest-xdist; a module's tests stay on one worker, so its
# module-scoped servers start once). Fast: no test marked slow, on every core too.
PYTEST_FULL := -n auto --dist loadfile
PYTEST_FAST := -m "not slow" -n auto

.PHONY: run test test-fast lint types setup clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required: $(PYTHON) not found (set PYTHON=...)"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,load]'
	@touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/mockserver serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

types: $(STAMP)
	$(BIN)/mypy

test: $(STAMP) lint types
	$(BIN)/python -m pytest $(PYTEST_FULL)

test-fast: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_FAST)

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
