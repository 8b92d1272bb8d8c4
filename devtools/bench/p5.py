"""P5: the worker draining partner enrollments against the partner simulator."""

from __future__ import annotations

import base64
import http.client
import json
import secrets
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

from .harness import (
    REPO,
    CpuMeter,
    Report,
    Sizes,
    clean_env,
    connect,
    log,
    ratio,
    statements_table,
    yes,
)

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
