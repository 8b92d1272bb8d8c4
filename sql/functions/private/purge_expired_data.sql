-- Retention: deletes, in one bounded batch per table, what is older than its window in
-- private.settings (docs/retention.md):
--   queue.jobs_archive    finished and dead jobs archived more than queue_archive_retention_days ago;
--   public.partner_events events received more than partner_event_retention_days ago, except those
--                         a step still needs: events waiting for a step (unmatched, deferred:
--                         private.waiting_event_statuses(false)), events not applied yet
--                         (received), and events of a step that is not finished
--                         (private.step_is_done: a pending, in-progress or failed step may still
--                         be replayed or reviewed with them);
--   private.signed_out_sessions  sign-outs whose token has expired (expires_at in the past): the
--                         token is refused by its expiry anyway (rows without expires_at are kept).
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
  v_sessions integer;
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

  delete from private.signed_out_sessions o
  where o.session_key in (
    select x.session_key from private.signed_out_sessions x
    where x.expires_at < pg_catalog.now()
    order by x.expires_at
    limit v_limit);  -- no row lock: the service role may delete these rows, not update them
  get diagnostics v_sessions = row_count;

  return pg_catalog.jsonb_build_object('partner_events', v_events, 'queue_archive', v_archive,
                                       'signed_out_sessions', v_sessions);
end
$$;
comment on function private.purge_expired_data(integer) is 'Retention: deletes up to p_batch_rows (default private.settings.purge_batch_rows) archived queue jobs and partner events older than their windows in private.settings, keeping events a step still needs (unmatched, deferred, received, or of an unfinished step), and signed-out sessions whose token has expired. Returns the counts.';
revoke all on function private.purge_expired_data(integer) from public, anon, authenticated;
grant execute on function private.purge_expired_data(integer) to service_role;
