-- The caller's session, as server-side sign-out records it: the token's session_id claim
-- (Supabase Auth puts one in every token), else <sub>:<iat>. Null without a signed-in user.
-- The one definition public.sign_out and public.session_is_active share.
create or replace function private.session_key()
returns text
language sql
stable
set search_path = ''
as $$
  select coalesce(nullif(auth.jwt() ->> 'session_id', ''), auth.uid()::text || ':' || coalesce(auth.jwt() ->> 'iat', ''))
$$;
comment on function private.session_key() is 'The caller''s session key for server-side sign-out: the session_id claim, else <sub>:<iat>.';
revoke all on function private.session_key() from public, anon, authenticated;
grant execute on function private.session_key() to authenticated, service_role;
