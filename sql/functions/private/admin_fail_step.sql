-- Admin override: mark an in-progress step failed (the reason becomes its error message).
-- The enrollment stays blocked there until an admin retries, skips or completes the step.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.admin_fail_step (sql/functions/public/) is its security invoker entry point.
create or replace function private.admin_fail_step(p_step_id uuid, p_reason text)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_step public.enrollment_steps;
begin
  perform private.authorize_step_override(p_reason);
  perform private.record_admin_action('fail_step', p_step_id::text, p_reason);
  v_step := private.lock_step(p_step_id);
  if v_step.status <> 'in_progress' then
    raise exception 'step % is %; only an in-progress step can be failed', p_step_id, v_step.status
      using errcode = 'PS003';
  end if;
  update public.enrollment_steps set status = 'failed', error_message = btrim(p_reason)
    where id = p_step_id;
end
$$;
comment on function private.admin_fail_step(uuid, text) is 'Body of public.admin_fail_step (security definer, outside the exposed schema): Admin override: in_progress -> failed, audited with the acting user and reason. 42501 non-admin, PS002, PS003, PS007.';
revoke all on function private.admin_fail_step(uuid, text) from public, anon, authenticated;
grant execute on function private.admin_fail_step(uuid, text) to authenticated, service_role;
