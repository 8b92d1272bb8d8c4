-- Admin override: skip a step that is pending, in progress or failed, then advance. Returns the
-- step now in progress (or null).
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.admin_skip_step (sql/functions/public/) is its security invoker entry point.
create or replace function private.admin_skip_step(p_step_id uuid, p_reason text)
returns uuid
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_step public.enrollment_steps;
begin
  perform private.authorize_step_override(p_reason);
  perform private.record_admin_action('skip_step', p_step_id::text, p_reason);
  v_step := private.lock_step(p_step_id);
  if v_step.status not in ('pending', 'in_progress', 'failed') then
    raise exception 'step % is %; only a pending, in-progress or failed step can be skipped',
      p_step_id, v_step.status using errcode = 'PS003';
  end if;
  update public.enrollment_steps set status = 'skipped' where id = p_step_id;
  return private.advance_enrollment(v_step.enrollment_id);  -- the enrollment is locked (lock_step)
end
$$;
comment on function private.admin_skip_step(uuid, text) is 'Body of public.admin_skip_step (security definer, outside the exposed schema): Admin override: pending|in_progress|failed -> skipped, then advance; returns the in-progress step or null. 42501, PS002, PS003, PS007.';
revoke all on function private.admin_skip_step(uuid, text) from public, anon, authenticated;
grant execute on function private.admin_skip_step(uuid, text) to authenticated, service_role;
