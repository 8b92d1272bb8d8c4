-- Issue 12, data retention: windows in private.settings (partner_event_retention_days 180,
-- queue_archive_retention_days 30, purge_batch_rows 1000), private.purge_expired_data() deleting
-- one bounded batch per table of what is past its window (keeping the partner events a step still
-- needs), run by public.run_periodic_checks() (the worker's periodic checks; its result gains
-- "purged"), and public.monitor_table_sizes() (admin-only, definer body in private) for the
-- tables that grow, shown on the admin dashboard (public.admin_dashboard gains "table_sizes").
-- docs/retention.md says what personal data is kept, where and for how long.
-- Sources: sql/tables/private/settings.sql, sql/functions/private/{purge_expired_data,
-- monitor_table_sizes}.sql, sql/functions/public/{run_periodic_checks,monitor_table_sizes,
-- admin_dashboard}.sql.

select pg_catalog.set_config('lock_timeout', '10s', true);
select pg_catalog.set_config('statement_timeout', '120s', true);

-- one row: constant defaults, so adding the columns rewrites nothing
alter table private.settings
  add column partner_event_retention_days integer not null default 180
    check (partner_event_retention_days between 7 and 3650),
  add column queue_archive_retention_days integer not null default 30
    check (queue_archive_retention_days between 1 and 3650),
  add column purge_batch_rows integer not null default 1000 check (purge_batch_rows between 1 and 100000);
comment on table private.settings is 'One row: the thresholds the system runs by (stuck after N days, rows per dashboard list, retention windows). Admins read them (RLS), the service role and the DBA change them.';
comment on column private.settings.partner_event_retention_days is 'Partner events received longer ago than this many days are purged (private.purge_expired_data), except those a step still needs.';
comment on column private.settings.queue_archive_retention_days is 'Finished and dead queue jobs archived longer ago than this many days are purged (private.purge_expired_data).';
comment on column private.settings.purge_batch_rows is 'At most this many rows per table are purged per call of private.purge_expired_data (each periodic check).';

-- Retention: deletes, in one bounded batch per table, what is older than its window in
-- private.settings (docs/retention.md):
--   queue.jobs_archive    finished and dead jobs archived more than queue_archive_retention_days ago;
--   public.partner_events events received more than partner_event_retention_days ago, except those
--                         a step still needs: events waiting for a step (unmatched, deferred:
--                         private.waiting_event_statuses(false)), events not applied yet
--                         (received), and events of a step that is not finished
--                         (private.step_is_done: a pending, in-progress or failed step may still
--                         be replayed or reviewed with them).
-- At most p_batch_rows (default private.settings.purge_batch_rows) rows per table per call; the
-- worker's periodic checks (public.run_periodic_checks) call it every scan, so a backlog drains
-- over several scans. Rows another purge holds are skipped, not waited for. Returns the counts.
create or replace function private.purge_expired_data(p_batch_rows integer default null)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_settings private.settings;
  v_limit integer;
  v_events integer;
  v_archive integer;
begin
  select s.* into strict v_settings from private.settings s;
  v_limit := coalesce(p_batch_rows, v_settings.purge_batch_rows);
  if v_limit < 1 then
    raise exception 'the batch size must be at least 1' using errcode = '22023';
  end if;

  delete from queue.jobs_archive a
  where a.msg_id in (
    select x.msg_id from queue.jobs_archive x
    where x.archived_at < pg_catalog.now() - pg_catalog.make_interval(days => v_settings.queue_archive_retention_days)
    order by x.msg_id
    limit v_limit
    for update skip locked);
  get diagnostics v_archive = row_count;

  delete from public.partner_events e
  where e.id in (
    select x.id from public.partner_events x
    where x.received_at < pg_catalog.now() - pg_catalog.make_interval(days => v_settings.partner_event_retention_days)
      and x.status <> 'received'
      and x.status <> all (private.waiting_event_statuses(false))
      and not exists (select 1 from public.enrollment_steps s
                      where s.id = x.step_id and not private.step_is_done(s.status))
    order by x.id
    limit v_limit
    for update of x skip locked);
  get diagnostics v_events = row_count;

  return pg_catalog.jsonb_build_object('partner_events', v_events, 'queue_archive', v_archive);
