-- Issue 11, the worker knows no queue by name: it drains the queues queue.list_queues() lists.
-- Source: sql/functions/queue/list_queues.sql.

select pg_catalog.set_config('lock_timeout', '10s', true);
select pg_catalog.set_config('statement_timeout', '120s', true);

-- The queues and what a reader needs of each (pgmq.list_queues-like): the worker drains these,
-- each with the task registered under its name, and reads with its visibility timeout.
create or replace function queue.list_queues()
returns table (queue_name text, visibility_timeout_seconds integer)
language sql
stable
security invoker
set search_path = ''
as $$
  select q.queue_name, q.visibility_timeout_seconds from queue.queues q order by q.queue_name
$$;
comment on function queue.list_queues() is 'The queues, by name, with their visibility timeout (pgmq.list_queues-like): what the worker drains.';
revoke all on function queue.list_queues() from public, anon, authenticated;
grant execute on function queue.list_queues() to service_role;
