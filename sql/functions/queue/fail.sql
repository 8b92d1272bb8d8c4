-- A processing attempt failed. Retryable and attempts left: hide the message for a jittered,
-- capped exponential backoff and return 'retry'. Otherwise archive it as dead, let its domain
-- react (private.on_dead_job: e.g. the step becomes failed and admins are alerted), return 'dead'.
-- Not in pgmq; its arguments are named like the others' (queue_name, msg_id).
create or replace function queue.fail(
  queue_name text, msg_id bigint, error text, retryable boolean default true)
returns text
language plpgsql
volatile
security invoker
set search_path = ''
-- by primary key whatever the statistics say: a plan cached while the queue was empty was a
-- sequential scan of the whole queue later, or a walk of its vt index, which also starts with
-- queue_name (hence `queue_name || ''`: a filter on the row found, never an index condition)
set enable_seqscan = off
as $$
declare
  v_job queue.jobs;
  v_queue queue.queues;
  v_error text := pg_catalog.left(fail.error, 2000);
begin
  select j.* into v_job from queue.jobs j where j.msg_id = fail.msg_id and j.queue_name || '' = fail.queue_name for update;
  if not found then
    return 'gone';
  end if;
  select q.* into v_queue from queue.queues q where q.queue_name = fail.queue_name;
  if fail.retryable and v_job.read_ct < v_queue.max_attempts then
    update queue.jobs j
      set vt = pg_catalog.now() + queue.backoff_delay(v_job.read_ct, v_queue.backoff_base_seconds, v_queue.backoff_cap_seconds),
          last_error = v_error
      where j.msg_id = v_job.msg_id;
    return 'retry';
  end if;
  delete from queue.jobs j where j.msg_id = v_job.msg_id;
  insert into queue.jobs_archive (msg_id, queue_name, message, dedupe_key, enqueued_at, read_ct, last_error, outcome)
  values (v_job.msg_id, v_job.queue_name, v_job.message, v_job.dedupe_key, v_job.enqueued_at, v_job.read_ct,
          v_error, 'dead');
  perform private.on_dead_job(v_job.queue_name, v_job.message, v_error, v_job.read_ct);
  return 'dead';
end
$$;
comment on function queue.fail(text, bigint, text, boolean) is 'Record a failed attempt: retry after full-jitter backoff, or dead after max attempts (or when not retryable), which calls private.on_dead_job.';
revoke all on function queue.fail(text, bigint, text, boolean) from public, anon, authenticated;
grant execute on function queue.fail(text, bigint, text, boolean) to service_role;
