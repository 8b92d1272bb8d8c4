-- A student in a program. Policies: sql/policies/public/enrollments.sql.
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

revoke all on public.enrollments from anon, authenticated;
grant select on public.enrollments to authenticated;
grant all on public.enrollments to service_role;

-- Inserting an enrollment is all it takes: its steps are generated and the first started in the
-- same transaction, whatever path inserted the row.
create trigger enrollments_generate_steps
  after insert on public.enrollments
  for each row execute function private.tg_enrollments__generate_steps();
-- A completed enrollment gets its certificate (and the certificate job is queued).
create trigger enrollments_issue_certificate
  after update of status on public.enrollments
  for each row when (new.status = 'completed' and old.status is distinct from 'completed')
  execute function private.tg_enrollments__issue_certificate();

comment on table public.enrollments is
  'A student in a program. Inserting a row is all it takes: steps are generated and the first started in the same transaction.';
comment on trigger enrollments_generate_steps on public.enrollments is 'After insert: generates the steps of the enrollment and starts the first.';
comment on trigger enrollments_issue_certificate on public.enrollments is 'After an enrollment completes: issues its certificate and queues its PDF.';
