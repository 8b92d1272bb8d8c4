-- Start the next step of an enrollment, if it may advance. Returns the step now in progress:
-- the one already running (never starts a second), the next pending one it just started, or
-- null when blocked by a failed step, when the enrollment is not active, or when every step is
-- done, in which case the enrollment becomes completed. Locks the enrollment row, then does
-- private.advance_enrollment's work (which transitions that hold the lock already call directly).
create or replace function public.advance_to_next_step(p_enrollment_id uuid)
returns uuid
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
  perform 1 from public.enrollments e where e.id = p_enrollment_id for update;
  if not found then
    raise exception 'enrollment % not found', p_enrollment_id using errcode = 'PS001';
  end if;
  return private.advance_enrollment(p_enrollment_id);
end
$$;
comment on function public.advance_to_next_step(uuid) is 'Starts the next pending step unless one is in progress or a failed step blocks; completes the enrollment when every step is done. Returns the in-progress step id or null. PS001: no such enrollment.';
revoke all on function public.advance_to_next_step(uuid) from public, anon, authenticated;
grant execute on function public.advance_to_next_step(uuid) to service_role;
