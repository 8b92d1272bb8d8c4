-- Issue 14, performance round 2: the worker acknowledges a batch of finished jobs in one statement
-- (queue.archive_batch, pgmq.archive's array form under its own name), sent with its next read:
-- one transaction and one WAL flush per batch instead of one per job.
-- Source: sql/functions/queue/archive_batch.sql.

select pg_catalog.set_config('lock_timeout', '10s', true);
select pg_catalog.set_config('statement_timeout', '120s', true);

-- Many messages are done: move them to queue.jobs_archive in one statement (pgmq.archive's array
-- form; a separate name, not an overload). The worker acknowledges the jobs of handlers marked
-- `acked_by_worker` this way: the ids a read's batch finished, sent with its next read, so a whole
-- batch costs one transaction and one WAL flush instead of one each. Returns the ids archived (an
-- id no longer in the queue is skipped).
create or replace function queue.archive_batch(queue_name text, msg_ids bigint[])
returns setof bigint
language sql
volatile
security invoker
set search_path = ''
as $$
  with done as (
    delete from queue.jobs j
    where j.queue_name = archive_batch.queue_name and j.msg_id = any (archive_batch.msg_ids)
    returning j.*
  ), archived as (
    insert into queue.jobs_archive (msg_id, queue_name, message, dedupe_key, enqueued_at, read_ct, last_error, outcome)
    select d.msg_id, d.queue_name, d.message, d.dedupe_key, d.enqueued_at, d.read_ct, d.last_error, 'done' from done d
    returning msg_id
  )
  select a.msg_id from archived a
$$;
comment on function queue.archive_batch(text, bigint[]) is 'Mark many messages done in one statement: moved to queue.jobs_archive (pgmq.archive''s array form). Returns the ids archived; one no longer queued is skipped.';
revoke all on function queue.archive_batch(text, bigint[]) from public, anon, authenticated;
grant execute on function queue.archive_batch(text, bigint[]) to service_role;

-- queue.read in (vt, msg_id) order on an index of (queue_name, vt, msg_id): it planned through
-- jobs_pkey, filtering out every other queue's jobs and the jobs in hand (1,232 buffers for a read
-- of 20 with 2,000 jobs in another queue). queue.jobs holds only live jobs (a small table): a
-- plain create index inside the migration's transaction blocks its writers for a moment.
-- squawk-ignore require-concurrent-index-creation
create index jobs_queue_vt_idx on queue.jobs (queue_name, vt, msg_id);
-- squawk-ignore require-concurrent-index-deletion
drop index queue.jobs_queue_msg_id_idx;

-- Take up to qty visible messages, hiding them for vt seconds (pgmq.read-like). Concurrent
-- readers never get the same message (for update skip locked). A message whose reader died
-- becomes visible again when its visibility timeout passes. Oldest visible first, in (vt, msg_id)
-- order: the order of queue.jobs_queue_vt_idx, whose range for one queue up to now() holds
-- only visible jobs (those in hand, or waiting out a backoff, have a later vt), so a read touches
-- O(qty) index entries however many jobs the queues hold.
create or replace function queue.read(queue_name text, vt integer, qty integer)
returns setof queue.jobs
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
  return query
  with taken as (
  update queue.jobs j
    set vt = pg_catalog.now() + pg_catalog.make_interval(secs => read.vt), read_ct = j.read_ct + 1
  where j.msg_id in (
    select c.msg_id from queue.jobs c
    where c.queue_name = read.queue_name and c.vt <= pg_catalog.now()
    order by c.vt, c.msg_id
    limit read.qty
    for update skip locked
  )
  returning j.*
  )
  select * from taken;
end
$$;
comment on function queue.read(text, integer, integer) is 'Read up to qty visible messages and hide them for vt seconds (pgmq.read-like; skip locked).';
revoke all on function queue.read(text, integer, integer) from public, anon, authenticated;
grant execute on function queue.read(text, integer, integer) to service_role;
