# The two commands a new user needs: `make demo` and `make test`. Both set up .venv themselves.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_DECLARATIONS ?= 200000
DEMO_SEED ?= 7
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint bench install browser clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/arusha simulate out/world --declarations $(DEMO_DECLARATIONS) --seed $(DEMO_SEED)
	$(BIN)/arusha analyze out/world --out out
	$(BIN)/arusha profile --db out/work.duckdb --out out/profile.html
	$(BIN)/arusha evaluate out/alerts.parquet out/world.truth.csv
	@echo "Demo done. The alerts: out/report.html (and out/alerts.csv); the data: out/profile.html"

# Browser tests drive Debian's Chromium; a test tool's own browser download fails offline.
browser:
	@command -v chromium >/dev/null || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }

test: $(STAMP) browser
	$(BIN)/ruff check src tests bench
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

bench: $(STAMP)
	$(BIN)/python bench/simulate.py --declarations 1000000
	$(BIN)/python bench/ingest.py --declarations 1000000
	$(BIN)/python bench/analyze.py --declarations 1000000

clean:
	rm -rf out .pytest_cache .ruff_cache
