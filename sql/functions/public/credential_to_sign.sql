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
