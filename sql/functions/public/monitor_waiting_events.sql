-- The Data API entry point (/rest/v1/rpc/monitor_waiting_events): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.monitor_waiting_events(p_limit integer default 100)
returns table (event_id bigint, provider_slug text, event_type text, status text, external_enrollment_id text,
               error text, received_at timestamptz, attempts integer)
language sql
stable
security invoker
set search_path = ''
as $$
  select * from private.monitor_waiting_events(p_limit)
$$;
comment on function public.monitor_waiting_events(integer) is 'Live: unmatched, deferred and rejected partner events, newest first. Admins only.';
revoke all on function public.monitor_waiting_events(integer) from public, anon, authenticated;
grant execute on function public.monitor_waiting_events(integer) to authenticated, service_role;
