"""P5 peers: our worker against pgqueuer and procrastinate (PyPI, the `bench` extra), on the same
cluster, in the same run, with the same job: a no-op.

Each system gets its own database in the cluster (its own schema, installed by its own API). For
each repetition and each concurrency (1 and 8), each system in turn (the order rotates per
repetition) drains N jobs loaded beforehand through its own batch API:

- ours: `glue.worker.Worker` in this process (`--batch 20`, its default readers: concurrency // 2,
  at least 2, each reading its own batches), a no-op handler acknowledged by the
  worker (`glue.tasks.acked_by_worker`: the ids of a read's finished jobs are archived in one
  statement, sent with the next read); and, as information, the same no-op handler archiving its
  own job in its own transaction (`queue.archive`, as the real tasks record their result);
- pgqueuer: `concurrency` QueueManagers in one event loop, each `run(mode=drain, batch_size=20)`
  on its own asyncpg connection (asyncpg: its default driver);
- procrastinate: `App.run_worker_async(concurrency=c, wait=False)`, psycopg connector.

Enqueue: one job per call from one client (each its own transaction): `queue.send`,
pgqueuer's `enqueue`, procrastinate's `defer_async`. synchronous_commit is on for everything.

    .venv/bin/python -m devtools.bench.peers --jobs 20000 --reps 3     # alone, on its own cluster
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta

from .harness import REPO, Report, connect, log, ratio, tree_cpu, yes

SYSTEMS = ("ours", "pgqueuer", "procrastinate")
QUEUE = "bench_noop"
BATCH = 20
TARGET = 1.5


@dataclass
class Drain:
    n: int  # jobs drained
    seconds: float
    client_cpu: float  # this process's CPU seconds (user + system) during the drain
    pg_cpu: float  # PostgreSQL's
    left: int  # jobs not done at the end (must be 0)

    def rate(self, _n: int = 0) -> float:
        return self.n / self.seconds


@dataclass
class Results:
    jobs: int
    reps: int
    drains: dict[tuple[str, int], list[Drain]] = field(default_factory=dict)
    enqueue: dict[str, float] = field(default_factory=dict)

    def best(self, system: str, concurrency: int) -> Drain:
        """The median repetition (by time)."""
        runs = sorted(self.drains[(system, concurrency)], key=lambda d: d.seconds)
        return runs[len(runs) // 2]


# --- ours ------------------------------------------------------------------------------------------


def _our_app(url: str):
    from glue import create_app
    from glue.config import TestConfig

    return create_app(TestConfig(DATABASE_URL=url, DB_POOL_MAX=12, TESTING=False))


def _noop_worker_acked():
    from glue.tasks import acked_by_worker

    @acked_by_worker
    def noop(ctx, msg_id, message):
        return "ok"

    return noop


def _noop_self_archiving(app):
    db = app.extensions["db"]

    def noop(ctx, msg_id, message):
        db.query("select queue.archive(%s, %s)", (QUEUE, msg_id))
        return "ok"

    return noop


def setup_ours(url: str) -> None:
    from glue import migrate

    migrate.migrate(url)
    with connect(url) as conn:
        conn.execute(
            "insert into queue.queues (queue_name, visibility_timeout_seconds) values (%s, 60) on conflict do nothing",
            (QUEUE,),
        )
        # the seed's queues, empty here: not this worker's (it would log each as having no task)
        conn.execute("delete from queue.queues where queue_name <> %s", (QUEUE,))


def load_ours(url: str, n: int) -> None:
    with connect(url) as conn:
        conn.execute(
            "insert into queue.jobs (queue_name, message) select %s, jsonb_build_object('i', i)"
            " from generate_series(1, %s) i",
            (QUEUE, n),
        )


def left_ours(url: str) -> int:
    with connect(url) as conn:
        return conn.execute("select count(*) from queue.jobs where queue_name = %s", (QUEUE,)).fetchone()[0]


def drain_ours(url: str, concurrency: int, self_archiving: bool = False) -> None:
    from glue.worker import Worker

    app = _our_app(url)
    try:
        handler = _noop_self_archiving(app) if self_archiving else _noop_worker_acked()
        worker = Worker(
            app, concurrency=concurrency, batch=BATCH, scan_interval=0, monitoring_interval=0, handlers={QUEUE: handler}
        )
        worker.run(once=True)
    finally:
        app.extensions["db"].close()


def enqueue_ours(url: str, n: int) -> float:
    app = _our_app(url)
    db = app.extensions["db"]
    try:
        db.query("select 1")
        started = time.perf_counter()
        for i in range(n):
            db.query("select queue.send(%s, %s::jsonb)", (QUEUE, f'{{"i": {i}}}'))
        return n / (time.perf_counter() - started)
    finally:
        db.close()
        with connect(url) as conn:
            conn.execute("delete from queue.jobs where queue_name = %s", (QUEUE,))


# --- pgqueuer --------------------------------------------------------------------------------------


class _Closing:
    def __init__(self, conn):
        self.conn = conn

    async def __aenter__(self):
        return self.conn

    async def __aexit__(self, *exc):
        await self.conn.close()


async def _pgq_queries(url: str):
    """pgqueuer on asyncpg, its default driver (its psycopg driver shares one connection between
    LISTEN and the queries, and waits up to a second for the connection at each query)."""
    import asyncpg
    from pgqueuer.db import AsyncpgDriver
    from pgqueuer.queries import Queries

    conn = await asyncpg.connect(url)
    return _Closing(conn), Queries(AsyncpgDriver(conn))


def setup_pgqueuer(url: str) -> None:
    async def go():
        conn, queries = await _pgq_queries(url)
        async with conn:
            await queries.install()

    asyncio.run(go())


def load_pgqueuer(url: str, n: int) -> None:
    async def go():
        conn, queries = await _pgq_queries(url)
        async with conn:
            for start in range(0, n, 5000):
                k = min(5000, n - start)
                await queries.enqueue(["noop"] * k, [b"{}"] * k, [0] * k)

    asyncio.run(go())


def left_pgqueuer(url: str) -> int:
    with connect(url) as conn:
        return conn.execute("select count(*) from pgqueuer").fetchone()[0]


def drain_pgqueuer(url: str, concurrency: int) -> None:
    """`concurrency` QueueManagers (each its own connection) in one event loop, an entrypoint with
    no limit of its own: a no-op coroutine finishes before the next await, so each manager runs one
    job at a time (pgqueuer's `concurrency_limit=1` dispatches one job per dequeue and then polls:
    10 jobs/s here, not what it is for)."""
    from pgqueuer import QueueManager
    from pgqueuer.types import QueueExecutionMode

    async def one():
        conn, queries = await _pgq_queries(url)
        async with conn:
            qm = QueueManager(queries)

            @qm.entrypoint("noop")
            async def noop(job) -> None:
                return None

            await qm.run(
                batch_size=BATCH,
                mode=QueueExecutionMode.drain,
                dequeue_timeout=timedelta(seconds=1),
                log_aggregation_interval=timedelta(0),
            )

    async def go():
        await asyncio.gather(*(one() for _ in range(concurrency)))

    asyncio.run(go())


def enqueue_pgqueuer(url: str, n: int) -> float:
    async def go():
        conn, queries = await _pgq_queries(url)
        async with conn:
            started = time.perf_counter()
            for _ in range(n):
                await queries.enqueue("noop", b"{}")
            return n / (time.perf_counter() - started)

    try:
        return asyncio.run(go())
    finally:
        with connect(url) as conn:
            conn.execute("delete from pgqueuer")


# --- procrastinate ---------------------------------------------------------------------------------


def _procrastinate_app(url: str, concurrency: int = 1):
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url))

    @app.task(name="noop", queue=QUEUE)
    async def noop() -> None:
        return None

    return app, noop


def setup_procrastinate(url: str) -> None:
    async def go():
        app, _ = _procrastinate_app(url)
        async with app.open_async():
            await app.schema_manager.apply_schema_async()

    asyncio.run(go())


def load_procrastinate(url: str, n: int) -> None:
    async def go():
        app, noop = _procrastinate_app(url)
        async with app.open_async():
            for start in range(0, n, 5000):
                await noop.batch_defer_async(*[{}] * min(5000, n - start))

    asyncio.run(go())


def left_procrastinate(url: str) -> int:
    with connect(url) as conn:
        return conn.execute("select count(*) from procrastinate_jobs where status in ('todo', 'doing')").fetchone()[0]


def drain_procrastinate(url: str, concurrency: int) -> None:
    import logging

    logging.getLogger("procrastinate").setLevel(logging.WARNING)

    async def go():
        app, _ = _procrastinate_app(url)
        async with app.open_async():
            await app.run_worker_async(
                queues=[QUEUE], concurrency=concurrency, wait=False, install_signal_handlers=False
            )

    asyncio.run(go())


def enqueue_procrastinate(url: str, n: int) -> float:
    async def go():
        app, noop = _procrastinate_app(url)
        async with app.open_async():
            started = time.perf_counter()
            for _ in range(n):
                await noop.defer_async()
            return n / (time.perf_counter() - started)

    try:
        return asyncio.run(go())
    finally:
        with connect(url) as conn:
            conn.execute("delete from procrastinate_jobs")


# --- the run ---------------------------------------------------------------------------------------

SETUP = {"ours": setup_ours, "pgqueuer": setup_pgqueuer, "procrastinate": setup_procrastinate}
LOAD = {"ours": load_ours, "ours-self-ack": load_ours, "pgqueuer": load_pgqueuer, "procrastinate": load_procrastinate}
LEFT = {"ours": left_ours, "ours-self-ack": left_ours, "pgqueuer": left_pgqueuer, "procrastinate": left_procrastinate}
DRAIN = {
    "ours": drain_ours,
    "ours-self-ack": lambda url, c: drain_ours(url, c, self_archiving=True),
    "pgqueuer": drain_pgqueuer,
    "procrastinate": drain_procrastinate,
}
ENQUEUE = {"ours": enqueue_ours, "pgqueuer": enqueue_pgqueuer, "procrastinate": enqueue_procrastinate}


def measure(
    admin_url_for,
    pg_pid: int,
    jobs: int,
    reps: int,
    concurrencies=(1, 8),
    enqueue_n: int = 2000,
    systems: list[str] | None = None,
    slow_jobs: int | None = None,
) -> Results:
    """`slow_jobs`: fewer jobs for procrastinate and for our self-archiving variant (one commit per
    job: ~10-20x slower than the others) so that a short run stays short; rates are per second
    whatever N."""
    """`admin_url_for(dbname)`: a superuser URL of that database in the cluster."""
    import logging

    logging.getLogger("glue").setLevel(logging.WARNING)
    logging.getLogger("pgqueuer").setLevel(logging.WARNING)
    urls = {}
    with connect(admin_url_for("postgres")) as conn:
        for system in SYSTEMS:
            conn.execute(f"drop database if exists peers_{system}")
            conn.execute(f"create database peers_{system}")
    for system in SYSTEMS:
        urls[system] = admin_url_for(f"peers_{system}")
        SETUP[system](urls[system])
    urls["ours-self-ack"] = urls["ours"]
    results = Results(jobs, reps)
    systems = systems or [*SYSTEMS, "ours-self-ack"]
    for rep in range(reps):
        order = systems[rep % len(systems) :] + systems[: rep % len(systems)]
        for concurrency in concurrencies:
            for system in order:
                url = urls[system]
                n = slow_jobs if slow_jobs and system in ("procrastinate", "ours-self-ack") else jobs
                LOAD[system](url, n)
                with connect(url) as conn:
                    conn.execute("checkpoint")
                cpu0, pg0 = time.process_time(), tree_cpu(pg_pid)
                started = time.perf_counter()
                DRAIN[system](url, concurrency)
                seconds = time.perf_counter() - started
                drain = Drain(n, seconds, time.process_time() - cpu0, tree_cpu(pg_pid) - pg0, LEFT[system](url))
                results.drains.setdefault((system, concurrency), []).append(drain)
                log(
                    f"  peers rep {rep + 1}/{reps} c={concurrency} {system}: {drain.rate():,.0f} jobs/s"
                    f" ({seconds:.1f} s, left {drain.left})"
                )
    for system in [s for s in SYSTEMS if s in systems] if enqueue_n else []:
        results.enqueue[system] = ENQUEUE[system](urls[system], enqueue_n)
        log(f"  peers enqueue {system}: {results.enqueue[system]:,.0f} jobs/s (one per call, one client)")
    return results


def report_peers(results: Results, report: Report) -> None:
    n = results.jobs
    for concurrency in sorted({c for _, c in results.drains}):
        peers = {
            s: results.best(s, concurrency) for s in ("pgqueuer", "procrastinate") if (s, concurrency) in results.drains
        }
        faster = max(peers, key=lambda s: peers[s].rate(n))
        mine = "ours" if ("ours", concurrency) in results.drains else "ours-self-ack"
        ours = results.best(mine, concurrency)
        reached = ours.rate(n) / peers[faster].rate(n)
        report.add(
            f"P5 peers: no-op drain of {n:,} jobs, concurrency {concurrency} (median of {results.reps})",
            f"ours {ours.rate(n):,.0f} jobs/s",
            f"{faster} {peers[faster].rate(n):,.0f} jobs/s (faster peer); "
            + ", ".join(
                f"{s} {d.rate():,.0f}" + (f" ({d.n:,} jobs)" if d.n != n else "")
                for s, d in peers.items()
                if s != faster
            ),
            f"{reached:.2f}",
            f"≥ {TARGET:.2f}",
            yes(reached >= TARGET),
        )
        cpu = "; ".join(
            f"{s}: client {d.client_cpu / d.n * 1e6:.0f} µs + PostgreSQL {d.pg_cpu / d.n * 1e6:.0f} µs"
            for s, d in [("ours", ours)] + list(peers.items())
        )
        report.notes.append(f"P5 peers CPU per job, concurrency {concurrency}: {cpu}.")
        if any(d.left for runs in results.drains.values() for d in runs):
            report.notes.append("P5 peers: some drain left jobs behind (see the log).")
        if mine == "ours" and ("ours-self-ack", concurrency) in results.drains:
            own = results.best("ours-self-ack", concurrency)
            report.add(
                f"P5 peers: ours, each job archived by its handler in its own transaction, concurrency {concurrency}",
                f"{own.rate(n):,.0f} jobs/s",
                f"{faster} {peers[faster].rate(n):,.0f} jobs/s",
                ratio(own.rate(n), peers[faster].rate(n)),
                "— (info)",
                "—",
            )
    others = [s for s in ("pgqueuer", "procrastinate") if s in results.enqueue]  # those --only kept
    if "ours" in results.enqueue and others:
        faster = max(others, key=lambda s: results.enqueue[s])
        reached = results.enqueue["ours"] / results.enqueue[faster]
        report.add(
            "P5 peers: enqueue, one job per call (one client)",
            f"ours {results.enqueue['ours']:,.0f} jobs/s",
            f"{faster} {results.enqueue[faster]:,.0f} jobs/s; "
            + ", ".join(f"{s} {results.enqueue[s]:,.0f}" for s in others if s != faster),
            f"{reached:.2f}",
            "≥ 1.00 (stay ahead)",
            yes(reached >= 1.0),
        )


def peers_available() -> str | None:
    """None when pgqueuer and procrastinate import, else what is missing (`make bench` installs them)."""
    missing = []
    for name in ("pgqueuer", "procrastinate"):
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    return ", ".join(missing) or None


def main(argv: list[str] | None = None) -> int:
    from devtools.cluster import TemporaryCluster

    from .output import text_table

    parser = argparse.ArgumentParser(prog="python -m devtools.bench.peers", description=__doc__)
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--concurrency", type=int, action="append", help="default: 1 and 8")
    parser.add_argument("--only", choices=[*SYSTEMS, "ours-self-ack"], action="append", help="default: all")
    parser.add_argument("--enqueue", type=int, default=2000, help="jobs enqueued one by one (0: skip)")
    parser.add_argument("--slow-jobs", type=int, help="fewer jobs for procrastinate (default: --jobs)")
    args = parser.parse_args(argv)
    missing = peers_available()
    if missing:
        print(f"peers: {missing} not installed (pip install -e '.[bench]')", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the cluster is stopped on the way out
    cluster = TemporaryCluster(fsync=True)
    cluster.start()
    try:
        report = Report(mode="peers", command="python -m devtools.bench.peers")
        concurrencies = tuple(args.concurrency or (1, 8))
        results = measure(
            cluster.url, cluster.proc.pid, args.jobs, args.reps, concurrencies, args.enqueue, args.only, args.slow_jobs
        )
        report_peers(results, report)
        print(text_table(report.rows))
        for note in report.notes:
            print(f"- {note}")
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    os.chdir(REPO)
    sys.exit(main())
