-- The stuck line in days (private.settings.stuck_after_days), for SQL to read: the one
-- definition of "stuck". Null for a caller who may not read the settings (not an admin).
create or replace function private.stuck_after_days()
returns integer
language sql
stable
security invoker
set search_path = ''
as $$
  select s.stuck_after_days from private.settings s
$$;
comment on function private.stuck_after_days() is 'Days after which a step in progress is stuck (private.settings); null for callers who may not read the settings.';
revoke all on function private.stuck_after_days() from public, anon, authenticated;
grant execute on function private.stuck_after_days() to authenticated, service_role;
