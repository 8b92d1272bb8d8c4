-- Monitoring and the admin dashboard's actions: the monitoring snapshot, the admin action log,
-- the monitor_* functions (sql/functions/monitor_*.sql, refresh_monitoring.sql), and the
-- overrides updated to log every action (admin_caller factored out of authorize_step_override).

select pg_catalog.set_config('lock_timeout', '10s', true);
select pg_catalog.set_config('statement_timeout', '120s', true);

create table private.monitoring_snapshot (
  id boolean primary key default true check (id),
  refreshed_at timestamptz not null,
  as_of timestamptz not null,
  pipeline jsonb not null default '[]',
  programs jsonb not null default '[]',
  durations jsonb not null default '[]',
  funnel jsonb not null default '[]',
  weekly jsonb not null default '[]'
);
alter table private.monitoring_snapshot enable row level security;
comment on table private.monitoring_snapshot is 'One row: the aggregates behind the pipeline, completion, bottleneck, funnel and weekly views, recomputed by refresh_monitoring().';
revoke all on private.monitoring_snapshot from anon, authenticated;
grant select, insert, update on private.monitoring_snapshot to service_role;

create table public.admin_actions (
  id bigint generated always as identity primary key,
  actor_id uuid,
  actor_role text not null,
  action text not null,
  target text not null,
  reason text not null,
  created_at timestamptz not null default now()
);
create index admin_actions_created_at_idx on public.admin_actions (created_at desc);
alter table public.admin_actions enable row level security;
comment on table public.admin_actions is 'Every admin override (retry, skip, fail, complete, link, replay): who, what, on what, why, when.';
revoke all on public.admin_actions from anon, authenticated;
grant select on public.admin_actions to authenticated;
grant all on public.admin_actions to service_role;

-- live monitoring lookups. Not concurrently: migrations run in a transaction (glue.migrate and
-- supabase db push), and these partial indexes cover few rows (failed / awaiting steps), so the
-- build holds writes to enrollment_steps only briefly.
-- squawk-ignore require-concurrent-index-creation
create index enrollment_steps_failed_idx on public.enrollment_steps (updated_at desc) where status = 'failed';
-- squawk-ignore require-concurrent-index-creation
create index enrollment_steps_awaiting_idx on public.enrollment_steps (started_at)
  where status = 'in_progress' and external_enrollment_id is null;

-- ==== sql/functions/admin_caller.sql ====
-- Who is calling an admin-only function: 'admin' (a signed-in user whose profile role is admin),
-- 'service_role', or the session user of a direct database session (a DBA in psql). Anyone else
-- gets 42501. The one definition of "may act as an admin", used by the overrides and monitoring.
create or replace function private.admin_caller()
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_role text := pg_catalog.current_setting('role');
begin
  if coalesce(auth.role(), '') = 'service_role' or v_role = 'service_role' then
    return 'service_role';
  elsif v_role = 'none' and auth.uid() is null then
    return session_user;
  elsif private.is_admin() then
    return 'admin';
  end if;
  raise exception 'only admins may do this' using errcode = '42501',
    hint = 'Sign in as a user whose profile role is admin.';
end
$$;
comment on function private.admin_caller() is 'admin, service_role or the DBA''s session user; raises 42501 for anyone else.';
revoke all on function private.admin_caller() from public, anon, authenticated;
grant execute on function private.admin_caller() to service_role;

-- ==== sql/functions/authorize_step_override.sql ====
-- Gate of every admin override: the caller must be an admin (JWT of a profile with role admin),
-- the service role, or a direct database session (a DBA in psql); a reason is mandatory.
-- Sets the audit context so the transition records who acted and why.
create or replace function private.authorize_step_override(p_reason text)
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_actor text := private.admin_caller();
begin
  if p_reason is null or length(btrim(p_reason)) < 3 then
    raise exception 'a reason is required for an override (at least 3 characters)'
      using errcode = 'PS007';
  end if;
  perform private.set_audit_context(btrim(p_reason), v_actor);
