begin;
select plan(27);

select tests.create_supabase_user('ov_student');
select tests.create_supabase_user('ov_admin', 'admin');
create temporary table t (name text primary key, id uuid) on commit drop;
grant all on t to public;
insert into t values ('ma', tests.enroll('ov_student', 'medical-assistant'));
create function pg_temp.step(p_order int) returns uuid language sql as
  $$ select tests.step_id((select id from t where name = 'ma'), p_order) $$;
grant execute on function pg_temp.step(int) to public;  -- new functions are nobody's by default

-- who may override
select tests.authenticate_as('ov_student');
select throws_ok(format('select public.admin_fail_step(%L, %L)', pg_temp.step(1), 'because I can'),
  '42501', null, 'a student should not be able to fail a step');
select throws_ok(format('select public.admin_complete_step(%L, %L)', pg_temp.step(1), 'because I can'),
  '42501', null, 'a student should not be able to complete a step by hand');
select tests.authenticate_as_anon();
select throws_ok(format('select public.admin_skip_step(%L, %L)', pg_temp.step(1), 'because I can'),
  '42501', null, 'anon should not be able to skip a step');
select tests.clear_authentication();

select tests.authenticate_as('ov_admin');
select throws_ok(format('select public.admin_fail_step(%L, %L)', pg_temp.step(1), ' '),
  'PS007', null, 'an override without a reason should raise PS007');
select throws_ok($$ select public.admin_fail_step('00000000-0000-0000-0000-00000000dead', 'no such step') $$,
  'PS002', null, 'overriding an unknown step should raise PS002');
select throws_ok(format('select public.admin_retry_step(%L, %L)', pg_temp.step(1), 'not failed yet'),
  'PS003', null, 'retrying a step that has not failed should raise PS003');
select throws_ok(format('select public.admin_fail_step(%L, %L)', pg_temp.step(2), 'pending'),
  'PS003', null, 'failing a pending step should raise PS003');

-- fail: in_progress -> failed, reason kept as the error
select lives_ok(format('select public.admin_fail_step(%L, %L)', pg_temp.step(1), 'partner says the student never logged in'),
  'an admin should be able to fail an in-progress step');
select tests.clear_authentication();
select results_eq(format('select status, error_message from public.enrollment_steps where id = %L', pg_temp.step(1)),
  $$ values ('failed'::text, 'partner says the student never logged in'::text) $$,
  'the failed step should carry the reason as its error');
select results_eq(format('select actor_id, actor_role, reason from public.step_transitions where step_id = %L and to_status = %L', pg_temp.step(1), 'failed'),
  format($$ values (%L::uuid, 'admin'::text, 'partner says the student never logged in'::text) $$, tests.get_supabase_uid('ov_admin')),
  'the audit trail should record the acting admin and the reason');

-- retry: failed -> in_progress
select tests.authenticate_as('ov_admin');
select is(public.admin_retry_step(pg_temp.step(1), 'student asked for another try'), pg_temp.step(1),
  'retry should return the step');
select tests.clear_authentication();
select results_eq(format('select status, error_message from public.enrollment_steps where id = %L', pg_temp.step(1)),
  $$ values ('in_progress'::text, null::text) $$, 'the retried step should be in progress again with no error');

-- complete by hand: from failed as well as in_progress, then advance
select tests.authenticate_as('ov_admin');
select public.admin_fail_step(pg_temp.step(1), 'second failure');
select is(public.admin_complete_step(pg_temp.step(1), 'HSI confirmed by phone', 'HSI-BY-PHONE'), pg_temp.step(2),
  'completing a failed step by hand should start the next step');
select tests.clear_authentication();
select results_eq(format('select status, external_enrollment_id from public.enrollment_steps where id = %L', pg_temp.step(1)),
  $$ values ('completed'::text, 'HSI-BY-PHONE'::text) $$, 'the hand-completed step should store the partner id');
select results_eq(format($$ select actor_role, reason from public.step_transitions where step_id = %L and to_status = 'completed' $$, pg_temp.step(1)),
  $$ values ('admin'::text, 'HSI confirmed by phone'::text) $$, 'the manual completion should be audited with its reason');
select results_eq(format($$ select actor_role, reason from public.step_transitions where step_id = %L and to_status = 'in_progress' $$, pg_temp.step(2)),
  $$ values ('admin'::text, 'previous steps done'::text) $$, 'the step it started should be attributed to the admin''s action');

-- skip: in_progress -> skipped, advance
select tests.authenticate_as('ov_admin');
select is(public.admin_skip_step(pg_temp.step(2), 'already certified at Certiport'), pg_temp.step(3),
  'skipping the current step should start the next one');
select is(public.admin_skip_step(pg_temp.step(3), 'waived by program director'), null,
  'skipping the last step should return null');
select throws_ok(format('select public.admin_skip_step(%L, %L)', pg_temp.step(3), 'again'),
  'PS003', null, 'skipping a skipped step should raise PS003');
select throws_ok(format('select public.admin_complete_step(%L, %L)', pg_temp.step(2), 'after skip'),
  'PS003', null, 'completing a skipped step should raise PS003');
select tests.clear_authentication();
select is((select status from public.enrollments where id = (select id from t where name = 'ma')), 'completed',
  'an enrollment whose remaining steps were skipped should be completed');

-- the admin functions change nothing when refused
select is((select count(*)::int from public.step_transitions where enrollment_id = (select id from t where name = 'ma')
           and actor_role not in ('admin', 'postgres')), 0, 'no transition should be attributed to the refused callers');

-- service role and a direct DBA session may override too (attributed accordingly)
insert into t values ('cpr', tests.enroll('ov_student', 'cpr-first-aid'));
select tests.authenticate_as_service_role();
select lives_ok(format('select public.admin_fail_step(%L, %L)', tests.step_id((select id from t where name = 'cpr'), 1), 'dead letter: partner API down'),
  'the service role should be able to fail a step');
select tests.clear_authentication();
select is((select actor_role from public.step_transitions where step_id = tests.step_id((select id from t where name = 'cpr'), 1) and to_status = 'failed'),
  'service_role', 'a service-role override should be attributed to service_role');
select lives_ok(format('select public.admin_skip_step(%L, %L)', tests.step_id((select id from t where name = 'cpr'), 1), 'DBA cleanup'),
  'a direct database session (DBA in psql) should be able to override');
select is((select actor_role from public.step_transitions where step_id = tests.step_id((select id from t where name = 'cpr'), 1) and to_status = 'skipped'),
  'postgres', 'a DBA override should be attributed to the session user');
select is((select reason from public.step_transitions where step_id = tests.step_id((select id from t where name = 'cpr'), 1) and to_status = 'skipped'),
  'DBA cleanup', 'with its reason');

select * from finish();
rollback;
