-- Monitoring functions: correct numbers on a crafted dataset at a frozen "now", admin-only.
begin;
select plan(26);

-- a clean slate with a crafted dataset; "now" frozen at 2026-06-15 12:00 UTC
delete from public.enrollments;
delete from public.partner_events;
delete from queue.jobs;
select tests.create_supabase_user('mon_admin', 'admin');
select tests.create_supabase_user('mon_a');
select tests.create_supabase_user('mon_b');
select tests.create_supabase_user('mon_c');
select tests.create_supabase_user('mon_d');
create temporary table t (name text primary key, id uuid) on commit drop;
grant all on t to public;
insert into t values ('a', tests.enroll('mon_a', 'cna')), ('b', tests.enroll('mon_b', 'cna')),
                     ('c', tests.enroll('mon_c', 'cna')), ('d', tests.enroll('mon_d', 'medical-assistant'));
-- a: both steps completed (HSI in 2 days, Certiport in 4 days), finished on 2026-06-10
select public.mark_step_complete(tests.step_id((select id from t where name = 'a'), 1));
select public.mark_step_complete(tests.step_id((select id from t where name = 'a'), 2));
update public.enrollment_steps set started_at = '2026-06-04 12:00+00', completed_at = '2026-06-06 12:00+00'
  where id = tests.step_id((select id from t where name = 'a'), 1);
update public.enrollment_steps set started_at = '2026-06-06 12:00+00', completed_at = '2026-06-10 12:00+00'
  where id = tests.step_id((select id from t where name = 'a'), 2);
update public.enrollments set completed_at = '2026-06-10 12:00+00' where id = (select id from t where name = 'a');
-- b: HSI done in 6 days, at Certiport since 2026-06-05 (10 days: stuck)
select public.mark_step_complete(tests.step_id((select id from t where name = 'b'), 1));
update public.enrollment_steps set started_at = '2026-05-30 12:00+00', completed_at = '2026-06-05 12:00+00'
  where id = tests.step_id((select id from t where name = 'b'), 1);
