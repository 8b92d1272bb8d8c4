-- Lock a step for a transition, always in the same order (its enrollment, then the step) so
-- that concurrent transitions of one enrollment serialize instead of deadlocking.
create or replace function private.lock_step(p_step_id uuid)
returns public.enrollment_steps
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_enrollment_id uuid;
  v_locked uuid;
  v_step public.enrollment_steps;
begin
  -- the step's enrollment, and its row locked by the same statement (the subquery); the step row
  -- is locked after it, by the next statement, which reads the step as it is once both are held
  select s.enrollment_id, (select e.id from public.enrollments e where e.id = s.enrollment_id for update)
    into v_enrollment_id, v_locked
  from public.enrollment_steps s where s.id = p_step_id;
  if not found then
    raise exception 'step % not found', p_step_id using errcode = 'PS002';
  end if;
  select s.* into v_step from public.enrollment_steps s where s.id = p_step_id for update;
  return v_step;
end
$$;
comment on function private.lock_step(uuid) is 'Locks the step''s enrollment row, then the step row; returns the step. PS002 when it does not exist.';
revoke all on function private.lock_step(uuid) from public, anon, authenticated;
grant execute on function private.lock_step(uuid) to service_role;
