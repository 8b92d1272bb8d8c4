-- The Data API entry point (/rest/v1/rpc/monitor_pipeline): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.monitor_pipeline()
returns table (provider_slug text, provider_name text, pending integer, in_progress integer, completed integer,
               failed integer, skipped integer, total integer, completion_rate numeric, refreshed_at timestamptz)
language sql
stable
security invoker
set search_path = ''
as $$
  select * from private.monitor_pipeline()
$$;
comment on function public.monitor_pipeline() is 'Per partner: steps by status and completion rate (snapshot; see refreshed_at). Admins only.';
revoke all on function public.monitor_pipeline() from public, anon, authenticated;
grant execute on function public.monitor_pipeline() to authenticated, service_role;
