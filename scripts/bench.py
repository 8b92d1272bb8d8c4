"""Benchmarks of the whole stack on this machine, each figure a ratio against a baseline measured in
the same run (the machine is small, shared and noisy: absolute numbers move, ratios much less).

    scripts/bench            # 1,000,000 enrollments (under 15 minutes on 2 cores)
    scripts/bench --quick    # 50,000 enrollments, short runs (about 3 minutes)

It starts its own throwaway PostgreSQL 15 cluster (devtools.cluster.TemporaryCluster, fsync on,
synchronous_commit on: every commit measured is durable), applies the migrations and the seed,
and measures:

  P1  signed `course.completed` webhooks per second through gunicorn (2 workers x 8 threads), each
      a distinct real completion of a linked in-progress step, versus a no-op route on the same
      app and server (`bench_noop_app()`), same load generator, concurrency and duration.
  P2  `mark_step_complete` transactions/s with pgbench (each completes a distinct step) versus
      pgbench's built-in TPC-B-like run on `pgbench -i -s 10` in the same cluster.
  P3  each monitoring function and the full admin dashboard page at N enrollments (p50/p95 of 30
      runs) versus the same at 10,000; refresh_monitoring() at both sizes.
  P4  per-event latency at concurrency 1 (webhook through gunicorn; mark_step_complete through
      psycopg) at N versus at 10,000 enrollments.
  P5  partner-enrollment jobs drained per second by `flask --app glue worker` against the local
      partner simulator, versus the simulator's raw enrollment POST rate from 8 keep-alive threads.

Then it profiles (auto_explain plans of the monitoring functions, pg_stat_statements of the
webhook's SQL), prints a table and writes docs/benchmarks.md (this mode's section; the other
mode's section is kept). Exit status: 0 when it ran (targets met or not), non-zero only when it
could not run.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import itertools
import json
import math
import multiprocessing
import os
import platform
import re
import resource
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

PGBIN = Path(os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin"))
ADMIN_ID = "00000000-0000-4000-a000-000000000001"  # Alex Admin, from supabase/seed.sql
DOC = REPO / "docs" / "benchmarks.md"

# (name, SQL): the dashboard's monitoring functions, run as the superuser (a DBA session)
MONITORING_QUERIES = [
    ("pipeline", "select * from public.monitor_pipeline()"),
    ("program_completion", "select * from public.monitor_program_completion()"),
    ("stuck_students", "select * from public.monitor_stuck_students(7, 50)"),
    ("bottlenecks", "select * from public.monitor_bottlenecks()"),
    ("funnel", "select * from public.monitor_funnel()"),
    ("weekly_completions", "select * from public.monitor_weekly_completions(12)"),
    ("failed_enrollments", "select * from public.monitor_failed_enrollments(50)"),
    ("partner_events", "select * from public.monitor_partner_events()"),
    ("queues", "select * from public.monitor_queues()"),
    ("awaiting_enrollment", "select * from public.monitor_awaiting_enrollment(200)"),
    ("waiting_events", "select * from public.monitor_waiting_events(200)"),
]
QUERY_TARGET_MS = 50.0
PAGE_TARGET_MS = 150.0


def bench_noop_app():
    """`glue.create_app()` plus `POST /bench/noop`, which reads the body and answers a small JSON
    document: the baseline of P1, served by the same gunicorn, app object and config as the
    webhook route (`gunicorn --pythonpath . 'scripts.bench:bench_noop_app()'`)."""
    from flask import jsonify, request

    from glue import create_app

    app = create_app()

    @app.post("/bench/noop")
    def bench_noop():
        request.get_data(cache=False)
        return jsonify(status="ok")

    return app


# --- sizes, results ----------------------------------------------------------------------------


@dataclass
class Sizes:
    enrollments: int
    small: int
    http_seconds: float  # P1 duration of each run
    pgbench_seconds: int  # P2 -T
    latency_samples: int  # P4 requests/calls at concurrency 1
    worker_jobs: int  # P5 enrollments
    query_runs: int  # P3
    page_runs: int  # P3 admin page
    sim_seconds: float  # P5 baseline
    worker_timeout: float


QUICK = Sizes(50_000, 10_000, 8, 10, 300, 1_000, 30, 15, 5, 120)
FULL = Sizes(1_000_000, 10_000, 20, 20, 500, 5_000, 30, 30, 10, 300)


@dataclass
class Row:
    name: str
    measured: str
    baseline: str
    ratio: str
    target: str
    met: str


@dataclass
class Report:
    mode: str
    command: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    profile: list[str] = field(default_factory=list)
    machine: dict[str, str] = field(default_factory=dict)

    def add(self, *cells: str) -> None:
        self.rows.append(Row(*cells))
        log(f"  → {' | '.join(cells)}")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    s = sorted(values)
    pos = (len(s) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def ms(seconds: float) -> str:
    if math.isnan(seconds):
        return "—"
    value = seconds * 1000
    return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"


def ratio(a: float, b: float) -> str:
    if not b or math.isnan(a) or math.isnan(b):
        return "—"
    return f"{a / b:.2f}"


def yes(flag: bool) -> str:
    return "yes" if flag else "NO"


# --- CPU accounting ------------------------------------------------------------------------------


def tree_cpu(root: int) -> float:
    """CPU seconds (user + system) used so far by a process and its descendants: the live ones,
    and (through each live process's cutime/cstime) the ones that exited, e.g. a PostgreSQL
    backend whose client disconnected."""
    parent: dict[int, int] = {}
    used: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        parent[int(entry)] = int(fields[1])
        used[int(entry)] = int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])
    children: dict[int, list[int]] = defaultdict(list)
    for pid, ppid in parent.items():
        children[ppid].append(pid)
    total, todo, seen = 0, [root], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        total += used.get(pid, 0)
        todo += children.get(pid, [])
    return total / os.sysconf("SC_CLK_TCK")


def machine_cpu() -> tuple[float, float, float]:
    """(busy, steal, total) CPU seconds of the whole machine so far, from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    tick = os.sysconf("SC_CLK_TCK")
    busy = user + nice + system + irq + softirq
    return busy / tick, steal / tick, (busy + idle + iowait + steal) / tick


class CpuMeter:
    """CPU used by named process trees (plus this process's finished children: the load
    generator's processes, pgbench) between start and stop, per unit of work."""

    def __init__(self, roots: dict[str, int], children_label: str | None = None):
        self.roots, self.children_label = roots, children_label
        self.start = self._read()

    def _read(self) -> dict[str, float]:
        values = {name: tree_cpu(pid) for name, pid in self.roots.items()}
        if self.children_label:
            usage = resource.getrusage(resource.RUSAGE_CHILDREN)
            values[self.children_label] = usage.ru_utime + usage.ru_stime
        values["_busy"], values["_steal"], values["_total"] = machine_cpu()
        return values

    def stop(self, units: int) -> str:
        end = self._read()
        delta = {k: end[k] - self.start[k] for k in end}
        ours = sum(v for k, v in delta.items() if not k.startswith("_"))
        parts = [f"{k} {v / max(units, 1) * 1000:.2f}" for k, v in delta.items() if not k.startswith("_")]
        parts.append(f"other processes {(delta['_busy'] - ours) / max(units, 1) * 1000:.2f}")
        busy = delta["_busy"] / delta["_total"] * 100 if delta["_total"] else math.nan
        steal = delta["_steal"] / delta["_total"] * 100 if delta["_total"] else math.nan
        return f"{', '.join(parts)} ms CPU per unit; machine busy {busy:.0f}% (steal {steal:.0f}%)"


# --- machine -----------------------------------------------------------------------------------


def machine_description(pg_version: str) -> dict[str, str]:
    model, cpus = "unknown", str(os.cpu_count())
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "Model name":
                model = value.strip()
            elif key.strip() == "CPU(s)":
                cpus = value.strip()
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    import gunicorn

    return {
        "cpu": f"{model}, {cpus} CPU(s)",
        "ram": ram,
        "os": f"{platform.system()} {platform.release()}",
        "postgresql": pg_version,
        "python": platform.python_version(),
        "gunicorn": gunicorn.__version__,
        "date": datetime.now(tz=UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }


# --- HTTP load generation ----------------------------------------------------------------------

Request = tuple[str, str, bytes, dict[str, str]]


def _connection_loop(host: str, port: int, requests: list[Request], cycle: bool, deadline: float, out: list) -> None:
    conn = http.client.HTTPConnection(host, port, timeout=60)
    latencies: list[float] = []
    statuses: Counter = Counter()
    bodies: Counter = Counter()
    errors = 0
    last = 0.0
    source = itertools.cycle(requests) if cycle else iter(requests)
    for method, path, body, headers in source:
        if time.time() >= deadline:
            break
        started = time.perf_counter()
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            errors += 1
            conn.close()
            conn = http.client.HTTPConnection(host, port, timeout=60)
            continue
        latencies.append(time.perf_counter() - started)
        statuses[response.status] += 1
        if response.status != 200 and len(bodies) < 5:
            bodies[payload[:200].decode("utf-8", "replace")] += 1
        last = time.time()
    conn.close()
    out.append({"latencies": latencies, "statuses": statuses, "errors": errors, "last": last, "bodies": bodies})


def _load_process(task: tuple) -> dict:
    host, port, per_connection, cycle, start_at, duration = task
    out: list[dict] = []
    threads = [
        threading.Thread(target=_connection_loop, args=(host, port, reqs, cycle, start_at + duration, out))
        for reqs in per_connection
    ]
    while time.time() < start_at:
        time.sleep(0.005)
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    merged = {"latencies": [], "statuses": Counter(), "errors": 0, "last": 0.0, "bodies": Counter()}
    for item in out:
        merged["latencies"] += item["latencies"]
        merged["statuses"] += item["statuses"]
        merged["bodies"] += item["bodies"]
        merged["errors"] += item["errors"]
        merged["last"] = max(merged["last"], item["last"])
    return merged


def run_load(
    port: int, requests: list[Request], connections: int, processes: int, duration: float, cycle: bool
) -> dict:
    """`connections` keep-alive connections (threads) spread over `processes` processes, each
    sending its share of `requests` (round robin split) until `duration` seconds have passed."""
    shares = [requests[i::connections] for i in range(connections)]
    tasks = []
    start_at = time.time() + 1.0 + 0.2 * processes
    for p in range(processes):
        mine = shares[p::processes]
        tasks.append(("127.0.0.1", port, mine, cycle, start_at, duration))
    with ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("fork")) as pool:
        parts = list(pool.map(_load_process, tasks))
    latencies = [x for part in parts for x in part["latencies"]]
    statuses = sum((part["statuses"] for part in parts), Counter())
    bodies = sum((part["bodies"] for part in parts), Counter())
    last = max(part["last"] for part in parts)
    elapsed = max(0.001, min(last - start_at, duration + 5)) if last else duration
    return {
        "count": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50": percentile(latencies, 0.5),
        "p99": percentile(latencies, 0.99),
        "statuses": dict(statuses),
        "errors": sum(part["errors"] for part in parts),
        "elapsed": elapsed,
        "bodies": dict(bodies),
        "exhausted": (not cycle) and len(latencies) >= len(requests),
    }


class Signer:
    """Standard Webhooks signing of course.completed events, as a partner does it."""

    def __init__(self, secret: str):
        from standardwebhooks.webhooks import Webhook

        self.webhook = Webhook(secret)

    def completed(self, slug: str, external_id: str, path: str | None = None) -> Request:
        now = datetime.now(tz=UTC)
        stamp = now.isoformat(timespec="seconds").replace("+00:00", "Z")
        body = json.dumps(
            {
                "type": "course.completed",
                "timestamp": stamp,
                "data": {"external_enrollment_id": external_id, "completed_at": stamp, "score": 90},
            }
        )
        msg_id = f"msg_{uuid.uuid4().hex}"
        headers = {
            "Content-Type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": self.webhook.sign(msg_id, now, body),
        }
        return ("POST", path or f"/api/webhooks/partners/{slug}", body.encode(), headers)


def http_get(port: int, path: str, headers: dict | None = None, timeout: float = 30) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# --- processes: gunicorn, simulator, worker ----------------------------------------------------


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    """This process's environment without anything that would change the app's transport,
    secrets or partner addresses, plus `extra`."""
    drop = ("SUPABASE_", "PARTNER_WEBHOOK_SECRET", "PARTNER_API_", "SMTP_URL", "DB_POOL", "DATABASE_URL", "SITE_URL")
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env.update(extra)
    return env


class Gunicorn:
    """`gunicorn --workers 2 --threads 8 'scripts.bench:bench_noop_app()'` on a free port."""

    def __init__(self, env: dict[str, str], logdir: Path, workers: int = 2, threads: int = 8):
        from devtools.cluster import free_port

        self.port = free_port()
        self.log_path = logdir / "gunicorn.log"
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--keep-alive",
            "10",
            "--log-level",
            "warning",
            "--pythonpath",
            str(REPO),
            "scripts.bench:bench_noop_app()",
        ]
        self.log_file = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            argv, env=clean_env(env), cwd=REPO, stdout=self.log_file, stderr=self.log_file, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if http_get(self.port, "/healthz", timeout=5)[0] == 200:
                    break
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"gunicorn did not start; see {self.log_path}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()


