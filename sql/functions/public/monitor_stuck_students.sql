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
