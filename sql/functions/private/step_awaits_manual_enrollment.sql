-- The one definition of "waiting for someone to enroll the student by hand": the step is in
-- progress at a partner without an API (manual adapter) and nobody has entered the partner's
-- enrollment id yet. The student page says so ("our team enrolls you"); the admin dashboard's
-- "Awaiting manual enrollment" list (monitor_awaiting_enrollment) should select with it too.
create or replace function private.step_awaits_manual_enrollment(
  p_status text, p_adapter text, p_external_enrollment_id text)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
  select p_status = 'in_progress' and p_adapter = 'manual' and p_external_enrollment_id is null
$$;
comment on function private.step_awaits_manual_enrollment(text, text, text) is 'True when a step is in progress at a manual partner and has no partner enrollment id yet: someone must enroll the student by hand.';
revoke all on function private.step_awaits_manual_enrollment(text, text, text) from public, anon, authenticated;
grant execute on function private.step_awaits_manual_enrollment(text, text, text) to authenticated, service_role;
