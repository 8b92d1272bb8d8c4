-- The RLS matrix: anon / a student / another student / an admin / the service role
-- x every table x select, insert, update, delete; then every function's execute privilege.
begin;
select plan(229);

select tests.create_supabase_user('rls_a');
select tests.create_supabase_user('rls_b');
select tests.create_supabase_user('rls_admin', 'admin');
select tests.enroll('rls_a', 'medical-assistant');
select tests.enroll('rls_b', 'barber');
-- rls_b finishes Barber: a certificate of their own
select public.mark_step_complete(tests.step_id(e.id, 1)), public.mark_step_complete(tests.step_id(e.id, 2))
from public.enrollments e where e.user_id = tests.get_supabase_uid('rls_b');
select public.receive_partner_event('hsi', 'rls-event-1',
  '{"type": "progress.updated", "data": {"external_enrollment_id": "HSI-DEMO-CARA", "percent": 50}}');
insert into auth.users (id, email) values ('00000000-0000-4000-b000-0000000000ff', 'no-profile@test.local');
delete from public.profiles where id = '00000000-0000-4000-b000-0000000000ff';  -- a user whose profile is gone

create temporary table ops (tbl text, op text, sql text) on commit drop;
insert into ops values
  ('partner_lms_providers', 'insert', $$ insert into public.partner_lms_providers (slug, provider_name) values ('rlstest', 'RLS test') $$),
  ('partner_lms_providers', 'update', $$ update public.partner_lms_providers set provider_name = provider_name $$),
  ('partner_lms_providers', 'delete', $$ delete from public.partner_lms_providers where slug = 'hsi' $$),
  ('programs', 'insert', $$ insert into public.programs (slug, name) values ('rls-test', 'RLS test') $$),
  ('programs', 'update', $$ update public.programs set name = name $$),
  ('programs', 'delete', $$ delete from public.programs where slug = 'forklift' $$),
  ('program_partner_lms', 'insert', $$ insert into public.program_partner_lms (program_id, provider_id, sequence_order) select p.id, v.id, 9 from public.programs p, public.partner_lms_providers v where p.slug = 'cna' and v.slug = 'jri' $$),
  ('program_partner_lms', 'update', $$ update public.program_partner_lms set is_required = is_required $$),
  ('program_partner_lms', 'delete', $$ delete from public.program_partner_lms where sequence_order = 2 $$),
  ('profiles', 'insert', $$ insert into public.profiles (id) values ('00000000-0000-4000-b000-0000000000ff') $$),
  ('profiles', 'update', $$ update public.profiles set role = 'admin' where id = tests.get_supabase_uid('rls_a') $$),
  ('profiles', 'delete', $$ delete from public.profiles where id = tests.get_supabase_uid('rls_a') $$),
  ('enrollments', 'insert', $$ insert into public.enrollments (user_id, program_id) select tests.get_supabase_uid('rls_a'), id from public.programs where slug = 'cna' $$),
  ('enrollments', 'update', $$ update public.enrollments set enrolled_at = enrolled_at where user_id = tests.get_supabase_uid('rls_a') $$),
  ('enrollments', 'delete', $$ delete from public.enrollments where user_id = tests.get_supabase_uid('rls_a') $$),
  ('enrollment_steps', 'insert', $$ insert into public.enrollment_steps (enrollment_id, provider_id, sequence_order) select e.id, v.id, 9 from public.enrollments e, public.partner_lms_providers v where e.user_id = tests.get_supabase_uid('rls_a') and v.slug = 'jri' $$),
  ('enrollment_steps', 'update', $$ update public.enrollment_steps set progress_percent = 100 where enrollment_id in (select id from public.enrollments where user_id = tests.get_supabase_uid('rls_a')) $$),
  ('enrollment_steps', 'delete', $$ delete from public.enrollment_steps where enrollment_id in (select id from public.enrollments where user_id = tests.get_supabase_uid('rls_a')) $$),
  ('step_transitions', 'insert', $$ insert into public.step_transitions (step_id, enrollment_id, to_status, actor_role) select id, enrollment_id, 'completed', 'forged' from public.enrollment_steps limit 1 $$),
  ('step_transitions', 'update', $$ update public.step_transitions set reason = 'rewritten' $$),
  ('step_transitions', 'delete', $$ delete from public.step_transitions $$),
  ('partner_events', 'insert', $$ insert into public.partner_events (provider_id, webhook_id, payload) select id, 'forged', '{}' from public.partner_lms_providers where slug = 'hsi' $$),
  ('partner_events', 'update', $$ update public.partner_events set status = 'processed' $$),
  ('partner_events', 'delete', $$ delete from public.partner_events $$),
  ('certificates', 'insert', $$ insert into public.certificates (enrollment_id) select id from public.enrollments where user_id = tests.get_supabase_uid('rls_a') $$),
  ('certificates', 'update', $$ update public.certificates set revoked_at = now() $$),
  ('certificates', 'delete', $$ delete from public.certificates $$),
  ('admin_alerts', 'insert', $$ insert into public.admin_alerts (kind, dedupe_key, message) values ('x', 'rls-forged', 'forged') $$),
  ('admin_alerts', 'update', $$ update public.admin_alerts set resolved_at = now() $$),
  ('admin_alerts', 'delete', $$ delete from public.admin_alerts $$),
  ('email_sends', 'insert', $$ insert into public.email_sends (dedupe_key, template, to_address, message_id) values ('rls', 'x', 'a@b', '<x>') $$),
  ('email_sends', 'update', $$ update public.email_sends set status = 'sent' $$),
  ('email_sends', 'delete', $$ delete from public.email_sends $$);
