-- Core schema: partners, programs and their partner sequences, profiles, enrollments, the
-- per-partner steps of each enrollment and the audit trail of every step transition.
-- Functions live in sql/functions (delivered by the next migration); policies in sql/policies.

select pg_catalog.set_config('lock_timeout', '10s', true);
select pg_catalog.set_config('statement_timeout', '120s', true);

-- Functions are not executable by PUBLIC unless granted one by one (revoke first, grant after).
alter default privileges in schema public revoke execute on functions from public;

create table public.partner_lms_providers (
  id uuid primary key default gen_random_uuid(),
  slug text not null unique check (slug ~ '^[a-z][a-z0-9_]{1,31}$'),
  provider_name text not null check (length(provider_name) between 1 and 200),
  adapter text not null default 'manual' check (adapter in ('rest', 'manual')),
  adapter_config jsonb not null default '{}'::jsonb check (jsonb_typeof(adapter_config) = 'object'),
  expected_days integer not null default 30 check (expected_days between 1 and 3650),
  created_at timestamptz not null default now()
);
alter table public.partner_lms_providers enable row level security;
comment on table public.partner_lms_providers is
  'External training partners (each runs its own LMS). slug names the webhook URL; adapter chooses how students are enrolled there.';
comment on column public.partner_lms_providers.slug is 'URL name of the partner: /api/webhooks/partners/<slug>.';
comment on column public.partner_lms_providers.adapter is 'rest: enrolled through the partner API; manual: an admin enrolls and enters the partner''s id.';
comment on column public.partner_lms_providers.adapter_config is 'Adapter settings (base_url, enroll_path, auth header name, the env var holding the key). Never a secret itself.';
comment on column public.partner_lms_providers.expected_days is 'Expected days for a student to finish a step at this partner (SLA).';

create table public.programs (
  id uuid primary key default gen_random_uuid(),
  slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,63}$'),
  name text not null check (length(name) between 1 and 200),
  created_at timestamptz not null default now()
);
alter table public.programs enable row level security;
comment on table public.programs is 'Training programs (CNA, Barber, HVAC, ...). Each has an ordered partner sequence in program_partner_lms.';

create table public.program_partner_lms (
  id uuid primary key default gen_random_uuid(),
  program_id uuid not null references public.programs (id) on delete cascade,
  provider_id uuid not null references public.partner_lms_providers (id) on delete restrict,
  sequence_order integer not null check (sequence_order between 1 and 100),
  is_required boolean not null default true,
  unique (program_id, sequence_order)
);
create index program_partner_lms_provider_id_idx on public.program_partner_lms (provider_id);
alter table public.program_partner_lms enable row level security;
comment on table public.program_partner_lms is 'The ordered partner sequence of each program (one row per step, unique order per program).';
comment on column public.program_partner_lms.is_required is 'false: an optional partner; students see it as optional and admins may skip it.';

create table public.profiles (
  id uuid primary key references auth.users (id) on delete cascade,
  email text,
  full_name text not null default '',
  role text not null default 'student' check (role in ('student', 'admin')),
  created_at timestamptz not null default now()
);
alter table public.profiles enable row level security;
comment on table public.profiles is 'One row per user (auth.users); role decides admin access.';

create table public.enrollments (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references public.profiles (id) on delete cascade,
  program_id uuid not null references public.programs (id) on delete restrict,
  status text not null default 'active' check (status in ('active', 'completed', 'cancelled')),
  enrolled_at timestamptz not null default now(),
  completed_at timestamptz,
  check ((status = 'completed') = (completed_at is not null))
);
create index enrollments_user_id_idx on public.enrollments (user_id);
create index enrollments_program_id_idx on public.enrollments (program_id);
create unique index enrollments_one_active_per_program_idx
  on public.enrollments (user_id, program_id) where status = 'active';
alter table public.enrollments enable row level security;
comment on table public.enrollments is
  'A student in a program. Inserting a row is all it takes: steps are generated and the first started in the same transaction.';

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
alter table public.enrollment_steps enable row level security;
comment on table public.enrollment_steps is
  'One row per partner in an enrollment''s sequence; status follows the state machine (see step_transitions for history).';
comment on column public.enrollment_steps.status is 'pending -> in_progress -> completed | failed | skipped; failed -> in_progress (retry) | completed | skipped.';
comment on column public.enrollment_steps.external_enrollment_id is 'The partner''s id for this enrollment; completion webhooks are matched on (provider_id, external_enrollment_id).';
comment on column public.enrollment_steps.launch_url is 'Where the student starts this partner''s training.';
comment on column public.enrollment_steps.progress_percent is 'Partner-reported progress, never decreasing.';
comment on column public.enrollment_steps.partner_certificate is 'Certificate details reported by the partner (certificate.issued), merged.';
comment on column public.enrollment_steps.error_message is 'Why the step failed (or the last partner enrollment error).';

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
comment on table public.step_transitions is
  'Audit trail: every step status change (from, to, who, why, when), written by a trigger whatever the path.';
comment on column public.step_transitions.actor_id is 'auth.uid() of the acting user (null for the system/service role).';
comment on column public.step_transitions.actor_role is 'Who acted: admin, service_role, or the database role for direct changes.';

-- Grants: reads for signed-in users (RLS decides which rows), everything for the service role.
revoke all on public.partner_lms_providers, public.programs, public.program_partner_lms,
  public.profiles, public.enrollments, public.enrollment_steps, public.step_transitions
  from anon, authenticated;
grant select on public.programs, public.program_partner_lms, public.profiles,
  public.enrollments, public.enrollment_steps, public.step_transitions to authenticated;
-- adapter_config is for the worker, not for browsers
grant select (id, slug, provider_name, adapter, expected_days, created_at)
  on public.partner_lms_providers to authenticated;
grant all on public.partner_lms_providers, public.programs, public.program_partner_lms,
  public.profiles, public.enrollments, public.enrollment_steps, public.step_transitions
  to service_role;
