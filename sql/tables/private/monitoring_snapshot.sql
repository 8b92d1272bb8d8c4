-- One row of aggregates behind the monitoring views, recomputed by refresh_monitoring(). Read by
-- the admin-only monitor_* functions (definer bodies in private). Policies:
-- sql/policies/private/monitoring_snapshot.sql.
create table private.monitoring_snapshot (
  id boolean primary key default true check (id),
  refreshed_at timestamptz not null,
  as_of timestamptz not null,
  pipeline jsonb not null default '[]',
  programs jsonb not null default '[]',
  durations jsonb not null default '[]',
  funnel jsonb not null default '[]',
  weekly jsonb not null default '[]'
);
alter table private.monitoring_snapshot enable row level security;

revoke all on private.monitoring_snapshot from anon, authenticated;
grant select, insert, update on private.monitoring_snapshot to service_role;

comment on table private.monitoring_snapshot is 'One row: the aggregates behind the pipeline, completion, bottleneck, funnel and weekly views, recomputed by refresh_monitoring().';
