-- External training partners. Signed-in users read every column but adapter_config (the worker's
-- settings); the service role manages them. Policies: sql/policies/public/partner_lms_providers.sql.
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

revoke all on public.partner_lms_providers from anon, authenticated;
-- adapter_config is for the worker, not for browsers
grant select (id, slug, provider_name, adapter, expected_days, created_at)
  on public.partner_lms_providers to authenticated;
grant all on public.partner_lms_providers to service_role;

comment on table public.partner_lms_providers is
  'External training partners (each runs its own LMS). slug names the webhook URL; adapter chooses how students are enrolled there.';
comment on column public.partner_lms_providers.slug is 'URL name of the partner: /api/webhooks/partners/<slug>.';
comment on column public.partner_lms_providers.adapter is 'rest: enrolled through the partner API; manual: an admin enrolls and enters the partner''s id.';
comment on column public.partner_lms_providers.adapter_config is 'Adapter settings (base_url, enroll_path, auth header name, the env var holding the key). Never a secret itself.';
comment on column public.partner_lms_providers.expected_days is 'Expected days for a student to finish a step at this partner (SLA).';
