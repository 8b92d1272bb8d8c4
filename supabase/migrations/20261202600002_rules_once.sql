-- Issue 11, rules once: the existing functions use the one definition of each rule (added by
-- 20261202600000/600001): private.step_is_done (done-set), private.step_awaits_manual_enrollment,
-- private.waiting_event_statuses, and the stuck line from private.settings (private.stuck_after_days).

select pg_catalog.set_config('lock_timeout', '10s', true);
select pg_catalog.set_config('statement_timeout', '120s', true);

-- True when the enrollment has at least one step and every step is completed or skipped.
-- (A failed step is not complete.) "Done" is private.step_is_done, as on the student page.
create or replace function public.is_enrollment_complete(p_enrollment_id uuid)
returns boolean
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  return exists (select 1 from public.enrollment_steps s where s.enrollment_id = p_enrollment_id)
     and not exists (
       select 1 from public.enrollment_steps s
       where s.enrollment_id = p_enrollment_id and not private.step_is_done(s.status)
     );
end
$$;
comment on function public.is_enrollment_complete(uuid) is 'True when the enrollment has steps and all are completed or skipped (failed is not complete).';
revoke all on function public.is_enrollment_complete(uuid) from public, anon;
grant execute on function public.is_enrollment_complete(uuid) to authenticated, service_role;

-- Start the next step of an enrollment, if it may advance. Returns the step now in progress:
-- the one already running (never starts a second), the next pending one it just started, or
-- null when blocked by a failed step, when the enrollment is not active, or when every step is
-- done, in which case the enrollment becomes completed.
create or replace function public.advance_to_next_step(p_enrollment_id uuid)
returns uuid
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_status text;
  v_step public.enrollment_steps;
begin
  select e.status into v_status from public.enrollments e where e.id = p_enrollment_id for update;
  if not found then
    raise exception 'enrollment % not found', p_enrollment_id using errcode = 'PS001';
  end if;

  select s.* into v_step from public.enrollment_steps s
  where s.enrollment_id = p_enrollment_id and not private.step_is_done(s.status)
  order by s.sequence_order
  limit 1
  for update;

  if not found then
    if public.is_enrollment_complete(p_enrollment_id) then
      update public.enrollments
        set status = 'completed', completed_at = pg_catalog.now()
        where id = p_enrollment_id and status = 'active';
    end if;
    return null;
  end if;

  if v_step.status = 'in_progress' then
    return v_step.id;
  end if;
  if v_step.status = 'failed' or v_status <> 'active' then
    return null;
  end if;

  perform private.set_audit_context(
    case when v_step.sequence_order = (select min(s.sequence_order) from public.enrollment_steps s
                                       where s.enrollment_id = p_enrollment_id)
         then 'first step of the enrollment'
         else 'previous steps done' end);
  update public.enrollment_steps
    set status = 'in_progress', started_at = pg_catalog.now(), error_message = null
    where id = v_step.id;
  return v_step.id;
end
$$;
comment on function public.advance_to_next_step(uuid) is 'Starts the next pending step unless one is in progress or a failed step blocks; completes the enrollment when every step is done. Returns the in-progress step id or null. PS001: no such enrollment.';
revoke all on function public.advance_to_next_step(uuid) from public, anon, authenticated;
grant execute on function public.advance_to_next_step(uuid) to service_role;

-- Alerts about a step close themselves when the step no longer needs anyone: it completed or was
-- skipped (all its alerts), or a partner enrollment id was entered (manual enrollment needed).
create or replace function private.tg_enrollment_steps__resolve_alerts()
returns trigger
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
  update public.admin_alerts a set resolved_at = pg_catalog.now()
  where a.step_id = new.id and a.resolved_at is null
    and (private.step_is_done(new.status)
         or (a.kind = 'manual_enrollment_needed' and new.external_enrollment_id is not null));
  return null;
end
$$;
comment on function private.tg_enrollment_steps__resolve_alerts() is 'After a step completes, is skipped or gets its partner id: resolves the admin alerts that no longer apply.';
revoke all on function private.tg_enrollment_steps__resolve_alerts() from public, anon, authenticated;

