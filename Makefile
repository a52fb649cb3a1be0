# roost: `make run` serves the embedded mode on http://127.0.0.1:8000; `make test` runs everything;
# `make bench` measures roost over HTTP against its floors (`make bench-smoke`: the same, briefly).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

# The benchmark's PostgreSQL server (it creates and drops a database of its own) and Redis.
BENCH_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/postgres
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/0
BENCH := ROOST_DATABASE_URL=$(BENCH_DATABASE_URL) ROOST_REDIS_URL=$(BENCH_REDIS_URL) $(BIN)/roost bench http

.PHONY: run test fuzz lint typecheck format clean bench bench-smoke wrk

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Reinstall only when the project's dependencies change.
$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install --quiet -e ".[dev,bench]"
	touch $@

run: $(VENV)/.installed
	$(BIN)/roost migrate
	$(BIN)/roost serve --host $(HOST) --port $(PORT)

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck: $(VENV)/.installed
	$(BIN)/mypy

# Two workers: the suite waits on processes and services as much as it computes (6 min against 10).
test: lint typecheck
	$(BIN)/pytest -n 2

# The OpenAPI contract test, longer: 100 examples per operation, embedded and scaled.
fuzz: $(VENV)/.installed
	ROOST_TEST_FUZZ_EXAMPLES=100 $(BIN)/pytest -n 0 --timeout 3600 tests/e2e/test_openapi_contract.py

# wrk drives the API in `roost bench http`; Debian packages it.
wrk:
	@command -v wrk >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq wrk; }

bench: $(VENV)/.installed wrk
	$(BENCH)

# Under 30 s: a small graph, scaled mode, one second per measurement, nothing recorded.
bench-smoke: $(VENV)/.installed wrk
	$(BENCH) --users 200 --seconds 1 --warmup 0 --modes scaled --docs '' --out bench-results/smoke

format: $(VENV)/.installed
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
