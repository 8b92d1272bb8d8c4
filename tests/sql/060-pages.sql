-- The pages' and the CLI's SQL functions (student_progress, admin_dashboard, certificate_pdf,
-- demo_users, partner_events_to_replay) and the rules they share, each defined once:
-- step_display_state, step_is_done, step_awaits_manual_enrollment, waiting_event_statuses.
begin;
select plan(41);

delete from public.enrollments;
delete from public.partner_events;
select tests.create_supabase_user('pg_admin', 'admin');
select tests.create_supabase_user('pg_ann');
select tests.create_supabase_user('pg_bob');
create temporary table t (name text primary key, id uuid) on commit drop;
grant all on t to public;
insert into t values ('ann_barber', tests.enroll('pg_ann', 'barber')),
                     ('ann_cpr', tests.enroll('pg_ann', 'cpr-first-aid')),
                     ('bob_cna', tests.enroll('pg_bob', 'cna')),
                     ('admin_cna', tests.enroll('pg_admin', 'cna'));
-- Ann: Milady done, now at JRI (manual, nobody has entered JRI's id yet); CPR finished (certificate)
select public.mark_step_complete(tests.step_id((select id from t where name = 'ann_barber'), 1));
select public.mark_step_complete(tests.step_id((select id from t where name = 'ann_cpr'), 1));
update public.enrollment_steps set error_message = 'secret partner error'
  where id = tests.step_id((select id from t where name = 'ann_barber'), 2);
-- Bob: at HSI with a launch link
update public.enrollment_steps set external_enrollment_id = 'HSI-BOB', launch_url = 'https://hsi.example/launch/bob'
  where id = tests.step_id((select id from t where name = 'bob_cna'), 1);

-- the rules, once
select results_eq(
  $$ select private.step_display_state(s, a, x, u) from (values
       ('completed', 'rest', 'X', null), ('skipped', 'manual', null, null), ('failed', 'rest', null, null),
       ('pending', 'rest', null, null), ('in_progress', 'rest', 'X', 'https://p.example/l'),
       ('in_progress', 'manual', 'J', 'HTTP://p.example/l'), ('in_progress', 'manual', null, null),
       ('in_progress', 'manual', 'J', null), ('in_progress', 'rest', null, null),
       ('in_progress', 'rest', 'X', 'javascript:alert(1)'), ('in_progress', 'rest', 'X', null),
       ('in_progress', 'rest', null, 'javascript:alert(1)')) v(s, a, x, u) $$,
  $$ values ('completed'), ('skipped'), ('failed'), ('pending'), ('launch'), ('launch'), ('manual'), ('linked'),
            ('setup'), ('linked'), ('linked'), ('setup') $$,
  'step_display_state: the status, or for the step in progress launch / manual / linked (a partner id, whatever the adapter, no link) / setup');
select results_eq(
  $$ select private.step_is_done(s) from unnest(array['completed', 'skipped', 'failed', 'in_progress', 'pending']) s $$,
  $$ values (true), (true), (false), (false), (false) $$, 'finished means completed or skipped');
select is(private.safe_launch_url('javascript:alert(1)'), null, 'only http(s) URLs are links');
select is(private.waiting_event_statuses(), array['unmatched', 'deferred', 'rejected'], 'events to review');
select is(private.waiting_event_statuses(false), array['unmatched', 'deferred'], 'events waiting for their step');

-- the student's page
select tests.authenticate_as('pg_ann');
select is(jsonb_array_length(public.student_progress()), 2, 'Ann sees her two enrollments');
select results_eq(
  $$ select e ->> 'program_name', e ->> 'status', (e ->> 'done')::int, (e ->> 'total')::int, (e ->> 'percent')::int
     from jsonb_array_elements(public.student_progress()) e $$,
  $$ values ('Barber'::text, 'active'::text, 1, 2, 50), ('CPR & First Aid', 'completed', 1, 1, 100) $$,
  'active first; done / total / percent computed in SQL');
select results_eq(
  $$ select s ->> 'provider_slug', s ->> 'state', (s ->> 'linked')::boolean
     from jsonb_array_elements(public.student_progress() -> 0 -> 'steps') s $$,
  $$ values ('milady'::text, 'completed'::text, false), ('jri', 'manual', false) $$,
  'each step carries the state the student is told');
select is(
  (select count(*)::int from jsonb_array_elements(public.student_progress()) e, jsonb_array_elements(e -> 'steps') s
   where s ? 'error_message' or s::text like '%secret partner error%'),
  0, 'a partner''s raw error never reaches the student');
select ok((public.student_progress() -> 1 -> 'certificate' ->> 'verification_code') is not null,
  'the finished enrollment comes with its certificate');
select is((public.student_progress() -> 1 -> 'certificate' ->> 'ready')::boolean, false, 'whose PDF is not ready yet');
select throws_ok($$ select public.admin_dashboard() $$, '42501', null, 'a student cannot read the dashboard');
select throws_ok($$ select public.demo_users() $$, '42501', null, 'the demo users are for the service role');
select throws_ok($$ select public.partner_events_to_replay() $$, '42501', null, 'so are the events to replay');
select is(
  public.certificate_pdf(((public.student_progress() -> 1 -> 'certificate' ->> 'id'))::uuid),
  jsonb_build_object('id', public.student_progress() -> 1 -> 'certificate' -> 'id', 'pdf', null),
  'her certificate, still being prepared');
create temporary table ann_cert on commit drop as
  select (public.student_progress() -> 1 -> 'certificate' ->> 'id')::uuid as id;

select tests.authenticate_as('pg_bob');
select is(public.certificate_pdf((select id from ann_cert)), null, 'someone else''s certificate is not there at all');
select results_eq(
  $$ select s ->> 'state', s ->> 'launch_url' from jsonb_array_elements(public.student_progress() -> 0 -> 'steps') s $$,
  $$ values ('launch'::text, 'https://hsi.example/launch/bob'::text), ('pending', null) $$,
  'Bob can launch his HSI training');
select is(jsonb_array_length(public.student_progress()), 1, 'Bob sees only his own enrollment');

select tests.authenticate_as('pg_admin');
select is(
  (select array_agg(e ->> 'program_name') from jsonb_array_elements(public.student_progress()) e),
  array['Certified Nursing Assistant (CNA)'], 'an admin sees their own enrollments, not everybody''s');

select tests.clear_authentication();
update public.certificates set pdf = 'abc' where id = (select id from ann_cert);
select tests.authenticate_as('pg_ann');
select is(public.certificate_pdf((select id from ann_cert)) ->> 'pdf', 'YWJj', 'the PDF as base64');

-- the dashboard
select tests.clear_authentication();
insert into public.partner_events (provider_id, webhook_id, event_type, status, external_enrollment_id, payload, received_at)
select v.id, 'msg_pages_' || s, 'course.completed', s, 'EXT-' || s, '{}', now()
from public.partner_lms_providers v, unnest(array['unmatched', 'deferred', 'rejected', 'processed']) s
where v.slug = 'hsi';
select tests.authenticate_as('pg_admin');
select isnt(public.refresh_monitoring(), null, 'the snapshot is fresh');
select is(
  (select array_agg(k order by k) from jsonb_object_keys(public.admin_dashboard()) k),
  array['all_programs', 'all_providers', 'awaiting', 'bottlenecks', 'failed', 'funnel', 'partner_events', 'pipeline',
        'programs', 'queues', 'settings', 'stuck', 'summary', 'table_sizes', 'waiting_events', 'weekly'],
  'every panel, the summary and the filter menus in one call');
select is((public.admin_dashboard() -> 'summary' ->> 'waiting_events')::int, 3,
  'webhook events to review: unmatched, deferred, rejected');
select is((public.admin_dashboard() -> 'summary' ->> 'waiting_events')::int,
  (select count(*)::int from public.monitor_waiting_events()),
  'the summary counts what the waiting-events list shows (one definition)');
select is(jsonb_array_length(public.admin_dashboard(p_partner => 'jri') -> 'awaiting'), 1,
  'Ann waits for a manual enrollment at JRI');
select is(
  (select array_agg(a ->> 'step_id' order by a ->> 'step_id') from jsonb_array_elements(public.admin_dashboard() -> 'awaiting') a),
  (select array_agg(x.id::text order by x.id::text) from public.enrollment_steps x
   join public.partner_lms_providers v on v.id = x.provider_id
   where private.step_display_state(x.status, v.adapter, x.external_enrollment_id, x.launch_url) = 'manual'),
  'the dashboard''s awaiting list is exactly the steps the student page calls manual');
select is((public.admin_dashboard(p_rows => 1) -> 'summary' ->> 'awaiting'), '1+', 'a full list says so');
select is(jsonb_array_length(public.admin_dashboard(p_partner => 'hsi') -> 'pipeline'), 1, 'the partner filter');
select is(
  (select array_agg(distinct p ->> 'program_slug') from jsonb_array_elements(public.admin_dashboard(p_program => 'cna') -> 'programs') p),
  array['cna'], 'the program filter');
select cmp_ok(jsonb_array_length(public.admin_dashboard(p_program => 'cna') -> 'all_programs'), '>', 1,
  'the filter menu still offers every program');

-- the settings: one row, read by SQL, shown on the dashboard
select is(public.get_settings() ->> 'stuck_after_days', '7', 'an admin reads the settings');
select is(public.admin_dashboard() -> 'settings' ->> 'stuck_after_days', '7', 'the dashboard shows the stuck line');
select is(public.admin_dashboard() -> 'settings' ->> 'dashboard_list_rows', '50', 'and the rows per list');
select is(jsonb_array_length(public.admin_dashboard(p_partner => 'jri') -> 'stuck'), 0, 'Ann went to JRI today');
select throws_ok($$ update private.settings set stuck_after_days = 0 $$, '42501', null, 'admins do not change them here');
select tests.clear_authentication();
update public.enrollment_steps set started_at = now() - interval '3 days'
  where id = tests.step_id((select id from t where name = 'ann_barber'), 2);
update private.settings set stuck_after_days = 2;
select tests.authenticate_as('pg_admin');
select is(jsonb_array_length(public.admin_dashboard(p_partner => 'jri') -> 'stuck'), 1,
  'with the stuck line at 2 days, 3 days at JRI is stuck');
select is((select count(*)::int from public.monitor_stuck_students() where provider_slug = 'jri'), 1,
  'monitor_stuck_students follows the stuck line by default');
select isnt(public.refresh_monitoring(), null, 'refreshed with the new stuck line');
select is((select stuck from public.monitor_bottlenecks() where provider_slug = 'jri'), 1,
  'so do the snapshot''s bottlenecks');
select tests.authenticate_as('pg_ann');
select is(public.get_settings(), null, 'a student does not see the settings');

-- each rule is written once: no other function body spells it out
select tests.clear_authentication();
select is(
  (select array_agg(p.oid::regprocedure::text order by 1) from pg_proc p
   where p.pronamespace in ('public'::regnamespace, 'private'::regnamespace, 'queue'::regnamespace)
     and (p.prosrc ~ $re$\('completed', 'skipped'\)$re$ and p.proname <> 'step_is_done'
          or p.prosrc ~ $re$'unmatched', 'deferred'$re$ and p.proname <> 'waiting_event_statuses'
          or p.prosrc ~ $re$adapter = 'manual'$re$ and p.proname not in ('step_awaits_manual_enrollment', 'step_display_state')
          or p.prosrc ~ $re$interval '7 days'|default 7\M$re$
          or p.prosrc ~ $re$set_config\('app\.step_(reason|actor_role)'$re$ and p.proname <> 'set_audit_context')),
  null, 'the done-set, the waiting statuses, the manual-enrollment wait, the stuck line and the audit context (set_audit_context) each have one definition');

select * from finish();
rollback;
