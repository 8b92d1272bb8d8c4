-- Who has to act next on a step, from the student-facing state (private.step_display_state, or
-- setup_slow): `student` (she starts or continues her training), `staff` (our team enrolls her
-- by hand, or fixes a problem), `system` (the partner account is being created through its API),
-- or null (nothing to do: finished, or waiting for an earlier step). The page says it in words.
create or replace function private.step_who_acts(p_state text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case p_state
    when 'launch' then 'student'
    when 'linked' then 'student'
    when 'manual' then 'staff'
    when 'failed' then 'staff'
    when 'setup_slow' then 'staff'
    when 'setup' then 'system'
  end
$$;
comment on function private.step_who_acts(text) is 'Who acts next on a step in this student-facing state: student, staff, system, or null (nobody: finished or waiting for an earlier step).';
revoke all on function private.step_who_acts(text) from public, anon, authenticated;
grant execute on function private.step_who_acts(text) to authenticated, service_role;
