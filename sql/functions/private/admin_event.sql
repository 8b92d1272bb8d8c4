-- One partner event for the event log's detail view: partner, type, outcome, received/applied
-- times, the step and student it concerns, the payload as received (pretty JSON, or the raw body
-- when it was not JSON), and the admin replays of it from the audit trail. The page escapes it
-- all. 42501 unless the caller is an admin; PS012 for an unknown event.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.admin_event (sql/functions/public/) is its security invoker entry point.
create or replace function private.admin_event(p_event_id bigint)
returns jsonb
language plpgsql
stable
security definer
set search_path = ''
set jit = off
as $$
declare
  v jsonb;
begin
  perform private.admin_caller();
  select pg_catalog.jsonb_build_object(
           'row', r,
           'payload_text', coalesce(pg_catalog.jsonb_pretty(x.payload), x.body),
           'body_bytes', pg_catalog.octet_length(x.body),
           'replays', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                                'at', a.created_at, 'actor_role', a.actor_role, 'reason', a.reason,
                                'actor_name', coalesce(nullif(ap.full_name, ''), ap.email, a.actor_role))
                              order by a.id), '[]')
                       from public.admin_actions a left join public.profiles ap on ap.id = a.actor_id
                       where a.action = 'replay_event' and a.target = x.id::text))
    into v
  from public.partner_events x
  cross join lateral (
    select l -> 'rows' -> 0 as r
    from private.admin_list('events', null, null, null, '#' || x.id::text, null, 1, 1) l) r
  where x.id = p_event_id;
  if v is null then
    raise exception 'no partner event %', p_event_id using errcode = 'PS012';
  end if;
  return (v || (v -> 'row')) - 'row';
end
$$;
comment on function private.admin_event(bigint) is 'Body of public.admin_event (security definer, outside the exposed schema): one partner event with its outcome, student, payload and replays. Admins only (42501); PS012 for an unknown event.';
revoke all on function private.admin_event(bigint) from public, anon, authenticated;
grant execute on function private.admin_event(bigint) to authenticated, service_role;
