-- Live: steps that failed (typically a partner enrollment that exhausted its retries), newest
-- first, with the student, the error and the open alert, for the dashboard's retry/skip/complete.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.monitor_failed_enrollments (sql/functions/public/) is its security invoker entry point.
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
