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
