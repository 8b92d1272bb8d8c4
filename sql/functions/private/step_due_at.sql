-- The one definition of a step's due date: when it started plus the days the program expects for
-- that step (program_partner_lms.expected_days), else the partner's (partner_lms_providers.
-- expected_days). A step that has not started has no due date.
create or replace function private.step_due_at(
  p_started_at timestamptz, p_program_days integer, p_partner_days integer)
returns timestamptz
language sql
immutable
parallel safe
set search_path = ''
as $$
  select p_started_at + pg_catalog.make_interval(days => coalesce(p_program_days, p_partner_days))
$$;
comment on function private.step_due_at(timestamptz, integer, integer) is 'Due date of a step: started_at + the program''s expected days for the step, else the partner''s.';
revoke all on function private.step_due_at(timestamptz, integer, integer) from public, anon, authenticated;
grant execute on function private.step_due_at(timestamptz, integer, integer) to service_role;
