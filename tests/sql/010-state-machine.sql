begin;
select plan(44);

select tests.create_supabase_user('sm_student');
create temporary table t (name text primary key, id uuid) on commit drop;
insert into t values ('ma', tests.enroll('sm_student', 'medical-assistant'));

-- Inserting an enrollment is enough: steps generated, first started, same transaction
select is((select count(*)::int from public.enrollment_steps where enrollment_id = (select id from t where name = 'ma')),
  3, 'inserting an enrollment should generate one step per partner in the sequence');
select results_eq(
  $$ select status from public.enrollment_steps where enrollment_id = (select id from t where name = 'ma') order by sequence_order $$,
  array['in_progress', 'pending', 'pending'], 'the first step should start and the rest wait');
select isnt((select started_at from public.enrollment_steps where id = tests.step_id((select id from t where name = 'ma'), 1)),
  null, 'the started step should have started_at');

-- generate_enrollment_steps: idempotent
select is(public.generate_enrollment_steps((select id from t where name = 'ma')), 3,
  'generate_enrollment_steps on an enrollment with steps should return the same count');
select is((select count(*)::int from public.enrollment_steps where enrollment_id = (select id from t where name = 'ma')),
  3, 'calling it again should create no steps');
select throws_ok($$ select public.generate_enrollment_steps('00000000-0000-0000-0000-00000000dead') $$,
  'PS001', null, 'generate_enrollment_steps should raise PS001 for an unknown enrollment');

-- sequence validation
insert into public.programs (slug, name) values ('empty-program', 'No partners'), ('gappy-program', 'Gaps');
insert into public.program_partner_lms (program_id, provider_id, sequence_order)
select p.id, v.id, 2 from public.programs p, public.partner_lms_providers v where p.slug = 'gappy-program' and v.slug = 'hsi';
select throws_ok($$ select tests.enroll('sm_student', 'empty-program') $$,
  'PS004', null, 'enrolling in a program without partners should raise PS004 and insert nothing');
select throws_ok($$ select tests.enroll('sm_student', 'gappy-program') $$,
  'PS004', null, 'a sequence with gaps should raise PS004');

-- get_current_step
select is((select id from public.get_current_step((select id from t where name = 'ma'))),
  tests.step_id((select id from t where name = 'ma'), 1), 'get_current_step should return the in-progress step');
select is((select count(*)::int from public.get_current_step('00000000-0000-0000-0000-00000000dead')),
  0, 'get_current_step of an unknown enrollment should return no row');

-- advance_to_next_step never starts a second step
select is(public.advance_to_next_step((select id from t where name = 'ma')),
  tests.step_id((select id from t where name = 'ma'), 1), 'advance_to_next_step should return the step already in progress');
select is((select count(*)::int from public.enrollment_steps where enrollment_id = (select id from t where name = 'ma') and status = 'in_progress'),
  1, 'advance_to_next_step should never start a second step while one is in progress');
select throws_ok($$ select public.advance_to_next_step('00000000-0000-0000-0000-00000000dead') $$,
  'PS001', null, 'advance_to_next_step should raise PS001 for an unknown enrollment');

-- mark_step_complete: happy path
select is(public.mark_step_complete(tests.step_id((select id from t where name = 'ma'), 1), 'HSI-SM-1'),
  tests.step_id((select id from t where name = 'ma'), 2), 'completing step 1 should return step 2');
select results_eq(
  $$ select status, external_enrollment_id from public.enrollment_steps where enrollment_id = (select id from t where name = 'ma') order by sequence_order $$,
  $$ values ('completed'::text, 'HSI-SM-1'::text), ('in_progress', null), ('pending', null) $$,
  'step 1 completed with the partner id stored; step 2 started');
select isnt((select completed_at from public.enrollment_steps where id = tests.step_id((select id from t where name = 'ma'), 1)),
  null, 'the completed step should have completed_at');

-- idempotent completion: same answer, no change
select is(public.mark_step_complete(tests.step_id((select id from t where name = 'ma'), 1), 'HSI-SM-1'),
  tests.step_id((select id from t where name = 'ma'), 2), 'completing a completed step again should return the same answer');
select is(public.mark_step_complete(tests.step_id((select id from t where name = 'ma'), 1)),
  tests.step_id((select id from t where name = 'ma'), 2), 'and without an external id too');
select is((select count(*)::int from public.step_transitions where step_id = tests.step_id((select id from t where name = 'ma'), 1)),
  3, 'a repeated completion should record no transition (generated, started, completed)');

-- illegal transitions, with their SQLSTATEs
select throws_ok(format('select public.mark_step_complete(%L)', tests.step_id((select id from t where name = 'ma'), 3)),
  'PS003', null, 'completing a pending step should raise PS003');
select throws_ok($$ select public.mark_step_complete('00000000-0000-0000-0000-00000000dead') $$,
  'PS002', null, 'completing an unknown step should raise PS002');
select throws_ok(format('select public.mark_step_complete(%L, %L)', tests.step_id((select id from t where name = 'ma'), 2), 'CP-DEMO-BEN'),
  'PS005', null, 'an external id held by another step at the same partner should raise PS005');
