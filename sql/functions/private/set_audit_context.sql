-- Record who acts and why for the step transitions of the rest of this statement's work;
-- read by the audit trigger (tg_enrollment_steps__audit). Transaction-local settings.
create or replace function private.set_audit_context(p_reason text, p_actor_role text default null)
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_ignored text;
begin
  -- assignments, not perform: an expression costs no statement of its own
  v_ignored := pg_catalog.set_config('app.step_reason', coalesce(p_reason, ''), true);
  if p_actor_role is not null then
    v_ignored := pg_catalog.set_config('app.step_actor_role', p_actor_role, true);
  end if;
end
$$;
comment on function private.set_audit_context(text, text) is 'Sets the reason (and actor role) the audit trigger records for the next step transitions in this transaction.';
revoke all on function private.set_audit_context(text, text) from public, anon, authenticated;
grant execute on function private.set_audit_context(text, text) to service_role;
