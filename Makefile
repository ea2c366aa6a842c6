# Two commands on a fresh machine: `make run` (portal on the shipped data), `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8050
DATA_DIR ?= data
ARTIFACTS := $(DATA_DIR)/final/metrics.json
CDNOW_CUTOFF := 1998-01-01
# What `make lint` checks (a test points these at broken copies to see it fail).
WORKFLOWS := $(wildcard .github/workflows/*.yml)
DOCKERFILE := Dockerfile
COMPOSE_FILE := compose.yaml
COMPOSE_SCHEMA := tests/data/compose-spec.json
SHELL_SCRIPTS := .ci/run $(wildcard .ci/*.sh) bin/post_compile

.PHONY: run dev test train lint lint-python lint-workflows lint-docker lint-compose lint-shell format \
	bench bench-quality bench-scenarios bench-intervals bench-campaign chromium wrk schemathesis \
	bench-dask-1m bench-dask-3m bench-dask-10m bench-serving-1m bench-serving-10m \
	screenshots clean

$(VENV)/.run-installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.run-installed
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

$(ARTIFACTS): | $(VENV)/.run-installed
	DATA_DIR=$(DATA_DIR) $(BIN)/python -m portal train --cutoff $(CDNOW_CUTOFF)

train: $(VENV)/.run-installed  ## retrain on the shipped CDNOW data
	DATA_DIR=$(DATA_DIR) $(BIN)/python -m portal train --cutoff $(CDNOW_CUTOFF)

run: $(VENV)/.run-installed $(ARTIFACTS)  ## serve the portal with gunicorn
	@echo "CLV portal: http://$(HOST):$(PORT)  (Ctrl+C to stop)"
	HOST=$(HOST) PORT=$(PORT) DATA_DIR=$(DATA_DIR) $(BIN)/gunicorn app:server

dev: $(VENV)/.run-installed $(ARTIFACTS)  ## Dash debug server
	HOST=$(HOST) PORT=$(PORT) DATA_DIR=$(DATA_DIR) DASH_DEBUG=1 $(BIN)/python app.py

chromium:  ## Debian's chromium + chromium-driver for the browser tests
	@if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; \
	fi

test: $(VENV)/.dev-installed chromium  ## the whole test suite
	$(BIN)/python -m pytest --headless

lint: lint-python lint-workflows lint-docker lint-compose lint-shell  ## all linters (.ci/run: first)

lint-python: $(VENV)/.dev-installed  ## ruff over the whole repository (pyproject.toml)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

lint-workflows: $(VENV)/.dev-installed  ## actionlint, with shellcheck on every run: step
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/actionlint $(WORKFLOWS)

lint-docker: $(VENV)/.dev-installed  ## hadolint
	$(BIN)/hadolint $(DOCKERFILE)

lint-compose: $(VENV)/.dev-installed  ## the Compose file against the Compose specification's schema
	$(BIN)/check-jsonschema --schemafile $(COMPOSE_SCHEMA) $(COMPOSE_FILE)

lint-shell: $(VENV)/.dev-installed  ## shellcheck on the CI scripts
	$(BIN)/shellcheck $(SHELL_SCRIPTS)

format: $(VENV)/.dev-installed  ## fix what ruff can: imports, upgrades, then formatting
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

schemathesis: $(VENV)/.dev-installed $(ARTIFACTS)  ## fuzz the API from its OpenAPI document
	$(BIN)/python tests/bench/schemathesis_run.py

bench: $(VENV)/.dev-installed  ## benchmarks: print figures, write bench/results/
	cd tests/bench && PYTHONUNBUFFERED=1 ../../$(BIN)/python run_all.py 2>&1 | grep --line-buffered -v " INFO "

bench-quality: $(VENV)/.dev-installed  ## CDNOW + the original SYNTHETIC backtest (~1 min)
	cd tests/bench && PYTHONUNBUFFERED=1 ../../$(BIN)/python bench_quality.py 2>&1 | grep --line-buffered -v " INFO "

bench-intervals: $(VENV)/.dev-installed  ## coverage of the 80% intervals: CDNOW + 19 SYNTHETIC backtests (~6 min)
	cd tests/bench && PYTHONUNBUFFERED=1 ../../$(BIN)/python bench_intervals.py 2>&1 | grep --line-buffered -v " INFO "

bench-scenarios: $(VENV)/.dev-installed  ## the grid of 36 SYNTHETIC backtests (~10 min)
	cd tests/bench && PYTHONUNBUFFERED=1 ../../$(BIN)/python bench_scenarios.py 2>&1 | grep --line-buffered -v " INFO "

bench-campaign: $(VENV)/.dev-installed  ## the campaign planner's profit against held-out backtests (~6 min)
	cd tests/bench && PYTHONUNBUFFERED=1 ../../$(BIN)/python bench_campaign.py 2>&1 | grep --line-buffered -v " INFO "

bench-dask-1m: $(VENV)/.dev-installed  ## Dask engine next to pandas, 1M SYNTHETIC customers
	cd tests/bench && PYTHONUNBUFFERED=1 ../../$(BIN)/python bench_scale.py --engine dask --customers 1000000 --with-pandas 2>&1 | grep --line-buffered -v " INFO "

bench-dask-3m: $(VENV)/.dev-installed  ## Dask engine, 3M SYNTHETIC customers
	cd tests/bench && PYTHONUNBUFFERED=1 ../../$(BIN)/python bench_scale.py --engine dask --customers 3000000 2>&1 | grep --line-buffered -v " INFO "

bench-dask-10m: $(VENV)/.dev-installed  ## Dask engine, 10M SYNTHETIC customers (~90M transactions)
	cd tests/bench && PYTHONUNBUFFERED=1 ../../$(BIN)/python bench_scale.py --engine dask --customers 10000000 2>&1 | grep --line-buffered -v " INFO "

wrk:  ## the HTTP load generator of the serving benchmarks
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)

bench-serving-1m: $(VENV)/.dev-installed wrk  ## serving at scale on the 1M version (after make bench)
	cd tests/bench && PYTHONUNBUFFERED=1 ../../$(BIN)/python bench_serving_scale.py --customers 1000000

bench-serving-10m: $(VENV)/.dev-installed wrk chromium  ## serving at scale on the 10M version (after make bench-dask-10m), and its pages
	cd tests/bench && PYTHONUNBUFFERED=1 ../../$(BIN)/python bench_serving_scale.py --customers 10000000
	cd tests/bench && PYTHONUNBUFFERED=1 ../../$(BIN)/python bench_portal.py --customers 10000000

clean:
	rm -rf $(VENV) .pytest_cache  # keeps DATA_DIR: model versions, uploads and history are data

screenshots: $(VENV)/.dev-installed $(ARTIFACTS)  ## PNGs of every page into tests/screenshots/
	$(BIN)/python tests/take_screenshots.py
