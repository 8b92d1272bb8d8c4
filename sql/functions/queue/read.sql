-- Take up to qty visible messages, hiding them for vt seconds (pgmq.read-like). Concurrent
-- readers never get the same message (for update skip locked). A message whose reader died
-- becomes visible again when its visibility timeout passes. Oldest visible first, in (vt, msg_id)
-- order: the order of queue.jobs_queue_vt_idx, whose range for one queue up to now() holds
-- only visible jobs (those in hand, or waiting out a backoff, have a later vt), so a read touches
-- O(qty) index entries however many jobs the queues hold.
--
-- The plan must not depend on the statistics: a worker that polled an empty queue keeps the
-- plan it made then, and a burst arrives into a table the planner believes empty. With the
-- subquery inlined, such a plan was a nested loop that re-ran the limit-and-lock subquery once
-- per row of a sequential scan of the queue: a read of 50 took and hid 1,077 jobs and cost
-- 2.3 million buffers (P5 of the bench, issue 14). Hence: the jobs to take are a materialized
-- CTE (run once: at most qty rows whatever the join); every call is planned for the table as it
-- is (plan_cache_mode: a custom plan sees the table's current size, a generic plan made on an
-- empty table joined by walking the whole queue); and a sort is never the cheaper path
-- (enable_sort off: with the statistics of an empty table the planner estimated 9 rows and chose
-- a bitmap scan of every visible job plus a sort over the ordered index scan).
create or replace function queue.read(queue_name text, vt integer, qty integer)
returns setof queue.jobs
language plpgsql
volatile
security invoker
set search_path = ''
set enable_sort = off
set plan_cache_mode = force_custom_plan
as $$
begin
  return query
  with picked as materialized (
    select c.msg_id from queue.jobs c
    where c.queue_name = read.queue_name and c.vt <= pg_catalog.now()
    order by c.vt, c.msg_id
    limit read.qty
    for update skip locked
  ), taken as (
    update queue.jobs j
      set vt = pg_catalog.now() + pg_catalog.make_interval(secs => read.vt), read_ct = j.read_ct + 1
    from picked p
    where j.msg_id = p.msg_id
    returning j.*
  )
  select * from taken;
end
$$;
comment on function queue.read(text, integer, integer) is 'Read up to qty visible messages and hide them for vt seconds (pgmq.read-like; skip locked).';
revoke all on function queue.read(text, integer, integer) from public, anon, authenticated;
grant execute on function queue.read(text, integer, integer) to service_role;
