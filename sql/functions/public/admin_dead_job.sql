-- The Data API entry point (/rest/v1/rpc/admin_dead_job): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.admin_dead_job(p_msg_id bigint, p_action text, p_reason text default null)
returns jsonb
language sql
volatile
security invoker
set search_path = ''
as $$
  select private.admin_dead_job(p_msg_id, p_action, p_reason)
$$;
comment on function public.admin_dead_job(bigint, text, text) is 'Admin override on a dead letter: retry (send again) or discard, audited; without a reason, the preview for the confirmation page. 42501, PS003, PS007, PS080, PS083.';
revoke all on function public.admin_dead_job(bigint, text, text) from public, anon, authenticated;
grant execute on function public.admin_dead_job(bigint, text, text) to authenticated, service_role;
