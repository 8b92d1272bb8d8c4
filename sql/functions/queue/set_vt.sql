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
