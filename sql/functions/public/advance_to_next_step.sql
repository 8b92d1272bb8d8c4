-- Start the next step of an enrollment, if it may advance. Returns the step now in progress:
-- the one already running (never starts a second), the next pending one it just started, or
-- null when blocked by a failed step, when the enrollment is not active, or when every step is
-- done, in which case the enrollment becomes completed.
create or replace function public.advance_to_next_step(p_enrollment_id uuid)
returns uuid
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_status text;
  v_step public.enrollment_steps;
begin
  select e.status into v_status from public.enrollments e where e.id = p_enrollment_id for update;
  if not found then
    raise exception 'enrollment % not found', p_enrollment_id using errcode = 'PS001';
  end if;

  select s.* into v_step from public.enrollment_steps s
  where s.enrollment_id = p_enrollment_id and not private.step_is_done(s.status)
  order by s.sequence_order
  limit 1
  for update;

  if not found then
    if public.is_enrollment_complete(p_enrollment_id) then
      update public.enrollments
        set status = 'completed', completed_at = pg_catalog.now()
        where id = p_enrollment_id and status = 'active';
    end if;
    return null;
  end if;

  if v_step.status = 'in_progress' then
    return v_step.id;
  end if;
  if v_step.status = 'failed' or v_status <> 'active' then
    return null;
  end if;

  perform private.set_audit_context(
    case when v_step.sequence_order = (select min(s.sequence_order) from public.enrollment_steps s
                                       where s.enrollment_id = p_enrollment_id)
         then 'first step of the enrollment'
         else 'previous steps done' end);
  update public.enrollment_steps
    set status = 'in_progress', started_at = pg_catalog.now(), error_message = null
    where id = v_step.id;
  return v_step.id;
end
$$;
comment on function public.advance_to_next_step(uuid) is 'Starts the next pending step unless one is in progress or a failed step blocks; completes the enrollment when every step is done. Returns the in-progress step id or null. PS001: no such enrollment.';
revoke all on function public.advance_to_next_step(uuid) from public, anon, authenticated;
grant execute on function public.advance_to_next_step(uuid) to service_role;
