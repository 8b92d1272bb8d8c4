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