update public.enrollment_steps set started_at = '2026-06-05 12:00+00' where id = tests.step_id((select id from t where name = 'b'), 2);
-- c: HSI failed
select public.admin_fail_step(tests.step_id((select id from t where name = 'c'), 1), 'partner API down');
-- d: at HSI since 2026-05-26 (20 days: stuck and over HSI's 14-day SLA)
update public.enrollment_steps set started_at = '2026-05-26 12:00+00' where id = tests.step_id((select id from t where name = 'd'), 1);

select tests.authenticate_as('mon_admin');
select isnt(public.refresh_monitoring('2026-06-15 12:00+00'), null, 'an admin should be able to refresh the snapshot');

select results_eq(
  $$ select provider_slug, pending, in_progress, completed, failed, total, completion_rate from public.monitor_pipeline()
     where provider_slug in ('hsi', 'certiport', 'careersafe') order by 1 $$,
  $$ values ('careersafe'::text, 1, 0, 0, 0, 1, null::numeric),
            ('certiport', 2, 1, 1, 0, 4, 0.5000),
            ('hsi', 0, 1, 2, 1, 4, 0.5000) $$,
  'the pipeline should count steps per partner and status, with completion rates');

select results_eq(
  $$ select enrollments, active, completed, completion_rate from public.monitor_program_completion() where program_slug = 'cna' $$,
  $$ values (3, 2, 1, 0.3333) $$, 'CNA: 3 enrollments, 1 completed');

select results_eq(
  $$ select student_name, provider_slug, days_stuck from public.monitor_stuck_students(7, 10, '2026-06-15 12:00+00') $$,
  $$ values ('Mon_D'::text, 'hsi'::text, 20), ('Mon_B', 'certiport', 10) $$,
  'stuck students: in progress over 7 days, oldest first, with days stuck');
select is((select count(*)::int from public.monitor_stuck_students(15, 10, '2026-06-15 12:00+00')), 1,
  'the threshold is a parameter');
select is((select email from public.monitor_stuck_students(7, 1, '2026-06-15 12:00+00')), 'mon_d@test.local',
  'stuck students come with a contact email');

select results_eq(
  $$ select provider_slug, median_days, p90_days, completed, in_progress, stuck, sla_breaches from public.monitor_bottlenecks()
     where provider_slug in ('hsi', 'certiport') order by 1 $$,
  $$ values ('certiport'::text, 4.0, 4.0, 1, 1, 1, 0), ('hsi', 4.0, 5.6, 2, 1, 1, 1) $$,
  'bottlenecks: median/p90 days in step, in progress, stuck and SLA breaches per partner');

select results_eq(
  $$ select sequence_order, provider_slug, reached, completed, failed, stalled, in_progress from public.monitor_funnel('cna') $$,
  $$ values (1, 'hsi'::text, 3, 2, 1, 0, 0), (2, 'certiport', 2, 1, 0, 1, 1) $$,
  'the CNA funnel: 3 reached HSI, 2 passed, 1 failed; 2 reached Certiport, 1 finished, 1 stalled');

select results_eq(
  $$ select week_start, completions from public.monitor_weekly_completions(3) $$,
  $$ values ('2026-06-01'::date, 0), ('2026-06-08', 1), ('2026-06-15', 0) $$,
  'weekly completions should include empty weeks');

select results_eq(
  $$ select student_name, provider_slug, error_message from public.monitor_failed_enrollments() $$,
  $$ values ('Mon_C'::text, 'hsi'::text, 'partner API down'::text) $$, 'failed enrollments with their error');

select tests.clear_authentication();
select public.receive_partner_event('hsi', 'mon-1', '{"type": "course.completed", "data": {"external_enrollment_id": "NOBODY"}}');
select public.receive_partner_event('hsi', 'mon-2', '[]');
select tests.authenticate_as('mon_admin');
select results_eq(
  $$ select unmatched, deferred, rejected, last_event_at is not null from public.monitor_partner_events() where provider_slug = 'hsi' $$,
  $$ values (1, 0, 1, true) $$, 'partner events: unmatched and rejected counted, last event known');
select is((select count(*)::int from public.monitor_waiting_events()), 2, 'both events are listed for action');
select results_eq(
  $$ select ready > 0, oldest_enqueued_at is not null from public.monitor_queues() where queue_name = 'partner_enrollment' $$,
  $$ values (true, true) $$, 'queue depth and oldest job are reported');
select is((select count(*)::int from public.monitor_awaiting_enrollment()), 0, 'no manual enrollment is awaited here');
select tests.clear_authentication();

-- who may read it
select tests.authenticate_as('mon_a');
select throws_ok($$ select * from public.monitor_pipeline() $$, '42501', null, 'a student should not read the pipeline');
select throws_ok($$ select * from public.monitor_stuck_students() $$, '42501', null, 'a student should not read stuck students');
select throws_ok($$ select * from public.monitor_failed_enrollments() $$, '42501', null, 'a student should not read failures');
select throws_ok($$ select * from public.monitor_partner_events() $$, '42501', null, 'a student should not read partner events');
select throws_ok($$ select * from public.monitor_queues() $$, '42501', null, 'a student should not read queues');
select throws_ok($$ select public.refresh_monitoring() $$, '42501', null, 'a student should not refresh the snapshot');
select throws_ok($$ select public.admin_replay_event(1, 'nope nope') $$, '42501', null, 'a student should not replay events');
select tests.clear_authentication();
select tests.authenticate_as_anon();
select throws_ok($$ select * from public.monitor_pipeline() $$, '42501', null, 'anon should not read the pipeline');
select throws_ok($$ select * from public.monitor_funnel() $$, '42501', null, 'anon should not read the funnel');
select throws_ok($$ select * from public.monitor_bottlenecks() $$, '42501', null, 'anon should not read bottlenecks');
select tests.clear_authentication();

-- admin actions leave an audit entry
select tests.authenticate_as('mon_admin');
select public.admin_retry_step(tests.step_id((select id from t where name = 'c'), 1), 'partner is back');
select (public.admin_replay_event((select id from public.partner_events where webhook_id = 'mon-1'), 'try again'));
select tests.clear_authentication();
select results_eq(
  $$ select actor_id, actor_role, action, reason from public.admin_actions order by id $$,
  format($$ values (%L::uuid, 'postgres'::text, 'fail_step'::text, 'partner API down'::text),
                   (%L::uuid, 'admin', 'retry_step', 'partner is back'),
                   (%L::uuid, 'admin', 'replay_event', 'try again') $$,
         null, tests.get_supabase_uid('mon_admin'), tests.get_supabase_uid('mon_admin')),
  'every admin action should be logged with who, what and why');
select is((select status from public.enrollment_steps where id = tests.step_id((select id from t where name = 'c'), 1)),
  'in_progress', 'the retry should have moved the step');

select * from finish();
rollback;
