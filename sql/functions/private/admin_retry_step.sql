-- Admin override: put a failed step back in progress (a fresh start at that partner).
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.admin_retry_step (sql/functions/public/) is its security invoker entry point.
create or replace function private.admin_retry_step(p_step_id uuid, p_reason text)
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
  perform private.record_admin_action('retry_step', p_step_id::text, p_reason);
  v_step := private.lock_step(p_step_id);
  if v_step.status <> 'failed' then
    raise exception 'step % is %; only a failed step can be retried', p_step_id, v_step.status
      using errcode = 'PS003';
  end if;
  update public.enrollment_steps
    set status = 'in_progress', started_at = pg_catalog.now(), error_message = null
    where id = p_step_id;
  return p_step_id;
end
$$;
comment on function private.admin_retry_step(uuid, text) is 'Body of public.admin_retry_step (security definer, outside the exposed schema): Admin override: failed -> in_progress (restarted now); returns the step id. 42501, PS002, PS003, PS007.';
revoke all on function private.admin_retry_step(uuid, text) from public, anon, authenticated;
grant execute on function private.admin_retry_step(uuid, text) to authenticated, service_role;
