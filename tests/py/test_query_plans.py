"""Plans that must not depend on luck: the statements inside our functions, as auto_explain
(ANALYZE, BUFFERS) prints them, on data shaped like the bench runs that found them slow.

- `queue.read` after a vacuum of an empty queue and a burst of jobs: the planner's statistics
  say "empty", and a bitmap scan of every visible job plus a sort made each read O(queue)
  (250 ms and 377,000 buffers a read in the 1M-enrollment bench, issue 14).
- `monitor_awaiting_enrollment` with many steps: its rule (private.step_awaits_manual_enrollment)
  is a function with a search_path, which the planner never inlines, so the partial index
  `enrollment_steps_awaiting_idx` was unusable and the dashboard scanned every step (2.5 s at 1M).
"""

from __future__ import annotations

import psycopg
import pytest

from tests.py.conftest import direct_url


def _explain(conn: psycopg.Connection) -> list[str]:
    """From now on, every plan auto_explain logs on `conn` (nested statements included, with
    ANALYZE and BUFFERS), in the returned list: loading it does not touch plans already cached."""
    notices: list[str] = []
    conn.add_notice_handler(lambda d: notices.append(d.message_primary or ""))
    conn.execute("load 'auto_explain'")
    for setting in (
        "auto_explain.log_min_duration = 0",
        "auto_explain.log_analyze = on",
        "auto_explain.log_buffers = on",
        "auto_explain.log_nested_statements = on",
        "auto_explain.log_level = notice",
    ):
        conn.execute(f"set {setting}")
    return notices


def _plans(url: str, statement: str, params=()) -> list[str]:
    """Every plan auto_explain logs while `statement` runs on a new connection."""
    with psycopg.connect(direct_url(url), autocommit=True) as conn:
        notices = _explain(conn)
        conn.execute(statement, params).fetchall()
    return notices


@pytest.fixture
def url(fresh_db, migrated_template) -> str:
    return fresh_db(migrated_template)


def test_queue_read_walks_the_index_after_a_burst_into_an_analyzed_empty_queue(url):
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("insert into queue.jobs (queue_name, message) select 'email', '{}' from generate_series(1, 20000)")
        conn.execute("delete from queue.jobs")
        conn.execute("vacuum (analyze) queue.jobs")  # the statistics now say: no rows
        with conn.transaction():  # one enrollment import: every job with the same vt
            conn.execute(
                "insert into queue.jobs (queue_name, message)"
                " select 'partner_enrollment', jsonb_build_object('i', i) from generate_series(1, 5000) i"
            )
    plans = _plans(url, "select * from queue.read('partner_enrollment', 60, 50)")
    read = next(p for p in plans if "order by c.vt, c.msg_id" in p)
    assert "Index Scan using jobs_queue_vt_idx on jobs c" in read, read
    assert "Sort" not in read and "Bitmap" not in read, read
    # O(batch): the ordered scan stops after the 50 it takes, whatever the queue holds
    assert "rows=50 loops=1" in read.split("Index Scan using jobs_queue_vt_idx")[1].splitlines()[0], read


def test_queue_read_planned_on_an_empty_queue_takes_qty_jobs_from_a_burst(url):
    """A worker polls an empty queue (plpgsql caches the plan it makes then), then an import
    queues 2,000 jobs at once: the next read must take 50 of them, through the indexes. Before,
    the cached plan re-ran the limit-and-lock subquery once per row of a sequential scan, and one
    read of 50 took and hid about a thousand jobs."""
    with psycopg.connect(direct_url(url), autocommit=True) as conn:
        conn.execute("vacuum (analyze) queue.jobs")
        for _ in range(8):  # past plpgsql's five custom plans: the generic plan is cached
            assert conn.execute("select * from queue.read('email', 60, 50)").fetchall() == []
        with conn.transaction():
            conn.execute(
                "insert into queue.jobs (queue_name, message)"
                " select 'email', jsonb_build_object('i', i) from generate_series(1, 2000) i"
            )
        notices = _explain(conn)
        taken = conn.execute("select msg_id from queue.read('email', 60, 50)").fetchall()
        hidden = conn.execute("select count(*) from queue.jobs where vt > now()").fetchone()[0]
    assert len(taken) == 50 and hidden == 50
    read = next(p for p in notices if "order by c.vt, c.msg_id" in p)
    # the jobs it takes are joined by their key, not found by walking the queue
    assert "Seq Scan" not in read and "loops=2000" not in read and "Rows Removed by Join Filter" not in read, read


