"""A database that goes away under the worker (a restart, a failover): the jobs it interrupted come
back as soon as the database answers again — not after their visibility timeout — with no attempt
counted against them, and the worker reconnects with backoff instead of dying."""

from __future__ import annotations

import threading
import time

from glue.worker import Worker

KILL_APP_SESSIONS = (
    "select count(pg_catalog.pg_terminate_backend(pid)) as n from pg_catalog.pg_stat_activity"
    " where application_name = 'partnerseq' and pid <> pg_catalog.pg_backend_pid()"
)


def test_a_job_cut_short_by_a_lost_database_is_given_back_at_once_and_runs_again(app, sql):
    sql("insert into queue.queues (queue_name, visibility_timeout_seconds) values ('fragile', 120)")
    (job,) = sql("select queue.send('fragile', '{}'::jsonb) as msg_id")
    runs: list[float] = []

    def fragile(ctx, msg_id, message):
        runs.append(time.monotonic())
        if len(runs) == 1:
            assert sql(KILL_APP_SESSIONS)[0]["n"] >= 1  # every session of the app dies, as in a restart
            ctx.call("get_partner_slugs")  # ... under this job's feet
        sql("select queue.archive('fragile', %s)", msg_id)
        return "done"

    worker = Worker(app, concurrency=2, scan_interval=0, monitoring_interval=0, handlers={"fragile": fragile})
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while len(runs) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop.set()
        thread.join(timeout=30)
    assert len(runs) == 2, "the interrupted job did not run again within 20 s (its visibility timeout is 120 s)"
    assert runs[1] - runs[0] < 10
    (row,) = sql("select read_ct, last_error, outcome from queue.jobs_archive where msg_id = %s", job["msg_id"])
    assert row == {"read_ct": 2, "last_error": None, "outcome": "done"}  # read twice, never failed
    assert sql("select count(*) as n from queue.jobs where msg_id = %s", job["msg_id"])[0]["n"] == 0


def test_after_a_lost_database_one_failed_call_clears_every_stale_pooled_connection(app, sql):
    """A restart leaves every idle pooled connection dead. Without a check, each later call drew
    the next dead one (the worker backing off 0.5, 1, 2, 4, 8, 8 s... between them: over a minute
    with a full pool before it worked again, seen in the chaos run). One failure is enough."""
    import pytest

    from glue.db import DatabaseUnavailable

    db = app.extensions["db"]
    held = threading.Barrier(4)

    def hold() -> None:
        with db.service():
            held.wait(timeout=10)  # four connections open at once: the pool keeps them

    threads = [threading.Thread(target=hold) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=20)
    assert sql(KILL_APP_SESSIONS)[0]["n"] >= 4  # every session of the app dies, as in a restart
    with pytest.raises(DatabaseUnavailable):
        db.query("select 1 as x")
    assert db.query("select 1 as x") == [{"x": 1}], "the next call must not draw another dead connection"
    assert db.query("select 2 as x") == [{"x": 2}]
