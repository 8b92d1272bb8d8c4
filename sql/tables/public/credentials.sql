-- One Open Badges 3.0 credential (a signed VC-JWT) per certificate, issued by the worker's
-- `credential` task (glue/tasks/credential.py, glue/credentials.py). status_list_index is the
-- credential's bit in the issuer's Bitstring Status List (/credentials/status/1), allocated here
-- once and for ever; the bit is 1 when the certificate is revoked (certificates.revoked_at), so
-- revoking a certificate revokes its credential, and so does deleting it (the row stays, with
-- certificate_id null: the index is never reused). One list holds 131,072 credentials (16 KiB,
-- the spec's minimum size). Policies: sql/policies/public/credentials.sql.
create table public.credentials (
  id uuid primary key default gen_random_uuid(),
  -- null once its certificate is deleted: the row (and its index) stays, and the credential is revoked
  certificate_id uuid unique references public.certificates (id) on delete set null,
  status_list_index integer not null unique generated always as identity (minvalue 0 start with 0 maxvalue 131071),
  jwt text check (jwt ~ '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$'),
  kid text check (length(kid) between 1 and 200),
  created_at timestamptz not null default now(),
  issued_at timestamptz,
  constraint credentials_signed_check check ((jwt is null) = (issued_at is null) and (jwt is null) = (kid is null))
);
alter table public.credentials enable row level security;

revoke all on public.credentials from anon, authenticated;
grant select on public.credentials to authenticated;
grant all on public.credentials to service_role;

comment on table public.credentials is 'One Open Badges 3.0 credential (VC-JWT, EdDSA) per certificate; status_list_index is its bit in the published Bitstring Status List (set when the certificate is revoked or deleted: certificate_id null). jwt is null until the worker signs it.';

-- A new certificate (whatever inserted it) queues its credential: the worker signs it.
create trigger certificates_queue_credential
  after insert on public.certificates
  for each row execute function private.tg_certificates__queue_credential();
comment on trigger certificates_queue_credential on public.certificates is 'After insert: queues the certificate''s Open Badges credential (the worker signs it).';
