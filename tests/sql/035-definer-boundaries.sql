-- What the security advisor's design means for callers: the public entry points behave as the
-- definer functions did (same answers, same refusals), the definer bodies in private still check
-- the caller when called directly, and raw partner errors reach admins but never students.
begin;
select plan(16);

select tests.create_supabase_user('db_student');
select tests.create_supabase_user('db_other');
select tests.create_supabase_user('db_admin', 'admin');
create temporary table t (name text primary key, id uuid) on commit drop;
grant all on t to public;
insert into t values ('student', tests.enroll('db_student', 'cna')), ('other', tests.enroll('db_other', 'barber'));
-- the student's partner enrollment failed once (the error stays on the step in progress)
update public.enrollment_steps set error_message = 'HTTP 500 from https://partner.example/api?key=sk_live_SECRET'
where id = tests.step_id((select id from t where name = 'student'), 1);
-- the other student finished: a certificate with its code
select public.mark_step_complete(tests.step_id((select id from t where name = 'other'), 1)),
       public.mark_step_complete(tests.step_id((select id from t where name = 'other'), 2));
create temporary table code on commit drop as
  select c.verification_code from public.certificates c where c.enrollment_id = (select id from t where name = 'other');
grant select on code to public;

-- students: no raw partner error, by any path
select tests.authenticate_as('db_student');
select is(tests.try($$ select error_message from public.enrollment_steps $$), '42501',
  'a student should not be able to read error_message from their steps');
select is(tests.try_count($$ select id, status, progress_percent from public.enrollment_steps $$), '2',
  'a student should still read every other column of their own steps');
select is((select error_message from public.get_current_step((select id from t where name = 'student'))), null,
  'get_current_step should give a student their step without the partner error');
select is((select sequence_order from public.get_current_step((select id from t where name = 'student'))), 1,
  'get_current_step should still give a student their step in progress');
select is(tests.try($$ select public.monitor_failed_enrollments() $$), '42501',
  'a student should not reach the failed-enrollment list through its entry point');
select is(tests.try($$ select private.monitor_failed_enrollments() $$), '42501',
  'a student calling the definer body directly should be refused by its caller check');
select is(tests.try(format('select private.admin_fail_step(%L, %L)',
                           tests.step_id((select id from t where name = 'student'), 1), 'skipping the wrapper')),
  '42501', 'a student calling an override''s definer body directly should be refused by its caller check');
select tests.clear_authentication();

-- the service role reads the error where it works
select tests.authenticate_as_service_role();
select alike((select error_message from public.get_current_step((select id from t where name = 'student'))), 'HTTP 500%',
  'get_current_step should give the service role the partner error');
select tests.clear_authentication();

-- admins: errors through the admin-only function, overrides through the entry points
select tests.authenticate_as('db_admin');
select is(tests.try($$ select error_message from public.enrollment_steps $$), '42501',
  'an admin should not read error_message from the table either (the dashboard uses the monitoring functions)');
select lives_ok(format('select public.admin_fail_step(%L, %L)',
                       tests.step_id((select id from t where name = 'student'), 1), 'partner rejected the enrollment'),
  'an admin should fail a step through the public entry point');
select is((select f.error_message from public.monitor_failed_enrollments() f
           where f.step_id = tests.step_id((select id from t where name = 'student'), 1)),
  'partner rejected the enrollment', 'an admin should see the failed step''s error on the dashboard list');
select is((select count(*)::int from public.monitor_pipeline()) > 0, true,
  'an admin should read the monitoring snapshot through the public entry point');
select tests.clear_authentication();

-- visitors: the certificate check and nothing else
select tests.authenticate_as_anon();
select is(public.verify_certificate((select verification_code from code)) ->> 'status', 'valid',
  'a visitor should verify a certificate code through the public entry point');
select is(public.verify_certificate('0123456789abcdef0123456789abcdef'), null,
  'a visitor checking an unknown code should get nothing');
select is(tests.try($$ select private.monitor_pipeline() $$), '42501',
  'a visitor should not execute any other private function');
select is(tests.try($$ select public.refresh_monitoring() $$), '42501',
  'a visitor should not refresh the monitoring snapshot');
select tests.clear_authentication();

select * from finish();
rollback;
