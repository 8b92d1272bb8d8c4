-- The transactional outbox and its pgmq-like queue.
begin;
select plan(45);

-- backoff: exponential, capped, full jitter
select is(queue.backoff_delay(1, 2, 600, 0), interval '0', 'the smallest draw should wait 0');
select is(queue.backoff_delay(1, 2, 600, 1), interval '2 seconds', 'attempt 1 should wait at most base');
select is(queue.backoff_delay(4, 2, 600, 1), interval '16 seconds', 'attempt 4 should wait at most base * 2^3');
select is(queue.backoff_delay(30, 2, 600, 1), interval '600 seconds', 'the delay should be capped');
select is(queue.backoff_delay(1000, 2, 600, 1), interval '600 seconds', 'a huge attempt number should not overflow');
select is(queue.backoff_delay(4, 2, 600, 0.5), interval '8 seconds', 'the draw scales the window linearly');
select ok((select count(distinct queue.backoff_delay(5, 2, 600)) from generate_series(1, 50)) > 40,
  'delays should be jittered (50 draws, almost all different)');
select ok((select bool_and(queue.backoff_delay(5, 2, 600) between interval '0' and interval '32 seconds') from generate_series(1, 200)),
  'every jittered delay should stay within [0, base * 2^(n-1)]');

-- send / read / archive / set_vt / dedupe
delete from queue.jobs;
select isnt(queue.send('email', '{"n": 1}', 0, 'k1'), null, 'send should return a message id');
select is(queue.send('email', '{"n": 1}', 0, 'k1'), null, 'a repeated dedupe key should not be sent again');
select throws_ok($$ select queue.send('nope', '{}') $$, 'PS020', null, 'an unknown queue should raise PS020');
select is((select count(*)::int from queue.read('email', 30, 10)), 1, 'read should return the visible message');
select is((select count(*)::int from queue.read('email', 30, 10)), 0, 'a read message should be hidden for its visibility timeout');
select is((select read_ct from queue.jobs where dedupe_key = 'k1'), 1, 'read should count reads');
select ok(queue.set_vt('email', (select msg_id from queue.jobs where dedupe_key = 'k1'), 0), 'set_vt 0 should release it');
select is((select count(*)::int from queue.read('email', 30, 10)), 1, 'a released message should be visible again');
select ok(queue.archive('email', (select msg_id from queue.jobs where dedupe_key = 'k1')), 'archive should finish it');
select is((select outcome from queue.jobs_archive where dedupe_key = 'k1'), 'done', 'the archive should say done');
select is(queue.send('email', '{"n": 1}', 0, 'k1'), null, 'a finished message''s key is still a duplicate');
select isnt(queue.send('email', '{"n": 2}', 60), null, 'a delayed message is queued');
select is((select count(*)::int from queue.read('email', 30, 10)), 0, 'a delayed message should not be visible yet');

-- fail: backoff then dead
update queue.queues set max_attempts = 2 where queue_name = 'email';
delete from queue.jobs;
select queue.send('email', '{"template": "x"}', 0, 'f1');
select queue.read('email', 30, 1);
select is(queue.fail('email', (select msg_id from queue.jobs where dedupe_key = 'f1'), 'smtp down'), 'retry',
  'a first failure should be retried');
select ok((select vt > now() and vt <= now() + interval '5 seconds' and last_error = 'smtp down' from queue.jobs where dedupe_key = 'f1'),
  'the retry should be delayed by the backoff window and keep the error');
update queue.jobs set vt = now() where dedupe_key = 'f1';
select queue.read('email', 30, 1);
select is(queue.fail('email', (select msg_id from queue.jobs where dedupe_key = 'f1'), 'smtp down again'), 'dead',
  'after max attempts the message should be dead');
select results_eq($$ select outcome, last_error from queue.jobs_archive where dedupe_key = 'f1' $$,
  $$ values ('dead'::text, 'smtp down again'::text) $$, 'the dead letter should be archived with its error');

-- the outbox: a step starting queues its partner enrollment, in the same transaction
select tests.create_supabase_user('ob_student');
select tests.create_supabase_user('ob_admin', 'admin');
create temporary table t (name text primary key, id uuid) on commit drop;
insert into t values ('ma', tests.enroll('ob_student', 'medical-assistant'));
select results_eq(
  $$ select message ->> 'partner_slug', message ->> 'student_email', message ->> 'program_slug' from queue.jobs
     where queue_name = 'partner_enrollment' and (message ->> 'step_id')::uuid = tests.step_id((select id from t), 1) $$,
  $$ values ('hsi'::text, 'ob_student@test.local'::text, 'medical-assistant'::text) $$,
  'enrolling should queue the partner enrollment of the first step with what the partner needs');

-- success: the partner's id and launch URL are stored, the student is emailed, the job is done
select is(public.record_partner_enrollment(
  (select msg_id from queue.jobs where (message ->> 'step_id')::uuid = tests.step_id((select id from t), 1)),
  'HSI-OB-1', 'https://hsi.example/launch/1'), 'linked', 'record_partner_enrollment should link the step');
select results_eq($$ select external_enrollment_id, launch_url from public.enrollment_steps where id = tests.step_id((select id from t), 1) $$,
  $$ values ('HSI-OB-1'::text, 'https://hsi.example/launch/1'::text) $$, 'the partner id and launch URL should be stored');
