"""Bulk-generate realistic students, enrollments and their partner steps, set-based, for benchmarks
and dashboards at scale.

    scripts/generate-data --enrollments 1000000 --database-url postgresql://...   # or $DATABASE_URL

The seed must be loaded first (`make seed`): students are spread over its programs (popularity
varies per program) and follow each program's real partner sequence. Stages, roughly:
45% completed (certificate issued), 30% mid-sequence (a step in progress, started < 7 days ago),
10% stuck (a step in progress for more than 7 days), 5% failed (a step failed with an error
message, admin alert open), 10% just started (first step in progress). Step timestamps spread
over the past year and are consistent: a step completes after it starts, the next one starts
when the previous one completes; every step transition has its audit row (actor_role
`seed-bulk`). Started steps are linked to the partner (unique `external_enrollment_id` per
partner, launch URL). Completed steps of the last `--events-days` days have their processed
`course.completed` partner event in the inbox.

How: chunks of `--chunk-size` enrollments, one transaction each, built with generate_series /
INSERT ... SELECT into temporary tables and then into the real tables — never row by row from
Python. The state machine's triggers (step generation, outbox jobs, audit rows) are switched off
in each chunk's transaction only (`set_config('session_replication_role', 'replica', true)`,
superuser only; it ends with the transaction, so nothing leaks to other clients when the URL is
a transaction pooler's) because the generator
writes the steps, transitions and certificates itself and must not queue partner calls or
emails for made-up history: nothing is added to queue.jobs. Foreign keys are not checked in that
mode either, which is why every row is written consistently here. ANALYZE runs at the end.

Running it again appends another batch (new students, numbered after the existing ones).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable

import click
import psycopg

BULK_EMAIL_DOMAIN = "students.example.org"
STAGES = (("completed", 0.45), ("mid", 0.30), ("stuck", 0.10), ("failed", 0.05), ("just", 0.10))
TABLES = (
    "auth.users",
    "public.profiles",
    "public.enrollments",
    "public.enrollment_steps",
    "public.step_transitions",
    "public.certificates",
    "public.admin_alerts",
    "public.partner_events",
)

FIRST_NAMES = (
    "Ada Ben Cara Dev Eve Fatima Gabriel Hana Ivan Jamal Keiko Luis Maya Nadia Omar Priya Quinn Rosa Sam Tariq "
    "Uma Victor Wen Ximena Yusuf Zoe Amir Bianca Carlos Dina Elena Femi Grace Hugo Iris Jonah Kofi Lena Marco Nia"
).split()
LAST_NAMES = (
    "Okafor Castillo Nguyen Patel Johnson Smith Garcia Kim Silva Rossi Müller Haddad Cohen Ivanova Tanaka Mensah "
    "Brown Lopez Chen Singh Novak Dubois Larsen Moreau Costa Ali Walker Reyes Park Becker Sato Ward Diaz Young Khan "
    "Murphy Hall Rivera Evans Moore"
).split()
ERRORS = (
    "API answered 422: student email already registered",
    "API answered 409: duplicate enrollment for this student",
    "API answered 400: unknown program code",
    "API unreachable after 8 attempt(s): ConnectTimeout",
)


def _sql_text_array(values: tuple[str, ...]) -> str:
    return "array[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]::text[]"


# run at the start of each chunk's transaction (temporary, dropped at commit): nothing outlives
# a transaction, so the generator works through a transaction pooler too
CHUNK_SETUP = """
create temp table gen_program on commit drop as
select (row_number() over (order by p.slug))::int as idx, p.id as program_id, count(*)::int as n_steps
from public.programs p join public.program_partner_lms m on m.program_id = p.id
group by p.id, p.slug;
"""

# setseed() is the one backend state that outlives a transaction: give the backend back an
# unpredictable seed (from the strong random source of gen_random_uuid) before each commit
RESEED = "select setseed((('x' || substr(md5(gen_random_uuid()::text), 1, 8))::bit(32)::int)::float8 / 2147483648.0)"

# %(lo)s .. %(hi)s - 1: run-local enrollment numbers; lo is a multiple of 10, so the 10th
# enrollment of each group of ten (i % 10 = 9) can belong to the student of the 9th (a second
# program for that student, never the same one: at most one active enrollment per program).
CHUNK_SQL = [
    # students
    f"""
create temp table c_student on commit drop as
select i, gen_random_uuid() as user_id, %(student_base)s::bigint + i as num,
       width_bucket(random(), %(thresholds)s::float8[]) as pidx,
       ({_sql_text_array(tuple(FIRST_NAMES))})[1 + floor(random() * {len(FIRST_NAMES)})::int] || ' ' ||
       ({_sql_text_array(tuple(LAST_NAMES))})[1 + floor(random() * {len(LAST_NAMES)})::int] as full_name
