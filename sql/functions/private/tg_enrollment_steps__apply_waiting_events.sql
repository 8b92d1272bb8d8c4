-- Nothing is lost: when a step gets its partner enrollment id (enrollment.created, the worker's
-- enrollment call, an admin entering it) or is back in progress (admin retry), the events that
-- were waiting for it (unmatched or deferred) are applied, oldest first, in the same transaction.
create or replace function private.tg_enrollment_steps__apply_waiting_events()
returns trigger
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_event_id bigint;
begin
  for v_event_id in
    select e.id from public.partner_events e
    where e.provider_id = new.provider_id and e.external_enrollment_id = new.external_enrollment_id
      and e.status = any (private.waiting_event_statuses(false))
    order by e.id
  loop
    perform private.apply_partner_event(v_event_id);
  end loop;
  return null;
end
$$;
comment on function private.tg_enrollment_steps__apply_waiting_events() is 'After a step is linked to a partner id or restarted: applies the unmatched/deferred partner events waiting for it.';
revoke all on function private.tg_enrollment_steps__apply_waiting_events() from public, anon, authenticated;
