-- Issue 15, Open Badges 3.0 credentials: public.credentials (one signed VC-JWT per certificate,
-- its status list index allocated once), RLS (a student reads her own, admins all), the
-- `credential` queue (a new certificate queues its credential: private.tg_certificates__queue_credential),
-- and the functions the worker and the pages call: credential_to_sign, store_credential,
-- credential_status_list (revoked certificates' bits), credential_by_code (verify page),
-- my_credentials (student page), queue_missing_credentials (backfill; run at the end of this
-- migration for the certificates issued before it). docs/credentials.md explains the format, keys and revocation.
-- Sources: sql/tables/public/credentials.sql, sql/policies/public/credentials.sql,
-- sql/functions/private/tg_certificates__queue_credential.sql,
-- sql/functions/public/{credential_to_sign,store_credential,credential_status_list,credential_by_code,
-- my_credentials,queue_missing_credentials}.sql.

select pg_catalog.set_config('lock_timeout', '10s', true);
select pg_catalog.set_config('statement_timeout', '120s', true);

insert into queue.queues (queue_name, visibility_timeout_seconds, max_attempts, backoff_base_seconds, backoff_cap_seconds)
values ('credential', 60, 5, 5, 600)
on conflict (queue_name) do nothing;

-- A new certificate: queue the signing of its Open Badges credential (once per certificate).
create or replace function private.tg_certificates__queue_credential()
returns trigger
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
  perform queue.send('credential', pg_catalog.jsonb_build_object('certificate_id', new.id),
                     0, 'credential:' || new.id);
  return null;
end
$$;
comment on function private.tg_certificates__queue_credential() is 'After a certificate is inserted: queues its Open Badges credential for the worker to sign.';
revoke all on function private.tg_certificates__queue_credential() from public, anon, authenticated;

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

drop policy if exists "Students can read their own credentials and admins all" on public.credentials;
create policy "Students can read their own credentials and admins all" on public.credentials
  for select to authenticated
  using (
    (select private.is_admin())
    or exists (
      select 1 from public.certificates c join public.enrollments e on e.id = c.enrollment_id
      where c.id = certificate_id and e.user_id = (select auth.uid()))
  );

-- Worker: what the credential of a certificate says, with its status list index (allocated here,
-- once: one credential row per certificate) and its JWT when it was already signed. Null for an
-- unknown certificate.
create or replace function public.credential_to_sign(p_certificate_id uuid)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_data jsonb := public.get_certificate_data(p_certificate_id);
  v_credential public.credentials;
begin
  if v_data is null then
    return null;
  end if;
  -- checked first so that a retry burns no index (the identity advances even on conflict)
  if not exists (select 1 from public.credentials r where r.certificate_id = p_certificate_id) then
    insert into public.credentials (certificate_id) values (p_certificate_id)
    on conflict (certificate_id) do nothing;
  end if;
  select * into strict v_credential from public.credentials r where r.certificate_id = p_certificate_id;
  return v_data || pg_catalog.jsonb_build_object(
    'credential_id', v_credential.id, 'status_list_index', v_credential.status_list_index,
    'jwt', v_credential.jwt,
    'program_id', (select e.program_id from public.enrollments e where e.id = (v_data ->> 'enrollment_id')::uuid));
end
$$;
comment on function public.credential_to_sign(uuid) is 'Worker: a certificate''s data for its Open Badges credential, with credential_id, status_list_index (allocated once) and jwt (null until signed); null for an unknown certificate.';
revoke all on function public.credential_to_sign(uuid) from public, anon, authenticated;
grant execute on function public.credential_to_sign(uuid) to service_role;

-- Worker: keep a certificate's signed credential (the first one signed wins: a second worker's
-- copy is dropped) and finish the job; returns the credential that is kept. A null p_jwt (no
-- signing key configured) finishes the job and stores nothing. PS051: no credential row for
-- that certificate (credential_to_sign was not called).
create or replace function public.store_credential(p_msg_id bigint, p_certificate_id uuid, p_jwt text, p_kid text)
returns text
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_jwt text;
begin
  if p_jwt is not null then
    update public.credentials r set jwt = p_jwt, kid = p_kid, issued_at = pg_catalog.now()
    where r.certificate_id = p_certificate_id and r.jwt is null;
    select r.jwt into v_jwt from public.credentials r where r.certificate_id = p_certificate_id;
    if not found then
      raise exception 'no credential for certificate %', p_certificate_id using errcode = 'PS051';
    end if;
  end if;
  if p_msg_id is not null then
    perform queue.archive('credential', p_msg_id);
  end if;
  return v_jwt;
