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
  v_step public.enrollment_steps;
begin
  select s.enrollment_id into v_enrollment_id from public.enrollment_steps s where s.id = p_step_id;
  if not found then
    raise exception 'step % not found', p_step_id using errcode = 'PS002';
  end if;
  perform 1 from public.enrollments e where e.id = v_enrollment_id for update;
  select s.* into v_step from public.enrollment_steps s where s.id = p_step_id for update;
  return v_step;
end
$$;
comment on function private.lock_step(uuid) is 'Locks the step''s enrollment row, then the step row; returns the step. PS002 when it does not exist.';
revoke all on function private.lock_step(uuid) from public, anon, authenticated;
grant execute on function private.lock_step(uuid) to service_role;
