-- The queue is the worker's: it runs as the service role (queue.send/read/archive/set_vt/fail are
-- granted to it alone), and signed-in users and visitors hold no grant on any queue table. The
-- policy states that in the catalog (splinter 0008) and keeps holding where the service role does
-- not bypass row level security.
drop policy if exists "The service role manages the queues" on queue.queues;
create policy "The service role manages the queues" on queue.queues
  for all to service_role using (true) with check (true);
