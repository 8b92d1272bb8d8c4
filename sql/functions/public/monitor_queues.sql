-- The Data API entry point (/rest/v1/rpc/monitor_queues): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.monitor_queues()
returns table (queue_name text, ready integer, delayed integer, oldest_enqueued_at timestamptz, dead_24h integer,
               last_error text)
language sql
stable
security invoker
set search_path = ''
as $$
  select * from private.monitor_queues()
$$;
comment on function public.monitor_queues() is 'Live, per queue: ready and delayed jobs, oldest job, dead letters in 24 h, latest error. Admins only.';
revoke all on function public.monitor_queues() from public, anon, authenticated;
grant execute on function public.monitor_queues() to authenticated, service_role;
