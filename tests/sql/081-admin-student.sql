-- Issue 13 (operator side): the per-student view and the enrollment-level overrides (cancel,
-- revoke, reissue) and dead-letter actions: admins only, stable errors, audited, certificates.revoked_at/revoked_reason.
begin;
select plan(19);

select tests.create_supabase_user('as_student');
select tests.create_supabase_user('as_admin', 'admin');
create temporary table t (name text primary key, id uuid) on commit drop;
grant all on t to public;
insert into t values ('cna', tests.enroll('as_student', 'cna'));
insert into t values ('done', tests.enroll('as_student', 'cpr-first-aid'));
select public.mark_step_complete(tests.step_id((select id from t where name = 'done'), 1));
insert into t select 'cert', c.id from public.certificates c where c.enrollment_id = (select id from t where name = 'done');

select tests.authenticate_as('as_student');
select throws_ok(format('select public.admin_student(%L)', tests.get_supabase_uid('as_student')), '42501', null,
  'a student should not read the admin view of herself');
select throws_ok(format('select public.admin_cancel_enrollment(%L, %L)', (select id from t where name = 'cna'), 'bye now'),
  '42501', null, 'a student should not cancel an enrollment');
select throws_ok(format('select public.admin_revoke_certificate(%L, %L)', (select id from t where name = 'cert'), 'nope'),
  '42501', null, 'a student should not revoke a certificate');
select throws_ok(format('select public.admin_enrollment_preview(%L, %L)', (select id from t where name = 'cna'), 'cancel'),
  '42501', null, 'a student should not preview an enrollment override');

select throws_ok($$ select public.admin_dead_job(1, 'discard', 'not mine') $$, '42501', null,
  'a student should not discard a dead job');

select tests.authenticate_as('as_admin');
select throws_ok($$ select public.admin_dead_job(-1, 'retry') $$, 'PS083', null,
  'a job that is not a dead letter should raise PS083');
select throws_ok($$ select public.admin_dead_job(1, 'explode') $$, 'PS080', null,
  'an unknown job action should raise PS080');
select is(jsonb_array_length(public.admin_student(tests.get_supabase_uid('as_student')) -> 'enrollments'), 2,
  'the admin view should list both enrollments');
select is(public.admin_student(tests.get_supabase_uid('as_student')) #>> '{enrollments,0,steps,0,history,0,to_status}',
  'pending', 'each step''s history should start with its creation as pending');
select throws_ok($$ select public.admin_student('00000000-0000-0000-0000-00000000dead') $$, 'PS001', null,
  'an unknown student should raise PS001');
select throws_ok(format('select public.admin_enrollment_preview(%L, %L)', (select id from t where name = 'cna'), 'explode'),
  'PS080', null, 'an unknown enrollment action should raise PS080');
select is(public.admin_enrollment_preview((select id from t where name = 'cna'), 'revoke') ->> 'allowed', 'false',
  'an enrollment without certificate should not offer revoking');

select lives_ok(format('select public.admin_cancel_enrollment(%L, %L)', (select id from t where name = 'cna'), 'student withdrew'),
  'an admin should cancel an active enrollment');
select throws_ok(format('select public.admin_cancel_enrollment(%L, %L)', (select id from t where name = 'cna'), 'again'),
  'PS003', null, 'cancelling a cancelled enrollment should raise PS003');
select lives_ok(format('select public.admin_revoke_certificate(%L, %L)', (select id from t where name = 'cert'), 'issued in error'),
  'an admin should revoke a certificate');
select throws_ok($$ select public.admin_revoke_certificate('00000000-0000-0000-0000-00000000dead', 'no such') $$,
  'PS081', null, 'revoking an unknown certificate should raise PS081');
select tests.clear_authentication();
select results_eq(format('select revoked_reason from public.certificates where id = %L', (select id from t where name = 'cert')),
  $$ values ('issued in error'::text) $$, 'the reason should be kept in certificates.revoked_reason');
select tests.authenticate_as('as_admin');
select lives_ok(format('select public.admin_reissue_certificate(%L, %L)', (select id from t where name = 'cert'), 'revoked by mistake'),
  'an admin should reissue a certificate');
select tests.clear_authentication();
select results_eq($$ select action from public.admin_actions order by id $$,
  $$ values ('cancel_enrollment'::text), ('revoke_certificate'), ('reissue_certificate') $$,
  'every enrollment-level override should be audited once');

select * from finish();
rollback;
