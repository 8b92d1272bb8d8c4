-- Audit trail of every step status change, written by the enrollment_steps audit triggers.
-- Policies: sql/policies/public/step_transitions.sql.
create table public.step_transitions (
  id bigint generated always as identity primary key,
  step_id uuid not null references public.enrollment_steps (id) on delete cascade,
  enrollment_id uuid not null references public.enrollments (id) on delete cascade,
  from_status text,
  to_status text not null,
  actor_id uuid,
  actor_role text not null,
  reason text,
  created_at timestamptz not null default now()
);
create index step_transitions_step_id_idx on public.step_transitions (step_id);
create index step_transitions_enrollment_id_idx on public.step_transitions (enrollment_id);
alter table public.step_transitions enable row level security;

revoke all on public.step_transitions from anon, authenticated;
grant select on public.step_transitions to authenticated;
grant all on public.step_transitions to service_role;
-- inserts through the identity column need no sequence privilege: the API roles hold none
revoke all on sequence public.step_transitions_id_seq from public, anon, authenticated;

comment on table public.step_transitions is
  'Audit trail: every step status change (from, to, who, why, when), written by a trigger whatever the path.';
comment on column public.step_transitions.actor_id is 'auth.uid() of the acting user (null for the system/service role).';
comment on column public.step_transitions.actor_role is 'Who acted: admin, service_role, or the database role for direct changes.';
