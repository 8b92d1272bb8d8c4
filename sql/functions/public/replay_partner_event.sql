-- Re-apply a stored partner event through the same path as its first delivery (for unmatched,
-- deferred, rejected or ignored events; a processed event is left as it is).
create or replace function public.replay_partner_event(p_event_id bigint)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
  return private.apply_partner_event(p_event_id);
end
$$;
comment on function public.replay_partner_event(bigint) is 'Re-applies a stored partner event (used by the replay-events command and the admin dashboard). PS012: no such event.';
revoke all on function public.replay_partner_event(bigint) from public, anon, authenticated;
grant execute on function public.replay_partner_event(bigint) to service_role;
