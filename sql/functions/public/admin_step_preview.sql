-- The Data API entry point (/rest/v1/rpc/admin_step_preview): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.admin_step_preview(p_step_id uuid, p_action text default null)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select private.admin_step_preview(p_step_id, p_action)
$$;
comment on function public.admin_step_preview(uuid, text) is 'What a step override (retry, skip, fail, complete, link) would do, or where the enrollment stands now. Admins only (42501); PS002, PS080.';
revoke all on function public.admin_step_preview(uuid, text) from public, anon, authenticated;
grant execute on function public.admin_step_preview(uuid, text) to authenticated, service_role;
