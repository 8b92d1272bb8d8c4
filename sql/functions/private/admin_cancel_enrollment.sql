-- Admin override: cancel an active enrollment (the student withdrew, enrolled by mistake). Its
-- steps keep their state and history; no further partner is started (advance_to_next_step only
-- advances active enrollments), the live lists leave it out, stuck nudges stop. Returns
-- {enrollment_id, status}. PS001 unknown enrollment, PS003 not active.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.admin_cancel_enrollment (sql/functions/public/) is its security invoker entry point.
create or replace function private.admin_cancel_enrollment(p_enrollment_id uuid, p_reason text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_status text;
begin
  perform private.authorize_step_override(p_reason);
  select e.status into v_status from public.enrollments e where e.id = p_enrollment_id for update;
  if not found then
    raise exception 'enrollment % not found', p_enrollment_id using errcode = 'PS001';
  end if;
  if v_status <> 'active' then
    raise exception 'the enrollment is %; only an active enrollment can be cancelled', v_status using errcode = 'PS003';
  end if;
  perform private.record_admin_action('cancel_enrollment', p_enrollment_id::text, p_reason);
  update public.enrollments set status = 'cancelled' where id = p_enrollment_id;
  return pg_catalog.jsonb_build_object('enrollment_id', p_enrollment_id, 'status', 'cancelled');
end
$$;
comment on function private.admin_cancel_enrollment(uuid, text) is 'Body of public.admin_cancel_enrollment (security definer, outside the exposed schema): Admin override: cancels an active enrollment (no further partner starts; it leaves the live lists); returns the enrollment. 42501, PS001, PS003, PS007.';
revoke all on function private.admin_cancel_enrollment(uuid, text) from public, anon, authenticated;
grant execute on function private.admin_cancel_enrollment(uuid, text) to authenticated, service_role;
