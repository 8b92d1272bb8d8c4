-- The one definition of which admin overrides a step in a given status accepts (the same
-- statuses the admin_* override functions and the state machine allow): the confirmation pages
-- and the student page offer only these.
create or replace function private.step_actions(p_status text)
returns text[]
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case p_status
    when 'pending' then array['skip', 'link']
    when 'in_progress' then array['complete', 'skip', 'fail', 'link']
    when 'failed' then array['retry', 'complete', 'skip', 'link']
    else array[]::text[] end
$$;
comment on function private.step_actions(text) is 'The admin overrides (retry, skip, fail, complete, link) a step in this status accepts.';
revoke all on function private.step_actions(text) from public, anon, authenticated;
grant execute on function private.step_actions(text) to service_role;
