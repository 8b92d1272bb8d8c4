"""Interleavings that could lose an event, forced deterministically: one transaction is held
open at the critical point while the other runs, then released."""

from __future__ import annotations

import json
import threading
import time

import psycopg

from tests.py.conftest import new_student


def _completion(ext: str) -> str:
    return json.dumps({"type": "course.completed", "data": {"external_enrollment_id": ext}})


def _waiting_or_done(monitor: psycopg.Connection, pid: int, done: threading.Event, timeout: float = 10) -> str:
    """Wait until backend `pid` blocks on a lock or its work finishes; say which."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done.is_set():
            return "finished"
        row = monitor.execute("select wait_event_type from pg_stat_activity where pid = %s", (pid,)).fetchone()
        if row and row[0] == "Lock":
            return "blocked"
        time.sleep(0.01)
    raise TimeoutError("neither blocked nor finished")


def _race(db_url: str, first_sql: str, first_params: tuple, second_ext: str) -> tuple[str, str]:
    """Run `first_sql` in an open transaction, then deliver a completion for `second_ext` from
    another connection, then commit the first. Returns (how the second behaved, its status)."""
    holder = psycopg.connect(db_url)
    second = psycopg.connect(db_url, autocommit=True)
    monitor = psycopg.connect(db_url, autocommit=True)
    done, result = threading.Event(), {}
    try:
        holder.execute(first_sql, first_params)  # transaction left open
        pid = second.info.backend_pid

        def deliver():
            row = second.execute(
                "select public.receive_partner_event('hsi', %s, %s)", (f"msg-{second_ext}", _completion(second_ext))
            ).fetchone()
            result["status"] = row[0]["status"]
            done.set()

        thread = threading.Thread(target=deliver)
        thread.start()
        behaviour = _waiting_or_done(monitor, pid, done)
        holder.commit()
        thread.join(timeout=10)
        return behaviour, result["status"]
    finally:
        for conn in (holder, second, monitor):
            conn.close()


def test_a_completion_arriving_while_its_link_is_being_committed_is_applied(db_url, sql):
    s = new_student(sql, "cna")
    behaviour, status = _race(
        db_url, "select public.admin_link_step(%s, 'HSI-R1', 'entered by hand')", (s["steps"][0],), "HSI-R1"
    )
    assert behaviour == "blocked", "the completion should wait for the link being written"
    assert status == "processed"
    assert sql("select status from public.enrollment_steps where id = %s", s["steps"][0]) == [{"status": "completed"}]


def test_a_completion_arriving_while_a_retry_is_being_committed_is_applied(db_url, sql):
    s = new_student(sql, "cna")
    sql("update public.enrollment_steps set external_enrollment_id = 'HSI-R2' where id = %s", s["steps"][0])
    sql("select public.admin_fail_step(%s, 'partner API down')", s["steps"][0])
    behaviour, status = _race(
        db_url, "select public.admin_retry_step(%s, 'partner is back')", (s["steps"][0],), "HSI-R2"
    )
    assert behaviour == "blocked"
    assert status == "processed"
    assert sql("select status from public.enrollment_steps where id = %s", s["steps"][0]) == [{"status": "completed"}]


def test_a_link_written_while_an_unmatched_completion_is_being_committed_applies_it(db_url, sql):
    """The other order: the completion is stored as unmatched first (uncommitted), then the link."""
    s = new_student(sql, "cna")
    holder = psycopg.connect(db_url)
    try:
        status = holder.execute(
            "select public.receive_partner_event('hsi', 'msg-r3', %s)", (_completion("HSI-R3"),)
        ).fetchone()[0]["status"]
        assert status == "unmatched"
        done = threading.Event()
        linker = psycopg.connect(db_url, autocommit=True)
        monitor = psycopg.connect(db_url, autocommit=True)

        def link():
            linker.execute("select public.admin_link_step(%s, 'HSI-R3', 'entered by hand')", (s["steps"][0],))
            done.set()

        thread = threading.Thread(target=link)
        thread.start()
        behaviour = _waiting_or_done(monitor, linker.info.backend_pid, done)
        holder.commit()
        thread.join(timeout=10)
        linker.close()
        monitor.close()
        assert behaviour == "blocked", "the link should wait for the completion being stored"
        assert done.is_set()
    finally:
        holder.close()
    assert sql("select status from public.enrollment_steps where id = %s", s["steps"][0]) == [{"status": "completed"}]
    assert sql("select status from public.partner_events") == [{"status": "processed"}]
