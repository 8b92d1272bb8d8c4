-- Log an admin action (who, what, on what, why) in admin_actions; the overrides call it right
-- after authorize_step_override, so every dashboard action leaves an audit entry even when it
-- changes no step (a replay that still finds nothing, say).
create or replace function private.record_admin_action(p_action text, p_target text, p_reason text)
returns void
language sql
volatile
security invoker
set search_path = ''
as $$
  insert into public.admin_actions (actor_id, actor_role, action, target, reason)
  values (auth.uid(), coalesce(nullif(pg_catalog.current_setting('app.step_actor_role', true), ''), session_user),
          p_action, p_target, pg_catalog.btrim(p_reason))
$$;
comment on function private.record_admin_action(text, text, text) is 'Appends an entry to admin_actions (actor, action, target, reason).';
revoke all on function private.record_admin_action(text, text, text) from public, anon, authenticated;
grant execute on function private.record_admin_action(text, text, text) to service_role;
