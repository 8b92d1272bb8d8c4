-- Audit trail: one step_transitions row for every step insert and status change, whatever the path.
create or replace function private.tg_enrollment_steps__audit()
returns trigger
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_role text := pg_catalog.current_setting('role');
begin
  insert into public.step_transitions
    (step_id, enrollment_id, from_status, to_status, actor_id, actor_role, reason)
  values (
    new.id, new.enrollment_id,
    case when tg_op = 'UPDATE' then old.status end,
    new.status,
    auth.uid(),
    coalesce(
      nullif(pg_catalog.current_setting('app.step_actor_role', true), ''),
      nullif(auth.role(), ''),
      nullif(v_role, 'none'),
      session_user),
    nullif(pg_catalog.current_setting('app.step_reason', true), '')
  );
  return null;
end
$$;
comment on function private.tg_enrollment_steps__audit() is 'After insert/update of status on enrollment_steps: appends the transition to step_transitions. Definer so the trail is written whoever changes the step.';
revoke all on function private.tg_enrollment_steps__audit() from public, anon, authenticated;
