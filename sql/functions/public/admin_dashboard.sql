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
