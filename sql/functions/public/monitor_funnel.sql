-- The Data API entry point (/rest/v1/rpc/monitor_funnel): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.monitor_funnel(p_program_slug text default null)
returns table (program_slug text, program_name text, sequence_order integer, provider_slug text, reached integer,
               completed integer, skipped integer, failed integer, stalled integer, in_progress integer)
language sql
stable
security invoker
set search_path = ''
as $$
  select * from private.monitor_funnel(p_program_slug)
$$;
comment on function public.monitor_funnel(text) is 'Per program and step position: reached, completed, skipped, failed, stalled, in progress (snapshot). Admins only.';
revoke all on function public.monitor_funnel(text) from public, anon, authenticated;
grant execute on function public.monitor_funnel(text) to authenticated, service_role;
