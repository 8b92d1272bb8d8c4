drop policy if exists "Admins can read partner events" on public.partner_events;
create policy "Admins can read partner events" on public.partner_events
  for select to authenticated using ((select private.is_admin()));