-- Live: students whose current step waits for someone to enroll them at a partner without an API
-- (manual adapter, no partner id yet), oldest first.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.monitor_awaiting_enrollment (sql/functions/public/) is its security invoker entry point.
create or replace function private.monitor_awaiting_enrollment(p_limit integer default 100)
returns table (step_id uuid, student_name text, email text, program_name text, provider_slug text,
               provider_name text, started_at timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set jit = off
as $$
begin
  perform private.admin_caller();
  return query
  select s.id, coalesce(nullif(p.full_name, ''), p.email), p.email, g.name, v.slug, v.provider_name, s.started_at
  from public.enrollment_steps s
  join public.partner_lms_providers v on v.id = s.provider_id
  join public.enrollments e on e.id = s.enrollment_id
  join public.profiles p on p.id = e.user_id
  join public.programs g on g.id = e.program_id
  where private.step_awaits_manual_enrollment(s.status, v.adapter, s.external_enrollment_id)
  order by s.started_at
  limit p_limit;
end
$$;
comment on function private.monitor_awaiting_enrollment(integer) is 'Body of public.monitor_awaiting_enrollment (security definer, outside the exposed schema): Live: current steps at manual partners still waiting for the partner''s enrollment id. Admins only.';
revoke all on function private.monitor_awaiting_enrollment(integer) from public, anon, authenticated;
grant execute on function private.monitor_awaiting_enrollment(integer) to authenticated, service_role;

-- Live: the webhook events an admin may need to act on (unmatched, deferred, rejected), newest
-- first, for the dashboard's replay / link actions.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.monitor_waiting_events (sql/functions/public/) is its security invoker entry point.
create or replace function private.monitor_waiting_events(p_limit integer default 100)
returns table (event_id bigint, provider_slug text, event_type text, status text, external_enrollment_id text,
               error text, received_at timestamptz, attempts integer)
language plpgsql
stable
security definer
set search_path = ''
set jit = off
as $$
begin
  perform private.admin_caller();
  return query
  select e.id, v.slug, e.event_type, e.status, e.external_enrollment_id, e.error, e.received_at, e.attempts
  from public.partner_events e join public.partner_lms_providers v on v.id = e.provider_id
  where e.status = any (private.waiting_event_statuses())
  order by e.received_at desc
  limit p_limit;
end
$$;
comment on function private.monitor_waiting_events(integer) is 'Body of public.monitor_waiting_events (security definer, outside the exposed schema): Live: unmatched, deferred and rejected partner events, newest first. Admins only.';
revoke all on function private.monitor_waiting_events(integer) from public, anon, authenticated;
grant execute on function private.monitor_waiting_events(integer) to authenticated, service_role;

-- Nothing is lost: when a step gets its partner enrollment id (enrollment.created, the worker's
-- enrollment call, an admin entering it) or is back in progress (admin retry), the events that
-- were waiting for it (unmatched or deferred) are applied, oldest first, in the same transaction.
create or replace function private.tg_enrollment_steps__apply_waiting_events()
returns trigger
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_event_id bigint;
begin
  for v_event_id in
    select e.id from public.partner_events e
    where e.provider_id = new.provider_id and e.external_enrollment_id = new.external_enrollment_id
      and e.status = any (private.waiting_event_statuses(false))
    order by e.id
  loop
    perform private.apply_partner_event(v_event_id);
  end loop;
  return null;
end
$$;
comment on function private.tg_enrollment_steps__apply_waiting_events() is 'After a step is linked to a partner id or restarted: applies the unmatched/deferred partner events waiting for it.';
revoke all on function private.tg_enrollment_steps__apply_waiting_events() from public, anon, authenticated;

-- Students in progress at a partner for more than p_days (live, oldest first): who, where, for how
-- long, with their email for contact. p_as_of lets a test freeze "now".
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.monitor_stuck_students (sql/functions/public/) is its security invoker entry point.
create or replace function private.monitor_stuck_students(
  p_days integer default null, p_limit integer default 100, p_as_of timestamptz default pg_catalog.now())
returns table (step_id uuid, enrollment_id uuid, student_name text, email text, program_name text,
               provider_slug text, provider_name text, started_at timestamptz, days_stuck integer,
               progress_percent smallint)
language plpgsql
stable
security definer
set search_path = ''
set jit = off
as $$
begin
  perform private.admin_caller();
  return query
  select s.id, e.id, coalesce(nullif(p.full_name, ''), p.email), p.email, g.name, v.slug, v.provider_name,
         s.started_at, pg_catalog.floor(extract(epoch from p_as_of - s.started_at) / 86400)::integer,
         s.progress_percent
  from public.enrollment_steps s
  join public.enrollments e on e.id = s.enrollment_id
  join public.profiles p on p.id = e.user_id
  join public.programs g on g.id = e.program_id
  join public.partner_lms_providers v on v.id = s.provider_id
  where s.status = 'in_progress' and s.started_at < p_as_of - pg_catalog.make_interval(days => coalesce(p_days, private.stuck_after_days()))
  order by s.started_at
  limit p_limit;
end
$$;
comment on function private.monitor_stuck_students(integer, integer, timestamptz) is 'Body of public.monitor_stuck_students (security definer, outside the exposed schema): Live: students in progress longer than p_days (default: private.settings.stuck_after_days), oldest first, with contact and days stuck. Admins only.';
revoke all on function private.monitor_stuck_students(integer, integer, timestamptz) from public, anon, authenticated;
grant execute on function private.monitor_stuck_students(integer, integer, timestamptz) to authenticated, service_role;

-- The Data API entry point (/rest/v1/rpc/monitor_stuck_students): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.monitor_stuck_students(
  p_days integer default null, p_limit integer default 100, p_as_of timestamptz default pg_catalog.now())
returns table (step_id uuid, enrollment_id uuid, student_name text, email text, program_name text,
               provider_slug text, provider_name text, started_at timestamptz, days_stuck integer,
               progress_percent smallint)
language sql
stable
security invoker
set search_path = ''
as $$
  select * from private.monitor_stuck_students(p_days, p_limit, p_as_of)
$$;
comment on function public.monitor_stuck_students(integer, integer, timestamptz) is 'Live: students in progress longer than p_days (default: private.settings.stuck_after_days), oldest first, with contact and days stuck. Admins only.';
revoke all on function public.monitor_stuck_students(integer, integer, timestamptz) from public, anon, authenticated;
grant execute on function public.monitor_stuck_students(integer, integer, timestamptz) to authenticated, service_role;

-- Periodic work, called by the worker (or pg_cron where available): nudge students stuck in a
-- step for more than p_stuck_days (default: private.settings.stuck_after_days) (at most one email per step per week) and alert admins about
-- steps over their partner's SLA (expected_days), once per step start. Returns the counts.
create or replace function public.run_periodic_checks(p_stuck_days integer default null)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_nudges integer := 0;
  v_breaches integer := 0;
  v_row record;
begin
  for v_row in
    select s.id, e.user_id, s.started_at,
           pg_catalog.floor(extract(epoch from pg_catalog.now() - s.started_at) / 86400)::integer as days
    from public.enrollment_steps s join public.enrollments e on e.id = s.enrollment_id
    where s.status = 'in_progress' and e.status = 'active'
      and s.started_at < pg_catalog.now() - pg_catalog.make_interval(days => coalesce(p_stuck_days, private.stuck_after_days()))
  loop
    if private.enqueue_email('stuck_nudge', v_row.user_id,
         private.step_context(v_row.id) || pg_catalog.jsonb_build_object('days', v_row.days),
         'email:stuck_nudge:' || v_row.id || ':' || pg_catalog.floor(extract(epoch from v_row.started_at))::bigint
           || ':week' || (v_row.days / 7)) is not null then
      v_nudges := v_nudges + 1;
    end if;
  end loop;

  for v_row in
    select s.id, s.started_at, v.provider_name, v.expected_days,
           pg_catalog.floor(extract(epoch from pg_catalog.now() - s.started_at) / 86400)::integer as days
    from public.enrollment_steps s join public.partner_lms_providers v on v.id = s.provider_id
    where s.status = 'in_progress'
      and s.started_at < pg_catalog.now() - pg_catalog.make_interval(days => v.expected_days)
  loop
    if private.raise_admin_alert('sla_breach',
         'sla_breach:' || v_row.id || ':' || pg_catalog.floor(extract(epoch from v_row.started_at))::bigint,
         pg_catalog.format('In progress at %s for %s days (expected %s).', v_row.provider_name, v_row.days,
                           v_row.expected_days),
         v_row.id) is not null then
      v_breaches := v_breaches + 1;
    end if;
  end loop;
  return pg_catalog.jsonb_build_object('stuck_nudges', v_nudges, 'sla_breaches', v_breaches);
end
$$;
comment on function public.run_periodic_checks(integer) is 'Queues stuck-student nudges (once per step per week) and SLA-breach admin alerts (once per step start). Returns counts.';
revoke all on function public.run_periodic_checks(integer) from public, anon, authenticated;
grant execute on function public.run_periodic_checks(integer) to service_role;

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