end
$$;
comment on function private.authorize_step_override(text) is 'Raises 42501 unless the caller is an admin, the service role or a direct DB session; PS007 without a reason. Sets the audit context.';
revoke all on function private.authorize_step_override(text) from public, anon, authenticated;
grant execute on function private.authorize_step_override(text) to service_role;

-- ==== sql/functions/record_admin_action.sql ====
-- Log an admin action (who, what, on what, why) in admin_actions; the overrides call it right
-- after authorize_step_override, so every dashboard action leaves an audit entry even when it
-- changes no step (a replay that still finds nothing, say).
create or replace function private.record_admin_action(p_action text, p_target text, p_reason text)
returns void
language sql
volatile
security invoker
set search_path = ''
as $$
  insert into public.admin_actions (actor_id, actor_role, action, target, reason)
  values (auth.uid(), coalesce(nullif(pg_catalog.current_setting('app.step_actor_role', true), ''), session_user),
          p_action, p_target, pg_catalog.btrim(p_reason))
$$;
comment on function private.record_admin_action(text, text, text) is 'Appends an entry to admin_actions (actor, action, target, reason).';
revoke all on function private.record_admin_action(text, text, text) from public, anon, authenticated;
grant execute on function private.record_admin_action(text, text, text) to service_role;

-- ==== sql/functions/admin_fail_step.sql ====
-- Admin override: mark an in-progress step failed (the reason becomes its error message).
-- The enrollment stays blocked there until an admin retries, skips or completes the step.
create or replace function public.admin_fail_step(p_step_id uuid, p_reason text)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_step public.enrollment_steps;
begin
  perform private.authorize_step_override(p_reason);
  perform private.record_admin_action('fail_step', p_step_id::text, p_reason);
  v_step := private.lock_step(p_step_id);
  if v_step.status <> 'in_progress' then
    raise exception 'step % is %; only an in-progress step can be failed', p_step_id, v_step.status
      using errcode = 'PS003';
  end if;
  update public.enrollment_steps set status = 'failed', error_message = btrim(p_reason)
    where id = p_step_id;
end
$$;
comment on function public.admin_fail_step(uuid, text) is 'Admin override: in_progress -> failed, audited with the acting user and reason. 42501 non-admin, PS002, PS003, PS007.';
revoke all on function public.admin_fail_step(uuid, text) from public, anon, authenticated;
grant execute on function public.admin_fail_step(uuid, text) to authenticated, service_role;

-- ==== sql/functions/admin_skip_step.sql ====
-- Admin override: skip a step that is pending, in progress or failed, then advance. Returns the
-- step now in progress (or null).
create or replace function public.admin_skip_step(p_step_id uuid, p_reason text)
returns uuid
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_step public.enrollment_steps;
begin
  perform private.authorize_step_override(p_reason);
  perform private.record_admin_action('skip_step', p_step_id::text, p_reason);
  v_step := private.lock_step(p_step_id);
  if v_step.status not in ('pending', 'in_progress', 'failed') then
    raise exception 'step % is %; only a pending, in-progress or failed step can be skipped',
      p_step_id, v_step.status using errcode = 'PS003';
  end if;
  update public.enrollment_steps set status = 'skipped' where id = p_step_id;
  return public.advance_to_next_step(v_step.enrollment_id);
end
$$;
comment on function public.admin_skip_step(uuid, text) is 'Admin override: pending|in_progress|failed -> skipped, then advance; returns the in-progress step or null. 42501, PS002, PS003, PS007.';
revoke all on function public.admin_skip_step(uuid, text) from public, anon, authenticated;
grant execute on function public.admin_skip_step(uuid, text) to authenticated, service_role;

-- ==== sql/functions/admin_retry_step.sql ====
-- Admin override: put a failed step back in progress (a fresh start at that partner).
create or replace function public.admin_retry_step(p_step_id uuid, p_reason text)
returns uuid
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_step public.enrollment_steps;
begin
  perform private.authorize_step_override(p_reason);
  perform private.record_admin_action('retry_step', p_step_id::text, p_reason);
  v_step := private.lock_step(p_step_id);
  if v_step.status <> 'failed' then
    raise exception 'step % is %; only a failed step can be retried', p_step_id, v_step.status
      using errcode = 'PS003';
  end if;
  update public.enrollment_steps
    set status = 'in_progress', started_at = pg_catalog.now(), error_message = null
    where id = p_step_id;
  return p_step_id;
