from __future__ import annotations

import argparse
import base64
import math
import secrets
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

from . import __doc__ as package_doc
from . import peers
from .apps import INBOX_DDL
from .harness import (
    DOC,
    FULL,
    PGBIN,
    QUICK,
    REPO,
    Gunicorn,
    Report,
    Signer,
    Sizes,
    connect,
    create_admin,
    generate,
    log,
    machine_description,
    ms,
    ratio,
    take_steps,
    yes,
)
from .output import text_table, write_doc
from .p1 import p1_webhooks
from .p2 import p2_pgbench
from .p3 import (
    MONITORING_QUERIES,
    PAGE_TARGET_MS,
    QUERY_TARGET_MS,
    admin_token,
    measure_dashboard_sql,
    measure_page,
    measure_queries,
    refresh_monitoring,
)
from .p4 import sql_latency, webhook_latency
from .p5 import worker_bench
from .peers import peers_available
from .profile import index_usage, profile_monitoring, profile_webhook_sql

# --- the run ---------------------------------------------------------------------------------------


def run(args: argparse.Namespace, sizes: Sizes, report: Report) -> None:
    import psycopg

    from devtools.cluster import TemporaryCluster
    from glue import migrate

    tmp = Path(tempfile.mkdtemp(prefix="partnerseq-bench-"))
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
        create_admin(url)  # P3's signed-in admin
        with connect(url) as conn:
            conn.execute("create extension if not exists pg_stat_statements")
            conn.execute(INBOX_DDL)  # P1's floor: the one-table inbox
            slugs = [r[0] for r in conn.execute("select slug from public.partner_lms_providers").fetchall()]
        partner_secrets = {s: "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode() for s in slugs}

        # ---- small size (10k) on the fresh database
        log(f"generating {sizes.small:,} enrollments")
        small_gen = generate(url, sizes.small, args.seed)
        gunicorn = Gunicorn(
            {
                "DATABASE_URL": url,
                **{f"PARTNER_WEBHOOK_SECRET_{slug.upper()}": secret for slug, secret in partner_secrets.items()},
                "SUPABASE_JWT_SECRET": jwt_secret,
                "SECRET_KEY": secrets.token_urlsafe(16),
            },
            tmp,
        )
        signer = Signer(partner_secrets)
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
                "P3 page: its SQL calls alone (admin_dashboard and admin_overview as the admin, no Flask/Jinja)"
                f" p50 {ms(page_sql['p50'])}"
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
            ("P2 mark_step_complete", "≥ 0.60", lambda: p2_pgbench(cluster.port, url, sizes, tmp, pg_pid, report)),
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

        # ---- P5 peers: pgqueuer and procrastinate, same cluster, same run
        missing = peers_available()
        if missing:
            report.add("P5 peers", f"not run: {missing} not installed", "—", "—", "≥ 1.50 × the faster peer", "—")
        else:
            log(f"P5 peers: no-op drains of {sizes.peer_jobs:,} jobs, concurrency 1 and 8, {sizes.peer_reps} rep(s)")
            try:
                slow = 150 if args.quick else 2_000  # procrastinate, one commit per job: ~40-100 jobs/s here
                results = peers.measure(
                    cluster.url, pg_pid, sizes.peer_jobs, sizes.peer_reps, (1, 8), sizes.peer_enqueue, slow_jobs=slow
                )
                peers.report_peers(results, report)
            except Exception as exc:  # noqa: BLE001 - report it, keep the rest
                report.add("P5 peers", f"error: {exc}", "—", "—", "≥ 1.50 × the faster peer", "—")
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/bench", description=package_doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="small sizes and short runs (30k enrollments)")
    parser.add_argument("--enrollments", type=int, help="override N (default 1,000,000; 30,000 with --quick)")
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