from generate_series(%(lo)s::bigint, %(hi)s::bigint - 1) i
where i %% 10 <> 9
""",
    # enrollments: stage, current step k (n + 1 when completed) and anchor time (when step k
    # started; for a completed enrollment, when its last step completed)
    """
create temp table c_enr on commit drop as
with draw as materialized (
  select i, random() as u, random() as r2, random() as r3
  from generate_series(%(lo)s::bigint, %(hi)s::bigint - 1) i
), base as (
  select d.i, gen_random_uuid() as enrollment_id, s.user_id, p.program_id, p.n_steps, d.r2, d.r3,
         case when d.u < 0.45 then 'completed' when d.u < 0.75 then 'mid' when d.u < 0.85 then 'stuck'
              when d.u < 0.90 then 'failed' else 'just' end as stage
  from draw d
  join c_student s on s.i = d.i - (d.i %% 10 = 9)::int
  join gen_program p on p.idx = case when d.i %% 10 = 9 then s.pidx %% %(n_programs)s + 1 else s.pidx end
)
select b.i, b.enrollment_id, b.user_id, b.program_id, b.n_steps, b.stage,
       case b.stage
         when 'completed' then b.n_steps + 1
         when 'just' then 1
         when 'mid' then case when b.n_steps = 1 then 1 else 2 + floor(b.r2 * (b.n_steps - 1))::int end
         else 1 + floor(b.r2 * b.n_steps)::int
       end as k,
       %(now)s::timestamptz - interval '1 day' * case b.stage
         when 'completed' then 0.05 + b.r3 * 230
         when 'mid' then 0.04 + b.r3 * 6.9
         when 'stuck' then 7.5 + b.r3 * 60
         when 'failed' then 1 + b.r3 * 90
         else 0.001 + b.r3 * 3
       end as anchor
from base b
""",
    # steps with consistent times: step j < k completed, started when step j - 1 completed;
    # step k in progress (or failed); later steps pending. Durations follow each partner's SLA.
    f"""
create temp table c_step on commit drop as
with base as materialized (
  select e.enrollment_id, e.stage, e.k, e.anchor, m.provider_id, m.sequence_order as seq, m.is_required,
         v.slug, v.provider_name, gen_random_uuid() as id,
         interval '1 day' * v.expected_days * (0.25 + random() * 1.25) as dur, random() as r
  from c_enr e
  join public.program_partner_lms m on m.program_id = e.program_id
  join public.partner_lms_providers v on v.id = m.provider_id
), timed as (
  select b.*,
         b.anchor - sum(case when b.seq < b.k then b.dur end)
           over (partition by b.enrollment_id order by b.seq desc) as done_start
  from base b
), stated as (
  select t.*,
         case when t.seq < t.k then 'completed'
              when t.seq = t.k and t.stage = 'failed' then 'failed'
              when t.seq = t.k then 'in_progress'
              else 'pending' end as status,
         case when t.seq < t.k then t.done_start when t.seq = t.k then t.anchor end as started_at,
         case when t.seq < t.k then t.done_start + t.dur end as completed_at,
         case when t.seq = t.k and t.stage = 'failed'
              then t.anchor + (%(now)s::timestamptz - t.anchor) * (0.02 + t.r * 0.3) end as failed_at
  from timed t
)
select s.*,
       min(s.started_at) over (partition by s.enrollment_id) as enrolled_at,
       case when s.status in ('completed', 'in_progress')
            then upper(s.slug) || '-' || upper(replace(s.id::text, '-', '')) end as ext_id,
       case when s.status = 'failed'
            then s.provider_name || ' ' || ({_sql_text_array(ERRORS)})[1 + floor(s.r * {len(ERRORS)})::int]
       end as error_message
from stated s
""",
    """
insert into auth.users (id, email, raw_user_meta_data, created_at)
select s.user_id, 'bulk-' || s.num || '@' || %(domain)s, jsonb_build_object('full_name', s.full_name),
       coalesce(min(st.enrolled_at), %(now)s::timestamptz) - interval '10 minutes'
from c_student s
left join c_enr e on e.user_id = s.user_id
left join c_step st on st.enrollment_id = e.enrollment_id and st.seq = 1
group by s.user_id, s.num, s.full_name
""",
    """
insert into public.profiles (id, email, full_name, role, created_at)
select u.id, u.email, u.raw_user_meta_data ->> 'full_name', 'student', u.created_at
from auth.users u join c_student s on s.user_id = u.id
""",
    """
