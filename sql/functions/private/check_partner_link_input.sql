-- What an admin may type as a partner's enrollment id and launch URL, checked before anything is
-- recorded: the id 1 to 200 characters, no control characters, no spaces at either end; the URL
-- http(s), at most 2000 characters, no spaces or control characters. PS005 otherwise, with a
-- message that says what is wrong (the page shows it; nothing is logged as a crash).
create or replace function private.check_partner_link_input(p_external_enrollment_id text, p_launch_url text default null)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  if p_external_enrollment_id is not null then
    if pg_catalog.length(p_external_enrollment_id) not between 1 and 200 then
      raise exception 'the partner enrollment id must be 1 to 200 characters (this one has %)',
        pg_catalog.length(p_external_enrollment_id) using errcode = 'PS005';
    elsif p_external_enrollment_id ~ '[[:cntrl:]]' then
      raise exception 'the partner enrollment id must not contain control characters (line breaks, tabs)'
        using errcode = 'PS005';
    elsif p_external_enrollment_id <> pg_catalog.btrim(p_external_enrollment_id) then
      raise exception 'the partner enrollment id must not start or end with a space' using errcode = 'PS005';
    end if;
  end if;
  if p_launch_url is not null
     and (pg_catalog.length(p_launch_url) > 2000 or p_launch_url !~ '^https?://[^[:space:][:cntrl:]]+$') then
    raise exception 'the launch URL must be an http(s) address of at most 2000 characters, without spaces'
      using errcode = 'PS005';
  end if;
end
$$;
comment on function private.check_partner_link_input(text, text) is 'Raises PS005 unless a partner enrollment id (1-200 characters, no control characters, no outer spaces) and launch URL (http(s), <= 2000 characters, no spaces) are acceptable admin input.';
revoke all on function private.check_partner_link_input(text, text) from public, anon, authenticated;
grant execute on function private.check_partner_link_input(text, text) to service_role;
