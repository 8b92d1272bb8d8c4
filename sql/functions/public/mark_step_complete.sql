-- A partner finished a step: in_progress -> completed, store the partner's enrollment id,
-- start the next step. Returns the next step's id (null after the last step, when the
-- enrollment becomes completed). Completing an already completed step is a harmless no-op
-- returning the same answer. PS002 unknown step; PS003 step not in progress; PS005 partner id
-- conflict.
create or replace function public.mark_step_complete(
  p_step_id uuid, p_external_enrollment_id text default null)
returns uuid
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_ignored text;
begin
  -- an assignment, not perform: the call is an expression, with no statement of its own
  v_ignored := private.set_audit_context('partner reported completion');
  return private.complete_step(p_step_id, p_external_enrollment_id, array['in_progress']);
end
$$;
comment on function public.mark_step_complete(uuid, text) is 'Completes an in-progress step (idempotent), stores the partner''s enrollment id and advances; returns the next step id or null. PS002/PS003/PS005.';
revoke all on function public.mark_step_complete(uuid, text) from public, anon, authenticated;
grant execute on function public.mark_step_complete(uuid, text) to service_role;
