-- Change when a message becomes visible again: vt seconds from now (pgmq.set_vt-like); 0 releases
-- it now (a worker shutting down gives back what it has not started).
create or replace function queue.set_vt(queue_name text, msg_id bigint, vt integer)
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
  update queue.jobs j set vt = pg_catalog.now() + pg_catalog.make_interval(secs => set_vt.vt)
  where j.msg_id = set_vt.msg_id and j.queue_name || '' = set_vt.queue_name;
  return found;
end
$$;
comment on function queue.set_vt(text, bigint, integer) is 'Set a message''s visibility timeout to vt seconds from now (pgmq.set_vt-like); 0 releases it.';
revoke all on function queue.set_vt(text, bigint, integer) from public, anon, authenticated;
grant execute on function queue.set_vt(text, bigint, integer) to service_role;
