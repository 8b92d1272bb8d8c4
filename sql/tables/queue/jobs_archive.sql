-- Finished messages (done, or dead letters). Policies: sql/policies/queue/jobs_archive.sql.
create table queue.jobs_archive (
  msg_id bigint primary key,
  queue_name text not null,
  message jsonb not null,
  dedupe_key text,
  enqueued_at timestamptz not null,
  read_ct integer not null,
  last_error text,
  outcome text not null check (outcome in ('done', 'dead')),
  archived_at timestamptz not null default now()
);
create index jobs_archive_dead_idx on queue.jobs_archive (queue_name, archived_at desc) where outcome = 'dead';
alter table queue.jobs_archive enable row level security;

grant select, insert, update, delete on queue.jobs_archive to service_role;

comment on table queue.jobs_archive is 'Finished messages: done, or dead (dead letters, after max attempts).';
