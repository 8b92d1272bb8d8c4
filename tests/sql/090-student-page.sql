-- The student's page (issue 13): what she is told for each state and who acts next, expected
-- days (program override, else the partner's), due dates and the estimated completion, what the
-- partner sent (score, certificate), and each step's history from the audit trail — her own only,
-- without the recorded reasons.
begin;
select plan(19);

select tests.create_supabase_user('sp_amy');
select tests.create_supabase_user('sp_bob');
create temporary table t (name text primary key, id uuid) on commit drop;
grant all on t to public;
insert into t values ('amy', tests.enroll('sp_amy', 'medical-assistant')), ('bob', tests.enroll('sp_bob', 'cna'));
-- the program sets its own expected days for Certiport (the partner's default is 30)
update public.program_partner_lms set expected_days = 20
 where program_id = (select id from public.programs where slug = 'medical-assistant') and sequence_order = 2;
create temporary view amy_steps with (security_invoker = true) as
  select s from jsonb_array_elements(public.student_progress() -> 0 -> 'steps') s;
grant select on amy_steps to public;

select tests.authenticate_as('sp_amy');
select results_eq(
  $$ select s ->> 'state', s ->> 'who_acts', (s ->> 'expected_days')::int from amy_steps $$,
  $$ values ('setup'::text, 'system'::text, 14), ('pending', null, 20), ('pending', null, 10) $$,
  'just enrolled: HSI is being set up by the system; the program''s 20 days for Certiport, the partners'' defaults otherwise');
select results_eq(
  $$ select (s ->> 'due_at')::timestamptz from amy_steps $$,
  $$ values (now() + interval '14 days'), (now() + interval '34 days'), (now() + interval '44 days') $$,
  'each step is due its expected days after the one before');
select is((public.student_progress() -> 0 ->> 'estimated_completion_at')::timestamptz, now() + interval '44 days',
  'the estimated completion is the last step''s due date');
select tests.clear_authentication();

-- set up through the API for two hours now, 20 days ago: slow, and HSI is late
update public.enrollment_steps set started_at = now() - interval '20 days'
 where id = tests.step_id((select id from t where name = 'amy'), 1);
select tests.authenticate_as('sp_amy');
select results_eq(
  $$ select s ->> 'state', s ->> 'who_acts', (s ->> 'late')::boolean from amy_steps limit 1 $$,
  $$ values ('setup_slow'::text, 'staff'::text, true) $$,
  'a partner account still not created after an hour: our staff act, and the step is late');
select results_eq(
  $$ select (s ->> 'due_at')::timestamptz from amy_steps $$,
  $$ values (now() - interval '6 days'), (now() + interval '20 days'), (now() + interval '30 days') $$,
  'a late step pushes the later ones from today, not from its past due date');
select tests.clear_authentication();

-- the partner answered with its id but no launch link: linked, she acts (never "setup" again)
update public.enrollment_steps set external_enrollment_id = 'HSI-AMY'
 where id = tests.step_id((select id from t where name = 'amy'), 1);
select tests.authenticate_as('sp_amy');
select results_eq($$ select s ->> 'state', s ->> 'who_acts' from amy_steps limit 1 $$,
  $$ values ('linked'::text, 'student'::text) $$, 'enrolled at the partner without a link: she starts from the partner''s email');
select tests.clear_authentication();

-- the partner completed HSI with a score and a certificate (one with an unsafe URL for Certiport)
select public.mark_step_complete(tests.step_id((select id from t where name = 'amy'), 1), 'HSI-AMY');
update public.enrollment_steps
   set partner_result = '{"score": 92.5, "completed_at": "2026-11-30T10:00:00Z", "event_id": 7}',
       partner_certificate = '{"certificate_id": "HSI-CERT-1", "certificate_url": "https://hsi.example/c/1", "issued_at": "2026-11-30T11:00:00Z"}'
 where id = tests.step_id((select id from t where name = 'amy'), 1);
update public.enrollment_steps
   set partner_certificate = '{"certificate_id": "X", "certificate_url": "javascript:alert(1)"}',
       partner_result = '{"score": "A+"}'
 where id = tests.step_id((select id from t where name = 'amy'), 2);
-- an admin waives CareerSafe, with a reason the student must not see
select private.set_audit_context('internal note: SECRET-REASON', 'admin');
update public.enrollment_steps set status = 'skipped' where id = tests.step_id((select id from t where name = 'amy'), 3);

select tests.authenticate_as('sp_amy');
select results_eq(
  $$ select s -> 'score', s ->> 'partner_completed_at', s -> 'partner_certificate' from amy_steps limit 1 $$,
  $$ values ('92.5'::jsonb, '2026-11-30T10:00:00Z'::text,
             '{"id": "HSI-CERT-1", "url": "https://hsi.example/c/1", "issued_at": "2026-11-30T11:00:00Z"}'::jsonb) $$,
  'the partner''s score, completion time and certificate');
select results_eq(
  $$ select s -> 'score', s -> 'partner_certificate' -> 'url' from amy_steps offset 1 limit 1 $$,
  $$ values ('null'::jsonb, 'null'::jsonb) $$,
  'a score that is not a number and a certificate URL that is not http(s) are not shown');
select results_eq(
  $$ select h ->> 'from', h ->> 'to', h ->> 'by' from amy_steps, jsonb_array_elements(s -> 'history') h
     where s ->> 'sequence_order' = '1' $$,
  $$ values (null::text, 'pending'::text, 'system'::text), ('pending', 'in_progress', 'system'),
            ('in_progress', 'completed', 'system') $$,
  'her step''s history from the audit trail, oldest first');
select results_eq(
  $$ select s -> 'history' -> -1 ->> 'to', s -> 'history' -> -1 ->> 'by' from amy_steps
     where s ->> 'sequence_order' = '3' $$,
  $$ values ('skipped'::text, 'staff'::text) $$, 'a waiver says our staff did it');
select is((select count(*)::int from amy_steps where s::text like '%SECRET-REASON%'), 0,
  'the recorded reason never reaches her');
select is((select count(*)::int from amy_steps, jsonb_array_elements(s -> 'history') h where h ? 'reason' or h ? 'actor_id'),
  0, 'nor the reason or actor fields');
select results_eq($$ select s ->> 'state', s ->> 'who_acts' from amy_steps offset 1 limit 1 $$,
  $$ values ('setup'::text, 'system'::text) $$, 'Certiport, next, is being set up');
select tests.clear_authentication();

-- someone else's step: no history at all, and no audit trail read directly
select tests.authenticate_as('sp_bob');
select is(private.student_step_history(tests.step_id((select id from t where name = 'amy'), 1)), '[]'::jsonb,
  'another student''s step has no history for her');
select is(tests.try_count($$ select * from public.step_transitions $$), '0',
  'students still cannot read the audit trail itself');
select is(jsonb_array_length(public.student_progress() -> 0 -> 'steps' -> 0 -> 'history'), 2,
  'Bob sees his own history (added, started)');
select tests.clear_authentication();

-- the version changes when something shown changes, not on its own
select tests.authenticate_as('sp_amy');
create temporary table v on commit drop as select public.student_progress() -> 0 ->> 'version' as before;
select is(public.student_progress() -> 0 ->> 'version', (select before from v), 'asked again, the same version');
select tests.clear_authentication();
update public.enrollment_steps set progress_percent = 50 where id = tests.step_id((select id from t where name = 'amy'), 2);
select tests.authenticate_as('sp_amy');
select isnt(public.student_progress() -> 0 ->> 'version', (select before from v), 'new progress, new version');
select tests.clear_authentication();

-- a cancelled enrollment: its unfinished steps are stopped, nobody acts, nothing is due
update public.enrollments set status = 'cancelled' where id = (select id from t where name = 'bob');
select tests.authenticate_as('sp_bob');
select results_eq(
  $$ select s ->> 'state', s ->> 'who_acts', s ->> 'due_at' from jsonb_array_elements(public.student_progress() -> 0 -> 'steps') s $$,
  $$ values ('cancelled'::text, null::text, null::text), ('cancelled', null, null) $$,
  'the steps of a cancelled enrollment are stopped: no "your move", no due date');
select tests.clear_authentication();

select * from finish();
rollback;
