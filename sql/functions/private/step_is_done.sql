-- The one definition of a finished step: completed or skipped (a failed step is not finished).
-- The student page's "n / m partners complete" counts with it; is_enrollment_complete should too.
create or replace function private.step_is_done(p_status text)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
  select p_status in ('completed', 'skipped')
$$;
comment on function private.step_is_done(text) is 'True for a finished step status: completed or skipped (failed is not finished). The one definition of the done-set.';
revoke all on function private.step_is_done(text) from public, anon, authenticated;
grant execute on function private.step_is_done(text) to authenticated, service_role;
