-- Training programs. Policies: sql/policies/public/programs.sql.
create table public.programs (
  id uuid primary key default gen_random_uuid(),
  slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,63}$'),
  name text not null check (length(name) between 1 and 200),
  created_at timestamptz not null default now()
);
alter table public.programs enable row level security;

revoke all on public.programs from anon, authenticated;
grant select on public.programs to authenticated;
grant all on public.programs to service_role;

comment on table public.programs is 'Training programs (CNA, Barber, HVAC, ...). Each has an ordered partner sequence in program_partner_lms.';