update public.enrollment_steps set external_enrollment_id = 'CP-SM-2' where id = tests.step_id((select id from t where name = 'ma'), 2);
select throws_ok(format('select public.mark_step_complete(%L, %L)', tests.step_id((select id from t where name = 'ma'), 2), 'CP-OTHER'),
  'PS005', null, 'completing with a different external id than the linked one should raise PS005');
select is(tests.step_status((select id from t where name = 'ma'), 2), 'in_progress',
  'a refused completion should change nothing');

-- direct table updates obey the state machine too
select throws_ok(format($$ update public.enrollment_steps set status = 'pending' where id = %L $$, tests.step_id((select id from t where name = 'ma'), 1)),
  'PS003', null, 'completed -> pending should be refused by the table');
select throws_ok(format($$ update public.enrollment_steps set status = 'in_progress', started_at = now() where id = %L $$, tests.step_id((select id from t where name = 'ma'), 3)),
  '23505', null, 'starting a second step by hand should be refused by the unique index');
select throws_ok(format($$ update public.enrollment_steps set sequence_order = 7 where id = %L $$, tests.step_id((select id from t where name = 'ma'), 3)),
  'PS003', null, 'a step''s position should be immutable');

-- to the end: the enrollment completes
select is(public.mark_step_complete(tests.step_id((select id from t where name = 'ma'), 2), 'CP-SM-2'),
  tests.step_id((select id from t where name = 'ma'), 3), 'completing step 2 should return step 3');
select is(public.is_enrollment_complete((select id from t where name = 'ma')), false,
  'the enrollment should not be complete while a step is in progress');
select is(public.mark_step_complete(tests.step_id((select id from t where name = 'ma'), 3), 'CS-SM-3'),
  null, 'completing the last step should return null');
select results_eq(
  $$ select status, completed_at is not null from public.enrollments where id = (select id from t where name = 'ma') $$,
  $$ values ('completed'::text, true) $$, 'after the last step the enrollment should be completed with completed_at');
select is(public.is_enrollment_complete((select id from t where name = 'ma')), true,
  'is_enrollment_complete should be true when every step is completed');
select is(public.mark_step_complete(tests.step_id((select id from t where name = 'ma'), 3), 'CS-SM-3'),
  null, 'completing the last step again should be a no-op returning null');
select is(public.advance_to_next_step((select id from t where name = 'ma')), null,
  'advancing a completed enrollment should return null');

-- is_enrollment_complete: no steps, failed, skipped
insert into public.enrollments (user_id, program_id)
select tests.get_supabase_uid('sm_student'), id from public.programs where slug = 'cpr-first-aid' returning id as cpr \gset
insert into t values ('cpr', :'cpr');
select is(public.is_enrollment_complete('00000000-0000-0000-0000-00000000dead'), false,
  'an enrollment without steps should not be complete');
update public.enrollment_steps set status = 'failed', error_message = 'x' where enrollment_id = (select id from t where name = 'cpr');
select is(public.is_enrollment_complete((select id from t where name = 'cpr')), false,
  'a failed step should not count as complete');
select is(public.advance_to_next_step((select id from t where name = 'cpr')), null,
  'a failed step should block advancing');
update public.enrollment_steps set status = 'skipped' where enrollment_id = (select id from t where name = 'cpr');
select is(public.is_enrollment_complete((select id from t where name = 'cpr')), true,
  'skipped steps should count as complete');

-- a cancelled enrollment does not advance
insert into t values ('hvac', tests.enroll('sm_student', 'hvac'));
select public.mark_step_complete(tests.step_id((select id from t where name = 'hvac'), 1));
select is(tests.step_status((select id from t where name = 'hvac'), 2), 'in_progress', 'HVAC step 2 should start');
update public.enrollment_steps set status = 'skipped' where id = tests.step_id((select id from t where name = 'hvac'), 2);
update public.enrollments set status = 'cancelled' where id = (select id from t where name = 'hvac');
select is(public.is_enrollment_complete((select id from t where name = 'hvac')), true, 'all steps done or skipped');
select is(public.advance_to_next_step((select id from t where name = 'hvac')), null, 'advance returns null');
select is((select status from public.enrollments where id = (select id from t where name = 'hvac')), 'cancelled',
  'a cancelled enrollment should not be marked completed');

-- audit trail of the automatic transitions
select results_eq(
  $$ select from_status, to_status, reason from public.step_transitions
     where step_id = tests.step_id((select id from t where name = 'ma'), 2) order by id $$,
  $$ values (null::text, 'pending'::text, 'steps generated from the program''s partner sequence'::text),
            ('pending', 'in_progress', 'previous steps done'),
            ('in_progress', 'completed', 'partner reported completion') $$,
  'every transition of a step should be in the audit trail with why');
select is((select count(distinct actor_role)::int from public.step_transitions
           where enrollment_id = (select id from t where name = 'ma')), 1,
  'the audit trail should record who acted');

select * from finish();
rollback;
