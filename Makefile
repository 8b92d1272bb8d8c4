# The project's commands. Each installs what this machine lacks first (scripts/bootstrap).
SHELL := /bin/bash
PY := .venv/bin/python
MIGRATIONS := $(wildcard supabase/migrations/*.sql)

.PHONY: help setup run test test-sql test-py lint format migrate seed rollback clean

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

setup: ## install what is missing (PostgreSQL 15, pgTAP, pg_prove, .venv)
	@scripts/bootstrap

run: setup ## run the whole loop locally (embedded PostgreSQL unless DATABASE_URL is set)
	@$(PY) -m glue.run

test: setup lint ## run every test (pgTAP via pg_prove, pytest) against real PostgreSQL
	@$(PY) -m pytest $(PYTEST_ARGS)

lint: setup ## ruff + squawk (migration linter)
	@$(PY) -m ruff check glue tests scripts docs/examples
	@$(PY) -m ruff format --check glue tests scripts docs/examples
	@.venv/bin/squawk --config .squawk.toml $(MIGRATIONS)

format: setup ## apply ruff's formatting and safe fixes
	@$(PY) -m ruff check --fix glue tests scripts docs/examples
	@$(PY) -m ruff format glue tests scripts docs/examples

migrate: setup ## apply pending migrations to DATABASE_URL
	@$(PY) -m glue.migrate up

seed: setup ## load supabase/seed.sql into DATABASE_URL (idempotent)
	@$(PY) -m glue.migrate seed

rollback: setup ## remove the whole feature set from DATABASE_URL (supabase/rollback.sql)
	@$(PY) -m glue.migrate rollback

clean: ## remove the virtualenv and the embedded cluster's data
	rm -rf .venv .pgdata .run
