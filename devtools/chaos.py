"""Chaos run: signed partner webhooks against the real processes while they crash.

    scripts/chaos [--enrollments 1900] [--db-restarts 6] [--web-kills 6] [--worker-kills 6] [--seed 12]
    make chaos                                   # the long run (about 5,000 deliveries)

What runs, each a real process started here: a throwaway PostgreSQL 15 cluster (devtools.cluster;
migrations, seed and demo data applied), the web app under gunicorn, the worker
(`flask --app glue worker`, periodic checks every few seconds) and the partner simulator
(devtools.partner_simulator, the partners' enrollment API). Students are enrolled in programs
with two or three partners; the worker enrolls them at the simulator; this harness plays the
partners' side: it watches the simulator's enrollments and sends each one's `course.completed`,
signed per Standard Webhooks with that partner's own secret, with duplicates (the same
webhook-id and body again, some while the first is in flight) and some events held back so that
later ones overtake them. Senders retry connection errors and 5xx with backoff and the same
webhook-id, re-signed (Standard Webhooks' retry semantics, on a compressed schedule).

Meanwhile it restarts PostgreSQL in immediate mode (SIGQUIT to the postmaster: every backend dies
without a checkpoint, crash recovery at the next start), and `kill -9`s gunicorn (master and
workers) and the worker, restarting each. After a drain window it checks, from the database:

- every distinct event the app acknowledged (2xx) is stored once and applied (`processed`): lost = 0;
- no step completed or started twice (the audit trail, step_transitions): double-applied = 0;
- every chain finished: all steps completed, the enrollment completed, exactly one certificate
  with its PDF;
- no job in flight longer than its queue's visibility window (sampled during the run and at the
  end), no job left in the queue, none dead;
- no delivery left on a 5xx or a connection error after its retries (undelivered = 0), and no
  500 answer at all (the app answers 503 when the database is away).

and prints the figures: delivered, duplicates, out of order, restarts, kills, lost,
double-applied, slowest recovery (from a restart or kill to the next successful delivery sent
after it). tests/py/test_chaos.py runs a small configuration inside `make test`.

The cluster runs with fsync off but synchronous_commit on: a 2xx means the commit's WAL reached
the operating system, which outlives the crashed processes (only the processes die here, not the
machine). Queue visibility windows are shortened (--visibility-timeout, 10 s) so the jobs of a
killed worker come back within the drain window; production keeps 60/120 s.
"""

from __future__ import annotations

import argparse
import base64
import heapq
import json
import os
import random
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import requests
from psycopg.rows import dict_row
from standardwebhooks.webhooks import Webhook

from glue import migrate

from .cluster import REPO, Cluster, TemporaryCluster, free_port

PARTNERS = ("hsi", "certiport", "careersafe", "jri", "milady")
GIVE_UP_AFTER = 120.0  # seconds a sender keeps retrying one delivery before counting it undelivered
RETRY_FIRST, RETRY_CAP = 0.2, 2.0  # the senders' backoff (Retry-After is honoured up to the cap)


@dataclass
class ChaosConfig:
    """One run's shape. The defaults are the long run of `make chaos`."""

    enrollments: int = 1900
    db_restarts: int = 6
    web_kills: int = 6
    worker_kills: int = 6
    duplicate_rate: float = 0.2  # share of all deliveries that repeat an event already sent
    out_of_order_rate: float = 0.1  # share of events held back so later ones overtake them
    senders: int = 8
    web_workers: int = 2
    web_threads: int = 8
    worker_concurrency: int = 8
    visibility_timeout: int = 10
    drain_timeout: float = 120.0  # give up when nothing moved for this long (delivery, then drain)
    seed: int = 12
    keep: bool = False  # keep the run directory (logs) afterwards


@dataclass
class Delivery:
    """One event (a partner's course.completed) and what became of it."""

    slug: str
    webhook_id: str
    body: str
    step_id: str
    held_back: bool = False
    answers: list[int] = field(default_factory=list)  # final status codes, one per send (dup sends too)
    statuses: list[str] = field(default_factory=list)  # the app's "status" of each 2xx answer
    acknowledged: bool = False


