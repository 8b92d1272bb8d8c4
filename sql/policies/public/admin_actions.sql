drop policy if exists "Admins can read the admin action log" on public.admin_actions;
create policy "Admins can read the admin action log" on public.admin_actions
  for select to authenticated using ((select private.is_admin()));
