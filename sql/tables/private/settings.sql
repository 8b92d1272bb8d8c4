-- The thresholds the system runs by, in one place (one row, like basejump's config): read by SQL
-- (private.stuck_after_days(), public.get_settings()) and shown on the admin dashboard. Change
-- one with `update private.settings set stuck_after_days = 10;` as the service role or the DBA.
-- The retention windows (added by 20261202900000_retention, hence after updated_at) are read by
-- private.purge_expired_data(); docs/retention.md says what they keep and for how long.
-- Policies: sql/policies/private/settings.sql.
create table private.settings (
  id boolean primary key default true check (id),
  stuck_after_days integer not null default 7 check (stuck_after_days between 1 and 365),
  dashboard_list_rows integer not null default 50 check (dashboard_list_rows between 1 and 1000),
  updated_at timestamptz not null default now(),
  partner_event_retention_days integer not null default 180 check (partner_event_retention_days between 7 and 3650),
  queue_archive_retention_days integer not null default 30 check (queue_archive_retention_days between 1 and 3650),
  purge_batch_rows integer not null default 1000 check (purge_batch_rows between 1 and 100000)
);
alter table private.settings enable row level security;
insert into private.settings (id) values (true) on conflict (id) do nothing;

revoke all on private.settings from anon, authenticated;
grant select on private.settings to authenticated;
grant select, update on private.settings to service_role;

comment on table private.settings is 'One row: the thresholds the system runs by (stuck after N days, rows per dashboard list, retention windows). Admins read them (RLS), the service role and the DBA change them.';
comment on column private.settings.stuck_after_days is 'A step in progress longer than this many days is stuck (dashboard, stuck-student emails, funnel, bottlenecks).';
comment on column private.settings.dashboard_list_rows is 'Rows shown per dashboard list (stuck, failed, awaiting, webhook events); the counts come from SQL.';
comment on column private.settings.partner_event_retention_days is 'Partner events received longer ago than this many days are purged (private.purge_expired_data), except those a step still needs.';
comment on column private.settings.queue_archive_retention_days is 'Finished and dead queue jobs archived longer ago than this many days are purged (private.purge_expired_data).';
comment on column private.settings.purge_batch_rows is 'At most this many rows per table are purged per call of private.purge_expired_data (each periodic check).';
