-- Is the calling user (auth.uid()) an admin? Used by RLS policies and admin overrides.
-- security definer: it reads profiles without recursing into profiles' own RLS policy; it only
-- ever answers about the caller, so it is safe to grant to authenticated.
create or replace function private.is_admin()
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.profiles p
    where p.id = (select auth.uid()) and p.role = 'admin'
  )
$$;
comment on function private.is_admin() is 'True when the calling user (auth.uid()) has profiles.role = admin.';
revoke all on function private.is_admin() from public, anon;
grant execute on function private.is_admin() to authenticated, service_role;
