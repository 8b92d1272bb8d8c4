-- Admin override: complete an in-progress or failed step by hand (e.g. the partner confirmed by
-- phone), optionally recording the partner's enrollment id, then advance.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.admin_complete_step (sql/functions/public/) is its security invoker entry point.
create or replace function private.admin_complete_step(
  p_step_id uuid, p_reason text, p_external_enrollment_id text default null)
returns uuid
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform private.authorize_step_override(p_reason);
  perform private.check_partner_link_input(p_external_enrollment_id);
  perform private.record_admin_action('complete_step', p_step_id::text, p_reason);
  return private.complete_step(p_step_id, p_external_enrollment_id, array['in_progress', 'failed']);
end
$$;
comment on function private.admin_complete_step(uuid, text, text) is 'Body of public.admin_complete_step (security definer, outside the exposed schema): Admin override: in_progress|failed -> completed, then advance; returns the next step id or null. 42501, PS002, PS003, PS005, PS007.';
revoke all on function private.admin_complete_step(uuid, text, text) from public, anon, authenticated;
grant execute on function private.admin_complete_step(uuid, text, text) to authenticated, service_role;
