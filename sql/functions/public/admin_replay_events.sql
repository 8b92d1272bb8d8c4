-- The Data API entry point (/rest/v1/rpc/admin_replay_events): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.admin_replay_events(p_event_ids bigint[], p_reason text)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.admin_replay_events(p_event_ids, p_reason)
$$;
comment on function public.admin_replay_events(bigint[], text) is 'Admin override: replays 1 to 100 stored partner events, each audited; returns their new statuses. 42501, PS007, PS012, PS080.';
revoke all on function public.admin_replay_events(bigint[], text) from public, anon, authenticated;
grant execute on function public.admin_replay_events(bigint[], text) to authenticated, service_role;
