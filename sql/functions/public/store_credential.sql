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
