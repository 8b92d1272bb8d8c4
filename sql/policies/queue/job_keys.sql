-- Dedupe keys are written by queue.send as the service role; nobody else holds a grant.
drop policy if exists "The service role records dedupe keys" on queue.job_keys;
create policy "The service role records dedupe keys" on queue.job_keys
  for all to service_role using (true) with check (true);
