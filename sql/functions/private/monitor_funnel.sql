-- The drop-off funnel: per program and position in its sequence, how many students reached the
-- step, completed it, were waived, failed there or are stalled there (> private.settings.stuck_after_days), from the snapshot.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.monitor_funnel (sql/functions/public/) is its security invoker entry point.
create or replace function private.monitor_funnel(p_program_slug text default null)
returns table (program_slug text, program_name text, sequence_order integer, provider_slug text, reached integer,
               completed integer, skipped integer, failed integer, stalled integer, in_progress integer)
language plpgsql
stable
security definer
set search_path = ''
set jit = off
as $$
begin
  perform private.admin_caller();
  return query
  select g.slug, g.name, (x ->> 'sequence_order')::integer, v.slug,
         (x ->> 'reached')::integer, (x ->> 'completed')::integer, (x ->> 'skipped')::integer,
         (x ->> 'failed')::integer, (x ->> 'stalled')::integer, (x ->> 'in_progress')::integer
  from private.monitoring_snapshot m
  cross join pg_catalog.jsonb_array_elements(m.funnel) x
  join public.programs g on g.id = (x ->> 'program_id')::uuid
  join public.partner_lms_providers v on v.id = (x ->> 'provider_id')::uuid
  where p_program_slug is null or g.slug = p_program_slug
  order by g.name, 3;
end
$$;
comment on function private.monitor_funnel(text) is 'Body of public.monitor_funnel (security definer, outside the exposed schema): Per program and step position: reached, completed, skipped, failed, stalled, in progress (snapshot). Admins only.';
revoke all on function private.monitor_funnel(text) from public, anon, authenticated;
grant execute on function private.monitor_funnel(text) to authenticated, service_role;
