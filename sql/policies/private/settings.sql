-- private.settings: admins read the thresholds (the dashboard shows them); the service role reads
-- and changes them (it bypasses RLS; this policy says so explicitly). Nobody else sees the row.
drop policy if exists "Admins read the settings" on private.settings;
create policy "Admins read the settings" on private.settings
  for select to authenticated
  using ((select private.is_admin()));

drop policy if exists "The service role reads and changes the settings" on private.settings;
create policy "The service role reads and changes the settings" on private.settings
  for all to service_role using (true) with check (true);
