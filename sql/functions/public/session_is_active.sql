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
