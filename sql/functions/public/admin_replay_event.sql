-- The Data API entry point (/rest/v1/rpc/admin_replay_event): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.admin_replay_event(p_event_id bigint, p_reason text)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.admin_replay_event(p_event_id, p_reason)
$$;
comment on function public.admin_replay_event(bigint, text) is 'Admin override: replays a stored partner event, audited. 42501, PS007, PS012.';
revoke all on function public.admin_replay_event(bigint, text) from public, anon, authenticated;
grant execute on function public.admin_replay_event(bigint, text) to authenticated, service_role;
