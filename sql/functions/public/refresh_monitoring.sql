-- The Data API entry point (/rest/v1/rpc/refresh_monitoring): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.refresh_monitoring(p_as_of timestamptz default pg_catalog.now())
returns interval
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.refresh_monitoring(p_as_of)
$$;
comment on function public.refresh_monitoring(timestamptz) is 'Recomputes the monitoring snapshot (pipeline, completion rates, time in step, funnel, weekly completions). Admins, service role, DBA. Returns how long it took.';
revoke all on function public.refresh_monitoring(timestamptz) from public, anon, authenticated;
grant execute on function public.refresh_monitoring(timestamptz) to authenticated, service_role;
