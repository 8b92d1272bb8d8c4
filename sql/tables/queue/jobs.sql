-- Messages waiting or being worked on. Policies: sql/policies/queue/jobs.sql.
create table queue.jobs (
  msg_id bigint generated always as identity primary key,
  queue_name text not null references queue.queues (queue_name) on delete restrict,
  message jsonb not null,
  dedupe_key text,
  enqueued_at timestamptz not null default now(),
  vt timestamptz not null default now(),
  read_ct integer not null default 0,
  last_error text
);
-- queue.read takes a queue's visible jobs in (vt, msg_id) order and stops at the first qty: the
-- jobs in hand or waiting out a backoff (vt in the future) sit past the end of its range, and the
-- other queues' jobs outside it, so a read costs O(batch) whatever the queue holds
create index jobs_queue_vt_idx on queue.jobs (queue_name, vt, msg_id);
-- the queue churns (insert, update, delete per job): vacuum it after every 1,000 changes
alter table queue.jobs set (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
  autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 1000);
alter table queue.jobs enable row level security;

grant select, insert, update, delete on queue.jobs to service_role;
revoke all on sequence queue.jobs_msg_id_seq from public, anon, authenticated;

comment on table queue.jobs is 'Messages waiting or being worked on (pgmq-like: vt is when it is visible again, read_ct counts reads).';
