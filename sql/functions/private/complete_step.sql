-- The one implementation of "this step is done": used by mark_step_complete (partners, from
-- in_progress only) and admin_complete_step (also from failed). Locks the enrollment, then the
-- step (private.lock_step), then does private.complete_locked_step's work: stores the partner's
-- id, advances. Completing a completed step is a no-op that returns the same answer as the first
-- time: the next non-skipped step, or null after the last.
create or replace function private.complete_step(
  p_step_id uuid, p_external_enrollment_id text, p_from_statuses text[],
  p_partner_result jsonb default null)
returns uuid
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
  return private.complete_locked_step(private.lock_step(p_step_id), p_external_enrollment_id,
                                      p_from_statuses, p_partner_result);
end
$$;
comment on function private.complete_step(uuid, text, text[], jsonb) is 'Completes a step whose status is in p_from_statuses (merging a partner''s result once) and advances; shared by mark_step_complete, admin_complete_step and partner completion events.';
revoke all on function private.complete_step(uuid, text, text[], jsonb) from public, anon, authenticated;
grant execute on function private.complete_step(uuid, text, text[], jsonb) to service_role;
