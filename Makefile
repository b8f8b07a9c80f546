# Two targets a newcomer needs: `make run` (set up, then serve the mock) and `make test`
# (set up, then run every check CI runs). Both create .venv on first use. `make test-fast` is the
# quick tier for the edit loop: in-process tests only, every module reached (docs/testing.md).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# pytest arguments of the two tiers (bench/bench_suite.py reads them with `make print-PYTEST_FULL`).
# Full: every test, on one worker more than there are cores, tests handed out one by one as
# workers come free (pytest-xdist's worksteal): about a quarter of the suite's wall time is
# waiting on servers, subprocesses and timeouts, which the extra worker fills (docs/testing.md).
# Fast: no test marked slow, on every core.
JOBS := $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
PYTEST_FULL := -n $(JOBS) --dist worksteal
PYTEST_FAST := -m "not slow" -n auto

.PHONY: run test test-fast lint types setup clean

print-%:  # the value of a variable, e.g. `make -s print-PYTEST_FULL`
	@printf '%s\n' '$($*)'

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
