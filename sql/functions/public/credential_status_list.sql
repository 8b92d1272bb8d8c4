-- The issuer's revocation list, for the published Bitstring Status List credential: the status
-- list indexes of the credentials whose certificate is revoked (certificates.revoked_at) or was
-- deleted (credentials.certificate_id set null): deleting a certificate never un-revokes it.
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
