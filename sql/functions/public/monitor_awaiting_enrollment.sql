-- The Data API entry point (/rest/v1/rpc/monitor_awaiting_enrollment): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.monitor_awaiting_enrollment(p_limit integer default 100)
returns table (step_id uuid, student_name text, email text, program_name text, provider_slug text,
               provider_name text, started_at timestamptz)
language sql
stable
security invoker
set search_path = ''
as $$
  select * from private.monitor_awaiting_enrollment(p_limit)
$$;
comment on function public.monitor_awaiting_enrollment(integer) is 'Live: current steps at manual partners still waiting for the partner''s enrollment id. Admins only.';
revoke all on function public.monitor_awaiting_enrollment(integer) from public, anon, authenticated;
grant execute on function public.monitor_awaiting_enrollment(integer) to authenticated, service_role;
