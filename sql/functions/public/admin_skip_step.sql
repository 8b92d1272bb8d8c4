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