@dataclass
class ChaosResult:
    """The figures of one run (see format())."""

    config: ChaosConfig
    enrollments: int = 0
    steps: int = 0
    sends: int = 0
    distinct: int = 0
    duplicates: int = 0
    held_back: int = 0
    arrived_before_link: int = 0
    admin_links: int = 0
    acknowledged: int = 0
    answers: dict[str, int] = field(default_factory=dict)
    retries: int = 0
    connection_errors: int = 0
    http_5xx: dict[int, int] = field(default_factory=dict)
    undelivered: int = 0
    faults: list[dict] = field(default_factory=list)
    lost: int = 0
    extra_events: int = 0
    double_applied: int = 0
    chains_completed: int = 0
    certificates: int = 0
    certificate_pdfs: int = 0
    steps_not_completed: int = 0
    jobs_left: int = 0
    jobs_dead: int = 0
    max_in_flight_over_window: float = 0.0
    max_returned_job_wait: float = 0.0
    jobs_rerun: int = 0
    slowest_rerun_job: float = 0.0
    web_tracebacks: int = 0
    drained_in: float | None = None
    elapsed: float = 0.0
    run_dir: str = ""

    @property
    def restarts(self) -> int:
        return sum(f["kind"] == "postgres" for f in self.faults)

    @property
    def kills(self) -> int:
        return sum(f["kind"] != "postgres" for f in self.faults)

    @property
    def slowest_recovery(self) -> dict | None:
        timed = [f for f in self.faults if f["recovery"] is not None]
        return max(timed, key=lambda f: f["recovery"]) if timed else None

    @property
    def unrecovered(self) -> int:
        return sum(f["recovery"] is None for f in self.faults)

    def ok(self) -> bool:
        """Every invariant held."""
        return not self.problems()

    def problems(self) -> list[str]:
        found = []
        checks = [
            (self.lost, "events acknowledged but not applied (lost)"),
            (self.extra_events, "stored events nobody sent or stored twice"),
            (self.double_applied, "steps completed or started twice (double-applied)"),
            (self.undelivered, "deliveries left on a 5xx or a connection error after retries"),
            (self.http_5xx.get(500, 0), "500 answers"),
            (self.enrollments - self.chains_completed, "chains not completed"),
            (self.enrollments - self.certificate_pdfs, "chains without a certificate PDF"),
            (self.certificates - self.enrollments, "certificates beyond one per chain"),
            (self.steps_not_completed, "steps not completed"),
            (self.jobs_left, "jobs left in the queues after the drain window"),
            (self.jobs_dead, "dead jobs"),
            (self.web_tracebacks, "tracebacks in the web app's log"),
            (self.unrecovered, "faults after which no delivery succeeded"),
        ]
        for count, what in checks:
            if count > 0:
                found.append(f"{count} {what}")
        if self.max_in_flight_over_window > 1.0:
            found.append(f"a job stayed in flight {self.max_in_flight_over_window:.1f} s beyond its visibility window")
        return found

    def format(self) -> str:
        c = self.config
        kinds = {}
        for f in self.faults:
            if f["recovery"] is not None:
                kinds[f["kind"]] = max(kinds.get(f["kind"], 0.0), f["recovery"])
        slowest = self.slowest_recovery
        answers = ", ".join(f"{k} {v}" for k, v in sorted(self.answers.items()))
        five = ", ".join(f"{code}: {n}" for code, n in sorted(self.http_5xx.items())) or "none"
        lines = [
            f"chaos run (seed {c.seed}): {self.enrollments} enrollments in multi-partner programs, {self.steps} steps;"
            f" gunicorn {c.web_workers}x{c.web_threads}, worker concurrency {c.worker_concurrency},"
            f" {c.senders} senders, visibility windows {c.visibility_timeout} s",
            f"delivered: {self.sends} deliveries = {self.distinct} distinct course.completed events"
            f" + {self.duplicates} duplicates ({self.duplicates / max(self.sends, 1):.1%});"
            f" out of order: {self.held_back} held back behind later ones,"
            f" {self.arrived_before_link} arrived before their step was linked (202, applied on link;"
            f" {self.admin_links} manual links by the admin)",
            f"answers: {answers}; retries {self.retries} (connection errors {self.connection_errors}; 5xx {five})",
            f"faults: {self.restarts} PostgreSQL immediate restarts, {self.kills} kill -9"
            f" ({sum(f['kind'] == 'web' for f in self.faults)} gunicorn master+workers,"
            f" {sum(f['kind'] == 'worker' for f in self.faults)} worker)",
            f"lost: {self.lost}; double-applied: {self.double_applied}; undelivered (5xx left unretried):"
            f" {self.undelivered}; stored events not sent or twice: {self.extra_events}",
            f"chains completed: {self.chains_completed}/{self.enrollments}, certificates {self.certificates}"
            f" (with PDF {self.certificate_pdfs}); jobs left {self.jobs_left}, dead {self.jobs_dead};"
            f" max in flight beyond the visibility window: {self.max_in_flight_over_window:.1f} s;"
            f" jobs run again after a kill or restart: {self.jobs_rerun} (slowest done"
            f" {self.slowest_rerun_job:.1f} s after it was queued; a job given back waited at most"
            f" {self.max_returned_job_wait:.1f} s to be picked up again);"
            f" tracebacks in the web log: {self.web_tracebacks}",
            "slowest recovery: "
            + (f"{slowest['recovery']:.2f} s ({slowest['kind']} #{slowest['n']})" if slowest else "n/a")
            + "; per kind: "
            + ", ".join(f"{k} {v:.2f} s" for k, v in sorted(kinds.items())),
            f"drained {self.drained_in:.1f} s after the last delivery"
            if self.drained_in is not None
            else "not drained",
            f"elapsed {self.elapsed:.1f} s; logs in {self.run_dir}",
            "verdict: " + ("OK" if self.ok() else "FAILED: " + "; ".join(self.problems())),
        ]
        return "\n".join(lines)


