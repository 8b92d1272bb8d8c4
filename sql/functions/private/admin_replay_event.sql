-- Admin override: re-apply a stored partner webhook event (e.g. after fixing the step it was
-- waiting for). Returns the event's new status.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.admin_replay_event (sql/functions/public/) is its security invoker entry point.
create or replace function private.admin_replay_event(p_event_id bigint, p_reason text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform private.authorize_step_override(p_reason);
  perform private.record_admin_action('replay_event', p_event_id::text, p_reason);
  return private.apply_partner_event(p_event_id);
end
$$;
comment on function private.admin_replay_event(bigint, text) is 'Body of public.admin_replay_event (security definer, outside the exposed schema): Admin override: replays a stored partner event, audited. 42501, PS007, PS012.';
revoke all on function private.admin_replay_event(bigint, text) from public, anon, authenticated;
grant execute on function private.admin_replay_event(bigint, text) to authenticated, service_role;
