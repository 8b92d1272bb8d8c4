-- The Data API entry point (/rest/v1/rpc/admin_cancel_enrollment): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.admin_cancel_enrollment(p_enrollment_id uuid, p_reason text)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.admin_cancel_enrollment(p_enrollment_id, p_reason)
$$;
comment on function public.admin_cancel_enrollment(uuid, text) is 'Admin override: cancels an active enrollment (no further partner starts; it leaves the live lists); returns the enrollment. 42501, PS001, PS003, PS007.';
revoke all on function public.admin_cancel_enrollment(uuid, text) from public, anon, authenticated;
grant execute on function public.admin_cancel_enrollment(uuid, text) to authenticated, service_role;
