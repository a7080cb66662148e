# Kontor — `make run` to start, `make test` to test. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PG_URL ?= postgresql://127.0.0.1:5432/kontor_test

.PHONY: install run test test-postgres bench lint static screenshots clean

install: $(STAMP) static

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

static: $(STAMP)

run: install
	$(BIN)/kontor migrate --noinput
	$(BIN)/kontor collectstatic --noinput -v 0
	$(BIN)/kontor serve

test: install
	$(BIN)/pytest

test-postgres: install
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} $(BIN)/pytest

bench: install
	$(BIN)/python -m kontor bench_convert --leads $${BENCH_LEADS:-1000000} --activities-per-lead 2 --fresh
	DATABASE_URL=$${DATABASE_URL:-postgresql://127.0.0.1:5432/kontor_bench} \
		$(BIN)/python -m kontor bench_convert --leads $${BENCH_LEADS:-1000000} --activities-per-lead 2 --fresh

lint: $(STAMP)
	$(BIN)/ruff check src tests

clean:
	rm -rf $(VENV) var node_modules src/kontor/web/build