end
$$;
comment on function public.admin_retry_step(uuid, text) is 'Admin override: failed -> in_progress (restarted now); returns the step id. 42501, PS002, PS003, PS007.';
revoke all on function public.admin_retry_step(uuid, text) from public, anon, authenticated;
grant execute on function public.admin_retry_step(uuid, text) to authenticated, service_role;

-- ==== sql/functions/admin_complete_step.sql ====
-- Admin override: complete an in-progress or failed step by hand (e.g. the partner confirmed by
-- phone), optionally recording the partner's enrollment id, then advance.
create or replace function public.admin_complete_step(
  p_step_id uuid, p_reason text, p_external_enrollment_id text default null)
returns uuid
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform private.authorize_step_override(p_reason);
  perform private.record_admin_action('complete_step', p_step_id::text, p_reason);
  return private.complete_step(p_step_id, p_external_enrollment_id, array['in_progress', 'failed']);
end
$$;
comment on function public.admin_complete_step(uuid, text, text) is 'Admin override: in_progress|failed -> completed, then advance; returns the next step id or null. 42501, PS002, PS003, PS005, PS007.';
revoke all on function public.admin_complete_step(uuid, text, text) from public, anon, authenticated;
grant execute on function public.admin_complete_step(uuid, text, text) to authenticated, service_role;

-- ==== sql/functions/admin_link_step.sql ====
-- Admin override: enter the partner's enrollment id (and launch URL) for a step, e.g. after
-- enrolling the student by hand at a partner without an API. Completion webhooks that arrived
-- for that id before it was known are applied at once.
create or replace function public.admin_link_step(
  p_step_id uuid, p_external_enrollment_id text, p_reason text, p_launch_url text default null)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_error text;
begin
  perform private.authorize_step_override(p_reason);
  perform private.record_admin_action('link_step', p_step_id::text || ' -> ' || coalesce(p_external_enrollment_id, ''), p_reason);
  v_error := private.link_step(p_step_id, p_external_enrollment_id, p_launch_url);
  if v_error is not null then
    raise exception '%', v_error using errcode = 'PS005';
  end if;
end
$$;
comment on function public.admin_link_step(uuid, text, text, text) is 'Admin override: sets a step''s partner enrollment id and launch URL; waiting webhook events for it apply. 42501, PS002, PS005, PS007.';
revoke all on function public.admin_link_step(uuid, text, text, text) from public, anon, authenticated;
grant execute on function public.admin_link_step(uuid, text, text, text) to authenticated, service_role;

