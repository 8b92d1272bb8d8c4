-- What the student is told about a step, as one word the page switches on: completed, skipped,
-- failed, pending, or for the step in progress: launch (the training can be started), manual
-- (our team enrolls the student by hand: private.step_awaits_manual_enrollment), linked
-- (enrolled by hand, no launch link: instructions by email) or setup (the partner account is
-- being created through its API).
create or replace function private.step_display_state(
  p_status text, p_adapter text, p_external_enrollment_id text, p_launch_url text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case
    when p_status <> 'in_progress' then p_status
    when private.safe_launch_url(p_launch_url) is not null then 'launch'
    when private.step_awaits_manual_enrollment(p_status, p_adapter, p_external_enrollment_id) then 'manual'
    when p_adapter = 'manual' then 'linked'
    else 'setup'
  end
$$;
comment on function private.step_display_state(text, text, text, text) is 'The student-facing state of a step: completed, skipped, failed, pending, launch, manual, linked or setup.';
revoke all on function private.step_display_state(text, text, text, text) from public, anon, authenticated;
grant execute on function private.step_display_state(text, text, text, text) to authenticated, service_role;
