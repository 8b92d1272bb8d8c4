-- Admin override: revoke a certificate (issued in error, fraud): sets certificates.revoked_at and
-- revoked_reason, which the public verification page (and the credential status list derived
-- from these columns) reports. PS081 unknown certificate, PS003 already revoked.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.admin_revoke_certificate (sql/functions/public/) is its security invoker entry point.
create or replace function private.admin_revoke_certificate(p_certificate_id uuid, p_reason text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_revoked_at timestamptz;
begin
  perform private.authorize_step_override(p_reason);
  select c.revoked_at into v_revoked_at from public.certificates c where c.id = p_certificate_id for update;
  if not found then
    raise exception 'certificate % not found', p_certificate_id using errcode = 'PS081';
  end if;
  if v_revoked_at is not null then
    raise exception 'the certificate is already revoked' using errcode = 'PS003';
  end if;
  perform private.record_admin_action('revoke_certificate', p_certificate_id::text, p_reason);
  update public.certificates set revoked_at = pg_catalog.now(), revoked_reason = pg_catalog.btrim(p_reason)
    where id = p_certificate_id;
  return pg_catalog.jsonb_build_object('certificate_id', p_certificate_id, 'revoked_at', pg_catalog.now());
end
$$;
comment on function private.admin_revoke_certificate(uuid, text) is 'Body of public.admin_revoke_certificate (security definer, outside the exposed schema): Admin override: revokes a certificate (revoked_at, revoked_reason; the verify page then says revoked). 42501, PS003, PS007, PS081.';
revoke all on function private.admin_revoke_certificate(uuid, text) from public, anon, authenticated;
grant execute on function private.admin_revoke_certificate(uuid, text) to authenticated, service_role;