# --- database helpers ----------------------------------------------------------------------------


def connect(url: str):
    import psycopg

    return psycopg.connect(url, autocommit=True)


def take_steps(url: str, k: int) -> list[tuple[str, str, str]]:
    """k random in-progress steps linked to their partner: (step id, partner's id, partner slug)."""
    with connect(url) as conn:
        rows = conn.execute(
            "select s.id::text, s.external_enrollment_id, v.slug from public.enrollment_steps s"
            " join public.partner_lms_providers v on v.id = s.provider_id"
            " where s.status = 'in_progress' and s.external_enrollment_id is not null"
            " order by random() limit %s",
            (k,),
        ).fetchall()
    return [tuple(r) for r in rows]


def function_exists(conn, name: str) -> bool:
    return conn.execute(
        "select exists (select 1 from pg_proc where proname = %s and pronamespace = 'public'::regnamespace)", (name,)
    ).fetchone()[0]


def generate(url: str, n: int, seed: int) -> dict:
    from scripts.generate_data import generate as generate_data

    done = [0]
    last = [time.monotonic()]

    def progress(k: int) -> None:
        done[0] += k
        if time.monotonic() - last[0] > 15 or done[0] == n:
            last[0] = time.monotonic()
            log(f"  generated {done[0]:,}/{n:,} enrollments")

    return generate_data(url, n, seed=seed, progress=progress)