grant select on ops to public;

-- what each actor should see when selecting (computed as the superuser: all rows / own rows)
create temporary table seen (actor text, tbl text, expected text) on commit drop;
insert into seen
select a.actor, t.tbl,
  case
    when a.actor = 'anon' then '42501'
    when a.actor in ('admin', 'service_role') or t.tbl in ('partner_lms_providers', 'programs', 'program_partner_lms')
      then tests.try_count(format('select id from public.%I', t.tbl))
    when t.tbl = 'profiles' then '1'
    when t.tbl = 'enrollments' then (select count(*)::text from public.enrollments where user_id = tests.get_supabase_uid(a.who))
    when t.tbl = 'enrollment_steps' then (select count(*)::text from public.enrollment_steps s join public.enrollments e on e.id = s.enrollment_id where e.user_id = tests.get_supabase_uid(a.who))
    when t.tbl in ('step_transitions', 'partner_events', 'admin_alerts', 'email_sends') then '0'
    when t.tbl = 'certificates' then (select count(*)::text from public.certificates c join public.enrollments e on e.id = c.enrollment_id where e.user_id = tests.get_supabase_uid(a.who))
  end
from (values ('anon', null), ('student', 'rls_a'), ('other_student', 'rls_b'), ('admin', 'rls_admin'), ('service_role', null)) a (actor, who)
cross join (select distinct tbl from ops) t;
grant select on seen to public;

-- anon
select tests.authenticate_as_anon();
select is(tests.try_count(format('select id from public.%I', s.tbl)), s.expected, 'anon select on ' || s.tbl || ' should be refused')
from seen s where s.actor = 'anon' order by s.tbl;
select is(tests.try(o.sql), '42501', 'anon should not ' || o.op || ' ' || o.tbl) from ops o order by o.tbl, o.op;
select tests.clear_authentication();

-- a student
select tests.authenticate_as('rls_a');
select is(tests.try_count(format('select id from public.%I', s.tbl)), s.expected, 'a student should see ' || s.expected || ' row(s) of ' || s.tbl)
from seen s where s.actor = 'student' order by s.tbl;
select is(tests.try(o.sql), '42501', 'a student should not ' || o.op || ' ' || o.tbl) from ops o order by o.tbl, o.op;
select is(tests.try_count($$ select * from public.enrollments where user_id = tests.get_supabase_uid('rls_b') $$), '0',
  'a student should not see another student''s enrollments');
select is(tests.try_count($$ select s.id from public.enrollment_steps s join public.enrollments e on e.id = s.enrollment_id where e.user_id = tests.get_supabase_uid('rls_b') $$), '0',
  'a student should not see another student''s steps');
select is(tests.try_count($$ select * from public.profiles where id = tests.get_supabase_uid('rls_b') $$), '0',
  'a student should not see another student''s profile');
