"""P3: the monitoring functions and the admin dashboard at N vs at 10,000 enrollments."""

from __future__ import annotations

import json
import time

from .harness import (
    ADMIN_ID,
    connect,
    function_exists,
    http_get,
    percentile,
)

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


# the SQL calls of GET /admin/dashboard (glue/pages/admin.py `dashboard`): the panels' data and
# the live counters, as the page asks for them
DASHBOARD_CALLS = (
    "select public.admin_dashboard(p_program => null, p_partner => null, p_rows => 1)",
    "select public.admin_overview(p_program => null, p_partner => null)",
)


def measure_dashboard_sql(url: str, runs: int, setup: str | None = None) -> dict:
    """The page's SQL calls (DASHBOARD_CALLS) as the signed-in admin, without Flask and Jinja:
    how much of the page time is SQL."""
    import psycopg

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
                    for sql in DASHBOARD_CALLS:
                        conn.execute(sql).fetchone()
                    times.append(time.perf_counter() - started)
    except psycopg.Error as exc:
        return {"error": str(exc).splitlines()[0]}
    return {"p50": percentile(times, 0.5), "p95": percentile(times, 0.95)}
