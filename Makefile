# Clearinghouse: every target here is what CI runs. `make help` lists them.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
LOCALE := src/clearinghouse/web/locale

.DEFAULT_GOAL := help

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements/dev.lock requirements/bench.txt
	$(PY) -c 'import sys; sys.exit("Python 3.11+ is required") if sys.version_info < (3, 11) else None'
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements/dev.lock
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements/bench.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP) ## create .venv with the project and its pinned dependencies

demo: install ## migrate ./var/clearinghouse.db, load the Log4Shell replay, serve on 127.0.0.1:8000
	mkdir -p var
	$(BIN)/clearinghouse db upgrade
	$(BIN)/clearinghouse demo load
	$(BIN)/clearinghouse serve --host $(HOST) --port $(PORT)

AXE := tools/axe/node_modules/axe-core/axe.min.js

$(AXE): tools/axe/package.json tools/axe/package-lock.json
	cd tools/axe && npm ci --no-audit --no-fund
	touch $(AXE)

browser-tools: $(AXE) ## install axe-core (npm, pinned in tools/axe) for the browser suite's accessibility checks

# One pytest worker per core (pytest-xdist), whole files to a worker so that each file's
# server and replay fixtures start once; PYTEST_WORKERS=0 runs in this process.
PYTEST_WORKERS ?= auto

test: install browser-tools ## run the whole suite on every core (PostgreSQL too when CLEARINGHOUSE_TEST_POSTGRES_URL is set)
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: install ## ruff and mypy
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: install ## apply ruff's formatting and safe fixes
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: install ## run the benchmarks in bench/ (prints tables; not part of make test)
	$(BIN)/python -m bench

messages: install ## extract the pages' messages into web/locale/messages.pot and update each catalogue (docs/web.md)
	$(BIN)/pybabel extract -F babel.cfg -k N_ --add-location=file --sort-by-file --omit-header -o $(LOCALE)/messages.pot .
	$(BIN)/pybabel update -i $(LOCALE)/messages.pot -d $(LOCALE) -D messages -l zh_Hans --no-fuzzy-matching --ignore-obsolete

lock: ## re-pin requirements/dev.lock from pyproject.toml (hashes included)
	$(BIN)/pip-compile --quiet --generate-hashes --extra dev --strip-extras -o requirements/dev.lock pyproject.toml

clean: ## remove the virtualenv and local state
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

.PHONY: help install demo test lint format bench lock clean messages browser-tools
