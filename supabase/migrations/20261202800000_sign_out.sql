-- Issue 12, server-side sign-out: /logout records the session (public.sign_out) and every page
-- request asks public.session_is_active(), so a signed-out token cannot be used again.
-- Sources: sql/tables/private/signed_out_sessions.sql, sql/policies/private/signed_out_sessions.sql,
-- sql/functions/public/sign_out.sql, sql/functions/public/session_is_active.sql.

select pg_catalog.set_config('lock_timeout', '10s', true);
select pg_catalog.set_config('statement_timeout', '120s', true);

-- Server-side sign-out: the sessions signed out at /logout. A session is the access token's
-- `session_id` claim (Supabase Auth puts one in every token), else `<sub>:<iat>` (tokens minted
-- without it). public.session_is_active() refuses a token whose session is listed here, so a
-- signed-out token cannot be used again even before it expires. A row is useless once the
-- token has expired (expires_at). Policies: sql/policies/private/signed_out_sessions.sql.
create table private.signed_out_sessions (
  session_key text primary key check (pg_catalog.length(session_key) between 1 and 200),
  user_id uuid not null,
  signed_out_at timestamptz not null default now(),
  expires_at timestamptz
);
alter table private.signed_out_sessions enable row level security;
create index signed_out_sessions_user_id_idx on private.signed_out_sessions (user_id);

revoke all on private.signed_out_sessions from anon, authenticated;
grant select, insert on private.signed_out_sessions to authenticated;
grant select, insert, delete on private.signed_out_sessions to service_role;

comment on table private.signed_out_sessions is 'Sessions signed out at /logout (server-side sign-out): their tokens are refused by public.session_is_active() until they expire.';
comment on column private.signed_out_sessions.session_key is 'The token''s session_id claim, else <sub>:<iat>.';
comment on column private.signed_out_sessions.user_id is 'The user who signed out (auth.users.id, the token''s sub).';
comment on column private.signed_out_sessions.signed_out_at is 'When the user signed out.';
comment on column private.signed_out_sessions.expires_at is 'When the signed-out token expires anyway (its exp claim); the row is useless after that.';

-- private.signed_out_sessions: a signed-in user records and reads their own signed-out sessions
-- (public.sign_out, public.session_is_active run as the user); the service role manages them all.
drop policy if exists "Users record their own sign-outs" on private.signed_out_sessions;
create policy "Users record their own sign-outs" on private.signed_out_sessions
  for insert to authenticated
  with check (user_id = (select auth.uid()));

drop policy if exists "Users read their own sign-outs" on private.signed_out_sessions;
create policy "Users read their own sign-outs" on private.signed_out_sessions
  for select to authenticated
  using (user_id = (select auth.uid()));

drop policy if exists "The service role manages the sign-outs" on private.signed_out_sessions;
create policy "The service role manages the sign-outs" on private.signed_out_sessions
  for all to service_role using (true) with check (true);

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

-- Is the caller's session still signed in? False when it was signed out (public.sign_out) or
-- there is no signed-in user: every page request asks before showing anything (glue
-- login_required), so a signed-out token cannot be used again. Security invoker (RLS: a user
-- reads only their own sign-outs).
create or replace function public.session_is_active()
returns boolean
language sql
stable
security invoker
set search_path = ''
as $$
  select auth.uid() is not null
     and not exists (
       select 1 from private.signed_out_sessions s
        where s.user_id = auth.uid()
          and s.session_key = private.session_key())
$$;
comment on function public.session_is_active() is 'False when the caller''s session was signed out (public.sign_out) or nobody is signed in; asked on every page request.';
revoke all on function public.session_is_active() from public, anon, authenticated;
grant execute on function public.session_is_active() to authenticated, service_role;

