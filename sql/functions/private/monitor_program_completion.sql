-- Per program: enrollments, active, completed, cancelled and the completion rate, from the snapshot.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.monitor_program_completion (sql/functions/public/) is its security invoker entry point.
create or replace function private.monitor_program_completion()
returns table (program_slug text, program_name text, enrollments integer, active integer, completed integer,
               cancelled integer, completion_rate numeric)
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
    select (x ->> 'program_id')::uuid as program_id, x ->> 'status' as status, (x ->> 'n')::integer as n
    from private.monitoring_snapshot m, pg_catalog.jsonb_array_elements(m.programs) x
  )
  select g.slug, g.name, coalesce(sum(c.n), 0)::integer,
    coalesce(sum(c.n) filter (where c.status = 'active'), 0)::integer,
    coalesce(sum(c.n) filter (where c.status = 'completed'), 0)::integer,
    coalesce(sum(c.n) filter (where c.status = 'cancelled'), 0)::integer,
    round(coalesce(sum(c.n) filter (where c.status = 'completed'), 0)::numeric / nullif(sum(c.n), 0), 4)
  from public.programs g left join counts c on c.program_id = g.id
  group by g.id, g.slug, g.name
  order by g.name;
end
$$;
comment on function private.monitor_program_completion() is 'Body of public.monitor_program_completion (security definer, outside the exposed schema): Per program: enrollments by status and completion rate (snapshot). Admins only.';
revoke all on function private.monitor_program_completion() from public, anon, authenticated;
grant execute on function private.monitor_program_completion() to authenticated, service_role;
