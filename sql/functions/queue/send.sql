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