insert into public.enrollments (id, user_id, program_id, status, enrolled_at, completed_at)
select e.enrollment_id, e.user_id, e.program_id,
       case when e.stage = 'completed' then 'completed' else 'active' end,
       st.enrolled_at, case when e.stage = 'completed' then e.anchor end
from c_enr e join c_step st on st.enrollment_id = e.enrollment_id and st.seq = 1
""",
    """
insert into public.enrollment_steps
  (id, enrollment_id, provider_id, sequence_order, is_required, status, started_at, completed_at,
   external_enrollment_id, launch_url, progress_percent, error_message, created_at, updated_at)
select s.id, s.enrollment_id, s.provider_id, s.seq, s.is_required, s.status, s.started_at, s.completed_at,
       s.ext_id,
       case when s.ext_id is not null then 'https://' || s.slug || '.partners.example.com/launch/' || s.ext_id end,
       case s.status when 'completed' then 100
                     when 'in_progress' then least(95, floor(s.r * 100 * least(1, extract(epoch from
                          %(now)s::timestamptz - s.started_at) / 86400 / 14)))::int
                     else 0 end,
       s.error_message, s.enrolled_at,
       coalesce(s.completed_at, s.failed_at, s.started_at, s.enrolled_at)
from c_step s
""",
    # the audit trail, as the trigger would have written it: created (pending), started, then
    # completed or failed
    """
insert into public.step_transitions
  (step_id, enrollment_id, from_status, to_status, actor_id, actor_role, reason, created_at)
select s.id, s.enrollment_id, t.from_status, t.to_status, null, 'seed-bulk', t.reason, t.at
from c_step s
cross join lateral (values
  (1, null::text, 'pending'::text, 'steps generated from the program''s partner sequence'::text, s.enrolled_at),
  (2, 'pending', 'in_progress',
      case when s.seq = 1 then 'first step of the enrollment' else 'previous steps done' end, s.started_at),
  (3, 'in_progress', s.status,
      case when s.status = 'completed' then 'partner reported completion'
           else 'partner enrollment failed after 8 attempt(s): ' || s.error_message end,
      coalesce(s.completed_at, s.failed_at))
) as t (n, from_status, to_status, reason, at)
where t.n = 1 or (t.n = 2 and s.started_at is not null) or (t.n = 3 and s.status in ('completed', 'failed'))
""",
    """
insert into public.certificates (enrollment_id, issued_at)
select e.enrollment_id, e.anchor from c_enr e where e.stage = 'completed'
""",
    """
insert into public.admin_alerts (kind, dedupe_key, message, step_id, enrollment_id, created_at)
select 'partner_enrollment_failed', 'partner_enrollment_failed:' || s.id || ':bulk',
       'Enrolling the student at ' || s.provider_name || ' failed after 8 attempt(s): ' || s.error_message,
       s.id, s.enrollment_id, s.failed_at
from c_step s where s.status = 'failed'
""",
    """
insert into public.partner_events
  (provider_id, webhook_id, event_type, payload, external_enrollment_id, step_id, status, attempts,
   received_at, processed_at)
select s.provider_id, 'msg_bulk_' || replace(s.id::text, '-', ''), 'course.completed',
       jsonb_build_object('type', 'course.completed', 'timestamp', s.completed_at,
         'data', jsonb_build_object('external_enrollment_id', s.ext_id, 'completed_at', s.completed_at,
                                    'score', 60 + floor(s.r * 40)::int)),
       s.ext_id, s.id, 'processed', 1, s.completed_at, s.completed_at + interval '40 milliseconds'
