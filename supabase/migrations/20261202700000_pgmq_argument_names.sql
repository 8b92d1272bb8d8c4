-- Issue 11, small things: queue.send / read / archive / set_vt take pgmq's argument names
-- (pgmq.send(queue_name, msg, delay), pgmq.read(queue_name, vt, qty), pgmq.archive(queue_name,
-- msg_id), pgmq.set_vt(queue_name, msg_id, vt)); send keeps dedupe_key, and queue.fail follows
-- (queue_name, msg_id, error, retryable). Types and order are unchanged, so every positional
-- caller is unaffected. create or replace cannot rename a parameter: each function is dropped
-- and created again, with its comment (send's, read's and set_vt's now say the new names) and
-- its grants as before (execute for service_role only).
-- Nothing depends on them in the catalog (their callers are plpgsql, which pg_depend does not
-- track, and call them positionally).
-- Sources: sql/functions/queue/{send,read,archive,set_vt,fail}.sql.

select pg_catalog.set_config('lock_timeout', '10s', true);
select pg_catalog.set_config('statement_timeout', '120s', true);

-- Each is created again below in the same transaction, with the same types: a positional call
-- (every caller's) never sees it missing, and only a call by the old p_* names would break.
-- squawk-ignore ban-drop-function
drop function queue.send(text, jsonb, integer, text);
-- squawk-ignore ban-drop-function
drop function queue.read(text, integer, integer);
-- squawk-ignore ban-drop-function
drop function queue.archive(text, bigint);
-- squawk-ignore ban-drop-function
drop function queue.set_vt(text, bigint, integer);
-- squawk-ignore ban-drop-function
drop function queue.fail(text, bigint, text, boolean);

-- pgmq-like queue API (schema queue): send / read / archive / fail / set_vt.
-- Kept close to pgmq's (pgmq.send, pgmq.read, pgmq.archive, pgmq.set_vt: same argument names,
-- types and order) so a Supabase Queues deployment is an easy swap; pgmq itself cannot be
-- installed on Debian's PostgreSQL 15 here. The parameters share their names with queue.jobs'
-- columns (queue_name, msg_id, vt): in the bodies a parameter is always qualified with its
-- function's name (send.queue_name) and a column with its table's alias, so nothing is ambiguous.
--
-- Send a message. dedupe_key makes it at-most-once per (queue, key) for ever (a second send
-- returns null): the outbox's "once per event". No NOTIFY: a notifying transaction serializes
-- every commit in the cluster (measured 8,039 vs 831 inserts/s with 16 clients), so workers poll.
create or replace function queue.send(
  queue_name text, msg jsonb, delay integer default 0, dedupe_key text default null)
returns bigint
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_msg_id bigint;
begin
  perform 1 from queue.queues q where q.queue_name = send.queue_name;
  if not found then
    raise exception 'queue % does not exist', send.queue_name using errcode = 'PS020';
  end if;
  if send.dedupe_key is not null then
    insert into queue.job_keys (queue_name, dedupe_key) values (send.queue_name, send.dedupe_key)
    on conflict do nothing;
    if not found then
      return null;
    end if;
  end if;
  insert into queue.jobs (queue_name, message, dedupe_key, vt)
  values (send.queue_name, send.msg, send.dedupe_key,
          pg_catalog.now() + pg_catalog.make_interval(secs => greatest(send.delay, 0)))
  returning msg_id into v_msg_id;
  return v_msg_id;
end
$$;
comment on function queue.send(text, jsonb, integer, text) is 'Enqueue a message (pgmq.send-like: queue_name, msg, delay); with a dedupe_key, at most once per (queue, key): returns null for a repeat. PS020: unknown queue.';
revoke all on function queue.send(text, jsonb, integer, text) from public, anon, authenticated;
grant execute on function queue.send(text, jsonb, integer, text) to service_role;

-- Take up to qty visible messages, hiding them for vt seconds (pgmq.read-like). Concurrent
-- readers never get the same message (for update skip locked). A message whose reader died
-- becomes visible again when its visibility timeout passes.
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
    order by c.msg_id
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

-- A message is done: move it to queue.jobs_archive (pgmq.archive-like). False if it was not there.
create or replace function queue.archive(queue_name text, msg_id bigint)
returns boolean
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
  with done as (
    delete from queue.jobs j where j.queue_name = archive.queue_name and j.msg_id = archive.msg_id returning j.*
  )
  insert into queue.jobs_archive (msg_id, queue_name, message, dedupe_key, enqueued_at, read_ct, last_error, outcome)
  select d.msg_id, d.queue_name, d.message, d.dedupe_key, d.enqueued_at, d.read_ct, d.last_error, 'done' from done d;
  return found;
end
$$;
comment on function queue.archive(text, bigint) is 'Mark a message done: moved to queue.jobs_archive (pgmq.archive-like). False when it was not in the queue.';
revoke all on function queue.archive(text, bigint) from public, anon, authenticated;
grant execute on function queue.archive(text, bigint) to service_role;

-- Change when a message becomes visible again: vt seconds from now (pgmq.set_vt-like); 0 releases
-- it now (a worker shutting down gives back what it has not started).
create or replace function queue.set_vt(queue_name text, msg_id bigint, vt integer)
returns boolean
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
  update queue.jobs j set vt = pg_catalog.now() + pg_catalog.make_interval(secs => set_vt.vt)
  where j.queue_name = set_vt.queue_name and j.msg_id = set_vt.msg_id;
  return found;
end
$$;
comment on function queue.set_vt(text, bigint, integer) is 'Set a message''s visibility timeout to vt seconds from now (pgmq.set_vt-like); 0 releases it.';
revoke all on function queue.set_vt(text, bigint, integer) from public, anon, authenticated;
grant execute on function queue.set_vt(text, bigint, integer) to service_role;

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
as $$
declare
  v_job queue.jobs;
  v_queue queue.queues;
  v_error text := pg_catalog.left(fail.error, 2000);
begin
  select j.* into v_job from queue.jobs j where j.queue_name = fail.queue_name and j.msg_id = fail.msg_id for update;
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
