"""Retention through the running system: the worker's periodic checks (run_periodic_checks, as
the service role through the app's connection, pooled or not) purge what is past its window in
private.settings, one bounded batch per scan, and keep the partner events a step still needs.
The rule itself is SQL's (private.purge_expired_data); tests/sql/070-retention.sql covers it."""

from __future__ import annotations

from glue.worker import Worker


def _old_events(sql, status: str, count: int, days: int = 200, prefix: str = "ret") -> None:
    sql(
        "insert into public.partner_events (provider_id, webhook_id, event_type, status, payload, received_at)"
        " select v.id, %s || '_' || n, 'course.completed', %s,"
        " jsonb_build_object('student', jsonb_build_object('email', 'old' || n || '@example.org')),"
        " now() - make_interval(days => %s)"
        " from public.partner_lms_providers v, generate_series(1, %s) n where v.slug = 'hsi'",
        f"{prefix}_{status}",
        status,
        days,
        count,
    )


def _scan_once(app) -> None:
    """One worker pass with its periodic checks due (no queue handlers: only the scan runs)."""
    Worker(app, concurrency=1, scan_interval=3600, monitoring_interval=0, handlers={}).run(once=True)


def _count(sql, prefix: str) -> int:
    rows = sql("select count(*)::integer as n from public.partner_events where webhook_id like %s", prefix + "%")
    return rows[0]["n"]


def test_the_worker_scan_purges_old_events_and_archived_jobs_but_keeps_waiting_events(app, sql):
    _old_events(sql, "processed", 3)
    _old_events(sql, "unmatched", 2)
    _old_events(sql, "processed", 2, days=10, prefix="recent")
    sql(
        "insert into queue.jobs_archive (msg_id, queue_name, message, enqueued_at, read_ct, outcome, archived_at)"
        " select -n, 'email', '{\"to\": \"old@example.org\"}', now() - interval '41 days', 1, 'done',"
        " now() - interval '40 days' from generate_series(1, 4) n"
    )
    _scan_once(app)
    assert _count(sql, "ret_processed_") == 0, "old applied events are purged"
    assert _count(sql, "ret_unmatched_") == 2, "events waiting for a step are kept"
    assert _count(sql, "recent_processed_") == 2, "events inside the window are kept"
    assert sql("select count(*)::integer as n from queue.jobs_archive where msg_id < 0")[0]["n"] == 0


def test_each_scan_purges_at_most_one_batch_from_the_settings(app, sql):
    sql("update private.settings set purge_batch_rows = 3")
    _old_events(sql, "ignored", 8)
    _scan_once(app)
    assert _count(sql, "ret_ignored_") == 5
    _scan_once(app)
    assert _count(sql, "ret_ignored_") == 2


def test_the_windows_are_read_from_the_settings(app, sql):
    _old_events(sql, "processed", 2, days=20)
    _scan_once(app)
    assert _count(sql, "ret_processed_") == 2, "20 days is inside the default 180"
    sql("update private.settings set partner_event_retention_days = 14")
    _scan_once(app)
    assert _count(sql, "ret_processed_") == 0


def test_the_admin_dashboard_shows_table_sizes_and_retention_windows(client, sql):
    from tests.py.test_admin_dashboard import ADMIN, bearer

    sql("update private.settings set partner_event_retention_days = 90, queue_archive_retention_days = 14")
    sql("analyze public.partner_events")
    page = client.get("/admin/dashboard", headers=bearer(ADMIN)).get_data(as_text=True)
    assert 'data-setting="partner_event_retention_days">90<' in page
    assert 'data-setting="queue_archive_retention_days">14<' in page
    estimate = sql("select reltuples::bigint as n from pg_class where oid = 'public.partner_events'::regclass")[0]["n"]
    row = page.split('data-table="public.partner_events">', 1)[1].split("</tr>", 1)[0]
    assert f'<td class="num">{estimate}</td>' in row
    assert 'data-table="queue.jobs_archive">' in page


def test_the_worker_scan_purges_expired_sign_outs_and_logs_what_it_removed(app, sql, caplog):
    import logging

    sql(
        "insert into private.signed_out_sessions (session_key, user_id, expires_at)"
        " select 'sos_' || n, gen_random_uuid(), now() + (n - 2.5) * interval '1 hour' from generate_series(1, 4) n"
    )
    _old_events(sql, "processed", 2)
    with caplog.at_level(logging.INFO, logger="glue.worker"):
        _scan_once(app)
    left = [r["session_key"] for r in sql("select session_key from private.signed_out_sessions order by 1")]
    assert left == ["sos_3", "sos_4"], "expired sign-outs are purged, those whose token is still valid are kept"
    lines = [r.getMessage() for r in caplog.records if "retention purge" in r.getMessage()]
    assert lines == ["retention purge removed 2 partner_events, 2 signed_out_sessions"]
