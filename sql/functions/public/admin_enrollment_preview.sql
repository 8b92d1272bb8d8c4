-- The Data API entry point (/rest/v1/rpc/admin_enrollment_preview): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.admin_enrollment_preview(p_enrollment_id uuid, p_action text)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select private.admin_enrollment_preview(p_enrollment_id, p_action)
$$;
comment on function public.admin_enrollment_preview(uuid, text) is 'What an enrollment-level override (cancel, revoke, reissue) would do, for its confirmation page. Admins only (42501); PS001, PS080.';
revoke all on function public.admin_enrollment_preview(uuid, text) from public, anon, authenticated;
grant execute on function public.admin_enrollment_preview(uuid, text) to authenticated, service_role;
