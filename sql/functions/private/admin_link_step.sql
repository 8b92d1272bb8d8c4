-- Admin override: enter the partner's enrollment id (and launch URL) for a step, e.g. after
-- enrolling the student by hand at a partner without an API. Completion webhooks that arrived
-- for that id before it was known are applied at once.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.admin_link_step (sql/functions/public/) is its security invoker entry point.
create or replace function private.admin_link_step(
  p_step_id uuid, p_external_enrollment_id text, p_reason text, p_launch_url text default null)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_error text;
begin
  perform private.authorize_step_override(p_reason);
  if p_external_enrollment_id is null then
    raise exception 'the partner enrollment id is required' using errcode = 'PS005';
  end if;
  perform private.check_partner_link_input(p_external_enrollment_id, p_launch_url);
  perform private.record_admin_action('link_step', p_step_id::text || ' -> ' || coalesce(p_external_enrollment_id, ''), p_reason);
  v_error := private.link_step(p_step_id, p_external_enrollment_id, p_launch_url);
  if v_error is not null then
    raise exception '%', v_error using errcode = 'PS005';
  end if;
end
$$;
comment on function private.admin_link_step(uuid, text, text, text) is 'Body of public.admin_link_step (security definer, outside the exposed schema): Admin override: sets a step''s partner enrollment id and launch URL; waiting webhook events for it apply. 42501, PS002, PS005, PS007.';
revoke all on function private.admin_link_step(uuid, text, text, text) from public, anon, authenticated;
grant execute on function private.admin_link_step(uuid, text, text, text) to authenticated, service_role;
