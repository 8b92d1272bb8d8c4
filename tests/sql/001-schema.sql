begin;
select plan(37);

-- tables with the seed's names
select has_table('public', t, 'table public.' || t || ' should exist')
from unnest(array['partner_lms_providers', 'programs', 'program_partner_lms', 'profiles',
                  'enrollments', 'enrollment_steps', 'step_transitions', 'partner_events']) t;

select columns_are('public', 'enrollment_steps', array[
  'id', 'enrollment_id', 'provider_id', 'sequence_order', 'is_required', 'status', 'started_at',
  'completed_at', 'external_enrollment_id', 'launch_url', 'progress_percent',
  'partner_certificate', 'error_message', 'created_at', 'updated_at', 'partner_result'],
  'enrollment_steps should have the seed''s columns plus partner link, progress and timestamps');
select col_is_unique('public', 'partner_lms_providers', array['slug'], 'a partner slug should be unique');
select col_is_unique('public', 'program_partner_lms', array['program_id', 'sequence_order'],
  'a program should have one partner per position');
select columns_are('public', 'step_transitions', array[
  'id', 'step_id', 'enrollment_id', 'from_status', 'to_status', 'actor_id', 'actor_role',
  'reason', 'created_at'], 'the audit trail should record from, to, who, why and when');

-- indexes for every lookup the webhook and pages need
select has_index('public', 'enrollment_steps', 'enrollment_steps_one_in_progress_idx',
  'there should be a unique index allowing one in-progress step per enrollment');
select has_index('public', 'enrollment_steps', 'enrollment_steps_provider_external_id_idx',
  'webhook lookups by (provider, external id) should be indexed');
select has_index('public', 'enrollments', 'enrollments_user_id_idx', 'RLS lookups by user should be indexed');
select has_index('public', 'enrollment_steps', 'enrollment_steps_provider_status_idx', 'pipeline counts should be indexed');

-- constraints make bad states unrepresentable
select tests.create_supabase_user('schema_student');
select tests.enroll('schema_student', 'medical-assistant');

select throws_ok(
  $$ insert into public.enrollment_steps (enrollment_id, provider_id, sequence_order, status, started_at)
     select e.id, p.id, 9, 'in_progress', now() from public.enrollments e, public.partner_lms_providers p
     where e.user_id = tests.get_supabase_uid('schema_student') and p.slug = 'hsi' $$,
  '23505', null, 'a second in-progress step in one enrollment should be rejected');

select throws_ok(
  $$ update public.enrollment_steps set external_enrollment_id = 'HSI-DEMO-BEN'
     where id = tests.step_id((select id from public.enrollments
                               where user_id = tests.get_supabase_uid('schema_student')), 1) $$,
  '23505', null, 'a partner enrollment id should belong to one step per partner');

select throws_ok(
  $$ insert into public.enrollment_steps (enrollment_id, provider_id, sequence_order, status)
     select e.id, p.id, 9, 'bogus' from public.enrollments e, public.partner_lms_providers p
     where e.user_id = tests.get_supabase_uid('schema_student') and p.slug = 'hsi' $$,
  '23514', null, 'an unknown step status should be rejected');

select throws_ok(
  $$ update public.enrollment_steps set progress_percent = 101 where status = 'in_progress' $$,
  '23514', null, 'progress over 100 percent should be rejected');

select throws_ok(
  $$ update public.enrollments set status = 'completed' where completed_at is null $$,
  '23514', null, 'a completed enrollment should carry completed_at');

select throws_ok(
  $$ insert into public.enrollments (user_id, program_id)
     select tests.get_supabase_uid('schema_student'), id from public.programs where slug = 'medical-assistant' $$,
  '23505', null, 'a student should have at most one active enrollment per program');

select throws_ok(
  $$ insert into public.program_partner_lms (program_id, provider_id, sequence_order)
     select p.id, v.id, 1 from public.programs p, public.partner_lms_providers v
     where p.slug = 'cna' and v.slug = 'jri' $$,
  '23505', null, 'two partners at the same position of a program should be rejected');

select throws_ok(
  $$ delete from public.partner_lms_providers where slug = 'hsi' $$,
  '23503', null, 'a partner still used by programs and steps cannot be deleted');

select throws_ok(
  $$ update public.enrollment_steps set status = 'completed', completed_at = now() where status = 'pending' $$,
  'PS003', null, 'the table itself should refuse pending -> completed');

-- every foreign key has an explicit on delete
select is(
  (select count(*)::int from pg_catalog.pg_constraint c
   join pg_catalog.pg_namespace n on n.oid = c.connamespace
   where n.nspname = 'public' and c.contype = 'f' and c.confdeltype = 'a'),
  0, 'every foreign key should say what happens on delete (no implicit NO ACTION)');

-- the seed: real configuration with its real counts
select is((select count(*)::int from public.partner_lms_providers), 5, 'the seed should have 5 partners');
select set_eq($$ select slug from public.partner_lms_providers $$,
  array['hsi', 'certiport', 'careersafe', 'jri', 'milady'], 'the partners should be the contract''s slugs');
select is((select count(*)::int from public.programs), 48, 'the seed should have 48 programs');
select is((select count(*)::int from public.program_partner_lms), 77, 'the seed should have 77 program-partner mappings');
select results_eq(
  $$ select n, count(*)::int from (select program_id, count(*)::int n from public.program_partner_lms group by 1) x
     group by n order by n $$,
  $$ values (1, 20), (2, 27), (3, 1) $$,
  'programs should have 1, 2 and 3 partners as configured (20 / 27 / 1)');
select results_eq(
  $$ select v.slug from public.program_partner_lms m join public.programs p on p.id = m.program_id
     join public.partner_lms_providers v on v.id = m.provider_id
     where p.slug = 'medical-assistant' order by m.sequence_order $$,
  array['hsi', 'certiport', 'careersafe'], 'Medical Assistant should go HSI -> Certiport -> CareerSafe');
select results_eq(
  $$ select count(*)::int from public.programs p where p.slug like 'barber%' or p.slug = 'master-barber' $$,
  array[4], 'there should be four Barber programs');

-- demo students at every stage
select ok(exists (select 1 from public.enrollment_steps s where s.status = 'in_progress'
                  and s.started_at < now() - interval '7 days'), 'the demo should have a student stuck over 7 days');
select ok(exists (select 1 from public.enrollment_steps where status = 'failed'), 'the demo should have a failed step');
select ok(exists (select 1 from public.enrollments where status = 'completed'), 'the demo should have a completed enrollment');
select ok(exists (select 1 from public.enrollment_steps s where s.status = 'completed' and exists
                  (select 1 from public.enrollment_steps n where n.enrollment_id = s.enrollment_id and n.status = 'in_progress')),
  'the demo should have a student mid-sequence');

select * from finish();
rollback;
