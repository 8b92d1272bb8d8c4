-- Who is calling an admin-only function: 'admin' (a signed-in user whose profile role is admin),
-- 'service_role', or the session user of a direct database session (a DBA in psql). Anyone else
-- gets 42501. The one definition of "may act as an admin", used by the overrides and monitoring.
create or replace function private.admin_caller()
returns text
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v_role text := pg_catalog.current_setting('role');
begin
  if coalesce(auth.role(), '') = 'service_role' or v_role = 'service_role' then
    return 'service_role';
  elsif v_role = 'none' and auth.uid() is null then
    return session_user;
  elsif private.is_admin() then
    return 'admin';
  end if;
  raise exception 'only admins may do this' using errcode = '42501',
    hint = 'Sign in as a user whose profile role is admin.';
end
$$;
comment on function private.admin_caller() is 'admin, service_role or the DBA''s session user; raises 42501 for anyone else.';
revoke all on function private.admin_caller() from public, anon, authenticated;
grant execute on function private.admin_caller() to service_role;
