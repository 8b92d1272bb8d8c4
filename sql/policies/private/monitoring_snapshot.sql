-- private.monitoring_snapshot is refreshed and read by the service role (the worker's
-- refresh_monitoring) and by the admin-only monitoring functions, which run as its owner; its
-- grants stop at select, insert and update for the service role. Signed-in users and visitors hold
-- no grant: admins read it through the monitor_* functions.
drop policy if exists "The service role refreshes and reads the monitoring snapshot" on private.monitoring_snapshot;
create policy "The service role refreshes and reads the monitoring snapshot" on private.monitoring_snapshot
  for all to service_role using (true) with check (true);
