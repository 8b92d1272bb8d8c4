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
