-- Trigger order made explicit, and the declared schema's comments on schemas private and queue.
--
-- PostgreSQL fires the triggers of one event on one table in the order of their names. The four
-- AFTER UPDATE triggers of enrollment_steps fired alphabetically (apply_waiting_events, audit,
-- enqueue, resolve), so a retried step whose completion was waiting completed inside its own
-- restart and the audit trail recorded that completion (and the next step's start) before the
-- restart itself. They now carry their order in their names (graphile/starter style _100_,
-- _200_, ...; sql/tables/public/enrollment_steps.sql and README "Trigger order" say why):
--   _100_audit_update                 record the transition first, before anything it sets off
--   _200_resolve_alerts               close the alerts this transition answers
--   _300_enqueue_partner_enrollment   queue the partner enrollment of a started step (no partner id)
--   _400_apply_waiting_events         last: apply waiting partner events, which may move the step on
-- The other triggers of the table (one per event) are numbered too, so that every trigger on
-- enrollment_steps follows the convention.

select pg_catalog.set_config('lock_timeout', '10s', true);
select pg_catalog.set_config('statement_timeout', '120s', true);

-- No client names a trigger (they are the table's own business): renaming them breaks nothing.
-- squawk-ignore renaming-object
alter trigger enrollment_steps_guard_transition on public.enrollment_steps rename to _100_guard_transition;
-- squawk-ignore renaming-object
alter trigger enrollment_steps_audit_insert on public.enrollment_steps rename to _100_audit_insert;
-- squawk-ignore renaming-object
alter trigger enrollment_steps_audit_update on public.enrollment_steps rename to _100_audit_update;
-- squawk-ignore renaming-object
alter trigger enrollment_steps_resolve_alerts on public.enrollment_steps rename to _200_resolve_alerts;
-- squawk-ignore renaming-object
alter trigger enrollment_steps_enqueue_partner_enrollment on public.enrollment_steps rename to _300_enqueue_partner_enrollment;
-- squawk-ignore renaming-object
alter trigger enrollment_steps_apply_waiting_events on public.enrollment_steps rename to _400_apply_waiting_events;

comment on schema private is 'Not exposed by the Data API: security definer bodies behind public entry points, helpers, trigger functions, the monitoring snapshot.';
comment on schema queue is 'The transactional outbox: a pgmq-like job queue for the worker (service role only).';

-- Every trigger gets its comment (the declared tables carry them too).
comment on trigger _100_guard_transition on public.enrollment_steps is 'Before update: only the state machine''s transitions (PS003 otherwise); sets updated_at.';
comment on trigger _100_audit_insert on public.enrollment_steps is 'After insert: the first step_transitions row of the step (null -> pending).';
comment on trigger _100_audit_update on public.enrollment_steps is 'After update, first: records the status change in step_transitions before anything it sets off.';
comment on trigger _200_resolve_alerts on public.enrollment_steps is 'After update, second: resolves the admin alerts a completion, skip or partner id answers.';
comment on trigger _300_enqueue_partner_enrollment on public.enrollment_steps is 'After update, third: queues the partner enrollment of a started step without a partner id (or alerts admins).';
comment on trigger _400_apply_waiting_events on public.enrollment_steps is 'After update, last: applies the partner events waiting for this step, which may move it on.';
comment on trigger enrollments_generate_steps on public.enrollments is 'After insert: generates the steps of the enrollment and starts the first.';
comment on trigger enrollments_issue_certificate on public.enrollments is 'After an enrollment completes: issues its certificate and queues its PDF.';
-- (no comment on the trigger on auth.users: commenting needs ownership of that table, which is
-- supabase_auth_admin's on Supabase; the trigger function's comment describes it)