# --- P3: monitoring -------------------------------------------------------------------------------


def refresh_monitoring(url: str) -> float | None:
    with connect(url) as conn:
        if not function_exists(conn, "refresh_monitoring"):
            return None
        started = time.perf_counter()
        conn.execute("select public.refresh_monitoring()")
        return time.perf_counter() - started


def measure_queries(url: str, runs: int, only: list[str] | None = None, setup: str | None = None) -> dict[str, dict]:
    """p50/p95 of each monitoring query over `runs` runs (fewer when one run is very slow);
    {"missing": True} when the function does not exist."""
    import psycopg

    results: dict[str, dict] = {}
    with connect(url) as conn:
        if setup:
            conn.execute(setup)
        for name, sql in MONITORING_QUERIES:
            if only is not None and name not in only:
                continue
            times: list[float] = []
            try:
                planned = runs
                while len(times) < planned:
                    started = time.perf_counter()
                    conn.execute(sql).fetchall()
                    times.append(time.perf_counter() - started)
                    if len(times) == 1 and times[0] > 1.0:  # very slow: at most ~20 s on this query
                        planned = max(3, min(runs, int(20 / times[0])))
                results[name] = {"p50": percentile(times, 0.5), "p95": percentile(times, 0.95), "runs": len(times)}
            except psycopg.errors.UndefinedFunction:
                results[name] = {"missing": True}
            except psycopg.Error as exc:
                results[name] = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0]}"}
    return results


def admin_token(secret: str) -> str:
    import jwt

    now = int(time.time())
    claims = {"sub": ADMIN_ID, "role": "authenticated", "aud": "authenticated", "iat": now, "exp": now + 3600}
    return jwt.encode(claims, secret, algorithm="HS256")


def measure_page(port: int, token: str, runs: int) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    status, body = http_get(port, "/admin/dashboard", headers, timeout=60)  # warm-up (and existence)
    if status == 404:
        return {"missing": True}
    if status != 200:
        return {"error": f"HTTP {status}: {body[:120]!r}"}
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        status, body = http_get(port, "/admin/dashboard", headers, timeout=60)
        times.append(time.perf_counter() - started)
        if status != 200:
            return {"error": f"HTTP {status}"}
    return {"p50": percentile(times, 0.5), "p95": percentile(times, 0.95), "runs": runs, "bytes": len(body)}


def measure_dashboard_sql(url: str, runs: int, setup: str | None = None) -> dict:
    """The page's one SQL round trip (glue.pages.admin.DASHBOARD_SQL) as the signed-in admin,
    without Flask and Jinja: how much of the page time is SQL."""
    import psycopg

    try:
        from glue.pages import admin
    except ImportError:
        return {"missing": True}
    sql = getattr(admin, "DASHBOARD_SQL", None)
    if sql is None:
        return {"missing": True}
    known = {"days": 7, "program": None, "rows": getattr(admin, "LIST_ROWS", 200)}
    names = set(re.findall(r"%\((\w+)\)s", sql))
    if names - set(known):
        return {"error": f"unknown parameters {sorted(names - set(known))}"}
    params = {k: v for k, v in known.items() if k in names}
    claims = json.dumps({"sub": ADMIN_ID, "role": "authenticated"})
    times = []
    try:
        with connect(url) as conn:
            if setup:
                conn.execute(setup)
            for _ in range(runs):
                with conn.transaction():
                    conn.execute(
                        "select set_config('role', 'authenticated', true), set_config('request.jwt.claims', %s, true)",
                        (claims,),
                    )
                    started = time.perf_counter()
                    conn.execute(sql, params).fetchone()
                    times.append(time.perf_counter() - started)
    except psycopg.Error as exc:
        return {"error": str(exc).splitlines()[0]}
    return {"p50": percentile(times, 0.5), "p95": percentile(times, 0.95)}


# --- P4: per-event latency -------------------------------------------------------------------------


P4_BLOCKS = 5


def latency_summary(blocks: list[list[float]]) -> dict:
    """p50 = the lowest of the blocks' medians: each block is a slice of the samples taken at a
    different moment, so a burst from another tenant of this shared machine spoils one block, not
    the figure. p95 over every sample."""
    every = [x for block in blocks for x in block]
    return {
        "p50": min(percentile(block, 0.5) for block in blocks if block),
        "p50_all": percentile(every, 0.5),
        "p95": percentile(every, 0.95),
        "n": len(every),
    }


def webhook_latency(port: int, signer: Signer, steps: list[tuple[str, str, str]]) -> dict:
    """Per-webhook latency at concurrency 1 (one keep-alive connection), in P4_BLOCKS blocks."""
    blocks, statuses = [], Counter()
    for i in range(P4_BLOCKS):
        requests = [signer.completed(slug, ext) for _, ext, slug in steps[i::P4_BLOCKS]]
        out: list[dict] = []
        _connection_loop("127.0.0.1", port, requests, False, time.time() + 600, out)
        blocks.append(out[0]["latencies"])
        statuses += out[0]["statuses"]
        time.sleep(0.5)
    return {**latency_summary(blocks), "statuses": dict(statuses)}


