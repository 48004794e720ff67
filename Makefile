# The two commands: `make run` (app with demo data on http://127.0.0.1:8000) and `make test`.
SHELL := /bin/bash
UV = $(shell .ci/ensure-system $(SYSTEM_FLAGS) | tail -n 1)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help setup run test lint bench

help:  ## List the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-6s %s\n", $$1, $$2}'

setup:  ## Install uv, system libraries, the locked Python and npm dependencies; compile translations
	@$(UV) sync --frozen --quiet
	@npm ci --no-audit --no-fund --silent
	@$(UV) run python manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0

run: setup  ## Migrate, load the demo program and serve it (plus a worker when a broker is set)
	@$(UV) run python manage.py migrate --no-input -v 0
	@$(UV) run python manage.py load_demo
	@trap 'kill 0' EXIT; \
	if [ -n "$$CELERY_BROKER_URL" ]; then \
		$(UV) run celery -A openai_countries worker --loglevel info --queues default,reports & \
	fi; \
	DEBUG=$${DEBUG:-true} $(UV) run python manage.py runserver $(HOST):$(PORT)

test: SYSTEM_FLAGS = --browser
test: setup  ## Run the whole test suite, browser tests included (SQLite by default; set DATABASE_URL for PostgreSQL)
	@$(UV) run pytest

lint: setup  ## ruff (lint + format), mypy, Django checks, migrations up to date, OpenAPI schema
	@$(UV) run ruff check .
	@$(UV) run ruff format --check .
	@$(UV) run mypy .
	@$(UV) run python manage.py check
	@$(UV) run python manage.py makemigrations --check --dry-run
	@$(UV) run python manage.py spectacular --validate --fail-on-warn --file /dev/null

bench: SYSTEM_FLAGS = --bench
bench: setup  ## Benchmarks (print figures; see bench/README.md)
	@$(UV) run python -m bench $(BENCH_ARGS)
