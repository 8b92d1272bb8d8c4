-- The demo users the development sign-in page offers (only when DEV_LOGIN is on): profiles with
-- an @example.org address, admins first by role name, then by email. Service role only.
create or replace function public.demo_users()
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  select coalesce(pg_catalog.jsonb_agg(
           pg_catalog.jsonb_build_object('id', p.id, 'email', p.email, 'full_name', p.full_name, 'role', p.role)
           order by p.role, p.email), '[]'::jsonb)
  from public.profiles p
  where p.email like '%@example.org'
$$;
comment on function public.demo_users() is 'Demo users (profiles at @example.org) for the development sign-in page, ordered by role and email. Service role only.';
revoke all on function public.demo_users() from public, anon, authenticated;
grant execute on function public.demo_users() to service_role;