def sql_latency(url: str, steps: list[tuple[str, str, str]]) -> dict:
    """Per-call latency of mark_step_complete through psycopg (as service_role), in blocks."""
    blocks = []
    with connect(url) as conn:
        conn.execute("set role service_role")
        for i in range(P4_BLOCKS):
            times = []
            for step_id, _, _ in steps[i::P4_BLOCKS]:
                started = time.perf_counter()
                conn.execute("select public.mark_step_complete(%s)", (step_id,)).fetchone()
                times.append(time.perf_counter() - started)
            blocks.append(times)
            time.sleep(0.5)
    return latency_summary(blocks)


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


# --- P5: the worker ---------------------------------------------------------------------------------


def simulator_raw_rate(port: int, seconds: float, threads: int = 8) -> float:
    """Enrollment POSTs/s the simulator answers to `threads` keep-alive connections."""
    counts = [0] * threads
    deadline = time.time() + seconds

    def loop(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        n = 0
        while time.time() < deadline:
            body = json.dumps(
                {
                    "reference": str(uuid.uuid4()),
                    "student": {"id": str(uuid.uuid4()), "email": f"raw{i}-{n}@bench.example.org", "name": "Raw"},
                    "program": {"slug": "cpr-first-aid", "name": "CPR & First Aid"},
                }
            ).encode()
            headers = {"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex}
            conn.request("POST", "/partners/hsi/enrollments", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status == 201:
                n += 1
        counts[i] = n
        conn.close()

    started = time.time()
    workers = [threading.Thread(target=loop, args=(i,)) for i in range(threads)]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    return sum(counts) / (time.time() - started)


def _p5_program(conn) -> tuple:
    """A one-partner program at a partner with an API (cpr-first-aid in the seed)."""
    row = conn.execute(
        "select g.id, g.slug, v.slug from public.programs g"
        " join public.program_partner_lms m on m.program_id = g.id"
        " join public.partner_lms_providers v on v.id = m.provider_id"
        " where v.adapter = 'rest' and (select count(*) from public.program_partner_lms x"
        "   where x.program_id = g.id) = 1"
        " order by (g.slug = 'cpr-first-aid') desc, g.slug limit 1"
    ).fetchone()
    if row is None:
        raise RuntimeError("no one-partner program at a partner with an API in the seed")
    return row


def _start_workers(url: str, sim_port: int, tmp: Path, count: int) -> list[subprocess.Popen]:
    argv = [sys.executable, "-m", "flask", "--app", "glue", "worker", "--scan-interval", "0"]
    argv += ["--concurrency", "8", "--batch", "50"]
    if "--monitoring-interval" in (REPO / "glue" / "cli.py").read_text():
        argv += ["--monitoring-interval", "0"]  # the snapshot's cost is measured in P3, not here
    env = clean_env({"DATABASE_URL": url, "PARTNER_API_BASE_URL": f"http://127.0.0.1:{sim_port}/partners/{{slug}}"})
    procs, logs = [], []
    for i in range(count):
        path = tmp / f"worker-{count}-{i}.log"
        with open(path, "ab") as out:
            procs.append(subprocess.Popen(argv, env=env, cwd=REPO, stdout=out, stderr=out, start_new_session=True))
        logs.append(path)
    deadline = time.monotonic() + 30
    for proc, path in zip(procs, logs, strict=True):
        while b"worker started" not in path.read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                _stop(procs)
                raise RuntimeError(f"the worker did not start; see {path}")
            time.sleep(0.1)
    time.sleep(1.0)  # idle: polling the empty queues
    return procs


def _stop(procs: list[subprocess.Popen]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _drain_round(url: str, sizes: Sizes, sim: subprocess.Popen, sim_port: int, tmp: Path, pg_pid: int, workers: int):
    """Queue `sizes.worker_jobs` partner enrollments through the normal insert path (the outbox
    trigger), let `workers` worker processes drain them, time it."""
    m = sizes.worker_jobs
    tag = secrets.token_hex(3)
    with connect(url) as conn:
        program_id, program_slug, partner_slug = _p5_program(conn)
        leftover = conn.execute("with d as (delete from queue.jobs returning 1) select count(*) from d").fetchone()[0]
        conn.execute("vacuum (analyze) queue.jobs")  # start from a clean queue, as autovacuum would leave it
        conn.execute("create schema if not exists bench")
        conn.execute("drop table if exists bench.p5_steps")
        conn.execute("create table bench.p5_steps (step_id uuid primary key)")
        conn.execute(
            "insert into auth.users (id, email)"
            " select gen_random_uuid(), 'p5-' || %s || '-' || i || '@bench.example.org' from generate_series(1, %s) i",
            (tag, m),
        )
        conn.execute(
            "insert into public.profiles (id, email, full_name, role) select id, email, 'Bench Student', 'student'"
            " from auth.users where email like %s on conflict (id) do update set full_name = excluded.full_name",
            (f"p5-{tag}-%",),
        )
    procs = _start_workers(url, sim_port, tmp, workers)
    result = {"m": m, "leftover": leftover, "t_linked": None, "t_drained": None, "cpu": None}
    try:
        log(f"P5: {m:,} enrollments in {program_slug} ({partner_slug}), {workers} worker process(es)")
        with connect(url) as conn:
            with conn.transaction():
                conn.execute(
                    "insert into public.enrollments (user_id, program_id)"
                    " select id, %s from public.profiles where email like %s",
                    (program_id, f"p5-{tag}-%"),
                )
                conn.execute(
                    "insert into bench.p5_steps select s.id from public.enrollment_steps s"
                    " join public.enrollments e on e.id = s.enrollment_id"
                    " join public.profiles p on p.id = e.user_id where p.email like %s",
                    (f"p5-{tag}-%",),
                )
            conn.execute("select pg_stat_statements_reset()")
            t0 = time.perf_counter()
            roots = {f"worker{i + 1}" if workers > 1 else "worker": p.pid for i, p in enumerate(procs)}
            meter = CpuMeter({**roots, "simulator": sim.pid, "postgres": pg_pid})
            result["queued"] = conn.execute(
                "select count(*) from queue.jobs where queue_name = 'partner_enrollment'"
            ).fetchone()[0]
            timeout_at = t0 + sizes.worker_timeout
            while time.perf_counter() < timeout_at:
                # cheap: the queue holds only the P5 jobs (a join over the steps would cost the
                # database more than the worker's own work at 1M enrollments)
                partner_left, all_left = conn.execute(
                    "select count(*) filter (where queue_name = 'partner_enrollment'), count(*) from queue.jobs"
                ).fetchone()
                now = time.perf_counter()
                if partner_left == 0 and result["t_linked"] is None:
                    result["t_linked"] = now - t0
                if all_left == 0:
                    result["t_drained"] = now - t0
                    result["cpu"] = meter.stop(m)
                    break
                time.sleep(0.1)
            result["linked"] = conn.execute(
                "select count(*) from bench.p5_steps p join public.enrollment_steps s on s.id = p.step_id"
                " where s.external_enrollment_id is not null"
            ).fetchone()[0]
            if result["linked"] < m:
                result["t_linked"] = None
            result["emails"] = conn.execute(
                "select count(*) from public.email_sends s join public.profiles p on p.id = s.user_id"
                " where p.email like %s and s.template = 'step_started'",
                (f"p5-{tag}-%",),
            ).fetchone()[0]
            result["statements"] = statements_table(
                conn, f"Statements during P5 ({m:,} enrollments linked and emailed, {workers} worker), by total time:"
            )
            result["dead"] = conn.execute(
                "select count(*) from queue.jobs_archive where outcome = 'dead' and queue_name = 'partner_enrollment'"
            ).fetchone()[0]
    finally:
        _stop(procs)
    return result


def worker_bench(url: str, sizes: Sizes, app_port: int, tmp: Path, pg_pid: int, report: Report) -> None:
    from devtools.cluster import free_port

    sim_port = free_port()
    sim_log = open(tmp / "simulator.log", "ab")  # noqa: SIM115
    sim = subprocess.Popen(
        [sys.executable, "-m", "devtools.partner_simulator", "--port", str(sim_port)]
        + ["--app-url", f"http://127.0.0.1:{app_port}", "--quiet"],
        cwd=REPO,
        env=clean_env({"PARTNER_WEBHOOK_SECRET": "whsec_" + base64.b64encode(b"p5" * 16).decode()}),
        stdout=subprocess.PIPE,
        stderr=sim_log,
        text=True,
    )
    try:
        line = sim.stdout.readline()
        if "listening" not in line:
            raise RuntimeError(f"partner simulator did not start: {line!r}")
        log(f"P5: simulator raw rate ({sizes.sim_seconds:.0f} s, 8 keep-alive threads)")
        raw = simulator_raw_rate(sim_port, sizes.sim_seconds)
        conn_sim = http.client.HTTPConnection("127.0.0.1", sim_port, timeout=30)
        conn_sim.request("POST", "/_reset", body=b"{}", headers={"Content-Type": "application/json"})
        conn_sim.getresponse().read()
        conn_sim.close()
        rounds = [(1, _drain_round(url, sizes, sim, sim_port, tmp, pg_pid, 1))]
        rounds.append((2, _drain_round(url, sizes, sim, sim_port, tmp, pg_pid, 2)))
    finally:
        if sim.poll() is None:
            sim.terminate()
            sim.wait(timeout=30)
        sim_log.close()

    report.notes.append(
        f"P5: {rounds[0][1]['leftover']:,} job(s) left by P1/P2/P4 (next-step partner enrollments, certificates,"
        " emails) were deleted (then `vacuum queue.jobs`), so the worker drains only the P5 jobs. The worker runs with"
        " `--monitoring-interval 0` (refresh_monitoring is measured in P3)."
    )
    baseline = f"{raw:.0f} POST/s (simulator raw)"
    for workers, r in rounds:
        m = r["m"]
        main = workers == 1
        suffix = "" if main else " — 2 worker processes (info)"
        if main:
            report.profile.append(r["statements"])
        if r["cpu"]:
            report.notes.append(f"P5 CPU per enrollment (its partner job + its email job){suffix}: {r['cpu']}.")
        if r["t_linked"] is None:
            rate = r["linked"] / sizes.worker_timeout
            measured = f"{rate:.0f} jobs/s (timed out: {r['linked']:,}/{m:,} linked in {sizes.worker_timeout:.0f} s)"
            report.add(
                f"P5 worker: partner enrollments linked/s{suffix}",
                measured,
                baseline,
                ratio(rate, raw),
                "≥ 500 jobs/s",
                "NO" if main else "—",
            )
            continue
        rate = m / r["t_linked"]
        report.add(
            f"P5 worker: partner enrollments linked/s{suffix}",
            f"{rate:.0f} jobs/s ({m:,} in {r['t_linked']:.1f} s)",
            baseline,
            ratio(rate, raw),
            "≥ 500 jobs/s" if main else "— (info)",
            yes(rate >= 500) if main else "—",
        )
        if r["t_drained"] is not None and main:
            total = (m + r["emails"]) / r["t_drained"]
            report.add(
                "P5 worker: all jobs/s (partner + step_started email)",
                f"{total:.0f} jobs/s ({m:,} + {r['emails']:,} emails in {r['t_drained']:.1f} s)",
                baseline,
                ratio(total, raw),
                "— (info)",
                "—",
            )
        elif r["t_drained"] is None:
            report.notes.append(f"P5{suffix}: the email jobs were not all drained before the timeout.")
        if r["dead"]:
            report.notes.append(f"P5{suffix}: {r['dead']} partner enrollment job(s) were dead-lettered.")


# --- profiling -------------------------------------------------------------------------------------


def statements_table(conn, title: str, limit: int = 15) -> str:
    """pg_stat_statements of this database, by total time, as a markdown table."""
    rows = conn.execute(
        "select calls, round(total_exec_time::numeric, 1), round(mean_exec_time::numeric, 3),"
        " shared_blks_hit + shared_blks_read, regexp_replace(left(query, 110), '\\s+', ' ', 'g')"
        " from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())"
        " and query not like '%%pg_stat_statements%%'"
        " order by total_exec_time desc limit %s",
        (limit,),
    ).fetchall()
    lines = [title, "", "| calls | total ms | mean ms | blocks | statement |", "|---:|---:|---:|---:|---|"]
    for calls, total, mean, blocks, query in rows:
        text = query.replace("|", "\\|")
        lines.append(f"| {calls} | {total} | {mean} | {blocks} | `{text}` |")
    return "\n".join(lines) + "\n"


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


# --- P1, P2 -----------------------------------------------------------------------------------------


def p1_webhooks(url: str, port: int, signer: Signer, sizes: Sizes, roots: dict[str, int], report: Report) -> None:
    log(f"P1: no-op baseline ({sizes.http_seconds:.0f} s, 16 connections, 2 processes)")
    noop_requests = [signer.completed("hsi", f"NOOP-{i}", "/bench/noop") for i in range(512)]
    run_load(port, noop_requests, 16, 2, 2.0, cycle=True)  # warm-up
    meter = CpuMeter(roots, "load generator")
    noop = run_load(port, noop_requests, 16, 2, sizes.http_seconds, cycle=True)
    noop_cpu = meter.stop(noop["count"])
    pool_size = int(noop["rps"] * sizes.http_seconds * 1.1) + 2000
    steps = take_steps(url, pool_size + 300)
    warm, steps = steps[:300], steps[300:]
    run_load(port, [signer.completed(slug, ext) for _, ext, slug in warm], 16, 2, 5.0, cycle=False)  # warm-up
    log(f"P1: webhooks ({sizes.http_seconds:.0f} s, pool of {len(steps):,} distinct in-progress steps)")
    requests = [signer.completed(slug, ext) for _, ext, slug in steps]
    meter = CpuMeter(roots, "load generator")
    hook = run_load(port, requests, 16, 2, sizes.http_seconds, cycle=False)
    hook_cpu = meter.stop(hook["count"])
    report.add(
        "P1 webhook course.completed req/s (16 conns)",
        f"{hook['rps']:.0f} req/s · p50 {ms(hook['p50'])} · p99 {ms(hook['p99'])}",
        f"{noop['rps']:.0f} req/s · p50 {ms(noop['p50'])} · p99 {ms(noop['p99'])} (no-op)",
        ratio(hook["rps"], noop["rps"]),
        "≥ 0.80",
        yes(bool(noop["rps"]) and hook["rps"] / noop["rps"] >= 0.8),
    )
    report.notes.append(
        f"P1: {hook['count']:,} webhooks, statuses {hook['statuses']}, client errors {hook['errors']}"
        + (" — the step pool ran out before the end" if hook["exhausted"] else "")
        + f"; no-op: {noop['count']:,} requests, statuses {noop['statuses']}."
    )
    report.notes.append(f"P1 CPU, no-op: {noop_cpu}.")
    report.notes.append(f"P1 CPU, webhook: {hook_cpu}.")
    if hook["statuses"].get(200, 0) != hook["count"]:
        report.notes.append(f"P1 non-200 answers: {hook['bodies']}")


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
    log(f"P2: mark_step_complete (-c 8 -j 2 -T {duration}, pool of {pool:,} steps)")
    meter = CpuMeter({"postgres": pg_pid}, "pgbench")
    custom_run = pgbench(
        pg_port, ["-n", "-c", "8", "-j", "2", "-T", duration, "-f", str(script), "bench"], password=password
    )
    custom = pgbench_tps(custom_run)
    time.sleep(1.0)
    custom_cpu = meter.stop(int(custom * sizes.pgbench_seconds))
    with connect(url) as conn:
        used = conn.execute("select last_value from bench.pool_seq").fetchone()[0]
    report.add(
        "P2 mark_step_complete tps (pgbench -c 8 -j 2)",
        f"{custom:.0f} tps",
        f"{base:.0f} tps (TPC-B-like, scale 10)",
        ratio(custom, base),
        "≥ 0.90",
        yes(custom / base >= 0.9),
    )
    report.notes.append(f"P2 CPU, TPC-B-like: {base_cpu}.")
    report.notes.append(f"P2 CPU, mark_step_complete: {custom_cpu}.")
    if used > pool or "aborted" in custom_run.stderr + custom_run.stdout:
        report.notes.append(f"P2: the step pool ({pool:,}) was exhausted or a client aborted: {used:,} used.")


# --- the run ---------------------------------------------------------------------------------------


def run(args: argparse.Namespace, sizes: Sizes, report: Report) -> None:
    import psycopg

    from devtools.cluster import TemporaryCluster
    from glue import migrate

    tmp = Path(tempfile.mkdtemp(prefix="partnerseq-bench-"))
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    jwt_secret = secrets.token_urlsafe(32)
    started = time.monotonic()
    log(f"cluster (fsync on), logs in {tmp}")
    cluster = TemporaryCluster(fsync=True)
    cluster.start()
    gunicorn = None
    try:
        with connect(cluster.url()) as conn:
            # durability unchanged (fsync, synchronous_commit, full_page_writes stay on); fewer
            # forced checkpoints during the bulk load
            conn.execute("alter system set max_wal_size = '8GB'")
            conn.execute("alter system set checkpoint_timeout = '30min'")
            conn.execute("select pg_reload_conf()")
            conn.execute("create database bench")
            conn.execute("create database pgbench_base")
            pg_version = conn.execute("select version()").fetchone()[0]
            settings = dict(
                conn.execute(
                    "select name, setting from pg_settings where name in"
                    " ('fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'max_wal_size')"
                ).fetchall()
            )
        report.machine = machine_description(pg_version.split(" on ")[0].split(",")[0])
        report.notes.append(
            "PostgreSQL settings: fsync={fsync}, synchronous_commit={synchronous_commit}, "
            "full_page_writes={full_page_writes}, shared_buffers={shared_buffers}×8kB, "
            "max_wal_size={max_wal_size}MB (raised for the bulk load; durability unchanged).".format(**settings)
        )
        url = cluster.url("bench")
        migrate.migrate(url)
        migrate.seed(url)
        with connect(url) as conn:
            conn.execute("create extension if not exists pg_stat_statements")

        # ---- small size (10k) on the fresh database
        log(f"generating {sizes.small:,} enrollments")
        small_gen = generate(url, sizes.small, args.seed)
        gunicorn = Gunicorn(
            {
                "DATABASE_URL": url,
                "PARTNER_WEBHOOK_SECRET": secret,
                "SUPABASE_JWT_SECRET": jwt_secret,
                "SECRET_KEY": secrets.token_urlsafe(16),
            },
            tmp,
        )
        signer = Signer(secret)
        token = admin_token(jwt_secret)
        small_refresh = refresh_monitoring(url)
        log("P3 at the small size")
        small_queries = measure_queries(url, sizes.query_runs)
        small_page = measure_page(gunicorn.port, token, sizes.page_runs)
        log("P4 at the small size")
        small_hook = webhook_latency(gunicorn.port, signer, take_steps(url, sizes.latency_samples))
        small_sql = sql_latency(url, take_steps(url, sizes.latency_samples))

        # ---- large size
        more = sizes.enrollments - sizes.small
        log(f"generating {more:,} more enrollments (total {sizes.enrollments:,})")
        big_gen = generate(url, more, args.seed + 1)
        gen_rate_small = small_gen["total_seconds"] / sizes.small
        gen_rate_big = big_gen["total_seconds"] / more
        report.add(
            f"generate-data {more:,} enrollments",
            f"{big_gen['total_seconds']:.0f} s ({more / big_gen['total_seconds']:,.0f} enrollments/s)",
            f"{small_gen['total_seconds']:.1f} s for {sizes.small:,}",
            ratio(gen_rate_big, gen_rate_small) + " (s per enrollment)",
            "— (info)",
            "—",
        )
        counts = big_gen["counts"]
        report.notes.append(
            "Data at the large size: "
            + ", ".join(f"{t.split('.')[-1]} {c:,}" for t, c in counts.items())
            + f"; jobs queued by the generator: {big_gen['queue_jobs_added']:+,}."
        )
        big_refresh = refresh_monitoring(url)
        if big_refresh is None:
            report.add("refresh_monitoring()", "missing", "—", "—", "< 30 s (refresh interval)", "—")
        else:
            report.add(
                "refresh_monitoring()",
                ms(big_refresh),
                ms(small_refresh or math.nan) + " at 10k",
                ratio(big_refresh, small_refresh or math.nan),
                "< 30 s (refresh interval)",
                yes(big_refresh < 30),
            )

        log("P3 at the large size")
        big_queries = measure_queries(url, sizes.query_runs)
        for name, _ in MONITORING_QUERIES:
            big, small = big_queries[name], small_queries.get(name, {})
            label = f"P3 {name} p50 / p95"
            if big.get("missing"):
                report.add(label, "missing", "—", "—", f"p95 ≤ {QUERY_TARGET_MS:.0f} ms", "—")
            elif "error" in big:
                report.add(label, big["error"], "—", "—", f"p95 ≤ {QUERY_TARGET_MS:.0f} ms", "—")
            else:
                report.add(
                    label,
                    f"{ms(big['p50'])} / {ms(big['p95'])}" + (f" ({big['runs']} runs)" if big["runs"] < 30 else ""),
                    f"{ms(small.get('p50', math.nan))} / {ms(small.get('p95', math.nan))} at 10k",
                    ratio(big["p95"], small.get("p95", math.nan)),
                    f"p95 ≤ {QUERY_TARGET_MS:.0f} ms",
                    yes(big["p95"] * 1000 <= QUERY_TARGET_MS),
                )
        slow = [n for n, r in big_queries.items() if r.get("p95", 0) > 0.010]
        if slow:
            nojit = measure_queries(url, sizes.query_runs, only=slow, setup="set jit = off")
            for name in slow:
                report.notes.append(
                    f"P3 {name} with `set jit = off` in the session: p50 {ms(nojit[name].get('p50', math.nan))}"
                    f" / p95 {ms(nojit[name].get('p95', math.nan))} (JIT on: {ms(big_queries[name]['p95'])} p95)."
                )
        big_page = measure_page(gunicorn.port, token, sizes.page_runs)
        page_sql = measure_dashboard_sql(url, 10)
        page_sql_nojit = measure_dashboard_sql(url, 10, setup="set jit = off")
        if "p50" in page_sql and "p50" in page_sql_nojit:
            report.notes.append(
                f"P3 page: its one SQL round trip alone (as the admin, no Flask/Jinja) p50 {ms(page_sql['p50'])}"
                f" / p95 {ms(page_sql['p95'])} with the server's default JIT setting, p50 {ms(page_sql_nojit['p50'])}"
                f" / p95 {ms(page_sql_nojit['p95'])} with `set jit = off`; the rest of the page time is Flask and"
                f" Jinja rendering {big_page.get('bytes', 0) // 1024} KiB of HTML."
            )
        elif "error" in page_sql:
            report.notes.append(f"P3 page SQL alone could not be measured: {page_sql['error']}")
        if big_page.get("missing"):
            report.add("P3 GET /admin/dashboard p50 / p95", "missing", "—", "—", f"≤ {PAGE_TARGET_MS:.0f} ms", "—")
        elif "error" in big_page:
            report.add("P3 GET /admin/dashboard", big_page["error"], "—", "—", f"≤ {PAGE_TARGET_MS:.0f} ms", "—")
        else:
            report.add(
                "P3 GET /admin/dashboard p50 / p95",
                f"{ms(big_page['p50'])} / {ms(big_page['p95'])} ({big_page['bytes'] // 1024} KiB)",
                f"{ms(small_page.get('p50', math.nan))} / {ms(small_page.get('p95', math.nan))} at 10k",
                ratio(big_page["p95"], small_page.get("p95", math.nan)),
                f"p95 ≤ {PAGE_TARGET_MS:.0f} ms",
                yes(big_page["p95"] * 1000 <= PAGE_TARGET_MS),
            )

        log("P4 at the large size")
        big_hook = webhook_latency(gunicorn.port, signer, take_steps(url, sizes.latency_samples))
        big_sql = sql_latency(url, take_steps(url, sizes.latency_samples))
        for label, big, small in (
            ("P4 webhook latency at concurrency 1 (block p50)", big_hook, small_hook),
            ("P4 mark_step_complete latency, psycopg (block p50)", big_sql, small_sql),
        ):
            r = round(big["p50"] / small["p50"], 2) if small["p50"] else math.nan  # judged as displayed
            report.add(
                label,
                f"{ms(big['p50'])} (all-sample p50 {ms(big['p50_all'])}, p95 {ms(big['p95'])}, n={big['n']})",
                f"{ms(small['p50'])} (all {ms(small['p50_all'])}, p95 {ms(small['p95'])}) at 10k",
                f"{r:.2f}",
                "≤ 1.20",
                yes(r <= 1.2),
            )
        if big_hook["statuses"].get(200, 0) != big_hook["n"] or small_hook["statuses"].get(200, 0) != small_hook["n"]:
            report.notes.append(f"P4 webhook statuses: small {small_hook['statuses']}, large {big_hook['statuses']}")

        # ---- P1, P2
        pg_pid = cluster.proc.pid
        for label, target, measure in (
            (
                "P1 webhook",
                "≥ 0.80",
                lambda: p1_webhooks(
                    url, gunicorn.port, signer, sizes, {"gunicorn": gunicorn.proc.pid, "postgres": pg_pid}, report
                ),
            ),
            ("P2 mark_step_complete", "≥ 0.90", lambda: p2_pgbench(cluster.port, url, sizes, tmp, pg_pid, report)),
        ):
            try:
                measure()
            except Exception as exc:  # noqa: BLE001 - report it, keep the rest
                report.add(label, f"error: {exc}", "—", "—", target, "—")
                traceback.print_exc()

        # ---- P5
        log("P5: the worker against the partner simulator")
        try:
            worker_bench(url, sizes, gunicorn.port, tmp, pg_pid, report)
        except Exception as exc:  # noqa: BLE001 - report it, keep the rest
            report.add("P5 worker", f"error: {exc}", "—", "—", "≥ 500 jobs/s", "—")
            traceback.print_exc()

        # ---- profile
        if not args.no_profile:
            log("profiling: auto_explain of the monitoring functions, pg_stat_statements of the webhook SQL")
            try:
                plans = profile_monitoring(url)
                slow = sorted(
                    (n for n in big_queries if big_queries[n].get("p95", 0) > 0.010),
                    key=lambda n: -big_queries[n]["p95"],
                )[:3]
                for name in slow:
                    report.profile.append(
                        f"<details><summary>plan of monitor {name} (p95 {ms(big_queries[name]['p95'])})</summary>"
                        f"\n\n```\n{plans.get(name, '').strip()[:6000]}\n```\n</details>\n"
                    )
                (tmp / "plans.txt").write_text("\n\n".join(f"== {k}\n{v}" for k, v in plans.items()))
                report.profile.insert(0, profile_webhook_sql(url, take_steps(url, 300)))
                report.profile.append(index_usage(url))
            except psycopg.Error as exc:
                report.notes.append(f"profiling failed: {exc}")
        log(f"done in {time.monotonic() - started:.0f} s")
        report.notes.append(f"Total bench time: {time.monotonic() - started:.0f} s; logs and plans in {tmp}.")
    finally:
        if gunicorn is not None:
            gunicorn.stop()
        cluster.stop()


# --- output ------------------------------------------------------------------------------------------

HEADERS = ("name", "measured", "baseline", "ratio", "target", "met?")


def text_table(rows: list[Row]) -> str:
    cells = [HEADERS] + [(r.name, r.measured, r.baseline, r.ratio, r.target, r.met) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(HEADERS))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown_section(report: Report, sizes: Sizes) -> str:
    m = report.machine
    out = [
        f"## `{report.command}` — {report.mode} ({sizes.enrollments:,} enrollments)",
        "",
        f"- **Date:** {m.get('date', '?')}",
        f"- **Machine:** {m.get('cpu', '?')}, {m.get('ram', '?')} RAM, {m.get('os', '?')}",
        f"- **Software:** {m.get('postgresql', '?')}, Python {m.get('python', '?')}, gunicorn {m.get('gunicorn', '?')}",
        "",
        "| name | measured | baseline | ratio | target | met? |",
        "|---|---|---|---|---|---|",
    ]
    for r in report.rows:
        out.append(f"| {r.name} | {r.measured} | {r.baseline} | {r.ratio} | {r.target} | {r.met} |")
    if report.notes:
        out += ["", "Notes:", ""] + [f"- {n}" for n in report.notes]
    if report.profile:
        out += ["", "### Profile", ""] + report.profile
    return "\n".join(out) + "\n"


DOC_HEAD = """# Benchmarks

Written by `scripts/bench` (full size) and `scripts/bench --quick`; each run replaces its own
section. The machine is small and shared, so every figure comes with a **baseline measured in the
same run** and the **ratio** is what to compare between runs. See `scripts/bench --help` for what
each measurement does; `scripts/generate-data --help` for the data.

- **P1** signed `course.completed` webhooks through gunicorn (2 workers × 8 threads, the gthread
  worker: one process per core, threads to overlap the database round trip) vs a no-op route of
  the same app on the same server; 16 keep-alive connections from 2 client processes that share
  the 2 cores with the server and PostgreSQL.
- **P2** `mark_step_complete` through pgbench (each transaction completes a distinct step) vs
  pgbench's built-in TPC-B-like transaction, same `-c 8 -j 2 -T`.
- **P3** the monitoring functions and `GET /admin/dashboard` at N vs at 10,000 enrollments.
- **P4** per-event latency at concurrency 1 at N vs at 10,000 enrollments; "block p50" is the
  lowest of 5 medians, each over a fifth of the samples taken at a different moment, so that a
  burst from another tenant spoils one block rather than the figure (all-sample p50 alongside).
- **P5** `flask --app glue worker --concurrency 8 --batch 50` draining partner enrollment jobs
  against the local partner simulator vs the simulator's raw POST rate (8 keep-alive threads);
  then the same with 2 worker processes (info).
- CPU per request/job comes from /proc (user + system time of each process tree over the run);
  "other processes" is the rest of the machine's busy time: other tenants of this shared box.
"""


def write_doc(path: Path, report: Report, sizes: Sizes) -> None:
    section = markdown_section(report, sizes)
    start, end = f"<!-- bench:{report.mode}:start -->", f"<!-- bench:{report.mode}:end -->"
    block = f"{start}\n{section}{end}\n"
    text = path.read_text() if path.exists() else DOC_HEAD
    first = text.find("<!-- bench:")
    text = DOC_HEAD + "\n" + text[first:] if first >= 0 else DOC_HEAD  # the head always describes this version
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) + 1 :]
    else:
        other = "quick" if report.mode == "full" else "full"
        other_start = f"<!-- bench:{other}:start -->"
        if report.mode == "full" and other_start in text:
            i = text.index(other_start)
            text = text[:i] + block + "\n" + text[i:]
        else:
            text = text.rstrip("\n") + "\n\n" + block
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes and short runs (50k enrollments)")
    parser.add_argument("--enrollments", type=int, help="override N (default 1,000,000; 50,000 with --quick)")
    parser.add_argument("--seed", type=int, default=42, help="random seed of the generated data (default 42)")
    parser.add_argument("--output", type=Path, default=DOC, help="markdown file to update (default docs/benchmarks.md)")
    parser.add_argument("--no-profile", action="store_true", help="skip the profiling step")
    args = parser.parse_args(argv)
    if not (PGBIN / "pgbench").exists():
        print(f"bench: {PGBIN / 'pgbench'} not found (PostgreSQL 15 binaries; scripts/bootstrap)", file=sys.stderr)
        return 2
    sizes = QUICK if args.quick else FULL
    if args.enrollments:
        if args.enrollments <= sizes.small:
            parser.error(f"--enrollments must be more than {sizes.small:,}")
        sizes = Sizes(**{**sizes.__dict__, "enrollments": args.enrollments})
    command = (
        "scripts/bench"
        + (" --quick" if args.quick else "")
        + (f" --enrollments {args.enrollments}" if args.enrollments else "")
    )
    report = Report(mode="quick" if args.quick else "full", command=command)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        run(args, sizes, report)
    except Exception as exc:  # noqa: BLE001 - the bench could not run: say why, exit non-zero
        traceback.print_exc()
        print(f"bench: could not run: {exc}", file=sys.stderr)
        if report.rows:
            print(text_table(report.rows))
        return 1
    print()
    print(text_table(report.rows))
    for note in report.notes:
        print(f"- {note}")
    write_doc(args.output, report, sizes)
    print(f"\nwritten: {args.output.relative_to(REPO) if args.output.is_relative_to(REPO) else args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