from c_step s
where s.status = 'completed' and s.completed_at > %(now)s::timestamptz - interval '1 day' * %(events_days)s
""",
]


def program_thresholds(n_programs: int, seed: int) -> list[float]:
    """Lower bounds of each program's share of [0, 1) for width_bucket: popularity varies
    (Zipf-like over a seeded shuffle of the programs)."""
    rng = random.Random(seed)
    ranks = list(range(n_programs))
    rng.shuffle(ranks)
    weights = [1.0 / (r + 1) ** 0.7 for r in ranks]
    total = sum(weights)
    bounds, acc = [], 0.0
    for w in weights:
        bounds.append(acc / total)
        acc += w
    return bounds


def generate(
    url: str,
    enrollments: int,
    seed: int = 42,
    chunk_size: int = 50_000,
    events_days: float = 30,
    vacuum: bool = True,
    progress: Callable[[int], None] | None = None,
) -> dict:
    """Append `enrollments` enrollments (and their students, steps, audit trail, certificates,
    alerts, events). Returns counts and timings."""
    chunk_size = max(10, chunk_size - chunk_size % 10)
    started = time.monotonic()
    options = {"cursor_factory": psycopg.ClientCursor, "prepare_threshold": None, "application_name": "generate-data"}
    with psycopg.connect(url, autocommit=True, **options) as conn:
        is_super = conn.execute("select rolsuper from pg_roles where rolname = current_user").fetchone()[0]
        if not is_super:
            raise RuntimeError(
                "generate-data needs a superuser connection (it switches triggers off with session_replication_role)"
            )
        with conn.transaction():
            conn.execute(CHUNK_SETUP)
            n_programs = conn.execute("select count(*) from gen_program").fetchone()[0]
        if n_programs == 0:
            raise RuntimeError("no programs with a partner sequence: load the seed first (make seed)")
        now = conn.execute("select now()").fetchone()[0]
        jobs_before = conn.execute("select count(*) from queue.jobs").fetchone()[0]
        base = conn.execute(
            "select coalesce(max(substring(email from '^bulk-([0-9]+)@')::bigint), 0) + 1 from auth.users"
            " where email like 'bulk-%%@' || %s",
            (BULK_EMAIL_DOMAIN,),
        ).fetchone()[0]
        rng = random.Random(seed)
        params = {
            "thresholds": program_thresholds(n_programs, seed),
            "n_programs": n_programs,
            "student_base": base,
            "now": now,
            "domain": BULK_EMAIL_DOMAIN,
            "events_days": events_days,
        }
        for lo in range(0, enrollments, chunk_size):
            hi = min(enrollments, lo + chunk_size)
            with conn.transaction():
                # transaction-local settings only (set_config(..., true)): they end with the chunk
                conn.execute(
                    "select set_config('session_replication_role', 'replica', true),"
                    " set_config('work_mem', '64MB', true), setseed(%s)",
                    (rng.uniform(-1, 1),),
                )
                conn.execute(CHUNK_SETUP)
                for statement in CHUNK_SQL:
                    conn.execute(statement, {**params, "lo": lo, "hi": hi})
                conn.execute(RESEED)
            if progress:
                progress(hi - lo)
        loaded = time.monotonic()
        for table in TABLES:
            conn.execute(f"{'vacuum (analyze)' if vacuum else 'analyze'} {table}")
        analyzed = time.monotonic()
        counts = {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in TABLES}  # noqa: S608
        jobs = conn.execute("select count(*) from queue.jobs").fetchone()[0]
    return {
        "enrollments": enrollments,
        "load_seconds": loaded - started,
        "analyze_seconds": analyzed - loaded,
        "total_seconds": analyzed - started,
        "counts": counts,
        "queue_jobs": jobs,
        "queue_jobs_added": jobs - jobs_before,
        "programs": n_programs,
        "now": now,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/generate-data", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--enrollments", type=int, default=1_000_000, help="how many enrollments (default 1000000)")
    parser.add_argument(
        "--database-url", default=os.environ.get("DATABASE_URL"), help="target database (default: $DATABASE_URL)"
    )
    parser.add_argument("--seed-random", type=int, default=42, help="seed of the random distributions (default 42)")
    parser.add_argument("--chunk-size", type=int, default=50_000, help="enrollments per transaction (default 50000)")
    parser.add_argument(
        "--events-days",
        type=float,
        default=30,
        help="completed steps of the last N days get their course.completed partner event (default 30)",
    )
    parser.add_argument("--no-vacuum", action="store_true", help="ANALYZE only (default: VACUUM (ANALYZE))")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("DATABASE_URL is not set (pass --database-url)")
    if args.enrollments < 1:
        parser.error("--enrollments must be at least 1")
    try:
        with click.progressbar(
            length=args.enrollments, label="enrollments", file=sys.stderr, show_pos=True, show_eta=True
        ) as bar:
            result = generate(
                args.database_url,
                args.enrollments,
                seed=args.seed_random,
                chunk_size=args.chunk_size,
                events_days=args.events_days,
                vacuum=not args.no_vacuum,
                progress=bar.update,
            )
    except (psycopg.Error, RuntimeError) as exc:
        print(f"generate-data: {exc}", file=sys.stderr)
        return 1
    print(
        f"generated {result['enrollments']:,} enrollments over {result['programs']} programs in "
        f"{result['total_seconds']:.1f} s (load {result['load_seconds']:.1f} s, "
        f"{'vacuum+analyze' if not args.no_vacuum else 'analyze'} {result['analyze_seconds']:.1f} s), "
        f"as of {result['now']:%Y-%m-%d %H:%M %Z}"
    )
    for table, count in result["counts"].items():
        print(f"  {table:<26} {count:>12,} rows")
    print(f"  queue.jobs                 {result['queue_jobs']:>12,} rows ({result['queue_jobs_added']:+,})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
