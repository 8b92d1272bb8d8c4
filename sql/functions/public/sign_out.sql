-- Server-side sign-out (/logout): the caller's session (the token's session_id claim, else
-- <sub>:<iat>) is recorded in private.signed_out_sessions, so public.session_is_active() refuses
-- that token from now on. Security invoker: RLS lets a user record only their own sessions.
-- Signing out twice is a no-op. 42501 without a signed-in user.
create or replace function public.sign_out()
returns void
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_claims jsonb := auth.jwt();
begin
  if auth.uid() is null then
    raise exception 'sign_out needs a signed-in user' using errcode = '42501';
  end if;
  insert into private.signed_out_sessions (session_key, user_id, expires_at)
  values (
    private.session_key(),
    auth.uid(),
    pg_catalog.to_timestamp((v_claims ->> 'exp')::double precision)
  )
  on conflict (session_key) do nothing;
end
$$;
comment on function public.sign_out() is 'Sign the caller''s session out server-side: its token is refused by public.session_is_active() from now on. 42501 without a signed-in user.';
revoke all on function public.sign_out() from public, anon, authenticated;
grant execute on function public.sign_out() to authenticated, service_role;
