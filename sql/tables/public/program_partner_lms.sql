-- The ordered partner sequence of each program. Policies: sql/policies/public/program_partner_lms.sql.
create table public.program_partner_lms (
  id uuid primary key default gen_random_uuid(),
  program_id uuid not null references public.programs (id) on delete cascade,
  provider_id uuid not null references public.partner_lms_providers (id) on delete restrict,
  sequence_order integer not null check (sequence_order between 1 and 100),
  is_required boolean not null default true,
  unique (program_id, sequence_order),
  expected_days integer check (expected_days between 1 and 3650)
);
create index program_partner_lms_provider_id_idx on public.program_partner_lms (provider_id);
alter table public.program_partner_lms enable row level security;

revoke all on public.program_partner_lms from anon, authenticated;
grant select on public.program_partner_lms to authenticated;
grant all on public.program_partner_lms to service_role;

comment on table public.program_partner_lms is 'The ordered partner sequence of each program (one row per step, unique order per program).';
comment on column public.program_partner_lms.is_required is 'false: an optional partner; students see it as optional and admins may skip it.';
comment on column public.program_partner_lms.expected_days is 'Expected days for a student to finish this step of the program (due date = start + these days); null: the partner''s expected_days.';
