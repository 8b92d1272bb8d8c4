# The project's commands. Each installs what this machine lacks first (scripts/bootstrap).
SHELL := /bin/bash
PY := .venv/bin/python
MIGRATIONS := $(wildcard supabase/migrations/*.sql)

.PHONY: help setup setup-test run serve test test-browser lint format migrate seed rollback bench bench-quick bench-deps chaos clean

help: ## list the commands
	@awk -F':.*## ' '/^[a-z-]+:.*## / { printf "  %-12s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

setup: ## install what is missing (PostgreSQL 15, pgTAP, pg_prove, .venv)
	@scripts/bootstrap

setup-test: ## setup, plus Debian's chromium for the browser tests
	@scripts/bootstrap --browser

run: setup ## run the whole loop locally (embedded PostgreSQL unless DATABASE_URL is set)
	@$(PY) -m devtools.run

serve: setup ## production serving: gunicorn on 127.0.0.1:8001 behind nginx on :8000 (scripts/serve)
	@scripts/serve

# the suites run a second time through PgBouncer in transaction mode (as Supabase's pooler), the
# app logging in as a role without superuser powers
POOLED_SUITES := tests/py/test_webhooks.py tests/py/test_automation.py tests/py/test_student_progress.py \
	tests/py/test_admin_dashboard.py tests/py/test_pages_certificates.py tests/py/test_replay_cli.py \
	tests/py/test_migrations.py tests/py/test_credentials.py tests/py/test_credentials_waived_steps.py \
	tests/py/test_admin_lists.py tests/py/test_admin_student.py tests/py/test_worker_batch_ack.py

test: setup-test lint ## run every test (pgTAP, pytest, browser), then the app's suites again through PgBouncer
	@$(PY) -m pytest $(PYTEST_ARGS)
	@echo "pooled pass: the webhook, worker, pages and migration suites through PgBouncer (pool_mode=transaction)"
	@$(PY) -m pytest --pooled $(POOLED_SUITES) $(PYTEST_ARGS)

test-browser: setup-test ## the browser tests (chromium); screenshots of every page at 360 and 1280 px in test-artifacts/screenshots/
	@$(PY) -m pytest tests/py/test_browser_*.py $(PYTEST_ARGS)
	@echo "screenshots: $$(ls test-artifacts/screenshots/*.png | wc -l) in test-artifacts/screenshots/ (pages: tests/py/screenshot_pages.py)"

lint: setup ## ruff + squawk (migration linter)
	@$(PY) -m ruff check glue devtools tests scripts docs/examples
	@$(PY) -m ruff format --check glue devtools tests scripts docs/examples
	@.venv/bin/squawk --config .squawk.toml $(MIGRATIONS)

format: setup ## apply ruff's formatting and safe fixes
	@$(PY) -m ruff check --fix glue devtools tests scripts docs/examples
	@$(PY) -m ruff format glue devtools tests scripts docs/examples

migrate: setup ## apply pending migrations to DATABASE_URL
	@$(PY) -m glue.migrate up

seed: setup ## load supabase/seed.sql into DATABASE_URL (idempotent)
	@$(PY) -m glue.migrate seed

rollback: setup ## remove the whole feature set from DATABASE_URL (supabase/rollback.sql)
	@$(PY) -m glue.migrate rollback

bench: setup bench-deps ## benchmarks at 1M enrollments, ratios vs same-run baselines and peers
	@scripts/bench $(BENCH_ARGS)

bench-quick: setup bench-deps ## the same lines at 30k enrollments, short runs (at most 3 minutes)
	@scripts/bench --quick $(BENCH_ARGS)

bench-deps: # the worker's peers (pgqueuer, procrastinate) and py-spy: the `bench` extra, not for `make test`
	@$(PY) -c 'import pgqueuer, procrastinate, asyncpg' 2>/dev/null || $(PY) -m pip install -q -e '.[bench]'

chaos: setup ## chaos run: ~5,000 signed deliveries while PostgreSQL restarts and processes are kill -9'd (CHAOS_ARGS)
	@scripts/chaos $(CHAOS_ARGS)

clean: ## remove the virtualenv and the embedded cluster's data
	rm -rf .venv .pgdata .run
