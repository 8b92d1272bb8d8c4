-- Alerts about a step close themselves when the step no longer needs anyone: it completed or was
-- skipped (all its alerts), or a partner enrollment id was entered (manual enrollment needed).
create or replace function private.tg_enrollment_steps__resolve_alerts()
returns trigger
language plpgsql
volatile
security invoker
set search_path = ''
as $$
begin
  update public.admin_alerts a set resolved_at = pg_catalog.now()
  where a.step_id = new.id and a.resolved_at is null
    and (private.step_is_done(new.status)
         or (a.kind = 'manual_enrollment_needed' and new.external_enrollment_id is not null));
  return null;
end
$$;
comment on function private.tg_enrollment_steps__resolve_alerts() is 'After a step completes, is skipped or gets its partner id: resolves the admin alerts that no longer apply.';
revoke all on function private.tg_enrollment_steps__resolve_alerts() from public, anon, authenticated;
