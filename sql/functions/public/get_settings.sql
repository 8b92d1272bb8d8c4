-- The settings row as JSON (stuck_after_days, dashboard_list_rows, updated_at) for the admin
-- dashboard and the worker. Security invoker: admins and the service role see it (RLS on
-- private.settings); anyone else gets null.
create or replace function public.get_settings()
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select pg_catalog.to_jsonb(s) - 'id' from private.settings s
$$;
comment on function public.get_settings() is 'The thresholds the system runs by (private.settings) as JSON; null for callers who may not read them (not an admin).';
revoke all on function public.get_settings() from public, anon, authenticated;
grant execute on function public.get_settings() to authenticated, service_role;
