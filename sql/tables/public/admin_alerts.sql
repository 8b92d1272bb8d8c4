-- What an admin must look at. Policies: sql/policies/public/admin_alerts.sql.
create table public.admin_alerts (
  id bigint generated always as identity primary key,
  kind text not null,
  dedupe_key text not null unique,
  message text not null,
  step_id uuid references public.enrollment_steps (id) on delete cascade,
  enrollment_id uuid references public.enrollments (id) on delete cascade,
  created_at timestamptz not null default now(),
  resolved_at timestamptz
);
create index admin_alerts_open_idx on public.admin_alerts (created_at desc) where resolved_at is null;
create index admin_alerts_step_id_idx on public.admin_alerts (step_id);
create index admin_alerts_enrollment_id_idx on public.admin_alerts (enrollment_id);
alter table public.admin_alerts enable row level security;

revoke all on public.admin_alerts from anon, authenticated;
grant select on public.admin_alerts to authenticated;
grant all on public.admin_alerts to service_role;
revoke all on sequence public.admin_alerts_id_seq from public, anon, authenticated;

comment on table public.admin_alerts is 'Things an admin must look at: failed partner enrollments, manual enrollments needed, SLA breaches.';
