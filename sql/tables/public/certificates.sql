-- One certificate per completed enrollment. Policies: sql/policies/public/certificates.sql.
create table public.certificates (
  id uuid primary key default gen_random_uuid(),
  enrollment_id uuid not null unique references public.enrollments (id) on delete cascade,
  verification_code text not null unique default replace(gen_random_uuid()::text, '-', '')
    check (verification_code ~ '^[0-9a-f]{32}$'),
  issued_at timestamptz not null default now(),
  revoked_at timestamptz,
  revoked_reason text,
  pdf bytea,
  pdf_generated_at timestamptz
);
alter table public.certificates enable row level security;

revoke all on public.certificates from anon, authenticated;
grant select on public.certificates to authenticated;
grant all on public.certificates to service_role;

comment on table public.certificates is 'One certificate per completed enrollment; verification_code (122 random bits) is printed on it and checked at /certificates/<code>.';