select is((select count(*)::int from queue.jobs where queue_name = 'email' and message ->> 'template' = 'step_started'
           and message ->> 'to' = 'ob_student@test.local'), 1, 'the student should get one "step started" email');
select is((select count(*)::int from queue.jobs where queue_name = 'partner_enrollment'
           and (message ->> 'step_id')::uuid = tests.step_id((select id from t), 1)), 0, 'the job should be done');

-- dead letter: the step fails, admins are alerted, an admin retry re-queues it
select public.mark_step_complete(tests.step_id((select id from t), 1));
update queue.queues set max_attempts = 1 where queue_name = 'partner_enrollment';
select queue.read('partner_enrollment', 30, 100);
select is(queue.fail('partner_enrollment', (select msg_id from queue.jobs where (message ->> 'step_id')::uuid = tests.step_id((select id from t), 2)), 'connection refused'),
  'dead', 'the last failed attempt should be dead');
select results_eq($$ select status, error_message from public.enrollment_steps where id = tests.step_id((select id from t), 2) $$,
  $$ values ('failed'::text, 'connection refused'::text) $$, 'a dead partner enrollment should fail its step with the error');
select is((select count(*)::int from public.admin_alerts where step_id = tests.step_id((select id from t), 2) and kind = 'partner_enrollment_failed'),
  1, 'an admin alert should be recorded');
select ok((select count(*) from queue.jobs where queue_name = 'email' and message ->> 'template' = 'admin_alert'
           and message ->> 'to' = 'ob_admin@test.local') = 1, 'every admin should be emailed about it');
select public.admin_retry_step(tests.step_id((select id from t), 2), 'Certiport is back');
select is((select count(*)::int from queue.jobs where queue_name = 'partner_enrollment'
           and (message ->> 'step_id')::uuid = tests.step_id((select id from t), 2)), 1, 'an admin retry should queue the enrollment again');

-- manual partners: an alert instead of a call; entering the id resolves it
insert into t values ('admin-asst', tests.enroll('ob_student', 'administrative-assistant'));
select is((select count(*)::int from public.admin_alerts where step_id = tests.step_id((select id from t where name = 'admin-asst'), 1)
           and kind = 'manual_enrollment_needed' and resolved_at is null), 1, 'a manual partner should raise a manual-enrollment alert');
select public.admin_link_step(tests.step_id((select id from t where name = 'admin-asst'), 1), 'JRI-OB-7', 'enrolled by phone');
select is((select count(*)::int from public.admin_alerts where step_id = tests.step_id((select id from t where name = 'admin-asst'), 1)
           and resolved_at is null), 0, 'entering the partner id should resolve the alert');

-- the certificate: exactly one, when the enrollment completes
select public.mark_step_complete(tests.step_id((select id from t where name = 'admin-asst'), 1));
select public.mark_step_complete(tests.step_id((select id from t where name = 'admin-asst'), 2));
select is((select count(*)::int from public.certificates where enrollment_id = (select id from t where name = 'admin-asst')), 1,
  'a completed enrollment should get exactly one certificate');
select matches((select verification_code from public.certificates where enrollment_id = (select id from t where name = 'admin-asst')),
  '^[0-9a-f]{32}$', 'the verification code should be 32 hex characters (122 random bits)');

-- periodic checks: stuck nudges at most once per step per week; SLA breaches once per start
insert into t values ('stuck', tests.enroll('ob_student', 'cna'));
update public.enrollment_steps set started_at = now() - interval '15 days'
  where id = tests.step_id((select id from t where name = 'stuck'), 1);
select public.run_periodic_checks();
select is((select count(*)::int from queue.jobs where queue_name = 'email' and message ->> 'template' = 'stuck_nudge'
           and (message -> 'context' ->> 'step_id')::uuid = tests.step_id((select id from t where name = 'stuck'), 1)),
  1, 'a student stuck over 7 days should be nudged');
select is((select (message -> 'context' ->> 'days')::int from queue.jobs where message ->> 'template' = 'stuck_nudge'
           and (message -> 'context' ->> 'step_id')::uuid = tests.step_id((select id from t where name = 'stuck'), 1)),
  15, 'the nudge should say how many days');
select is((select count(*)::int from public.admin_alerts where kind = 'sla_breach'
           and step_id = tests.step_id((select id from t where name = 'stuck'), 1)), 1,
  'a step over its partner''s expected days (HSI: 14) should raise an SLA alert');
select is(public.run_periodic_checks() ->> 'sla_breaches', '0', 'running the checks again should raise nothing new');
select is((select count(*)::int from queue.jobs where message ->> 'template' = 'stuck_nudge'
           and (message -> 'context' ->> 'step_id')::uuid = tests.step_id((select id from t where name = 'stuck'), 1)),
  1, 'and nudge nobody twice in the same week');
update public.enrollment_steps set started_at = now() - interval '22 days'
  where id = tests.step_id((select id from t where name = 'stuck'), 1);
select public.run_periodic_checks();
select is((select count(*)::int from queue.jobs where message ->> 'template' = 'stuck_nudge'
           and (message -> 'context' ->> 'step_id')::uuid = tests.step_id((select id from t where name = 'stuck'), 1)),
  2, 'a new stuck week (here: a start moved a week back) should get exactly one more nudge');

select * from finish();
rollback;
