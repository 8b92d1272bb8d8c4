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
  -- the first two conditions are what enrollment_steps_awaiting_idx holds (the rule's function
  -- has a search_path, so the planner does not inline it and cannot see them in it): without
  -- them this scanned every step (2.5 s at 1M enrollments instead of milliseconds)
  where s.status = 'in_progress' and s.external_enrollment_id is null
    and private.step_awaits_manual_enrollment(s.status, v.adapter, s.external_enrollment_id)
  order by s.started_at
  limit p_limit;
end
$$;
comment on function private.monitor_awaiting_enrollment(integer) is 'Body of public.monitor_awaiting_enrollment (security definer, outside the exposed schema): Live: current steps at manual partners still waiting for the partner''s enrollment id. Admins only.';
revoke all on function private.monitor_awaiting_enrollment(integer) from public, anon, authenticated;
grant execute on function private.monitor_awaiting_enrollment(integer) to authenticated, service_role;
