-- The Data API entry point (/rest/v1/rpc/monitor_program_completion): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.monitor_program_completion()
returns table (program_slug text, program_name text, enrollments integer, active integer, completed integer,
               cancelled integer, completion_rate numeric)
language sql
stable
security invoker
set search_path = ''
as $$
  select * from private.monitor_program_completion()
$$;
comment on function public.monitor_program_completion() is 'Per program: enrollments by status and completion rate (snapshot). Admins only.';
revoke all on function public.monitor_program_completion() from public, anon, authenticated;
grant execute on function public.monitor_program_completion() to authenticated, service_role;
