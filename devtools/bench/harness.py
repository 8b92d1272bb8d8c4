"""The bench's shared harness: sizes, the report, CPU accounting, the HTTP load generator, gunicorn,
database helpers."""

from __future__ import annotations

import http.client
import itertools
import json
import math
import multiprocessing
import os
import platform
import resource
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

PGBIN = Path(os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin"))
ADMIN_ID = "00000000-0000-4000-a000-000000000001"  # the bench's admin (create_admin), as in supabase/demo.sql
DOC = REPO / "docs" / "benchmarks.md"

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
    peer_jobs: int  # P5 peers: jobs per no-op drain
    peer_reps: int  # P5 peers: repetitions (the median is reported)
    peer_enqueue: int  # P5 peers: jobs enqueued one by one


QUICK = Sizes(30_000, 10_000, 6, 8, 200, 1_000, 15, 10, 4, 120, 5_000, 3, 500)
FULL = Sizes(1_000_000, 10_000, 20, 20, 500, 5_000, 30, 30, 10, 300, 20_000, 3, 2_000)


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
    """Standard Webhooks signing of course.completed events, as a partner does it, each partner
    with its own secret ({slug: secret}; the app verifies each partner with its own)."""

    def __init__(self, secrets: dict[str, str]):
        from standardwebhooks.webhooks import Webhook

        self.webhooks = {slug: Webhook(secret) for slug, secret in secrets.items()}

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
            "webhook-signature": self.webhooks[slug].sign(msg_id, now, body),
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
    """`gunicorn --workers 2 --threads 8 'devtools.bench.apps:bench_app()'` on a free port."""

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
            "devtools.bench.apps:bench_app()",
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


def create_admin(url: str) -> None:
    """The admin P3's token signs in as: seed.sql holds configuration only (the demo admin lives in
    supabase/demo.sql, whose students the bench does not want), so the bench makes its own. The
    auth.users trigger creates the profile; the role is then set to admin."""
    with connect(url) as conn:
        conn.execute(
            "insert into auth.users (id, email, raw_user_meta_data) values (%s, 'bench-admin@example.org',"
            ' \'{"full_name": "Bench Admin"}\') on conflict (id) do nothing',
            (ADMIN_ID,),
        )
        conn.execute("update public.profiles set role = 'admin' where id = %s", (ADMIN_ID,))


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
