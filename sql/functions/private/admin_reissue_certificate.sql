-- Admin override: reissue a certificate (after a revocation in error, or a corrected name): the
-- revocation is cleared (same verification code, valid again) and a fresh PDF is queued for the
-- worker. The student's "program completed" email is not sent again (once per enrollment).
-- PS081 unknown certificate.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.admin_reissue_certificate (sql/functions/public/) is its security invoker entry point.
create or replace function private.admin_reissue_certificate(p_certificate_id uuid, p_reason text)
returns jsonb
language plpgsql
volatile
security definer
set search_path = ''
as $$
begin
  perform private.authorize_step_override(p_reason);
  perform 1 from public.certificates c where c.id = p_certificate_id for update;
  if not found then
    raise exception 'certificate % not found', p_certificate_id using errcode = 'PS081';
  end if;
  perform private.record_admin_action('reissue_certificate', p_certificate_id::text, p_reason);
  update public.certificates set revoked_at = null, revoked_reason = null, pdf = null, pdf_generated_at = null
    where id = p_certificate_id;
  perform queue.send('certificate', pg_catalog.jsonb_build_object('certificate_id', p_certificate_id), 0,
                     'certificate:' || p_certificate_id || ':reissue:' || pg_catalog.floor(extract(epoch from pg_catalog.clock_timestamp()) * 1000)::bigint);
  return pg_catalog.jsonb_build_object('certificate_id', p_certificate_id, 'revoked_at', null);
end
$$;
comment on function private.admin_reissue_certificate(uuid, text) is 'Body of public.admin_reissue_certificate (security definer, outside the exposed schema): Admin override: makes a certificate valid again (clears the revocation) and queues a fresh PDF; same verification code. 42501, PS007, PS081.';
revoke all on function private.admin_reissue_certificate(uuid, text) from public, anon, authenticated;
grant execute on function private.admin_reissue_certificate(uuid, text) to authenticated, service_role;
