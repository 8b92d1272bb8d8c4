-- Take up to qty visible messages, hiding them for vt seconds (pgmq.read-like). Concurrent
-- readers never get the same message (for update skip locked). A message whose reader died
-- becomes visible again when its visibility timeout passes. Oldest visible first, in (vt, msg_id)
-- order: the order of queue.jobs_queue_vt_idx, whose range for one queue up to now() holds
-- only visible jobs (those in hand, or waiting out a backoff, have a later vt), so a read touches
-- O(qty) index entries however many jobs the queues hold. enable_sort = off keeps it there
-- whatever the statistics say: after a vacuum of an empty queue followed by a burst (5,000 jobs
-- from one enrollment import), the planner estimated 9 rows, chose a bitmap scan of every visible
-- job plus a sort, and each read cost O(queue): 250 ms and 377,000 buffers a call in the 1M bench.
create or replace function queue.read(queue_name text, vt integer, qty integer)
returns setof queue.jobs
language plpgsql
volatile
security invoker
set search_path = ''
set enable_sort = off
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
