drop policy if exists "Admins can read alerts" on public.admin_alerts;
create policy "Admins can read alerts" on public.admin_alerts
  for select to authenticated using ((select private.is_admin()));
