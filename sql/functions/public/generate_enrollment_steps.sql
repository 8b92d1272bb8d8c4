-- Create an enrollment's steps from its program's partner sequence and start the first.
-- Idempotent: when the steps exist it changes nothing and returns the same count. Concurrent
-- callers are serialized on the enrollment row.
create or replace function public.generate_enrollment_steps(p_enrollment_id uuid)
returns integer
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_program_id uuid;
  v_count integer;
  v_max integer;
  v_started uuid;
begin
  select e.program_id into v_program_id from public.enrollments e
  where e.id = p_enrollment_id for update;
  if not found then
    raise exception 'enrollment % not found', p_enrollment_id using errcode = 'PS001';
  end if;

  select count(*) into v_count from public.enrollment_steps s where s.enrollment_id = p_enrollment_id;
  if v_count > 0 then
    return v_count;
  end if;

  select count(*), max(m.sequence_order) into v_count, v_max
  from public.program_partner_lms m where m.program_id = v_program_id;
  if v_count = 0 then
    raise exception 'program % has no partner sequence', v_program_id using errcode = 'PS004',
      hint = 'Add rows to program_partner_lms for this program.';
  end if;
  if v_max <> v_count then
    raise exception 'program % has gaps in its partner sequence (orders must be 1..%)', v_program_id, v_count
      using errcode = 'PS004';
  end if;

  perform private.set_audit_context('steps generated from the program''s partner sequence');
  insert into public.enrollment_steps (enrollment_id, provider_id, sequence_order, is_required)
  select p_enrollment_id, m.provider_id, m.sequence_order, m.is_required
  from public.program_partner_lms m
  where m.program_id = v_program_id
  order by m.sequence_order;

  v_started := private.advance_enrollment(p_enrollment_id);  -- the enrollment is locked (above)
  return v_count;
end
$$;
comment on function public.generate_enrollment_steps(uuid) is 'Creates the enrollment''s steps from program_partner_lms (validated: non-empty, orders 1..n) and starts the first. Idempotent; returns the number of steps. PS001 no enrollment, PS004 bad sequence.';
revoke all on function public.generate_enrollment_steps(uuid) from public, anon, authenticated;
grant execute on function public.generate_enrollment_steps(uuid) to service_role;