def _secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _now_iso() -> str:
    return datetime.now(tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ChaosCluster(TemporaryCluster):
    """A throwaway cluster that can be crashed: fsync off (only processes die here), but
    synchronous_commit on, so what was acknowledged survives the crash."""

    def __init__(self):
        super().__init__(fsync=True)  # start() then passes no fsync/synchronous_commit overrides

    def prepare(self) -> None:
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute("alter system set fsync = off")
            conn.execute("alter system set full_page_writes = off")
            conn.execute("select pg_reload_conf()")

    def crash(self) -> None:
        """Immediate shutdown (SIGQUIT to the postmaster), as `pg_ctl stop -m immediate`."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGQUIT)
        self.proc.wait(timeout=30)
        self.proc = None

    def restart(self) -> None:
        Cluster.start(self)


class Process:
    """A child process in its own session, so `kill -9` reaches it and its children at once."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path):
        self.name, self.argv, self.env, self.log_path = name, argv, env, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        try:
            self.proc = subprocess.Popen(
                self.argv, cwd=REPO, env=self.env, stdout=log, stderr=log, start_new_session=True
            )
        finally:
            log.close()

    def kill9(self) -> None:
        """SIGKILL to the whole process group (gunicorn's master and workers together)."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            self.kill9()


class ChaosRun:
    def __init__(self, config: ChaosConfig, out=None):
        self.c = config
        self.out = out or sys.stdout
        self.rng = random.Random(config.seed)
        self.rng_lock = threading.Lock()
        self.result = ChaosResult(config=config)
        self.run_dir = Path(tempfile.mkdtemp(prefix="partnerseq-chaos-"))
        self.result.run_dir = str(self.run_dir)
        self.secrets = {slug: _secret() for slug in PARTNERS}
        self.signers = {slug: Webhook(s) for slug, s in self.secrets.items()}
        self.web_port, self.sim_port = free_port(), free_port()
        self.web_url = f"http://127.0.0.1:{self.web_port}"
        self.sim_url = f"http://127.0.0.1:{self.sim_port}"
        self.cluster: ChaosCluster | None = None
        self.procs: dict[str, Process] = {}
        self.deliveries: dict[str, Delivery] = {}  # step id -> its event
        self.lock = threading.Lock()
        self.schedule: list[tuple[float, int, Delivery, bool]] = []  # (due, seq, delivery, is_duplicate)
        self.links: list[tuple[float, str, str]] = []  # (due, step id, partner id): the admin's manual links
        self.seq = 0
        self.in_flight = 0
        self.acknowledged = 0  # distinct events answered 2xx
        self.successes: list[tuple[float, float]] = []  # (attempt started, answered) of each 2xx
        self.stop = threading.Event()
        self.db_url = ""
        self.started_at = datetime.now(tz=UTC)

    def say(self, text: str) -> None:
        print(f"[chaos {time.strftime('%H:%M:%S')}] {text}", file=self.out, flush=True)

    def random(self) -> float:
        with self.rng_lock:
            return self.rng.random()

    # --- setup ------------------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PARTNER_", "SUPABASE_", "DATABASE_"))}
        env.update(
            DATABASE_URL=self.db_url,
            SITE_URL=self.web_url,
            SUPABASE_JWT_SECRET=secrets.token_urlsafe(48),
            SECRET_KEY=secrets.token_urlsafe(32),
            PARTNER_API_BASE_URL=f"{self.sim_url}/partners/{{slug}}",
            PARTNER_API_TIMEOUT="5",
            DB_POOL_MAX="10",
            PYTHONUNBUFFERED="1",
            **{f"PARTNER_WEBHOOK_SECRET_{slug.upper()}": s for slug, s in self.secrets.items()},
        )
        return env

    def setup(self) -> None:
        self.cluster = ChaosCluster()
        self.cluster.log_path = self.run_dir / "postgres.log"
        self.cluster.start()
        self.cluster.prepare()
        with psycopg.connect(self.cluster.url(), autocommit=True) as conn:
            conn.execute("create database chaos")
        self.db_url = self.cluster.url("chaos")
        migrate.migrate(self.db_url)
        migrate.seed(self.db_url)
        migrate.demo(self.db_url)
        with self._sql() as conn:
            conn.execute(
                "update queue.queues set visibility_timeout_seconds = %s,"
                " backoff_cap_seconds = least(backoff_cap_seconds, 5)",
                (self.c.visibility_timeout,),
            )
            programs = [
                r["id"]
                for r in conn.execute(
                    "select program_id as id from public.program_partner_lms group by program_id"
                    " having count(*) >= 2 order by program_id"
                )
            ]
            self.enrollment_ids = []
            for n in range(self.c.enrollments):
                uid = conn.execute(
                    "insert into auth.users (email, raw_user_meta_data) values (%s, %s) returning id",
                    (f"chaos{n}@chaos.test", json.dumps({"full_name": f"Chaos Student {n}"})),
                ).fetchone()["id"]
                self.enrollment_ids.append(
                    conn.execute(
                        "insert into public.enrollments (user_id, program_id) values (%s, %s) returning id",
                        (uid, programs[n % len(programs)]),
                    ).fetchone()["id"]
                )
            self.result.enrollments = len(self.enrollment_ids)
            self.step_ids = {
                str(r["id"])
                for r in conn.execute(
                    "select id from public.enrollment_steps where enrollment_id = any(%s)", (self.enrollment_ids,)
                )
            }
            self.result.steps = len(self.step_ids)
            self.dead_before = conn.execute(
                "select count(*) as n from queue.jobs_archive where outcome = 'dead'"
            ).fetchone()["n"]
        env = self._env()
        py = sys.executable
        self.procs["sim"] = Process(
            "sim",
            [
                py,
                "-m",
                "devtools.partner_simulator",
                "--port",
                str(self.sim_port),
                "--app-url",
                self.web_url,
                "--quiet",
            ],
            env,
            self.run_dir / "simulator.log",
        )
        self.procs["web"] = Process(
            "web",
            [
                py,
                "-m",
                "gunicorn",
                "--workers",
                str(self.c.web_workers),
                "--threads",
                str(self.c.web_threads),
                "--bind",
                f"127.0.0.1:{self.web_port}",
                "--log-level",
                "warning",
                "glue:create_app()",
            ],
            env,
            self.run_dir / "web.log",
        )
        self.procs["worker"] = Process(
            "worker",
            [
                py,
                "-m",
                "flask",
                "--app",
                "glue",
                "worker",
                "--concurrency",
                str(self.c.worker_concurrency),
                "--scan-interval",
                "5",
            ],
            env,
            self.run_dir / "worker.log",
        )
        for proc in self.procs.values():
            proc.start()
        for url in (f"{self.sim_url}/healthz", f"{self.web_url}/healthz"):
            self._wait_http(url)

    def _sql(self) -> psycopg.Connection:
        return psycopg.connect(self.db_url, autocommit=True, row_factory=dict_row, connect_timeout=5)

    def _wait_http(self, url: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if requests.get(url, timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{url} did not answer within {timeout}s (logs: {self.run_dir})")

    # --- the partners' side -----------------------------------------------------------------

    def _push(self, due: float, delivery: Delivery, duplicate: bool) -> None:
        with self.lock:
            self.seq += 1
            heapq.heappush(self.schedule, (due, self.seq, delivery, duplicate))

    def discover(self) -> None:
        """Watch the partners' enrollments and schedule each one's completion: the REST partners'
        from the simulator (the worker enrolled them); for a manual partner (JRI), a step in
        progress without a partner id is one an admin must enroll by hand: this harness plays the
        admin too (enrolls, then links with admin_link_step) and the partner's completion may
        come before the link (out of order: stored as unmatched, applied when the link appears)."""
        while not self.stop.is_set():
            try:
                enrollments = requests.get(f"{self.sim_url}/_stats", timeout=10).json()["enrollments"]
            except (requests.RequestException, ValueError):
                enrollments = []
            now = time.monotonic()
            for e in enrollments:
                step = e["reference"]
                if step in self.deliveries or step not in self.step_ids:
                    continue  # sent already, or a demo student's (supabase/demo.sql)
                self._schedule_event(now, step, e["partner"], e["external_enrollment_id"])
            try:
                with self._sql() as conn:
                    manual = conn.execute(
                        "select s.id::text as step, p.slug from public.enrollment_steps s"
                        " join public.partner_lms_providers p on p.id = s.provider_id"
                        " where p.adapter = 'manual' and s.status = 'in_progress'"
                        " and s.external_enrollment_id is null and s.enrollment_id = any(%s)",
                        (self.enrollment_ids,),
                    ).fetchall()
            except psycopg.Error:
                manual = []
            for row in manual:
                if row["step"] in self.deliveries:
                    continue
                external_id = f"{row['slug'].upper()}-{secrets.token_hex(4).upper()}"
                d = self._schedule_event(now, row["step"], row["slug"], external_id, link_first=True)
                link_at = now + (1.5 + 1.5 * self.random() if d.held_back else 0.2 * self.random())
                with self.lock:
                    heapq.heappush(self.links, (link_at, row["step"], external_id))
            if len(self.deliveries) >= self.result.steps:
                return
            time.sleep(0.3)

    def _schedule_event(self, now: float, step: str, slug: str, external_id: str, link_first: bool = False) -> Delivery:
        dup_p = self.c.duplicate_rate / (1 - self.c.duplicate_rate)  # per event: dups are that share of all
        body = json.dumps(
            {
                "type": "course.completed",
                "timestamp": _now_iso(),
                "data": {"external_enrollment_id": external_id, "completed_at": _now_iso(), "score": 90},
            }
        )
        d = Delivery(slug, f"msg_{uuid.uuid4().hex}", body, step)
        d.held_back = self.random() < self.c.out_of_order_rate
        with self.lock:
            self.deliveries[step] = d
        if link_first:
            # a manual partner: in order, the completion follows the admin's link; out of order, it comes first
            due = now + (0.3 * self.random() if d.held_back else 0.5 + 0.5 * self.random())
        else:
            # held back: later events overtake it
            due = now + (2 + 3 * self.random() if d.held_back else 0.3 * self.random())
        self._push(due, d, False)
        if self.random() < dup_p:
            # the same event again: sometimes racing the first, sometimes long after it
            self._push(due + (0.05 if self.random() < 0.3 else 6 * self.random()), d, True)
        return d

    def admin_loop(self) -> None:
        """Link the manual partner's steps when due (admin_link_step, as a DBA in psql would),
        retrying while the database is away."""
        while not self.stop.is_set():
            with self.lock:
                item = heapq.heappop(self.links) if self.links and self.links[0][0] <= time.monotonic() else None
            if item is None:
                time.sleep(0.05)
                continue
            try:
                with self._sql() as conn:
                    conn.execute(
                        "select public.admin_link_step(%s, %s, %s)",
                        (item[1], item[2], "chaos: enrolled at the partner by hand"),
                    )
                with self.lock:
                    self.result.admin_links += 1
            except psycopg.OperationalError:
                time.sleep(0.5)
                with self.lock:
                    heapq.heappush(self.links, item)

    def send_loop(self, pool: ThreadPoolExecutor) -> None:
        """Hand due deliveries to the senders, at most `senders` in flight."""
        while not self.stop.is_set():
            with self.lock:
                ready = (
                    bool(self.schedule) and self.schedule[0][0] <= time.monotonic() and self.in_flight < self.c.senders
                )
                item = heapq.heappop(self.schedule) if ready else None
                if item:
                    self.in_flight += 1
            if item is None:
                time.sleep(0.01)
                continue
            pool.submit(self.send, item[2], item[3])

    def send(self, d: Delivery, duplicate: bool) -> None:
        try:
            self._send(d, duplicate)
        finally:
            with self.lock:
                self.in_flight -= 1

    def _send(self, d: Delivery, duplicate: bool) -> None:
        url = f"{self.web_url}/api/webhooks/partners/{d.slug}"
        first, delay, attempt = time.monotonic(), RETRY_FIRST, 0
        while True:
            attempt += 1
            signed_at = datetime.now(tz=UTC)
            headers = {
                "content-type": "application/json",
                "webhook-id": d.webhook_id,
                "webhook-timestamp": str(int(signed_at.timestamp())),
                "webhook-signature": self.signers[d.slug].sign(d.webhook_id, signed_at, d.body),
            }
            started = time.monotonic()
            retry_after = 0.0
            try:
                r = requests.post(url, data=d.body.encode(), headers=headers, timeout=15)
            except requests.RequestException:
                with self.lock:
                    self.result.connection_errors += 1
                code = None
            else:
                code = r.status_code
                if code < 500:
                    status = (r.json() if r.headers.get("content-type", "").startswith("application/json") else {}).get(
                        "status", str(code)
                    )
                    with self.lock:
                        d.answers.append(code)
                        d.statuses.append(status)
                        self.result.sends += 1
                        self.result.duplicates += duplicate
                        self.result.answers[f"{code} {status}"] = self.result.answers.get(f"{code} {status}", 0) + 1
                        if 200 <= code < 300:
                            self.acknowledged += not d.acknowledged
                            d.acknowledged = True
                            self.successes.append((started, time.monotonic()))
                    return
                with self.lock:
                    self.result.http_5xx[code] = self.result.http_5xx.get(code, 0) + 1
                header = r.headers.get("Retry-After", "")
                retry_after = float(header) if header.isdigit() else 0.0
            if time.monotonic() - first > GIVE_UP_AFTER or self.stop.is_set():
                with self.lock:
                    d.answers.append(code or 0)
                    self.result.sends += 1
                    self.result.duplicates += duplicate
                    self.result.undelivered += 1
                return
            with self.lock:
                self.result.retries += 1
            time.sleep(min(max(delay, retry_after), RETRY_CAP) * (0.5 + self.random()))
            delay = min(delay * 2, RETRY_CAP)

    # --- faults -----------------------------------------------------------------------------

    def chaos_loop(self) -> None:
        """Run the faults spread over the delivery phase: fault i once (i+1)/(n+1) of the steps
        have an acknowledged completion."""
        kinds = ["postgres"] * self.c.db_restarts + ["web"] * self.c.web_kills + ["worker"] * self.c.worker_kills
        random.Random(self.c.seed).shuffle(kinds)
        counts: dict[str, int] = {}
        for i, kind in enumerate(kinds):
            threshold = self.result.steps * (i + 1) / (len(kinds) + 1)
            while not self.stop.is_set() and self._acknowledged() < threshold:
                time.sleep(0.05)
            if self.stop.is_set():
                return
            counts[kind] = counts.get(kind, 0) + 1
            self.fault(kind, counts[kind])

    def _acknowledged(self) -> int:
        with self.lock:
            return self.acknowledged

    def fault(self, kind: str, n: int) -> None:
        t0 = time.monotonic()
        if kind == "postgres":
            self.cluster.crash()
            time.sleep(0.5)  # down for a moment: the app answers 503, the worker backs off
            self.cluster.restart()
        elif kind == "web":
            self.procs["web"].kill9()
            time.sleep(0.3)
            self.procs["web"].start()
        else:
            self.procs["worker"].kill9()
            self.procs["worker"].start()
        self.result.faults.append({"kind": kind, "n": n, "at": t0, "recovery": None})
        self.say(f"{kind} #{n}: {'restarted in immediate mode' if kind == 'postgres' else 'kill -9, restarted'}")

    def watch_queues(self) -> None:
        """Sample how long jobs have been invisible beyond their queue's window."""
        query = (
            "select coalesce(max(extract(epoch from (j.vt - pg_catalog.now())) - q.visibility_timeout_seconds)"
            " filter (where j.vt > pg_catalog.now()), 0)::float8 as over,"
            " coalesce(max(extract(epoch from (pg_catalog.now() - j.vt)))"
            " filter (where j.read_ct > 0 and j.vt <= pg_catalog.now()), 0)::float8 as waiting"
            " from queue.jobs j join queue.queues q using (queue_name)"
        )
        while not self.stop.wait(1.0):
            try:
                with self._sql() as conn:
                    row = conn.execute(query).fetchone()
            except psycopg.Error:
                continue
            with self.lock:
                self.result.max_in_flight_over_window = max(self.result.max_in_flight_over_window, row["over"])
                self.result.max_returned_job_wait = max(self.result.max_returned_job_wait, row["waiting"])

    # --- the run ----------------------------------------------------------------------------

    def run(self) -> ChaosResult:
        started = time.monotonic()
        try:
            self.say(f"setting up in {self.run_dir} ({self.c.enrollments} enrollments)")
            self.setup()
            self.say(f"{self.result.enrollments} enrollments, {self.result.steps} steps; sending")
            with ThreadPoolExecutor(max_workers=self.c.senders + 1, thread_name_prefix="send") as pool:
                threads = [
                    threading.Thread(target=self.discover, name="discover", daemon=True),
                    threading.Thread(target=self.send_loop, args=(pool,), name="send-loop", daemon=True),
                    threading.Thread(target=self.chaos_loop, name="chaos", daemon=True),
                    threading.Thread(target=self.admin_loop, name="admin", daemon=True),
                    threading.Thread(target=self.watch_queues, name="queues", daemon=True),
                ]
                for t in threads:
                    t.start()
                last_delivery = self._wait_delivered()
                self.result.drained_in = self._wait_drained(last_delivery)
                self.stop.set()
                for t in threads:
                    t.join(timeout=30)
            self.check()
        finally:
            self.stop.set()
            for proc in self.procs.values():
                proc.stop()
            if self.cluster:
                self.cluster.stop()
            self.result.elapsed = time.monotonic() - started
            self.result.web_tracebacks = self._tracebacks("web.log")
            if not self.c.keep and self.result.ok():
                shutil.rmtree(self.run_dir, ignore_errors=True)
                self.result.run_dir += " (removed)"
        return self.result

    def _wait_delivered(self) -> float:
        """Until every step's completion was sent and answered (or given up on), or nothing moved
        for the drain window; returns when."""
        progress, moved = None, time.monotonic()
        while time.monotonic() - moved < self.c.drain_timeout:
            with self.lock:
                now_progress = (len(self.deliveries), self.result.sends, self.result.retries)
                done = (
                    len(self.deliveries) >= self.result.steps
                    and not self.schedule
                    and self.in_flight == 0
                    and not self.links
                    and all(d.answers for d in self.deliveries.values())
                )
            if done:
                return time.monotonic()
            if now_progress != progress:
                progress, moved = now_progress, time.monotonic()
            time.sleep(0.2)
        self.say(f"nothing moved for {self.c.drain_timeout:.0f} s: not every step's completion was delivered")
        return time.monotonic()

    def _wait_drained(self, since: float) -> float | None:
        """Until every chain is finished and the queues are empty; gives up when the work left
        has not shrunk for the drain window (a slow machine drains slowly; a stuck job never)."""
        query = (
            "select (select count(*) from public.enrollments where id = any(%s) and status <> 'completed')"
            " + (select count(*) from queue.jobs) + (select count(*) from public.certificates c"
            " where c.enrollment_id = any(%s) and c.pdf is null) as pending"
        )
        least, moved = None, time.monotonic()
        while time.monotonic() - moved < self.c.drain_timeout:
            try:
                with self._sql() as conn:
                    pending = conn.execute(query, (self.enrollment_ids, self.enrollment_ids)).fetchone()["pending"]
            except psycopg.Error:
                pending = None
            if pending == 0:
                return time.monotonic() - since
            if pending is not None and (least is None or pending < least):
                least, moved = pending, time.monotonic()
            time.sleep(0.5)
        self.say(f"the work left ({least}) did not shrink for {self.c.drain_timeout:.0f} s")
        return None

    def check(self) -> None:
        r = self.result
        r.distinct = len(self.deliveries)
        r.held_back = sum(d.held_back for d in self.deliveries.values())
        r.acknowledged = sum(d.acknowledged for d in self.deliveries.values())
        r.arrived_before_link = sum(bool(d.statuses) and d.statuses[0] == "unmatched" for d in self.deliveries.values())
        for f in r.faults:
            after = [end - f["at"] for start, end in self.successes if start >= f["at"]]
            f["recovery"] = min(after) if after else None
        ids = self.enrollment_ids
        with self._sql() as conn:
            stored = {
                (row["slug"], row["webhook_id"]): row["status"]
                for row in conn.execute(
                    "select p.slug, e.webhook_id, e.status from public.partner_events e"
                    " join public.partner_lms_providers p on p.id = e.provider_id"
                )
            }
            sent = {(d.slug, d.webhook_id) for d in self.deliveries.values()}
            r.lost = sum(
                stored.get((d.slug, d.webhook_id)) != "processed" for d in self.deliveries.values() if d.acknowledged
            )
            r.extra_events = len(set(stored) - sent)
            r.double_applied = conn.execute(
                "select count(*) as n from (select step_id from public.step_transitions where enrollment_id = any(%s)"
                " group by step_id having count(*) filter (where to_status = 'completed') > 1"
                " or count(*) filter (where to_status = 'in_progress') > 1) x",
                (ids,),
            ).fetchone()["n"]
            r.chains_completed = conn.execute(
                "select count(*) as n from public.enrollments where id = any(%s) and status = 'completed'", (ids,)
            ).fetchone()["n"]
            row = conn.execute(
                "select count(*) as n, count(pdf) as pdfs from public.certificates where enrollment_id = any(%s)",
                (ids,),
            ).fetchone()
            r.certificates, r.certificate_pdfs = row["n"], row["pdfs"]
            r.steps_not_completed = conn.execute(
                "select count(*) as n from public.enrollment_steps"
                " where enrollment_id = any(%s) and status <> 'completed'",
                (ids,),
            ).fetchone()["n"]
            r.jobs_left = conn.execute("select count(*) as n from queue.jobs").fetchone()["n"]
            r.jobs_dead = (
                conn.execute("select count(*) as n from queue.jobs_archive where outcome = 'dead'").fetchone()["n"]
                - self.dead_before
            )
            over = conn.execute(
                "select coalesce(max(extract(epoch from (j.vt - pg_catalog.now())) - q.visibility_timeout_seconds), 0)"
                "::float8 as over from queue.jobs j join queue.queues q using (queue_name)"
            ).fetchone()["over"]
            r.max_in_flight_over_window = max(r.max_in_flight_over_window, over)
            row = conn.execute(
                "select count(*) filter (where read_ct > 1) as rerun,"
                " coalesce(max(extract(epoch from archived_at - enqueued_at)) filter (where read_ct > 1), 0)::float8"
                " as slowest from queue.jobs_archive where archived_at >= %s",
                (self.started_at,),
            ).fetchone()
            r.jobs_rerun, r.slowest_rerun_job = row["rerun"], row["slowest"]
            if r.problems():
                self._diagnose(conn)

    def _diagnose(self, conn: psycopg.Connection) -> None:
        """Write what an investigation needs into the run directory (kept when a check fails)."""
        ids = self.enrollment_ids
        report = {
            "steps_not_completed": conn.execute(
                "select s.id::text, s.enrollment_id::text, s.sequence_order, s.status, s.external_enrollment_id,"
                " p.slug, s.error_message from public.enrollment_steps s"
                " join public.partner_lms_providers p on p.id = s.provider_id"
                " where s.enrollment_id = any(%s) and s.status <> 'completed' order by 2, 3",
                (ids,),
            ).fetchall(),
            "jobs": conn.execute("select msg_id, queue_name, vt::text, read_ct, last_error from queue.jobs").fetchall(),
            "events_not_processed": conn.execute(
                "select id, webhook_id, status, error, external_enrollment_id from public.partner_events"
                " where status <> 'processed'"
            ).fetchall(),
            "deliveries": {
                step: {"slug": d.slug, "webhook_id": d.webhook_id, "answers": d.answers, "statuses": d.statuses}
                for step, d in self.deliveries.items()
            },
        }
        (self.run_dir / "diagnostics.json").write_text(json.dumps(report, indent=1, default=str))

    def _tracebacks(self, name: str) -> int:
        try:
            return (self.run_dir / name).read_text(errors="replace").count("Traceback (most recent call last)")
        except FileNotFoundError:
            return 0


def run(config: ChaosConfig, out=None) -> ChaosResult:
    """One chaos run with this configuration; prints progress and returns the figures."""
    return ChaosRun(config, out).run()


def main(argv: list[str] | None = None) -> int:
    defaults = ChaosConfig()
    parser = argparse.ArgumentParser(
        prog="scripts/chaos", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--enrollments", type=int, default=defaults.enrollments, help="students enrolled (%(default)s)")
    parser.add_argument("--db-restarts", type=int, default=defaults.db_restarts, help="(%(default)s)")
    parser.add_argument("--web-kills", type=int, default=defaults.web_kills, help="(%(default)s)")
    parser.add_argument("--worker-kills", type=int, default=defaults.worker_kills, help="(%(default)s)")
    parser.add_argument("--duplicate-rate", type=float, default=defaults.duplicate_rate, help="(%(default)s)")
    parser.add_argument("--out-of-order-rate", type=float, default=defaults.out_of_order_rate, help="(%(default)s)")
    parser.add_argument("--senders", type=int, default=defaults.senders, help="concurrent senders (%(default)s)")
    parser.add_argument(
        "--visibility-timeout", type=int, default=defaults.visibility_timeout, help="queue windows, s (%(default)s)"
    )
    parser.add_argument(
        "--drain-timeout", type=float, default=defaults.drain_timeout, help="s without progress (%(default)s)"
    )
    parser.add_argument("--seed", type=int, default=defaults.seed, help="(%(default)s)")
    parser.add_argument("--keep", action="store_true", help="keep the run directory (logs) even when all is well")
    args = parser.parse_args(argv)
    config = ChaosConfig(**{k: v for k, v in vars(args).items()})
    result = run(config)
    print(result.format(), flush=True)
    return 0 if result.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
