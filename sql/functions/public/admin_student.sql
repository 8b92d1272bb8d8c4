-- The Data API entry point (/rest/v1/rpc/admin_student): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.admin_student(p_user_id uuid)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select private.admin_student(p_user_id)
$$;
comment on function public.admin_student(uuid) is 'One student''s enrollments, steps with their audit timeline, certificate, emails, jobs, events and admin actions. Admins only (42501); PS001 for an unknown user.';
revoke all on function public.admin_student(uuid) from public, anon, authenticated;
grant execute on function public.admin_student(uuid) to authenticated, service_role;
