# havenwatch: `make demo` runs the demo port, `make test` runs the whole suite.
# Both set up what they need on a fresh machine: a virtual environment under .venv/,
# and (for the browser and PostgreSQL runs) Debian's chromium and postgresql packages.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# The demo's data (database, keys) lives here. The test suite uses a private temporary
# directory of its own instead (see src/havenwatch/test_settings.py).
VAR_DIR ?= $(CURDIR)/var

.PHONY: demo test test-sqlite test-postgres bench lint messages install system-deps clean

$(STAMP): pyproject.toml
	@echo "· creating the virtual environment in $(VENV)"
	@$(BIN)/python -m pip --version >/dev/null 2>&1 || { \
	  $(PYTHON) -c 'import ensurepip' >/dev/null 2>&1 || scripts/ensure-system-deps --venv; \
	  $(PYTHON) -m venv --clear $(VENV); }
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@echo "· installing havenwatch and its test tools"
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[test]"
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	HAVENWATCH_PROFILE=demo HAVENWATCH_VAR_DIR=$(VAR_DIR) $(BIN)/havenwatch demo

# The whole suite: SQLite (with the browser tests), then PostgreSQL (without them).
# Both runs happen even when the first fails, so one `make test` reports everything;
# it fails if either did. PYTEST_ARGS passes options on, e.g. PYTEST_ARGS="-x -k gate".
# Each run spreads its tests over PYTEST_WORKERS processes (pytest-xdist), each with its
# own test database and var/ directory; PYTEST_WORKERS=0 runs them in one process (for
# pdb, or to rule parallelism out).
PYTEST_WORKERS ?= 2
XDIST_ARGS = -n $(PYTEST_WORKERS)
ifeq ($(strip $(PYTEST_WORKERS)),0)
PYTEST_WORKERS_LABEL = in one process
else
PYTEST_WORKERS_LABEL = $(PYTEST_WORKERS) workers
endif

test: system-deps $(STAMP)
	@status=0; \
	$(MAKE) --no-print-directory test-sqlite || status=$$?; \
	$(MAKE) --no-print-directory test-postgres || status=$$?; \
	exit $$status

test-sqlite: $(STAMP)
	@echo "· test suite on SQLite (with the browser tests), $(PYTEST_WORKERS_LABEL)"
	@scripts/pytest-phase SQLite $(BIN)/pytest $(XDIST_ARGS) $(PYTEST_ARGS)

test-postgres: $(STAMP)
	@echo "· test suite on PostgreSQL (a throwaway server on 127.0.0.1; browser tests ran on SQLite), $(PYTEST_WORKERS_LABEL)"
	@scripts/pytest-phase PostgreSQL scripts/with-postgres $(BIN)/pytest -m "not browser" $(XDIST_ARGS) $(PYTEST_ARGS)

system-deps:
	@scripts/ensure-system-deps

bench: $(STAMP)
	HAVENWATCH_VAR_DIR=$(VAR_DIR) $(BIN)/python benchmarks/run.py

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

messages: $(STAMP)
	$(BIN)/python scripts/messages.py $(ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
