-- The durable inbox of partner webhook events. Policies: sql/policies/public/partner_events.sql.
create table public.partner_events (
  id bigint generated always as identity primary key,
  provider_id uuid not null references public.partner_lms_providers (id) on delete restrict,
  webhook_id text not null check (length(webhook_id) between 1 and 255),
  event_type text,
  payload jsonb,
  body text,
  external_enrollment_id text,
  step_id uuid references public.enrollment_steps (id) on delete set null,
  status text not null default 'received'
    check (status in ('received', 'processed', 'ignored', 'unmatched', 'deferred', 'rejected')),
  error text,
  attempts integer not null default 0,
  received_at timestamptz not null default now(),
  processed_at timestamptz,
  unique (provider_id, webhook_id),
  check (payload is not null or body is not null)
);
-- events waiting for a step to be linked or restarted
create index partner_events_waiting_idx on public.partner_events (provider_id, external_enrollment_id)
  where status in ('unmatched', 'deferred');
-- monitoring: per partner and status, newest first
create index partner_events_provider_received_at_idx on public.partner_events (provider_id, received_at desc);
create index partner_events_status_idx on public.partner_events (status) where status <> 'processed';
create index partner_events_step_id_idx on public.partner_events (step_id);
alter table public.partner_events enable row level security;

revoke all on public.partner_events from anon, authenticated;
grant select on public.partner_events to authenticated;
grant all on public.partner_events to service_role;
revoke all on sequence public.partner_events_id_seq from public, anon, authenticated;

comment on table public.partner_events is
  'Durable inbox of signed partner webhook events: every accepted event is kept, unique per partner and webhook-id.';
comment on column public.partner_events.payload is 'The event as JSON (null when the body was not valid JSON; then body holds it).';
comment on column public.partner_events.body is 'The raw body, kept only when it was not valid JSON.';
comment on column public.partner_events.status is 'processed, ignored, unmatched (no step has that id yet), deferred (step not in progress), rejected (malformed).';
comment on column public.partner_events.external_enrollment_id is 'data.external_enrollment_id of the event, for matching waiting events when a step is linked.';
