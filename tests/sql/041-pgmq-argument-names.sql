-- The queue API takes pgmq's argument names (pgmq.send(queue_name, msg, delay),
-- pgmq.read(queue_name, vt, qty), pgmq.archive(queue_name, msg_id), pgmq.set_vt(queue_name,
-- msg_id, vt)), so a call by name moves to pgmq unchanged; queue.fail names its own alike.
begin;
select plan(14);

select is((select proargnames from pg_proc where oid = 'queue.send(text, jsonb, integer, text)'::regprocedure),
  array['queue_name', 'msg', 'delay', 'dedupe_key'], 'queue.send takes pgmq.send''s names, then dedupe_key');
select is((select proargnames from pg_proc where oid = 'queue.read(text, integer, integer)'::regprocedure),
  array['queue_name', 'vt', 'qty'], 'queue.read takes pgmq.read''s names');
select is((select proargnames from pg_proc where oid = 'queue.archive(text, bigint)'::regprocedure),
  array['queue_name', 'msg_id'], 'queue.archive takes pgmq.archive''s names');
select is((select proargnames from pg_proc where oid = 'queue.set_vt(text, bigint, integer)'::regprocedure),
  array['queue_name', 'msg_id', 'vt'], 'queue.set_vt takes pgmq.set_vt''s names');
select is((select proargnames from pg_proc where oid = 'queue.fail(text, bigint, text, boolean)'::regprocedure),
  array['queue_name', 'msg_id', 'error', 'retryable'], 'queue.fail names its arguments alike');

-- the same grants as before the rename: execute for the service role only
select is(
  (select array_agg(distinct r.rolname || ':' || has_function_privilege(r.rolname, p.oid, 'execute') order by r.rolname || ':' || has_function_privilege(r.rolname, p.oid, 'execute'))
   from pg_proc p cross join pg_roles r
   where p.oid in ('queue.send(text, jsonb, integer, text)'::regprocedure, 'queue.read(text, integer, integer)'::regprocedure,
                   'queue.archive(text, bigint)'::regprocedure, 'queue.set_vt(text, bigint, integer)'::regprocedure,
                   'queue.fail(text, bigint, text, boolean)'::regprocedure)
     and r.rolname in ('anon', 'authenticated', 'service_role')),
  array['anon:false', 'authenticated:false', 'service_role:true'], 'only the service role may call them');

-- called by name, pgmq-style: the bodies tell their parameters from queue.jobs' same-named columns
delete from queue.jobs;
select isnt(queue.send(queue_name => 'email', msg => '{"n": 1}', delay => 0, dedupe_key => 'named'), null,
  'send by name should queue the message');
select is(queue.send(queue_name => 'email', msg => '{"n": 1}', dedupe_key => 'named'), null,
  'send by name should honour the dedupe key');
select is((select count(*)::int from queue.read(queue_name => 'email', vt => 30, qty => 10)), 1,
  'read by name should take the visible message');
select ok((select vt > now() + interval '20 seconds' from queue.jobs where dedupe_key = 'named'),
  'read by name should hide it for vt seconds');
select ok(queue.set_vt(queue_name => 'email', msg_id => (select msg_id from queue.jobs where dedupe_key = 'named'), vt => 0),
  'set_vt by name should release it');
select is(queue.fail(queue_name => 'email', msg_id => (select msg_id from queue.jobs where dedupe_key = 'named'),
  error => 'smtp down', retryable => true), 'retry', 'fail by name should schedule a retry');
select ok(queue.archive(queue_name => 'email', msg_id => (select msg_id from queue.jobs where dedupe_key = 'named')),
  'archive by name should finish it');
select is((select outcome from queue.jobs_archive where dedupe_key = 'named'), 'done', 'the archived message is done');

select * from finish();
rollback;
