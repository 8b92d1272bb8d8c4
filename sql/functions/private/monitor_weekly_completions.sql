-- Enrollments completed per week over the last p_weeks weeks (weeks with none included), from
-- the snapshot.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.monitor_weekly_completions (sql/functions/public/) is its security invoker entry point.
create or replace function private.monitor_weekly_completions(p_weeks integer default 12)
returns table (week_start date, completions integer)
language plpgsql
stable
security definer
set search_path = ''
set jit = off
as $$
begin
  perform private.admin_caller();
  return query
  select w::date, coalesce((select (x ->> 'completions')::integer
                            from private.monitoring_snapshot m, pg_catalog.jsonb_array_elements(m.weekly) x
                            where (x ->> 'week_start')::date = w::date), 0)
  from pg_catalog.generate_series(
         pg_catalog.date_trunc('week', coalesce((select m.as_of from private.monitoring_snapshot m), pg_catalog.now()))
           - pg_catalog.make_interval(weeks => least(greatest(p_weeks, 1), 52) - 1),
         pg_catalog.date_trunc('week', coalesce((select m.as_of from private.monitoring_snapshot m), pg_catalog.now())),
         interval '1 week') w
  order by 1;
end
$$;
comment on function private.monitor_weekly_completions(integer) is 'Body of public.monitor_weekly_completions (security definer, outside the exposed schema): Completions per week for the last p_weeks (max 52) weeks, zeros included (snapshot). Admins only.';
revoke all on function private.monitor_weekly_completions(integer) from public, anon, authenticated;
grant execute on function private.monitor_weekly_completions(integer) to authenticated, service_role;