select is(tests.try_count($$ select * from public.get_current_step((select e.id from public.enrollments e where e.user_id = tests.get_supabase_uid('rls_b'))) $$), '0',
  'get_current_step should not reveal another student''s step');
select is(tests.try_count($$ select * from public.certificates c join public.enrollments e on e.id = c.enrollment_id where e.user_id = tests.get_supabase_uid('rls_b') $$), '0',
  'a student should not see (or download) another student''s certificate');
select is(tests.try($$ select adapter_config from public.partner_lms_providers $$), '42501',
  'a student should not read partners'' adapter configuration');
select tests.clear_authentication();

-- the other student: symmetric
select tests.authenticate_as('rls_b');
select is(tests.try_count(format('select id from public.%I', s.tbl)), s.expected, 'the other student should see ' || s.expected || ' row(s) of ' || s.tbl)
from seen s where s.actor = 'other_student' order by s.tbl;
select is(tests.try(o.sql), '42501', 'the other student should not ' || o.op || ' ' || o.tbl) from ops o order by o.tbl, o.op;
select tests.clear_authentication();

-- an admin reads everything, writes nothing directly (overrides go through the admin functions)
select tests.authenticate_as('rls_admin');
select is(tests.try_count(format('select id from public.%I', s.tbl)), s.expected, 'an admin should see all ' || s.expected || ' row(s) of ' || s.tbl)
from seen s where s.actor = 'admin' order by s.tbl;
select is(tests.try(o.sql), '42501', 'an admin should not ' || o.op || ' ' || o.tbl || ' directly') from ops o order by o.tbl, o.op;
select tests.clear_authentication();

-- the service role modifies progress
select tests.authenticate_as_service_role();
select is(tests.try_count(format('select id from public.%I', s.tbl)), s.expected, 'the service role should see all ' || s.expected || ' row(s) of ' || s.tbl)
from seen s where s.actor = 'service_role' order by s.tbl;
select is(tests.try(o.sql), case when o.tbl = 'partner_lms_providers' and o.op = 'delete' then '23503' else 'ok' end,
  'the service role should be able to ' || o.op || ' ' || o.tbl
  || case when o.tbl = 'partner_lms_providers' and o.op = 'delete' then ' (a partner in use is protected by its foreign keys)' else '' end) from ops o order by o.tbl, o.op;
select tests.clear_authentication();

-- execute privileges on the public RPC surface
select results_eq(
  $$ select p.oid::regprocedure::text, has_function_privilege('anon', p.oid, 'execute'),
            has_function_privilege('authenticated', p.oid, 'execute'),
            has_function_privilege('service_role', p.oid, 'execute')
     from pg_proc p join pg_namespace n on n.oid = p.pronamespace
     where n.nspname = 'public' and p.proname in ('generate_enrollment_steps', 'get_current_step', 'advance_to_next_step',
       'mark_step_complete', 'is_enrollment_complete', 'admin_fail_step', 'admin_skip_step', 'admin_retry_step', 'admin_complete_step')
     order by 1 $$,
  $$ values
     ('admin_complete_step(uuid,text,text)', false, true, true),
     ('admin_fail_step(uuid,text)', false, true, true),
     ('admin_retry_step(uuid,text)', false, true, true),
     ('admin_skip_step(uuid,text)', false, true, true),
     ('advance_to_next_step(uuid)', false, false, true),
     ('generate_enrollment_steps(uuid)', false, false, true),
     ('get_current_step(uuid)', false, true, true),
     ('is_enrollment_complete(uuid)', false, true, true),
     ('mark_step_complete(uuid,text)', false, false, true) $$,
  'mutating functions should be executable by the service role only (admin overrides check the caller themselves)');

select tests.authenticate_as('rls_a');
select is(tests.try($$ select public.mark_step_complete((select id from public.enrollment_steps where status = 'in_progress' limit 1)) $$),
  '42501', 'a student calling mark_step_complete should be refused');
select is(tests.try($$ select public.advance_to_next_step((select id from public.enrollments limit 1)) $$),
  '42501', 'a student calling advance_to_next_step should be refused');
select tests.clear_authentication();

select * from finish();
rollback;
