drop policy if exists "Admins can read the email log" on public.email_sends;
create policy "Admins can read the email log" on public.email_sends
  for select to authenticated using ((select private.is_admin()));
