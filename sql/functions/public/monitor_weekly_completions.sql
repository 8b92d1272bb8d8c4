-- The Data API entry point (/rest/v1/rpc/monitor_weekly_completions): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.monitor_weekly_completions(p_weeks integer default 12)
returns table (week_start date, completions integer)
language sql
stable
security invoker
set search_path = ''
as $$
  select * from private.monitor_weekly_completions(p_weeks)
$$;
comment on function public.monitor_weekly_completions(integer) is 'Completions per week for the last p_weeks (max 52) weeks, zeros included (snapshot). Admins only.';
revoke all on function public.monitor_weekly_completions(integer) from public, anon, authenticated;
grant execute on function public.monitor_weekly_completions(integer) to authenticated, service_role;
