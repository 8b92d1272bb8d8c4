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
