-- Many messages are done: move them to queue.jobs_archive in one statement (pgmq.archive's array
-- form; a separate name, not an overload). The worker acknowledges the jobs of handlers marked
-- `acked_by_worker` this way: the ids a read's batch finished, sent with its next read, so a whole
-- batch costs one transaction and one WAL flush instead of one each. Returns the ids archived (an
-- id no longer in the queue is skipped).
create or replace function queue.archive_batch(queue_name text, msg_ids bigint[])
returns setof bigint
language plpgsql
volatile
security invoker
set search_path = ''
-- planned for the ids at hand, by primary key: with the statistics of an empty queue a plan for
-- unknown ids walked the queue's vt index, which starts with queue_name (hence `queue_name || ''`:
-- a filter on the rows found, never an index condition; tests/py/test_query_plans.py)
set plan_cache_mode = force_custom_plan
as $$
begin
  return query
  with done as (
    delete from queue.jobs j
    where j.msg_id = any (archive_batch.msg_ids) and j.queue_name || '' = archive_batch.queue_name
    returning j.*
  ), archived as (
    insert into queue.jobs_archive (msg_id, queue_name, message, dedupe_key, enqueued_at, read_ct, last_error, outcome)
    select d.msg_id, d.queue_name, d.message, d.dedupe_key, d.enqueued_at, d.read_ct, d.last_error, 'done' from done d
    returning jobs_archive.msg_id
  )
  select a.msg_id from archived a;
end
$$;
comment on function queue.archive_batch(text, bigint[]) is 'Mark many messages done in one statement: moved to queue.jobs_archive (pgmq.archive''s array form). Returns the ids archived; one no longer queued is skipped.';
revoke all on function queue.archive_batch(text, bigint[]) from public, anon, authenticated;
grant execute on function queue.archive_batch(text, bigint[]) to service_role;
