-- Retention (issue 12): windows in private.settings, private.purge_expired_data() deleting one
-- bounded batch per table of what is past its window while keeping the partner events a step still
-- needs, run by public.run_periodic_checks(), and the admin-only table-size monitor.
begin;
select plan(26);

select is(
  (select pg_catalog.jsonb_build_array(partner_event_retention_days, queue_archive_retention_days, purge_batch_rows)
   from private.settings),
  '[180, 30, 1000]'::jsonb, 'the retention windows default to 180 days (partner events) and 30 days (queue archive), 1,000 rows per batch');

-- a clean slate: partner events and archived jobs, old and recent
delete from public.partner_events;
delete from queue.jobs_archive;
delete from private.signed_out_sessions;
select tests.create_supabase_user('ret_admin', 'admin');
select tests.create_supabase_user('ret_student');
select tests.create_supabase_user('ret_done');
select tests.create_supabase_user('ret_failed');
create temporary table t (name text primary key, id uuid) on commit drop;
grant all on t to public;
insert into t values ('in_progress', tests.step_id(tests.enroll('ret_student', 'cna'), 1)),
                     ('done', tests.step_id(tests.enroll('ret_done', 'cna'), 1)),
                     ('failed', tests.step_id(tests.enroll('ret_failed', 'cna'), 1));
select public.mark_step_complete((select id from t where name = 'done'));
select public.admin_fail_step((select id from t where name = 'failed'), 'partner API down');

insert into public.partner_events (provider_id, webhook_id, event_type, status, external_enrollment_id, step_id,
                                   payload, received_at)
select v.id, x.webhook_id, 'course.completed', x.status, 'EXT-' || x.webhook_id, (select id from t where name = x.step),
       '{"student": {"email": "someone@example.com", "name": "Some One"}}', now() - pg_catalog.make_interval(days => x.age)
from public.partner_lms_providers v,
  (values ('old_processed', 'processed', null, 200), ('old_ignored', 'ignored', null, 200),
          ('old_rejected', 'rejected', null, 200), ('old_of_done_step', 'processed', 'done', 200),
          ('old_unmatched', 'unmatched', null, 400), ('old_deferred', 'deferred', 'in_progress', 400),
          ('old_received', 'received', null, 200), ('old_of_step_in_progress', 'processed', 'in_progress', 200),
          ('old_of_failed_step', 'processed', 'failed', 200), ('recent_processed', 'processed', null, 10))
  as x (webhook_id, status, step, age)
where v.slug = 'hsi';

insert into queue.jobs_archive (msg_id, queue_name, message, enqueued_at, read_ct, outcome, archived_at)
select -x.n, 'email', '{"to": "someone@example.com"}', now() - pg_catalog.make_interval(days => x.age + 1), 1,
       x.outcome, now() - pg_catalog.make_interval(days => x.age)
from (values (1, 'done', 40), (2, 'dead', 40), (3, 'done', 31), (4, 'done', 5)) as x (n, outcome, age);

-- bounded work: one call deletes at most the batch size per table, oldest first
select is(private.purge_expired_data(2), '{"partner_events": 2, "queue_archive": 2, "signed_out_sessions": 0}'::jsonb,
  'a purge deletes at most one batch per table');
select is((select count(*)::integer from public.partner_events), 8, 'eight partner events are left after one batch of two');
select is((select count(*)::integer from queue.jobs_archive), 2, 'two archived jobs are left after one batch of two');

-- the worker's periodic checks run the purge as the service role and report it
select tests.authenticate_as_service_role();
create temporary table checks on commit drop as select public.run_periodic_checks() as r;
select tests.clear_authentication();
select is((select r -> 'purged' from checks), '{"partner_events": 2, "queue_archive": 1, "signed_out_sessions": 0}'::jsonb,
  'run_periodic_checks purges the rest past the windows and reports the counts');
select ok((select r ? 'stuck_nudges' and r ? 'sla_breaches' from checks),
  'run_periodic_checks still reports stuck nudges and SLA alerts');
