"""PostgreSQL's limits on every transaction of the app (statement, lock, idle in transaction):
a held row lock or a runaway statement answers 503 with Retry-After in about the limit, instead of
holding a web thread for as long as the lock lasts, and loses nothing."""

from __future__ import annotations

import time

import psycopg
import pytest

from glue import create_app
from glue.config import TestConfig
from glue.db import Database, DatabaseUnavailable
from glue.worker import run_worker
from tests.py.conftest import SECRETS, direct_url, event, new_student, sign, webhook_secrets


@pytest.fixture
def quick_app(db_url):
    """The app with a 300 ms lock limit (the default is 2 s)."""
    application = create_app(
        TestConfig(DATABASE_URL=db_url, DB_LOCK_TIMEOUT="300ms", PARTNER_WEBHOOK_SECRETS=webhook_secrets())
    )
    yield application
    application.extensions["db"].close()


def test_a_webhook_waiting_on_a_held_row_lock_answers_503_quickly_and_the_retry_applies_it(quick_app, sql, db_url):
    s = new_student(sql, "cpr-first-aid")
    sql("update public.enrollment_steps set external_enrollment_id = 'HSI-LOCK' where id = %s", s["steps"][0])
    body = event("course.completed", external_enrollment_id="HSI-LOCK")
    headers = sign(body, SECRETS["hsi"], msg_id="msg_lock_1")
    client = quick_app.test_client()
    with psycopg.connect(direct_url(db_url)) as holder:  # a DBA's open transaction holding the step
        holder.execute("set idle_in_transaction_session_timeout = '5s'")  # without a limit this test would hang
        holder.execute("select 1 from public.enrollment_steps where id = %s for update", (s["steps"][0],))
        started = time.monotonic()
        r = client.post("/api/webhooks/partners/hsi", data=body, headers=headers)
        took = time.monotonic() - started
        assert r.status_code == 503
        assert r.headers["Retry-After"]
        assert took < 2.0, f"the webhook waited {took:.1f} s for the lock"
        holder.rollback()
    assert sql("select count(*) as n from public.partner_events")[0]["n"] == 0  # nothing half-stored
    r = client.post("/api/webhooks/partners/hsi", data=body, headers=headers)  # the partner retries
    assert (r.status_code, r.get_json()["status"]) == (200, "processed")
    assert sql("select status from public.enrollment_steps where id = %s", s["steps"][0])[0]["status"] == "completed"


def test_a_statement_over_the_limit_is_cancelled(db_url):
    db = Database(db_url, statement_timeout="200ms")
    try:
        started = time.monotonic()
        with pytest.raises(DatabaseUnavailable):
            db.query("select pg_catalog.pg_sleep(3)")
        assert time.monotonic() - started < 2.0
        assert db.query("select 1 as one") == [{"one": 1}]  # the pool carries on
    finally:
        db.close()


def test_a_transaction_left_idle_is_ended_by_the_server(db_url):
    db = Database(db_url, idle_in_transaction_timeout="300ms")
    try:
        with pytest.raises(psycopg.errors.IdleInTransactionSessionTimeout), db.service() as conn:
            conn.execute("select 1")
            time.sleep(1.0)
            conn.execute("select 1")
        assert db.query("select 1 as one") == [{"one": 1}]
    finally:
        db.close()


def test_the_limits_hold_inside_every_transaction_and_nowhere_else(db_url):
    db = Database(db_url, statement_timeout="4s", lock_timeout="1500ms", idle_in_transaction_timeout="9s")
    try:
        inside = db.query(
            "select current_setting('statement_timeout') as st, current_setting('lock_timeout') as lt,"
            " current_setting('idle_in_transaction_session_timeout') as it"
        )[0]
        assert inside == {"st": "4s", "lt": "1500ms", "it": "9s"}
        with db._connection() as conn:  # the same pooled session outside those transactions: untouched
            outside = conn.execute("select current_setting('lock_timeout') as lt").fetchone()
        assert outside == {"lt": "0"}
    finally:
        db.close()


@pytest.mark.parametrize("value", ["5 s", "5s; drop table x", "", "five"])
def test_a_malformed_limit_is_refused_at_start_up(db_url, value):
    with pytest.raises(ValueError, match="statement_timeout"):
        Database(db_url, statement_timeout=value)


def test_the_worker_process_allows_longer_statements_than_the_web_app(db_url):
    app = create_app(TestConfig(DATABASE_URL=db_url, WORKER_STATEMENT_TIMEOUT="90s"))
    try:
        db = app.extensions["db"]
        assert "set_config('statement_timeout', '5s', true)" in db.service_setup
        run_worker(app, once=True)
        assert db.query("select current_setting('statement_timeout') as st")[0]["st"] == "90s"
    finally:
        app.extensions["db"].close()
