drop policy if exists "Users can read their own profile and admins every profile" on public.profiles;
create policy "Users can read their own profile and admins every profile" on public.profiles
  for select to authenticated
  using (id = (select auth.uid()) or (select private.is_admin()));
