-- Finished and dead jobs are archived and read by the service role only; admins see dead letters
-- through monitor_queues, never the table.
drop policy if exists "The service role archives finished jobs" on queue.jobs_archive;
create policy "The service role archives finished jobs" on queue.jobs_archive
  for all to service_role using (true) with check (true);
