"""Profiling: unused indexes, auto_explain of the monitoring functions, pg_stat_statements of the webhook."""

from __future__ import annotations

import json
import re
import uuid

from .harness import (
    connect,
    statements_table,
)
from .p3 import MONITORING_QUERIES


def index_usage(url: str) -> str:
    """Indexes of the schema that no statement of the whole run used (P1-P5, the dashboard)."""
    with connect(url) as conn:
        rows = conn.execute(
            "select i.schemaname || '.' || i.indexrelname, pg_size_pretty(pg_relation_size(i.indexrelid))"
            " from pg_stat_user_indexes i join pg_index x on x.indexrelid = i.indexrelid"
            " where i.schemaname in ('public', 'queue', 'private') and i.idx_scan = 0"
            " and not x.indisunique order by pg_relation_size(i.indexrelid) desc"
        ).fetchall()
    if not rows:
        return "Every non-unique index was used during the run.\n"
    listed = ", ".join(f"`{name}` ({size})" for name, size in rows)
    return f"Non-unique indexes no statement used during the whole run (each still costs every write): {listed}.\n"


def profile_monitoring(url: str) -> dict[str, str]:
    """auto_explain's plan (with ANALYZE and BUFFERS) of every statement run inside each
    monitoring function, collected as NOTICEs."""
    import psycopg

    plans: dict[str, str] = {}
    with connect(url) as conn:
        notices: list[str] = []
        conn.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
        conn.execute("load 'auto_explain'")
        for setting, value in (
            ("auto_explain.log_min_duration", "0"),
            ("auto_explain.log_analyze", "on"),
            ("auto_explain.log_buffers", "on"),
            ("auto_explain.log_timing", "on"),
            ("auto_explain.log_nested_statements", "on"),
            ("auto_explain.log_level", "notice"),
            ("client_min_messages", "notice"),
        ):
            conn.execute(f"set {setting} = '{value}'")
        for name, sql in MONITORING_QUERIES:
            notices.clear()
            try:
                conn.execute(sql).fetchall()
            except psycopg.Error as exc:
                plans[name] = f"error: {exc}"
                continue

            def duration(notice: str) -> float:
                m = re.match(r"duration: ([0-9.]+) ms", notice)
                return float(m.group(1)) if m else 0.0

            nested = [n for n in notices if "Query Text: select * from public.monitor_" not in n and duration(n) >= 0.1]
            plans[name] = "\n\n".join(nested or notices)
    return plans


def profile_webhook_sql(url: str, steps: list[tuple[str, str, str]]) -> str:
    """pg_stat_statements (track = all, this session only) over `len(steps)` receive_partner_event
    calls: the statements inside the webhook's transaction, by total time."""
    with connect(url) as conn:
        conn.execute("set pg_stat_statements.track = 'all'")
        conn.execute("select pg_stat_statements_reset()")
        for _step_id, ext, slug in steps:
            body = json.dumps({"type": "course.completed", "data": {"external_enrollment_id": ext}})
            conn.execute(
                "select public.receive_partner_event(%s, %s, %s)", (slug, f"msg_prof_{uuid.uuid4().hex}", body)
            )
        return statements_table(
            conn,
            f"Statements inside {len(steps)} `receive_partner_event` calls at the large size"
            " (pg_stat_statements, track = all), by total time:",
        )
