-- The Data API entry point (/rest/v1/rpc/admin_link_step): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.admin_link_step(
  p_step_id uuid, p_external_enrollment_id text, p_reason text, p_launch_url text default null)
returns void
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.admin_link_step(p_step_id, p_external_enrollment_id, p_reason, p_launch_url)
$$;
comment on function public.admin_link_step(uuid, text, text, text) is 'Admin override: sets a step''s partner enrollment id and launch URL; waiting webhook events for it apply. 42501, PS002, PS005, PS007.';
revoke all on function public.admin_link_step(uuid, text, text, text) from public, anon, authenticated;
grant execute on function public.admin_link_step(uuid, text, text, text) to authenticated, service_role;
