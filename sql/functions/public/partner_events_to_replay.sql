-- The ids of the stored partner events `replay-events` should re-apply: with p_waiting those
-- still waiting for their step, with p_rejected the rejected ones (private.waiting_event_statuses
-- is the one definition), optionally of one partner (p_partner_slug), oldest id first. An array,
-- so it is one value over a direct connection and over the Data API alike. Service role only.
create or replace function public.partner_events_to_replay(
  p_waiting boolean default true, p_rejected boolean default false, p_partner_slug text default null)
returns bigint[]
language sql
stable
security invoker
set search_path = ''
as $$
  select coalesce(pg_catalog.array_agg(e.id order by e.id), '{}')
  from public.partner_events e
  join public.partner_lms_providers v on v.id = e.provider_id
  where (p_partner_slug is null or v.slug = p_partner_slug)
    and ((p_waiting and e.status = any (private.waiting_event_statuses(false)))
         or (p_rejected and e.status = 'rejected'))
$$;
comment on function public.partner_events_to_replay(boolean, boolean, text) is 'Ids of partner events to replay: waiting (unmatched, deferred) and/or rejected, optionally of one partner, in id order. Service role only.';
revoke all on function public.partner_events_to_replay(boolean, boolean, text) from public, anon, authenticated;
grant execute on function public.partner_events_to_replay(boolean, boolean, text) to service_role;