def test_queue_calls_by_id_planned_on_an_empty_queue_never_scan_the_queue(url):
    """archive, archive_batch, set_vt and fail find their jobs by id even when their plans were
    made while the queue was empty: never a sequential scan of the queue (before: one for each
    call, O(queue) for one job). archive_batch is planned for its ids and reads the primary key;
    the single-id calls keep a cached plan, which on an empty queue may prefer the vt index's
    entries for the queue (index only, no table rows) to the primary key until the next analyze."""
    with psycopg.connect(direct_url(url), autocommit=True) as conn:
        conn.execute("vacuum (analyze) queue.jobs")
        for _ in range(8):  # generic plans cached on the empty queue
            conn.execute("select count(*) from queue.archive_batch('email', array[1, 2, 3]::bigint[])")
            conn.execute("select queue.archive('email', 1), queue.set_vt('email', 1, 0)")
            conn.execute("select queue.fail('email', 1, 'boom', true)")
        conn.execute("insert into queue.jobs (queue_name, message) select 'email', '{}' from generate_series(1, 20000)")
        ids = [r[0] for r in conn.execute("select msg_id from queue.jobs order by msg_id limit 40").fetchall()]
        notices = _explain(conn)
        assert conn.execute("select count(*) from queue.archive_batch('email', %s)", (ids[:25],)).fetchone()[0] == 25
        assert conn.execute("select queue.archive('email', %s)", (ids[30],)).fetchone()[0] is True
        assert conn.execute("select queue.set_vt('email', %s, 0)", (ids[31],)).fetchone()[0] is True
        assert conn.execute("select queue.fail('email', %s, 'boom', true)", (ids[32],)).fetchone()[0] == "retry"
    plans = [p for p in notices if "queue.jobs j" in p]
    batch = next(p for p in plans if "archive_batch.msg_ids" in p)
    assert "Index Cond: (msg_id = ANY" in batch and "jobs_queue_vt_idx" not in batch, batch
    scans = [line.strip() for plan in plans for line in plan.splitlines() if "Scan" in line and " jobs j" in line]
    assert len(scans) >= 4 and not any("Seq Scan" in line for line in scans), scans


def test_awaiting_enrollment_reads_the_partial_index(fresh_db, seeded_template):
    url = fresh_db(seeded_template)
    with psycopg.connect(url, autocommit=True) as conn:
        program = conn.execute(
            "select g.id from public.programs g join public.program_partner_lms m on m.program_id = g.id"
            " group by g.id order by count(*) desc, g.id limit 1"
        ).fetchone()[0]
        conn.execute(
            "insert into auth.users (email) select 'plan-' || i || '@test.local' from generate_series(1, 4000) i"
        )
        conn.execute(
            "insert into public.enrollments (user_id, program_id)"
            " select id, %s from public.profiles where email like 'plan-%%'",
            (program,),
        )
        # most steps are done or linked, as in a real pipeline: the awaiting ones are few
        conn.execute(
            "update public.enrollment_steps set external_enrollment_id = 'ext-' || id"
            " where status = 'in_progress' and external_enrollment_id is null"
            " and enrollment_id in (select e.id from public.enrollments e join public.profiles p on p.id = e.user_id"
            " where p.email like 'plan-%%' and p.email not like 'plan-1_@%%')"
        )
        conn.execute("analyze")
    plans = _plans(url, "select * from private.monitor_awaiting_enrollment(100)")
    query = next(p for p in plans if "from public.enrollment_steps s" in p)
    assert "enrollment_steps_awaiting_idx" in query, query
    assert "Seq Scan on enrollment_steps" not in query, query
