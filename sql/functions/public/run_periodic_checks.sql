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
comment on function public.run_periodic_checks(integer) is 'Queues stuck-student nudges (once per step per week) and SLA-breach admin alerts (once per step start), and purges one batch of data past its retention window. Returns counts (stuck_nudges, sla_breaches, purged: {partner_events, queue_archive, signed_out_sessions}).';
revoke all on function public.run_periodic_checks(integer) from public, anon, authenticated;
grant execute on function public.run_periodic_checks(integer) to service_role;
