-- Issue 13 (operator side): the admin lists, overview, step preview, event view and replay of a
-- selection: admins only, bad parameters refused with PS080, partner ids and reasons validated.
begin;
select plan(24);

select tests.create_supabase_user('al_student');
select tests.create_supabase_user('al_admin', 'admin');
create temporary table t (name text primary key, id uuid) on commit drop;
grant all on t to public;
insert into t values ('ma', tests.enroll('al_student', 'medical-assistant'));
insert into t values ('jri', tests.enroll('al_student', 'administrative-assistant'));
create function pg_temp.step(p_name text, p_order int) returns uuid language sql as
  $$ select tests.step_id((select id from t where name = p_name), p_order) $$;
grant execute on function pg_temp.step(text, int) to public;
update public.enrollment_steps set started_at = now() - interval '40 days' where id = pg_temp.step('ma', 1);
update public.program_partner_lms set expected_days = 10
  where sequence_order = 1 and program_id = (select id from public.programs where slug = 'medical-assistant');

-- who may read
select tests.authenticate_as('al_student');
select throws_ok($$ select public.admin_list('stuck') $$, '42501', null, 'a student should not read an admin list');
select throws_ok($$ select public.admin_overview() $$, '42501', null, 'a student should not read the overview');
select throws_ok(format('select public.admin_step_preview(%L, %L)', pg_temp.step('ma', 1), 'skip'), '42501', null,
  'a student should not preview an override');
select throws_ok($$ select public.admin_event(1) $$, '42501', null, 'a student should not read an event');
select throws_ok($$ select public.admin_replay_events(array[1]::bigint[], 'because') $$, '42501', null,
  'a student should not replay events');
select tests.authenticate_as_anon();
select throws_ok($$ select public.admin_list('events') $$, '42501', null, 'anon should not read the event log');

-- bad parameters: PS080, never a generic error
select tests.authenticate_as('al_admin');
select throws_ok($$ select public.admin_list('passwords') $$, 'PS080', null, 'an unknown list should raise PS080');
select throws_ok($$ select public.admin_list('steps', p_sort => 'email; drop table x') $$, 'PS080', null,
  'an unknown sort column should raise PS080');
select throws_ok($$ select public.admin_list('steps', p_program => 'nope') $$, 'PS080', null,
  'an unknown program should raise PS080');
select throws_ok($$ select public.admin_list('events', p_status => 'lost') $$, 'PS080', null,
  'an unknown event status should raise PS080');
select throws_ok($$ select public.admin_list('steps', p_page => 0) $$, 'PS080', null, 'page 0 should raise PS080');
select throws_ok($$ select public.admin_list('steps', p_q => repeat('q', 201)) $$, 'PS080', null,
  'a search over 200 characters should raise PS080');

-- filtered, sorted and paginated in SQL, totals beside the rows
select is((public.admin_list('stuck', p_program => 'medical-assistant') -> 'total')::integer, 1,
  'the stuck list of a program should count its stuck student');
select is((public.admin_list('late', p_program => 'medical-assistant') -> 'rows' -> 0 ->> 'days_late')::integer, 30,
  'a step 40 days in with 10 expected days should be 30 days late (the program''s expected days)');
select is((public.admin_list('steps', p_program => 'medical-assistant', p_q => 'al_student', p_page_size => 1, p_page => 2,
                             p_sort => 'sequence_order') -> 'rows' -> 0 ->> 'sequence_order')::integer, 2,
  'page 2 of one row sorted by order should be the second step');
select is((public.admin_overview('administrative-assistant') -> 'summary' ->> 'awaiting')::integer,
          (public.admin_list('awaiting', 'administrative-assistant') ->> 'total')::integer,
  'the overview''s awaiting number should be the awaiting list''s total');
select ok((public.admin_list('awaiting') -> 'rows') @> pg_catalog.jsonb_build_array(
            pg_catalog.jsonb_build_object('step_id', pg_temp.step('jri', 1))),
  'a JRI step without a partner id should await manual enrollment');

-- the preview says what happens next
select ok((public.admin_step_preview(pg_temp.step('ma', 1), 'skip') ->> 'effects') like '%Step 2 (Certiport%starts%',
  'skipping the first step should say the next partner starts');
select is(public.admin_step_preview(pg_temp.step('ma', 1), 'retry') ->> 'allowed', 'false',
  'retrying an in-progress step should not be allowed');
select throws_ok(format('select public.admin_step_preview(%L, %L)', pg_temp.step('ma', 1), 'explode'), 'PS080', null,
  'an unknown action should raise PS080');

-- admin input checked before anything is recorded
select throws_ok(format('select public.admin_link_step(%L, %L, %L)', pg_temp.step('jri', 1), repeat('J', 201), 'by hand'),
  'PS005', null, 'a partner id over 200 characters should raise PS005');
select throws_ok(format('select public.admin_link_step(%L, %L, %L)', pg_temp.step('jri', 1), 'JRI-1', repeat('r', 501)),
  'PS007', null, 'a reason over 500 characters should raise PS007');
select throws_ok(format('select public.admin_complete_step(%L, %L, %L)', pg_temp.step('ma', 1), 'by phone', e'HSI\n1'),
  'PS005', null, 'a partner id with a line break should raise PS005');
select tests.clear_authentication();
select is((select count(*)::integer from public.admin_actions), 0, 'refused overrides should leave no audit entry');

select * from finish();
rollback;
