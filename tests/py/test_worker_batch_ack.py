"""Batch acknowledgement: the jobs of a handler marked `acked_by_worker` are archived by the worker,
a read's whole batch in one statement sent with its next read (one transaction, one WAL flush per
batch); a job whose acknowledgement never happened (the worker died) runs again; a failed job is
never acknowledged as done."""

from __future__ import annotations

import threading
import time

from glue import tasks
from glue.worker import Worker

KILL_APP_SESSIONS = (
    "select count(pg_catalog.pg_terminate_backend(pid)) as n from pg_catalog.pg_stat_activity"
    " where application_name = 'partnerseq' and pid <> pg_catalog.pg_backend_pid()"
)


def _queue(sql, name: str, jobs: int, vt: int = 60) -> list[int]:
    sql("insert into queue.queues (queue_name, visibility_timeout_seconds) values (%s, %s)", name, vt)
    return [sql("select queue.send(%s, %s::jsonb) as id", name, f'{{"i": {i}}}')[0]["id"] for i in range(jobs)]


def test_a_batch_of_finished_jobs_is_archived_in_one_transaction_with_the_next_read(app, sql):
    ids = _queue(sql, "acked", 10)
    seen = []

    @tasks.acked_by_worker
    def acked(ctx, msg_id, message):
        seen.append(msg_id)
        return "ok"

    worker = Worker(
        app, concurrency=2, batch=5, readers=1, scan_interval=0, monitoring_interval=0, handlers={"acked": acked}
    )
    assert worker.run(once=True) == 10
    assert sorted(seen) == ids  # each once
    rows = sql("select msg_id, outcome, read_ct, archived_at from queue.jobs_archive where queue_name = 'acked'")
    assert sorted(r["msg_id"] for r in rows) == ids
    assert {(r["outcome"], r["read_ct"]) for r in rows} == {("done", 1)}
    # archived_at is its transaction's start: two batches of 5, two acknowledging transactions
    assert len({r["archived_at"] for r in rows}) == 2
    assert sql("select count(*) as n from queue.jobs where queue_name = 'acked'")[0]["n"] == 0


def test_a_second_reader_reads_its_batch_while_the_first_batch_runs_within_the_concurrency(app, sql):
    ids = _queue(sql, "acked", 12)
    seen, in_hand, running, peak = [], [], [0], [0]
    lock = threading.Lock()

    @tasks.acked_by_worker
    def acked(ctx, msg_id, message):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        if not in_hand:  # the first job: the other reader takes its batch meanwhile
            deadline, n = time.monotonic() + 10, 0
            while n < 8 and time.monotonic() < deadline:
                time.sleep(0.02)
                n = sql("select count(*) as n from queue.jobs where queue_name = 'acked' and read_ct > 0")[0]["n"]
            in_hand.append(n)
        seen.append(msg_id)
        with lock:
            running[0] -= 1
        return "ok"

    worker = Worker(app, concurrency=1, batch=4, scan_interval=0, monitoring_interval=0, handlers={"acked": acked})
    assert worker.readers == 2  # the default: at least 2
    assert worker.run(once=True) == 12
    assert in_hand == [8]  # two batches read while one job ran ...
    assert peak == [1]  # ... and never more than `concurrency` jobs at once
    assert sorted(seen) == ids  # each once
    rows = sql("select outcome, read_ct from queue.jobs_archive where queue_name = 'acked'")
    assert rows == [{"outcome": "done", "read_ct": 1}] * 12
    assert sql("select count(*) as n from queue.jobs where queue_name = 'acked'")[0]["n"] == 0


def test_default_readers_stay_within_the_pool_beside_the_runners(app):
    pool_max = app.extensions["db"].pool.max_size
    assert pool_max == 10  # DB_POOL_MAX's default
    readers = {c: Worker(app, concurrency=c, handlers={}).readers for c in (1, 2, 4, 6, 8, 10)}
    assert readers == {1: 2, 2: 2, 4: 2, 6: 3, 8: 2, 10: 2}  # concurrency // 2, <= 10 - concurrency, >= 2
    assert Worker(app, concurrency=8, readers=5, handlers={}).readers == 5  # --readers decides


