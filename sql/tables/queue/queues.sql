-- Queues and their retry policy (like pgmq.create). Policies: sql/policies/queue/queues.sql.
create table queue.queues (
  queue_name text primary key check (queue_name ~ '^[a-z_]{1,40}$'),
  visibility_timeout_seconds integer not null default 60 check (visibility_timeout_seconds between 1 and 86400),
  max_attempts integer not null default 8 check (max_attempts between 1 and 100),
  backoff_base_seconds double precision not null default 2 check (backoff_base_seconds > 0),
  backoff_cap_seconds double precision not null default 600 check (backoff_cap_seconds > 0)
);
alter table queue.queues enable row level security;

grant select, insert, update, delete on queue.queues to service_role;

comment on table queue.queues is 'Queues and their retry policy (like pgmq.create): visibility timeout, attempts, backoff base and cap.';

-- The queues the worker serves, as 20261122000600_automation inserted them (rows, not schema:
-- the drift test compares the catalog only).
insert into queue.queues (queue_name, visibility_timeout_seconds, max_attempts, backoff_base_seconds, backoff_cap_seconds)
values ('partner_enrollment', 60, 8, 2, 600), ('email', 60, 8, 5, 900), ('certificate', 120, 5, 5, 600)
on conflict (queue_name) do nothing;
-- and as 20261203500001_credentials added its own (Open Badges credentials, glue/tasks/credential.py)
insert into queue.queues (queue_name, visibility_timeout_seconds, max_attempts, backoff_base_seconds, backoff_cap_seconds)
values ('credential', 60, 5, 5, 600)
on conflict (queue_name) do nothing;
