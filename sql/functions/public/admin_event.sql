-- The Data API entry point (/rest/v1/rpc/admin_event): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.admin_event(p_event_id bigint)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select private.admin_event(p_event_id)
$$;
comment on function public.admin_event(bigint) is 'One partner event with its outcome, student, payload and replays. Admins only (42501); PS012 for an unknown event.';
revoke all on function public.admin_event(bigint) from public, anon, authenticated;
grant execute on function public.admin_event(bigint) to authenticated, service_role;
