-- Dedupe keys ever sent per queue. Policies: sql/policies/queue/job_keys.sql.
create table queue.job_keys (
  queue_name text not null references queue.queues (queue_name) on delete restrict,
  dedupe_key text not null,
  created_at timestamptz not null default now(),
  primary key (queue_name, dedupe_key)
);
alter table queue.job_keys enable row level security;

grant select, insert, update, delete on queue.job_keys to service_role;

comment on table queue.job_keys is 'Dedupe keys ever sent per queue: a message with a known key is not sent again (once per event).';
