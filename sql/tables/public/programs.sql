-- Training programs. Policies: sql/policies/public/programs.sql.
create table public.programs (
  id uuid primary key default gen_random_uuid(),
  slug text not null unique check (slug ~ '^[a-z0-9][a-z0-9-]{1,63}$'),
  name text not null check (length(name) between 1 and 200),
  created_at timestamptz not null default now(),
  -- 'allow': a certificate is issued even when steps were waived, and lists them as waived;
  -- 'deny': no certificate when any step was waived. Either way, no certificate when every step
  -- was waived (nothing was completed).
  waived_steps_certificate text not null default 'allow'
    constraint programs_waived_steps_certificate_check check (waived_steps_certificate in ('allow', 'deny'))
);
alter table public.programs enable row level security;

revoke all on public.programs from anon, authenticated;
grant select on public.programs to authenticated;
grant all on public.programs to service_role;

comment on table public.programs is 'Training programs (CNA, Barber, HVAC, ...). Each has an ordered partner sequence in program_partner_lms.';
comment on column public.programs.waived_steps_certificate is 'Certificate policy when steps were waived (skipped): allow (issued, listing the waived steps) or deny (no certificate). An enrollment with every step waived never gets one.';
