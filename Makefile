# Kontor — `make run` to start, `make test` to test. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PG_URL ?= postgresql://127.0.0.1:5432/kontor_test

.PHONY: install run test test-postgres test-random bench lint static screenshots clean mutants coverage

install: $(STAMP) static

$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.lock
	$(BIN)/python -m pip install -q --no-deps -e .
	touch $(STAMP)

# Web assets from the npm registry (package-lock.json), copied into src/kontor/web/build/; the
# translations' .mo files are committed and recompiled here when GNU gettext's msgfmt is present.
static: $(STAMP) src/kontor/web/build/.stamp
	@if command -v msgfmt >/dev/null 2>&1; then cd src/kontor && ../../$(BIN)/kontor compilemessages -v 0; fi

src/kontor/web/build/.stamp: package.json package-lock.json src/kontor/web/assets/build.mjs
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent build
	touch $@

# The README's screenshots (docs/screenshots/*.png), taken with the browser tests' Chromium setup.
screenshots: install
	$(BIN)/pytest tests/web/screenshots.py -q -p no:cacheprovider

run: install
	$(BIN)/kontor migrate --noinput
	$(BIN)/kontor collectstatic --noinput -v 0
	$(BIN)/kontor serve

test: install
	$(BIN)/pytest

# The browser tests drive the UI once, on SQLite; on PostgreSQL everything else runs (PG_PYTEST_ARGS= for all).
PG_PYTEST_ARGS ?= -m "not browser"
test-postgres: install
	DATABASE_URL=$${DATABASE_URL:-$(PG_URL)} $(BIN)/pytest $(PG_PYTEST_ARGS)

# The benchmarks (README "Benchmarks") on a fresh SQLite file in var/, then on PostgreSQL (database
# kontor_bench, created when missing): the mode switch on BENCH_LEADS leads, then the deal list on
# BENCH_DEALS deals of a sales team, then intake against BENCH_CONTACTS more contacts, then a CSV import of
# BENCH_IMPORT_CONTACTS contacts beside them. The intake line runs the bare-framework floor app (bench/floor) beside
# Kontor, 16 concurrent writers for 30 s, and inquiries while a switch converts BENCH_SWITCH_LEADS leads.
# BENCH_LEADS=100000 BENCH_DEALS=100000 BENCH_CONTACTS=100000 BENCH_SWITCH_LEADS=100000 make bench for a quick run.
BENCH_LEADS ?= 1000000
BENCH_DEALS ?= 1000000
BENCH_CONTACTS ?= 1000000
BENCH_IMPORT_CONTACTS ?= 100000
BENCH_SWITCH_LEADS ?= 1000000
BENCH_PG_URL ?= postgresql://127.0.0.1:5432/kontor_bench
BENCH_SQLITE_URL = sqlite:///$(CURDIR)/var/bench.sqlite3
BENCH_RUN = $(BIN)/kontor bench_convert --leads $(BENCH_LEADS) --activities-per-lead 2 --fresh && \
	$(BIN)/kontor bench_list --deals $(BENCH_DEALS) --fresh && \
	$(BIN)/kontor bench_intake --contacts $(BENCH_CONTACTS) --floor --writers 16 --writers-seconds 30 \
		--during-switch $(BENCH_SWITCH_LEADS) && \
	$(BIN)/kontor bench_import --contacts $(BENCH_IMPORT_CONTACTS)

bench: install
	mkdir -p var && rm -f var/bench.sqlite3 var/bench.sqlite3-wal var/bench.sqlite3-shm
	export DATABASE_URL=$(BENCH_SQLITE_URL) && $(BIN)/kontor migrate --noinput -v 0 && $(BENCH_RUN)
	$(BIN)/python -c "import sys, psycopg; from psycopg import sql; u = sys.argv[1]; base, name = u.rsplit('/', 1); \
		c = psycopg.connect(base + '/postgres', autocommit=True); \
		c.execute('SELECT 1 FROM pg_database WHERE datname = %s', [name]).fetchone() or \
		c.execute(sql.SQL('CREATE DATABASE {}').format(sql.Identifier(name)))" $(BENCH_PG_URL)
	export DATABASE_URL=$(BENCH_PG_URL) && $(BIN)/kontor migrate --noinput -v 0 && $(BENCH_RUN)

# ruff over the whole tree; mypy (django-stubs) over kontor.crm, kontor.modes, kontor.api, kontor.bitrix
# (configuration in pyproject.toml). .ci/run runs this before the tests.
lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/mypy

# Mutation testing with mutmut (tests/mutation/run.py; results kept in var/mutation/): every module of
# MODULES, or e.g. `make mutants MODULES="kontor.bitrix.filters kontor.api.auth"`. Slow (minutes to hours
# per package), so not part of .ci/run; prints the score per module and the survivors.
MODULES ?= kontor.modes kontor.crm.services kontor.crm.selectors kontor.bitrix.filters kontor.bitrix.methods kontor.api.auth
mutants: install
	$(BIN)/python tests/mutation/run.py $(MODULES)

# The suite without the browser tests in a random order (pytest-randomly; the header names the seed,
# SEED=N repeats an order): a test that passes only after another one fails here.
test-random: install
	$(BIN)/pytest -p randomly --randomly-seed=$${SEED:-$$(date +%s)} -m "not browser"

# Branch coverage of the suite without the browser tests (configuration in pyproject.toml): the
# report per file in the terminal, the annotated sources in var/coverage/index.html.
coverage: install
	$(BIN)/coverage run -m pytest -m "not browser" -q -p no:randomly
	$(BIN)/coverage report --sort=cover --skip-covered
	$(BIN)/coverage html -q -d var/coverage

clean:
	rm -rf $(VENV) var node_modules src/kontor/web/build