select is(private.purge_expired_data(), '{"partner_events": 0, "queue_archive": 0, "signed_out_sessions": 0}'::jsonb,
  'nothing more is past its window');

-- what a step still needs survives, however old
select set_eq(
  $$ select webhook_id from public.partner_events $$,
  array['old_unmatched', 'old_deferred', 'old_received', 'old_of_step_in_progress', 'old_of_failed_step',
        'recent_processed'],
  'events waiting for a step, not applied yet, or of an unfinished step are kept; recent ones too');
select set_eq($$ select -msg_id from queue.jobs_archive $$, array[4::bigint], 'the recent archived job is kept');
select ok(exists (select 1 from public.partner_events where webhook_id = 'old_unmatched'),
  'an unmatched event 400 days old is still there for the step it waits for');

-- the windows come from private.settings
update private.settings set partner_event_retention_days = 7, queue_archive_retention_days = 1;
select is(private.purge_expired_data(), '{"partner_events": 1, "queue_archive": 1, "signed_out_sessions": 0}'::jsonb,
  'shorter windows in private.settings purge the younger rows too');
select set_eq(
  $$ select webhook_id from public.partner_events $$,
  array['old_unmatched', 'old_deferred', 'old_received', 'old_of_step_in_progress', 'old_of_failed_step'],
  'and still keep what a step needs');
update private.settings set partner_event_retention_days = 365;
update public.partner_events set status = 'processed' where webhook_id = 'old_received';
select is(private.purge_expired_data(), '{"partner_events": 0, "queue_archive": 0, "signed_out_sessions": 0}'::jsonb,
  'a longer window keeps an event of 200 days');
update private.settings set partner_event_retention_days = 180;
select is(private.purge_expired_data(), '{"partner_events": 1, "queue_archive": 0, "signed_out_sessions": 0}'::jsonb,
  'an event purges once applied and past the window');
select throws_ok($$ update private.settings set partner_event_retention_days = 3 $$, '23514', null,
  'a partner event window under a week is refused');
select throws_ok($$ update private.settings set purge_batch_rows = 0 $$, '23514', null, 'a batch size of 0 is refused');
select throws_ok($$ select private.purge_expired_data(0) $$, '22023', null, 'a purge of 0 rows per batch is refused');

-- only the service role (and the DBA) purge
select tests.authenticate_as('ret_admin');
select throws_ok($$ select private.purge_expired_data() $$, '42501', null, 'an admin may not call the purge');

-- the table-size monitor: admins only
select set_eq(
  $$ select table_name from public.monitor_table_sizes() $$,
  array['public.partner_events', 'queue.jobs', 'queue.jobs_archive', 'queue.job_keys', 'public.step_transitions',
        'public.email_sends', 'public.certificates'],
  'an admin sees the size of every table that grows with traffic');
select ok((select bool_and(total_bytes > 0) from public.monitor_table_sizes()), 'with their total bytes');
select tests.clear_authentication();
analyze public.partner_events;
select tests.authenticate_as('ret_admin');
select is((select rows_estimate from public.monitor_table_sizes() where table_name = 'public.partner_events'), 4::bigint,
  'and their row estimate once analyzed');
select is(pg_catalog.jsonb_array_length(public.admin_dashboard() -> 'table_sizes'), 7,
  'the admin dashboard shows the table sizes');
select tests.authenticate_as_service_role();
select is((select count(*)::integer from public.monitor_table_sizes()), 7, 'the service role sees them too');
select tests.authenticate_as('ret_student');
select throws_ok($$ select * from public.monitor_table_sizes() $$, '42501', null, 'a student may not read table sizes');
select throws_ok($$ select * from private.monitor_table_sizes() $$, '42501', null, 'nor call the body');
select tests.authenticate_as_anon();
select throws_ok($$ select * from public.monitor_table_sizes() $$, '42501', null, 'nor may a visitor');
select tests.clear_authentication();

select * from finish();
rollback;
