"""P2: mark_step_complete through pgbench vs pgbench's TPC-B-like transaction."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

from .harness import (
    PGBIN,
    CpuMeter,
    Report,
    Sizes,
    connect,
    log,
    ratio,
    yes,
)

# --- P2: pgbench -----------------------------------------------------------------------------------


def pgbench(
    port: int, args: list[str], timeout: float = 600, password: str | None = None
) -> subprocess.CompletedProcess:
    argv = [str(PGBIN / "pgbench"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", *args]
    env = {**os.environ, "PGPASSWORD": password} if password else None  # the cluster asks for one
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False, env=env)


def pgbench_tps(result: subprocess.CompletedProcess) -> float:
    m = re.search(r"tps = ([0-9.]+) \(without initial connection time\)", result.stdout)
    if not m:
        raise RuntimeError(f"pgbench failed: {result.stderr.strip()[-400:] or result.stdout.strip()[-400:]}")
    return float(m.group(1))


def p2_pgbench(pg_port: int, url: str, sizes: Sizes, tmp: Path, pg_pid: int, report: Report) -> None:
    from urllib.parse import unquote, urlsplit

    password = unquote(urlsplit(url).password or "") or None
    log("P2: pgbench -i -s 10 (baseline database)")
    init = pgbench(pg_port, ["-i", "-s", "10", "-q", "pgbench_base"], password=password)
    if init.returncode != 0:
        raise RuntimeError(f"pgbench -i failed: {init.stderr[-400:]}")
    duration = str(sizes.pgbench_seconds)
    log(f"P2: TPC-B-like baseline (-c 8 -j 2 -T {duration})")
    meter = CpuMeter({"postgres": pg_pid}, "pgbench")
    base_run = pgbench(pg_port, ["-c", "8", "-j", "2", "-T", duration, "pgbench_base"], password=password)
    base = pgbench_tps(base_run)
    time.sleep(1.0)  # let the postmaster reap pgbench's backends (their CPU is counted through it)
    base_cpu = meter.stop(int(base * sizes.pgbench_seconds))
    pool = int(base * sizes.pgbench_seconds * 2.5) + 5000
    with connect(url) as conn:
        conn.execute("create schema if not exists bench")
        conn.execute("drop table if exists bench.pool")
        conn.execute("drop sequence if exists bench.pool_seq")
        conn.execute("create table bench.pool (n integer primary key, step_id uuid not null)")
        conn.execute(
            "insert into bench.pool select row_number() over (), s.id from (select s.id from"
            " public.enrollment_steps s where s.status = 'in_progress' order by random() limit %s) s",
            (pool,),
        )
        pool = conn.execute("select count(*) from bench.pool").fetchone()[0]
        conn.execute("create sequence bench.pool_seq")
        conn.execute("analyze bench.pool")
    script = tmp / "mark_step_complete.sql"
    script.write_text(
        "select public.mark_step_complete(p.step_id) from bench.pool p"
        " where p.n = (select nextval('bench.pool_seq'));\n"
    )
    # at most the pool: each client completes its share of the steps (with -T, a fast run went on past
    # the last step, and the calls that found no step counted as very fast transitions)
    per_client = str(max(1, min(pool, int(base * sizes.pgbench_seconds * 2)) // 8))
    log(f"P2: mark_step_complete (-c 8 -j 2 -t {per_client}, pool of {pool:,} steps)")
    with connect(url) as conn:
        # every statement, triggers' included, for the per-transition counts (set for new sessions)
        conn.execute("alter database bench set pg_stat_statements.track = 'all'")
        conn.execute("select pg_stat_statements_reset()")
    meter = CpuMeter({"postgres": pg_pid}, "pgbench")
    custom_run = pgbench(
        pg_port, ["-n", "-c", "8", "-j", "2", "-t", per_client, "-f", str(script), "bench"], password=password
    )
    custom = pgbench_tps(custom_run)
    time.sleep(1.0)
    custom_cpu = meter.stop(int(per_client) * 8)
    with connect(url) as conn:
        used = conn.execute("select last_value from bench.pool_seq").fetchone()[0]
        conn.execute("alter database bench reset pg_stat_statements.track")
        top = conn.execute(
            "select sum(calls) filter (where toplevel), sum(calls) filter (where not toplevel),"
            " sum(shared_blks_hit + shared_blks_read + shared_blks_dirtied) filter (where toplevel)"
            " from pg_stat_statements where dbid = (select oid from pg_database where datname = 'bench')"
            " and (query like '%%mark_step_complete%%' or not toplevel)"
        ).fetchone()
    report.add(
        "P2 mark_step_complete tps (pgbench -c 8 -j 2)",
        f"{custom:.0f} tps",
        f"{base:.0f} tps (TPC-B-like, scale 10)",
        ratio(custom, base),
        "≥ 0.60",
        yes(custom / base >= 0.6),
    )
    if top and top[0]:
        report.notes.append(
            f"P2 per mark_step_complete transaction (pg_stat_statements, track = all): {(top[1] or 0) / top[0]:.1f}"
            f" nested statements (functions and triggers), {(top[2] or 0) / top[0]:.0f} shared buffers"
            f" touched; TPC-B-like: 5 statements."
        )
    report.notes.append(f"P2 CPU, TPC-B-like: {base_cpu}.")
    report.notes.append(f"P2 CPU, mark_step_complete: {custom_cpu}.")
    if used > pool or "aborted" in custom_run.stderr + custom_run.stdout:
        report.notes.append(f"P2: the step pool ({pool:,}) was exhausted or a client aborted: {used:,} used.")
