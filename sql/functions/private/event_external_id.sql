-- The partner's enrollment id named by an event: data.external_enrollment_id, or the original
-- system's camelCase alias data.enrollmentId. Null unless a non-empty string of at most 200 chars.
create or replace function private.event_external_id(p_payload jsonb)
returns text
language plpgsql
immutable
security invoker
set search_path = ''
as $$
declare
  v_id text := case
    when pg_catalog.jsonb_typeof(p_payload -> 'data' -> 'external_enrollment_id') = 'string'
      then p_payload -> 'data' ->> 'external_enrollment_id'
    when pg_catalog.jsonb_typeof(p_payload -> 'data' -> 'enrollmentId') = 'string'
      then p_payload -> 'data' ->> 'enrollmentId'
  end;
begin
  return case when pg_catalog.length(v_id) between 1 and 200 then v_id end;
end
$$;
comment on function private.event_external_id(jsonb) is 'data.external_enrollment_id (or the alias data.enrollmentId) of a partner event, when a 1..200 character string.';
revoke all on function private.event_external_id(jsonb) from public, anon, authenticated;
grant execute on function private.event_external_id(jsonb) to service_role;
