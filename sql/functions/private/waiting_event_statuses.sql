-- The one definition of the partner events an admin may need to act on: "waiting" for their step
-- (unmatched: no step has the partner's enrollment id yet; deferred: the step is not ready for
-- it yet) and, with p_include_rejected, rejected ones (e.g. replayable after fixing a step).
-- Used by the dashboard's "Webhook events to review" count (admin_dashboard), the CLI's
-- `replay-events --unmatched/--rejected` (partner_events_to_replay); monitor_waiting_events
-- should select with it too.
create or replace function private.waiting_event_statuses(p_include_rejected boolean default true)
returns text[]
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case when p_include_rejected then array['unmatched', 'deferred', 'rejected']
              else array['unmatched', 'deferred'] end
$$;
comment on function private.waiting_event_statuses(boolean) is 'Partner event statuses that wait for a step (unmatched, deferred) and, by default, rejected: the events to review or replay.';
revoke all on function private.waiting_event_statuses(boolean) from public, anon, authenticated;
grant execute on function private.waiting_event_statuses(boolean) to authenticated, service_role;
