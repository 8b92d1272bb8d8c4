-- The Data API entry point (/rest/v1/rpc/monitor_partner_events): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.monitor_partner_events()
returns table (provider_slug text, provider_name text, unmatched integer, deferred integer, rejected integer,
               last_event_at timestamptz)
language sql
stable
security invoker
set search_path = ''
as $$
  select * from private.monitor_partner_events()
$$;
comment on function public.monitor_partner_events() is 'Live, per partner: unmatched, deferred and rejected webhook events and the last event time. Admins only.';
revoke all on function public.monitor_partner_events() from public, anon, authenticated;
grant execute on function public.monitor_partner_events() to authenticated, service_role;