end
$$;
comment on function private.purge_expired_data(integer) is 'Retention: deletes up to p_batch_rows (default private.settings.purge_batch_rows) archived queue jobs and partner events older than their windows in private.settings, keeping events a step still needs (unmatched, deferred, received, or of an unfinished step). Returns the counts.';
revoke all on function private.purge_expired_data(integer) from public, anon, authenticated;
grant execute on function private.purge_expired_data(integer) to service_role;

-- Periodic work, called by the worker (or pg_cron where available): nudge students stuck in a
-- step for more than p_stuck_days (default: private.settings.stuck_after_days) (at most one email per step per week) and alert admins about
-- steps over their partner's SLA (expected_days), once per step start, and purge one batch of
-- data past its retention window (private.purge_expired_data). Returns the counts.
create or replace function public.run_periodic_checks(p_stuck_days integer default null)
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  v_nudges integer := 0;
  v_breaches integer := 0;
  v_row record;
  v_purged jsonb;
begin
  for v_row in
    select s.id, e.user_id, s.started_at,
           pg_catalog.floor(extract(epoch from pg_catalog.now() - s.started_at) / 86400)::integer as days
    from public.enrollment_steps s join public.enrollments e on e.id = s.enrollment_id
    where s.status = 'in_progress' and e.status = 'active'
      and s.started_at < pg_catalog.now() - pg_catalog.make_interval(days => coalesce(p_stuck_days, private.stuck_after_days()))
  loop
    if private.enqueue_email('stuck_nudge', v_row.user_id,
         private.step_context(v_row.id) || pg_catalog.jsonb_build_object('days', v_row.days),
         'email:stuck_nudge:' || v_row.id || ':' || pg_catalog.floor(extract(epoch from v_row.started_at))::bigint
           || ':week' || (v_row.days / 7)) is not null then
      v_nudges := v_nudges + 1;
    end if;
  end loop;

  for v_row in
    select s.id, s.started_at, v.provider_name, v.expected_days,
           pg_catalog.floor(extract(epoch from pg_catalog.now() - s.started_at) / 86400)::integer as days
    from public.enrollment_steps s join public.partner_lms_providers v on v.id = s.provider_id
    where s.status = 'in_progress'
      and s.started_at < pg_catalog.now() - pg_catalog.make_interval(days => v.expected_days)
  loop
    if private.raise_admin_alert('sla_breach',
         'sla_breach:' || v_row.id || ':' || pg_catalog.floor(extract(epoch from v_row.started_at))::bigint,
         pg_catalog.format('In progress at %s for %s days (expected %s).', v_row.provider_name, v_row.days,
                           v_row.expected_days),
         v_row.id) is not null then
      v_breaches := v_breaches + 1;
    end if;
  end loop;

  v_purged := private.purge_expired_data();
  return pg_catalog.jsonb_build_object('stuck_nudges', v_nudges, 'sla_breaches', v_breaches, 'purged', v_purged);
end
$$;
comment on function public.run_periodic_checks(integer) is 'Queues stuck-student nudges (once per step per week) and SLA-breach admin alerts (once per step start), and purges one batch of data past its retention window. Returns counts (stuck_nudges, sla_breaches, purged: {partner_events, queue_archive}).';
revoke all on function public.run_periodic_checks(integer) from public, anon, authenticated;
grant execute on function public.run_periodic_checks(integer) to service_role;