end
$$;
comment on function public.store_credential(bigint, uuid, text, text) is 'Worker: stores a certificate''s signed credential once (first wins), archives the job; returns the stored JWT. PS051: no credential row.';
revoke all on function public.store_credential(bigint, uuid, text, text) from public, anon, authenticated;
grant execute on function public.store_credential(bigint, uuid, text, text) to service_role;

-- The issuer's revocation list, for the published Bitstring Status List credential: the status
-- list indexes of the credentials whose certificate is revoked (certificates.revoked_at).
create or replace function public.credential_status_list()
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select pg_catalog.jsonb_build_object(
    'size', 131072,
    'revoked', coalesce(pg_catalog.jsonb_agg(r.status_list_index order by r.status_list_index), '[]'::jsonb))
  from public.credentials r left join public.certificates c on c.id = r.certificate_id
  where r.certificate_id is null or c.revoked_at is not null
$$;
comment on function public.credential_status_list() is 'The revocation status list: {"size": 131072, "revoked": [status_list_index of each credential whose certificate is revoked or deleted]}.';
revoke all on function public.credential_status_list() from public, anon, authenticated;
grant execute on function public.credential_status_list() to service_role;

-- The public verify page (/certificates/<code>): the certificate's signed credential (null while
-- not signed) and its waived steps, for whoever holds the code printed on the certificate.
create or replace function public.credential_by_code(p_code text)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select pg_catalog.jsonb_build_object(
    'certificate_id', c.id, 'jwt', r.jwt,
    'waived_steps', coalesce((select pg_catalog.jsonb_agg(v.provider_name order by s.sequence_order)
                              from public.enrollment_steps s join public.partner_lms_providers v on v.id = s.provider_id
                              where s.enrollment_id = c.enrollment_id and s.status = 'skipped'), '[]'::jsonb))
  from public.certificates c left join public.credentials r on r.certificate_id = c.id
  where c.verification_code = p_code and p_code ~ '^[0-9a-f]{32}$'
$$;
comment on function public.credential_by_code(text) is 'For the verify page: {certificate_id, jwt (null until signed), waived_steps [partner names]} of the certificate with that code, or null.';
revoke all on function public.credential_by_code(text) from public, anon, authenticated;
grant execute on function public.credential_by_code(text) to service_role;

-- The signed-in student's signed credentials (row level security: her own; an admin's own too,
-- filtered on auth.uid() like student_progress), for the progress page and the downloads.
create or replace function public.my_credentials()
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('certificate_id', r.certificate_id, 'jwt', r.jwt)
                                       order by r.issued_at), '[]'::jsonb)
  from public.credentials r
  join public.certificates c on c.id = r.certificate_id
  join public.enrollments e on e.id = c.enrollment_id
  where r.jwt is not null and e.user_id = (select auth.uid())
$$;
comment on function public.my_credentials() is 'The caller''s signed Open Badges credentials: [{certificate_id, jwt}] (RLS: her own).';
revoke all on function public.my_credentials() from public, anon, authenticated;
grant execute on function public.my_credentials() to authenticated, service_role;

-- Queue a credential job for every certificate without a signed credential: the certificates
-- issued before credentials existed, or while no signing key was configured (their jobs finished
-- without issuing). Run once after configuring CREDENTIAL_SIGNING_KEY:
--   select public.queue_missing_credentials();
-- Safe to run again: the credential task is idempotent (one credential per certificate).
create or replace function public.queue_missing_credentials()
returns integer
language sql
volatile
security invoker
set search_path = ''
as $$
  with queued as (
    select queue.send('credential', pg_catalog.jsonb_build_object('certificate_id', c.id)) as msg_id
    from public.certificates c
    where not exists (select 1 from public.credentials r where r.certificate_id = c.id and r.jwt is not null)
      and not exists (select 1 from queue.jobs j
                      where j.queue_name = 'credential' and j.message ->> 'certificate_id' = c.id::text)
  )
  select count(*)::integer from queued
$$;
comment on function public.queue_missing_credentials() is 'Queues a credential job for each certificate without a signed credential (none already queued); returns how many. Run after configuring the signing key.';
revoke all on function public.queue_missing_credentials() from public, anon, authenticated;
grant execute on function public.queue_missing_credentials() to service_role;

-- the certificates issued before this migration get their credentials too (rows, not schema)
select public.queue_missing_credentials();
