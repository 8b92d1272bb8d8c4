-- Live: the webhook events an admin may need to act on (unmatched, deferred, rejected), newest
-- first, for the dashboard's replay / link actions.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.monitor_waiting_events (sql/functions/public/) is its security invoker entry point.
create or replace function private.monitor_waiting_events(p_limit integer default 100)
returns table (event_id bigint, provider_slug text, event_type text, status text, external_enrollment_id text,
               error text, received_at timestamptz, attempts integer)
language plpgsql
stable
security definer
set search_path = ''
set jit = off
as $$
begin
  perform private.admin_caller();
  return query
  select e.id, v.slug, e.event_type, e.status, e.external_enrollment_id, e.error, e.received_at, e.attempts
  from public.partner_events e join public.partner_lms_providers v on v.id = e.provider_id
  where e.status = any (private.waiting_event_statuses())
  order by e.received_at desc
  limit p_limit;
end
$$;
comment on function private.monitor_waiting_events(integer) is 'Body of public.monitor_waiting_events (security definer, outside the exposed schema): Live: unmatched, deferred and rejected partner events, newest first. Admins only.';
revoke all on function private.monitor_waiting_events(integer) from public, anon, authenticated;
grant execute on function private.monitor_waiting_events(integer) to authenticated, service_role;
