-- The triggers sharing an event on enrollment_steps fire in the order their names carry
-- (_100_, _200_, ...): the audit trail records a transition before anything it sets off. A
-- retried step whose completion was waiting (deferred) completes inside its own restart; the
-- trail must still read failed -> in_progress, then in_progress -> completed, then the next step.
begin;
select plan(2);

select tests.create_supabase_user('to_student');
create temporary table t (name text primary key, id uuid) on commit drop;
insert into t values ('e', tests.enroll('to_student', 'medical-assistant'));
insert into t values ('s1', tests.step_id((select id from t where name = 'e'), 1));

update public.enrollment_steps set external_enrollment_id = 'HSI-TO-1' where id = (select id from t where name = 's1');
update public.enrollment_steps set status = 'failed' where id = (select id from t where name = 's1');
select is(
  public.receive_partner_event('hsi', 'to-wh-1', pg_catalog.jsonb_build_object(
    'type', 'course.completed', 'timestamp', '2026-11-30T10:00:00Z',
    'data', pg_catalog.jsonb_build_object('external_enrollment_id', 'HSI-TO-1', 'completed_at', '2026-11-30T10:00:00Z'))::text
  ) ->> 'status',
  'deferred', 'a completion for a failed step should wait for the step to be in progress again');

-- the admin retry, as admin_retry_step makes it
update public.enrollment_steps set status = 'in_progress' where id = (select id from t where name = 's1');

select results_eq(
  $$ select s.sequence_order, tr.from_status, tr.to_status from public.step_transitions tr
     join public.enrollment_steps s on s.id = tr.step_id
     where tr.enrollment_id = (select id from t where name = 'e') and tr.from_status is not null
     order by tr.id $$,
  $$ values (1, 'pending'::text, 'in_progress'::text), (1, 'in_progress', 'failed'), (1, 'failed', 'in_progress'),
            (1, 'in_progress', 'completed'), (2, 'pending', 'in_progress') $$,
  'the audit trail should list the restart before the completion it set off, and the next step after both');

select * from finish();
rollback;
