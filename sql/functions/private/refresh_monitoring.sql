-- Recompute the monitoring snapshot: the aggregates over every enrollment and step that would be
-- too slow to compute per page view at scale (pipeline, completion rates, time in step, funnel,
-- weekly completions). The worker refreshes it every 30 s; run it by hand before querying the
-- snapshot functions in psql if you need the numbers of this very second. Returns the duration.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.refresh_monitoring (sql/functions/public/) is its security invoker entry point.
create or replace function private.refresh_monitoring(p_as_of timestamptz default pg_catalog.now())
returns interval
language plpgsql
volatile
security definer
set search_path = ''
set jit = off
as $$
declare
  v_started timestamptz := pg_catalog.clock_timestamp();
  v_stuck_days integer := private.stuck_after_days();  -- the stuck line, private.settings
begin
  perform private.admin_caller();
  insert into private.monitoring_snapshot (id, refreshed_at, as_of, pipeline, programs, durations, funnel, weekly)
  select true, pg_catalog.now(), p_as_of,
    -- students per provider x status
    (select coalesce(pg_catalog.jsonb_agg(x), '[]') from (
       select s.provider_id, s.status, count(*)::integer as n
       from public.enrollment_steps s group by 1, 2) x),
    -- enrollments per program x status
    (select coalesce(pg_catalog.jsonb_agg(x), '[]') from (
       select e.program_id, e.status, count(*)::integer as n
       from public.enrollments e group by 1, 2) x),
    -- per provider: time in step (days) of steps completed in the last year; in progress, stuck
    -- (> the stuck line) and over the partner's SLA (expected_days) now
    (select coalesce(pg_catalog.jsonb_agg(x), '[]') from (
       select v.id as provider_id, d.median_days, d.p90_days, coalesce(d.completed_n, 0) as completed_n,
              coalesce(l.in_progress, 0) as in_progress, coalesce(l.stuck, 0) as stuck,
              coalesce(l.sla_breaches, 0) as sla_breaches
       from public.partner_lms_providers v
       left join (
         select s.provider_id,
                percentile_cont(0.5) within group (order by extract(epoch from s.completed_at - s.started_at) / 86400) as median_days,
                percentile_cont(0.9) within group (order by extract(epoch from s.completed_at - s.started_at) / 86400) as p90_days,
                count(*)::integer as completed_n
         from public.enrollment_steps s
         where s.status = 'completed' and s.started_at is not null and s.completed_at > p_as_of - interval '365 days'
         group by 1) d on d.provider_id = v.id
       left join (
         select s.provider_id, count(*)::integer as in_progress,
                count(*) filter (where s.started_at < p_as_of - pg_catalog.make_interval(days => v_stuck_days))::integer as stuck,
                count(*) filter (where s.started_at < p_as_of - pg_catalog.make_interval(days => w.expected_days))::integer as sla_breaches
         from public.enrollment_steps s join public.partner_lms_providers w on w.id = s.provider_id
         where s.status = 'in_progress'
         group by 1) l on l.provider_id = v.id) x),
    -- funnel: per program and position, how many reached it, completed, failed, are stalled (> the stuck line)
    (select coalesce(pg_catalog.jsonb_agg(x), '[]') from (
       select e.program_id, s.sequence_order, s.provider_id,
              count(*) filter (where s.status <> 'pending')::integer as reached,
              count(*) filter (where s.status = 'completed')::integer as completed,
              count(*) filter (where s.status = 'skipped')::integer as skipped,
              count(*) filter (where s.status = 'failed')::integer as failed,
              count(*) filter (where s.status = 'in_progress' and s.started_at < p_as_of - pg_catalog.make_interval(days => v_stuck_days))::integer as stalled,
              count(*) filter (where s.status = 'in_progress')::integer as in_progress
       from public.enrollment_steps s join public.enrollments e on e.id = s.enrollment_id
       group by 1, 2, 3) x),
    -- completions per week, last 52 weeks
    (select coalesce(pg_catalog.jsonb_agg(x order by x.week_start), '[]') from (
       select pg_catalog.date_trunc('week', e.completed_at)::date as week_start, count(*)::integer as completions
       from public.enrollments e
       where e.status = 'completed' and e.completed_at > p_as_of - interval '52 weeks'
       group by 1) x)
  on conflict (id) do update set
    refreshed_at = excluded.refreshed_at, as_of = excluded.as_of, pipeline = excluded.pipeline,
    programs = excluded.programs, durations = excluded.durations, funnel = excluded.funnel, weekly = excluded.weekly;
  return pg_catalog.clock_timestamp() - v_started;
end
$$;
comment on function private.refresh_monitoring(timestamptz) is 'Body of public.refresh_monitoring (security definer, outside the exposed schema): Recomputes the monitoring snapshot (pipeline, completion rates, time in step, funnel, weekly completions). Admins, service role, DBA. Returns how long it took.';
revoke all on function private.refresh_monitoring(timestamptz) from public, anon, authenticated;
grant execute on function private.refresh_monitoring(timestamptz) to authenticated, service_role;
