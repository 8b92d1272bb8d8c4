-- Does this text read as a timestamp with time zone (ISO-8601)? Used to validate event fields.
create or replace function private.is_timestamp(p_value text)
returns boolean
language plpgsql
stable
security invoker
set search_path = ''
as $$
begin
  perform p_value::timestamptz;
  return p_value ~ '^\d{4}-\d{2}-\d{2}';
exception when others then
  return false;
end
$$;
comment on function private.is_timestamp(text) is 'True when the text is an ISO-8601 date-time PostgreSQL can read.';
revoke all on function private.is_timestamp(text) from public, anon, authenticated;
grant execute on function private.is_timestamp(text) to service_role;