-- ==== sql/functions/admin_replay_event.sql ====
-- Admin override: re-apply a stored partner webhook event (e.g. after fixing the step it was
-- waiting for). Returns the event's new status.
create or replace function public.admin_replay_event(p_event_id bigint, p_reason text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform private.authorize_step_override(p_reason);
  perform private.record_admin_action('replay_event', p_event_id::text, p_reason);
  return private.apply_partner_event(p_event_id);
end
$$;
comment on function public.admin_replay_event(bigint, text) is 'Admin override: replays a stored partner event, audited. 42501, PS007, PS012.';
revoke all on function public.admin_replay_event(bigint, text) from public, anon, authenticated;
grant execute on function public.admin_replay_event(bigint, text) to authenticated, service_role;

-- ==== sql/functions/refresh_monitoring.sql ====
-- Recompute the monitoring snapshot: the aggregates over every enrollment and step that would be
-- too slow to compute per page view at scale (pipeline, completion rates, time in step, funnel,
-- weekly completions). The worker refreshes it every 30 s; run it by hand before querying the
-- snapshot functions in psql if you need the numbers of this very second. Returns the duration.
create or replace function public.refresh_monitoring(p_as_of timestamptz default pg_catalog.now())
returns interval
language plpgsql
volatile
security definer
set search_path = ''
set jit = off
as $$
declare
  v_started timestamptz := pg_catalog.clock_timestamp();
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
    -- (> 7 days) and over the partner's SLA (expected_days) now
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
                count(*) filter (where s.started_at < p_as_of - interval '7 days')::integer as stuck,
                count(*) filter (where s.started_at < p_as_of - pg_catalog.make_interval(days => w.expected_days))::integer as sla_breaches
         from public.enrollment_steps s join public.partner_lms_providers w on w.id = s.provider_id
         where s.status = 'in_progress'
         group by 1) l on l.provider_id = v.id) x),
    -- funnel: per program and position, how many reached it, completed, failed, are stalled (> 7 days)
    (select coalesce(pg_catalog.jsonb_agg(x), '[]') from (
       select e.program_id, s.sequence_order, s.provider_id,
              count(*) filter (where s.status <> 'pending')::integer as reached,
              count(*) filter (where s.status = 'completed')::integer as completed,
              count(*) filter (where s.status = 'skipped')::integer as skipped,
              count(*) filter (where s.status = 'failed')::integer as failed,
              count(*) filter (where s.status = 'in_progress' and s.started_at < p_as_of - interval '7 days')::integer as stalled,
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
comment on function public.refresh_monitoring(timestamptz) is 'Recomputes the monitoring snapshot (pipeline, completion rates, time in step, funnel, weekly completions). Admins, service role, DBA. Returns how long it took.';
revoke all on function public.refresh_monitoring(timestamptz) from public, anon, authenticated;
grant execute on function public.refresh_monitoring(timestamptz) to authenticated, service_role;

-- ==== sql/functions/monitor_pipeline.sql ====
-- Students at each partner by step status, and the partner's completion rate
-- (completed / (completed + failed + in progress + skipped)), from the monitoring snapshot.
create or replace function public.monitor_pipeline()
returns table (provider_slug text, provider_name text, pending integer, in_progress integer, completed integer,
               failed integer, skipped integer, total integer, completion_rate numeric, refreshed_at timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set jit = off
as $$
begin
  perform private.admin_caller();
  return query
  with counts as (
    select (x ->> 'provider_id')::uuid as provider_id, x ->> 'status' as status, (x ->> 'n')::integer as n
    from private.monitoring_snapshot m, pg_catalog.jsonb_array_elements(m.pipeline) x
  )
  select v.slug, v.provider_name,
    coalesce(sum(c.n) filter (where c.status = 'pending'), 0)::integer,
    coalesce(sum(c.n) filter (where c.status = 'in_progress'), 0)::integer,
    coalesce(sum(c.n) filter (where c.status = 'completed'), 0)::integer,
    coalesce(sum(c.n) filter (where c.status = 'failed'), 0)::integer,
    coalesce(sum(c.n) filter (where c.status = 'skipped'), 0)::integer,
    coalesce(sum(c.n), 0)::integer,
    round(coalesce(sum(c.n) filter (where c.status = 'completed'), 0)::numeric
          / nullif(coalesce(sum(c.n) filter (where c.status <> 'pending'), 0), 0), 4),
    (select m.refreshed_at from private.monitoring_snapshot m)
  from public.partner_lms_providers v left join counts c on c.provider_id = v.id
  group by v.id, v.slug, v.provider_name
  order by v.slug;
end
$$;
comment on function public.monitor_pipeline() is 'Per partner: steps by status and completion rate (snapshot; see refreshed_at). Admins only.';
revoke all on function public.monitor_pipeline() from public, anon;
grant execute on function public.monitor_pipeline() to authenticated, service_role;

-- ==== sql/functions/monitor_program_completion.sql ====
-- Per program: enrollments, active, completed, cancelled and the completion rate, from the snapshot.
create or replace function public.monitor_program_completion()
returns table (program_slug text, program_name text, enrollments integer, active integer, completed integer,
               cancelled integer, completion_rate numeric)
language plpgsql
stable
security definer
set search_path = ''
set jit = off
as $$
begin
  perform private.admin_caller();
  return query
  with counts as (
    select (x ->> 'program_id')::uuid as program_id, x ->> 'status' as status, (x ->> 'n')::integer as n
    from private.monitoring_snapshot m, pg_catalog.jsonb_array_elements(m.programs) x
  )
  select g.slug, g.name, coalesce(sum(c.n), 0)::integer,
    coalesce(sum(c.n) filter (where c.status = 'active'), 0)::integer,
    coalesce(sum(c.n) filter (where c.status = 'completed'), 0)::integer,
    coalesce(sum(c.n) filter (where c.status = 'cancelled'), 0)::integer,
    round(coalesce(sum(c.n) filter (where c.status = 'completed'), 0)::numeric / nullif(sum(c.n), 0), 4)
  from public.programs g left join counts c on c.program_id = g.id
  group by g.id, g.slug, g.name
  order by g.name;
end
$$;
comment on function public.monitor_program_completion() is 'Per program: enrollments by status and completion rate (snapshot). Admins only.';
revoke all on function public.monitor_program_completion() from public, anon;
grant execute on function public.monitor_program_completion() to authenticated, service_role;

-- ==== sql/functions/monitor_stuck_students.sql ====
-- Students in progress at a partner for more than p_days (live, oldest first): who, where, for how
-- long, with their email for contact. p_as_of lets a test freeze "now".
create or replace function public.monitor_stuck_students(
  p_days integer default 7, p_limit integer default 100, p_as_of timestamptz default pg_catalog.now())
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
  where s.status = 'in_progress' and s.started_at < p_as_of - pg_catalog.make_interval(days => p_days)
  order by s.started_at
  limit p_limit;
end
$$;
comment on function public.monitor_stuck_students(integer, integer, timestamptz) is 'Live: students in progress longer than p_days (default 7), oldest first, with contact and days stuck. Admins only.';
revoke all on function public.monitor_stuck_students(integer, integer, timestamptz) from public, anon;
grant execute on function public.monitor_stuck_students(integer, integer, timestamptz) to authenticated, service_role;

-- ==== sql/functions/monitor_bottlenecks.sql ====
-- Where students slow down: per partner, median and 90th-percentile days in step (completed in
-- the last year), how many are in progress, stuck (> 7 days) and over the partner's SLA
-- (expected_days), from the snapshot.
create or replace function public.monitor_bottlenecks()
returns table (provider_slug text, provider_name text, expected_days integer, median_days numeric, p90_days numeric,
               completed integer, in_progress integer, stuck integer, sla_breaches integer)
language plpgsql
stable
security definer
set search_path = ''
set jit = off
as $$
begin
  perform private.admin_caller();
  return query
  select v.slug, v.provider_name, v.expected_days,
         round((x ->> 'median_days')::numeric, 1), round((x ->> 'p90_days')::numeric, 1),
         coalesce((x ->> 'completed_n')::integer, 0), coalesce((x ->> 'in_progress')::integer, 0),
         coalesce((x ->> 'stuck')::integer, 0), coalesce((x ->> 'sla_breaches')::integer, 0)
  from public.partner_lms_providers v
  left join (select y from private.monitoring_snapshot m, pg_catalog.jsonb_array_elements(m.durations) y) d (x)
    on (x ->> 'provider_id')::uuid = v.id
  order by coalesce((x ->> 'sla_breaches')::integer, 0) desc, v.slug;
end
$$;
comment on function public.monitor_bottlenecks() is 'Per partner: median/p90 days in step, in progress, stuck and SLA breaches (snapshot), worst first. Admins only.';
revoke all on function public.monitor_bottlenecks() from public, anon;
grant execute on function public.monitor_bottlenecks() to authenticated, service_role;

-- ==== sql/functions/monitor_funnel.sql ====
-- The drop-off funnel: per program and position in its sequence, how many students reached the
-- step, completed it, were waived, failed there or are stalled there (> 7 days), from the snapshot.
create or replace function public.monitor_funnel(p_program_slug text default null)
returns table (program_slug text, program_name text, sequence_order integer, provider_slug text, reached integer,
               completed integer, skipped integer, failed integer, stalled integer, in_progress integer)
language plpgsql
stable
security definer
set search_path = ''
set jit = off
as $$
begin
  perform private.admin_caller();
  return query
  select g.slug, g.name, (x ->> 'sequence_order')::integer, v.slug,
         (x ->> 'reached')::integer, (x ->> 'completed')::integer, (x ->> 'skipped')::integer,
         (x ->> 'failed')::integer, (x ->> 'stalled')::integer, (x ->> 'in_progress')::integer
  from private.monitoring_snapshot m
  cross join pg_catalog.jsonb_array_elements(m.funnel) x
  join public.programs g on g.id = (x ->> 'program_id')::uuid
  join public.partner_lms_providers v on v.id = (x ->> 'provider_id')::uuid
  where p_program_slug is null or g.slug = p_program_slug
  order by g.name, 3;
end
$$;
comment on function public.monitor_funnel(text) is 'Per program and step position: reached, completed, skipped, failed, stalled, in progress (snapshot). Admins only.';
revoke all on function public.monitor_funnel(text) from public, anon;
grant execute on function public.monitor_funnel(text) to authenticated, service_role;

-- ==== sql/functions/monitor_weekly_completions.sql ====
-- Enrollments completed per week over the last p_weeks weeks (weeks with none included), from
-- the snapshot.
create or replace function public.monitor_weekly_completions(p_weeks integer default 12)
returns table (week_start date, completions integer)
language plpgsql
stable
security definer
set search_path = ''
set jit = off
as $$
begin
  perform private.admin_caller();
  return query
  select w::date, coalesce((select (x ->> 'completions')::integer
                            from private.monitoring_snapshot m, pg_catalog.jsonb_array_elements(m.weekly) x
                            where (x ->> 'week_start')::date = w::date), 0)
  from pg_catalog.generate_series(
         pg_catalog.date_trunc('week', coalesce((select m.as_of from private.monitoring_snapshot m), pg_catalog.now()))
           - pg_catalog.make_interval(weeks => least(greatest(p_weeks, 1), 52) - 1),
         pg_catalog.date_trunc('week', coalesce((select m.as_of from private.monitoring_snapshot m), pg_catalog.now())),
         interval '1 week') w
  order by 1;
end
$$;
comment on function public.monitor_weekly_completions(integer) is 'Completions per week for the last p_weeks (max 52) weeks, zeros included (snapshot). Admins only.';
revoke all on function public.monitor_weekly_completions(integer) from public, anon;
grant execute on function public.monitor_weekly_completions(integer) to authenticated, service_role;

-- ==== sql/functions/monitor_failed_enrollments.sql ====
-- Live: steps that failed (typically a partner enrollment that exhausted its retries), newest
-- first, with the student, the error and the open alert, for the dashboard's retry/skip/complete.
create or replace function public.monitor_failed_enrollments(p_limit integer default 100)
returns table (step_id uuid, enrollment_id uuid, student_name text, email text, program_name text,
               provider_slug text, provider_name text, adapter text, error_message text, failed_at timestamptz,
               external_enrollment_id text)
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
         v.adapter, s.error_message, s.updated_at, s.external_enrollment_id
  from public.enrollment_steps s
  join public.enrollments e on e.id = s.enrollment_id
  join public.profiles p on p.id = e.user_id
  join public.programs g on g.id = e.program_id
  join public.partner_lms_providers v on v.id = s.provider_id
  where s.status = 'failed'
  order by s.updated_at desc
  limit p_limit;
end
$$;
comment on function public.monitor_failed_enrollments(integer) is 'Live: failed steps (dead-lettered partner enrollments and admin failures), newest first. Admins only.';
revoke all on function public.monitor_failed_enrollments(integer) from public, anon;
grant execute on function public.monitor_failed_enrollments(integer) to authenticated, service_role;

-- ==== sql/functions/monitor_awaiting_enrollment.sql ====
-- Live: students whose current step waits for someone to enroll them at a partner without an API
-- (manual adapter, no partner id yet), oldest first.
create or replace function public.monitor_awaiting_enrollment(p_limit integer default 100)
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
  where s.status = 'in_progress' and s.external_enrollment_id is null and v.adapter = 'manual'
  order by s.started_at
  limit p_limit;
end
$$;
comment on function public.monitor_awaiting_enrollment(integer) is 'Live: current steps at manual partners still waiting for the partner''s enrollment id. Admins only.';
revoke all on function public.monitor_awaiting_enrollment(integer) from public, anon;
grant execute on function public.monitor_awaiting_enrollment(integer) to authenticated, service_role;

-- ==== sql/functions/monitor_partner_events.sql ====
-- Live, per partner: webhook events waiting (unmatched, deferred) and rejected, and when the last
-- event arrived (a partner that went quiet is a warning sign).
create or replace function public.monitor_partner_events()
returns table (provider_slug text, provider_name text, unmatched integer, deferred integer, rejected integer,
               last_event_at timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set jit = off
as $$
begin
  perform private.admin_caller();
  return query
  select v.slug, v.provider_name,
    (select count(*)::integer from public.partner_events e where e.provider_id = v.id and e.status = 'unmatched'),
    (select count(*)::integer from public.partner_events e where e.provider_id = v.id and e.status = 'deferred'),
    (select count(*)::integer from public.partner_events e where e.provider_id = v.id and e.status = 'rejected'),
    (select max(e.received_at) from public.partner_events e where e.provider_id = v.id)
  from public.partner_lms_providers v
  order by v.slug;
end
$$;
comment on function public.monitor_partner_events() is 'Live, per partner: unmatched, deferred and rejected webhook events and the last event time. Admins only.';
revoke all on function public.monitor_partner_events() from public, anon;
grant execute on function public.monitor_partner_events() to authenticated, service_role;

-- ==== sql/functions/monitor_waiting_events.sql ====
-- Live: the webhook events an admin may need to act on (unmatched, deferred, rejected), newest
-- first, for the dashboard's replay / link actions.
create or replace function public.monitor_waiting_events(p_limit integer default 100)
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
  where e.status in ('unmatched', 'deferred', 'rejected')
  order by e.received_at desc
  limit p_limit;
end
$$;
comment on function public.monitor_waiting_events(integer) is 'Live: unmatched, deferred and rejected partner events, newest first. Admins only.';
revoke all on function public.monitor_waiting_events(integer) from public, anon;
grant execute on function public.monitor_waiting_events(integer) to authenticated, service_role;

-- ==== sql/functions/monitor_queues.sql ====
-- Live, per queue: jobs ready, in flight or waiting to retry, the oldest job, and dead letters in
-- the last 24 hours.
create or replace function public.monitor_queues()
returns table (queue_name text, ready integer, delayed integer, oldest_enqueued_at timestamptz, dead_24h integer,
               last_error text)
language plpgsql
stable
security definer
set search_path = ''
set jit = off
as $$
begin
  perform private.admin_caller();
  return query
  select q.queue_name,
    (select count(*)::integer from queue.jobs j where j.queue_name = q.queue_name and j.vt <= pg_catalog.now()),
    (select count(*)::integer from queue.jobs j where j.queue_name = q.queue_name and j.vt > pg_catalog.now()),
    (select min(j.enqueued_at) from queue.jobs j where j.queue_name = q.queue_name),
    (select count(*)::integer from queue.jobs_archive a
     where a.queue_name = q.queue_name and a.outcome = 'dead' and a.archived_at > pg_catalog.now() - interval '24 hours'),
    (select j.last_error from queue.jobs j where j.queue_name = q.queue_name and j.last_error is not null
     order by j.msg_id desc limit 1)
  from queue.queues q
  order by q.queue_name;
end
$$;
comment on function public.monitor_queues() is 'Live, per queue: ready and delayed jobs, oldest job, dead letters in 24 h, latest error. Admins only.';
revoke all on function public.monitor_queues() from public, anon;
grant execute on function public.monitor_queues() to authenticated, service_role;

-- ==== sql/policies/admin_actions.sql ====
drop policy if exists "Admins can read the admin action log" on public.admin_actions;
create policy "Admins can read the admin action log" on public.admin_actions
  for select to authenticated using ((select private.is_admin()));
