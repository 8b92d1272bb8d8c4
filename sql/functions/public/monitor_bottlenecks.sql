-- The Data API entry point (/rest/v1/rpc/monitor_bottlenecks): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.monitor_bottlenecks()
returns table (provider_slug text, provider_name text, expected_days integer, median_days numeric, p90_days numeric,
               completed integer, in_progress integer, stuck integer, sla_breaches integer)
language sql
stable
security invoker
set search_path = ''
as $$
  select * from private.monitor_bottlenecks()
$$;
comment on function public.monitor_bottlenecks() is 'Per partner: median/p90 days in step, in progress, stuck and SLA breaches (snapshot), worst first. Admins only.';
revoke all on function public.monitor_bottlenecks() from public, anon, authenticated;
grant execute on function public.monitor_bottlenecks() to authenticated, service_role;
