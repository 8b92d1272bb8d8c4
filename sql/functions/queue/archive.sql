-- A message is done: move it to queue.jobs_archive (pgmq.archive-like). False if it was not there.
create or replace function queue.archive(queue_name text, msg_id bigint)
returns boolean
language plpgsql
volatile
security invoker
set search_path = ''
-- by primary key whatever the statistics say: a plan cached while the queue was empty was a
-- sequential scan of the whole queue later, or a walk of its vt index, which also starts with
-- queue_name (hence `queue_name || ''`: a filter on the row found, never an index condition)
set enable_seqscan = off
as $$
begin
  with done as (
    delete from queue.jobs j where j.msg_id = archive.msg_id and j.queue_name || '' = archive.queue_name returning j.*
  )
  insert into queue.jobs_archive (msg_id, queue_name, message, dedupe_key, enqueued_at, read_ct, last_error, outcome)
  select d.msg_id, d.queue_name, d.message, d.dedupe_key, d.enqueued_at, d.read_ct, d.last_error, 'done' from done d;
  return found;
end
$$;
comment on function queue.archive(text, bigint) is 'Mark a message done: moved to queue.jobs_archive (pgmq.archive-like). False when it was not in the queue.';
revoke all on function queue.archive(text, bigint) from public, anon, authenticated;
grant execute on function queue.archive(text, bigint) to service_role;
