-- A launch URL only when it is http(s): anything else (e.g. `javascript:`) is never a link. The
-- column is constrained too; this keeps the page safe even if that constraint were relaxed.
create or replace function private.safe_launch_url(p_url text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case when pg_catalog.lower(p_url) like 'https://%' or pg_catalog.lower(p_url) like 'http://%' then p_url end
$$;
comment on function private.safe_launch_url(text) is 'The URL when it starts with http:// or https:// (any case), else null: what may become a link.';
revoke all on function private.safe_launch_url(text) from public, anon, authenticated;
grant execute on function private.safe_launch_url(text) to authenticated, service_role;
