-- Jobs are sent, read, delayed and archived by the service role only (the worker and the
-- functions it calls); signed-in users and visitors hold no grant on the queue.
drop policy if exists "The service role sends, reads and archives jobs" on queue.jobs;
create policy "The service role sends, reads and archives jobs" on queue.jobs
  for all to service_role using (true) with check (true);
