"""The automation worker: drains the outbox queues (schema `queue`) that the state machine fills.

    flask --app glue worker [--concurrency 8] [--readers 4] [--batch 20] [--scan-interval 300] [--once]

Each queue's jobs go to the handler registered for it (glue/tasks/<queue>.py, see glue.tasks):
the queues are the ones `queue.list_queues()` lists, read at start and every minute; a queue
with no registered handler is logged (and its jobs left alone) rather than failed.

A failed attempt calls `queue.fail`, which retries with jittered exponential backoff or, after
the queue's max attempts, dead-letters the job (for a partner enrollment: step failed + admin
alert). Several workers can run at once: `queue.read` hands each job to one reader
(`for update skip locked`). A worker process has `readers` reader loops (default: concurrency // 2,
at most the pool's connections beyond `concurrency`, at least 2), each reading its own batches:
a read's batch is shared by min(concurrency / readers, batch) runner threads, each taking the next
job when free, and every job runs in one of the worker's `concurrency` slots; so a reader reads
(and acknowledges) its next batch while the other readers' jobs run, and their commits overlap (as
separate workers' do). The
jobs of a handler marked `acked_by_worker` are archived by the worker, the finished ones in one
statement sent with the queue's next read by any reader (one commit per batch, not per job;
glue.tasks.acked_by_worker says what such a handler must allow). An idle
worker polls every 250 ms (not LISTEN/NOTIFY: a notifying transaction serializes every commit in
the cluster, which would cap the webhook rate),
finishes its jobs on SIGTERM and gives back the ones it has not started; a job whose worker was
killed becomes visible again after its visibility timeout. It also runs
`run_periodic_checks()` (stuck nudges, SLA alerts) every `--scan-interval` seconds and
`refresh_monitoring()` (the dashboard's snapshot) every `--monitoring-interval` seconds.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg

from .db import Database, DatabaseUnavailable
from .rpc import QueueRpc
from .tasks import Handler, TaskContext, TaskError, is_acked_by_worker, registry

log = logging.getLogger("glue.worker")
RECONNECT_FIRST, RECONNECT_MAX = 0.5, 8.0  # seconds: backoff while the database is unreachable
QUEUES_INTERVAL = 60.0  # seconds between reads of the queue list (a queue created meanwhile is drained after)


class Worker:
    """One worker process: `readers` reader loops feeding a thread pool of `concurrency` threads."""

    def __init__(
        self,
        app,
        concurrency: int = 8,
        batch: int = 20,
        scan_interval: float = 300.0,
        poll_interval: float = 0.25,
        monitoring_interval: float = 30.0,
        handlers: dict[str, Handler] | None = None,
        readers: int | None = None,
    ):
        self.app = app
        self.monitoring_interval = monitoring_interval
        self.db: Database = app.extensions["db"]
        self.queue = QueueRpc(self.db)
        self.concurrency = concurrency
        if readers is None:  # concurrency // 2, within the connections the pool has beside the runners'
            pool_max = getattr(getattr(self.db, "pool", None), "max_size", None)
            readers = concurrency // 2 if pool_max is None else min(concurrency // 2, pool_max - concurrency)
            readers = max(2, readers)
        self.readers = max(1, readers)
        # each reader's runner threads; a job runs holding one of `concurrency` slots, so a reader
        # can read (and acknowledge) its next batch while the others' jobs run, never exceeding it
        self.share = -(-concurrency // self.readers)
        self._slots = threading.Semaphore(concurrency)
        self.batch = batch
        self.scan_interval = scan_interval
        self.poll_interval = poll_interval
        self.handlers = registry() if handlers is None else handlers
        self.context = TaskContext(app)
        self.stop = threading.Event()
        self.processed = 0
        self._processed_lock = threading.Lock()
        self.queues: dict[str, int] = {}  # queue name -> visibility timeout (s), the handled ones
        # jobs cut short by a lost database (not their fault): given back as soon as it answers again,
        # instead of waiting out their visibility timeout
        self._orphans: set[tuple[str, int]] = set()
        self._orphans_lock = threading.Lock()
        self._unhandled: set[str] = set()
        # ids of finished jobs of `acked_by_worker` handlers, per queue: archived with the queue's
        # next read (one statement, one commit per batch), or by _flush_acks before stopping
        self._acks: dict[str, list[int]] = {}
        self._acks_lock = threading.Lock()
        self._crashed: BaseException | None = None  # what stopped another reader loop (raised by run())

    # --- the loop -------------------------------------------------------------------------

    def run(self, once: bool = False) -> int:
        """Work until stopped (or, with once=True, until every queue is empty). Returns the
        number of jobs handled."""
        next_scan = time.monotonic() if self.scan_interval > 0 else float("inf")
        next_refresh = time.monotonic() if self.monitoring_interval > 0 else float("inf")
        next_queues = time.monotonic()
        backoff = RECONNECT_FIRST
        others: list[threading.Thread] = []  # the readers other than this thread's, started with the queue list
        with ThreadPoolExecutor(max_workers=self.share * self.readers, thread_name_prefix="job") as pool:
            while not self.stop.is_set():
                try:
                    self._release_orphans()
                    if time.monotonic() >= next_queues:
                        self._read_queues()
                        next_queues = time.monotonic() + QUEUES_INTERVAL
                        if not others and self.readers > 1:
                            others = [
                                threading.Thread(
                                    target=self._reader, args=(pool, once), name=f"reader-{i}", daemon=True
                                )
                                for i in range(1, self.readers)
                            ]
                            for thread in others:
                                thread.start()
                    if time.monotonic() >= next_refresh:
                        self._refresh_monitoring()
                        next_refresh = time.monotonic() + self.monitoring_interval
                    if time.monotonic() >= next_scan:
                        self._periodic()
                        next_scan = time.monotonic() + self.scan_interval
                    handled = sum(self._drain_once(pool, queue, vt) for queue, vt in self.queues.items())
                except (DatabaseUnavailable, psycopg.OperationalError) as exc:
                    log.warning("database unavailable (%s); reconnecting in %.1f s", exc, backoff)
                    self.stop.wait(backoff)
                    backoff = min(backoff * 2, RECONNECT_MAX)
                    continue
                backoff = RECONNECT_FIRST
                if handled:
                    continue
                if once:
                    break
                self.stop.wait(self.poll_interval)
            for thread in others:
                thread.join()
            self._flush_acks()
        if self._crashed is not None:
            raise self._crashed
        return self.processed

    def _reader(self, pool: ThreadPoolExecutor, once: bool) -> None:
        """One more reader loop (the first is run()'s own, which also does the periodic work): reads
        and runs batches until stopped (with once, until its read finds nothing)."""
        backoff = RECONNECT_FIRST
        while not self.stop.is_set():
            try:
                handled = sum(self._drain_once(pool, queue, vt) for queue, vt in list(self.queues.items()))
            except (DatabaseUnavailable, psycopg.OperationalError) as exc:
                log.warning("database unavailable (%s); reader retrying in %.1f s", exc, backoff)
                self.stop.wait(backoff)
                backoff = min(backoff * 2, RECONNECT_MAX)
                continue
            except BaseException as exc:  # as run()'s own loop would: the whole worker stops, and says why
                self._crashed = exc
                self.stop.set()
                return
            backoff = RECONNECT_FIRST
            if handled:
                continue
            if once:
                return
            self.stop.wait(self.poll_interval)

    def _read_queues(self) -> None:
        """The queues to drain: those queue.list_queues() lists that have a registered handler. A
        queue without one is logged (once) and left alone: its jobs wait for a worker that knows them."""
        rows = self.queue.list_queues()
        queues = {}
        for row in rows:
            name = row["queue_name"]
            if name in self.handlers:
                queues[name] = row["visibility_timeout_seconds"]
            elif name not in self._unhandled:
                self._unhandled.add(name)
                log.error(
                    "queue %r has no registered task (glue/tasks/%s.py): its jobs are left for a worker that has one",
                    name,
                    name,
                )
        for name in sorted(set(self.handlers) - {row["queue_name"] for row in rows}):
            if name not in self._unhandled:
                self._unhandled.add(name)
                log.warning("task %r has no queue in queue.queues: nothing to drain for it", name)
        self.queues = queues

    def _drain_once(self, pool: ThreadPoolExecutor, queue: str, vt: int) -> int:
        with self._acks_lock:  # this read acknowledges every job finished so far (any reader's)
            acks = self._acks.pop(queue, [])
        try:
            jobs = self.queue.read(queue, vt, self.batch, ack=acks)
        except BaseException:
            if acks:  # not acknowledged: kept for the next read (archiving twice is a no-op)
                with self._acks_lock:
                    self._acks.setdefault(queue, []).extend(acks)
            raise
        if not jobs:
            return 0
        # min(share, batch) runners share the batch, each taking the next job when it is free and running
        # it in one of the worker's slots: a thread hand-off per runner, not per job (none with one
        # runner: the reader runs the jobs). Stopping, a runner finishes the job in hand and gives
        # back those nobody started.
        todo = deque(jobs)

        def runner() -> None:
            while True:
                try:
                    job = todo.popleft()
                except IndexError:
                    return
                with self._slots:
                    if self.stop.is_set():
                        self._release(queue, job["msg_id"])
                    else:
                        self._handle(queue, job)

        runners = min(self.share, len(jobs))
        if runners == 1:
            runner()
        else:
            for future in [pool.submit(runner) for _ in range(runners)]:
                future.result()
        return len(jobs)

    def _flush_acks(self) -> None:
        """Archive the finished jobs not yet acknowledged (stopping, or the queues ran dry). A
        database that is away keeps them unacknowledged: they run again after their visibility
        timeout, which their handlers allow (`acked_by_worker`)."""
        with self._acks_lock:
            pending = {queue: ids for queue, ids in self._acks.items() if ids}
            self._acks = {}
        for queue, ids in pending.items():
            try:
                self.queue.archive(queue, ids)
            except (DatabaseUnavailable, psycopg.OperationalError) as exc:
                log.warning("%s: %s finished job(s) not acknowledged (%s); they will run again", queue, len(ids), exc)
                with self._acks_lock:
                    self._acks.setdefault(queue, []).extend(ids)

    def _release(self, queue: str, msg_id: int) -> None:
        self.queue.set_vt(queue, msg_id, 0)
        log.info("%s job %s released (shutting down)", queue, msg_id)

    def _refresh_monitoring(self) -> None:
        took = self.context.call("refresh_monitoring")
        log.debug("monitoring snapshot refreshed in %s", took)

    def _periodic(self) -> None:
        result = self.context.call("run_periodic_checks")  # the stuck threshold is SQL's default
        if result["stuck_nudges"] or result["sla_breaches"]:
            log.info(
                "periodic checks: %s stuck nudge(s), %s SLA alert(s)", result["stuck_nudges"], result["sla_breaches"]
            )
        purged = {table: n for table, n in (result.get("purged") or {}).items() if n}
        if purged:
            log.info("retention purge removed %s", ", ".join(f"{n} {table}" for table, n in sorted(purged.items())))

    # --- one job ------------------------------------------------------------------------

    def _handle(self, queue: str, job: dict[str, Any]) -> None:
        started = time.monotonic()
        msg_id = job["msg_id"]
        handler = self.handlers[queue]
        try:
            try:
                outcome = handler(self.context, msg_id, job["message"])
                if is_acked_by_worker(handler):
                    with self._acks_lock:
                        self._acks.setdefault(queue, []).append(msg_id)
            except TaskError as exc:
                outcome = self._fail(queue, msg_id, str(exc), exc.retryable)
            except (DatabaseUnavailable, psycopg.OperationalError):
                raise
            except Exception as exc:  # noqa: BLE001 - any bug in one job must not kill the worker
                log.exception("%s job %s crashed", queue, msg_id)
                outcome = self._fail(queue, msg_id, f"{type(exc).__name__}: {exc}", True)
        except (DatabaseUnavailable, psycopg.OperationalError) as exc:
            # the database went away, not the job: no attempt is counted; the job is given back as
            # soon as the database answers again (a partner call already made is repeated with the
            # same idempotency key, so the partner sees one enrollment)
            with self._orphans_lock:
                self._orphans.add((queue, msg_id))
            log.warning("%s job %s interrupted: database unavailable (%s); given back on reconnect", queue, msg_id, exc)
            return
        with self._processed_lock:
            self.processed += 1
        log.info(
            "%s job %s (attempt %s): %s (%.0f ms)",
            queue,
            msg_id,
            job["read_ct"],
            outcome,
            (time.monotonic() - started) * 1000,
        )

    def _release_orphans(self) -> None:
        """Give back the jobs a lost database interrupted (visible again now); raises
        DatabaseUnavailable while it is still away, so the loop backs off."""
        with self._orphans_lock:
            orphans = sorted(self._orphans)
        for queue, msg_id in orphans:
            self.queue.set_vt(queue, msg_id, 0)
            with self._orphans_lock:
                self._orphans.discard((queue, msg_id))
            log.info("%s job %s given back after the database came back", queue, msg_id)

    def _fail(self, queue: str, msg_id: int, error: str, retryable: bool) -> str:
        return f"{self.queue.fail(queue, msg_id, error, retryable)}: {error}"


def run_worker(app, once: bool = False, **options) -> int:
    """Run a worker until SIGTERM/SIGINT (or, with once, until the queues are empty). The worker
    process allows longer statements than the web app (WORKER_STATEMENT_TIMEOUT: the monitoring
    refresh takes seconds at 1M enrollments); the lock and idle limits stay the web app's."""
    config = app.config
    app.extensions["db"].set_timeouts(
        config["WORKER_STATEMENT_TIMEOUT"], config["DB_LOCK_TIMEOUT"], config["DB_IDLE_IN_TRANSACTION_TIMEOUT"]
    )
    worker = Worker(app, **options)

    def stop(signum, _frame):
        log.info("signal %s: finishing current jobs, then stopping", signum)
        worker.stop.set()

    previous = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        log.info("worker started (concurrency %s, batch %s)", worker.concurrency, worker.batch)
        handled = worker.run(once=once)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    log.info("worker stopped after %s job(s)", handled)
    return handled


__all__ = ["Worker", "run_worker"]
