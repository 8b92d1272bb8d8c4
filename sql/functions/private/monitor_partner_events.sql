-- Live, per partner: webhook events waiting (unmatched, deferred) and rejected, and when the last
-- event arrived (a partner that went quiet is a warning sign).
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.monitor_partner_events (sql/functions/public/) is its security invoker entry point.
create or replace function private.monitor_partner_events()
returns table (provider_slug text, provider_name text, unmatched integer, deferred integer, rejected integer,
               last_event_at timestamptz)
language plpgsql
stable
security definer
set search_path = ''
set jit = off
as $$
begin
  perform private.admin_caller();
  return query
  select v.slug, v.provider_name,
    (select count(*)::integer from public.partner_events e where e.provider_id = v.id and e.status = 'unmatched'),
    (select count(*)::integer from public.partner_events e where e.provider_id = v.id and e.status = 'deferred'),
    (select count(*)::integer from public.partner_events e where e.provider_id = v.id and e.status = 'rejected'),
    (select max(e.received_at) from public.partner_events e where e.provider_id = v.id)
  from public.partner_lms_providers v
  order by v.slug;
end
$$;
comment on function private.monitor_partner_events() is 'Body of public.monitor_partner_events (security definer, outside the exposed schema): Live, per partner: unmatched, deferred and rejected webhook events and the last event time. Admins only.';
revoke all on function private.monitor_partner_events() from public, anon, authenticated;
grant execute on function private.monitor_partner_events() to authenticated, service_role;
