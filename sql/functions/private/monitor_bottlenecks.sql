-- Where students slow down: per partner, median and 90th-percentile days in step (completed in
-- the last year), how many are in progress, stuck (> private.settings.stuck_after_days) and over the partner's SLA
-- (expected_days), from the snapshot.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.monitor_bottlenecks (sql/functions/public/) is its security invoker entry point.
create or replace function private.monitor_bottlenecks()
returns table (provider_slug text, provider_name text, expected_days integer, median_days numeric, p90_days numeric,
               completed integer, in_progress integer, stuck integer, sla_breaches integer)
language plpgsql
stable
security definer
set search_path = ''
set jit = off
as $$
begin
  perform private.admin_caller();
  return query
  select v.slug, v.provider_name, v.expected_days,
         round((x ->> 'median_days')::numeric, 1), round((x ->> 'p90_days')::numeric, 1),
         coalesce((x ->> 'completed_n')::integer, 0), coalesce((x ->> 'in_progress')::integer, 0),
         coalesce((x ->> 'stuck')::integer, 0), coalesce((x ->> 'sla_breaches')::integer, 0)
  from public.partner_lms_providers v
  left join (select y from private.monitoring_snapshot m, pg_catalog.jsonb_array_elements(m.durations) y) d (x)
    on (x ->> 'provider_id')::uuid = v.id
  order by coalesce((x ->> 'sla_breaches')::integer, 0) desc, v.slug;
end
$$;
comment on function private.monitor_bottlenecks() is 'Body of public.monitor_bottlenecks (security definer, outside the exposed schema): Per partner: median/p90 days in step, in progress, stuck and SLA breaches (snapshot), worst first. Admins only.';
revoke all on function private.monitor_bottlenecks() from public, anon, authenticated;
grant execute on function private.monitor_bottlenecks() to authenticated, service_role;
