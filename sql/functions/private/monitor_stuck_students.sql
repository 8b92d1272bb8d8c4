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