def test_a_job_finished_but_not_acknowledged_when_the_worker_died_runs_again_once(app, sql):
    (job_id,) = _queue(sql, "acked", 1, vt=1)
    runs = []

    @tasks.acked_by_worker
    def acked(ctx, msg_id, message):
        runs.append(msg_id)
        first.stop.set()  # after this batch the loop ends ...
        return "ok"

    first = Worker(app, concurrency=1, scan_interval=0, monitoring_interval=0, handlers={"acked": acked})
    first._flush_acks = lambda: None  # ... and the process dies before acknowledging it
    first.run()
    assert runs == [job_id]
    assert sql("select count(*) as n from queue.jobs_archive where msg_id = %s", job_id)[0]["n"] == 0
    time.sleep(1.2)  # its visibility timeout passes
    second = Worker(app, concurrency=1, scan_interval=0, monitoring_interval=0, handlers={"acked": acked})
    second_runs = second.run(once=True)
    assert second_runs == 1 and runs == [job_id, job_id]  # ran again (harmless by acked_by_worker's contract) ...
    (row,) = sql("select outcome, read_ct from queue.jobs_archive where msg_id = %s", job_id)
    assert row == {"outcome": "done", "read_ct": 2}  # ... and archived once


def test_acknowledgements_survive_a_lost_database_and_are_sent_when_it_is_back(app, sql):
    ids = _queue(sql, "acked", 2)
    runs = []

    @tasks.acked_by_worker
    def acked(ctx, msg_id, message):
        runs.append(msg_id)
        if len(runs) == 1:
            assert sql(KILL_APP_SESSIONS)[0]["n"] >= 1  # the pooled connections die: the next read+ack fails
        return "ok"

    worker = Worker(
        app,
        concurrency=1,
        batch=1,
        scan_interval=0,
        monitoring_interval=0,
        handlers={"acked": acked},
        poll_interval=0.05,
    )
    thread = threading.Thread(target=worker.run)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if sql("select count(*) as n from queue.jobs where queue_name = 'acked'")[0]["n"] == 0:
                break
            time.sleep(0.05)
    finally:
        worker.stop.set()
        thread.join(timeout=30)
    assert sorted(runs) == ids  # each ran once: the first job's acknowledgement was kept and sent later
    rows = sql("select outcome, read_ct from queue.jobs_archive where queue_name = 'acked'")
    assert rows == [{"outcome": "done", "read_ct": 1}] * 2


def test_a_failed_job_of_a_worker_acked_handler_is_not_acknowledged_as_done(app, sql):
    sql("insert into queue.queues (queue_name, max_attempts) values ('acked', 3)")
    sql("select queue.send('acked', '{}'::jsonb)")

    @tasks.acked_by_worker
    def acked(ctx, msg_id, message):
        raise tasks.TaskError("no", retryable=False)

    Worker(app, concurrency=1, scan_interval=0, monitoring_interval=0, handlers={"acked": acked}).run(once=True)
    (row,) = sql("select outcome, last_error from queue.jobs_archive where queue_name = 'acked'")
    assert row == {"outcome": "dead", "last_error": "no"}


def test_archive_batch_archives_the_queued_ids_and_skips_the_others(sql):
    ids = _queue(sql, "acked", 3)
    other = _queue(sql, "other", 1)
    done = sql("select queue.archive_batch('acked', %s::bigint[]) as id", [ids[0], ids[2], other[0], 999_999])
    assert sorted(r["id"] for r in done) == [ids[0], ids[2]]  # another queue's job and an unknown id: skipped
    assert [r["msg_id"] for r in sql("select msg_id from queue.jobs where queue_name = 'acked'")] == [ids[1]]
    assert sql("select count(*) as n from queue.jobs where queue_name = 'other'")[0]["n"] == 1
