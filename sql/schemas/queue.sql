-- queue: the transactional outbox, a pgmq-like queue (queue.send/read/archive/fail/set_vt) used
-- by the service role (the worker) alone.
create schema if not exists queue;
grant usage on schema queue to service_role;
alter default privileges in schema queue revoke execute on functions from public;
comment on schema queue is 'The transactional outbox: a pgmq-like job queue for the worker (service role only).';
