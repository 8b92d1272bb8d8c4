-- Live, per queue: jobs ready, in flight or waiting to retry, the oldest job, and dead letters in
-- the last 24 hours.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.monitor_queues (sql/functions/public/) is its security invoker entry point.
create or replace function private.monitor_queues()
returns table (queue_name text, ready integer, delayed integer, oldest_enqueued_at timestamptz, dead_24h integer,
               last_error text)
language plpgsql
stable
security definer
set search_path = ''
set jit = off
as $$
begin
  perform private.admin_caller();
  return query
  select q.queue_name,
    (select count(*)::integer from queue.jobs j where j.queue_name = q.queue_name and j.vt <= pg_catalog.now()),
    (select count(*)::integer from queue.jobs j where j.queue_name = q.queue_name and j.vt > pg_catalog.now()),
    (select min(j.enqueued_at) from queue.jobs j where j.queue_name = q.queue_name),
    (select count(*)::integer from queue.jobs_archive a
     where a.queue_name = q.queue_name and a.outcome = 'dead' and a.archived_at > pg_catalog.now() - interval '24 hours'),
    (select j.last_error from queue.jobs j where j.queue_name = q.queue_name and j.last_error is not null
     order by j.msg_id desc limit 1)
  from queue.queues q
  order by q.queue_name;
end
$$;
comment on function private.monitor_queues() is 'Body of public.monitor_queues (security definer, outside the exposed schema): Live, per queue: ready and delayed jobs, oldest job, dead letters in 24 h, latest error. Admins only.';
revoke all on function private.monitor_queues() from public, anon, authenticated;
grant execute on function private.monitor_queues() to authenticated, service_role;
