-- Change when a message becomes visible again (pgmq.set_vt-like); 0 releases it now (a worker
-- shutting down gives back what it has not started).
create or replace function queue.set_vt(p_queue text, p_msg_id bigint, p_vt_seconds integer)
returns boolean
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
  update queue.jobs set vt = pg_catalog.now() + pg_catalog.make_interval(secs => p_vt_seconds)
  where queue_name = p_queue and msg_id = p_msg_id;
  return found;
end
$$;
comment on function queue.set_vt(text, bigint, integer) is 'Set a message''s visibility timeout from now (pgmq.set_vt-like); 0 releases it.';
revoke all on function queue.set_vt(text, bigint, integer) from public, anon, authenticated;
grant execute on function queue.set_vt(text, bigint, integer) to service_role;
