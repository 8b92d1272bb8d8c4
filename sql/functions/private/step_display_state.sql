-- What the student is told about a step, as one word the page switches on: completed, skipped,
-- failed, pending, or for the step in progress:
--   launch  the training can be started (an http(s) launch link): she acts;
--   manual  our team enrolls her by hand (private.step_awaits_manual_enrollment): staff act;
--   linked  she is enrolled at the partner (it gave its enrollment id, whatever the adapter) but
--           sent no launch link: she starts from the partner's own email or site;
--   setup   the partner account is being created through its API (no partner id yet).
-- A linked step without a link is never "setup": the partner already answered (issue 13).
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
    when p_external_enrollment_id is not null then 'linked'
    else 'setup'
  end
$$;
comment on function private.step_display_state(text, text, text, text) is 'The student-facing state of a step: completed, skipped, failed, pending, launch, manual, linked (partner id, no link) or setup (no partner id yet).';
revoke all on function private.step_display_state(text, text, text, text) from public, anon, authenticated;
grant execute on function private.step_display_state(text, text, text, text) to authenticated, service_role;
