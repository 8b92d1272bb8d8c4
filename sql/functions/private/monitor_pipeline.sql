-- Students at each partner by step status, and the partner's completion rate
-- (completed / (completed + failed + in progress + skipped)), from the monitoring snapshot.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.monitor_pipeline (sql/functions/public/) is its security invoker entry point.
create or replace function private.monitor_pipeline()
returns table (provider_slug text, provider_name text, pending integer, in_progress integer, completed integer,
               failed integer, skipped integer, total integer, completion_rate numeric, refreshed_at timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set jit = off
as $$
begin
  perform private.admin_caller();
  return query
  with counts as (
    select (x ->> 'provider_id')::uuid as provider_id, x ->> 'status' as status, (x ->> 'n')::integer as n
    from private.monitoring_snapshot m, pg_catalog.jsonb_array_elements(m.pipeline) x
  )
  select v.slug, v.provider_name,
    coalesce(sum(c.n) filter (where c.status = 'pending'), 0)::integer,
    coalesce(sum(c.n) filter (where c.status = 'in_progress'), 0)::integer,
    coalesce(sum(c.n) filter (where c.status = 'completed'), 0)::integer,
    coalesce(sum(c.n) filter (where c.status = 'failed'), 0)::integer,
    coalesce(sum(c.n) filter (where c.status = 'skipped'), 0)::integer,
    coalesce(sum(c.n), 0)::integer,
    round(coalesce(sum(c.n) filter (where c.status = 'completed'), 0)::numeric
          / nullif(coalesce(sum(c.n) filter (where c.status <> 'pending'), 0), 0), 4),
    (select m.refreshed_at from private.monitoring_snapshot m)
  from public.partner_lms_providers v left join counts c on c.provider_id = v.id
  group by v.id, v.slug, v.provider_name
  order by v.slug;
end
$$;
comment on function private.monitor_pipeline() is 'Body of public.monitor_pipeline (security definer, outside the exposed schema): Per partner: steps by status and completion rate (snapshot; see refreshed_at). Admins only.';
revoke all on function private.monitor_pipeline() from public, anon, authenticated;
grant execute on function private.monitor_pipeline() to authenticated, service_role;
