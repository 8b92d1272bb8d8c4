-- advance_to_next_step's work, for a caller that already holds the enrollment's row lock (a
-- transition locks the enrollment, then the step: private.lock_step). Starts the next step if
-- the enrollment may advance. Returns the step now in progress: the one already running (never
-- starts a second), the next pending one it just started, or null when blocked by a failed step,
-- when the enrollment is not active, or when every step is done, in which case the enrollment
-- becomes completed.
create or replace function private.advance_enrollment(p_enrollment_id uuid)
returns uuid
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_step_id uuid;
  v_step_status text;
  v_status text;
  v_first boolean;
  v_ignored text;
begin
  -- the first unfinished step, locked, with the enrollment's status (its row is locked by the
  -- caller, so this is current) and whether no step comes before it (the audit reason)
  select s.id, s.status, e.status,
         not exists (select 1 from public.enrollment_steps f
                     where f.enrollment_id = p_enrollment_id and f.sequence_order < s.sequence_order)
    into v_step_id, v_step_status, v_status, v_first
  from public.enrollment_steps s
  join public.enrollments e on e.id = s.enrollment_id
  where s.enrollment_id = p_enrollment_id and not private.step_is_done(s.status)
  order by s.sequence_order
  limit 1
  for update of s;

  if not found then
    if public.is_enrollment_complete(p_enrollment_id) then
      update public.enrollments
        set status = 'completed', completed_at = pg_catalog.now()
        where id = p_enrollment_id and status = 'active';
    end if;
    return null;
  end if;

  if v_step_status = 'in_progress' then
    return v_step_id;
  end if;
  if v_step_status = 'failed' or v_status <> 'active' then
    return null;
  end if;

  -- an assignment, not perform: the call is an expression, with no statement of its own
  v_ignored := private.set_audit_context(
    case when v_first then 'first step of the enrollment' else 'previous steps done' end);
  update public.enrollment_steps
    set status = 'in_progress', started_at = pg_catalog.now(), error_message = null
    where id = v_step_id;
  return v_step_id;
end
$$;
comment on function private.advance_enrollment(uuid) is 'advance_to_next_step for a caller holding the enrollment''s row lock: starts the next pending step unless one is in progress or a failed step blocks; completes the enrollment when every step is done. Returns the in-progress step id or null.';
revoke all on function private.advance_enrollment(uuid) from public, anon, authenticated;
grant execute on function private.advance_enrollment(uuid) to service_role;
