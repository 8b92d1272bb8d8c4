-- One row per partner in an enrollment's sequence; its status follows the state machine, which
-- the guard trigger enforces on the table itself. Policies: sql/policies/public/enrollment_steps.sql.
create table public.enrollment_steps (
  id uuid primary key default gen_random_uuid(),
  enrollment_id uuid not null references public.enrollments (id) on delete cascade,
  provider_id uuid not null references public.partner_lms_providers (id) on delete restrict,
  sequence_order integer not null,
  is_required boolean not null default true,
  status text not null default 'pending'
    check (status in ('pending', 'in_progress', 'completed', 'failed', 'skipped')),
  started_at timestamptz,
  completed_at timestamptz,
  external_enrollment_id text check (length(external_enrollment_id) between 1 and 200),
  launch_url text check (launch_url ~ '^https?://'),
  progress_percent smallint not null default 0 check (progress_percent between 0 and 100),
  partner_certificate jsonb not null default '{}'::jsonb,
  error_message text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  partner_result jsonb not null default '{}'::jsonb,
  unique (enrollment_id, sequence_order),
  check (status = 'pending' or started_at is not null or status = 'skipped'),
  check ((status = 'completed') = (completed_at is not null))
);
-- at most one step in progress per enrollment
create unique index enrollment_steps_one_in_progress_idx
  on public.enrollment_steps (enrollment_id) where status = 'in_progress';
-- a partner's enrollment id names exactly one step at that partner (webhook lookup)
create unique index enrollment_steps_provider_external_id_idx
  on public.enrollment_steps (provider_id, external_enrollment_id)
  where external_enrollment_id is not null;
-- pipeline and stuck-student lookups
create index enrollment_steps_provider_status_idx
  on public.enrollment_steps (provider_id, status);
create index enrollment_steps_in_progress_started_at_idx
  on public.enrollment_steps (started_at) where status = 'in_progress';
-- live monitoring lookups (failed steps, steps awaiting their partner enrollment)
create index enrollment_steps_failed_idx on public.enrollment_steps (updated_at desc) where status = 'failed';
create index enrollment_steps_awaiting_idx on public.enrollment_steps (started_at)
  where status = 'in_progress' and external_enrollment_id is null;
alter table public.enrollment_steps enable row level security;

revoke all on public.enrollment_steps from anon, authenticated;
-- signed-in users read every column but error_message (raw partner errors; RLS decides which
-- rows; admins read errors through monitor_failed_enrollments). A column added later is not
-- readable until granted here too.
grant select (id, enrollment_id, provider_id, sequence_order, is_required, status, started_at, completed_at,
              external_enrollment_id, launch_url, progress_percent, partner_certificate, created_at, updated_at,
              partner_result)
  on public.enrollment_steps to authenticated;
grant all on public.enrollment_steps to service_role;

-- Triggers. PostgreSQL fires the triggers of one event in the order of their names (C order), so
-- every trigger here carries its place: _100_, _200_, ... (graphile/starter style; an unnumbered
-- name would sort after them all). See README "Trigger order".
-- Before update: the state machine (PS003 on an illegal transition), and updated_at.
create trigger _100_guard_transition
  before update on public.enrollment_steps
  for each row execute function private.tg_enrollment_steps__guard_transition();
-- After insert: the audit trail's first row (null -> pending).
create trigger _100_audit_insert
  after insert on public.enrollment_steps
  for each row execute function private.tg_enrollment_steps__audit();
-- After update, in this order. 100 records the transition before anything it sets off: 400 may
-- complete the step again inside this update (a waiting completion applied to a restarted step),
-- and those nested transitions must come after this one in the trail. 200 and 300 act on this
-- transition only; 300 (no partner id yet) and 400 (partner id set) never both act.
create trigger _100_audit_update
  after update of status on public.enrollment_steps
  for each row when (old.status is distinct from new.status)
  execute function private.tg_enrollment_steps__audit();
create trigger _200_resolve_alerts
  after update of status, external_enrollment_id on public.enrollment_steps
  for each row when (new.status in ('completed', 'skipped')
                     or (new.external_enrollment_id is not null and old.external_enrollment_id is null))
  execute function private.tg_enrollment_steps__resolve_alerts();
create trigger _300_enqueue_partner_enrollment
  after update of status on public.enrollment_steps
  for each row when (new.status = 'in_progress' and old.status is distinct from 'in_progress')
  execute function private.tg_enrollment_steps__enqueue_partner_enrollment();
create trigger _400_apply_waiting_events
  after update of external_enrollment_id, status on public.enrollment_steps
  for each row
  when (new.external_enrollment_id is not null
        and (old.external_enrollment_id is distinct from new.external_enrollment_id
             or (new.status = 'in_progress' and old.status <> 'in_progress')))
  execute function private.tg_enrollment_steps__apply_waiting_events();

comment on table public.enrollment_steps is
  'One row per partner in an enrollment''s sequence; status follows the state machine (see step_transitions for history).';
comment on column public.enrollment_steps.status is 'pending -> in_progress -> completed | failed | skipped; failed -> in_progress (retry) | completed | skipped.';
comment on column public.enrollment_steps.launch_url is 'Where the student starts this partner''s training.';
comment on column public.enrollment_steps.external_enrollment_id is 'The partner''s id for this enrollment; completion webhooks are matched on (provider_id, external_enrollment_id).';
comment on column public.enrollment_steps.progress_percent is 'Partner-reported progress, never decreasing.';
comment on column public.enrollment_steps.partner_certificate is 'Certificate details reported by the partner (certificate.issued), merged.';
comment on column public.enrollment_steps.error_message is 'Why the step failed (or the last partner enrollment error).';
comment on column public.enrollment_steps.partner_result is 'What the partner reported with the completion (completed_at, score, the event id).';
comment on trigger _100_guard_transition on public.enrollment_steps is 'Before update: only the state machine''s transitions (PS003 otherwise); sets updated_at.';
comment on trigger _100_audit_insert on public.enrollment_steps is 'After insert: the first step_transitions row of the step (null -> pending).';
comment on trigger _100_audit_update on public.enrollment_steps is 'After update, first: records the status change in step_transitions before anything it sets off.';
comment on trigger _200_resolve_alerts on public.enrollment_steps is 'After update, second: resolves the admin alerts a completion, skip or partner id answers.';
comment on trigger _300_enqueue_partner_enrollment on public.enrollment_steps is 'After update, third: queues the partner enrollment of a started step without a partner id (or alerts admins).';
comment on trigger _400_apply_waiting_events on public.enrollment_steps is 'After update, last: applies the partner events waiting for this step, which may move it on.';