-- Live: the size of the tables that grow with traffic (partner events, the queue and its archive,
-- step transitions, emails, certificates and the queue's dedupe keys): PostgreSQL's row estimate
-- (pg_class.reltuples, as of the last vacuum or analyze; null before the first) and total bytes
-- (table, indexes and TOAST), largest first. Retention (private.purge_expired_data) keeps
-- partner_events and queue.jobs_archive bounded; docs/retention.md.
-- The body is security definer in the private schema, which the Data API does not expose;
-- public.monitor_table_sizes (sql/functions/public/) is its security invoker entry point.
create or replace function private.monitor_table_sizes()
returns table (table_name text, rows_estimate bigint, total_bytes bigint)
language plpgsql
stable
security definer
set search_path = ''
set jit = off
as $$
begin
  perform private.admin_caller();
  return query
  select t.name, case when c.reltuples >= 0 then c.reltuples::bigint end, pg_catalog.pg_total_relation_size(c.oid)
  from pg_catalog.unnest(array['public.partner_events', 'queue.jobs', 'queue.jobs_archive', 'queue.job_keys',
                               'public.step_transitions', 'public.email_sends', 'public.certificates']) as t (name)
  join pg_catalog.pg_class c on c.oid = pg_catalog.to_regclass(t.name)
  order by 3 desc, 1;
end
$$;
comment on function private.monitor_table_sizes() is 'Body of public.monitor_table_sizes (security definer, outside the exposed schema): Live: row estimate and total bytes of the tables that grow with traffic, largest first. Admins only.';
revoke all on function private.monitor_table_sizes() from public, anon, authenticated;
grant execute on function private.monitor_table_sizes() to authenticated, service_role;

-- The Data API entry point (/rest/v1/rpc/monitor_table_sizes): same name and parameters, security
-- invoker, so nothing in the exposed schema runs with raised privileges (splinter 0028/0029).
create or replace function public.monitor_table_sizes()
returns table (table_name text, rows_estimate bigint, total_bytes bigint)
language sql
stable
security invoker
set search_path = ''
as $$
  select * from private.monitor_table_sizes()
$$;
comment on function public.monitor_table_sizes() is 'Live: row estimate and total bytes of the tables that grow with traffic (partner events, queue, archive, transitions, emails, certificates), largest first. Admins only.';
revoke all on function public.monitor_table_sizes() from public, anon, authenticated;
grant execute on function public.monitor_table_sizes() to authenticated, service_role;

-- The admin dashboard in one call: every panel (the monitor_* functions), the page's filters
-- applied (p_program: a program slug, p_partner: a partner slug; null shows all), the headline
-- numbers computed over the filtered panels, and the unfiltered choices of the filter menus.
-- Lists are capped at p_rows rows (the counts come from the snapshot, not from the lists);
-- a step is stuck after p_stuck_days days in progress. Both default to private.settings
-- (dashboard_list_rows, stuck_after_days), which the dashboard shows under "settings".
-- Security invoker: each monitor_* function checks that the caller is an admin (42501 otherwise).
--   panels: pipeline, programs, stuck, bottlenecks, funnel, weekly, failed, awaiting,
--           partner_events, waiting_events, queues, table_sizes (monitor_table_sizes)
--   summary: in_progress, completed_steps, stuck, failed, awaiting (a number, or "<p_rows>+"
--           when the list is full), waiting_events (private.waiting_event_statuses), refreshed_at
--   all_programs: [[slug, name], ...]; all_providers: [[slug, name], ...]
--   settings: public.get_settings() with the values used (stuck_after_days, dashboard_list_rows)
create or replace function public.admin_dashboard(
  p_program text default null, p_partner text default null, p_rows integer default null,
  p_stuck_days integer default null)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  v jsonb;
  v_program_name text;
  v_key text;
  v_settings jsonb := public.get_settings();
begin
  p_rows := coalesce(p_rows, (v_settings ->> 'dashboard_list_rows')::integer);
  p_stuck_days := coalesce(p_stuck_days, private.stuck_after_days());
  v := pg_catalog.jsonb_build_object(
    'pipeline', (select coalesce(pg_catalog.jsonb_agg(p), '[]') from public.monitor_pipeline() p),
    'programs', (select coalesce(pg_catalog.jsonb_agg(p), '[]') from public.monitor_program_completion() p),
    'stuck', (select coalesce(pg_catalog.jsonb_agg(p), '[]') from public.monitor_stuck_students(p_stuck_days, p_rows) p),
    'bottlenecks', (select coalesce(pg_catalog.jsonb_agg(p), '[]') from public.monitor_bottlenecks() p),
    'funnel', (select coalesce(pg_catalog.jsonb_agg(p), '[]') from public.monitor_funnel(p_program) p),
    'weekly', (select coalesce(pg_catalog.jsonb_agg(p), '[]') from public.monitor_weekly_completions(12) p),
    'failed', (select coalesce(pg_catalog.jsonb_agg(p), '[]') from public.monitor_failed_enrollments(p_rows) p),
    'awaiting', (select coalesce(pg_catalog.jsonb_agg(p), '[]') from public.monitor_awaiting_enrollment(p_rows) p),
    'partner_events', (select coalesce(pg_catalog.jsonb_agg(p), '[]') from public.monitor_partner_events() p),
    'waiting_events', (select coalesce(pg_catalog.jsonb_agg(p), '[]') from public.monitor_waiting_events(p_rows) p),
    'queues', (select coalesce(pg_catalog.jsonb_agg(p), '[]') from public.monitor_queues() p),
    'table_sizes', (select coalesce(pg_catalog.jsonb_agg(p), '[]') from public.monitor_table_sizes() p),
    'settings', coalesce(v_settings, '{}') || pg_catalog.jsonb_build_object(
      'stuck_after_days', p_stuck_days, 'dashboard_list_rows', p_rows));

  -- the filter menus offer everything, whatever is filtered
  v := v || pg_catalog.jsonb_build_object(
    'all_programs', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(x ->> 'program_slug', x ->> 'program_name') order by t.n), '[]')
                     from pg_catalog.jsonb_array_elements(v -> 'programs') with ordinality t(x, n)),
    'all_providers', (select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_array(x ->> 'provider_slug', x ->> 'provider_name') order by t.n), '[]')
                      from pg_catalog.jsonb_array_elements(v -> 'pipeline') with ordinality t(x, n)));

  -- the filters: a row with a provider_slug must match the partner; a row with a program_slug
  -- (or else a program_name) must match the program
  select x ->> 'program_name' into v_program_name
  from pg_catalog.jsonb_array_elements(v -> 'programs') x where x ->> 'program_slug' = p_program limit 1;
  foreach v_key in array array['pipeline', 'stuck', 'bottlenecks', 'failed', 'awaiting', 'partner_events',
                               'waiting_events', 'programs'] loop
    v := pg_catalog.jsonb_set(v, array[v_key], (
      select coalesce(pg_catalog.jsonb_agg(x order by t.n), '[]')
      from pg_catalog.jsonb_array_elements(v -> v_key) with ordinality t(x, n)
      where not (p_partner is not null and x ? 'provider_slug' and x ->> 'provider_slug' is distinct from p_partner)
        and case
              when p_program is not null and x ? 'program_slug' then x ->> 'program_slug' is not distinct from p_program
              when p_program is not null and x ? 'program_name' then x ->> 'program_name' is not distinct from v_program_name
              else true
            end));
  end loop;

  -- the headline numbers: totals from SQL over the filtered panels (not the capped list lengths)
  return v || pg_catalog.jsonb_build_object('summary', pg_catalog.jsonb_build_object(
    'in_progress', (select coalesce(sum((x ->> 'in_progress')::integer), 0) from pg_catalog.jsonb_array_elements(v -> 'pipeline') x),
    'completed_steps', (select coalesce(sum((x ->> 'completed')::integer), 0) from pg_catalog.jsonb_array_elements(v -> 'pipeline') x),
    'stuck', (select coalesce(sum((x ->> 'stuck')::integer), 0) from pg_catalog.jsonb_array_elements(v -> 'bottlenecks') x),
    'failed', (select coalesce(sum((x ->> 'failed')::integer), 0) from pg_catalog.jsonb_array_elements(v -> 'pipeline') x),
    'awaiting', case when pg_catalog.jsonb_array_length(v -> 'awaiting') >= p_rows then pg_catalog.to_jsonb(p_rows || '+')
                     else pg_catalog.to_jsonb(pg_catalog.jsonb_array_length(v -> 'awaiting')) end,
    'waiting_events', (select coalesce(sum((x ->> s)::integer), 0)
                       from pg_catalog.jsonb_array_elements(v -> 'partner_events') x
                       cross join pg_catalog.unnest(private.waiting_event_statuses()) s),
    'refreshed_at', v -> 'pipeline' -> 0 -> 'refreshed_at'));
end
$$;
comment on function public.admin_dashboard(text, text, integer, integer) is 'The admin dashboard as JSON: every monitoring panel filtered by program and partner slug, the headline numbers, the filter menus. Admins only (42501).';
revoke all on function public.admin_dashboard(text, text, integer, integer) from public, anon, authenticated;
grant execute on function public.admin_dashboard(text, text, integer, integer) to authenticated, service_role;
