-- Security Advisor clean (Supabase's splinter lints on our objects):
-- * 0028/0029: no SECURITY DEFINER function in the exposed schema. The bodies of the admin
--   overrides, the monitoring functions, refresh_monitoring and verify_certificate move to
--   `private` (not exposed by the Data API), still checking the caller; `public` keeps security
--   invoker entry points with the same names and parameters, so callers do not change.
-- * 0008: explicit policies on the queue tables and private.monitoring_snapshot.
-- * anon/authenticated hold no privilege on our sequences (Supabase's default privileges grant
--   them), and future functions/sequences of the migrating role get none by default.
-- * Signed-in users read enrollment_steps through a column grant that leaves out error_message
--   (raw partner errors); admins read errors through monitor_failed_enrollments.
-- Sources: the sql/ files below (this file is their concatenation, then the grants).

select pg_catalog.set_config('lock_timeout', '10s', true);
select pg_catalog.set_config('statement_timeout', '120s', true);

-- ==== sql/functions/verify_certificate.sql ====
-- Public certificate verification by its unguessable code (the /certificates/<code> page).
-- security definer so anonymous visitors can check a code; it reveals only what the printed
-- certificate shows, and only to someone holding the code.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.verify_certificate below is its security invoker entry point. Visitors (anon) reach
-- the body through it, so they may look up names in private; every private function revokes
-- execute from anon and PUBLIC, and this body is the only one granted to anon.
grant usage on schema private to anon;

create or replace function private.verify_certificate(p_code text)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select pg_catalog.jsonb_build_object(
    'status', case when c.revoked_at is null then 'valid' else 'revoked' end,
    'student_name', coalesce(nullif(p.full_name, ''), 'Student'), 'program_name', g.name,
    'issued_at', c.issued_at, 'revoked_at', c.revoked_at, 'revoked_reason', c.revoked_reason)
  from public.certificates c
  join public.enrollments e on e.id = c.enrollment_id
  join public.profiles p on p.id = e.user_id
  join public.programs g on g.id = e.program_id
  where c.verification_code = p_code and p_code ~ '^[0-9a-f]{32}$'
$$;
comment on function private.verify_certificate(text) is 'Body of public.verify_certificate (security definer, outside the exposed schema): Public check of a certificate code: {status valid|revoked, student_name, program_name, issued_at}, or null for an unknown code.';
revoke all on function private.verify_certificate(text) from public, anon, authenticated;
grant execute on function private.verify_certificate(text) to anon, authenticated, service_role;

-- The Data API entry point (/rest/v1/rpc/verify_certificate): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.verify_certificate(p_code text)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select private.verify_certificate(p_code)
$$;
comment on function public.verify_certificate(text) is 'Public check of a certificate code: {status valid|revoked, student_name, program_name, issued_at}, or null for an unknown code.';
revoke all on function public.verify_certificate(text) from public, anon, authenticated;
grant execute on function public.verify_certificate(text) to anon, authenticated, service_role;

-- ==== sql/functions/admin_complete_step.sql ====
-- Admin override: complete an in-progress or failed step by hand (e.g. the partner confirmed by
-- phone), optionally recording the partner's enrollment id, then advance.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.admin_complete_step below is its security invoker entry point.
create or replace function private.admin_complete_step(
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
comment on function private.admin_complete_step(uuid, text, text) is 'Body of public.admin_complete_step (security definer, outside the exposed schema): Admin override: in_progress|failed -> completed, then advance; returns the next step id or null. 42501, PS002, PS003, PS005, PS007.';
revoke all on function private.admin_complete_step(uuid, text, text) from public, anon, authenticated;
grant execute on function private.admin_complete_step(uuid, text, text) to authenticated, service_role;

-- The Data API entry point (/rest/v1/rpc/admin_complete_step): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.admin_complete_step(
  p_step_id uuid, p_reason text, p_external_enrollment_id text default null)
returns uuid
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.admin_complete_step(p_step_id, p_reason, p_external_enrollment_id)
$$;
comment on function public.admin_complete_step(uuid, text, text) is 'Admin override: in_progress|failed -> completed, then advance; returns the next step id or null. 42501, PS002, PS003, PS005, PS007.';
revoke all on function public.admin_complete_step(uuid, text, text) from public, anon, authenticated;
grant execute on function public.admin_complete_step(uuid, text, text) to authenticated, service_role;

-- ==== sql/functions/admin_fail_step.sql ====
-- Admin override: mark an in-progress step failed (the reason becomes its error message).
-- The enrollment stays blocked there until an admin retries, skips or completes the step.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.admin_fail_step below is its security invoker entry point.
create or replace function private.admin_fail_step(p_step_id uuid, p_reason text)
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
comment on function private.admin_fail_step(uuid, text) is 'Body of public.admin_fail_step (security definer, outside the exposed schema): Admin override: in_progress -> failed, audited with the acting user and reason. 42501 non-admin, PS002, PS003, PS007.';
revoke all on function private.admin_fail_step(uuid, text) from public, anon, authenticated;
grant execute on function private.admin_fail_step(uuid, text) to authenticated, service_role;

-- The Data API entry point (/rest/v1/rpc/admin_fail_step): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.admin_fail_step(p_step_id uuid, p_reason text)
returns void
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.admin_fail_step(p_step_id, p_reason)
$$;
comment on function public.admin_fail_step(uuid, text) is 'Admin override: in_progress -> failed, audited with the acting user and reason. 42501 non-admin, PS002, PS003, PS007.';
revoke all on function public.admin_fail_step(uuid, text) from public, anon, authenticated;
grant execute on function public.admin_fail_step(uuid, text) to authenticated, service_role;

-- ==== sql/functions/admin_link_step.sql ====
-- Admin override: enter the partner's enrollment id (and launch URL) for a step, e.g. after
-- enrolling the student by hand at a partner without an API. Completion webhooks that arrived
-- for that id before it was known are applied at once.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.admin_link_step below is its security invoker entry point.
create or replace function private.admin_link_step(
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
comment on function private.admin_link_step(uuid, text, text, text) is 'Body of public.admin_link_step (security definer, outside the exposed schema): Admin override: sets a step''s partner enrollment id and launch URL; waiting webhook events for it apply. 42501, PS002, PS005, PS007.';
revoke all on function private.admin_link_step(uuid, text, text, text) from public, anon, authenticated;
grant execute on function private.admin_link_step(uuid, text, text, text) to authenticated, service_role;

-- The Data API entry point (/rest/v1/rpc/admin_link_step): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.admin_link_step(
  p_step_id uuid, p_external_enrollment_id text, p_reason text, p_launch_url text default null)
returns void
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.admin_link_step(p_step_id, p_external_enrollment_id, p_reason, p_launch_url)
$$;
comment on function public.admin_link_step(uuid, text, text, text) is 'Admin override: sets a step''s partner enrollment id and launch URL; waiting webhook events for it apply. 42501, PS002, PS005, PS007.';
revoke all on function public.admin_link_step(uuid, text, text, text) from public, anon, authenticated;
grant execute on function public.admin_link_step(uuid, text, text, text) to authenticated, service_role;

-- ==== sql/functions/admin_replay_event.sql ====
-- Admin override: re-apply a stored partner webhook event (e.g. after fixing the step it was
-- waiting for). Returns the event's new status.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.admin_replay_event below is its security invoker entry point.
create or replace function private.admin_replay_event(p_event_id bigint, p_reason text)
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
comment on function private.admin_replay_event(bigint, text) is 'Body of public.admin_replay_event (security definer, outside the exposed schema): Admin override: replays a stored partner event, audited. 42501, PS007, PS012.';
revoke all on function private.admin_replay_event(bigint, text) from public, anon, authenticated;
grant execute on function private.admin_replay_event(bigint, text) to authenticated, service_role;

-- The Data API entry point (/rest/v1/rpc/admin_replay_event): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.admin_replay_event(p_event_id bigint, p_reason text)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.admin_replay_event(p_event_id, p_reason)
$$;
comment on function public.admin_replay_event(bigint, text) is 'Admin override: replays a stored partner event, audited. 42501, PS007, PS012.';
revoke all on function public.admin_replay_event(bigint, text) from public, anon, authenticated;
grant execute on function public.admin_replay_event(bigint, text) to authenticated, service_role;

-- ==== sql/functions/admin_retry_step.sql ====
-- Admin override: put a failed step back in progress (a fresh start at that partner).
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.admin_retry_step below is its security invoker entry point.
create or replace function private.admin_retry_step(p_step_id uuid, p_reason text)
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
comment on function private.admin_retry_step(uuid, text) is 'Body of public.admin_retry_step (security definer, outside the exposed schema): Admin override: failed -> in_progress (restarted now); returns the step id. 42501, PS002, PS003, PS007.';
revoke all on function private.admin_retry_step(uuid, text) from public, anon, authenticated;
grant execute on function private.admin_retry_step(uuid, text) to authenticated, service_role;

-- The Data API entry point (/rest/v1/rpc/admin_retry_step): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.admin_retry_step(p_step_id uuid, p_reason text)
returns uuid
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.admin_retry_step(p_step_id, p_reason)
$$;
comment on function public.admin_retry_step(uuid, text) is 'Admin override: failed -> in_progress (restarted now); returns the step id. 42501, PS002, PS003, PS007.';
revoke all on function public.admin_retry_step(uuid, text) from public, anon, authenticated;
grant execute on function public.admin_retry_step(uuid, text) to authenticated, service_role;

-- ==== sql/functions/admin_skip_step.sql ====
-- Admin override: skip a step that is pending, in progress or failed, then advance. Returns the
-- step now in progress (or null).
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.admin_skip_step below is its security invoker entry point.
create or replace function private.admin_skip_step(p_step_id uuid, p_reason text)
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
comment on function private.admin_skip_step(uuid, text) is 'Body of public.admin_skip_step (security definer, outside the exposed schema): Admin override: pending|in_progress|failed -> skipped, then advance; returns the in-progress step or null. 42501, PS002, PS003, PS007.';
revoke all on function private.admin_skip_step(uuid, text) from public, anon, authenticated;
grant execute on function private.admin_skip_step(uuid, text) to authenticated, service_role;

-- The Data API entry point (/rest/v1/rpc/admin_skip_step): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.admin_skip_step(p_step_id uuid, p_reason text)
returns uuid
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.admin_skip_step(p_step_id, p_reason)
$$;
comment on function public.admin_skip_step(uuid, text) is 'Admin override: pending|in_progress|failed -> skipped, then advance; returns the in-progress step or null. 42501, PS002, PS003, PS007.';
revoke all on function public.admin_skip_step(uuid, text) from public, anon, authenticated;
grant execute on function public.admin_skip_step(uuid, text) to authenticated, service_role;

-- ==== sql/functions/refresh_monitoring.sql ====
-- Recompute the monitoring snapshot: the aggregates over every enrollment and step that would be
-- too slow to compute per page view at scale (pipeline, completion rates, time in step, funnel,
-- weekly completions). The worker refreshes it every 30 s; run it by hand before querying the
-- snapshot functions in psql if you need the numbers of this very second. Returns the duration.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.refresh_monitoring below is its security invoker entry point.
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
comment on function private.refresh_monitoring(timestamptz) is 'Body of public.refresh_monitoring (security definer, outside the exposed schema): Recomputes the monitoring snapshot (pipeline, completion rates, time in step, funnel, weekly completions). Admins, service role, DBA. Returns how long it took.';
revoke all on function private.refresh_monitoring(timestamptz) from public, anon, authenticated;
grant execute on function private.refresh_monitoring(timestamptz) to authenticated, service_role;

-- The Data API entry point (/rest/v1/rpc/refresh_monitoring): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.refresh_monitoring(p_as_of timestamptz default pg_catalog.now())
returns interval
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.refresh_monitoring(p_as_of)
$$;
comment on function public.refresh_monitoring(timestamptz) is 'Recomputes the monitoring snapshot (pipeline, completion rates, time in step, funnel, weekly completions). Admins, service role, DBA. Returns how long it took.';
revoke all on function public.refresh_monitoring(timestamptz) from public, anon, authenticated;
grant execute on function public.refresh_monitoring(timestamptz) to authenticated, service_role;

-- ==== sql/functions/monitor_awaiting_enrollment.sql ====
-- Live: students whose current step waits for someone to enroll them at a partner without an API
-- (manual adapter, no partner id yet), oldest first.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.monitor_awaiting_enrollment below is its security invoker entry point.
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
  where s.status = 'in_progress' and s.external_enrollment_id is null and v.adapter = 'manual'
  order by s.started_at
  limit p_limit;
end
$$;
comment on function private.monitor_awaiting_enrollment(integer) is 'Body of public.monitor_awaiting_enrollment (security definer, outside the exposed schema): Live: current steps at manual partners still waiting for the partner''s enrollment id. Admins only.';
revoke all on function private.monitor_awaiting_enrollment(integer) from public, anon, authenticated;
grant execute on function private.monitor_awaiting_enrollment(integer) to authenticated, service_role;

-- The Data API entry point (/rest/v1/rpc/monitor_awaiting_enrollment): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.monitor_awaiting_enrollment(p_limit integer default 100)
returns table (step_id uuid, student_name text, email text, program_name text, provider_slug text,
               provider_name text, started_at timestamptz)
language sql
stable
security invoker
set search_path = ''
as $$
  select * from private.monitor_awaiting_enrollment(p_limit)
$$;
comment on function public.monitor_awaiting_enrollment(integer) is 'Live: current steps at manual partners still waiting for the partner''s enrollment id. Admins only.';
revoke all on function public.monitor_awaiting_enrollment(integer) from public, anon, authenticated;
grant execute on function public.monitor_awaiting_enrollment(integer) to authenticated, service_role;

-- ==== sql/functions/monitor_bottlenecks.sql ====
-- Where students slow down: per partner, median and 90th-percentile days in step (completed in
-- the last year), how many are in progress, stuck (> 7 days) and over the partner's SLA
-- (expected_days), from the snapshot.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.monitor_bottlenecks below is its security invoker entry point.
create or replace function private.monitor_bottlenecks()
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
comment on function private.monitor_bottlenecks() is 'Body of public.monitor_bottlenecks (security definer, outside the exposed schema): Per partner: median/p90 days in step, in progress, stuck and SLA breaches (snapshot), worst first. Admins only.';
revoke all on function private.monitor_bottlenecks() from public, anon, authenticated;
grant execute on function private.monitor_bottlenecks() to authenticated, service_role;

-- The Data API entry point (/rest/v1/rpc/monitor_bottlenecks): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.monitor_bottlenecks()
returns table (provider_slug text, provider_name text, expected_days integer, median_days numeric, p90_days numeric,
               completed integer, in_progress integer, stuck integer, sla_breaches integer)
language sql
stable
security invoker
set search_path = ''
as $$
  select * from private.monitor_bottlenecks()
$$;
comment on function public.monitor_bottlenecks() is 'Per partner: median/p90 days in step, in progress, stuck and SLA breaches (snapshot), worst first. Admins only.';
revoke all on function public.monitor_bottlenecks() from public, anon, authenticated;
grant execute on function public.monitor_bottlenecks() to authenticated, service_role;

-- ==== sql/functions/monitor_failed_enrollments.sql ====
-- Live: steps that failed (typically a partner enrollment that exhausted its retries), newest
-- first, with the student, the error and the open alert, for the dashboard's retry/skip/complete.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.monitor_failed_enrollments below is its security invoker entry point.
create or replace function private.monitor_failed_enrollments(p_limit integer default 100)
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
comment on function private.monitor_failed_enrollments(integer) is 'Body of public.monitor_failed_enrollments (security definer, outside the exposed schema): Live: failed steps (dead-lettered partner enrollments and admin failures), newest first. Admins only.';
revoke all on function private.monitor_failed_enrollments(integer) from public, anon, authenticated;
grant execute on function private.monitor_failed_enrollments(integer) to authenticated, service_role;

-- The Data API entry point (/rest/v1/rpc/monitor_failed_enrollments): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.monitor_failed_enrollments(p_limit integer default 100)
returns table (step_id uuid, enrollment_id uuid, student_name text, email text, program_name text,
               provider_slug text, provider_name text, adapter text, error_message text, failed_at timestamptz,
               external_enrollment_id text)
language sql
stable
security invoker
set search_path = ''
as $$
  select * from private.monitor_failed_enrollments(p_limit)
$$;
comment on function public.monitor_failed_enrollments(integer) is 'Live: failed steps (dead-lettered partner enrollments and admin failures), newest first. Admins only.';
revoke all on function public.monitor_failed_enrollments(integer) from public, anon, authenticated;
grant execute on function public.monitor_failed_enrollments(integer) to authenticated, service_role;

-- ==== sql/functions/monitor_funnel.sql ====
-- The drop-off funnel: per program and position in its sequence, how many students reached the
-- step, completed it, were waived, failed there or are stalled there (> 7 days), from the snapshot.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.monitor_funnel below is its security invoker entry point.
create or replace function private.monitor_funnel(p_program_slug text default null)
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
comment on function private.monitor_funnel(text) is 'Body of public.monitor_funnel (security definer, outside the exposed schema): Per program and step position: reached, completed, skipped, failed, stalled, in progress (snapshot). Admins only.';
revoke all on function private.monitor_funnel(text) from public, anon, authenticated;
grant execute on function private.monitor_funnel(text) to authenticated, service_role;

-- The Data API entry point (/rest/v1/rpc/monitor_funnel): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.monitor_funnel(p_program_slug text default null)
returns table (program_slug text, program_name text, sequence_order integer, provider_slug text, reached integer,
               completed integer, skipped integer, failed integer, stalled integer, in_progress integer)
language sql
stable
security invoker
set search_path = ''
as $$
  select * from private.monitor_funnel(p_program_slug)
$$;
comment on function public.monitor_funnel(text) is 'Per program and step position: reached, completed, skipped, failed, stalled, in progress (snapshot). Admins only.';
revoke all on function public.monitor_funnel(text) from public, anon, authenticated;
grant execute on function public.monitor_funnel(text) to authenticated, service_role;

-- ==== sql/functions/monitor_partner_events.sql ====
-- Live, per partner: webhook events waiting (unmatched, deferred) and rejected, and when the last
-- event arrived (a partner that went quiet is a warning sign).
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.monitor_partner_events below is its security invoker entry point.
create or replace function private.monitor_partner_events()
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
comment on function private.monitor_partner_events() is 'Body of public.monitor_partner_events (security definer, outside the exposed schema): Live, per partner: unmatched, deferred and rejected webhook events and the last event time. Admins only.';
revoke all on function private.monitor_partner_events() from public, anon, authenticated;
grant execute on function private.monitor_partner_events() to authenticated, service_role;

-- The Data API entry point (/rest/v1/rpc/monitor_partner_events): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.monitor_partner_events()
returns table (provider_slug text, provider_name text, unmatched integer, deferred integer, rejected integer,
               last_event_at timestamptz)
language sql
stable
security invoker
set search_path = ''
as $$
  select * from private.monitor_partner_events()
$$;
comment on function public.monitor_partner_events() is 'Live, per partner: unmatched, deferred and rejected webhook events and the last event time. Admins only.';
revoke all on function public.monitor_partner_events() from public, anon, authenticated;
grant execute on function public.monitor_partner_events() to authenticated, service_role;

-- ==== sql/functions/monitor_pipeline.sql ====
-- Students at each partner by step status, and the partner's completion rate
-- (completed / (completed + failed + in progress + skipped)), from the monitoring snapshot.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.monitor_pipeline below is its security invoker entry point.
create or replace function private.monitor_pipeline()
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
comment on function private.monitor_pipeline() is 'Body of public.monitor_pipeline (security definer, outside the exposed schema): Per partner: steps by status and completion rate (snapshot; see refreshed_at). Admins only.';
revoke all on function private.monitor_pipeline() from public, anon, authenticated;
grant execute on function private.monitor_pipeline() to authenticated, service_role;

-- The Data API entry point (/rest/v1/rpc/monitor_pipeline): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.monitor_pipeline()
returns table (provider_slug text, provider_name text, pending integer, in_progress integer, completed integer,
               failed integer, skipped integer, total integer, completion_rate numeric, refreshed_at timestamptz)
language sql
stable
security invoker
set search_path = ''
as $$
  select * from private.monitor_pipeline()
$$;
comment on function public.monitor_pipeline() is 'Per partner: steps by status and completion rate (snapshot; see refreshed_at). Admins only.';
revoke all on function public.monitor_pipeline() from public, anon, authenticated;
grant execute on function public.monitor_pipeline() to authenticated, service_role;

-- ==== sql/functions/monitor_program_completion.sql ====
-- Per program: enrollments, active, completed, cancelled and the completion rate, from the snapshot.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.monitor_program_completion below is its security invoker entry point.
create or replace function private.monitor_program_completion()
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
comment on function private.monitor_program_completion() is 'Body of public.monitor_program_completion (security definer, outside the exposed schema): Per program: enrollments by status and completion rate (snapshot). Admins only.';
revoke all on function private.monitor_program_completion() from public, anon, authenticated;
grant execute on function private.monitor_program_completion() to authenticated, service_role;

-- The Data API entry point (/rest/v1/rpc/monitor_program_completion): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.monitor_program_completion()
returns table (program_slug text, program_name text, enrollments integer, active integer, completed integer,
               cancelled integer, completion_rate numeric)
language sql
stable
security invoker
set search_path = ''
as $$
  select * from private.monitor_program_completion()
$$;
comment on function public.monitor_program_completion() is 'Per program: enrollments by status and completion rate (snapshot). Admins only.';
revoke all on function public.monitor_program_completion() from public, anon, authenticated;
grant execute on function public.monitor_program_completion() to authenticated, service_role;

-- ==== sql/functions/monitor_queues.sql ====
-- Live, per queue: jobs ready, in flight or waiting to retry, the oldest job, and dead letters in
-- the last 24 hours.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.monitor_queues below is its security invoker entry point.
create or replace function private.monitor_queues()
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
comment on function private.monitor_queues() is 'Body of public.monitor_queues (security definer, outside the exposed schema): Live, per queue: ready and delayed jobs, oldest job, dead letters in 24 h, latest error. Admins only.';
revoke all on function private.monitor_queues() from public, anon, authenticated;
grant execute on function private.monitor_queues() to authenticated, service_role;

-- The Data API entry point (/rest/v1/rpc/monitor_queues): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.monitor_queues()
returns table (queue_name text, ready integer, delayed integer, oldest_enqueued_at timestamptz, dead_24h integer,
               last_error text)
language sql
stable
security invoker
set search_path = ''
as $$
  select * from private.monitor_queues()
$$;
comment on function public.monitor_queues() is 'Live, per queue: ready and delayed jobs, oldest job, dead letters in 24 h, latest error. Admins only.';
revoke all on function public.monitor_queues() from public, anon, authenticated;
grant execute on function public.monitor_queues() to authenticated, service_role;

-- ==== sql/functions/monitor_stuck_students.sql ====
-- Students in progress at a partner for more than p_days (live, oldest first): who, where, for how
-- long, with their email for contact. p_as_of lets a test freeze "now".
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.monitor_stuck_students below is its security invoker entry point.
create or replace function private.monitor_stuck_students(
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
comment on function private.monitor_stuck_students(integer, integer, timestamptz) is 'Body of public.monitor_stuck_students (security definer, outside the exposed schema): Live: students in progress longer than p_days (default 7), oldest first, with contact and days stuck. Admins only.';
revoke all on function private.monitor_stuck_students(integer, integer, timestamptz) from public, anon, authenticated;
grant execute on function private.monitor_stuck_students(integer, integer, timestamptz) to authenticated, service_role;

-- The Data API entry point (/rest/v1/rpc/monitor_stuck_students): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.monitor_stuck_students(
  p_days integer default 7, p_limit integer default 100, p_as_of timestamptz default pg_catalog.now())
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
comment on function public.monitor_stuck_students(integer, integer, timestamptz) is 'Live: students in progress longer than p_days (default 7), oldest first, with contact and days stuck. Admins only.';
revoke all on function public.monitor_stuck_students(integer, integer, timestamptz) from public, anon, authenticated;
grant execute on function public.monitor_stuck_students(integer, integer, timestamptz) to authenticated, service_role;

-- ==== sql/functions/monitor_waiting_events.sql ====
-- Live: the webhook events an admin may need to act on (unmatched, deferred, rejected), newest
-- first, for the dashboard's replay / link actions.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.monitor_waiting_events below is its security invoker entry point.
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
  where e.status in ('unmatched', 'deferred', 'rejected')
  order by e.received_at desc
  limit p_limit;
end
$$;
comment on function private.monitor_waiting_events(integer) is 'Body of public.monitor_waiting_events (security definer, outside the exposed schema): Live: unmatched, deferred and rejected partner events, newest first. Admins only.';
revoke all on function private.monitor_waiting_events(integer) from public, anon, authenticated;
grant execute on function private.monitor_waiting_events(integer) to authenticated, service_role;

-- The Data API entry point (/rest/v1/rpc/monitor_waiting_events): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.monitor_waiting_events(p_limit integer default 100)
returns table (event_id bigint, provider_slug text, event_type text, status text, external_enrollment_id text,
               error text, received_at timestamptz, attempts integer)
language sql
stable
security invoker
set search_path = ''
as $$
  select * from private.monitor_waiting_events(p_limit)
$$;
comment on function public.monitor_waiting_events(integer) is 'Live: unmatched, deferred and rejected partner events, newest first. Admins only.';
revoke all on function public.monitor_waiting_events(integer) from public, anon, authenticated;
grant execute on function public.monitor_waiting_events(integer) to authenticated, service_role;

-- ==== sql/functions/monitor_weekly_completions.sql ====
-- Enrollments completed per week over the last p_weeks weeks (weeks with none included), from
-- the snapshot.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.monitor_weekly_completions below is its security invoker entry point.
create or replace function private.monitor_weekly_completions(p_weeks integer default 12)
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
comment on function private.monitor_weekly_completions(integer) is 'Body of public.monitor_weekly_completions (security definer, outside the exposed schema): Completions per week for the last p_weeks (max 52) weeks, zeros included (snapshot). Admins only.';
revoke all on function private.monitor_weekly_completions(integer) from public, anon, authenticated;
grant execute on function private.monitor_weekly_completions(integer) to authenticated, service_role;

-- The Data API entry point (/rest/v1/rpc/monitor_weekly_completions): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.monitor_weekly_completions(p_weeks integer default 12)
returns table (week_start date, completions integer)
language sql
stable
security invoker
set search_path = ''
as $$
  select * from private.monitor_weekly_completions(p_weeks)
$$;
comment on function public.monitor_weekly_completions(integer) is 'Completions per week for the last p_weeks (max 52) weeks, zeros included (snapshot). Admins only.';
revoke all on function public.monitor_weekly_completions(integer) from public, anon, authenticated;
grant execute on function public.monitor_weekly_completions(integer) to authenticated, service_role;

-- ==== sql/functions/get_current_step.sql ====
-- The enrollment's step in progress (zero rows when none). RLS applies: a student asking about
-- someone else's enrollment sees nothing. error_message (raw partner errors) is readable only by
-- roles granted that column (the service role); signed-in users get the step with it null,
-- as their column grant on enrollment_steps leaves it out (admins read errors through
-- monitor_failed_enrollments). plpgsql so that only the branch taken is planned and checked.
create or replace function public.get_current_step(p_enrollment_id uuid)
returns setof public.enrollment_steps
language plpgsql
stable
security invoker
set search_path = ''
rows 1
as $$
begin
  if pg_catalog.has_column_privilege('public.enrollment_steps', 'error_message', 'select') then
    return query
    select s.* from public.enrollment_steps s
    where s.enrollment_id = p_enrollment_id and s.status = 'in_progress';
  else
    return query
    select s.id, s.enrollment_id, s.provider_id, s.sequence_order, s.is_required, s.status, s.started_at,
           s.completed_at, s.external_enrollment_id, s.launch_url, s.progress_percent, s.partner_certificate,
           null::text, s.created_at, s.updated_at, s.partner_result
    from public.enrollment_steps s
    where s.enrollment_id = p_enrollment_id and s.status = 'in_progress';
  end if;
end
$$;
comment on function public.get_current_step(uuid) is 'The in-progress step of an enrollment, or no row (error_message null for callers who may not read it).';
revoke all on function public.get_current_step(uuid) from public, anon;
grant execute on function public.get_current_step(uuid) to authenticated, service_role;

-- ==== sql/policies/queue.queues.sql ====
-- The queue is the worker's: it runs as the service role (queue.send/read/archive/set_vt/fail are
-- granted to it alone), and signed-in users and visitors hold no grant on any queue table. The
-- policy states that in the catalog (splinter 0008) and keeps holding where the service role does
-- not bypass row level security.
drop policy if exists "The service role manages the queues" on queue.queues;
create policy "The service role manages the queues" on queue.queues
  for all to service_role using (true) with check (true);

-- ==== sql/policies/queue.jobs.sql ====
-- Jobs are sent, read, delayed and archived by the service role only (the worker and the
-- functions it calls); signed-in users and visitors hold no grant on the queue.
drop policy if exists "The service role sends, reads and archives jobs" on queue.jobs;
create policy "The service role sends, reads and archives jobs" on queue.jobs
  for all to service_role using (true) with check (true);

-- ==== sql/policies/queue.job_keys.sql ====
-- Dedupe keys are written by queue.send as the service role; nobody else holds a grant.
drop policy if exists "The service role records dedupe keys" on queue.job_keys;
create policy "The service role records dedupe keys" on queue.job_keys
  for all to service_role using (true) with check (true);

-- ==== sql/policies/queue.jobs_archive.sql ====
-- Finished and dead jobs are archived and read by the service role only; admins see dead letters
-- through monitor_queues, never the table.
drop policy if exists "The service role archives finished jobs" on queue.jobs_archive;
create policy "The service role archives finished jobs" on queue.jobs_archive
  for all to service_role using (true) with check (true);

-- ==== sql/policies/monitoring_snapshot.sql ====
-- private.monitoring_snapshot is refreshed and read by the service role (the worker's
-- refresh_monitoring) and by the admin-only monitoring functions, which run as its owner; its
-- grants stop at select, insert and update for the service role. Signed-in users and visitors hold
-- no grant: admins read it through the monitor_* functions.
drop policy if exists "The service role refreshes and reads the monitoring snapshot" on private.monitoring_snapshot;
create policy "The service role refreshes and reads the monitoring snapshot" on private.monitoring_snapshot
  for all to service_role using (true) with check (true);

-- ==== grants ====
-- enrollment_steps: signed-in users read every column but error_message (RLS decides which rows).
-- A column added later is not readable until granted here too.
revoke select on public.enrollment_steps from authenticated;
grant select (id, enrollment_id, provider_id, sequence_order, is_required, status, started_at, completed_at,
              external_enrollment_id, launch_url, progress_percent, partner_certificate, created_at, updated_at,
              partner_result)
  on public.enrollment_steps to authenticated;

-- Identity sequences: inserts through identity columns need no sequence privilege, so the API
-- roles need none (Supabase's default privileges in public grant them usage, select, update).
revoke all on sequence public.step_transitions_id_seq, public.partner_events_id_seq,
  public.admin_alerts_id_seq, public.email_sends_id_seq, public.admin_actions_id_seq,
  queue.jobs_msg_id_seq
  from public, anon, authenticated;

-- Future objects of the migrating role: functions executable by nobody until granted one by one
-- (PostgreSQL grants EXECUTE to PUBLIC by default; a per-schema revoke cannot remove that), and
-- on Supabase no function or sequence in public granted to anon/authenticated by default.
-- Undone by supabase/rollback.sql.
alter default privileges revoke execute on functions from public;
alter default privileges in schema public revoke execute on functions from anon, authenticated;
alter default privileges in schema public revoke all on sequences from anon, authenticated;
