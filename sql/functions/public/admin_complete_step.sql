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
