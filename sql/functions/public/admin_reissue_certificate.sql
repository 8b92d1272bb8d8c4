-- The Data API entry point (/rest/v1/rpc/admin_reissue_certificate): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.admin_reissue_certificate(p_certificate_id uuid, p_reason text)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.admin_reissue_certificate(p_certificate_id, p_reason)
$$;
comment on function public.admin_reissue_certificate(uuid, text) is 'Admin override: makes a certificate valid again (clears the revocation) and queues a fresh PDF; same verification code. 42501, PS007, PS081.';
revoke all on function public.admin_reissue_certificate(uuid, text) from public, anon, authenticated;
grant execute on function public.admin_reissue_certificate(uuid, text) to authenticated, service_role;
