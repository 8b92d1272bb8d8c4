-- pgmq-like queue API (schema queue): send / read / archive / fail / set_vt.
-- Kept close to pgmq's (pgmq.send, pgmq.read, pgmq.archive, pgmq.set_vt) so a Supabase Queues
-- deployment is an easy swap; pgmq itself cannot be installed on Debian's PostgreSQL 15 here.
--
-- Send a message. p_dedupe_key makes it at-most-once per (queue, key) for ever (a second send
-- returns null): the outbox's "once per event". No NOTIFY: a notifying transaction serializes
-- every commit in the cluster (measured 8,039 vs 831 inserts/s with 16 clients), so workers poll.
create or replace function queue.send(
  p_queue text, p_message jsonb, p_delay_seconds integer default 0, p_dedupe_key text default null)
returns bigint
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_msg_id bigint;
begin
  perform 1 from queue.queues q where q.queue_name = p_queue;
  if not found then
    raise exception 'queue % does not exist', p_queue using errcode = 'PS020';
  end if;
  if p_dedupe_key is not null then
    insert into queue.job_keys (queue_name, dedupe_key) values (p_queue, p_dedupe_key)
    on conflict do nothing;
    if not found then
      return null;
    end if;
  end if;
  insert into queue.jobs (queue_name, message, dedupe_key, vt)
  values (p_queue, p_message, p_dedupe_key,
          pg_catalog.now() + pg_catalog.make_interval(secs => greatest(p_delay_seconds, 0)))
  returning msg_id into v_msg_id;
  return v_msg_id;
end
$$;
comment on function queue.send(text, jsonb, integer, text) is 'Enqueue a message (pgmq.send-like); with a dedupe key, at most once per (queue, key): returns null for a repeat. PS020: unknown queue.';
revoke all on function queue.send(text, jsonb, integer, text) from public, anon, authenticated;
grant execute on function queue.send(text, jsonb, integer, text) to service_role;
